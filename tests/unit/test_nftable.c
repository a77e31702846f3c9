/* test_nftable.c: table inet vigil (netcfg/nftable*.c): the nft text against golden files, and in a network namespace of the test's own, apply, replace, remove, readback, drill expiry and real traffic checked with nft(8), ping(8) and sockets. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "netns.h"
#include "nftable.h"

/*
 * Golden texts live in tests/golden/nftable/NAME.nft (VIGIL_GOLDEN_DIR overrides the folder);
 * VIGIL_NFT_GOLDEN_WRITE=1 rewrites them from nftable_render: review the diff before keeping it.
 */
#define GOLDEN_DIR "tests/golden/nftable"
#define LIST_MAX 65536
#define PORT 3633
#define DSCP_EF 46 /* nft lists it by name: "ef" */
#define EXPIRY_DEADLINE_MS 6000

#define NFT(...) assert_int_equal(netns_run("nft", __VA_ARGS__, NULL), 0)

/* ---- specs ---- */

static void addr_set(struct config_addr *a, const char *text)
{
	*a = (struct config_addr){ .family = strchr(text, ':') != NULL ? AF_INET6 : AF_INET };
	assert_int_equal(inet_pton(a->family, text, a->bytes), 1);
	snprintf(a->text, sizeof(a->text), "%s", text);
}

static void peer_add(struct nftable_spec *s, const char *text)
{
	addr_set(&s->peers[s->n_peers++], text);
}

static void fence_port(struct nftable_spec *s, enum config_fence_kind kind, uint16_t port)
{
	s->fence[s->n_fence++] = (struct config_fence){ .kind = kind, .port = port };
}

static void fence_addr(struct nftable_spec *s, const char *text, uint8_t prefix)
{
	struct config_fence *f = &s->fence[s->n_fence++];

	*f = (struct config_fence){ .kind = FENCE_ADDR, .prefix = prefix };
	addr_set(&f->addr, text);
}

static void drill_add(struct nftable_spec *s, const char *text, enum nftable_block b,
    uint64_t expires_ms)
{
	struct nftable_drill_elem *e = &s->drill[s->n_drill++];

	*e = (struct nftable_drill_elem){ .block = b, .expires_ms = expires_ms };
	addr_set(&e->addr, text);
}

/* A pair with a main IPv4 and an aux IPv6 link, nothing configured. */
static struct nftable_spec *spec_plain(void)
{
	static struct nftable_spec s;

	s = (struct nftable_spec){ .peer_port = PORT, .qos_mark = -1, .now_ms = 100000 };
	peer_add(&s, "192.0.2.20");
	peer_add(&s, "2001:db8::20");
	return &s;
}

static struct nftable_spec *spec_qos(void)
{
	struct nftable_spec *s = spec_plain();

	s->qos_mark = DSCP_EF;
	return s;
}

/* Fenced with every kind of entry; host bits of a prefix are dropped, as nft prints them. */
static struct nftable_spec *spec_fenced(void)
{
	struct nftable_spec *s = spec_qos();

	s->fenced = true;
	fence_port(s, FENCE_TCP, 5060);
	fence_port(s, FENCE_UDP, 5060);
	fence_addr(s, "198.51.100.7", 32);
	fence_addr(s, "203.0.113.77", 20);
	fence_addr(s, "2001:db8:5::1", 128);
	fence_addr(s, "2001:db8:6::1", 52);
	fence_addr(s, "2001:db8:7::", 48);
	return s;
}

/* Every set in use; one element expired, one ending now, one given twice (the later one wins). */
static struct nftable_spec *spec_drill(void)
{
	struct nftable_spec *s = spec_plain();

	drill_add(s, "192.0.2.20", NFTABLE_BLOCK_PAIR, 129500);
	drill_add(s, "2001:db8::20", NFTABLE_BLOCK_PAIR, 160000);
	drill_add(s, "192.0.2.1", NFTABLE_BLOCK_ICMP, 130000);
	drill_add(s, "192.0.2.2", NFTABLE_BLOCK_ICMP, 99999);
	drill_add(s, "192.0.2.3", NFTABLE_BLOCK_ICMP, 100000);
	drill_add(s, "192.0.2.1", NFTABLE_BLOCK_ICMP, 160000);
	drill_add(s, "192.0.2.4", NFTABLE_BLOCK_ICMP, 190000);
	drill_add(s, "2001:db8::1", NFTABLE_BLOCK_ICMP, 700000);
	return s;
}

/* Every limit reached, every address and number as long as it gets. */
static struct nftable_spec *spec_max(uint64_t expires_ms)
{
	static struct nftable_spec s;
	char text[64];

