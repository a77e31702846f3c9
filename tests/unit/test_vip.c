/* test_vip.c: the VIP module (netcfg/vip*.c): frame bytes and the claim parser on crafted frames, then takeover, announcements, duplicates and release on a veth pair in a network namespace of the test's own. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "../../netcfg/vip-internal.h"
#include "config.h"
#include "loop.h"
#include "netns.h"
#include "vip.h"

#define IP(...) assert_int_equal(netns_run("ip", __VA_ARGS__, NULL), 0)

#define MAC_A "02:00:00:00:09:01" /* va: the VIPs' device */
#define MAC_B "02:00:00:00:09:02" /* vb: its peer, where the test listens */
#define V4 "10.9.0.100"
#define V6 "fd00:9::100"
#define MAX_NOTES 64

static const uint8_t mac_a[6] = { 2, 0, 0, 0, 9, 1 };
static const uint8_t mac_b[6] = { 2, 0, 0, 0, 9, 2 };
static const uint8_t v4[4] = { 10, 9, 0, 100 };
static const uint8_t v6[16] = { 0xfd, 0, 0, 9, [14] = 1, [15] = 0 };

struct note_rec {
	enum vip_note_kind kind;
	char text[VIP_NOTE_MAX];
};

struct ctx {
	struct loop *l;
	struct loop_timer *stop;
	struct vip_set *s;
	pcap_t *cap; /* on vb */
	struct note_rec notes[MAX_NOTES];
	size_t n_notes;
};

static struct ctx C;

/* ---- helpers ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071 over a pseudo-header laid out in a buffer, apart from the module's own sum. */
static uint16_t cksum_ref(const uint8_t src[16], const uint8_t dst[16], const uint8_t *msg,
    size_t len)
{
	uint8_t buf[512] = { 0 };
	uint32_t sum = 0;
	size_t total = 40 + len;

	assert_true(total + 1 < sizeof(buf));
	memcpy(buf, src, 16);
	memcpy(buf + 16, dst, 16);
	buf[34] = (uint8_t)(len >> 8);
	buf[35] = (uint8_t)len;
	buf[39] = 58;
	memcpy(buf + 40, msg, len);
	for (size_t i = 0; i < total; i += 2)
		sum += (uint32_t)buf[i] << 8 | buf[i + 1];
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Checksum of a built ICMPv6 message, recomputed with its field zeroed. */
static void assert_cksum(const uint8_t *frame, size_t msg_len)
{
	uint8_t msg[128];

	memcpy(msg, frame + 54, msg_len);
	msg[2] = msg[3] = 0;
	assert_int_equal(get16(frame + 56), cksum_ref(frame + 22, frame + 38, msg, msg_len));
}

static void on_note(enum vip_note_kind kind, const char *text, void *arg)
{
	struct ctx *c = arg;

	assert_true(strlen(text) < VIP_NOTE_MAX);
	if (c->n_notes == MAX_NOTES)
		fail_msg("too many notes");
	c->notes[c->n_notes].kind = kind;
	snprintf(c->notes[c->n_notes].text, VIP_NOTE_MAX, "%s", text);
	c->n_notes++;
}

static size_t notes_count(enum vip_note_kind kind, const char *needle)
{
	size_t n = 0;

	for (size_t i = 0; i < C.n_notes; i++)
		n += C.notes[i].kind == kind && strstr(C.notes[i].text, needle) != NULL;
	return n;
}

static void notes_print(void)
{
	for (size_t i = 0; i < C.n_notes; i++)
		print_message("note %s: %s\n", vip_note_kind_name(C.notes[i].kind),
		    C.notes[i].text);
}

static struct config_vip vip_make(const char *addr, unsigned prefix, const char *dev)
{
	struct config_vip v = { .prefix = (uint8_t)prefix };

	v.addr.family = strchr(addr, ':') != NULL ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(v.addr.family, addr, v.addr.bytes), 1);
	snprintf(v.addr.text, sizeof(v.addr.text), "%s", addr);
	snprintf(v.dev, sizeof(v.dev), "%s", dev);
	return v;
}

/* ---- frames ---- */

