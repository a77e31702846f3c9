/*
 * parse.c: vigil.conf through libinih, with a reader of our own that counts lines and vets every raw line
 * first: libinih 55 (Debian) passes inline '#' through, strips " ;" comments silently, joins indented lines
 * to the previous value and cuts long lines in two. SPEC "Configuration parameters" wants each of those
 * refused with file:line, so the reader refuses them before libinih sees the line.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "internal.h"

#define LINE_BUF 1024      /* never more than libinih's own buffer is used; this bounds our copy */
#define WHAT_MAX 48        /* the "key" part of a message */
#define FILE_MAX (1 << 20) /* a configuration file is small; refuse anything bigger */

int parse_fail(struct config_parse *p, int line, const char *what, const char *fmt, ...)
{
	char why[WHY_MAX];
	va_list ap;

	if (p->failed)
		return -EINVAL; /* the first error is the one reported */
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%d: %s: %s", p->name, line, what, why);
	return -EINVAL;
}

static const char *skip_space(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

/* What a message names for a line: "[section]" text, the key before '=' or ':', else "syntax". */
static void line_label(const char *s, char *what)
{
	size_t n = *s == '[' ? strcspn(s, "]") + (s[strcspn(s, "]")] == ']') : strcspn(s, "=:");

	if (*s != '[' && s[n] == '\0')
		n = 0;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0)
		snprintf(what, WHAT_MAX, "syntax");
	else
		snprintf(what, WHAT_MAX, "%.*s", (int)(n < WHAT_MAX - 1 ? n : WHAT_MAX - 1), s);
}

static bool inline_semicolon(const char *s)
{
	for (const char *q = strchr(s, ';'); q; q = strchr(q + 1, ';')) {
		if (q > s && isspace((unsigned char)q[-1]))
			return true;
	}
	return false;
}

static int section_line(struct config_parse *p, const char *s, const char *what)
{
	const char *end = strchr(s, ']');
	char name[WHAT_MAX];
	int sec;

	if (!end)
		return parse_fail(p, p->lineno, what, "missing ']'");
	if (*skip_space(end + 1) != '\0')
		return parse_fail(p, p->lineno, what, "text after ']'");
	snprintf(name, sizeof(name), "%.*s", (int)(end - s - 1), s + 1);
	sec = config_section_find(name);
	if (sec < 0)
		return parse_fail(p, p->lineno, what,
		    "unknown section (node, peer, module, monitor, network, "
		    "hooks, netcfg or export)");
	if (p->sec_line[sec])
		return parse_fail(p, p->lineno, what, "section appears twice (first at line %d)",
		    p->sec_line[sec]);
	p->sec_line[sec] = p->lineno;
	p->sec = sec;
	return 0;
}

static int key_line(struct config_parse *p, const char *s, const char *what)
{
	const char *sep = strpbrk(s, "=:");

	if (!sep)
		return parse_fail(p, p->lineno, what,
		    "expected key = value, [section] or a # comment");
	if (*sep == ':')
		return parse_fail(p, p->lineno, what,
		    "expected key = value (':' is not a separator)");
	if (sep == s)
		return parse_fail(p, p->lineno, what, "a key name is missing before '='");
	if (p->sec < 0)
		return parse_fail(p, p->lineno, what, "key outside a section (start with [node])");
	/* printed back as "key = ;x", such a value would read as a comment */
	if (*skip_space(sep + 1) == ';')
		return parse_fail(p, p->lineno, what, "a value must not start with ';'");
	return 0;
}

/* Every rule SPEC sets on a raw line that libinih would not enforce, checked on a NUL-terminated copy. */
static int classify(struct config_parse *p, const char *line)
{
	const char *s = skip_space(line);
	char what[WHAT_MAX];

	if (*s == '\0' || *s == '#' || *s == ';')
		return 0; /* blank, or a comment at the start of a line */
	line_label(s, what);
	if (s != line)
		return parse_fail(p, p->lineno, what,
		    "indented line: continuation lines are not allowed, "
		    "start each key and section at the beginning of its line");
	if (strchr(s, '#'))
		return parse_fail(p, p->lineno, what,
		    "'#' inside a line: comments must start a line");
	if (inline_semicolon(s))
		return parse_fail(p, p->lineno, what,
		    "' ;' inside a line: comments must start a line");
	return *s == '[' ? section_line(p, s, what) : key_line(p, s, what);
}

/* A comment line (blanks, then '#' or ';'): never printed back, so any bytes may stay in it. */
static bool comment_line(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i < n && (s[i] == '#' || s[i] == ';');
}

