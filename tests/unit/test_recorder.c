/* test_recorder.c: the flight recorder (probe/recorder*.c) on a real loop: pings and TCP across a veth between two network namespaces of the test's own, captured, written as pcap and read back. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "config.h"
#include "loop.h"
#include "netns.h"
#include "recorder.h"

#define IP(...) assert_int_equal(netns_run("ip", __VA_ARGS__, NULL), 0)
#define TICK_MS 10
#define STALL_MS 100 /* the longest gap between ticks the loop may show */

/* Namespace A (the test, x0) and B (x1), with fixed MACs and static neighbours: no ARP, no ND. */
#define MAC_A "02:00:00:00:02:01"
#define MAC_B "02:00:00:00:02:02"
#define A4 "10.201.0.1"
#define B4 "10.201.0.2"
#define B4_OTHER "10.201.0.3" /* answers too, but is not a probe target at first */
#define A6 "fd00:201::1"
#define B6 "fd00:201::2"
#define PORT 7301       /* the pair's port */
#define OTHER_PORT 7302 /* another service: never recorded */
#define ECHO_ID 0x7e57
#define MAX_PKTS 4096

struct ctx {
	struct loop *l;
	struct loop_timer *tick, *stop;
	struct recorder *rec;
	int ns_a, ns_b;
	int lis, lis_other; /* listening in B */
	int raw4, raw6;     /* echo senders in A */
	char dir[64];       /* files written by the test */
	char err[RECORDER_ERR_MAX];
	uint64_t last_tick_ms, max_gap_ms;
	int ticks;
	/* On each tick: send this many echoes to burst_dst (seq counting on), write every N ticks. */
	const char *burst_dst;
	int burst, burst_left;
	uint16_t seq;
	size_t payload;
	int write_every;
	int writes_failed;
};

static struct ctx C;

/* One packet of a file, read back. */
struct pkt {
	int family;
	int proto;
	uint8_t src[16], dst[16];
	uint8_t icmp_type;
	uint16_t id, seq;
	uint16_t sport, dport;
	uint8_t tcp_flags;
};

struct scan {
	int linktype, snaplen;
	size_t n, unparsed;
	size_t req4, rep4, req6, rep6; /* echoes of ECHO_ID */
	size_t icmp_other_addr;        /* echoes to or from B4_OTHER */
	size_t tcp_port, tcp_other_port, syn, synack;
	size_t n_echo;
	uint16_t seq[MAX_PKTS]; /* echoes of ECHO_ID in file order */
	bool reply[MAX_PKTS];
	struct timeval first_ts, last_ts;
};

static struct scan S;

/* ---- addresses ---- */

static struct config_addr addr(const char *text)
{
	struct config_addr a = { .family = strchr(text, ':') != NULL ? AF_INET6 : AF_INET };

	assert_int_equal(inet_pton(a.family, text, a.bytes), 1);
	assert_true(strlen(text) < sizeof(a.text));
	memcpy(a.text, text, strlen(text) + 1);
	return a;
}

/* The filter vigild would build: the pair's port with the peer, echoes to the peer and targets. */
static void filter_for(const char *const *targets, size_t n, char *ret, size_t len)
{
	struct config_addr peers[] = { addr(B4), addr(B6) };
	struct config_addr t[4];
	struct recorder_filter_spec s = { .peer_port = PORT, .peers = peers, .n_peers = 2 };

	assert_true(n <= 4);
	for (size_t i = 0; i < n; i++)
		t[i] = addr(targets[i]);
	s.targets = t;
	s.n_targets = n;
	assert_int_equal(recorder_filter_build(&s, ret, len), 0);
}

/* ---- the two namespaces ---- */

static void enter_or_skip(void)
{
	int r = netns_enter();

	if (r < 0) {
		print_message("skipped: needs root and a network namespace (%s)\n", strerror(-r));
		skip();
	}
}

static int listener(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, B4, &sa.sin_addr), 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	return fd;
}

