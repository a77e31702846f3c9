/* ctl-client.c: vigilctl's side of the control socket: one request out, answer lines in (doc/control.md). */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ctlclient.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define READ_CHUNK 65536

struct linebuf {
	char *buf;
	size_t len;
	size_t cap;
};

__attribute__((format(printf, 3, 4))) static int fail(struct ctl_reply *ret, int r, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ret->error, sizeof(ret->error), fmt, ap);
	va_end(ap);
	return r;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A daemon's words, printable: control bytes become '?' (they would reach a terminal). */
static void copy_printable(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	for (; src[i] != '\0' && i + 1 < size; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? '?' : src[i];
	dst[i] = '\0';
}

static int connect_failed(const char *path, int e, struct ctl_reply *ret)
{
	if (e == ENOENT)
		return fail(ret, -ENOENT, "vigild is not running (no socket at %s)", path);
	if (e == ECONNREFUSED)
		return fail(ret, -ECONNREFUSED, "vigild is not running (nobody listens on %s)",
		    path);
	if (e == EACCES || e == EPERM)
		return fail(ret, -EACCES,
		    "permission denied on %s: run as root or as a member of vigild's control_group",
		    path);
	if (e == EAGAIN || e == ETIMEDOUT)
		return fail(ret, -ETIMEDOUT, "vigild did not accept the connection on %s in time",
		    path);
	return fail(ret, -e, "%s: %s", path, strerror(e));
}

/* Connect, bounded by timeout_ms: an AF_UNIX connect waits for a full backlog up to SO_SNDTIMEO. */
static int ctl_connect(const char *path, int timeout_ms, int *ret_fd, struct ctl_reply *ret)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(ret, -ENAMETOOLONG, "%s: socket path too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(ret, -errno, "socket: %s", strerror(errno));
	if (timeout_ms > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		e = errno;
		(void)close(fd); /* the first error is the one to report */
		return fail(ret, -e, "setsockopt: %s", strerror(e));
	}
	if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		(void)close(fd); /* the first error is the one to report */
		return connect_failed(path, e, ret);
	}
	*ret_fd = fd;
	return 0;
}

