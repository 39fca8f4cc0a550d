/*
 * loadgen - the throughput benchmark's WireGuard load generator (issue 9).
 *
 * An independent WireGuard initiator written against OpenSSL's EVP only (it
 * links nothing of the dataplane): X25519, BLAKE2s, HMAC-BLAKE2s,
 * keyed BLAKE2s (mac1) and ChaCha20-Poly1305, the Noise_IKpsk2 initiation
 * of the WireGuard paper section 5.4.2 and its response (5.4.3), then
 * transport data messages (5.4.6).  It completes a real handshake with
 * the gateway under test, then encrypts up front N distinct transport
 * packets with increasing counters, each carrying one UDP/IPv4 datagram
 * from the client's tunnel address to a sink behind the gateway, and sends
 * them with sendmmsg as fast as the socket takes them, for a fixed time.
 *
 * Two ways to reach the gateway:
 *   --peer IP:PORT   a plain UDP socket bound to --bind IP:PORT (against
 *                    wireguard-go acting as the gateway);
 *   --ice ...        libnice's NiceAgent (controlling, trickle, like the
 *                    Firezone client and tests/tools/client_shim.c) gathers on
 *                    --bind IP with its port fixed to PORT; the WireGuard
 *                    packets use the selected pair's own socket
 *                    (nice_agent_get_selected_socket), so ICE consent keeps
 *                    running on that 5-tuple while the load flows.
 *
 * Built by tests/bench/bench.sh (the Makefile's tools rule links libc only):
 *   cc -DFZ_LOADGEN -o loadgen tests/bench/loadgen.c \
 *       $(pkg-config --cflags --libs nice libcrypto) -lpthread
 *
 * Counting is not done here: the harness names a command (--fwd-counter)
 * that prints "PACKETS BYTES" of an nft counter in the resource namespace;
 * the run reads it before the first packet and after the last one (plus
 * a short drain) and divides by the time the packets took to send.
 *
 * Options:
 *   --key FILE        the client's private key (base64, wg genkey)
 *   --peer-pub B64    the gateway's public key
 *   --psk FILE        preshared key (base64; optional)
 *   --bind IP:PORT    local socket address (ICE: the only host candidate)
 *   --peer IP:PORT    plain mode: the gateway's WireGuard endpoint
 *   --ice --ufrag U --pwd P --remote-ufrag U --remote-pwd P
 *   --src IP          the client's tunnel IPv4 address (100.64.0.2)
 *   --dst IP:PORT     the sink's address behind the gateway
 *   --fwd-counter CMD prints "PACKETS BYTES" of the sink's counter
 *   --mem-mb N        memory for pre-encrypted packets (default 2048)
 *
 * stdin, one command per line (a FIFO the harness holds open):
 *   cand <candidate:...> | candidate:...   a remote ICE candidate
 *   invalidate ...                         noted only
 *   hs                                     a fresh handshake (+ keepalive)
 *   fwd SIZE SECONDS                       handshake, encrypt, send, count
 *   quit
 * stdout, one flushed line per event:
 *   shim: candidate candidate:...          (tests/integ/e2e_signal.py reads these)
 *   shim: selected pair local A (t) remote B (t)
 *   lg: handshake ok rtt_us=N
 *   lg: fwd size=N sent=N secs=F delivered=N pps=F mbps=F encrypted=N enc_secs=F
 *   lg: error ...
 *
 * A second mode, in the resource namespace, blasts plain UDP at the client
 * through the gateway (the reverse direction) and measures with a counter
 * command in the client namespace:
 *   loadgen blast --dst IP:PORT --size N --seconds S --counter CMD [--bind IP]
 *   -> "lg: rev size=N sent=N secs=F delivered=N pps=F mbps=F"
 */
#ifndef FZ_LOADGEN

#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "loadgen: build with -DFZ_LOADGEN and "
	    "$(pkg-config --cflags --libs nice libcrypto) -lpthread\n");
	return 2;
}

#else

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <agent.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#define KEY_LEN		32
#define HASH_LEN	32
#define TAG_LEN		16
#define INIT_LEN	148
#define RESP_LEN	92
#define DATA_HDR	16
#define BATCH		64
#define MAX_INNER	1500

/* ---- output ------------------------------------------------------------------------- */

static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;

