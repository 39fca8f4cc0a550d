/*
 * privdrop.h - the privilege drop of both processes (docs/architecture.md §4),
 * done with libcap-ng and verified by reading /proc back.
 */
#ifndef FZ_PRIVDROP_H
#define FZ_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

struct privdrop_plan {
	int as_root;          /* started with euid 0: switch users */
	uid_t dp_uid, ctl_uid;
	gid_t dp_gid, ctl_gid;
};

/*
 * Check the starting privileges and build the plan: as root, look up both
 * users (they must exist and not be root); otherwise CAP_NET_ADMIN must be
 * permitted.  Returns 0, or -1 with a one-line reason in why naming what is
 * missing.
 */
int privdrop_prepare(struct privdrop_plan *p, const char *dp_user, const char *ctl_user,
    char *why, size_t whylen);

/*
 * In the dataplane: keep only CAP_NET_ADMIN (effective, permitted and, when
 * possible, bounding), switch to the dataplane user when root, then verify.
 * Returns 0 or -1 with a reason.
 */
int privdrop_dataplane(const struct privdrop_plan *p, char *why, size_t whylen);

/*
 * In the forked child before exec of control: drop every capability and
 * switch to the control user when root, then verify.  Returns 0 or -1.
 */
int privdrop_control(const struct privdrop_plan *p, char *why, size_t whylen);

#endif
