/* cli.h: what the files of vigilctl share: the command entry points and the global options. */
#ifndef VIGIL_CLI_H
#define VIGIL_CLI_H

/* -s SOCKET, or the default control socket (SPEC "Names and files"). */
extern const char *cli_socket;

/*
 * A command gets its own words: argv[0] is the command name, options and operands follow.
 * getopt's optind is reset before the call. It returns the exit status (SPEC "Command line":
 * 0 ok, 1 refused or failed, 2 usage) or exits through err(3)/errx(3).
 */
int cmd_simulate(int argc, char **argv); /* cli/simulate.c */

#endif /* VIGIL_CLI_H */
