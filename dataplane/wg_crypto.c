/*
 * wg_crypto.c - WireGuard primitives on OpenSSL 3.0 EVP.
 *
 * Algorithm objects (EVP_CIPHER, EVP_MD, EVP_MAC and reusable contexts)
 * are fetched once per thread and cached; they hold no key material
 * between calls (contexts are re-keyed on every use and the AEAD
 * context is reset afterwards).
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "wg_crypto.h"

static _Thread_local EVP_CIPHER *c_chacha;
/*
 * One context for sealing and one for opening, each left keyed after use:
 * consecutive packets under the same key (the common case, a burst of one
 * session) only set a new nonce, instead of a provider context freed and
 * allocated again per packet.  The key it holds is remembered to tell.
 */
struct aead_slot {
	EVP_CIPHER_CTX *ctx;
	bool keyed;
	uint8_t key[WG_KEY_LEN];
};
static _Thread_local struct aead_slot c_seal, c_open;
static _Thread_local EVP_MD *c_blake;
static _Thread_local EVP_MD_CTX *c_mdctx;
static _Thread_local EVP_MAC *c_b2smac;

const char *
wg_strerror(int err)
{
	switch (err) {
	case WG_OK: return "ok";
	case WG_ERR_INVAL: return "invalid";
	case WG_ERR_CRYPTO: return "crypto";
	case WG_ERR_DH: return "dh-zero";
	case WG_ERR_MAC1: return "mac1";
	case WG_ERR_COOKIE_REQUIRED: return "cookie-required";
	case WG_ERR_DECRYPT: return "decrypt";
	case WG_ERR_REPLAY: return "replay";
	case WG_ERR_STATE: return "state";
	case WG_ERR_UNKNOWN_PEER: return "unknown-peer";
	case WG_ERR_FULL: return "full";
	case WG_ERR_NOT_FOUND: return "not-found";
	case WG_ERR_EXPIRED: return "expired";
	case WG_ERR_NO_SESSION: return "no-session";
	case WG_ERR_FLOOD: return "flood";
	case WG_ERR_NOMEM: return "nomem";
	default: return "unknown";
	}
}

void
wg_crypto_cleanup(void)
{
	EVP_CIPHER_CTX_free(c_seal.ctx);
	EVP_CIPHER_CTX_free(c_open.ctx);
	OPENSSL_cleanse(&c_seal, sizeof(c_seal));
	OPENSSL_cleanse(&c_open, sizeof(c_open));
	EVP_CIPHER_free(c_chacha);
	c_chacha = NULL;
	EVP_MD_CTX_free(c_mdctx);
	c_mdctx = NULL;
	EVP_MD_free(c_blake);
	c_blake = NULL;
	EVP_MAC_free(c_b2smac);
	c_b2smac = NULL;
}

int
wg_crypto_random(const struct wg_rng *rng, void *buf, size_t len)
{
	if (len == 0)
		return WG_OK;
	if (rng != NULL && rng->fn != NULL)
		return rng->fn(rng->ctx, buf, len) == 0 ? WG_OK : WG_ERR_CRYPTO;
	if (len > INT32_MAX)
		return WG_ERR_INVAL;
	return RAND_bytes(buf, (int)len) == 1 ? WG_OK : WG_ERR_CRYPTO;
}

bool
wg_crypto_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

bool
wg_crypto_is_zero(const void *a, size_t len)
{
	const uint8_t *p = a;
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

void
wg_crypto_wipe(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}

/* ---- X25519 ---- */

void
wg_crypto_x25519_clamp(uint8_t priv[WG_KEY_LEN])
{
	priv[0] &= 248;
	priv[31] &= 127;
	priv[31] |= 64;
}

int
wg_crypto_x25519_public(uint8_t pub[WG_KEY_LEN], const uint8_t priv[WG_KEY_LEN])
{
	EVP_PKEY *pk;
	size_t len = WG_KEY_LEN;
	int rc = WG_ERR_CRYPTO;

	pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, WG_KEY_LEN);
	if (pk == NULL)
		return WG_ERR_CRYPTO;
	if (EVP_PKEY_get_raw_public_key(pk, pub, &len) == 1 && len == WG_KEY_LEN)
		rc = WG_OK;
	EVP_PKEY_free(pk);
	return rc;
}

