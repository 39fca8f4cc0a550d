/*
 * filter.c - per-client resource authorization and packet filter.
 *
 * Configuration changes rebuild a compiled table (allocation allowed there);
 * filter_check only does binary searches over it.
 */
#include "addr.h"
#include "filter.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

__extension__ typedef unsigned __int128 u128;

struct domain {
	char *name;
	struct pkt_addr *ips;		/* resolved addresses */
	size_t nips;
	struct pkt_addr prox[FILTER_PROXIES_PER_NAME];	/* its proxy IPs */
	size_t nprox;
};

struct res {
	uint8_t id[FILTER_ID_LEN];
	uint8_t type;
	uint8_t plen;
	struct pkt_addr net;
	struct filter_spec *specs;
	size_t nspecs;
	int64_t expires;
	struct domain *doms;
	size_t ndoms;
};

struct rule {
	uint8_t permit_all;
	uint8_t icmp;
	uint8_t proxy;		/* a DNS resource's proxy IP */
	uint32_t tcp_off, tcp_n;
	uint32_t udp_off, udp_n;
};

struct prange {
	uint16_t lo, hi;
};

struct ival {
	u128 lo, hi;
	uint32_t rule;
};

struct compiled {
	struct rule *rules;
	size_t nrules;
	struct prange *ranges;
	size_t nranges, capranges;
	struct ival *iv[2];	/* [0] IPv4, [1] IPv6 */
	size_t niv[2];
};

struct filter_client {
	struct pkt_addr tun4, tun6;
	int has4, has6;
	struct res *res;
	size_t nres, capres;
	int internet;
	int broken;		/* last rebuild failed: deny everything */
	int64_t next_expiry;
	struct compiled c;
};

/* ---- small helpers ---------------------------------------------------- */

static unsigned
af_bits(int af)
{
	return af == 4 ? 32 : 128;
}

static u128
addr_to_u128(const struct pkt_addr *a)
{
	u128 v = 0;
	size_t i, n = a->af == 4 ? 4 : 16;

	for (i = 0; i < n; i++)
		v = (v << 8) | a->b[i];
	return v;
}

static u128
host_mask(int af, unsigned plen)
{
	unsigned w = af_bits(af) - plen;

	if (w >= 128)
		return ~(u128)0;
	return ((u128)1 << w) - 1;
}

static int
spec_valid(const struct filter_spec *s)
{
	if (s->proto != FILTER_TCP && s->proto != FILTER_UDP && s->proto != FILTER_ICMP)
		return 0;
	if (s->proto != FILTER_ICMP && s->port_start > s->port_end) {
		/* upstream would panic on such a range; we refuse it at insert */
		log_warnx("filter: port range %u-%u has start > end, rejected",
		    (unsigned)s->port_start, (unsigned)s->port_end);
		return 0;
	}
	return 1;
}

static int
specs_copy(const struct filter_spec *in, size_t n, struct filter_spec **out)
{
	size_t i;

	*out = NULL;
	if (n > 0 && in == NULL)
		return PKT_E_INVAL;
	for (i = 0; i < n; i++)
		if (!spec_valid(&in[i]))
			return PKT_E_INVAL;
	if (n == 0)
		return PKT_OK;
	*out = malloc(n * sizeof(**out));
	if (*out == NULL)
		return PKT_E_NOMEM;
	memcpy(*out, in, n * sizeof(**out));
	return PKT_OK;
}

static struct res *
res_find(const struct filter_client *fc, const uint8_t id[FILTER_ID_LEN])
{
	size_t i;

	for (i = 0; i < fc->nres; i++)
		if (memcmp(fc->res[i].id, id, FILTER_ID_LEN) == 0)
			return &fc->res[i];
	return NULL;
}

static void
res_clear(struct res *r)
{
	size_t i;

	for (i = 0; i < r->ndoms; i++) {
		free(r->doms[i].name);
		free(r->doms[i].ips);
	}
	free(r->doms);
	free(r->specs);
	memset(r, 0, sizeof(*r));
}

static void
compiled_free(struct compiled *c)
{
	free(c->rules);
	free(c->ranges);
	free(c->iv[0]);
	free(c->iv[1]);
	memset(c, 0, sizeof(*c));
}

/* ---- rebuild ---------------------------------------------------------- */

struct pfx {
	u128 start, end;
	uint32_t rule;
	uint8_t plen;
	uint8_t af;
	struct pkt_addr net;
};

static int
prange_cmp(const void *a, const void *b)
{
	const struct prange *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return (x->hi > y->hi) - (x->hi < y->hi);
}

static int
ranges_push(struct compiled *c, uint16_t lo, uint16_t hi)
{
	if (c->nranges == c->capranges) {
		size_t ncap = c->capranges ? c->capranges * 2 : 16;
		struct prange *n = realloc(c->ranges, ncap * sizeof(*n));
		if (n == NULL)
			return PKT_E_NOMEM;
		c->ranges = n;
		c->capranges = ncap;
	}
	c->ranges[c->nranges].lo = lo;
	c->ranges[c->nranges].hi = hi;
	c->nranges++;
	return PKT_OK;
}

