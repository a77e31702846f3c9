/* wire-payload.c: the payload of each peer-link message kind, one encoder and one decoder per kind. */
#include <errno.h>
#include <string.h>

#include "wire-internal.h"
#include "wire.h"

/*
 * Wire codes of the decide.h enums, fixed here so that reordering an enum there cannot change
 * the protocol (doc/protocol.md "Codes"). A new value there must get a code here first.
 */
_Static_assert(ST_COUNT == 9, "a new state needs a wire code");
_Static_assert(REASON_COUNT == 9, "a new switch reason needs a wire code");
_Static_assert(SYNC_COUNT == 3, "a new sync status needs a wire code");
_Static_assert(CONN_COUNT == 2, "a new channel needs a wire code");

static const uint8_t state_codes[ST_COUNT] = {
	[ST_INIT] = 0,
	[ST_BACKUP] = 1,
	[ST_RECONNECTING] = 2,
	[ST_PRIMARY] = 3,
	[ST_UPGRADE_HIGHER] = 4,
	[ST_UPGRADE_LOWER] = 5,
	[ST_STALE] = 6,
	[ST_STOPPING] = 7,
	[ST_ERROR] = 8,
};

static const uint8_t reason_codes[REASON_COUNT] = {
	[REASON_NONE] = 0,
	[REASON_MODULE_DOWN] = 1,
	[REASON_NOTIFIER_DOWN] = 2,
	[REASON_PRIMARY_UNREACHABLE] = 3,
	[REASON_MANUAL] = 4,
	[REASON_HANDOVER] = 5,
	[REASON_ISLAND_CONVERGENCE] = 6,
	[REASON_FAILSAFE_START] = 7,
	[REASON_DRILL] = 8,
};

static const uint8_t sync_codes[SYNC_COUNT] = {
	[SYNC_UNKNOWN] = 0,
	[SYNC_IN] = 1,
	[SYNC_NOT_IN] = 2,
};

static const uint8_t conn_codes[CONN_COUNT] = {
	[CONN_MAIN] = 0,
	[CONN_AUX] = 1,
};

#define ROLE_A 'A'
#define ROLE_B 'B'
#define DSCP_NONE_CODE 0xff
#define DSCP_MAX 63
#define HELLO_MODULE_RESPONDING 0x01u
#define PONG_CHECK_REJECTED 0x01u
#define DRAIN_FORCE 0x01u
#define DRILL_LIVE 0x01u
#define HELLO_FIXED 46 /* role .. config digest; then two strings of 1 + 1..max bytes */

/* ---- enum <-> code ---- */

static void write_code(struct wire_writer *w, const uint8_t *codes, size_t n, int v, int *err)
{
	if (v < 0 || (size_t)v >= n) {
		*err = -EINVAL;
		return;
	}
	wire_write_u8(w, codes[v]);
}

/* The enum value whose code was read, or -1 (the reader is then marked bad). */
static int read_code(struct wire_reader *r, const uint8_t *codes, size_t n)
{
	uint8_t c = wire_read_u8(r);

	for (size_t i = 0; i < n && !r->bad; i++) {
		if (codes[i] == c)
			return (int)i;
	}
	r->bad = true;
	return -1;
}

/* A flags byte: only the known bits may be set. */
static bool read_flag(struct wire_reader *r, uint8_t known, uint8_t bit)
{
	uint8_t v = wire_read_u8(r);

	if (v & ~known)
		r->bad = true;
	return (v & bit) != 0;
}

/* ---- length-prefixed strings: 1..max printable, no blank (the config's word rule) ---- */

static bool is_word(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	}
	return n > 0;
}

static void write_string(struct wire_writer *w, const char *s, size_t max, int *err)
{
	size_t n = strnlen(s, max + 1);

	if (n > max || !is_word(s, n)) {
		*err = -EINVAL;
		return;
	}
	wire_write_u8(w, (uint8_t)n);
	wire_write_bytes(w, (const uint8_t *)s, n);
}

static void read_string(struct wire_reader *r, char *dst, size_t max)
{
	size_t n = wire_read_u8(r);

	if (n > max) {
		r->bad = true;
		return;
	}
	wire_read_bytes(r, (uint8_t *)dst, n);
	if (r->bad || !is_word(dst, n)) {
		r->bad = true;
		return;
	}
	dst[n] = '\0';
}

/* ---- hello ---- */

