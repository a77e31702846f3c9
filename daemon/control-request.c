/* control-request.c: a control request through its guard ladder (STYLE 17), then to the command it names. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "control-internal.h"
#include "control.h"

#define JSON_DEPTH 4 /* a request is one flat object */
#define DUMP_EVENTS 50

struct rejection {
	enum control_reject kind;
	char why[CONTROL_MSG_MAX];
};

/* Request members after cmd, one bit each (doc/control.md "Requests"). */
enum {
	OPT_FORCE = 1u << 0,
	OPT_FOLLOW = 1u << 1,
	OPT_N = 1u << 2,
	OPT_SCENARIO = 1u << 3,
	OPT_FOR_MS = 1u << 4,
	OPT_LIVE = 1u << 5,
};

static const char *const opt_names[] = { "force", "follow", "n", "scenario", "for_ms", "live" };

#define N_OPTS (sizeof(opt_names) / sizeof(opt_names[0]))

struct cmd_spec {
	const char *name;
	bool act;
	unsigned takes; /* OPT_* bits */
	void (*run)(struct control_client *cl, const struct control_request *rq);
};

static void run_status(struct control_client *cl, const struct control_request *rq);
static void run_events(struct control_client *cl, const struct control_request *rq);
static void run_why(struct control_client *cl, const struct control_request *rq);
static void run_dump(struct control_client *cl, const struct control_request *rq);
static void run_act(struct control_client *cl, const struct control_request *rq);

/* SPEC "Command line" and "Robustness and security": who may run what. */
static const struct cmd_spec cmds[] = {
	{ "status", false, 0, run_status },
	{ "events", false, OPT_N | OPT_FOLLOW, run_events },
	{ "why", false, 0, run_why },
	{ "dump", false, 0, run_dump },
	{ "switch", true, OPT_FORCE, run_act },
	{ "handover", true, OPT_FORCE, run_act },
	{ "rejoin", true, 0, run_act },
	{ "reload", true, 0, run_act },
	{ "drill", true, OPT_SCENARIO | OPT_FOR_MS | OPT_LIVE, run_act },
};

#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static const struct cmd_spec *cmd_find(const char *name)
{
	for (size_t i = 0; i < N_CMDS; i++) {
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	}
	return NULL;
}

bool control_cmd_is_act(const char *cmd)
{
	const struct cmd_spec *s = cmd != NULL ? cmd_find(cmd) : NULL;

	return s != NULL && s->act;
}

/* A message as one printable line: a handler's, or a refusal quoting the client's bytes. */
static void one_line(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
	}
}

__attribute__((format(printf, 3, 4))) static int reject(struct rejection *rj,
    enum control_reject kind, const char *fmt, ...)
{
	va_list ap;

	rj->kind = kind;
	va_start(ap, fmt);
	vsnprintf(rj->why, sizeof(rj->why), fmt, ap);
	va_end(ap);
	one_line(rj->why); /* an unknown field or command is quoted: it may hold a newline */
	return -EINVAL;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Rungs 1-4: no NUL, strict JSON with valid UTF-8 and nothing after it, an object. */
static int parse_json(const char *line, size_t len, struct json_object **ret, struct rejection *rj)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error err;
	size_t end;

