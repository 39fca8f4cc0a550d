/*
 * fuzz_wg.c - libFuzzer target for the WireGuard cores: wg_noise (with
 * wg_cookie, wg_counter, wg_index, wg_crypto) on arbitrary datagrams.
 *
 * Every input starts from the same state, built with a seeded generator
 * and a fixed clock: our identity L with one configured peer P (the
 * remote identity R, with a PSK), its cookie checker and maker, and one
 * initiation of ours to R outstanding (so responses and cookie replies
 * have an index to land on).
 *
 * The input is a list of records: op (1 byte), dt (1 byte), len (2 bytes,
 * little-endian), then len bytes of datagram (the last record takes what
 * is left).  The clock first advances by dt * 10 ms (dt < 128) or by
 * (dt - 128) * 2 s.  op & 7 says what to do with the datagram:
 *   0  what the glue does: dispatch on wg_message_type(); handshake
 *      messages go through wg_cookie_validate first (its verdict is
 *      recorded, then the message is consumed anyway so mutated messages
 *      reach the Noise code); a consumed initiation is answered, a
 *      consumed response is followed by a keepalive, data is decrypted
 *   1  wg_noise_consume_initiation (+ response)   2  consume_response
 *   3  wg_noise_decrypt                            4  wg_cookie_consume_reply
 *   5  wg_cookie_validate under load (+ cookie reply)
 *   6  encrypt the bytes to P (pad limit from op >> 3), decrypt nothing
 *   7  a new initiation to P (op bit 3: expire every key first)
 *
 * Seeds are real messages from R, made by the same code: run the binary
 * with FZ_WG_WRITE_SEEDS=<dir> and it writes them and exits.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "wg_cookie.h"
#include "wg_crypto.h"
#include "wg_noise.h"

#define T0_MS	1000000ULL
#define WALL0	1700000000

struct side {
	uint64_t seed;
	struct wg_rng rng;
	struct wg_index index;
	struct wg_noise_local local;
	struct wg_noise_peer peer;
	struct wg_cookie_checker checker;
	struct wg_cookie_maker maker;
};

static const uint8_t psk[WG_KEY_LEN] = "fuzz preshared key 0123456789ab";
static const uint8_t src_addr[6] = { 192, 0, 2, 1, 0x12, 0x34 };
static uint8_t r_pub[WG_KEY_LEN];	/* R's public key, computed once */
static uint8_t l_pub[WG_KEY_LEN];

/* Outputs of one record, for the seed writer. */
struct outputs {
	uint8_t	resp[WG_RESPONSE_LEN];
	bool	have_resp;
	uint8_t	ka[WG_DATA_MIN_LEN];
	bool	have_ka;
};

static int
seeded_rng(void *ctx, uint8_t *buf, size_t len)
{
	uint64_t *s = ctx;
	size_t i;

	for (i = 0; i < len; i++) {
		*s ^= *s << 13;
		*s ^= *s >> 7;
		*s ^= *s << 17;
		buf[i] = (uint8_t)(*s >> 24);
	}
	return 0;
}

static struct wg_noise_peer *
lookup_peer(void *ctx, const uint8_t key[WG_KEY_LEN])
{
	struct side *s = ctx;

	return memcmp(s->peer.remote_static, key, WG_KEY_LEN) == 0 ? &s->peer : NULL;
}

static struct timespec
wall_at(uint64_t now)
{
	struct timespec ts;

	ts.tv_sec = WALL0 + (time_t)((now - T0_MS) / 1000);
	ts.tv_nsec = (long)((now - T0_MS) % 1000) * 1000000L;
	return ts;
}

static void
side_init(struct side *s, uint64_t seed, const uint8_t *other_pub)
{
	memset(s, 0, sizeof(*s));
	s->seed = seed;
	s->rng.fn = seeded_rng;
	s->rng.ctx = &s->seed;
	if (wg_index_init(&s->index, 0) != WG_OK ||
	    wg_noise_local_init(&s->local, NULL, &s->index, &s->rng) != WG_OK ||
	    wg_cookie_checker_init(&s->checker, s->local.pub, 0, &s->rng) != WG_OK)
		abort();
	if (other_pub != NULL && (wg_noise_peer_init(&s->peer, &s->local,
	    other_pub, psk, s) != WG_OK ||
	    wg_cookie_maker_init(&s->maker, other_pub) != WG_OK))
		abort();
}

static void
side_free(struct side *s)
{
	wg_noise_peer_wipe(&s->peer);
	if (wg_index_count(&s->index) != 0)
		abort();	/* an index leaked past the peer's wipe */
	wg_index_free(&s->index);
	wg_noise_local_wipe(&s->local);
	wg_cookie_checker_wipe(&s->checker);
	wg_cookie_maker_wipe(&s->maker);
}