static int hello_encode(const struct wire_msg *m, struct wire_writer *w)
{
	const struct wire_hello *h = &m->hello;
	int err = 0;

	if (h->dscp != WIRE_DSCP_NONE && (h->dscp < 0 || h->dscp > DSCP_MAX))
		return -EINVAL;
	wire_write_u8(w, h->role_a ? ROLE_A : ROLE_B);
	write_code(w, state_codes, ST_COUNT, (int)h->state, &err);
	write_code(w, conn_codes, CONN_COUNT, (int)h->channel, &err);
	write_code(w, sync_codes, SYNC_COUNT, (int)h->sync, &err);
	wire_write_u8(w, h->dscp == WIRE_DSCP_NONE ? DSCP_NONE_CODE : (uint8_t)h->dscp);
	wire_write_u8(w, h->module_responding ? HELLO_MODULE_RESPONDING : 0);
	wire_write_u64(w, h->generation);
	wire_write_bytes(w, h->config_digest, WIRE_DIGEST_LEN);
	write_string(w, h->node, WIRE_NODE_MAX, &err);
	write_string(w, h->software, WIRE_SOFTWARE_MAX, &err);
	return err;
}

static int read_dscp(struct wire_reader *r)
{
	uint8_t v = wire_read_u8(r);

	if (v == DSCP_NONE_CODE)
		return WIRE_DSCP_NONE;
	if (v > DSCP_MAX)
		r->bad = true;
	return v;
}

static int hello_decode(struct wire_reader *r, struct wire_msg *ret)
{
	struct wire_hello *h = &ret->hello;
	uint8_t role = wire_read_u8(r);

	if (role != ROLE_A && role != ROLE_B)
		return -EINVAL;
	h->role_a = role == ROLE_A;
	h->state = read_code(r, state_codes, ST_COUNT);
	h->channel = read_code(r, conn_codes, CONN_COUNT);
	h->sync = read_code(r, sync_codes, SYNC_COUNT);
	h->dscp = read_dscp(r);
	h->module_responding = read_flag(r, HELLO_MODULE_RESPONDING, HELLO_MODULE_RESPONDING);
	h->generation = wire_read_u64(r);
	wire_read_bytes(r, h->config_digest, WIRE_DIGEST_LEN);
	read_string(r, h->node, WIRE_NODE_MAX);
	read_string(r, h->software, WIRE_SOFTWARE_MAX);
	return 0;
}

/* ---- pings, pongs and notices ---- */

static int seq_encode(const struct wire_msg *m, struct wire_writer *w)
{
	wire_write_u32(w, m->notifier_ping.seq); /* the three wire_seq members share one layout */
	return 0;
}

static int seq_decode(struct wire_reader *r, struct wire_msg *ret)
{
	ret->notifier_ping.seq = wire_read_u32(r);
	return 0;
}

static int module_pong_encode(const struct wire_msg *m, struct wire_writer *w)
{
	const struct wire_module_pong *p = &m->module_pong;

	if (p->pid < 0)
		return -EINVAL;
	wire_write_u32(w, p->seq);
	wire_write_u32(w, (uint32_t)p->pid);
	wire_write_u8(w, p->check_rejected ? PONG_CHECK_REJECTED : 0);
	return 0;
}

static int module_pong_decode(struct wire_reader *r, struct wire_msg *ret)
{
	struct wire_module_pong *p = &ret->module_pong;
	uint32_t pid;

	p->seq = wire_read_u32(r);
	pid = wire_read_u32(r);
	if (pid > INT32_MAX)
		return -EINVAL;
	p->pid = (int32_t)pid;
	p->check_rejected = read_flag(r, PONG_CHECK_REJECTED, PONG_CHECK_REJECTED);
	return 0;
}

static int state_encode(const struct wire_msg *m, struct wire_writer *w)
{
	int err = 0;

	write_code(w, state_codes, ST_COUNT, (int)m->state_announce.state, &err);
	wire_write_u64(w, m->state_announce.generation);
	return err;
}

static int state_decode(struct wire_reader *r, struct wire_msg *ret)
{
	ret->state_announce.state = read_code(r, state_codes, ST_COUNT);
	ret->state_announce.generation = wire_read_u64(r);
	return 0;
}

static int switch_encode(const struct wire_msg *m, struct wire_writer *w)
{
	const struct wire_switch_notice *n = &m->switch_notice;
	int err = 0;

	if ((unsigned)n->kind >= WIRE_SWITCH_COUNT)
		return -EINVAL;
	wire_write_u8(w, (uint8_t)n->kind);
	write_code(w, reason_codes, REASON_COUNT, (int)n->reason, &err);
	return err;
}