/*
 * Append the sorted, merged union of the `proto` ranges of the given
 * resources to c->ranges; tmp has room for every spec.
 */
static int
merge_ranges(struct compiled *c, struct res *const *contrib, size_t ncontrib,
    uint8_t proto, struct prange *tmp, uint32_t *off, uint32_t *n)
{
	size_t i, j, k = 0;

	for (i = 0; i < ncontrib; i++)
		for (j = 0; j < contrib[i]->nspecs; j++)
			if (contrib[i]->specs[j].proto == proto) {
				tmp[k].lo = contrib[i]->specs[j].port_start;
				tmp[k].hi = contrib[i]->specs[j].port_end;
				k++;
			}
	qsort(tmp, k, sizeof(*tmp), prange_cmp);
	*off = (uint32_t)c->nranges;
	for (i = 0; i < k; i++) {
		if (c->nranges > *off &&
		    (uint32_t)tmp[i].lo <= (uint32_t)c->ranges[c->nranges - 1].hi + 1) {
			if (tmp[i].hi > c->ranges[c->nranges - 1].hi)
				c->ranges[c->nranges - 1].hi = tmp[i].hi;
			continue;
		}
		if (ranges_push(c, tmp[i].lo, tmp[i].hi) != PKT_OK)
			return PKT_E_NOMEM;
	}
	*n = (uint32_t)(c->nranges - *off);
	return PKT_OK;
}

static int
make_rule(struct compiled *c, struct res *const *contrib, size_t ncontrib,
    struct prange *tmp, uint32_t *rule_idx)
{
	struct rule *r = &c->rules[c->nrules];
	size_t i, j;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < ncontrib; i++) {
		/* an empty list (and the Internet resource) permits everything */
		if (contrib[i]->type == FILTER_RES_INTERNET || contrib[i]->nspecs == 0)
			r->permit_all = 1;
		for (j = 0; j < contrib[i]->nspecs; j++)
			if (contrib[i]->specs[j].proto == FILTER_ICMP)
				r->icmp = 1;
	}
	if (!r->permit_all) {
		if (merge_ranges(c, contrib, ncontrib, FILTER_TCP, tmp, &r->tcp_off, &r->tcp_n) != PKT_OK ||
		    merge_ranges(c, contrib, ncontrib, FILTER_UDP, tmp, &r->udp_off, &r->udp_n) != PKT_OK)
			return PKT_E_NOMEM;
	}
	*rule_idx = (uint32_t)c->nrules++;
	return PKT_OK;
}

/* Does resource r have an address range containing net/plen (spec 3.2)? */
static int
res_contains(const struct res *r, const struct pkt_addr *net, unsigned plen)
{
	size_t i, j;

	/* the Internet resource is checked apart, outside its refused ranges */
	switch (r->type) {
	case FILTER_RES_CIDR:
		return r->net.af == net->af && r->plen <= plen &&
		    pkt_addr_in_prefix(net, &r->net, r->plen);
	case FILTER_RES_DNS:
		if (plen != af_bits(net->af))
			return 0;
		for (i = 0; i < r->ndoms; i++)
			for (j = 0; j < r->doms[i].nips; j++)
				if (pkt_addr_eq(&r->doms[i].ips[j], net))
					return 1;
		return 0;
	default:
		return 0;
	}
}

static int
pfx_cmp(const void *a, const void *b)
{
	const struct pfx *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->plen > y->plen) - (x->plen < y->plen);
}

static int
emit(struct ival *out, size_t *n, u128 lo, u128 hi, uint32_t rule)
{
	if (lo > hi)
		return 0;
	out[*n].lo = lo;
	out[*n].hi = hi;
	out[*n].rule = rule;
	(*n)++;
	return 0;
}

/*
 * Flatten nested/disjoint prefixes (sorted by start, shorter first) into
 * disjoint intervals labelled with the longest matching prefix's rule.
 */
static int
flatten(const struct pfx *p, size_t np, struct ival **out, size_t *nout)
{
	const struct pfx **stack;
	struct ival *iv;
	size_t sp = 0, n = 0, i;
	u128 cursor = 0;
	int done = 0;

	*out = NULL;
	*nout = 0;
	if (np == 0)
		return PKT_OK;
	stack = malloc(np * sizeof(*stack));
	iv = malloc((2 * np + 1) * sizeof(*iv));
	if (stack == NULL || iv == NULL) {
		free(stack);
		free(iv);
		return PKT_E_NOMEM;
	}
	for (i = 0; i < np; i++) {
		while (sp > 0 && stack[sp - 1]->end < p[i].start) {
			const struct pfx *t = stack[--sp];
			emit(iv, &n, cursor, t->end, t->rule);
			cursor = t->end + 1;
		}
		if (sp > 0 && p[i].start > cursor)
			emit(iv, &n, cursor, p[i].start - 1, stack[sp - 1]->rule);
		cursor = p[i].start;
		stack[sp++] = &p[i];
	}
	while (sp > 0 && !done) {
		const struct pfx *t = stack[--sp];
		if (cursor <= t->end)
			emit(iv, &n, cursor, t->end, t->rule);
		if (t->end == ~(u128)0)
			done = 1;
		else
			cursor = t->end + 1;
	}
	free(stack);
	*out = iv;
	*nout = n;
	return PKT_OK;
}

