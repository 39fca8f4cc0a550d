/*
 * wg_noise.c - Noise_IKpsk2 handshake and transport messages for WireGuard.
 *
 * The handshake follows the WireGuard whitepaper, section 5.4; each step
 * is marked with its Noise token (e, es, s, ss, e, ee, se, psk).  All
 * intermediate secrets live in one struct hs_tmp on the stack and are
 * wiped on every return path.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "wg_crypto.h"
#include "wg_noise.h"

static const char construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const char identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";

/* Message layouts (byte offsets). */
#define INIT_SENDER	4
#define INIT_EPHEMERAL	8
#define INIT_STATIC	40
#define INIT_TIMESTAMP	88
#define INIT_MAC1	116
#define RESP_SENDER	4
#define RESP_RECEIVER	8
#define RESP_EPHEMERAL	12
#define RESP_EMPTY	44
#define RESP_MAC1	60
#define DATA_RECEIVER	4
#define DATA_COUNTER	8

#define ENC_STATIC_LEN	(WG_KEY_LEN + WG_TAG_LEN)
#define ENC_TS_LEN	(WG_TAI64N_LEN + WG_TAG_LEN)

/* Round the timestamp's nanoseconds down to a multiple of 2^24 (~16.8 ms). */
#define TIMESTAMP_NSEC_MASK	(~(long)((1L << 24) - 1))

/* Every secret an operation handles, wiped as one block. */
struct hs_tmp {
	uint8_t ck[WG_HASH_LEN];
	uint8_t h[WG_HASH_LEN];
	uint8_t key[WG_KEY_LEN];
	uint8_t dh[WG_KEY_LEN];
	uint8_t e_priv[WG_KEY_LEN];
	uint8_t e_pub[WG_KEY_LEN];
	uint8_t tau[WG_HASH_LEN];
	uint8_t remote_s[WG_KEY_LEN];
	uint8_t ts[WG_TAI64N_LEN];
	uint8_t t1[WG_KEY_LEN];
	uint8_t t2[WG_KEY_LEN];
};

static void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

uint32_t
wg_noise_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
put_le64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* h = HASH(h || data) */
static int
mix_hash(uint8_t h[WG_HASH_LEN], const uint8_t *data, size_t len)
{
	return wg_crypto_hash2(h, h, WG_HASH_LEN, data, len);
}

/* ck, h = the protocol's initial values, then h = HASH(h || responder static). */
static int
initial_state(struct hs_tmp *t, const uint8_t responder_static[WG_KEY_LEN])
{
	int rc;

	if ((rc = wg_crypto_hash(t->ck, construction, strlen(construction))) != WG_OK)
		return rc;
	if ((rc = wg_crypto_hash2(t->h, t->ck, WG_HASH_LEN, identifier,
	    strlen(identifier))) != WG_OK)
		return rc;
	return mix_hash(t->h, responder_static, WG_KEY_LEN);
}

/* ---- identities ---- */

int
wg_noise_local_init(struct wg_noise_local *l, const uint8_t *priv,
    struct wg_index *index, const struct wg_rng *rng)
{
	int rc;

	memset(l, 0, sizeof(*l));
	l->index = index;
	if (rng != NULL)
		l->rng = *rng;
	if (priv == NULL)
		rc = wg_crypto_x25519_keygen(l->priv, l->pub, &l->rng);
	else {
		memcpy(l->priv, priv, WG_KEY_LEN);
		wg_crypto_x25519_clamp(l->priv);
		rc = wg_crypto_x25519_public(l->pub, l->priv);
	}
	if (rc != WG_OK)
		wg_noise_local_wipe(l);
	return rc;
}

void
wg_noise_local_wipe(struct wg_noise_local *l)
{
	OPENSSL_cleanse(l->priv, sizeof(l->priv));
}