static int line_check(struct config_parse *p, const char *s, size_t n, int num)
{
	size_t fit = (size_t)(num < LINE_BUF ? num : LINE_BUF) - 2; /* room for '\n' and NUL */
	char line[LINE_BUF], what[WHAT_MAX];

	if (num < 3)
		return parse_fail(p, p->lineno, "syntax", "libinih line buffer too small");
	if (memchr(s, '\0', n))
		return parse_fail(p, p->lineno, "syntax", "NUL byte in the line");
	if (!comment_line(s, n)) {
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];

			if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
				return parse_fail(p, p->lineno, "syntax",
				    "control character 0x%02x in the line", c);
		}
	}
	if (n > fit) {
		snprintf(line, sizeof(line), "%.*s", (int)(n < LINE_BUF - 1 ? n : LINE_BUF - 1), s);
		line_label(skip_space(line), what);
		return parse_fail(p, p->lineno, what, "line too long (at most %zu characters)",
		    fit);
	}
	memcpy(line, s, n);
	line[n] = '\0';
	return classify(p, line);
}

/* An fgets() for libinih over p->text: one line per call, each vetted; NULL at the end or on error. */
static char *reader(char *str, int num, void *stream)
{
	struct config_parse *p = stream;
	const char *s = p->text + p->pos, *nl;
	size_t n;

	if (p->failed || p->pos >= p->len)
		return NULL;
	nl = memchr(s, '\n', p->len - p->pos);
	n = nl ? (size_t)(nl - s) : p->len - p->pos;
	p->pos += n + (nl != NULL);
	p->lineno++;
	if (p->lineno == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3; /* a UTF-8 byte order mark */
		n -= 3;
	}
	if (line_check(p, s, n, num) < 0)
		return NULL;
	memcpy(str, s, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct config_parse *p = user;
	char why[WHY_MAX];
	int i;

	(void)section; /* the reader tracked it, with its line */
	if (p->failed)
		return 0;
	i = config_key_find(p->sec, name);
	if (i < 0)
		parse_fail(p, p->lineno, name, "unknown key in [%s]", config_section_names[p->sec]);
	else if (p->key_line[i])
		parse_fail(p, p->lineno, name, "set twice (first at line %d)", p->key_line[i]);
	else if (config_keys[i].parse(&config_keys[i], value, p->c, why) < 0)
		parse_fail(p, p->lineno, name, "%s", why);
	else
		p->key_line[i] = p->lineno;
	return !p->failed;
}

/* Every default of the key table, parsed by the row's own parser (a bad default is our bug). */
static void config_defaults(struct config *c)
{
	char why[WHY_MAX];

	*c = (struct config){ 0 };
	for (size_t i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];

		if (k->def && k->parse(k, k->def, c, why) < 0)
			abort();
	}
}

static int parse_text(const char *name, const char *text, size_t len, unsigned flags,
    struct config *ret, char *err, size_t errlen)
{
	struct config c;
	struct config_parse p = { .name = name,
		.text = text,
		.len = len,
		.sec = -1,
		.c = &c,
		.err = err,
		.errlen = errlen,
		.flags = flags };
	int r;

	config_defaults(&c);
	snprintf(c.path, sizeof(c.path), "%s", name);
	r = ini_parse_stream(reader, &p, handler, &p);
	if (r != 0)
		parse_fail(&p, r > 0 ? r : 0, "syntax", "not understood (libinih error %d)", r);
	if (!p.failed)
		config_finish(&p);
	if (p.failed)
		return -EINVAL;
	*ret = c;
	return 0;
}

int config_load_string(const char *name, const char *text, struct config *ret, char *err,
    size_t errlen)
{
	return parse_text(name, text, strlen(text), 0, ret, err, errlen);
}

/* The whole file into *ret_buf (malloc'd): small files only. */
static int read_all(int fd, char **ret_buf, size_t *ret_len)
{
	char *buf = malloc(FILE_MAX + 1);
	size_t len = 0;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	while ((n = read(fd, buf + len, FILE_MAX + 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (len += (size_t)n) > FILE_MAX) {
			int e = n < 0 ? -errno : -EFBIG;

			free(buf);
			return e;
		}
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

int config_load(const char *path, struct config *ret, char *err, size_t errlen)
{
	return config_load_flags(path, 0, ret, err, errlen);
}

int config_load_flags(const char *path, unsigned flags, struct config *ret, char *err,
    size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int fd, r;

	if (strlen(path) >= CONFIG_PATH_MAX) {
		snprintf(err, errlen, "%.64s...:0: file: path too long", path);
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s:0: file: cannot open: %s", path, strerror(-r));
		return r;
	}
	r = read_all(fd, &buf, &len);
	close(fd);
	if (r < 0) {
		snprintf(err, errlen, "%s:0: file: cannot read: %s", path,
		    r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
		return r;
	}
	r = parse_text(path, buf, len, flags, ret, err, errlen);
	free(buf);
	return r;
}
