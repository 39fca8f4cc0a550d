/*
 * client_shim - the glue of the end-to-end tests' reference client (issue 7).
 *
 * The reference client is made of independent implementations: libnice's
 * NiceAgent does ICE (controlling, trickle, as the Firezone client does) and
 * wireguard-go does WireGuard.  This program joins them: it runs the
 * NiceAgent, prints its local candidates in the string form the Firezone
 * client signals (docs/protocol/p2p.md section 2.4), takes the gateway's candidates on
 * stdin, and once a pair is selected it carries every datagram between a
 * local UDP socket (wireguard-go's peer endpoint) and the selected pair.
 *
 * Build (the Makefile links tools against libc only, so the test scripts
 * that use it build it themselves):
 *   cc -DFZ_CLIENT_SHIM -o client_shim tests/tools/client_shim.c \
 *       $(pkg-config --cflags --libs nice)
 * Without FZ_CLIENT_SHIM it compiles to a program that only says so.
 *
 * Options:
 *   --ufrag U --pwd P                 our ICE credentials (authorize_flow's
 *                                     client_ice_credentials)
 *   --remote-ufrag U --remote-pwd P   the gateway's (gateway_ice_credentials)
 *   --bind IP                         local address to gather on (repeatable;
 *                                     default 127.0.0.1)
 *   --wg-listen IP:PORT               the socket wireguard-go sends to
 *                                     (default 127.0.0.1:0, a free port)
 *   --wg-peer IP:PORT                 wireguard-go's own address (default: the
 *                                     source of the last datagram from it)
 *   --regular                         regular instead of aggressive nomination
 *   --timeout SEC                     exit 3 if no pair is selected within SEC
 *                                     (default 30; 0 = never)
 *
 * stdin, one command per line:
 *   cand <candidate:...>              a remote candidate ("a=" prefix optional);
 *   candidate:...                     the same without the word "cand"
 *   invalidate <candidate:...>        noted (libnice cannot remove one); if it is
 *                                     the selected relayed remote, the next
 *                                     relayed one gets a priority above it
 *   stats                             print the counters now
 *   quit                              exit 0 (so do EOF, SIGTERM and SIGINT)
 *
 * stdout, one line per event, flushed, every line starting with "shim: ":
 *   shim: credentials <ufrag> <pwd>
 *   shim: wg socket <ip>:<port>
 *   shim: candidate candidate:<f> 1 udp <prio> <ip> <port> typ <type>
 *   shim: gathering done
 *   shim: remote candidate <candidate:...>
 *   shim: state <libnice component state>
 *   shim: selected pair local <ip>:<port> (<type>) remote <ip>:<port> (<type>)
 *   shim: wireguard-go at <ip>:<port>
 *   shim: forwarded N datagrams (to gateway A, to wireguard-go B, dropped C)
 *   shim: error <message>
 */
#ifndef FZ_CLIENT_SHIM

#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "client_shim: build with -DFZ_CLIENT_SHIM and "
	    "$(pkg-config --cflags --libs nice)\n");
	return 2;
}

#else

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <agent.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib.h>

#define SHIM_BUF 65536

static NiceAgent *agent;
static GMainLoop *loop;
static guint stream_id;
static int exit_code;
static int selected;

static int wg_fd = -1;
static struct sockaddr_storage wg_peer;
static socklen_t wg_peer_len;
static int wg_peer_fixed;

static unsigned long n_to_gw, n_to_wg, n_dropped;
static unsigned long last_to_gw = (unsigned long)-1, last_to_wg, last_dropped;

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
out(const char *fmt, ...)
{
	va_list ap;

	fputs("shim: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static const char *
cand_type(NiceCandidateType t)
{
	switch (t) {
	case NICE_CANDIDATE_TYPE_HOST:
		return "host";
	case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
		return "srflx";
	case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
		return "prflx";
	case NICE_CANDIDATE_TYPE_RELAYED:
		return "relay";
	}
	return "host";
}

/*
 * The Firezone client's own form (str0m): component 1, lower-case "udp",
 * no raddr/rport, no ufrag, IPv6 without brackets.
 */
static void
print_local_candidate(NiceCandidate *c)
{
	gchar ip[NICE_ADDRESS_STRING_LEN];

	if (c->transport != NICE_CANDIDATE_TRANSPORT_UDP || c->component_id != 1)
		return;
	nice_address_to_string(&c->addr, ip);
	out("candidate candidate:%s 1 udp %u %s %u typ %s", c->foundation, c->priority, ip,
	    nice_address_get_port(&c->addr), cand_type(c->type));
}

static void
print_counters(int force)
{
	if (!force && n_to_gw == last_to_gw && n_to_wg == last_to_wg && n_dropped == last_dropped)
		return;
	last_to_gw = n_to_gw;
	last_to_wg = n_to_wg;
	last_dropped = n_dropped;
	out("forwarded %lu datagrams (to gateway %lu, to wireguard-go %lu, dropped %lu)",
	    n_to_gw + n_to_wg, n_to_gw, n_to_wg, n_dropped);
}

static const char *
fmt_sa(const struct sockaddr_storage *ss, char *buf, size_t n)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(buf, n, "%s:%u", ip, ntohs(s->sin_port));
	} else {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(buf, n, "[%s]:%u", ip, ntohs(s->sin6_port));
	}
	return buf;
}