/*
 * Add the proxy IPs of DNS resource r to pf[0..*npf), all under one rule
 * made of r's filters alone; a CIDR /32 or /128 equal to a proxy IP takes
 * that rule (proxies of one client are unique: filter_dns_update moves them).
 */
static int
add_proxies(struct compiled *c, struct res *r, struct pfx *pf, size_t *npf, struct prange *tmp)
{
	uint32_t ri = 0;
	int have_rule = 0;
	size_t i, j, k;

	for (i = 0; i < r->ndoms; i++)
		for (j = 0; j < r->doms[i].nprox; j++) {
			const struct pkt_addr *a = &r->doms[i].prox[j];
			unsigned full = af_bits(a->af);
			int replaced = 0;

			if (!have_rule) {
				if (make_rule(c, &r, 1, tmp, &ri) != PKT_OK)
					return PKT_E_NOMEM;
				c->rules[ri].proxy = 1;
				have_rule = 1;
			}
			for (k = 0; k < *npf; k++)
				if (pf[k].plen == full && pkt_addr_eq(&pf[k].net, a)) {
					pf[k].rule = ri;
					replaced = 1;
				}
			if (replaced)
				continue;
			pf[*npf].net = *a;
			pf[*npf].plen = (uint8_t)full;
			pf[*npf].af = a->af;
			pf[*npf].start = pf[*npf].end = addr_to_u128(a);
			pf[*npf].rule = ri;
			(*npf)++;
		}
	return PKT_OK;
}

static int
rebuild(struct filter_client *fc)
{
	struct compiled c;
	struct pfx *pf = NULL;
	struct res **contrib = NULL;
	struct prange *tmp = NULL;
	size_t npf = 0, totspecs = 0, totprox = 0, i, j, fam;
	int err = PKT_E_NOMEM;

	memset(&c, 0, sizeof(c));
	fc->internet = 0;
	fc->next_expiry = FILTER_NO_EXPIRY;
	for (i = 0; i < fc->nres; i++) {
		totspecs += fc->res[i].nspecs;
		if (fc->res[i].type == FILTER_RES_INTERNET)
			fc->internet = 1;
		if (fc->res[i].expires < fc->next_expiry)
			fc->next_expiry = fc->res[i].expires;
		for (j = 0; j < fc->res[i].ndoms; j++)
			totprox += fc->res[i].doms[j].nprox;
	}
	pf = malloc((fc->nres + totprox + 1) * sizeof(*pf));
	contrib = malloc((fc->nres + 1) * sizeof(*contrib));
	tmp = malloc((totspecs + 1) * sizeof(*tmp));
	c.rules = malloc((fc->nres + totprox + 1) * sizeof(*c.rules));
	if (pf == NULL || contrib == NULL || tmp == NULL || c.rules == NULL)
		goto out;

	/* CIDR entries: one per distinct network, union of every container. */
	for (i = 0; i < fc->nres; i++) {
		const struct res *r = &fc->res[i];
		size_t nc = 0, k;
		int dup = 0;

		if (r->type != FILTER_RES_CIDR)
			continue;
		for (k = 0; k < npf; k++)
			if (pf[k].plen == r->plen && pkt_addr_eq(&pf[k].net, &r->net))
				dup = 1;
		if (dup)
			continue;
		for (j = 0; j < fc->nres; j++)
			if (res_contains(&fc->res[j], &r->net, r->plen))
				contrib[nc++] = &fc->res[j];
		if (make_rule(&c, contrib, nc, tmp, &pf[npf].rule) != PKT_OK)
			goto out;
		pf[npf].net = r->net;
		pf[npf].plen = r->plen;
		pf[npf].af = r->net.af;
		pf[npf].start = addr_to_u128(&r->net);
		pf[npf].end = pf[npf].start | host_mask(r->net.af, r->plen);
		npf++;
	}
	/* DNS entries: each proxy IP of a DNS resource, its filters alone. */
	for (i = 0; i < fc->nres; i++)
		if (fc->res[i].type == FILTER_RES_DNS &&
		    add_proxies(&c, &fc->res[i], pf, &npf, tmp) != PKT_OK)
			goto out;
	/* Flatten per family. */
	for (fam = 0; fam < 2; fam++) {
		uint8_t af = fam == 0 ? 4 : 6;
		size_t k = 0, m = npf;

		/* move this family's prefixes to the front [0, k) */
		for (i = 0; i < m; i++)
			if (pf[i].af == af) {
				struct pfx t = pf[k];
				pf[k] = pf[i];
				pf[i] = t;
				k++;
			}
		qsort(pf, k, sizeof(*pf), pfx_cmp);
		if (flatten(pf, k, &c.iv[fam], &c.niv[fam]) != PKT_OK)
			goto out;
	}
	err = PKT_OK;
out:
	free(pf);
	free(contrib);
	free(tmp);
	if (err != PKT_OK) {
		compiled_free(&c);
		compiled_free(&fc->c);
		fc->broken = 1;
		log_warnx("filter: rebuild failed (%s), denying all traffic of this client",
		    pkt_strerror(err));
		return err;
	}
	compiled_free(&fc->c);
	fc->c = c;
	fc->broken = 0;
	return PKT_OK;
}