/* B: a namespace made by a child, x1 moved into it; the test configures it from inside (setns). */
static void peer_ns_make(void)
{
	int up[2], down[2];
	char c, path[64], pid_text[16];
	pid_t pid;
	int st;

	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (close(up[0]) != 0 || close(down[1]) != 0 || unshare(CLONE_NEWNET) != 0 ||
		    write(up[1], "x", 1) != 1)
			_exit(1);
		_exit(read(down[0], &c, 1) >= 0 ? 0 : 2); /* until the test closes its end */
	}
	assert_int_equal(close(up[1]), 0);
	assert_int_equal(close(down[0]), 0);
	assert_int_equal(read(up[0], &c, 1), 1);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	C.ns_b = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(C.ns_b >= 0);
	snprintf(pid_text, sizeof(pid_text), "%d", (int)pid);
	IP("link", "set", "x1", "netns", pid_text);
	assert_int_equal(close(down[1]), 0);
	assert_int_equal(close(up[0]), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void peer_ns_configure(void)
{
	assert_int_equal(setns(C.ns_b, CLONE_NEWNET), 0);
	IP("link", "set", "lo", "up");
	IP("addr", "add", B4 "/24", "dev", "x1");
	IP("addr", "add", B4_OTHER "/24", "dev", "x1");
	IP("-6", "addr", "add", B6 "/64", "dev", "x1", "nodad");
	IP("neigh", "replace", A4, "lladdr", MAC_A, "dev", "x1", "nud", "permanent");
	IP("-6", "neigh", "replace", A6, "lladdr", MAC_A, "dev", "x1", "nud", "permanent");
	IP("link", "set", "x1", "up");
	C.lis = listener(PORT);
	C.lis_other = listener(OTHER_PORT);
	assert_int_equal(setns(C.ns_a, CLONE_NEWNET), 0);
}

static void world_up(void)
{
	enter_or_skip();
	C.ns_a = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(C.ns_a >= 0);
	IP("link", "add", "x0", "address", MAC_A, "type", "veth", "peer", "name", "x1", "address",
	    MAC_B);
	peer_ns_make();
	peer_ns_configure();
	IP("addr", "add", A4 "/24", "dev", "x0");
	IP("-6", "addr", "add", A6 "/64", "dev", "x0", "nodad");
	IP("neigh", "replace", B4, "lladdr", MAC_B, "dev", "x0", "nud", "permanent");
	IP("neigh", "replace", B4_OTHER, "lladdr", MAC_B, "dev", "x0", "nud", "permanent");
	IP("-6", "neigh", "replace", B6, "lladdr", MAC_B, "dev", "x0", "nud", "permanent");
	IP("link", "set", "x0", "up");
	C.raw4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	C.raw6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	assert_true(C.raw4 >= 0 && C.raw6 >= 0);
}

/* ---- traffic from A ---- */

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* One echo request (IPv6: the kernel fills the checksum of a raw ICMPv6 socket). */
static void ping(const char *dst, uint16_t seq, size_t payload)
{
	struct config_addr a = addr(dst);
	uint8_t m[8 + 1024] = { a.family == AF_INET ? 8 : 128, 0, 0, 0, ECHO_ID >> 8,
		ECHO_ID & 0xff, (uint8_t)(seq >> 8), (uint8_t)seq };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	uint16_t c;

	assert_true(payload <= 1024);
	memset(m + 8, 0xa5, payload);
	if (a.family == AF_INET) {
		c = csum(m, 8 + payload);
		m[2] = (uint8_t)(c >> 8);
		m[3] = (uint8_t)c;
		memcpy(&s4.sin_addr, a.bytes, 4);
		assert_int_equal(sendto(C.raw4, m, 8 + payload, 0, (struct sockaddr *)&s4,
		                     sizeof(s4)),
		    (ssize_t)(8 + payload));
		return;
	}
	memcpy(&s6.sin6_addr, a.bytes, 16);
	assert_int_equal(sendto(C.raw6, m, 8 + payload, 0, (struct sockaddr *)&s6, sizeof(s6)),
	    (ssize_t)(8 + payload));
}

static void pings(const char *dst, uint16_t first, int n)
{
	for (int i = 0; i < n; i++)
		ping(dst, (uint16_t)(first + i), 56);
}

/* A whole TCP conversation with B's listener on port: handshake, one message each way, close. */
static void tcp_talk(uint16_t port, int lis)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 2 };
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), s;
	char buf[8];

	assert_true(c >= 0);
	assert_int_equal(inet_pton(AF_INET, B4, &sa.sin_addr), 1);
	assert_int_equal(setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(send(c, "hello", 5, 0), 5);
	s = accept4(lis, NULL, NULL, SOCK_CLOEXEC); /* the handshake is done: no wait */
	assert_true(s >= 0);
	assert_int_equal(recv(s, buf, 5, MSG_WAITALL), 5);
	assert_int_equal(send(s, "world", 5, 0), 5);
	assert_int_equal(recv(c, buf, 5, MSG_WAITALL), 5);
	assert_int_equal(close(c), 0);
	assert_int_equal(close(s), 0);
}

