/* forge-peer.c: a forged peer for the namespace tests: real frames from probe/wire*.c, sent by someone without the pair key. */
/*
 * Usage: forge-peer [--bind ADDR] [--timeout-ms N] [--count N] HOST PORT ATTACK [OPTIONS]
 *
 * Connects to a vigild's peer port (IPv4) and plays one attack, --count times in a row (one
 * connection each). The frames are made by the codec of probe/wire*.c (include/wire.h) under a
 * random key of our own, then, for some attacks, changed byte by byte (doc/protocol.md
 * "Frame" gives the offsets). After sending, it waits for the peer to close the connection:
 * a rejected frame makes vigild close it (doc/protocol.md section 9), a half-done handshake is
 * closed at the connect timeout. Prints one line per connection:
 *   forge-peer ATTACK: sent N bytes, got M bytes, closed by the peer after T ms
 * and exits 0 when the peer closed every connection within --timeout-ms (default 5000), 1 when
 * one stayed open (or could not be made), 2 on usage.
 *
 * Attacks (the counter vigild should bump, `vigilctl dump --json` .peer):
 *   garbage          random bytes that are not a frame                       bad-magic
 *   bad-version      an OPEN with version 2                                  bad-version
 *   unknown-type     an OPEN with type 0x63                                  unknown-type
 *   auth-none        an OPEN with auth = none                                auth-mismatch
 *   bad-flags        an OPEN with a reserved flag bit set                    malformed
 *   oversize         an OPEN whose length field says 65535                   bad-length
 *   short-length     an OPEN whose length field says 5 (OPEN carries 16)     malformed
 *   wrong-key        an OPEN under our own key                               wrong-pair
 *   forged-id        an OPEN under our key with the pair's id (--pcap)       bad-mac
 *   replay           the bytes a real node sent on a captured connection
 *                    (--pcap; --reverse: the other direction's)           stale-session / unexpected
 *   forged-hello     the captured OPEN replayed (accepted: it proves nothing), the peer's
 *                    HELLO read, then our HELLO "primary, generation G" with the right pair id,
 *                    session tag and sequence, plus a state announcement, a commence notice
 *                    and a module-gone notice behind it, all under our key    bad-mac
 *   forged-announce  the captured OPEN replayed, then a state announcement
 *                    "primary, generation G" instead of a HELLO              unexpected
 *   slow             the first 8 bytes of a header, then silence             (handshake timeout)
 *   flood            --count connections at once, each silent                (evicted / timeouts)
 *
 * Options: --pcap FILE --from IP --to IP: the captured connection is the first one from IP to
 * IP:PORT in FILE (tcpdump -w, Ethernet or Linux cooked); --reverse takes what the acceptor sent
 * on it. --generation G (default 1000) for the forged messages. --node NAME: the forged hello's
 * node name (default node-a).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <sodium.h>

#include "wire.h"

/* doc/protocol.md "Frame": the header's byte offsets. */
#define OFF_VERSION 4
#define OFF_TYPE 5
#define OFF_AUTH 6
#define OFF_FLAGS 7
#define OFF_LENGTH 8
#define OFF_PAIR 10
#define OPEN_FRAME_LEN (WIRE_HEADER_LEN + WIRE_NONCE_LEN + WIRE_MAC_LEN)
#define STREAM_MAX 65536
#define FLOOD_MAX 256
#define FORGE_SOFTWARE "0.1.0" /* any version: the hello is refused before it is read */

struct opts {
	const char *bind, *host, *port_s, *attack;
	const char *pcap, *from, *to, *node;
	bool reverse;
	uint16_t port;
	int timeout_ms;
	int count;
	uint64_t generation;
};

/* A captured byte stream (one direction of one TCP connection). */
struct stream {
	uint8_t b[STREAM_MAX];
	size_t len;
};