/* ---- public API ------------------------------------------------------- */

struct filter_client *
filter_client_new(const struct pkt_addr *tun4, const struct pkt_addr *tun6)
{
	struct filter_client *fc = calloc(1, sizeof(*fc));

	if (fc == NULL)
		return NULL;
	if (tun4 != NULL && tun4->af == 4) {
		fc->tun4 = *tun4;
		fc->has4 = 1;
	}
	if (tun6 != NULL && tun6->af == 6) {
		fc->tun6 = *tun6;
		fc->has6 = 1;
	}
	fc->next_expiry = FILTER_NO_EXPIRY;
	return fc;
}

void
filter_client_free(struct filter_client *fc)
{
	size_t i;

	if (fc == NULL)
		return;
	for (i = 0; i < fc->nres; i++)
		res_clear(&fc->res[i]);
	free(fc->res);
	compiled_free(&fc->c);
	free(fc);
}

int
filter_grant(struct filter_client *fc, const uint8_t id[FILTER_ID_LEN],
    enum filter_res_type type, const struct pkt_addr *net, unsigned plen,
    const struct filter_spec *filters, size_t nfilters, int64_t expires_at)
{
	struct filter_spec *specs;
	struct res *r;
	int err;

	if (fc == NULL || id == NULL)
		return PKT_E_INVAL;
	if (type != FILTER_RES_CIDR && type != FILTER_RES_DNS && type != FILTER_RES_INTERNET)
		return PKT_E_INVAL;
	if (type == FILTER_RES_CIDR) {
		if (net == NULL || (net->af != 4 && net->af != 6) || plen > af_bits(net->af))
			return PKT_E_INVAL;
		if ((addr_to_u128(net) & host_mask(net->af, plen)) != 0)
			return PKT_E_INVAL;
	}
	r = res_find(fc, id);
	if (r != NULL && (r->type != type || (type == FILTER_RES_CIDR &&
	    (r->plen != plen || !pkt_addr_eq(&r->net, net)))))
		return PKT_E_INVAL;
	if ((err = specs_copy(filters, nfilters, &specs)) != PKT_OK)
		return err;
	if (r == NULL) {
		if (fc->nres == fc->capres) {
			size_t ncap = fc->capres ? fc->capres * 2 : 4;
			struct res *n = realloc(fc->res, ncap * sizeof(*n));
			if (n == NULL) {
				free(specs);
				return PKT_E_NOMEM;
			}
			fc->res = n;
			fc->capres = ncap;
		}
		r = &fc->res[fc->nres++];
		memset(r, 0, sizeof(*r));
		memcpy(r->id, id, FILTER_ID_LEN);
		r->type = (uint8_t)type;
		if (type == FILTER_RES_CIDR) {
			r->net = *net;
			r->plen = (uint8_t)plen;
		}
	} else {
		free(r->specs);
	}
	r->specs = specs;
	r->nspecs = nfilters;
	/* upstream kept the first expiry on a re-grant; a re-grant updates it here */
	r->expires = expires_at;
	return rebuild(fc);
}

int
filter_set_filters(struct filter_client *fc, const uint8_t id[FILTER_ID_LEN],
    const struct filter_spec *filters, size_t nfilters)
{
	struct filter_spec *specs;
	struct res *r;
	int err;

	if (fc == NULL || id == NULL)
		return PKT_E_INVAL;
	if ((r = res_find(fc, id)) == NULL)
		return PKT_E_NOTFOUND;
	if ((err = specs_copy(filters, nfilters, &specs)) != PKT_OK)
		return err;
	free(r->specs);
	r->specs = specs;
	r->nspecs = nfilters;
	return rebuild(fc);
}

static void
res_remove_at(struct filter_client *fc, size_t i)
{
	res_clear(&fc->res[i]);
	fc->res[i] = fc->res[fc->nres - 1];
	fc->nres--;
}

