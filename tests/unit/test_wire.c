/* test_wire.c: the peer-link codec: round trips, golden bytes, handshake, and every rejection class. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "wire.h"
#include "wire_assert.h"

/*
 * Golden frames live in tests/golden/wire/NAME.hex (VIGIL_GOLDEN_DIR overrides the folder).
 * Regenerate them, after a deliberate change of the wire format, with
 *   VIGIL_WIRE_GOLDEN_WRITE=1 build/tests/test_wire
 * then check them against doc/protocol.md with tests/golden/wire/verify.py.
 */
#define GOLDEN_DIR "tests/golden/wire"
#define HEX_MAX (4 * WIRE_FRAME_MAX)

/* Fixed inputs of the golden frames (doc/protocol.md "Golden frames"). */
static uint8_t golden_key[WIRE_KEY_LEN];
static uint8_t nonce_d1[WIRE_NONCE_LEN];
static uint8_t nonce_a1[WIRE_NONCE_LEN];
static uint8_t nonce_d2[WIRE_NONCE_LEN];
static uint8_t nonce_a2[WIRE_NONCE_LEN];

/* Both ends of one connection, each with its own counters. */
struct pair {
	struct wire_session d;
	struct wire_session a;
	struct wire_counters cd;
	struct wire_counters ca;
};

struct frame {
	uint8_t b[WIRE_FRAME_MAX];
	size_t len;
};

static struct wire_key key_hmac(void)
{
	struct wire_key k;

	assert_int_equal(wire_key_init_hmac(golden_key, &k), 0);
	return k;
}

static struct wire_key key_none(void)
{
	struct wire_key k;

	wire_key_init_none(&k);
	return k;
}

/* ---- messages ---- */

static struct wire_hello hello_of(bool role_a)
{
	struct wire_hello h = {
		.role_a = role_a,
		.state = role_a ? ST_PRIMARY : ST_BACKUP,
		.generation = 7,
		.channel = CONN_MAIN,
		.dscp = 34,
		.sync = role_a ? SYNC_IN : SYNC_UNKNOWN,
		.module_responding = role_a,
	};

	snprintf(h.node, sizeof(h.node), "%s", role_a ? "vigil-a" : "vigil-b");
	snprintf(h.software, sizeof(h.software), "1.0.0");
	for (int i = 0; i < WIRE_DIGEST_LEN; i++)
		h.config_digest[i] = (uint8_t)(0xc0 + i);
	return h;
}

static struct wire_msg msg_hello(bool role_a)
{
	return (struct wire_msg){ .type = WIRE_MSG_HELLO, .hello = hello_of(role_a) };
}

/* Every regular kind, every enum value and both values of every flag at least once. */
static const struct wire_msg regular[] = {
	{ .type = WIRE_MSG_NOTIFIER_PING, .notifier_ping = { 1 } },
	{ .type = WIRE_MSG_NOTIFIER_PONG, .notifier_pong = { UINT32_MAX } },
	{ .type = WIRE_MSG_MODULE_PING, .module_ping = { 0 } },
	{ .type = WIRE_MSG_MODULE_PONG, .module_pong = { 5, 4194304, false } },
	{ .type = WIRE_MSG_MODULE_PONG, .module_pong = { 6, 0, false } },
	{ .type = WIRE_MSG_MODULE_PONG, .module_pong = { 7, 0, true } },
	{ .type = WIRE_MSG_MODULE_PONG, .module_pong = { 8, INT32_MAX, true } },
	{ .type = WIRE_MSG_STATE_ANNOUNCE, .state_announce = { ST_INIT, 0 } },
	{ .type = WIRE_MSG_STATE_ANNOUNCE, .state_announce = { ST_BACKUP, 1 } },
	{ .type = WIRE_MSG_STATE_ANNOUNCE, .state_announce = { ST_RECONNECTING, 2 } },
	{ .type = WIRE_MSG_STATE_ANNOUNCE, .state_announce = { ST_PRIMARY, 3 } },
	{ .type = WIRE_MSG_STATE_ANNOUNCE, .state_announce = { ST_UPGRADE_HIGHER, 4 } },
	{ .type = WIRE_MSG_STATE_ANNOUNCE, .state_announce = { ST_UPGRADE_LOWER, 5 } },
	{ .type = WIRE_MSG_STATE_ANNOUNCE, .state_announce = { ST_STALE, 6 } },
	{ .type = WIRE_MSG_STATE_ANNOUNCE, .state_announce = { ST_STOPPING, 7 } },
	{ .type = WIRE_MSG_STATE_ANNOUNCE, .state_announce = { ST_ERROR, UINT64_MAX } },
	{ .type = WIRE_MSG_SWITCH_NOTICE, .switch_notice = { WIRE_SWITCH_COMMENCE, REASON_NONE } },
	{ .type = WIRE_MSG_SWITCH_NOTICE,
	    .switch_notice = { WIRE_SWITCH_COMMENCE, REASON_MODULE_DOWN } },
	{ .type = WIRE_MSG_SWITCH_NOTICE,
	    .switch_notice = { WIRE_SWITCH_COMMENCE, REASON_NOTIFIER_DOWN } },
	{ .type = WIRE_MSG_SWITCH_NOTICE,
	    .switch_notice = { WIRE_SWITCH_COMMENCE, REASON_PRIMARY_UNREACHABLE } },
	{ .type = WIRE_MSG_SWITCH_NOTICE,
	    .switch_notice = { WIRE_SWITCH_COMMENCE, REASON_MANUAL } },
	{ .type = WIRE_MSG_SWITCH_NOTICE,
	    .switch_notice = { WIRE_SWITCH_COMMENCE, REASON_HANDOVER } },
	{ .type = WIRE_MSG_SWITCH_NOTICE,
	    .switch_notice = { WIRE_SWITCH_DISCONTINUE, REASON_ISLAND_CONVERGENCE } },
	{ .type = WIRE_MSG_SWITCH_NOTICE,
	    .switch_notice = { WIRE_SWITCH_DISCONTINUE, REASON_FAILSAFE_START } },
	{ .type = WIRE_MSG_SWITCH_NOTICE,
	    .switch_notice = { WIRE_SWITCH_DISCONTINUE, REASON_DRILL } },
	{ .type = WIRE_MSG_DRAIN_REQUEST, .drain_request = { false } },
	{ .type = WIRE_MSG_DRAIN_REQUEST, .drain_request = { true } },
	{ .type = WIRE_MSG_DRAIN_DONE },
	{ .type = WIRE_MSG_MODULE_GONE, .module_gone = { 1 } },
	{ .type = WIRE_MSG_MODULE_GONE, .module_gone = { INT32_MAX } },
	{ .type = WIRE_MSG_DRILL_START,
	    .drill_start = { WIRE_DRILL_MODULE, WIRE_DRILL_MIN_MS, false } },
	{ .type = WIRE_MSG_DRILL_START, .drill_start = { WIRE_DRILL_NOTIFIER, 30000, true } },
	{ .type = WIRE_MSG_DRILL_START,
	    .drill_start = { WIRE_DRILL_PRIMARY_UNREACHABLE, 30000, false } },
	{ .type = WIRE_MSG_DRILL_START, .drill_start = { WIRE_DRILL_WAN_CUT, 45000, true } },
	{ .type = WIRE_MSG_DRILL_START,
	    .drill_start = { WIRE_DRILL_BACKUP_ISOLATE, WIRE_DRILL_MAX_MS, true } },
	{ .type = WIRE_MSG_DRILL_END },
};

