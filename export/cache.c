/* cache.c: vigild's status and dump answers for vigil-snmp, read over the control socket with a short timeout and reused for a second. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "ctlclient.h"
#include "export.h"
#include "internal.h"

uint64_t vsnmp_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One read-only request (doc/control.md): 0 and the answer's member (a new reference), or a
 * negative errno with x->error saying why. */
static int call(struct vsnmp *x, const char *cmd, struct json_object **ret)
{
	struct ctl_request rq = { .cmd = cmd };
	struct ctl_reply rp;
	struct json_object *inner;
	int r = ctl_call(x->socket_path, &rq, VSNMP_CALL_TIMEOUT_MS, NULL, NULL, &rp);

	if (r < 0) {
		snprintf(x->error, sizeof(x->error), "%s", rp.error);
		return r;
	}
	if (!json_object_object_get_ex(rp.final, cmd, &inner) ||
	    !json_object_is_type(inner, json_type_object)) {
		json_object_put(rp.final);
		snprintf(x->error, sizeof(x->error), "garbled %s answer from vigild", cmd);
		return -EPROTO;
	}
	*ret = json_object_get(inner);
	json_object_put(rp.final);
	return 0;
}

/* A failed request: say so once when vigild goes away, and wait RETRY_MS before the next. The
 * values go: the agent does not serve what it cannot vouch for. */
static void failed(struct vsnmp *x, uint64_t now_ms)
{
	if (!x->failing)
		snmp_log(LOG_WARNING, "vigil-snmp: vigild does not answer: %s\n", x->error);
	x->failing = true;
	x->status_ok = false;
	x->dump_ok = false;
	x->retry_ms = now_ms + VSNMP_RETRY_MS;
}

static void answered(struct vsnmp *x)
{
	if (x->failing)
		snmp_log(LOG_INFO, "vigil-snmp: vigild answers again on %s\n", x->socket_path);
	x->failing = false;
	x->error[0] = '\0';
}

int cache_status(struct vsnmp *x, uint64_t now_ms, bool force)
{
	struct json_object *o;
	int r;

	if (x->status_ok && !force && now_ms - x->status_ms < VSNMP_CACHE_MS)
		return 0;
	if (now_ms < x->retry_ms)
		return -EAGAIN;
	r = call(x, "status", &o);
	if (r == 0) {
		r = export_status_read(o, &x->status);
		json_object_put(o);
	}
	if (r < 0) {
		failed(x, now_ms);
		return r;
	}
	answered(x);
	x->status_ok = true;
	x->status_ms = now_ms;
	x->changes |= export_watch_status(&x->watch, &x->status);
	return 0;
}

int cache_dump(struct vsnmp *x, uint64_t now_ms)
{
	struct json_object *o;
	int r;

	/* counters only beside a status: while vigild is unreachable, nothing is served */
	r = cache_status(x, now_ms, false);
	if (r < 0)
		return r;
	if (x->dump_ok && now_ms - x->dump_ms < VSNMP_CACHE_MS)
		return 0;
	r = call(x, "dump", &o);
	if (r == 0) {
		r = export_dump_read(o, &x->dump);
		json_object_put(o);
	}
	if (r < 0) {
		failed(x, now_ms);
		return r;
	}
	answered(x);
	x->dump_ok = true;
	x->dump_ms = now_ms;
	return 0;
}

uint64_t cache_tick(struct vsnmp *x, uint64_t now_ms)
{
	if (now_ms >= x->next_poll_ms) {
		/* a failure is kept as state: vigilAgentVigildReachable false */
		(void)cache_status(x, now_ms, false);
		x->next_poll_ms = now_ms + VSNMP_POLL_MS;
	}
	return x->next_poll_ms;
}