/* ---- the loop ---- */

static void on_tick(void *arg)
{
	struct ctx *c = arg;
	uint64_t now = loop_now_ms(c->l);
	char path[128];

	if (now - c->last_tick_ms > c->max_gap_ms)
		c->max_gap_ms = now - c->last_tick_ms;
	c->last_tick_ms = now;
	c->ticks++;
	for (int i = 0; c->burst_dst != NULL && i < c->burst && c->burst_left > 0; i++) {
		ping(c->burst_dst, ++c->seq, c->payload);
		c->burst_left--;
	}
	if (c->write_every > 0 && c->ticks % c->write_every == 0) {
		snprintf(path, sizeof(path), "%s/tick.pcap", c->dir);
		c->writes_failed += recorder_write(c->rec, path) != 0;
	}
	assert_int_equal(loop_timer_at(c->tick, loop_now_ms(c->l) + TICK_MS), 0);
}

static void on_stop(void *arg)
{
	loop_stop(((struct ctx *)arg)->l);
}

/* Run the loop for ms, ticking every TICK_MS. */
static void run_for(uint64_t ms)
{
	uint64_t now = loop_now_ms(C.l);

	C.last_tick_ms = now;
	assert_int_equal(loop_timer_at(C.tick, now + TICK_MS), 0);
	assert_int_equal(loop_timer_at(C.stop, now + ms), 0);
	assert_int_equal(loop_run(C.l), 0);
	assert_int_equal(loop_timer_at(C.tick, LOOP_NEVER), 0);
}

static void start(const struct recorder_opts *o)
{
	int r = recorder_new(C.l, o, &C.rec, C.err, sizeof(C.err));

	if (r != 0)
		fail_msg("recorder_new: %d: %s", r, C.err);
}

static int setup(void **state)
{
	(void)state;
	memset(&C, 0, sizeof(C));
	C.ns_a = C.ns_b = C.lis = C.lis_other = C.raw4 = C.raw6 = -1;
	snprintf(C.dir, sizeof(C.dir), "/tmp/vigil-rec-XXXXXX");
	if (mkdtemp(C.dir) == NULL || loop_new(&C.l) != 0)
		return -1;
	C.tick = loop_timer_new(C.l, on_tick, &C);
	C.stop = loop_timer_new(C.l, on_stop, &C);
	return C.tick != NULL && C.stop != NULL ? 0 : -1;
}

static void dir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char p[512];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) != 0)
			print_message("cannot remove %s: %s\n", p, strerror(errno));
	}
	if (closedir(d) != 0 || rmdir(dir) != 0)
		print_message("cannot remove %s: %s\n", dir, strerror(errno));
}

static int teardown(void **state)
{
	int fds[] = { C.ns_a, C.ns_b, C.lis, C.lis_other, C.raw4, C.raw6 };

	(void)state;
	recorder_free(C.rec);
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0 && close(fds[i]) != 0)
			return -1;
	loop_timer_free(C.tick);
	loop_timer_free(C.stop);
	loop_free(C.l);
	dir_remove(C.dir);
	return 0;
}

/* ---- reading a file back ---- */

static bool pkt_l3(const uint8_t *ip, size_t len, uint16_t proto, struct pkt *p,
    const uint8_t **ret_l4, size_t *ret_len)
{
	size_t hl;

	if (proto == ETH_P_IP && len >= 20 && (ip[0] >> 4) == 4) {
		hl = (size_t)(ip[0] & 0x0f) * 4;
		*p = (struct pkt){ .family = AF_INET, .proto = ip[9] };
		memcpy(p->src, ip + 12, 4);
		memcpy(p->dst, ip + 16, 4);
	} else if (proto == ETH_P_IPV6 && len >= 40 && (ip[0] >> 4) == 6) {
		hl = 40;
		*p = (struct pkt){ .family = AF_INET6, .proto = ip[6] };
		memcpy(p->src, ip + 8, 16);
		memcpy(p->dst, ip + 24, 16);
	} else {
		return false;
	}
	if (len < hl)
		return false;
	*ret_l4 = ip + hl;
	*ret_len = len - hl;
	return true;
}

