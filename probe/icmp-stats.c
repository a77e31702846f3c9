/* icmp-stats.c: per-target echo statistics of the ICMP prober (sent, answered, RTT min/avg/max/last) for `vigilctl dump`. */
#include <errno.h>
#include <string.h>

#include "icmp-internal.h"
#include "icmp.h"

static bool stat_is(const struct icmp_stat *s, const struct icmp_target *t)
{
	struct icmp_target k = { .addr = s->addr };

	memcpy(k.ifname, s->ifname, sizeof(k.ifname));
	return icmp_target_same(&k, t);
}

/* The slot of t: found, free, or the one probed least recently (forgotten). */
static struct icmp_stat_slot *stat_slot(struct icmp *ic, const struct icmp_target *t)
{
	struct icmp_stat_slot *old = &ic->stats[0];

	for (size_t i = 0; i < ic->n_stats; i++) {
		if (stat_is(&ic->stats[i].s, t))
			return &ic->stats[i];
		if (ic->stats[i].used < old->used)
			old = &ic->stats[i];
	}
	if (ic->n_stats < ICMP_MAX_STATS)
		old = &ic->stats[ic->n_stats++];
	*old = (struct icmp_stat_slot){ .s = { .addr = t->addr } };
	memcpy(old->s.ifname, t->ifname, sizeof(old->s.ifname));
	return old;
}

void icmp_stats_account(struct icmp *ic, const struct icmp_target *t, bool answered,
    uint32_t rtt_us)
{
	struct icmp_stat_slot *sl = stat_slot(ic, t);
	struct icmp_stat *s = &sl->s;

	sl->used = ++ic->stat_clock;
	s->kind = t->kind;
	s->sent++;
	if (!answered)
		return;
	s->answered++;
	sl->rtt_sum_us += rtt_us;
	if (s->answered == 1 || rtt_us < s->rtt_min_us)
		s->rtt_min_us = rtt_us;
	if (rtt_us > s->rtt_max_us)
		s->rtt_max_us = rtt_us;
	s->rtt_last_us = rtt_us;
	s->rtt_avg_us = (uint32_t)(sl->rtt_sum_us / s->answered);
}

int icmp_stats(struct icmp *ic, struct icmp_stat *ret, size_t cap, size_t *ret_n)
{
	struct icmp_stat copy[ICMP_MAX_STATS];
	size_t n;

	icmp_lock(&ic->mu);
	n = ic->n_stats;
	for (size_t i = 0; i < n; i++)
		copy[i] = ic->stats[i].s;
	icmp_unlock(&ic->mu);
	if (n > cap)
		return -ENOBUFS;
	if (n > 0)
		memcpy(ret, copy, n * sizeof(copy[0]));
	*ret_n = n;
	return 0;
}

void icmp_get_counters(struct icmp *ic, struct icmp_counters *ret)
{
	icmp_lock(&ic->mu);
	*ret = ic->counters;
	icmp_unlock(&ic->mu);
}
