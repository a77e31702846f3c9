/* test_proc.c: the command runner (daemon/proc.c) with real processes on a real loop: status, signals, timeouts, output, environment, descriptors, cancel. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"
#include "proc.h"

#define SAFETY_MS 3000
#define OUT_MAX (PROC_OUTPUT_MAX + 1)

static char dir[64];

struct ctx {
	struct loop *l;
	struct loop_timer *safety;
	struct loop_timer *tick;
	struct loop_timer *action;
	struct proc *p;
	int calls;
	int ticks;
	bool expired;
	struct proc_result r;
	char out[OUT_MAX];
	uint64_t start_ms;
};

/* ---- files ---- */

static void path_in(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static void write_script(const char *name, const char *body, char *ret_path, size_t size)
{
	FILE *f;

	path_in(ret_path, size, name);
	f = fopen(ret_path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s", body);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(ret_path, 0755), 0);
}

static pid_t read_pid_file(const char *name)
{
	char path[128];
	FILE *f;
	int pid = 0;

	path_in(path, sizeof(path), name);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &pid), 1);
	fclose(f);
	return pid;
}

/* Gone or a zombie (an orphan waiting for init): not running any more. */
static bool pid_dead(pid_t pid)
{
	char path[64], buf[256];
	FILE *f;
	size_t n;
	const char *close;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return true;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	close = strrchr(buf, ')');
	return close != NULL && (close[2] == 'Z' || close[2] == 'X');
}

static bool wait_dead(pid_t pid, int ms)
{
	struct timespec ts = { .tv_nsec = 5 * 1000 * 1000 };

	for (int i = 0; i < ms / 5; i++) {
		if (pid_dead(pid))
			return true;
		nanosleep(&ts, NULL);
	}
	return pid_dead(pid);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vigil-test-proc-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	return nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* ---- the loop ---- */

static void on_safety(void *arg)
{
	struct ctx *c = arg;

	c->expired = true;
	loop_stop(c->l);
}

static void on_tick(void *arg)
{
	struct ctx *c = arg;

	c->ticks++;
	loop_timer_at(c->tick, loop_now_ms(c->l) + 10);
}

static void on_done(const struct proc_result *r, void *arg)
{
	struct ctx *c = arg;

	c->calls++;
	c->r = *r;
	assert_true(r->output_len < sizeof(c->out));
	memcpy(c->out, r->output, r->output_len + 1);
	c->r.output = c->out;
	assert_int_equal(r->output[r->output_len], '\0');
	loop_stop(c->l);
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	assert_int_equal(loop_new(&c->l), 0);
	c->safety = loop_timer_new(c->l, on_safety, c);
	c->tick = loop_timer_new(c->l, on_tick, c);
	assert_non_null(c->safety);
	assert_non_null(c->tick);
	c->start_ms = loop_now_ms(c->l);
	loop_timer_at(c->safety, c->start_ms + SAFETY_MS);
	*state = c;
	return 0;
}

/* Every child was reaped: no zombie of ours is left behind. */
static void assert_no_children(void)
{
	siginfo_t si = { 0 };
	int r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT);

	assert_true((r < 0 && errno == ECHILD) || (r == 0 && si.si_pid == 0));
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	loop_timer_free(c->safety);
	loop_timer_free(c->tick);
	loop_timer_free(c->action);
	loop_free(c->l);
	free(c);
	assert_no_children();
	return 0;
}

static void run(struct ctx *c, const char *const *argv, const char *const *envp,
    uint32_t timeout_ms)
{
	struct proc_spec spec = { .argv = argv, .envp = envp, .timeout_ms = timeout_ms };

	assert_int_equal(proc_run(c->l, &spec, on_done, c, &c->p), 0);
	assert_int_equal(loop_run(c->l), 0);
	assert_false(c->expired);
	assert_int_equal(c->calls, 1);
}

/* ---- status ---- */

static void test_exit_code(void **state)
{
	struct ctx *c = *state;
	const char *const argv[] = { "/bin/sh", "-c", "exit 3", NULL };

	run(c, argv, NULL, 0);
	assert_int_equal(c->r.exit_code, 3);
	assert_int_equal(c->r.signo, 0);
	assert_false(c->r.timed_out);
	assert_int_equal(c->r.spawn_error, 0);
	assert_true(c->r.pid > 0);
	assert_true(c->r.duration_ms < 1000);
}

static void test_signal(void **state)
{
	struct ctx *c = *state;
	const char *const argv[] = { "/bin/sh", "-c", "kill -TERM $$", NULL };

	run(c, argv, NULL, 0);
	assert_int_equal(c->r.exit_code, -1);
	assert_int_equal(c->r.signo, SIGTERM);
	assert_false(c->r.timed_out);
}