int
wg_crypto_x25519_keygen(uint8_t priv[WG_KEY_LEN], uint8_t pub[WG_KEY_LEN],
    const struct wg_rng *rng)
{
	int rc;

	if ((rc = wg_crypto_random(rng, priv, WG_KEY_LEN)) != WG_OK)
		goto fail;
	wg_crypto_x25519_clamp(priv);
	if ((rc = wg_crypto_x25519_public(pub, priv)) != WG_OK)
		goto fail;
	return WG_OK;
fail:
	OPENSSL_cleanse(priv, WG_KEY_LEN);
	return rc;
}

int
wg_crypto_x25519(uint8_t out[WG_KEY_LEN], const uint8_t priv[WG_KEY_LEN],
    const uint8_t pub[WG_KEY_LEN])
{
	EVP_PKEY *sk = NULL, *pk = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = WG_KEY_LEN;
	int rc = WG_ERR_CRYPTO;

	sk = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, WG_KEY_LEN);
	pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, WG_KEY_LEN);
	if (sk == NULL || pk == NULL)
		goto out;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, sk, NULL);
	if (ctx == NULL || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer_ex(ctx, pk, 0) != 1)
		goto out;
	/*
	 * OpenSSL refuses to return an all-zero shared secret (low-order
	 * peer point), so a failing derive on well-formed inputs means
	 * exactly that; the explicit check below is belt and braces.
	 */
	if (EVP_PKEY_derive(ctx, out, &len) != 1 || len != WG_KEY_LEN) {
		rc = WG_ERR_DH;
		goto out;
	}
	rc = wg_crypto_is_zero(out, WG_KEY_LEN) ? WG_ERR_DH : WG_OK;
out:
	if (rc != WG_OK)
		OPENSSL_cleanse(out, WG_KEY_LEN);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(pk);
	return rc;
}

/* ---- ChaCha20-Poly1305 ---- */

/* Drop a slot's key (after an error the context's state is unknown). */
static void
aead_forget(struct aead_slot *sl)
{
	if (sl->ctx != NULL)
		EVP_CIPHER_CTX_reset(sl->ctx);
	OPENSSL_cleanse(sl->key, sizeof(sl->key));
	sl->keyed = false;
}

/*
 * Ready slot's context for key and nonce: a full initialisation when the
 * key differs from the one it holds, a new nonce only otherwise.
 */
static EVP_CIPHER_CTX *
aead_begin(struct aead_slot *sl, int enc, const uint8_t key[WG_KEY_LEN],
    const uint8_t nonce[12])
{
	int ok;

	if (c_chacha == NULL) {
		c_chacha = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
		if (c_chacha == NULL)
			return NULL;
	}
	if (sl->ctx == NULL && (sl->ctx = EVP_CIPHER_CTX_new()) == NULL)
		return NULL;
	if (sl->keyed && memcmp(sl->key, key, WG_KEY_LEN) == 0)
		ok = enc ? EVP_EncryptInit_ex2(sl->ctx, NULL, NULL, nonce, NULL) :
		    EVP_DecryptInit_ex2(sl->ctx, NULL, NULL, nonce, NULL);
	else
		ok = enc ? EVP_EncryptInit_ex2(sl->ctx, c_chacha, key, nonce, NULL) :
		    EVP_DecryptInit_ex2(sl->ctx, c_chacha, key, nonce, NULL);
	if (ok != 1) {
		aead_forget(sl);
		return NULL;
	}
	memcpy(sl->key, key, WG_KEY_LEN);
	sl->keyed = true;
	return sl->ctx;
}

