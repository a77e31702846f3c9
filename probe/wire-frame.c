/* wire-frame.c: the frame layer of the peer link: header guard ladder, session binding, MAC, sequence. */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "wire-internal.h"
#include "wire.h"

const uint8_t wire_magic[WIRE_MAGIC_LEN] = { 'V', 'I', 'G', 'L' };

static const char session_key_label[] = "vigil session key";

/* ---- byte cursors: explicit big-endian reads and writes, no struct overlays ---- */

void wire_read_bytes(struct wire_reader *r, uint8_t *dst, size_t n)
{
	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		return;
	}
	memcpy(dst, r->p + r->off, n);
	r->off += n;
}

static uint64_t read_be(struct wire_reader *r, size_t n)
{
	uint8_t b[8] = { 0 };
	uint64_t v = 0;

	wire_read_bytes(r, b, n);
	for (size_t i = 0; i < n; i++)
		v = v << 8 | b[i];
	return r->bad ? 0 : v;
}

uint8_t wire_read_u8(struct wire_reader *r)
{
	return (uint8_t)read_be(r, 1);
}

uint32_t wire_read_u32(struct wire_reader *r)
{
	return (uint32_t)read_be(r, 4);
}

uint64_t wire_read_u64(struct wire_reader *r)
{
	return read_be(r, 8);
}

void wire_write_bytes(struct wire_writer *w, const uint8_t *src, size_t n)
{
	if (w->bad || n > w->size - w->off) {
		w->bad = true;
		return;
	}
	memcpy(w->p + w->off, src, n);
	w->off += n;
}

static void write_be(struct wire_writer *w, uint64_t v, size_t n)
{
	uint8_t b[8];

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	wire_write_bytes(w, b, n);
}

void wire_write_u8(struct wire_writer *w, uint8_t v)
{
	write_be(w, v, 1);
}

void wire_write_u16(struct wire_writer *w, uint16_t v)
{
	write_be(w, v, 2);
}

void wire_write_u32(struct wire_writer *w, uint32_t v)
{
	write_be(w, v, 4);
}

void wire_write_u64(struct wire_writer *w, uint64_t v)
{
	write_be(w, v, 8);
}

uint16_t wire_get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint64_t wire_get_u64(const uint8_t *p)
{
	struct wire_reader r = { .p = p, .len = 8 };

	return wire_read_u64(&r);
}

/* ---- keys ---- */

size_t wire_mac_len(const struct wire_key *k)
{
	return k->auth == WIRE_AUTH_HMAC_SHA256 ? WIRE_MAC_LEN : 0;
}

/*
 * Session key of one direction: HMAC-SHA256(pair key, label || dir || nonce_d || nonce_a).
 * Binding both nonces makes every MAC of the session cover them, so a frame captured in one
 * session fails in any other; binding the direction stops a frame being reflected back.
 */
void wire_session_key(const struct wire_key *k, uint8_t dir, const uint8_t *nonce_d,
    const uint8_t *nonce_a, uint8_t *ret)
{
	crypto_auth_hmacsha256_state st;

	if (k->auth != WIRE_AUTH_HMAC_SHA256) {
		memset(ret, 0, WIRE_KEY_LEN);
		return;
	}
	crypto_auth_hmacsha256_init(&st, k->key, WIRE_KEY_LEN);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)session_key_label,
	    sizeof(session_key_label) - 1);
	crypto_auth_hmacsha256_update(&st, &dir, 1);
	crypto_auth_hmacsha256_update(&st, nonce_d, WIRE_NONCE_LEN);
	crypto_auth_hmacsha256_update(&st, nonce_a, WIRE_NONCE_LEN);
	crypto_auth_hmacsha256_final(&st, ret);
	sodium_memzero(&st, sizeof(st));
}

/* ---- header guard ladder (STYLE 17): each rung runs as soon as its bytes have arrived ---- */

static int check_version(const struct wire_session *s, const uint8_t *b)
{
	(void)s;
	return b[WIRE_OFF_VERSION] == WIRE_PROTOCOL_VERSION ? 0 : -EPROTONOSUPPORT;
}

static int check_type(const struct wire_session *s, const uint8_t *b)
{
	(void)s;
	return wire_codec_get(b[WIRE_OFF_TYPE]) ? 0 : -ENOMSG;
}

