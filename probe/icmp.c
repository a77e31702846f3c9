/* icmp.c: the ICMP prober's loop side (SPEC "Diagnosis", "Ping sets"): probes in, echo rounds out to the worker threads, their records merged back from a pipe under a monotonic bound. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "icmp-internal.h"
#include "icmp.h"
#include "loop.h"

static const char *const kind_names[ICMP_KIND_COUNT] = {
	[ICMP_KIND_GATEWAY] = "gateway",
	[ICMP_KIND_NETTEST] = "nettest",
	[ICMP_KIND_PRIMARY] = "primary",
};

const char *icmp_kind_name(enum icmp_kind k)
{
	return (unsigned)k < ICMP_KIND_COUNT ? kind_names[k] : "?";
}

const char *icmp_strerror(int err)
{
	if (err == -EPERM)
		return "ICMP probes need CAP_NET_RAW: run vigild as root or grant it CAP_NET_RAW";
	return strerror(err < 0 ? -err : err);
}

/* liboping opens raw sockets: without CAP_NET_RAW every probe would fail later, one by one. */
static int cap_check(void)
{
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);

	if (fd < 0 && errno == EAFNOSUPPORT)
		fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd < 0)
		return errno == EPERM || errno == EACCES ? -EPERM : -errno;
	return close(fd) == 0 ? 0 : -errno;
}

static bool all_answered(const struct icmp_req *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (!r->answered[i])
			return false;
	return true;
}

/* Forget the probe: its unstarted rounds are dropped, its targets copied into res. */
static void req_end(struct icmp *ic, struct icmp_req *r, struct icmp_result *res)
{
	uint32_t slot = (uint32_t)(r - ic->req);
	const struct icmp_spec *sp = &ic->spec[slot];
	size_t k = 0;

	icmp_lock(&ic->mu);
	for (size_t i = 0; i < r->n; i++) {
		res->t[i].kind = sp->t[i].kind;
		res->t[i].addr = sp->t[i].addr;
		memcpy(res->t[i].ifname, sp->t[i].ifname, sizeof(res->t[i].ifname));
	}
	for (size_t i = 0; i < ic->n_jobs; i++) {
		if (ic->jobs[i].slot == slot)
			ic->counters.rounds_skipped++;
		else
			ic->jobs[k++] = ic->jobs[i];
	}
	ic->n_jobs = k;
	icmp_unlock(&ic->mu);
	(void)loop_timer_at(r->timer, LOOP_NEVER); /* disarming cannot fail */
	r->busy = false;
}

/* The last thing done: the callback may start another probe or free the prober. */
static void req_deliver(struct icmp *ic, struct icmp_req *r)
{
	struct icmp_result res = {
		.id = r->id,
		.timed_out = !all_answered(r),
		.error = r->error,
		.duration_ms = loop_now_ms(ic->l) - r->start_ms,
		.n = r->n,
	};

	for (size_t i = 0; i < r->n; i++) {
		res.t[i].answered = r->answered[i];
		res.t[i].echoes_answered = r->echoes[i];
		res.t[i].rtt_us = r->rtt_us[i];
	}
	req_end(ic, r, &res);
	ic->cb(&res, ic->arg);
}

/* The monotonic bound: whatever rounds are still out count as unanswered. */
static void on_deadline(void *arg)
{
	struct icmp_req *r = arg;

	icmp_lock(&r->ic->mu);
	r->ic->counters.timeouts++;
	icmp_unlock(&r->ic->mu);
	req_deliver(r->ic, r);
}

/* A round's record: a target answers if any of its echoes did; the probe ends when all have. */
static void rec_merge(struct icmp *ic, const struct icmp_rec *rec)
{
	struct icmp_req *r = &ic->req[rec->slot];

	if (!r->busy || r->seq != rec->seq) {
		icmp_lock(&ic->mu);
		ic->counters.rounds_after_end++;
		icmp_unlock(&ic->mu);
		return;
	}
	if (rec->n != r->n)
		abort(); /* STYLE 18: our own worker wrote a record for another probe shape */
	for (size_t i = 0; i < r->n; i++) {
		if (!rec->answered[i])
			continue;
		if (!r->answered[i] || rec->rtt_us[i] < r->rtt_us[i])
			r->rtt_us[i] = rec->rtt_us[i];
		r->answered[i] = true;
		r->echoes[i]++;
	}
	if (r->error == 0)
		r->error = rec->error;
	if (++r->rounds_done == ICMP_ECHOES || all_answered(r))
		req_deliver(ic, r);
}