/* A LINUX_SLL packet: 16 bytes of cooked header, the protocol in its last two. */
static bool pkt_parse(const uint8_t *b, size_t caplen, struct pkt *p)
{
	const uint8_t *l4;
	size_t n;

	if (caplen < 16 || !pkt_l3(b + 16, caplen - 16, (uint16_t)(b[14] << 8 | b[15]), p, &l4, &n))
		return false;
	if ((p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) && n >= 8) {
		p->icmp_type = l4[0];
		p->id = (uint16_t)(l4[4] << 8 | l4[5]);
		p->seq = (uint16_t)(l4[6] << 8 | l4[7]);
		return true;
	}
	if (p->proto == IPPROTO_TCP && n >= 14) {
		p->sport = (uint16_t)(l4[0] << 8 | l4[1]);
		p->dport = (uint16_t)(l4[2] << 8 | l4[3]);
		p->tcp_flags = l4[13];
		return true;
	}
	return false;
}

static bool pkt_has(const struct pkt *p, const char *text)
{
	struct config_addr a = addr(text);
	size_t n = a.family == AF_INET ? 4 : 16;

	return p->family == a.family &&
	    (memcmp(p->src, a.bytes, n) == 0 || memcmp(p->dst, a.bytes, n) == 0);
}

static void scan_echo(const struct pkt *p)
{
	bool req = p->icmp_type == 8 || p->icmp_type == 128;
	bool rep = p->icmp_type == 0 || p->icmp_type == 129;

	if (!(req || rep))
		return;
	if (pkt_has(p, B4_OTHER))
		S.icmp_other_addr++;
	if (p->id != ECHO_ID)
		return;
	if (p->family == AF_INET)
		*(req ? &S.req4 : &S.rep4) += 1;
	else
		*(req ? &S.req6 : &S.rep6) += 1;
	assert_true(S.n_echo < MAX_PKTS);
	S.seq[S.n_echo] = p->seq;
	S.reply[S.n_echo++] = rep;
}

static void scan_one(const struct pcap_pkthdr *h, const uint8_t *b)
{
	struct pkt p;

	if (S.n == 0)
		S.first_ts = h->ts;
	S.last_ts = h->ts;
	S.n++;
	if (!pkt_parse(b, h->caplen, &p)) {
		S.unparsed++;
		return;
	}
	if (p.proto == IPPROTO_TCP) {
		S.tcp_port += p.sport == PORT || p.dport == PORT;
		S.tcp_other_port += p.sport == OTHER_PORT || p.dport == OTHER_PORT;
		S.syn += (p.tcp_flags & 0x12) == 0x02;
		S.synack += (p.tcp_flags & 0x12) == 0x12;
		return;
	}
	scan_echo(&p);
}

static void scan_file(const char *path)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, ebuf);
	struct pcap_pkthdr *h;
	const u_char *b;
	int r;

	if (p == NULL)
		fail_msg("%s: %s", path, ebuf);
	memset(&S, 0, sizeof(S));
	S.linktype = pcap_datalink(p);
	S.snaplen = pcap_snapshot(p);
	while ((r = pcap_next_ex(p, &h, &b)) == 1)
		scan_one(h, b);
	assert_int_equal(r, PCAP_ERROR_BREAK); /* the end of the file, not an error */
	pcap_close(p);
}

