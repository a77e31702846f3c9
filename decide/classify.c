/* classify.c: network status and the classification of SPEC.md "Diagnosis" and "Classification", one rule a line. */
#include "decide.h"

enum vg_netstatus decide_netstatus(const struct vg_diag_result *r)
{
	if (r->gateways_probed && !r->gateway_answered)
		return NET_GATEWAY_UNREACHABLE;
	if (r->nettest_probed && !r->nettest_answered)
		return NET_NETTEST_UNREACHABLE;
	if (r->nettest_probed)
		return NET_NETTEST_REACHED;
	if (r->gateways_probed)
		return NET_GATEWAY_REACHED;
	return NET_NETTEST_UNAVAILABLE;
}

/* The local network is not good iff a configured step got no answer (a departure from the seed, on purpose). */
static bool network_good(enum vg_netstatus n)
{
	return n != NET_GATEWAY_UNREACHABLE && n != NET_NETTEST_UNREACHABLE;
}

enum vg_verdict decide_classify(const struct vg_diag_snapshot *s)
{
	bool conn_up = s->main_up || s->aux_up;

	/* 1. carrier lost on every interface toward the primary */
	if (s->carrier_lost_all)
		return VERDICT_NETWORK_DOWN;
	/* 2. the primary host answers ICMP */
	if (s->primary == REACH_REACHED) {
		if (!conn_up)
			return VERDICT_NOTIFIER_DOWN;
		if (s->module_down_confirmed)
			return VERDICT_MODULE_DOWN;
		return VERDICT_NONE;
	}
	/* 3. the primary host is silent */
	if (!network_good(s->net))
		return VERDICT_NETWORK_DOWN;
	return VERDICT_PRIMARY_UNREACHABLE;
}

int32_t decide_ping_sets(int32_t count)
{
	if (count < 0)
		return -1;
	return count <= 3 ? 3 : count;
}