static void test_spawn_error(void **state)
{
	struct ctx *c = *state;
	char path[128];
	const char *const argv[] = { path, NULL };

	path_in(path, sizeof(path), "no-such-program");
	run(c, argv, NULL, 0);
	assert_int_equal(c->r.spawn_error, -ENOENT);
	assert_int_equal(c->r.exit_code, 127);
}

static void test_bad_spec(void **state)
{
	struct ctx *c = *state;
	const char *const rel[] = { "bin/sh", NULL };
	const char *const abs[] = { "/bin/true", NULL };
	const char *const bad_env[] = { "NOEQUALS", NULL };
	struct proc_spec s1 = { .argv = rel };
	struct proc_spec s2 = { .argv = abs, .envp = bad_env };
	struct proc_spec s3 = { .argv = NULL };

	assert_int_equal(proc_run(c->l, &s1, on_done, c, NULL), -EINVAL);
	assert_int_equal(proc_run(c->l, &s2, on_done, c, NULL), -EINVAL);
	assert_int_equal(proc_run(c->l, &s3, on_done, c, NULL), -EINVAL);
	assert_int_equal(proc_run(c->l, &s2, NULL, c, NULL), -EINVAL);
}

/* ---- timeout ---- */

/* A sleep 10 killed at 200 ms, its grandchild too; the loop kept ticking meanwhile. */
static void test_timeout_kills_group(void **state)
{
	struct ctx *c = *state;
	char script[128], body[256];
	const char *const argv[] = { script, NULL };
	pid_t gc;

	snprintf(body, sizeof(body), "/bin/sleep 10 &\necho $! > %s/gc.pid\n/bin/sleep 10\n", dir);
	write_script("group.sh", body, script, sizeof(script));
	loop_timer_at(c->tick, 0);
	run(c, argv, NULL, 200);
	assert_true(c->r.timed_out);
	assert_int_equal(c->r.signo, SIGKILL);
	assert_in_range(c->r.duration_ms, 200, 700);
	assert_true(c->ticks >= 10);
	gc = read_pid_file("gc.pid");
	assert_true(gc > 0);
	assert_true(wait_dead(gc, 1000));
}

/* term_grace_ms: SIGTERM first, which a trap can answer; its exit status is kept. */
static void test_timeout_term_grace(void **state)
{
	struct ctx *c = *state;
	char script[128];
	const char *const argv[] = { script, NULL };
	struct proc_spec spec = { .argv = argv, .timeout_ms = 150, .term_grace_ms = 500 };

	write_script("trap.sh", "trap 'echo term; exit 7' TERM\n/bin/sleep 10 &\nwait\n", script,
	    sizeof(script));
	assert_int_equal(proc_run(c->l, &spec, on_done, c, NULL), 0);
	assert_int_equal(loop_run(c->l), 0);
	assert_int_equal(c->calls, 1);
	assert_true(c->r.timed_out);
	assert_int_equal(c->r.exit_code, 7);
	assert_string_equal(c->out, "term\n");
	assert_in_range(c->r.duration_ms, 150, 600);
}

/* A script that ignores SIGTERM is killed when the grace ends. */
static void test_timeout_grace_then_kill(void **state)
{
	struct ctx *c = *state;
	char script[128];
	const char *const argv[] = { script, NULL };
	struct proc_spec spec = { .argv = argv, .timeout_ms = 100, .term_grace_ms = 150 };

	write_script("deaf.sh", "trap '' TERM\n/bin/sleep 10\n", script, sizeof(script));
	assert_int_equal(proc_run(c->l, &spec, on_done, c, NULL), 0);
	assert_int_equal(loop_run(c->l), 0);
	assert_int_equal(c->calls, 1);
	assert_true(c->r.timed_out);
	assert_int_equal(c->r.signo, SIGKILL);
	assert_in_range(c->r.duration_ms, 250, 800);
}

/* ---- output ---- */

static void test_output_both_streams(void **state)
{
	struct ctx *c = *state;
	const char *const argv[] = { "/bin/sh", "-c", "echo hello; echo oops >&2; echo world",
		NULL };

	run(c, argv, NULL, 0);
	assert_int_equal(c->r.exit_code, 0);
	assert_string_equal(c->out, "hello\noops\nworld\n");
	assert_int_equal(c->r.output_len, 17);
	assert_int_equal(c->r.output_total, 17);
}

static void test_output_discard_stderr(void **state)
{
	struct ctx *c = *state;
	const char *const argv[] = { "/bin/sh", "-c", "echo out; echo err >&2", NULL };
	struct proc_spec spec = { .argv = argv, .discard_stderr = true };

	assert_int_equal(proc_run(c->l, &spec, on_done, c, NULL), 0);
	assert_int_equal(loop_run(c->l), 0);
	assert_string_equal(c->out, "out\n");
}

