/* fuzz_check_reply.c: libFuzzer target for what a module check reads from outside: the unix: reply, exec: output, a pidfile (STYLE 32). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* "PONG <pid>\n" is the only accepted form: print the PID back and the bytes must be the input. */
static void fuzz_unix_reply(const char *buf, size_t len)
{
	char again[CHECK_REPLY_MAX];
	int32_t pid = 0;
	int n;

	if (check_parse_unix_reply(buf, len, &pid) < 0) {
		if (pid != 0)
			abort(); /* output touched on failure */
		return;
	}
	n = snprintf(again, sizeof(again), "PONG %d\n", (int)pid);
	if (pid <= 0 || n < 0 || (size_t)n != len || memcmp(again, buf, len) != 0)
		abort();
}

static void fuzz_exec_output(const char *buf, size_t len)
{
	int32_t pid = 0;

	if (check_parse_exec_output(buf, len, &pid) == 0 && pid <= 0)
		abort();
}

/* A pidfile that parses holds the PID's digits and blanks only. */
static void fuzz_pidfile(const char *buf, size_t len)
{
	int32_t pid = 0;

	if (check_parse_pidfile(buf, len, &pid) < 0)
		return;
	if (pid <= 0)
		abort();
	for (size_t i = 0; i < len; i++)
		if (!strchr("0123456789 \t\n\r\v\f", buf[i]) || buf[i] == '\0')
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes: ASan sees any read past the end. */
	char *buf = malloc(size ? size : 1);

	if (buf == NULL)
		return 0;
	if (size > 0)
		memcpy(buf, data, size);
	fuzz_unix_reply(buf, size);
	fuzz_exec_output(buf, size);
	fuzz_pidfile(buf, size);
	free(buf);
	return 0;
}

#define FUZZ_NAME "fuzz_check_reply"
#include "replay.h"
