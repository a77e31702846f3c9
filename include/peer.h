/* peer.h: the peer link of SPEC "Peer link": listening, dialling main and aux, the handshake, framed messages over non-blocking TCP. */
#ifndef VIGIL_PEER_H
#define VIGIL_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "decide.h"
#include "wire.h"

/*
 * Contract:
 * - One struct peer_link per node. It listens on this node's own main and aux addresses
 *   (one listener when they are equal), dials the peer on request (peer_dial, one outgoing
 *   connection per channel), runs the handshake of doc/protocol.md on every connection and
 *   then passes messages both ways. It never blocks and never decides: it reports.
 * - A connection is a struct peer_conn handle. It is valid from peer_dial (outgoing) or its
 *   first callback (incoming) until on_lost returns. Every connection ends with exactly one
 *   on_lost, also those the caller closes itself (-ECANCELED) and incoming ones that never
 *   came up (peer_conn_established() tells, in on_lost, whether on_up was called).
 * - on_lost is always called from the loop, never from inside a peer_* call, so any peer_*
 *   call (but peer_link_free) is safe inside any callback. A connection being closed answers
 *   peer_send with -ENOTCONN until its on_lost.
 * - on_lost errors: -ETIMEDOUT (connect or handshake not done in time), -ECONNRESET (the peer
 *   closed or reset), -ENOBUFS (output stalled: the peer does not read), -ECANCELED (closed by
 *   peer_close, peer_close_outgoing or a new peer_dial of its channel), -EUSERS (an incoming
 *   handshake evicted by a newer one, PEER_PENDING_MAX), -ENODATA (no hello facts set yet),
 *   the wire_decode() error after on_reject, or a socket errno (-ECONNREFUSED, -EHOSTUNREACH,
 *   -EADDRNOTAVAIL, ...).
 */

#define PEER_LISTEN_MAX 2  /* main and aux of this node */
#define PEER_OUT_MAX 16384 /* bytes queued per connection before it counts as stalled */
#define PEER_IN_MAX (4 * WIRE_FRAME_MAX)
#define PEER_PENDING_MAX 8 /* incoming connections in their handshake at once */

struct loop;
struct peer_link;
struct peer_conn;

/* An address and port; family 0 = none (no listener, no bind before connect). */
struct peer_addr {
	struct config_addr addr;
	uint16_t port;
};

/*
 * The rate limit of rejected frames (issue 9, SPEC "Robustness and security"). Per remote
 * address, PEER_LIMIT_REJECTS rejected frames within PEER_LIMIT_WINDOW_MS put the address in
 * back-off for PEER_LIMIT_BACKOFF_MS: its open connections are closed and new ones are closed
 * at accept. Only incoming connections are blocked, and never from the peer's own main or aux
 * address: whatever shares those (a NAT, a path) must not be able to cut the pair link, since a
 * lost link is a verdict's first step. The thresholds tell a flood from a misconfigured peer,
 * which dials once per notifier_reconnect_delay. Every rejection also gets a report decision: at
 * most one per address per back-off period, and PEER_LIMIT_REPORTS per period over all
 * addresses, so no sender can flood the journal. Pure, with the time passed in: peer-limit.c.
 */
#define PEER_LIMIT_REJECTS 20
#define PEER_LIMIT_WINDOW_MS 10000
#define PEER_LIMIT_BACKOFF_MS 60000
#define PEER_LIMIT_REPORTS 16
#define PEER_LIMIT_SLOTS 64 /* addresses remembered; the least recently seen goes first */

struct peer_limit_entry {
	struct config_addr addr; /* family 0: a free slot */
	uint64_t window_start_ms;
	uint64_t last_ms;
	uint64_t blocked_until_ms; /* in back-off while now is before this */
	uint64_t report_after_ms;  /* its next report is due at or after this */
	uint32_t rejects;          /* within the window */
	uint32_t unreported;       /* since its last report */
};

struct peer_limit {
	uint32_t rejects; /* 0: never block (reports stay bounded) */
	uint32_t window_ms;
	uint32_t backoff_ms; /* the back-off, and the report period */
	uint32_t reports;    /* reports per period, all addresses together */
	uint64_t period_end_ms;
	uint32_t period_reports;
	struct peer_limit_entry e[PEER_LIMIT_SLOTS];
};

