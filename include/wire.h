/* wire.h: the peer-link wire codec (framing, HMAC, handshake, replay rules); pure: no I/O, no clock, no malloc. */
#ifndef VIGIL_WIRE_H
#define VIGIL_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decide.h"

/*
 * Contract (SPEC.md "Peer link"; the byte layout and the reasons are in doc/protocol.md):
 * - One struct wire_session per TCP connection. The daemon feeds wire_decode() the bytes it
 *   has read so far and gets at most one message out per call; it asks wire_encode() to
 *   write one frame into a buffer of its own (WIRE_FRAME_MAX bytes always suffice).
 * - The codec never reads a clock, a socket or a random source: the caller passes the
 *   session nonce (WIRE_NONCE_LEN random bytes, e.g. randombytes_buf()) at session init,
 *   and calls sodium_init() once at start-up, as libsodium asks.
 * - Handshake: the dialer sends OPEN (its nonce), the acceptor answers HELLO (its nonce),
 *   the dialer sends HELLO. Every HELLO that wire_decode() returns is proven fresh. Other
 *   messages flow, both ways, only once the session is established.
 * - Every function returns 0 or a negative errno and leaves its outputs and the session
 *   untouched on failure. A rejected frame bumps one counter in struct wire_counters;
 *   after any wire_decode() error but -EAGAIN the caller closes the connection.
 */

#define WIRE_PROTOCOL_VERSION 1
#define WIRE_FRAME_MAX 1024 /* header + payload + MAC: the largest frame sent or accepted */
#define WIRE_HEADER_LEN 34
#define WIRE_MAC_LEN 32
#define WIRE_PAYLOAD_MAX (WIRE_FRAME_MAX - WIRE_HEADER_LEN - WIRE_MAC_LEN)
#define WIRE_KEY_LEN 32 /* the pair key (SPEC [peer] key_file) */
#define WIRE_PAIR_ID_LEN 8
#define WIRE_NONCE_LEN 16
#define WIRE_DIGEST_LEN 32 /* configuration digest carried in the hello */
#define WIRE_NODE_MAX 63   /* node name, printable ASCII, without the NUL */
#define WIRE_SOFTWARE_MAX 31
#define WIRE_DRILL_MIN_MS 1000u /* SPEC "Command line": drill --for 1 s – 10 m */
#define WIRE_DRILL_MAX_MS 600000u
#define WIRE_DSCP_NONE (-1)

/* Authentication of a pair: explicit, never implied by a missing key (SPEC [peer] auth). */
enum wire_auth {
	WIRE_AUTH_NONE,
	WIRE_AUTH_HMAC_SHA256,
	WIRE_AUTH_COUNT,
};

/* Message kinds; the values are the type byte on the wire and never change meaning. */
enum wire_msg_type {
	WIRE_MSG_OPEN = 1, /* dialer -> acceptor: first frame, carries the dialer's nonce */
	WIRE_MSG_HELLO,    /* each side's facts, once per session */
	WIRE_MSG_NOTIFIER_PING,
	WIRE_MSG_NOTIFIER_PONG,
	WIRE_MSG_MODULE_PING,
	WIRE_MSG_MODULE_PONG,
	WIRE_MSG_STATE_ANNOUNCE,
	WIRE_MSG_SWITCH_NOTICE,
	WIRE_MSG_DRAIN_REQUEST,
	WIRE_MSG_DRAIN_DONE,
	WIRE_MSG_MODULE_GONE,
	WIRE_MSG_DRILL_START,
	WIRE_MSG_DRILL_END,
	WIRE_MSG_COUNT,
};

enum wire_switch {
	WIRE_SWITCH_COMMENCE,
	WIRE_SWITCH_DISCONTINUE,
	WIRE_SWITCH_COUNT,
};

/* Drill scenarios of SPEC "Command line" (vigilctl drill SCENARIO). */
enum wire_drill {
	WIRE_DRILL_MODULE,
	WIRE_DRILL_NOTIFIER,
	WIRE_DRILL_PRIMARY_UNREACHABLE,
	WIRE_DRILL_WAN_CUT,
	WIRE_DRILL_BACKUP_ISOLATE,
	WIRE_DRILL_COUNT,
};

/* Why wire_decode() refused a frame: one counter each, one distinct errno each. */
enum wire_reject {
	WIRE_REJECT_BAD_MAGIC,     /* -EPROTO: not a vigil frame */
	WIRE_REJECT_BAD_VERSION,   /* -EPROTONOSUPPORT: another protocol version */
	WIRE_REJECT_BAD_LENGTH,    /* -EMSGSIZE: payload length over WIRE_PAYLOAD_MAX */
	WIRE_REJECT_UNKNOWN_TYPE,  /* -ENOMSG */
	WIRE_REJECT_AUTH_MISMATCH, /* -ENOKEY: the peer runs the other auth mode */
	WIRE_REJECT_WRONG_PAIR,    /* -EKEYREJECTED: the peer holds another pair key */
	WIRE_REJECT_UNEXPECTED,    /* -ENOTCONN: type not allowed in this handshake phase */
	WIRE_REJECT_STALE_SESSION, /* -ESTALE: frame of another session (replayed capture) */
	WIRE_REJECT_BAD_MAC,       /* -EBADMSG: corrupted or forged */
	WIRE_REJECT_REPLAY,        /* -EALREADY: sequence number not the next one */
	WIRE_REJECT_MALFORMED,     /* -EINVAL: payload or reserved bits invalid for the type */
	WIRE_REJECT_COUNT,
};

/* Owned by the caller (one per connection or one per node); shown by status and dump. */
struct wire_counters {
	uint64_t accepted;
	uint64_t rejected[WIRE_REJECT_COUNT];
};

