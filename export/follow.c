/* follow.c: vigild's journal as it grows (`events --follow`, doc/control.md) on vigil-snmp's loop: switch and hold records become notifications; re-subscribed after vigild restarts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "export.h"
#include "internal.h"

int follow_init(struct vsnmp *x, uint64_t now_ms)
{
	x->line = malloc(VSNMP_LINE_MAX);
	if (x->line == NULL)
		return -ENOMEM;
	x->follow_fd = -1;
	x->line_len = 0;
	x->follow_retry_ms = now_ms;
	/* What happened before vigil-snmp started was never news to it. */
	export_cursor_init(&x->cursor, now_ms);
	return 0;
}

int follow_fd(const struct vsnmp *x)
{
	return x->follow_fd;
}

/*
 * Connect without blocking (a full backlog is a failure, tried again later) and send the one
 * request line. It asks for a backlog of records: the cursor picks out of it what happened since
 * vigil-snmp started, or since the stream broke (vigild's start, a fail-safe switch).
 */
static int subscribe(struct vsnmp *x)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(x->socket_path);
	char rq[96];
	ssize_t sent;
	int fd, n, e;

	if (len >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, x->socket_path, len + 1);
	n = snprintf(rq, sizeof(rq), "{\"cmd\":\"events\",\"n\":%d,\"follow\":true}\n",
	    VSNMP_RESUME_RECORDS);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0)
		e = errno;
	else if ((sent = send(fd, rq, (size_t)n, MSG_NOSIGNAL)) < 0)
		e = errno;
	else
		e = sent == n ? 0 : EIO; /* a short send of a 50-byte line: no use going on */
	if (e != 0) {
		(void)close(fd); /* the connect's or send's error is the one to report */
		return -e;
	}
	x->follow_fd = fd;
	x->line_len = 0;
	return 0;
}

static void unsubscribe(struct vsnmp *x, uint64_t now_ms, const char *why)
{
	if (x->follow_fd < 0)
		return;
	snmp_log(LOG_INFO, "vigil-snmp: journal stream from vigild ended (%s); resubscribing\n",
	    why);
	(void)close(x->follow_fd); /* nothing was written that a close could lose */
	x->follow_fd = -1;
	x->follow_retry_ms = now_ms + VSNMP_FOLLOW_RETRY_MS;
}

uint64_t follow_tick(struct vsnmp *x, uint64_t now_ms)
{
	int r;

	if (x->follow_fd >= 0)
		return UINT64_MAX;
	if (now_ms < x->follow_retry_ms)
		return x->follow_retry_ms;
	if (x->follow_resume)
		export_cursor_resume(&x->cursor);
	r = subscribe(x);
	if (r < 0) {
		x->follow_retry_ms = now_ms + VSNMP_FOLLOW_RETRY_MS;
		return x->follow_retry_ms;
	}
	x->follow_resume = true;
	return UINT64_MAX;
}

/* This boot's start on the wall clock, for telling records of an earlier boot. */
static int64_t boot_ms(void)
{
	struct timespec w, m;

	if (clock_gettime(CLOCK_REALTIME, &w) != 0 || clock_gettime(CLOCK_MONOTONIC, &m) != 0)
		return 0;
	return ((int64_t)w.tv_sec - m.tv_sec) * 1000 + ((int64_t)w.tv_nsec - m.tv_nsec) / 1000000;
}

/* One line: a record, or the final line of a refusal (doc/control.md: it has "ok"). 0, or
 * -EPROTO when the stream is of no more use. */
static int take_line(struct vsnmp *x, const char *line, uint64_t now_ms)
{
	struct json_object *o = json_tokener_parse(line);
	struct export_event ev;
	int r;

	if (o == NULL || json_object_object_get_ex(o, "ok", NULL)) {
		json_object_put(o);
		return -EPROTO;
	}
	r = export_record_event(&x->cursor, o, boot_ms(), &ev);
	json_object_put(o);
	if (r == 1) {
		/* the generation after a switch is in the status, read now */
		(void)cache_status(x, now_ms, true);
		trap_event(x, &ev);
	}
	/* a record may come with a change of sync or drift: read the status now */
	if (r >= 0 && x->next_poll_ms > now_ms)
		x->next_poll_ms = now_ms;
	return 0;
}

/* Every complete line in the buffer; what is left moves to its start. */
static int take_lines(struct vsnmp *x, uint64_t now_ms)
{
	char *start = x->line, *nl;
	int r = 0;

	while (r == 0) {
		nl = memchr(start, '\n', x->line_len - (size_t)(start - x->line));
		if (nl == NULL)
			break;
		*nl = '\0';
		r = take_line(x, start, now_ms);
		start = nl + 1;
	}
	x->line_len -= (size_t)(start - x->line);
	memmove(x->line, start, x->line_len);
	return r;
}

void follow_input(struct vsnmp *x, uint64_t now_ms)
{
	ssize_t n;

	if (x->follow_fd < 0)
		return;
	n = recv(x->follow_fd, x->line + x->line_len, VSNMP_LINE_MAX - 1 - x->line_len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		unsubscribe(x, now_ms, n == 0 ? "closed" : strerror(errno));
		return;
	}
	x->line_len += (size_t)n;
	if (take_lines(x, now_ms) < 0)
		unsubscribe(x, now_ms, "vigild refused or garbled the stream");
	else if (x->line_len >= VSNMP_LINE_MAX - 1)
		unsubscribe(x, now_ms, "a record over 64 KiB");
}

void follow_free(struct vsnmp *x)
{
	if (x->follow_fd >= 0)
		(void)close(x->follow_fd); /* at exit */
	x->follow_fd = -1;
	free(x->line);
	x->line = NULL;
}
