/* test_check.c: the module checks (probe/check*.c) and the exit watch against real sockets, processes and files, on a real loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"
#include "config.h"
#include "loop.h"

#define SAFETY_MS 3000
#define MAX_RESULTS 8

static char dir[64];

struct ctx {
	struct loop *l;
	struct loop_timer *safety;
	struct loop_timer *tick;
	struct loop_timer *action;
	struct check *c;
	struct check_watch *w;
	int ticks;
	bool expired;
	int n;    /* results so far */
	int want; /* stop the loop at this many */
	struct check_result r[MAX_RESULTS];
	uint64_t at_ms[MAX_RESULTS];
	int32_t gone[MAX_RESULTS];
	uint64_t start_ms;
	void (*action_fn)(struct ctx *);
};

/* ---- files and processes ---- */

static void path_in(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	path_in(path, sizeof(path), name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void write_script(const char *name, const char *body)
{
	char path[128], text[512];

	snprintf(text, sizeof(text), "#!/bin/sh\n%s", body);
	write_file(name, text);
	path_in(path, sizeof(path), name);
	assert_int_equal(chmod(path, 0755), 0);
}

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

	for (int i = 0; i < ms / 5 && !pid_dead(pid); i++)
		nanosleep(&ts, NULL);
	return pid_dead(pid);
}

/* A child that sets its comm (if given) and lives until *ret_wfd is closed. */
static pid_t spawn_sleeper(const char *comm, int *ret_wfd)
{
	int p[2];
	char b;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Hold no other sleeper's pipe open, so that each ends on its own. */
		close_range(3, (unsigned)p[0] - 1, 0);
		close_range((unsigned)p[0] + 1, ~0u, 0);
		if (comm != NULL)
			prctl(PR_SET_NAME, comm, 0, 0, 0);
		while (read(p[0], &b, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(p[0]);
	*ret_wfd = p[1];
	return pid;
}

/* The sleeper has renamed itself (it does so before anything else). */
static void wait_comm(pid_t pid, const char *name)
{
	char path[64], comm[32];
	struct timespec ts = { .tv_nsec = 2 * 1000 * 1000 };

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(path, "r");
		bool ok = f != NULL && fgets(comm, sizeof(comm), f) != NULL &&
		    strncmp(comm, name, strnlen(name, 15)) == 0;

		if (f != NULL)
			fclose(f);
		if (ok)
			return;
		nanosleep(&ts, NULL);
	}
	fail_msg("pid %d never took the name %s", (int)pid, name);
}

static void end_sleeper(pid_t pid, int wfd)
{
	close(wfd);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

/* A child that has exited but is not reaped yet. */
static pid_t spawn_zombie(const char *comm)
{
	int wfd;
	pid_t pid = spawn_sleeper(comm, &wfd);
	siginfo_t si = { 0 };

	close(wfd);
	assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	return pid;
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
	snprintf(dir, sizeof(dir), "/tmp/vigil-test-check-XXXXXX");
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

static void on_action(void *arg)
{
	struct ctx *c = arg;

	c->action_fn(c);
}

static void on_result(const struct check_result *r, void *arg)
{
	struct ctx *c = arg;

	assert_true(c->n < MAX_RESULTS);
	c->at_ms[c->n] = loop_now_ms(c->l) - c->start_ms;
	c->r[c->n++] = *r;
	if (c->n >= c->want)
		loop_stop(c->l);
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	assert_int_equal(loop_new(&c->l), 0);
	c->safety = loop_timer_new(c->l, on_safety, c);
	c->tick = loop_timer_new(c->l, on_tick, c);
	c->action = loop_timer_new(c->l, on_action, c);
	assert_true(c->safety && c->tick && c->action);
	c->start_ms = loop_now_ms(c->l);
	loop_timer_at(c->safety, c->start_ms + SAFETY_MS);
	c->want = 1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	siginfo_t si = { 0 };
	int r;

	check_free(c->c);
	check_watch_free(c->w);
	loop_timer_free(c->safety);
	loop_timer_free(c->tick);
	loop_timer_free(c->action);
	loop_free(c->l);
	free(c);
	/* Every child was reaped (exec: ones by proc, the test's own by the test). */
	r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT);
	assert_true((r < 0 && errno == ECHILD) || (r == 0 && si.si_pid == 0));
	return 0;
}

static struct config_check make_check(enum config_check_kind kind, const char *target)
{
	struct config_check ck = { .kind = kind };

	snprintf(ck.target, sizeof(ck.target), "%s", target);
	return ck;
}

static void start(struct ctx *c, const struct config_check *ck, uint32_t timeout_ms)
{
	if (c->c == NULL)
		assert_int_equal(check_new(c->l, ck, &c->c), 0);
	assert_int_equal(check_start(c->c, timeout_ms, on_result, c, NULL), 0);
}

/* Run one check to its result. */
static const struct check_result *run1(struct ctx *c, const struct config_check *ck,
    uint32_t timeout_ms)
{
	int before = c->n;

	start(c, ck, timeout_ms);
	c->want = before + 1;
	assert_int_equal(c->n, before); /* never from inside check_start */
	assert_int_equal(loop_run(c->l), 0);
	assert_false(c->expired);
	assert_int_equal(c->n, before + 1);
	return &c->r[before];
}

static void assert_down(const struct check_result *r, enum check_reason why)
{
	assert_int_equal(r->status, CHECK_STATUS_DOWN);
	assert_int_equal(r->pid, 0);
	assert_string_equal(check_reason_name(r->reason), check_reason_name(why));
}

static void assert_up(const struct check_result *r, int32_t pid)
{
	assert_int_equal(r->status, CHECK_STATUS_UP);
	assert_int_equal(r->reason, CHECK_REASON_OK);
	assert_int_equal(r->pid, pid);
}

/* ---- unix: ---- */

struct server {
	int lfd;
	const char *reply;
	bool split; /* send the reply in two parts */
	char got[16];
	ssize_t wrote;
	pthread_t thread;
};

static void *server_main(void *arg)
{
	struct server *s = arg;
	int fd = accept(s->lfd, NULL, NULL);
	size_t n = 0, half = strlen(s->reply) / 2;
	struct timespec ts = { .tv_nsec = 20 * 1000 * 1000 };
	ssize_t k;

	if (fd < 0)
		return NULL;
	while (n < sizeof(s->got) - 1 && (k = read(fd, s->got + n, 1)) == 1 && s->got[n++] != '\n')
		;
	if (s->split) {
		s->wrote += write(fd, s->reply, half);
		nanosleep(&ts, NULL);
	}
	s->wrote +=
	    write(fd, s->reply + (s->split ? half : 0), strlen(s->reply) - (s->split ? half : 0));
	close(fd);
	return NULL;
}

static int unix_listen(const char *name, char *ret_path, size_t size)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	path_in(ret_path, size, name);
	unlink(ret_path);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ret_path);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static const struct check_result *unix_exchange(struct ctx *c, struct server *s, bool split)
{
	char path[128];
	struct config_check ck;
	const struct check_result *r;

	s->lfd = unix_listen("mod.sock", path, sizeof(path));
	s->split = split;
	ck = make_check(CHECK_UNIX, path);
	assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
	r = run1(c, &ck, 1000);
	assert_int_equal(pthread_join(s->thread, NULL), 0);
	assert_int_equal(s->wrote, (ssize_t)strlen(s->reply));
	close(s->lfd);
	return r;
}

static void test_unix_pong(void **state)
{
	struct ctx *c = *state;
	struct server s = { .reply = "PONG 1234\n" };

	assert_up(unix_exchange(c, &s, false), 1234);
	assert_string_equal(s.got, "PING\n");
}

static void test_unix_pong_in_pieces(void **state)
{
	struct ctx *c = *state;
	struct server s = { .reply = "PONG 77\n" };

	assert_up(unix_exchange(c, &s, true), 77);
}

static void test_unix_garbage(void **state)
{
	struct ctx *c = *state;
	struct server s = { .reply = "HELLO 1234\n" };

	assert_down(unix_exchange(c, &s, false), CHECK_REASON_REPLY);
}

static void test_unix_no_newline(void **state)
{
	struct ctx *c = *state;
	struct server s = { .reply = "PONG 1234" }; /* then closes */

	assert_down(unix_exchange(c, &s, false), CHECK_REASON_REPLY);
}

static void test_unix_endless_line(void **state)
{
	struct ctx *c = *state;
	struct server s = { .reply = "PONG 1234567890123456789012345678901234567890\n" };

	assert_down(unix_exchange(c, &s, false), CHECK_REASON_REPLY);
}

/* Accepted by the kernel (backlog), never answered: not running at the timeout; the loop ticks on. */
static void test_unix_silent(void **state)
{
	struct ctx *c = *state;
	char path[128];
	int lfd = unix_listen("silent.sock", path, sizeof(path));
	struct config_check ck = make_check(CHECK_UNIX, path);
	const struct check_result *r;

	loop_timer_at(c->tick, 0);
	r = run1(c, &ck, 200);
	assert_down(r, CHECK_REASON_TIMEOUT);
	assert_in_range(r->duration_ms, 200, 600);
	assert_in_range(c->at_ms[0], 200, 600);
	assert_true(c->ticks >= 10);
	close(lfd);
}

static void test_unix_missing(void **state)
{
	struct ctx *c = *state;
	char path[128];
	struct config_check ck;
	const struct check_result *r;

	path_in(path, sizeof(path), "nobody.sock");
	ck = make_check(CHECK_UNIX, path);
	r = run1(c, &ck, 1000);
	assert_down(r, CHECK_REASON_CONNECT);
	assert_int_equal(r->error, -ENOENT);
}

/* A socket file nobody listens on any more. */
static void test_unix_refused(void **state)
{
	struct ctx *c = *state;
	char path[128];
	int lfd = unix_listen("dead.sock", path, sizeof(path));
	struct config_check ck = make_check(CHECK_UNIX, path);
	const struct check_result *r;

	close(lfd);
	r = run1(c, &ck, 1000);
	assert_down(r, CHECK_REASON_CONNECT);
	assert_int_equal(r->error, -ECONNREFUSED);
}

/* ---- process: ---- */

static void test_process_found(void **state)
{
	struct ctx *c = *state;
	char name[16];
	int w1, w2;
	pid_t p1, p2;
	struct config_check ck;

	snprintf(name, sizeof(name), "vgt%d", (int)getpid());
	ck = make_check(CHECK_PROCESS, name);
	p1 = spawn_sleeper(name, &w1);
	p2 = spawn_sleeper(name, &w2);
	wait_comm(p1, name);
	wait_comm(p2, name);
	assert_up(run1(c, &ck, 1000), p1 < p2 ? p1 : p2);
	end_sleeper(p1 < p2 ? p1 : p2, p1 < p2 ? w1 : w2);
	assert_up(run1(c, &ck, 1000), p1 < p2 ? p2 : p1);
	end_sleeper(p1 < p2 ? p2 : p1, p1 < p2 ? w2 : w1);
	assert_down(run1(c, &ck, 1000), CHECK_REASON_NOT_FOUND);
}

static void test_process_zombie(void **state)
{
	struct ctx *c = *state;
	char name[16];
	struct config_check ck;
	pid_t z;

	snprintf(name, sizeof(name), "vgz%d", (int)getpid());
	ck = make_check(CHECK_PROCESS, name);
	z = spawn_zombie(name);
	assert_down(run1(c, &ck, 1000), CHECK_REASON_NOT_FOUND);
	assert_int_equal(waitpid(z, NULL, 0), z);
}

/* A name longer than comm: comm holds its first 15 bytes, argv[0]'s basename holds all of it. */
static void test_process_long_name(void **state)
{
	struct ctx *c = *state;
	char name[64], link[128];
	int wdecoy;
	pid_t real, decoy;
	struct config_check ck;

	snprintf(name, sizeof(name), "vigil-long-%07d-module", (int)getpid());
	path_in(link, sizeof(link), name);
	assert_int_equal(symlink("/bin/sleep", link), 0);
	ck = make_check(CHECK_PROCESS, name);
	decoy = spawn_sleeper(name, &wdecoy); /* comm cut to 15 bytes, argv[0] the test's */
	wait_comm(decoy, name);
	assert_down(run1(c, &ck, 1000), CHECK_REASON_NOT_FOUND);
	real = fork();
	assert_true(real >= 0);
	if (real == 0) {
		execl(link, link, "10", (char *)NULL);
		_exit(127);
	}
	wait_comm(real, name);
	assert_up(run1(c, &ck, 1000), real);
	kill(real, SIGKILL);
	assert_int_equal(waitpid(real, NULL, 0), real);
	end_sleeper(decoy, wdecoy);
}

/* ---- pidfile: ---- */

static const struct check_result *pidfile_run(struct ctx *c, const char *content)
{
	char path[128];
	struct config_check ck;

	path_in(path, sizeof(path), "mod.pid");
	unlink(path);
	if (content != NULL)
		write_file("mod.pid", content);
	ck = make_check(CHECK_PIDFILE, path);
	return run1(c, &ck, 1000);
}

static void test_pidfile_alive(void **state)
{
	struct ctx *c = *state;
	char text[32];
	int w;
	pid_t pid = spawn_sleeper(NULL, &w);

	snprintf(text, sizeof(text), "%d\n", (int)pid);
	assert_up(pidfile_run(c, text), pid);
	end_sleeper(pid, w);
}

static void test_pidfile_stale(void **state)
{
	struct ctx *c = *state;
	char text[32];
	int w;
	pid_t pid = spawn_sleeper(NULL, &w);

	end_sleeper(pid, w);
	snprintf(text, sizeof(text), "%d\n", (int)pid);
	assert_down(pidfile_run(c, text), CHECK_REASON_STALE);
	pid = spawn_zombie(NULL);
	snprintf(text, sizeof(text), "%d", (int)pid);
	assert_down(pidfile_run(c, text), CHECK_REASON_STALE);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

static void test_pidfile_bad(void **state)
{
	struct ctx *c = *state;
	const struct check_result *r;
	char path[128];

	assert_down(pidfile_run(c, "abc\n"), CHECK_REASON_PIDFILE);
	assert_down(pidfile_run(c, ""), CHECK_REASON_PIDFILE);
	assert_down(pidfile_run(c, "12 34\n"), CHECK_REASON_PIDFILE);
	r = pidfile_run(c, NULL);
	assert_down(r, CHECK_REASON_PIDFILE);
	assert_int_equal(r->error, -ENOENT);
	/* A FIFO where the pidfile should be: answered at once, not waited on. */
	path_in(path, sizeof(path), "mod.pid");
	assert_int_equal(mkfifo(path, 0600), 0);
	r = run1(c, &(struct config_check){ .kind = CHECK_PIDFILE }, 1000); /* same check object */
	assert_down(r, CHECK_REASON_PIDFILE);
	assert_true(r->duration_ms < 100);
	unlink(path);
}

/* ---- exec: ---- */

static struct config_check exec_check(const char *name, const char *body, const char *args)
{
	char path[128], line[256];

	write_script(name, body);
	path_in(path, sizeof(path), name);
	snprintf(line, sizeof(line), "%s%s%s", path, args ? " " : "", args ? args : "");
	return make_check(CHECK_EXEC, line);
}

static void test_exec_pid(void **state)
{
	struct ctx *c = *state;
	struct config_check ck =
	    exec_check("ok.sh", "echo warning >&2\necho \"  $1 $2\"\n", "4321 x");

	assert_up(run1(c, &ck, 1000), 4321);
}

static void test_exec_fail(void **state)
{
	struct ctx *c = *state;
	struct config_check ck = exec_check("fail.sh", "echo 4321\nexit 1\n", NULL);

	assert_down(run1(c, &ck, 1000), CHECK_REASON_EXIT);
}

static void test_exec_missing(void **state)
{
	struct ctx *c = *state;
	char path[128];
	struct config_check ck;
	const struct check_result *r;

	path_in(path, sizeof(path), "no-such-check");
	ck = make_check(CHECK_EXEC, path);
	r = run1(c, &ck, 1000);
	assert_down(r, CHECK_REASON_SPAWN);
	assert_int_equal(r->error, -ENOENT);
}

/* Past the timeout: not running, the script and its children killed, the loop ticking meanwhile. */
static void test_exec_hang(void **state)
{
	struct ctx *c = *state;
	char body[256], path[128];
	struct config_check ck;
	const struct check_result *r;
	FILE *f;
	int pid = 0, gc = 0;

	snprintf(body, sizeof(body), "/bin/sleep 10 &\necho $$ $! > %s/hang.pid\nwait\n", dir);
	ck = exec_check("hang.sh", body, NULL);
	loop_timer_at(c->tick, 0);
	r = run1(c, &ck, 200);
	assert_down(r, CHECK_REASON_TIMEOUT);
	assert_in_range(c->at_ms[0], 200, 600);
	assert_true(c->ticks >= 10);
	path_in(path, sizeof(path), "hang.pid");
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d %d", &pid, &gc), 2);
	fclose(f);
	/* proc reaps the script on the loop: let it run a little. */
	c->want = c->n + 1;
	loop_timer_at(c->safety, loop_now_ms(c->l) + 100);
	assert_int_equal(loop_run(c->l), 0);
	assert_true(wait_dead(pid, 1000));
	assert_true(wait_dead(gc, 1000));
}

/* No number: up, with an id that stays while it keeps passing and changes after a failure. */
static void test_exec_no_number(void **state)
{
	struct ctx *c = *state;
	char body[256], flag[128];
	struct config_check ck;
	int32_t id1, id2;
	time_t now = time(NULL);

	path_in(flag, sizeof(flag), "fail.flag");
	snprintf(body, sizeof(body), "[ -e %s ] && exit 1\necho up\n", flag);
	ck = exec_check("nonum.sh", body, NULL);
	id1 = run1(c, &ck, 1000)->pid;
	assert_in_range(id1, (now - 2) & INT32_MAX, (now + 2) & INT32_MAX);
	assert_up(run1(c, &ck, 1000), id1);
	write_file("fail.flag", "");
	assert_down(run1(c, &ck, 1000), CHECK_REASON_EXIT);
	unlink(flag);
	id2 = run1(c, &ck, 1000)->pid;
	assert_true(id2 > 0);
	assert_true(id2 != id1);
	assert_up(run1(c, &ck, 1000), id2);
}

/* ---- tcp: ---- */

static int tcp_listen(int family, uint16_t port, uint16_t *ret_port)
{
	struct sockaddr_storage ss = { .ss_family = (sa_family_t)family };
	socklen_t len =
	    family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int one = 1, fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	if (family == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	}
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		close(fd);
		return -1;
	}
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*ret_port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
	                                    : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static struct config_check tcp_check(int family, uint16_t port)
{
	struct config_check ck = make_check(CHECK_TCP, "");

	ck.tcp_addr.family = family;
	assert_int_equal(inet_pton(family, family == AF_INET ? "127.0.0.1" : "::1",
	                     ck.tcp_addr.bytes),
	    1);
	ck.tcp_port = port;
	return ck;
}

static void test_tcp_up_down_up(void **state)
{
	struct ctx *c = *state;
	uint16_t port = 0;
	int fd = tcp_listen(AF_INET, 0, &port);
	struct config_check ck = tcp_check(AF_INET, port);
	time_t now = time(NULL);
	int32_t id1, id2;

	id1 = run1(c, &ck, 1000)->pid;
	assert_int_equal(c->r[0].status, CHECK_STATUS_UP);
	assert_in_range(id1, (now - 2) & INT32_MAX, (now + 2) & INT32_MAX);
	assert_up(run1(c, &ck, 1000), id1);
	close(fd);
	assert_down(run1(c, &ck, 1000), CHECK_REASON_CONNECT);
	assert_int_equal(c->r[2].error, -ECONNREFUSED);
	fd = tcp_listen(AF_INET, port, &port);
	assert_true(fd >= 0);
	id2 = run1(c, &ck, 1000)->pid;
	assert_true(id2 > 0 && id2 != id1); /* a new instance, even within the same second */
	close(fd);
}

static void test_tcp_closed_port(void **state)
{
	struct ctx *c = *state;
	uint16_t port = 0;
	int fd = tcp_listen(AF_INET, 0, &port);
	struct config_check ck = tcp_check(AF_INET, port);

	close(fd);
	assert_down(run1(c, &ck, 1000), CHECK_REASON_CONNECT);
}

static void test_tcp_ipv6(void **state)
{
	struct ctx *c = *state;
	uint16_t port = 0;
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	struct config_check ck;

	if (fd < 0)
		skip();
	close(fd);
	fd = tcp_listen(AF_INET6, 0, &port);
	if (fd < 0)
		skip(); /* no ::1 here */
	ck = tcp_check(AF_INET6, port);
	assert_int_equal(run1(c, &ck, 1000)->status, CHECK_STATUS_UP);
	close(fd);
}

/* ---- runs in flight ---- */

/* More than CHECK_MAX_RUNS at once: the extra one is rejected; the others time out together. */
static void test_busy(void **state)
{
	struct ctx *c = *state;
	char path[128];
	int lfd = unix_listen("busy.sock", path, sizeof(path));
	struct config_check ck = make_check(CHECK_UNIX, path);

	for (int i = 0; i <= CHECK_MAX_RUNS; i++)
		start(c, &ck, 150);
	c->want = CHECK_MAX_RUNS + 1;
	assert_int_equal(loop_run(c->l), 0);
	assert_int_equal(c->n, CHECK_MAX_RUNS + 1);
	assert_int_equal(c->r[0].status, CHECK_STATUS_REJECTED);
	assert_int_equal(c->r[0].reason, CHECK_REASON_BUSY);
	for (int i = 1; i <= CHECK_MAX_RUNS; i++)
		assert_down(&c->r[i], CHECK_REASON_TIMEOUT);
	close(lfd);
}

static void cancel_all(struct ctx *c)
{
	check_free(c->c); /* runs in flight: no callbacks */
	c->c = NULL;
	loop_timer_at(c->safety, loop_now_ms(c->l) + 100); /* proc reaps the killed script */
}

static void test_cancel(void **state)
{
	struct ctx *c = *state;
	struct check_run *run = NULL;
	struct config_check ck = exec_check("slow.sh", "/bin/sleep 10\n", NULL);
	struct config_check tk = tcp_check(AF_INET, 9);

	assert_int_equal(check_new(c->l, &ck, &c->c), 0);
	assert_int_equal(check_start(c->c, 1000, on_result, c, &run), 0);
	check_cancel(run);
	assert_int_equal(check_start(c->c, 1000, on_result, c, NULL), 0);
	assert_int_equal(check_start(c->c, 0, on_result, c, NULL), -EINVAL);
	tk.kind = CHECK_NONE;
	assert_int_equal(check_new(c->l, &tk, &(struct check *){ NULL }), -EINVAL);
	c->action_fn = cancel_all;
	loop_timer_at(c->action, loop_now_ms(c->l) + 50);
	loop_timer_free(c->safety);
	c->safety = loop_timer_new(c->l, on_safety, c);
	loop_timer_at(c->safety, loop_now_ms(c->l) + SAFETY_MS);
	assert_int_equal(loop_run(c->l), 0);
	assert_int_equal(c->n, 0);
}

/* ---- exit watch ---- */

struct watch_case {
	pid_t pid;
	int wfd;
};

static struct watch_case wc[2];

static void on_gone(int32_t pid, void *arg)
{
	struct ctx *c = arg;

	assert_true(c->n < MAX_RESULTS);
	c->gone[c->n] = pid;
	c->at_ms[c->n++] = loop_now_ms(c->l) - c->start_ms;
	if (c->n >= c->want)
		loop_timer_at(c->safety,
		    loop_now_ms(c->l) + 50); /* a second call would show up here */
}

static void end_first(struct ctx *c)
{
	assert_int_equal(c->n, 0); /* not before it exits */
	close(wc[0].wfd);
	wc[0].wfd = -1;
}

static void watch_setup(struct ctx *c)
{
	assert_int_equal(check_watch_new(c->l, on_gone, c, &c->w), 0);
	loop_timer_free(c->safety);
	c->safety = loop_timer_new(c->l, on_safety, c);
	loop_timer_at(c->safety, loop_now_ms(c->l) + SAFETY_MS);
	c->action_fn = end_first;
}

static void test_watch_fires_on_exit(void **state)
{
	struct ctx *c = *state;

	watch_setup(c);
	wc[0].pid = spawn_sleeper(NULL, &wc[0].wfd);
	assert_int_equal(check_watch_pid(c->w, wc[0].pid), 0);
	assert_int_equal(check_watch_pid(c->w, wc[0].pid), 0); /* same PID: no-op */
	loop_timer_at(c->action, loop_now_ms(c->l) + 100);
	assert_int_equal(loop_run(c->l), 0);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->gone[0], wc[0].pid);
	assert_in_range(c->at_ms[0], 100, 500);
	assert_int_equal(check_watch_pid(c->w, wc[0].pid),
	    0); /* reported already: no second call */
	assert_int_equal(waitpid(wc[0].pid, NULL, 0), wc[0].pid);
}

/* Re-armed on another PID: the old one's exit says nothing; the new one's does. */
static void test_watch_rearm(void **state)
{
	struct ctx *c = *state;
	struct watch_case old;

	watch_setup(c);
	old.pid = spawn_sleeper(NULL, &old.wfd);
	wc[0].pid = spawn_sleeper(NULL, &wc[0].wfd);
	assert_int_equal(check_watch_pid(c->w, old.pid), 0);
	assert_int_equal(check_watch_pid(c->w, wc[0].pid), 0);
	end_sleeper(old.pid, old.wfd);
	loop_timer_at(c->action,
	    loop_now_ms(c->l) + 150); /* end_first: asserts nothing came before */
	assert_int_equal(loop_run(c->l), 0);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->gone[0], wc[0].pid);
	assert_in_range(c->at_ms[0], 150, 600);
	assert_int_equal(waitpid(wc[0].pid, NULL, 0), wc[0].pid);
}

/* Already gone when armed: reported from the loop, once. */
static void test_watch_already_gone(void **state)
{
	struct ctx *c = *state;
	int w;
	pid_t pid = spawn_sleeper(NULL, &w);

	end_sleeper(pid, w);
	watch_setup(c);
	assert_int_equal(check_watch_pid(c->w, pid), 0);
	assert_int_equal(c->n, 0);
	assert_int_equal(loop_run(c->l), 0);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->gone[0], pid);
}