int
filter_revoke(struct filter_client *fc, const uint8_t id[FILTER_ID_LEN])
{
	struct res *r;

	if (fc == NULL || id == NULL)
		return PKT_E_INVAL;
	if ((r = res_find(fc, id)) == NULL)
		return PKT_E_NOTFOUND;
	res_remove_at(fc, (size_t)(r - fc->res));
	return rebuild(fc);
}

/* Check a DNS update's addresses; proxies must be DNS proxy IPs. */
static int
dns_args_valid(const struct pkt_addr *resolved, size_t nres, const struct pkt_addr *proxies,
    size_t nprox)
{
	size_t i;

	if (nprox > FILTER_PROXIES_PER_NAME) {
		log_warnx("filter: %zu proxy IPs for one name refused (at most %d)", nprox,
		    FILTER_PROXIES_PER_NAME);
		return 0;
	}
	for (i = 0; i < nres; i++)
		if (resolved[i].af != 4 && resolved[i].af != 6)
			return 0;
	for (i = 0; i < nprox; i++)
		if ((proxies[i].af != 4 && proxies[i].af != 6) || !filter_is_proxy_range(&proxies[i])) {
			log_warnx("filter: a proxy IP outside the DNS proxy ranges refused");
			return 0;
		}
	return 1;
}

static struct domain *
dom_find(const struct res *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->ndoms; i++)
		if (strcmp(r->doms[i].name, name) == 0)
			return &r->doms[i];
	return NULL;
}

/* Remove proxy a from every name of every DNS resource of fc. */
static void
proxy_unlink(struct filter_client *fc, const struct pkt_addr *a)
{
	size_t i, j, k;

	for (i = 0; i < fc->nres; i++)
		for (j = 0; j < fc->res[i].ndoms; j++) {
			struct domain *d = &fc->res[i].doms[j];
			for (k = 0; k < d->nprox; k++)
				if (pkt_addr_eq(&d->prox[k], a)) {
					d->prox[k] = d->prox[--d->nprox];
					break;
				}
		}
}

/* Make d's proxy set exactly proxies[0..n) (duplicates once), moving each here. */
static void
proxies_replace(struct filter_client *fc, struct domain *d, const struct pkt_addr *proxies,
    size_t n)
{
	size_t i, k;

	d->nprox = 0;
	for (i = 0; i < n; i++)
		proxy_unlink(fc, &proxies[i]);
	for (i = 0; i < n; i++) {
		for (k = 0; k < d->nprox; k++)
			if (pkt_addr_eq(&d->prox[k], &proxies[i]))
				break;
		if (k == d->nprox)
			d->prox[d->nprox++] = proxies[i];
	}
}

int
filter_dns_update(struct filter_client *fc, const uint8_t id[FILTER_ID_LEN], const char *name,
    const struct pkt_addr *resolved, size_t nres, const struct pkt_addr *proxies, size_t nprox)
{
	struct pkt_addr *ips = NULL;
	struct domain *d;
	struct res *r;

	if (fc == NULL || id == NULL || name == NULL || (nres && !resolved) || (nprox && !proxies))
		return PKT_E_INVAL;
	if ((r = res_find(fc, id)) == NULL)
		return PKT_E_NOTFOUND;
	if (r->type != FILTER_RES_DNS || !dns_args_valid(resolved, nres, proxies, nprox))
		return PKT_E_INVAL;
	if ((d = dom_find(r, name)) == NULL && r->ndoms >= FILTER_NAMES_PER_RESOURCE) {
		log_warnx("filter: a DNS resource already holds %d names for this client; "
		    "a new name is refused", FILTER_NAMES_PER_RESOURCE);
		return PKT_E_FULL;
	}
	/* Allocate first so a failure changes nothing. */
	if (nres > 0) {
		if ((ips = malloc(nres * sizeof(*ips))) == NULL)
			return PKT_E_NOMEM;
		memcpy(ips, resolved, nres * sizeof(*ips));
	}
	if (d == NULL) {
		struct domain *n = realloc(r->doms, (r->ndoms + 1) * sizeof(*n));
		char *nm = strdup(name);
		if (n != NULL)
			r->doms = n;
		if (n == NULL || nm == NULL) {
			free(nm);
			free(ips);
			return PKT_E_NOMEM;
		}
		d = &r->doms[r->ndoms++];
		memset(d, 0, sizeof(*d));
		d->name = nm;
	}
	free(d->ips);
	d->ips = ips;
	d->nips = nres;
	proxies_replace(fc, d, proxies, nprox);
	return rebuild(fc);
}

