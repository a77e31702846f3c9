/* proc.c: the one runner for hooks and exec: checks (STYLE 28): fork+exec without a shell, its output and its end watched on the loop. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop.h"
#include "proc.h"

#define PROC_POLL_MS 10     /* waitid polling: no pidfd, or a cancel without one */
#define PROC_DRAIN_READS 16 /* reads per wake-up: a chatty child cannot hold the loop */
#define PROC_FINAL_READS 4  /* rounds of PROC_DRAIN_READS once the leader is gone */
#define PROC_SCRATCH 4096
#define FD_FLOOR 3 /* the child rebuilds 0..2: what it inherits must sit above them */
#define FD_FALLBACK_MAX 65536

enum proc_phase {
	PHASE_RUNNING,
	PHASE_TERM,     /* timed out, SIGTERM sent, SIGKILL at deadline_ms */
	PHASE_KILLED,   /* timed out, SIGKILL sent */
	PHASE_DETACHED, /* cancelled: reaped silently, then freed */
};

struct proc {
	struct loop *l;
	proc_done_cb *cb;
	void *arg;
	pid_t pid;
	int pidfd;  /* -1: completion found by polling waitid */
	int out_fd; /* read end of the stdout/stderr pipe, non-blocking; -1 after EOF */
	int err_fd; /* read end of the exec-error pipe, non-blocking */
	struct loop_io *pid_io;
	struct loop_io *out_io;
	struct loop_timer *timer;
	enum proc_phase phase;
	bool timed_out;
	uint32_t grace_ms;
	uint64_t start_ms;
	uint64_t deadline_ms; /* the timeout, then the SIGKILL after the grace; LOOP_NEVER */
	size_t out_len;
	uint64_t out_total;
	char out[PROC_OUTPUT_MAX + 1];
};

/* The descriptors a child gets, opened before fork. */
struct spawn_fds {
	int null_fd; /* /dev/null read-write: stdin, and stderr when discarded */
	int out[2];
	int err[2]; /* close-on-exec: EOF = exec worked, an int = the errno it failed with */
};

/* What the child uses, prepared before fork: after fork it makes async-signal-safe calls only. */
struct child_ctx {
	const struct proc_spec *spec;
	char *const *envp;
	const struct spawn_fds *fds;
	int max_fd;
};

static int sys_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* ---- the child ---- */

