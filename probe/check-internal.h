/* check-internal.h: what the files of the module check share inside probe/ (not a door between folders). */
#ifndef VIGIL_PROBE_CHECK_INTERNAL_H
#define VIGIL_PROBE_CHECK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "config.h"

struct loop;
struct loop_io;
struct loop_timer;
struct proc;

struct check {
	struct loop *l;
	struct config_check ck;
	struct check_run *runs; /* in flight */
	size_t n_runs;
	int32_t
	    up_id; /* tcp:, exec: without a number: since the first success after the last failure */
	int32_t last_id; /* the one before, never handed out again right after a failure */
};

enum check_sock_phase {
	SOCK_CONNECTING,
	SOCK_SENDING,
	SOCK_READING,
};

struct check_run {
	struct check *c;
	struct check_run *next;
	check_done_cb *cb;
	void *arg;
	struct loop_timer *timer; /* the timeout, then the delivery of the result */
	uint64_t start_ms;
	bool done;
	struct check_result res;
	/* unix:, tcp: */
	int fd;
	struct loop_io *io;
	enum check_sock_phase phase;
	size_t sent;
	size_t len;
	char buf[CHECK_REPLY_MAX];
	/* exec: */
	struct proc *proc;
};

/*
 * The first result of a run wins: it stops what is still going on and is delivered from the
 * loop. pid 0 with UP asks for the remembered id (tcp:, exec: without a number).
 */
void check_run_done(struct check_run *r, enum check_status st, enum check_reason why, int err,
    int32_t pid);
/* DOWN for why, or REJECTED when err (negative) says vigild itself ran out of something. */
void check_run_fail(struct check_run *r, enum check_reason why, int err);
/* Descriptors, memory, buffers: the errors that say nothing about the module. */
bool check_errno_ours(int err);

/* Start one kind: each ends in check_run_done, at once or from the loop. */
void check_unix_start(struct check_run *r);
void check_tcp_start(struct check_run *r);
void check_process_start(struct check_run *r);
void check_pidfile_start(struct check_run *r);
void check_exec_start(struct check_run *r);
/* Close the socket of a unix: or tcp: run; stop the exec: child. */
void check_sock_release(struct check_run *r);
void check_exec_release(struct check_run *r);

/* /proc/PID/stat: comm (NUL-terminated, 16 bytes) and the state letter. 0 or -EINVAL. */
int check_parse_stat(const char *buf, size_t len, char *ret_comm, char *ret_state);

#endif /* VIGIL_PROBE_CHECK_INTERNAL_H */
