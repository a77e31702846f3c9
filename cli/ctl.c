/* ctl.c: the vigilctl commands that talk to vigild: status, events, why, dump, switch, handover, rejoin, reload. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "ctl.h"

#define EXIT_USAGE 2
#define EVENTS_MAX 100000 /* as the daemon's CONTROL_EVENTS_MAX */

/* Which options a command takes. */
#define O_JSON 0x1u
#define O_EVENTS 0x2u /* -n, --follow */
#define O_FORCE 0x4u
#define O_OUTPUT 0x8u
#define O_PROM 0x10u

enum {
	OPT_JSON = 256,
	OPT_FORCE,
	OPT_PROM,
};

struct ctl_opts {
	bool json;
	bool force;
	bool follow;
	bool prometheus;
	uint32_t n;
	const char *output;
};

static const struct {
	const char *name;
	unsigned opts;
	const char *usage;
} cmd_opts[] = {
	{ "status", O_JSON | O_PROM, "status [--json | --prometheus]" },
	{ "events", O_JSON | O_EVENTS, "events [-n N] [--follow] [--json]" },
	{ "why", O_JSON, "why [--json]" },
	{ "dump", O_OUTPUT | O_JSON, "dump [-o FILE | --json]" },
	{ "switch", O_FORCE, "switch [--force]" },
	{ "handover", O_FORCE, "handover [--force]" },
	{ "rejoin", 0, "rejoin" },
	{ "reload", 0, "reload" },
};

#define N_CMD_OPTS (sizeof(cmd_opts) / sizeof(cmd_opts[0]))

static int usage_error(const char *cmd, const char *why, const char *what)
{
	const char *u = cmd;

	for (size_t i = 0; i < N_CMD_OPTS; i++) {
		if (strcmp(cmd_opts[i].name, cmd) == 0)
			u = cmd_opts[i].usage;
	}
	fprintf(stderr, "vigilctl %s: %s%s%s%s\nusage: vigilctl [-s SOCKET] %s\n", cmd, why,
	    what ? " '" : "", what ? what : "", what ? "'" : "", u);
	return EXIT_USAGE;
}

static unsigned opts_allowed(const char *cmd)
{
	for (size_t i = 0; i < N_CMD_OPTS; i++) {
		if (strcmp(cmd_opts[i].name, cmd) == 0)
			return cmd_opts[i].opts;
	}
	return 0;
}

static int parse_n(const char *cmd, const char *text, uint32_t *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || v < 1 || v > EVENTS_MAX)
		return usage_error(cmd, "-n takes a number from 1 to 100000, not", text);
	*ret = (uint32_t)v;
	return 0;
}

/* One option; 0 or EXIT_USAGE. */
static int apply_opt(const char *cmd, int ch, const char *bad, struct ctl_opts *o)
{
	unsigned allowed = opts_allowed(cmd);
	unsigned need = ch == OPT_JSON ? O_JSON
	    : ch == OPT_PROM           ? O_PROM
	    : ch == OPT_FORCE          ? O_FORCE
	    : (ch == 'n' || ch == 'f') ? O_EVENTS
	    : ch == 'o'                ? O_OUTPUT
	                               : 0;

	if (ch == 's') {
		cli_socket = optarg; /* -s is global, but welcome anywhere */
		return 0;
	}
	if (ch == ':')
		return usage_error(cmd, "option needs a value:", bad);
	if (need == 0 || !(allowed & need))
		return usage_error(cmd, "unknown option", bad);
	if (ch == 'n')
		return parse_n(cmd, optarg, &o->n);
	o->json = o->json || ch == OPT_JSON;
	o->force = o->force || ch == OPT_FORCE;
	o->prometheus = o->prometheus || ch == OPT_PROM;
	o->follow = o->follow || ch == 'f';
	if (ch == 'o')
		o->output = optarg;
	return 0;
}

