/* ctl-print.c: vigilctl's human output, for an operator at 3 a.m.: aligned, in words, times local and humanised. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "ctl.h"

#define KEY_WIDTH 14
#define STATE_WIDTH 14
#define KIND_WIDTH 11

struct words {
	const char *name;
	const char *text;
};

/* SPEC "State machine", said plainly. */
static const struct words state_words[] = {
	{ "init", "starting: looking for the peer" },
	{ "backup", "standing by, watching the primary" },
	{ "reconnecting", "lost touch with the primary: deciding whether to take over" },
	{ "primary", "serving the module" },
	{ "upgrade-higher", "backup with newer software than the primary: manual switch only" },
	{ "upgrade-lower", "backup with older software than the primary: manual switch only" },
	{ "stale", "fenced after losing the primary role: 'vigilctl rejoin' brings it back" },
	{ "stopping", "shutting down" },
	{ "error", "stopped by an error: see the log" },
	{ "unknown", "not known" },
};

/* Switch reasons and verdicts (SPEC tables), said plainly. */
static const struct words reason_words[] = {
	{ "module-down", "the module on the primary stopped answering" },
	{ "notifier-down", "vigild on the primary was gone while its host still answered" },
	{ "primary-unreachable", "the primary host stopped answering" },
	{ "network-down", "this node is cut off: holding, never switching" },
	{ "manual", "vigilctl switch" },
	{ "handover", "graceful handover" },
	{ "island-convergence", "two primaries met: the higher generation kept the role" },
	{ "failsafe-start", "started while the peer was unreachable" },
	{ "drill", "a live failure drill" },
};

static const char *lookup(const struct words *w, size_t n, const char *name)
{
	for (size_t i = 0; name != NULL && i < n; i++) {
		if (strcmp(w[i].name, name) == 0)
			return w[i].text;
	}
	return NULL;
}

const char *ctl_state_words(const char *state)
{
	const char *t = lookup(state_words, sizeof(state_words) / sizeof(state_words[0]), state);

	return t != NULL ? t : "";
}

const char *ctl_reason_words(const char *reason)
{
	const char *t =
	    lookup(reason_words, sizeof(reason_words) / sizeof(reason_words[0]), reason);

	return t != NULL ? t : "";
}

void ctl_format_duration(uint64_t ms, char *ret, size_t len)
{
	uint64_t s = ms / 1000;

	if (s < 60)
		snprintf(ret, len, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(ret, len, "%" PRIu64 "m %" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(ret, len, "%" PRIu64 "h %" PRIu64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(ret, len, "%" PRIu64 "d %" PRIu64 "h", s / 86400, s % 86400 / 3600);
}

/* "Z", "+02:00" or "-05:30" at p: the offset east of UTC in seconds. */
static int parse_offset(const char *p, long *ret_s)
{
	int hh, mm, used = 0;

	if (strcmp(p, "Z") == 0 || strcmp(p, "z") == 0) {
		*ret_s = 0;
		return 0;
	}
	if ((p[0] != '+' && p[0] != '-') || sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &used) != 2 ||
	    p[1 + used] != '\0' || used != 5 || hh > 23 || mm > 59)
		return -EINVAL;
	*ret_s = (p[0] == '-' ? -1 : 1) * (hh * 3600L + mm * 60L);
	return 0;
}

int ctl_parse_time(const char *text, int64_t *ret_ms)
{
	struct tm tm = { .tm_isdst = 0 };
	const char *p = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	long ms = 0, off;
	int digits = 0;
	time_t t;

	if (p == NULL)
		return -EINVAL;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			if (digits < 3)
				ms = ms * 10 + (*p - '0');
		}
		if (digits == 0)
			return -EINVAL;
		for (; digits < 3; digits++)
			ms *= 10;
	}
	if (parse_offset(p, &off) < 0)
		return -EINVAL;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*ret_ms = ((int64_t)t - off) * 1000 + ms;
	return 0;
}

void ctl_format_local(int64_t ms, bool with_ms, char *ret, size_t len)
{
	int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	time_t t = (time_t)secs;
	struct tm tm;
	size_t n;

	if (localtime_r(&t, &tm) == NULL ||
	    (n = strftime(ret, len, "%Y-%m-%d %H:%M:%S", &tm)) == 0) {
		snprintf(ret, len, "?");
		return;
	}
	if (with_ms)
		snprintf(ret + n, len - n, ".%03d", (int)(ms - secs * 1000));
}

/* ---- reading the answer's members (absent or mistyped: NULL / fallback) ---- */

static struct json_object *member(struct json_object *o, const char *path)
{
	char key[64];
	const char *dot;

