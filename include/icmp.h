/* icmp.h: the ICMP echo probes of a diagnosis and of the ping sets (SPEC "Diagnosis", "Ping sets"), liboping kept off the loop. */
#ifndef VIGIL_ICMP_H
#define VIGIL_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Echoes per target per probe, sent together: a target answers if any of them does (SPEC). */
#define ICMP_ECHOES 3
#define ICMP_MAX_TARGETS 32
/* Probes in flight at once; one more is refused with -EBUSY. */
#define ICMP_MAX_PROBES 4
/* Targets whose statistics are kept; past it the one probed least recently is forgotten. */
#define ICMP_MAX_STATS 64
#define ICMP_TIMEOUT_MAX_MS 60000u
/* Slack of the monotonic bound over the timeout: thread wake-up and the pipe, not the network. */
#define ICMP_GRACE_MS 100u
/* An interface name with its NUL (IF_NAMESIZE). */
#define ICMP_IFNAME_MAX 16

struct loop;
struct icmp;

enum icmp_kind {
	ICMP_KIND_GATEWAY,
	ICMP_KIND_NETTEST,
	ICMP_KIND_PRIMARY,
	ICMP_KIND_COUNT,
};

struct icmp_target {
	enum icmp_kind kind;
	struct config_addr addr; /* family and bytes are used; text is carried back as is */
	/* Scope of an IPv6 link-local address (a gateway learnt from a router); "" = none. */
	char ifname[ICMP_IFNAME_MAX];
};

struct icmp_target_result {
	enum icmp_kind kind;
	struct config_addr addr;
	char ifname[ICMP_IFNAME_MAX];
	bool answered;           /* at least one of the ICMP_ECHOES echoes was answered */
	uint8_t echoes_answered; /* how many, among the rounds that finished in time */
	uint32_t rtt_us; /* the fastest answer as liboping timed it (wall clock); 0 if none */
};

struct icmp_result {
	uint32_t id;    /* the caller's, from icmp_probe */
	bool timed_out; /* not every target answered: the probe ran to its timeout */
	int error;      /* 0, or the first negative errno an echo round hit (its echoes are lost) */
	uint64_t duration_ms; /* from icmp_probe to this result, monotonic */
	size_t n;
	struct icmp_target_result t[ICMP_MAX_TARGETS]; /* in the order of the request */
};

/* Called once per accepted probe, from the loop; it may call icmp_probe or icmp_free. */
typedef void icmp_done_cb(const struct icmp_result *r, void *arg);

/* Per-target statistics for `vigilctl dump`, one per address and scope; lost = sent - answered. */
struct icmp_stat {
	enum icmp_kind kind; /* as last probed */
	struct config_addr addr;
	char ifname[ICMP_IFNAME_MAX];
	uint64_t sent;
	uint64_t answered;
	uint32_t rtt_min_us, rtt_avg_us, rtt_max_us, rtt_last_us; /* 0 until an echo is answered */
};

/* Rejections and oddities, each a named counter for status and dump (STYLE 17). */
struct icmp_counters {
	uint64_t probes;            /* accepted by icmp_probe */
	uint64_t busy;              /* refused: ICMP_MAX_PROBES in flight */
	uint64_t rounds;            /* echo rounds that ran ping_send */
	uint64_t round_errors;      /* ping_send said an error (socket, sendto, select) */
	uint64_t host_add_failures; /* liboping refused a target: object rebuilt without it */
	uint64_t ident_collisions;  /* object rebuilt: its ICMP ids clashed with one in flight */
	uint64_t rounds_skipped;    /* dropped unstarted: the probe had ended, or no time left */
	uint64_t rounds_after_end;  /* finished after their probe had ended (stats only) */
	uint64_t records_dropped;   /* the result pipe was full (the probe ends by its bound) */
	uint64_t timeouts;          /* probes ended by the monotonic bound */
	uint64_t rounds_cut_short;  /* ping_send gave up early: the wall clock stepped forward */
	uint64_t workers_started;   /* worker threads started, ICMP_ECHOES * 2 of them at once */
};

/*
 * Start the prober: checks CAP_NET_RAW first (a raw ICMP socket), then starts the worker
 * threads with every signal blocked. Returns 0; -EPERM without CAP_NET_RAW (icmp_strerror says
 * so in words); -ENOMEM, -EMFILE, -EAGAIN (threads). The worker threads live in the network
 * namespace of the calling thread.
 */
int icmp_new(struct loop *l, icmp_done_cb *cb, void *arg, struct icmp **ret);
/* Stop: no callback after this; waits for the echo rounds in flight (each at most its timeout). */
void icmp_free(struct icmp *ic);

/*
 * Probe n targets at once, ICMP_ECHOES echoes each, all sent together; the result comes once
 * every target answered, or timeout_ms after this call (bounded on the monotonic clock, plus
 * ICMP_GRACE_MS), whichever is first. dscp 0..63 tags the echoes (IPv4 TOS and IPv6 traffic
 * class = dscp << 2), -1 leaves them untagged. Targets with the same address and scope are
 * probed once and share the answer. Never blocks. Returns 0 (the callback will come), -EINVAL
 * (n 0 or over ICMP_MAX_TARGETS, a bad family, kind or ifname, timeout 0 or over
 * ICMP_TIMEOUT_MAX_MS, dscp out of range) or -EBUSY (ICMP_MAX_PROBES in flight).
 */
int icmp_probe(struct icmp *ic, uint32_t id, const struct icmp_target *targets, size_t n,
    uint32_t timeout_ms, int dscp);

/* Copy the per-target statistics out. 0, or -ENOBUFS (more than cap; ret untouched). */
int icmp_stats(struct icmp *ic, struct icmp_stat *ret, size_t cap, size_t *ret_n);
void icmp_get_counters(struct icmp *ic, struct icmp_counters *ret);

const char *icmp_kind_name(enum icmp_kind k);
/* A sentence for an icmp_new error, -EPERM above all. */
const char *icmp_strerror(int err);

#endif /* VIGIL_ICMP_H */