static void test_watch_stop(void **state)
{
	struct ctx *c = *state;

	watch_setup(c);
	wc[0].pid = spawn_sleeper(NULL, &wc[0].wfd);
	assert_int_equal(check_watch_pid(c->w, wc[0].pid), 0);
	assert_int_equal(check_watch_pid(c->w, 0), 0);
	assert_int_equal(check_watch_pid(c->w, -1), -EINVAL);
	loop_timer_at(c->action, loop_now_ms(c->l) + 20);
	loop_timer_at(c->safety, loop_now_ms(c->l) + 200);
	assert_int_equal(loop_run(c->l), 0);
	assert_int_equal(c->n, 0);
	c->expired = false;
	assert_int_equal(waitpid(wc[0].pid, NULL, 0), wc[0].pid);
}

/* ---- parsers and names ---- */

static void test_parse_unix_reply(void **state)
{
	static const struct {
		const char *in;
		int32_t pid; /* 0: refused */
	} cases[] = {
		{ "PONG 1234\n", 1234 },
		{ "PONG 1\n", 1 },
		{ "PONG 2147483647\n", INT32_MAX },
		{ "PONG 2147483648\n", 0 },
		{ "PONG 0\n", 0 },
		{ "PONG 01\n", 0 },
		{ "PONG -1\n", 0 },
		{ "PONG +1\n", 0 },
		{ "PONG 1234", 0 },
		{ "PONG 1234\r\n", 0 },
		{ "PONG  1\n", 0 },
		{ "pong 1\n", 0 },
		{ "PONG\n", 0 },
		{ "PONG \n", 0 },
		{ "PONG 12 \n", 0 },
		{ "PONG 12\nX", 0 },
		{ "", 0 },
		{ "PING\n", 0 },
		{ "PONG 99999999999999999999\n", 0 },
	};
	int32_t pid;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid = -7;
		int r = check_parse_unix_reply(cases[i].in, strlen(cases[i].in), &pid);

		if (cases[i].pid == 0) {
			assert_int_equal(r, -EINVAL);
			assert_int_equal(pid, -7); /* untouched */
		} else {
			assert_int_equal(r, 0);
			assert_int_equal(pid, cases[i].pid);
		}
	}
	assert_int_equal(check_parse_unix_reply("PONG 5\n", 7, &pid), 0); /* no NUL needed */
}

