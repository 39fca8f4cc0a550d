/*
 * Unit suite for dataplane/wg_crypto: known-answer vectors from RFC 7748
 * (X25519), RFC 8439 (ChaCha20-Poly1305), RFC 7693 / the BLAKE2 reference
 * KAT (BLAKE2s), draft-irtf-cfrg-xchacha-03 (HChaCha20, XChaCha20-Poly1305),
 * and WireGuard's own constants (initial chaining key and hash).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wg_crypto.h"

static size_t
unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;

	while (hex[0] != '\0' && hex[1] != '\0') {
		unsigned int v;

		if (hex[0] == ' ' || hex[0] == '\n') {
			hex++;
			continue;
		}
		ck_assert_int_eq(sscanf(hex, "%2x", &v), 1);
		ck_assert_uint_lt(n, cap);
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

#define ASSERT_HEX(buf, len, hex) do {					\
	uint8_t exp_[512];						\
	size_t n_ = unhex(exp_, sizeof(exp_), hex);			\
	ck_assert_uint_eq(n_, (len));					\
	ck_assert_mem_eq((buf), exp_, n_);				\
} while (0)

static const char sunscreen[] =
    "Ladies and Gentlemen of the class of '99: If I could offer you only "
    "one tip for the future, sunscreen would be it.";

START_TEST(x25519_rfc7748_5_2)
{
	uint8_t k[32], u[32], out[32];

	unhex(k, 32, "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
	unhex(u, 32, "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
	ck_assert_int_eq(wg_crypto_x25519(out, k, u), WG_OK);
	ASSERT_HEX(out, 32, "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");

	unhex(k, 32, "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d");
	unhex(u, 32, "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493");
	ck_assert_int_eq(wg_crypto_x25519(out, k, u), WG_OK);
	ASSERT_HEX(out, 32, "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
}
END_TEST

START_TEST(x25519_rfc7748_iterated)
{
	uint8_t k[32] = { 9 }, u[32] = { 9 }, out[32];
	int i;

	for (i = 0; i < 1000; i++) {
		ck_assert_int_eq(wg_crypto_x25519(out, k, u), WG_OK);
		memcpy(u, k, 32);
		memcpy(k, out, 32);
		if (i == 0)
			ASSERT_HEX(k, 32, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
	}
	ASSERT_HEX(k, 32, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
}
END_TEST

START_TEST(x25519_rfc7748_6_1)
{
	uint8_t a[32], b[32], apub[32], bpub[32], s1[32], s2[32];

	unhex(a, 32, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	unhex(b, 32, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
	ck_assert_int_eq(wg_crypto_x25519_public(apub, a), WG_OK);
	ck_assert_int_eq(wg_crypto_x25519_public(bpub, b), WG_OK);
	ASSERT_HEX(apub, 32, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	ASSERT_HEX(bpub, 32, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	ck_assert_int_eq(wg_crypto_x25519(s1, a, bpub), WG_OK);
	ck_assert_int_eq(wg_crypto_x25519(s2, b, apub), WG_OK);
	ASSERT_HEX(s1, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	ck_assert_mem_eq(s1, s2, 32);
}
END_TEST

START_TEST(x25519_zero_rejected)
{
	uint8_t a[32], zero[32] = { 0 }, one[32] = { 1 }, out[32];

	unhex(a, 32, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	memset(out, 0xaa, sizeof(out));
	/* u = 0 and u = 1 are low-order points: the result is all zero. */
	ck_assert_int_eq(wg_crypto_x25519(out, a, zero), WG_ERR_DH);
	ck_assert(wg_crypto_is_zero(out, 32));
	ck_assert_int_eq(wg_crypto_x25519(out, a, one), WG_ERR_DH);
}
END_TEST

static int
counting_rng(void *ctx, uint8_t *buf, size_t len)
{
	uint8_t *c = ctx;
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (*c)++;
	return 0;
}

START_TEST(x25519_keygen)
{
	uint8_t c = 0, priv[32], pub[32], pub2[32], exp[32];
	struct wg_rng rng = { counting_rng, &c };
	int i;

	ck_assert_int_eq(wg_crypto_x25519_keygen(priv, pub, &rng), WG_OK);
	for (i = 0; i < 32; i++)
		exp[i] = (uint8_t)i;
	wg_crypto_x25519_clamp(exp);
	ck_assert_mem_eq(priv, exp, 32);
	ck_assert_int_eq(wg_crypto_x25519_public(pub2, priv), WG_OK);
	ck_assert_mem_eq(pub, pub2, 32);
	/* Default RNG: two keys differ. */
	ck_assert_int_eq(wg_crypto_x25519_keygen(priv, pub, NULL), WG_OK);
	ck_assert_int_eq(wg_crypto_x25519_keygen(exp, pub2, NULL), WG_OK);
	ck_assert(memcmp(pub, pub2, 32) != 0);
}
END_TEST

