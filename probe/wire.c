/* wire.c: the peer-link codec's public face: keys, sessions, wire_encode(), wire_decode(), names. */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "wire-internal.h"
#include "wire.h"

static const char pair_id_label[] = "vigil pair id";

static const char *const msg_type_names[WIRE_MSG_COUNT] = {
	[WIRE_MSG_OPEN] = "open",
	[WIRE_MSG_HELLO] = "hello",
	[WIRE_MSG_NOTIFIER_PING] = "notifier-ping",
	[WIRE_MSG_NOTIFIER_PONG] = "notifier-pong",
	[WIRE_MSG_MODULE_PING] = "module-ping",
	[WIRE_MSG_MODULE_PONG] = "module-pong",
	[WIRE_MSG_STATE_ANNOUNCE] = "state-announcement",
	[WIRE_MSG_SWITCH_NOTICE] = "switch-notice",
	[WIRE_MSG_DRAIN_REQUEST] = "drain-request",
	[WIRE_MSG_DRAIN_DONE] = "drain-done",
	[WIRE_MSG_MODULE_GONE] = "module-gone",
	[WIRE_MSG_DRILL_START] = "drill-start",
	[WIRE_MSG_DRILL_END] = "drill-end",
};

/* Counter names and the errno each rejection returns: one row per class. */
static const struct {
	const char *name;
	int err;
} rejects[WIRE_REJECT_COUNT] = {
	[WIRE_REJECT_BAD_MAGIC] = { "bad-magic", -EPROTO },
	[WIRE_REJECT_BAD_VERSION] = { "bad-version", -EPROTONOSUPPORT },
	[WIRE_REJECT_BAD_LENGTH] = { "bad-length", -EMSGSIZE },
	[WIRE_REJECT_UNKNOWN_TYPE] = { "unknown-type", -ENOMSG },
	[WIRE_REJECT_AUTH_MISMATCH] = { "auth-mismatch", -ENOKEY },
	[WIRE_REJECT_WRONG_PAIR] = { "wrong-pair", -EKEYREJECTED },
	[WIRE_REJECT_UNEXPECTED] = { "unexpected", -ENOTCONN },
	[WIRE_REJECT_STALE_SESSION] = { "stale-session", -ESTALE },
	[WIRE_REJECT_BAD_MAC] = { "bad-mac", -EBADMSG },
	[WIRE_REJECT_REPLAY] = { "replay", -EALREADY },
	[WIRE_REJECT_MALFORMED] = { "malformed", -EINVAL },
};

static const char *const switch_names[WIRE_SWITCH_COUNT] = {
	[WIRE_SWITCH_COMMENCE] = "commence",
	[WIRE_SWITCH_DISCONTINUE] = "discontinue",
};

static const char *const drill_names[WIRE_DRILL_COUNT] = {
	[WIRE_DRILL_MODULE] = "module",
	[WIRE_DRILL_NOTIFIER] = "notifier",
	[WIRE_DRILL_PRIMARY_UNREACHABLE] = "primary-unreachable",
	[WIRE_DRILL_WAN_CUT] = "wan-cut",
	[WIRE_DRILL_BACKUP_ISOLATE] = "backup-isolate",
};

/* ---- keys and sessions ---- */

/* The pair id lets a peer with another key be told apart from a corrupted frame (SPEC "Peer link"). */
int wire_key_init_hmac(const uint8_t *key, struct wire_key *ret_key)
{
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	struct wire_key k = { .auth = WIRE_AUTH_HMAC_SHA256 };

	if (!key)
		return -EINVAL;
	memcpy(k.key, key, WIRE_KEY_LEN);
	crypto_auth_hmacsha256(mac, (const uint8_t *)pair_id_label, sizeof(pair_id_label) - 1,
	    k.key);
	memcpy(k.pair_id, mac, WIRE_PAIR_ID_LEN);
	*ret_key = k;
	sodium_memzero(&k, sizeof(k));
	return 0;
}

void wire_key_init_none(struct wire_key *ret_key)
{
	*ret_key = (struct wire_key){ .auth = WIRE_AUTH_NONE };
}

static uint8_t *own_nonce(struct wire_session *s)
{
	return s->side == WIRE_SIDE_DIALER ? s->nonce_d : s->nonce_a;
}