static void say(const char *prefix, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
say(const char *prefix, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_mu);
	fputs(prefix, stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	pthread_mutex_unlock(&out_mu);
}

#define lg(...) say("lg: ", __VA_ARGS__)
#define shim(...) say("shim: ", __VA_ARGS__)

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- primitives (OpenSSL EVP) --------------------------------------------------------- */

static void
blake2s(uint8_t out[HASH_LEN], const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int n = HASH_LEN;

	if (c == NULL || !EVP_DigestInit_ex(c, EVP_blake2s256(), NULL) ||
	    !EVP_DigestUpdate(c, a, an) || (bn > 0 && !EVP_DigestUpdate(c, b, bn)) ||
	    !EVP_DigestFinal_ex(c, out, &n)) {
		fprintf(stderr, "loadgen: BLAKE2s failed\n");
		exit(1);
	}
	EVP_MD_CTX_free(c);
}

static void
hmac(uint8_t out[HASH_LEN], const uint8_t key[HASH_LEN], const uint8_t *in, size_t n)
{
	unsigned int ol = HASH_LEN;

	if (HMAC(EVP_blake2s256(), key, HASH_LEN, in, n, out, &ol) == NULL) {
		fprintf(stderr, "loadgen: HMAC-BLAKE2s failed\n");
		exit(1);
	}
}

/* KDF_n of the paper: t1..tn from chaining key ck and input. */
static void
kdf(uint8_t *t1, uint8_t *t2, uint8_t *t3, const uint8_t ck[HASH_LEN], const uint8_t *in, size_t n)
{
	uint8_t t0[HASH_LEN], buf[HASH_LEN + 1], o1[HASH_LEN], o2[HASH_LEN];

	hmac(t0, ck, in, n);
	buf[0] = 1;
	hmac(o1, t0, buf, 1);
	memcpy(buf, o1, HASH_LEN);
	buf[HASH_LEN] = 2;
	hmac(o2, t0, buf, HASH_LEN + 1);
	if (t3 != NULL) {
		memcpy(buf, o2, HASH_LEN);
		buf[HASH_LEN] = 3;
		hmac(t3, t0, buf, HASH_LEN + 1);
	}
	if (t1 != NULL)
		memcpy(t1, o1, HASH_LEN);
	if (t2 != NULL)
		memcpy(t2, o2, HASH_LEN);
	OPENSSL_cleanse(t0, sizeof(t0));
	OPENSSL_cleanse(o1, sizeof(o1));
	OPENSSL_cleanse(o2, sizeof(o2));
}

static void
mac1(uint8_t out[16], const uint8_t key[HASH_LEN], const uint8_t *msg, size_t n)
{
	EVP_MAC *m = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_BLAKE2SMAC, NULL);
	EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
	size_t sz = 16, ol = 0;
	OSSL_PARAM p[] = { OSSL_PARAM_size_t(OSSL_MAC_PARAM_SIZE, &sz), OSSL_PARAM_END };

	if (c == NULL || !EVP_MAC_init(c, key, HASH_LEN, p) || !EVP_MAC_update(c, msg, n) ||
	    !EVP_MAC_final(c, out, &ol, 16) || ol != 16) {
		fprintf(stderr, "loadgen: keyed BLAKE2s failed\n");
		exit(1);
	}
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
}

static void
x25519_pub(uint8_t pub[KEY_LEN], const uint8_t priv[KEY_LEN])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, KEY_LEN);
	size_t n = KEY_LEN;

	if (k == NULL || !EVP_PKEY_get_raw_public_key(k, pub, &n)) {
		fprintf(stderr, "loadgen: X25519 key failed\n");
		exit(1);
	}
	EVP_PKEY_free(k);
}

static int
x25519(uint8_t out[KEY_LEN], const uint8_t priv[KEY_LEN], const uint8_t pub[KEY_LEN])
{
	EVP_PKEY *a = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, KEY_LEN);
	EVP_PKEY *b = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, KEY_LEN);
	EVP_PKEY_CTX *c = a ? EVP_PKEY_CTX_new(a, NULL) : NULL;
	size_t n = KEY_LEN;
	int ok = c != NULL && b != NULL && EVP_PKEY_derive_init(c) > 0 &&
	    EVP_PKEY_derive_set_peer(c, b) > 0 && EVP_PKEY_derive(c, out, &n) > 0 && n == KEY_LEN;

	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	return ok ? 0 : -1;
}

/* ChaCha20-Poly1305 with the 64-bit little-endian counter nonce. */
static int
aead(EVP_CIPHER_CTX *c, int enc, const uint8_t key[KEY_LEN], uint64_t ctr, const uint8_t *in,
    size_t n, const uint8_t *ad, size_t adn, uint8_t *out)
{
	uint8_t nonce[12] = { 0 };
	int l = 0, i;

	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(ctr >> (8 * i));
	if (!EVP_CipherInit_ex(c, EVP_chacha20_poly1305(), NULL, key, nonce, enc))
		return -1;
	if (!enc && !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, (void *)(in + n)))
		return -1;
	if (adn > 0 && !EVP_CipherUpdate(c, NULL, &l, ad, (int)adn))
		return -1;
	if (n > 0 && !EVP_CipherUpdate(c, out, &l, in, (int)n))
		return -1;
	if (!EVP_CipherFinal_ex(c, out + n, &l))
		return -1;
	if (enc && !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, TAG_LEN, out + n))
		return -1;
	return 0;
}

static int
b64_key(const char *s, uint8_t out[KEY_LEN])
{
	uint8_t buf[48];
	size_t n = strcspn(s, " \t\r\n");

	if (n != 44 || EVP_DecodeBlock(buf, (const unsigned char *)s, 44) != 33)
		return -1;
	memcpy(out, buf, KEY_LEN);
	return 0;
}

