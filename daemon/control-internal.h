/* control-internal.h: what daemon/control*.c share and nobody else sees: the server, its clients, their buffers. */
#ifndef VIGIL_CONTROL_INTERNAL_H
#define VIGIL_CONTROL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "control.h"
#include "store.h"

#define CONTROL_PATH_MAX 108 /* sizeof(sun_path) */
#define CONTROL_GROUP_NAME_MAX 64
#define CONTROL_FOLLOW_POLL_MS 250 /* how often followers' journal is looked at */

struct control_client {
	struct control *c;
	struct control_client *next;
	int fd;
	struct loop_io *io;
	struct control_caller who;
	unsigned watching; /* LOOP_READ / LOOP_WRITE currently asked of the loop */
	char in[CONTROL_REQUEST_MAX];
	size_t in_len;
	bool have_request; /* the request was read (later input is drained and ignored) */
	bool closing;      /* close once the output is written */
	bool following;    /* events --follow: stream new records */
	bool dead;         /* dropped inside a callback: freed by the caller's sweep */
	bool eof;          /* the client shut its side: stop reading */
	size_t extra_in;   /* bytes received after the request (drained, bounded) */
	struct store_cursor cursor;
	char *out; /* bytes [out_off, out_len) wait to be written */
	size_t out_off;
	size_t out_len;
	size_t out_cap;
	uint64_t deadline_ms; /* idle deadline; LOOP_NEVER when none */
};

struct control {
	struct loop *loop;
	int fd;
	struct loop_io *io;
	struct loop_timer *timer;
	struct control_handlers h;
	void *arg;
	struct control_policy policy;
	uint32_t idle_timeout_ms;
	uint32_t max_clients;
	uint32_t n_clients;
	struct control_client *clients;
	struct store *store; /* opened at the first journal request */
	/* Followers' next look at the journal, or the end of an accept pause. */
	uint64_t next_poll_ms;
	bool accept_paused;
	dev_t sock_dev;
	ino_t sock_ino;
	struct control_counters counters;
	char path[CONTROL_PATH_MAX];
	char state_dir[STORE_PATH_MAX];
	char read_group[CONTROL_GROUP_NAME_MAX]; /* names, for refusal messages */
	char admin_group[CONTROL_GROUP_NAME_MAX];
};

/* control-client.c: one connection. */
int control_client_accept(struct control *c, int fd, const struct control_caller *who);
void control_client_drop(struct control_client *cl);
/* Queue bytes (and try to write them); -ENOBUFS past CONTROL_OUTPUT_MAX. */
int control_client_send(struct control_client *cl, const char *buf, size_t len);
/* Queue one JSON object as a line; the object is not consumed. */
int control_client_send_json(struct control_client *cl, struct json_object *o);
/* Write what is queued, as far as the socket takes it. */
void control_client_flush(struct control_client *cl);
/* A new reply object {"ok": true}, to which the answer's members are added; NULL: no memory. */
struct json_object *control_reply_ok(void);
/* Queue the final line {"ok": false, "error": why, "code": code} and close after it. */
void control_client_fail(struct control_client *cl, const char *code, const char *why);
/* Queue the final object (from control_reply_ok) and close after it; consumes o (NULL: no memory). */
void control_client_finish(struct control_client *cl, struct json_object *o);
/* Free clients marked dead; re-arm the timer for the earliest deadline. */
void control_clients_sweep(struct control *c);
void control_timer_arm(struct control *c);

/* control-request.c: the guard ladder and the dispatch. */
void control_request_handle(struct control_client *cl, const char *line, size_t len);

/* Add v to o under key; v is consumed either way (NULL: -ENOMEM). */
int control_json_add(struct json_object *o, const char *key, struct json_object *v);

/* control-journal.c: events, follow, why, dump's recent events. */
void control_journal_events(struct control_client *cl, const struct control_request *rq);
void control_journal_follow(struct control_client *cl);
void control_journal_why(struct control_client *cl);
int control_journal_recent(struct control *c, size_t n, struct json_object *ret_array);
int control_record_json(const struct store_record *r, struct json_object **ret);

/* control-access.c: the caller's credentials at accept. */
int control_caller_identify(const struct control_policy *p, int fd, struct control_caller *ret);

#endif /* VIGIL_CONTROL_INTERNAL_H */