int
wg_noise_peer_init(struct wg_noise_peer *p, struct wg_noise_local *l,
    const uint8_t remote_static[WG_KEY_LEN], const uint8_t *psk, void *user)
{
	int rc;

	memset(p, 0, sizeof(*p));
	p->local = l;
	p->user = user;
	memcpy(p->remote_static, remote_static, WG_KEY_LEN);
	if (psk != NULL)
		memcpy(p->psk, psk, WG_KEY_LEN);
	wg_counter_init(&p->cur.replay);
	wg_counter_init(&p->prev.replay);
	wg_counter_init(&p->next.replay);
	if ((rc = wg_crypto_x25519(p->ss, l->priv, remote_static)) != WG_OK)
		OPENSSL_cleanse(p, sizeof(*p));
	return rc;
}

static void
drop_index(struct wg_noise_peer *p, uint32_t *idx)
{
	if (*idx != 0 && p->local != NULL && p->local->index != NULL &&
	    wg_index_lookup(p->local->index, *idx) == p)
		wg_index_remove(p->local->index, *idx);
	*idx = 0;
}

static void
keypair_drop(struct wg_noise_peer *p, struct wg_noise_keypair *kp)
{
	if (kp->valid)
		drop_index(p, &kp->local_index);
	OPENSSL_cleanse(kp, sizeof(*kp));
	wg_counter_init(&kp->replay);
}

static void
keypair_move(struct wg_noise_keypair *dst, struct wg_noise_keypair *src)
{
	memcpy(dst, src, sizeof(*dst));
	OPENSSL_cleanse(src, sizeof(*src));
	wg_counter_init(&src->replay);
}

void
wg_noise_clear_handshake(struct wg_noise_peer *p)
{
	if (p->hs.state == WG_NOISE_HS_INITIATION_SENT)
		drop_index(p, &p->hs.local_index);
	OPENSSL_cleanse(&p->hs, sizeof(p->hs));
	p->hs.state = WG_NOISE_HS_NONE;
}

void
wg_noise_expire_keys(struct wg_noise_peer *p)
{
	wg_noise_clear_handshake(p);
	keypair_drop(p, &p->cur);
	keypair_drop(p, &p->prev);
	keypair_drop(p, &p->next);
}

void
wg_noise_peer_wipe(struct wg_noise_peer *p)
{
	wg_noise_expire_keys(p);
	OPENSSL_cleanse(p, sizeof(*p));
}

struct wg_noise_peer *
wg_noise_lookup_index(const struct wg_noise_local *l, uint32_t idx)
{
	if (l->index == NULL)
		return NULL;
	return wg_index_lookup(l->index, idx);
}

/*
 * Install freshly derived transport keys.  The initiator uses them at
 * once (current -> previous); the responder keeps them as `next` until
 * the initiator proves it has them by sending data.
 */
static void
install_keypair(struct wg_noise_peer *p, struct wg_noise_keypair *kp)
{
	if (kp->initiator) {
		keypair_drop(p, &p->prev);
		if (p->next.valid) {
			/* An unconfirmed responder keypair is the best fallback. */
			keypair_move(&p->prev, &p->next);
			keypair_drop(p, &p->cur);
		} else
			keypair_move(&p->prev, &p->cur);
		keypair_move(&p->cur, kp);
	} else {
		keypair_drop(p, &p->next);
		keypair_drop(p, &p->prev);
		keypair_move(&p->next, kp);
	}
}

/* (T_i->r, T_r->i) = KDF2(ck, empty); pick send/receive by role. */
static int
derive_keypair(struct wg_noise_peer *p, struct hs_tmp *t, bool initiator,
    uint32_t local_index, uint32_t remote_index, uint64_t now_ms)
{
	struct wg_noise_keypair kp;
	int rc;

	if ((rc = wg_crypto_kdf(t->t1, t->t2, NULL, t->ck, NULL, 0)) != WG_OK)
		return rc;
	memset(&kp, 0, sizeof(kp));
	wg_counter_init(&kp.replay);
	kp.valid = true;
	kp.initiator = initiator;
	kp.local_index = local_index;
	kp.remote_index = remote_index;
	kp.birth_ms = now_ms;
	memcpy(kp.send_key, initiator ? t->t1 : t->t2, WG_KEY_LEN);
	memcpy(kp.recv_key, initiator ? t->t2 : t->t1, WG_KEY_LEN);
	install_keypair(p, &kp);
	OPENSSL_cleanse(&kp, sizeof(kp));
	return WG_OK;
}