size_t
filter_dns_proxies(const struct filter_client *fc, const uint8_t id[FILTER_ID_LEN],
    const char *name, struct pkt_addr *out, size_t max)
{
	const struct domain *d;
	const struct res *r;
	size_t n;

	if (fc == NULL || id == NULL || name == NULL || (max > 0 && out == NULL) ||
	    (r = res_find(fc, id)) == NULL || r->type != FILTER_RES_DNS ||
	    (d = dom_find(r, name)) == NULL)
		return 0;
	n = d->nprox < max ? d->nprox : max;
	if (n > 0)
		memcpy(out, d->prox, n * sizeof(*out));
	return n;
}

int
filter_expire(struct filter_client *fc, int64_t now)
{
	size_t i = 0;
	int removed = 0;

	if (fc == NULL || now < fc->next_expiry)
		return 0;
	while (i < fc->nres) {
		if (fc->res[i].expires <= now) {
			res_remove_at(fc, i);
			removed++;
		} else {
			i++;
		}
	}
	(void)rebuild(fc);
	return removed;
}

int64_t
filter_next_expiry(const struct filter_client *fc)
{
	return fc == NULL ? FILTER_NO_EXPIRY : fc->next_expiry;
}

size_t
filter_count(const struct filter_client *fc)
{
	return fc == NULL ? 0 : fc->nres;
}

int
filter_has(const struct filter_client *fc, const uint8_t id[FILTER_ID_LEN],
    enum filter_res_type *type)
{
	const struct res *r;

	if (fc == NULL || id == NULL || (r = res_find(fc, id)) == NULL)
		return 0;
	if (type != NULL)
		*type = (enum filter_res_type)r->type;
	return 1;
}

int
filter_is_proxy_range(const struct pkt_addr *a)
{
	return addr_in_proxy_range(a->af, a->b);
}

int
filter_is_client_range(const struct pkt_addr *a)
{
	return addr_in_client_range(a->af, a->b);
}

int
filter_is_internet_refused(const struct pkt_addr *a)
{
	static const struct {
		struct pkt_addr net;
		uint8_t plen;
	} refused[] = {
		{ { 4, { 10 } }, 8 },
		{ { 4, { 100, 64 } }, 10 },
		{ { 4, { 127 } }, 8 },
		{ { 4, { 169, 254 } }, 16 },
		{ { 4, { 172, 16 } }, 12 },
		{ { 4, { 192, 168 } }, 16 },
		{ { 4, { 224 } }, 4 },
		{ { 4, { 240 } }, 4 },
		{ { 6, { [15] = 1 } }, 128 },
		{ { 6, { [10] = 0xff, [11] = 0xff } }, 96 },
		{ { 6, { 0xfc } }, 7 },
		{ { 6, { 0xfe, 0x80 } }, 10 },
		{ { 6, { 0xff } }, 8 },
	};
	size_t i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (pkt_addr_in_prefix(a, &refused[i].net, refused[i].plen))
			return 1;
	return 0;
}

int
filter_gateway_set(struct filter_gateway *gw, const uint8_t *v4, const uint8_t *v6)
{
	int err = PKT_OK;

	if (gw == NULL)
		return PKT_E_INVAL;
	memset(gw, 0, sizeof(*gw));
	if (v4 != NULL) {
		pkt_addr_v4(&gw->v4, v4);
		gw->has_v4 = filter_is_client_range(&gw->v4);
	}
	if (v6 != NULL) {
		pkt_addr_v6(&gw->v6, v6);
		gw->has_v6 = filter_is_client_range(&gw->v6);
	}
	if ((v4 != NULL && !gw->has_v4) || (v6 != NULL && !gw->has_v6)) {
		log_warnx("filter: a gateway tunnel address outside the tunnel ranges is ignored");
		err = PKT_E_INVAL;
	}
	return err;
}

static int
is_gateway(const struct filter_gateway *gw, const struct pkt_addr *a)
{
	if (gw == NULL)
		return 0;
	return (gw->has_v4 && pkt_addr_eq(a, &gw->v4)) || (gw->has_v6 && pkt_addr_eq(a, &gw->v6));
}

/* What the gateway serves on its tunnel address: DNS on one port, and echo. */
static int
gateway_serves(const struct pkt_info *pi)
{
	if ((pi->proto == PKT_PROTO_UDP || pi->proto == PKT_PROTO_TCP) && pi->l4_ok)
		return pi->dport == FILTER_GATEWAY_DNS_PORT;
	if (pi->proto == PKT_PROTO_ICMP && pi->version == 4)
		return pi->is_echo && pi->icmp_type == PKT_ICMP4_ECHO_REQUEST;
	if (pi->proto == PKT_PROTO_ICMPV6 && pi->version == 6)
		return pi->is_echo && pi->icmp_type == PKT_ICMP6_ECHO_REQUEST;
	return 0;
}

int
filter_tun_source_ok(const struct filter_gateway *gw, const struct pkt_addr *src)
{
	return !filter_is_client_range(src) || is_gateway(gw, src);
}

