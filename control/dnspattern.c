/*
 * dnspattern.c - glob matching of DNS names by labels.
 */
#include "dnspattern.h"

#include <ctype.h>
#include <string.h>

#define DNS_NAME_MAX 253
#define DNS_LABELS_MAX 128
#define DNS_LABEL_MAX 63

struct labels {
	const char *p[DNS_LABELS_MAX];
	size_t len[DNS_LABELS_MAX];
	size_t n;
};

static int
split(const char *s, struct labels *l)
{
	size_t n = strlen(s), start = 0, i;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > DNS_NAME_MAX)
		return -1;
	l->n = 0;
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (l->n >= DNS_LABELS_MAX || i == start || i - start > DNS_LABEL_MAX)
			return -1;
		l->p[l->n] = s + start;
		l->len[l->n++] = i - start;
		start = i + 1;
	}
	return 0;
}

/* A character class "[...]" at p (len bytes left): does c match?  Sets
 * *used to the class length.  Returns -1 for an unterminated class. */
static int
class_match(const char *p, size_t len, char c, size_t *used)
{
	size_t i = 1;
	int neg = 0, hit = 0;
	char lc = (char)tolower((unsigned char)c);

	if (i < len && (p[i] == '!' || p[i] == '^')) {
		neg = 1;
		i++;
	}
	for (; i < len && p[i] != ']'; i++) {
		char a = (char)tolower((unsigned char)p[i]);
		if (i + 2 < len && p[i + 1] == '-' && p[i + 2] != ']') {
			char b = (char)tolower((unsigned char)p[i + 2]);
			if (lc >= a && lc <= b)
				hit = 1;
			i += 2;
		} else if (lc == a) {
			hit = 1;
		}
	}
	if (i >= len)
		return -1;
	*used = i + 1;
	return hit ^ neg;
}

/* One pattern element at p against c: '?', a class or a literal.  Sets
 * *used to the element's length; 0 when it does not match. */
static int
element_match(const char *p, size_t pl, char c, size_t *used)
{
	int r;

	if (p[0] == '?') {
		*used = 1;
		return 1;
	}
	if (p[0] == '[') {
		r = class_match(p, pl, c, used);
		return r > 0;
	}
	*used = 1;
	return tolower((unsigned char)p[0]) == tolower((unsigned char)c);
}

/* Glob within one label, in O(pattern x name) steps: on a mismatch only
 * the last '*' is extended, never an earlier one. */
static int
label_match(const char *p, size_t pl, const char *s, size_t sl)
{
	size_t i = 0, j = 0, star_i = 0, star_j = 0, used;
	int have_star = 0;

	while (j < sl) {
		if (i < pl && p[i] == '*') {
			have_star = 1;
			star_i = ++i;
			star_j = j;
			continue;
		}
		if (i < pl && element_match(p + i, pl - i, s[j], &used)) {
			i += used;
			j++;
			continue;
		}
		if (!have_star)
			return 0;
		i = star_i;
		j = ++star_j;
	}
	while (i < pl && p[i] == '*')
		i++;
	return i == pl;
}

static int
labels_match(const struct labels *p, size_t pi, const struct labels *s, size_t si)
{
	size_t k;

	if (pi == p->n)
		return si == s->n;
	if (p->len[pi] == 2 && p->p[pi][0] == '*' && p->p[pi][1] == '*') {
		for (k = si; k <= s->n; k++)
			if (labels_match(p, pi + 1, s, k))
				return 1;
		return 0;
	}
	if (si == s->n)
		return 0;
	return label_match(p->p[pi], p->len[pi], s->p[si], s->len[si]) &&
	    labels_match(p, pi + 1, s, si + 1);
}

int
dnspattern_match(const char *pattern, const char *name)
{
	struct labels p, s;
	size_t i, n, pn;

	if (split(pattern, &p) < 0)
		return -1;
	for (i = 0; i < p.n; i++) {
		const char *l = p.p[i];
		size_t k, run = 0;
		for (k = 0; k < p.len[i]; k++) {
			run = l[k] == '*' ? run + 1 : 0;
			if (run >= 3 || (run == 2 && p.len[i] != 2))
				return -1;
		}
	}
	if (split(name, &s) < 0)
		return 0;
	if (labels_match(&p, 0, &s, 0))
		return 1;
	/* "*.example.com" also matches "example.com" (exact comparison). */
	pn = strlen(pattern);
	if (pn > 0 && pattern[pn - 1] == '.')
		pn--;
	n = strlen(name);
	if (n > 0 && name[n - 1] == '.')
		n--;
	if (pn > 2 && pattern[0] == '*' && pattern[1] == '.' && pn - 2 == n &&
	    strncmp(pattern + 2, name, n) == 0)
		return 1;
	return 0;
}
