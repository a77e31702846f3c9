/* proc.h: run a command without a shell on the loop: clean environment, bounded output, timeout that kills its process group. */
#ifndef VIGIL_PROC_H
#define VIGIL_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Bytes of output kept; the rest is read, counted and dropped. */
#define PROC_OUTPUT_MAX 4096
/* The PATH every command gets (SPEC [hooks]); proc_env_init() puts it first. */
#define PROC_ENV_PATH "PATH=/usr/sbin:/usr/bin:/sbin:/bin"
#define PROC_ENV_MAX 16
#define PROC_ENV_BUF 2048

struct loop;
struct proc;

struct proc_spec {
	/* argv[0] an absolute path (no PATH search); NULL-terminated. */
	const char *const *argv;
	/* The whole environment, NAME=VALUE, NULL-terminated; NULL = empty. */
	const char *const *envp;
	uint32_t timeout_ms; /* 0 = none */
	/*
	 * At the timeout: 0 = SIGKILL to the process group at once (the default: SPEC "killed at its
	 * timeout", and the bound holds even for a script that traps TERM); > 0 = SIGTERM to the
	 * group first and SIGKILL this long after, for hooks that must clean up.
	 */
	uint32_t term_grace_ms;
	bool discard_stderr; /* stderr to /dev/null (exec: checks parse stdout alone) */
	bool set_ids;        /* run as uid/gid, supplementary groups dropped */
	uid_t uid;
	gid_t gid;
};

struct proc_result {
	pid_t pid;
	int exit_code;      /* 0..255 if it exited, else -1 */
	int signo;          /* the signal that ended it, else 0 */
	int spawn_error;    /* 0, or -errno of a failed exec or id change (exit_code 127) */
	bool timed_out;     /* the timeout fired (the group was killed) */
	const char *output; /* stdout (+ stderr), the first PROC_OUTPUT_MAX bytes, NUL-terminated */
	size_t output_len;
	uint64_t output_total; /* all bytes read; > output_len when cut */
	uint64_t duration_ms;
};

/* Called once when the command has ended and been reaped; r and r->output live until it returns. */
typedef void proc_done_cb(const struct proc_result *r, void *arg);

/*
 * Start spec->argv[0] in a new session and process group, stdin /dev/null, stdout and stderr on
 * one non-blocking pipe, every other descriptor closed, signal mask and dispositions reset.
 * Returns 0 and *ret (if ret is not NULL; the handle is dead once cb starts), or -EINVAL (bad
 * spec), -EMFILE, -ENFILE, -ENOMEM, -EAGAIN (fork): then there is no callback. Completion is
 * the leader's exit, seen through a pidfd (Linux >= 5.3) on the loop, or by polling waitid every
 * 10 ms where pidfd_open fails; output still in the pipe then is read, a background child's
 * later output is not waited for. A timeout or a cancel kills the whole group, so background
 * children die with it; a normal exit leaves them be, and a descendant that left the group
 * (setsid, setpgid) escapes both. Nothing else in the process may reap our children (no
 * waitpid(-1), no SIGCHLD = SIG_IGN).
 */
int proc_run(struct loop *l, const struct proc_spec *spec, proc_done_cb *cb, void *arg,
    struct proc **ret);
/*
 * Kill the process group (SIGKILL) and forget the command: no callback after this. It is reaped
 * on the loop as soon as it is gone, so the loop must run (and outlive it) for a few ms more.
 */
void proc_cancel(struct proc *p);

/* A bounded environment builder for proc_spec.envp. */
struct proc_env {
	char buf[PROC_ENV_BUF];
	size_t used;
	const char *vars[PROC_ENV_MAX + 1]; /* NULL-terminated: give vars as proc_spec.envp */
	size_t n;
};

/* Start with PROC_ENV_PATH only. */
void proc_env_init(struct proc_env *e);
/* Add NAME=VALUE: 0, -EINVAL (NAME not [A-Za-z_][A-Za-z0-9_]*), -EEXIST (NAME is there), -E2BIG. */
int proc_env_add(struct proc_env *e, const char *name, const char *value);

/*
 * The first n_lines lines of output as one journal line in buf: line breaks become " | ",
 * other control bytes '?', cut to fit. Returns the number of lines taken.
 */
size_t proc_first_lines(const char *output, size_t len, size_t n_lines, char *buf, size_t buflen);

#endif /* VIGIL_PROC_H */