	s = (struct nftable_spec){ .peer_port = 65535, .qos_mark = 63, .fenced = true };
	for (int i = 0; i < NFTABLE_MAX_PEERS; i++) {
		snprintf(text, sizeof(text), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:%x", 0xff00 + i);
		peer_add(&s, text);
	}
	for (int i = 0; i < CONFIG_MAX_FENCE; i++) {
		snprintf(text, sizeof(text), "ffff:ffff:ffff:ffff:ffff:ffff:%x:fff1", 0xee00 + i);
		fence_addr(&s, text, 127);
	}
	for (int i = 0; i < NFTABLE_MAX_DRILL; i++) {
		snprintf(text, sizeof(text), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:%x", 0xfe00 + i);
		drill_add(&s, text, i % 2 ? NFTABLE_BLOCK_ICMP : NFTABLE_BLOCK_PAIR, expires_ms);
	}
	return &s;
}

/* ---- golden texts ---- */

static void golden_path(const char *name, char *buf, size_t size)
{
	const char *dir = getenv("VIGIL_GOLDEN_DIR");

	snprintf(buf, size, "%s/%s.nft", dir != NULL ? dir : GOLDEN_DIR, name);
}

static void golden_check(const char *name, const struct nftable_spec *s)
{
	char path[512], text[NFTABLE_TEXT_MAX], want[NFTABLE_TEXT_MAX + 1];
	FILE *fp;
	size_t n;

	assert_int_equal(nftable_render(s, text, sizeof(text)), 0);
	golden_path(name, path, sizeof(path));
	if (getenv("VIGIL_NFT_GOLDEN_WRITE") != NULL) {
		assert_non_null(fp = fopen(path, "w"));
		fputs(text, fp);
		assert_int_equal(fclose(fp), 0);
		return;
	}
	if ((fp = fopen(path, "r")) == NULL)
		fail_msg(
		    "%s: missing; regenerate with VIGIL_NFT_GOLDEN_WRITE=1 (see test_nftable.c)",
		    path);
	n = fread(want, 1, sizeof(want) - 1, fp);
	fclose(fp);
	want[n] = '\0';
	assert_string_equal(text, want);
}

static void test_render_plain(void **state)
{
	(void)state;
	golden_check("plain", spec_plain());
}

static void test_render_qos(void **state)
{
	(void)state;
	golden_check("qos", spec_qos());
}

static void test_render_fenced(void **state)
{
	(void)state;
	golden_check("fenced", spec_fenced());
}

static void test_render_drill(void **state)
{
	(void)state;
	golden_check("drill", spec_drill());
}

static size_t count_of(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
		n++;
	return n;
}

/* Any buffer short of the text and its NUL: -ENOBUFS and not a byte written. */
static void test_render_short_buffer(void **state)
{
	char text[NFTABLE_TEXT_MAX], buf[NFTABLE_TEXT_MAX];
	size_t len;

	(void)state;
	assert_int_equal(nftable_render(spec_fenced(), text, sizeof(text)), 0);
	len = strlen(text);
	for (size_t n = 0; n <= len; n++) {
		memset(buf, 0x5a, sizeof(buf));
		assert_int_equal(nftable_render(spec_fenced(), buf, n), -ENOBUFS);
		for (size_t i = 0; i < sizeof(buf); i++)
			assert_int_equal((unsigned char)buf[i], 0x5a);
	}
	assert_int_equal(nftable_render(spec_fenced(), buf, len + 1), 0);
	assert_string_equal(buf, text);
}

static void test_render_every_limit_fits(void **state)
{
	char text[NFTABLE_TEXT_MAX];

	(void)state;
	assert_int_equal(nftable_render(spec_max(UINT64_MAX), text, sizeof(text)), 0);
	assert_int_equal(count_of(text, "\n\t\t"), 2 + 42 + 32);
	assert_int_equal(count_of(text, " timeout 18446744073709551615ms"), NFTABLE_MAX_DRILL);
}

static void test_render_rejects_bad_spec(void **state)
{
	char text[NFTABLE_TEXT_MAX];
	struct nftable_spec *s;

	(void)state;
	s = spec_plain();
	s->qos_mark = 64;
	assert_int_equal(nftable_render(s, text, sizeof(text)), -EINVAL);
	s = spec_plain();
	s->peers[1].family = 0;
	assert_int_equal(nftable_render(s, text, sizeof(text)), -EINVAL);
	s = spec_plain();
	s->n_peers = NFTABLE_MAX_PEERS + 1;
	assert_int_equal(nftable_render(s, text, sizeof(text)), -EINVAL);
	s = spec_plain();
	fence_addr(s, "192.0.2.9", 32);
	s->fence[0].prefix = 33;
	assert_int_equal(nftable_render(s, text, sizeof(text)), -EINVAL);
	s = spec_plain();
	drill_add(s, "192.0.2.9", NFTABLE_BLOCK_COUNT, 200000);
	assert_int_equal(nftable_render(s, text, sizeof(text)), -EINVAL);
	s = spec_plain();
	s->peer_port = 0;
	assert_int_equal(nftable_render(s, text, sizeof(text)), -EINVAL);
}

static void test_block_names(void **state)
{
	(void)state;
	assert_string_equal(nftable_block_name(NFTABLE_BLOCK_PAIR), "pair");
	assert_string_equal(nftable_block_name(NFTABLE_BLOCK_ICMP), "icmp");
	assert_string_equal(nftable_block_name(NFTABLE_BLOCK_COUNT), "unknown");
}

static void spec_of(const char *text, struct nftable_spec *ret)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "";

	if (config_load_string("nftable.conf", text, &c, err, sizeof(err)) < 0)
		fail_msg("config: %s", err);
	memset(ret, 0x5a, sizeof(*ret));
	nftable_spec_from_config(&c, ret);
}

static void test_spec_from_config(void **state)
{
	static struct nftable_spec s;

	(void)state;
	/* B's view: the peer is A; aux_a unset means the main address again (one peer) */
	spec_of("[node]\nrole = B\n[peer]\na = 192.0.2.10\nb = 192.0.2.11\nport = 4000\n"
	        "auth = none\n[module]\ncheck = process:sipd\n",
	    &s);
	assert_int_equal(s.peer_port, 4000);
	assert_int_equal(s.n_peers, 1);
	assert_string_equal(s.peers[0].text, "192.0.2.10");
	assert_int_equal(s.qos_mark, -1);
	assert_false(s.fenced);
	assert_int_equal(s.n_fence, 0);
	assert_int_equal(s.n_drill, 0);
	assert_int_equal(s.now_ms, 0);
	spec_of("[node]\nrole = A\n[peer]\na = 192.0.2.10\nb = 192.0.2.11\naux_a = 2001:db8::10\n"
	        "aux_b = 2001:db8::11\nauth = none\n[module]\ncheck = process:sipd\n"
	        "[netcfg]\nqos_mark = af41\nfence = tcp:5060, udp:53, 198.51.100.0/24\n",
	    &s);
	assert_int_equal(s.peer_port, 3633);
	assert_int_equal(s.n_peers, 2);
	assert_string_equal(s.peers[0].text, "192.0.2.11");
	assert_string_equal(s.peers[1].text, "2001:db8::11");
	assert_int_equal(s.qos_mark, 34);
	assert_int_equal(s.n_fence, 3);
	assert_int_equal(s.fence[0].kind, FENCE_TCP);
	assert_int_equal(s.fence[0].port, 5060);
	assert_int_equal(s.fence[1].kind, FENCE_UDP);
	assert_int_equal(s.fence[2].kind, FENCE_ADDR);
	assert_int_equal(s.fence[2].prefix, 24);
	assert_false(s.fenced);
	assert_int_equal(s.n_drill, 0);
}

/* ---- kernel: helpers ---- */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A fresh namespace and a socket in it; skipped when not root. */
static struct nftable *open_or_skip(void)
{
	struct nftable *n = NULL;
	int r = netns_enter();

