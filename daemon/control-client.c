/* control-client.c: one control connection: read the request line, queue the answer, write it without ever blocking. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

#include "control-internal.h"
#include "control.h"
#include "loop.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define OUT_FIRST 4096
/* Reads of unread input before a close (closing with unread input resets the peer). */
#define DRAIN_ROUNDS 16

static void client_flush(struct control_client *cl);

/* A peer that hung up is not an error of ours; anything else is counted. */
static void client_io_failed(struct control_client *cl, int e)
{
	if (e != EPIPE && e != ECONNRESET)
		cl->c->counters.io_errors++;
	control_client_drop(cl);
}

static void client_watch(struct control_client *cl)
{
	unsigned want = (cl->eof ? 0 : LOOP_READ) | (cl->out_len > cl->out_off ? LOOP_WRITE : 0);

	if (cl->dead || cl->watching == want)
		return;
	if (loop_io_set(cl->io, want) < 0) {
		cl->c->counters.io_errors++;
		control_client_drop(cl);
		return;
	}
	cl->watching = want;
}

/* Input after the request: read and discard (a follower's EOF ends it); too much is abuse. */
static void client_drain(struct control_client *cl)
{
	char buf[1024];
	ssize_t n;

	do {
		n = recv(cl->fd, buf, sizeof(buf), 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN)
		client_io_failed(cl, errno);
	else if (n == 0 && cl->following)
		control_client_drop(cl);
	else if (n == 0)
		cl->eof = true;
	else if (n > 0 && (cl->extra_in += (size_t)n) > CONTROL_REQUEST_MAX)
		control_client_drop(cl);
	client_watch(cl);
}

/* EOF before a newline: what came is the request (a client that shut its side down early). */
static void client_eof(struct control_client *cl)
{
	cl->eof = true;
	if (cl->in_len == 0) {
		control_client_drop(cl);
		return;
	}
	cl->have_request = true;
	control_request_handle(cl, cl->in, cl->in_len);
	client_watch(cl);
}

static void client_read(struct control_client *cl)
{
	char *nl;
	ssize_t n;

	if (cl->have_request) {
		client_drain(cl);
		return;
	}
	do {
		n = recv(cl->fd, cl->in + cl->in_len, sizeof(cl->in) - cl->in_len, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno != EAGAIN)
			client_io_failed(cl, errno);
		return;
	}
	if (n == 0) {
		client_eof(cl);
		return;
	}
	nl = memchr(cl->in + cl->in_len, '\n', (size_t)n);
	cl->in_len += (size_t)n;
	if (nl != NULL) {
		cl->have_request = true;
		control_request_handle(cl, cl->in, (size_t)(nl - cl->in));
	} else if (cl->in_len == sizeof(cl->in)) {
		cl->have_request = true;
		cl->c->counters.rejected[CONTROL_REJECT_TOO_LONG]++;
		control_client_fail(cl, "bad-request",
		    "request too long: one line of at most 4096 bytes");
	}
}

static void on_io(int fd, unsigned events, void *arg)
{
	struct control_client *cl = arg;
	struct control *c = cl->c;

	(void)fd;
	if (events & LOOP_READ)
		client_read(cl);
	if (!cl->dead && (events & LOOP_WRITE))
		client_flush(cl);
	control_clients_sweep(c); /* may free cl */
}

int control_client_accept(struct control *c, int fd, const struct control_caller *who)
{
	struct control_client *cl = calloc(1, sizeof(*cl));

	if (cl == NULL)
		return -ENOMEM;
	cl->c = c;
	cl->fd = fd;
	cl->who = *who;
	cl->watching = LOOP_READ;
	/* The whole request is due within the idle timeout, however slowly it trickles in. */
	cl->deadline_ms = loop_now_ms(c->loop) + c->idle_timeout_ms;
	cl->io = loop_io_add(c->loop, fd, LOOP_READ, on_io, cl);
	if (cl->io == NULL) {
		free(cl);
		return -ENOMEM;
	}
	cl->next = c->clients;
	c->clients = cl;
	c->n_clients++;
	return 0;
}

/* Stop watching and close now; the memory goes at the next sweep, so callers may still look. */
void control_client_drop(struct control_client *cl)
{
	if (cl->dead)
		return;
	cl->dead = true;
	cl->following = false;
	loop_io_del(cl->io);
	cl->io = NULL;
	if (close(cl->fd) < 0)
		cl->c->counters.io_errors++;
	cl->fd = -1;
}

/* The answer is out: read what the client sent beyond its request, so the close is clean. */
static void client_close(struct control_client *cl)
{
	char buf[1024];

	for (int i = 0; i < DRAIN_ROUNDS; i++) {
		if (recv(cl->fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
	}
	control_client_drop(cl);
}

static void client_flush(struct control_client *cl)
{
	while (!cl->dead && cl->out_off < cl->out_len) {
		ssize_t n = send(cl->fd, cl->out + cl->out_off, cl->out_len - cl->out_off,
		    MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			client_io_failed(cl, errno);
			return;
		}
		cl->out_off += (size_t)n;
		cl->deadline_ms = loop_now_ms(cl->c->loop) + cl->c->idle_timeout_ms; /* progress */
	}
	if (cl->out_off == cl->out_len) {
		cl->out_off = cl->out_len = 0;
		if (cl->closing) {
			client_close(cl);
			return;
		}
		if (cl->following)
			cl->deadline_ms = LOOP_NEVER; /* a follower may wait for records forever */
	}
	client_watch(cl);
}

void control_client_flush(struct control_client *cl)
{
	if (!cl->dead)
		client_flush(cl);
}

static int out_reserve(struct control_client *cl, size_t len)
{
	size_t cap;
	char *p;

	if (cl->out_len - cl->out_off + len > CONTROL_OUTPUT_MAX)
		return -ENOBUFS;
	if (cl->out_off > 0 && cl->out_len + len > cl->out_cap) {
		memmove(cl->out, cl->out + cl->out_off, cl->out_len - cl->out_off);
		cl->out_len -= cl->out_off;
		cl->out_off = 0;
	}
	if (cl->out_len + len <= cl->out_cap)
		return 0;
	cap = cl->out_cap > 0 ? cl->out_cap : OUT_FIRST;
	while (cap < cl->out_len + len)
		cap *= 2;
	cap = cap < CONTROL_OUTPUT_MAX ? cap : CONTROL_OUTPUT_MAX;
	p = realloc(cl->out, cap);
	if (p == NULL)
		return -ENOMEM;
	cl->out = p;
	cl->out_cap = cap;
	return 0;
}

int control_client_send(struct control_client *cl, const char *buf, size_t len)
{
	int r;

	if (cl->dead)
		return -EPIPE;
	r = out_reserve(cl, len);
	if (r < 0)
		return r;
	if (cl->out_off == cl->out_len) /* output starts waiting: it must move within the timeout */
		cl->deadline_ms = loop_now_ms(cl->c->loop) + cl->c->idle_timeout_ms;
	memcpy(cl->out + cl->out_len, buf, len);
	cl->out_len += len;
	return 0;
}

int control_client_send_json(struct control_client *cl, struct json_object *o)
{
	size_t len;
	const char *s = json_object_to_json_string_length(o, JSON_FLAGS, &len);
	int r;

	if (s == NULL)
		return -ENOMEM;
	r = out_reserve(cl, len + 1); /* the line goes whole or not at all */
	if (r == 0)
		r = control_client_send(cl, s, len);
	return r == 0 ? control_client_send(cl, "\n", 1) : r;
}

struct json_object *control_reply_ok(void)
{
	struct json_object *o = json_object_new_object();
	struct json_object *t = json_object_new_boolean(1);

	if (o == NULL || t == NULL || json_object_object_add(o, "ok", t) < 0) {
		json_object_put(o);
		json_object_put(t);
		return NULL;
	}
	return o;
}

void control_client_finish(struct control_client *cl, struct json_object *o)
{
	int r = o != NULL ? control_client_send_json(cl, o) : -ENOMEM;

	json_object_put(o);
	if (r == -ENOBUFS) {
		control_client_fail(cl, "unavailable", "answer too large for the control socket");
		return;
	}
	if (r < 0) {
		control_client_drop(cl);
		return;
	}
	cl->closing = true;
	client_flush(cl);
}

static struct json_object *fail_object(const char *code, const char *why)
{
	struct json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	if (json_object_object_add(o, "ok", json_object_new_boolean(0)) < 0 ||
	    json_object_object_add(o, "code", json_object_new_string(code)) < 0 ||
	    json_object_object_add(o, "error", json_object_new_string(why)) < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

void control_client_fail(struct control_client *cl, const char *code, const char *why)
{
	struct json_object *o = fail_object(code, why);
	int r = o != NULL ? control_client_send_json(cl, o) : -ENOMEM;

	json_object_put(o);
	if (r < 0) {
		control_client_drop(cl);
		return;
	}
	cl->closing = true;
	client_flush(cl);
}

void control_clients_sweep(struct control *c)
{
	struct control_client **pp = &c->clients;

	while (*pp != NULL) {
		struct control_client *cl = *pp;

		if (!cl->dead) {
			pp = &cl->next;
			continue;
		}
		*pp = cl->next;
		free(cl->out);
		free(cl);
		c->n_clients--;
	}
	control_timer_arm(c);
}

void control_timer_arm(struct control *c)
{
	uint64_t next = LOOP_NEVER;
	bool followers = false;

	if (c->timer == NULL)
		return;
	for (const struct control_client *cl = c->clients; cl != NULL; cl = cl->next) {
		if (cl->dead)
			continue;
		next = cl->deadline_ms < next ? cl->deadline_ms : next;
		followers = followers || cl->following;
	}
	if ((followers || c->accept_paused) && c->next_poll_ms < next)
		next = c->next_poll_ms;
	if (loop_timer_at(c->timer, next) < 0)
		c->counters.io_errors++;
}
