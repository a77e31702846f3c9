/* ctl-report.c: the text of `vigilctl dump` (and report.txt of `dump -o`): every part the daemon sent, known ones laid out, the rest shown as it came; pure, times passed in. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "ctl.h"

#define DEPTH_MAX 8 /* nesting shown; deeper is "{...}" */
#define LINE_MAX_TEXT 1024

/* Parts laid out by a printer of their own, in this order; "events" comes last. */
static const char *const known_parts[] = { "status", "config", "core", "peer", "probes", "gateways",
	"recorder", "control", "events", "state_dir" };

static void heading(FILE *f, const char *title)
{
	fprintf(f, "\n== %s ==\n", title);
}

static bool is_scalar(struct json_object *v)
{
	return v == NULL ||
	    (!json_object_is_type(v, json_type_object) && !json_object_is_type(v, json_type_array));
}

/* A scalar as printable text (strings without control bytes, null as "-"). */
static void scalar_text(struct json_object *v, char *ret, size_t len)
{
	if (v == NULL)
		snprintf(ret, len, "-");
	else if (json_object_is_type(v, json_type_string))
		ctl_printable(json_object_get_string(v), ret, len);
	else
		ctl_printable(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), ret, len);
}

static void print_value(FILE *f, int indent, const char *key, struct json_object *v, int depth);

/* A text of several lines (an nftables listing, a hook's output), each printable and indented. */
static void print_lines(FILE *f, int indent, const char *text)
{
	char line[LINE_MAX_TEXT];

	while (*text != '\0') {
		size_t n = strcspn(text, "\n");

		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1),
		    text);
		ctl_printable(line, line, sizeof(line));
		fprintf(f, "%*s%s\n", indent, "", line);
		text += n + (text[n] == '\n');
	}
}

/* [1, 2, "a"] on one line; a list of objects one item a block. */
static void print_array(FILE *f, int indent, const char *key, struct json_object *a, int depth)
{
	size_t n = json_object_array_length(a);
	bool flat = true;
	char item[LINE_MAX_TEXT];

	for (size_t i = 0; i < n; i++)
		flat = flat && is_scalar(json_object_array_get_idx(a, i));
	fprintf(f, "%*s%s:%s", indent, "", key, n == 0 ? " (none)" : "");
	for (size_t i = 0; flat && i < n; i++) {
		scalar_text(json_object_array_get_idx(a, i), item, sizeof(item));
		fprintf(f, "%s%s", i == 0 ? " " : ", ", item);
	}
	fputc('\n', f);
	for (size_t i = 0; !flat && i < n; i++) {
		snprintf(item, sizeof(item), "[%zu]", i);
		print_value(f, indent + 2, item, json_object_array_get_idx(a, i), depth + 1);
	}
}

static void print_value(FILE *f, int indent, const char *key, struct json_object *v, int depth)
{
	char text[LINE_MAX_TEXT], k[128];

	ctl_printable(key, k, sizeof(k));
	if (depth >= DEPTH_MAX && !is_scalar(v)) {
		fprintf(f, "%*s%s: {...}\n", indent, "", k);
	} else if (json_object_is_type(v, json_type_object)) {
		fprintf(f, "%*s%s:\n", indent, "", k);
		json_object_object_foreach(v, mk, mv) print_value(f, indent + 2, mk, mv, depth + 1);
	} else if (json_object_is_type(v, json_type_array)) {
		print_array(f, indent, k, v, depth);
	} else if (json_object_is_type(v, json_type_string) &&
	    strchr(json_object_get_string(v), '\n') != NULL) {
		fprintf(f, "%*s%s:\n", indent, "", k);
		print_lines(f, indent + 2, json_object_get_string(v));
	} else {
		scalar_text(v, text, sizeof(text));
		fprintf(f, "%*s%-*s %s\n", indent, "", 24 - indent > 0 ? 24 - indent : 0, k, text);
	}
}

/* An object's members at the top of its section, anything else as one value. */
static void print_generic(FILE *f, struct json_object *v)
{
	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, mv) print_value(f, 0, k, mv, 1);
		return;
	}
	print_value(f, 0, "value", v, 1);
}

/* ---- configuration: the daemon's text lines, with a second guard on secrets ---- */

static bool key_is_secret(const char *key, size_t len)
{
	static const char *const words[] = { "key", "secret", "password", "passwd", "passphrase",
		"token", "psk" };

	if (len == 8 && strncasecmp(key, "key_file", 8) == 0)
		return false; /* a path, never the key (SPEC: key_file) */
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t w = strlen(words[i]);

		if (len >= w && strncasecmp(key + len - w, words[i], w) == 0)
			return true;
	}
	return false;
}