static void child_signals(void)
{
	/*
	 * The raw call, with an all-zero kernel sigaction (SIG_DFL on every architecture), also
	 * reaches the signals libc reserves (32, 33): sigaction() refuses them, yet a parent such as
	 * timeout(1) may have left them ignored. EINVAL for SIGKILL and SIGSTOP: nothing to reset.
	 */
	static const uint64_t dfl[8];
	sigset_t none;

	for (int signo = 1; signo < NSIG; signo++)
		(void)syscall(SYS_rt_sigaction, signo, dfl, NULL, (size_t)(NSIG - 1) / 8);
	/* Cannot fail with a valid how; the parent blocked everything around fork(). */
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Close every descriptor above 2 but the exec-error pipe (close-on-exec itself). */
static int child_close_rest(int keep, int max_fd)
{
	if ((keep == FD_FLOOR || close_range(FD_FLOOR, (unsigned)keep - 1, 0) == 0) &&
	    close_range((unsigned)keep + 1, ~0u, 0) == 0)
		return 0;
	if (errno != ENOSYS)
		return errno;
	/* Kernel < 5.9: close one by one; EBADF for the unused numbers is expected. */
	for (int fd = FD_FLOOR; fd < max_fd; fd++)
		if (fd != keep)
			(void)close(fd);
	return 0;
}

static int child_fds(const struct child_ctx *c)
{
	const struct spawn_fds *f = c->fds;

	if (dup2(f->null_fd, 0) < 0 || dup2(f->out[1], 1) < 0 ||
	    dup2(c->spec->discard_stderr ? f->null_fd : f->out[1], 2) < 0)
		return errno;
	return child_close_rest(f->err[1], c->max_fd);
}

static int child_ids(const struct proc_spec *s)
{
	if (!s->set_ids)
		return 0;
	/* Only root may drop supplementary groups; a non-root caller has none to drop for another id. */
	if (geteuid() == 0 && setgroups(0, NULL) < 0)
		return errno;
	if (setresgid(s->gid, s->gid, s->gid) < 0 || setresuid(s->uid, s->uid, s->uid) < 0)
		return errno;
	return 0;
}

static _Noreturn void child_exec(const struct child_ctx *c)
{
	int e = setsid() < 0 ? errno : 0;

	child_signals();
	if (e == 0)
		e = child_fds(c);
	if (e == 0)
		e = child_ids(c->spec);
	if (e == 0) {
		execve(c->spec->argv[0], (char *const *)c->spec->argv, c->envp);
		e = errno;
	}
	while (write(c->fds->err[1], &e, sizeof(e)) < 0 && errno == EINTR)
		;
	_exit(127);
}

/* ---- descriptors ---- */

static void fd_close(int *fd)
{
	/* close() errors (EINTR, EIO) leave nothing to retry on Linux: the descriptor is gone. */
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

/* Move a descriptor that landed on 0..2 (a caller that closed stdin) out of the child's way. */
static int fd_lift(int *fd)
{
	int high;

	if (*fd >= FD_FLOOR)
		return 0;
	high = fcntl(*fd, F_DUPFD_CLOEXEC, FD_FLOOR);
	if (high < 0)
		return -errno;
	fd_close(fd);
	*fd = high;
	return 0;
}

static int fd_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static void fds_close(struct spawn_fds *f)
{
	fd_close(&f->null_fd);
	for (int i = 0; i < 2; i++) {
		fd_close(&f->out[i]);
		fd_close(&f->err[i]);
	}
}

/* Only the parent's read ends are non-blocking: the child's stdout stays a normal blocking pipe. */
static int fds_open(struct spawn_fds *f)
{
	int *all[] = { &f->null_fd, &f->out[0], &f->out[1], &f->err[0], &f->err[1] };
	int e = 0;

	*f = (struct spawn_fds){ .null_fd = -1, .out = { -1, -1 }, .err = { -1, -1 } };
	f->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (f->null_fd < 0 || pipe2(f->out, O_CLOEXEC) < 0 || pipe2(f->err, O_CLOEXEC) < 0)
		e = -errno;
	for (size_t i = 0; e == 0 && i < sizeof(all) / sizeof(all[0]); i++)
		e = fd_lift(all[i]);
	if (e == 0)
		e = fd_nonblock(f->out[0]);
	if (e == 0)
		e = fd_nonblock(f->err[0]);
	if (e < 0)
		fds_close(f);
	return e;
}

/* ---- the parent ---- */

static int proc_fork(const struct child_ctx *c, pid_t *ret_pid)
{
	sigset_t all, old;
	pid_t pid;
	int e;

	/* No handler of ours may run in the child before it resets them (posix_spawn does the same). */
	(void)sigfillset(&all);
	e = pthread_sigmask(SIG_SETMASK, &all, &old);
	if (e != 0)
		return -e;
	pid = fork();
	if (pid == 0)
		child_exec(c);
	e = pid < 0 ? -errno : 0;
	/* Restores a mask it just read: cannot fail. */
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e == 0)
		*ret_pid = pid;
	return e;
}

static int proc_spawn(struct proc *p, const struct proc_spec *s)
{
	static char *const no_env[] = { NULL };
	struct spawn_fds f;
	long max_fd = sysconf(_SC_OPEN_MAX);
	struct child_ctx c = {
		.spec = s,
		.envp = s->envp ? (char *const *)s->envp : no_env,
		.fds = &f,
		.max_fd = max_fd > 0 && max_fd < FD_FALLBACK_MAX ? (int)max_fd : FD_FALLBACK_MAX,
	};
	int e = fds_open(&f);

	if (e == 0)
		e = proc_fork(&c, &p->pid);
	if (e == 0) {
		p->out_fd = f.out[0];
		p->err_fd = f.err[0];
		f.out[0] = f.err[0] = -1;
	}
	fds_close(&f);
	return e;
}

/* The group (grandchildren too) and the leader itself, in case it has not reached setsid() yet. */
static void proc_kill(struct proc *p, int signo)
{
	/*
	 * The leader is unreaped here, so neither number can have been reused. Errors leave nothing
	 * to do: ESRCH is a group not made yet or gone, EPERM a child that changed to another uid.
	 */
	(void)kill(-p->pid, signo);
	(void)kill(p->pid, signo);
}

/* 1 if pid has ended (reaped unless WNOWAIT), 0 if not, or a negative errno (ECHILD: reaped elsewhere). */
static int proc_wait(pid_t pid, int flags, siginfo_t *ret)
{
	siginfo_t si = { 0 };
	int r;

	do
		r = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | flags);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	*ret = si;
	return si.si_pid == pid ? 1 : 0;
}

/* Read what the pipe holds: false at EOF or on an error (stop watching), true for "more later". */
static bool proc_read(struct proc *p)
{
	char scratch[PROC_SCRATCH];

	for (int i = 0; i < PROC_DRAIN_READS; i++) {
		size_t room = PROC_OUTPUT_MAX - p->out_len;
		ssize_t n = read(p->out_fd, room ? p->out + p->out_len : scratch,
		    room ? room : sizeof(scratch));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 && errno == EAGAIN;
		if (room > 0)
			p->out_len += (size_t)n;
		p->out_total += (uint64_t)n;
	}
	return true;
}

