/* run.c: vigild start-up, signals and clean stop: open what needs opening, then hand over to the loop. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "control.h"
#include "daemon.h"
#include "icmp.h"
#include "log.h"
#include "loop.h"
#include "netwatch.h"
#include "peer.h"
#include "recorder.h"
#include "store.h"

static void on_sigterm(int signo, void *arg)
{
	struct vigild *v = arg;

	if (v->stopping)
		return; /* a second signal while the hooks finish */
	log_info("signal %d: stopping", signo);
	v->stopping = true;
	vigild_post_type(v, EV_STOP);
	vigild_hooks_stop(v); /* the loop ends when discontinue is done */
}

static void start_netwatch(struct vigild *v);

static bool check_changed(const struct config_check *a, const struct config_check *b)
{
	return memcmp(a, b, sizeof(*a)) != 0;
}

/* A changed module check or local_check is rebuilt. The primary's new check takes over once no
 * module ping is being served (vigild_check_swap), so no ping goes unanswered; a local_check
 * result in flight is dropped: the core asks again at its next cycle. */
static int reload_checks(struct vigild *v, const struct config *fresh, char *msg, size_t len)
{
	struct check *next = NULL, *local = NULL;
	const struct config_check *lc = &fresh->module.local_check;
	int r = 0;

	if (check_changed(&fresh->module.check, &v->cfg.module.check))
		r = check_new(v->loop, &fresh->module.check, &next);
	if (r == 0 && check_changed(lc, &v->cfg.module.local_check) && lc->kind != CHECK_NONE)
		r = check_new(v->loop, lc, &local);
	if (r < 0) {
		check_free(next);
		snprintf(msg, len, "reload refused: the new check cannot be set up: %s",
		    strerror(-r));
		vigild_journal(v, "reload", "%s", msg);
		return r;
	}
	if (check_changed(lc, &v->cfg.module.local_check)) {
		check_free(v->local_check);
		v->local_check = local;
	}
	if (next != NULL)
		vigild_check_swap(v, next);
	return 0;
}

/* SPEC "Carrier": carrier_watch on or off takes effect at reload too. */
static void reload_carrier_watch(struct vigild *v, bool on)
{
	struct vg_event ev = { .type = EV_CARRIER, .carrier_lost_mask = 0 };

	if (on == v->cfg.network.carrier_watch)
		return;
	if (!on) {
		netwatch_free(v->netwatch);
		v->netwatch = NULL;
		vigild_post(v, &ev); /* no watch, no carrier loss known */
		return;
	}
	v->cfg.network.carrier_watch = true;
	start_netwatch(v);
}

/* SPEC "reload": [module], [monitor], [network], [hooks] apply at the next cycle; [node], [peer] need a restart. */
int vigild_reload(struct vigild *v, char *msg, size_t len)
{
	static struct config fresh;
	struct decide_params p;
	char err[CONFIG_ERR_MAX];

	/* As [node] user: the file must be readable by it; the key is held (config.h). */
	if (config_load_flags(v->config_path, CONFIG_LOAD_KEY_HELD, &fresh, err, sizeof(err)) < 0) {
		snprintf(msg, len, "reload refused: %s", err);
		vigild_journal(v, "reload", "%s", msg);
		return -EINVAL;
	}
	/* [netcfg] too: the table, the fence and the VIPs a primary holds are set up at start. */
	if (memcmp(&fresh.node, &v->cfg.node, sizeof(fresh.node)) != 0 ||
	    memcmp(&fresh.peer, &v->cfg.peer, sizeof(fresh.peer)) != 0 ||
	    memcmp(&fresh.netcfg, &v->cfg.netcfg, sizeof(fresh.netcfg)) != 0) {
		snprintf(msg, len,
		    "[node], [peer] or [netcfg] changed: restart vigild to apply; nothing reloaded");
		vigild_journal(v, "reload", "%s", msg);
		return -EPERM;
	}
	if (reload_checks(v, &fresh, msg, len) < 0)
		return -EINVAL;
	/* SPEC "reload": [module], [monitor], [network], [hooks] apply at the next cycle. */
	reload_carrier_watch(v, fresh.network.carrier_watch);
	v->cfg.module = fresh.module;
	v->cfg.monitor = fresh.monitor;
	v->cfg.network = fresh.network;
	v->cfg.hooks = fresh.hooks;
	config_decide_params(&v->cfg, &p);
	decide_reload(&v->core, &p);
	vigild_config_digest(v); /* the next hellos carry it; drift shows on the next connection */
	snprintf(msg, len, "configuration reloaded from %s", v->config_path);
	vigild_journal(v, "reload", "%s", msg);
	return 0;
}

static void on_sighup(int signo, void *arg)
{
	char msg[CONFIG_ERR_MAX + 64];

	(void)signo;
	vigild_reload(arg, msg, sizeof(msg));
}

static int open_store(struct vigild *v, enum vg_state *ret_state, uint64_t *ret_gen)
{
	struct store_options so = { .write = true };
	int r = store_open(v->cfg.node.state_dir, &so, &v->store);

	if (r < 0) {
		log_warnx("state_dir %s: cannot open (%s)", v->cfg.node.state_dir, strerror(-r));
		return r;
	}
	r = store_state_load(v->store, ret_state, ret_gen);
	if (r == -ENOENT) {
		*ret_state = ST_INIT;
		*ret_gen = 0;
		return 0;
	}
	if (r < 0) {
		/* A damaged state file must not make a stale node primary: start as a fresh node, loudly. */
		log_warnx("%s; starting with generation 0", store_error(v->store));
		*ret_state = ST_INIT;
		*ret_gen = 0;
	}
	return 0;
}

