/* store-record.c: one journal record as one checksummed JSON line, and back, with every field checked. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "decide.h"
#include "store-internal.h"
#include "store.h"

#define JSON_DEPTH 4 /* a record nests one object (diag); anything deeper is not ours */
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

int store_time_format(int64_t wall_ms, char ret_time[STORE_TIME_MAX])
{
	int64_t secs = wall_ms / 1000, ms = wall_ms % 1000;
	time_t t;
	struct tm tm;

	if (ms < 0) { /* floor, for times before 1970 */
		ms += 1000;
		secs--;
	}
	t = (time_t)secs;
	if ((int64_t)t != secs || gmtime_r(&t, &tm) == NULL)
		return -ERANGE;
	if (tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return -ERANGE;
	snprintf(ret_time, STORE_TIME_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)ms);
	return 0;
}

static void name_copy(char dst[STORE_NAME_MAX], const char *src)
{
	snprintf(dst, STORE_NAME_MAX, "%s", src);
}

int store_record_from_decide(const struct vg_record *v, int64_t wall_ms, struct store_record *ret)
{
	struct store_record r = { .mono_ms = v->t_ms };
	int rc = store_time_format(wall_ms, r.time);

	if (rc < 0)
		return rc;
	name_copy(r.state, decide_state_name(v->state));
	name_copy(r.kind, decide_record_kind_name(v->kind));
	if (v->kind == REC_TRANSITION)
		name_copy(r.from, decide_state_name(v->from));
	if (v->verdict != VERDICT_NONE)
		name_copy(r.verdict, decide_verdict_name(v->verdict));
	if (v->reason != REASON_NONE)
		name_copy(r.reason, decide_reason_name(v->reason));
	r.has_diag = v->diag.valid;
	if (r.has_diag) {
		r.diag.main_up = v->diag.main_up;
		r.diag.aux_up = v->diag.aux_up;
		r.diag.carrier_lost_all = v->diag.carrier_lost_all;
		r.diag.module_down_confirmed = v->diag.module_down_confirmed;
		name_copy(r.diag.net, decide_netstatus_name(v->diag.net));
		name_copy(r.diag.primary, decide_reach_name(v->diag.primary));
	}
	snprintf(r.detail, sizeof(r.detail), "%.*s", (int)strnlen(v->text, sizeof(v->text)),
	    v->text);
	*ret = r;
	return 0;
}

static bool optional_name_valid(const char *name)
{
	return name[0] == '\0' || store_name_valid(name);
}

const char *store_record_invalid(const struct store_record *r)
{
	if (!store_time_valid(r->time))
		return "time";
	if (r->mono_ms > INT64_MAX)
		return "mono_ms";
	if (!store_name_valid(r->state))
		return "state";
	if (!store_name_valid(r->kind))
		return "kind";
	if (!optional_name_valid(r->from))
		return "from";
	if (!optional_name_valid(r->verdict))
		return "verdict";
	if (!optional_name_valid(r->reason))
		return "reason";
	if (r->has_diag && (!store_name_valid(r->diag.net) || !store_name_valid(r->diag.primary)))
		return "diag";
	if (strnlen(r->detail, sizeof(r->detail)) == sizeof(r->detail))
		return "detail";
	return NULL;
}

/* ---- writing ---- */

