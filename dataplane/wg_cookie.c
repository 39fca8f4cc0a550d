/*
 * wg_cookie.c - mac1/mac2, cookie replies and the under-load decision.
 */
#include <string.h>

#include <netinet/in.h>
#include <openssl/crypto.h>

#include "wg_cookie.h"
#include "wg_crypto.h"

static const char label_mac1[] = "mac1----";
static const char label_cookie[] = "cookie--";

#define SENDER_OFF	4
#define COOKIE_RECV_OFF	4
#define COOKIE_NONCE	8
#define COOKIE_ENC	32

static bool
is_handshake(const uint8_t *msg, size_t len)
{
	if (len < 4 || msg[1] != 0 || msg[2] != 0 || msg[3] != 0)
		return false;
	return (msg[0] == WG_MSG_INITIATION && len == WG_INITIATION_LEN) ||
	    (msg[0] == WG_MSG_RESPONSE && len == WG_RESPONSE_LEN);
}

static int
derive_keys(uint8_t mac1_key[WG_HASH_LEN], uint8_t cookie_key[WG_KEY_LEN],
    const uint8_t pub[WG_KEY_LEN])
{
	int rc;

	if ((rc = wg_crypto_hash2(mac1_key, label_mac1, 8, pub, WG_KEY_LEN)) != WG_OK)
		return rc;
	return wg_crypto_hash2(cookie_key, label_cookie, 8, pub, WG_KEY_LEN);
}

/* ---- receiving side ---- */

int
wg_cookie_checker_init(struct wg_cookie_checker *chk,
    const uint8_t local_pub[WG_KEY_LEN], uint32_t threshold,
    const struct wg_rng *rng)
{
	int rc;

	memset(chk, 0, sizeof(*chk));
	chk->threshold = threshold != 0 ? threshold : WG_COOKIE_DEFAULT_THRESHOLD;
	if (rng != NULL)
		chk->rng = *rng;
	if ((rc = derive_keys(chk->mac1_key, chk->cookie_key, local_pub)) != WG_OK)
		wg_cookie_checker_wipe(chk);
	return rc;
}

void
wg_cookie_checker_wipe(struct wg_cookie_checker *chk)
{
	OPENSSL_cleanse(chk, sizeof(*chk));
}

bool
wg_cookie_under_load(struct wg_cookie_checker *chk, uint64_t now_ms)
{
	if (!chk->window_valid || now_ms - chk->window_start_ms >= 1000) {
		chk->window_valid = true;
		chk->window_start_ms = now_ms;
		chk->window_count = 0;
	}
	if (chk->window_count < UINT32_MAX)
		chk->window_count++;
	if (chk->window_count > chk->threshold)
		chk->under_load_until_ms = now_ms + WG_COOKIE_UNDER_LOAD_HOLD_MS;
	return now_ms < chk->under_load_until_ms;
}

/* cookie = MAC(secret, source address), with the secret rotated at 120 s. */
static int
make_cookie(struct wg_cookie_checker *chk, uint8_t cookie[WG_COOKIE_LEN],
    const uint8_t *src, size_t srclen, uint64_t now_ms)
{
	int rc;

	if (!chk->secret_valid ||
	    now_ms - chk->secret_birth_ms >= WG_COOKIE_SECRET_MAX_AGE_MS) {
		if ((rc = wg_crypto_random(&chk->rng, chk->secret,
		    sizeof(chk->secret))) != WG_OK) {
			chk->secret_valid = false;
			return rc;
		}
		chk->secret_birth_ms = now_ms;
		chk->secret_valid = true;
	}
	return wg_crypto_blake2s_keyed(cookie, WG_COOKIE_LEN, chk->secret,
	    sizeof(chk->secret), src, srclen);
}