/* Both directions' keys from the nonces known so far; a nonce not known yet counts as zero. */
static void session_rekey(struct wire_session *s)
{
	bool dialer = s->side == WIRE_SIDE_DIALER;
	uint8_t tx = dialer ? WIRE_DIR_FROM_DIALER : WIRE_DIR_FROM_ACCEPTOR;
	uint8_t rx = dialer ? WIRE_DIR_FROM_ACCEPTOR : WIRE_DIR_FROM_DIALER;

	wire_session_key(&s->key, tx, s->nonce_d, s->nonce_a, s->key_tx);
	wire_session_key(&s->key, rx, s->nonce_d, s->nonce_a, s->key_rx);
}

static int session_init(const struct wire_key *key, const uint8_t *nonce, enum wire_side side,
    struct wire_session *ret_session)
{
	static const uint8_t zero[WIRE_NONCE_LEN];

	/* A zero nonce means the caller's random source failed; zero also stands for "not known yet". */
	if (!key || !nonce || (unsigned)key->auth >= WIRE_AUTH_COUNT ||
	    memcmp(nonce, zero, WIRE_NONCE_LEN) == 0)
		return -EINVAL;
	*ret_session = (struct wire_session){ .key = *key, .side = side };
	memcpy(own_nonce(ret_session), nonce, WIRE_NONCE_LEN);
	session_rekey(ret_session);
	return 0;
}

int wire_session_init_dialer(const struct wire_key *key, const uint8_t *nonce,
    struct wire_session *ret_session)
{
	return session_init(key, nonce, WIRE_SIDE_DIALER, ret_session);
}

int wire_session_init_acceptor(const struct wire_key *key, const uint8_t *nonce,
    struct wire_session *ret_session)
{
	return session_init(key, nonce, WIRE_SIDE_ACCEPTOR, ret_session);
}

bool wire_session_is_established(const struct wire_session *s)
{
	return s->hello_tx && s->hello_rx;
}

void wire_session_wipe(struct wire_session *s)
{
	sodium_memzero(s, sizeof(*s));
}

/* ---- encode ---- */

/* The sending half of the handshake rule (doc/protocol.md "Handshake"). */
static bool tx_allowed(const struct wire_session *s, enum wire_msg_type type)
{
	bool dialer = s->side == WIRE_SIDE_DIALER;

	switch (type) {
	case WIRE_MSG_OPEN:
		return dialer && !s->open_done;
	case WIRE_MSG_HELLO:
		return !s->hello_tx && (dialer ? s->hello_rx : s->open_done);
	default:
		return wire_session_is_established(s);
	}
}

static void commit_tx(struct wire_session *s, enum wire_msg_type type)
{
	s->seq_tx++;
	if (type == WIRE_MSG_OPEN)
		s->open_done = true;
	else if (type == WIRE_MSG_HELLO)
		s->hello_tx = true;
}

/* Payload first, behind room for the header, so the header can carry its length. */
static int encode_payload(struct wire_session *s, const struct wire_msg *msg,
    const struct wire_codec *c, struct wire_writer *w)
{
	size_t start = w->off;
	int r;

	if (c->handshake)
		wire_write_bytes(w, own_nonce(s), WIRE_NONCE_LEN);
	size_t body = w->off;
	r = c->encode(msg, w);
	if (r < 0)
		return r;
	if (w->bad)
		return -ENOBUFS;
	if (w->off - body < c->body_min || w->off - body > c->body_max ||
	    w->off - start > WIRE_PAYLOAD_MAX)
		return -EINVAL;
	return 0;
}

int wire_encode(struct wire_session *s, const struct wire_msg *msg, uint8_t *buf, size_t size,
    size_t *ret_len)
{
	const struct wire_codec *c = wire_codec_get(msg->type);
	struct wire_writer w = { .p = buf, .size = size, .off = WIRE_HEADER_LEN };
	struct wire_writer head = { .p = buf, .size = size };
	int r;

	if (!c)
		return -EINVAL;
	if (!tx_allowed(s, msg->type))
		return -ENOTCONN;
	if (s->seq_tx == UINT64_MAX)
		return -EOVERFLOW;
	if (size < WIRE_HEADER_LEN)
		return -ENOBUFS;
	r = encode_payload(s, msg, c, &w);
	if (r < 0)
		return r;
	wire_frame_write_header(s, msg->type, w.off - WIRE_HEADER_LEN, &head);
	wire_frame_seal(s, &w);
	if (w.bad || head.bad)
		return -ENOBUFS;
	commit_tx(s, msg->type);
	*ret_len = w.off;
	return 0;
}

