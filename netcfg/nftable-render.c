/* nftable-render.c: table inet vigil as `nft -f` text, from the same plan the netlink batch is built from (dump, tests, dry runs); pure. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "nftable-internal.h"
#include "nftable.h"

/* With buf NULL, only counts: the caller's buffer stays untouched when the text does not fit. */
struct out {
	char *buf;
	size_t len;
	size_t pos;
	bool full;
	bool mid; /* inside a rule line: the next part needs a blank first */
};

static void out_vprintf(struct out *o, const char *fmt, va_list ap)
{
	int n;

	if (o->full)
		return;
	if (o->buf == NULL)
		n = vsnprintf(NULL, 0, fmt, ap);
	else
		n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	if (n < 0 || (o->buf != NULL && (size_t)n >= o->len - o->pos)) {
		o->full = true;
		return;
	}
	o->pos += (size_t)n;
}

__attribute__((format(printf, 2, 3))) static void out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_vprintf(o, fmt, ap);
	va_end(ap);
}

/* One word group of a rule line, blank-separated from the previous one. */
__attribute__((format(printf, 2, 3))) static void out_part(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->mid)
		out_printf(o, " ");
	o->mid = true;
	va_start(ap, fmt);
	out_vprintf(o, fmt, ap);
	va_end(ap);
}

static const char *ip_word(int family)
{
	return family == AF_INET ? "ip" : "ip6";
}

static const char *icmp_word(int family)
{
	return family == AF_INET ? "icmp" : "icmpv6";
}

/* An address as nft prints it: the network, with /PREFIX only when shorter than a host's. */
static void addr_text(int family, const uint8_t *bytes, unsigned prefix, char *buf, size_t len)
{
	char text[INET6_ADDRSTRLEN];

	if (inet_ntop(family, bytes, text, sizeof(text)) == NULL)
		text[0] = '\0';
	if (prefix < 8 * nftable_addr_len(family))
		snprintf(buf, len, "%s/%u", text, prefix);
	else
		snprintf(buf, len, "%s", text);
}

static void render_addr(struct out *o, const struct nftable_rule *r)
{
	char text[INET6_ADDRSTRLEN + 4];
	const char *dir = r->addr == MATCH_SADDR ? "saddr" : "daddr";

	if (r->set != NULL) {
		out_part(o, "%s %s @%s", ip_word(r->family), dir, r->set);
	} else if (r->prefix == 0) { /* the whole family: no address bits left to compare */
		out_part(o, "meta nfproto %s", r->family == AF_INET ? "ipv4" : "ipv6");
	} else {
		addr_text(r->family, r->bytes, r->prefix, text, sizeof(text));
		out_part(o, "%s %s %s", ip_word(r->family), dir, text);
	}
}

static void render_l4(struct out *o, const struct nftable_rule *r)
{
	switch (r->l4) {
	case MATCH_L4_NONE:
		return;
	case MATCH_L4_TCP:
	case MATCH_L4_UDP:
		out_part(o, "%s", r->l4 == MATCH_L4_TCP ? "tcp" : "udp");
		if (r->port_dir != MATCH_PORT_NONE)
			out_part(o, "%s %u", r->port_dir == MATCH_SPORT ? "sport" : "dport",
			    r->port);
		return;
	case MATCH_L4_ICMP:
		out_part(o, "meta l4proto %s", icmp_word(r->family));
		return;
	case MATCH_L4_ECHO:
		out_part(o, "%s type echo-request", icmp_word(r->family));
		return;
	}
}

static void render_rule(struct out *o, const struct nftable_rule *r)
{
	out_printf(o, "\t\t");
	o->mid = false;
	if (r->addr != MATCH_ADDR_NONE)
		render_addr(o, r);
	render_l4(o, r);
	if (r->action == RULE_DSCP)
		out_part(o, "%s dscp set %u", ip_word(r->family), r->dscp);
	else
		out_part(o, "%s", r->action == RULE_ACCEPT ? "accept" : "drop");
	out_printf(o, "\n");
}

static void render_elems(struct out *o, const struct nftable_spec *spec, size_t s)
{
	const char *sep = " elements = { ";
	char text[INET6_ADDRSTRLEN + 4];
	uint64_t timeout_ms;

	for (size_t i = 0; i < spec->n_drill; i++) {
		if (!nftable_elem_in_set(spec, i, s, &timeout_ms))
			continue;
		addr_text(spec->drill[i].addr.family, spec->drill[i].addr.bytes, 128, text,
		    sizeof(text));
		out_printf(o, "%s%s timeout %llums", sep, text, (unsigned long long)timeout_ms);
		sep = ", ";
	}
	if (sep[0] == ',')
		out_printf(o, " };");
}

static void render_sets(struct out *o, const struct nftable_spec *spec)
{
	for (size_t s = 0; s < NFTABLE_SETS; s++) {
		out_printf(o, "\tset %s { type %s; flags timeout;", nftable_sets[s].name,
		    nftable_sets[s].family == AF_INET ? "ipv4_addr" : "ipv6_addr");
		render_elems(o, spec, s);
		out_printf(o, " }\n");
	}
}

static void render_chain(struct out *o, const struct nftable_spec *spec, enum nftable_chain_id c)
{
	struct nftable_rule rules[NFTABLE_MAX_RULES];
	size_t n = nftable_plan_chain(spec, c, rules);

	out_printf(o, "\tchain %s {\n", nftable_chains[c].name);
	out_printf(o, "\t\ttype filter hook %s priority filter; policy accept;\n",
	    nftable_chains[c].name);
	for (size_t i = 0; i < n; i++)
		render_rule(o, &rules[i]);
	out_printf(o, "\t}\n");
}

static void render_table(struct out *o, const struct nftable_spec *spec)
{
	out_printf(o, "table %s %s {\n", NFTABLE_FAMILY, NFTABLE_NAME);
	render_sets(o, spec);
	for (int c = 0; c < CHAIN_COUNT; c++)
		render_chain(o, spec, (enum nftable_chain_id)c);
	out_printf(o, "}\n");
}

int nftable_render(const struct nftable_spec *spec, char *buf, size_t len)
{
	struct out count = { .buf = NULL }, o = { .buf = buf, .len = len };
	int r = nftable_check_spec(spec);

	if (r < 0)
		return r;
	render_table(&count, spec);
	if (count.full || count.pos >= len)
		return -ENOBUFS;
	render_table(&o, spec);
	return o.full ? -ENOBUFS : 0;
}
