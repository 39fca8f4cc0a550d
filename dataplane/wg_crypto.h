/*
 * wg_crypto.h - the primitives WireGuard needs, on OpenSSL 3.0 EVP only.
 *
 * X25519, ChaCha20-Poly1305, XChaCha20-Poly1305 (HChaCha20 done here,
 * then the EVP AEAD with the derived subkey), BLAKE2s-256, keyed BLAKE2s
 * (mac1/mac2/cookies), the whitepaper's HMAC-BLAKE2s and HKDF, TAI64N.
 *
 * All functions are sans-IO and keep no secrets between calls except
 * cached, keyless OpenSSL algorithm objects.  Outputs may not overlap
 * inputs unless stated.  Every function that takes a key wipes its own
 * temporaries before returning.
 */
#ifndef FZ_WG_CRYPTO_H
#define FZ_WG_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "wg_types.h"

/* Fill buf from rng (NULL or rng->fn == NULL: RAND_bytes). 0 or WG_ERR_CRYPTO. */
int wg_crypto_random(const struct wg_rng *rng, void *buf, size_t len);

/* Constant-time comparison; true if equal. */
bool wg_crypto_equal(const void *a, const void *b, size_t len);

/* True if all len bytes are zero (constant time). */
bool wg_crypto_is_zero(const void *a, size_t len);

/* Wipe len bytes (OPENSSL_cleanse). */
void wg_crypto_wipe(void *p, size_t len);

/* ---- X25519 (RFC 7748) ---- */

/* Clamp a private scalar in place as RFC 7748 section 5 describes. */
void wg_crypto_x25519_clamp(uint8_t priv[WG_KEY_LEN]);

/* Derive the public key of priv. 0 or WG_ERR_CRYPTO. */
int wg_crypto_x25519_public(uint8_t pub[WG_KEY_LEN], const uint8_t priv[WG_KEY_LEN]);

/*
 * Generate a key pair: priv is 32 random bytes from rng, clamped; pub its
 * public key.  0 or WG_ERR_CRYPTO (priv is wiped on failure).
 */
int wg_crypto_x25519_keygen(uint8_t priv[WG_KEY_LEN], uint8_t pub[WG_KEY_LEN],
    const struct wg_rng *rng);

/*
 * out = X25519(priv, pub).  Returns 0, WG_ERR_DH if the result is all
 * zero (low-order peer point; out is wiped), or WG_ERR_CRYPTO.
 */
int wg_crypto_x25519(uint8_t out[WG_KEY_LEN], const uint8_t priv[WG_KEY_LEN],
    const uint8_t pub[WG_KEY_LEN]);

/* ---- ChaCha20-Poly1305 (RFC 8439) ---- */

/*
 * Seal ptlen bytes with a 96-bit nonce; writes ptlen + 16 bytes to out.
 * out may equal pt (in place).  0 or WG_ERR_CRYPTO.
 */
int wg_crypto_aead_seal_nonce(uint8_t *out, const uint8_t *pt, size_t ptlen,
    const uint8_t *ad, size_t adlen, const uint8_t nonce[12],
    const uint8_t key[WG_KEY_LEN]);

/*
 * Open ctlen bytes (ciphertext + 16-byte tag, ctlen >= 16); writes
 * ctlen - 16 bytes to out.  Returns true only if the tag verifies; on
 * false the output is wiped.  out may equal ct, and may be NULL when
 * ctlen is 16 (empty plaintext).
 */
bool wg_crypto_aead_open_nonce(uint8_t *out, const uint8_t *ct, size_t ctlen,
    const uint8_t *ad, size_t adlen, const uint8_t nonce[12],
    const uint8_t key[WG_KEY_LEN]);

/*
 * WireGuard's AEAD(key, counter, pt, ad): wg_crypto_aead_seal_nonce with
 * nonce = 4 zero bytes || LE64(counter).  0 or WG_ERR_CRYPTO.
 */
int wg_crypto_aead_seal(uint8_t *out, const uint8_t *pt, size_t ptlen,
    const uint8_t *ad, size_t adlen, uint64_t counter,
    const uint8_t key[WG_KEY_LEN]);

/* Open counterpart of wg_crypto_aead_seal; true only if the tag verifies. */
bool wg_crypto_aead_open(uint8_t *out, const uint8_t *ct, size_t ctlen,
    const uint8_t *ad, size_t adlen, uint64_t counter,
    const uint8_t key[WG_KEY_LEN]);

/* ---- XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) ---- */

/* HChaCha20: 32-byte subkey from key and a 16-byte nonce. */
void wg_crypto_hchacha20(uint8_t out[32], const uint8_t key[WG_KEY_LEN],
    const uint8_t nonce[16]);

/*
 * XChaCha20-Poly1305 seal: subkey = HChaCha20(key, nonce[0..16]), then
 * ChaCha20-Poly1305 with nonce 4 zero bytes || nonce[16..24].  Writes
 * ptlen + 16 bytes.  0 or WG_ERR_CRYPTO.
 */
int wg_crypto_xaead_seal(uint8_t *out, const uint8_t *pt, size_t ptlen,
    const uint8_t *ad, size_t adlen, const uint8_t nonce[WG_XNONCE_LEN],
    const uint8_t key[WG_KEY_LEN]);

/* XChaCha20-Poly1305 open; true only if the tag verifies (else out wiped). */
bool wg_crypto_xaead_open(uint8_t *out, const uint8_t *ct, size_t ctlen,
    const uint8_t *ad, size_t adlen, const uint8_t nonce[WG_XNONCE_LEN],
    const uint8_t key[WG_KEY_LEN]);

/* ---- BLAKE2s (RFC 7693) ---- */

/* HASH(a || b): BLAKE2s-256 of the concatenation (b may be NULL/0). */
int wg_crypto_hash2(uint8_t out[WG_HASH_LEN], const void *a, size_t alen,
    const void *b, size_t blen);

/* BLAKE2s-256 of one buffer. */
int wg_crypto_hash(uint8_t out[WG_HASH_LEN], const void *in, size_t len);

/*
 * Keyed BLAKE2s with an outlen-byte digest (1..32) and a keylen-byte key
 * (1..32): MAC(key, in) of the whitepaper with outlen 16.
 */
int wg_crypto_blake2s_keyed(uint8_t *out, size_t outlen, const uint8_t *key,
    size_t keylen, const void *in, size_t inlen);

/* HMAC-BLAKE2s (RFC 2104 with BLAKE2s-256, 64-byte block), 32-byte key. */
int wg_crypto_hmac(uint8_t out[WG_HASH_LEN], const uint8_t key[WG_HASH_LEN],
    const void *in, size_t inlen);

/*
 * The whitepaper's KDFn(key, input): n = 1, 2 or 3 outputs of 32 bytes;
 * t2 / t3 may be NULL when n is smaller.  Outputs may alias key.
 */
int wg_crypto_kdf(uint8_t t1[WG_HASH_LEN], uint8_t t2[WG_HASH_LEN],
    uint8_t t3[WG_HASH_LEN], const uint8_t key[WG_HASH_LEN],
    const void *in, size_t inlen);

/* ---- TAI64N ---- */

/*
 * Encode a wall-clock time as TAI64N: 8-byte big-endian seconds label
 * (2^62 + 10 + tv_sec) then 4-byte big-endian nanoseconds.
 */
void wg_crypto_tai64n(uint8_t out[WG_TAI64N_LEN], const struct timespec *ts);

/* Release the cached OpenSSL algorithm objects of the calling thread. */
void wg_crypto_cleanup(void);

#endif