/* What one rejection means. */
struct peer_limit_note {
	bool report;         /* worth a journal line */
	bool blocked;        /* it put the address in back-off, for backoff_ms from now */
	uint32_t rejects;    /* rejected frames from the address within the window, this one too */
	uint32_t unreported; /* rejections from the address since its last report, not this one */
};

/* Zero values take the PEER_LIMIT_* defaults but for rejects, where 0 means never block. */
void peer_limit_init(struct peer_limit *l, uint32_t rejects, uint32_t window_ms,
    uint32_t backoff_ms, uint32_t reports);
/* A frame from a was rejected at now_ms; may_block false: count and report, never block. */
void peer_limit_reject(struct peer_limit *l, const struct config_addr *a, bool may_block,
    uint64_t now_ms, struct peer_limit_note *ret);
bool peer_limit_blocked(const struct peer_limit *l, const struct config_addr *a, uint64_t now_ms);

struct peer_params {
	struct peer_addr listen[PEER_LISTEN_MAX]; /* port 0: an ephemeral port (tests) */
	struct peer_addr local[CONN_COUNT];       /* bound before connect, port 0 */
	struct peer_addr remote[CONN_COUNT];      /* the peer's main and aux */
	uint32_t timeout_ms; /* connect + handshake, both sides (notifier_reconnect_delay) */
	/* The rate limit (peer_limit_init's arguments); all 0: reports bounded, nobody blocked. */
	uint32_t limit_rejects;
	uint32_t limit_window_ms;
	uint32_t limit_backoff_ms;
};

struct peer_counters {
	struct wire_counters wire; /* frames accepted and rejected, per class */
	uint64_t dials;            /* peer_dial calls */
	uint64_t connects;         /* outgoing TCP connects that completed */
	uint64_t dial_failures;    /* outgoing connections lost before they came up */
	uint64_t accepts;          /* incoming TCP connections accepted */
	uint64_t accept_errors;    /* accept() failures (descriptors or memory exhausted) */
	uint64_t evicted;          /* incoming handshakes dropped for newer ones */
	uint64_t ups;              /* handshakes completed, both directions */
	uint64_t timeouts;         /* connect or handshake timeouts */
	uint64_t stalls;           /* connections closed for a full output buffer */
	uint64_t bytes_in;
	uint64_t bytes_out;
	/* The rate limit (peer_limit): addresses put in back-off; incoming connections closed at
	 * accept because their address was in it, and open ones as it went in; rejected frames
	 * past the report bound (counted here, not reported). */
	uint64_t rate_limited;
	uint64_t rate_limit_refused;
	uint64_t rate_limit_closed;
	uint64_t rejects_unreported;
};

/* A refused frame, for on_reject. */
struct peer_reject {
	enum wire_reject why;
	const struct config_addr *from; /* the connection's remote address */
	bool incoming;
	struct peer_limit_note limit; /* report it or not; blocked: the address is in back-off */
	uint32_t backoff_ms;
	uint32_t window_ms;
};

struct peer_callbacks {
	/* The peer's authenticated hello arrived (SPEC "Primary monitor": the connection is up). */
	void (*on_up)(void *arg, struct peer_conn *c, const struct wire_hello *peer_hello);
	/* The connection is gone; c is invalid once this returns. */
	void (*on_lost)(void *arg, struct peer_conn *c, int err);
	/* A message of an established session (never OPEN or HELLO). */
	void (*on_msg)(void *arg, struct peer_conn *c, const struct wire_msg *msg);
	/* A frame was refused (already counted); the connection is closed, on_lost follows. */
	void (*on_reject)(void *arg, struct peer_conn *c, const struct peer_reject *r);
	void *arg;
};

/*
 * This node's addresses from the configuration: listeners on its own main and aux address
 * (one when equal) on the peer port, binds on the same addresses, the peer's addresses as
 * remotes, timeout notifier_reconnect_delay, the PEER_LIMIT_* rate limit.
 */
void peer_params_from_config(const struct config *c, struct peer_params *ret);

