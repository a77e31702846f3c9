/* vigilctl.c: the command-line tool: global options, then one command from a dispatch table (SPEC "Command line"). */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "ctl.h"

#define EXIT_USAGE 2
#define DEFAULT_SOCKET "/run/vigil/vigild.sock"

const char *cli_socket = DEFAULT_SOCKET;

static int cmd_keygen(int argc, char **argv);

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;
} commands[] = {
	{ "status", cmd_status, "[--json | --prometheus]" },
	{ "events", cmd_events, "[-n N] [--follow] [--json]" },
	{ "why", cmd_why, "[--json]" },
	{ "dump", cmd_dump, "[-o FILE | --json]" },
	{ "switch", cmd_act, "[--force]" },
	{ "handover", cmd_act, "[--force]" },
	{ "rejoin", cmd_act, "" },
	{ "reload", cmd_act, "" },
	{ "drill", cmd_drill, "SCENARIO [--for D] [--live] [--json]" },
	{ "keygen", cmd_keygen, "FILE" },
	{ "simulate", cmd_simulate,
	    "-c FILE --fault KIND [--at T] [--for D] [--rtt T] [--loss PCT] [--seed N] "
	    "[--json]" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: vigilctl [-s SOCKET] COMMAND [OPTIONS]\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].args);
}

/* keygen FILE: a new pair key; never over an existing file. */
static int cmd_keygen(int argc, char **argv)
{
	int r;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: vigilctl keygen FILE\n");
		return EXIT_USAGE;
	}
	r = config_keygen(argv[1]);
	if (r == -EEXIST)
		errx(1, "%s: exists; refusing to overwrite a key (remove it first if you mean it)",
		    argv[1]);
	if (r < 0) {
		errno = -r;
		err(1, "%s", argv[1]);
	}
	return 0;
}

static const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

/* Global options up to the command word: its index, or -1 for a usage error, 0 for --help. */
static int global_opts(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "+s:h", longopts, NULL)) != -1) {
		if (ch == 's')
			cli_socket = optarg;
		else if (ch == 'h')
			return 0;
		else
			return -1;
	}
	return optind < argc ? optind : -1;
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	int first = global_opts(argc, argv);

	if (first == 0) {
		usage(stdout);
		return 0;
	}
	cmd = first > 0 ? command_find(argv[first]) : NULL;
	if (!cmd) {
		if (first > 0)
			fprintf(stderr, "vigilctl: unknown command '%s'\n", argv[first]);
		usage(stderr);
		return EXIT_USAGE;
	}
	optind = 0; /* a fresh getopt for the command's own options */
	return cmd->run(argc - first, argv + first);
}