START_TEST(chachapoly_rfc8439_2_8_2)
{
	uint8_t key[32], nonce[12], ad[12], ct[256], pt[256];
	size_t len = strlen(sunscreen);

	unhex(key, 32, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
	unhex(nonce, 12, "070000004041424344454647");
	unhex(ad, 12, "50515253c0c1c2c3c4c5c6c7");
	ck_assert_int_eq(wg_crypto_aead_seal_nonce(ct, (const uint8_t *)sunscreen,
	    len, ad, 12, nonce, key), WG_OK);
	ASSERT_HEX(ct, len + 16,
	    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	    "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	    "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	    "3ff4def08e4b7a9de576d26586cec64b6116"
	    "1ae10b594f09e26a7e902ecbd0600691");
	ck_assert(wg_crypto_aead_open_nonce(pt, ct, len + 16, ad, 12, nonce, key));
	ck_assert_mem_eq(pt, sunscreen, len);
	/* Any flipped bit (ciphertext, tag, AD) fails. */
	ct[3] ^= 1;
	ck_assert(!wg_crypto_aead_open_nonce(pt, ct, len + 16, ad, 12, nonce, key));
	ct[3] ^= 1;
	ct[len + 15] ^= 0x80;
	ck_assert(!wg_crypto_aead_open_nonce(pt, ct, len + 16, ad, 12, nonce, key));
	ct[len + 15] ^= 0x80;
	ad[0] ^= 1;
	ck_assert(!wg_crypto_aead_open_nonce(pt, ct, len + 16, ad, 12, nonce, key));
	ck_assert(!wg_crypto_aead_open_nonce(pt, ct, 15, NULL, 0, nonce, key));
}
END_TEST

START_TEST(chachapoly_counter_inplace)
{
	uint8_t key[32] = { 7 }, buf[64 + 16], orig[64], nonce[12] = { 0 };
	uint8_t ref[64 + 16];

	memset(orig, 0x5a, sizeof(orig));
	memcpy(buf, orig, sizeof(orig));
	/* The WireGuard nonce is 4 zero bytes then the LE counter. */
	nonce[4] = 0x08;
	nonce[5] = 0x07;
	ck_assert_int_eq(wg_crypto_aead_seal_nonce(ref, orig, 64, NULL, 0, nonce, key), WG_OK);
	ck_assert_int_eq(wg_crypto_aead_seal(buf, buf, 64, NULL, 0, 0x0708, key), WG_OK);
	ck_assert_mem_eq(buf, ref, sizeof(ref));
	ck_assert(wg_crypto_aead_open(buf, buf, sizeof(buf), NULL, 0, 0x0708, key));
	ck_assert_mem_eq(buf, orig, 64);
	ck_assert(!wg_crypto_aead_open(buf, ref, sizeof(ref), NULL, 0, 0x0709, key));
	/* Empty plaintext: just a tag. */
	ck_assert_int_eq(wg_crypto_aead_seal(buf, NULL, 0, NULL, 0, 1, key), WG_OK);
	ck_assert(wg_crypto_aead_open(NULL, buf, 16, NULL, 0, 1, key));
}
END_TEST

/*
 * The sealing and opening contexts stay keyed between calls: results under
 * interleaved keys must equal those of a context built afresh each time,
 * and a failed open must not spoil the next one under the same key.
 */
START_TEST(chachapoly_key_reuse)
{
	static const int order[] = { 0, 0, 1, 0, 1, 1, 0, 2, 2, 0 };
	uint8_t keys[3][32], pt[300], ct[316], ref[316], back[300];
	size_t i, len;

	for (i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)(i * 7);
	for (i = 0; i < 3; i++)
		memset(keys[i], 0x11 * (int)(i + 1), 32);
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		len = 40 + 20 * i;
		ck_assert_int_eq(wg_crypto_aead_seal(ct, pt, len, NULL, 0, i, keys[order[i]]), WG_OK);
		wg_crypto_cleanup();
		ck_assert_int_eq(wg_crypto_aead_seal(ref, pt, len, NULL, 0, i, keys[order[i]]), WG_OK);
		ck_assert_mem_eq(ct, ref, len + 16);
		/* A corrupted copy fails; the intact one opens right after. */
		ref[3] ^= 1;
		ck_assert(!wg_crypto_aead_open(back, ref, len + 16, NULL, 0, i, keys[order[i]]));
		ck_assert(wg_crypto_aead_open(back, ct, len + 16, NULL, 0, i, keys[order[i]]));
		ck_assert_mem_eq(back, pt, len);
		/* The wrong key fails, the right one (cached) still works. */
		ck_assert(!wg_crypto_aead_open(back, ct, len + 16, NULL, 0, i, keys[(order[i] + 1) % 3]));
		ck_assert(wg_crypto_aead_open(back, ct, len + 16, NULL, 0, i, keys[order[i]]));
		ck_assert(wg_crypto_aead_open(back, ct, len + 16, NULL, 0, i, keys[order[i]]));
		ck_assert(!wg_crypto_aead_open(back, ct, len + 16, NULL, 0, i + 1, keys[order[i]]));
	}
}
END_TEST