static void assert_arp(const uint8_t *f, uint16_t op, const uint8_t *spa, const uint8_t *tha)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	assert_memory_equal(f, bcast, 6);
	assert_memory_equal(f + 6, mac_a, 6);
	assert_int_equal(get16(f + 12), 0x0806);
	assert_int_equal(get16(f + 14), 1);
	assert_int_equal(get16(f + 16), 0x0800);
	assert_int_equal(f[18], 6);
	assert_int_equal(f[19], 4);
	assert_int_equal(get16(f + 20), op);
	assert_memory_equal(f + 22, mac_a, 6);
	assert_memory_equal(f + 28, spa, 4);
	assert_memory_equal(f + 32, tha, 6);
	assert_memory_equal(f + 38, v4, 4);
}

static void test_garp_bytes(void **state)
{
	static const uint8_t zero[6];
	uint8_t f[VIP_FRAME_MAX];
	size_t len = 0;

	(void)state;
	assert_int_equal(vip_frame_garp(mac_a, v4, VIP_ARP_REQUEST, f, sizeof(f), &len), 0);
	assert_int_equal(len, 42);
	assert_arp(f, 1, v4, zero);
	assert_int_equal(vip_frame_garp(mac_a, v4, VIP_ARP_REPLY, f, sizeof(f), &len), 0);
	assert_int_equal(len, 42);
	assert_arp(f, 2, v4, mac_a);
	assert_int_equal(vip_frame_arp_probe(mac_a, v4, f, sizeof(f), &len), 0);
	assert_int_equal(len, 42);
	assert_arp(f, 1, (const uint8_t[4]){ 0 }, zero);
	len = 7;
	assert_int_equal(vip_frame_garp(mac_a, v4, 3, f, sizeof(f), &len), -EINVAL);
	assert_int_equal(vip_frame_garp(mac_a, v4, 1, f, 41, &len), -ENOBUFS);
	assert_int_equal(len, 7);
}

static void assert_ip6(const uint8_t *f, const uint8_t *dst_mac, unsigned plen, const uint8_t *src,
    const uint8_t *dst)
{
	assert_memory_equal(f, dst_mac, 6);
	assert_memory_equal(f + 6, mac_a, 6);
	assert_int_equal(get16(f + 12), 0x86dd);
	assert_int_equal(f[14] >> 4, 6);
	assert_int_equal(get16(f + 18), plen);
	assert_int_equal(f[20], 58);  /* ICMPv6 */
	assert_int_equal(f[21], 255); /* hop limit */
	assert_memory_equal(f + 22, src, 16);
	assert_memory_equal(f + 38, dst, 16);
}

static void test_na_bytes(void **state)
{
	static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	static const uint8_t all_nodes[16] = { 0xff, 2, [15] = 1 };
	static const uint8_t flags[4] = { 0x20, 0, 0, 0 }; /* override only */
	uint8_t f[VIP_FRAME_MAX];
	size_t len = 0;

	(void)state;
	assert_int_equal(vip_frame_na(mac_a, v6, f, sizeof(f), &len), 0);
	assert_int_equal(len, 86);
	assert_ip6(f, all_nodes_mac, 32, v6, all_nodes);
	assert_int_equal(f[54], 136);
	assert_int_equal(f[55], 0);
	assert_memory_equal(f + 58, flags, 4);
	assert_memory_equal(f + 62, v6, 16);
	assert_int_equal(f[78], 2); /* target link-layer address */
	assert_int_equal(f[79], 1);
	assert_memory_equal(f + 80, mac_a, 6);
	assert_cksum(f, 32);
	assert_int_equal(vip_icmp6_checksum(f + 22, f + 38, f + 54, 32), 0);
	assert_int_equal(vip_frame_na(mac_a, v6, f, 85, &len), -ENOBUFS);
}