int
wg_crypto_aead_seal_nonce(uint8_t *out, const uint8_t *pt, size_t ptlen,
    const uint8_t *ad, size_t adlen, const uint8_t nonce[12],
    const uint8_t key[WG_KEY_LEN])
{
	EVP_CIPHER_CTX *ctx;
	int len;

	if (ptlen > INT32_MAX || adlen > INT32_MAX)
		return WG_ERR_INVAL;
	if ((ctx = aead_begin(&c_seal, 1, key, nonce)) == NULL)
		return WG_ERR_CRYPTO;
	if ((adlen > 0 && EVP_EncryptUpdate(ctx, NULL, &len, ad, (int)adlen) != 1) ||
	    (ptlen > 0 && EVP_EncryptUpdate(ctx, out, &len, pt, (int)ptlen) != 1) ||
	    EVP_EncryptFinal_ex(ctx, out + ptlen, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, WG_TAG_LEN, out + ptlen) != 1) {
		aead_forget(&c_seal);
		return WG_ERR_CRYPTO;
	}
	return WG_OK;
}

bool
wg_crypto_aead_open_nonce(uint8_t *out, const uint8_t *ct, size_t ctlen,
    const uint8_t *ad, size_t adlen, const uint8_t nonce[12],
    const uint8_t key[WG_KEY_LEN])
{
	EVP_CIPHER_CTX *ctx;
	uint8_t tag[WG_TAG_LEN];
	size_t ptlen;
	int len;

	if (ctlen < WG_TAG_LEN || ctlen > INT32_MAX || adlen > INT32_MAX)
		return false;
	ptlen = ctlen - WG_TAG_LEN;
	memcpy(tag, ct + ptlen, WG_TAG_LEN);
	if ((ctx = aead_begin(&c_open, 0, key, nonce)) == NULL)
		return false;
	/* out may be NULL for an empty plaintext; Final writes nothing then. */
	if ((adlen > 0 && EVP_DecryptUpdate(ctx, NULL, &len, ad, (int)adlen) != 1) ||
	    (ptlen > 0 && EVP_DecryptUpdate(ctx, out, &len, ct, (int)ptlen) != 1) ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, WG_TAG_LEN, tag) != 1 ||
	    EVP_DecryptFinal_ex(ctx, out != NULL ? out + ptlen : tag, &len) != 1) {
		/* A forged or corrupted packet: the context starts afresh. */
		aead_forget(&c_open);
		if (ptlen > 0)
			OPENSSL_cleanse(out, ptlen);
		return false;
	}
	return true;
}

static void
counter_nonce(uint8_t nonce[12], uint64_t counter)
{
	int i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (8 * i));
}

int
wg_crypto_aead_seal(uint8_t *out, const uint8_t *pt, size_t ptlen,
    const uint8_t *ad, size_t adlen, uint64_t counter,
    const uint8_t key[WG_KEY_LEN])
{
	uint8_t nonce[12];

	counter_nonce(nonce, counter);
	return wg_crypto_aead_seal_nonce(out, pt, ptlen, ad, adlen, nonce, key);
}

bool
wg_crypto_aead_open(uint8_t *out, const uint8_t *ct, size_t ctlen,
    const uint8_t *ad, size_t adlen, uint64_t counter,
    const uint8_t key[WG_KEY_LEN])
{
	uint8_t nonce[12];

	counter_nonce(nonce, counter);
	return wg_crypto_aead_open_nonce(out, ct, ctlen, ad, adlen, nonce, key);
}

/* ---- HChaCha20 / XChaCha20-Poly1305 ---- */

static uint32_t
load32_le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
store32_le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

#define ROTL32(v, n) (((v) << (n)) | ((v) >> (32 - (n))))
#define QROUND(a, b, c, d) do {				\
	a += b; d ^= a; d = ROTL32(d, 16);		\
	c += d; b ^= c; b = ROTL32(b, 12);		\
	a += b; d ^= a; d = ROTL32(d, 8);		\
	c += d; b ^= c; b = ROTL32(b, 7);		\
} while (0)

