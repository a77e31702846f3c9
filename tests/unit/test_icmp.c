/* test_icmp.c: the ICMP prober (probe/icmp*.c) on a real loop, sending only inside a network namespace of the test's own: loopback answers, a veth without a neighbour stays silent. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "icmp.h"
#include "loop.h"
#include "netns.h"

#define IP(...) assert_int_equal(netns_run("ip", __VA_ARGS__, NULL), 0)
#define SAFETY_MS 5000
#define TICK_MS 10
#define MAX_RESULTS 8
/* Slack over timeout + ICMP_GRACE_MS for a loaded machine or a sanitizer build. */
#define LATE_MS 400
#define MAX_ECHOES 64

/* Answering: loopback and the veth's own addresses. Silent: a neighbour that is not there. */
#define V4_LOCAL "10.200.0.1"
#define V4_SILENT "10.200.0.2"
#define V6_LOCAL "fd00:200::1"
#define V6_SILENT "fd00:200::2"

struct echo {
	int family;
	uint8_t dst[16];
	uint8_t tos;
	uint16_t ident;
	uint64_t at_ms;
};

struct ctx {
	struct loop *l;
	struct icmp *ic;
	struct loop_timer *tick, *safety;
	pthread_t loop_thread;
	uint64_t start_ms, last_tick_ms, max_gap_ms;
	int ticks;
	bool expired;
	bool kick_workers; /* on every tick, send SIGUSR1 to every other thread */
	bool free_in_cb;
	uint64_t stop_at_ms; /* stop the loop at the first tick from then on; 0 = never */
	int n, want;
	struct icmp_result r[MAX_RESULTS];
	uint64_t at_ms[MAX_RESULTS];
	bool off_loop; /* a callback ran outside the loop's thread */
	int cap_fd;    /* a packet capture drained on every tick, or -1 */
	struct echo echoes[MAX_ECHOES];
	size_t n_echoes;
};

static struct ctx C;

/* ---- the namespace ---- */

static void enter_or_skip(void)
{
	int r = netns_enter();

	if (r < 0) {
		print_message("skipped: needs root and a network namespace (%s)\n", strerror(-r));
		skip();
	}
}

/*
 * x0 holds the addresses; its peer x1 is up but has none, and x0 does no ARP or neighbour
 * discovery: echoes to the silent addresses leave x0 for a MAC nobody owns and are dropped.
 */
static void world_up(void)
{
	enter_or_skip();
	IP("link", "add", "x0", "type", "veth", "peer", "name", "x1");
	IP("link", "set", "x0", "arp", "off");
	IP("addr", "add", V4_LOCAL "/24", "dev", "x0");
	IP("-6", "addr", "add", V6_LOCAL "/64", "dev", "x0", "nodad");
	IP("-6", "addr", "add", "fe80::1/64", "dev", "x0", "nodad");
	IP("link", "set", "x0", "up");
	IP("link", "set", "x1", "up");
}

/* ---- targets ---- */

static struct icmp_target target(enum icmp_kind kind, const char *text, const char *ifname)
{
	struct icmp_target t = { .kind = kind };

	t.addr.family = strchr(text, ':') != NULL ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(t.addr.family, text, t.addr.bytes), 1);
	assert_true(strlen(text) < sizeof(t.addr.text));
	memcpy(t.addr.text, text, strlen(text) + 1);
	if (ifname != NULL) {
		assert_true(strlen(ifname) < sizeof(t.ifname));
		memcpy(t.ifname, ifname, strlen(ifname) + 1);
	}
	return t;
}

/* ---- capture: every echo request leaving an interface of the namespace ---- */

static int capture_open(void)
{
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));

	assert_true(fd >= 0);
	return fd;
}

/* An outgoing IPv4 or IPv6 echo request, or false. */
static bool echo_parse(const uint8_t *p, ssize_t len, uint16_t proto, struct echo *e)
{
	if (proto == ETH_P_IP && len >= 28 && (p[0] >> 4) == 4 && p[9] == 1) {
		size_t ihl = (size_t)(p[0] & 0x0f) * 4;

		if ((size_t)len < ihl + 8 || p[ihl] != 8)
			return false;
		*e = (struct echo){ .family = AF_INET, .tos = p[1] };
		memcpy(e->dst, p + 16, 4);
		e->ident = (uint16_t)(p[ihl + 4] << 8 | p[ihl + 5]);
		return true;
	}
	if (proto == ETH_P_IPV6 && len >= 48 && (p[0] >> 4) == 6 && p[6] == 58 && p[40] == 128) {
		*e = (struct echo){ .family = AF_INET6,
			.tos = (uint8_t)((p[0] & 0x0f) << 4 | p[1] >> 4) };
		memcpy(e->dst, p + 24, 16);
		e->ident = (uint16_t)(p[44] << 8 | p[45]);
		return true;
	}
	return false;
}

