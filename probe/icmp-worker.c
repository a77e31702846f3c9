/* icmp-worker.c: one echo round per job, in a worker thread: a fresh liboping object with ICMP ids unique in flight, one blocking ping_send, the outcome posted to the loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <oping.h>

#include "icmp-internal.h"
#include "icmp.h"

/* A round with less time left than this is not worth a ping_send. */
#define ROUND_MIN_MS 5u

/* The echo payload, so that vigil's probes stand out in a capture (liboping copies it). */
static char payload[] = "vigil icmp probe";

static uint64_t mono_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0; /* cannot fail on Linux for CLOCK_MONOTONIC */
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static size_t addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

bool icmp_target_same(const struct icmp_target *a, const struct icmp_target *b)
{
	return a->addr.family == b->addr.family &&
	    memcmp(a->addr.bytes, b->addr.bytes, addr_len(a->addr.family)) == 0 &&
	    strcmp(a->ifname, b->ifname) == 0;
}

int icmp_host_text(const struct icmp_target *t, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];
	const uint8_t *b = t->addr.bytes;
	bool link_local = t->addr.family == AF_INET6 && b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
	int r;

	if (inet_ntop(t->addr.family, b, a, sizeof(a)) == NULL)
		return -errno;
	/* Only a link-local address needs (and takes) a scope. */
	if (link_local && t->ifname[0] != '\0')
		r = snprintf(buf, size, "%s%%%s", a, t->ifname);
	else
		r = snprintf(buf, size, "%s", a);
	return r < 0 || (size_t)r >= size ? -ENAMETOOLONG : 0;
}

/* An earlier target of the probe with the same address and scope: liboping would ignore it. */
static bool target_dup(const struct icmp_spec *sp, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (icmp_target_same(&sp->t[j], &sp->t[i]))
			return true;
	return false;
}

static void count(struct icmp *ic, uint64_t *counter)
{
	icmp_lock(&ic->mu);
	(*counter)++;
	icmp_unlock(&ic->mu);
}

static int object_new(int tos, double timeout_s, pingobj_t **ret)
{
	pingobj_t *obj = ping_construct();
	uint8_t qos = (uint8_t)tos;

	if (obj == NULL)
		return -ENOMEM;
	/* PING_OPT_QOS takes the whole TOS / traffic-class byte. */
	if (ping_setopt(obj, PING_OPT_TIMEOUT, &timeout_s) != 0 ||
	    ping_setopt(obj, PING_OPT_DATA, payload) != 0 ||
	    (tos >= 0 && ping_setopt(obj, PING_OPT_QOS, &qos) != 0)) {
		ping_destroy(obj);
		return -EINVAL;
	}
	*ret = obj;
	return 0;
}

/* Add one target and tag it with its index (liboping appends: the tail is the new host). */
static int object_add(pingobj_t *obj, const struct icmp_target *t, size_t i)
{
	char host[INET6_ADDRSTRLEN + ICMP_IFNAME_MAX + 1];
	pingobj_iter_t *it, *next;
	int r = icmp_host_text(t, host, sizeof(host));

	if (r < 0)
		return r;
	if (ping_host_add(obj, host) != 0)
		return -EINVAL;
	for (it = ping_iterator_get(obj); it != NULL && (next = ping_iterator_next(it)) != NULL;
	     it = next)
		;
	if (it == NULL)
		return -EINVAL;
	ping_iterator_set_context(it, (void *)(uintptr_t)i);
	return 0;
}

static int host_ident(pingobj_iter_t *it, uint16_t *ret)
{
	uint16_t id;
	size_t len = sizeof(id);

	if (ping_iterator_get_info(it, PING_INFO_IDENT, &id, &len) != 0 || len != sizeof(id))
		return -EINVAL;
	*ret = id;
	return 0;
}

static bool bit_get(const uint64_t *bits, uint16_t id)
{
	return (bits[id / 64] & (UINT64_C(1) << (id % 64))) != 0;
}

static void bit_put(uint64_t *bits, uint16_t id, bool on)
{
	uint64_t m = UINT64_C(1) << (id % 64);

	bits[id / 64] = on ? bits[id / 64] | m : bits[id / 64] & ~m;
}

/* Under mu: retire the ids quarantined for a whole period. */
static void idents_age(struct icmp *ic)
{
	uint64_t now = mono_ms();

	if (now - ic->idents_aged_ms < ICMP_QUARANTINE_MS)
		return;
	memcpy(ic->idents_older, ic->idents_recent, sizeof(ic->idents_older));
	memset(ic->idents_recent, 0, sizeof(ic->idents_recent));
	ic->idents_aged_ms = now;
}