void
wg_crypto_hchacha20(uint8_t out[32], const uint8_t key[WG_KEY_LEN],
    const uint8_t nonce[16])
{
	uint32_t x[16];
	int i;

	/* "expand 32-byte k", then the key, then the 128-bit nonce. */
	x[0] = 0x61707865;
	x[1] = 0x3320646e;
	x[2] = 0x79622d32;
	x[3] = 0x6b206574;
	for (i = 0; i < 8; i++)
		x[4 + i] = load32_le(key + 4 * i);
	for (i = 0; i < 4; i++)
		x[12 + i] = load32_le(nonce + 4 * i);
	for (i = 0; i < 10; i++) {
		QROUND(x[0], x[4], x[8], x[12]);
		QROUND(x[1], x[5], x[9], x[13]);
		QROUND(x[2], x[6], x[10], x[14]);
		QROUND(x[3], x[7], x[11], x[15]);
		QROUND(x[0], x[5], x[10], x[15]);
		QROUND(x[1], x[6], x[11], x[12]);
		QROUND(x[2], x[7], x[8], x[13]);
		QROUND(x[3], x[4], x[9], x[14]);
	}
	/* No feed-forward: the first and last rows are the subkey. */
	for (i = 0; i < 4; i++) {
		store32_le(out + 4 * i, x[i]);
		store32_le(out + 16 + 4 * i, x[12 + i]);
	}
	OPENSSL_cleanse(x, sizeof(x));
}

int
wg_crypto_xaead_seal(uint8_t *out, const uint8_t *pt, size_t ptlen,
    const uint8_t *ad, size_t adlen, const uint8_t nonce[WG_XNONCE_LEN],
    const uint8_t key[WG_KEY_LEN])
{
	uint8_t subkey[32], n12[12];
	int rc;

	wg_crypto_hchacha20(subkey, key, nonce);
	memset(n12, 0, 4);
	memcpy(n12 + 4, nonce + 16, 8);
	rc = wg_crypto_aead_seal_nonce(out, pt, ptlen, ad, adlen, n12, subkey);
	OPENSSL_cleanse(subkey, sizeof(subkey));
	return rc;
}

bool
wg_crypto_xaead_open(uint8_t *out, const uint8_t *ct, size_t ctlen,
    const uint8_t *ad, size_t adlen, const uint8_t nonce[WG_XNONCE_LEN],
    const uint8_t key[WG_KEY_LEN])
{
	uint8_t subkey[32], n12[12];
	bool ok;

	wg_crypto_hchacha20(subkey, key, nonce);
	memset(n12, 0, 4);
	memcpy(n12 + 4, nonce + 16, 8);
	ok = wg_crypto_aead_open_nonce(out, ct, ctlen, ad, adlen, n12, subkey);
	OPENSSL_cleanse(subkey, sizeof(subkey));
	return ok;
}

/* ---- BLAKE2s ---- */

int
wg_crypto_hash2(uint8_t out[WG_HASH_LEN], const void *a, size_t alen,
    const void *b, size_t blen)
{
	unsigned int len = 0;
	int rc = WG_ERR_CRYPTO;

	if (c_blake == NULL &&
	    (c_blake = EVP_MD_fetch(NULL, "BLAKE2S-256", NULL)) == NULL)
		return WG_ERR_CRYPTO;
	if (c_mdctx == NULL && (c_mdctx = EVP_MD_CTX_new()) == NULL)
		return WG_ERR_CRYPTO;
	if (EVP_DigestInit_ex2(c_mdctx, c_blake, NULL) != 1)
		goto out;
	if (alen > 0 && EVP_DigestUpdate(c_mdctx, a, alen) != 1)
		goto out;
	if (blen > 0 && EVP_DigestUpdate(c_mdctx, b, blen) != 1)
		goto out;
	if (EVP_DigestFinal_ex(c_mdctx, out, &len) != 1 || len != WG_HASH_LEN)
		goto out;
	rc = WG_OK;
out:
	/* The digest state may hold key material (HMAC pads): reset it. */
	EVP_MD_CTX_reset(c_mdctx);
	return rc;
}

int
wg_crypto_hash(uint8_t out[WG_HASH_LEN], const void *in, size_t len)
{
	return wg_crypto_hash2(out, in, len, NULL, 0);
}