/* ---- initiation ---- */

int
wg_noise_create_initiation(struct wg_noise_peer *p, uint64_t now_ms,
    const struct timespec *wall, uint8_t out[WG_INITIATION_LEN])
{
	struct wg_noise_local *l = p->local;
	struct timespec rounded = *wall;
	struct hs_tmp t;
	uint32_t idx = 0;
	int rc;

	wg_noise_clear_handshake(p);
	memset(out, 0, WG_INITIATION_LEN);
	memset(&t, 0, sizeof(t));
	if ((rc = initial_state(&t, p->remote_static)) != WG_OK)
		goto out;
	if ((rc = wg_index_add(l->index, p, &l->rng, &idx)) != WG_OK)
		goto out;
	out[0] = WG_MSG_INITIATION;
	put_le32(out + INIT_SENDER, idx);

	/* e: fresh ephemeral, sent in clear; ck = KDF1(ck, e_pub) */
	if ((rc = wg_crypto_x25519_keygen(t.e_priv, t.e_pub, &l->rng)) != WG_OK)
		goto out;
	memcpy(out + INIT_EPHEMERAL, t.e_pub, WG_KEY_LEN);
	if ((rc = mix_hash(t.h, t.e_pub, WG_KEY_LEN)) != WG_OK ||
	    (rc = wg_crypto_kdf(t.ck, NULL, NULL, t.ck, t.e_pub, WG_KEY_LEN)) != WG_OK)
		goto out;

	/* es: DH(e_priv, S_r) */
	if ((rc = wg_crypto_x25519(t.dh, t.e_priv, p->remote_static)) != WG_OK ||
	    (rc = wg_crypto_kdf(t.ck, t.key, NULL, t.ck, t.dh, WG_KEY_LEN)) != WG_OK)
		goto out;

	/* s: our static public key, encrypted */
	if ((rc = wg_crypto_aead_seal(out + INIT_STATIC, l->pub, WG_KEY_LEN,
	    t.h, WG_HASH_LEN, 0, t.key)) != WG_OK ||
	    (rc = mix_hash(t.h, out + INIT_STATIC, ENC_STATIC_LEN)) != WG_OK)
		goto out;

	/* ss: DH(S_i, S_r), precomputed */
	if ((rc = wg_crypto_kdf(t.ck, t.key, NULL, t.ck, p->ss, WG_KEY_LEN)) != WG_OK)
		goto out;

	/* payload: encrypted TAI64N timestamp */
	rounded.tv_nsec &= TIMESTAMP_NSEC_MASK;
	wg_crypto_tai64n(t.ts, &rounded);
	if ((rc = wg_crypto_aead_seal(out + INIT_TIMESTAMP, t.ts, WG_TAI64N_LEN,
	    t.h, WG_HASH_LEN, 0, t.key)) != WG_OK ||
	    (rc = mix_hash(t.h, out + INIT_TIMESTAMP, ENC_TS_LEN)) != WG_OK)
		goto out;

	p->hs.state = WG_NOISE_HS_INITIATION_SENT;
	p->hs.local_index = idx;
	p->hs.remote_index = 0;
	p->hs.created_ms = now_ms;
	memcpy(p->hs.ck, t.ck, WG_HASH_LEN);
	memcpy(p->hs.h, t.h, WG_HASH_LEN);
	memcpy(p->hs.e_priv, t.e_priv, WG_KEY_LEN);
	idx = 0;
	rc = WG_OK;
out:
	if (idx != 0)
		wg_index_remove(l->index, idx);
	if (rc != WG_OK)
		OPENSSL_cleanse(out, WG_INITIATION_LEN);
	OPENSSL_cleanse(&t, sizeof(t));
	return rc;
}