#define N_REGULAR (sizeof(regular) / sizeof(regular[0]))

/* ---- moving frames ---- */

static struct frame encode(struct wire_session *s, const struct wire_msg *m)
{
	struct frame f;

	assert_int_equal(wire_encode(s, m, f.b, sizeof(f.b), &f.len), 0);
	return f;
}

static struct wire_msg decode(struct wire_session *s, struct wire_counters *c,
    const struct frame *f)
{
	struct wire_msg m;
	size_t used = 0;

	assert_int_equal(wire_decode(s, f->b, f->len, c, &m, &used), 0);
	assert_int_equal(used, f->len);
	return m;
}

/* One message from one end to the other; returns the frame for replays. */
static struct frame xfer(struct wire_session *from, struct wire_session *to,
    struct wire_counters *c, const struct wire_msg *m)
{
	struct frame f = encode(from, m);
	struct wire_msg got = decode(to, c, &f);

	assert_msg_equal(m, &got);
	return f;
}

static void pair_init(struct pair *p, const struct wire_key *k, const uint8_t *nd,
    const uint8_t *na)
{
	*p = (struct pair){ 0 };
	assert_int_equal(wire_session_init_dialer(k, nd, &p->d), 0);
	assert_int_equal(wire_session_init_acceptor(k, na, &p->a), 0);
}

/* OPEN, the acceptor's HELLO, the dialer's HELLO; frames kept in hs[3] when asked. */
static void handshake(struct pair *p, struct frame *hs)
{
	struct wire_msg open = { .type = WIRE_MSG_OPEN };
	struct wire_msg ha = msg_hello(true);
	struct wire_msg hd = msg_hello(false);
	struct frame f[3];

	f[0] = xfer(&p->d, &p->a, &p->ca, &open);
	assert_false(wire_session_is_established(&p->a));
	f[1] = xfer(&p->a, &p->d, &p->cd, &ha);
	assert_false(wire_session_is_established(&p->d));
	f[2] = xfer(&p->d, &p->a, &p->ca, &hd);
	assert_true(wire_session_is_established(&p->d));
	assert_true(wire_session_is_established(&p->a));
	if (hs)
		memcpy(hs, f, sizeof(f));
}

static void pair_up(struct pair *p, const struct wire_key *k)
{
	pair_init(p, k, nonce_d1, nonce_a1);
	handshake(p, NULL);
}

static uint64_t rejected_total(const struct wire_counters *c)
{
	uint64_t n = 0;

	for (int i = 0; i < WIRE_REJECT_COUNT; i++)
		n += c->rejected[i];
	return n;
}

/* Decoding buf fails with err, bumps exactly its counter, and changes nothing else. */
static void expect_reject_what(struct wire_session *s, const uint8_t *buf, size_t len, int err,
    const char *what)
{
	struct wire_session before = *s;
	struct wire_counters c = { 0 };
	struct wire_msg m = { .type = WIRE_MSG_DRILL_END };
	size_t used = 4242;
	int r = wire_decode(s, buf, len, &c, &m, &used);

	if (r != err)
		fail_msg("%s: wire_decode gave %d (%s), want %d (%s)", what, r, strerror(-r), err,
		    strerror(-err));
	assert_memory_equal(&before, s, sizeof(before));
	assert_int_equal(used, 4242);
	assert_int_equal(m.type, WIRE_MSG_DRILL_END);
	assert_int_equal(c.accepted, 0);
	if (err == -EAGAIN) {
		assert_int_equal(rejected_total(&c), 0);
		return;
	}
	assert_true(wire_reject_from_error(err) >= 0);
	assert_int_equal(c.rejected[wire_reject_from_error(err)], 1);
	assert_int_equal(rejected_total(&c), 1);
}

static void expect_reject(struct wire_session *s, const uint8_t *buf, size_t len, int err)
{
	expect_reject_what(s, buf, len, err, "frame");
}

/*
 * A frame written byte by byte from doc/protocol.md, sealed with the sender's session key:
 * for payloads wire_encode() refuses to write, and as a second reading of the layout.
 */
static struct frame forge(struct wire_session *s, uint8_t type, const uint8_t *payload, size_t plen)
{
	struct frame f = { .len = WIRE_HEADER_LEN + plen };
	uint8_t *h = f.b;

	memcpy(h, "VIGL", 4);
	h[4] = WIRE_PROTOCOL_VERSION;
	h[5] = type;
	h[6] = (uint8_t)s->key.auth;
	h[7] = 0;
	h[8] = (uint8_t)(plen >> 8);
	h[9] = (uint8_t)plen;
	memcpy(h + 10, s->key.pair_id, 8);
	memcpy(h + 18, s->nonce_d, 4);
	memcpy(h + 22, s->nonce_a, 4);
	for (int i = 0; i < 8; i++)
		h[26 + i] = (uint8_t)(s->seq_tx >> (56 - 8 * i));
	memcpy(h + WIRE_HEADER_LEN, payload, plen);
	if (s->key.auth == WIRE_AUTH_HMAC_SHA256) {
		crypto_auth_hmacsha256(f.b + f.len, f.b, f.len, s->key_tx);
		f.len += WIRE_MAC_LEN;
	}
	s->seq_tx++;
	return f;
}

/* ---- round trips ---- */