#define SEED_L	0x1111111111111111ULL
#define SEED_R	0x2222222222222222ULL

/* L, knowing R, with one initiation to R outstanding (returned in init). */
static void
l_setup(struct side *l, uint8_t init[WG_INITIATION_LEN])
{
	struct timespec w = wall_at(T0_MS);

	side_init(l, SEED_L, r_pub);
	if (wg_noise_create_initiation(&l->peer, T0_MS, &w, init) != WG_OK ||
	    wg_cookie_add_macs(&l->maker, init, WG_INITIATION_LEN, T0_MS) != WG_OK)
		abort();
}

static void
send_keepalive(struct side *l, uint64_t now, struct outputs *o)
{
	uint8_t ka[WG_DATA_MIN_LEN];
	size_t n = 0;
	int rc;

	rc = wg_noise_encrypt(&l->peer, now, NULL, 0, 0, ka, sizeof(ka), &n);
	if (rc == WG_OK) {
		if (n != WG_DATA_MIN_LEN)
			abort();
		if (o != NULL) {
			memcpy(o->ka, ka, n);
			o->have_ka = true;
		}
	}
}

static void
do_initiation(struct side *l, const uint8_t *m, size_t len, uint64_t now,
    struct outputs *o)
{
	struct wg_noise_peer *p = NULL;
	uint8_t resp[WG_RESPONSE_LEN];

	if (wg_noise_consume_initiation(&l->local, m, len, now, lookup_peer, l, &p) != WG_OK)
		return;
	if (p != &l->peer || wg_noise_create_response(p, now, resp) != WG_OK ||
	    wg_cookie_add_macs(&l->maker, resp, sizeof(resp), now) != WG_OK)
		abort();
	if (o != NULL) {
		memcpy(o->resp, resp, sizeof(resp));
		o->have_resp = true;
	}
}

static void
do_response(struct side *l, const uint8_t *m, size_t len, uint64_t now,
    struct outputs *o)
{
	struct wg_noise_peer *p = NULL;

	if (wg_noise_consume_response(&l->local, m, len, now, &p) != WG_OK)
		return;
	if (p != &l->peer || !wg_noise_has_session(p, now))
		abort();
	send_keepalive(l, now, o);
}

static void
do_decrypt(struct side *l, const uint8_t *m, size_t len, uint64_t now)
{
	struct wg_noise_peer *p = NULL;
	bool confirmed = false;
	uint8_t *out;
	size_t outlen = 0;
	int rc;

	/* the exact size the contract asks for: len - 32 */
	out = malloc(len >= WG_DATA_MIN_LEN ? len - WG_DATA_MIN_LEN + 1 : 1);
	if (out == NULL)
		abort();
	rc = wg_noise_decrypt(&l->local, m, len, now, out,
	    len >= WG_DATA_MIN_LEN ? len - WG_DATA_MIN_LEN : 0, &outlen, &p, &confirmed);
	if (rc == WG_OK) {
		if (p != &l->peer || outlen != len - WG_DATA_MIN_LEN)
			abort();
		(void)wg_noise_should_rekey_after_receive(p, now);
	}
	free(out);
}

static void
do_cookie_reply(struct side *l, const uint8_t *m, size_t len, uint64_t now)
{
	struct wg_noise_peer *p;

	if (len >= 8) {
		p = wg_noise_lookup_index(&l->local, wg_noise_get_le32(m + 4));
		if (p != NULL && p != &l->peer)
			abort();
	}
	/* the maker is P's whatever the index says: reach the decryption */
	(void)wg_cookie_consume_reply(&l->maker, m, len, now);
}

static void
do_validate(struct side *l, const uint8_t *m, size_t len, uint64_t now, bool under)
{
	uint8_t reply[WG_COOKIE_REPLY_LEN];
	int rc;

	rc = wg_cookie_validate(&l->checker, m, len, src_addr, sizeof(src_addr), now, under);
	if (rc == WG_ERR_COOKIE_REQUIRED &&
	    wg_cookie_create_reply(&l->checker, m, len, src_addr, sizeof(src_addr),
	    now, reply) != WG_OK)
		abort();
}

static void
do_encrypt(struct side *l, const uint8_t *m, size_t len, uint64_t now, size_t pad)
{
	size_t cap = WG_DATA_MIN_LEN + len + 16, n = 0;
	uint8_t *out = malloc(cap);

	if (out == NULL)
		abort();
	if (wg_noise_encrypt(&l->peer, now, m, len, pad, out, cap, &n) == WG_OK) {
		if (n < WG_DATA_MIN_LEN + len || n > cap)
			abort();
		(void)wg_noise_should_rekey_after_send(&l->peer, now);
	}
	free(out);
}