static bool ident_free(const struct icmp *ic, uint16_t id)
{
	return !bit_get(ic->idents, id) && !bit_get(ic->idents_recent, id) &&
	    !bit_get(ic->idents_older, id);
}

/*
 * Claim the ICMP ids of obj's hosts. liboping matches a reply by id and sequence only (every
 * fresh host starts at sequence 0) and every raw socket sees every reply: two objects in flight
 * with one id, or a new one with the id of a round just ended, would take each other's answers.
 * false: a clash, nothing claimed.
 */
static bool idents_claim(struct icmp *ic, pingobj_t *obj)
{
	uint16_t ids[ICMP_MAX_TARGETS];
	size_t n = 0, k;
	pingobj_iter_t *it;
	bool ok;

	for (it = ping_iterator_get(obj); it != NULL && n < ICMP_MAX_TARGETS;
	     it = ping_iterator_next(it))
		if (host_ident(it, &ids[n++]) < 0)
			return false;
	icmp_lock(&ic->mu);
	idents_age(ic);
	for (k = 0; k < n && ident_free(ic, ids[k]); k++)
		bit_put(ic->idents, ids[k], true);
	ok = k == n;
	while (!ok && k-- > 0)
		bit_put(ic->idents, ids[k], false);
	icmp_unlock(&ic->mu);
	return ok;
}

/* The round is over: its ids go into quarantine. */
static void idents_release(struct icmp *ic, pingobj_t *obj)
{
	uint16_t id;

	icmp_lock(&ic->mu);
	for (pingobj_iter_t *it = ping_iterator_get(obj); it != NULL; it = ping_iterator_next(it)) {
		if (host_ident(it, &id) < 0)
			continue;
		bit_put(ic->idents, id, false);
		bit_put(ic->idents_recent, id, true);
	}
	icmp_unlock(&ic->mu);
}

/*
 * One attempt at an object holding every distinct target not yet refused. A target liboping
 * refuses is marked and the attempt dropped: after a failed ping_host_add the object is unsafe
 * for ping_send (issue 5), so the next attempt starts from a fresh one. -EAGAIN: try again.
 */
static int object_fill(struct icmp *ic, const struct icmp_spec *sp, double timeout_s, bool *refused,
    bool *added, pingobj_t **ret)
{
	pingobj_t *obj;
	int r = object_new(sp->tos, timeout_s, &obj);

	for (size_t i = 0; r == 0 && i < sp->n; i++) {
		added[i] = false;
		if (refused[i] || target_dup(sp, i))
			continue;
		if (object_add(obj, &sp->t[i], i) < 0) {
			refused[i] = true;
			count(ic, &ic->counters.host_add_failures);
			ping_destroy(obj);
			return -EAGAIN;
		}
		added[i] = true;
	}
	if (r == 0 && !idents_claim(ic, obj)) {
		count(ic, &ic->counters.ident_collisions);
		ping_destroy(obj);
		return -EAGAIN;
	}
	if (r == 0)
		*ret = obj;
	return r;
}

/* Build the round's object; objects are built one at a time (liboping draws ids from random()). */
static int round_build(struct icmp *ic, const struct icmp_spec *sp, double timeout_s, bool *added,
    pingobj_t **ret)
{
	bool refused[ICMP_MAX_TARGETS] = { false };
	int r = -EAGAIN;

	icmp_lock(&ic->build_mu);
	/* Each refusal marks one more target; an id clash is rare (ids are random, 16 bits). */
	for (size_t tries = 0; r == -EAGAIN && tries <= sp->n + 8; tries++)
		r = object_fill(ic, sp, timeout_s, refused, added, ret);
	icmp_unlock(&ic->build_mu);
	for (size_t i = 0; i < sp->n; i++) {
		if (r < 0)
			added[i] = false; /* nothing is sent */
		else if (refused[i])
			r = 1; /* built, but a target is missing: said in the record */
	}
	return r;
}

/* Read the answers: liboping leaves a negative latency on a host that did not answer. */
static void round_collect(pingobj_t *obj, struct icmp_rec *rec)
{
	for (pingobj_iter_t *it = ping_iterator_get(obj); it != NULL; it = ping_iterator_next(it)) {
		uintptr_t i = (uintptr_t)ping_iterator_get_context(it);
		double ms;
		size_t len = sizeof(ms);

		if (i >= rec->n || ping_iterator_get_info(it, PING_INFO_LATENCY, &ms, &len) != 0 ||
		    ms < 0.0)
			continue;
		rec->answered[i] = 1;
		/* As liboping timed it (wall clock): reported, never used for a deadline. */
		ms *= 1000.0;
		rec->rtt_us[i] = ms >= (double)UINT32_MAX ? UINT32_MAX : (uint32_t)(ms + 0.5);
	}
}