static void round_trip_all(const struct wire_key *k, size_t mac_len)
{
	struct pair p;

	pair_up(&p, k);
	for (size_t i = 0; i < N_REGULAR; i++) {
		struct frame f = xfer(&p.d, &p.a, &p.ca, &regular[i]);

		assert_true(f.len >= WIRE_HEADER_LEN + mac_len && f.len <= WIRE_FRAME_MAX);
		xfer(&p.a, &p.d, &p.cd, &regular[i]);
	}
	assert_int_equal(p.ca.accepted, 2 + N_REGULAR);
	assert_int_equal(p.cd.accepted, 1 + N_REGULAR);
	assert_int_equal(rejected_total(&p.ca) + rejected_total(&p.cd), 0);
}

static void test_round_trip_hmac(void **state)
{
	struct wire_key k = key_hmac();

	(void)state;
	round_trip_all(&k, WIRE_MAC_LEN);
}

static void test_round_trip_auth_none(void **state)
{
	struct wire_key k = key_none();
	struct pair p;
	struct frame f;

	(void)state;
	round_trip_all(&k, 0);
	/* still framed: header + payload, no trailer */
	pair_up(&p, &k);
	f = xfer(&p.d, &p.a, &p.ca, &regular[0]);
	assert_int_equal(f.len, WIRE_HEADER_LEN + 4);
	assert_int_equal(f.b[6], WIRE_AUTH_NONE);
}

/* Hellos at the extremes: longest strings, no QoS request, aux channel, every sync value. */
static void test_round_trip_hello_variants(void **state)
{
	struct wire_key k = key_hmac();

	(void)state;
	for (int sync = 0; sync < SYNC_COUNT; sync++) {
		struct pair p;
		struct wire_msg open = { .type = WIRE_MSG_OPEN };
		struct wire_msg h = msg_hello(false);
		struct frame f;

		memset(h.hello.node, 'n', WIRE_NODE_MAX);
		memset(h.hello.software, '~', WIRE_SOFTWARE_MAX);
		h.hello.dscp = sync == 0 ? WIRE_DSCP_NONE : 63 * (sync - 1);
		h.hello.channel = CONN_AUX;
		h.hello.sync = (enum vg_sync)sync;
		h.hello.generation = UINT64_MAX;
		pair_init(&p, &k, nonce_d1, nonce_a1);
		xfer(&p.d, &p.a, &p.ca, &open);
		f = xfer(&p.a, &p.d, &p.cd, &h);
		assert_int_equal(f.len, WIRE_HEADER_LEN + 16 + 48 + 63 + 31 + WIRE_MAC_LEN);
	}
}

/* TCP hands over bytes in any slicing: two frames in one buffer come out one by one. */
static void test_stream_two_frames(void **state)
{
	struct wire_key k = key_hmac();
	struct pair p;
	struct frame f1, f2;
	uint8_t buf[2 * WIRE_FRAME_MAX];
	struct wire_msg m;
	size_t used;

	(void)state;
	pair_up(&p, &k);
	f1 = encode(&p.d, &regular[0]);
	f2 = encode(&p.d, &regular[3]);
	memcpy(buf, f1.b, f1.len);
	memcpy(buf + f1.len, f2.b, f2.len);
	assert_int_equal(wire_decode(&p.a, buf, f1.len + f2.len, &p.ca, &m, &used), 0);
	assert_int_equal(used, f1.len);
	assert_msg_equal(&m, &regular[0]);
	assert_int_equal(wire_decode(&p.a, buf + used, f2.len, &p.ca, &m, &used), 0);
	assert_int_equal(used, f2.len);
	assert_msg_equal(&m, &regular[3]);
}

/* ---- golden bytes ---- */

static void golden_path(const char *name, char *buf, size_t size)
{
	const char *dir = getenv("VIGIL_GOLDEN_DIR");

	snprintf(buf, size, "%s/%s.hex", dir ? dir : GOLDEN_DIR, name);
}

/* Hex pairs; whitespace and '#' comments to the end of the line are skipped. */
static size_t hex_parse(const char *text, uint8_t *out, size_t max)
{
	static const char hex_digits[] = "0123456789abcdef";
	size_t n = 0;
	int hi = -1;

	for (const char *s = text; *s; s++) {
		if (*s == '#') {
			s += strcspn(s, "\n");
			if (!*s)
				break;
			continue;
		}
		const char *digit = strchr(hex_digits, *s); /* *s is not NUL here */

		if (!digit)
			continue;
		if (hi < 0) {
			hi = (int)(digit - hex_digits);
		} else if (n < max) {
			out[n++] = (uint8_t)(hi << 4 | (int)(digit - hex_digits));
			hi = -1;
		}
	}
	return n;
}

static void hex_lines(FILE *fp, const char *what, const uint8_t *b, size_t n)
{
	fprintf(fp, "# %s (%zu bytes)\n", what, n);
	for (size_t i = 0; i < n; i += 16) {
		for (size_t j = i; j < n && j < i + 16; j++)
			fprintf(fp, "%s%02x", j == i ? "" : " ", b[j]);
		fputc('\n', fp);
	}
}

/* Header, payload and MAC under '#' labels of their own, for review by eye. */
static void golden_write(const char *name, const char *about, const struct frame *f, size_t mac)
{
	char path[512];
	FILE *fp;
	size_t plen = f->len - WIRE_HEADER_LEN - mac;

	golden_path(name, path, sizeof(path));
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp,
	    "# %s\n# written by VIGIL_WIRE_GOLDEN_WRITE=1 test_wire; checked by verify.py\n",
	    about);
	hex_lines(fp, "header", f->b, WIRE_HEADER_LEN);
	if (plen)
		hex_lines(fp, "payload", f->b + WIRE_HEADER_LEN, plen);
	if (mac)
		hex_lines(fp, "mac", f->b + WIRE_HEADER_LEN + plen, mac);
	assert_int_equal(fclose(fp), 0);
}

static void golden_check(const char *name, const char *about, const struct frame *f, size_t mac)
{
	char path[512], text[HEX_MAX];
	uint8_t want[WIRE_FRAME_MAX];
	FILE *fp;
	size_t n;

	if (getenv("VIGIL_WIRE_GOLDEN_WRITE")) {
		golden_write(name, about, f, mac);
		return;
	}
	golden_path(name, path, sizeof(path));
	fp = fopen(path, "r");
	if (!fp)
		fail_msg("%s: missing; regenerate with VIGIL_WIRE_GOLDEN_WRITE=1 (see test_wire.c)",
		    path);
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	n = hex_parse(text, want, sizeof(want));
	assert_int_equal(n, f->len);
	assert_memory_equal(want, f->b, n);
}