/* tcpdump -nn -r path into out; false if tcpdump is not installed. */
static bool tcpdump_read(const char *path, char *out, size_t len)
{
	char log[128], *argv[] = { "tcpdump", "-nn", "-r", (char *)path, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, fd;
	ssize_t n;

	snprintf(log, sizeof(log), "%s/tcpdump.out", C.dir);
	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	assert_int_equal(posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT, 0600),
	    0);
	assert_int_equal(posix_spawn_file_actions_adddup2(&fa, 1, 2), 0);
	st = posix_spawnp(&pid, "tcpdump", &fa, NULL, argv, environ);
	assert_int_equal(posix_spawn_file_actions_destroy(&fa), 0);
	if (st != 0)
		return false;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	fd = open(log, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, out, len - 1);
	assert_true(n >= 0);
	out[n] = '\0';
	assert_int_equal(close(fd), 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("tcpdump -r %s failed: %s", path, out);
	return true;
}

/* Another reader opens the file too: tcpdump, when installed, shows both kinds of echo and the
 * pair's port. */
static void assert_tcpdump_reads(const char *path)
{
	char out[16384];

	if (!tcpdump_read(path, out, sizeof(out))) {
		print_message("tcpdump not installed: not read with it\n");
		return;
	}
	assert_non_null(strstr(out, "ICMP echo request"));
	assert_non_null(strstr(out, "ICMP6, echo reply"));
	assert_non_null(strstr(out, B4 ".7301 "));
}

/* ---- tests without a capture ---- */

/* libpcap takes f for a capture on "any" (LINUX_SLL). */
static void assert_compiles(const char *f)
{
	pcap_t *dead = pcap_open_dead(DLT_LINUX_SLL, RECORDER_SNAPLEN_DEFAULT);
	struct bpf_program prog;

	assert_non_null(dead);
	if (pcap_compile(dead, &prog, f, 1, PCAP_NETMASK_UNKNOWN) != 0)
		fail_msg("%s: %s", f, pcap_geterr(dead));
	pcap_freecode(&prog);
	pcap_close(dead);
}

/* The filter: the pair's port with the peer, echoes to and from each address once, by family;
 * addresses come from their bytes, never from the text. It compiles for a LINUX_SLL capture. */
static void test_filter_build(void **state)
{
	struct config_addr peers[] = { addr("10.0.0.2"), addr("fd00::2") };
	struct config_addr targets[] = { addr("192.0.2.1"), addr("10.0.0.2"), addr("fe80::1") };
	struct recorder_filter_spec s = { .peer_port = 7000,
		.peers = peers,
		.n_peers = 2,
		.targets = targets,
		.n_targets = 3 };
	char f[RECORDER_FILTER_MAX], small[32] = "untouched";

	(void)state;
	snprintf(targets[0].text, sizeof(targets[0].text), "1.2.3.4 or tcp");
	assert_int_equal(recorder_filter_build(&s, f, sizeof(f)), 0);
	assert_string_equal(f,
	    "(tcp port 7000 and (host 10.0.0.2 or host fd00::2))"
	    " or (icmp and (icmp[icmptype] == icmp-echo or icmp[icmptype] == icmp-echoreply)"
	    " and (host 10.0.0.2 or host 192.0.2.1))"
	    " or (icmp6 and (icmp6[icmp6type] == icmp6-echo or icmp6[icmp6type] =="
	    " icmp6-echoreply) and (host fd00::2 or host fe80::1))");
	assert_compiles(f);
	s.n_peers = s.n_targets = 0;
	assert_int_equal(recorder_filter_build(&s, f, sizeof(f)), 0);
	assert_string_equal(f, "(tcp port 7000)");
	peers[0].family = peers[1].family = 0; /* unset, e.g. no aux: skipped */
	s.n_peers = 2;
	assert_int_equal(recorder_filter_build(&s, f, sizeof(f)), 0);
	assert_string_equal(f, "(tcp port 7000)");
	peers[0] = addr("10.0.0.2");
	peers[1] = addr("fd00::2");
	s.n_peers = 2;
	assert_int_equal(recorder_filter_build(&s, small, sizeof(small)), -ENOBUFS);
	assert_string_equal(small, "untouched");
	s.peer_port = 0;
	assert_int_equal(recorder_filter_build(&s, f, sizeof(f)), -EINVAL);
	s.peer_port = 7000;
	peers[1].family = AF_UNIX;
	assert_int_equal(recorder_filter_build(&s, f, sizeof(f)), -EINVAL);
}

/* Options out of range are refused before any capture is tried, with a message. */
static void test_bad_options(void **state)
{
	const struct recorder_opts bad[] = {
		{ .window_ms = RECORDER_WINDOW_MAX_MS + 1 },
		{ .budget_bytes = RECORDER_BUDGET_MIN - 1 },
		{ .budget_bytes = RECORDER_BUDGET_MAX + 1 },
		{ .snaplen = RECORDER_SNAPLEN_MIN - 1 },
		{ .snaplen = RECORDER_SNAPLEN_MAX + 1 },
		{ .device = "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		C.err[0] = '\0';
		assert_int_equal(recorder_new(C.l, &bad[i], &C.rec, C.err, sizeof(C.err)), -EINVAL);
		assert_null(C.rec);
		assert_true(C.err[0] != '\0');
	}
}

/* Drop CAP_NET_RAW from this process (a forked child): 0 or -errno. */
static int drop_cap_net_raw(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) != 0)
		return -errno;
	d[CAP_NET_RAW / 32].effective &= ~(1u << (CAP_NET_RAW % 32));
	d[CAP_NET_RAW / 32].permitted &= ~(1u << (CAP_NET_RAW % 32));
	return syscall(SYS_capset, &h, d) == 0 ? 0 : -errno;
}

