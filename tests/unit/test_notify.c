/* test_notify.c: systemd's notifications (daemon/notify.c) against a real AF_UNIX datagram socket standing in for systemd: messages, abstract names, the watchdog's interval and its stop with the loop, status polling, no NOTIFY_SOCKET. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../daemon/daemon.h"
#include "loop.h"

#define MSG_MAX 512
#define STAMPS_MAX 64

struct fix {
	char dir[64];
	char path[96];
	int sock; /* systemd's end */
	struct loop *l;
	struct notify *n;
	struct loop_io *io;
	uint64_t start_ms;
	uint64_t stamps[STAMPS_MAX]; /* loop time of each WATCHDOG=1 heard */
	int n_stamps;
	int before_stall; /* datagrams that arrived before the loop slept */
	int during_stall; /* and while it slept */
	char status[NOTIFY_STATUS_MAX];
};

/* ---- systemd's end ---- */

static int bind_path(struct fix *f)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	snprintf(f->path, sizeof(f->path), "%s/notify", f->dir);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", f->path);
	f->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (f->sock < 0 || bind(f->sock, (struct sockaddr *)&a, sizeof(a)) != 0)
		return -1;
	return setenv("NOTIFY_SOCKET", f->path, 1);
}

/* One datagram waiting, as a string; -1 if none. */
static int take(struct fix *f, char *buf, size_t len)
{
	ssize_t n = recv(f->sock, buf, len - 1, MSG_DONTWAIT);

	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

static void expect_msg(struct fix *f, const char *want)
{
	char buf[MSG_MAX];

	assert_true(take(f, buf, sizeof(buf)) >= 0);
	assert_string_equal(buf, want);
}

static void expect_none(struct fix *f)
{
	char buf[MSG_MAX];

	assert_int_equal(take(f, buf, sizeof(buf)), -1);
}

static int drain(struct fix *f)
{
	char buf[MSG_MAX];
	int n = 0;

	while (take(f, buf, sizeof(buf)) >= 0)
		n++;
	return n;
}

static void status_of(void *arg, char *ret_status, size_t len)
{
	struct fix *f = arg;

	snprintf(ret_status, len, "%s", f->status);
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->sock = -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-test-notify-XXXXXX");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	if (mkdtemp(f->dir) == NULL || bind_path(f) != 0 || loop_new(&f->l) != 0)
		return -1;
	snprintf(f->status, sizeof(f->status), "backup, generation 1");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	notify_free(f->n);
	if (f->io != NULL)
		loop_io_del(f->io);
	loop_free(f->l);
	if (f->sock >= 0)
		close(f->sock);
	unlink(f->path);
	rmdir(f->dir);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	free(f);
	return 0;
}

/* ---- the loop ---- */

static void on_stop(void *arg)
{
	loop_stop(arg);
}

/* Hear the watchdog from inside the loop, so each ping has the loop's time. */
static void on_heard(int fd, unsigned events, void *arg)
{
	struct fix *f = arg;
	char buf[MSG_MAX];

	(void)fd;
	(void)events;
	while (take(f, buf, sizeof(buf)) >= 0)
		if (strcmp(buf, "WATCHDOG=1") == 0 && f->n_stamps < STAMPS_MAX)
			f->stamps[f->n_stamps++] = loop_now_ms(f->l) - f->start_ms;
}

static void run_for(struct fix *f, uint64_t ms)
{
	struct loop_timer *stop = loop_timer_new(f->l, on_stop, f->l);

	assert_non_null(stop);
	assert_int_equal(loop_timer_at(stop, f->start_ms + ms), 0);
	assert_int_equal(loop_run(f->l), 0);
	loop_timer_free(stop);
}

static void open_ok(struct fix *f)
{
	assert_int_equal(notify_open(f->l, status_of, f, &f->n), 0);
	assert_non_null(f->n);
	f->start_ms = loop_now_ms(f->l);
}

/* ---- tests ---- */

static void test_absent(void **state)
{
	struct fix *f = *state;
	struct notify *n = (struct notify *)&n; /* must be overwritten */

	unsetenv("NOTIFY_SOCKET");
	setenv("WATCHDOG_USEC", "1000000", 1);
	assert_int_equal(notify_open(f->l, status_of, f, &n), 0);
	assert_null(n);
	setenv("NOTIFY_SOCKET", "", 1);
	assert_int_equal(notify_open(f->l, NULL, NULL, &n), 0);
	assert_null(n);
	/* Every call takes the NULL and does nothing. */
	assert_int_equal(notify_ready(NULL), 0);
	assert_int_equal(notify_status(NULL, "x"), 0);
	assert_int_equal(notify_send(NULL, "READY=1"), 0);
	assert_int_equal(notify_stopping(NULL), 0);
	assert_int_equal(notify_watchdog_ms(NULL), 0);
	notify_free(NULL);
	expect_none(f);
}

static void test_messages(void **state)
{
	struct fix *f = *state;

	open_ok(f);
	assert_int_equal(notify_watchdog_ms(f->n), 0);
	expect_none(f); /* nothing before READY */
	assert_int_equal(notify_ready(f->n), 0);
	expect_msg(f, "READY=1\nSTATUS=backup, generation 1");
	/* STATUS= only when it changed */
	assert_int_equal(notify_status(f->n, "backup, generation 1"), 0);
	expect_none(f);
	assert_int_equal(notify_status(f->n, "primary, generation 2"), 0);
	expect_msg(f, "STATUS=primary, generation 2");
	assert_int_equal(notify_stopping(f->n), 0);
	expect_msg(f, "STOPPING=1\nSTATUS=stopping");
	expect_none(f);
}

static void test_ready_without_status(void **state)
{
	struct fix *f = *state;

	assert_int_equal(notify_open(f->l, NULL, NULL, &f->n), 0);
	assert_int_equal(notify_ready(f->n), 0);
	expect_msg(f, "READY=1");
}

static void test_abstract(void **state)
{
	struct fix *f = *state;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char name[64];
	int len = snprintf(name, sizeof(name), "@vigil-test-notify-%d", (int)getpid());
	socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)len);

	/* Rebind systemd's end in the abstract namespace: '@' becomes the leading NUL. */
	close(f->sock);
	memcpy(a.sun_path, name, (size_t)len);
	a.sun_path[0] = '\0';
	f->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(f->sock >= 0);
	assert_int_equal(bind(f->sock, (struct sockaddr *)&a, alen), 0);
	setenv("NOTIFY_SOCKET", name, 1);
	open_ok(f);
	assert_int_equal(notify_ready(f->n), 0);
	expect_msg(f, "READY=1\nSTATUS=backup, generation 1");
}