static int
port_in(const struct prange *r, uint32_t n, uint16_t port)
{
	uint32_t lo = 0, hi = n;

	/* find the last range with r.lo <= port */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (r[mid].lo <= port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && port <= r[lo - 1].hi;
}

static const struct rule *
lookup(const struct filter_client *fc, const struct pkt_addr *d)
{
	size_t fam = d->af == 4 ? 0 : 1, lo = 0, hi = fc->c.niv[fam];
	const struct ival *iv = fc->c.iv[fam];
	u128 v = addr_to_u128(d);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (iv[mid].lo <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || v > iv[lo - 1].hi)
		return NULL;
	return &fc->c.rules[iv[lo - 1].rule];
}

/* Does compiled rule r admit pi, with `port` its TCP/UDP port?  PKT_OK or PKT_E_DENIED. */
static int
rule_allows_port(const struct filter_client *fc, const struct rule *r, const struct pkt_info *pi,
    uint16_t port)
{
	if (r->permit_all)
		return PKT_OK;
	if (pi->proto == PKT_PROTO_TCP && pi->l4_ok)
		return port_in(fc->c.ranges + r->tcp_off, r->tcp_n, port) ? PKT_OK : PKT_E_DENIED;
	if (pi->proto == PKT_PROTO_UDP && pi->l4_ok)
		return port_in(fc->c.ranges + r->udp_off, r->udp_n, port) ? PKT_OK : PKT_E_DENIED;
	if (pi->proto == PKT_PROTO_ICMP || pi->proto == PKT_PROTO_ICMPV6)
		return r->icmp ? PKT_OK : PKT_E_DENIED;
	return PKT_E_DENIED;
}

/* Does compiled rule r admit client->resource packet pi (its destination port)? */
static int
rule_allows(const struct filter_client *fc, const struct rule *r, const struct pkt_info *pi)
{
	return rule_allows_port(fc, r, pi, pi->dport);
}

/* Grants only: proxy IPs, CIDR rules, the Internet resource and its refused ranges. */
static int
check_grants(struct filter_client *fc, const struct pkt_info *pi, enum filter_deny *why)
{
	const struct rule *r = lookup(fc, &pi->dst);

	if (filter_is_proxy_range(&pi->dst)) {
		/* only a proxy entry counts here, never a CIDR grant around it */
		if (r == NULL || !r->proxy) {
			*why = FILTER_DENY_UNREACHABLE;
			return PKT_E_DENIED;
		}
		return rule_allows(fc, r, pi);
	}
	if (r != NULL && rule_allows(fc, r, pi) == PKT_OK)
		return PKT_OK;
	if (fc->internet) {
		if (!filter_is_internet_refused(&pi->dst))
			return PKT_OK;
		if (r == NULL)
			*why = FILTER_DENY_UNREACHABLE;
	}
	return PKT_E_DENIED;
}

int
filter_check(struct filter_client *fc, const struct filter_gateway *gw,
    const struct pkt_info *pi, int64_t now, enum filter_deny *why)
{
	enum filter_deny dummy;

	if (why == NULL)
		why = &dummy;
	*why = FILTER_DENY_PROHIBITED;
	if (fc == NULL || pi == NULL)
		return PKT_E_DENIED;
	if (pi->version == 4 ? !(fc->has4 && pkt_addr_eq(&pi->src, &fc->tun4)) :
	    !(fc->has6 && pkt_addr_eq(&pi->src, &fc->tun6)))
		return PKT_E_SPOOF;
	if (now >= fc->next_expiry)
		(void)filter_expire(fc, now);
	/* today's clients never fragment: a fragment is an old client's or forged */
	if (pi->is_frag || (pi->version == 6 && pi->proto == PKT_PROTO_IPV6_FRAG))
		return PKT_E_FRAG;
	/* errors are the resource side's to send, never a client's */
	if (pi->is_icmp_err)
		return PKT_E_DENIED;
	if (is_gateway(gw, &pi->dst))
		return gateway_serves(pi) ? PKT_OK : PKT_E_DENIED;
	if (filter_is_client_range(&pi->dst))
		return PKT_E_DENIED;	/* hairpin: never to another client */
	if (fc->broken)
		return PKT_E_DENIED;
	return check_grants(fc, pi, why);
}

/* The ICMP errors that reach a client whatever its grants. */
static int
inbound_icmp_error(const struct pkt_info *pi)
{
	if (!pi->l4_ok)
		return 0;
	if (pi->version == 4 && pi->proto == PKT_PROTO_ICMP)
		return pi->icmp_type == PKT_ICMP4_UNREACH || pi->icmp_type == PKT_ICMP4_TIME_EXCEEDED;
	if (pi->version == 6 && pi->proto == PKT_PROTO_ICMPV6)
		return pi->icmp_type == PKT_ICMP6_UNREACH || pi->icmp_type == PKT_ICMP6_PACKET_TOO_BIG ||
		    pi->icmp_type == PKT_ICMP6_TIME_EXCEEDED;
	return 0;
}

/* A later IPv4 fragment: does rule r admit some port of its protocol? */
static int
rule_allows_fragment(const struct rule *r, const struct pkt_info *pi)
{
	if (r->permit_all)
		return 1;
	if (pi->proto == PKT_PROTO_TCP)
		return r->tcp_n > 0;
	if (pi->proto == PKT_PROTO_UDP)
		return r->udp_n > 0;
	return 0;
}

/* Does compiled rule r (may be NULL) admit resource->client packet pi? */
static int
inbound_rule_allows(const struct filter_client *fc, const struct rule *r,
    const struct pkt_info *pi)
{
	if (r == NULL)
		return 0;
	if (pi->is_later_frag)
		return rule_allows_fragment(r, pi);
	return rule_allows_port(fc, r, pi, pi->sport) == PKT_OK;
}

int
filter_check_inbound(struct filter_client *fc, const struct filter_gateway *gw,
    const struct pkt_info *pi, int64_t now)
{
	const struct rule *r;

	if (fc == NULL || pi == NULL)
		return PKT_E_DENIED;
	if (pi->version == 4 ? !(fc->has4 && pkt_addr_eq(&pi->dst, &fc->tun4)) :
	    !(fc->has6 && pkt_addr_eq(&pi->dst, &fc->tun6)))
		return PKT_E_DENIED;
	if (is_gateway(gw, &pi->src) || inbound_icmp_error(pi))
		return PKT_OK;
	if (filter_is_client_range(&pi->src))
		return PKT_E_DENIED;
	if (now >= fc->next_expiry)
		(void)filter_expire(fc, now);
	if (fc->broken)
		return PKT_E_DENIED;
	r = lookup(fc, &pi->src);
	if (filter_is_proxy_range(&pi->src))
		return r != NULL && r->proxy && inbound_rule_allows(fc, r, pi) ? PKT_OK : PKT_E_DENIED;
	if (inbound_rule_allows(fc, r, pi))
		return PKT_OK;
	if (fc->internet && !filter_is_internet_refused(&pi->src))
		return PKT_OK;
	return PKT_E_DENIED;
}

/* Do r's own filters allow pi (an empty list allows everything)? */
static int
res_allows(const struct res *r, const struct pkt_info *pi)
{
	size_t i;

	if (r->type == FILTER_RES_INTERNET || r->nspecs == 0)
		return 1;
	for (i = 0; i < r->nspecs; i++) {
		const struct filter_spec *s = &r->specs[i];
		if (s->proto == FILTER_ICMP &&
		    (pi->proto == PKT_PROTO_ICMP || pi->proto == PKT_PROTO_ICMPV6))
			return 1;
		if (((s->proto == FILTER_TCP && pi->proto == PKT_PROTO_TCP) ||
		    (s->proto == FILTER_UDP && pi->proto == PKT_PROTO_UDP)) && pi->l4_ok &&
		    pi->dport >= s->port_start && pi->dport <= s->port_end)
			return 1;
	}
	return 0;
}

/* The DNS resource whose names hold proxy a, or NULL. */
static const struct res *
proxy_owner(const struct filter_client *fc, const struct pkt_addr *a)
{
	size_t i, j, k;

	for (i = 0; i < fc->nres; i++) {
		const struct res *r = &fc->res[i];
		if (r->type != FILTER_RES_DNS)
			continue;
		for (j = 0; j < r->ndoms; j++)
			for (k = 0; k < r->doms[j].nprox; k++)
				if (pkt_addr_eq(&r->doms[j].prox[k], a))
					return r;
	}
	return NULL;
}

int
filter_resource_of(const struct filter_client *fc, const struct pkt_info *pi,
    uint8_t id[FILTER_ID_LEN])
{
	const struct res *best = NULL, *any = NULL, *inet = NULL, *r;
	size_t i;

	if (fc == NULL || pi == NULL || id == NULL)
		return 0;
	if (filter_is_proxy_range(&pi->dst)) {
		if ((r = proxy_owner(fc, &pi->dst)) == NULL)
			return 0;
		memcpy(id, r->id, FILTER_ID_LEN);
		return 1;
	}
	for (i = 0; i < fc->nres; i++) {
		r = &fc->res[i];
		if (r->type == FILTER_RES_INTERNET) {
			inet = r;
			continue;
		}
		if (r->type != FILTER_RES_CIDR || !pkt_addr_in_prefix(&pi->dst, &r->net, r->plen))
			continue;
		if (any == NULL || r->plen > any->plen)
			any = r;
		if (res_allows(r, pi) && (best == NULL || r->plen > best->plen))
			best = r;
	}
	if (inet != NULL && filter_is_internet_refused(&pi->dst))
		inet = NULL;
	r = best != NULL ? best : inet != NULL ? inet : any;
	if (r == NULL)
		return 0;
	memcpy(id, r->id, FILTER_ID_LEN);
	return 1;
}