static void test_ns_probe_bytes(void **state)
{
	static const uint8_t group_mac[6] = { 0x33, 0x33, 0xff, 0, 1, 0 };
	static const uint8_t group[16] = { 0xff, 2, [11] = 1, [12] = 0xff, [14] = 1 };
	static const uint8_t unspecified[16];
	uint8_t f[VIP_FRAME_MAX];
	size_t len = 0;

	(void)state;
	assert_int_equal(vip_frame_ns_probe(mac_a, v6, f, sizeof(f), &len), 0);
	assert_int_equal(len, 78);
	assert_ip6(f, group_mac, 24, unspecified, group);
	assert_int_equal(f[54], 135);
	assert_int_equal(f[55], 0);
	assert_memory_equal(f + 58, (const uint8_t[4]){ 0 }, 4);
	assert_memory_equal(f + 62, v6, 16);
	assert_cksum(f, 24);
	assert_int_equal(vip_frame_ns_probe(mac_a, v6, f, 77, &len), -ENOBUFS);
}

/* The parser on a heap copy of exactly len bytes, so that ASan sees any read past it. */
static int claim(const uint8_t *f, size_t len, struct config_addr *a, uint8_t mac[6])
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, f, len);
	r = vip_frame_claim(copy, len, a, mac);
	free(copy);
	return r;
}

static void assert_claim(const uint8_t *f, size_t len, const char *text, const uint8_t *mac)
{
	struct config_addr a;
	uint8_t m[6];

	assert_int_equal(claim(f, len, &a, m), 0);
	assert_string_equal(a.text, text);
	assert_int_equal(a.family, strchr(text, ':') != NULL ? AF_INET6 : AF_INET);
	assert_memory_equal(a.bytes, a.family == AF_INET ? v4 : v6, a.family == AF_INET ? 4 : 16);
	assert_memory_equal(m, mac, 6);
}

/* Every shorter copy is rejected, and the outputs stay untouched. */
static void assert_truncations_rejected(const uint8_t *f, size_t len)
{
	for (size_t n = 0; n < len; n++) {
		struct config_addr a = { .family = 77 };
		uint8_t m[6] = { 9, 9, 9, 9, 9, 9 };

		assert_int_equal(claim(f, n, &a, m), -EINVAL);
		assert_int_equal(a.family, 77);
		assert_int_equal(m[0], 9);
	}
}

static void test_claim_accepts(void **state)
{
	uint8_t f[VIP_FRAME_MAX];
	size_t len = 0;

	(void)state;
	assert_int_equal(vip_frame_garp(mac_b, v4, VIP_ARP_REQUEST, f, sizeof(f), &len), 0);
	assert_claim(f, len, V4, mac_b);
	assert_int_equal(vip_frame_garp(mac_b, v4, VIP_ARP_REPLY, f, sizeof(f), &len), 0);
	assert_claim(f, len, V4, mac_b);
	memset(f + len, 0, 60 - len); /* padded to the Ethernet minimum, as captured */
	assert_claim(f, 60, V4, mac_b);
	/* A reply to a probe: sender the address, target 0.0.0.0. */
	memset(f + 38, 0, 4);
	assert_claim(f, len, V4, mac_b);
	assert_int_equal(vip_frame_na(mac_b, v6, f, sizeof(f), &len), 0);
	assert_claim(f, len, V6, mac_b);
	/* Without the option the Ethernet source is the claimant. */
	put16(f + 18, 24);
	put16(f + 56, 0);
	put16(f + 56, vip_icmp6_checksum(f + 22, f + 38, f + 54, 24));
	assert_claim(f, 78, V6, mac_b);
}

static void test_claim_rejects_truncated(void **state)
{
	uint8_t f[VIP_FRAME_MAX];
	size_t len = 0;

	(void)state;
	assert_int_equal(vip_frame_garp(mac_b, v4, VIP_ARP_REPLY, f, sizeof(f), &len), 0);
	assert_truncations_rejected(f, len);
	assert_int_equal(vip_frame_na(mac_b, v6, f, sizeof(f), &len), 0);
	assert_truncations_rejected(f, len);
	assert_int_equal(vip_frame_claim(NULL, 0, NULL, NULL), -EINVAL);
}

/* A valid NA with byte i set to value (and the checksum fixed when fix is set). */
static size_t na_with(uint8_t *f, size_t i, uint8_t value, bool fix)
{
	size_t len = 0;

	assert_int_equal(vip_frame_na(mac_b, v6, f, VIP_FRAME_MAX, &len), 0);
	f[i] = value;
	if (fix) {
		put16(f + 56, 0);
		put16(f + 56, vip_icmp6_checksum(f + 22, f + 38, f + 54, get16(f + 18)));
	}
	return len;
}

