/* vigild.c: the daemon's entry point: options and the configuration check (SPEC "Command line"). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config.h"
#include "daemon.h"
#include "log.h"

#define EXIT_USAGE 2

enum {
	OPT_CHECK = 256,
	OPT_PRINT
};

struct vigild_opts {
	const char *config;
	const char *log;
	bool check;
	bool print;
	bool help;
};

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: vigild [-c FILE] [-l stderr|syslog]\n"
	    "       vigild --check-config [-c FILE] [--print]\n"
	    "  -c, --config FILE   configuration (default " CONFIG_DEFAULT_PATH ")\n"
	    "  -l, --log TARGET    log to stderr (default) or syslog\n"
	    "      --check-config  validate the configuration and exit 0 (ok) or 1\n"
	    "      --print         with --check-config: print the effective configuration\n");
}

static int check_opts(int argc, char **argv, const struct vigild_opts *o);

/* 0, or EXIT_USAGE with the reason on stderr. */
static int parse_opts(int argc, char **argv, struct vigild_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "log", required_argument, NULL, 'l' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "print", no_argument, NULL, OPT_PRINT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:l:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 'l':
			o->log = optarg;
			break;
		case OPT_CHECK:
			o->check = true;
			break;
		case OPT_PRINT:
			o->print = true;
			break;
		case 'h':
			o->help = true;
			break;
		default:
			return EXIT_USAGE; /* getopt said why */
		}
	}
	return check_opts(argc, argv, o);
}

/* What getopt cannot tell: 0, or EXIT_USAGE with the reason on stderr. */
static int check_opts(int argc, char **argv, const struct vigild_opts *o)
{
	if (optind < argc)
		fprintf(stderr, "vigild: unexpected argument '%s'\n", argv[optind]);
	else if (strcmp(o->log, "stderr") != 0 && strcmp(o->log, "syslog") != 0)
		fprintf(stderr, "vigild: -l takes stderr or syslog, not '%s'\n", o->log);
	else if (o->print && !o->check)
		fprintf(stderr, "vigild: --print goes with --check-config\n");
	else
		return 0;
	return EXIT_USAGE;
}

/* --check-config: "FILE: ok", or with --print the effective configuration. */
static int check_config(const struct vigild_opts *o, const struct config *c)
{
	if (o->print)
		config_print(c, stdout);
	else
		printf("%s: ok\n", o->config);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

/* The daemon proper: in the foreground, logging to stderr or syslog (SPEC "Command line"). */
static int run_daemon(const struct vigild_opts *o, const struct config *c)
{
	static struct vigild v;

	v.cfg = *c;
	v.config_path = o->config;
	log_init(strcmp(o->log, "syslog") != 0, LOG_DAEMON);
	log_set_verbose(getenv("VIGIL_DEBUG") != NULL);
	return vigild_run(&v) < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct vigild_opts o = { .config = CONFIG_DEFAULT_PATH, .log = "stderr" };
	static struct config c;
	char err[CONFIG_ERR_MAX];

	if (parse_opts(argc, argv, &o) != 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (o.help) {
		usage(stdout);
		return 0;
	}
	if (config_load(o.config, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (o.check)
		return check_config(&o, &c);
	return run_daemon(&o, &c);
}