/*
 * ping_send blocks until every host answered or the timeout; signals are blocked in this thread.
 * It times on the wall clock: back before its timeout with hosts unanswered and no error, it was
 * cut short by a forward step (what answered so far still counts).
 */
static void round_send(struct icmp *ic, pingobj_t *obj, uint64_t budget_ms, struct icmp_rec *rec)
{
	uint64_t t0 = mono_ms();
	int r, hosts = ping_iterator_count(obj);

	if (hosts == 0)
		return; /* every target refused: liboping must not be asked to send to nobody */
	errno = 0;
	r = ping_send(obj);
	if (r < 0 && rec->error == 0)
		rec->error = errno > 0 ? -errno : -EIO;
	if (r >= 0 && r < hosts && mono_ms() - t0 + ROUND_MIN_MS < budget_ms)
		count(ic, &ic->counters.rounds_cut_short);
	round_collect(obj, rec);
	idents_release(ic, obj);
}

/* Account the round to the statistics and copy answers to duplicate targets. */
static void round_account(struct icmp *ic, const struct icmp_spec *sp, const bool *added,
    struct icmp_rec *rec)
{
	for (size_t i = 0; i < sp->n; i++)
		for (size_t j = 0; !added[i] && j < i; j++)
			if (icmp_target_same(&sp->t[j], &sp->t[i])) {
				rec->answered[i] = rec->answered[j];
				rec->rtt_us[i] = rec->rtt_us[j];
				break;
			}
	icmp_lock(&ic->mu);
	ic->counters.rounds++;
	if (rec->error < 0)
		ic->counters.round_errors++;
	for (size_t i = 0; i < sp->n; i++)
		if (added[i])
			icmp_stats_account(ic, &sp->t[i], rec->answered[i] != 0, rec->rtt_us[i]);
	icmp_unlock(&ic->mu);
}

static void round_run(struct icmp *ic, const struct icmp_spec *sp, const struct icmp_job *j)
{
	struct icmp_rec rec = { .seq = j->seq,
		.slot = j->slot,
		.round = j->round,
		.n = (uint32_t)sp->n };
	bool added[ICMP_MAX_TARGETS] = { false };
	uint64_t now = mono_ms(), end = sp->deadline_ms - ICMP_GRACE_MS;
	pingobj_t *obj = NULL;
	int r;

	/* Our own bound on the monotonic clock: liboping's timeout runs on the wall clock. */
	if (now + ROUND_MIN_MS >= end) {
		count(ic, &ic->counters.rounds_skipped);
		return;
	}
	r = round_build(ic, sp, (double)(end - now) / 1000.0, added, &obj);
	if (r != 0)
		rec.error = r > 0 ? -EINVAL : r;
	if (r >= 0) {
		round_send(ic, obj, end - now, &rec);
		ping_destroy(obj);
	}
	round_account(ic, sp, added, &rec);
	/* Non-blocking: a full pipe loses the record, and the probe then ends by its deadline. */
	if (write(ic->pipe_wr, &rec, sizeof(rec)) != (ssize_t)sizeof(rec))
		count(ic, &ic->counters.records_dropped);
}

/* Wait for a job and copy its probe. false: the prober stops. */
static bool job_take(struct icmp *ic, struct icmp_spec *ret_spec, struct icmp_job *ret_job)
{
	bool ok;

	icmp_lock(&ic->mu);
	while (!ic->stopping && ic->n_jobs == 0)
		if (pthread_cond_wait(&ic->cv, &ic->mu) != 0)
			abort();
	ok = !ic->stopping;
	if (ok) {
		*ret_job = ic->jobs[0];
		ic->n_jobs--;
		memmove(ic->jobs, ic->jobs + 1, ic->n_jobs * sizeof(ic->jobs[0]));
		*ret_spec = ic->spec[ret_job->slot];
		ic->n_idle--;
	}
	icmp_unlock(&ic->mu);
	return ok;
}

void *icmp_worker_main(void *arg)
{
	struct icmp *ic = arg;
	struct icmp_spec sp;
	struct icmp_job j;

	while (job_take(ic, &sp, &j)) {
		round_run(ic, &sp, &j);
		icmp_lock(&ic->mu);
		ic->n_idle++;
		icmp_unlock(&ic->mu);
	}
	return NULL;
}
