/* model.c: vigild's status and dump JSON as VIGIL-MIB values, one descriptor table per group (pure: no I/O, no net-snmp). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "decide.h"
#include "export.h"

/* How a JSON member becomes a value; the enumerations name the MIB's numbers. */
enum kind {
	K_TEXT,
	K_ROLE,
	K_MODE,
	K_LINK,
	K_STATE,
	K_VERDICT,
	K_REASON,
	K_NETSTATUS,
	K_REACH,
	K_SYNC,
	K_PROBE_KIND,
	K_TRUTH,
	K_PID,
	K_UNSIGNED,
	K_GAUGE,
	K_COUNTER,
	K_COUNT,
};

struct field {
	unsigned col;
	const char *path; /* dotted; counters: terms joined by '+', "x.*" = every member of x */
	enum kind kind;
	bool nullable; /* JSON null (here or in a parent) stands for none(0), 0 or "" */
};

/* SPEC "Command line", status --json, field by field (VIGIL-MIB vigilStatus). */
static const struct field status_fields[] = {
	{ EXPORT_ST_NODE, "node", K_TEXT, false },
	{ EXPORT_ST_ROLE, "role", K_ROLE, false },
	{ EXPORT_ST_STATE, "state", K_STATE, false },
	{ EXPORT_ST_MODE, "mode", K_MODE, false },
	{ EXPORT_ST_GENERATION, "generation", K_UNSIGNED, false },
	{ EXPORT_ST_PEER_STATE, "peer.state", K_STATE, false },
	{ EXPORT_ST_PEER_NAME, "peer.name", K_TEXT, false },
	{ EXPORT_ST_PEER_VERSION, "peer.version", K_TEXT, false },
	{ EXPORT_ST_CONN_MAIN, "connections.main", K_LINK, false },
	{ EXPORT_ST_CONN_AUX, "connections.aux", K_LINK, false },
	{ EXPORT_ST_NETWORK, "network.status", K_NETSTATUS, false },
	{ EXPORT_ST_PRIMARY_HOST, "primary_host", K_REACH, false },
	{ EXPORT_ST_MODULE_PID, "module.pid", K_PID, true },
	{ EXPORT_ST_MODULE_RESPONDING, "module.responding", K_TRUTH, false },
	{ EXPORT_ST_MODULE_RESTARTS, "module.restarts", K_GAUGE, false },
	{ EXPORT_ST_VERDICT, "verdict", K_VERDICT, false },
	{ EXPORT_ST_LAST_VERDICT, "last_verdict.kind", K_VERDICT, true },
	{ EXPORT_ST_LAST_VERDICT_TIME, "last_verdict.time", K_TEXT, true },
	{ EXPORT_ST_SYNC, "sync", K_SYNC, false },
	{ EXPORT_ST_CONFIG_DRIFT, "config_drift", K_TRUTH, false },
	{ EXPORT_ST_LAST_SWITCH_REASON, "last_switch.reason", K_REASON, true },
	{ EXPORT_ST_LAST_SWITCH_TIME, "last_switch.time", K_TEXT, true },
	{ EXPORT_ST_VERSION, "version", K_TEXT, false },
	{ EXPORT_ST_UPTIME, "uptime_s", K_UNSIGNED, false },
	{ EXPORT_ST_READY, "ready", K_TRUTH, false },
	{ EXPORT_ST_DRILL, "drill", K_TRUTH, false },
	{ EXPORT_ST_WITHHELD, "withheld", K_TEXT, true },
};

/* `vigilctl dump`'s "core", "peer" and "control" parts (VIGIL-MIB vigilCounters). */
static const struct field counter_fields[] = {
	{ EXPORT_CT_NOTIFIER_PINGS, "core.notifier_pings", K_COUNTER, false },
	{ EXPORT_CT_MODULE_PINGS, "core.module_pings", K_COUNTER, false },
	{ EXPORT_CT_DIAGNOSES, "core.diagnoses", K_COUNTER, false },
	{ EXPORT_CT_FRAMES_ACCEPTED, "peer.frames_accepted", K_COUNTER, false },
	{ EXPORT_CT_FRAMES_REJECTED, "peer.frames_rejected", K_COUNTER, false },
	/* the wire's authentication rejects (include/wire.h WIRE_REJECT_BAD_MAC, _WRONG_PAIR, _AUTH_MISMATCH) */
	{ EXPORT_CT_FRAMES_UNAUTH, "peer.bad-mac+peer.wrong-pair+peer.auth-mismatch", K_COUNTER,
	    false },
	{ EXPORT_CT_DIAL_FAILURES, "peer.dial_failures", K_COUNTER, false },
	{ EXPORT_CT_TIMEOUTS, "peer.timeouts", K_COUNTER, false },
	{ EXPORT_CT_HOOKS_FAILED, "core.hooks_failed", K_COUNTER, false },
	{ EXPORT_CT_PROBE_ERRORS, "core.probe_errors", K_COUNTER, false },
	{ EXPORT_CT_CONTROL_REJECTED, "control.rejected.*", K_COUNTER, false },
	{ EXPORT_CT_JOURNAL_ERRORS, "core.journal_errors", K_COUNTER, false },
};