int
wg_noise_consume_initiation(struct wg_noise_local *l, const uint8_t *msg,
    size_t len, uint64_t now_ms, wg_noise_lookup_fn lookup, void *ctx,
    struct wg_noise_peer **peer_out)
{
	struct wg_noise_peer *p = NULL;
	struct hs_tmp t;
	int rc;

	*peer_out = NULL;
	if (wg_message_type(msg, len) != WG_MSG_INITIATION)
		return WG_ERR_INVAL;
	memset(&t, 0, sizeof(t));
	if ((rc = initial_state(&t, l->pub)) != WG_OK)
		goto out;

	/* e: their ephemeral */
	if ((rc = mix_hash(t.h, msg + INIT_EPHEMERAL, WG_KEY_LEN)) != WG_OK ||
	    (rc = wg_crypto_kdf(t.ck, NULL, NULL, t.ck, msg + INIT_EPHEMERAL,
	    WG_KEY_LEN)) != WG_OK)
		goto out;

	/* es: DH(S_r, E_i) */
	if ((rc = wg_crypto_x25519(t.dh, l->priv, msg + INIT_EPHEMERAL)) != WG_OK ||
	    (rc = wg_crypto_kdf(t.ck, t.key, NULL, t.ck, t.dh, WG_KEY_LEN)) != WG_OK)
		goto out;

	/* s: decrypt the initiator's static key */
	if (!wg_crypto_aead_open(t.remote_s, msg + INIT_STATIC, ENC_STATIC_LEN,
	    t.h, WG_HASH_LEN, 0, t.key)) {
		rc = WG_ERR_DECRYPT;
		goto out;
	}
	if ((rc = mix_hash(t.h, msg + INIT_STATIC, ENC_STATIC_LEN)) != WG_OK)
		goto out;
	if ((p = lookup(ctx, t.remote_s)) == NULL ||
	    !wg_crypto_equal(p->remote_static, t.remote_s, WG_KEY_LEN)) {
		p = NULL;
		rc = WG_ERR_UNKNOWN_PEER;
		goto out;
	}

	/* ss: DH(S_r, S_i), precomputed */
	if ((rc = wg_crypto_kdf(t.ck, t.key, NULL, t.ck, p->ss, WG_KEY_LEN)) != WG_OK)
		goto out;

	/* payload: timestamp */
	if (!wg_crypto_aead_open(t.ts, msg + INIT_TIMESTAMP, ENC_TS_LEN,
	    t.h, WG_HASH_LEN, 0, t.key)) {
		rc = WG_ERR_DECRYPT;
		goto out;
	}
	if ((rc = mix_hash(t.h, msg + INIT_TIMESTAMP, ENC_TS_LEN)) != WG_OK)
		goto out;

	/* Replay: the big-endian TAI64N must grow strictly. */
	if (memcmp(t.ts, p->latest_timestamp, WG_TAI64N_LEN) <= 0) {
		rc = WG_ERR_REPLAY;
		goto out;
	}
	if (p->have_initiation &&
	    now_ms - p->last_initiation_ms < WG_NOISE_MIN_INITIATION_INTERVAL_MS) {
		rc = WG_ERR_FLOOD;
		goto out;
	}

	/* Authenticated and fresh: commit. */
	memcpy(p->latest_timestamp, t.ts, WG_TAI64N_LEN);
	p->last_initiation_ms = now_ms;
	p->have_initiation = true;
	wg_noise_clear_handshake(p);
	p->hs.state = WG_NOISE_HS_INITIATION_CONSUMED;
	p->hs.remote_index = wg_noise_get_le32(msg + INIT_SENDER);
	p->hs.created_ms = now_ms;
	memcpy(p->hs.ck, t.ck, WG_HASH_LEN);
	memcpy(p->hs.h, t.h, WG_HASH_LEN);
	memcpy(p->hs.remote_e, msg + INIT_EPHEMERAL, WG_KEY_LEN);
	*peer_out = p;
	rc = WG_OK;
out:
	OPENSSL_cleanse(&t, sizeof(t));
	return rc;
}

/* ---- response ---- */

