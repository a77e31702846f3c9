/* values.c: the value grammar of vigil.conf: durations, integers, DSCP, address literals, lists. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "config.h"
#include "internal.h"

#define DIGITS_MAX 12 /* integer part of a duration: 10^12 units at most, no overflow below */
#define FRAC_MAX 9

bool value_is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

void config_why(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, WHY_MAX, fmt, ap);
	va_end(ap);
}

/* Read a run of 1..max decimal digits; its value and count. */
static int read_digits(const char **s, int max, uint64_t *ret, int *ret_n)
{
	uint64_t v = 0;
	int n = 0;

	while (isdigit((unsigned char)**s)) {
		if (++n > max)
			return -EINVAL;
		v = v * 10 + (uint64_t)(**s - '0');
		(*s)++;
	}
	if (n == 0)
		return -EINVAL;
	*ret = v;
	*ret_n = n;
	return 0;
}

static uint64_t unit_ms(const char *u)
{
	if (*u == '\0' || strcmp(u, "s") == 0)
		return 1000; /* SPEC: a bare number means seconds */
	if (strcmp(u, "ms") == 0)
		return 1;
	if (strcmp(u, "m") == 0)
		return 60000;
	return 0;
}

/* SPEC: a decimal number, an optional space and a unit ms|s|m; must come to whole milliseconds. */
int config_parse_duration_ms(const char *text, uint64_t *ret_ms)
{
	const char *s = text;
	uint64_t ip, frac = 0, scale = 1, unit;
	int n, nf = 0;

	if (read_digits(&s, DIGITS_MAX, &ip, &n) < 0)
		return -EINVAL;
	if (*s == '.') {
		s++;
		if (read_digits(&s, FRAC_MAX, &frac, &nf) < 0)
			return -EINVAL;
	}
	while (value_is_blank(*s))
		s++;
	unit = unit_ms(s);
	if (unit == 0 || (value_is_blank(s[-1]) && *s == '\0'))
		return -EINVAL;
	for (int i = 0; i < nf; i++)
		scale *= 10;
	if (frac * unit % scale != 0)
		return -EINVAL;
	*ret_ms = ip * unit + frac * unit / scale;
	return 0;
}

/* Optional '-', then decimal digits; nothing else. */
int value_int(const char *s, int64_t *ret)
{
	bool neg = *s == '-';
	uint64_t v;
	int n;

	if (neg)
		s++;
	if (read_digits(&s, 18, &v, &n) < 0 || *s != '\0')
		return -EINVAL;
	*ret = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

static const char *const dscp_names[64] = {
	[0] = "cs0",
	[8] = "cs1",
	[10] = "af11",
	[12] = "af12",
	[14] = "af13",
	[16] = "cs2",
	[18] = "af21",
	[20] = "af22",
	[22] = "af23",
	[24] = "cs3",
	[26] = "af31",
	[28] = "af32",
	[30] = "af33",
	[32] = "cs4",
	[34] = "af41",
	[36] = "af42",
	[38] = "af43",
	[40] = "cs5",
	[46] = "ef",
	[48] = "cs6",
	[56] = "cs7",
};

const char *value_dscp_name(int dscp)
{
	if (dscp < 0 || dscp > 63)
		return NULL;
	return dscp_names[dscp];
}

/* 0-63 or a class name (cs0-cs7, af11-af43, ef, be/default), any case. */
int config_parse_dscp(const char *text, int *ret)
{
	int64_t v;

	if (strcasecmp(text, "be") == 0 || strcasecmp(text, "default") == 0) {
		*ret = 0;
		return 0;
	}
	for (int i = 0; i < 64; i++) {
		if (dscp_names[i] && strcasecmp(text, dscp_names[i]) == 0) {
			*ret = i;
			return 0;
		}
	}
	if (value_int(text, &v) < 0 || v < 0 || v > 63)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

/* An IPv4 or IPv6 literal (inet_pton: no DNS, no zone); text kept in canonical form. */
int value_addr(const char *s, struct config_addr *ret)
{
	struct config_addr a = { 0 };

	if (strlen(s) >= CONFIG_ADDR_TEXT)
		return -EINVAL;
	if (inet_pton(AF_INET, s, a.bytes) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, a.bytes) == 1)
		a.family = AF_INET6;
	else
		return -EINVAL;
	if (!inet_ntop(a.family, a.bytes, a.text, sizeof(a.text)))
		return -EINVAL;
	*ret = a;
	return 0;
}

int value_prefix(const char *s, int family, uint8_t *ret)
{
	int64_t v;
	int64_t max = family == AF_INET ? 32 : 128;

	if (value_int(s, &v) < 0 || v < 0 || v > max)
		return -EINVAL;
	*ret = (uint8_t)v;
	return 0;
}

bool value_addr_equal(const struct config_addr *x, const struct config_addr *y)
{
	size_t n = x->family == AF_INET ? 4 : 16;

	return x->family == y->family && memcmp(x->bytes, y->bytes, n) == 0;
}

static bool value_is_rest_blank(const char *s)
{
	while (value_is_blank(*s))
		s++;
	return *s == '\0';
}

/*
 * Next element of a comma list, blanks trimmed, into item: 1 = an element, 0 = end of list,
 * -EINVAL = an empty element, -E2BIG = an element longer than size - 1.
 */
int value_list_next(const char **pos, char *item, size_t size)
{
	const char *s = *pos, *end;
	size_t n;

	while (value_is_blank(*s))
		s++;
	if (*s == '\0')
		return 0;
	end = strchr(s, ',');
	if (!end)
		end = s + strlen(s);
	*pos = *end == ',' ? end + 1 : end;
	if (*end == ',' && value_is_rest_blank(*pos))
		return -EINVAL; /* a trailing comma: an empty last element */
	n = (size_t)(end - s);
	while (n > 0 && value_is_blank(s[n - 1]))
		n--;
	if (n == 0)
		return -EINVAL;
	if (n >= size)
		return -E2BIG;
	memcpy(item, s, n);
	item[n] = '\0';
	return 1;
}

/* The largest unit that shows ms exactly: 0 -> "0", 90000 -> "90s", 300000 -> "5m", 1500 -> "1500ms". */
void value_fmt_ms(uint64_t ms, char *buf, size_t size)
{
	if (ms == 0)
		snprintf(buf, size, "0");
	else if (ms % 60000 == 0)
		snprintf(buf, size, "%llum", (unsigned long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(buf, size, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, size, "%llums", (unsigned long long)ms);
}
