/* check-parse.c: the pure parsers of what a module check reads: the unix: reply, exec: output, a pidfile, /proc/PID/stat. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check-internal.h"
#include "check.h"

#define COMM_MAX 16 /* TASK_COMM_LEN, with the NUL */

static const char pong[] = "PONG ";

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* A decimal 1..INT32_MAX without sign or leading zero at s: the bytes it takes, or 0. */
static size_t parse_pid(const char *s, size_t len, int32_t *ret)
{
	int64_t v = 0;
	size_t i = 0;

	if (len == 0 || s[0] < '1' || s[0] > '9')
		return 0;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (s[i] - '0');
		if (v > INT32_MAX)
			return 0;
	}
	*ret = (int32_t)v;
	return i;
}

static size_t skip_blanks(const char *buf, size_t len, size_t i)
{
	while (i < len && is_blank(buf[i]))
		i++;
	return i;
}

int check_parse_unix_reply(const char *buf, size_t len, int32_t *ret_pid)
{
	size_t plen = sizeof(pong) - 1, n;
	int32_t pid = 0;

	if (len < plen || memcmp(buf, pong, plen) != 0)
		return -EINVAL;
	n = parse_pid(buf + plen, len - plen, &pid);
	if (n == 0 || plen + n + 1 != len || buf[plen + n] != '\n')
		return -EINVAL;
	*ret_pid = pid;
	return 0;
}

int check_parse_exec_output(const char *buf, size_t len, int32_t *ret_pid)
{
	size_t i = skip_blanks(buf, len, 0), n;
	int32_t pid = 0;

	n = parse_pid(buf + i, len - i, &pid);
	/* The whole first token, not a prefix of it: "12abc" is no number. */
	if (n == 0 || (i + n < len && !is_blank(buf[i + n])))
		return -EINVAL;
	*ret_pid = pid;
	return 0;
}

int check_parse_pidfile(const char *buf, size_t len, int32_t *ret_pid)
{
	size_t i = skip_blanks(buf, len, 0), n;
	int32_t pid = 0;

	n = parse_pid(buf + i, len - i, &pid);
	if (n == 0 || skip_blanks(buf, len, i + n) != len)
		return -EINVAL;
	*ret_pid = pid;
	return 0;
}

/* "PID (COMM) S ...": COMM may hold blanks and ')', so it ends at the last ')' (proc(5)). */
int check_parse_stat(const char *buf, size_t len, char *ret_comm, char *ret_state)
{
	const char *open = memchr(buf, '(', len);
	const char *close = NULL;
	size_t n;

	for (const char *p = buf + len; p > buf; p--)
		if (p[-1] == ')') {
			close = p - 1;
			break;
		}
	if (open == NULL || close == NULL || close < open || (size_t)(close - buf) + 2 >= len ||
	    close[1] != ' ')
		return -EINVAL;
	n = (size_t)(close - open - 1);
	if (n >= COMM_MAX)
		return -EINVAL;
	memcpy(ret_comm, open + 1, n);
	ret_comm[n] = '\0';
	*ret_state = close[2];
	return 0;
}