int
wg_noise_create_response(struct wg_noise_peer *p, uint64_t now_ms,
    uint8_t out[WG_RESPONSE_LEN])
{
	struct wg_noise_local *l = p->local;
	struct hs_tmp t;
	uint32_t idx = 0;
	int rc;

	if (p->hs.state != WG_NOISE_HS_INITIATION_CONSUMED)
		return WG_ERR_STATE;
	memset(out, 0, WG_RESPONSE_LEN);
	memset(&t, 0, sizeof(t));
	memcpy(t.ck, p->hs.ck, WG_HASH_LEN);
	memcpy(t.h, p->hs.h, WG_HASH_LEN);
	if ((rc = wg_index_add(l->index, p, &l->rng, &idx)) != WG_OK)
		goto out;
	out[0] = WG_MSG_RESPONSE;
	put_le32(out + RESP_SENDER, idx);
	put_le32(out + RESP_RECEIVER, p->hs.remote_index);

	/* e: our ephemeral */
	if ((rc = wg_crypto_x25519_keygen(t.e_priv, t.e_pub, &l->rng)) != WG_OK)
		goto out;
	memcpy(out + RESP_EPHEMERAL, t.e_pub, WG_KEY_LEN);
	if ((rc = mix_hash(t.h, t.e_pub, WG_KEY_LEN)) != WG_OK ||
	    (rc = wg_crypto_kdf(t.ck, NULL, NULL, t.ck, t.e_pub, WG_KEY_LEN)) != WG_OK)
		goto out;

	/* ee: DH(E_r, E_i) */
	if ((rc = wg_crypto_x25519(t.dh, t.e_priv, p->hs.remote_e)) != WG_OK ||
	    (rc = wg_crypto_kdf(t.ck, NULL, NULL, t.ck, t.dh, WG_KEY_LEN)) != WG_OK)
		goto out;

	/* se: DH(E_r, S_i) */
	if ((rc = wg_crypto_x25519(t.dh, t.e_priv, p->remote_static)) != WG_OK ||
	    (rc = wg_crypto_kdf(t.ck, NULL, NULL, t.ck, t.dh, WG_KEY_LEN)) != WG_OK)
		goto out;

	/* psk: (ck, tau, key) = KDF3(ck, Q); h = HASH(h || tau) */
	if ((rc = wg_crypto_kdf(t.ck, t.tau, t.key, t.ck, p->psk, WG_KEY_LEN)) != WG_OK ||
	    (rc = mix_hash(t.h, t.tau, WG_HASH_LEN)) != WG_OK)
		goto out;

	/* payload: empty, only the tag */
	if ((rc = wg_crypto_aead_seal(out + RESP_EMPTY, NULL, 0, t.h,
	    WG_HASH_LEN, 0, t.key)) != WG_OK ||
	    (rc = mix_hash(t.h, out + RESP_EMPTY, WG_TAG_LEN)) != WG_OK)
		goto out;

	if ((rc = derive_keypair(p, &t, false, idx, p->hs.remote_index,
	    now_ms)) != WG_OK)
		goto out;
	idx = 0;	/* now owned by the `next` keypair */
	OPENSSL_cleanse(&p->hs, sizeof(p->hs));
	p->hs.state = WG_NOISE_HS_NONE;
	rc = WG_OK;
out:
	if (idx != 0)
		wg_index_remove(l->index, idx);
	if (rc != WG_OK)
		OPENSSL_cleanse(out, WG_RESPONSE_LEN);
	OPENSSL_cleanse(&t, sizeof(t));
	return rc;
}