	while (len > 0 && is_blank(line[len - 1]))
		len--;
	if (len == 0)
		return reject(rj, CONTROL_REJECT_NOT_JSON, "request is empty");
	if (memchr(line, '\0', len) != NULL)
		return reject(rj, CONTROL_REJECT_NUL, "request contains a NUL byte");
	tok = json_tokener_new_ex(JSON_DEPTH);
	if (tok == NULL)
		return reject(rj, CONTROL_REJECT_NOT_JSON, "request not parsed: out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, line, (int)len);
	err = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (o == NULL || err != json_tokener_success) {
		json_object_put(o);
		return reject(rj, CONTROL_REJECT_NOT_JSON, "request is not JSON: %s",
		    err == json_tokener_continue ? "incomplete" : json_tokener_error_desc(err));
	}
	while (end < len && is_blank(line[end]))
		end++;
	if (end < len || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		if (end < len)
			return reject(rj, CONTROL_REJECT_NOT_JSON,
			    "request is not JSON: bytes after the value");
		return reject(rj, CONTROL_REJECT_NOT_OBJECT, "request must be a JSON object");
	}
	*ret = o;
	return 0;
}

static int parse_bool(const char *key, struct json_object *v, bool *ret, struct rejection *rj)
{
	if (!json_object_is_type(v, json_type_boolean))
		return reject(rj, CONTROL_REJECT_BAD_TYPE, "%s: must be true or false", key);
	*ret = json_object_get_boolean(v);
	return 0;
}

static int parse_int(const char *key, struct json_object *v, int64_t min, int64_t max,
    uint32_t *ret, struct rejection *rj)
{
	int64_t n;

	if (!json_object_is_type(v, json_type_int))
		return reject(rj, CONTROL_REJECT_BAD_TYPE, "%s: must be an integer", key);
	n = json_object_get_int64(v);
	if (n < min || n > max)
		return reject(rj, CONTROL_REJECT_BAD_VALUE, "%s: must be %lld-%lld", key,
		    (long long)min, (long long)max);
	*ret = (uint32_t)n;
	return 0;
}

static int parse_scenario(struct json_object *v, struct control_request *rq, struct rejection *rj)
{
	if (!json_object_is_type(v, json_type_string))
		return reject(rj, CONTROL_REJECT_BAD_TYPE, "scenario: must be a string");
	if ((size_t)json_object_get_string_len(v) >= sizeof(rq->scenario))
		return reject(rj, CONTROL_REJECT_BAD_VALUE, "scenario: too long");
	snprintf(rq->scenario, sizeof(rq->scenario), "%s", json_object_get_string(v));
	if (strlen(rq->scenario) != (size_t)json_object_get_string_len(v))
		return reject(rj, CONTROL_REJECT_BAD_VALUE, "scenario: contains a NUL");
	return 0;
}

/* Rung 6 for one member other than cmd: opt is its OPT_* bit. */
static int parse_option(unsigned opt, struct json_object *v, struct control_request *rq,
    struct rejection *rj)
{
	switch (opt) {
	case OPT_FORCE:
		return parse_bool("force", v, &rq->force, rj);
	case OPT_FOLLOW:
		return parse_bool("follow", v, &rq->follow, rj);
	case OPT_N:
		return parse_int("n", v, 1, CONTROL_EVENTS_MAX, &rq->n, rj);
	case OPT_SCENARIO:
		return parse_scenario(v, rq, rj);
	case OPT_FOR_MS:
		return parse_int("for_ms", v, CONTROL_DRILL_MIN_MS, CONTROL_DRILL_MAX_MS,
		    &rq->for_ms, rj);
	default:
		return parse_bool("live", v, &rq->live, rj);
	}
}

static int parse_cmd(struct json_object *v, struct control_request *rq, struct rejection *rj)
{
	if (!json_object_is_type(v, json_type_string))
		return reject(rj, CONTROL_REJECT_BAD_CMD, "cmd: must be a string");
	snprintf(rq->cmd, sizeof(rq->cmd), "%s", json_object_get_string(v));
	if ((size_t)json_object_get_string_len(v) != strlen(rq->cmd))
		return reject(rj, CONTROL_REJECT_BAD_CMD, "unknown command '%s...'", rq->cmd);
	return 0;
}

/* Rungs 5-6: known members, each of its type; *ret_has_cmd, and the options in *ret_seen. */
static int parse_members(struct json_object *o, struct control_request *rq, bool *ret_has_cmd,
    unsigned *ret_seen, struct rejection *rj)
{
	unsigned seen = 0;
	bool has_cmd = false;

	json_object_object_foreach(o, key, v)
	{
		size_t i = 0;

		if (strcmp(key, "cmd") == 0) {
			has_cmd = true;
			if (parse_cmd(v, rq, rj) < 0)
				return -EINVAL;
			continue;
		}
		while (i < N_OPTS && strcmp(key, opt_names[i]) != 0)
			i++;
		if (i == N_OPTS)
			return reject(rj, CONTROL_REJECT_UNKNOWN_KEY, "unknown field '%.40s'", key);
		seen |= 1u << i;
		if (parse_option(1u << i, v, rq, rj) < 0)
			return -EINVAL;
	}
	*ret_has_cmd = has_cmd;
	*ret_seen = seen;
	return 0;
}

/* Rungs 7-8: the command exists and takes the options given. */
static int check_cmd(const struct control_request *rq, bool has_cmd, unsigned seen,
    const struct cmd_spec **ret, struct rejection *rj)
{
	const struct cmd_spec *s;
	unsigned extra;

	if (!has_cmd)
		return reject(rj, CONTROL_REJECT_BAD_CMD, "cmd: missing");
	s = cmd_find(rq->cmd);
	if (s == NULL)
		return reject(rj, CONTROL_REJECT_BAD_CMD, "unknown command '%s'", rq->cmd);
	extra = seen & ~s->takes;
	if (extra != 0)
		return reject(rj, CONTROL_REJECT_BAD_VALUE, "%s: not an option of %s",
		    opt_names[__builtin_ctz(extra)], s->name);
	if ((s->takes & OPT_SCENARIO) && !(seen & OPT_SCENARIO))
		return reject(rj, CONTROL_REJECT_BAD_VALUE, "scenario: missing");
	*ret = s;
	return 0;
}

int control_request_parse(const char *line, size_t len, struct control_request *ret,
    enum control_reject *ret_kind, char *why, size_t whylen)
{
	struct control_request rq = { .n = CONTROL_EVENTS_DEFAULT,
		.for_ms = CONTROL_DRILL_DEFAULT_MS };
	const struct cmd_spec *s;
	struct json_object *o = NULL;
	struct rejection rj;
	unsigned seen = 0;
	bool has_cmd = false;
	int r = parse_json(line, len, &o, &rj);