/* ---- enumerations: decide's name tables (STYLE 13), and the MIB's own small ones ---- */

static const char *state_name(int32_t v)
{
	return decide_state_name((enum vg_state)v);
}
static const char *verdict_name(int32_t v)
{
	return decide_verdict_name((enum vg_verdict)v);
}
static const char *reason_name(int32_t v)
{
	return decide_reason_name((enum vg_reason)v);
}
static const char *netstatus_name(int32_t v)
{
	return decide_netstatus_name((enum vg_netstatus)v);
}
static const char *reach_name(int32_t v)
{
	return decide_reach_name((enum vg_reach)v);
}
static const char *sync_name(int32_t v)
{
	return decide_sync_name((enum vg_sync)v);
}

/* vigilRole a(1) b(2), vigilMode auto(1) manual(2), VigilLinkStatus up(1) down(2). */
static const char *const role_names[] = { NULL, "A", "B" };
static const char *const mode_names[] = { NULL, "auto", "manual" };
static const char *const link_names[] = { NULL, "up", "down" };
/* vigilProbeKind gateway(1) nettest(2) primary(3): probe/icmp.c's icmp_kind_name strings. */
static const char *const probe_kind_names[] = { NULL, "gateway", "nettest", "primary" };

struct names {
	const char *(*fn)(int32_t v); /* decide's tables, or */
	const char *const *table;     /* a local one */
	int32_t first, end;           /* the values tried */
};

static const struct names enum_names[K_COUNT] = {
	[K_ROLE] = { NULL, role_names, 1, 3 },
	[K_MODE] = { NULL, mode_names, 1, 3 },
	[K_LINK] = { NULL, link_names, 1, 3 },
	[K_PROBE_KIND] = { NULL, probe_kind_names, 1, 4 },
	[K_STATE] = { state_name, NULL, 0, ST_COUNT + 1 }, /* "unknown" is ST_COUNT */
	[K_VERDICT] = { verdict_name, NULL, 0, VERDICT_COUNT },
	[K_REASON] = { reason_name, NULL, 0, REASON_COUNT },
	[K_NETSTATUS] = { netstatus_name, NULL, 0, NET_COUNT },
	[K_REACH] = { reach_name, NULL, 0, REACH_COUNT },
	[K_SYNC] = { sync_name, NULL, 0, SYNC_COUNT },
};

/* The value a name stands for in kind's enumeration: 0, or -ENOENT. */
static int enum_from_name(enum kind k, const char *name, int64_t *ret)
{
	const struct names *n = &enum_names[k];

	for (int32_t v = n->first; v < n->end; v++) {
		const char *s = n->fn != NULL ? n->fn(v) : n->table[v];

		if (s != NULL && strcmp(s, name) == 0) {
			*ret = v;
			return 0;
		}
	}
	return -ENOENT;
}

static enum export_type type_of(enum kind k)
{
	switch (k) {
	case K_TEXT:
		return EXPORT_T_TEXT;
	case K_UNSIGNED:
		return EXPORT_T_UNSIGNED;
	case K_GAUGE:
		return EXPORT_T_GAUGE;
	case K_COUNTER:
		return EXPORT_T_COUNTER;
	default:
		return EXPORT_T_INTEGER;
	}
}

/* ---- JSON ---- */

/* DisplayString is NVT ASCII (RFC 2579): other bytes become '?'; cut to fit size (>= 1). */
static void copy_display(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	for (; src[i] != '\0' && i + 1 < size; i++)
		dst[i] =
		    (unsigned char)src[i] < 0x20 || (unsigned char)src[i] >= 0x7f ? '?' : src[i];
	dst[i] = '\0';
}

/* The member at a dotted path: 1 and *ret (NULL for a JSON null here or in a parent), 0 when
 * a member is missing or a parent is not an object. */
