/*
 * vigil-snmp.c: the AgentX subagent serving VIGIL-MIB (SPEC "Status export") through the box's
 * net-snmp snmpd, from vigild's control socket (read right only).
 *
 * Why a subagent and not pass_persist (issue 7): the box runs net-snmp's snmpd anyway, so
 * libnetsnmp is on it already and the subagent costs one small process; AgentX gives real
 * notifications through the master (its trap sinks, its SNMPv3 users), while pass_persist
 * would need a trap sender of our own; the agent library's helpers do the OID ordering,
 * GETNEXT across scalars and the table, and the refusal of SETs; and the session survives an
 * snmpd restart (the subagent pings the master and re-registers) as the control-socket reads
 * survive a vigild restart (every read is a new connection, the journal stream is re-opened).
 * pass_persist would also put a line protocol and a fork per snmpd start in the way.
 *
 * vigil-snmp [-f] [-c CONFIG] [-s SOCKET] [-x AGENTX_SOCKET] [-r ROOT_OID]
 *
 * It reads vigild's vigil.conf for two things: [export] snmp (no: the export is off, exit 0)
 * and [node] control_socket. Never the pair key. -s without -c reads no file: a second
 * instance for another vigild must not hang on the default file.
 *
 * Exit: 0 stopped or the export off, 1 the subagent failed, 2 usage or a bad configuration
 * (vigil-snmp.service does not restart on 2: a bad file will not heal by itself).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "config.h"
#include "export.h"
#include "internal.h"

#define DEFAULT_CONFIG "/etc/vigil/vigil.conf" /* SPEC "Names and files" */
#define DEFAULT_SOCKET "/run/vigil/vigild.sock"
#define NAME "vigil-snmp"

struct opts {
	const char *config;
	bool config_given; /* -c: the file must be there */
	const char *socket;
	bool socket_given;  /* -s wins over the file's control_socket */
	const char *agentx; /* NULL: net-snmp's default (/var/agentx/master) */
	const char *root;
	bool foreground;
};

static volatile sig_atomic_t stopping;
static bool library_up; /* init_agent ran: snmp_shutdown at the end */

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: " NAME " [-fh] [-c CONFIG] [-s SOCKET] [-x AGENTX_SOCKET] [-r ROOT_OID]\n"
	    "  -c CONFIG         vigild's configuration: [export] snmp, [node] control_socket\n"
	    "                    (default " DEFAULT_CONFIG ", if it exists and -s is not given)\n"
	    "  -s SOCKET         vigild's control socket (default: the configuration's, else\n"
	    "                    " DEFAULT_SOCKET ")\n"
	    "  -x AGENTX_SOCKET  the master agent's AgentX socket (default: net-snmp's)\n"
	    "  -r ROOT_OID       where VIGIL-MIB is served (default " EXPORT_ROOT_OID ")\n"
	    "  -f                stay in the foreground, log to stderr (else syslog)\n"
	    "  -h                print this and exit\n");
}

/* 0, or 2 (usage). */
static int parse_args(int argc, char **argv, struct opts *ret)
{
	int c;

	*ret = (struct opts){ .config = DEFAULT_CONFIG,
		.socket = DEFAULT_SOCKET,
		.root = EXPORT_ROOT_OID };
	while ((c = getopt(argc, argv, "fc:s:x:r:h")) != -1) {
		switch (c) {
		case 'f':
			ret->foreground = true;
			break;
		case 'c':
			ret->config = optarg;
			ret->config_given = true;
			break;
		case 's':
			ret->socket = optarg;
			ret->socket_given = true;
			break;
		case 'x':
			ret->agentx = optarg;
			break;
		case 'r':
			ret->root = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return 2;
		}
	}
	return optind == argc ? 0 : 2;
}

/*
 * What vigil.conf says: 0 serve, 1 do not (the export is off), -1 the file is bad (said on
 * stderr). Without -c, -s means no file, and a missing default file the built-in defaults.
 */
static int read_vigil_conf(struct opts *o)
{
	static struct config c; /* several KB: not on the stack */
	static char socket[sizeof(c.node.control_socket)];
	char err[CONFIG_ERR_MAX];

	if (!o->config_given &&
	    (o->socket_given || (access(o->config, F_OK) != 0 && errno == ENOENT)))
		return 0;
	/* KEY_HELD: the pair key is root's 0600 and none of our business */
	if (config_load_flags(o->config, CONFIG_LOAD_KEY_HELD, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, NAME ": %s\n", err);
		return -1;
	}
	if (!c.export.snmp) {
		fprintf(stderr, NAME ": %s: [export] snmp = no: the status export is off\n",
		    o->config);
		return 1;
	}
	if (!o->socket_given) {
		memcpy(socket, c.node.control_socket, sizeof(socket));
		o->socket = socket;
	}
	return 0;
}