static void usage(void)
{
	fprintf(stderr,
	    "usage: forge-peer [--bind ADDR] [--timeout-ms N] [--count N] HOST PORT ATTACK\n"
	    "       [--pcap FILE --from IP --to IP [--reverse]] [--generation G] [--node NAME]\n"
	    "attacks: garbage bad-version unknown-type auth-none bad-flags oversize short-length\n"
	    "         wrong-key forged-id replay forged-hello forged-announce slow flood\n");
	exit(2);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long num_arg(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < lo || v > hi)
		usage();
	return v;
}

/* ---- options ---- */

static bool opt_value(const char *name, int argc, char **argv, int *i, const char **ret)
{
	if (strcmp(argv[*i], name) != 0)
		return false;
	if (*i + 1 >= argc)
		usage();
	*ret = argv[++*i];
	return true;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	const char *pos[3] = { NULL }, *v;
	int npos = 0;

	*o = (struct opts){ .timeout_ms = 5000, .count = 1, .generation = 1000, .node = "node-a" };
	for (int i = 1; i < argc; i++) {
		if (opt_value("--bind", argc, argv, &i, &o->bind) ||
		    opt_value("--pcap", argc, argv, &i, &o->pcap) ||
		    opt_value("--from", argc, argv, &i, &o->from) ||
		    opt_value("--to", argc, argv, &i, &o->to) ||
		    opt_value("--node", argc, argv, &i, &o->node))
			continue;
		if (opt_value("--timeout-ms", argc, argv, &i, &v))
			o->timeout_ms = (int)num_arg(v, 1, 600000);
		else if (opt_value("--count", argc, argv, &i, &v))
			o->count = (int)num_arg(v, 1, 100000);
		else if (opt_value("--generation", argc, argv, &i, &v))
			o->generation = (uint64_t)num_arg(v, 0, LONG_MAX);
		else if (strcmp(argv[i], "--reverse") == 0)
			o->reverse = true;
		else if (argv[i][0] == '-' || npos == 3)
			usage();
		else
			pos[npos++] = argv[i];
	}
	if (npos != 3)
		usage();
	o->host = pos[0];
	o->port = (uint16_t)num_arg(pos[1], 1, 65535);
	o->attack = pos[2];
}

/* ---- the capture: one direction of the first matching TCP connection ---- */

struct capture_want {
	struct in_addr from, to;
	uint16_t port;
	bool reverse;
	uint16_t sport; /* the dialer's port, from its SYN; 0 until seen */
	uint32_t isn;   /* of the direction we keep */
	bool have_isn;
};