struct wire_hello {
	char node[WIRE_NODE_MAX + 1]; /* NUL-terminated, 1..WIRE_NODE_MAX printable ASCII */
	bool role_a;                  /* configured role: A (true) or B */
	enum vg_state state;          /* any but ST_UNKNOWN */
	uint64_t generation;
	char software[WIRE_SOFTWARE_MAX + 1]; /* software version, for the upgrade states */
	enum vg_conn channel;                 /* the connection this hello travels on */
	uint8_t config_digest[WIRE_DIGEST_LEN];
	int dscp; /* QoS request: DSCP 0..63 for the aux connection, or WIRE_DSCP_NONE */
	enum vg_sync sync;
	bool module_responding;
};

struct wire_seq {
	uint32_t seq;
};

struct wire_module_pong {
	uint32_t seq;
	int32_t pid; /* 0 = not running */
	bool check_rejected;
};

struct wire_state_announce {
	enum vg_state state; /* any but ST_UNKNOWN */
	uint64_t generation;
};

struct wire_switch_notice {
	enum wire_switch kind;
	enum vg_reason reason;
};

struct wire_drain_request {
	bool force;
};

struct wire_module_gone {
	int32_t pid; /* > 0 */
};

struct wire_drill_start {
	enum wire_drill scenario;
	uint32_t duration_ms; /* WIRE_DRILL_MIN_MS..WIRE_DRILL_MAX_MS */
	bool live;
};

/* One message; type says which member is valid (OPEN, DRAIN_DONE and DRILL_END have none). */
struct wire_msg {
	enum wire_msg_type type;
	union {
		struct wire_hello hello;
		struct wire_seq notifier_ping;
		struct wire_seq notifier_pong;
		struct wire_seq module_ping;
		struct wire_module_pong module_pong;
		struct wire_state_announce state_announce;
		struct wire_switch_notice switch_notice;
		struct wire_drain_request drain_request;
		struct wire_module_gone module_gone;
		struct wire_drill_start drill_start;
	};
};

struct wire_key {
	enum wire_auth auth;
	uint8_t key[WIRE_KEY_LEN];
	/* HMAC(key, "vigil pair id")[0..7]; zero with auth none */
	uint8_t pair_id[WIRE_PAIR_ID_LEN];
};

enum wire_side {
	WIRE_SIDE_DIALER,
	WIRE_SIDE_ACCEPTOR,
	WIRE_SIDE_COUNT,
};

/* One per TCP connection, in the caller's memory; the fields are private to probe/wire*.c. */
struct wire_session {
	struct wire_key key;
	enum wire_side side;
	bool open_done; /* dialer: OPEN sent; acceptor: OPEN received */
	bool hello_tx;  /* our HELLO sent */
	bool hello_rx;  /* the peer's HELLO received (and proven fresh) */
	uint8_t nonce_d[WIRE_NONCE_LEN];
	uint8_t nonce_a[WIRE_NONCE_LEN];
	uint8_t key_tx[WIRE_KEY_LEN]; /* session keys, derived from the pair key and both nonces */
	uint8_t key_rx[WIRE_KEY_LEN];
	uint64_t seq_tx; /* next sequence number to send */
	uint64_t seq_rx; /* next sequence number accepted */
};

/* Pair key: 32 bytes; derives the pair id. -EINVAL on a NULL key. */
int wire_key_init_hmac(const uint8_t *key, struct wire_key *ret_key);
/* auth = none: frames are still framed, sequenced and bound to the session, but carry no MAC. */
void wire_key_init_none(struct wire_key *ret_key);

/* nonce: WIRE_NONCE_LEN fresh random bytes for this connection; all zero is refused (-EINVAL). */
int wire_session_init_dialer(const struct wire_key *key, const uint8_t *nonce,
    struct wire_session *ret_session);
int wire_session_init_acceptor(const struct wire_key *key, const uint8_t *nonce,
    struct wire_session *ret_session);
/* Both hellos exchanged: every message kind may flow. */
bool wire_session_is_established(const struct wire_session *s);
/* Erase the whole session, keys included (sodium_memzero), when the connection closes. */
void wire_session_wipe(struct wire_session *s);

/*
 * Encode msg as the next frame of s into buf[0..size). 0 and *ret_len = frame length;
 * -ENOBUFS buffer too small, -EINVAL a field out of range, -ENOTCONN the type is not
 * allowed in this handshake phase, -EOVERFLOW sequence numbers exhausted.
 */
int wire_encode(struct wire_session *s, const struct wire_msg *msg, uint8_t *buf, size_t size,
    size_t *ret_len);

/*
 * Decode the first frame of buf[0..len). 0: *ret_msg is the message and *ret_consumed its
 * frame length. -EAGAIN: the frame is not complete yet (nothing consumed; impossible headers
 * are rejected before that, from as few bytes as show them). Otherwise a rejection from
 * enum wire_reject, counted in *counters (which may be NULL).
 */
int wire_decode(struct wire_session *s, const uint8_t *buf, size_t len,
    struct wire_counters *counters, struct wire_msg *ret_msg, size_t *ret_consumed);

/* Name tables (STYLE 13): "hello", "notifier-ping", ...; "bad-mac", ...; NULL when out of range. */
const char *wire_msg_type_name(enum wire_msg_type t);
const char *wire_reject_name(enum wire_reject r);
const char *wire_switch_name(enum wire_switch k);
const char *wire_drill_name(enum wire_drill d);
/* Reverse look-ups: the enum value, or -1. */
int wire_drill_from_name(const char *name);
int wire_reject_from_error(int err);

#endif