/*
 * Read what the capture holds, stamped with the loop's time: called on every tick, so a stamp
 * is within TICK_MS of the packet (kernel stamps are not on until a socket asks for them).
 */
static void capture_drain(struct ctx *c)
{
	uint8_t buf[2048];

	for (;;) {
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		ssize_t got =
		    recvfrom(c->cap_fd, buf, sizeof(buf), 0, (struct sockaddr *)&sll, &sl);

		if (got < 0) {
			assert_int_equal(errno, EAGAIN);
			return;
		}
		/* Loopback shows each packet twice: count the copy on its way out. */
		if (sll.sll_pkttype != PACKET_OUTGOING || c->n_echoes == MAX_ECHOES ||
		    !echo_parse(buf, got, ntohs(sll.sll_protocol), &c->echoes[c->n_echoes]))
			continue;
		c->echoes[c->n_echoes++].at_ms = loop_now_ms(c->l);
	}
}

/* The echoes to one target: exactly ICMP_ECHOES, distinct ids, the given TOS, sent together. */
static void assert_echoes(const struct echo *e, size_t n, const char *text, uint8_t tos)
{
	struct icmp_target t = target(ICMP_KIND_NETTEST, text, NULL);
	uint16_t ids[ICMP_ECHOES];
	uint64_t first = UINT64_MAX, last = 0;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (e[i].family != t.addr.family ||
		    memcmp(e[i].dst, t.addr.bytes, t.addr.family == AF_INET ? 4 : 16) != 0)
			continue;
		if (k == ICMP_ECHOES)
			fail_msg("%s: more than %d echoes", text, ICMP_ECHOES);
		assert_int_equal(e[i].tos, tos);
		for (size_t j = 0; j < k; j++)
			assert_int_not_equal(ids[j], e[i].ident);
		ids[k++] = e[i].ident;
		first = e[i].at_ms < first ? e[i].at_ms : first;
		last = e[i].at_ms > last ? e[i].at_ms : last;
	}
	if (k != ICMP_ECHOES)
		fail_msg("%s: %zu echoes, expected %d", text, k, ICMP_ECHOES);
	/* Together: one after another they would be a whole timeout apart. */
	if (last - first > 100)
		fail_msg("%s: echoes spread over %llu ms", text,
		    (unsigned long long)(last - first));
}

/* ---- the loop ---- */

static void on_done(const struct icmp_result *r, void *arg)
{
	struct ctx *c = arg;

	if (!pthread_equal(pthread_self(), c->loop_thread))
		c->off_loop = true;
	if (c->n < MAX_RESULTS) {
		c->r[c->n] = *r;
		c->at_ms[c->n] = loop_now_ms(c->l);
	}
	c->n++;
	if (c->free_in_cb) {
		icmp_free(c->ic);
		c->ic = NULL;
	}
	if (c->n >= c->want)
		loop_stop(c->l);
}

/* SIGUSR1 to each thread but this one: a worker that did not block it would leave ping_send. */
static void kick_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	pid_t me = (pid_t)syscall(SYS_gettid);

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		pid_t tid = (pid_t)atoi(e->d_name);

		if (tid > 0 && tid != me)
			assert_int_equal(syscall(SYS_tgkill, getpid(), tid, SIGUSR1), 0);
	}
	assert_int_equal(closedir(d), 0);
}

static void on_tick(void *arg)
{
	struct ctx *c = arg;
	uint64_t now = loop_now_ms(c->l);

	if (now - c->last_tick_ms > c->max_gap_ms)
		c->max_gap_ms = now - c->last_tick_ms;
	c->last_tick_ms = now;
	c->ticks++;
	if (c->kick_workers)
		kick_threads();
	if (c->cap_fd >= 0)
		capture_drain(c);
	if (c->stop_at_ms != 0 && now >= c->stop_at_ms)
		loop_stop(c->l);
	assert_int_equal(loop_timer_at(c->tick, now + TICK_MS), 0);
}