/* The IPv4 packet inside one captured frame, or NULL (not IPv4, too short). */
static const uint8_t *frame_ip(int dlt, const uint8_t *p, uint32_t caplen, uint32_t *ret_len)
{
	size_t off;
	uint16_t proto;

	if (dlt == DLT_EN10MB && caplen >= 14) {
		off = 14;
		proto = (uint16_t)(p[12] << 8 | p[13]);
	} else if (dlt == DLT_LINUX_SLL && caplen >= 16) {
		off = 16;
		proto = (uint16_t)(p[14] << 8 | p[15]);
	} else {
		return NULL;
	}
	if (proto != 0x0800 || caplen < off + 20)
		return NULL;
	*ret_len = caplen - (uint32_t)off;
	return p + off;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One TCP segment: note the handshake, copy payload of our direction to its stream offset. */
static void capture_segment(struct capture_want *w, const uint8_t *ip, uint32_t len,
    struct stream *st)
{
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4, thl, plen, at;
	const uint8_t *tcp = ip + ihl;
	struct in_addr src, dst;
	uint16_t sp, dp, tot = (uint16_t)(ip[2] << 8 | ip[3]);
	uint8_t flags;

	if (ip[9] != IPPROTO_TCP || ihl < 20 || len < ihl + 20 || tot > len || tot < ihl + 20)
		return;
	memcpy(&src, ip + 12, 4);
	memcpy(&dst, ip + 16, 4);
	sp = (uint16_t)(tcp[0] << 8 | tcp[1]);
	dp = (uint16_t)(tcp[2] << 8 | tcp[3]);
	thl = (size_t)(tcp[12] >> 4) * 4;
	flags = tcp[13];
	if (thl < 20 || ihl + thl > tot)
		return;
	bool fwd = src.s_addr == w->from.s_addr && dst.s_addr == w->to.s_addr && dp == w->port;
	bool back = src.s_addr == w->to.s_addr && dst.s_addr == w->from.s_addr && sp == w->port;
	if (fwd && (flags & 0x12) == 0x02 && w->sport == 0)
		w->sport = sp; /* the first SYN: this connection */
	if (w->sport == 0 || (fwd && sp != w->sport) || (back && dp != w->sport) || !(fwd || back))
		return;
	if ((flags & 0x02) != 0 && fwd != w->reverse && !w->have_isn) {
		w->isn = get32(tcp + 4);
		w->have_isn = true;
	}
	plen = tot - ihl - thl;
	if (fwd == w->reverse || !w->have_isn || plen == 0)
		return;
	at = (uint32_t)(get32(tcp + 4) - w->isn - 1);
	if (at >= STREAM_MAX || plen > STREAM_MAX - at)
		return;
	memcpy(st->b + at, tcp + thl, plen);
	if (at + plen > st->len)
		st->len = at + plen;
}

static int capture_load(const struct opts *o, struct stream *ret)
{
	char err[PCAP_ERRBUF_SIZE];
	struct capture_want w = { .port = o->port, .reverse = o->reverse };
	struct pcap_pkthdr *h;
	const uint8_t *p, *ip;
	uint32_t iplen;
	pcap_t *pc;
	int dlt;

	if (o->pcap == NULL || o->from == NULL || o->to == NULL ||
	    inet_pton(AF_INET, o->from, &w.from) != 1 || inet_pton(AF_INET, o->to, &w.to) != 1) {
		fprintf(stderr, "forge-peer %s: needs --pcap FILE --from IPv4 --to IPv4\n",
		    o->attack);
		return -1;
	}
	pc = pcap_open_offline(o->pcap, err);
	if (pc == NULL) {
		fprintf(stderr, "forge-peer: %s\n", err);
		return -1;
	}
	dlt = pcap_datalink(pc);
	ret->len = 0;
	while (pcap_next_ex(pc, &h, &p) == 1)
		if ((ip = frame_ip(dlt, p, h->caplen, &iplen)) != NULL)
			capture_segment(&w, ip, iplen, ret);
	pcap_close(pc);
	if (ret->len == 0) {
		fprintf(stderr, "forge-peer: no %s bytes of a connection %s -> %s:%u in %s\n",
		    o->reverse ? "acceptor" : "dialer", o->from, o->to, o->port, o->pcap);
		return -1;
	}
	return 0;
}

/* ---- sockets ---- */

static int connect_to(const struct opts *o)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(o->port) };
	struct sockaddr_in la = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || inet_pton(AF_INET, o->host, &sa.sin_addr) != 1) {
		fprintf(stderr, "forge-peer: %s: not an IPv4 address or no socket\n", o->host);
		goto fail;
	}
	if (o->bind != NULL &&
	    (inet_pton(AF_INET, o->bind, &la.sin_addr) != 1 ||
	        bind(fd, (struct sockaddr *)&la, sizeof(la)) < 0)) {
		fprintf(stderr, "forge-peer: bind %s: %s\n", o->bind, strerror(errno));
		goto fail;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "forge-peer: connect %s:%u: %s\n", o->host, o->port,
		    strerror(errno));
		goto fail;
	}
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