	if (r < 0) {
		print_message("skipped: needs root and a network namespace (%s)\n", strerror(-r));
		skip();
	}
	r = nftable_open(&n);
	if (r == -EPERM || r == -EPROTONOSUPPORT || r == -EOPNOTSUPP) {
		print_message("skipped: no nf_tables here (%s)\n", strerror(-r));
		skip();
	}
	assert_int_equal(r, 0);
	return n;
}

/*
 * Run argv without a shell, its standard output into buf (NUL-terminated) or, with buf NULL,
 * away like its standard error when quiet: 0 if it exited 0.
 */
static int run_capture(char *const argv[], char *buf, size_t len, bool quiet)
{
	posix_spawn_file_actions_t fa;
	char sink[4096];
	size_t got = 0;
	ssize_t r;
	pid_t pid;
	int fd[2], st;

	assert_int_equal(pipe(fd), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd[1], STDOUT_FILENO);
	if (quiet)
		posix_spawn_file_actions_adddup2(&fa, fd[1], STDERR_FILENO);
	posix_spawn_file_actions_addclose(&fa, fd[0]);
	posix_spawn_file_actions_addclose(&fa, fd[1]);
	st = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	assert_int_equal(st, 0);
	if (buf == NULL) {
		buf = sink;
		len = sizeof(sink);
	}
	while ((r = read(fd[0], buf + got, len - 1 - got)) > 0 || (r < 0 && errno == EINTR))
		got = buf == sink ? 0 : got + (r > 0 ? (size_t)r : 0);
	close(fd[0]);
	buf[got] = '\0';
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

static void nft_list(const char *family, const char *table, char *buf, size_t len)
{
	char *argv[] = { "nft", "list", "table", (char *)family, (char *)table, NULL };

	assert_int_equal(run_capture(argv, buf, len, false), 0);
}

static void cut(char *at, size_t n)
{
	memmove(at, at + n, strlen(at + n) + 1);
}

/* Element timeouts and expiries are clock readings, not content: " timeout 30s", " expires 2s". */
static void cut_times(char *s)
{
	static const char *const words[] = { " timeout ", " expires " };

	for (size_t w = 0; w < 2; w++)
		for (char *p = s; (p = strstr(p, words[w])) != NULL;)
			cut(p, strlen(words[w]) + strcspn(p + strlen(words[w]), " ,}\n"));
}

static void replace_all(char *s, size_t cap, const char *from, const char *to)
{
	size_t nf = strlen(from), nt = strlen(to);

	for (char *p = s; (p = strstr(p, from)) != NULL; p += nt) {
		assert_true(strlen(s) - nf + nt < cap);
		memmove(p + nt, p + nf, strlen(p + nf) + 1);
		memcpy(p, to, nt);
	}
}

static int item_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Set elements in sorted order, in place: nft lists them in hash order. */
static void sort_elements(char *s)
{
	static const char open[] = "elements = { ";
	char copy[LIST_MAX], joined[LIST_MAX], *items[256], *save = NULL;
	size_t n, len, used;

	for (char *p = s; (p = strstr(p, open)) != NULL; p += len) {
		p += strlen(open);
		len = strcspn(p, "}");
		assert_true(len > 1 && len < sizeof(copy));
		memcpy(copy, p, len - 1); /* " }" ends the list */
		copy[len - 1] = '\0';
		n = 0;
		for (char *t = strtok_r(copy, ", ", &save); t != NULL && n < 256;
		     t = strtok_r(NULL, ", ", &save))
			items[n++] = t;
		qsort(items, n, sizeof(items[0]), item_cmp);
		used = 0;
		for (size_t i = 0; i < n; i++)
			used += (size_t)snprintf(joined + used, sizeof(joined) - used, "%s%s",
			    i > 0 ? ", " : "", items[i]);
		assert_int_equal(used, len - 1);
		memcpy(p, joined, used);
	}
}

__attribute__((format(printf, 4, 5))) static void app(char *out, size_t cap, size_t *o,
    const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out + *o, cap - *o, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < cap - *o);
	*o += (size_t)n;
}

static int brace_balance(const char *s, size_t n)
{
	int b = 0;

	for (size_t i = 0; i < n; i++)
		b += s[i] == '{' ? 1 : s[i] == '}' ? -1 : 0;
	return b;
}

/* nft's listing in the render's shape: a set a line (wrapped elements joined), no blank lines. */
static void listing_shape(const char *in, char *out, size_t cap)
{
	size_t o = 0, n, tn;
	bool in_set = false;
	int depth = 0;

	out[0] = '\0';
	for (const char *line = in; *line != '\0'; line += n + (line[n] == '\n')) {
		const char *t = line + strspn(line, "\t ");

		n = strcspn(line, "\n");
		tn = n - (size_t)(t - line);
		if (tn == 0)
			continue;
		if (in_set && depth == 0 && tn == 1 && *t == '}') {
			app(out, cap, &o, " }\n");
			in_set = false;
		} else if (in_set) {
			app(out, cap, &o, " %.*s", (int)tn, t);
			depth += brace_balance(t, tn);
			if (depth == 0)
				app(out, cap, &o, ";");
		} else {
			in_set = strncmp(line, "\tset ", 5) == 0;
			depth = 0;
			app(out, cap, &o, "%.*s%s", (int)n, line, in_set ? "" : "\n");
		}
	}
}

/* What both sides may spell differently: times, element order, names nft prefers. */
static void normalize(char *s, size_t cap)
{
	cut_times(s);
	sort_elements(s);
	replace_all(s, cap, "meta l4proto ipv6-icmp", "meta l4proto icmpv6");
	replace_all(s, cap, "dscp set ef", "dscp set 46");
	replace_all(s, cap, "dscp set 0x3f", "dscp set 63"); /* no name: nft prints hex */
}

/* The kernel's table, as nft lists it, is the rendered spec. */
static void assert_kernel_is(const struct nftable_spec *s)
{
	static char listing[LIST_MAX], got[LIST_MAX], want[LIST_MAX];

	assert_int_equal(nftable_render(s, want, sizeof(want)), 0);
	nft_list("inet", "vigil", listing, sizeof(listing));
	listing_shape(listing, got, sizeof(got));
	normalize(want, sizeof(want));
	normalize(got, sizeof(got));
	assert_string_equal(got, want);
}

static void apply_ok(struct nftable *n, const struct nftable_spec *s)
{
	char err[256] = "";
	int r = nftable_apply(n, s, err, sizeof(err));

	if (r != 0)
		fail_msg("nftable_apply: %d (%s)", r, err);
}

/* A spec's drill elements relative to the clock now; one element a set, for nft's listing. */
static struct nftable_spec *spec_live_drill(void)
{
	struct nftable_spec *s = spec_fenced();