static int open_checks(struct vigild *v)
{
	int r = check_new(v->loop, &v->cfg.module.check, &v->check);

	if (r < 0)
		return r;
	if (v->cfg.module.local_check.kind != CHECK_NONE) {
		r = check_new(v->loop, &v->cfg.module.local_check, &v->local_check);
		if (r < 0)
			return r;
	}
	/* SPEC "Exit watch" needs pidfd (Linux >= 5.3): without it the module pings still decide. */
	if (check_watch_new(v->loop, vigild_module_gone, v, &v->watch) < 0)
		log_warnx("exit watch unavailable: module exits are seen by the module pings only");
	return 0;
}

static void on_netwatch(enum netwatch_what what, uint8_t mask, void *arg)
{
	struct vg_event ev = {
		.type = what == NETWATCH_CARRIER ? EV_CARRIER : EV_ROUTE_CHANGE,
		.carrier_lost_mask = mask,
	};

	if (what == NETWATCH_ROUTE)
		vigild_flight_refilter(arg); /* the gateways may have changed */
	vigild_post(arg, &ev);
}

/* SPEC "Carrier": the interfaces routing to the peer's main and aux addresses, as each connection binds. */
static void start_netwatch(struct vigild *v)
{
	const struct config *c = &v->cfg;
	struct netwatch_target t[2] = {
		{ .dst = *config_peer_main(c), .src = c->node.role_a ? c->peer.a : c->peer.b },
		{ .dst = *config_peer_aux(c),
		    .src = c->node.role_a ? c->peer.aux_a : c->peer.aux_b },
	};
	int r;

	if (!c->network.carrier_watch)
		return;
	r = netwatch_new(v->loop, t, 2, on_netwatch, v, &v->netwatch);
	if (r < 0)
		log_warnx("carrier watch unavailable (%s): carrier loss is found by the pings",
		    strerror(-r));
}

/* systemd's STATUS= line (notify.c polls it): what `systemctl status vigild` shows. */
static void notify_state(void *arg, char *ret_status, size_t len)
{
	const struct decide *d = &((struct vigild *)arg)->core;

	if (d->verdict != VERDICT_NONE)
		snprintf(ret_status, len, "%s, verdict %s, generation %" PRIu64,
		    decide_state_name(d->state), decide_verdict_name(d->verdict), d->generation);
	else
		snprintf(ret_status, len, "%s, generation %" PRIu64, decide_state_name(d->state),
		    d->generation);
}

static int start_parts(struct vigild *v)
{
	int r;

	if (sodium_init() < 0)
		return -EIO;
	if ((r = loop_new(&v->loop)) < 0)
		return r;
	/* Before any thread starts (getenv); a NOTIFY_SOCKET we cannot use fails the start loudly
	 * rather than leave systemd waiting for READY=1 until its start timeout. */
	if ((r = notify_open(v->loop, notify_state, v, &v->notify)) < 0)
		return r;
	if ((r = open_checks(v)) < 0 || (r = vigild_peer_start(v)) < 0 ||
	    (r = vigild_control_start(v)) < 0)
		return r;
	start_netwatch(v);
	vigild_flight_start(v);
	loop_signal_add(v->loop, SIGTERM, on_sigterm, v);
	loop_signal_add(v->loop, SIGINT, on_sigterm, v);
	loop_signal_add(v->loop, SIGHUP, on_sighup, v);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* A clean stop: the socket removed, the prober's threads joined, the journal closed. */
static void stop_parts(struct vigild *v)
{
	vigild_netcfg_stop(v);
	control_free(v->control);
	peer_link_free(v->peer);
	icmp_free(v->icmp);
	netwatch_free(v->netwatch);
	recorder_free(v->recorder);
	check_watch_free(v->watch);
	check_free(v->local_check);
	check_free(v->next_check);
	check_free(v->check);
	vigild_hooks_free();
	loop_timer_free(v->core_timer);
	notify_free(v->notify);
	store_close(v->store);
	loop_free(v->loop);
}

int vigild_run(struct vigild *v)
{
	struct decide_params p;
	struct vg_event start = { .type = EV_START };
	enum vg_state state;
	int r;

	/* A test-only override (the namespace suite's upgrade scenario); never set on an appliance. */
	snprintf(v->software, sizeof(v->software), "%s",
	    getenv("VIGIL_TEST_VERSION") ? getenv("VIGIL_TEST_VERSION") : VIGIL_VERSION);
	if ((r = vigild_privs_check(v)) < 0 || (r = open_store(v, &state, &start.generation)) < 0 ||
	    (r = start_parts(v)) < 0)
		return r;
	vigild_netcfg_start(v, state == ST_STALE);
	v->started_mono_ms = loop_now_ms(v->loop);
	v->wall_minus_mono_ms = (int64_t)loop_wall_ms() - (int64_t)v->started_mono_ms;
	/* All that needs root is open: drop to [node] user, then start the ICMP workers, which
	 * inherit the capabilities left (they are per thread). */
	if ((r = vigild_privs_drop(v)) < 0 || (r = vigild_probes_start(v)) < 0)
		return r;
	start.flag = state == ST_STALE;
	config_decide_params(&v->cfg, &p);
	decide_init(&v->core, &p);
	vigild_journal(v, "start", "vigild %s, node %s, role %s", v->software, v->cfg.node.name,
	    v->cfg.node.role_a ? "A" : "B");
	vigild_post(v, &start);
	notify_ready(v->notify); /* the control socket is open and the core took its first step */
	r = loop_run(v->loop);
	notify_stopping(v->notify);
	vigild_journal(v, "stop", "vigild stops");
	stop_parts(v);
	return r;
}
