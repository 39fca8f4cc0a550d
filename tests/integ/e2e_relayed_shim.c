/*
 * e2e_relayed_shim.c - tests/tools/client_shim.c with a TURN relay for its
 * NiceAgent, for tests/integ/test_e2e_relayed.sh.
 *
 * The reference client shim is used as it is (included below); only its
 * call to nice_agent_gather_candidates() is routed through relay_gather(),
 * which first gives the agent the relay with nice_agent_set_relay_info()
 * (TURN over UDP, long-term credentials), as a Firezone client uses the
 * relays the portal hands it.  The relay comes from the environment, so
 * the shim's command line stays the same:
 *
 *   FZ_SHIM_TURN=IP:PORT  FZ_SHIM_TURN_USER=USER  FZ_SHIM_TURN_PASS=PASS
 *
 * Without FZ_SHIM_TURN the program is the plain shim.  One extra line on
 * stdout: "shim: relay IP:PORT (TURN/UDP)".
 *
 * Build:
 *   cc -DFZ_CLIENT_SHIM -I tests/tools -o e2e_relayed_shim \
 *       tests/integ/e2e_relayed_shim.c $(pkg-config --cflags --libs nice)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <agent.h>

static gboolean relay_gather(NiceAgent *a, guint stream);

#define nice_agent_gather_candidates relay_gather
#include "../tools/client_shim.c"
#undef nice_agent_gather_candidates

#ifdef FZ_CLIENT_SHIM
static gboolean
relay_gather(NiceAgent *a, guint stream)
{
	const char *srv = getenv("FZ_SHIM_TURN");
	const char *user = getenv("FZ_SHIM_TURN_USER");
	const char *pass = getenv("FZ_SHIM_TURN_PASS");
	char ip[64];
	const char *colon;
	size_t n;
	long port;
	char *end;

	if (srv == NULL || *srv == '\0')
		return nice_agent_gather_candidates(a, stream);
	colon = strrchr(srv, ':');
	n = colon != NULL ? (size_t)(colon - srv) : 0;
	if (n == 0 || n >= sizeof(ip)) {
		out("error bad FZ_SHIM_TURN %s", srv);
		return FALSE;
	}
	memcpy(ip, srv, n);
	ip[n] = '\0';
	if (ip[0] == '[' && n > 2 && ip[n - 1] == ']') {
		memmove(ip, ip + 1, n - 2);
		ip[n - 2] = '\0';
	}
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port <= 0 || port > 65535) {
		out("error bad FZ_SHIM_TURN port %s", srv);
		return FALSE;
	}
	if (!nice_agent_set_relay_info(a, stream, 1, ip, (guint)port, user != NULL ? user : "",
	    pass != NULL ? pass : "", NICE_RELAY_TYPE_TURN_UDP)) {
		out("error relay %s refused by the agent", srv);
		return FALSE;
	}
	out("relay %s (TURN/UDP)", srv);
	return nice_agent_gather_candidates(a, stream);
}
#else
static gboolean
relay_gather(NiceAgent *a, guint stream)
{
	(void)a;
	(void)stream;
	return FALSE;
}
#endif
