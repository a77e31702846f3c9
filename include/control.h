/* control.h: vigild's control socket: the request protocol of doc/control.md, caller rights, and the status object. */
#ifndef VIGIL_CONTROL_H
#define VIGIL_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "decide.h"

/*
 * Contract (SPEC.md "Command line", "Robustness and security"; doc/control.md):
 * - A Unix stream socket. The client sends one JSON object on one line; the server answers
 *   with JSON objects, one a line, the last one {"ok": true, ...} or {"ok": false, "error": ...},
 *   and closes (except `events` with "follow", which streams until the client closes).
 * - Every request passes a guard ladder; each rejection bumps a named counter (STYLE 17).
 * - Nothing blocks the loop: sockets are non-blocking, each client's output is bounded, a
 *   client that does not send its request within the idle timeout, or stops reading, is dropped.
 * - Read commands (status, events, why, dump): root, control_group, admin_group.
 *   Acting commands (switch, handover, rejoin, reload, drill): root and admin_group only.
 * - Functions return 0 or a negative errno; control never logs: refusals reach the daemon
 *   through the refused handler, everything else is counted (control_counters).
 */

#define CONTROL_SOCKET_DEFAULT "/run/vigil/vigild.sock"
#define CONTROL_REQUEST_MAX 4096         /* one request line, newline included */
#define CONTROL_OUTPUT_MAX (1024 * 1024) /* bytes queued per client before it counts as stuck */
#define CONTROL_IDLE_TIMEOUT_MS 5000     /* default: request due, or output progress, within this */
#define CONTROL_CLIENTS_MAX 16           /* default: clients at once */
#define CONTROL_EVENTS_DEFAULT 20        /* events without "n" */
#define CONTROL_EVENTS_MAX 100000        /* largest "n" */
#define CONTROL_MSG_MAX 256              /* one-line messages of the act handler */
#define CONTROL_NO_GROUP ((gid_t)-1)
#define CONTROL_DRILL_DEFAULT_MS 30000u /* SPEC "Command line": drill --for, default 30 s */
#define CONTROL_DRILL_MIN_MS 1000u      /* 1 s - 10 m */
#define CONTROL_DRILL_MAX_MS 600000u

struct json_object; /* json-c */
struct loop;
struct control; /* opaque: one listening socket and its clients */

/* What a connecting process is, from SO_PEERCRED and its supplementary groups (SO_PEERGROUPS,
 * or /proc/PID/status), decided once at accept. */
struct control_caller {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	bool may_read; /* root, or a member of control_group or admin_group */
	bool may_act;  /* root, or a member of admin_group */
};

/* Who may do what: the groups by id; CONTROL_NO_GROUP = none (root only). */
struct control_policy {
	gid_t read_gid;  /* control_group: also the socket file's group */
	gid_t admin_gid; /* admin_group */
};

/* An acting command and its options, after the guard ladder. */
struct control_act {
	const char *cmd;      /* switch, handover, rejoin, reload, drill */
	bool force;           /* switch, handover */
	const char *scenario; /* drill: a drill scenario name (checked by the daemon) */
	uint32_t for_ms;      /* drill: CONTROL_DRILL_MIN_MS..CONTROL_DRILL_MAX_MS */
	bool live;            /* drill */
};

/* The daemon's side. status is required; the others may be NULL. Handlers run on the loop and
 * must not call control_free(). */
struct control_handlers {
	/* Fill ret_obj (an empty JSON object) with the status object (control_status_json). */
	int (*status)(void *arg, struct json_object *ret_obj);
	/* switch, handover, rejoin, reload, drill: 0 accepted, or negative refused; either way a
	 * one-line message in ret_msg (NUL-terminated, at most msglen bytes). NULL: every act is
	 * refused. */
	int (*act)(void *arg, const struct control_caller *who, const struct control_act *a,
	    char *ret_msg, size_t msglen);
	/* A command refused for want of rights (for the journal); why is the reply's message. */
	void (*refused)(void *arg, const struct control_caller *who, const char *cmd,
	    const char *why);
	/* Add the daemon's diagnostics (configuration, timers, counters, …) to the dump object. */
	int (*dump)(void *arg, struct json_object *ret_obj);
};

struct control_options {
	const char *socket_path; /* NULL: CONTROL_SOCKET_DEFAULT */
	mode_t mode;             /* 0: 0660 with a read group, 0600 without */
	struct control_policy policy;
	const char *state_dir; /* where the journal is read (store.h); NULL: events/why refused */
	uint32_t idle_timeout_ms; /* 0: CONTROL_IDLE_TIMEOUT_MS */
	uint32_t max_clients;     /* 0: CONTROL_CLIENTS_MAX */
};