/* "IP:PORT" or "[IPv6]:PORT" into a sockaddr. */
static int
parse_sa(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	size_t hl;
	long port;
	char *end;

	if (colon == NULL)
		return -1;
	hl = (size_t)(colon - s);
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 0 || port > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return -1;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -1;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*len = sizeof(*a);
	}
	return 0;
}

static void
cb_new_candidate(NiceAgent *a, NiceCandidate *c, gpointer data)
{
	(void)a;
	(void)data;
	print_local_candidate(c);
}

static void
cb_gathering_done(NiceAgent *a, guint sid, gpointer data)
{
	(void)a;
	(void)sid;
	(void)data;
	out("gathering done");
}

static void
cb_state(NiceAgent *a, guint sid, guint cid, guint state, gpointer data)
{
	(void)a;
	(void)sid;
	(void)cid;
	(void)data;
	out("state %s", nice_component_state_to_string(state));
}

static void
cb_selected(NiceAgent *a, guint sid, guint cid, NiceCandidate *lc, NiceCandidate *rc,
    gpointer data)
{
	gchar l[NICE_ADDRESS_STRING_LEN], r[NICE_ADDRESS_STRING_LEN];
	int v6l = nice_address_ip_version(&lc->addr) == 6;
	int v6r = nice_address_ip_version(&rc->addr) == 6;

	(void)a;
	(void)sid;
	(void)cid;
	(void)data;
	nice_address_to_string(&lc->addr, l);
	nice_address_to_string(&rc->addr, r);
	out("selected pair local %s%s%s:%u (%s) remote %s%s%s:%u (%s)",
	    v6l ? "[" : "", l, v6l ? "]" : "", nice_address_get_port(&lc->addr), cand_type(lc->type),
	    v6r ? "[" : "", r, v6r ? "]" : "", nice_address_get_port(&rc->addr), cand_type(rc->type));
	selected = 1;
}

/* From the gateway over the ICE path: to wireguard-go. */
static void
cb_recv(NiceAgent *a, guint sid, guint cid, guint len, gchar *buf, gpointer data)
{
	(void)a;
	(void)sid;
	(void)cid;
	(void)data;
	if (wg_peer_len == 0) {
		n_dropped++;
		return;
	}
	if (sendto(wg_fd, buf, len, 0, (struct sockaddr *)&wg_peer, wg_peer_len) < 0) {
		n_dropped++;
		return;
	}
	n_to_wg++;
}

/* From wireguard-go: onto the selected pair. */
static gboolean
cb_wg(gint fd, GIOCondition cond, gpointer data)
{
	static char buf[SHIM_BUF];

	(void)cond;
	(void)data;
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				out("error wg socket: %s", strerror(errno));
			break;
		}
		if (!wg_peer_fixed && (wg_peer_len != fl || memcmp(&wg_peer, &from, fl) != 0)) {
			char b[INET6_ADDRSTRLEN + 10];

			memcpy(&wg_peer, &from, fl);
			wg_peer_len = fl;
			out("wireguard-go at %s", fmt_sa(&wg_peer, b, sizeof(b)));
		}
		if (!selected || nice_agent_send(agent, stream_id, 1, (guint)n, buf) < 0)
			n_dropped++;
		else
			n_to_gw++;
	}
	return G_SOURCE_CONTINUE;
}

/* A client drops a remote candidate the gateway invalidated (upstream's
 * connlib does, and then uses the next pair that works); libnice cannot,
 * and never leaves a selected pair for one of the same priority.  So when
 * the selected pair's relayed remote candidate is invalidated, the next
 * relayed candidate signalled gets a priority above it: once libnice's
 * checks nominate its pair, it outranks the old one and is selected, as
 * after a relay migration (issue 15, item 49). */