START_TEST(hchacha20_draft_2_2_1)
{
	uint8_t key[32], nonce[16], out[32];

	unhex(key, 32, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	unhex(nonce, 16, "000000090000004a0000000031415927");
	wg_crypto_hchacha20(out, key, nonce);
	ASSERT_HEX(out, 32, "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc");
}
END_TEST

START_TEST(xchachapoly_draft_a_3_1)
{
	uint8_t key[32], nonce[24], ad[12], ct[256], pt[256];
	size_t len = strlen(sunscreen);

	unhex(key, 32, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
	unhex(nonce, 24, "404142434445464748494a4b4c4d4e4f5051525354555657");
	unhex(ad, 12, "50515253c0c1c2c3c4c5c6c7");
	ck_assert_int_eq(wg_crypto_xaead_seal(ct, (const uint8_t *)sunscreen, len,
	    ad, 12, nonce, key), WG_OK);
	ASSERT_HEX(ct, len + 16,
	    "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
	    "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
	    "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
	    "21f9664c97637da9768812f615c68b13b52e"
	    "c0875924c1c7987947deafd8780acf49");
	ck_assert(wg_crypto_xaead_open(pt, ct, len + 16, ad, 12, nonce, key));
	ck_assert_mem_eq(pt, sunscreen, len);
	nonce[23] ^= 1;
	ck_assert(!wg_crypto_xaead_open(pt, ct, len + 16, ad, 12, nonce, key));
}
END_TEST

START_TEST(blake2s_vectors)
{
	uint8_t out[32], key[32], in[255];
	int i;

	/* RFC 7693 appendix B. */
	ck_assert_int_eq(wg_crypto_hash(out, "abc", 3), WG_OK);
	ASSERT_HEX(out, 32, "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
	ck_assert_int_eq(wg_crypto_hash2(out, "a", 1, "bc", 2), WG_OK);
	ASSERT_HEX(out, 32, "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
	/* Keyed vectors of the BLAKE2 reference KAT (key 00..1f, in 00..n-1). */
	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < 255; i++)
		in[i] = (uint8_t)i;
	ck_assert_int_eq(wg_crypto_blake2s_keyed(out, 32, key, 32, in, 0), WG_OK);
	ASSERT_HEX(out, 32, "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49");
	ck_assert_int_eq(wg_crypto_blake2s_keyed(out, 32, key, 32, in, 1), WG_OK);
	ASSERT_HEX(out, 32, "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1");
	ck_assert_int_eq(wg_crypto_blake2s_keyed(out, 32, key, 32, in, 255), WG_OK);
	ASSERT_HEX(out, 32, "3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd");
	/* 16-byte output (mac1/mac2 size) is a distinct function, not a prefix. */
	ck_assert_int_eq(wg_crypto_blake2s_keyed(out, 16, key, 32, "abc", 3), WG_OK);
	ASSERT_HEX(out, 16, "61ba5f165c194692e09d12520cc4c74a");
	ck_assert_int_eq(wg_crypto_blake2s_keyed(out, 0, key, 32, "abc", 3), WG_ERR_INVAL);
	ck_assert_int_eq(wg_crypto_blake2s_keyed(out, 16, key, 33, "abc", 3), WG_ERR_INVAL);
}
END_TEST

START_TEST(noise_constants)
{
	uint8_t ck[32], h[32];
	static const char construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
	static const char identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";

	ck_assert_int_eq(wg_crypto_hash(ck, construction, strlen(construction)), WG_OK);
	ASSERT_HEX(ck, 32, "60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36");
	ck_assert_int_eq(wg_crypto_hash2(h, ck, 32, identifier, strlen(identifier)), WG_OK);
	ASSERT_HEX(h, 32, "2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3");
}
END_TEST

START_TEST(hmac_and_kdf)
{
	uint8_t key[32], out[32], t1[32], t2[32], t3[32];
	int i;

	/* Cross-checked against Python's hmac.new(key, msg, hashlib.blake2s). */
	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	ck_assert_int_eq(wg_crypto_hmac(out, key, "abc", 3), WG_OK);
	ASSERT_HEX(out, 32, "82623be5bc0a391b24dce53e67d028eff92d586de0485ac37822e597d049c74f");
	ck_assert_int_eq(wg_crypto_kdf(t1, t2, t3, key, "input", 5), WG_OK);
	ASSERT_HEX(t1, 32, "87b7f70b24183c6db5dc4f6d9f4c47cdb203321aa2a0bef714896adb3107a040");
	ASSERT_HEX(t2, 32, "538a02e1eb2e31b7e4d4b82476d1fe2acf50085d3fb584537279195f5d1f5824");
	ASSERT_HEX(t3, 32, "9ad858025593be88de0f9442a589cfe84a88dc19e4753d93684d1c5efc4837f9");
	/* Fewer outputs give the same prefix; outputs may alias the key. */
	memcpy(out, key, 32);
	ck_assert_int_eq(wg_crypto_kdf(out, t2, NULL, out, "input", 5), WG_OK);
	ck_assert_mem_eq(out, t1, 32);
	ck_assert_int_eq(wg_crypto_kdf(t3, NULL, NULL, key, "input", 5), WG_OK);
	ck_assert_mem_eq(t3, t1, 32);
}
END_TEST

START_TEST(tai64n)
{
	struct timespec ts = { .tv_sec = 1700000000, .tv_nsec = 123456789 };
	uint8_t out[12];

	wg_crypto_tai64n(out, &ts);
	/* 2^62 + 10 + 1700000000 = 0x40000000 6553f10a; 123456789 = 0x075bcd15 */
	ASSERT_HEX(out, 12, "400000006553f10a075bcd15");
}
END_TEST

START_TEST(misc)
{
	uint8_t a[4] = { 1, 2, 3, 4 }, b[4] = { 1, 2, 3, 5 }, h[32];

	ck_assert(wg_crypto_equal(a, a, 4));
	ck_assert(!wg_crypto_equal(a, b, 4));
	ck_assert(!wg_crypto_is_zero(a, 4));
	wg_crypto_wipe(a, 4);
	ck_assert(wg_crypto_is_zero(a, 4));
	ck_assert_str_eq(wg_strerror(WG_ERR_REPLAY), "replay");
	ck_assert_str_eq(wg_strerror(12345), "unknown");
	wg_crypto_cleanup();
	/* Objects are re-fetched after cleanup. */
	ck_assert_int_eq(wg_crypto_hash(h, "x", 1), WG_OK);
	wg_crypto_cleanup();
}
END_TEST

static Suite *
wg_crypto_suite(void)
{
	Suite *s = suite_create("wg_crypto");
	TCase *tc = tcase_create("kat");

	tcase_add_test(tc, x25519_rfc7748_5_2);
	tcase_add_test(tc, x25519_rfc7748_iterated);
	tcase_add_test(tc, x25519_rfc7748_6_1);
	tcase_add_test(tc, x25519_zero_rejected);
	tcase_add_test(tc, x25519_keygen);
	tcase_add_test(tc, chachapoly_rfc8439_2_8_2);
	tcase_add_test(tc, chachapoly_counter_inplace);
	tcase_add_test(tc, chachapoly_key_reuse);
	tcase_add_test(tc, hchacha20_draft_2_2_1);
	tcase_add_test(tc, xchachapoly_draft_a_3_1);
	tcase_add_test(tc, blake2s_vectors);
	tcase_add_test(tc, noise_constants);
	tcase_add_test(tc, hmac_and_kdf);
	tcase_add_test(tc, tai64n);
	tcase_add_test(tc, misc);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(wg_crypto_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