static void test_bad_address(void **state)
{
	struct fix *f = *state;
	static const char *const bad[] = { "relative/notify", "@", "/", "vsock:2:1234" };
	char longest[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	struct notify *n = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("NOTIFY_SOCKET", bad[i], 1);
		assert_int_equal(notify_open(f->l, NULL, NULL, &n), -EINVAL);
		assert_null(n);
	}
	memset(longest, 'x', sizeof(longest) - 1);
	longest[0] = '/';
	longest[sizeof(longest) - 1] = '\0';
	setenv("NOTIFY_SOCKET", longest, 1);
	assert_int_equal(notify_open(f->l, NULL, NULL, &n), -EINVAL);
}

static void test_watchdog_env(void **state)
{
	struct fix *f = *state;
	static const struct {
		const char *usec, *pid;
		int self_pid;
		uint64_t want_ms;
	} rows[] = {
		{ "10000000", NULL, 0, 5000 }, /* WatchdogSec=10s: every 5 s */
		{ "3000000", NULL, 1, 1500 },  /* WATCHDOG_PID is ours */
		{ "3000000", "1", 0, 0 },      /* another process's */
		{ "3000000", "x", 0, 0 },
		{ "1000", NULL, 0, 1 }, /* under a millisecond: as often as the loop can */
		{ "0", NULL, 0, 0 },
		{ "-5", NULL, 0, 0 },
		{ "12abc", NULL, 0, 0 },
		{ "", NULL, 0, 0 },
	};
	char pid[32];

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		setenv("WATCHDOG_USEC", rows[i].usec, 1);
		if (rows[i].self_pid || rows[i].pid != NULL)
			setenv("WATCHDOG_PID", rows[i].self_pid ? pid : rows[i].pid, 1);
		else
			unsetenv("WATCHDOG_PID");
		assert_int_equal(notify_open(f->l, NULL, NULL, &f->n), 0);
		assert_int_equal(notify_watchdog_ms(f->n), rows[i].want_ms);
		notify_free(f->n);
		f->n = NULL;
	}
}