/* The first 4 KiB are kept, the rest read and counted: the child never blocks on a full pipe. */
static void test_output_bound(void **state)
{
	struct ctx *c = *state;
	const char *const argv[] = { "/usr/bin/head", "-c", "1000000", "/dev/zero", NULL };

	run(c, argv, NULL, 2000);
	assert_int_equal(c->r.exit_code, 0);
	assert_false(c->r.timed_out);
	assert_int_equal(c->r.output_len, PROC_OUTPUT_MAX);
	assert_int_equal(c->r.output_total, 1000000);
}

/* ---- environment and descriptors ---- */

static void test_env_exact(void **state)
{
	struct ctx *c = *state;
	const char *const argv[] = { "/usr/bin/env", NULL };
	struct proc_env e;

	proc_env_init(&e);
	assert_int_equal(proc_env_add(&e, "VIGIL_EVENT", "commence"), 0);
	assert_int_equal(proc_env_add(&e, "VIGIL_REASON", "module-down"), 0);
	assert_int_equal(proc_env_add(&e, "VIGIL_NODE", "a"), 0);
	assert_int_equal(proc_env_add(&e, "VIGIL_PEER", "b"), 0);
	assert_int_equal(proc_env_add(&e, "VIGIL_GENERATION", "42"), 0);
	assert_int_equal(setenv("VIGIL_LEAK", "1", 1), 0); /* ours must not reach the child */
	run(c, argv, e.vars, 0);
	assert_string_equal(c->out,
	    PROC_ENV_PATH "\nVIGIL_EVENT=commence\nVIGIL_REASON=module-down\nVIGIL_NODE=a\n"
	                  "VIGIL_PEER=b\nVIGIL_GENERATION=42\n");
}

static void test_env_empty(void **state)
{
	struct ctx *c = *state;
	const char *const argv[] = { "/usr/bin/env", NULL };

	run(c, argv, NULL, 0);
	assert_int_equal(c->r.exit_code, 0);
	assert_string_equal(c->out, "");
}

/* The child holds 0, 1, 2 and nothing else, even a descriptor we left without close-on-exec. */
static void test_no_fd_leak(void **state)
{
	struct ctx *c = *state;
	/* ls lists the shell's descriptors (a glob in the shell would see its own directory handle). */
	const char *const argv[] = { "/bin/sh", "-c", "/bin/ls /proc/$$/fd", NULL };
	int leak = open("/dev/null", O_RDONLY);

	assert_true(leak >= 0);
	run(c, argv, NULL, 0);
	close(leak);
	assert_string_equal(c->out, "0\n1\n2\n");
}

/* stdin is /dev/null: a reader sees EOF at once. */
static void test_stdin_null(void **state)
{
	struct ctx *c = *state;
	const char *const argv[] = { "/bin/sh", "-c", "read x; echo \"rc=$?\"", NULL };

	run(c, argv, NULL, 1000);
	assert_false(c->r.timed_out);
	assert_string_equal(c->out, "rc=1\n");
}