static void test_golden_frames(void **state)
{
	struct wire_key k = key_hmac();
	struct wire_msg ping = { .type = WIRE_MSG_NOTIFIER_PING, .notifier_ping = { 1 } };
	struct pair p;
	struct frame hs[3];

	(void)state;
	pair_init(&p, &k, nonce_d1, nonce_a1);
	handshake(&p, hs);
	golden_check("open", "OPEN, dialer -> acceptor, frame seq 0", &hs[0], WIRE_MAC_LEN);
	golden_check("hello", "HELLO, acceptor -> dialer, frame seq 0 (vigil-a, primary)", &hs[1],
	    WIRE_MAC_LEN);
	golden_check("hello-dialer", "HELLO, dialer -> acceptor, frame seq 1 (vigil-b, backup)",
	    &hs[2], WIRE_MAC_LEN);
	struct frame f = xfer(&p.d, &p.a, &p.ca, &ping);
	golden_check("ping", "NOTIFIER_PING seq 1, dialer -> acceptor, frame seq 2", &f,
	    WIRE_MAC_LEN);
}

static void test_golden_auth_none(void **state)
{
	struct wire_key k = key_none();
	struct wire_msg ping = { .type = WIRE_MSG_NOTIFIER_PING, .notifier_ping = { 1 } };
	struct pair p;
	struct frame f;

	(void)state;
	pair_up(&p, &k);
	f = xfer(&p.d, &p.a, &p.ca, &ping);
	golden_check("ping-none", "NOTIFIER_PING seq 1 with auth = none, frame seq 2", &f, 0);
}

/* The pair id is HMAC(key, "vigil pair id")[0..7], public and the same on both nodes. */
static void test_pair_id(void **state)
{
	struct wire_key k = key_hmac(), n = key_none();
	uint8_t mac[32], zero[WIRE_PAIR_ID_LEN] = { 0 };

	(void)state;
	crypto_auth_hmacsha256(mac, (const uint8_t *)"vigil pair id", 13, golden_key);
	assert_memory_equal(k.pair_id, mac, WIRE_PAIR_ID_LEN);
	assert_memory_equal(n.pair_id, zero, WIRE_PAIR_ID_LEN);
	assert_int_equal(wire_key_init_hmac(NULL, &k), -EINVAL);
}

/* ---- rejections ---- */

/* Every single-bit flip anywhere in a frame is refused, and most by the MAC. */
static void test_reject_bit_flips(void **state)
{
	struct wire_key k = key_hmac();
	struct pair p;
	struct frame f;
	struct wire_counters c = { 0 };

	(void)state;
	pair_up(&p, &k);
	f = encode(&p.d, &regular[3]);
	for (size_t bit = 0; bit < 8 * f.len; bit++) {
		struct wire_msg m;
		size_t used;

		f.b[bit / 8] ^= (uint8_t)(1u << bit % 8);
		assert_true(wire_decode(&p.a, f.b, f.len, &c, &m, &used) < 0);
		f.b[bit / 8] ^= (uint8_t)(1u << bit % 8);
	}
	assert_int_equal(c.accepted, 0);
	assert_true(c.rejected[WIRE_REJECT_BAD_MAC] >= 8 * (f.len - WIRE_HEADER_LEN));
	f.b[f.len - 1] ^= 0x80; /* a MAC bit */
	expect_reject(&p.a, f.b, f.len, -EBADMSG);
	f.b[f.len - 1] ^= 0x80;
	f.b[WIRE_HEADER_LEN] ^= 0x01; /* a payload bit */
	expect_reject(&p.a, f.b, f.len, -EBADMSG);
	f.b[WIRE_HEADER_LEN] ^= 0x01;
	decode(&p.a, &p.ca, &f);
}

/* Another key: told apart by the pair id, before any MAC work. */
static void test_reject_wrong_pair(void **state)
{
	struct wire_key k = key_hmac(), other;
	uint8_t raw[WIRE_KEY_LEN];
	struct wire_session d, a;
	struct wire_msg open = { .type = WIRE_MSG_OPEN };
	struct frame f;

	(void)state;
	memcpy(raw, golden_key, sizeof(raw));
	raw[31] ^= 1;
	assert_int_equal(wire_key_init_hmac(raw, &other), 0);
	assert_int_equal(wire_session_init_dialer(&k, nonce_d1, &d), 0);
	assert_int_equal(wire_session_init_acceptor(&other, nonce_a1, &a), 0);
	f = encode(&d, &open);
	expect_reject(&a, f.b, f.len, -EKEYREJECTED);
	expect_reject(&a, f.b, WIRE_HEADER_LEN - 16, -EKEYREJECTED); /* known from 18 bytes */
	f.b[WIRE_HEADER_LEN + 5] ^= 4; /* same pair, corrupted: the MAC says so */
	assert_int_equal(wire_session_init_acceptor(&k, nonce_a1, &a), 0);
	expect_reject(&a, f.b, f.len, -EBADMSG);
}

/* One node with auth = none, the other with a key: a configuration mismatch, said so. */
static void test_reject_auth_mismatch(void **state)
{
	struct wire_key k = key_hmac(), n = key_none();
	struct wire_session d, a;
	struct wire_msg open = { .type = WIRE_MSG_OPEN };
	struct frame f;

	(void)state;
	assert_int_equal(wire_session_init_dialer(&n, nonce_d1, &d), 0);
	assert_int_equal(wire_session_init_acceptor(&k, nonce_a1, &a), 0);
	f = encode(&d, &open);
	expect_reject(&a, f.b, f.len, -ENOKEY);
	assert_int_equal(wire_session_init_dialer(&k, nonce_d1, &d), 0);
	assert_int_equal(wire_session_init_acceptor(&n, nonce_a1, &a), 0);
	f = encode(&d, &open);
	expect_reject(&a, f.b, 7, -ENOKEY);
	f.b[6] = 9; /* no such mode */
	expect_reject(&a, f.b, f.len, -EINVAL);
}