static int
read_key(const char *path, uint8_t out[KEY_LEN])
{
	char buf[128];
	FILE *f = fopen(path, "r");
	int rc = -1;

	if (f != NULL && fgets(buf, sizeof(buf), f) != NULL)
		rc = b64_key(buf, out);
	if (f != NULL)
		fclose(f);
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

static void
put32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t
get32le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- state -------------------------------------------------------------------------------- */

static uint8_t s_priv[KEY_LEN], s_pub[KEY_LEN], r_pub[KEY_LEN], psk[KEY_LEN];
static struct sockaddr_in src_tun, dst_sink;
static const char *fwd_counter;
static size_t mem_budget = (size_t)2048 << 20;

static int sock_fd = -1;		/* the socket the WireGuard packets use */
static struct sockaddr_in peer_sa;	/* the gateway's endpoint / selected remote */
static int have_path;

/* The initiator's handshake in flight and the response slot. */
static pthread_mutex_t hs_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hs_cv = PTHREAD_COND_INITIALIZER;
static uint8_t resp[RESP_LEN];
static int have_resp;
static uint32_t hs_index;

/* The session after a handshake. */
static uint8_t t_send[KEY_LEN];
static uint32_t remote_index;
static uint64_t send_ctr;
static unsigned long rx_data, rx_other;

/* libnice */
static NiceAgent *agent;
static GMainLoop *loop;
static guint stream_id;
static int busy;
static double last_rate[2];	/* sender pps of the last fwd per size class, for sizing */

static void bigbuf(int fd);

/* ---- handshake ------------------------------------------------------------------------ */

static const char CONSTRUCTION[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const char IDENTIFIER[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
static const char LABEL_MAC1[] = "mac1----";

static void
tai64n(uint8_t out[12])
{
	struct timespec ts;
	uint64_t s;
	uint32_t ns;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	s = 0x400000000000000aULL + (uint64_t)ts.tv_sec;
	ns = (uint32_t)ts.tv_nsec;
	for (i = 0; i < 8; i++)
		out[i] = (uint8_t)(s >> (56 - 8 * i));
	for (i = 0; i < 4; i++)
		out[8 + i] = (uint8_t)(ns >> (24 - 8 * i));
}

static int
send_raw(const uint8_t *b, size_t n)
{
	for (;;) {
		if (sendto(sock_fd, b, n, 0, (struct sockaddr *)&peer_sa, sizeof(peer_sa)) >= 0)
			return 0;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
			struct pollfd p = { .fd = sock_fd, .events = POLLOUT };

			(void)poll(&p, 1, 10);
			continue;
		}
		if (errno != EINTR)
			return -1;
	}
}

/* One Noise_IKpsk2 handshake as the initiator, then a keepalive so the
 * responder confirms the session.  0 or -1. */
static int
handshake(void)
{
	uint8_t ck[HASH_LEN], h[HASH_LEN], k[KEY_LEN], e_priv[KEY_LEN], e_pub[KEY_LEN], dh[KEY_LEN];
	uint8_t msg[INIT_LEN], tmp[HASH_LEN], tau[HASH_LEN], t_recv[KEY_LEN], ka[DATA_HDR + TAG_LEN];
	uint8_t ts[12], empty[TAG_LEN], r[RESP_LEN];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	struct timespec dl;
	double t0;
	int attempt, rc = -1;

	for (attempt = 0; attempt < 10 && rc != 0; attempt++) {
		uint8_t ck0[HASH_LEN], h0[HASH_LEN];

		/* C = HASH(CONSTRUCTION); H = HASH(C || IDENTIFIER); H = HASH(H || S_r^pub) */
		blake2s(ck0, (const uint8_t *)CONSTRUCTION, strlen(CONSTRUCTION), NULL, 0);
		blake2s(h0, ck0, HASH_LEN, (const uint8_t *)IDENTIFIER, strlen(IDENTIFIER));
		blake2s(h0, h0, HASH_LEN, r_pub, KEY_LEN);
		memcpy(ck, ck0, HASH_LEN);
		memcpy(h, h0, HASH_LEN);
		memset(msg, 0, sizeof(msg));
		msg[0] = 1;
		pthread_mutex_lock(&hs_mu);
		(void)RAND_bytes((uint8_t *)&hs_index, sizeof(hs_index));
		have_resp = 0;
		pthread_mutex_unlock(&hs_mu);
		put32le(msg + 4, hs_index);
		/* e */
		(void)RAND_bytes(e_priv, KEY_LEN);
		x25519_pub(e_pub, e_priv);
		memcpy(msg + 8, e_pub, KEY_LEN);
		kdf(ck, NULL, NULL, ck, e_pub, KEY_LEN);
		blake2s(h, h, HASH_LEN, e_pub, KEY_LEN);
		/* es */
		if (x25519(dh, e_priv, r_pub) != 0)
			goto out;
		kdf(ck, k, NULL, ck, dh, KEY_LEN);
		/* s */
		if (aead(c, 1, k, 0, s_pub, KEY_LEN, h, HASH_LEN, msg + 40) != 0)
			goto out;
		blake2s(h, h, HASH_LEN, msg + 40, KEY_LEN + TAG_LEN);
		/* ss */
		if (x25519(dh, s_priv, r_pub) != 0)
			goto out;
		kdf(ck, k, NULL, ck, dh, KEY_LEN);
		/* timestamp */
		tai64n(ts);
		if (aead(c, 1, k, 0, ts, 12, h, HASH_LEN, msg + 88) != 0)
			goto out;
		blake2s(h, h, HASH_LEN, msg + 88, 12 + TAG_LEN);
		/* mac1 = MAC(HASH(LABEL_MAC1 || S_r^pub), msg[0:116]); mac2 zero */
		blake2s(tmp, (const uint8_t *)LABEL_MAC1, 8, r_pub, KEY_LEN);
		mac1(msg + 116, tmp, msg, 116);

		t0 = now_s();
		if (send_raw(msg, sizeof(msg)) != 0) {
			lg("error send initiation: %s", strerror(errno));
			goto out;
		}
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 2;
		pthread_mutex_lock(&hs_mu);
		while (!have_resp)
			if (pthread_cond_timedwait(&hs_cv, &hs_mu, &dl) == ETIMEDOUT)
				break;
		if (have_resp)
			memcpy(r, resp, RESP_LEN);
		pthread_mutex_unlock(&hs_mu);
		if (!have_resp) {
			lg("handshake: no response (attempt %d)", attempt + 1);
			continue;
		}
		/* The response: e, ee, se, psk, {} */
		memcpy(tmp, r + 12, KEY_LEN);			/* their ephemeral */
		kdf(ck, NULL, NULL, ck, tmp, KEY_LEN);
		blake2s(h, h, HASH_LEN, tmp, KEY_LEN);
		if (x25519(dh, e_priv, tmp) != 0)		/* ee */
			goto out;
		kdf(ck, NULL, NULL, ck, dh, KEY_LEN);
		if (x25519(dh, s_priv, tmp) != 0)		/* se */
			goto out;
		kdf(ck, NULL, NULL, ck, dh, KEY_LEN);
		kdf(ck, tau, k, ck, psk, KEY_LEN);		/* psk */
		blake2s(h, h, HASH_LEN, tau, HASH_LEN);
		if (aead(c, 0, k, 0, r + 44, 0, h, HASH_LEN, empty) != 0) {
			lg("error handshake response does not authenticate (wrong key or PSK?)");
			goto out;
		}
		kdf(t_send, t_recv, NULL, ck, NULL, 0);
		remote_index = get32le(r + 4);
		send_ctr = 0;
		/* keepalive: an empty transport message confirms the session */
		ka[0] = 4;
		ka[1] = ka[2] = ka[3] = 0;
		put32le(ka + 4, remote_index);
		memset(ka + 8, 0, 8);
		if (aead(c, 1, t_send, send_ctr++, NULL, 0, NULL, 0, ka + DATA_HDR) != 0 ||
		    send_raw(ka, sizeof(ka)) != 0)
			goto out;
		lg("handshake ok rtt_us=%.0f", (now_s() - t0) * 1e6);
		rc = 0;
	}
out:
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(e_priv, sizeof(e_priv));
	OPENSSL_cleanse(dh, sizeof(dh));
	OPENSSL_cleanse(ck, sizeof(ck));
	OPENSSL_cleanse(t_recv, sizeof(t_recv));
	EVP_CIPHER_CTX_free(c);
	return rc;
}

/* Every datagram from the gateway (main thread). */
static void
on_datagram(const uint8_t *b, size_t n)
{
	if (n == RESP_LEN && b[0] == 2 && get32le(b + 8) == hs_index) {
		pthread_mutex_lock(&hs_mu);
		memcpy(resp, b, RESP_LEN);
		have_resp = 1;
		pthread_cond_signal(&hs_cv);
		pthread_mutex_unlock(&hs_mu);
	} else if (n >= 32 && b[0] == 4) {
		rx_data++;
	} else {
		rx_other++;
	}
}

/* ---- forward load ------------------------------------------------------------------------ */

/* RFC 1071 sum of n bytes added to s (an odd last byte padded with 0). */
static uint32_t
csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t
csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint16_t
ip_csum(const uint8_t *p, size_t n)
{
	return csum_fold(csum_add(0, p, n));
}

/* The inner datagram: IPv4 + UDP + payload, with a UDP checksum as every
 * common stack sends it (the gateway joins only datagrams that carry one,
 * see dataplane/tungro.c). */
static size_t
build_inner(uint8_t *p, size_t size)
{
	size_t tot = 20 + 8 + size;
	uint16_t c;

	memset(p, 0, tot);
	p[0] = 0x45;
	p[2] = (uint8_t)(tot >> 8);
	p[3] = (uint8_t)tot;
	p[6] = 0x40;		/* DF */
	p[8] = 64;
	p[9] = 17;
	memcpy(p + 12, &src_tun.sin_addr, 4);
	memcpy(p + 16, &dst_sink.sin_addr, 4);
	c = ip_csum(p, 20);
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
	p[20] = 0x9c;		/* source port 40000 */
	p[21] = 0x40;
	memcpy(p + 22, &dst_sink.sin_port, 2);
	p[24] = (uint8_t)((8 + size) >> 8);
	p[25] = (uint8_t)(8 + size);
	memset(p + 28, 0xa5, size);
	{
		uint8_t ph[4] = { 0, 17, (uint8_t)((8 + size) >> 8), (uint8_t)(8 + size) };
		c = csum_fold(csum_add(csum_add(csum_add(0, p + 12, 8), ph, 4), p + 20, 8 + size));
		if (c == 0)
			c = 0xffff;
		p[26] = (uint8_t)(c >> 8);
		p[27] = (uint8_t)c;
	}
	return tot;
}

struct enc_job {
	uint8_t *buf;
	size_t stride, wire, inner_len, padded;
	const uint8_t *inner;
	uint64_t first_ctr;
	size_t from, to;
	int failed;
};

static void *
enc_worker(void *arg)
{
	struct enc_job *j = arg;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t pt[MAX_INNER + 16], nonce[12];
	size_t i;
	int l;

	memset(pt, 0, sizeof(pt));
	memcpy(pt, j->inner, j->inner_len);
	/* The cipher and key once; per packet only the nonce changes. */
	if (c == NULL || !EVP_EncryptInit_ex(c, EVP_chacha20_poly1305(), NULL, t_send, NULL))
		j->failed = 1;
	for (i = j->from; i < j->to && !j->failed; i++) {
		uint8_t *p = j->buf + i * j->stride;
		uint64_t ctr = j->first_ctr + i;
		int b;

		p[0] = 4;
		p[1] = p[2] = p[3] = 0;
		put32le(p + 4, remote_index);
		memset(nonce, 0, 4);
		for (b = 0; b < 8; b++)
			nonce[4 + b] = p[8 + b] = (uint8_t)(ctr >> (8 * b));
		if (!EVP_EncryptInit_ex(c, NULL, NULL, NULL, nonce) ||
		    !EVP_EncryptUpdate(c, p + DATA_HDR, &l, pt, (int)j->padded) ||
		    !EVP_EncryptFinal_ex(c, p + DATA_HDR + j->padded, &l) ||
		    !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, TAG_LEN, p + DATA_HDR + j->padded))
			j->failed = 1;
	}
	EVP_CIPHER_CTX_free(c);
	return NULL;
}

/*
 * Datagrams counted by an nft counter whose packets are IPv4/UDP of `seg`
 * payload bytes each.  A GSO or GRO train is one packet of the counter but
 * several datagrams: one 28-byte header for all of them.
 */
static unsigned long long
datagrams(unsigned long long pk, unsigned long long by, size_t seg)
{
	if (seg == 0 || by < pk * 28)
		return pk;
	return (by - pk * 28) / seg;
}

/* "PACKETS BYTES" from the counter command. */
static int
read_counter(const char *cmd, unsigned long long *pk, unsigned long long *by)
{
	FILE *f = popen(cmd, "r");
	int ok;

	if (f == NULL)
		return -1;
	ok = fscanf(f, "%llu %llu", pk, by) == 2;
	pclose(f);
	return ok ? 0 : -1;
}

/* Send N pre-built datagrams (slot i at buf + i * stride, wire bytes each)
 * for at most `secs`; returns how many went out, *elapsed the time taken. */
static size_t
blast(int fd, const struct sockaddr_in *to, uint8_t *buf, size_t stride, size_t wire, size_t n,
    int repeat, double secs, double *elapsed)
{
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	size_t sent = 0, i;
	double t0 = now_s(), end = t0 + secs, t = t0;
	unsigned long loops = 0;

	memset(mm, 0, sizeof(mm));
	for (i = 0; i < BATCH; i++) {
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		if (to != NULL) {
			mm[i].msg_hdr.msg_name = (void *)to;
			mm[i].msg_hdr.msg_namelen = sizeof(*to);
		}
		iov[i].iov_len = wire;
	}
	while (sent < n || repeat) {
		size_t k = repeat ? BATCH : (n - sent < BATCH ? n - sent : BATCH);
		int r;

		for (i = 0; i < k; i++)
			iov[i].iov_base = buf + ((repeat ? 0 : sent + i) * stride);
		r = sendmmsg(fd, mm, (unsigned int)k, 0);
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
				struct pollfd p = { .fd = fd, .events = POLLOUT };

				(void)poll(&p, 1, 1);
			} else if (errno != EINTR && errno != ECONNREFUSED) {
				lg("error sendmmsg: %s", strerror(errno));
				break;
			}
		} else {
			sent += (size_t)r;
		}
		if ((++loops & 15) == 0 && (t = now_s()) >= end)
			break;
	}
	*elapsed = now_s() - t0;
	return sent;
}