static void test_parse_exec_pidfile(void **state)
{
	int32_t pid = 0;

	(void)state;
	assert_int_equal(check_parse_exec_output("4321\n", 5, &pid), 0);
	assert_int_equal(pid, 4321);
	assert_int_equal(check_parse_exec_output(" \n 77 extra words\n", 19, &pid), 0);
	assert_int_equal(pid, 77);
	assert_int_equal(check_parse_exec_output("12abc\n", 6, &pid), -EINVAL);
	assert_int_equal(check_parse_exec_output("up\n", 3, &pid), -EINVAL);
	assert_int_equal(check_parse_exec_output("", 0, &pid), -EINVAL);
	assert_int_equal(check_parse_exec_output("0\n", 2, &pid), -EINVAL);
	assert_int_equal(check_parse_exec_output("99", 2, &pid), 0);
	assert_int_equal(pid, 99);
	assert_int_equal(check_parse_pidfile("  42 \n", 6, &pid), 0);
	assert_int_equal(pid, 42);
	assert_int_equal(check_parse_pidfile("42\n43\n", 6, &pid), -EINVAL);
	assert_int_equal(check_parse_pidfile("\n", 1, &pid), -EINVAL);
	assert_string_equal(check_status_name(CHECK_STATUS_DOWN), "not-running");
	assert_string_equal(check_reason_name(CHECK_REASON_TIMEOUT), "timeout");
	assert_string_equal(check_reason_name(CHECK_REASON_COUNT), "?");
	for (int i = 0; i < CHECK_REASON_COUNT; i++)
		assert_non_null(check_reason_name(i));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_unix_pong),
		T(test_unix_pong_in_pieces),
		T(test_unix_garbage),
		T(test_unix_no_newline),
		T(test_unix_endless_line),
		T(test_unix_silent),
		T(test_unix_missing),
		T(test_unix_refused),
		T(test_process_found),
		T(test_process_zombie),
		T(test_process_long_name),
		T(test_pidfile_alive),
		T(test_pidfile_stale),
		T(test_pidfile_bad),
		T(test_exec_pid),
		T(test_exec_fail),
		T(test_exec_missing),
		T(test_exec_hang),
		T(test_exec_no_number),
		T(test_tcp_up_down_up),
		T(test_tcp_closed_port),
		T(test_tcp_ipv6),
		T(test_busy),
		T(test_cancel),
		T(test_watch_fires_on_exit),
		T(test_watch_rearm),
		T(test_watch_already_gone),
		T(test_watch_stop),
		cmocka_unit_test(test_parse_unix_reply),
		cmocka_unit_test(test_parse_exec_pidfile),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