static int add(struct json_object *o, const char *key, struct json_object *v)
{
	if (v == NULL)
		return -ENOMEM;
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int add_name(struct json_object *o, const char *key, const char *name)
{
	return name[0] == '\0' ? 0 : add(o, key, json_object_new_string(name));
}

static int add_diag(struct json_object *o, const struct store_diag *d)
{
	struct json_object *j = json_object_new_object();
	int r;

	if (j == NULL)
		return -ENOMEM;
	r = add(j, "main_up", json_object_new_boolean(d->main_up));
	if (r == 0)
		r = add(j, "aux_up", json_object_new_boolean(d->aux_up));
	if (r == 0)
		r = add(j, "carrier_lost_all", json_object_new_boolean(d->carrier_lost_all));
	if (r == 0)
		r = add(j, "net", json_object_new_string(d->net));
	if (r == 0)
		r = add(j, "primary", json_object_new_string(d->primary));
	if (r == 0)
		r = add(j, "module_down_confirmed",
		    json_object_new_boolean(d->module_down_confirmed));
	if (r < 0) {
		json_object_put(j);
		return r;
	}
	return add(o, "diag", j);
}

/* Members in a fixed order, so that equal records give equal lines. */
static int record_to_json(const struct store_record *r, const char *detail, struct json_object *o)
{
	int rc = add(o, "time", json_object_new_string(r->time));

	if (rc == 0)
		rc = add(o, "mono_ms", json_object_new_int64((int64_t)r->mono_ms));
	if (rc == 0)
		rc = add(o, "state", json_object_new_string(r->state));
	if (rc == 0)
		rc = add(o, "kind", json_object_new_string(r->kind));
	if (rc == 0)
		rc = add_name(o, "from", r->from);
	if (rc == 0)
		rc = add_name(o, "verdict", r->verdict);
	if (rc == 0)
		rc = add_name(o, "reason", r->reason);
	if (rc == 0 && r->has_diag)
		rc = add_diag(o, &r->diag);
	if (rc == 0)
		rc = add(o, "detail", json_object_new_string(detail));
	return rc;
}

/* The line is the JSON body with ,"crc":"xxxxxxxx" spliced in before its closing brace: still
 * one JSON object for jq, and the checksum covers the exact bytes of everything else. */
static int line_frame(const char *body, size_t blen, char *ret_line, size_t *ret_len)
{
	size_t len = blen - 1 + STORE_CRC_SUFFIX_LEN + 1;

	if (blen < 2 || body[blen - 1] != '}' || len >= STORE_LINE_MAX)
		return -EMSGSIZE;
	memcpy(ret_line, body, blen - 1);
	snprintf(ret_line + blen - 1, STORE_LINE_MAX - (blen - 1),
	    STORE_CRC_PREFIX "%08" PRIx32 "\"}\n", store_crc32c(0, body, blen));
	*ret_len = len;
	return 0;
}

int store_record_format(const struct store_record *r, char ret_line[STORE_LINE_MAX],
    size_t *ret_len)
{
	char detail[STORE_DETAIL_MAX];
	struct json_object *o;
	const char *body;
	size_t blen;
	int rc;

	if (store_record_invalid(r) != NULL)
		return -EINVAL;
	store_utf8_sanitize(r->detail, detail, sizeof(detail));
	o = json_object_new_object();
	if (o == NULL)
		return -ENOMEM;
	rc = record_to_json(r, detail, o);
	body = rc == 0 ? json_object_to_json_string_length(o, JSON_FLAGS, &blen) : NULL;
	if (rc == 0 && body == NULL)
		rc = -ENOMEM;
	if (rc == 0)
		rc = line_frame(body, blen, ret_line, ret_len);
	json_object_put(o);
	return rc;
}

/* ---- reading ---- */

static bool hex_digit(char c, uint32_t *v)
{
	if (c >= '0' && c <= '9')
		*v = *v << 4 | (uint32_t)(c - '0');
	else if (c >= 'a' && c <= 'f')
		*v = *v << 4 | (uint32_t)(c - 'a' + 10);
	else
		return false;
	return true;
}

static bool line_crc_ok(const char *line, size_t len)
{
	size_t plen = strlen(STORE_CRC_PREFIX);
	const char *sfx;
	uint32_t want = 0, crc;

	if (len < STORE_CRC_SUFFIX_LEN + 2 || line[0] != '{')
		return false;
	sfx = line + len - STORE_CRC_SUFFIX_LEN;
	if (memcmp(sfx, STORE_CRC_PREFIX, plen) != 0 || memcmp(sfx + plen + 8, "\"}", 2) != 0)
		return false;
	for (size_t i = 0; i < 8; i++)
		if (!hex_digit(sfx[plen + i], &want))
			return false;
	crc = store_crc32c(0, line, len - STORE_CRC_SUFFIX_LEN);
	return store_crc32c(crc, "}", 1) == want;
}

static int json_parse(const char *line, size_t len, struct json_object **ret)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
	struct json_object *o;

	if (tok == NULL)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, line, (int)len);
	if (o != NULL &&
	    (json_tokener_get_error(tok) != json_tokener_success ||
	        json_tokener_get_parse_end(tok) != len ||
	        !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	if (o == NULL)
		return -EBADMSG;
	*ret = o;
	return 0;
}

/* A string member into dst; absent is fine unless required (dst stays ""). */
static int get_str(struct json_object *o, const char *key, bool required, char *dst, size_t size)
{
	struct json_object *v;
	const char *p;
	int n;

	if (!json_object_object_get_ex(o, key, &v))
		return required ? -EBADMSG : 0;
	if (!json_object_is_type(v, json_type_string))
		return -EBADMSG;
	p = json_object_get_string(v);
	n = json_object_get_string_len(v);
	if (p == NULL || n < 0 || (size_t)n >= size || memchr(p, '\0', (size_t)n) != NULL ||
	    !store_utf8_valid(p, (size_t)n))
		return -EBADMSG;
	memcpy(dst, p, (size_t)n);
	dst[n] = '\0';
	return 0;
}

static int get_bool(struct json_object *o, const char *key, bool *ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_boolean))
		return -EBADMSG;
	*ret = json_object_get_boolean(v);
	return 0;
}