/* A known but different mode is a configuration mismatch between the nodes; anything else is junk. */
static int check_auth(const struct wire_session *s, const uint8_t *b)
{
	uint8_t auth = b[WIRE_OFF_AUTH];

	if (auth >= WIRE_AUTH_COUNT)
		return -EINVAL;
	return auth == s->key.auth ? 0 : -ENOKEY;
}

static int check_flags(const struct wire_session *s, const uint8_t *b)
{
	(void)s;
	return b[WIRE_OFF_FLAGS] == 0 ? 0 : -EINVAL;
}

/* An impossible length is refused here, before the caller waits for (or buffers) its bytes. */
static int check_length(const struct wire_session *s, const uint8_t *b)
{
	const struct wire_codec *c = wire_codec_get(b[WIRE_OFF_TYPE]);
	size_t len = wire_get_u16(b + WIRE_OFF_LENGTH);
	size_t nonce = c->handshake ? WIRE_NONCE_LEN : 0;

	(void)s;
	if (len > WIRE_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (len < nonce + c->body_min || len > nonce + c->body_max)
		return -EINVAL;
	return 0;
}

static int check_pair(const struct wire_session *s, const uint8_t *b)
{
	return memcmp(b + WIRE_OFF_PAIR, s->key.pair_id, WIRE_PAIR_ID_LEN) == 0 ? 0 : -EKEYREJECTED;
}

/* OPEN, then one HELLO each way, then the rest (doc/protocol.md "Handshake"). */
static int check_phase(const struct wire_session *s, const uint8_t *b)
{
	bool ok;

	switch (b[WIRE_OFF_TYPE]) {
	case WIRE_MSG_OPEN:
		ok = s->side == WIRE_SIDE_ACCEPTOR && !s->open_done;
		break;
	case WIRE_MSG_HELLO:
		ok = s->open_done && !s->hello_rx && (s->side == WIRE_SIDE_DIALER || s->hello_tx);
		break;
	default:
		ok = s->hello_rx && s->hello_tx;
		break;
	}
	return ok ? 0 : -ENOTCONN;
}

static const struct ladder_rung {
	size_t need; /* bytes of header the check reads */
	int (*check)(const struct wire_session *s, const uint8_t *b);
} ladder[] = {
	{ WIRE_OFF_VERSION + 1, check_version },
	{ WIRE_OFF_TYPE + 1, check_type },
	{ WIRE_OFF_AUTH + 1, check_auth },
	{ WIRE_OFF_FLAGS + 1, check_flags },
	{ WIRE_OFF_LENGTH + 2, check_length },
	{ WIRE_OFF_PAIR + WIRE_PAIR_ID_LEN, check_pair },
	{ WIRE_OFF_PAIR + WIRE_PAIR_ID_LEN, check_phase },
};

int wire_frame_check_header(const struct wire_session *s, const uint8_t *buf, size_t len,
    struct wire_frame *ret)
{
	size_t n = len < WIRE_MAGIC_LEN ? len : WIRE_MAGIC_LEN;

	if (len == 0)
		return -EAGAIN;
	if (memcmp(buf, wire_magic, n) != 0)
		return -EPROTO;
	for (size_t i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++) {
		if (len < ladder[i].need)
			return -EAGAIN;
		int r = ladder[i].check(s, buf);
		if (r < 0)
			return r;
	}
	if (len < WIRE_HEADER_LEN)
		return -EAGAIN;
	ret->type = buf[WIRE_OFF_TYPE];
	ret->codec = wire_codec_get(ret->type);
	ret->payload_len = wire_get_u16(buf + WIRE_OFF_LENGTH);
	ret->frame_len = WIRE_HEADER_LEN + ret->payload_len + wire_mac_len(&s->key);
	ret->seq = wire_get_u64(buf + WIRE_OFF_SEQ);
	return len < ret->frame_len ? -EAGAIN : 0;
}

/* ---- session binding, MAC and sequence of a complete frame ---- */

/*
 * The nonces and key a frame must match. OPEN brings the dialer's nonce (its MAC uses a zero
 * acceptor nonce, not known yet); the acceptor's HELLO brings the acceptor's nonce to the
 * dialer. Both are read from the payload here and believed only if the MAC then verifies.
 */
static void rx_context(const struct wire_session *s, const uint8_t *buf, const struct wire_frame *f,
    struct wire_rx *ret)
{
	const uint8_t *nonce = buf + WIRE_HEADER_LEN;

	memcpy(ret->nonce_d, s->nonce_d, WIRE_NONCE_LEN);
	memcpy(ret->nonce_a, s->nonce_a, WIRE_NONCE_LEN);
	memcpy(ret->key_rx, s->key_rx, WIRE_KEY_LEN);
	if (f->type == WIRE_MSG_OPEN) {
		memcpy(ret->nonce_d, nonce, WIRE_NONCE_LEN);
		memset(ret->nonce_a, 0, WIRE_NONCE_LEN);
	} else if (f->type == WIRE_MSG_HELLO && s->side == WIRE_SIDE_DIALER) {
		memcpy(ret->nonce_a, nonce, WIRE_NONCE_LEN);
	} else {
		return;
	}
	wire_session_key(&s->key,
	    s->side == WIRE_SIDE_DIALER ? WIRE_DIR_FROM_ACCEPTOR : WIRE_DIR_FROM_DIALER,
	    ret->nonce_d, ret->nonce_a, ret->key_rx);
}

static void session_tag(const uint8_t *nonce_d, const uint8_t *nonce_a, uint8_t *ret)
{
	memcpy(ret, nonce_d, WIRE_TAG_LEN / 2);
	memcpy(ret + WIRE_TAG_LEN / 2, nonce_a, WIRE_TAG_LEN / 2);
}

/*
 * Order: session tag, MAC, sequence. The tag (4 bytes of each nonce, in clear) only sorts a
 * frame of another session (a replayed capture) from a corrupted one: it would fail the MAC
 * anyway, since the session keys bind both nonces. The sequence is judged once the frame is
 * known authentic, so "replay" counts genuine frames sent twice or out of order.
 */
int wire_frame_check_body(const struct wire_session *s, const uint8_t *buf,
    const struct wire_frame *f, struct wire_rx *ret)
{
	struct wire_rx rx;
	uint8_t tag[WIRE_TAG_LEN];
	size_t covered = WIRE_HEADER_LEN + f->payload_len;

	rx_context(s, buf, f, &rx);
	session_tag(rx.nonce_d, rx.nonce_a, tag);
	if (memcmp(buf + WIRE_OFF_TAG, tag, WIRE_TAG_LEN) != 0)
		return -ESTALE;
	if (s->key.auth == WIRE_AUTH_HMAC_SHA256 &&
	    crypto_auth_hmacsha256_verify(buf + covered, buf, covered, rx.key_rx) != 0)
		return -EBADMSG;
	if (f->seq != s->seq_rx)
		return -EALREADY;
	*ret = rx;
	return 0;
}

void wire_frame_write_header(const struct wire_session *s, enum wire_msg_type type,
    size_t payload_len, struct wire_writer *w)
{
	uint8_t tag[WIRE_TAG_LEN];

	session_tag(s->nonce_d, s->nonce_a, tag);
	wire_write_bytes(w, wire_magic, WIRE_MAGIC_LEN);
	wire_write_u8(w, WIRE_PROTOCOL_VERSION);
	wire_write_u8(w, (uint8_t)type);
	wire_write_u8(w, (uint8_t)s->key.auth);
	wire_write_u8(w, 0);
	wire_write_u16(w, (uint16_t)payload_len);
	wire_write_bytes(w, s->key.pair_id, WIRE_PAIR_ID_LEN);
	wire_write_bytes(w, tag, WIRE_TAG_LEN);
	wire_write_u64(w, s->seq_tx);
}

/* The MAC covers header and payload, under the sending direction's session key. */
void wire_frame_seal(const struct wire_session *s, struct wire_writer *w)
{
	if (s->key.auth != WIRE_AUTH_HMAC_SHA256)
		return;
	if (w->bad || WIRE_MAC_LEN > w->size - w->off) {
		w->bad = true;
		return;
	}
	crypto_auth_hmacsha256(w->p + w->off, w->p, w->off, s->key_tx);
	w->off += WIRE_MAC_LEN;
}