static NiceAddress gone_remote;      /* the invalidated selected remote */
static guint32 gone_priority;        /* and its priority */
static int move_pending;

static void
add_remote(const char *c)
{
	gchar *sdp;
	NiceCandidate *cand;

	while (*c == ' ')
		c++;
	sdp = g_str_has_prefix(c, "a=") ? g_strdup(c) : g_strconcat("a=", c, NULL);
	cand = nice_agent_parse_remote_candidate_sdp(agent, stream_id, sdp);
	if (cand == NULL) {
		out("error bad candidate %s", c);
	} else {
		GSList *l = g_slist_append(NULL, cand);

		if (move_pending && cand->type == NICE_CANDIDATE_TYPE_RELAYED &&
		    !nice_address_equal(&cand->addr, &gone_remote)) {
			move_pending = 0;
			if (cand->priority <= gone_priority)
				cand->priority = gone_priority + 1;
			out("replacement for the invalidated selected remote: priority %u",
			    (unsigned)cand->priority);
		}

		if (nice_agent_set_remote_candidates(agent, stream_id, 1, l) < 1)
			out("error candidate not added %s", c);
		else
			out("remote candidate %s", sdp + 2);
		g_slist_free_full(l, (GDestroyNotify)nice_candidate_free);
	}
	g_free(sdp);
}

static void
invalidate(const char *c)
{
	NiceCandidate *lc = NULL, *rc = NULL, *cand;
	gchar *sdp;

	out("invalidated by the gateway (kept: libnice cannot remove a remote candidate) %s", c);
	sdp = g_str_has_prefix(c, "a=") ? g_strdup(c) : g_strconcat("a=", c, NULL);
	cand = nice_agent_parse_remote_candidate_sdp(agent, stream_id, sdp);
	g_free(sdp);
	if (cand == NULL)
		return;
	if (selected && nice_agent_get_selected_pair(agent, stream_id, 1, &lc, &rc) &&
	    cand->type == NICE_CANDIDATE_TYPE_RELAYED && nice_address_equal(&rc->addr, &cand->addr)) {
		gone_remote = cand->addr;
		gone_priority = rc->priority;
		move_pending = 1;
		out("the selected pair's remote candidate is gone; the next relayed one outranks it");
	}
	nice_candidate_free(cand);
}