static int get_diag(struct json_object *o, struct store_record *r)
{
	struct json_object *d;
	struct store_diag *g = &r->diag;
	int rc;

	if (!json_object_object_get_ex(o, "diag", &d))
		return 0;
	if (!json_object_is_type(d, json_type_object))
		return -EBADMSG;
	r->has_diag = true;
	rc = get_bool(d, "main_up", &g->main_up);
	if (rc == 0)
		rc = get_bool(d, "aux_up", &g->aux_up);
	if (rc == 0)
		rc = get_bool(d, "carrier_lost_all", &g->carrier_lost_all);
	if (rc == 0)
		rc = get_bool(d, "module_down_confirmed", &g->module_down_confirmed);
	if (rc == 0)
		rc = get_str(d, "net", true, g->net, sizeof(g->net));
	if (rc == 0)
		rc = get_str(d, "primary", true, g->primary, sizeof(g->primary));
	return rc;
}

static int get_mono(struct json_object *o, uint64_t *ret)
{
	struct json_object *v;
	int64_t ms;

	if (!json_object_object_get_ex(o, "mono_ms", &v) || !json_object_is_type(v, json_type_int))
		return -EBADMSG;
	ms = json_object_get_int64(v);
	if (ms < 0)
		return -EBADMSG;
	*ret = (uint64_t)ms;
	return 0;
}

/* Unknown members are ignored: a newer vigild may add some (the checksum vouches for them). */
static int record_from_json(struct json_object *o, struct store_record *r)
{
	int rc = get_str(o, "time", true, r->time, sizeof(r->time));

	if (rc == 0)
		rc = get_mono(o, &r->mono_ms);
	if (rc == 0)
		rc = get_str(o, "state", true, r->state, sizeof(r->state));
	if (rc == 0)
		rc = get_str(o, "kind", true, r->kind, sizeof(r->kind));
	if (rc == 0)
		rc = get_str(o, "from", false, r->from, sizeof(r->from));
	if (rc == 0)
		rc = get_str(o, "verdict", false, r->verdict, sizeof(r->verdict));
	if (rc == 0)
		rc = get_str(o, "reason", false, r->reason, sizeof(r->reason));
	if (rc == 0)
		rc = get_diag(o, r);
	if (rc == 0)
		rc = get_str(o, "detail", true, r->detail, sizeof(r->detail));
	if (rc == 0 && store_record_invalid(r) != NULL)
		rc = -EBADMSG;
	return rc;
}

int store_journal_parse_line(const char *line, size_t len, struct store_record *ret)
{
	struct store_record r = { .mono_ms = 0 };
	struct json_object *o;
	int rc;

	if (len >= STORE_LINE_MAX || !line_crc_ok(line, len))
		return -EBADMSG;
	rc = json_parse(line, len, &o);
	if (rc < 0)
		return rc;
	rc = record_from_json(o, &r);
	json_object_put(o);
	if (rc == 0)
		*ret = r;
	return rc;
}