int
wg_crypto_blake2s_keyed(uint8_t *out, size_t outlen, const uint8_t *key,
    size_t keylen, const void *in, size_t inlen)
{
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t size = outlen, got = 0;
	int rc = WG_ERR_CRYPTO;

	if (outlen < 1 || outlen > 32 || keylen < 1 || keylen > 32)
		return WG_ERR_INVAL;
	if (c_b2smac == NULL &&
	    (c_b2smac = EVP_MAC_fetch(NULL, "BLAKE2SMAC", NULL)) == NULL)
		return WG_ERR_CRYPTO;
	if ((ctx = EVP_MAC_CTX_new(c_b2smac)) == NULL)
		return WG_ERR_CRYPTO;
	params[0] = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, keylen, params) != 1)
		goto out;
	if (inlen > 0 && EVP_MAC_update(ctx, in, inlen) != 1)
		goto out;
	if (EVP_MAC_final(ctx, out, &got, outlen) != 1 || got != outlen)
		goto out;
	rc = WG_OK;
out:
	EVP_MAC_CTX_free(ctx);
	return rc;
}

int
wg_crypto_hmac(uint8_t out[WG_HASH_LEN], const uint8_t key[WG_HASH_LEN],
    const void *in, size_t inlen)
{
	uint8_t pad[64], inner[WG_HASH_LEN];
	int rc, i;

	memset(pad, 0x36, sizeof(pad));
	for (i = 0; i < WG_HASH_LEN; i++)
		pad[i] ^= key[i];
	if ((rc = wg_crypto_hash2(inner, pad, sizeof(pad), in, inlen)) != WG_OK)
		goto out;
	memset(pad, 0x5c, sizeof(pad));
	for (i = 0; i < WG_HASH_LEN; i++)
		pad[i] ^= key[i];
	rc = wg_crypto_hash2(out, pad, sizeof(pad), inner, sizeof(inner));
out:
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(inner, sizeof(inner));
	return rc;
}

int
wg_crypto_kdf(uint8_t t1[WG_HASH_LEN], uint8_t t2[WG_HASH_LEN],
    uint8_t t3[WG_HASH_LEN], const uint8_t key[WG_HASH_LEN],
    const void *in, size_t inlen)
{
	uint8_t prk[WG_HASH_LEN], buf[WG_HASH_LEN + 1];
	uint8_t o1[WG_HASH_LEN], o2[WG_HASH_LEN], o3[WG_HASH_LEN];
	int rc;

	/* t0 = HMAC(key, input); ti = HMAC(t0, t(i-1) || i). */
	if ((rc = wg_crypto_hmac(prk, key, in, inlen)) != WG_OK)
		goto out;
	buf[0] = 1;
	if ((rc = wg_crypto_hmac(o1, prk, buf, 1)) != WG_OK)
		goto out;
	if (t2 != NULL) {
		memcpy(buf, o1, WG_HASH_LEN);
		buf[WG_HASH_LEN] = 2;
		if ((rc = wg_crypto_hmac(o2, prk, buf, sizeof(buf))) != WG_OK)
			goto out;
	}
	if (t2 != NULL && t3 != NULL) {
		memcpy(buf, o2, WG_HASH_LEN);
		buf[WG_HASH_LEN] = 3;
		if ((rc = wg_crypto_hmac(o3, prk, buf, sizeof(buf))) != WG_OK)
			goto out;
	}
	/* Copy out last so outputs may alias the key. */
	memcpy(t1, o1, WG_HASH_LEN);
	if (t2 != NULL)
		memcpy(t2, o2, WG_HASH_LEN);
	if (t2 != NULL && t3 != NULL)
		memcpy(t3, o3, WG_HASH_LEN);
out:
	OPENSSL_cleanse(prk, sizeof(prk));
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(o1, sizeof(o1));
	OPENSSL_cleanse(o2, sizeof(o2));
	OPENSSL_cleanse(o3, sizeof(o3));
	return rc;
}

/* ---- TAI64N ---- */

void
wg_crypto_tai64n(uint8_t out[WG_TAI64N_LEN], const struct timespec *ts)
{
	uint64_t sec = (UINT64_C(1) << 62) + 10 + (uint64_t)ts->tv_sec;
	uint32_t nsec = (uint32_t)ts->tv_nsec;
	int i;

	for (i = 0; i < 8; i++)
		out[i] = (uint8_t)(sec >> (56 - 8 * i));
	for (i = 0; i < 4; i++)
		out[8 + i] = (uint8_t)(nsec >> (24 - 8 * i));
}
