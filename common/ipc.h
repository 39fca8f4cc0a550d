/*
 * ipc.h - framing, validation and a bounded send queue for the
 * SOCK_SEQPACKET socketpair between dataplane and control.
 *
 * Every received message is checked against one table before any handler
 * sees it: type known, direction right, exact (or bounded) size, an fd
 * present exactly when the type carries one, and the channel's phase right.
 * Then the fields inside the payload: flags 0 or 1, families 4 or 6, and
 * the addresses control hands the dataplane inside the Firezone ranges
 * (interface and peer tunnel addresses in the client ranges, proxy IPs in
 * the proxy ranges; see ipc_msg.h), because the dataplane does not trust
 * control.  A message that fails any check is reported as an error; the
 * process glue treats every error as fatal.
 */
#ifndef FZ_IPC_H
#define FZ_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "ipc_msg.h"

enum ipc_side {
	IPC_SIDE_DATAPLANE = 0, /* this end receives C2D messages */
	IPC_SIDE_CONTROL = 1,   /* this end receives D2C messages */
};

enum ipc_phase {
	IPC_PH_HELLO = 0,  /* only the peer's HELLO is allowed */
	IPC_PH_CONFIG = 1, /* control only: only CONFIG is allowed */
	IPC_PH_RUN = 2,
	IPC_PH_CLOSED = 3, /* the peer said SHUTDOWN: nothing more is allowed */
};

enum ipc_err {
	IPC_OK = 0,
	IPC_EOF = -1,          /* the peer closed its end */
	IPC_AGAIN = -2,        /* nothing to read / queue full */
	IPC_ESYS = -3,         /* system call failed, see errno */
	IPC_ETRUNC = -4,       /* datagram or control data truncated */
	IPC_ESHORT = -5,       /* shorter than the header */
	IPC_ELEN = -6,         /* header length disagrees with the datagram */
	IPC_ETYPE = -7,        /* unknown type */
	IPC_EDIR = -8,         /* known type, wrong direction */
	IPC_ESIZE = -9,        /* payload size not allowed for the type */
	IPC_EFD_MISSING = -10, /* type carries an fd, none came */
	IPC_EFD_UNEXPECTED = -11, /* an fd came with a type that carries none */
	IPC_EPHASE = -12,      /* type not allowed in the current phase */
	IPC_EVERSION = -13,    /* HELLO with another protocol version */
	IPC_EPAYLOAD = -14,    /* a field inside the payload is invalid */
	IPC_EQUEUE = -15,      /* reliable send queue overflowed */
};

/* Largest payload of any message type. */
#define IPC_MAX_PAYLOAD (sizeof(struct ipc_d2c_config))
#define IPC_MAX_MSG (sizeof(struct ipc_hdr) + IPC_MAX_PAYLOAD)

/* Messages waiting to be written before reliable sends fail. */
#define IPC_QUEUE_MAX 4096

struct ipc_qmsg;

struct ipc_chan {
	int fd;
	enum ipc_side side;
	enum ipc_phase phase;
	struct ipc_qmsg *qhead, *qtail;
	size_t qlen;
	uint64_t dropped; /* unreliable sends dropped because of back pressure */
};

/* A received, validated message.  payload points into buf. */
struct ipc_msg {
	struct ipc_hdr hdr;
	const uint8_t *payload;
	int fd; /* received descriptor or -1; the caller owns it */
	/* 8-byte aligned: payloads with 64-bit fields may be read in place. */
	_Alignas(8) uint8_t buf[IPC_MAX_MSG];
};

void ipc_chan_init(struct ipc_chan *ch, int fd, enum ipc_side side);
/* Free queued messages (wiping them); does not close ch->fd. */
void ipc_chan_clear(struct ipc_chan *ch);

/* Name of a type for logs ("D2C_HELLO"), or "unknown". */
const char *ipc_type_name(uint16_t type);
/* Description of an error code for one log line. */
const char *ipc_strerror(int err);

/*
 * Check a header and payload length, fd presence and phase against the
 * table for a message arriving at side ch->side.  Pure function of its
 * inputs; does not change the phase.
 */
int ipc_validate(const struct ipc_chan *ch, const struct ipc_hdr *h,
    size_t datagram_len, int have_fd);

/*
 * Receive one message (non-blocking).  Returns IPC_OK with *m filled, or a
 * negative ipc_err.  On any error a received fd has already been closed.
 * Advances the phase after HELLO, CONFIG and SHUTDOWN.
 */
int ipc_recv(struct ipc_chan *ch, struct ipc_msg *m);

/*
 * Send a message.  Reliable messages that cannot be written now are
 * queued (at most IPC_QUEUE_MAX, then IPC_EQUEUE); unreliable ones
 * (reliable == 0, forwarded datagrams) are dropped and counted when the
 * socket is full or the queue is not empty.  fd is sent with SCM_RIGHTS
 * if >= 0 (it is duplicated when queued; the caller keeps its own).
 * Returns IPC_OK, IPC_AGAIN (unreliable dropped) or a negative error.
 */
int ipc_send(struct ipc_chan *ch, uint16_t type, uint32_t peer_id,
    const void *payload, size_t len, int fd, int reliable);

/* Write queued messages.  Returns IPC_OK when the queue is empty,
 * IPC_AGAIN when some remain, or a negative error. */
int ipc_flush(struct ipc_chan *ch);
/* Non-zero if messages are queued (the glue then waits for writability). */
int ipc_pending(const struct ipc_chan *ch);

/* True if the fixed string field holds a NUL within its size. */
int ipc_str_ok(const char *s, size_t size);

#endif