/* Without CAP_NET_RAW: -EPERM and one clear line naming the capability (a child drops it). */
static void test_new_without_cap_net_raw(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct recorder *rec = NULL;
		struct loop *l;
		char err[RECORDER_ERR_MAX] = "";
		int r;

		if (drop_cap_net_raw() != 0 || loop_new(&l) != 0)
			_exit(10);
		r = recorder_new(l, &(struct recorder_opts){ .filter = "icmp" }, &rec, err,
		    sizeof(err));
		printf("recorder_new without CAP_NET_RAW: %d: %s\n", r, err);
		(void)fflush(stdout);
		loop_free(l);
		_exit(r == -EPERM && rec == NULL && strstr(err, "CAP_NET_RAW") != NULL ? 0 : 11);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* ---- tests with a capture ---- */

/*
 * The pair's TCP conversation and echoes to the peer are recorded, both ways, IPv4 and IPv6;
 * another port and an address that is no target are not. The file is LINUX_SLL, mode 0600,
 * and tcpdump reads it.
 */
static void test_capture_and_write(void **state)
{
	char f[RECORDER_FILTER_MAX], path[128];
	struct recorder_stats st;
	struct stat sb;

	(void)state;
	world_up();
	filter_for(NULL, 0, f, sizeof(f));
	start(&(struct recorder_opts){ .filter = f });
	pings(B4, 1, 3);
	pings(B6, 1, 3);
	pings(B4_OTHER, 1, 3);
	tcp_talk(PORT, C.lis);
	tcp_talk(OTHER_PORT, C.lis_other);
	run_for(200);
	snprintf(path, sizeof(path), "%s/flight.pcap", C.dir);
	assert_int_equal(recorder_write(C.rec, path), 0);
	scan_file(path);
	assert_int_equal(S.linktype, DLT_LINUX_SLL);
	assert_int_equal(S.snaplen, RECORDER_SNAPLEN_DEFAULT);
	assert_int_equal(S.req4, 3);
	assert_int_equal(S.rep4, 3);
	assert_int_equal(S.req6, 3);
	assert_int_equal(S.rep6, 3);
	assert_int_equal(S.icmp_other_addr, 0);
	assert_int_equal(S.tcp_other_port, 0);
	assert_int_equal(S.syn, 1);
	assert_int_equal(S.synack, 1);
	assert_true(S.tcp_port >= 8); /* handshake, two messages and their acks, two FINs */
	assert_int_equal(S.unparsed, 0);
	assert_int_equal(S.n, 12 + S.tcp_port);
	recorder_get_stats(C.rec, &st);
	assert_int_equal(st.kept, S.n);
	assert_int_equal(st.captured, S.n);
	assert_int_equal(st.linktype, DLT_LINUX_SLL);
	assert_int_equal(st.files_written, 1);
	assert_int_equal(st.dropped_budget + st.dropped_window + st.kernel_dropped, 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_tcpdump_reads(path);
}

/*
 * The byte budget: past it the oldest packets go first. What stays is the latest stretch: every
 * echo after the oldest one kept is there, request and reply, up to the last one sent.
 */
static void test_budget_drops_oldest(void **state)
{
	char f[RECORDER_FILTER_MAX], path[128];
	struct recorder_stats st;
	uint16_t lo = UINT16_MAX;
	size_t per = 0;

	(void)state;
	world_up();
	filter_for(NULL, 0, f, sizeof(f));
	start(&(struct recorder_opts){ .filter = f, .budget_bytes = RECORDER_BUDGET_MIN });
	C.burst_dst = B4;
	C.burst = 40;
	C.burst_left = 400;
	C.payload = 200;
	run_for(400);
	assert_int_equal(C.burst_left, 0);
	recorder_get_stats(C.rec, &st);
	assert_true(st.kept_bytes <= RECORDER_BUDGET_MIN);
	assert_true(st.dropped_budget > 0);
	assert_int_equal(st.captured, 800);
	assert_int_equal(st.kept + st.dropped_budget, st.captured);
	/* 16 (cooked) + 20 (IPv4) + 8 (ICMP) + 200 bytes, plus the record overhead. */
	assert_int_equal(st.kept_bytes, st.kept * (244 + RECORDER_RECORD_OVERHEAD));
	snprintf(path, sizeof(path), "%s/budget.pcap", C.dir);
	assert_int_equal(recorder_write(C.rec, path), 0);
	scan_file(path);
	assert_int_equal(S.n, st.kept);
	for (size_t i = 0; i < S.n_echo; i++)
		lo = S.seq[i] < lo ? S.seq[i] : lo;
	assert_true(lo > 1);
	for (size_t i = 0; i < S.n_echo; i++)
		per += S.seq[i] > lo;
	assert_int_equal(per, 2 * (400 - lo)); /* both ways for every echo after the oldest kept */
	assert_int_equal(S.seq[S.n_echo - 1], 400);
}

/* The time window: packets older than window_ms are gone, at the next packet or write, and with
 * no traffic at all by the next look at the stats. */
static void test_window_drops_old(void **state)
{
	char f[RECORDER_FILTER_MAX], path[128];
	struct recorder_stats st;

	(void)state;
	world_up();
	filter_for(NULL, 0, f, sizeof(f));
	start(&(struct recorder_opts){ .filter = f, .window_ms = 300 });
	pings(B4, 1, 5);
	run_for(500);
	pings(B4, 6, 5);
	run_for(100);
	snprintf(path, sizeof(path), "%s/window.pcap", C.dir);
	assert_int_equal(recorder_write(C.rec, path), 0);
	scan_file(path);
	assert_int_equal(S.n, 10);
	for (size_t i = 0; i < S.n_echo; i++)
		assert_in_range(S.seq[i], 6, 10);
	assert_true(S.last_ts.tv_sec - S.first_ts.tv_sec <= 1);
	recorder_get_stats(C.rec, &st);
	assert_int_equal(st.dropped_window, 10);
	run_for(400);
	recorder_get_stats(C.rec, &st);
	assert_int_equal(st.kept, 0);
	assert_int_equal(st.kept_bytes, 0);
	assert_int_equal(st.dropped_window, 20);
}

/* A filter that does not compile is refused by recorder_new with pcap's reason. A new filter (a
 * gateway appeared) applies to the next packets; a bad one is refused and the old one stays; the
 * packets kept under the old one stay too. */
static void test_filter_change(void **state)
{
	const char *const other[] = { B4_OTHER };
	char f[RECORDER_FILTER_MAX], path[128];
	struct recorder_stats st;

	(void)state;
	world_up();
	C.err[0] = '\0';
	assert_int_equal(recorder_new(C.l, &(struct recorder_opts){ .filter = "tcp port" }, &C.rec,
	                     C.err, sizeof(C.err)),
	    -EINVAL);
	assert_null(C.rec);
	assert_non_null(strstr(C.err, "filter"));
	filter_for(NULL, 0, f, sizeof(f));
	start(&(struct recorder_opts){ .filter = f });
	pings(B4_OTHER, 1, 3);
	pings(B4, 1, 1);
	run_for(100);
	filter_for(other, 1, f, sizeof(f));
	assert_int_equal(recorder_set_filter(C.rec, f, C.err, sizeof(C.err)), 0);
	pings(B4_OTHER, 4, 3);
	run_for(100);
	assert_int_equal(recorder_set_filter(C.rec, "tcp port", C.err, sizeof(C.err)), -EINVAL);
	assert_non_null(strstr(C.err, "filter"));
	pings(B4_OTHER, 7, 3);
	run_for(100);
	snprintf(path, sizeof(path), "%s/filter.pcap", C.dir);
	assert_int_equal(recorder_write(C.rec, path), 0);
	scan_file(path);
	assert_int_equal(S.icmp_other_addr, 12); /* seq 4..9, both ways */
	assert_int_equal(S.n, 14);               /* and the echo to B4 from before */
	for (size_t i = 0; i < S.n_echo; i++)
		assert_true(S.seq[i] >= 4 || S.seq[i] == 1);
	recorder_get_stats(C.rec, &st);
	assert_int_equal(st.filter_changes, 2);
}

/*
 * Nothing blocks the loop: with a steady stream and a file written every 10 ticks it keeps its
 * 10 ms tick; with no traffic the capture fd does not wake it (no spinning).
 */
static void test_loop_keeps_ticking(void **state)
{
	char f[RECORDER_FILTER_MAX];
	struct recorder_stats st;
	uint64_t reads;

	(void)state;
	world_up();
	filter_for(NULL, 0, f, sizeof(f));
	start(&(struct recorder_opts){ .filter = f });
	C.burst_dst = B6;
	C.burst = 100;
	C.burst_left = 5000;
	C.payload = 56;
	C.write_every = 10;
	run_for(1000);
	recorder_get_stats(C.rec, &st);
	assert_int_equal(C.burst_left, 0);
	assert_int_equal(C.writes_failed, 0);
	assert_int_equal(st.captured, 10000);
	assert_true(st.files_written >= 5);
	assert_true(C.ticks >= 1000 / TICK_MS / 2);
	if (C.max_gap_ms > STALL_MS)
		fail_msg("the loop stalled for %llu ms", (unsigned long long)C.max_gap_ms);
	reads = st.reads;
	C.write_every = 0;
	run_for(300);
	recorder_get_stats(C.rec, &st);
	assert_true(st.reads - reads <= 2);
}

static size_t dir_names(char names[][64], size_t cap)
{
	DIR *d = opendir(C.dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || n == cap)
			continue;
		snprintf(names[n++], 64, "%.63s", e->d_name);
	}
	assert_int_equal(closedir(d), 0);
	return n;
}

static bool dir_has(const char *name)
{
	char names[16][64];
	size_t n = dir_names(names, 16);

	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

static void touch(const char *name)
{
	char p[128];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", C.dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
}

/* 2024-05-01T12:00:0N.250Z */
#define T0_MS 1714564800250ull

/*
 * Rotation: flight-<UTC time>.pcap, the newest max_files kept, stale temporary files removed,
 * other files left alone; a file written with the clock set back is kept all the same.
 */
static void test_write_rotating(void **state)
{
	char path[128], small[16];
	char names[16][64];

	(void)state;
	enter_or_skip();
	start(&(struct recorder_opts){ .filter = "icmp" });
	touch("notes.txt");
	touch("flight-notes.txt");
	touch("flight-20240101T000000.000Z.pcap.Ab12Cd");
	for (uint64_t k = 0; k < 5; k++)
		assert_int_equal(recorder_write_rotating(C.rec, C.dir, T0_MS + k * 1000, 3, path,
		                     sizeof(path)),
		    0);
	assert_int_equal(strcmp(strrchr(path, '/'), "/flight-20240501T120004.250Z.pcap"), 0);
	assert_int_equal(dir_names(names, 16), 5);
	assert_true(dir_has("notes.txt") && dir_has("flight-notes.txt"));
	assert_true(dir_has("flight-20240501T120002.250Z.pcap"));
	assert_true(dir_has("flight-20240501T120003.250Z.pcap"));
	assert_true(dir_has("flight-20240501T120004.250Z.pcap"));
	assert_int_equal(recorder_write_rotating(C.rec, C.dir, T0_MS - 60000, 3, path,
	                     sizeof(path)),
	    0);
	assert_true(dir_has("flight-20240501T115900.250Z.pcap"));
	assert_false(dir_has("flight-20240501T120002.250Z.pcap"));
	scan_file(path);
	assert_int_equal(S.linktype, DLT_LINUX_SLL);
	assert_int_equal(recorder_write_rotating(C.rec, C.dir, T0_MS, 0, path, sizeof(path)),
	    -EINVAL);
	assert_int_equal(recorder_write_rotating(C.rec, C.dir, T0_MS, 3, small, sizeof(small)),
	    -ENAMETOOLONG);
}

/* A folder that does not exist: the errno, counted, nothing left behind; an empty ring still
 * makes a valid file. */
static void test_write_errors(void **state)
{
	char path[128], names[4][64];
	struct recorder_stats st;

	(void)state;
	enter_or_skip();
	start(&(struct recorder_opts){ .filter = "icmp" });
	snprintf(path, sizeof(path), "%s/missing/x.pcap", C.dir);
	assert_int_equal(recorder_write(C.rec, path), -ENOENT);
	snprintf(path, sizeof(path), "%s/empty.pcap", C.dir);
	assert_int_equal(recorder_write(C.rec, path), 0);
	scan_file(path);
	assert_int_equal(S.n, 0);
	assert_int_equal(S.linktype, DLT_LINUX_SLL);
	recorder_get_stats(C.rec, &st);
	assert_int_equal(st.write_errors, 1);
	assert_int_equal(st.files_written, 1);
	assert_int_equal(dir_names(names, 4), 1); /* empty.pcap alone: no temporary file left */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_filter_build, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_without_cap_net_raw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capture_and_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_drops_oldest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_drops_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop_keeps_ticking, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_rotating, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