/* WATCHDOG_USEC=200ms: a ping every 100 ms from the loop, never sooner, none before the loop runs. */
static void test_watchdog_interval(void **state)
{
	struct fix *f = *state;

	setenv("WATCHDOG_USEC", "200000", 1);
	open_ok(f);
	assert_int_equal(notify_watchdog_ms(f->n), 100);
	expect_none(f);
	f->io = loop_io_add(f->l, f->sock, LOOP_READ, on_heard, f);
	assert_non_null(f->io);
	run_for(f, 550);
	/* 100, 200, ..., 500: five; a loaded machine may run a timer late, never early. */
	assert_in_range(f->n_stamps, 4, 5);
	assert_in_range(f->stamps[0], 100, 300);
	for (int i = 1; i < f->n_stamps; i++)
		assert_true(f->stamps[i] - f->stamps[i - 1] >= 95);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The loop stalls in a callback for 300 ms: the pings stop with it (systemd would restart
 * vigild), and resume when it runs again. */
static void on_stall(void *arg)
{
	struct fix *f = arg;

	f->before_stall = drain(f);
	sleep_ms(300);
	f->during_stall = drain(f);
}

static void test_watchdog_stops_with_the_loop(void **state)
{
	struct fix *f = *state;
	struct loop_timer *stall;

	setenv("WATCHDOG_USEC", "100000", 1);
	open_ok(f);
	stall = loop_timer_new(f->l, on_stall, f);
	assert_non_null(stall);
	assert_int_equal(loop_timer_at(stall, f->start_ms + 160), 0);
	run_for(f, 600);
	loop_timer_free(stall);
	assert_true(f->before_stall >= 1);    /* pinging before the stall, */
	assert_int_equal(f->during_stall, 0); /* silent during it, */
	assert_true(drain(f) >= 1);           /* and pinging again after it */
}

static void on_change(void *arg)
{
	struct fix *f = arg;

	snprintf(f->status, sizeof(f->status), "primary, generation 2");
}

/* STATUS= follows the state by polling (NOTIFY_STATUS_POLL_MS), once per change. */
static void test_status_poll(void **state)
{
	struct fix *f = *state;
	struct loop_timer *change;

	open_ok(f);
	assert_int_equal(notify_ready(f->n), 0);
	expect_msg(f, "READY=1\nSTATUS=backup, generation 1");
	change = loop_timer_new(f->l, on_change, f);
	assert_non_null(change);
	assert_int_equal(loop_timer_at(change, f->start_ms + 100), 0);
	run_for(f, NOTIFY_STATUS_POLL_MS + 300);
	loop_timer_free(change);
	expect_msg(f, "STATUS=primary, generation 2");
	expect_none(f);
}

/* systemd gone: the send fails with its errno, nothing blocks or crashes. */
static void test_send_failure(void **state)
{
	struct fix *f = *state;

	open_ok(f);
	close(f->sock);
	f->sock = -1;
	unlink(f->path);
	assert_true(notify_send(f->n, "WATCHDOG=1") < 0);
	assert_true(notify_ready(f->n) < 0);
	assert_int_equal(notify_stopping(f->n), -ENOENT);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_absent),
		T(test_messages),
		T(test_ready_without_status),
		T(test_abstract),
		T(test_bad_address),
		T(test_watchdog_env),
		T(test_watchdog_interval),
		T(test_watchdog_stops_with_the_loop),
		T(test_status_poll),
		T(test_send_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