int
wg_noise_consume_response(struct wg_noise_local *l, const uint8_t *msg,
    size_t len, uint64_t now_ms, struct wg_noise_peer **peer_out)
{
	struct wg_noise_peer *p;
	struct hs_tmp t;
	uint32_t receiver;
	int rc;

	*peer_out = NULL;
	if (wg_message_type(msg, len) != WG_MSG_RESPONSE)
		return WG_ERR_INVAL;
	receiver = wg_noise_get_le32(msg + RESP_RECEIVER);
	if ((p = wg_noise_lookup_index(l, receiver)) == NULL)
		return WG_ERR_UNKNOWN_PEER;
	if (p->hs.state != WG_NOISE_HS_INITIATION_SENT ||
	    p->hs.local_index != receiver)
		return WG_ERR_STATE;
	memset(&t, 0, sizeof(t));
	memcpy(t.ck, p->hs.ck, WG_HASH_LEN);
	memcpy(t.h, p->hs.h, WG_HASH_LEN);

	/* e: their ephemeral */
	if ((rc = mix_hash(t.h, msg + RESP_EPHEMERAL, WG_KEY_LEN)) != WG_OK ||
	    (rc = wg_crypto_kdf(t.ck, NULL, NULL, t.ck, msg + RESP_EPHEMERAL,
	    WG_KEY_LEN)) != WG_OK)
		goto out;

	/* ee: DH(E_i, E_r) */
	if ((rc = wg_crypto_x25519(t.dh, p->hs.e_priv, msg + RESP_EPHEMERAL)) != WG_OK ||
	    (rc = wg_crypto_kdf(t.ck, NULL, NULL, t.ck, t.dh, WG_KEY_LEN)) != WG_OK)
		goto out;

	/* se: DH(S_i, E_r) */
	if ((rc = wg_crypto_x25519(t.dh, l->priv, msg + RESP_EPHEMERAL)) != WG_OK ||
	    (rc = wg_crypto_kdf(t.ck, NULL, NULL, t.ck, t.dh, WG_KEY_LEN)) != WG_OK)
		goto out;

	/* psk */
	if ((rc = wg_crypto_kdf(t.ck, t.tau, t.key, t.ck, p->psk, WG_KEY_LEN)) != WG_OK ||
	    (rc = mix_hash(t.h, t.tau, WG_HASH_LEN)) != WG_OK)
		goto out;

	/* payload: empty; the tag proves the responder derived the same keys */
	if (!wg_crypto_aead_open(NULL, msg + RESP_EMPTY, WG_TAG_LEN, t.h,
	    WG_HASH_LEN, 0, t.key)) {
		rc = WG_ERR_DECRYPT;
		goto out;
	}
	if ((rc = mix_hash(t.h, msg + RESP_EMPTY, WG_TAG_LEN)) != WG_OK)
		goto out;

	if ((rc = derive_keypair(p, &t, true, receiver,
	    wg_noise_get_le32(msg + RESP_SENDER), now_ms)) != WG_OK)
		goto out;
	/* The index now belongs to the current keypair. */
	OPENSSL_cleanse(&p->hs, sizeof(p->hs));
	p->hs.state = WG_NOISE_HS_NONE;
	*peer_out = p;
	rc = WG_OK;
out:
	OPENSSL_cleanse(&t, sizeof(t));
	return rc;
}

/* ---- transport data ---- */

static bool
keypair_expired(const struct wg_noise_keypair *kp, uint64_t now_ms)
{
	return now_ms - kp->birth_ms >= WG_REJECT_AFTER_TIME_MS;
}

bool
wg_noise_has_session(const struct wg_noise_peer *p, uint64_t now_ms)
{
	return p->cur.valid && !keypair_expired(&p->cur, now_ms);
}

bool
wg_noise_should_rekey_after_send(const struct wg_noise_peer *p, uint64_t now_ms)
{
	return p->cur.valid && p->cur.initiator &&
	    (now_ms - p->cur.birth_ms >= WG_REKEY_AFTER_TIME_MS ||
	    p->cur.send_counter >= WG_REKEY_AFTER_MESSAGES);
}

bool
wg_noise_should_rekey_after_receive(const struct wg_noise_peer *p, uint64_t now_ms)
{
	return p->cur.valid && p->cur.initiator &&
	    now_ms - p->cur.birth_ms >= (uint64_t)WG_REJECT_AFTER_TIME_MS -
	    WG_KEEPALIVE_TIMEOUT_MS - WG_REKEY_TIMEOUT_MS;
}