static void
cmd_fwd(size_t size, double secs)
{
	uint8_t inner[MAX_INNER];
	size_t inner_len, padded, wire, stride, n, per, i;
	unsigned long long p0 = 0, b0 = 0, p1 = 0, b1 = 0;
	struct enc_job jobs[2];
	pthread_t th[2];
	uint8_t *buf;
	double te, el = 0, rate, guess;
	int cls = size >= 512, nth = 2, failed = 0;
	unsigned long long got;
	size_t sent;

	if (size > MAX_INNER - 28) {
		lg("error size %zu too large", size);
		return;
	}
	if (handshake() != 0) {
		lg("error fwd: no handshake");
		return;
	}
	inner_len = build_inner(inner, size);
	padded = (inner_len + 15) & ~(size_t)15;
	wire = DATA_HDR + padded + TAG_LEN;
	stride = (wire + 63) & ~(size_t)63;
	n = mem_budget / stride;
	/* Enough for the time at twice the last measured send rate (500 kpps,
	 * 250 kpps for large datagrams, before the first run); a run that uses
	 * them all up ends early and its rate is still right (it divides by
	 * the sending time). */
	guess = last_rate[cls] > 0 ? 2 * last_rate[cls] : (cls ? 2.5e5 : 5e5);
	if ((size_t)(guess * secs) + 4096 < n)
		n = (size_t)(guess * secs) + 4096;
	buf = mmap(NULL, n * stride, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
	    -1, 0);
	if (buf == MAP_FAILED) {
		lg("error mmap %zu bytes: %s", n * stride, strerror(errno));
		return;
	}
	te = now_s();
	per = (n + nth - 1) / nth;
	for (i = 0; i < (size_t)nth; i++) {
		jobs[i] = (struct enc_job){ buf, stride, wire, inner_len, padded, inner, send_ctr,
			i * per, (i + 1) * per < n ? (i + 1) * per : n, 0 };
		pthread_create(&th[i], NULL, enc_worker, &jobs[i]);
	}
	for (i = 0; i < (size_t)nth; i++) {
		pthread_join(th[i], NULL);
		failed |= jobs[i].failed;
	}
	te = now_s() - te;
	if (failed) {
		lg("error encryption failed");
		munmap(buf, n * stride);
		return;
	}
	if (fwd_counter != NULL && read_counter(fwd_counter, &p0, &b0) != 0)
		lg("error cannot read the sink counter");
	sent = blast(sock_fd, &peer_sa, buf, stride, wire, n, 0, secs, &el);
	send_ctr += n;
	usleep(300000);	/* let the gateway drain what it has queued */
	if (fwd_counter != NULL && read_counter(fwd_counter, &p1, &b1) != 0)
		lg("error cannot read the sink counter");
	got = datagrams(p1 - p0, b1 - b0, size);
	rate = el > 0 ? (double)got / el : 0;
	if (el > 0)
		last_rate[cls] = (double)sent / el;
	lg("fwd size=%zu sent=%zu secs=%.3f delivered=%llu pps=%.0f mbps=%.1f encrypted=%zu "
	    "enc_secs=%.2f send_pps=%.0f counted=%llu", size, sent, el, got, rate,
	    rate * (double)size * 8 / 1e6, n, te, el > 0 ? (double)sent / el : 0, p1 - p0);
	munmap(buf, n * stride);
}

