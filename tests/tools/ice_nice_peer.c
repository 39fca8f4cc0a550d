/*
 * ice_nice_peer - an independent ICE peer for the end-to-end tests: libnice's
 * NiceAgent (RFC 5245 compatibility, trickle, controlling unless told
 * otherwise) with one stream of one UDP component, driven by lines on stdin
 * and reporting on stdout.  It plays the Firezone client's ICE role.
 *
 * Build (the Makefile links tools against libc only, so this program is
 * built by the test scripts that use it):
 *   cc -DFZ_ICE_NICE_PEER -o ice_nice_peer tests/tools/ice_nice_peer.c \
 *       $(pkg-config --cflags --libs nice)
 * Without FZ_ICE_NICE_PEER it compiles to a program that only says so.
 *
 * Options:
 *   --ufrag U --pwd P            our credentials (default: libnice's own)
 *   --remote-ufrag U --remote-pwd P   the gateway's (or "creds" on stdin)
 *   --bind IP                    local address to gather on (repeatable;
 *                                default 127.0.0.1)
 *   --controlled                 take the controlled role
 *   --regular                    regular instead of aggressive nomination
 *   --tie N                      not settable in libnice; ignored
 *   --timeout SEC                exit 3 if not ready within SEC (default 30)
 *   --exit-on-failed             exit 1 when the component fails
 *
 * stdin, one command per line:
 *   creds <ufrag> <pwd>          remote credentials
 *   cand <candidate:...>         a remote candidate (with or without "a=")
 *   send <text>                  send text on the selected pair
 *   quit                         exit 0
 * stdout, one event per line (flushed):
 *   creds <ufrag> <pwd>          our credentials
 *   cand <candidate:...>         each local candidate, without "a="
 *   gathering-done
 *   state <libnice component state name>
 *   selected <local ip> <local port> <remote ip> <remote port>
 *   recv <len> <text, non-printable bytes as '.'>
 *   error <message>
 * EOF on stdin exits 0.
 */
#ifndef FZ_ICE_NICE_PEER

#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "ice_nice_peer: build with -DFZ_ICE_NICE_PEER and "
	    "$(pkg-config --cflags --libs nice)\n");
	return 2;
}

#else

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <agent.h>
#include <gio/gio.h>
#include <glib.h>

static NiceAgent *agent;
static GMainLoop *loop;
static guint stream_id;
static int exit_code;
static int exit_on_failed;
static int ready;

static void
out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void
print_candidate(NiceCandidate *c)
{
	gchar *sdp = nice_agent_generate_local_candidate_sdp(agent, c);

	if (sdp == NULL)
		return;
	out("cand %s", g_str_has_prefix(sdp, "a=") ? sdp + 2 : sdp);
	g_free(sdp);
}

static void
cb_new_candidate(NiceAgent *a, NiceCandidate *c, gpointer data)
{
	(void)a;
	(void)data;
	print_candidate(c);
}

static void
cb_gathering_done(NiceAgent *a, guint sid, gpointer data)
{
	(void)a;
	(void)sid;
	(void)data;
	out("gathering-done");
}

static void
cb_state(NiceAgent *a, guint sid, guint cid, guint state, gpointer data)
{
	(void)a;
	(void)sid;
	(void)cid;
	(void)data;
	out("state %s", nice_component_state_to_string(state));
	if (state == NICE_COMPONENT_STATE_READY)
		ready = 1;
	if (state == NICE_COMPONENT_STATE_FAILED && exit_on_failed) {
		exit_code = 1;
		g_main_loop_quit(loop);
	}
}

static void
cb_selected(NiceAgent *a, guint sid, guint cid, NiceCandidate *lc, NiceCandidate *rc,
    gpointer data)
{
	gchar l[NICE_ADDRESS_STRING_LEN], r[NICE_ADDRESS_STRING_LEN];

	(void)a;
	(void)sid;
	(void)cid;
	(void)data;
	nice_address_to_string(&lc->addr, l);
	nice_address_to_string(&rc->addr, r);
	out("selected %s %u %s %u", l, nice_address_get_port(&lc->addr), r,
	    nice_address_get_port(&rc->addr));
}

static void
cb_recv(NiceAgent *a, guint sid, guint cid, guint len, gchar *buf, gpointer data)
{
	GString *s = g_string_sized_new(len + 1);
	guint i;

	(void)a;
	(void)sid;
	(void)cid;
	(void)data;
	for (i = 0; i < len; i++)
		g_string_append_c(s, g_ascii_isprint(buf[i]) ? buf[i] : '.');
	out("recv %u %s", len, s->str);
	g_string_free(s, TRUE);
}