	s->now_ms = mono_ms();
	drill_add(s, "192.0.2.20", NFTABLE_BLOCK_PAIR, s->now_ms + 600000);
	drill_add(s, "2001:db8::20", NFTABLE_BLOCK_PAIR, s->now_ms + 600000);
	drill_add(s, "192.0.2.1", NFTABLE_BLOCK_ICMP, s->now_ms + 600000);
	drill_add(s, "2001:db8::1", NFTABLE_BLOCK_ICMP, s->now_ms + 600000);
	return s;
}

/* ---- kernel: cases ---- */

typedef struct nftable_spec *spec_fn(void);

static spec_fn *const every_spec[] = { spec_plain, spec_qos, spec_fenced, spec_drill,
	spec_live_drill };

static void test_apply_lists_as_rendered(void **state)
{
	struct nftable *n = open_or_skip();

	(void)state;
	for (size_t i = 0; i < sizeof(every_spec) / sizeof(every_spec[0]); i++) {
		apply_ok(n, every_spec[i]());
		assert_kernel_is(every_spec[i]());
	}
	nftable_close(n);
}

/* The text is valid `nft -f` input, and nft makes of it what apply makes. */
static void test_render_loads_in_nft(void **state)
{
	struct nftable *n = open_or_skip();
	char path[] = "/tmp/vigil-test-nftable-XXXXXX", text[NFTABLE_TEXT_MAX];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	for (size_t i = 0; i < sizeof(every_spec) / sizeof(every_spec[0]); i++) {
		assert_int_equal(nftable_render(every_spec[i](), text, sizeof(text)), 0);
		assert_int_equal(ftruncate(fd, 0), 0);
		assert_int_equal(pwrite(fd, text, strlen(text), 0), (ssize_t)strlen(text));
		assert_int_equal(nftable_remove(n), 0);
		NFT("-f", path);
		assert_kernel_is(every_spec[i]());
	}
	close(fd);
	unlink(path);
	nftable_close(n);
}

static struct nftable_readback readback(struct nftable *n)
{
	struct nftable_readback rb;