/* "name = value": a secret-looking name keeps its name, the value is replaced. */
static void print_config_line(FILE *f, const char *line)
{
	char text[LINE_MAX_TEXT];
	const char *eq = strchr(line, '='), *k = line, *end;

	ctl_printable(line, text, sizeof(text));
	while (*k == ' ' || *k == '\t')
		k++;
	for (end = eq; end != NULL && end > k && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	if (eq != NULL && *k != '#' && *k != ';' && key_is_secret(k, (size_t)(end - k)))
		fprintf(f, "%.*s= <redacted>\n", (int)(eq - line), text);
	else
		fprintf(f, "%s\n", text);
}

static void print_config_text(FILE *f, const char *text)
{
	char line[LINE_MAX_TEXT];

	while (*text != '\0') {
		size_t n = strcspn(text, "\n");

		snprintf(line, sizeof(line), "%.*s", (int)n, text);
		print_config_line(f, line);
		text += n + (text[n] == '\n');
	}
}

static void print_config(FILE *f, struct json_object *c)
{
	size_t n;

	if (json_object_is_type(c, json_type_string)) {
		print_config_text(f, json_object_get_string(c));
		return;
	}
	if (!json_object_is_type(c, json_type_array)) {
		print_generic(f, c);
		return;
	}
	n = json_object_array_length(c);
	for (size_t i = 0; i < n; i++) {
		struct json_object *l = json_object_array_get_idx(c, i);

		if (json_object_is_type(l, json_type_string))
			print_config_text(f, json_object_get_string(l));
		else
			print_value(f, 0, "?", l, 1);
	}
}

/* ---- probes: one row per target ---- */

static bool num_of(struct json_object *o, const char *key, int64_t *ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*ret = json_object_get_int64(v);
	return true;
}

static const char *str_of(struct json_object *o, const char *key, const char *fallback)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return fallback;
	return json_object_get_string(v);
}

/* RTT microseconds as milliseconds, "-" when absent or none measured. */
static void rtt_text(struct json_object *o, const char *key, bool any, char *ret, size_t len)
{
	int64_t us;

	if (!any || !num_of(o, key, &us) || us < 0)
		snprintf(ret, len, "-");
	else
		snprintf(ret, len, "%" PRId64 ".%03" PRId64, us / 1000, us % 1000);
}

/* "10.0.0.1" or "fe80::1%eth0", printable. */
static void address_text(struct json_object *o, char *ret, size_t len)
{
	char raw[160];
	const char *ifname = str_of(o, "ifname", "");

	snprintf(raw, sizeof(raw), "%.100s%s%.20s", str_of(o, "address", "?"),
	    ifname[0] != '\0' ? "%" : "", ifname);
	ctl_printable(raw, ret, len);
}

static void print_probe(FILE *f, struct json_object *p)
{
	char addr[160], kind[24], loss[24], mn[24], avg[24], mx[24], last[24];
	int64_t sent = -1, answered = -1;
	bool any;

	(void)num_of(p, "sent", &sent);
	(void)num_of(p, "answered", &answered);
	any = answered > 0;
	address_text(p, addr, sizeof(addr));
	ctl_printable(str_of(p, "kind", "?"), kind, sizeof(kind));
	if (sent > 0 && answered >= 0 && answered <= sent)
		snprintf(loss, sizeof(loss), "%" PRId64 "%%", (sent - answered) * 100 / sent);
	else
		snprintf(loss, sizeof(loss), "-");
	rtt_text(p, "rtt_min_us", any, mn, sizeof(mn));
	rtt_text(p, "rtt_avg_us", any, avg, sizeof(avg));
	rtt_text(p, "rtt_max_us", any, mx, sizeof(mx));
	rtt_text(p, "rtt_last_us", any, last, sizeof(last));
	fprintf(f, "%-9s %-30s %8" PRId64 " %8" PRId64 " %5s %9s %9s %9s %9s\n", kind, addr, sent,
	    answered, loss, mn, avg, mx, last);
}