static int lookup(struct json_object *root, const char *path, size_t len, struct json_object **ret)
{
	struct json_object *cur = root;
	char seg[64];

	while (len > 0) {
		size_t n = strcspn(path, ".");

		n = n < len ? n : len;
		if (cur == NULL)
			break; /* a null parent: the whole path is null */
		if (n >= sizeof(seg) || !json_object_is_type(cur, json_type_object))
			return 0;
		memcpy(seg, path, n);
		seg[n] = '\0';
		if (!json_object_object_get_ex(cur, seg, &cur))
			return 0;
		path += n < len ? n + 1 : n;
		len -= n < len ? n + 1 : n;
	}
	*ret = cur;
	return 1;
}

/* A JSON integer >= 0: 0 and *ret, or -EINVAL. */
static int get_count(struct json_object *v, uint64_t *ret)
{
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
		return -EINVAL;
	*ret = (uint64_t)json_object_get_int64(v);
	return 0;
}

static int64_t fit(enum kind k, uint64_t n)
{
	if (k == K_COUNTER)
		return (int64_t)(n & UINT32_MAX); /* Counter32 wraps (RFC 2578 7.1.6) */
	return (int64_t)(n > UINT32_MAX ? UINT32_MAX : n);
}

/* A non-null member as kind: 0 and *ret filled, or -EINVAL. */
static int decode(enum kind k, struct json_object *v, struct export_value *ret)
{
	uint64_t n;

	if (k == K_TEXT && json_object_is_type(v, json_type_string)) {
		copy_display(ret->text, sizeof(ret->text), json_object_get_string(v));
		return 0;
	}
	if (k == K_TRUTH && json_object_is_type(v, json_type_boolean)) {
		ret->num = json_object_get_boolean(v) ? EXPORT_TRUE : EXPORT_FALSE;
		return 0;
	}
	if (enum_names[k].end > 0)
		return json_object_is_type(v, json_type_string)
		    ? enum_from_name(k, json_object_get_string(v), &ret->num)
		    : -EINVAL;
	if (k == K_TEXT || k == K_TRUTH || get_count(v, &n) < 0)
		return -EINVAL;
	if (k == K_PID && n > INT32_MAX)
		return -EINVAL;
	ret->num = fit(k, n);
	return 0;
}

static void read_field(struct json_object *root, const struct field *f, struct export_value *ret)
{
	struct json_object *v;

	*ret = (struct export_value){ .type = type_of(f->kind) };
	if (!lookup(root, f->path, strlen(f->path), &v))
		return;
	if (v == NULL)
		ret->present = f->nullable; /* none(0), 0 and "" as initialized */
	else
		ret->present = decode(f->kind, v, ret) == 0;
}

int export_status_read(struct json_object *status, struct export_status *ret)
{
	*ret = (struct export_status){ .col = { { .present = false } } };
	if (!json_object_is_type(status, json_type_object))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(status_fields) / sizeof(status_fields[0]); i++)
		read_field(status, &status_fields[i], &ret->col[status_fields[i].col]);
	return 0;
}

/* ---- dump ---- */

/* Every integer member of an object, added to *sum: 1 if o is an object. */
static int sum_members(struct json_object *o, uint64_t *sum)
{
	uint64_t n;

	if (!json_object_is_type(o, json_type_object))
		return 0;
	json_object_object_foreach(o, key, v)
	{
		(void)key;
		if (get_count(v, &n) == 0)
			*sum += n;
	}
	return 1;
}

/* One term of a counter path ("a.b", or "a.*"): 1 and added to *sum when found. */
static int sum_term(struct json_object *root, const char *term, size_t len, uint64_t *sum)
{
	struct json_object *v;
	uint64_t n;

	if (len >= 2 && strncmp(term + len - 2, ".*", 2) == 0)
		return lookup(root, term, len - 2, &v) && sum_members(v, sum);
	if (!lookup(root, term, len, &v) || get_count(v, &n) < 0)
		return 0;
	*sum += n;
	return 1;
}

/* A counter: the sum of its terms, present when at least one was found. */
static void read_counter(struct json_object *root, const struct field *f, struct export_value *ret)
{
	const char *p = f->path;
	uint64_t sum = 0;
	bool found = false;

	while (*p != '\0') {
		size_t n = strcspn(p, "+");

		found = sum_term(root, p, n, &sum) || found;
		p += p[n] == '+' ? n + 1 : n;
	}
	*ret = (struct export_value){ .present = found, .type = EXPORT_T_COUNTER };
	ret->num = fit(K_COUNTER, sum);
}

static uint64_t member_count(struct json_object *o, const char *key)
{
	struct json_object *v;
	uint64_t n = 0;

	if (json_object_object_get_ex(o, key, &v) && get_count(v, &n) < 0)
		n = 0;
	return n;
}