	assert_int_equal(nftable_readback(n, &rb), 0);
	return rb;
}

/* Rule lines of the rendered spec: every "\t\t" line but the two chain headers. */
static size_t rules_of(const struct nftable_spec *s)
{
	char text[NFTABLE_TEXT_MAX];

	assert_int_equal(nftable_render(s, text, sizeof(text)), 0);
	return count_of(text, "\n\t\t") - 2;
}

static void test_apply_twice_one_table(void **state)
{
	struct nftable *n = open_or_skip();
	char *argv[] = { "nft", "list", "tables", NULL };
	static char text[LIST_MAX];
	struct nftable_readback rb;

	(void)state;
	apply_ok(n, spec_plain());
	apply_ok(n, spec_plain());
	assert_int_equal(run_capture(argv, text, sizeof(text), false), 0);
	assert_int_equal(count_of(text, "table inet vigil\n"), 1);
	rb = readback(n);
	assert_true(rb.present);
	assert_int_equal(rb.chains, 2);
	assert_int_equal(rb.sets, 4);
	assert_int_equal(rb.rules, 10);
	/* a different spec replaces every rule; going back removes the added ones */
	apply_ok(n, spec_fenced());
	assert_kernel_is(spec_fenced());
	apply_ok(n, spec_plain());
	assert_kernel_is(spec_plain());
	assert_int_equal(readback(n).rules, 10);
	nftable_close(n);
}

/* A table inet vigil left by someone else, clashing in set flags and chain priority. */
static void test_foreign_table_rebuilt(void **state)
{
	struct nftable *n = open_or_skip();

	(void)state;
	NFT("add", "table", "inet", "vigil");
	NFT("add", "set", "inet", "vigil", "pair4", "{", "type", "ipv4_addr", ";", "}");
	NFT("add", "element", "inet", "vigil", "pair4", "{", "192.0.2.20", "}");
	NFT("add", "chain", "inet", "vigil", "output", "{", "type", "filter", "hook", "output",
	    "priority", "10", ";", "policy", "drop", ";", "}");
	NFT("add", "rule", "inet", "vigil", "output", "udp", "dport", "9", "drop");
	NFT("add", "chain", "inet", "vigil", "foreign");
	NFT("add", "rule", "inet", "vigil", "foreign", "tcp", "dport", "9", "drop");
	apply_ok(n, spec_qos());
	assert_kernel_is(spec_qos());
	assert_int_equal(readback(n).drill_elems, 0);
	nftable_close(n);
}

static void test_other_tables_untouched(void **state)
{
	struct nftable *n = open_or_skip();
	static char text[LIST_MAX];

	(void)state;
	NFT("add", "table", "inet", "other");
	NFT("add", "chain", "inet", "other", "c", "{", "type", "filter", "hook", "output",
	    "priority", "0", ";", "}");
	NFT("add", "rule", "inet", "other", "c", "tcp", "dport", "9", "drop");
	/* the same name in another family is another table */
	NFT("add", "table", "ip", "vigil");
	NFT("add", "chain", "ip", "vigil", "output");
	NFT("add", "rule", "ip", "vigil", "output", "udp", "dport", "9", "drop");
	apply_ok(n, spec_fenced());
	assert_int_equal(readback(n).rules, rules_of(spec_fenced()));
	assert_int_equal(nftable_remove(n), 0);
	nft_list("inet", "other", text, sizeof(text));
	assert_non_null(strstr(text, "\t\ttcp dport 9 drop\n"));
	nft_list("ip", "vigil", text, sizeof(text));
	assert_non_null(strstr(text, "\t\tudp dport 9 drop\n"));
	nftable_close(n);
}

static void test_readback_counts(void **state)
{
	struct nftable *n = open_or_skip();
	struct nftable_readback rb = readback(n);

	(void)state;
	assert_false(rb.present);
	assert_int_equal(rb.chains + rb.rules + rb.sets + rb.drill_elems, 0);
	apply_ok(n, spec_drill());
	rb = readback(n);
	assert_true(rb.present);
	assert_int_equal(rb.chains, 2);
	assert_int_equal(rb.sets, 4);
	assert_int_equal(rb.rules, rules_of(spec_drill()));
	assert_int_equal(rb.drill_elems, 5); /* 8 given: one expired, one ending now, one twice */
	apply_ok(n, spec_live_drill());
	rb = readback(n);
	assert_int_equal(rb.rules, rules_of(spec_live_drill()));
	assert_int_equal(rb.drill_elems, 4);
	nftable_close(n);
}

static void test_drill_expires_by_itself(void **state)
{
	struct nftable *n = open_or_skip();
	struct nftable_spec *s = spec_plain();
	uint64_t start = mono_ms();
	size_t left;

	(void)state;
	s->now_ms = start;
	drill_add(s, "192.0.2.1", NFTABLE_BLOCK_ICMP, start + 1500);
	apply_ok(n, s);
	assert_int_equal(readback(n).drill_elems, 1);
	while ((left = readback(n).drill_elems) > 0 && mono_ms() - start < EXPIRY_DEADLINE_MS)
		usleep(50 * 1000);
	assert_int_equal(left, 0);
	assert_true(mono_ms() - start >= 1400); /* the kernel's timer, not a lost element */
	assert_int_equal(readback(n).rules, 10);
	nftable_close(n);
}

static void test_remove(void **state)
{
	struct nftable *n = open_or_skip();
	char *argv[] = { "nft", "list", "table", "inet", "vigil", NULL };
	static char text[LIST_MAX];

	(void)state;
	assert_int_equal(nftable_remove(n), 0);
	apply_ok(n, spec_live_drill());
	assert_int_equal(nftable_remove(n), 0);
	assert_false(readback(n).present);
	assert_int_equal(run_capture(argv, text, sizeof(text), true), -EIO);
	assert_int_equal(nftable_remove(n), 0);
	nftable_close(n);
}

static int ping_once(const char *addr)
{
	char *argv[] = { "ping", "-n", "-q", "-c", "1", "-W", "1", (char *)addr, NULL };

	return run_capture(argv, NULL, 0, true);
}

/* Loopback traffic passes the output hook too: a drill on 127.0.0.2 stops our pings to it. */
static void test_icmp_drill_stops_ping(void **state)
{
	struct nftable *n = open_or_skip();
	struct nftable_spec *s = spec_plain();

	(void)state;
	assert_int_equal(ping_once("127.0.0.2"), 0);
	s->now_ms = mono_ms();
	drill_add(s, "127.0.0.2", NFTABLE_BLOCK_ICMP, s->now_ms + 60000);
	apply_ok(n, s);
	assert_int_equal(ping_once("127.0.0.2"), -EIO);
	assert_int_equal(ping_once("127.0.0.3"), 0); /* only the address in the set */
	s->n_drill = 0;
	apply_ok(n, s);
	assert_int_equal(ping_once("127.0.0.2"), 0);
	nftable_close(n);
}

/* A connection to 127.0.0.1:PORT within wait_ms: 0, or -ETIMEDOUT / the socket's error. */
static int tcp_connect(int wait_ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	struct timeval tv = { .tv_sec = wait_ms / 1000, .tv_usec = wait_ms % 1000 * 1000 };
	int fd = socket(AF_INET, SOCK_STREAM, 0), r;

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : -errno;
	close(fd);
	return r == -EINPROGRESS || r == -EAGAIN ? -ETIMEDOUT : r;
}

/* A pair drill on the peer's address stops the pair's TCP connection; others pass. */
static void test_pair_drill_stops_tcp(void **state)
{
	struct nftable *n = open_or_skip();
	struct nftable_spec *s = spec_plain();
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(ls >= 0);
	assert_int_equal(setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 8), 0);
	assert_int_equal(tcp_connect(1000), 0);
	s->now_ms = mono_ms();
	drill_add(s, "127.0.0.1", NFTABLE_BLOCK_PAIR, s->now_ms + 60000);
	apply_ok(n, s);
	assert_int_not_equal(tcp_connect(300), 0);
	s->n_drill = 0;
	apply_ok(n, s);
	assert_int_equal(tcp_connect(1000), 0);
	close(ls);
	nftable_close(n);
}