static void print_probes(FILE *f, struct json_object *a)
{
	size_t n;

	if (!json_object_is_type(a, json_type_array)) {
		print_generic(f, a);
		return;
	}
	n = json_object_array_length(a);
	if (n == 0) {
		fprintf(f, "no target probed yet\n");
		return;
	}
	fprintf(f, "%-9s %-30s %8s %8s %5s %9s %9s %9s %9s\n", "kind", "address", "sent",
	    "answered", "loss", "min ms", "avg ms", "max ms", "last ms");
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(a, i);

		if (json_object_is_type(p, json_type_object))
			print_probe(f, p);
		else
			print_value(f, 0, "?", p, 1);
	}
}

/* ---- gateways and events ---- */

static void print_gateways(FILE *f, struct json_object *a)
{
	char text[LINE_MAX_TEXT];
	size_t n;

	if (!json_object_is_type(a, json_type_array)) {
		print_generic(f, a);
		return;
	}
	n = json_object_array_length(a);
	if (n == 0)
		fprintf(f, "no default gateway\n");
	for (size_t i = 0; i < n; i++) {
		struct json_object *g = json_object_array_get_idx(a, i);

		if (json_object_is_type(g, json_type_object))
			address_text(g, text, sizeof(text));
		else
			scalar_text(g, text, sizeof(text));
		fprintf(f, "%s\n", text);
	}
}

static void print_events(FILE *f, struct json_object *a)
{
	size_t n;

	if (!json_object_is_type(a, json_type_array)) {
		print_generic(f, a); /* the daemon's reason the journal is missing */
		return;
	}
	n = json_object_array_length(a);
	if (n == 0)
		fprintf(f, "none\n");
	for (size_t i = 0; i < n; i++)
		ctl_print_event(f, json_object_array_get_idx(a, i));
}

/* ---- the whole report ---- */

static struct json_object *part(struct json_object *d, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(d, key, &v) ? v : NULL;
}

static bool is_known(const char *key)
{
	for (size_t i = 0; i < sizeof(known_parts) / sizeof(known_parts[0]); i++)
		if (strcmp(known_parts[i], key) == 0)
			return true;
	return false;
}

static void print_head(FILE *f, struct json_object *d, int64_t now_ms)
{
	struct json_object *st = part(d, "status");
	char when[40], node[96], dir[512];

	ctl_format_local(now_ms, false, when, sizeof(when));
	ctl_printable(st != NULL ? str_of(st, "node", "?") : "?", node, sizeof(node));
	fprintf(f, "vigil dump of node %s, taken %s (local time)\n", node, when);
	if (part(d, "state_dir") != NULL) {
		scalar_text(part(d, "state_dir"), dir, sizeof(dir));
		fprintf(f, "state_dir: %s\n", dir);
	}
	heading(f, "status");
	if (st != NULL && json_object_is_type(st, json_type_object))
		ctl_print_status(f, st, now_ms);
	else if (st != NULL)
		print_generic(f, st);
	else
		fprintf(f, "not sent by vigild\n");
}

/* A known part, if present, under its title. */
static void section(FILE *f, struct json_object *d, const char *key, const char *title,
    void (*print)(FILE *, struct json_object *))
{
	struct json_object *v = part(d, key);

	if (v == NULL)
		return;
	heading(f, title);
	print(f, v);
}

/* The recorder's statistics (from vigild) and where its latest capture is (from vigilctl). */
static void print_recorder(FILE *f, struct json_object *d, const char *capture_note)
{
	struct json_object *v = part(d, "recorder");
	char note[LINE_MAX_TEXT];

	if (v == NULL && capture_note == NULL)
		return;
	heading(f, "flight recorder");
	if (v != NULL)
		print_generic(f, v);
	if (capture_note == NULL)
		return;
	ctl_printable(capture_note, note, sizeof(note));
	fprintf(f, "%-24s %s\n", "capture", note);
}

void ctl_print_dump(FILE *f, struct json_object *d, const char *capture_note, int64_t now_ms)
{
	print_head(f, d, now_ms);
	section(f, d, "config", "configuration (secrets redacted)", print_config);
	section(f, d, "core", "decision core: timers and counters", print_generic);
	section(f, d, "peer", "peer link", print_generic);
	section(f, d, "probes", "probes: per-target statistics", print_probes);
	section(f, d, "gateways", "gateways", print_gateways);
	print_recorder(f, d, capture_note);
	section(f, d, "control", "control socket", print_generic);
	json_object_object_foreach(d, key, v)
	{
		char title[128];

		if (is_known(key))
			continue;
		ctl_printable(key, title, sizeof(title));
		heading(f, title);
		print_generic(f, v);
	}
	section(f, d, "events", "recent events", print_events);
}