static void on_safety(void *arg)
{
	struct ctx *c = arg;

	c->expired = true;
	loop_stop(c->l);
}

static void on_sigusr1(int signo)
{
	(void)signo;
}

static int setup(void **state)
{
	(void)state;
	memset(&C, 0, sizeof(C));
	C.cap_fd = -1;
	C.loop_thread = pthread_self();
	if (loop_new(&C.l) != 0)
		return -1;
	C.tick = loop_timer_new(C.l, on_tick, &C);
	C.safety = loop_timer_new(C.l, on_safety, &C);
	return C.tick != NULL && C.safety != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	icmp_free(C.ic);
	if (C.cap_fd >= 0)
		(void)close(C.cap_fd);
	loop_timer_free(C.tick);
	loop_timer_free(C.safety);
	loop_free(C.l);
	return 0;
}

static void start_prober(void)
{
	int r = icmp_new(C.l, on_done, &C, &C.ic);

	if (r == -EPERM) {
		print_message("skipped: %s\n", icmp_strerror(r));
		skip();
	}
	assert_int_equal(r, 0);
}

/* Run the loop until `want` results (or the safety net), ticking every TICK_MS. */
static void run_until(int want)
{
	uint64_t now = loop_now_ms(C.l);

	C.want = want;
	C.start_ms = C.last_tick_ms = now;
	assert_int_equal(loop_timer_at(C.tick, now + TICK_MS), 0);
	assert_int_equal(loop_timer_at(C.safety, now + SAFETY_MS), 0);
	assert_int_equal(loop_run(C.l), 0);
	assert_false(C.expired);
	assert_false(C.off_loop);
	assert_int_equal(loop_timer_at(C.tick, LOOP_NEVER), 0);
}

static const struct icmp_target_result *result_of(const struct icmp_result *r, const char *text)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->t[i].addr.text, text) == 0)
			return &r->t[i];
	fail_msg("no result for %s", text);
	return NULL;
}

static void assert_answered(const struct icmp_result *r, const char *text, bool answered)
{
	const struct icmp_target_result *t = result_of(r, text);

	if (t->answered != answered)
		fail_msg("%s: answered %d, expected %d", text, t->answered, answered);
	if (!answered)
		assert_int_equal(t->echoes_answered, 0);
	else
		assert_in_range(t->echoes_answered, 1, ICMP_ECHOES);
}

/* ---- tests ---- */