static void
record(struct side *l, uint8_t op, const uint8_t *m, size_t len, uint64_t now,
    struct outputs *o)
{
	int type;

	switch (op & 7) {
	case 0:
		type = wg_message_type(m, len);
		if (type == WG_MSG_INITIATION || type == WG_MSG_RESPONSE)
			do_validate(l, m, len, now, wg_cookie_under_load(&l->checker, now));
		if (type == WG_MSG_INITIATION)
			do_initiation(l, m, len, now, o);
		else if (type == WG_MSG_RESPONSE)
			do_response(l, m, len, now, o);
		else if (type == WG_MSG_COOKIE_REPLY)
			do_cookie_reply(l, m, len, now);
		else if (type == WG_MSG_DATA)
			do_decrypt(l, m, len, now);
		else if (type != WG_ERR_INVAL)
			abort();
		break;
	case 1:
		do_initiation(l, m, len, now, o);
		break;
	case 2:
		do_response(l, m, len, now, o);
		break;
	case 3:
		do_decrypt(l, m, len, now);
		break;
	case 4:
		do_cookie_reply(l, m, len, now);
		break;
	case 5:
		do_validate(l, m, len, now, true);
		break;
	case 6:
		do_encrypt(l, m, len, now, (size_t)(op >> 3) * 64);
		break;
	case 7: {
		uint8_t init[WG_INITIATION_LEN];
		struct timespec w = wall_at(now);

		if (op & 8)
			wg_noise_expire_keys(&l->peer);
		if (wg_noise_create_initiation(&l->peer, now, &w, init) != WG_OK ||
		    wg_cookie_add_macs(&l->maker, init, sizeof(init), now) != WG_OK)
			abort();
		break;
	}
	}
}

static uint64_t
advance(uint64_t now, uint8_t dt)
{
	return now + (dt < 128 ? (uint64_t)dt * 10 : (uint64_t)(dt - 128) * 2000);
}

static void
compute_keys(void)
{
	struct side s;

	side_init(&s, SEED_R, NULL);
	memcpy(r_pub, s.local.pub, WG_KEY_LEN);
	side_free(&s);
	side_init(&s, SEED_L, NULL);
	memcpy(l_pub, s.local.pub, WG_KEY_LEN);
	side_free(&s);
}

/* ---- seed writer ---------------------------------------------------- */

struct seed {
	uint8_t	buf[4096];
	size_t	len;
};

static void
seed_add(struct seed *sd, uint8_t op, uint8_t dt, const uint8_t *m, size_t len)
{
	if (sd->len + 4 + len > sizeof(sd->buf))
		abort();
	sd->buf[sd->len++] = op;
	sd->buf[sd->len++] = dt;
	sd->buf[sd->len++] = (uint8_t)(len & 0xff);
	sd->buf[sd->len++] = (uint8_t)(len >> 8);
	memcpy(sd->buf + sd->len, m, len);
	sd->len += len;
}

static void
seed_write(const char *dir, const char *name, const struct seed *sd)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(sd->buf, 1, sd->len, f) != sd->len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* R encrypts n bytes of a fake IPv4 packet. */
static size_t
r_data(struct side *r, uint64_t now, size_t n, uint8_t *out, size_t cap)
{
	uint8_t pt[256];
	size_t outlen = 0;

	memset(pt, 0, sizeof(pt));
	pt[0] = 0x45;
	pt[2] = (uint8_t)(n >> 8);
	pt[3] = (uint8_t)n;
	if (wg_noise_encrypt(&r->peer, now, pt, n, 1420, out, cap, &outlen) != WG_OK)
		abort();
	return outlen;
}