static void proc_close_output(struct proc *p)
{
	loop_io_del(p->out_io);
	p->out_io = NULL;
	fd_close(&p->out_fd);
}

static void proc_free(struct proc *p)
{
	loop_io_del(p->pid_io);
	loop_timer_free(p->timer);
	proc_close_output(p);
	fd_close(&p->pidfd);
	fd_close(&p->err_fd);
	free(p);
}

static int proc_spawn_error(struct proc *p)
{
	int e = 0;
	ssize_t n;

	do
		n = read(p->err_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(e) && e > 0 ? -e : 0;
}

static void proc_finish(struct proc *p, const siginfo_t *si)
{
	struct proc_result r = { .pid = p->pid, .exit_code = -1, .timed_out = p->timed_out };

	/* What the leader wrote before it ended: at most a pipe's worth is left, 64 KiB by default. */
	for (int i = 0; i < PROC_FINAL_READS && p->out_fd >= 0; i++)
		if (!proc_read(p))
			proc_close_output(p);
	if (si->si_code == CLD_EXITED)
		r.exit_code = si->si_status;
	else if (si->si_code == CLD_KILLED || si->si_code == CLD_DUMPED)
		r.signo = si->si_status;
	r.spawn_error = proc_spawn_error(p);
	p->out[p->out_len] = '\0';
	r.output = p->out;
	r.output_len = p->out_len;
	r.output_total = p->out_total;
	r.duration_ms = loop_now_ms(p->l) - p->start_ms;
	if (p->cb != NULL)
		p->cb(&r, p->arg);
	proc_free(p);
}

/* Reap the leader if it has ended: true if it has (and p is freed). */
static bool proc_try_reap(struct proc *p)
{
	siginfo_t si = { 0 };
	int r = proc_wait(p->pid, WNOWAIT, &si);

	if (r == 0)
		return false;
	/* Still a zombie: its number is ours, so the group can be killed safely, stragglers included. */
	if (r > 0 && (p->timed_out || p->phase == PHASE_DETACHED))
		proc_kill(p, SIGKILL);
	if (r > 0)
		(void)proc_wait(p->pid, 0, &si);
	proc_finish(p, &si); /* r < 0 (reaped by someone else): no status, exit_code -1 */
	return true;
}

static void proc_arm(struct proc *p, uint64_t now_ms)
{
	uint64_t at = p->deadline_ms;

	if (p->pidfd < 0 && now_ms + PROC_POLL_MS < at)
		at = now_ms + PROC_POLL_MS;
	loop_timer_at(p->timer, at);
}

static void proc_expire(struct proc *p, uint64_t now_ms)
{
	if (p->phase == PHASE_RUNNING)
		p->timed_out = true;
	if (p->phase == PHASE_RUNNING && p->grace_ms > 0) {
		proc_kill(p, SIGTERM);
		p->phase = PHASE_TERM;
		p->deadline_ms = now_ms + p->grace_ms;
		return;
	}
	proc_kill(p, SIGKILL);
	p->phase = PHASE_KILLED;
	p->deadline_ms = LOOP_NEVER;
}

static void proc_on_timer(void *arg)
{
	struct proc *p = arg;
	uint64_t now = loop_now_ms(p->l);

	if (p->pidfd < 0 && proc_try_reap(p))
		return;
	if (now >= p->deadline_ms)
		proc_expire(p, now);
	proc_arm(p, now);
}

static void proc_on_exit(int fd, unsigned events, void *arg)
{
	(void)fd;
	(void)events;
	(void)proc_try_reap(arg);
}

static void proc_on_output(int fd, unsigned events, void *arg)
{
	struct proc *p = arg;

	(void)fd;
	(void)events;
	if (!proc_read(p))
		proc_close_output(p);
}

/* Watch the end (pidfd, else polling) and the output. */
static int proc_watch(struct proc *p)
{
	p->pidfd = sys_pidfd_open(p->pid);
	if (p->pidfd >= 0) {
		p->pid_io = loop_io_add(p->l, p->pidfd, LOOP_READ, proc_on_exit, p);
		if (p->pid_io == NULL)
			fd_close(&p->pidfd);
	}
	proc_arm(p, loop_now_ms(p->l));
	p->out_io = loop_io_add(p->l, p->out_fd, LOOP_READ, proc_on_output, p);
	return p->out_io ? 0 : -ENOMEM;
}

static bool proc_spec_valid(const struct proc_spec *s)
{
	if (s == NULL || s->argv == NULL || s->argv[0] == NULL || s->argv[0][0] != '/')
		return false;
	for (const char *const *e = s->envp; e != NULL && *e != NULL; e++) {
		const char *eq = strchr(*e, '=');

		if (eq == NULL || eq == *e)
			return false;
	}
	return true;
}

static int proc_new(struct loop *l, const struct proc_spec *s, proc_done_cb *cb, void *arg,
    struct proc **ret)
{
	struct proc *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return -ENOMEM;
	*p = (struct proc){ .l = l,
		.cb = cb,
		.arg = arg,
		.pidfd = -1,
		.out_fd = -1,
		.err_fd = -1,
		.grace_ms = s->term_grace_ms,
		.start_ms = loop_now_ms(l),
		.deadline_ms = LOOP_NEVER };
	if (s->timeout_ms > 0)
		p->deadline_ms = p->start_ms + s->timeout_ms;
	p->timer = loop_timer_new(l, proc_on_timer, p);
	if (p->timer == NULL) {
		free(p);
		return -ENOMEM;
	}
	*ret = p;
	return 0;
}

int proc_run(struct loop *l, const struct proc_spec *spec, proc_done_cb *cb, void *arg,
    struct proc **ret)
{
	struct proc *p;
	int e;

	if (l == NULL || cb == NULL || !proc_spec_valid(spec))
		return -EINVAL;
	e = proc_new(l, spec, cb, arg, &p);
	if (e < 0)
		return e;
	e = proc_spawn(p, spec);
	if (e < 0) {
		proc_free(p);
		return e;
	}
	e = proc_watch(p);
	if (e < 0) {
		proc_cancel(p); /* running already: kill it and reap it on the loop */
		return e;
	}
	if (ret != NULL)
		*ret = p;
	return 0;
}

void proc_cancel(struct proc *p)
{
	if (p == NULL)
		return;
	p->cb = NULL;
	p->arg = NULL;
	p->phase = PHASE_DETACHED;
	p->deadline_ms = LOOP_NEVER;
	proc_kill(p, SIGKILL);
	proc_close_output(p);
	if (!proc_try_reap(p))
		proc_arm(p, loop_now_ms(p->l));
}

/* ---- environment and journal helpers ---- */

void proc_env_init(struct proc_env *e)
{
	*e = (struct proc_env){ .n = 0 };
	(void)proc_env_add(e, "PATH", PROC_ENV_PATH + sizeof("PATH=") - 1); /* fits: a constant */
}

static bool env_name_ok(const char *name)
{
	if (!(name[0] == '_' || (name[0] >= 'A' && name[0] <= 'Z') ||
	        (name[0] >= 'a' && name[0] <= 'z')))
		return false;
	for (const char *c = name + 1; *c != '\0'; c++)
		if (!(*c == '_' || (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		        (*c >= '0' && *c <= '9')))
			return false;
	return true;
}

static bool env_has(const struct proc_env *e, const char *name, size_t len)
{
	for (size_t i = 0; i < e->n; i++)
		if (strncmp(e->vars[i], name, len) == 0 && e->vars[i][len] == '=')
			return true;
	return false;
}

int proc_env_add(struct proc_env *e, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	char *dst = e->buf + e->used;

	if (!env_name_ok(name))
		return -EINVAL;
	if (env_has(e, name, nl))
		return -EEXIST;
	if (e->n >= PROC_ENV_MAX || nl + vl + 2 > sizeof(e->buf) - e->used)
		return -E2BIG;
	memcpy(dst, name, nl);
	dst[nl] = '=';
	memcpy(dst + nl + 1, value, vl + 1);
	e->used += nl + vl + 2;
	e->vars[e->n++] = dst;
	e->vars[e->n] = NULL;
	return 0;
}

/* Append n bytes, control bytes as '?' (a tab as a blank, a CR dropped); false when buf is full. */
static bool lines_put(char *buf, size_t buflen, size_t *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\r')
			continue;
		if (*o + 1 >= buflen)
			return false;
		buf[(*o)++] = ch == '\t' ? ' ' : (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	return true;
}

size_t proc_first_lines(const char *output, size_t len, size_t n_lines, char *buf, size_t buflen)
{
	size_t o = 0, lines = 0, i = 0;

	if (buflen == 0)
		return 0;
	while (i < len && lines < n_lines) {
		const char *nl = memchr(output + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (output + i)) : len - i;
		bool ok = (lines == 0 || lines_put(buf, buflen, &o, " | ", 3)) &&
		    lines_put(buf, buflen, &o, output + i, n);

		lines++;
		i += n + 1;
		if (!ok)
			break;
	}
	buf[o] = '\0';
	return lines;
}
