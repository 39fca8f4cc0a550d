/*
 * candq.c - waiting candidate changes of one client connection.
 */
#include "candq.h"

#include <stdio.h>
#include <string.h>

/* Index of cand in list[n], or n. */
static size_t
find(char (*list)[CANDQ_STRLEN], size_t n, const char *cand)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strncmp(list[i], cand, CANDQ_STRLEN - 1) == 0)
			break;
	return i;
}

static void
drop(char (*list)[CANDQ_STRLEN], size_t *n, size_t i)
{
	if (i + 1 < *n)
		memmove(list[i], list[i + 1], (*n - i - 1) * sizeof(list[0]));
	(*n)--;
}

static void
append(char (*list)[CANDQ_STRLEN], size_t *n, const char *cand)
{
	if (find(list, *n, cand) < *n || *n >= CANDQ_MAX)
		return;
	snprintf(list[*n], sizeof(list[0]), "%s", cand);
	(*n)++;
}

void
candq_change(struct candq *q, const char *cand, int add)
{
	size_t i;

	if (add) {
		if ((i = find(q->del, q->n_del, cand)) < q->n_del)
			drop(q->del, &q->n_del, i);
		append(q->add, &q->n_add, cand);
		append(q->announced, &q->n_announced, cand);
		return;
	}
	if ((i = find(q->announced, q->n_announced, cand)) < q->n_announced)
		drop(q->announced, &q->n_announced, i);
	if ((i = find(q->add, q->n_add, cand)) < q->n_add) {
		/* Never sent: the addition is cancelled, nothing to invalidate. */
		drop(q->add, &q->n_add, i);
		return;
	}
	append(q->del, &q->n_del, cand);
}

void
candq_reannounce(struct candq *q)
{
	size_t i;

	for (i = 0; i < q->n_announced; i++)
		append(q->add, &q->n_add, q->announced[i]);
}

void
candq_sent(struct candq *q)
{
	q->n_add = 0;
	q->n_del = 0;
}