static void
write_seeds(const char *dir)
{
	static struct side l, r;
	struct seed sd;
	struct outputs o;
	struct wg_noise_peer *p;
	uint8_t l_init[WG_INITIATION_LEN], r_init[WG_INITIATION_LEN];
	uint8_t resp[WG_RESPONSE_LEN], cookie[WG_COOKIE_REPLY_LEN], data[512];
	struct timespec w;
	uint64_t now;
	bool conf;
	size_t n;

	/* 1: R initiates; L answers; R sends data (and a replay, a keepalive) */
	l_setup(&l, l_init);
	side_init(&r, SEED_R, l_pub);
	memset(&sd, 0, sizeof(sd));
	now = T0_MS + 1000;
	w = wall_at(now);
	if (wg_noise_create_initiation(&r.peer, now, &w, r_init) != WG_OK ||
	    wg_cookie_add_macs(&r.maker, r_init, sizeof(r_init), now) != WG_OK)
		abort();
	seed_add(&sd, 0, 100, r_init, sizeof(r_init));
	memset(&o, 0, sizeof(o));
	record(&l, 0, r_init, sizeof(r_init), advance(T0_MS, 100), &o);
	if (!o.have_resp || wg_noise_consume_response(&r.local, o.resp, sizeof(o.resp), now, &p) != WG_OK)
		abort();
	n = r_data(&r, now, 60, data, sizeof(data));
	seed_add(&sd, 0, 1, data, n);
	seed_add(&sd, 3, 1, data, n);	/* replay */
	n = r_data(&r, now, 0, data, sizeof(data));
	seed_add(&sd, 0, 1, data, n);
	n = r_data(&r, now, 200, data, sizeof(data));
	seed_add(&sd, 0, 130, data, n);
	seed_write(dir, "r_initiates_then_data", &sd);

	/* 2: the same initiation twice (replay), then from a second peer key */
	memset(&sd, 0, sizeof(sd));
	seed_add(&sd, 0, 100, r_init, sizeof(r_init));
	seed_add(&sd, 1, 100, r_init, sizeof(r_init));
	seed_add(&sd, 5, 0, r_init, sizeof(r_init));
	seed_write(dir, "initiation_replay_under_load", &sd);
	side_free(&l);
	side_free(&r);

	/* 3: L's initiation answered by R; L sends a keepalive; R answers with data */
	l_setup(&l, l_init);
	side_init(&r, SEED_R, l_pub);
	memset(&sd, 0, sizeof(sd));
	now = T0_MS + 500;
	if (wg_noise_consume_initiation(&r.local, l_init, sizeof(l_init), now, lookup_peer, &r, &p) != WG_OK ||
	    wg_noise_create_response(&r.peer, now, resp) != WG_OK ||
	    wg_cookie_add_macs(&r.maker, resp, sizeof(resp), now) != WG_OK)
		abort();
	seed_add(&sd, 0, 50, resp, sizeof(resp));
	memset(&o, 0, sizeof(o));
	record(&l, 0, resp, sizeof(resp), advance(T0_MS, 50), &o);
	if (!o.have_ka || wg_noise_decrypt(&r.local, o.ka, sizeof(o.ka), now, data,
	    sizeof(data), &n, &p, &conf) != WG_OK || !conf)
		abort();
	n = r_data(&r, now, 40, data, sizeof(data));
	seed_add(&sd, 0, 1, data, n);
	seed_add(&sd, 6, 1, data, 40);	/* L sends something back */
	seed_add(&sd, 7 | 8, 200, data, 0);	/* expire, initiate again */
	seed_add(&sd, 3, 1, data, n);
	seed_write(dir, "l_initiates_response_data", &sd);
	side_free(&l);
	side_free(&r);

	/* 4: R under load answers L's initiation with a cookie reply */
	l_setup(&l, l_init);
	side_init(&r, SEED_R, l_pub);
	memset(&sd, 0, sizeof(sd));
	if (wg_cookie_create_reply(&r.checker, l_init, sizeof(l_init), src_addr,
	    sizeof(src_addr), T0_MS, cookie) != WG_OK)
		abort();
	seed_add(&sd, 0, 10, cookie, sizeof(cookie));
	seed_add(&sd, 7, 10, data, 0);	/* new initiation, now with mac2 */
	seed_add(&sd, 4, 10, cookie, sizeof(cookie));
	seed_write(dir, "cookie_reply", &sd);
	side_free(&l);
	side_free(&r);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FZ_WG_WRITE_SEEDS");

	(void)argc;
	(void)argv;
	log_init("fuzz", LOG_LVL_ERROR, LOG_FMT_TEXT);
	compute_keys();
	if (dir != NULL) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct side l;
	uint8_t init[WG_INITIATION_LEN];
	uint64_t now = T0_MS;

	l_setup(&l, init);
	while (size >= 4) {
		uint8_t op = data[0], dt = data[1];
		size_t len = (size_t)data[2] | ((size_t)data[3] << 8);
		uint8_t *m;

		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		/* a copy of exactly len bytes, so ASan sees any overread */
		m = malloc(len > 0 ? len : 1);
		if (m == NULL)
			abort();
		memcpy(m, data, len);
		now = advance(now, dt);
		record(&l, op, m, len, now, NULL);
		free(m);
		data += len;
		size -= len;
	}
	side_free(&l);
	return 0;
}