static void test_reject_replay_same_session(void **state)
{
	struct wire_key k = key_hmac();
	struct pair p;
	struct frame f1, f2, f3;

	(void)state;
	pair_up(&p, &k);
	f1 = xfer(&p.d, &p.a, &p.ca, &regular[0]);
	expect_reject(&p.a, f1.b, f1.len, -EALREADY); /* the same frame again */
	f2 = encode(&p.d, &regular[1]);
	f3 = encode(&p.d, &regular[2]);
	expect_reject(&p.a, f3.b, f3.len, -EALREADY); /* one skipped: out of order */
	decode(&p.a, &p.ca, &f2);
	decode(&p.a, &p.ca, &f3);
	expect_reject(&p.a, f2.b, f2.len, -EALREADY);
	/* a frame reflected back to its sender fails: the direction is in the key */
	f1 = encode(&p.d, &regular[0]);
	expect_reject(&p.d, f1.b, f1.len, -EBADMSG);
}

/* Session 1 captured whole, then replayed into session 2 (fresh nonces) on both sides. */
static void test_reject_cross_session(void **state)
{
	struct wire_key k = key_hmac();
	struct pair s1, s2;
	struct frame hs[3], ping;

	(void)state;
	pair_init(&s1, &k, nonce_d1, nonce_a1);
	handshake(&s1, hs);
	ping = xfer(&s1.d, &s1.a, &s1.ca, &regular[0]);
	/* established session 2: the old ping is from another session */
	pair_init(&s2, &k, nonce_d2, nonce_a2);
	handshake(&s2, NULL);
	expect_reject(&s2.a, ping.b, ping.len, -ESTALE);
	/* an acceptor fed the old OPEN answers with a fresh nonce; the old HELLO cannot follow it */
	pair_init(&s2, &k, nonce_d2, nonce_a2);
	decode(&s2.a, &s2.ca, &hs[0]);
	expect_reject(&s2.a, hs[2].b, hs[2].len, -ENOTCONN); /* before its own hello */
	encode(&s2.a, &(struct wire_msg){ .type = WIRE_MSG_HELLO, .hello = hello_of(true) });
	expect_reject(&s2.a, hs[2].b, hs[2].len, -ESTALE);
	assert_false(wire_session_is_established(&s2.a));
	/* a dialer fed the old acceptor HELLO after its new OPEN */
	encode(&s2.d, &(struct wire_msg){ .type = WIRE_MSG_OPEN });
	expect_reject(&s2.d, hs[1].b, hs[1].len, -ESTALE);
}

/* The tag is only a label: nonces equal in their first 4 bytes still differ in the MAC. */
static void test_reject_cross_session_same_tag(void **state)
{
	struct wire_key k = key_hmac();
	struct pair s1, s2;
	struct frame ping;

	(void)state;
	pair_init(&s1, &k, nonce_d1, nonce_a1);
	handshake(&s1, NULL);
	ping = xfer(&s1.d, &s1.a, &s1.ca, &regular[0]);
	/* each nonce on its own, past the 4 bytes of the tag */
	for (int which = 0; which < 2; which++) {
		uint8_t nd[WIRE_NONCE_LEN], na[WIRE_NONCE_LEN];

		memcpy(nd, nonce_d1, sizeof(nd));
		memcpy(na, nonce_a1, sizeof(na));
		(which ? na : nd)[4 + 11 * which] ^= 1;
		pair_init(&s2, &k, nd, na);
		handshake(&s2, NULL);
		expect_reject(&s2.a, ping.b, ping.len, -EBADMSG);
	}
}

/* Every prefix of every frame asks for more and changes nothing; the whole frame then passes. */
static void truncate_all(struct wire_session *rx, struct wire_counters *c, const struct frame *f)
{
	for (size_t n = 0; n < f->len; n++)
		expect_reject(rx, f->b, n, -EAGAIN);
	decode(rx, c, f);
}

static void test_truncated_frames(void **state)
{
	struct wire_key keys[2] = { key_hmac(), key_none() };

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct pair p;
		struct frame f;

		pair_init(&p, &keys[i], nonce_d1, nonce_a1);
		f = encode(&p.d, &(struct wire_msg){ .type = WIRE_MSG_OPEN });
		truncate_all(&p.a, &p.ca, &f);
		f = encode(&p.a,
		    &(struct wire_msg){ .type = WIRE_MSG_HELLO, .hello = hello_of(true) });
		truncate_all(&p.d, &p.cd, &f);
		f = encode(&p.d,
		    &(struct wire_msg){ .type = WIRE_MSG_HELLO, .hello = hello_of(false) });
		truncate_all(&p.a, &p.ca, &f);
		for (size_t m = 0; m < N_REGULAR; m++) {
			f = encode(&p.d, &regular[m]);
			truncate_all(&p.a, &p.ca, &f);
		}
	}
}

/* A length no frame may have is refused from the 10 header bytes that state it: no wait. */
static void test_reject_oversize_length(void **state)
{
	struct wire_key k = key_hmac();
	struct pair p;
	struct frame f;
	const uint16_t lengths[] = { WIRE_PAYLOAD_MAX + 1, 0x1000, 0xffff };

	(void)state;
	pair_up(&p, &k);
	f = encode(&p.d, &regular[0]);
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		f.b[8] = (uint8_t)(lengths[i] >> 8);
		f.b[9] = (uint8_t)lengths[i];
		expect_reject(&p.a, f.b, 10, -EMSGSIZE);
		expect_reject(&p.a, f.b, f.len, -EMSGSIZE);
	}
	/* within the frame limit but not a ping's length: malformed, also without waiting */
	f.b[8] = 0;
	f.b[9] = 200;
	expect_reject(&p.a, f.b, 10, -EINVAL);
}

static void test_reject_magic_version_type(void **state)
{
	struct wire_key k = key_hmac();
	struct pair p;
	struct frame f;
	const uint8_t bad_types[] = { 0, WIRE_MSG_COUNT, 0x7f, 0xff };

	(void)state;
	pair_up(&p, &k);
	expect_reject(&p.a, (const uint8_t *)"GET / HTTP/1.1\r\n", 16, -EPROTO);
	expect_reject(&p.a, (const uint8_t *)"X", 1, -EPROTO); /* from the first byte */
	expect_reject(&p.a, (const uint8_t *)"VIG", 3, -EAGAIN);
	f = encode(&p.d, &regular[0]);
	f.b[4] = WIRE_PROTOCOL_VERSION + 1;
	expect_reject(&p.a, f.b, 5, -EPROTONOSUPPORT);
	expect_reject(&p.a, f.b, f.len, -EPROTONOSUPPORT);
	f.b[4] = 0;
	expect_reject(&p.a, f.b, f.len, -EPROTONOSUPPORT);
	f.b[4] = WIRE_PROTOCOL_VERSION;
	for (size_t i = 0; i < sizeof(bad_types); i++) {
		f.b[5] = bad_types[i];
		expect_reject(&p.a, f.b, 6, -ENOMSG);
		expect_reject(&p.a, f.b, f.len, -ENOMSG);
	}
	f.b[5] = WIRE_MSG_NOTIFIER_PING;
	f.b[7] = 0x01; /* reserved flags */
	expect_reject(&p.a, f.b, f.len, -EINVAL);
	f.b[7] = 0;
	decode(&p.a, &p.ca, &f);
}