static void test_claim_rejects_malformed(void **state)
{
	/* {byte, value, fix checksum}: each breaks one rule of RFC 4861 7.1.2 or the framing. */
	static const struct {
		size_t at;
		uint8_t value;
		bool fix;
	} na_cases[] = {
		{ 12, 0x81, true },  /* ethertype 0x81dd: not IPv6 (a VLAN tag would be 0x8100) */
		{ 14, 0x40, true },  /* IP version 4 in an IPv6 frame */
		{ 20, 17, true },    /* next header UDP */
		{ 21, 64, true },    /* hop limit 64: routed, not on-link */
		{ 54, 135, true },   /* an NS, not an NA */
		{ 55, 1, true },     /* code 1 */
		{ 57, 0x55, false }, /* checksum off */
		{ 62, 0xff, true },  /* a multicast target */
		{ 79, 0, true },     /* a zero-length option */
		{ 79, 2, true },     /* an option running past the message */
		{ 19, 200, false },  /* payload length past the frame */
		{ 19, 20, true },    /* payload length shorter than an NA */
	};
	uint8_t f[VIP_FRAME_MAX];
	struct config_addr a;
	uint8_t m[6];
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(na_cases) / sizeof(na_cases[0]); i++) {
		len = na_with(f, na_cases[i].at, na_cases[i].value, na_cases[i].fix);
		if (claim(f, len, &a, m) != -EINVAL)
			fail_msg("NA case %zu accepted", i);
	}
	len = na_with(f, 0, 0x33, false); /* unchanged: the control */
	assert_int_equal(claim(f, len, &a, m), 0);
	/* One stray byte after the option, counted in the payload length and summed. */
	len = na_with(f, 19, 33, false);
	f[len++] = 0;
	put16(f + 56, 0);
	put16(f + 56, vip_icmp6_checksum(f + 22, f + 38, f + 54, 33));
	assert_int_equal(claim(f, len, &a, m), -EINVAL);
}

static void test_claim_rejects_other_arp(void **state)
{
	/* {byte, value}: hardware type, protocol, lengths, opcode. */
	static const size_t at[] = { 15, 16, 18, 19, 21 };
	static const uint8_t value[] = { 6, 0x86, 8, 16, 3 };
	uint8_t f[VIP_FRAME_MAX];
	struct config_addr a;
	uint8_t m[6];
	size_t len = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		assert_int_equal(vip_frame_garp(mac_b, v4, 1, f, sizeof(f), &len), 0);
		f[at[i]] = value[i];
		assert_int_equal(claim(f, len, &a, m), -EINVAL);
	}
	/* Probes claim nothing: ARP from 0.0.0.0, NS from ::. */
	assert_int_equal(vip_frame_arp_probe(mac_b, v4, f, sizeof(f), &len), 0);
	assert_int_equal(claim(f, len, &a, m), -EINVAL);
	assert_int_equal(vip_frame_ns_probe(mac_b, v6, f, sizeof(f), &len), 0);
	assert_int_equal(claim(f, len, &a, m), -EINVAL);
}

static uint32_t xorshift(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Random bytes and random mutations of valid claims: never a crash, only 0 or -EINVAL. */
static void test_claim_garbage(void **state)
{
	uint32_t x = 0x7e57f00d;
	uint8_t f[VIP_FRAME_MAX];
	struct config_addr a;
	uint8_t m[6];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		size_t len = 0;
		int r;

		if (i % 3 == 0)
			(void)vip_frame_na(mac_b, v6, f, sizeof(f), &len);
		else if (i % 3 == 1)
			(void)vip_frame_garp(mac_b, v4, 2, f, sizeof(f), &len);
		else
			for (len = xorshift(&x) % sizeof(f); len < sizeof(f); len++)
				f[len] = (uint8_t)xorshift(&x);
		len = xorshift(&x) % (sizeof(f) + 1);
		for (int k = (int)(xorshift(&x) % 3); k > 0 && len > 0; k--)
			f[xorshift(&x) % len] = (uint8_t)xorshift(&x);
		r = claim(f, len, &a, m);
		assert_true(
		    r == -EINVAL || (r == 0 && (a.family == AF_INET || a.family == AF_INET6)));
	}
}

