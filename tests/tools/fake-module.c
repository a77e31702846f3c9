/* fake-module.c: a stand-in module for the namespace tests, speaking the unix: check protocol (SPEC [module]: "PING\n" in, "PONG <pid>\n" out). */
/*
 * Usage:
 *   fake-module SOCKET [--pidfile FILE] [--once]   serve
 *   fake-module --ping SOCKET [--timeout-ms N]      ask once, print the reply line, exit 0 on PONG
 *
 * Serving: listens on the Unix socket SOCKET (a stale file there is replaced), writes its PID to
 * FILE once it listens (so a pidfile means "ready"), and answers each connection's first line:
 * "PING" gets "PONG <pid>", another line "ERR"; then the connection is closed (without an answer
 * when no whole line of at most LINE_MAX_BYTES came). Connections are served one at a time, each
 * bounded by CONN_TIMEOUT_MS, so a client that never writes cannot wedge it. SIGTERM or SIGINT: remove SOCKET and FILE, exit 0. SIGSTOP makes it a hung module:
 * the kernel still queues connections (up to the backlog) but nothing answers.
 * --once: exit after the first answered PING, for a crash loop that a script restarts.
 *
 * --ping: the client half, so the scripts need neither socat nor python to ask a module.
 * Exit 0 on a "PONG <pid>" reply, 1 on anything else or on timeout (default 1000 ms), 2 on usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4(2); the Makefile passes it too */
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CONN_TIMEOUT_MS 1000 /* per served connection: read the line, write the answer */
#define LINE_MAX_BYTES 64    /* "PING\n" is 5 */
#define BACKLOG 64

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static void usage(void)
{
	fprintf(stderr,
	    "usage: fake-module SOCKET [--pidfile FILE] [--once]\n"
	    "       fake-module --ping SOCKET [--timeout-ms N]\n");
	exit(2);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd has `events` or deadline_ms passes; 1 ready, 0 timeout, -1 error or stop. */
static int wait_fd(int fd, short events, int64_t deadline_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int n;

	for (;;) {
		left = deadline_ms - now_ms();
		if (left <= 0)
			return 0;
		n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 1;
		if (n == 0)
			return 0;
		if (errno != EINTR || stop_signal != 0)
			return -1;
	}
}

/* Read one line (without its '\n') into buf; 0 on success, -1 on EOF, error, overlong or timeout. */
static int read_line(int fd, char *buf, size_t size, int64_t deadline_ms)
{
	size_t len = 0;
	ssize_t n;
	char *nl;

	while (len < size - 1) {
		if (wait_fd(fd, POLLIN, deadline_ms) != 1)
			return -1;
		n = recv(fd, buf + len, size - 1 - len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		nl = memchr(buf, '\n', len);
		if (nl != NULL) {
			*nl = '\0';
			return 0;
		}
	}
	return -1;
}

static int write_all(int fd, const char *s, size_t len, int64_t deadline_ms)
{
	ssize_t n;

	while (len > 0) {
		if (wait_fd(fd, POLLOUT, deadline_ms) != 1)
			return -1;
		n = send(fd, s, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

static int make_addr(const char *path, struct sockaddr_un *ret)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(sun.sun_path)) {
		fprintf(stderr, "fake-module: %s: socket path empty or too long\n", path);
		return -1;
	}
	memcpy(sun.sun_path, path, n + 1);
	*ret = sun;
	return 0;
}

/* Write the pid through a temporary file and rename(2), so a reader never sees a half-written pid. */
static int write_pidfile(const char *path)
{
	char tmp[PATH_MAX];
	FILE *f;
	int n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	f = fopen(tmp, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int listen_on(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	if (make_addr(path, &sun) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("fake-module: socket");
		return -1;
	}
	/* A killed predecessor leaves its socket file: replace it, as a restarted module would. */
	if (unlink(path) < 0 && errno != ENOENT) {
		fprintf(stderr, "fake-module: unlink %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, BACKLOG) < 0) {
		fprintf(stderr, "fake-module: %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Answer one connection; returns true when it was a PING that got its PONG. */
static bool serve_one(int cfd)
{
	int64_t deadline_ms = now_ms() + CONN_TIMEOUT_MS;
	char line[LINE_MAX_BYTES];
	char reply[32];
	bool ping;
	int n;

	if (read_line(cfd, line, sizeof(line), deadline_ms) < 0)
		return false;
	ping = strcmp(line, "PING") == 0;
	if (ping)
		n = snprintf(reply, sizeof(reply), "PONG %ld\n", (long)getpid());
	else
		n = snprintf(reply, sizeof(reply), "ERR\n");
	if (n < 0 || (size_t)n >= sizeof(reply))
		return false;
	return write_all(cfd, reply, (size_t)n, deadline_ms) == 0 && ping;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	/* No SA_RESTART: accept(2) returns EINTR and the loop sees stop_signal. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int serve(const char *path, const char *pidfile, bool once)
{
	int lfd, cfd;
	bool answered;

	install_signals();
	lfd = listen_on(path);
	if (lfd < 0)
		return 1;
	if (pidfile != NULL && write_pidfile(pidfile) < 0) {
		fprintf(stderr, "fake-module: pidfile %s: %s\n", pidfile, strerror(errno));
		close(lfd);
		unlink(path);
		return 1;
	}
	while (stop_signal == 0) {
		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("fake-module: accept");
			break;
		}
		answered = serve_one(cfd);
		close(cfd);
		if (once && answered)
			break;
	}
	close(lfd);
	/* Only a clean stop tidies up: with --once the next instance replaces the socket itself. */
	if (stop_signal != 0) {
		unlink(path);
		if (pidfile != NULL)
			unlink(pidfile);
	}
	return 0;
}

static int ping(const char *path, int timeout_ms)
{
	int64_t deadline_ms = now_ms() + timeout_ms;
	struct sockaddr_un sun;
	char line[LINE_MAX_BYTES];
	long pid;
	char *end;
	int fd, ok;

	if (make_addr(path, &sun) < 0)
		return 1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "fake-module: connect %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	ok = write_all(fd, "PING\n", 5, deadline_ms) == 0 &&
	    read_line(fd, line, sizeof(line), deadline_ms) == 0;
	close(fd);
	if (!ok) {
		fprintf(stderr, "fake-module: %s: no reply within %d ms\n", path, timeout_ms);
		return 1;
	}
	printf("%s\n", line);
	if (strncmp(line, "PONG ", 5) != 0)
		return 1;
	errno = 0;
	pid = strtol(line + 5, &end, 10);
	return (errno == 0 && end != line + 5 && *end == '\0' && pid > 0) ? 0 : 1;
}

static int parse_ms(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0 || v > 600000)
		usage();
	return (int)v;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *pidfile = NULL, *ping_path = NULL;
	int timeout_ms = 1000;
	bool once = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--pidfile") == 0 && i + 1 < argc)
			pidfile = argv[++i];
		else if (strcmp(argv[i], "--once") == 0)
			once = true;
		else if (strcmp(argv[i], "--ping") == 0 && i + 1 < argc)
			ping_path = argv[++i];
		else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc)
			timeout_ms = parse_ms(argv[++i]);
		else if (argv[i][0] != '-' && path == NULL)
			path = argv[i];
		else
			usage();
	}
	if (ping_path != NULL) {
		if (path != NULL || pidfile != NULL || once)
			usage();
		return ping(ping_path, timeout_ms);
	}
	if (path == NULL)
		usage();
	return serve(path, pidfile, once);
}