	if (r == 0) {
		r = parse_members(o, &rq, &has_cmd, &seen, &rj);
		json_object_put(o);
	}
	if (r == 0)
		r = check_cmd(&rq, has_cmd, seen, &s, &rj);
	if (r < 0) {
		*ret_kind = rj.kind;
		snprintf(why, whylen, "%s", rj.why);
		return r;
	}
	*ret = rq;
	return 0;
}

/* Rung 9: the caller's right, from its credentials at accept. Refusals go to the daemon too. */
static int check_right(struct control_client *cl, const struct cmd_spec *s, struct rejection *rj)
{
	struct control *c = cl->c;

	if (s->act ? cl->who.may_act : cl->who.may_read)
		return 0;
	if (s->act && c->admin_group[0] != '\0')
		reject(rj, CONTROL_REJECT_PERMISSION,
		    "permission denied: %s needs root or group '%s'", s->name, c->admin_group);
	else if (s->act)
		reject(rj, CONTROL_REJECT_PERMISSION,
		    "permission denied: %s needs root (no admin_group configured)", s->name);
	else
		reject(rj, CONTROL_REJECT_PERMISSION,
		    "permission denied: %s needs root or group '%s'", s->name,
		    c->read_group[0] != '\0' ? c->read_group : "(no control_group)");
	if (c->h.refused != NULL)
		c->h.refused(c->arg, &cl->who, s->name, rj->why);
	return -EACCES;
}

void control_request_handle(struct control_client *cl, const char *line, size_t len)
{
	struct control_request rq;
	const struct cmd_spec *s = NULL;
	struct rejection rj;
	int r = control_request_parse(line, len, &rq, &rj.kind, rj.why, sizeof(rj.why));

	if (r == 0) {
		s = cmd_find(rq.cmd); /* found: the ladder checked the name */
		r = check_right(cl, s, &rj);
	}
	if (r < 0) {
		cl->c->counters.rejected[rj.kind]++;
		control_client_fail(cl, r == -EACCES ? "permission" : "bad-request", rj.why);
		return;
	}
	cl->c->counters.requests++;
	s->run(cl, &rq);
}

/* ---- the commands ---- */

int control_json_add(struct json_object *o, const char *key, struct json_object *v)
{
	if (v == NULL)
		return -ENOMEM;
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* The daemon's status object, or NULL (no memory, or the handler failed: *ret_err). */
static struct json_object *status_object(struct control *c, int *ret_err)
{
	struct json_object *st = json_object_new_object();
	int r = st != NULL ? c->h.status(c->arg, st) : -ENOMEM;

	if (r < 0) {
		json_object_put(st);
		*ret_err = r;
		return NULL;
	}
	return st;
}

static void run_status(struct control_client *cl, const struct control_request *rq)
{
	struct json_object *reply, *st;
	char why[CONTROL_MSG_MAX];
	int r = 0;

	(void)rq;
	st = status_object(cl->c, &r);
	if (st == NULL) {
		snprintf(why, sizeof(why), "status not available: %s", strerror(-r));
		control_client_fail(cl, "unavailable", why);
		return;
	}
	reply = control_reply_ok();
	if (reply != NULL && control_json_add(reply, "status", st) < 0) {
		json_object_put(reply);
		reply = NULL;
	} else if (reply == NULL) {
		json_object_put(st);
	}
	control_client_finish(cl, reply);
}

static void run_events(struct control_client *cl, const struct control_request *rq)
{
	control_journal_events(cl, rq);
}

static void run_why(struct control_client *cl, const struct control_request *rq)
{
	(void)rq;
	control_journal_why(cl);
}

/* Status, control counters, recent events, state_dir and whatever the daemon adds; a part that
 * fails says so in its place, the rest still comes. */
static int dump_fill(struct control *c, struct json_object *d)
{
	struct json_object *counters = json_object_new_object();
	struct json_object *events = json_object_new_array();
	int err = 0, r1, r2, r3;
	struct json_object *st = status_object(c, &err);

	if (st == NULL)
		st = json_object_new_string(strerror(-err));
	if (counters != NULL && control_counters_json(c, counters) < 0) {
		json_object_put(counters);
		counters = NULL;
	}
	if (events != NULL && control_journal_recent(c, DUMP_EVENTS, events) < 0) {
		json_object_put(events);
		events = json_object_new_string("journal not available");
	}
	r1 = control_json_add(d, "status", st);
	r2 = control_json_add(d, "control", counters);
	r3 = control_json_add(d, "events", events);
	if (r1 < 0 || r2 < 0 || r3 < 0)
		return -ENOMEM;
	/* vigilctl dump -o takes the latest flight recorder capture from there (cli/ctl-dump.c). */
	if (c->state_dir[0] != '\0' &&
	    control_json_add(d, "state_dir", json_object_new_string(c->state_dir)) < 0)
		return -ENOMEM;
	return c->h.dump != NULL ? c->h.dump(c->arg, d) : 0;
}

static void run_dump(struct control_client *cl, const struct control_request *rq)
{
	struct json_object *reply = control_reply_ok();
	struct json_object *d = json_object_new_object();
	char why[CONTROL_MSG_MAX];
	int r = reply != NULL && d != NULL ? dump_fill(cl->c, d) : -ENOMEM;

	(void)rq;
	if (r == 0)
		r = control_json_add(reply, "dump", d);
	else
		json_object_put(d);
	if (r < 0) {
		json_object_put(reply);
		snprintf(why, sizeof(why), "dump not available: %s", strerror(-r));
		control_client_fail(cl, "unavailable", why);
		return;
	}
	control_client_finish(cl, reply);
}

static void run_act(struct control_client *cl, const struct control_request *rq)
{
	struct control *c = cl->c;
	char msg[CONTROL_MSG_MAX] = "";
	struct json_object *reply;
	struct control_act a = { .cmd = rq->cmd,
		.force = rq->force,
		.scenario = rq->scenario,
		.for_ms = rq->for_ms,
		.live = rq->live };
	int r = c->h.act != NULL ? c->h.act(c->arg, &cl->who, &a, msg, sizeof(msg)) : -ENOTSUP;

	msg[sizeof(msg) - 1] = '\0';
	one_line(msg);
	if (r < 0) {
		c->counters.act_refused++;
		if (msg[0] == '\0')
			snprintf(msg, sizeof(msg), "%s refused: %s", rq->cmd, strerror(-r));
		control_client_fail(cl, "refused", msg);
		return;
	}
	c->counters.act_accepted++;
	if (msg[0] == '\0')
		snprintf(msg, sizeof(msg), "%s: accepted", rq->cmd);
	reply = control_reply_ok();
	if (reply != NULL && control_json_add(reply, "message", json_object_new_string(msg)) < 0) {
		json_object_put(reply);
		reply = NULL;
	}
	control_client_finish(cl, reply);
}