/* ---- decode ---- */

/* The nonce a handshake payload starts with: OPEN and the acceptor's HELLO bring a new one, the
 * dialer's HELLO repeats the dialer's (already bound by the MAC; a mismatch is a broken peer). */
static int check_nonce(const struct wire_session *s, const struct wire_frame *f,
    const uint8_t *nonce)
{
	static const uint8_t zero[WIRE_NONCE_LEN];

	if (f->type == WIRE_MSG_HELLO && s->side == WIRE_SIDE_ACCEPTOR)
		return memcmp(nonce, s->nonce_d, WIRE_NONCE_LEN) == 0 ? 0 : -EINVAL;
	return memcmp(nonce, zero, WIRE_NONCE_LEN) == 0 ? -EINVAL : 0;
}

static int decode_payload(const struct wire_session *s, const uint8_t *buf,
    const struct wire_frame *f, struct wire_msg *ret)
{
	struct wire_reader rd = { .p = buf + WIRE_HEADER_LEN, .len = f->payload_len };
	struct wire_msg m = { .type = f->type };
	int r;

	if (f->codec->handshake) {
		uint8_t nonce[WIRE_NONCE_LEN];

		wire_read_bytes(&rd, nonce, WIRE_NONCE_LEN);
		r = rd.bad ? -EINVAL : check_nonce(s, f, nonce);
		if (r < 0)
			return r;
	}
	r = f->codec->decode(&rd, &m);
	if (r == 0 && (rd.bad || rd.off != rd.len))
		r = -EINVAL;
	if (r == 0)
		*ret = m;
	return r;
}

/* A checked frame moves the session on: the next sequence number, and the handshake. */
static void commit_rx(struct wire_session *s, const struct wire_frame *f, const struct wire_rx *rx)
{
	s->seq_rx++;
	if (f->type == WIRE_MSG_OPEN) {
		s->open_done = true;
		memcpy(s->nonce_d, rx->nonce_d, WIRE_NONCE_LEN);
		session_rekey(s);
	} else if (f->type == WIRE_MSG_HELLO) {
		s->hello_rx = true;
		memcpy(s->nonce_a, rx->nonce_a, WIRE_NONCE_LEN);
		session_rekey(s);
	}
}

static void count_reject(struct wire_counters *counters, int err)
{
	int r = wire_reject_from_error(err);

	if (counters && r >= 0)
		counters->rejected[r]++;
}

int wire_decode(struct wire_session *s, const uint8_t *buf, size_t len,
    struct wire_counters *counters, struct wire_msg *ret_msg, size_t *ret_consumed)
{
	struct wire_frame f;
	struct wire_rx rx;
	struct wire_msg m;
	int r;

	r = wire_frame_check_header(s, buf, len, &f);
	if (r == 0)
		r = wire_frame_check_body(s, buf, &f, &rx);
	if (r == 0)
		r = decode_payload(s, buf, &f, &m);
	if (r == -EAGAIN)
		return r;
	if (r < 0) {
		count_reject(counters, r);
		return r;
	}
	commit_rx(s, &f, &rx);
	if (counters)
		counters->accepted++;
	*ret_msg = m;
	*ret_consumed = f.frame_len;
	return 0;
}

/* ---- names ---- */

const char *wire_msg_type_name(enum wire_msg_type t)
{
	return (unsigned)t < WIRE_MSG_COUNT ? msg_type_names[t] : NULL;
}

const char *wire_reject_name(enum wire_reject r)
{
	return (unsigned)r < WIRE_REJECT_COUNT ? rejects[r].name : NULL;
}

const char *wire_switch_name(enum wire_switch k)
{
	return (unsigned)k < WIRE_SWITCH_COUNT ? switch_names[k] : NULL;
}

const char *wire_drill_name(enum wire_drill d)
{
	return (unsigned)d < WIRE_DRILL_COUNT ? drill_names[d] : NULL;
}

int wire_drill_from_name(const char *name)
{
	for (int d = 0; name && d < WIRE_DRILL_COUNT; d++) {
		if (strcmp(name, drill_names[d]) == 0)
			return d;
	}
	return -1;
}

int wire_reject_from_error(int err)
{
	for (int r = 0; r < WIRE_REJECT_COUNT; r++) {
		if (rejects[r].err == err)
			return r;
	}
	return -1;
}
