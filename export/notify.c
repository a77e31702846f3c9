/* notify.c: which journal records and status changes make a VIGIL-MIB notification (pure: no I/O, no net-snmp). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "decide.h"
#include "export.h"

void export_cursor_init(struct export_cursor *c, uint64_t now_ms)
{
	*c = (struct export_cursor){ .last_ms = now_ms };
}

void export_cursor_resume(struct export_cursor *c)
{
	c->skip = c->at_last;
}

/*
 * Whether a record at ms is news, and take it into the cursor. Records stream oldest first, so
 * one older than the newest handled was seen (or came before the first subscription), and of
 * those at the newest millisecond the first `skip` of a resubscription's backlog were seen.
 */
static bool cursor_take(struct export_cursor *c, uint64_t ms)
{
	if (ms < c->last_ms)
		return false;
	if (ms > c->last_ms) {
		c->last_ms = ms;
		c->at_last = 1;
		c->skip = 0;
		return true;
	}
	if (c->skip > 0) {
		c->skip--;
		return false;
	}
	c->at_last++;
	return true;
}

static const char *get_str(struct json_object *rec, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(rec, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* A record's reason, through decide's table; none when absent or unknown. */
static int32_t reason_of(struct json_object *rec)
{
	const char *s = get_str(rec, "reason");

	for (int i = 0; s != NULL && i < REASON_COUNT; i++)
		if (strcmp(s, decide_reason_name((enum vg_reason)i)) == 0)
			return i;
	return REASON_NONE;
}

static int32_t verdict_of(struct json_object *rec)
{
	const char *s = get_str(rec, "verdict");
	int v = s != NULL ? decide_verdict_from_name(s) : -1;

	return v >= 0 ? v : VERDICT_NONE;
}

static int32_t state_of(struct json_object *rec)
{
	const char *s = get_str(rec, "state");
	int v = s != NULL ? decide_state_from_name(s) : -1;

	return v >= 0 ? v : ST_UNKNOWN;
}

/* NVT ASCII for the DisplayStrings a notification carries. */
static void copy_display(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	for (; src != NULL && src[i] != '\0' && i + 1 < size; i++)
		dst[i] =
		    (unsigned char)src[i] < 0x20 || (unsigned char)src[i] >= 0x7f ? '?' : src[i];
	dst[i] = '\0';
}

/* vigild's RFC 3339 ("2026-11-25T18:44:17.295Z", store_time_format): 0 and ms since the epoch, or
 * -EINVAL. */
static int parse_time(const char *s, int64_t *ret_ms)
{
	struct tm tm = { .tm_isdst = 0 };
	int ms, n = 0;

	if (s == NULL ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	        &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &n) != 7 ||
	    n == 0 || s[n] != '\0')
		return -EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*ret_ms = (int64_t)timegm(&tm) * 1000 + ms;
	return 0;
}

/* Written since the box last booted: its wall time minus its monotonic time is this boot's start,
 * give or take the slack (clock slew). A record without a readable time is taken as this boot's. */
static bool this_boot(struct json_object *rec, int64_t mono_ms, int64_t boot_ms)
{
	int64_t wall_ms, d;

	if (parse_time(get_str(rec, "time"), &wall_ms) < 0)
		return true;
	d = wall_ms - mono_ms - boot_ms;
	return d >= -EXPORT_BOOT_SLACK_MS && d <= EXPORT_BOOT_SLACK_MS;
}

int export_record_event(struct export_cursor *c, struct json_object *rec, int64_t boot_ms,
    struct export_event *ret)
{
	struct json_object *mono;
	const char *kind = get_str(rec, "kind");
	enum export_notification n;
	int64_t ms;

	if (kind == NULL || !json_object_object_get_ex(rec, "mono_ms", &mono) ||
	    !json_object_is_type(mono, json_type_int) || (ms = json_object_get_int64(mono)) < 0)
		return -EINVAL;
	if (!this_boot(rec, ms, boot_ms) || !cursor_take(c, (uint64_t)ms))
		return 0;
	n = strcmp(kind, "switch") == 0 ? EXPORT_NOTIFY_SWITCH
	    : strcmp(kind, "hold") == 0 ? EXPORT_NOTIFY_HOLD
	                                : EXPORT_NOTIFY_NONE;
	if (n == EXPORT_NOTIFY_NONE)
		return 0;
	*ret = (struct export_event){
		.kind = n,
		.reason = reason_of(rec),
		.verdict = verdict_of(rec),
		.state = state_of(rec),
	};
	copy_display(ret->time, sizeof(ret->time), get_str(rec, "time"));
	copy_display(ret->detail, sizeof(ret->detail), get_str(rec, "detail"));
	return 1;
}

void export_watch_init(struct export_watch *w)
{
	*w = (struct export_watch){ .synced = -1 };
}

unsigned export_watch_status(struct export_watch *w, const struct export_status *s)
{
	const struct export_value *drift = &s->col[EXPORT_ST_CONFIG_DRIFT];
	const struct export_value *sync = &s->col[EXPORT_ST_SYNC];
	unsigned bits = 0;

	if (drift->present) {
		bool now = drift->num == EXPORT_TRUE;

		if (w->seen && !w->drift && now)
			bits |= 1u << EXPORT_NOTIFY_CONFIG_DRIFT;
		w->seen = true;
		w->drift = now;
	}
	if (sync->present && (sync->num == SYNC_IN || sync->num == SYNC_NOT_IN)) {
		if (w->synced >= 0 && w->synced != sync->num)
			bits |= 1u << EXPORT_NOTIFY_SYNC_CHANGE;
		w->synced = (int32_t)sync->num;
	}
	return bits;
}