static int switch_decode(struct wire_reader *r, struct wire_msg *ret)
{
	uint8_t kind = wire_read_u8(r);

	if (kind >= WIRE_SWITCH_COUNT)
		return -EINVAL;
	ret->switch_notice.kind = kind;
	ret->switch_notice.reason = read_code(r, reason_codes, REASON_COUNT);
	return 0;
}

static int drain_encode(const struct wire_msg *m, struct wire_writer *w)
{
	wire_write_u8(w, m->drain_request.force ? DRAIN_FORCE : 0);
	return 0;
}

static int drain_decode(struct wire_reader *r, struct wire_msg *ret)
{
	ret->drain_request.force = read_flag(r, DRAIN_FORCE, DRAIN_FORCE);
	return 0;
}

/* A notice for "no process" would make the backup count a failure for nothing. */
static int gone_encode(const struct wire_msg *m, struct wire_writer *w)
{
	if (m->module_gone.pid <= 0)
		return -EINVAL;
	wire_write_u32(w, (uint32_t)m->module_gone.pid);
	return 0;
}

static int gone_decode(struct wire_reader *r, struct wire_msg *ret)
{
	uint32_t pid = wire_read_u32(r);

	if (pid == 0 || pid > INT32_MAX)
		return -EINVAL;
	ret->module_gone.pid = (int32_t)pid;
	return 0;
}

static bool drill_valid(enum wire_drill scenario, uint32_t duration_ms)
{
	return (unsigned)scenario < WIRE_DRILL_COUNT && duration_ms >= WIRE_DRILL_MIN_MS &&
	    duration_ms <= WIRE_DRILL_MAX_MS;
}

static int drill_encode(const struct wire_msg *m, struct wire_writer *w)
{
	const struct wire_drill_start *d = &m->drill_start;

	if (!drill_valid(d->scenario, d->duration_ms))
		return -EINVAL;
	wire_write_u8(w, (uint8_t)d->scenario);
	wire_write_u32(w, d->duration_ms);
	wire_write_u8(w, d->live ? DRILL_LIVE : 0);
	return 0;
}

static int drill_decode(struct wire_reader *r, struct wire_msg *ret)
{
	struct wire_drill_start *d = &ret->drill_start;

	d->scenario = wire_read_u8(r);
	d->duration_ms = wire_read_u32(r);
	d->live = read_flag(r, DRILL_LIVE, DRILL_LIVE);
	return drill_valid(d->scenario, d->duration_ms) ? 0 : -EINVAL;
}

static int empty_encode(const struct wire_msg *m, struct wire_writer *w)
{
	(void)m;
	(void)w;
	return 0;
}

static int empty_decode(struct wire_reader *r, struct wire_msg *ret)
{
	(void)r;
	(void)ret;
	return 0;
}

/* Body sizes here are the whole story of which payload lengths a type may have. */
static const struct wire_codec codecs[WIRE_MSG_COUNT] = {
	[WIRE_MSG_OPEN] = { true, 0, 0, empty_encode, empty_decode },
	[WIRE_MSG_HELLO] = { true, HELLO_FIXED + 4,
	    HELLO_FIXED + 2 + WIRE_NODE_MAX + WIRE_SOFTWARE_MAX, hello_encode, hello_decode },
	[WIRE_MSG_NOTIFIER_PING] = { false, 4, 4, seq_encode, seq_decode },
	[WIRE_MSG_NOTIFIER_PONG] = { false, 4, 4, seq_encode, seq_decode },
	[WIRE_MSG_MODULE_PING] = { false, 4, 4, seq_encode, seq_decode },
	[WIRE_MSG_MODULE_PONG] = { false, 9, 9, module_pong_encode, module_pong_decode },
	[WIRE_MSG_STATE_ANNOUNCE] = { false, 9, 9, state_encode, state_decode },
	[WIRE_MSG_SWITCH_NOTICE] = { false, 2, 2, switch_encode, switch_decode },
	[WIRE_MSG_DRAIN_REQUEST] = { false, 1, 1, drain_encode, drain_decode },
	[WIRE_MSG_DRAIN_DONE] = { false, 0, 0, empty_encode, empty_decode },
	[WIRE_MSG_MODULE_GONE] = { false, 4, 4, gone_encode, gone_decode },
	[WIRE_MSG_DRILL_START] = { false, 6, 6, drill_encode, drill_decode },
	[WIRE_MSG_DRILL_END] = { false, 0, 0, empty_encode, empty_decode },
};

const struct wire_codec *wire_codec_get(unsigned type)
{
	if (type >= WIRE_MSG_COUNT || !codecs[type].encode)
		return NULL;
	return &codecs[type];
}