/* Payload lengths one short and one long of what each type allows: refused from the header. */
static void test_reject_payload_length_per_type(void **state)
{
	static const struct {
		uint8_t type;
		size_t min, max;
	} lens[] = {
		{ WIRE_MSG_NOTIFIER_PING, 4, 4 },
		{ WIRE_MSG_NOTIFIER_PONG, 4, 4 },
		{ WIRE_MSG_MODULE_PING, 4, 4 },
		{ WIRE_MSG_MODULE_PONG, 9, 9 },
		{ WIRE_MSG_STATE_ANNOUNCE, 9, 9 },
		{ WIRE_MSG_SWITCH_NOTICE, 2, 2 },
		{ WIRE_MSG_DRAIN_REQUEST, 1, 1 },
		{ WIRE_MSG_DRAIN_DONE, 0, 0 },
		{ WIRE_MSG_MODULE_GONE, 4, 4 },
		{ WIRE_MSG_DRILL_START, 6, 6 },
		{ WIRE_MSG_DRILL_END, 0, 0 },
	};
	struct wire_key k = key_hmac();
	struct pair p;
	uint8_t zeros[WIRE_PAYLOAD_MAX] = { 0 };

	(void)state;
	pair_up(&p, &k);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct frame f;

		if (lens[i].min > 0) {
			f = forge(&p.d, lens[i].type, zeros, lens[i].min - 1);
			expect_reject(&p.a, f.b, f.len, -EINVAL);
			p.d.seq_tx--;
		}
		f = forge(&p.d, lens[i].type, zeros, lens[i].max + 1);
		expect_reject(&p.a, f.b, f.len, -EINVAL);
		p.d.seq_tx--;
	}
}

/* Well-sized, authentic payloads whose contents are invalid: refused after the MAC. */
static const struct bad_payload {
	const char *what;
	uint8_t type;
	uint8_t len;
	uint8_t b[9];
} bad_payloads[] = {
	{ "state code 9", WIRE_MSG_STATE_ANNOUNCE, 9, { 9 } },
	{ "state code 0xff", WIRE_MSG_STATE_ANNOUNCE, 9, { 0xff } },
	{ "switch kind 2", WIRE_MSG_SWITCH_NOTICE, 2, { 2, 0 } },
	{ "switch reason 9", WIRE_MSG_SWITCH_NOTICE, 2, { 0, 9 } },
	{ "pong flag bit 1", WIRE_MSG_MODULE_PONG, 9, { 0, 0, 0, 1, 0, 0, 0, 1, 2 } },
	{ "pong pid over INT32_MAX", WIRE_MSG_MODULE_PONG, 9, { 0, 0, 0, 1, 0x80, 0, 0, 0, 0 } },
	{ "module-gone pid 0", WIRE_MSG_MODULE_GONE, 4, { 0, 0, 0, 0 } },
	{ "module-gone pid negative", WIRE_MSG_MODULE_GONE, 4, { 0xff, 0xff, 0xff, 0xff } },
	{ "drain flag bit 7", WIRE_MSG_DRAIN_REQUEST, 1, { 0x80 } },
	{ "drill scenario 5", WIRE_MSG_DRILL_START, 6, { 5, 0, 0, 0x75, 0x30, 0 } },
	{ "drill 999 ms", WIRE_MSG_DRILL_START, 6, { 0, 0, 0, 0x03, 0xe7, 0 } },
	{ "drill 600001 ms", WIRE_MSG_DRILL_START, 6, { 0, 0, 0x09, 0x27, 0xc1, 0 } },
	{ "drill flag bit 1", WIRE_MSG_DRILL_START, 6, { 0, 0, 0, 0x75, 0x30, 2 } },
};

static void test_reject_malformed_payloads(void **state)
{
	struct wire_key keys[2] = { key_hmac(), key_none() };

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct pair p;

		pair_up(&p, &keys[i]);
		for (size_t j = 0; j < sizeof(bad_payloads) / sizeof(bad_payloads[0]); j++) {
			const struct bad_payload *b = &bad_payloads[j];
			struct frame f = forge(&p.d, b->type, b->b, b->len);

			expect_reject_what(&p.a, f.b, f.len, -EINVAL, b->what);
			p.d.seq_tx--;
		}
		/* the forger agrees with the encoder on a valid payload */
		struct frame f =
		    forge(&p.d, WIRE_MSG_MODULE_GONE, (const uint8_t[]){ 0, 0, 1, 0 }, 4);
		struct wire_msg m = decode(&p.a, &p.ca, &f);
		assert_int_equal(m.module_gone.pid, 256);
	}
}

/* The dialer's hello, built by hand; mutate() spoils one thing in it. */
static struct frame forge_dialer_hello(struct pair *p, void (*mutate)(uint8_t *pl, size_t *len))
{
	uint8_t pl[WIRE_PAYLOAD_MAX] = { 0 };
	size_t len = 16 + 46;

	memcpy(pl, p->d.nonce_d, 16);
	pl[16] = 'B';
	pl[17] = 1;    /* backup */
	pl[20] = 0xff; /* no QoS request */
	pl[len++] = 1;
	pl[len++] = 'b';
	pl[len++] = 1;
	pl[len++] = '1';
	mutate(pl, &len);
	return forge(&p->d, WIRE_MSG_HELLO, pl, len);
}