/* A TCP connection attempt to PORT on loopback, refused or not, after emptying ps. */
static void tcp_knock(int ps, int family)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(PORT) };
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int fd = socket(family, SOCK_STREAM, 0);
	uint8_t p[2048];

	assert_true(fd >= 0);
	while (recv(ps, p, sizeof(p), MSG_DONTWAIT) > 0)
		continue;
	s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s6.sin6_addr = in6addr_loopback;
	if (family == AF_INET)
		(void)connect(fd, (struct sockaddr *)&s4, sizeof(s4));
	else
		(void)connect(fd, (struct sockaddr *)&s6, sizeof(s6));
	close(fd);
}

/* The DSCP of the first TCP packet to PORT a packet socket on lo saw, or -1. */
static int dscp_seen(int ps, int family)
{
	uint8_t p[2048];
	ssize_t len;

	while ((len = recv(ps, p, sizeof(p), MSG_DONTWAIT)) > 0) {
		if (family == AF_INET && len >= 24 && p[0] >> 4 == 4 && p[9] == IPPROTO_TCP &&
		    (p[(p[0] & 15) * 4 + 2] << 8 | p[(p[0] & 15) * 4 + 3]) == PORT)
			return p[1] >> 2;
		if (family == AF_INET6 && len >= 44 && p[0] >> 4 == 6 && p[6] == IPPROTO_TCP &&
		    (p[42] << 8 | p[43]) == PORT)
			return ((p[0] & 15) << 4 | p[1] >> 4) >> 2;
	}
	return -1;
}

