/*
 * fuzz_stun_common.c - STUN helpers shared by the turn and ice targets
 * (included, not compiled alone).
 *
 *   - a deterministic gnutls_rnd: libnice draws its transaction ids from
 *     it; the fuzz binary's definition replaces the library's, and
 *     fz_rnd_reset() at the start of each input makes every run of an
 *     input the same (crashes replay);
 *   - fz_stun_attr: bounded attribute walk;
 *   - fz_stun_sign: recompute MESSAGE-INTEGRITY (HMAC-SHA1 with the given
 *     key) and FINGERPRINT where the message has them, so inputs whose
 *     transaction id was rewritten to match one of the module's requests
 *     still authenticate;
 *   - fz_stun_verify: check both on the module's own output.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define FZ_ATTR_MI	0x0008
#define FZ_ATTR_FP	0x8028

static uint64_t fz_rnd_state;

static void
fz_rnd_reset(uint64_t seed)
{
	fz_rnd_state = seed * 0x9e3779b97f4a7c15ull + 0x2545f4914f6cdd1dull;
}

int gnutls_rnd(int level, void *data, size_t len);

int
gnutls_rnd(int level, void *data, size_t len)
{
	uint8_t *p = data;
	size_t i;

	(void)level;
	for (i = 0; i < len; i++) {
		fz_rnd_state ^= fz_rnd_state << 13;
		fz_rnd_state ^= fz_rnd_state >> 7;
		fz_rnd_state ^= fz_rnd_state << 17;
		p[i] = (uint8_t)(fz_rnd_state >> 24);
	}
	return 0;
}

static uint32_t
fz_crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return c ^ 0xffffffffu;
}

static uint16_t
fz_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void
fz_put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Offset of the first attribute of type want (its header), or 0. */
static size_t
fz_stun_attr(const uint8_t *b, size_t len, uint16_t want, uint16_t *alen)
{
	size_t off = 20;

	if (len < 20)
		return 0;
	while (off + 4 <= len) {
		size_t n = fz_get16(b + off + 2);

		if (n > len - off - 4)
			return 0;
		if (fz_get16(b + off) == want) {
			if (alen != NULL)
				*alen = (uint16_t)n;
			return off;
		}
		off += 4 + ((n + 3) & ~(size_t)3);
	}
	return 0;
}

static void
fz_hmac(const uint8_t *key, size_t klen, const uint8_t *b, size_t n, uint8_t out[20])
{
	unsigned int ol = 20;

	if (HMAC(EVP_sha1(), key, (int)klen, b, n, out, &ol) == NULL || ol != 20)
		abort();
}

/* Re-sign in place (b has len bytes): MI with key, then FINGERPRINT. */
static void
fz_stun_sign(uint8_t *b, size_t len, const uint8_t *key, size_t klen)
{
	uint16_t alen = 0, saved;
	size_t off;

	if (len < 20)
		return;
	saved = fz_get16(b + 2);
	off = fz_stun_attr(b, len, FZ_ATTR_MI, &alen);
	if (off != 0 && alen == 20) {
		fz_put16(b + 2, off + 24 - 20);
		fz_hmac(key, klen, b, off, b + off + 4);
	}
	off = fz_stun_attr(b, len, FZ_ATTR_FP, &alen);
	if (off != 0 && alen == 4) {
		uint32_t crc;

		fz_put16(b + 2, off + 8 - 20);
		crc = fz_crc32(b, off) ^ 0x5354554eu;
		b[off + 4] = (uint8_t)(crc >> 24);
		b[off + 5] = (uint8_t)(crc >> 16);
		b[off + 6] = (uint8_t)(crc >> 8);
		b[off + 7] = (uint8_t)crc;
	}
	fz_put16(b + 2, saved);
}

/*
 * A message the module built: header sane, FINGERPRINT last and right,
 * MESSAGE-INTEGRITY (if want_mi, or if present and key given) right.
 */
static void
fz_stun_verify(const uint8_t *b, size_t len, const uint8_t *key, size_t klen, int want_mi)
{
	uint8_t tmp[2048], mac[20];
	uint16_t alen = 0;
	size_t off;

	if (len < 20 || len > sizeof(tmp) || (len & 3) != 0 || (b[0] & 0xc0) != 0 ||
	    fz_get16(b + 2) != len - 20 || b[4] != 0x21 || b[5] != 0x12 || b[6] != 0xa4 ||
	    b[7] != 0x42)
		abort();
	memcpy(tmp, b, len);
	off = fz_stun_attr(tmp, len, FZ_ATTR_FP, &alen);
	if (off == 0 || alen != 4 || off + 8 != len)
		abort();
	{
		uint32_t crc = fz_crc32(tmp, off) ^ 0x5354554eu;

		if (tmp[off + 4] != (uint8_t)(crc >> 24) || tmp[off + 5] != (uint8_t)(crc >> 16) ||
		    tmp[off + 6] != (uint8_t)(crc >> 8) || tmp[off + 7] != (uint8_t)crc)
			abort();
	}
	off = fz_stun_attr(tmp, len, FZ_ATTR_MI, &alen);
	if (off == 0) {
		if (want_mi)
			abort();
		return;
	}
	if (alen != 20 || off + 24 + 8 != len || key == NULL)
		abort();
	fz_put16(tmp + 2, off + 24 - 20);
	fz_hmac(key, klen, tmp, off, mac);
	if (memcmp(mac, tmp + off + 4, 20) != 0)
		abort();
}

static void
fz_md5(const void *p, size_t n, uint8_t out[16])
{
	unsigned int ol = 16;

	if (EVP_Digest(p, n, out, &ol, EVP_md5(), NULL) != 1 || ol != 16)
		abort();
}