static void test_mac_and_names(void **state)
{
	char text[VIP_MAC_TEXT];

	(void)state;
	vip_mac_format((const uint8_t[6]){ 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x0f }, text);
	assert_string_equal(text, "aa:bb:cc:dd:ee:0f");
	assert_string_equal(vip_note_kind_name(VIP_NOTE_ADDED), "added");
	assert_string_equal(vip_note_kind_name(VIP_NOTE_PRESENT), "present");
	assert_string_equal(vip_note_kind_name(VIP_NOTE_REMOVED), "removed");
	assert_string_equal(vip_note_kind_name(VIP_NOTE_DUPLICATE), "duplicate");
	assert_string_equal(vip_note_kind_name(VIP_NOTE_ERROR), "error");
}

/* ---- the set, without the kernel ---- */

static void test_new_checks(void **state)
{
	struct config_vip v[2] = { vip_make(V4, 24, "va"), vip_make(V6, 64, "va") };
	struct config_vip got;
	struct vip_info info = { .held = true };

	(void)state;
	assert_int_equal(vip_new(C.l, v, 2, 3, on_note, &C, &C.s), 0);
	assert_int_equal(vip_count(C.s), 2);
	assert_int_equal(vip_get(C.s, 1, &got, &info), 0);
	assert_string_equal(got.addr.text, V6);
	assert_false(info.held);
	assert_false(info.present);
	assert_string_equal(info.duplicate_mac, "");
	assert_int_equal(vip_get(C.s, 2, &got, &info), -ERANGE);
	vip_free(C.s);
	C.s = NULL;
	v[0].prefix = 33;
	assert_int_equal(vip_new(C.l, v, 2, 3, on_note, &C, &C.s), -EINVAL);
	v[0] = vip_make(V4, 24, "");
	assert_int_equal(vip_new(C.l, v, 2, 3, on_note, &C, &C.s), -EINVAL);
	v[0].addr.family = 0;
	assert_int_equal(vip_new(C.l, v, 2, 3, on_note, &C, &C.s), -EINVAL);
	assert_null(C.s);
	assert_int_equal(vip_new(C.l, NULL, 0, 3, on_note, &C, &C.s), 0);
	assert_int_equal(vip_count(C.s), 0);
}

/* ---- in a namespace ---- */

static void enter_or_skip(void)
{
	int r = netns_enter();

	if (r < 0) {
		print_message("skipped: needs root and a network namespace (%s)\n", strerror(-r));
		skip();
	}
}

static void veth_up(void)
{
	enter_or_skip();
	IP("link", "add", "va", "address", MAC_A, "type", "veth", "peer", "name", "vb", "address",
	    MAC_B);
	IP("link", "set", "va", "up");
	IP("link", "set", "vb", "up");
}

static unsigned prefix_of(const struct sockaddr *mask)
{
	const uint8_t *b = mask->sa_family == AF_INET
	    ? (const uint8_t *)&((const struct sockaddr_in *)(const void *)mask)->sin_addr
	    : ((const struct sockaddr_in6 *)(const void *)mask)->sin6_addr.s6_addr;
	unsigned n = 0;

	for (int i = 0; i < (mask->sa_family == AF_INET ? 4 : 16); i++)
		n += (unsigned)__builtin_popcount(b[i]);
	return n;
}

