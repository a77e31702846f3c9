/* probes.c: the core's diagnosis and ping sets carried out by the ICMP prober (SPEC "Diagnosis", "Ping sets"). */
#include <errno.h>
#include <string.h>

#include "daemon.h"
#include "icmp.h"
#include "log.h"
#include "route.h"

static void add_target(struct icmp_target *t, size_t *n, enum icmp_kind kind,
    const struct config_addr *a)
{
	if (*n >= ICMP_MAX_TARGETS || a->family == 0)
		return;
	t[*n] = (struct icmp_target){ .kind = kind, .addr = *a };
	(*n)++;
}

static void add_gateways(struct icmp_target *t, size_t *n)
{
	struct netcfg_gateway gw[ICMP_MAX_TARGETS / 2];
	size_t n_gw = 0;

	/* Read at each diagnosis: route changes are seen without a cache (netlink events come later). */
	if (netcfg_gateways(gw, sizeof(gw) / sizeof(gw[0]), &n_gw) < 0)
		return;
	for (size_t i = 0; i < n_gw && *n < ICMP_MAX_TARGETS; i++) {
		t[*n] = (struct icmp_target){ .kind = ICMP_KIND_GATEWAY, .addr = gw[i].addr };
		memcpy(t[*n].ifname, gw[i].ifname, sizeof(t[*n].ifname));
		(*n)++;
	}
}

static size_t diag_targets(const struct vigild *v, bool ping_set, struct icmp_target *t)
{
	size_t n = 0, n_nt = 0;
	const struct config_addr *nt = config_nettest(&v->cfg, &n_nt);

	if (!ping_set) {
		if (v->cfg.network.gateway_ping)
			add_gateways(t, &n);
		for (size_t i = 0; i < n_nt; i++)
			add_target(t, &n, ICMP_KIND_NETTEST, &nt[i]);
	}
	add_target(t, &n, ICMP_KIND_PRIMARY, config_peer_main(&v->cfg));
	return n;
}

void vigild_diagnose(struct vigild *v, uint32_t id, bool ping_set)
{
	struct icmp_target t[ICMP_MAX_TARGETS];
	size_t n = diag_targets(v, ping_set, t);
	int r;

	if (ping_set)
		v->set_id = id;
	r = icmp_probe(v->icmp, id, t, n, v->cfg.network.nettest_timeout_ms,
	    v->cfg.network.icmp_dscp);
	if (r < 0) {
		/* No answer is posted: the core's own deadline asks again, a fake "silent" would mislead it. */
		v->counters.probe_errors++;
		log_warnx("probe %u could not start: %s", id, icmp_strerror(r));
	}
}

static void fold(const struct icmp_result *r, struct vg_diag_result *d)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct icmp_target_result *t = &r->t[i];

		switch (t->kind) {
		case ICMP_KIND_GATEWAY:
			d->gateways_probed = true;
			d->gateway_answered |= t->answered;
			break;
		case ICMP_KIND_NETTEST:
			d->nettest_probed = true;
			d->nettest_answered |= t->answered;
			break;
		default:
			d->primary_answered |= t->answered;
			break;
		}
	}
}

static void probe_done(const struct icmp_result *r, void *arg)
{
	struct vigild *v = arg;
	struct vg_event ev = { .id = r->id };

	/* SPEC: with gateway_ping a gateway must answer; none known (no default route) is not a good network. */
	ev.diag.gateways_probed = v->cfg.network.gateway_ping;
	fold(r, &ev.diag);
	if (r->id == v->set_id) {
		ev.type = EV_PINGSET_DONE;
		ev.flag = ev.diag.primary_answered;
	} else {
		ev.type = EV_DIAG_DONE;
	}
	vigild_post(v, &ev);
}

int vigild_probes_start(struct vigild *v)
{
	int r = icmp_new(v->loop, probe_done, v, &v->icmp);

	if (r == -EPERM)
		log_warnx(
		    "ICMP probes need CAP_NET_RAW: run vigild as root or grant it the capability");
	else if (r < 0)
		log_warnx("ICMP prober: %s", icmp_strerror(r));
	return r;
}
