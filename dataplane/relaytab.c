/*
 * relaytab.c - relay servers and TURN channels.
 */
#include "relaytab.h"

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "util.h"

static uint32_t
hash_key(const struct ipc_addr *s, uint16_t ch)
{
	uint32_t h = util_fnv1a(UTIL_FNV_INIT, s->addr, s->family == 4 ? 4 : 16);

	h = util_fnv1a(h, &s->port, sizeof(s->port));
	return util_fnv1a(h, &ch, sizeof(ch)) & (RELAYTAB_BUCKETS - 1);
}

void
relaytab_init(struct relaytab *t)
{
	memset(t, 0, sizeof(*t));
}

static void
drop_channels(struct relaytab *t, const struct ipc_addr *server)
{
	struct relay_chan **pp, *c;
	size_t i;

	for (i = 0; i < RELAYTAB_BUCKETS; i++) {
		for (pp = &t->b[i]; (c = *pp) != NULL;) {
			if (server == NULL || addr_equal(&c->server, server)) {
				*pp = c->next;
				free(c);
				t->n_channels--;
			} else {
				pp = &c->next;
			}
		}
	}
}

void
relaytab_free(struct relaytab *t)
{
	drop_channels(t, NULL);
	memset(t, 0, sizeof(*t));
}

int
relaytab_is_server(const struct relaytab *t, const struct ipc_addr *a)
{
	size_t i;

	for (i = 0; i < t->n_servers; i++)
		if (addr_equal(&t->servers[i], a))
			return 1;
	return 0;
}

int
relaytab_server(struct relaytab *t, const struct ipc_addr *server, int add)
{
	size_t i;

	for (i = 0; i < t->n_servers; i++)
		if (addr_equal(&t->servers[i], server))
			break;
	if (add) {
		if (i < t->n_servers)
			return 0;
		if (t->n_servers >= RELAYTAB_SERVERS_MAX)
			return -1;
		t->servers[t->n_servers++] = *server;
		return 0;
	}
	if (i == t->n_servers)
		return 0;
	t->servers[i] = t->servers[--t->n_servers];
	drop_channels(t, server);
	return 0;
}

const struct relay_chan *
relaytab_lookup(const struct relaytab *t, const struct ipc_addr *server, uint16_t channel)
{
	const struct relay_chan *c;

	for (c = t->b[hash_key(server, channel)]; c != NULL; c = c->next)
		if (c->channel == channel && addr_equal(&c->server, server))
			return c;
	return NULL;
}

int
relaytab_channel(struct relaytab *t, const struct ipc_c2d_channel *ch)
{
	uint32_t h = hash_key(&ch->server, ch->channel);
	struct relay_chan **pp, *c;

	for (pp = &t->b[h]; (c = *pp) != NULL; pp = &c->next)
		if (c->channel == ch->channel && addr_equal(&c->server, &ch->server))
			break;
	if (!ch->bound) {
		if (c != NULL) {
			*pp = c->next;
			free(c);
			t->n_channels--;
		}
		return 0;
	}
	if (!relaytab_is_server(t, &ch->server))
		return RELAYTAB_EUNKNOWN;
	if (c == NULL) {
		if (t->n_channels >= RELAYTAB_CHANNELS_MAX)
			return RELAYTAB_EFULL;
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return RELAYTAB_ENOMEM;
		c->next = t->b[h];
		t->b[h] = c;
		t->n_channels++;
	}
	c->server = ch->server;
	c->channel = ch->channel;
	c->peer = ch->peer;
	c->relayed = ch->relayed;
	return 0;
}

int
relaytab_decode(const uint8_t *p, size_t n, uint16_t *channel, const uint8_t **payload, size_t *len)
{
	size_t l;

	if (n < RELAYTAB_CD_HDR || p[0] < 0x40 || p[0] > 0x4F)
		return -1;
	l = (size_t)((p[2] << 8) | p[3]);
	if (l > n - RELAYTAB_CD_HDR)
		return -1;
	*channel = (uint16_t)((p[0] << 8) | p[1]);
	*payload = p + RELAYTAB_CD_HDR;
	*len = l;
	return 0;
}

long
relaytab_encode(uint16_t channel, const uint8_t *payload, size_t len, uint8_t *out, size_t cap)
{
	if (channel < 0x4000 || channel > 0x4FFF || len > 0xFFFF || cap < RELAYTAB_CD_HDR ||
	    len > cap - RELAYTAB_CD_HDR)
		return -1;
	out[0] = (uint8_t)(channel >> 8);
	out[1] = (uint8_t)channel;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	if (len > 0)
		memcpy(out + RELAYTAB_CD_HDR, payload, len);
	return (long)(len + RELAYTAB_CD_HDR);
}