	while (o != NULL && (dot = strchr(path, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path = dot + 1;
	}
	return o != NULL && json_object_object_get_ex(o, path, &o) ? o : NULL;
}

static const char *str(struct json_object *o, const char *path, const char *fallback)
{
	struct json_object *v = member(o, path);

	return v != NULL && json_object_is_type(v, json_type_string) ? json_object_get_string(v)
	                                                             : fallback;
}

static int64_t num(struct json_object *o, const char *path, int64_t fallback)
{
	struct json_object *v = member(o, path);

	return v != NULL && json_object_is_type(v, json_type_int) ? json_object_get_int64(v)
	                                                          : fallback;
}

static bool flag(struct json_object *o, const char *path)
{
	struct json_object *v = member(o, path);

	return v != NULL && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

/* " 2m 13s ago (2024-05-01 14:02:11)" for an RFC 3339 time, "" if there is none. */
static void format_ago(const char *rfc3339, int64_t now_ms, char *ret, size_t len)
{
	char dur[32], local[32];
	int64_t t;

	ret[0] = '\0';
	if (rfc3339 == NULL || ctl_parse_time(rfc3339, &t) < 0)
		return;
	ctl_format_duration(now_ms > t ? (uint64_t)(now_ms - t) : 0, dur, sizeof(dur));
	ctl_format_local(t, false, local, sizeof(local));
	snprintf(ret, len, "%s ago (%s)", dur, local);
}

static void kv(FILE *f, const char *key, const char *value)
{
	fprintf(f, "%-*s%s\n", KEY_WIDTH, key, value);
}

static void print_node(FILE *f, struct json_object *st)
{
	const char *state = str(st, "state", "?");
	char line[256], up[32];

	ctl_format_duration((uint64_t)num(st, "uptime_s", 0) * 1000, up, sizeof(up));
	snprintf(line, sizeof(line), "%s (role %s)%s%s%s%s", str(st, "node", "?"),
	    str(st, "role", "?"), member(st, "version") ? ", vigild " : "", str(st, "version", ""),
	    member(st, "uptime_s") ? ", up " : "", member(st, "uptime_s") ? up : "");
	kv(f, "node", line);
	snprintf(line, sizeof(line), "%s: %s", state, ctl_state_words(state));
	kv(f, "state", line);
	snprintf(line, sizeof(line), "%s%s", str(st, "mode", "?"),
	    strcmp(str(st, "mode", ""), "manual") == 0 ? " (never switches by itself)" : "");
	kv(f, "mode", line);
	snprintf(line, sizeof(line), "%" PRId64, num(st, "generation", 0));
	kv(f, "generation", line);
}

static void print_links(FILE *f, struct json_object *st)
{
	char line[256];
	struct json_object *pid = member(st, "module.pid");
	int64_t restarts = num(st, "module.restarts", 0);

	snprintf(line, sizeof(line), "%s%s%s", str(st, "peer.name", ""),
	    member(st, "peer.name") ? ": " : "", str(st, "peer.state", "unknown"));
	kv(f, "peer", line);
	snprintf(line, sizeof(line), "main %s, aux %s", str(st, "connections.main", "?"),
	    str(st, "connections.aux", "?"));
	kv(f, "connections", line);
	kv(f, "network", str(st, "network.status", "unknown"));
	kv(f, "primary host", str(st, "primary_host", "unknown"));
	if (pid != NULL && json_object_is_type(pid, json_type_int))
		snprintf(line, sizeof(line), "pid %" PRId64 ", %s, %" PRId64 " restart%s",
		    json_object_get_int64(pid),
		    flag(st, "module.responding") ? "responding" : "not responding", restarts,
		    restarts == 1 ? "" : "s");
	else
		snprintf(line, sizeof(line), "no pid known, %s, %" PRId64 " restart%s",
		    flag(st, "module.responding") ? "responding" : "not responding", restarts,
		    restarts == 1 ? "" : "s");
	kv(f, "module", line);
}

/* "module-down: the module on the primary stopped answering, 2m 13s ago (...)" or "none". */
static void print_event(FILE *f, const char *key, struct json_object *st, const char *obj,
    const char *name_key, int64_t now_ms)
{
	char path[64], line[384], ago[96];
	const char *name, *words;

	snprintf(path, sizeof(path), "%s.%s", obj, name_key);
	name = str(st, path, NULL);
	if (name == NULL) {
		kv(f, key, "none");
		return;
	}
	snprintf(path, sizeof(path), "%s.time", obj);
	format_ago(str(st, path, NULL), now_ms, ago, sizeof(ago));
	words = ctl_reason_words(name);
	snprintf(line, sizeof(line), "%s%s%s%s%s", name, words[0] ? ": " : "", words,
	    ago[0] ? ", " : "", ago);
	kv(f, key, line);
}

void ctl_print_status(FILE *f, struct json_object *st, int64_t now_ms)
{
	const char *verdict = str(st, "verdict", "none");
	char line[256];

	print_node(f, st);
	print_links(f, st);
	snprintf(line, sizeof(line), "%s%s%s", verdict, strcmp(verdict, "none") ? ": " : "",
	    strcmp(verdict, "none") ? ctl_reason_words(verdict) : "");
	kv(f, "verdict", line);
	if (str(st, "withheld", NULL) != NULL)
		kv(f, "withheld", str(st, "withheld", ""));
	if (member(st, "ready") != NULL && !flag(st, "ready"))
		kv(f, "ready", "no: an automatic switch would wait");
	if (flag(st, "drill"))
		kv(f, "drill", "running: verdicts are recorded, no switch");
	print_event(f, "last verdict", st, "last_verdict", "kind", now_ms);
	kv(f, "sync", str(st, "sync", "unknown"));
	kv(f, "config drift",
	    flag(st, "config_drift") ? "YES: the peers' configurations differ" : "no");
	print_event(f, "last switch", st, "last_switch", "reason", now_ms);
}

/* Journal text may carry a hook's output: no control bytes reach the terminal. */
void ctl_printable(const char *in, char *ret, size_t size)
{
	size_t i = 0;

	for (; in[i] != '\0' && i + 1 < size; i++)
		ret[i] = (unsigned char)in[i] < 0x20 || in[i] == 0x7f ? '?' : in[i];
	ret[i] = '\0';
}

/* "2024-05-01 14:02:11.120  backup        module      detail" */
void ctl_print_event(FILE *f, struct json_object *rec)
{
	char local[40], extra[160] = "", detail[512];
	int64_t t;

	ctl_printable(str(rec, "detail", ""), detail, sizeof(detail));
	if (ctl_parse_time(str(rec, "time", ""), &t) == 0)
		ctl_format_local(t, true, local, sizeof(local));
	else
		snprintf(local, sizeof(local), "%-23s", str(rec, "time", "?"));
	if (detail[0] == '\0')
		snprintf(extra, sizeof(extra), "%s%s%s%s%s", str(rec, "from", ""),
		    member(rec, "from") ? " -> " : "", str(rec, "verdict", ""),
		    member(rec, "verdict") && member(rec, "reason") ? " " : "",
		    str(rec, "reason", ""));
	fprintf(f, "%s  %-*s %-*s %s\n", local, STATE_WIDTH, str(rec, "state", "?"), KIND_WIDTH,
	    str(rec, "kind", "?"), detail[0] ? detail : extra);
}

static void why_headline(FILE *f, struct json_object *a, int64_t now_ms)
{
	const char *kind = str(a, "kind", "?");
	const char *name = str(a, "reason", str(a, "verdict", NULL));
	char ago[96];

	format_ago(str(a, "time", NULL), now_ms, ago, sizeof(ago));
	if (strcmp(kind, "switch") == 0)
		fprintf(f, "last switch: %s (%s), %s\n", name ? name : "?",
		    name && ctl_reason_words(name)[0] ? ctl_reason_words(name)
		                                      : "reason not recorded",
		    ago);
	else if (strcmp(kind, "hold") == 0)
		fprintf(f, "holding: %s, since %s\n", ctl_reason_words("network-down"), ago);
	else
		fprintf(f, "switch withheld: %s, %s\n", str(a, "detail", "?"), ago);
}

void ctl_print_why(FILE *f, struct json_object *why, int64_t now_ms)
{
	struct json_object *a = member(why, "anchor");
	struct json_object *chain = member(why, "chain");
	int64_t omitted = num(why, "omitted", 0);
	size_t n = chain != NULL && json_object_is_type(chain, json_type_array)
	    ? json_object_array_length(chain)
	    : 0;

	if (a == NULL || !json_object_is_type(a, json_type_object)) {
		fprintf(f, "nothing to explain: no switch or hold in the journal\n");
		return;
	}
	why_headline(f, a, now_ms);
	fprintf(f, "how it came about:\n");
	if (omitted > 0)
		fprintf(f,
		    "  (%" PRId64 " earlier record%s left out: vigilctl events shows them)\n",
		    omitted, omitted == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "  ");
		ctl_print_event(f, json_object_array_get_idx(chain, i));
	}
}