static int send_all(int fd, const uint8_t *b, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno; /* the peer may have closed already: that is its answer */
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read exactly n bytes before deadline_ms: 0, or -1 (closed, error, timeout). */
static int recv_exact(int fd, uint8_t *b, size_t n, int64_t deadline_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (n > 0) {
		int64_t left = deadline_ms - now_ms();

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		ssize_t r = recv(fd, b, n, 0);
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Wait for the peer to close: true when it did before deadline_ms; counts what it sent. */
static bool wait_closed(int fd, int64_t deadline_ms, size_t *got)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint8_t junk[4096];

	for (;;) {
		int64_t left = deadline_ms - now_ms();

		if (left <= 0)
			return false;
		int n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		ssize_t r = recv(fd, junk, sizeof(junk), 0);
		if (r <= 0)
			return true; /* EOF or reset */
		*got += (size_t)r;
	}
}

/* ---- frames ---- */

static void random_key(struct wire_key *ret)
{
	uint8_t k[WIRE_KEY_LEN];

	randombytes_buf(k, sizeof(k));
	wire_key_init_hmac(k, ret);
	sodium_memzero(k, sizeof(k));
}

/* A real OPEN, under key k, with a fresh nonce: the base the header attacks change. */
static size_t make_open(const struct wire_key *k, uint8_t *buf)
{
	uint8_t nonce[WIRE_NONCE_LEN];
	struct wire_session s;
	struct wire_msg m = { .type = WIRE_MSG_OPEN };
	size_t len = 0;

	randombytes_buf(nonce, sizeof(nonce));
	nonce[0] |= 1; /* never all zero */
	if (wire_session_init_dialer(k, nonce, &s) < 0 ||
	    wire_encode(&s, &m, buf, WIRE_FRAME_MAX, &len) < 0) {
		fprintf(stderr, "forge-peer: the codec refused an OPEN\n");
		exit(1);
	}
	return len;
}

/* Plausible facts for a hello (the acceptor half of our local handshake, or the forged one). */
static void hello_facts(const struct opts *o, enum vg_state state, uint64_t gen,
    struct wire_hello *h)
{
	*h = (struct wire_hello){ .role_a = true,
		.state = state,
		.generation = gen,
		.channel = CONN_MAIN,
		.dscp = WIRE_DSCP_NONE,
		.sync = SYNC_IN,
		.module_responding = true };
	snprintf(h->node, sizeof(h->node), "%s", o->node);
	snprintf(h->software, sizeof(h->software), "%s", FORGE_SOFTWARE);
}

static int encode(struct wire_session *s, const struct wire_msg *m, uint8_t *buf, size_t size,
    size_t *len)
{
	size_t n = 0;
	int r = wire_encode(s, m, buf + *len, size - *len, &n);

	if (r < 0)
		fprintf(stderr, "forge-peer: the codec refused a %s: %s\n",
		    wire_msg_type_name(m->type), strerror(-r));
	*len += n;
	return r;
}

/*
 * Our dialer session bound to the victim's nonces: a local acceptor under the same (wrong) key
 * plays the victim's HELLO with the victim's nonce_a, so the codec derives the session keys
 * and numbers exactly as the victim's session expects, only from a key that is not the pair's.
 */
static int bind_session(const struct opts *o, const struct wire_key *k, const uint8_t *nonce_d,
    const uint8_t *nonce_a, struct wire_session *d)
{
	struct wire_session x;
	struct wire_msg m = { .type = WIRE_MSG_OPEN }, got;
	uint8_t buf[WIRE_FRAME_MAX];
	size_t len = 0, used;
	int r;

	if (wire_session_init_dialer(k, nonce_d, d) < 0 ||
	    wire_session_init_acceptor(k, nonce_a, &x) < 0)
		return -1;
	r = encode(d, &m, buf, sizeof(buf), &len);
	r = r ? r : wire_decode(&x, buf, len, NULL, &got, &used);
	m.type = WIRE_MSG_HELLO;
	hello_facts(o, ST_PRIMARY, 1, &m.hello);
	len = 0;
	r = r ? r : encode(&x, &m, buf, sizeof(buf), &len);
	r = r ? r : wire_decode(d, buf, len, NULL, &got, &used);
	return r < 0 ? -1 : 0;
}

/* The forged messages after the victim's HELLO: announce only, or hello + announce + notices. */
static int forged_frames(const struct opts *o, struct wire_session *d, bool announce_only,
    uint8_t *buf, size_t size, size_t *len)
{
	struct wire_msg m = { .type = WIRE_MSG_HELLO };
	int r = 0;

	*len = 0;
	hello_facts(o, ST_PRIMARY, o->generation, &m.hello);
	r = encode(d, &m, buf, size, len);
	if (announce_only)
		*len = 0; /* the hello is not sent: the announcement comes where a hello must */
	m = (struct wire_msg){ .type = WIRE_MSG_STATE_ANNOUNCE };
	m.state_announce = (struct wire_state_announce){ ST_PRIMARY, o->generation };
	r = r ? r : encode(d, &m, buf, size, len);
	if (announce_only)
		return r;
	m = (struct wire_msg){ .type = WIRE_MSG_SWITCH_NOTICE };
	m.switch_notice = (struct wire_switch_notice){ WIRE_SWITCH_COMMENCE, REASON_MANUAL };
	r = r ? r : encode(d, &m, buf, size, len);
	m = (struct wire_msg){ .type = WIRE_MSG_MODULE_GONE };
	m.module_gone.pid = 4242;
	return r ? r : encode(d, &m, buf, size, len);
}

/* ---- attacks ---- */

/* The frame an attack sends first, built without talking to the peer; 0 = nothing to send. */
static size_t plain_attack(const struct opts *o, const struct stream *cap, uint8_t *buf)
{
	struct wire_key k;
	size_t len;

	random_key(&k);
	if (strcmp(o->attack, "garbage") == 0) {
		randombytes_buf(buf, 200);
		buf[0] = 'X'; /* not 'V': bad magic from the first byte */
		return 200;
	}
	if (strcmp(o->attack, "auth-none") == 0)
		wire_key_init_none(&k);
	if (strcmp(o->attack, "forged-id") == 0) /* the pair id is in clear in every header */
		memcpy(k.pair_id, cap->b + OFF_PAIR, WIRE_PAIR_ID_LEN);
	len = make_open(&k, buf);
	if (strcmp(o->attack, "bad-version") == 0)
		buf[OFF_VERSION] = WIRE_PROTOCOL_VERSION + 1;
	else if (strcmp(o->attack, "unknown-type") == 0)
		buf[OFF_TYPE] = 0x63;
	else if (strcmp(o->attack, "bad-flags") == 0)
		buf[OFF_FLAGS] = 0x01;
	else if (strcmp(o->attack, "oversize") == 0)
		buf[OFF_LENGTH] = buf[OFF_LENGTH + 1] = 0xff;
	else if (strcmp(o->attack, "short-length") == 0)
		buf[OFF_LENGTH + 1] = 5;
	else if (strcmp(o->attack, "slow") == 0)
		len = 8;
	return len;
}

static bool is_plain(const char *a)
{
	static const char *const names[] = { "garbage", "bad-version", "unknown-type", "auth-none",
		"bad-flags", "oversize", "short-length", "wrong-key", "forged-id", "slow", NULL };

	for (size_t i = 0; names[i] != NULL; i++)
		if (strcmp(a, names[i]) == 0)
			return true;
	return false;
}

static bool needs_capture(const char *a)
{
	return strcmp(a, "forged-id") == 0 || strcmp(a, "replay") == 0 ||
	    strcmp(a, "forged-hello") == 0 || strcmp(a, "forged-announce") == 0;
}

/* Replay the captured OPEN, read the victim's HELLO, send the forged frames. */
static int forge_after_open(const struct opts *o, int fd, const struct stream *cap, size_t *sent,
    int64_t deadline_ms)
{
	uint8_t hdr[WIRE_FRAME_MAX], out[4 * WIRE_FRAME_MAX];
	struct wire_session d;
	struct wire_key k;
	size_t plen, len;

	if (cap->len < OPEN_FRAME_LEN || cap->b[OFF_TYPE] != WIRE_MSG_OPEN) {
		fprintf(stderr, "forge-peer: the capture does not start with an OPEN\n");
		return -1;
	}
	if (send_all(fd, cap->b, OPEN_FRAME_LEN) < 0 ||
	    recv_exact(fd, hdr, WIRE_HEADER_LEN, deadline_ms) < 0) {
		fprintf(stderr, "forge-peer: the replayed OPEN got no HELLO back\n");
		return -1;
	}
	*sent += OPEN_FRAME_LEN;
	plen = (size_t)(hdr[OFF_LENGTH] << 8 | hdr[OFF_LENGTH + 1]);
	if (hdr[OFF_TYPE] != WIRE_MSG_HELLO || plen < WIRE_NONCE_LEN ||
	    recv_exact(fd, hdr + WIRE_HEADER_LEN, plen + WIRE_MAC_LEN, deadline_ms) < 0)
		return -1;
	printf("forge-peer %s: the replayed OPEN was answered with a HELLO (%zu bytes)\n",
	    o->attack, WIRE_HEADER_LEN + plen + WIRE_MAC_LEN);
	random_key(&k);
	memcpy(k.pair_id, cap->b + OFF_PAIR, WIRE_PAIR_ID_LEN);
	if (bind_session(o, &k, cap->b + WIRE_HEADER_LEN, hdr + WIRE_HEADER_LEN, &d) < 0 ||
	    forged_frames(o, &d, strcmp(o->attack, "forged-announce") == 0, out, sizeof(out),
	        &len) < 0)
		return -1;
	(void)send_all(fd, out, len);
	*sent += len;
	return 0;
}

/* One connection, one attack. 0: the peer closed it in time; 1: it did not, or no connection. */
static int attack_once(const struct opts *o, const struct stream *cap)
{
	int64_t t0 = now_ms(), deadline_ms = t0 + o->timeout_ms;
	uint8_t buf[WIRE_FRAME_MAX];
	size_t sent = 0, got = 0, len;
	bool closed;
	int fd = connect_to(o);

	if (fd < 0)
		return 1;
	if (is_plain(o->attack)) {
		len = plain_attack(o, cap, buf);
		(void)send_all(fd, buf, len);
		sent = len;
	} else if (strcmp(o->attack, "replay") == 0) {
		(void)send_all(fd, cap->b, cap->len);
		sent = cap->len;
	} else if (forge_after_open(o, fd, cap, &sent, deadline_ms) < 0) {
		close(fd);
		return 1;
	}
	closed = wait_closed(fd, deadline_ms, &got);
	close(fd);
	printf("forge-peer %s: sent %zu bytes, got %zu bytes, %s after %" PRId64 " ms\n", o->attack,
	    sent, got, closed ? "closed by the peer" : "STILL OPEN", now_ms() - t0);
	return closed ? 0 : 1;
}

/* --count silent connections at once: the pending-handshake bound and the timeout close them. */
static int flood(const struct opts *o)
{
	int fds[FLOOD_MAX], n = o->count < FLOOD_MAX ? o->count : FLOOD_MAX, closed = 0, made = 0;
	int64_t t0 = now_ms(), deadline_ms = t0 + o->timeout_ms;
	size_t got = 0;

	for (int i = 0; i < n; i++)
		if ((fds[i] = connect_to(o)) >= 0)
			made++;
	for (int i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		closed += wait_closed(fds[i], deadline_ms, &got) ? 1 : 0;
		close(fds[i]);
	}
	printf("forge-peer flood: %d of %d connections made, %d closed by the peer within %" PRId64
	       " ms\n",
	    made, n, closed, now_ms() - t0);
	return made == n && closed == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	static struct stream cap;
	struct opts o;
	int failed = 0;

	parse_args(argc, argv, &o);
	if (sodium_init() < 0)
		return 1;
	if (!is_plain(o.attack) && !needs_capture(o.attack) && strcmp(o.attack, "flood") != 0)
		usage();
	if (needs_capture(o.attack) && capture_load(&o, &cap) < 0)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(o.attack, "flood") == 0)
		return flood(&o);
	for (int i = 0; i < o.count; i++)
		failed += attack_once(&o, &cap);
	if (o.count > 1)
		printf("forge-peer %s: %d connections, %d not closed by the peer\n", o.attack,
		    o.count, failed);
	return failed == 0 ? 0 : 1;
}
