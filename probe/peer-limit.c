/* peer-limit.c: the rate limit of rejected frames per remote address, and the bound on reporting them (include/peer.h "rate limit"); pure, the time passed in. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "peer.h"

void peer_limit_init(struct peer_limit *l, uint32_t rejects, uint32_t window_ms,
    uint32_t backoff_ms, uint32_t reports)
{
	memset(l, 0, sizeof(*l)); /* a large table: no struct literal on the stack */
	l->rejects = rejects;
	l->window_ms = window_ms ? window_ms : PEER_LIMIT_WINDOW_MS;
	l->backoff_ms = backoff_ms ? backoff_ms : PEER_LIMIT_BACKOFF_MS;
	l->reports = reports ? reports : PEER_LIMIT_REPORTS;
}

static bool addr_same(const struct config_addr *x, const struct config_addr *y)
{
	size_t n = x->family == AF_INET ? 4 : 16;

	return x->family == y->family && memcmp(x->bytes, y->bytes, n) == 0;
}

/* The slot of a, or -1. */
static int entry_find(const struct peer_limit *l, const struct config_addr *a)
{
	for (int i = 0; i < PEER_LIMIT_SLOTS; i++)
		if (l->e[i].addr.family != 0 && addr_same(&l->e[i].addr, a))
			return i;
	return -1;
}

/* Which of two used slots goes first: any not in back-off before any in it; then the least
 * recently seen, or the back-off that ends first. A flood of new addresses cannot lift a block. */
static bool evict_before(const struct peer_limit_entry *x, const struct peer_limit_entry *y,
    uint64_t now_ms)
{
	bool xb = x->blocked_until_ms > now_ms, yb = y->blocked_until_ms > now_ms;

	if (xb != yb)
		return !xb;
	return xb ? x->blocked_until_ms < y->blocked_until_ms : x->last_ms < y->last_ms;
}

static struct peer_limit_entry *entry_take(struct peer_limit *l, const struct config_addr *a,
    uint64_t now_ms)
{
	struct peer_limit_entry *e = NULL;

	for (size_t i = 0; i < PEER_LIMIT_SLOTS; i++) {
		if (l->e[i].addr.family == 0) {
			e = &l->e[i];
			break;
		}
		if (e == NULL || evict_before(&l->e[i], e, now_ms))
			e = &l->e[i];
	}
	memset(e, 0, sizeof(*e));
	e->addr = *a;
	e->window_start_ms = now_ms;
	return e;
}

/* One report per address per period (a block is always worth one), and l->reports per period
 * over all addresses: a sender with many addresses is bounded too. */
static bool report_due(struct peer_limit *l, struct peer_limit_entry *e, bool blocked,
    uint64_t now_ms)
{
	if (!blocked && now_ms < e->report_after_ms)
		return false;
	if (now_ms >= l->period_end_ms) {
		l->period_end_ms = now_ms + l->backoff_ms;
		l->period_reports = 0;
	}
	if (l->period_reports >= l->reports)
		return false;
	l->period_reports++;
	e->report_after_ms = now_ms + l->backoff_ms;
	return true;
}

void peer_limit_reject(struct peer_limit *l, const struct config_addr *a, bool may_block,
    uint64_t now_ms, struct peer_limit_note *ret)
{
	int i = entry_find(l, a);
	struct peer_limit_entry *e = i >= 0 ? &l->e[i] : entry_take(l, a, now_ms);
	struct peer_limit_note n = { .blocked = false };

	e->last_ms = now_ms;
	if (now_ms - e->window_start_ms >= l->window_ms) {
		e->window_start_ms = now_ms;
		e->rejects = 0;
	}
	n.rejects = ++e->rejects;
	if (may_block && l->rejects > 0 && e->rejects >= l->rejects &&
	    e->blocked_until_ms <= now_ms) {
		e->blocked_until_ms = now_ms + l->backoff_ms;
		e->rejects = 0; /* counting starts afresh */
		e->window_start_ms = now_ms;
		n.blocked = true;
	}
	n.report = report_due(l, e, n.blocked, now_ms);
	if (n.report) {
		n.unreported = e->unreported;
		e->unreported = 0;
	} else {
		e->unreported++;
	}
	*ret = n;
}

bool peer_limit_blocked(const struct peer_limit *l, const struct config_addr *a, uint64_t now_ms)
{
	int i = entry_find(l, a);

	return i >= 0 && l->e[i].blocked_until_ms > now_ms;
}
