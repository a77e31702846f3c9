/* flight.c: the flight recorder's glue: capture vigil's own traffic, keep it on every verdict (issue 5). */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "loop.h"
#include "recorder.h"
#include "route.h"

#define FLIGHT_MAX_TARGETS (CONFIG_MAX_ADDRS + 16)

/* What the capture keeps: the pair's port toward the peer, ICMP echo to NetTest and the gateways. */
static int flight_filter(const struct vigild *v, char *ret, size_t len)
{
	struct config_addr peers[2] = { *config_peer_main(&v->cfg), *config_peer_aux(&v->cfg) };
	struct config_addr t[FLIGHT_MAX_TARGETS];
	struct netcfg_gateway gw[16];
	size_t n_nt = 0, n = 0, n_gw = 0;
	const struct config_addr *nt = config_nettest(&v->cfg, &n_nt);

	for (size_t i = 0; i < n_nt && n < FLIGHT_MAX_TARGETS; i++)
		t[n++] = nt[i];
	if (netcfg_gateways(gw, sizeof(gw) / sizeof(gw[0]), &n_gw) == 0)
		for (size_t i = 0; i < n_gw && n < FLIGHT_MAX_TARGETS; i++)
			t[n++] = gw[i].addr;
	struct recorder_filter_spec s = {
		.peer_port = v->cfg.peer.port,
		.peers = peers,
		.n_peers = 2,
		.targets = t,
		.n_targets = n,
	};
	return recorder_filter_build(&s, ret, len);
}

void vigild_flight_start(struct vigild *v)
{
	char f[RECORDER_FILTER_MAX], *err = v->flight_err;
	size_t errlen = sizeof(v->flight_err);
	struct recorder_opts o = { .filter = f };

	if (flight_filter(v, f, sizeof(f)) < 0) {
		snprintf(err, errlen, "flight recorder off: no capture filter");
	} else if (recorder_new(v->loop, &o, &v->recorder, err, errlen) < 0) {
		v->recorder = NULL;
	} else {
		err[0] = '\0';
		return;
	}
	log_warnx("%s", v->flight_err); /* said once; vigild carries on without it */
}

/* Gateways changed: the filter follows. */
void vigild_flight_refilter(struct vigild *v)
{
	char f[RECORDER_FILTER_MAX], err[RECORDER_ERR_MAX];

	if (v->recorder == NULL || flight_filter(v, f, sizeof(f)) < 0)
		return;
	if (recorder_set_filter(v->recorder, f, err, sizeof(err)) < 0)
		log_warnx("flight recorder: %s", err);
}

/* A verdict was reached: keep the last seconds of probe and pair traffic in state_dir. */
void vigild_flight_keep(struct vigild *v)
{
	char path[PATH_MAX];
	uint64_t wall = (uint64_t)vigild_wall_ms(v, loop_now_ms(v->loop));
	int r;

	if (v->recorder == NULL)
		return;
	r = recorder_write_rotating(v->recorder, v->cfg.node.state_dir, wall,
	    RECORDER_FILES_DEFAULT, path, sizeof(path));
	if (r < 0)
		log_warnx("flight recorder: %s: %s", v->cfg.node.state_dir, strerror(-r));
	else
		log_debug("flight recorder: %s", path);
}