/* Whether dev has addr/prefix, as getifaddrs(3) reads it from the kernel. */
static bool has_addr(const char *dev, const char *addr, unsigned prefix)
{
	struct ifaddrs *all, *i;
	bool found = false;

	assert_int_equal(getifaddrs(&all), 0);
	for (i = all; i != NULL && !found; i = i->ifa_next) {
		char text[INET6_ADDRSTRLEN] = "";
		int family = i->ifa_addr != NULL ? i->ifa_addr->sa_family : 0;
		const void *b = family == AF_INET
		    ? (const void *)&((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr
		    : (const void *)&((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr;

		if ((family != AF_INET && family != AF_INET6) || strcmp(i->ifa_name, dev) != 0 ||
		    inet_ntop(family, b, text, sizeof(text)) == NULL)
			continue;
		found = strcmp(text, addr) == 0 && prefix_of(i->ifa_netmask) == prefix;
	}
	freeifaddrs(all);
	return found;
}

/* A tentative address (DAD running) cannot be bound: binding at once shows IFA_F_NODAD. */
static bool bindable6(const char *addr)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	bool ok;

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET6, addr, &sa.sin6_addr), 1);
	ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static void set_new(const struct config_vip *v, size_t n, uint32_t garp_count)
{
	assert_int_equal(vip_new(C.l, v, n, garp_count, on_note, &C, &C.s), 0);
}

static void on_stop(void *arg)
{
	loop_stop(((struct ctx *)arg)->l);
}

static void run_for(uint64_t ms)
{
	assert_int_equal(loop_timer_at(C.stop, loop_now_ms(C.l) + ms), 0);
	assert_int_equal(loop_run(C.l), 0);
}

static void test_takeover_release(void **state)
{
	struct config_vip v[2] = { vip_make(V4, 24, "va"), vip_make(V6, 64, "va") };
	struct vip_info info;

	(void)state;
	veth_up();
	set_new(v, 2, 1);
	assert_int_equal(vip_takeover(C.s), 0);
	assert_int_equal(notes_count(VIP_NOTE_ADDED, "vip " V4 "/24 dev va: added"), 1);
	assert_int_equal(notes_count(VIP_NOTE_ADDED, "vip " V6 "/64 dev va: added"), 1);
	assert_true(has_addr("va", V4, 24));
	assert_true(has_addr("va", V6, 64));
	assert_true(bindable6(V6));
	assert_int_equal(vip_get(C.s, 0, NULL, &info), 0);
	assert_true(info.held && info.present);
	assert_int_equal(info.announced, 1);
	/* Again: already there is not an error. */
	assert_int_equal(vip_takeover(C.s), 0);
	assert_int_equal(notes_count(VIP_NOTE_PRESENT, "dev va: already present"), 2);
	assert_int_equal(notes_count(VIP_NOTE_ERROR, ""), 0);
	assert_int_equal(vip_release(C.s), 0);
	assert_int_equal(notes_count(VIP_NOTE_REMOVED, "vip " V4 "/24 dev va: removed"), 1);
	assert_int_equal(notes_count(VIP_NOTE_REMOVED, "vip " V6 "/64 dev va: removed"), 1);
	assert_false(has_addr("va", V4, 24));
	assert_false(has_addr("va", V6, 64));
	assert_int_equal(vip_get(C.s, 1, NULL, &info), 0);
	assert_false(info.held || info.present);
	/* Again: absent is not an error either, and nothing more is noted. */
	C.n_notes = 0;
	assert_int_equal(vip_release(C.s), 0);
	assert_int_equal(C.n_notes, 0);
}

/* What the test's capture on vb counted, sent from va's MAC. */
struct seen {
	int garp_req, garp_rep, arp_probe, na, ns_probe;
	struct timeval first_garp, last_garp;
};

static void seen_arp(struct seen *s, const struct pcap_pkthdr *h, const uint8_t *f)
{
	static const uint8_t zero[4];

	if (h->caplen < 42 || memcmp(f + 22, mac_a, 6) != 0 || memcmp(f + 38, v4, 4) != 0)
		return;
	if (memcmp(f + 28, zero, 4) == 0 && get16(f + 20) == 1) {
		s->arp_probe++;
		return;
	}
	if (memcmp(f + 28, v4, 4) != 0)
		return;
	if (get16(f + 20) == 1) {
		if (s->garp_req++ == 0)
			s->first_garp = h->ts;
		s->last_garp = h->ts;
	} else if (get16(f + 20) == 2) {
		s->garp_rep++;
	}
}

static void on_seen(u_char *user, const struct pcap_pkthdr *h, const u_char *f)
{
	struct seen *s = (struct seen *)(void *)user;

	if (h->caplen < 14 || memcmp(f + 6, mac_a, 6) != 0)
		return;
	if (get16(f + 12) == 0x0806) {
		seen_arp(s, h, f);
		return;
	}
	if (get16(f + 12) != 0x86dd || h->caplen < 78 || f[20] != 58 || memcmp(f + 62, v6, 16) != 0)
		return;
	if (f[54] == 136 && f[58] == 0x20)
		s->na++;
	else if (f[54] == 135)
		s->ns_probe++;
}

static void capture_b(void)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;

	C.cap = pcap_create("vb", ebuf);
	assert_non_null(C.cap);
	assert_int_equal(pcap_set_snaplen(C.cap, 256), 0);
	assert_int_equal(pcap_set_immediate_mode(C.cap, 1), 0);
	assert_true(pcap_activate(C.cap) >= 0);
	assert_int_equal(pcap_setnonblock(C.cap, 1, ebuf), 0);
	assert_int_equal(pcap_compile(C.cap, &prog, "arp or icmp6", 1, PCAP_NETMASK_UNKNOWN), 0);
	assert_int_equal(pcap_setfilter(C.cap, &prog), 0);
	pcap_freecode(&prog);
}

static void seen_read(struct seen *s)
{
	*s = (struct seen){ 0 };
	while (pcap_dispatch(C.cap, -1, on_seen, (u_char *)s) > 0)
		;
}

static void test_announcements(void **state)
{
	struct config_vip v[2] = { vip_make(V4, 24, "va"), vip_make(V6, 64, "va") };
	struct vip_info info;
	struct seen s;
	long gap_ms;

	(void)state;
	veth_up();
	capture_b();
	set_new(v, 2, 3);
	assert_int_equal(vip_takeover(C.s), 0);
	run_for(2 * VIP_ANNOUNCE_INTERVAL_MS + 500);
	seen_read(&s);
	notes_print();
	assert_int_equal(s.arp_probe, 1);
	assert_int_equal(s.ns_probe, 1);
	assert_int_equal(s.garp_req, 3);
	assert_int_equal(s.garp_rep, 3);
	assert_int_equal(s.na, 3);
	gap_ms = (s.last_garp.tv_sec - s.first_garp.tv_sec) * 1000 +
	    (s.last_garp.tv_usec - s.first_garp.tv_usec) / 1000;
	assert_in_range(gap_ms, 2 * VIP_ANNOUNCE_INTERVAL_MS - 50,
	    2 * VIP_ANNOUNCE_INTERVAL_MS + 300);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(vip_get(C.s, i, NULL, &info), 0);
		assert_int_equal(info.announced, 3);
		assert_int_equal(info.duplicates, 0);
	}
	assert_int_equal(notes_count(VIP_NOTE_ERROR, ""), 0);
	assert_int_equal(notes_count(VIP_NOTE_DUPLICATE, ""), 0);
}