/* The library as a subagent that reads no configuration, loads no MIB and writes no state. */
static void setup_library(const struct opts *o)
{
	if (o->foreground)
		snmp_enable_stderrlog();
	else
		snmp_enable_syslog_ident(NAME, LOG_DAEMON);
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
	if (o->agentx != NULL)
		netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET,
		    o->agentx);
	/* alarms (the AgentX ping) run from our loop, not from SIGALRM */
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	/* a subagent answers by number: no MIB files are read (nor missing ones complained of) */
	setenv("MIBS", "", 1);
}

static void setup_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL); /* a master gone mid-write: the library sees EPIPE */
}

/* One wait: the library's sockets and timers, the journal stream, until `due` at the latest. */
static int wait_once(struct vsnmp *x, uint64_t now_ms, uint64_t due_ms)
{
	uint64_t wait_ms = due_ms > now_ms ? due_ms - now_ms : 0;
	struct timeval tv = { .tv_sec = 3600 };
	int nfds = 0, block = 0, fd = follow_fd(x), n;
	fd_set fds;

	FD_ZERO(&fds);
	snmp_select_info(&nfds, &fds, &tv, &block);
	if (block || (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000 > wait_ms)
		tv = (struct timeval){ .tv_sec = (time_t)(wait_ms / 1000),
			.tv_usec = (suseconds_t)(wait_ms % 1000) * 1000 };
	if (fd >= 0) {
		FD_SET(fd, &fds);
		nfds = fd >= nfds ? fd + 1 : nfds;
	}
	n = select(nfds, &fds, NULL, NULL, &tv);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (n > 0 && fd >= 0 && FD_ISSET(fd, &fds)) {
		FD_CLR(fd, &fds);
		follow_input(x, vsnmp_now_ms());
	}
	if (n > 0)
		snmp_read(&fds);
	snmp_timeout(); /* retransmissions that are due, even while the stream keeps us busy */
	run_alarms();
	netsnmp_check_outstanding_agent_requests();
	return 0;
}

static int run(struct vsnmp *x)
{
	int r = 0;

	while (!stopping && r == 0) {
		uint64_t now = vsnmp_now_ms();
		uint64_t poll = cache_tick(x, now), follow = follow_tick(x, now);

		trap_changes(x); /* after a request handler saw a change, outside of it */
		r = wait_once(x, now, poll < follow ? poll : follow);
	}
	return r;
}

static int start(struct vsnmp *x, const struct opts *o)
{
	int r;

	x->socket_path = o->socket;
	export_watch_init(&x->watch);
	r = follow_init(x, vsnmp_now_ms());
	if (r < 0)
		return r;
	setup_library(o);
	if (!o->foreground && netsnmp_daemonize(1, 0) != 0)
		return -ECHILD;
	library_up = true;
	if (init_agent(NAME) != 0 || (r = agent_register(x)) < 0)
		return r < 0 ? r : -EIO;
	/* after init_agent, which sets the default (15 s) */
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
	    VSNMP_AGENTX_PING_S);
	init_snmp(NAME);
	snmp_log(LOG_INFO, NAME ": VIGIL-MIB at %s, vigild at %s, AgentX master at %s\n", o->root,
	    o->socket, o->agentx != NULL ? o->agentx : "(net-snmp's default)");
	return 0;
}

int main(int argc, char **argv)
{
	static struct vsnmp x = { .follow_fd = -1 }; /* ~20 KB of cache: not on the stack */
	struct opts o;
	int r;

	if (parse_args(argc, argv, &o) != 0) {
		usage(stderr);
		return 2;
	}
	if (export_parse_oid(o.root, x.root, EXPORT_OID_MAX, &x.root_len) < 0) {
		fprintf(stderr, NAME ": -r %s: not a numeric OID\n", o.root);
		return 2;
	}
	r = read_vigil_conf(&o);
	if (r != 0)
		return r < 0 ? 2 : 0;
	setup_signals();
	r = start(&x, &o);
	if (r == 0)
		r = run(&x);
	if (r < 0)
		snmp_log(LOG_ERR, NAME ": %s\n", strerror(-r));
	if (library_up)
		snmp_shutdown(NAME);
	follow_free(&x);
	return r < 0 ? 1 : 0;
}