static void
handle_line(char *line)
{
	size_t n = strlen(line);

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (strncmp(line, "cand ", 5) == 0)
		add_remote(line + 5);
	else if (strncmp(line, "candidate:", 10) == 0 || strncmp(line, "a=candidate:", 12) == 0)
		add_remote(line);
	else if (strncmp(line, "invalidate ", 11) == 0)
		invalidate(line + 11);
	else if (strcmp(line, "stats") == 0)
		print_counters(1);
	else if (strcmp(line, "quit") == 0)
		g_main_loop_quit(loop);
	else if (n > 0)
		out("error unknown command %s", line);
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
cb_timeout(gpointer data)
{
	(void)data;
	if (!selected) {
		out("error timeout: no pair selected");
		exit_code = 3;
		g_main_loop_quit(loop);
	}
	return G_SOURCE_REMOVE;
}

static gboolean
cb_tick(gpointer data)
{
	(void)data;
	print_counters(0);
	return G_SOURCE_CONTINUE;
}

static gboolean
cb_signal(gpointer data)
{
	(void)data;
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

static int
open_wg_socket(const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char b[INET6_ADDRSTRLEN + 10];
	int fd;

	if (parse_sa(spec, &ss, &sl) != 0) {
		fprintf(stderr, "client_shim: bad --wg-listen %s\n", spec);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		fprintf(stderr, "client_shim: wg socket %s: %s\n", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	out("wg socket %s", fmt_sa(&ss, b, sizeof(b)));
	return fd;
}

int
main(int argc, char **argv)
{
	const char *ufrag = NULL, *pwd = NULL, *rufrag = NULL, *rpwd = NULL;
	const char *wg_listen = "127.0.0.1:0", *wg_peer_s = NULL;
	const char *binds[8];
	int nbind = 0, i, regular = 0, timeout = 30;
	NiceAgentOption opts = NICE_AGENT_OPTION_ICE_TRICKLE;
	GIOChannel *ch;
	gchar *lu = NULL, *lp = NULL;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--regular") == 0) {
			regular = 1;
			continue;
		}
		if (v == NULL) {
			fprintf(stderr, "client_shim: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (strcmp(a, "--ufrag") == 0) {
			ufrag = v;
		} else if (strcmp(a, "--pwd") == 0) {
			pwd = v;
		} else if (strcmp(a, "--remote-ufrag") == 0) {
			rufrag = v;
		} else if (strcmp(a, "--remote-pwd") == 0) {
			rpwd = v;
		} else if (strcmp(a, "--bind") == 0) {
			if (nbind == 8) {
				fprintf(stderr, "client_shim: at most 8 --bind\n");
				return 2;
			}
			binds[nbind++] = v;
		} else if (strcmp(a, "--wg-listen") == 0) {
			wg_listen = v;
		} else if (strcmp(a, "--wg-peer") == 0) {
			wg_peer_s = v;
		} else if (strcmp(a, "--timeout") == 0) {
			timeout = atoi(v);
		} else {
			fprintf(stderr, "client_shim: unknown option %s\n", a);
			return 2;
		}
	}
	if (ufrag == NULL || pwd == NULL || rufrag == NULL || rpwd == NULL) {
		fprintf(stderr, "client_shim: --ufrag, --pwd, --remote-ufrag and --remote-pwd "
		    "are required\n");
		return 2;
	}
	if (nbind == 0)
		binds[nbind++] = "127.0.0.1";
	if (regular)
		opts |= NICE_AGENT_OPTION_REGULAR_NOMINATION;
	if (wg_peer_s != NULL) {
		if (parse_sa(wg_peer_s, &wg_peer, &wg_peer_len) != 0) {
			fprintf(stderr, "client_shim: bad --wg-peer %s\n", wg_peer_s);
			return 2;
		}
		wg_peer_fixed = 1;
	}

	wg_fd = open_wg_socket(wg_listen);
	if (wg_fd < 0)
		return 2;

	loop = g_main_loop_new(NULL, FALSE);
	agent = nice_agent_new_full(g_main_loop_get_context(loop), NICE_COMPATIBILITY_RFC5245, opts);
	if (agent == NULL)
		return 2;
	g_object_set(agent, "controlling-mode", TRUE, "upnp", FALSE, "ice-tcp", FALSE, NULL);
	for (i = 0; i < nbind; i++) {
		NiceAddress addr;

		nice_address_init(&addr);
		if (!nice_address_set_from_string(&addr, binds[i])) {
			fprintf(stderr, "client_shim: bad address %s\n", binds[i]);
			return 2;
		}
		nice_agent_add_local_address(agent, &addr);
	}
	g_signal_connect(agent, "new-candidate-full", G_CALLBACK(cb_new_candidate), NULL);
	g_signal_connect(agent, "candidate-gathering-done", G_CALLBACK(cb_gathering_done), NULL);
	g_signal_connect(agent, "component-state-changed", G_CALLBACK(cb_state), NULL);
	g_signal_connect(agent, "new-selected-pair-full", G_CALLBACK(cb_selected), NULL);

	stream_id = nice_agent_add_stream(agent, 1);
	if (stream_id == 0)
		return 2;
	if (!nice_agent_set_local_credentials(agent, stream_id, ufrag, pwd)) {
		fprintf(stderr, "client_shim: bad local credentials\n");
		return 2;
	}
	if (!nice_agent_set_remote_credentials(agent, stream_id, rufrag, rpwd)) {
		fprintf(stderr, "client_shim: bad remote credentials\n");
		return 2;
	}
	nice_agent_attach_recv(agent, stream_id, 1, g_main_loop_get_context(loop), cb_recv, NULL);
	if (nice_agent_get_local_credentials(agent, stream_id, &lu, &lp)) {
		out("credentials %s %s", lu, lp);
		g_free(lu);
		g_free(lp);
	}
	if (!nice_agent_gather_candidates(agent, stream_id)) {
		out("error gathering failed");
		return 2;
	}

	g_unix_fd_add(wg_fd, G_IO_IN, cb_wg, NULL);
	ch = g_io_channel_unix_new(STDIN_FILENO);
	g_io_add_watch(ch, G_IO_IN | G_IO_HUP | G_IO_ERR, cb_stdin, NULL);
	g_unix_signal_add(SIGTERM, cb_signal, NULL);
	g_unix_signal_add(SIGINT, cb_signal, NULL);
	if (timeout > 0)
		g_timeout_add_seconds((guint)timeout, cb_timeout, NULL);
	g_timeout_add(1000, cb_tick, NULL);

	g_main_loop_run(loop);

	print_counters(1);
	g_io_channel_unref(ch);
	g_object_unref(agent);
	g_main_loop_unref(loop);
	close(wg_fd);
	return exit_code;
}

#endif