static void test_release_stops_announcing(void **state)
{
	struct config_vip v = vip_make(V4, 24, "va");
	struct seen s;

	(void)state;
	veth_up();
	capture_b();
	set_new(&v, 1, 3);
	assert_int_equal(vip_takeover(C.s), 0);
	run_for(300);
	assert_int_equal(vip_release(C.s), 0);
	run_for(VIP_ANNOUNCE_INTERVAL_MS + 300);
	seen_read(&s);
	assert_int_equal(s.garp_req, 1);
	assert_int_equal(s.garp_rep, 1);
}

static void test_duplicate(void **state)
{
	struct config_vip v[2] = { vip_make(V4, 24, "va"), vip_make(V6, 64, "va") };
	struct vip_info info;

	(void)state;
	veth_up();
	/* vb holds both first: its kernel answers the probes (ARP reply, NA to all nodes). */
	IP("addr", "add", V4 "/24", "dev", "vb");
	IP("-6", "addr", "add", V6 "/64", "dev", "vb", "nodad");
	set_new(v, 2, 2);
	assert_int_equal(vip_takeover(C.s), 0);
	run_for(VIP_DUPLICATE_WINDOW_MS + 500);
	notes_print();
	assert_int_equal(notes_count(VIP_NOTE_DUPLICATE,
	                     "vip " V4 "/24 dev va: duplicate: also claimed by " MAC_B),
	    1);
	assert_int_equal(notes_count(VIP_NOTE_DUPLICATE,
	                     "vip " V6 "/64 dev va: duplicate: also claimed by " MAC_B),
	    1);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(vip_get(C.s, i, NULL, &info), 0);
		assert_true(info.duplicates >= 1);
		assert_string_equal(info.duplicate_mac, MAC_B);
		assert_true(info.held && info.present);
	}
	/* A new takeover starts the counts afresh. */
	IP("addr", "del", V4 "/24", "dev", "vb");
	IP("-6", "addr", "del", V6 "/64", "dev", "vb");
	assert_int_equal(vip_takeover(C.s), 0);
	assert_int_equal(vip_get(C.s, 0, NULL, &info), 0);
	assert_int_equal(info.duplicates, 0);
	assert_string_equal(info.duplicate_mac, "");
}

