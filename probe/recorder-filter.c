/* recorder-filter.c: the flight recorder's BPF filter for vigil's own traffic, built from the pair's port and addresses (pure). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "recorder.h"

#define ECHO4 "icmp[icmptype] == icmp-echo or icmp[icmptype] == icmp-echoreply"
#define ECHO6 "icmp6[icmp6type] == icmp6-echo or icmp6[icmp6type] == icmp6-echoreply"

struct text {
	char buf[RECORDER_FILTER_MAX];
	size_t off;
	bool over;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->over)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->off, sizeof(t->buf) - t->off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(t->buf) - t->off)
		t->over = true;
	else
		t->off += (size_t)n;
}

/* Peers first, then targets, as one list. */
static const struct config_addr *addr_at(const struct recorder_filter_spec *s, size_t i)
{
	return i < s->n_peers ? &s->peers[i] : &s->targets[i - s->n_peers];
}

static bool same_addr(const struct config_addr *a, const struct config_addr *b)
{
	return a->family == b->family &&
	    memcmp(a->bytes, b->bytes, a->family == AF_INET ? 4 : 16) == 0;
}

static bool seen_before(const struct recorder_filter_spec *s, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (same_addr(addr_at(s, j), addr_at(s, i)))
			return true;
	return false;
}

/* " or "-joined "host X" for the set addresses [0, n) of the family (0: any); how many. Texts
 * come from the bytes, never from config text, so nothing but an address reaches the filter. */
static size_t put_hosts(struct text *t, const struct recorder_filter_spec *s, size_t n, int family)
{
	char a[INET6_ADDRSTRLEN];
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		const struct config_addr *x = addr_at(s, i);

		if (x->family == 0 || (family != 0 && x->family != family) || seen_before(s, i) ||
		    inet_ntop(x->family, x->bytes, a, sizeof(a)) == NULL)
			continue;
		put(t, "%shost %s", k++ > 0 ? " or " : "", a);
	}
	return k;
}

/* Addresses [0, n) of the family; family 0 counts the unset ones. */
static size_t count_family(const struct recorder_filter_spec *s, size_t n, int family)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += addr_at(s, i)->family == family;
	return k;
}

static void put_echo(struct text *t, const struct recorder_filter_spec *s, int family)
{
	if (count_family(s, s->n_peers + s->n_targets, family) == 0)
		return;
	put(t, " or (%s and (%s) and (", family == AF_INET ? "icmp" : "icmp6",
	    family == AF_INET ? ECHO4 : ECHO6);
	put_hosts(t, s, s->n_peers + s->n_targets, family);
	put(t, "))");
}

int recorder_filter_build(const struct recorder_filter_spec *s, char *ret, size_t len)
{
	struct text t = { .off = 0 };
	size_t n = s->n_peers + s->n_targets;

	if (s->peer_port == 0 || (s->n_peers > 0 && s->peers == NULL) ||
	    (s->n_targets > 0 && s->targets == NULL))
		return -EINVAL;
	if (count_family(s, n, AF_INET) + count_family(s, n, AF_INET6) + count_family(s, n, 0) != n)
		return -EINVAL;
	put(&t, "(tcp port %u", (unsigned)s->peer_port);
	if (count_family(s, s->n_peers, 0) < s->n_peers) {
		put(&t, " and (");
		put_hosts(&t, s, s->n_peers, 0);
		put(&t, ")");
	}
	put(&t, ")");
	put_echo(&t, s, AF_INET);
	put_echo(&t, s, AF_INET6);
	if (t.over || t.off >= len)
		return -ENOBUFS;
	memcpy(ret, t.buf, t.off + 1);
	return 0;
}
