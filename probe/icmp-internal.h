/* icmp-internal.h: what the loop side (icmp.c) and the worker threads (icmp-worker.c) of the ICMP prober share inside probe/. */
#ifndef VIGIL_PROBE_ICMP_INTERNAL_H
#define VIGIL_PROBE_ICMP_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "icmp.h"

/*
 * Threads: every echo round of a probe is one ping_send on its own liboping object in its own
 * thread, so the ICMP_ECHOES echoes go out together (liboping sends one echo per host per
 * ping_send and ignores a host added twice). Twice as many as one probe needs from the start: a
 * round that still waits for a silent target after its probe ended must not delay the next
 * probe's echoes. More are started while rounds wait and no worker is free, up to one per round
 * of every probe in flight: a round that liboping keeps past its probe's end (its timeout is on
 * the wall clock, which may step back) holds a thread, not the prober.
 */
#define ICMP_WORKERS (2 * ICMP_ECHOES)
#define ICMP_MAX_WORKERS (ICMP_MAX_PROBES * ICMP_ECHOES)
#define ICMP_MAX_JOBS (ICMP_MAX_PROBES * ICMP_ECHOES)
#define ICMP_IDENTS 65536
/*
 * An ICMP id is not reused for 10 to 20 s after its round ended: a late reply to it would be
 * taken by the new object (liboping matches id and sequence only, and every host starts at
 * sequence 0).
 */
#define ICMP_QUARANTINE_MS 10000u

/* One probe as the workers see it; written by the loop under mu, immutable while in flight. */
struct icmp_spec {
	uint64_t seq; /* unique per probe: a record for an older probe in the same slot is stale */
	size_t n;
	struct icmp_target t[ICMP_MAX_TARGETS];
	uint32_t timeout_ms;
	int tos;              /* -1: untagged */
	uint64_t deadline_ms; /* CLOCK_MONOTONIC: no round starts or waits past it */
};

struct icmp_job {
	uint32_t slot;
	uint64_t seq;
	uint32_t round;
};

/* One echo round's outcome, worker to loop over the pipe: fixed size, one atomic write. */
struct icmp_rec {
	uint64_t seq;
	uint32_t slot;
	uint32_t round;
	int32_t error; /* 0 or a negative errno */
	uint32_t n;
	uint8_t answered[ICMP_MAX_TARGETS];
	uint32_t rtt_us[ICMP_MAX_TARGETS];
};
_Static_assert(sizeof(struct icmp_rec) <= PIPE_BUF, "a record must be one atomic pipe write");

/* The loop's view of a probe in flight (loop thread only). */
struct icmp_req {
	struct icmp *ic;
	bool busy;
	uint32_t id;
	uint64_t seq;
	size_t n;
	uint64_t start_ms;
	struct loop_timer *timer;
	unsigned rounds_done;
	int error;
	bool answered[ICMP_MAX_TARGETS];
	uint8_t echoes[ICMP_MAX_TARGETS];
	uint32_t rtt_us[ICMP_MAX_TARGETS];
};

struct icmp_stat_slot {
	struct icmp_stat s;
	uint64_t rtt_sum_us;
	uint64_t used; /* the stat clock at the last update: the smallest is evicted */
};

struct icmp {
	struct loop *l;
	icmp_done_cb *cb;
	void *arg;
	int pipe_rd, pipe_wr;
	struct loop_io *io;
	uint64_t next_seq;
	struct icmp_req req[ICMP_MAX_PROBES]; /* loop thread only */

	pthread_mutex_t
	    build_mu;       /* one liboping object built at a time: its ids come from random() */
	pthread_mutex_t mu; /* everything below */
	pthread_cond_t cv;
	bool stopping;
	pthread_t threads[ICMP_MAX_WORKERS];
	size_t n_threads;
	size_t n_idle; /* threads not running a round */
	struct icmp_spec spec[ICMP_MAX_PROBES];
	struct icmp_job jobs[ICMP_MAX_JOBS]; /* FIFO */
	size_t n_jobs;
	/* ICMP ids of the objects in flight, and of those ended lately (ICMP_QUARANTINE_MS). */
	uint64_t idents[ICMP_IDENTS / 64];
	uint64_t idents_recent[ICMP_IDENTS / 64];
	uint64_t idents_older[ICMP_IDENTS / 64];
	uint64_t idents_aged_ms;
	struct icmp_stat_slot stats[ICMP_MAX_STATS];
	size_t n_stats;
	uint64_t stat_clock;
	struct icmp_counters counters;
};

/* A default mutex fails only on a broken invariant (STYLE 18). */
static inline void icmp_lock(pthread_mutex_t *m)
{
	if (pthread_mutex_lock(m) != 0)
		abort();
}

static inline void icmp_unlock(pthread_mutex_t *m)
{
	if (pthread_mutex_unlock(m) != 0)
		abort();
}

/* icmp-worker.c: the body of a worker thread (arg: struct icmp *), until stopping. */
void *icmp_worker_main(void *arg);

/* icmp-stats.c, under mu: account one echo to a target. */
void icmp_stats_account(struct icmp *ic, const struct icmp_target *t, bool answered,
    uint32_t rtt_us);

/* icmp-worker.c: the address as liboping takes it, with "%ifname" for an IPv6 link-local one. */
int icmp_host_text(const struct icmp_target *t, char *buf, size_t size);
bool icmp_target_same(const struct icmp_target *a, const struct icmp_target *b);

#endif /* VIGIL_PROBE_ICMP_INTERNAL_H */