static int packet_socket_lo(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int ps = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL));

	assert_true(ps >= 0);
	sll.sll_ifindex = (int)if_nametoindex("lo");
	assert_int_equal(bind(ps, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return ps;
}

/*
 * qos_mark on the wire, IPv4 and IPv6 (the traffic class straddles two bytes); the IPv4
 * header checksum must be fixed too, or loopback would drop the packet (no connection).
 */
static void test_qos_marks_packets(void **state)
{
	struct nftable *n = open_or_skip();
	struct nftable_spec *s = spec_plain();
	int ps = packet_socket_lo();

	(void)state;
	s->n_peers = 0;
	s->qos_mark = DSCP_EF;
	peer_add(s, "127.0.0.1");
	peer_add(s, "::1");
	apply_ok(n, s);
	tcp_knock(ps, AF_INET);
	assert_int_equal(dscp_seen(ps, AF_INET), DSCP_EF);
	tcp_knock(ps, AF_INET6);
	assert_int_equal(dscp_seen(ps, AF_INET6), DSCP_EF);
	s->qos_mark = 13;
	apply_ok(n, s);
	tcp_knock(ps, AF_INET6);
	assert_int_equal(dscp_seen(ps, AF_INET6), 13);
	s->qos_mark = -1;
	apply_ok(n, s);
	tcp_knock(ps, AF_INET);
	assert_int_equal(dscp_seen(ps, AF_INET), 0);
	close(ps);
	nftable_close(n);
}

/* The IPv4 header checksum follows the new TOS: a listener on lo accepts the connection. */
static void test_qos_keeps_ipv4_checksum(void **state)
{
	struct nftable *n = open_or_skip();
	struct nftable_spec *s = spec_plain();
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int ls = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(ls >= 0);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 8), 0);
	s->n_peers = 0;
	s->qos_mark = DSCP_EF;
	peer_add(s, "127.0.0.1");
	apply_ok(n, s);
	assert_int_equal(tcp_connect(1000), 0);
	close(ls);
	nftable_close(n);
}