int
wg_cookie_validate(struct wg_cookie_checker *chk, const uint8_t *msg,
    size_t len, const uint8_t *src, size_t srclen, uint64_t now_ms,
    bool under_load)
{
	uint8_t mac[WG_MAC_LEN], cookie[WG_COOKIE_LEN];
	size_t mac1_off = len - 2 * WG_MAC_LEN, mac2_off = len - WG_MAC_LEN;
	int rc;

	if (!is_handshake(msg, len))
		return WG_ERR_INVAL;
	if ((rc = wg_crypto_blake2s_keyed(mac, WG_MAC_LEN, chk->mac1_key,
	    WG_HASH_LEN, msg, mac1_off)) != WG_OK)
		goto out;
	if (!wg_crypto_equal(mac, msg + mac1_off, WG_MAC_LEN)) {
		rc = WG_ERR_MAC1;
		goto out;
	}
	if (!under_load) {
		rc = WG_OK;
		goto out;
	}
	if ((rc = make_cookie(chk, cookie, src, srclen, now_ms)) != WG_OK)
		goto out;
	if ((rc = wg_crypto_blake2s_keyed(mac, WG_MAC_LEN, cookie,
	    WG_COOKIE_LEN, msg, mac2_off)) != WG_OK)
		goto out;
	rc = wg_crypto_equal(mac, msg + mac2_off, WG_MAC_LEN) ? WG_OK :
	    WG_ERR_COOKIE_REQUIRED;
out:
	OPENSSL_cleanse(cookie, sizeof(cookie));
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

int
wg_cookie_create_reply(struct wg_cookie_checker *chk, const uint8_t *msg,
    size_t len, const uint8_t *src, size_t srclen, uint64_t now_ms,
    uint8_t out[WG_COOKIE_REPLY_LEN])
{
	uint8_t cookie[WG_COOKIE_LEN];
	int rc;

	if (!is_handshake(msg, len))
		return WG_ERR_INVAL;
	memset(out, 0, WG_COOKIE_REPLY_LEN);
	out[0] = WG_MSG_COOKIE_REPLY;
	/* Addressed to the sender index of the message being answered. */
	memcpy(out + COOKIE_RECV_OFF, msg + SENDER_OFF, 4);
	if ((rc = wg_crypto_random(&chk->rng, out + COOKIE_NONCE,
	    WG_XNONCE_LEN)) != WG_OK)
		goto out;
	if ((rc = make_cookie(chk, cookie, src, srclen, now_ms)) != WG_OK)
		goto out;
	/* The AD binds the reply to the message's mac1. */
	rc = wg_crypto_xaead_seal(out + COOKIE_ENC, cookie, WG_COOKIE_LEN,
	    msg + len - 2 * WG_MAC_LEN, WG_MAC_LEN, out + COOKIE_NONCE,
	    chk->cookie_key);
out:
	if (rc != WG_OK)
		memset(out, 0, WG_COOKIE_REPLY_LEN);
	OPENSSL_cleanse(cookie, sizeof(cookie));
	return rc;
}

/* ---- sending side ---- */

int
wg_cookie_maker_init(struct wg_cookie_maker *mk,
    const uint8_t remote_pub[WG_KEY_LEN])
{
	int rc;

	memset(mk, 0, sizeof(*mk));
	if ((rc = derive_keys(mk->mac1_key, mk->cookie_key, remote_pub)) != WG_OK)
		wg_cookie_maker_wipe(mk);
	return rc;
}

void
wg_cookie_maker_wipe(struct wg_cookie_maker *mk)
{
	OPENSSL_cleanse(mk, sizeof(*mk));
}

int
wg_cookie_add_macs(struct wg_cookie_maker *mk, uint8_t *msg, size_t len,
    uint64_t now_ms)
{
	size_t mac1_off = len - 2 * WG_MAC_LEN, mac2_off = len - WG_MAC_LEN;
	int rc;

	if (!is_handshake(msg, len))
		return WG_ERR_INVAL;
	if ((rc = wg_crypto_blake2s_keyed(msg + mac1_off, WG_MAC_LEN,
	    mk->mac1_key, WG_HASH_LEN, msg, mac1_off)) != WG_OK)
		return rc;
	memcpy(mk->last_mac1, msg + mac1_off, WG_MAC_LEN);
	mk->have_last_mac1 = true;
	if (mk->have_cookie &&
	    now_ms - mk->cookie_birth_ms < WG_COOKIE_MAX_AGE_MS)
		return wg_crypto_blake2s_keyed(msg + mac2_off, WG_MAC_LEN,
		    mk->cookie, WG_COOKIE_LEN, msg, mac2_off);
	memset(msg + mac2_off, 0, WG_MAC_LEN);
	return WG_OK;
}

int
wg_cookie_consume_reply(struct wg_cookie_maker *mk, const uint8_t *msg,
    size_t len, uint64_t now_ms)
{
	uint8_t cookie[WG_COOKIE_LEN];

	if (len != WG_COOKIE_REPLY_LEN || msg[0] != WG_MSG_COOKIE_REPLY ||
	    msg[1] != 0 || msg[2] != 0 || msg[3] != 0)
		return WG_ERR_INVAL;
	if (!mk->have_last_mac1)
		return WG_ERR_STATE;
	if (!wg_crypto_xaead_open(cookie, msg + COOKIE_ENC,
	    WG_COOKIE_LEN + WG_TAG_LEN, mk->last_mac1, WG_MAC_LEN,
	    msg + COOKIE_NONCE, mk->cookie_key))
		return WG_ERR_DECRYPT;
	memcpy(mk->cookie, cookie, WG_COOKIE_LEN);
	mk->cookie_birth_ms = now_ms;
	mk->have_cookie = true;
	mk->have_last_mac1 = false;
	OPENSSL_cleanse(cookie, sizeof(cookie));
	return WG_OK;
}

size_t
wg_cookie_addr_bytes(uint8_t out[WG_COOKIE_ADDR_MAX], const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		memcpy(out, &in->sin_addr, 4);
		memcpy(out + 4, &in->sin_port, 2);
		return 6;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		memcpy(out, &in6->sin6_addr, 16);
		memcpy(out + 16, &in6->sin6_port, 2);
		return 18;
	}
	return 0;
}