static void
handle_line(char *line)
{
	size_t n = strlen(line);

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (strncmp(line, "creds ", 6) == 0) {
		char **f = g_strsplit(line + 6, " ", 3);

		if (f[0] == NULL || f[1] == NULL ||
		    !nice_agent_set_remote_credentials(agent, stream_id, f[0], f[1]))
			out("error bad creds");
		g_strfreev(f);
	} else if (strncmp(line, "cand ", 5) == 0) {
		const char *c = line + 5;
		gchar *sdp = g_str_has_prefix(c, "a=") ? g_strdup(c) : g_strconcat("a=", c, NULL);
		NiceCandidate *cand = nice_agent_parse_remote_candidate_sdp(agent, stream_id, sdp);

		if (cand == NULL) {
			out("error bad candidate");
		} else {
			GSList *l = g_slist_append(NULL, cand);

			if (nice_agent_set_remote_candidates(agent, stream_id, 1, l) < 1)
				out("error candidate not added");
			g_slist_free_full(l, (GDestroyNotify)nice_candidate_free);
		}
		g_free(sdp);
	} else if (strncmp(line, "send ", 5) == 0) {
		if (nice_agent_send(agent, stream_id, 1, (guint)strlen(line + 5), line + 5) < 0)
			out("error send failed");
	} else if (strcmp(line, "quit") == 0) {
		g_main_loop_quit(loop);
	} else if (n > 0) {
		out("error unknown command");
	}
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
	if (!ready) {
		out("error timeout");
		exit_code = 3;
		g_main_loop_quit(loop);
	}
	return FALSE;
}

int
main(int argc, char **argv)
{
	const char *ufrag = NULL, *pwd = NULL, *rufrag = NULL, *rpwd = NULL;
	const char *binds[8];
	int nbind = 0, i, controlling = 1, regular = 0, timeout = 30;
	NiceAgentOption opts = NICE_AGENT_OPTION_ICE_TRICKLE;
	GIOChannel *ch;
	gchar *lu = NULL, *lp = NULL;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--controlled") == 0) {
			controlling = 0;
		} else if (strcmp(a, "--regular") == 0) {
			regular = 1;
		} else if (strcmp(a, "--exit-on-failed") == 0) {
			exit_on_failed = 1;
		} else if (v == NULL) {
			fprintf(stderr, "ice_nice_peer: %s needs a value\n", a);
			return 2;
		} else if (strcmp(a, "--ufrag") == 0) {
			ufrag = v, i++;
		} else if (strcmp(a, "--pwd") == 0) {
			pwd = v, i++;
		} else if (strcmp(a, "--remote-ufrag") == 0) {
			rufrag = v, i++;
		} else if (strcmp(a, "--remote-pwd") == 0) {
			rpwd = v, i++;
		} else if (strcmp(a, "--bind") == 0) {
			if (nbind == 8)
				return 2;
			binds[nbind++] = v, i++;
		} else if (strcmp(a, "--timeout") == 0) {
			timeout = atoi(v), i++;
		} else if (strcmp(a, "--tie") == 0) {
			i++;
		} else {
			fprintf(stderr, "ice_nice_peer: unknown option %s\n", a);
			return 2;
		}
	}
	if (nbind == 0)
		binds[nbind++] = "127.0.0.1";
	if (regular)
		opts |= NICE_AGENT_OPTION_REGULAR_NOMINATION;

	loop = g_main_loop_new(NULL, FALSE);
	agent = nice_agent_new_full(g_main_loop_get_context(loop), NICE_COMPATIBILITY_RFC5245, opts);
	if (agent == NULL)
		return 2;
	g_object_set(agent, "controlling-mode", controlling ? TRUE : FALSE,
	    "upnp", FALSE, "ice-tcp", FALSE, NULL);
	for (i = 0; i < nbind; i++) {
		NiceAddress addr;

		nice_address_init(&addr);
		if (!nice_address_set_from_string(&addr, binds[i])) {
			fprintf(stderr, "ice_nice_peer: bad address %s\n", binds[i]);
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
	if (ufrag != NULL && pwd != NULL &&
	    !nice_agent_set_local_credentials(agent, stream_id, ufrag, pwd)) {
		fprintf(stderr, "ice_nice_peer: bad local credentials\n");
		return 2;
	}
	if (rufrag != NULL && rpwd != NULL &&
	    !nice_agent_set_remote_credentials(agent, stream_id, rufrag, rpwd)) {
		fprintf(stderr, "ice_nice_peer: bad remote credentials\n");
		return 2;
	}
	nice_agent_attach_recv(agent, stream_id, 1, g_main_loop_get_context(loop), cb_recv, NULL);
	if (nice_agent_get_local_credentials(agent, stream_id, &lu, &lp)) {
		out("creds %s %s", lu, lp);
		g_free(lu);
		g_free(lp);
	}
	if (!nice_agent_gather_candidates(agent, stream_id)) {
		out("error gathering failed");
		return 2;
	}

	ch = g_io_channel_unix_new(STDIN_FILENO);
	g_io_add_watch(ch, G_IO_IN | G_IO_HUP | G_IO_ERR, cb_stdin, NULL);
	if (timeout > 0)
		g_timeout_add_seconds((guint)timeout, cb_timeout, NULL);

	g_main_loop_run(loop);

	g_io_channel_unref(ch);
	g_object_unref(agent);
	g_main_loop_unref(loop);
	return exit_code;
}

#endif