static void keep(uint8_t *pl, size_t *len)
{
	(void)pl;
	(void)len;
}
static void bad_role(uint8_t *pl, size_t *len)
{
	(void)len;
	pl[16] = 'C';
}
static void bad_echo(uint8_t *pl, size_t *len)
{
	(void)len;
	pl[3] ^= 1;
}
static void bad_dscp(uint8_t *pl, size_t *len)
{
	(void)len;
	pl[20] = 64;
}
static void bad_flags(uint8_t *pl, size_t *len)
{
	(void)len;
	pl[21] = 2;
}
static void bad_state(uint8_t *pl, size_t *len)
{
	(void)len;
	pl[17] = 9;
}
static void bad_channel(uint8_t *pl, size_t *len)
{
	(void)len;
	pl[18] = 2;
}
static void bad_sync(uint8_t *pl, size_t *len)
{
	(void)len;
	pl[19] = 3;
}
static void blank_name(uint8_t *pl, size_t *len)
{
	(void)len;
	pl[63] = ' ';
}
static void newline_version(uint8_t *pl, size_t *len)
{
	pl[*len - 1] = '\n';
}
static void empty_name(uint8_t *pl, size_t *len)
{
	(void)len;
	memcpy(pl + 62, (const uint8_t[]){ 0, 2, '1', '2' }, 4); /* "" then "12" */
}
static void name_past_end(uint8_t *pl, size_t *len)
{
	(void)len;
	pl[62] = 3;
}
static void trailing_byte(uint8_t *pl, size_t *len)
{
	pl[(*len)++] = 'x';
}
static void long_name(uint8_t *pl, size_t *len)
{
	pl[62] = WIRE_NODE_MAX + 1;
	memset(pl + 63, 'n', WIRE_NODE_MAX + 1);
	pl[63 + WIRE_NODE_MAX + 1] = 1;
	pl[64 + WIRE_NODE_MAX + 1] = '1';
	*len = 65 + WIRE_NODE_MAX + 1;
}

static void test_reject_malformed_hello(void **state)
{
	void (*const spoil[])(uint8_t *, size_t *) = { bad_role, bad_echo, bad_dscp, bad_flags,
		bad_state, bad_channel, bad_sync, blank_name, newline_version, empty_name,
		name_past_end, trailing_byte, long_name };
	static const char *const spoil_names[] = { "role", "echo", "dscp", "flags", "state",
		"channel", "sync", "blank in name", "newline in version", "empty name",
		"name past the end", "trailing byte", "name too long" };
	struct wire_key k = key_hmac();
	struct pair p, snap;
	struct frame f;

	(void)state;
	pair_init(&p, &k, nonce_d1, nonce_a1);
	xfer(&p.d, &p.a, &p.ca, &(struct wire_msg){ .type = WIRE_MSG_OPEN });
	xfer(&p.a, &p.d, &p.cd,
	    &(struct wire_msg){ .type = WIRE_MSG_HELLO, .hello = hello_of(true) });
	snap = p;
	for (size_t i = 0; i < sizeof(spoil) / sizeof(spoil[0]); i++) {
		p = snap;
		f = forge_dialer_hello(&p, spoil[i]);
		expect_reject_what(&p.a, f.b, f.len, -EINVAL, spoil_names[i]);
	}
	p = snap;
	f = forge_dialer_hello(&p, keep);
	assert_string_equal(decode(&p.a, &p.ca, &f).hello.node, "b");
	assert_true(wire_session_is_established(&p.a));
}

/* Only OPEN, then one HELLO each way, then the rest; anything else is unexpected. */
static void test_reject_unexpected(void **state)
{
	struct wire_key k = key_hmac();
	struct wire_msg open_msg = { .type = WIRE_MSG_OPEN };
	struct wire_msg ha = msg_hello(true);
	struct wire_msg hd = msg_hello(false);
	struct pair p, q;
	struct frame open, hello_a, hello_d, ping, x;

	(void)state;
	pair_init(&p, &k, nonce_d1, nonce_a1);
	/* nothing but the dialer's OPEN goes first */
	assert_int_equal(wire_encode(&p.d, &regular[0], x.b, sizeof(x.b), &x.len), -ENOTCONN);
	assert_int_equal(wire_encode(&p.d, &hd, x.b, sizeof(x.b), &x.len), -ENOTCONN);
	assert_int_equal(wire_encode(&p.a, &ha, x.b, sizeof(x.b), &x.len), -ENOTCONN);
	assert_int_equal(wire_encode(&p.a, &open_msg, x.b, sizeof(x.b), &x.len), -ENOTCONN);
	q = p;
	open = encode(&q.d, &open_msg);
	expect_reject(&p.d, open.b, open.len, -ENOTCONN); /* a dialer never receives OPEN */
	decode(&q.a, &q.ca, &open);
	hello_a = encode(&q.a, &ha);
	decode(&q.d, &q.cd, &hello_a);
	hello_d = encode(&q.d, &hd);
	decode(&q.a, &q.ca, &hello_d);
	ping = encode(&q.d, &regular[0]);
	/* q's frames at p's fresh acceptor, out of turn */
	expect_reject(&p.a, ping.b, ping.len, -ENOTCONN);
	expect_reject(&p.a, hello_d.b, hello_d.len, -ENOTCONN);
	/* q established: no second handshake */
	expect_reject(&q.a, open.b, open.len, -ENOTCONN);
	expect_reject(&q.a, hello_d.b, hello_d.len, -ENOTCONN);
	expect_reject(&q.d, hello_a.b, hello_a.len, -ENOTCONN);
	assert_int_equal(wire_encode(&q.d, &hd, x.b, sizeof(x.b), &x.len), -ENOTCONN);
	decode(&q.a, &q.ca, &ping);
}

