/* ctl-drill.c: vigilctl drill: start a failure drill on the backup, show its progress on stderr, print the verdict the core reached (SPEC "Command line": drill). */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "config.h"
#include "ctl.h"
#include "wire.h"

#define EXIT_USAGE 2
#define DRILL_DEFAULT_MS 30000u
#define DRILL_MIN_MS 1000u
#define DRILL_MAX_MS 600000u
#define POLL_MS 1000u
/* After D, how long vigild may take to see the pair steady again (it gives up after a re-dial
 * and a module timeout) before we give up. */
#define END_GRACE_MS 120000u

enum {
	OPT_FOR = 256,
	OPT_LIVE,
	OPT_JSON,
};

struct drill_opts {
	const char *scenario;
	uint32_t for_ms;
	bool live;
	bool json;
};

static int drill_usage(const char *why, const char *what)
{
	fprintf(stderr, "vigilctl drill: %s%s%s%s\n", why, what ? " '" : "", what ? what : "",
	    what ? "'" : "");
	fprintf(stderr,
	    "usage: vigilctl [-s SOCKET] drill SCENARIO [--for D] [--live] [--json]\n"
	    "scenarios: module, notifier, primary-unreachable, wan-cut, "
	    "backup-isolate; D: 1s-10m, default 30s\n");
	return EXIT_USAGE;
}

static int parse_for(const char *text, uint32_t *ret)
{
	uint64_t ms;

	if (config_parse_duration_ms(text, &ms) < 0 || ms < DRILL_MIN_MS || ms > DRILL_MAX_MS)
		return drill_usage("--for takes a duration from 1s to 10m, not", text);
	*ret = (uint32_t)ms;
	return 0;
}

static int parse_drill_opts(int argc, char **argv, struct drill_opts *ret)
{
	static const struct option longopts[] = {
		{ "for", required_argument, NULL, OPT_FOR },
		{ "live", no_argument, NULL, OPT_LIVE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "socket", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, r;

	opterr = 0;
	*ret = (struct drill_opts){ .for_ms = DRILL_DEFAULT_MS };
	while ((ch = getopt_long(argc, argv, ":s:", longopts, NULL)) != -1) {
		if (ch == 's')
			cli_socket = optarg;
		else if (ch == OPT_LIVE)
			ret->live = true;
		else if (ch == OPT_JSON)
			ret->json = true;
		else if (ch == OPT_FOR && (r = parse_for(optarg, &ret->for_ms)) != 0)
			return r;
		else if (ch == ':')
			return drill_usage("option needs a value:", argv[optind - 1]);
		else if (ch != OPT_FOR)
			return drill_usage("unknown option", argv[optind - 1]);
	}
	if (optind >= argc)
		return drill_usage("which scenario?", NULL);
	ret->scenario = argv[optind++];
	if (wire_drill_from_name(ret->scenario) < 0)
		return drill_usage("no such scenario:", ret->scenario);
	if (optind < argc)
		return drill_usage("unexpected argument", argv[optind]);
	return 0;
}

/* status.last_drill from vigild, with a reference the caller puts; NULL if none or no answer. */
static struct json_object *last_drill(void)
{
	struct ctl_request rq = { .cmd = "status" };
	struct ctl_reply rep;
	struct json_object *st, *d = NULL;

	if (ctl_call(cli_socket, &rq, CTL_TIMEOUT_MS, NULL, NULL, &rep) < 0)
		return NULL;
	if (json_object_object_get_ex(rep.final, "status", &st) &&
	    json_object_object_get_ex(st, "last_drill", &d) &&
	    json_object_is_type(d, json_type_object))
		json_object_get(d);
	else
		d = NULL;
	json_object_put(rep.final);
	return d;
}

static int64_t member_int(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : -1;
}

static const char *member_str(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
	    ? json_object_get_string(v)
	    : "?";
}

static bool member_bool(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
}

static void sleep_ms(uint32_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void show_progress(struct json_object *d)
{
	if (strcmp(member_str(d, "phase"), "recovering") == 0)
		fprintf(stderr,
		    "drill %s: over, waiting for the pair to be steady again; verdict: %s\n",
		    member_str(d, "scenario"), member_str(d, "verdict"));
	else
		fprintf(stderr, "drill %s: %llds of %llds, verdict so far: %s%s\n",
		    member_str(d, "scenario"), (long long)member_int(d, "elapsed_ms") / 1000,
		    (long long)member_int(d, "for_ms") / 1000, member_str(d, "verdict"),
		    member_bool(d, "switched") ? " (switched)" : "");
}

/* Follow drill id until vigild says it ended; the final last_drill, or NULL. */
static struct json_object *follow(int64_t id, uint32_t for_ms)
{
	uint64_t waited = 0;

	while (waited <= (uint64_t)for_ms + END_GRACE_MS) {
		struct json_object *d = last_drill();

		if (d != NULL && member_int(d, "id") == id && !member_bool(d, "running"))
			return d;
		if (d != NULL && member_int(d, "id") == id)
			show_progress(d);
		json_object_put(d);
		sleep_ms(POLL_MS);
		waited += POLL_MS;
	}
	return NULL;
}

static int start(const struct drill_opts *o)
{
	struct ctl_request rq = { .cmd = "drill",
		.scenario = o->scenario,
		.for_ms = o->for_ms,
		.live = o->live };
	struct ctl_reply rep;
	struct json_object *msg;
	int r = ctl_call(cli_socket, &rq, CTL_TIMEOUT_MS, NULL, NULL, &rep);

	if (r < 0) {
		warnx("%s", rep.error);
		return -1;
	}
	if (json_object_object_get_ex(rep.final, "message", &msg))
		fprintf(stderr, "%s\n", json_object_get_string(msg));
	json_object_put(rep.final);
	return 0;
}

int cmd_drill(int argc, char **argv)
{
	struct drill_opts o;
	struct json_object *before, *after;
	int64_t id;
	int r = parse_drill_opts(argc, argv, &o);

	if (r != 0)
		return r;
	before = last_drill();
	id = before != NULL ? member_int(before, "id") + 1 : 1;
	json_object_put(before);
	if (start(&o) < 0)
		return 1;
	after = follow(id, o.for_ms);
	if (after == NULL) {
		warnx("drill: vigild did not report the drill's end");
		return 1;
	}
	if (o.json)
		printf("%s\n", json_object_to_json_string_ext(after, JSON_C_TO_STRING_PLAIN));
	else
		printf("verdict: %s\n", member_str(after, "verdict"));
	if (member_bool(after, "switched"))
		fprintf(stderr, "drill %s: switched for real (live)\n", o.scenario);
	json_object_put(after);
	return fflush(stdout) == 0 ? 0 : 1;
}
