/* ctl.c: the control socket's handlers: status from the core, commands into the core, refusals journaled. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "control.h"
#include "daemon.h"
#include "log.h"
#include "loop.h"

static int on_status(void *arg, struct json_object *ret)
{
	struct vigild *v = arg;
	struct decide_status st;
	struct control_status_extra x = {
		.node = v->cfg.node.name,
		.role_a = v->cfg.node.role_a,
		.manual = v->cfg.node.manual,
		.peer_name = v->peer_hello.node[0] ? v->peer_hello.node : NULL,
		.peer_version = v->peer_hello.software[0] ? v->peer_hello.software : NULL,
		.version = v->software,
		.wall_offset_ms = v->wall_minus_mono_ms,
		.now_ms = loop_now_ms(v->loop),
		.started_ms = v->started_mono_ms,
	};
	int r;

	decide_status(&v->core, x.now_ms, &st);
	r = control_status_json(&st, &x, ret);
	return r < 0 ? r : vigild_drill_json(v, ret);
}

static int post_command(struct vigild *v, enum vg_event_type type, bool force, char *msg,
    size_t len)
{
	struct vg_event ev = { .type = type, .flag = force };

	v->cmd_status = -EAGAIN;
	snprintf(v->cmd_msg, sizeof(v->cmd_msg), "busy: try again");
	vigild_post(v, &ev); /* the core's reply comes back with its step */
	snprintf(msg, len, "%s", v->cmd_msg[0] ? v->cmd_msg : "done");
	return v->cmd_status;
}

static int on_act(void *arg, const struct control_caller *who, const struct control_act *a,
    char *msg, size_t len)
{
	struct vigild *v = arg;
	const char *cmd = a->cmd;
	bool force = a->force;

	if (strcmp(cmd, "drill") == 0 && wire_drill_from_name(a->scenario) < 0) {
		/* not journaled as sent: the text is the caller's, of any content */
		vigild_journal(v, "command", "drill refused for uid %u: unknown scenario",
		    (unsigned)who->uid);
		snprintf(msg, len,
		    "drill refused: scenario must be module, notifier, "
		    "primary-unreachable, wan-cut or backup-isolate");
		return -EINVAL;
	}
	if (strcmp(cmd, "drill") == 0)
		vigild_journal(v, "command", "drill %s --for %u ms%s by uid %u", a->scenario,
		    a->for_ms, a->live ? " --live" : "", (unsigned)who->uid);
	else
		vigild_journal(v, "command", "%s%s by uid %u", cmd, force ? " --force" : "",
		    (unsigned)who->uid);
	if (strcmp(cmd, "drill") == 0)
		return vigild_drill_start(v, a, msg, len);
	if (strcmp(cmd, "switch") == 0)
		return post_command(v, EV_CMD_SWITCH, force, msg, len);
	if (strcmp(cmd, "handover") == 0)
		return post_command(v, EV_CMD_HANDOVER, force, msg, len);
	if (strcmp(cmd, "rejoin") == 0)
		return post_command(v, EV_CMD_REJOIN, force, msg, len);
	if (strcmp(cmd, "reload") == 0)
		return vigild_reload(v, msg, len);
	snprintf(msg, len, "unknown command %s", cmd);
	return -EINVAL;
}

static void on_refused(void *arg, const struct control_caller *who, const char *cmd,
    const char *why)
{
	vigild_journal(arg, "command", "%s refused for uid %u: %s", cmd, (unsigned)who->uid, why);
}

static gid_t group_id(const char *name, const char *key)
{
	struct group *g;

	if (name[0] == '\0')
		return CONTROL_NO_GROUP;
	g = getgrnam(name);
	if (g == NULL) {
		log_warnx("%s %s does not exist: the control socket is root-only", key, name);
		return CONTROL_NO_GROUP;
	}
	return g->gr_gid;
}

int vigild_control_start(struct vigild *v)
{
	struct control_handlers h = {
		.status = on_status,
		.act = on_act,
		.refused = on_refused,
		.dump = vigild_dump,
	};
	struct control_options o = {
		.socket_path = v->cfg.node.control_socket,
		.state_dir = v->cfg.node.state_dir,
		.policy = {
			.read_gid = group_id(v->cfg.node.control_group, "control_group"),
			.admin_gid = group_id(v->cfg.node.admin_group, "admin_group"),
		},
	};
	int r = control_new(v->loop, &o, &h, v, &v->control);

	if (r < 0)
		log_warnx("control socket %s: %s", o.socket_path, strerror(-r));
	return r;
}