/*
 * Open the listeners (SO_REUSEADDR, IP_FREEBIND: the address may come up later) and call
 * sodium_init(). key is copied. Returns 0 or a negative errno (-EADDRINUSE, -EINVAL, ...).
 */
int peer_link_new(struct loop *l, const struct peer_params *p, const struct wire_key *key,
    const struct peer_callbacks *cb, struct peer_link **ret);
/* Close everything at once, no callbacks. Not from inside a callback. */
void peer_link_free(struct peer_link *link);
/* The port the listener of channel is bound to: 0, or -ENOENT (none; aux equal to main has none). */
int peer_link_listen_port(const struct peer_link *link, enum vg_conn channel, uint16_t *ret_port);
void peer_link_counters(const struct peer_link *link, struct peer_counters *ret);

/*
 * Our hello facts for every hello from now on (the channel is filled per connection);
 * hello is copied. -EINVAL when the facts would not encode (wire_encode's rules).
 */
int peer_set_hello(struct peer_link *link, const struct wire_hello *hello);

/*
 * Close the outgoing connection of channel (on_lost -ECANCELED) and start a new one: bind the
 * local address of that channel (if any), non-blocking connect to the peer's, OPEN, wait for
 * the peer's HELLO; past timeout_ms on_lost -ETIMEDOUT. A failure once the handle exists
 * (socket, bind, connect) comes as on_lost, from the loop. Returns 0 and the handle in
 * *ret_conn (may be NULL), or -EINVAL (channel, no remote address) or -ENOMEM.
 */
int peer_dial(struct peer_link *link, enum vg_conn channel, struct peer_conn **ret_conn);

/*
 * Encode msg as the next frame of c and write what the socket takes; the rest waits in the
 * connection's buffer (PEER_OUT_MAX). 0 queued or sent; -ENOTCONN not established or closing;
 * -EINVAL msg refused by wire_encode (OPEN, HELLO, a field out of range: nothing changes);
 * -ENOBUFS the buffer is full: the connection is closed as stalled, on_lost follows; another
 * negative errno: the socket failed, the connection is closed, on_lost follows.
 */
int peer_send(struct peer_link *link, struct peer_conn *c, const struct wire_msg *msg);
/* peer_send on every established connection, both directions: the number sent on, or -EINVAL. */
int peer_broadcast(struct peer_link *link, const struct wire_msg *msg);
/* Close one connection (on_lost -ECANCELED follows); a connection already closing is left. */
void peer_close(struct peer_link *link, struct peer_conn *c);
/* Close every outgoing connection: a node entering primary drops what it held as backup. */
void peer_close_outgoing(struct peer_link *link);

/* The remote address: the peer's for outgoing connections, accept()'s for incoming ones. */
const struct config_addr *peer_conn_remote(const struct peer_conn *c);
/* Main or aux: known at once for outgoing, from the dialer's hello for incoming (CONN_COUNT before). */
enum vg_conn peer_conn_channel(const struct peer_conn *c);
bool peer_conn_outgoing(const struct peer_conn *c);
/* Handshake done (on_up called); stays true in on_lost. */
bool peer_conn_established(const struct peer_conn *c);
/* The peer's hello facts, or NULL before on_up. */
const struct wire_hello *peer_conn_peer_hello(const struct peer_conn *c);
/*
 * DSCP 0..63 on this socket (IP_TOS or IPV6_TCLASS = dscp << 2); -1 = the default (nothing
 * is set unless an earlier call set something). 0, -EINVAL, -ENOTCONN (closing) or a setsockopt error.
 */
int peer_conn_set_dscp(struct peer_conn *c, int dscp);
/* The DSCP the kernel holds for this socket (getsockopt): 0 or a negative errno. */
int peer_conn_get_dscp(const struct peer_conn *c, int *ret_dscp);

/*
 * The pair key file (SPEC [peer] key_file): exactly 64 hex characters, a trailing newline
 * allowed, a regular file not group- or other-accessible. 0 and an HMAC key, or -EPERM (mode),
 * -EINVAL (content, not a regular file) or the open/read errno.
 */
int peer_key_load(const char *path, struct wire_key *ret);

#endif /* VIGIL_PEER_H */