/* Without CAP_NET_RAW icmp_new says so at once (a child drops the capability). */
static void test_new_without_cap_net_raw(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	assert_non_null(strstr(icmp_strerror(-EPERM), "CAP_NET_RAW"));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
		struct __user_cap_data_struct d[2];
		struct icmp *ic = NULL;

		if (syscall(SYS_capget, &h, d) != 0)
			_exit(10);
		d[CAP_NET_RAW / 32].effective &= ~(1u << (CAP_NET_RAW % 32));
		d[CAP_NET_RAW / 32].permitted &= ~(1u << (CAP_NET_RAW % 32));
		if (syscall(SYS_capset, &h, d) != 0)
			_exit(11);
		_exit(icmp_new(C.l, on_done, &C, &ic) == -EPERM && ic == NULL ? 0 : 12);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/*
 * A diagnosis with silent targets waits the whole timeout, in the workers: the loop keeps
 * ticking every TICK_MS meanwhile, and the answering targets are reported as such.
 */
static void test_silent_target_loop_runs(void **state)
{
	struct icmp_target t[] = {
		target(ICMP_KIND_GATEWAY, "127.0.0.1", NULL),
		target(ICMP_KIND_NETTEST, V4_SILENT, NULL),
		target(ICMP_KIND_PRIMARY, "::1", NULL),
		target(ICMP_KIND_NETTEST, V6_SILENT, NULL),
	};
	const struct icmp_result *r = &C.r[0];

	(void)state;
	world_up();
	start_prober();
	assert_int_equal(icmp_probe(C.ic, 7, t, 4, 600, -1), 0);
	run_until(1);
	assert_int_equal(C.n, 1);
	assert_int_equal(r->id, 7);
	assert_int_equal(r->n, 4);
	assert_true(r->timed_out);
	assert_int_equal(r->error, 0);
	assert_in_range(r->duration_ms, 600, 600 + ICMP_GRACE_MS + LATE_MS);
	assert_answered(r, "127.0.0.1", true);
	assert_answered(r, "::1", true);
	assert_answered(r, V4_SILENT, false);
	assert_answered(r, V6_SILENT, false);
	assert_int_equal(r->t[0].kind, ICMP_KIND_GATEWAY);
	assert_int_equal(r->t[2].kind, ICMP_KIND_PRIMARY);
	/* The loop never stalled while ping_send waited. */
	assert_true(C.ticks >= 600 / TICK_MS / 2);
	if (C.max_gap_ms > 100)
		fail_msg("the loop stalled for %llu ms", (unsigned long long)C.max_gap_ms);
}

/* Every target answered: the probe ends then, long before its timeout. */
static void test_all_answered_ends_early(void **state)
{
	struct icmp_target t[] = {
		target(ICMP_KIND_GATEWAY, "127.0.0.1", NULL),
		target(ICMP_KIND_NETTEST, V4_LOCAL, NULL),
		target(ICMP_KIND_NETTEST, V6_LOCAL, NULL),
		target(ICMP_KIND_PRIMARY, "::1", NULL),
	};

	(void)state;
	world_up();
	start_prober();
	/* Early: well before the 10 s timeout (loopback answers in microseconds; the margin is for
	 * a loaded machine, not a speed claim). */
	assert_int_equal(icmp_probe(C.ic, 1, t, 4, 10000, -1), 0);
	run_until(1);
	assert_false(C.r[0].timed_out);
	assert_true(C.r[0].duration_ms < 5000);
	for (size_t i = 0; i < 4; i++) {
		assert_true(C.r[0].t[i].answered);
		assert_true(C.r[0].t[i].rtt_us < 5000000);
	}
}

/* On the wire: 3 echoes per target, each its own id, sent together, with the DSCP asked for. */
static void test_echoes_together_with_dscp(void **state)
{
	struct icmp_target t[] = {
		target(ICMP_KIND_GATEWAY, "127.0.0.1", NULL),
		target(ICMP_KIND_NETTEST, V4_SILENT, NULL),
		target(ICMP_KIND_NETTEST, "::1", NULL),
		target(ICMP_KIND_PRIMARY, V6_SILENT, NULL),
	};

	(void)state;
	world_up();
	C.cap_fd = capture_open();
	start_prober();
	assert_int_equal(icmp_probe(C.ic, 1, t, 4, 400, 46), 0);
	run_until(1);
	assert_int_equal(C.n_echoes, 4 * ICMP_ECHOES);
	for (size_t i = 0; i < 4; i++)
		assert_echoes(C.echoes, C.n_echoes, t[i].addr.text, 46 << 2);
	/* Untagged when not asked (the last target is silent: the probe runs its timeout). */
	C.n_echoes = 0;
	assert_int_equal(icmp_probe(C.ic, 2, &t[2], 2, 300, -1), 0);
	run_until(2);
	assert_echoes(C.echoes, C.n_echoes, "::1", 0);
	assert_echoes(C.echoes, C.n_echoes, V6_SILENT, 0);
}

/* Per-target statistics: echoes sent and answered, RTTs; a target given twice is probed once. */
static void test_stats_and_duplicates(void **state)
{
	struct icmp_target t[] = {
		target(ICMP_KIND_GATEWAY, "127.0.0.1", NULL),
		target(ICMP_KIND_PRIMARY, "127.0.0.1", NULL),
		target(ICMP_KIND_NETTEST, V4_SILENT, NULL),
	};
	struct icmp_stat s[ICMP_MAX_STATS];
	size_t n = 0;

	(void)state;
	world_up();
	start_prober();
	for (uint32_t k = 0; k < 2; k++) {
		assert_int_equal(icmp_probe(C.ic, k, t, 3, 300, -1), 0);
		run_until((int)k + 1);
		assert_answered(&C.r[k], "127.0.0.1", true);
		assert_true(C.r[k].t[1].answered);
		assert_int_equal(C.r[k].t[1].echoes_answered, C.r[k].t[0].echoes_answered);
	}
	assert_int_equal(icmp_stats(C.ic, s, 1, &n), -ENOBUFS);
	assert_int_equal(icmp_stats(C.ic, s, ICMP_MAX_STATS, &n), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		bool silent = strcmp(s[i].addr.text, V4_SILENT) == 0;

		assert_int_equal(s[i].sent, 2 * ICMP_ECHOES);
		assert_int_equal(s[i].answered, silent ? 0 : 2 * ICMP_ECHOES);
		if (silent) {
			assert_int_equal(s[i].rtt_max_us, 0);
			continue;
		}
		assert_int_equal(s[i].kind, ICMP_KIND_GATEWAY); /* its first entry in the probe */
		assert_true(
		    s[i].rtt_min_us <= s[i].rtt_avg_us && s[i].rtt_avg_us <= s[i].rtt_max_us);
		assert_true(s[i].rtt_max_us > 0 && s[i].rtt_last_us > 0);
	}
}

/*
 * A target liboping refuses (a link-local address on an interface that does not exist) is left
 * out of a rebuilt object: the others are still probed, and the result says what went wrong.
 * A link-local address with its interface as the scope answers.
 */
static void test_refused_target_rebuilds(void **state)
{
	struct icmp_target t[] = {
		target(ICMP_KIND_GATEWAY, "fe80::99", "nosuchif0"),
		target(ICMP_KIND_GATEWAY, "fe80::1", "x0"),
		target(ICMP_KIND_PRIMARY, "127.0.0.1", NULL),
	};
	struct icmp_counters cnt;

	(void)state;
	world_up();
	start_prober();
	assert_int_equal(icmp_probe(C.ic, 3, t, 3, 500, -1), 0);
	run_until(1);
	assert_int_equal(C.r[0].error, -EINVAL);
	assert_true(C.r[0].timed_out);
	assert_answered(&C.r[0], "fe80::99", false);
	assert_answered(&C.r[0], "fe80::1", true);
	assert_answered(&C.r[0], "127.0.0.1", true);
	icmp_get_counters(C.ic, &cnt);
	assert_int_equal(cnt.host_add_failures, ICMP_ECHOES);
	assert_int_equal(cnt.rounds, ICMP_ECHOES);
}

/* Signals sent to every thread during a probe: the workers block them, ping_send is not cut. */
static void test_signals_do_not_cut_rounds(void **state)
{
	struct icmp_target t[] = {
		target(ICMP_KIND_PRIMARY, "127.0.0.1", NULL),
		target(ICMP_KIND_NETTEST, V4_SILENT, NULL),
	};
	struct sigaction sa = { .sa_handler = on_sigusr1 }, old;

	(void)state;
	world_up();
	start_prober();
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	C.kick_workers = true;
	assert_int_equal(icmp_probe(C.ic, 9, t, 2, 400, -1), 0);
	run_until(1);
	assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
	assert_int_equal(C.r[0].error, 0);
	assert_in_range(C.r[0].duration_ms, 400, 400 + ICMP_GRACE_MS + LATE_MS);
	assert_answered(&C.r[0], "127.0.0.1", true);
	assert_int_equal(C.r[0].t[0].echoes_answered, ICMP_ECHOES);
}

/*
 * Rounds that wait on silent targets hold their workers: a probe started meanwhile gets workers
 * of its own and its echoes still go out at once (it answers in time, all 3 echoes of it).
 */
static void test_busy_workers_grow(void **state)
{
	struct icmp_target t[] = {
		target(ICMP_KIND_PRIMARY, "127.0.0.1", NULL),
		target(ICMP_KIND_NETTEST, V4_SILENT, NULL),
	};
	struct icmp_counters cnt;

	(void)state;
	world_up();
	start_prober();
	assert_int_equal(icmp_probe(C.ic, 1, t, 2, 1000, -1), 0);
	assert_int_equal(icmp_probe(C.ic, 2, t, 2, 1000, -1), 0);
	assert_int_equal(icmp_probe(C.ic, 3, t, 2, 300, -1), 0);
	run_until(1);
	assert_int_equal(C.r[0].id, 3);
	assert_int_equal(C.r[0].t[0].echoes_answered, ICMP_ECHOES);
	assert_in_range(C.r[0].duration_ms, 300, 300 + ICMP_GRACE_MS + LATE_MS);
	run_until(3);
	assert_int_equal(C.r[1].t[0].echoes_answered, ICMP_ECHOES);
	assert_int_equal(C.r[2].t[0].echoes_answered, ICMP_ECHOES);
	icmp_get_counters(C.ic, &cnt);
	assert_int_equal(cnt.workers_started, 3 * ICMP_ECHOES);
	assert_int_equal(cnt.rounds_skipped, 0);
	assert_int_equal(cnt.rounds_cut_short, 0);
}

/* Bad requests are refused; more than ICMP_MAX_PROBES in flight is -EBUSY; each gets a result. */
static void test_invalid_and_busy(void **state)
{
	struct icmp_target t = target(ICMP_KIND_PRIMARY, V4_SILENT, NULL), bad = t;
	struct icmp_counters cnt;

	(void)state;
	world_up();
	start_prober();
	assert_int_equal(icmp_probe(C.ic, 0, &t, 0, 100, -1), -EINVAL);
	assert_int_equal(icmp_probe(C.ic, 0, &t, ICMP_MAX_TARGETS + 1, 100, -1), -EINVAL);
	assert_int_equal(icmp_probe(C.ic, 0, &t, 1, 0, -1), -EINVAL);
	assert_int_equal(icmp_probe(C.ic, 0, &t, 1, ICMP_TIMEOUT_MAX_MS + 1, -1), -EINVAL);
	assert_int_equal(icmp_probe(C.ic, 0, &t, 1, 100, 64), -EINVAL);
	assert_int_equal(icmp_probe(C.ic, 0, &t, 1, 100, -2), -EINVAL);
	bad.addr.family = AF_UNIX;
	assert_int_equal(icmp_probe(C.ic, 0, &bad, 1, 100, -1), -EINVAL);
	bad = t;
	bad.kind = ICMP_KIND_COUNT;
	assert_int_equal(icmp_probe(C.ic, 0, &bad, 1, 100, -1), -EINVAL);
	bad = t;
	memset(bad.ifname, 'x', sizeof(bad.ifname));
	assert_int_equal(icmp_probe(C.ic, 0, &bad, 1, 100, -1), -EINVAL);
	for (uint32_t k = 0; k < ICMP_MAX_PROBES; k++)
		assert_int_equal(icmp_probe(C.ic, k, &t, 1, 300, -1), 0);
	assert_int_equal(icmp_probe(C.ic, 99, &t, 1, 300, -1), -EBUSY);
	run_until(ICMP_MAX_PROBES);
	for (int k = 0; k < ICMP_MAX_PROBES; k++)
		assert_false(C.r[k].t[0].answered);
	icmp_get_counters(C.ic, &cnt);
	assert_int_equal(cnt.busy, 1);
	assert_int_equal(cnt.probes, ICMP_MAX_PROBES);
}

/* icmp_free with rounds in flight: no callback, the workers are joined, nothing leaks (ASan). */
static void test_free_in_flight(void **state)
{
	struct icmp_target t = target(ICMP_KIND_PRIMARY, V4_SILENT, NULL);
	uint64_t t0;

	(void)state;
	world_up();
	start_prober();
	assert_int_equal(icmp_probe(C.ic, 1, &t, 1, 300, -1), 0);
	/* Let the rounds reach ping_send: icmp_free then waits for them (at most their timeout). */
	C.stop_at_ms = loop_now_ms(C.l) + 50;
	run_until(1);
	assert_int_equal(C.n, 0);
	t0 = loop_wall_ms();
	icmp_free(C.ic);
	C.ic = NULL;
	assert_in_range(loop_wall_ms() - t0, 100, 300 + 1000);
	assert_int_equal(C.n, 0);
}

/* The callback may free the prober (records still in the pipe are never read). */
static void test_free_from_callback(void **state)
{
	struct icmp_target t = target(ICMP_KIND_PRIMARY, "127.0.0.1", NULL);

	(void)state;
	world_up();
	start_prober();
	C.free_in_cb = true;
	assert_int_equal(icmp_probe(C.ic, 5, &t, 1, 300, -1), 0);
	run_until(1);
	assert_null(C.ic);
	assert_true(C.r[0].t[0].answered);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_without_cap_net_raw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_target_loop_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_answered_ends_early, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echoes_together_with_dscp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_and_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_target_rebuilds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signals_do_not_cut_rounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_workers_grow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_and_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_from_callback, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
