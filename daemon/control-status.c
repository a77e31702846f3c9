/* control-status.c: the `status --json` object of SPEC "Command line", field by field, from the core's status. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "control-internal.h"
#include "control.h"
#include "decide.h"
#include "store.h"

static int add_str(struct json_object *o, const char *key, const char *v)
{
	return control_json_add(o, key, json_object_new_string(v));
}

static int add_bool(struct json_object *o, const char *key, bool v)
{
	return control_json_add(o, key, json_object_new_boolean(v));
}

static int add_int(struct json_object *o, const char *key, uint64_t v)
{
	return control_json_add(o, key,
	    json_object_new_int64(v > INT64_MAX ? INT64_MAX : (int64_t)v));
}

static int add_null(struct json_object *o, const char *key)
{
	return json_object_object_add(o, key, NULL) == 0 ? 0 : -ENOMEM;
}

/* A monotonic time of the core as RFC 3339 (null if it cannot be one). */
static int add_time(struct json_object *o, const char *key, uint64_t mono_ms, int64_t offset_ms)
{
	char t[STORE_TIME_MAX];

	if (mono_ms > INT64_MAX || store_time_format((int64_t)mono_ms + offset_ms, t) < 0)
		return add_null(o, key);
	return add_str(o, key, t);
}

/* {key: {name_key: name, "time": RFC 3339}}, or null when nothing happened yet. */
static int add_event(struct json_object *o, const char *key, const char *name_key, const char *name,
    uint64_t mono_ms, int64_t offset_ms)
{
	struct json_object *e;
	int r;

	if (name == NULL)
		return add_null(o, key);
	e = json_object_new_object();
	if (e == NULL)
		return -ENOMEM;
	r = add_str(e, name_key, name);
	r = r ? r : add_time(e, "time", mono_ms, offset_ms);
	if (r < 0) {
		json_object_put(e);
		return r;
	}
	return control_json_add(o, key, e);
}

/* A nested object built by fill, added under key. */
static int add_nested(struct json_object *o, const char *key,
    int (*fill)(struct json_object *, const struct decide_status *,
        const struct control_status_extra *),
    const struct decide_status *st, const struct control_status_extra *x)
{
	struct json_object *n = json_object_new_object();
	int r = n != NULL ? fill(n, st, x) : -ENOMEM;

	if (r < 0) {
		json_object_put(n);
		return r;
	}
	return control_json_add(o, key, n);
}

static int fill_peer(struct json_object *o, const struct decide_status *st,
    const struct control_status_extra *x)
{
	int r = add_str(o, "state", decide_state_name(st->peer_state));

	if (r == 0 && x->peer_version != NULL)
		r = add_str(o, "version", x->peer_version);
	return r == 0 && x->peer_name != NULL ? add_str(o, "name", x->peer_name) : r;
}

static int fill_connections(struct json_object *o, const struct decide_status *st,
    const struct control_status_extra *x)
{
	int r = add_str(o, "main", st->conn_up[CONN_MAIN] ? "up" : "down");

	(void)x;
	return r ? r : add_str(o, "aux", st->conn_up[CONN_AUX] ? "up" : "down");
}

static int fill_network(struct json_object *o, const struct decide_status *st,
    const struct control_status_extra *x)
{
	(void)x;
	return add_str(o, "status", decide_netstatus_name(st->net));
}

static int fill_module(struct json_object *o, const struct decide_status *st,
    const struct control_status_extra *x)
{
	int r = st->module_pid != 0
	    ? control_json_add(o, "pid", json_object_new_int(st->module_pid))
	    : add_null(o, "pid");

	(void)x;
	r = r ? r : add_bool(o, "responding", st->module_responding);
	return r ? r : add_int(o, "restarts", st->module_restarts);
}

/* node, role, state, mode, generation. */
static int status_node(struct json_object *o, const struct decide_status *st,
    const struct control_status_extra *x)
{
	int r = add_str(o, "node", x->node != NULL ? x->node : "");

	r = r ? r : add_str(o, "role", x->role_a ? "A" : "B");
	r = r ? r : add_str(o, "state", decide_state_name(st->state));
	r = r ? r : add_str(o, "mode", x->manual ? "manual" : "auto");
	return r ? r : add_int(o, "generation", st->generation);
}

/* peer, connections, network, primary_host, module. */
static int status_links(struct json_object *o, const struct decide_status *st,
    const struct control_status_extra *x)
{
	int r = add_nested(o, "peer", fill_peer, st, x);

	r = r ? r : add_nested(o, "connections", fill_connections, st, x);
	r = r ? r : add_nested(o, "network", fill_network, st, x);
	r = r ? r : add_str(o, "primary_host", decide_reach_name(st->primary_host));
	return r ? r : add_nested(o, "module", fill_module, st, x);
}

/* verdict, last_verdict, sync, config_drift, last_switch. */
static int status_verdicts(struct json_object *o, const struct decide_status *st,
    const struct control_status_extra *x)
{
	const char *lv =
	    st->last_verdict != VERDICT_NONE ? decide_verdict_name(st->last_verdict) : NULL;
	const char *ls =
	    st->last_switch != REASON_NONE ? decide_reason_name(st->last_switch) : NULL;
	int64_t off = x->wall_offset_ms;
	int r = add_str(o, "verdict", decide_verdict_name(st->verdict));

	r = r ? r : add_event(o, "last_verdict", "kind", lv, st->last_verdict_ms, off);
	r = r ? r : add_str(o, "sync", decide_sync_name(st->sync));
	r = r ? r : add_bool(o, "config_drift", st->config_drift);
	return r ? r : add_event(o, "last_switch", "reason", ls, st->last_switch_ms, off);
}

/* Beyond the contract, for operators: why a switch waits, readiness, drill, version, uptime. */
static int status_extra(struct json_object *o, const struct decide_status *st,
    const struct control_status_extra *x)
{
	uint64_t up_ms = x->now_ms > x->started_ms ? x->now_ms - x->started_ms : 0;
	int r = st->withheld[0] != '\0' ? add_str(o, "withheld", st->withheld)
	                                : add_null(o, "withheld");

	r = r ? r : add_bool(o, "ready", st->ready);
	r = r ? r : add_bool(o, "drill", st->in_drill);
	if (r == 0 && x->version != NULL)
		r = add_str(o, "version", x->version);
	r = r ? r : add_time(o, "started", x->started_ms, x->wall_offset_ms);
	return r ? r : add_int(o, "uptime_s", up_ms / 1000);
}

int control_status_json(const struct decide_status *st, const struct control_status_extra *x,
    struct json_object *ret)
{
	int r;

	if (st == NULL || x == NULL || ret == NULL || !json_object_is_type(ret, json_type_object))
		return -EINVAL;
	r = status_node(ret, st, x);
	r = r ? r : status_links(ret, st, x);
	r = r ? r : status_verdicts(ret, st, x);
	return r ? r : status_extra(ret, st, x);
}
