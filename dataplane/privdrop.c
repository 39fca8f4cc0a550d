/*
 * privdrop.c - libcap-ng based privilege drop with read-back verification.
 *
 * Kept capability, with its reason:
 *   CAP_NET_ADMIN  dataplane: TUN address/route/rule setup over rtnetlink,
 *                  SO_MARK on the UDP sockets, larger socket buffers.
 * Control keeps nothing.  Both end with no_new_privs set, verified.
 *
 * Started as root, the dataplane's real uid is the control user's (its
 * effective, saved and filesystem uids are its own).  The kernel lets a
 * process signal another only when the sender's real or effective uid is
 * the target's real or saved uid (or with CAP_KILL), and it sends
 * PR_SET_PDEATHSIG with the dying parent's credentials: without this
 * neither the parent-death signal nor our pidfd_send_signal would reach
 * control, and nothing would end a stuck or compromised control once the
 * dataplane is gone.  What control gains in return: it could signal the
 * dataplane, but no signal-sending call is in its seccomp allowlist, and
 * it cannot ptrace it or read its /proc files (our effective uid is not
 * its, and we are not dumpable).  Control's own identity stays plain.
 */
#include "privdrop.h"

#include <cap-ng.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <linux/capability.h>

#include "priv.h"

static int
lookup(const char *name, uid_t *uid, gid_t *gid, char *why, size_t whylen)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		snprintf(why, whylen, "user \"%s\" does not exist: create it (contrib/sysusers.conf) "
		    "or choose another one with --dataplane-user / --control-user", name);
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(why, whylen, "user \"%s\" is root: the gateway's processes must not run as root",
		    name);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int
privdrop_prepare(struct privdrop_plan *p, const char *dp_user, const char *ctl_user,
    char *why, size_t whylen)
{
	struct priv_status st;
	static const struct {
		int cap;
		const char *name;
	} needed[] = {
		{ CAP_NET_ADMIN, "CAP_NET_ADMIN" },
		{ CAP_SETUID, "CAP_SETUID" },
		{ CAP_SETGID, "CAP_SETGID" },
	};
	size_t i;

	memset(p, 0, sizeof(*p));
	if (priv_read_status(0, &st) < 0) {
		snprintf(why, whylen, "cannot read /proc/self/status: %s", strerror(errno));
		return -1;
	}
	p->as_root = geteuid() == 0;
	if (!p->as_root) {
		if ((st.cap_prm & PRIV_CAP_BIT(CAP_NET_ADMIN)) == 0) {
			snprintf(why, whylen, "missing capability CAP_NET_ADMIN: run as root, or grant it "
			    "with: setcap cap_net_admin+eip <path to firezone-gateway>");
			return -1;
		}
		p->dp_uid = p->ctl_uid = getuid();
		p->dp_gid = p->ctl_gid = getgid();
		return 0;
	}
	for (i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if ((st.cap_prm & PRIV_CAP_BIT(needed[i].cap)) == 0) {
			snprintf(why, whylen, "running as root but missing capability %s "
			    "(needed to create the TUN device and switch users)", needed[i].name);
			return -1;
		}
	}
	if (lookup(dp_user, &p->dp_uid, &p->dp_gid, why, whylen) < 0 ||
	    lookup(ctl_user, &p->ctl_uid, &p->ctl_gid, why, whylen) < 0)
		return -1;
	return 0;
}

static int
can_clear_bounding(void)
{
	return capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP) ||
	    capng_have_capability(CAPNG_PERMITTED, CAP_SETPCAP);
}

static int
verify(uid_t ruid, uid_t uid, gid_t gid, uint64_t caps, int drop_groups, int bounding, char *why,
    size_t whylen)
{
	struct priv_status st;
	char reason[160];

	if (priv_read_status(0, &st) < 0) {
		snprintf(why, whylen, "cannot read back /proc/self/status: %s", strerror(errno));
		return -1;
	}
	if (priv_verify(&st, ruid, uid, gid, caps, drop_groups, bounding, reason, sizeof(reason)) < 0) {
		snprintf(why, whylen, "privilege drop did not take effect: %s", reason);
		return -1;
	}
	/* Asked of the kernel directly as well: no exec may ever add privileges. */
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
		snprintf(why, whylen, "privilege drop did not take effect: no_new_privs is not set");
		return -1;
	}
	return 0;
}

/* As root: our user, with control's uid as the real one (see the top). */
static int
dataplane_ids(const struct privdrop_plan *p, char *why, size_t whylen)
{
	int rc = 0;

	/* Keep the permitted set across the change of uid (CAP_NET_ADMIN
	 * only by now, the bounding set is cleared first). */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(0, NULL) < 0 ||
	    setresgid(p->dp_gid, p->dp_gid, p->dp_gid) < 0 ||
	    setresuid(p->ctl_uid, p->dp_uid, p->dp_uid) < 0)
		rc = -1;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		rc = -1;
	if (rc < 0)
		snprintf(why, whylen, "cannot switch to the dataplane user: %s", strerror(errno));
	return rc;
}

int
privdrop_dataplane(const struct privdrop_plan *p, char *why, size_t whylen)
{
	int bounding, rc;

	capng_get_caps_process();
	bounding = can_clear_bounding();
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(why, whylen, "prctl: %s", strerror(errno));
		return -1;
	}
	capng_clear(CAPNG_SELECT_BOTH);
	capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET, CAP_NET_ADMIN);
	/* Bounding set first, while CAP_SETPCAP is still held. */
	rc = bounding ? capng_apply(CAPNG_SELECT_BOUNDS) : 0;
	if (rc != 0) {
		snprintf(why, whylen, "libcap-ng could not drop privileges (code %d)", rc);
		return -1;
	}
	if (p->as_root && dataplane_ids(p, why, whylen) < 0)
		return -1;
	/* Leaving root cleared the effective set: CAP_NET_ADMIN back in. */
	if ((rc = capng_apply(CAPNG_SELECT_CAPS)) != 0) {
		snprintf(why, whylen, "libcap-ng could not drop privileges (code %d)", rc);
		return -1;
	}
	return verify(p->as_root ? p->ctl_uid : p->dp_uid, p->dp_uid, p->dp_gid,
	    PRIV_CAP_BIT(CAP_NET_ADMIN), p->as_root, bounding, why, whylen);
}

int
privdrop_control(const struct privdrop_plan *p, char *why, size_t whylen)
{
	int bounding, rc;

	capng_get_caps_process();
	bounding = can_clear_bounding();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(why, whylen, "prctl: %s", strerror(errno));
		return -1;
	}
	capng_clear(CAPNG_SELECT_BOTH);
	rc = bounding ? capng_apply(CAPNG_SELECT_BOUNDS) : 0;
	if (rc == 0 && p->as_root)
		rc = capng_change_id((int)p->ctl_uid, (int)p->ctl_gid, CAPNG_DROP_SUPP_GRP);
	else if (rc == 0)
		rc = capng_apply(CAPNG_SELECT_CAPS);
	if (rc != 0) {
		snprintf(why, whylen, "libcap-ng could not drop privileges (code %d)", rc);
		return -1;
	}
	return verify(p->ctl_uid, p->ctl_uid, p->ctl_gid, 0, p->as_root, bounding, why, whylen);
}
