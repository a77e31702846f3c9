/* internal.h: what the files of config/ share: the key table, the value parsers and the parse context. */
#ifndef VIGIL_CONFIG_INTERNAL_H
#define VIGIL_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define WHY_MAX 256 /* one "why" text of an error */

enum config_section {
	SEC_NODE,
	SEC_PEER,
	SEC_MODULE,
	SEC_MONITOR,
	SEC_NETWORK,
	SEC_HOOKS,
	SEC_NETCFG,
	SEC_EXPORT,
	SEC_COUNT,
};

/* A growing text in a fixed buffer; overflow is remembered, never written past the end. */
struct strbuf {
	char *p;
	size_t size;
	size_t len;
	bool overflow;
};

struct config_key;

/* Parse value into the key's field of c; on failure fill why and return -EINVAL. */
typedef int (
    *config_parse_fn)(const struct config_key *k, const char *value, struct config *c, char *why);
/* Append the key's value as it would be written in vigil.conf. */
typedef void (
    *config_print_fn)(const struct config_key *k, const struct config *c, struct strbuf *sb);

#define KEY_REQUIRED 0x1u /* no default: the file must set it */

/* One row per key of SPEC "Configuration parameters". */
struct config_key {
	enum config_section sec;
	const char *name;
	config_parse_fn parse;
	config_print_fn print;
	size_t off;   /* the field in struct config */
	size_t off_n; /* lists: the element count */
	int64_t min;  /* ranges (durations in ms); strings: least length; lists: least count */
	int64_t max;  /* ranges; strings: buffer size; lists: capacity */
	const char *const *names; /* enums: names[field value] */
	const char *def; /* default as vigil.conf text, parsed like the file; NULL = none */
	unsigned flags;
	const char *hint; /* KEY_REQUIRED: what to write, for the "missing" error */
};

#define KEYS_MAX 64

extern const struct config_key config_keys[];
extern const size_t config_n_keys;
extern const char *const config_section_names[SEC_COUNT];

int config_key_find(enum config_section sec, const char *name); /* index or -1 */
int config_section_find(const char *name);                      /* enum config_section or -1 */

static inline void *config_field(const struct config *c, const struct config_key *k)
{
	return (char *)c + k->off;
}

/* values.c */
int value_int(const char *s, int64_t *ret);
int value_addr(const char *s, struct config_addr *ret);
int value_prefix(const char *s, int family, uint8_t *ret);
bool value_addr_equal(const struct config_addr *x, const struct config_addr *y);
int value_list_next(const char **pos, char *item, size_t size);
void value_fmt_ms(uint64_t ms, char *buf, size_t size);
const char *value_dscp_name(int dscp); /* class name or NULL */
bool value_is_blank(char ch);
void config_why(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* parsers.c, parsers-net.c, parsers-cmd.c */
int parse_str(const struct config_key *k, const char *v, struct config *c, char *why);
int parse_path(const struct config_key *k, const char *v, struct config *c, char *why);
int parse_word(const struct config_key *k, const char *v, struct config *c, char *why);
int parse_enum(const struct config_key *k, const char *v, struct config *c, char *why);
int parse_bool(const struct config_key *k, const char *v, struct config *c, char *why);
int parse_ms(const struct config_key *k, const char *v, struct config *c, char *why);
int parse_ms_off(const struct config_key *k, const char *v, struct config *c, char *why);
int parse_u32(const struct config_key *k, const char *v, struct config *c, char *why);
int parse_u16(const struct config_key *k, const char *v, struct config *c, char *why);
int parse_i32(const struct config_key *k, const char *v, struct config *c, char *why);
int parse_dscp(const struct config_key *k, const char *v, struct config *c, char *why);
int parse_dscp_opt(const struct config_key *k, const char *v, struct config *c, char *why);
int parse_addr(const struct config_key *k, const char *v, struct config *c, char *why);
int parse_addrs(const struct config_key *k, const char *v, struct config *c, char *why);
int parse_vips(const struct config_key *k, const char *v, struct config *c, char *why);
int parse_fences(const struct config_key *k, const char *v, struct config *c, char *why);
int parse_check(const struct config_key *k, const char *v, struct config *c, char *why);
int parse_cmd(const struct config_key *k, const char *v, struct config *c, char *why);

/* print.c */
void sb_add(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void print_str(const struct config_key *k, const struct config *c, struct strbuf *sb);
void print_enum(const struct config_key *k, const struct config *c, struct strbuf *sb);
void print_bool(const struct config_key *k, const struct config *c, struct strbuf *sb);
void print_ms(const struct config_key *k, const struct config *c, struct strbuf *sb);
void print_u32(const struct config_key *k, const struct config *c, struct strbuf *sb);
void print_u16(const struct config_key *k, const struct config *c, struct strbuf *sb);
void print_i32(const struct config_key *k, const struct config *c, struct strbuf *sb);
void print_dscp(const struct config_key *k, const struct config *c, struct strbuf *sb);
void print_dscp_opt(const struct config_key *k, const struct config *c, struct strbuf *sb);
void print_addr(const struct config_key *k, const struct config *c, struct strbuf *sb);
void print_addrs(const struct config_key *k, const struct config *c, struct strbuf *sb);
void print_vips(const struct config_key *k, const struct config *c, struct strbuf *sb);
void print_fences(const struct config_key *k, const struct config *c, struct strbuf *sb);
void print_check(const struct config_key *k, const struct config *c, struct strbuf *sb);
void print_cmd(const struct config_key *k, const struct config *c, struct strbuf *sb);

/* The state of one parse: input, position, what was seen where, the first error. */
struct config_parse {
	const char *name; /* file name in messages */
	const char *text;
	size_t len;
	size_t pos;
	int lineno;
	int sec; /* current section, -1 before the first */
	int sec_line[SEC_COUNT];
	int key_line[KEYS_MAX]; /* per config_keys row: line it was set on, 0 = not set */
	struct config *c;
	char *err;
	size_t errlen;
	bool failed;
	unsigned flags; /* CONFIG_LOAD_* */
};

/* Record the first error as "file:line: what: why"; always -EINVAL. */
int parse_fail(struct config_parse *p, int line, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* finish.c: derived defaults and cross-key rules after the last line. */
int config_finish(struct config_parse *p);

#endif /* VIGIL_CONFIG_INTERNAL_H */