/* One "probes" entry; the numbers vigild left out count as 0. */
static void read_probe(struct json_object *o, struct export_probe *ret)
{
	struct json_object *v;
	struct export_value kind = { .num = 0 };

	*ret = (struct export_probe){ .kind = 0 };
	if (json_object_object_get_ex(o, "kind", &v) && v != NULL &&
	    decode(K_PROBE_KIND, v, &kind) == 0)
		ret->kind = (int32_t)kind.num;
	if (json_object_object_get_ex(o, "address", &v) && json_object_is_type(v, json_type_string))
		copy_display(ret->address, sizeof(ret->address), json_object_get_string(v));
	ret->sent = member_count(o, "sent");
	ret->answered = member_count(o, "answered");
	ret->rtt_last_us = member_count(o, "rtt_last_us");
	ret->rtt_avg_us = member_count(o, "rtt_avg_us");
	ret->rtt_min_us = member_count(o, "rtt_min_us");
	ret->rtt_max_us = member_count(o, "rtt_max_us");
}

static void read_probes(struct json_object *dump, struct export_dump *ret)
{
	struct json_object *a;
	size_t n;

	if (!json_object_object_get_ex(dump, "probes", &a) ||
	    !json_object_is_type(a, json_type_array))
		return;
	n = json_object_array_length(a);
	for (size_t i = 0; i < n && ret->n_probes < EXPORT_PROBES_MAX; i++) {
		struct json_object *o = json_object_array_get_idx(a, i);

		if (json_object_is_type(o, json_type_object))
			read_probe(o, &ret->probes[ret->n_probes++]);
	}
}

int export_dump_read(struct json_object *dump, struct export_dump *ret)
{
	ret->n_probes = 0;
	for (size_t i = 0; i < EXPORT_CT_COUNT; i++)
		ret->counter[i] = (struct export_value){ .present = false };
	if (!json_object_is_type(dump, json_type_object))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(counter_fields) / sizeof(counter_fields[0]); i++)
		read_counter(dump, &counter_fields[i], &ret->counter[counter_fields[i].col]);
	read_probes(dump, ret);
	return 0;
}

static void set_num(struct export_value *v, enum kind k, uint64_t n)
{
	*v = (struct export_value){ .present = true, .type = type_of(k), .num = fit(k, n) };
}

int export_probe_value(const struct export_probe *p, unsigned col, struct export_value *ret)
{
	const uint64_t rtt[] = { p->rtt_last_us, p->rtt_avg_us, p->rtt_min_us, p->rtt_max_us };

	switch (col) {
	case EXPORT_PR_KIND:
		*ret = (struct export_value){ .present = true,
			.type = EXPORT_T_INTEGER,
			.num = p->kind };
		return 0;
	case EXPORT_PR_ADDRESS:
		*ret = (struct export_value){ .present = true, .type = EXPORT_T_TEXT };
		snprintf(ret->text, sizeof(ret->text), "%s", p->address);
		return 0;
	case EXPORT_PR_SENT:
		set_num(ret, K_COUNTER, p->sent);
		return 0;
	case EXPORT_PR_ANSWERED:
		set_num(ret, K_COUNTER, p->answered);
		return 0;
	case EXPORT_PR_LOST:
		set_num(ret, K_GAUGE, p->sent > p->answered ? p->sent - p->answered : 0);
		return 0;
	case EXPORT_PR_RTT_LAST:
	case EXPORT_PR_RTT_AVG:
	case EXPORT_PR_RTT_MIN:
	case EXPORT_PR_RTT_MAX:
		set_num(ret, K_GAUGE, rtt[col - EXPORT_PR_RTT_LAST]);
		return 0;
	default:
		return -ENOENT;
	}
}

/* ---- the root OID ---- */

int export_parse_oid(const char *text, uint32_t *ret, size_t max, size_t *ret_len)
{
	uint32_t sub[EXPORT_OID_MAX];
	size_t n = 0;
	const char *p = text[0] == '.' ? text + 1 : text;

	while (n < max && n < EXPORT_OID_MAX && *p >= '0' && *p <= '9') {
		uint64_t v = 0;

		for (; *p >= '0' && *p <= '9' && v <= UINT32_MAX; p++)
			v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX || (*p != '.' && *p != '\0') || (*p == '.' && p[1] == '\0'))
			return -EINVAL;
		sub[n++] = (uint32_t)v;
		p += *p == '.';
	}
	if (*p != '\0' || n < 2)
		return -EINVAL;
	memcpy(ret, sub, n * sizeof(sub[0]));
	*ret_len = n;
	return 0;
}