int
wg_noise_encrypt(struct wg_noise_peer *p, uint64_t now_ms,
    const uint8_t *pt, size_t ptlen, size_t pad_limit, uint8_t *out,
    size_t outcap, size_t *outlen)
{
	struct wg_noise_keypair *kp = &p->cur;
	size_t padded = ptlen;
	uint64_t counter;

	*outlen = 0;
	if (!kp->valid)
		return WG_ERR_NO_SESSION;
	if (keypair_expired(kp, now_ms) ||
	    kp->send_counter >= WG_REJECT_AFTER_MESSAGES)
		return WG_ERR_EXPIRED;
	if (ptlen % 16 != 0 && ptlen < pad_limit) {
		padded = (ptlen + 15) & ~(size_t)15;
		if (padded > pad_limit)
			padded = pad_limit;
	}
	if (ptlen > SIZE_MAX - WG_DATA_MIN_LEN - 16 ||
	    outcap < WG_DATA_MIN_LEN + padded)
		return WG_ERR_FULL;
	counter = kp->send_counter++;
	if (ptlen > 0)
		memmove(out + WG_DATA_HEADER_LEN, pt, ptlen);
	memset(out + WG_DATA_HEADER_LEN + ptlen, 0, padded - ptlen);
	out[0] = WG_MSG_DATA;
	out[1] = out[2] = out[3] = 0;
	put_le32(out + DATA_RECEIVER, kp->remote_index);
	put_le64(out + DATA_COUNTER, counter);
	if (wg_crypto_aead_seal(out + WG_DATA_HEADER_LEN, out + WG_DATA_HEADER_LEN,
	    padded, NULL, 0, counter, kp->send_key) != WG_OK) {
		OPENSSL_cleanse(out, WG_DATA_MIN_LEN + padded);
		return WG_ERR_CRYPTO;
	}
	*outlen = WG_DATA_MIN_LEN + padded;
	return WG_OK;
}

int
wg_noise_decrypt(struct wg_noise_local *l, const uint8_t *msg, size_t len,
    uint64_t now_ms, uint8_t *out, size_t outcap, size_t *outlen,
    struct wg_noise_peer **peer_out, bool *confirmed)
{
	struct wg_noise_peer *p;
	struct wg_noise_keypair *kp;
	uint32_t receiver;
	uint64_t counter;
	int rc;

	*outlen = 0;
	*peer_out = NULL;
	if (confirmed != NULL)
		*confirmed = false;
	if (wg_message_type(msg, len) != WG_MSG_DATA)
		return WG_ERR_INVAL;
	receiver = wg_noise_get_le32(msg + DATA_RECEIVER);
	if ((p = wg_noise_lookup_index(l, receiver)) == NULL)
		return WG_ERR_UNKNOWN_PEER;
	*peer_out = p;
	if (p->cur.valid && p->cur.local_index == receiver)
		kp = &p->cur;
	else if (p->prev.valid && p->prev.local_index == receiver)
		kp = &p->prev;
	else if (p->next.valid && p->next.local_index == receiver)
		kp = &p->next;
	else
		return WG_ERR_NO_SESSION;
	if (keypair_expired(kp, now_ms))
		return WG_ERR_EXPIRED;
	counter = get_le64(msg + DATA_COUNTER);
	if ((rc = wg_counter_check(&kp->replay, counter)) != WG_OK)
		return rc;
	if (outcap < len - WG_DATA_MIN_LEN)
		return WG_ERR_FULL;
	if (!wg_crypto_aead_open(out, msg + WG_DATA_HEADER_LEN,
	    len - WG_DATA_HEADER_LEN, NULL, 0, counter, kp->recv_key))
		return WG_ERR_DECRYPT;
	if ((rc = wg_counter_accept(&kp->replay, counter)) != WG_OK)
		return rc;
	if (kp == &p->next) {
		/* Key confirmation: the initiator uses the new keys. */
		keypair_drop(p, &p->prev);
		keypair_move(&p->prev, &p->cur);
		keypair_move(&p->cur, &p->next);
		if (confirmed != NULL)
			*confirmed = true;
	}
	*outlen = len - WG_DATA_MIN_LEN;
	return WG_OK;
}