/* ---- commands (main thread hands them to a worker) ------------------------------------------- */

struct job {
	char cmd[16];
	size_t size;
	double secs;
};

static void *
job_thread(void *arg)
{
	struct job *j = arg;

	if (!have_path) {
		lg("error no path to the gateway yet");
	} else if (strcmp(j->cmd, "hs") == 0) {
		if (handshake() != 0)
			lg("error handshake failed");
	} else if (strcmp(j->cmd, "fwd") == 0) {
		cmd_fwd(j->size, j->secs);
	}
	free(j);
	__atomic_store_n(&busy, 0, __ATOMIC_SEQ_CST);
	return NULL;
}

static void
start_job(const char *cmd, size_t size, double secs)
{
	struct job *j;
	pthread_t t;
	int waited = 0;

	/* The last job prints its result just before it ends: wait for it. */
	while (__atomic_load_n(&busy, __ATOMIC_SEQ_CST) && waited++ < 30000)
		g_usleep(1000);
	if (__atomic_load_n(&busy, __ATOMIC_SEQ_CST)) {
		lg("error busy");
		return;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return;
	snprintf(j->cmd, sizeof(j->cmd), "%s", cmd);
	j->size = size;
	j->secs = secs;
	__atomic_store_n(&busy, 1, __ATOMIC_SEQ_CST);
	if (pthread_create(&t, NULL, job_thread, j) != 0) {
		busy = 0;
		free(j);
		lg("error thread");
		return;
	}
	pthread_detach(t);
}

static void
add_remote(const char *c)
{
	gchar *sdp;
	NiceCandidate *cand;

	if (agent == NULL)
		return;
	while (*c == ' ')
		c++;
	sdp = g_str_has_prefix(c, "a=") ? g_strdup(c) : g_strconcat("a=", c, NULL);
	cand = nice_agent_parse_remote_candidate_sdp(agent, stream_id, sdp);
	if (cand == NULL) {
		lg("error bad candidate %s", c);
	} else {
		GSList *l = g_slist_append(NULL, cand);

		if (nice_agent_set_remote_candidates(agent, stream_id, 1, l) < 1)
			lg("error candidate not added %s", c);
		else
			shim("remote candidate %s", sdp + 2);
		g_slist_free_full(l, (GDestroyNotify)nice_candidate_free);
	}
	g_free(sdp);
}

static void
handle_line(char *line)
{
	size_t n = strlen(line);
	char cmd[16];
	size_t size;
	double secs;

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (strncmp(line, "cand ", 5) == 0)
		add_remote(line + 5);
	else if (strncmp(line, "candidate:", 10) == 0 || strncmp(line, "a=candidate:", 12) == 0)
		add_remote(line);
	else if (strncmp(line, "invalidate ", 11) == 0)
		;
	else if (strcmp(line, "quit") == 0)
		g_main_loop_quit(loop);
	else if (strcmp(line, "hs") == 0)
		start_job("hs", 0, 0);
	else if (sscanf(line, "%15s %zu %lf", cmd, &size, &secs) == 3 && strcmp(cmd, "fwd") == 0)
		start_job("fwd", size, secs);
	else if (strcmp(line, "stats") == 0)
		lg("stats rx_data=%lu rx_other=%lu", rx_data, rx_other);
	else if (n > 0)
		lg("error unknown command %s", line);
}

static gboolean
cb_stdin(GIOChannel *ch, GIOCondition cond, gpointer data)
{
	gchar *line = NULL;
	gsize len = 0;
	GIOStatus st;

	(void)cond;
	(void)data;
	st = g_io_channel_read_line(ch, &line, &len, NULL, NULL);
	if (st == G_IO_STATUS_NORMAL && line != NULL) {
		handle_line(line);
		g_free(line);
		return TRUE;
	}
	g_free(line);
	if (st == G_IO_STATUS_AGAIN)
		return TRUE;
	g_main_loop_quit(loop);
	return FALSE;
}

static gboolean
cb_signal(gpointer data)
{
	(void)data;
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

/* Plain mode: datagrams from wireguard-go. */
static gboolean
cb_sock(gint fd, GIOCondition cond, gpointer data)
{
	uint8_t b[2048];
	ssize_t n;

	(void)cond;
	(void)data;
	while ((n = recv(fd, b, sizeof(b), MSG_DONTWAIT)) >= 0)
		on_datagram(b, (size_t)n);
	return G_SOURCE_CONTINUE;
}

/* ICE mode. */
static const char *
cand_type(NiceCandidateType t)
{
	switch (t) {
	case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
		return "srflx";
	case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
		return "prflx";
	case NICE_CANDIDATE_TYPE_RELAYED:
		return "relay";
	default:
		return "host";
	}
}

static void
cb_new_candidate(NiceAgent *a, NiceCandidate *c, gpointer data)
{
	gchar ip[NICE_ADDRESS_STRING_LEN];

	(void)a;
	(void)data;
	if (c->transport != NICE_CANDIDATE_TRANSPORT_UDP || c->component_id != 1)
		return;
	nice_address_to_string(&c->addr, ip);
	shim("candidate candidate:%s 1 udp %u %s %u typ %s", c->foundation, c->priority, ip,
	    nice_address_get_port(&c->addr), cand_type(c->type));
}

static void
cb_selected(NiceAgent *a, guint sid, guint cid, NiceCandidate *lc, NiceCandidate *rc, gpointer data)
{
	gchar l[NICE_ADDRESS_STRING_LEN], r[NICE_ADDRESS_STRING_LEN];
	GSocket *gs;

	(void)data;
	nice_address_to_string(&lc->addr, l);
	nice_address_to_string(&rc->addr, r);
	shim("selected pair local %s:%u (%s) remote %s:%u (%s)", l, nice_address_get_port(&lc->addr),
	    cand_type(lc->type), r, nice_address_get_port(&rc->addr), cand_type(rc->type));
	if (nice_address_ip_version(&rc->addr) != 4) {
		lg("error the benchmark uses IPv4 pairs only");
		return;
	}
	gs = nice_agent_get_selected_socket(a, sid, cid);
	if (gs == NULL) {
		lg("error no selected socket");
		return;
	}
	sock_fd = g_socket_get_fd(gs);
	g_object_unref(gs);
	nice_address_copy_to_sockaddr(&rc->addr, (struct sockaddr *)&peer_sa);
	bigbuf(sock_fd);
	have_path = 1;
	lg("path fd=%d", sock_fd);
}

static void
cb_state(NiceAgent *a, guint sid, guint cid, guint state, gpointer data)
{
	(void)a;
	(void)sid;
	(void)cid;
	(void)data;
	shim("state %s", nice_component_state_to_string(state));
}

static void
cb_recv(NiceAgent *a, guint sid, guint cid, guint len, gchar *buf, gpointer data)
{
	(void)a;
	(void)sid;
	(void)cid;
	(void)data;
	on_datagram((const uint8_t *)buf, len);
}

static int
parse_sa(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	size_t hl;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (colon == NULL) {
		return inet_pton(AF_INET, s, &sa->sin_addr) == 1 ? 0 : -1;
	}
	hl = (size_t)(colon - s);
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	sa->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static void
bigbuf(int fd)
{
	int v = 8 << 20;

	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v));
}

/* ---- reverse-direction source ------------------------------------------------------------------ */

static int
main_blast(int argc, char **argv)
{
	const char *dst = NULL, *bind_s = NULL, *counter = NULL;
	size_t size = 64, sent;
	double secs = 5, el = 0, rate;
	struct sockaddr_in to, from;
	unsigned long long p0 = 0, b0 = 0, p1 = 0, b1 = 0, got;
	uint8_t *buf;
	int i, fd;

	for (i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--dst") == 0)
			dst = argv[i + 1];
		else if (strcmp(argv[i], "--size") == 0)
			size = (size_t)atol(argv[i + 1]);
		else if (strcmp(argv[i], "--seconds") == 0)
			secs = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--counter") == 0)
			counter = argv[i + 1];
		else if (strcmp(argv[i], "--bind") == 0)
			bind_s = argv[i + 1];
		else {
			fprintf(stderr, "loadgen blast: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (dst == NULL || parse_sa(dst, &to) != 0 || size < 1 || size > 65000) {
		fprintf(stderr, "loadgen blast: --dst IP:PORT --size N --seconds S --counter CMD\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return 1;
	bigbuf(fd);
	if (bind_s != NULL && (parse_sa(bind_s, &from) != 0 ||
	    bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0)) {
		perror("loadgen blast: bind");
		return 1;
	}
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
		perror("loadgen blast: connect");
		return 1;
	}
	buf = calloc(1, size);
	if (buf == NULL)
		return 1;
	memset(buf, 0x5a, size);
	if (counter != NULL && read_counter(counter, &p0, &b0) != 0)
		lg("error cannot read the counter");
	sent = blast(fd, NULL, buf, 0, size, 0, 1, secs, &el);
	usleep(300000);
	if (counter != NULL && read_counter(counter, &p1, &b1) != 0)
		lg("error cannot read the counter");
	/* The counter sees the gateway's WireGuard data messages: 32 bytes
	 * around the inner packet (IPv4 + UDP + payload) padded to 16. */
	got = datagrams(p1 - p0, b1 - b0, 32 + ((28 + size + 15) & ~(size_t)15));
	rate = el > 0 ? (double)got / el : 0;
	lg("rev size=%zu sent=%zu secs=%.3f delivered=%llu pps=%.0f mbps=%.1f send_pps=%.0f counted=%llu",
	    size, sent, el, got, rate, rate * (double)size * 8 / 1e6, el > 0 ? (double)sent / el : 0,
	    p1 - p0);
	free(buf);
	close(fd);
	return 0;
}

/* ---- main -------------------------------------------------------------------------------------- */

int
main(int argc, char **argv)
{
	const char *key = NULL, *pub = NULL, *pskf = NULL, *bind_s = NULL, *peer = NULL;
	const char *ufrag = NULL, *pwd = NULL, *rufrag = NULL, *rpwd = NULL, *src = "100.64.0.2";
	const char *dst = "10.99.0.2:5555";
	struct sockaddr_in bsa;
	int i, ice = 0;
	GIOChannel *ch;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && strcmp(argv[1], "blast") == 0)
		return main_blast(argc, argv);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--ice") == 0) {
			ice = 1;
			continue;
		}
		if (v == NULL) {
			fprintf(stderr, "loadgen: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (strcmp(a, "--key") == 0)
			key = v;
		else if (strcmp(a, "--peer-pub") == 0)
			pub = v;
		else if (strcmp(a, "--psk") == 0)
			pskf = v;
		else if (strcmp(a, "--bind") == 0)
			bind_s = v;
		else if (strcmp(a, "--peer") == 0)
			peer = v;
		else if (strcmp(a, "--ufrag") == 0)
			ufrag = v;
		else if (strcmp(a, "--pwd") == 0)
			pwd = v;
		else if (strcmp(a, "--remote-ufrag") == 0)
			rufrag = v;
		else if (strcmp(a, "--remote-pwd") == 0)
			rpwd = v;
		else if (strcmp(a, "--src") == 0)
			src = v;
		else if (strcmp(a, "--dst") == 0)
			dst = v;
		else if (strcmp(a, "--fwd-counter") == 0)
			fwd_counter = v;
		else if (strcmp(a, "--mem-mb") == 0)
			mem_budget = (size_t)atol(v) << 20;
		else {
			fprintf(stderr, "loadgen: unknown option %s\n", a);
			return 2;
		}
	}
	if (key == NULL || read_key(key, s_priv) != 0 || pub == NULL || b64_key(pub, r_pub) != 0) {
		fprintf(stderr, "loadgen: --key FILE and --peer-pub B64 are required and must be keys\n");
		return 2;
	}
	if (pskf != NULL && read_key(pskf, psk) != 0) {
		fprintf(stderr, "loadgen: bad --psk\n");
		return 2;
	}
	x25519_pub(s_pub, s_priv);
	if (parse_sa(src, &src_tun) != 0 || parse_sa(dst, &dst_sink) != 0 || bind_s == NULL ||
	    parse_sa(bind_s, &bsa) != 0) {
		fprintf(stderr, "loadgen: bad --src, --dst or --bind\n");
		return 2;
	}
	if (!ice && (peer == NULL || parse_sa(peer, &peer_sa) != 0)) {
		fprintf(stderr, "loadgen: --peer IP:PORT or --ice\n");
		return 2;
	}
	if (ice && (ufrag == NULL || pwd == NULL || rufrag == NULL || rpwd == NULL)) {
		fprintf(stderr, "loadgen: --ice needs --ufrag --pwd --remote-ufrag --remote-pwd\n");
		return 2;
	}

	loop = g_main_loop_new(NULL, FALSE);
	if (ice) {
		NiceAddress addr;
		char ip[INET_ADDRSTRLEN];

		agent = nice_agent_new_full(g_main_loop_get_context(loop), NICE_COMPATIBILITY_RFC5245,
		    NICE_AGENT_OPTION_ICE_TRICKLE);
		if (agent == NULL)
			return 2;
		g_object_set(agent, "controlling-mode", TRUE, "upnp", FALSE, "ice-tcp", FALSE, NULL);
		inet_ntop(AF_INET, &bsa.sin_addr, ip, sizeof(ip));
		nice_address_init(&addr);
		nice_address_set_from_string(&addr, ip);
		nice_agent_add_local_address(agent, &addr);
		g_signal_connect(agent, "new-candidate-full", G_CALLBACK(cb_new_candidate), NULL);
		g_signal_connect(agent, "component-state-changed", G_CALLBACK(cb_state), NULL);
		g_signal_connect(agent, "new-selected-pair-full", G_CALLBACK(cb_selected), NULL);
		stream_id = nice_agent_add_stream(agent, 1);
		if (stream_id == 0 || !nice_agent_set_local_credentials(agent, stream_id, ufrag, pwd) ||
		    !nice_agent_set_remote_credentials(agent, stream_id, rufrag, rpwd)) {
			fprintf(stderr, "loadgen: ICE stream set-up failed\n");
			return 2;
		}
		if (ntohs(bsa.sin_port) != 0)
			nice_agent_set_port_range(agent, stream_id, 1, ntohs(bsa.sin_port), ntohs(bsa.sin_port));
		nice_agent_attach_recv(agent, stream_id, 1, g_main_loop_get_context(loop), cb_recv, NULL);
		if (!nice_agent_gather_candidates(agent, stream_id)) {
			lg("error gathering failed");
			return 2;
		}
	} else {
		sock_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (sock_fd < 0 || bind(sock_fd, (struct sockaddr *)&bsa, sizeof(bsa)) != 0) {
			perror("loadgen: bind");
			return 2;
		}
		g_unix_fd_add(sock_fd, G_IO_IN, cb_sock, NULL);
		have_path = 1;
		lg("path fd=%d", sock_fd);
	}
	if (sock_fd >= 0)
		bigbuf(sock_fd);
	ch = g_io_channel_unix_new(STDIN_FILENO);
	g_io_add_watch(ch, G_IO_IN | G_IO_HUP | G_IO_ERR, cb_stdin, NULL);
	g_unix_signal_add(SIGTERM, cb_signal, NULL);
	g_unix_signal_add(SIGINT, cb_signal, NULL);
	lg("ready");
	g_main_loop_run(loop);
	lg("bye rx_data=%lu rx_other=%lu", rx_data, rx_other);
	/* A job still running owns the socket; leave without tearing down under it. */
	OPENSSL_cleanse(s_priv, sizeof(s_priv));
	OPENSSL_cleanse(psk, sizeof(psk));
	OPENSSL_cleanse(t_send, sizeof(t_send));
	fflush(stdout);
	_exit(0);
}

#endif