/*
 * One record per call (the loop calls again while the pipe is readable): after a delivery the
 * prober may be gone.
 */
static void on_readable(int fd, unsigned events, void *arg)
{
	struct icmp *ic = arg;
	struct icmp_rec rec;
	ssize_t got = read(fd, &rec, sizeof(rec));

	(void)events;
	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* Records are written whole (one write under PIPE_BUF): anything else is a broken invariant. */
	if (got != (ssize_t)sizeof(rec) || rec.slot >= ICMP_MAX_PROBES ||
	    rec.n > ICMP_MAX_TARGETS || rec.round >= ICMP_ECHOES)
		abort();
	rec_merge(ic, &rec);
}

static int channel_open(struct icmp *ic)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
		return -errno;
	ic->pipe_rd = fds[0];
	ic->pipe_wr = fds[1];
	ic->io = loop_io_add(ic->l, ic->pipe_rd, LOOP_READ, on_readable, ic);
	if (ic->io == NULL)
		return errno > 0 ? -errno : -ENOMEM;
	for (size_t i = 0; i < ICMP_MAX_PROBES; i++) {
		ic->req[i].ic = ic;
		ic->req[i].timer = loop_timer_new(ic->l, on_deadline, &ic->req[i]);
		if (ic->req[i].timer == NULL)
			return -ENOMEM;
	}
	return 0;
}

/*
 * One more worker, under mu. A signal would end its ping_send with EINTR: it inherits a mask
 * that blocks them all. Its first act is to wait for a job: it counts as idle from now.
 */
static int thread_start(struct icmp *ic)
{
	sigset_t all, old;
	int r;

	if (ic->n_threads == ICMP_MAX_WORKERS || sigfillset(&all) != 0)
		return -ENOSPC;
	r = pthread_sigmask(SIG_SETMASK, &all, &old);
	if (r == 0)
		r = pthread_create(&ic->threads[ic->n_threads], NULL, icmp_worker_main, ic);
	if (pthread_sigmask(SIG_SETMASK, &old, NULL) != 0)
		abort(); /* restoring a mask just read cannot fail */
	if (r != 0)
		return -r;
	ic->n_threads++;
	ic->n_idle++;
	ic->counters.workers_started++;
	return 0;
}

static int threads_start(struct icmp *ic)
{
	int r = 0;

	icmp_lock(&ic->mu);
	while (r == 0 && ic->n_threads < ICMP_WORKERS)
		r = thread_start(ic);
	icmp_unlock(&ic->mu);
	return r;
}

static void threads_stop(struct icmp *ic)
{
	icmp_lock(&ic->mu);
	ic->stopping = true;
	if (pthread_cond_broadcast(&ic->cv) != 0)
		abort();
	icmp_unlock(&ic->mu);
	for (size_t i = 0; i < ic->n_threads; i++)
		if (pthread_join(ic->threads[i], NULL) != 0)
			abort(); /* our own joinable thread: a broken invariant */
	ic->n_threads = 0;
}

static void teardown(struct icmp *ic)
{
	threads_stop(ic);
	loop_io_del(ic->io);
	for (size_t i = 0; i < ICMP_MAX_PROBES; i++)
		loop_timer_free(ic->req[i].timer);
	if (ic->pipe_rd >= 0)
		(void)close(ic->pipe_rd); /* a pipe's close has nothing to flush */
	if (ic->pipe_wr >= 0)
		(void)close(ic->pipe_wr);
	(void)pthread_cond_destroy(&ic->cv); /* unused by now: cannot be busy */
	(void)pthread_mutex_destroy(&ic->mu);
	(void)pthread_mutex_destroy(&ic->build_mu);
	free(ic);
}

