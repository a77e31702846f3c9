/* parsers.c: the scalar value parsers of the key table: strings, enums, booleans, numbers, durations, DSCP. */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "internal.h"

#define SHOW 60 /* at most this much of a bad value is quoted back */

static int empty(const char *v, char *why)
{
	if (*v != '\0')
		return 0;
	config_why(why, "empty value");
	return -EINVAL;
}

int parse_str(const struct config_key *k, const char *v, struct config *c, char *why)
{
	size_t n = strlen(v);

	if ((int64_t)n < k->min)
		return empty(v, why);
	if ((int64_t)n >= k->max) {
		config_why(why, "too long (at most %lld characters)", (long long)k->max - 1);
		return -EINVAL;
	}
	memcpy(config_field(c, k), v, n + 1);
	return 0;
}

int parse_path(const struct config_key *k, const char *v, struct config *c, char *why)
{
	if (*v != '\0' && *v != '/') {
		config_why(why, "\"%.*s\" is not an absolute path", SHOW, v);
		return -EINVAL;
	}
	return parse_str(k, v, c, why);
}

/* A node, user or group name: printable, no blanks, not an option. */
int parse_word(const struct config_key *k, const char *v, struct config *c, char *why)
{
	for (const char *s = v; *s; s++) {
		if (!isgraph((unsigned char)*s)) {
			config_why(why, "\"%.*s\" holds a blank or control character", SHOW, v);
			return -EINVAL;
		}
	}
	if (*v == '-') {
		config_why(why, "\"%.*s\" must not start with '-'", SHOW, v);
		return -EINVAL;
	}
	return parse_str(k, v, c, why);
}

/* Names of a two-valued setting stored as a bool: names[false], names[true]. */
int parse_enum(const struct config_key *k, const char *v, struct config *c, char *why)
{
	for (int i = 0; i < 2; i++) {
		if (strcasecmp(v, k->names[i]) == 0) {
			*(bool *)config_field(c, k) = i;
			return 0;
		}
	}
	bool swap = strcmp(k->names[0], k->names[1]) > 0; /* say "A or B", not "B or A" */

	config_why(why, "\"%.*s\" is not %s or %s", SHOW, v, k->names[swap], k->names[!swap]);
	return -EINVAL;
}

int parse_bool(const struct config_key *k, const char *v, struct config *c, char *why)
{
	static const char *const yes[] = { "yes", "true", "1" },
	                         *const no[] = { "no", "false", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
			*(bool *)config_field(c, k) = strcasecmp(v, yes[i]) == 0;
			return 0;
		}
	}
	config_why(why, "\"%.*s\" is not a boolean (yes, no, true, false, 1 or 0)", SHOW, v);
	return -EINVAL;
}

static int ms_in_range(const struct config_key *k, const char *v, uint64_t ms, bool zero_off,
    char *why)
{
	char lo[32], hi[32];

	if (((int64_t)ms >= k->min && (int64_t)ms <= k->max) || (zero_off && ms == 0))
		return 0;
	value_fmt_ms((uint64_t)k->min, lo, sizeof(lo));
	value_fmt_ms((uint64_t)k->max, hi, sizeof(hi));
	config_why(why, "%.*s is out of range (%s%s to %s)", SHOW, v,
	    zero_off ? "0 = off, or " : "", lo, hi);
	return -EINVAL;
}

static int duration(const char *v, uint64_t *ms, char *why)
{
	if (empty(v, why) < 0)
		return -EINVAL;
	if (config_parse_duration_ms(v, ms) == 0)
		return 0;
	config_why(why,
	    "\"%.*s\" is not a duration (a number and a unit ms, s or m, e.g. 300ms, 5s, 1.5m; "
	    "a bare number is seconds; whole milliseconds)",
	    SHOW, v);
	return -EINVAL;
}

int parse_ms(const struct config_key *k, const char *v, struct config *c, char *why)
{
	uint64_t ms;

	if (duration(v, &ms, why) < 0 || ms_in_range(k, v, ms, false, why) < 0)
		return -EINVAL;
	*(uint32_t *)config_field(c, k) = (uint32_t)ms;
	return 0;
}

/* A duration where 0 means off and anything else must be in [min, max]. */
int parse_ms_off(const struct config_key *k, const char *v, struct config *c, char *why)
{
	uint64_t ms;

	if (duration(v, &ms, why) < 0 || ms_in_range(k, v, ms, true, why) < 0)
		return -EINVAL;
	*(uint32_t *)config_field(c, k) = (uint32_t)ms;
	return 0;
}

static int integer(const struct config_key *k, const char *v, int64_t *ret, char *why)
{
	if (empty(v, why) < 0)
		return -EINVAL;
	if (value_int(v, ret) < 0) {
		config_why(why, "\"%.*s\" is not a whole number", SHOW, v);
		return -EINVAL;
	}
	if (*ret < k->min || *ret > k->max) {
		config_why(why, "%.*s is out of range (%lld to %lld)", SHOW, v, (long long)k->min,
		    (long long)k->max);
		return -EINVAL;
	}
	return 0;
}

int parse_u32(const struct config_key *k, const char *v, struct config *c, char *why)
{
	int64_t x;

	if (integer(k, v, &x, why) < 0)
		return -EINVAL;
	*(uint32_t *)config_field(c, k) = (uint32_t)x;
	return 0;
}

int parse_u16(const struct config_key *k, const char *v, struct config *c, char *why)
{
	int64_t x;

	if (integer(k, v, &x, why) < 0)
		return -EINVAL;
	*(uint16_t *)config_field(c, k) = (uint16_t)x;
	return 0;
}

int parse_i32(const struct config_key *k, const char *v, struct config *c, char *why)
{
	int64_t x;

	if (integer(k, v, &x, why) < 0)
		return -EINVAL;
	*(int32_t *)config_field(c, k) = (int32_t)x;
	return 0;
}

static int dscp(const char *v, int *ret, char *why)
{
	if (empty(v, why) < 0)
		return -EINVAL;
	if (config_parse_dscp(v, ret) == 0)
		return 0;
	config_why(why,
	    "\"%.*s\" is not a DSCP value (0 to 63 or a class name: cs0-cs7, af11-af43, ef, be)",
	    SHOW, v);
	return -EINVAL;
}

int parse_dscp(const struct config_key *k, const char *v, struct config *c, char *why)
{
	int x;

	if (dscp(v, &x, why) < 0)
		return -EINVAL;
	*(uint8_t *)config_field(c, k) = (uint8_t)x;
	return 0;
}

/* A DSCP or "none" (also an empty value): stored as -1. */
int parse_dscp_opt(const struct config_key *k, const char *v, struct config *c, char *why)
{
	int x = -1;

	if (*v != '\0' && strcasecmp(v, "none") != 0 && dscp(v, &x, why) < 0)
		return -EINVAL;
	*(int *)config_field(c, k) = x;
	return 0;
}