/* The encoder refuses what the decoder would refuse, and a short buffer; the session stays. */
static void test_encode_refusals(void **state)
{
	struct wire_key k = key_hmac();
	struct pair p;
	struct wire_session before;
	struct wire_msg bad[12];
	uint8_t buf[WIRE_FRAME_MAX];
	size_t len = 99, n = 0;

	(void)state;
	pair_up(&p, &k);
	for (int i = 0; i < 12; i++)
		bad[i] = (struct wire_msg){ .type = WIRE_MSG_STATE_ANNOUNCE };
	bad[n++].state_announce.state = ST_UNKNOWN;
	bad[n++] = (struct wire_msg){ .type = WIRE_MSG_SWITCH_NOTICE, .switch_notice = { 2, 0 } };
	bad[n++] = (struct wire_msg){ .type = WIRE_MSG_SWITCH_NOTICE,
		.switch_notice = { 0, REASON_COUNT } };
	bad[n++] = (struct wire_msg){ .type = WIRE_MSG_MODULE_GONE, .module_gone = { 0 } };
	bad[n++] = (struct wire_msg){ .type = WIRE_MSG_MODULE_PONG, .module_pong = { 1, -1, 0 } };
	bad[n++] = (struct wire_msg){ .type = WIRE_MSG_DRILL_START, .drill_start = { 0, 999, 0 } };
	bad[n++] = (struct wire_msg){ .type = WIRE_MSG_DRILL_START, .drill_start = { 5, 1000, 0 } };
	bad[n++] = (struct wire_msg){ .type = 0 };
	bad[n++] = (struct wire_msg){ .type = WIRE_MSG_COUNT };
	before = p.d;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(wire_encode(&p.d, &bad[i], buf, sizeof(buf), &len), -EINVAL);
	for (size_t size = 0; size < WIRE_HEADER_LEN + 4 + WIRE_MAC_LEN; size++)
		assert_int_equal(wire_encode(&p.d, &regular[0], buf, size, &len), -ENOBUFS);
	assert_int_equal(len, 99);
	assert_memory_equal(&before, &p.d, sizeof(before));
	p.d.seq_tx = UINT64_MAX;
	assert_int_equal(wire_encode(&p.d, &regular[0], buf, sizeof(buf), &len), -EOVERFLOW);
}

static void test_encode_bad_hello(void **state)
{
	struct wire_key k = key_hmac();
	struct pair p;
	struct wire_msg h[6];
	uint8_t buf[WIRE_FRAME_MAX];
	size_t len;

	(void)state;
	pair_init(&p, &k, nonce_d1, nonce_a1);
	xfer(&p.d, &p.a, &p.ca, &(struct wire_msg){ .type = WIRE_MSG_OPEN });
	for (int i = 0; i < 6; i++)
		h[i] = msg_hello(true);
	h[0].hello.node[0] = '\0';
	memset(h[1].hello.node, 'n', sizeof(h[1].hello.node)); /* no NUL */
	h[2].hello.software[1] = ' ';
	h[3].hello.dscp = 64;
	h[4].hello.state = ST_UNKNOWN;
	h[5].hello.channel = CONN_COUNT;
	for (int i = 0; i < 6; i++)
		assert_int_equal(wire_encode(&p.a, &h[i], buf, sizeof(buf), &len), -EINVAL);
	xfer(&p.a, &p.d, &p.cd,
	    &(struct wire_msg){ .type = WIRE_MSG_HELLO, .hello = hello_of(true) });
}

static void test_session_init(void **state)
{
	struct wire_key k = key_hmac();
	struct wire_session s = { .seq_tx = 77 };
	uint8_t zero[WIRE_NONCE_LEN] = { 0 };

	(void)state;
	assert_int_equal(wire_session_init_dialer(&k, zero, &s), -EINVAL);
	assert_int_equal(wire_session_init_acceptor(&k, NULL, &s), -EINVAL);
	assert_int_equal(wire_session_init_acceptor(NULL, nonce_a1, &s), -EINVAL);
	assert_int_equal(s.seq_tx, 77);
	assert_int_equal(wire_session_init_dialer(&k, nonce_d1, &s), 0);
	assert_false(wire_session_is_established(&s));
	wire_session_wipe(&s);
	for (size_t i = 0; i < WIRE_KEY_LEN; i++)
		assert_int_equal(s.key.key[i] | s.key_tx[i] | s.key_rx[i], 0);
}

static void test_names(void **state)
{
	(void)state;
	assert_null(wire_msg_type_name(0));
	assert_null(wire_msg_type_name(WIRE_MSG_COUNT));
	for (int t = WIRE_MSG_OPEN; t < WIRE_MSG_COUNT; t++)
		assert_non_null(wire_msg_type_name(t));
	assert_string_equal(wire_msg_type_name(WIRE_MSG_MODULE_GONE), "module-gone");
	for (int r = 0; r < WIRE_REJECT_COUNT; r++) {
		assert_non_null(wire_reject_name(r));
		for (int q = 0; q < r; q++)
			assert_string_not_equal(wire_reject_name(q), wire_reject_name(r));
	}
	assert_int_equal(wire_reject_from_error(-EBADMSG), WIRE_REJECT_BAD_MAC);
	assert_int_equal(wire_reject_from_error(-EAGAIN), -1);
	assert_string_equal(wire_switch_name(WIRE_SWITCH_DISCONTINUE), "discontinue");
	for (int d = 0; d < WIRE_DRILL_COUNT; d++)
		assert_int_equal(wire_drill_from_name(wire_drill_name(d)), d);
	assert_int_equal(wire_drill_from_name("wan"), -1);
	assert_null(wire_drill_name(WIRE_DRILL_COUNT));
}

static int group_setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	for (int i = 0; i < WIRE_KEY_LEN; i++)
		golden_key[i] = (uint8_t)i;
	for (int i = 0; i < WIRE_NONCE_LEN; i++) {
		nonce_d1[i] = (uint8_t)(0xd0 + i);
		nonce_a1[i] = (uint8_t)(0xa0 + i);
		nonce_d2[i] = (uint8_t)(0x20 + i);
		nonce_a2[i] = (uint8_t)(0x40 + i);
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_hmac),
		cmocka_unit_test(test_round_trip_auth_none),
		cmocka_unit_test(test_round_trip_hello_variants),
		cmocka_unit_test(test_stream_two_frames),
		cmocka_unit_test(test_golden_frames),
		cmocka_unit_test(test_golden_auth_none),
		cmocka_unit_test(test_pair_id),
		cmocka_unit_test(test_reject_bit_flips),
		cmocka_unit_test(test_reject_wrong_pair),
		cmocka_unit_test(test_reject_auth_mismatch),
		cmocka_unit_test(test_reject_replay_same_session),
		cmocka_unit_test(test_reject_cross_session),
		cmocka_unit_test(test_reject_cross_session_same_tag),
		cmocka_unit_test(test_truncated_frames),
		cmocka_unit_test(test_reject_oversize_length),
		cmocka_unit_test(test_reject_magic_version_type),
		cmocka_unit_test(test_reject_payload_length_per_type),
		cmocka_unit_test(test_reject_malformed_payloads),
		cmocka_unit_test(test_reject_malformed_hello),
		cmocka_unit_test(test_reject_unexpected),
		cmocka_unit_test(test_encode_refusals),
		cmocka_unit_test(test_encode_bad_hello),
		cmocka_unit_test(test_session_init),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests_name("wire", tests, group_setup, NULL);
}