/* A batch the kernel refuses changes nothing and says which message it was. */
static void test_kernel_error_keeps_table(void **state)
{
	struct nftable *n = open_or_skip();
	struct nftable_spec *s;
	struct nftable_readback before, after;
	char err[256] = "";
	int r;

	(void)state;
	apply_ok(n, spec_fenced());
	before = readback(n);
	s = spec_plain();
	drill_add(s, "192.0.2.1", NFTABLE_BLOCK_ICMP, UINT64_MAX); /* beyond the kernel's jiffies */
	r = nftable_apply(n, s, err, sizeof(err));
	assert_true(r < 0);
	print_message("refused as expected: %s\n", err);
	assert_non_null(strstr(err, "nftables: add elements to icmp4: "));
	assert_non_null(strstr(err, strerror(-r)));
	after = readback(n);
	assert_true(after.present);
	assert_int_equal(after.chains, before.chains);
	assert_int_equal(after.rules, before.rules);
	assert_int_equal(after.sets, before.sets);
	assert_int_equal(after.drill_elems, before.drill_elems);
	assert_kernel_is(spec_fenced());
	/* the socket is still good */
	apply_ok(n, spec_plain());
	assert_kernel_is(spec_plain());
	nftable_close(n);
}

static void test_apply_rejects_bad_spec(void **state)
{
	struct nftable *n = open_or_skip();
	struct nftable_spec *s;
	char err[256] = "";

	(void)state;
	apply_ok(n, spec_qos());
	s = spec_plain();
	s->qos_mark = 64;
	assert_int_equal(nftable_apply(n, s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "nftables: check table: Invalid argument");
	assert_int_equal(nftable_apply(n, s, NULL, 0), -EINVAL);
	assert_kernel_is(spec_qos());
	nftable_close(n);
}

static void test_apply_every_limit(void **state)
{
	struct nftable *n = open_or_skip();
	struct nftable_spec *s = spec_max(UINT64_C(9999999999)); /* the kernel's limit is lower */
	struct nftable_readback rb;

	(void)state;
	s->now_ms = 0;
	apply_ok(n, s);
	rb = readback(n);
	assert_int_equal(rb.rules, rules_of(s));
	assert_int_equal(rb.drill_elems, NFTABLE_MAX_DRILL);
	assert_kernel_is(s);
	nftable_close(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_plain),
		cmocka_unit_test(test_render_qos),
		cmocka_unit_test(test_render_fenced),
		cmocka_unit_test(test_render_drill),
		cmocka_unit_test(test_render_short_buffer),
		cmocka_unit_test(test_render_every_limit_fits),
		cmocka_unit_test(test_render_rejects_bad_spec),
		cmocka_unit_test(test_block_names),
		cmocka_unit_test(test_spec_from_config),
		cmocka_unit_test(test_apply_lists_as_rendered),
		cmocka_unit_test(test_render_loads_in_nft),
		cmocka_unit_test(test_apply_twice_one_table),
		cmocka_unit_test(test_foreign_table_rebuilt),
		cmocka_unit_test(test_other_tables_untouched),
		cmocka_unit_test(test_readback_counts),
		cmocka_unit_test(test_drill_expires_by_itself),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_icmp_drill_stops_ping),
		cmocka_unit_test(test_pair_drill_stops_tcp),
		cmocka_unit_test(test_qos_marks_packets),
		cmocka_unit_test(test_qos_keeps_ipv4_checksum),
		cmocka_unit_test(test_kernel_error_keeps_table),
		cmocka_unit_test(test_apply_rejects_bad_spec),
		cmocka_unit_test(test_apply_every_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