int icmp_new(struct loop *l, icmp_done_cb *cb, void *arg, struct icmp **ret)
{
	struct icmp *ic;
	int r;

	if (l == NULL || cb == NULL || ret == NULL)
		return -EINVAL;
	r = cap_check();
	if (r < 0)
		return r;
	ic = calloc(1, sizeof(*ic));
	if (ic == NULL)
		return -ENOMEM;
	ic->l = l;
	ic->cb = cb;
	ic->arg = arg;
	ic->pipe_rd = ic->pipe_wr = -1;
	ic->mu = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
	ic->build_mu = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
	ic->cv = (pthread_cond_t)PTHREAD_COND_INITIALIZER;
	r = channel_open(ic);
	if (r == 0)
		r = threads_start(ic);
	if (r < 0) {
		teardown(ic);
		return r;
	}
	*ret = ic;
	return 0;
}

void icmp_free(struct icmp *ic)
{
	if (ic != NULL)
		teardown(ic);
}

static int probe_valid(const struct icmp_target *t, size_t n, uint32_t timeout_ms, int dscp)
{
	if (t == NULL || n == 0 || n > ICMP_MAX_TARGETS || timeout_ms == 0 ||
	    timeout_ms > ICMP_TIMEOUT_MAX_MS || dscp < -1 || dscp > 63)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned)t[i].kind >= ICMP_KIND_COUNT ||
		    (t[i].addr.family != AF_INET && t[i].addr.family != AF_INET6) ||
		    memchr(t[i].ifname, '\0', sizeof(t[i].ifname)) == NULL)
			return -EINVAL;
	return 0;
}

/* Hand the probe's rounds to the workers, all at once: its echoes go out together. */
static void rounds_queue(struct icmp *ic, uint32_t slot, const struct icmp_target *t, size_t n,
    uint32_t timeout_ms, int dscp)
{
	struct icmp_spec *sp = &ic->spec[slot];

	icmp_lock(&ic->mu);
	sp->seq = ic->req[slot].seq;
	sp->n = n;
	memcpy(sp->t, t, n * sizeof(t[0]));
	sp->timeout_ms = timeout_ms;
	sp->tos = dscp < 0 ? -1 : dscp << 2;
	sp->deadline_ms = ic->req[slot].start_ms + timeout_ms + ICMP_GRACE_MS;
	for (uint32_t k = 0; k < ICMP_ECHOES; k++)
		ic->jobs[ic->n_jobs++] =
		    (struct icmp_job){ .slot = slot, .seq = sp->seq, .round = k };
	ic->counters.probes++;
	/* No worker free for a round (others wait on silent targets): start one if we may. */
	while (ic->n_idle < ic->n_jobs && thread_start(ic) == 0)
		;
	if (pthread_cond_broadcast(&ic->cv) != 0)
		abort();
	icmp_unlock(&ic->mu);
}

int icmp_probe(struct icmp *ic, uint32_t id, const struct icmp_target *targets, size_t n,
    uint32_t timeout_ms, int dscp)
{
	struct icmp_req *r = NULL;
	uint64_t now;
	int e = probe_valid(targets, n, timeout_ms, dscp);

	if (e < 0)
		return e;
	for (size_t i = 0; i < ICMP_MAX_PROBES && r == NULL; i++)
		r = ic->req[i].busy ? NULL : &ic->req[i];
	if (r == NULL) {
		icmp_lock(&ic->mu);
		ic->counters.busy++;
		icmp_unlock(&ic->mu);
		return -EBUSY;
	}
	now = loop_now_ms(ic->l);
	e = loop_timer_at(r->timer, now + timeout_ms + ICMP_GRACE_MS);
	if (e < 0)
		return e;
	*r = (struct icmp_req){ .ic = ic,
		.busy = true,
		.id = id,
		.seq = ++ic->next_seq,
		.n = n,
		.start_ms = now,
		.timer = r->timer };
	rounds_queue(ic, (uint32_t)(r - ic->req), targets, n, timeout_ms, dscp);
	return 0;
}
