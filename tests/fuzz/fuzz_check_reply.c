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

#ifdef FUZZ_REPLAY_MAIN
/* gcc build for make check: replay the files named on the command line (the corpus, kept crashes). */
static int replay(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		perror(path);
		if (f != NULL)
			fclose(f);
		return 1;
	}
	buf = malloc(n ? (size_t)n : 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		free(buf);
		fclose(f);
		return 1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int bad = 0;

	for (int i = 1; i < argc; i++)
		bad |= replay(argv[i]);
	printf("fuzz_check_reply: %d inputs replayed%s\n", argc - 1,
	    bad ? ", some unreadable" : "");
	return bad;
}
#endif
