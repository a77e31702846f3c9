/* ctlclient.h: the control socket's client (cli/ctl-client.c, doc/control.md): one request out, its answer lines in; used by vigilctl and vigil-snmp. */
#ifndef VIGIL_CTLCLIENT_H
#define VIGIL_CTLCLIENT_H

#include <stdbool.h>
#include <stdint.h>

struct json_object; /* json-c */

#define CTL_ERROR_MAX 320
#define CTL_TIMEOUT_MS 10000           /* an answer is due within this (not for --follow) */
#define CTL_LINE_MAX (2 * 1024 * 1024) /* one answer line, at most */

/* One request of doc/control.md; members left false/0 are not sent. */
struct ctl_request {
	const char *cmd;
	bool force;
	bool follow;
	uint32_t n;           /* events: records wanted; 0 = the daemon's default */
	const char *scenario; /* drill; NULL otherwise */
	uint32_t for_ms;      /* drill */
	bool live;            /* drill */
};

/* Called with each line before the final one (an events record); a nonzero return stops the
 * call and is returned. The object is put after the call. */
typedef int ctl_line_fn(struct json_object *line, void *arg);

struct ctl_reply {
	struct json_object
	    *final; /* on success: the final {"ok": true, ...} object; json_object_put it */
	char error[CTL_ERROR_MAX]; /* on failure: one printable line saying why */
};

/*
 * Connect to the control socket, send rq, hand each record line to fn (may be NULL), and
 * return 0 when the final line says ok. Failures fill ret->error and return:
 * -ENOENT / -ECONNREFUSED vigild not running; -EACCES the socket or the daemon said no to
 * this caller; -EREMOTEIO the daemon refused (its one-line reason); -EINVAL the daemon called
 * the request bad; -EBUSY too many clients; -ETIMEDOUT no answer within timeout_ms (< 0:
 * wait forever); -EPROTO a garbled answer; other negative errnos from the socket.
 */
int ctl_call(const char *socket_path, const struct ctl_request *rq, int timeout_ms, ctl_line_fn *fn,
    void *arg, struct ctl_reply *ret);

#endif /* VIGIL_CTLCLIENT_H */
