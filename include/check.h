/* check.h: the module check of SPEC [module] (unix:, process:, pidfile:, exec:, tcp:), each run bounded by a timeout, and the exit watch. */
#ifndef VIGIL_CHECK_H
#define VIGIL_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* The longest unix: reply read: "PONG 2147483647\n" is 16 bytes. */
#define CHECK_REPLY_MAX 32
/* Runs of one check in flight at once; more are rejected (a flood must not eat descriptors). */
#define CHECK_MAX_RUNS 4

struct loop;
struct check;
struct check_run;
struct check_watch;

enum check_status {
	CHECK_STATUS_UP,       /* running: pid is the instance id (> 0) */
	CHECK_STATUS_DOWN,     /* not running: the pong carries no PID */
	CHECK_STATUS_REJECTED, /* not carried out, for a reason that says nothing about the module */
	CHECK_STATUS_COUNT,
};

/*
 * Why: the observation behind a status (STYLE 2), for counters and debug logs.
 * REJECTED comes only with RESOURCES (vigild itself out of descriptors, memory or processes:
 * EMFILE, ENFILE, ENOMEM, ENOBUFS, a fork's EAGAIN, a tcp connect's EADDRNOTAVAIL) or BUSY
 * (CHECK_MAX_RUNS in flight). Everything else, misconfiguration included (a missing exec:
 * program, an unreadable pidfile: EACCES), is DOWN: a reason that never goes away must not hide
 * the module forever, and a node whose check never passed is not ready to switch anyway.
 */
enum check_reason {
	CHECK_REASON_OK,
	CHECK_REASON_TIMEOUT, /* the whole check ran past its timeout */
	CHECK_REASON_CONNECT, /* unix:, tcp: connect failed (no socket, refused, backlog full, unreachable) */
	CHECK_REASON_IO,        /* unix: send or receive failed */
	CHECK_REASON_REPLY,     /* unix: the reply is not "PONG <pid>\n" */
	CHECK_REASON_NOT_FOUND, /* process: no live process of that name */
	CHECK_REASON_PIDFILE,   /* pidfile: missing, unreadable or not a PID */
	CHECK_REASON_STALE,     /* pidfile: its process is gone or a zombie */
	CHECK_REASON_EXIT,      /* exec: non-zero exit or killed by a signal */
	CHECK_REASON_SPAWN,     /* exec: the program could not be run (ENOENT, EACCES, ENOEXEC) */
	CHECK_REASON_RESOURCES, /* rejected: vigild out of descriptors, memory or processes */
	CHECK_REASON_BUSY,      /* rejected: CHECK_MAX_RUNS already in flight */
	CHECK_REASON_COUNT,
};

struct check_result {
	enum check_status status;
	enum check_reason reason;
	int32_t pid; /* the instance id when up, else 0 */
	int error;   /* 0, or the negative errno behind reason */
	uint64_t duration_ms;
};

/* Called once per run; the run handle is dead from the moment it starts. */
typedef void check_done_cb(const struct check_result *r, void *arg);

/*
 * One configured check and what it remembers between runs: for tcp: (and exec: printing no
 * number) the instance id is the wall-clock second, as int32, of the first success since the
 * last failure (SPEC [module]); it differs from the previous one even within the same second,
 * so a restart is always seen. A REJECTED run changes nothing. ck is copied.
 */
int check_new(struct loop *l, const struct config_check *ck, struct check **ret);
/* Cancels the runs in flight (no callbacks). */
void check_free(struct check *c);

/*
 * Run the check once, now (never cached), bounded by timeout_ms: past it the answer is DOWN
 * (TIMEOUT) and whatever is still going on is stopped (sockets closed, exec: group killed).
 * The result always arrives through cb, from the loop, never from inside check_start.
 * Returns 0, or -EINVAL (no kind, timeout 0) or -ENOMEM: then there is no callback and the
 * caller answers "rejected". ret may be NULL.
 *
 * unix:PATH   non-blocking connect, send "PING\n", read one line of at most CHECK_REPLY_MAX
 *             bytes, close; UP with the PID of "PONG <pid>\n" (check_parse_unix_reply), else DOWN.
 * process:NAME  scan /proc/PID/stat: the lowest PID whose comm is NAME (a NAME longer than the
 *             kernel's 15-byte comm: comm is its first 15 bytes and argv[0]'s basename is NAME),
 *             zombies skipped. Lowest wins so that a module's master, usually the oldest, is the
 *             instance. vigild's user must see the module in /proc (hidepid needs gid=).
 * pidfile:PATH  the PID in PATH (check_parse_pidfile), UP if kill(pid, 0) finds it (EPERM counts:
 *             another user's process exists) and it is not a zombie. A reused PID is not seen.
 * exec:PATH ARGS  run without a shell, environment PATH only, stderr dropped: exit 0 = UP with
 *             the first token of stdout (check_parse_exec_output), or with the remembered id (see
 *             check_new) when it prints no number; non-zero exit, signal or timeout = DOWN.
 * tcp:HOST:PORT  non-blocking connect; connected = UP with the remembered id; refused,
 *             unreachable, timeout = DOWN.
 */
int check_start(struct check *c, uint32_t timeout_ms, check_done_cb *cb, void *arg,
    struct check_run **ret);
/* Stop a run in flight: no callback after this. */
void check_cancel(struct check_run *r);

/* "PONG <pid>\n" exactly: pid decimal 1..INT32_MAX without sign or leading zero, nothing else. 0 or -EINVAL. */
int check_parse_unix_reply(const char *buf, size_t len, int32_t *ret_pid);
/* exec: stdout: leading blanks, then a first token that is such a decimal. 0, or -EINVAL: no number. */
int check_parse_exec_output(const char *buf, size_t len, int32_t *ret_pid);
/* A pidfile: blanks, such a decimal, blanks (a newline) and nothing else. 0 or -EINVAL. */
int check_parse_pidfile(const char *buf, size_t len, int32_t *ret_pid);

const char *check_status_name(enum check_status s);
const char *check_reason_name(enum check_reason r);

/*
 * Exit watch (SPEC "Exit watch"): for process:, pidfile: and unix: (the PID of the pong), never
 * exec: or tcp: (config_check_has_exit_watch). cb runs once, from the loop, the moment the
 * watched process exits (a pidfd turns readable), or at the next loop turn when it is already
 * gone when armed. The PID must live in vigild's PID namespace and be a process, not a thread.
 */
typedef void check_gone_cb(int32_t pid, void *arg);

int check_watch_new(struct loop *l, check_gone_cb *cb, void *arg, struct check_watch **ret);
/*
 * Watch pid: the same PID as now is a no-op (no second callback for one PID); another re-arms;
 * 0 stops. Returns 0, or a negative errno and watches nothing: -ENOSYS (kernel < 5.3), -EPERM
 * (a seccomp filter), -EINVAL (a thread id), -EMFILE, -ENOMEM. The caller says so and goes on
 * with the module pings alone.
 */
int check_watch_pid(struct check_watch *w, int32_t pid);
void check_watch_free(struct check_watch *w);

#endif /* VIGIL_CHECK_H */