static int add_member(struct json_object *o, const char *key, struct json_object *v)
{
	if (v == NULL || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* The request line: only the members that were asked for (the daemon refuses options a
 * command does not take). */
static int request_send(int fd, const struct ctl_request *rq, struct ctl_reply *ret)
{
	struct json_object *o = json_object_new_object();
	int r = o != NULL ? add_member(o, "cmd", json_object_new_string(rq->cmd)) : -ENOMEM;
	const char *s;
	size_t len, off = 0;
	char line[1024];

	if (r == 0 && rq->force)
		r = add_member(o, "force", json_object_new_boolean(1));
	if (r == 0 && rq->follow)
		r = add_member(o, "follow", json_object_new_boolean(1));
	if (r == 0 && rq->n > 0)
		r = add_member(o, "n", json_object_new_int64(rq->n));
	if (r == 0 && rq->scenario != NULL)
		r = add_member(o, "scenario", json_object_new_string(rq->scenario));
	if (r == 0 && rq->for_ms > 0)
		r = add_member(o, "for_ms", json_object_new_int64(rq->for_ms));
	if (r == 0 && rq->live)
		r = add_member(o, "live", json_object_new_boolean(1));
	s = r == 0 ? json_object_to_json_string_length(o, JSON_FLAGS, &len) : NULL;
	if (s == NULL || len + 1 >= sizeof(line)) {
		json_object_put(o);
		return fail(ret, -ENOMEM, "cannot build the request");
	}
	memcpy(line, s, len);
	line[len++] = '\n';
	json_object_put(o);
	while (off < len) {
		ssize_t n = send(fd, line + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(ret, -errno, "sending the request: %s", strerror(errno));
		off += (size_t)n;
	}
	return 0;
}

/* The final line: ok, or the daemon's reason mapped to an errno by its code. */
static int final_line(struct json_object *o, struct ctl_reply *ret)
{
	struct json_object *ok, *err, *code;
	const char *c;

	if (!json_object_object_get_ex(o, "ok", &ok) || !json_object_is_type(ok, json_type_boolean))
		return fail(ret, -EPROTO, "garbled answer from vigild (no \"ok\")");
	if (json_object_get_boolean(ok)) {
		ret->final = json_object_get(o);
		return 0;
	}
	if (json_object_object_get_ex(o, "error", &err) &&
	    json_object_is_type(err, json_type_string))
		copy_printable(ret->error, sizeof(ret->error), json_object_get_string(err));
	else
		snprintf(ret->error, sizeof(ret->error), "vigild refused (no reason given)");
	c = json_object_object_get_ex(o, "code", &code) ? json_object_get_string(code) : "";
	if (c != NULL && strcmp(c, "permission") == 0)
		return -EACCES;
	if (c != NULL && strcmp(c, "bad-request") == 0)
		return -EINVAL;
	if (c != NULL && strcmp(c, "busy") == 0)
		return -EBUSY;
	return -EREMOTEIO;
}

/* 1: the final line was met (*ret_rc says how it ended); 0: more lines needed. */
static int take_line(char *line, size_t len, ctl_line_fn *fn, void *arg, struct ctl_reply *ret,
    int *ret_rc)
{
	struct json_object *o = json_tokener_parse(line);
	int r = 0;

	(void)len;
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		*ret_rc = fail(ret, -EPROTO, "garbled answer from vigild (not a JSON object)");
		return 1;
	}
	if (json_object_object_get_ex(o, "ok", NULL)) {
		*ret_rc = final_line(o, ret);
		r = 1;
	} else if (fn != NULL && (*ret_rc = fn(o, arg)) != 0) {
		fail(ret, *ret_rc, "stopped");
		r = 1;
	}
	json_object_put(o);
	return r;
}

/* Every complete line in lb; 1 when the answer is over. */
static int take_lines(struct linebuf *lb, ctl_line_fn *fn, void *arg, struct ctl_reply *ret,
    int *ret_rc)
{
	char *start = lb->buf, *nl;
	int done = 0;

	while (!done && (nl = memchr(start, '\n', lb->len - (size_t)(start - lb->buf))) != NULL) {
		*nl = '\0';
		done = take_line(start, (size_t)(nl - start), fn, arg, ret, ret_rc);
		start = nl + 1;
	}
	lb->len -= (size_t)(start - lb->buf);
	memmove(lb->buf, start, lb->len);
	return done;
}

static int wait_readable(int fd, int64_t deadline, struct ctl_reply *ret)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do {
		int64_t left = deadline < 0 ? -1 : deadline - mono_ms();

		if (deadline >= 0 && left <= 0)
			return fail(ret, -ETIMEDOUT, "vigild did not answer in time");
		r = poll(&p, 1, left < 0 ? -1 : (int)left);
		/* poll's own timeout (r == 0) goes round to the deadline check: never on to a
		 * blocking recv from a daemon that does not answer (a stopped vigild) */
	} while (r == 0 || (r < 0 && errno == EINTR));
	if (r < 0)
		return fail(ret, -errno, "poll: %s", strerror(errno));
	return 0;
}

static int buf_room(struct linebuf *lb, struct ctl_reply *ret)
{
	char *p;

	if (lb->cap - lb->len > 1)
		return 0;
	if (lb->cap >= CTL_LINE_MAX)
		return fail(ret, -EPROTO, "garbled answer from vigild (a line over %d bytes)",
		    CTL_LINE_MAX);
	p = realloc(lb->buf, lb->cap == 0 ? READ_CHUNK : 2 * lb->cap);
	if (p == NULL)
		return fail(ret, -ENOMEM, "out of memory");
	lb->buf = p;
	lb->cap = lb->cap == 0 ? READ_CHUNK : 2 * lb->cap;
	return 0;
}

static int read_answer(int fd, int timeout_ms, ctl_line_fn *fn, void *arg, struct ctl_reply *ret)
{
	struct linebuf lb = { .buf = NULL };
	int64_t deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
	int rc = 0;

	for (;;) {
		ssize_t n;
		int r = buf_room(&lb, ret);

		r = r ? r : wait_readable(fd, deadline, ret);
		if (r < 0) {
			rc = r;
			break;
		}
		n = recv(fd, lb.buf + lb.len, lb.cap - lb.len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n == 0 || errno == ECONNRESET
			    ? fail(ret, -EPROTO, "vigild closed the connection without an answer")
			    : fail(ret, -errno, "reading the answer: %s", strerror(errno));
			break;
		}
		lb.len += (size_t)n;
		if (take_lines(&lb, fn, arg, ret, &rc))
			break;
	}
	free(lb.buf);
	return rc;
}

/* The request could not be sent because vigild already closed: it may have said why (too many
 * clients) before closing. That answer, if any, else the send's own error. */
static int answer_after_reset(int fd, int timeout_ms, struct ctl_reply *ret, int send_rc)
{
	char why[CTL_ERROR_MAX];
	int r;

	memcpy(why, ret->error, sizeof(why));
	r = read_answer(fd, timeout_ms, NULL, NULL, ret);
	if (r == 0 || r == -EPROTO || r == -ETIMEDOUT || r == -ECONNRESET) {
		json_object_put(ret->final);
		ret->final = NULL;
		memcpy(ret->error, why, sizeof(why));
		return send_rc;
	}
	return r;
}

int ctl_call(const char *socket_path, const struct ctl_request *rq, int timeout_ms, ctl_line_fn *fn,
    void *arg, struct ctl_reply *ret)
{
	int fd = -1;
	int r;

	ret->final = NULL;
	ret->error[0] = '\0';
	r = ctl_connect(socket_path, timeout_ms, &fd, ret);
	if (r == 0)
		r = request_send(fd, rq, ret);
	if (r == -EPIPE || r == -ECONNRESET)
		r = answer_after_reset(fd, timeout_ms, ret, r);
	else if (r == 0)
		r = read_answer(fd, rq->follow ? -1 : timeout_ms, fn, arg, ret);
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = fail(ret, -errno, "close: %s", strerror(errno));
	if (r < 0 && ret->final != NULL) {
		json_object_put(ret->final);
		ret->final = NULL;
	}
	return r;
}