/* Options in any order; no operands. 0 or EXIT_USAGE. */
static int parse_opts(int argc, char **argv, struct ctl_opts *ret)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "prometheus", no_argument, NULL, OPT_PROM },
		{ "follow", no_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, r;

	opterr = 0; /* we say it, naming the command */
	*ret = (struct ctl_opts){ .n = 0 };
	while ((ch = getopt_long(argc, argv, ":n:fo:s:", longopts, NULL)) != -1) {
		r = apply_opt(argv[0], ch, argv[optind - 1], ret);
		if (r != 0)
			return r;
	}
	if (optind < argc)
		return usage_error(argv[0], "unexpected argument", argv[optind]);
	return 0;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The line on stderr and exit status 1 (SPEC "Exit codes"); refusals carry the daemon's reason. */
static int call_failed(const char *cmd, int r, const struct ctl_reply *rep)
{
	if (r == -EREMOTEIO && strncmp(rep->error, cmd, strlen(cmd)) != 0)
		warnx("%s: %s", cmd, rep->error);
	else
		warnx("%s", rep->error);
	return 1;
}

static void print_json(FILE *f, struct json_object *o, int flags)
{
	fprintf(f, "%s\n",
	    json_object_to_json_string_ext(o, flags | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* Output that cannot be written (a full disk, a closed pipe) is a failure too. */
static int finish_output(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		warn("stdout");
		return 1;
	}
	return rc;
}

/* The final answer's member key, for --json or the human printer. */
static int show_final(const char *cmd, const char *key, bool json, struct json_object *final)
{
	struct json_object *v;

	if (!json_object_object_get_ex(final, key, &v)) {
		warnx("%s: the answer from vigild has no \"%s\"", cmd, key);
		return 1;
	}
	if (json)
		print_json(stdout, v, JSON_C_TO_STRING_PLAIN);
	else if (strcmp(key, "status") == 0)
		ctl_print_status(stdout, v, wall_ms());
	else
		ctl_print_why(stdout, v, wall_ms());
	return 0;
}

/* status and why: one answer object. */
static int cmd_show(int argc, char **argv, const char *key)
{
	struct ctl_opts o;
	struct ctl_request rq = { .cmd = argv[0] };
	struct ctl_reply rep;
	int r = parse_opts(argc, argv, &o);

	if (r != 0)
		return r;
	r = ctl_call(cli_socket, &rq, CTL_TIMEOUT_MS, NULL, NULL, &rep);
	if (r < 0)
		return call_failed(argv[0], r, &rep);
	r = show_final(argv[0], key, o.json, rep.final);
	json_object_put(rep.final);
	return finish_output(r);
}

/* status --prometheus: the dump (status, counters, probes) as metrics; vigild silent: vigil_up 0,
 * exit 1, so a textfile collector still shows the node is down. */
static int status_prometheus(void)
{
	struct ctl_request rq = { .cmd = "dump" };
	struct ctl_reply rep;
	struct json_object *d;
	int r = ctl_call(cli_socket, &rq, CTL_TIMEOUT_MS, NULL, NULL, &rep);

	if (r < 0) {
		printf("# HELP vigil_up vigild answered on its control socket (1).\n"
		       "# TYPE vigil_up gauge\nvigil_up 0\n");
		warnx("status: %s", rep.error);
		return finish_output(1);
	}
	if (json_object_object_get_ex(rep.final, "dump", &d))
		ctl_print_prometheus(stdout, d);
	json_object_put(rep.final);
	return finish_output(0);
}

int cmd_status(int argc, char **argv)
{
	struct ctl_opts o;
	int r = parse_opts(argc, argv, &o);

	if (r != 0)
		return r;
	if (o.json && o.prometheus)
		return usage_error("status", "--json and --prometheus exclude each other; drop",
		    "--prometheus");
	if (o.prometheus)
		return status_prometheus();
	optind = 0; /* cmd_show parses the same words again: a fresh getopt */
	return cmd_show(argc, argv, "status");
}

int cmd_why(int argc, char **argv)
{
	return cmd_show(argc, argv, "why");
}

/* ctl_line_fn: one record as it arrives (a follower sees it at once). */
static int print_record(struct json_object *rec, void *arg)
{
	const bool *json = arg;

	if (*json)
		print_json(stdout, rec, JSON_C_TO_STRING_PLAIN);
	else
		ctl_print_event(stdout, rec);
	return fflush(stdout) == 0 ? 0 : -EPIPE;
}

int cmd_events(int argc, char **argv)
{
	struct ctl_opts o;
	struct ctl_request rq = { .cmd = "events" };
	struct ctl_reply rep;
	int r = parse_opts(argc, argv, &o);

	if (r != 0)
		return r;
	rq.n = o.n;
	rq.follow = o.follow;
	r = ctl_call(cli_socket, &rq, CTL_TIMEOUT_MS, print_record, &o.json, &rep);
	if (r == -EPIPE)
		return finish_output(1);
	if (r < 0)
		return call_failed("events", r, &rep);
	if (json_object_object_get_ex(rep.final, "truncated", NULL))
		warnx("events: the answer was cut to fit; ask for fewer with -n");
	json_object_put(rep.final);
	return finish_output(0);
}

/* The latest capture's whereabouts, for the report on the screen. */
static void print_dump_text(struct json_object *d)
{
	char path[PATH_MAX], note[PATH_MAX + 128];

	if (ctl_dump_find_capture(d, path, sizeof(path), note, sizeof(note)) == 0)
		snprintf(note, sizeof(note), "%.200s (`vigilctl dump -o FILE` includes it)", path);
	ctl_print_dump(stdout, d, note, wall_ms());
}

/* dump: the report on the screen, the JSON with --json, or everything in an archive with -o. */
int cmd_dump(int argc, char **argv)
{
	struct ctl_opts o;
	struct ctl_request rq = { .cmd = "dump" };
	struct ctl_reply rep;
	struct json_object *d;
	int r = parse_opts(argc, argv, &o);

	if (r != 0)
		return r;
	if (o.output != NULL && o.json)
		return usage_error("dump", "-o writes the JSON and the report together; drop",
		    "--json");
	r = ctl_call(cli_socket, &rq, CTL_TIMEOUT_MS, NULL, NULL, &rep);
	if (r < 0)
		return call_failed("dump", r, &rep);
	if (!json_object_object_get_ex(rep.final, "dump", &d)) {
		json_object_put(rep.final);
		errx(1, "dump: the answer from vigild has no \"dump\"");
	}
	if (o.output != NULL)
		r = ctl_dump_archive(o.output, d, wall_ms());
	else if (o.json)
		print_json(stdout, d, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
	else
		print_dump_text(d);
	json_object_put(rep.final);
	if (r < 0) {
		warnx("dump: %s: %s", o.output, strerror(-r));
		return 1;
	}
	return finish_output(0);
}

int cmd_act(int argc, char **argv)
{
	struct ctl_opts o;
	struct ctl_request rq = { .cmd = argv[0] };
	struct ctl_reply rep;
	struct json_object *msg;
	int r = parse_opts(argc, argv, &o);

	if (r != 0)
		return r;
	rq.force = o.force;
	r = ctl_call(cli_socket, &rq, CTL_TIMEOUT_MS, NULL, NULL, &rep);
	if (r < 0)
		return call_failed(argv[0], r, &rep);
	if (json_object_object_get_ex(rep.final, "message", &msg))
		printf("%s\n", json_object_get_string(msg));
	json_object_put(rep.final);
	return finish_output(0);
}