static void test_missing_device(void **state)
{
	struct config_vip v[2] = { vip_make(V4, 24, "nosuch0"), vip_make("10.9.0.101", 24, "va") };
	struct vip_info info;

	(void)state;
	veth_up();
	set_new(v, 2, 1);
	assert_int_equal(vip_takeover(C.s), -ENODEV);
	notes_print();
	assert_int_equal(notes_count(VIP_NOTE_ERROR, "vip " V4 "/24 dev nosuch0: no such device"),
	    1);
	assert_int_equal(notes_count(VIP_NOTE_ADDED, "vip 10.9.0.101/24 dev va: added"), 1);
	assert_true(has_addr("va", "10.9.0.101", 24));
	assert_int_equal(vip_get(C.s, 0, NULL, &info), 0);
	assert_true(info.held);
	assert_false(info.present);
	/* Nothing to remove on a device that is not there. */
	assert_int_equal(vip_release(C.s), 0);
	assert_int_equal(notes_count(VIP_NOTE_REMOVED, ""), 1);
	assert_false(has_addr("va", "10.9.0.101", 24));
}

static void test_not_ethernet(void **state)
{
	struct config_vip v = vip_make("10.9.9.9", 32, "lo");

	(void)state;
	veth_up();
	set_new(&v, 1, 2);
	assert_int_equal(vip_takeover(C.s), 0);
	notes_print();
	assert_int_equal(notes_count(VIP_NOTE_ADDED, "dev lo: added"), 1);
	assert_int_equal(notes_count(VIP_NOTE_ERROR, "dev lo: not announced: not an Ethernet"), 1);
	assert_true(has_addr("lo", "10.9.9.9", 32));
	run_for(VIP_ANNOUNCE_INTERVAL_MS + 200);
	assert_int_equal(notes_count(VIP_NOTE_ERROR, ""), 1);
	assert_int_equal(vip_release(C.s), 0);
	assert_false(has_addr("lo", "10.9.9.9", 32));
}

/* vip_free removes nothing: a restarted daemon must not drop a primary's addresses. */
static void test_free_keeps_addresses(void **state)
{
	struct config_vip v = vip_make(V4, 24, "va");

	(void)state;
	veth_up();
	set_new(&v, 1, 3);
	assert_int_equal(vip_takeover(C.s), 0);
	vip_free(C.s);
	C.s = NULL;
	assert_true(has_addr("va", V4, 24));
	run_for(VIP_ANNOUNCE_INTERVAL_MS + 200); /* no timer of the freed set fires */
}

static int setup(void **state)
{
	(void)state;
	memset(&C, 0, sizeof(C));
	if (loop_new(&C.l) != 0)
		return -1;
	C.stop = loop_timer_new(C.l, on_stop, &C);
	return C.stop != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	vip_free(C.s);
	if (C.cap != NULL)
		pcap_close(C.cap);
	loop_timer_free(C.stop);
	loop_free(C.l);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_garp_bytes),
		T(test_na_bytes),
		T(test_ns_probe_bytes),
		T(test_claim_accepts),
		T(test_claim_rejects_truncated),
		T(test_claim_rejects_malformed),
		T(test_claim_rejects_other_arp),
		T(test_claim_garbage),
		T(test_mac_and_names),
		T(test_new_checks),
		T(test_takeover_release),
		T(test_announcements),
		T(test_release_stops_announcing),
		T(test_duplicate),
		T(test_missing_device),
		T(test_not_ethernet),
		T(test_free_keeps_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