/* Signals blocked or ignored by us are not so in the child. */
static void test_signals_reset(void **state)
{
	struct ctx *c = *state;
	/* exec: grep reads its own state, inherited through both execs, not the shell's, which may
	 * block signals for a moment while it waits (seen under load). */
	const char *const argv[] = { "/bin/sh", "-c",
		"exec grep -E '^Sig(Blk|Ign)' /proc/self/status", NULL };
	sigset_t set, old;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	assert_int_equal(sigprocmask(SIG_BLOCK, &set, &old), 0);
	assert_true(signal(SIGUSR2, SIG_IGN) != SIG_ERR);
	run(c, argv, NULL, 0);
	assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
	assert_true(signal(SIGUSR2, SIG_DFL) != SIG_ERR);
	/* Nothing blocked, nothing ignored reached the child. */
	assert_string_equal(c->out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

static void test_ids(void **state)
{
	struct ctx *c = *state;
	const char *const argv[] = { "/bin/sh", "-c", "echo $(id -u) $(id -g) $(id -G)", NULL };
	struct proc_spec spec = { .argv = argv, .set_ids = true, .uid = 65534, .gid = 65534 };

	if (geteuid() != 0)
		skip();
	assert_int_equal(proc_run(c->l, &spec, on_done, c, NULL), 0);
	assert_int_equal(loop_run(c->l), 0);
	assert_string_equal(c->out, "65534 65534 65534\n");
}

/* ---- cancel ---- */

static void on_cancel(void *arg)
{
	struct ctx *c = arg;

	proc_cancel(c->p);
	c->p = NULL;
	/* Let the loop reap it, then stop. */
	loop_timer_at(c->safety, loop_now_ms(c->l) + 100);
	c->expired = false;
}

static void on_safety_ok(void *arg)
{
	struct ctx *c = arg;

	loop_stop(c->l);
}

static void test_cancel(void **state)
{
	struct ctx *c = *state;
	char script[128], body[256];
	const char *const argv[] = { script, NULL };
	struct proc_spec spec = { .argv = argv, .timeout_ms = 5000 };
	pid_t gc;

	snprintf(body, sizeof(body), "/bin/sleep 10 &\necho $! > %s/gc2.pid\nwait\n", dir);
	write_script("cancel.sh", body, script, sizeof(script));
	loop_timer_free(c->safety);
	c->safety = loop_timer_new(c->l, on_safety_ok, c);
	c->action = loop_timer_new(c->l, on_cancel, c);
	assert_int_equal(proc_run(c->l, &spec, on_done, c, &c->p), 0);
	loop_timer_at(c->action, loop_now_ms(c->l) + 100);
	loop_timer_at(c->safety, loop_now_ms(c->l) + SAFETY_MS);
	assert_int_equal(loop_run(c->l), 0);
	assert_int_equal(c->calls, 0);
	assert_null(c->p);
	gc = read_pid_file("gc2.pid");
	assert_true(wait_dead(gc, 1000));
	/* teardown checks it was reaped */
}

/* A cancel right after the start, before the child even ran: no callback, nothing left. */
static void test_cancel_at_once(void **state)
{
	struct ctx *c = *state;
	const char *const argv[] = { "/bin/sleep", "10", NULL };
	struct proc_spec spec = { .argv = argv };

	loop_timer_free(c->safety);
	c->safety = loop_timer_new(c->l, on_safety_ok, c);
	assert_int_equal(proc_run(c->l, &spec, on_done, c, &c->p), 0);
	proc_cancel(c->p);
	loop_timer_at(c->safety, loop_now_ms(c->l) + 100);
	assert_int_equal(loop_run(c->l), 0);
	assert_int_equal(c->calls, 0);
}

/* ---- helpers ---- */

static void test_first_lines(void **state)
{
	char buf[32];
	const char out[] = "one\r\ntwo\tx\n\x01three\nfour\n";

	(void)state;
	assert_int_equal(proc_first_lines(out, strlen(out), 3, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "one | two x | ?three");
	assert_int_equal(proc_first_lines(out, strlen(out), 1, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "one");
	assert_int_equal(proc_first_lines(out, strlen(out), 9, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "one | two x | ?three | four");
	assert_int_equal(proc_first_lines("", 0, 3, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(proc_first_lines(out, strlen(out), 3, buf, 8), 2);
	assert_string_equal(buf, "one | t");
	assert_int_equal(proc_first_lines("no newline", 10, 2, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "no newline");
}

static void test_env_builder(void **state)
{
	struct proc_env e;
	char big[PROC_ENV_BUF];

	(void)state;
	proc_env_init(&e);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.vars[0], PROC_ENV_PATH);
	assert_null(e.vars[1]);
	assert_int_equal(proc_env_add(&e, "1BAD", "x"), -EINVAL);
	assert_int_equal(proc_env_add(&e, "", "x"), -EINVAL);
	assert_int_equal(proc_env_add(&e, "A=B", "x"), -EINVAL);
	assert_int_equal(proc_env_add(&e, "PATH", "/tmp"), -EEXIST);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(proc_env_add(&e, "BIG", big), -E2BIG);
	for (int i = 1; i < PROC_ENV_MAX; i++) {
		char name[16];

		snprintf(name, sizeof(name), "V%d", i);
		assert_int_equal(proc_env_add(&e, name, "v"), 0);
	}
	assert_int_equal(proc_env_add(&e, "ONE_MORE", "v"), -E2BIG);
	assert_null(e.vars[PROC_ENV_MAX]);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_exit_code),
		T(test_signal),
		T(test_spawn_error),
		T(test_bad_spec),
		T(test_timeout_kills_group),
		T(test_timeout_term_grace),
		T(test_timeout_grace_then_kill),
		T(test_output_both_streams),
		T(test_output_discard_stderr),
		T(test_output_bound),
		T(test_env_exact),
		T(test_env_empty),
		T(test_no_fd_leak),
		T(test_stdin_null),
		T(test_signals_reset),
		T(test_ids),
		T(test_cancel),
		T(test_cancel_at_once),
		cmocka_unit_test(test_first_lines),
		cmocka_unit_test(test_env_builder),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