/* Why a request was turned away, one counter each. */
enum control_reject {
	CONTROL_REJECT_TOO_LONG,   /* no newline within CONTROL_REQUEST_MAX */
	CONTROL_REJECT_NUL,        /* a NUL byte in the request */
	CONTROL_REJECT_NOT_JSON,   /* json-c refused it (strict, UTF-8 checked) or trailing bytes */
	CONTROL_REJECT_NOT_OBJECT, /* JSON but not an object */
	CONTROL_REJECT_UNKNOWN_KEY, /* a member other than cmd, force, n, follow, scenario, for_ms,
				       live */
	CONTROL_REJECT_BAD_CMD,     /* cmd missing, not a string, or no such command */
	CONTROL_REJECT_BAD_TYPE,    /* force/follow not a bool, n not an integer */
	CONTROL_REJECT_BAD_VALUE,   /* n out of range, an option the command does not take */
	CONTROL_REJECT_PERMISSION,  /* the caller lacks the right */
	CONTROL_REJECT_COUNT,
};

/* Members of a request, after the guard ladder (doc/control.md "Requests"). */
struct control_request {
	char cmd[16];
	bool force;
	bool follow;
	uint32_t n;        /* events: records wanted */
	char scenario[32]; /* drill */
	uint32_t for_ms;   /* drill */
	bool live;         /* drill */
};

/*
 * The guard ladder's rungs on the request line (len bytes, its newline left out) up to the
 * caller's right, pure: 0 and the request in *ret, or -EINVAL with the rung that refused it in
 * *ret_kind and a one-line reason in why (whylen bytes). The server runs every request through
 * it, then checks the caller's right (CONTROL_REJECT_PERMISSION).
 */
int control_request_parse(const char *line, size_t len, struct control_request *ret,
    enum control_reject *ret_kind, char *why, size_t whylen);

struct control_counters {
	uint64_t accepted; /* connections accepted */
	uint64_t requests; /* requests that passed the ladder */
	uint64_t rejected[CONTROL_REJECT_COUNT];
	uint64_t idle_dropped;  /* no request, or no output progress, within the idle timeout */
	uint64_t stuck_dropped; /* output beyond CONTROL_OUTPUT_MAX (a follower not reading) */
	uint64_t busy_refused;  /* over max_clients */
	uint64_t io_errors;     /* accept, read, write or credential failures */
	uint64_t act_accepted;
	uint64_t act_refused; /* by the daemon (act handler), not for rights */
	uint64_t journal_errors;
};

/* What the status object needs beyond the core's struct decide_status (SPEC "status --json"). */
struct control_status_extra {
	const char *node; /* [node] name */
	bool role_a;
	bool manual;
	const char *peer_name;    /* NULL: left out */
	const char *peer_version; /* software of the peer's latest hello; NULL: left out */
	const char *version;      /* software version; NULL: left out */
	/* Wall-clock ms = monotonic ms + wall_offset_ms: how the core's times become RFC 3339. */
	int64_t wall_offset_ms;
	uint64_t now_ms;     /* monotonic, for uptime */
	uint64_t started_ms; /* monotonic: when vigild started */
};

/* Create the socket (its folder 0755 if missing; a stale socket nobody listens on is replaced),
 * and serve it on l. -EADDRINUSE: a live server listens there; -EEXIST: the path is not a
 * socket; -ENAMETOOLONG; other errnos of mkdir, bind, chown, chmod, listen (the caller logs
 * them with the path). */
int control_new(struct loop *l, const struct control_options *opt, const struct control_handlers *h,
    void *arg, struct control **ret);
/* Drop every client, close the socket and remove it if it is still ours. */
void control_free(struct control *c);
const struct control_counters *control_counters(const struct control *c);
/* The counters as a JSON object (for status extras and dump). */
int control_counters_json(const struct control *c, struct json_object *ret);
const char *control_reject_name(enum control_reject r);

/* The rights rule, pure: 0, or -EACCES. groups: the caller's supplementary groups. */
int control_check_access(const struct control_policy *p, uid_t uid, gid_t gid, const gid_t *groups,
    size_t n_groups, bool act);
/* Whether cmd is an acting command (switch, handover, rejoin, reload, drill); false for read commands
 * and unknown names. */
bool control_cmd_is_act(const char *cmd);

/* Fill ret (an empty JSON object) with the SPEC "status --json" object, plus withheld, ready,
 * drill, peer.name, version, uptime_s. -ENOMEM, or -EINVAL on a NULL argument. */
int control_status_json(const struct decide_status *st, const struct control_status_extra *x,
    struct json_object *ret);

#endif /* VIGIL_CONTROL_H */
