/* print.c: the effective configuration written back as a complete vigil.conf that parses to the same values. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "internal.h"

#define LINE_MAX_OUT 2048

void sb_add(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->p + sb->len, sb->size - sb->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sb->size - sb->len) {
		sb->overflow = true;
		sb->p[sb->len] = '\0';
		return;
	}
	sb->len += (size_t)n;
}

static const void *field(const struct config *c, const struct config_key *k)
{
	return (const char *)c + k->off;
}

static size_t count(const struct config *c, const struct config_key *k)
{
	return *(const size_t *)((const char *)c + k->off_n);
}

void print_str(const struct config_key *k, const struct config *c, struct strbuf *sb)
{
	sb_add(sb, "%s", (const char *)field(c, k));
}

void print_enum(const struct config_key *k, const struct config *c, struct strbuf *sb)
{
	sb_add(sb, "%s", k->names[*(const bool *)field(c, k)]);
}

void print_bool(const struct config_key *k, const struct config *c, struct strbuf *sb)
{
	sb_add(sb, "%s", *(const bool *)field(c, k) ? "yes" : "no");
}

void print_ms(const struct config_key *k, const struct config *c, struct strbuf *sb)
{
	char buf[32];

	value_fmt_ms(*(const uint32_t *)field(c, k), buf, sizeof(buf));
	sb_add(sb, "%s", buf);
}

void print_u32(const struct config_key *k, const struct config *c, struct strbuf *sb)
{
	sb_add(sb, "%u", (unsigned)*(const uint32_t *)field(c, k));
}

void print_u16(const struct config_key *k, const struct config *c, struct strbuf *sb)
{
	sb_add(sb, "%u", (unsigned)*(const uint16_t *)field(c, k));
}

void print_i32(const struct config_key *k, const struct config *c, struct strbuf *sb)
{
	sb_add(sb, "%d", (int)*(const int32_t *)field(c, k));
}

static void dscp_text(int v, struct strbuf *sb)
{
	const char *name = value_dscp_name(v);

	if (name)
		sb_add(sb, "%s", name);
	else
		sb_add(sb, "%d", v);
}

void print_dscp(const struct config_key *k, const struct config *c, struct strbuf *sb)
{
	dscp_text(*(const uint8_t *)field(c, k), sb);
}

void print_dscp_opt(const struct config_key *k, const struct config *c, struct strbuf *sb)
{
	int v = *(const int *)field(c, k);

	if (v < 0)
		sb_add(sb, "none");
	else
		dscp_text(v, sb);
}

void print_addr(const struct config_key *k, const struct config *c, struct strbuf *sb)
{
	sb_add(sb, "%s", ((const struct config_addr *)field(c, k))->text);
}

void print_addrs(const struct config_key *k, const struct config *c, struct strbuf *sb)
{
	const struct config_addr *a = field(c, k);

	for (size_t i = 0; i < count(c, k); i++)
		sb_add(sb, "%s%s", i ? ", " : "", a[i].text);
}

void print_vips(const struct config_key *k, const struct config *c, struct strbuf *sb)
{
	const struct config_vip *v = field(c, k);

	for (size_t i = 0; i < count(c, k); i++)
		sb_add(sb, "%s%s/%u dev %s", i ? ", " : "", v[i].addr.text, v[i].prefix, v[i].dev);
}

static void fence_text(const struct config_fence *f, struct strbuf *sb)
{
	unsigned full = f->addr.family == AF_INET ? 32 : 128;

	if (f->kind != FENCE_ADDR)
		sb_add(sb, "%s:%u", f->kind == FENCE_TCP ? "tcp" : "udp", f->port);
	else if (f->prefix == full)
		sb_add(sb, "%s", f->addr.text);
	else
		sb_add(sb, "%s/%u", f->addr.text, f->prefix);
}

void print_fences(const struct config_key *k, const struct config *c, struct strbuf *sb)
{
	const struct config_fence *f = field(c, k);

	for (size_t i = 0; i < count(c, k); i++) {
		sb_add(sb, "%s", i ? ", " : "");
		fence_text(&f[i], sb);
	}
}

void print_check(const struct config_key *k, const struct config *c, struct strbuf *sb)
{
	const struct config_check *ck = field(c, k);

	if (ck->kind != CHECK_NONE)
		sb_add(sb, "%s:%s", config_check_kind_name(ck->kind), ck->target);
}

void print_cmd(const struct config_key *k, const struct config *c, struct strbuf *sb)
{
	sb_add(sb, "%s", ((const struct config_cmd *)field(c, k))->line);
}

/* The one derived default: monitor.timeout = module.timeout / 2 unless the file set it. */
static bool derived(const struct config *c, const struct config_key *k)
{
	return k->off == offsetof(struct config, monitor.timeout_ms) && !c->monitor.timeout_set;
}

static void print_key(const struct config_key *k, const struct config *c, FILE *f)
{
	char buf[LINE_MAX_OUT];
	struct strbuf sb = { .p = buf, .size = sizeof(buf) };

	buf[0] = '\0';
	k->print(k, c, &sb);
	if (derived(c, k))
		fprintf(f, "# derived: module.timeout / 2 (not set in the file)\n");
	if (k->off == offsetof(struct config, peer.key_file))
		fprintf(f, "# the pair key itself is never printed\n");
	fprintf(f, "%s =%s%s\n", k->name, buf[0] ? " " : "", buf);
}

void config_print(const struct config *c, FILE *f)
{
	int sec = -1;

	fprintf(f, "# vigil.conf: effective configuration of node %s, read from %s\n", c->node.name,
	    c->path);
	for (size_t i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];

		if ((int)k->sec != sec) {
			sec = (int)k->sec;
			fprintf(f, "\n[%s]\n", config_section_names[sec]);
		}
		print_key(k, c, f);
	}
}

/* The effective configuration one line at a time (the peer digest, vigilctl dump). */
int config_print_lines(const struct config *c, config_line_fn *fn, void *arg)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return -ENOMEM;
	config_print(c, f);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		fn(line, arg);
	free(buf);
	return 0;
}
