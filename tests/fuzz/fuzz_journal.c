/* fuzz_journal.c: libFuzzer target: arbitrary bytes read as a journal file (and as a state file) by the store's readers. */
#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "store.h"

/*
 * Three passes over each input:
 * 1. the bytes as they are, through store_journal_parse (the reader's core: line framing,
 *    NUL runs, torn tails, checksums);
 * 2. the bytes "resealed": every line ending in '}' gets a correct crc member, so that
 *    random JSON reaches json-c and the field checks behind the checksum;
 * 3. the bytes as a state file, through store_state_parse.
 * Every record the reader accepts must format back to one line that parses to an equal
 * record; the counts must add up. A violation aborts (a crash for libFuzzer).
 */

struct tally {
	uint64_t records;
};

/* Bitwise CRC-32C, independent of the store's table-driven one. */
static uint32_t crc32c(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffff;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78 & (0u - (crc & 1)));
	}
	return ~crc;
}

static bool diag_equal(const struct store_diag *a, const struct store_diag *b)
{
	return a->main_up == b->main_up && a->aux_up == b->aux_up &&
	    a->carrier_lost_all == b->carrier_lost_all &&
	    a->module_down_confirmed == b->module_down_confirmed && strcmp(a->net, b->net) == 0 &&
	    strcmp(a->primary, b->primary) == 0;
}

static bool record_equal(const struct store_record *a, const struct store_record *b)
{
	return strcmp(a->time, b->time) == 0 && a->mono_ms == b->mono_ms &&
	    strcmp(a->state, b->state) == 0 && strcmp(a->kind, b->kind) == 0 &&
	    strcmp(a->from, b->from) == 0 && strcmp(a->verdict, b->verdict) == 0 &&
	    strcmp(a->reason, b->reason) == 0 && a->has_diag == b->has_diag &&
	    (!a->has_diag || diag_equal(&a->diag, &b->diag)) && strcmp(a->detail, b->detail) == 0;
}

static int check_record(const struct store_record *r, void *arg)
{
	struct tally *t = arg;
	char line[STORE_LINE_MAX];
	struct store_record back;
	size_t len;

	if (store_record_format(r, line, &len) != 0)
		abort(); /* accepted on read, refused on write */
	if (len < 2 || line[len - 1] != '\n' || memchr(line, '\n', len - 1) != NULL ||
	    memchr(line, '\0', len) != NULL)
		abort(); /* not exactly one line */
	if (store_journal_parse_line(line, len - 1, &back) != 0 || !record_equal(r, &back))
		abort(); /* no round trip */
	t->records++;
	return 0;
}

static void parse_checked(const uint8_t *data, size_t size)
{
	struct store_read_stats st;
	struct tally t = { 0 };

	if (store_journal_parse((const char *)data, size, check_record, &t, &st) != 0)
		abort();
	if (st.records != t.records || st.gaps != 0)
		abort();
	/* each record, torn spot or bad line needs at least one byte */
	if (st.records + st.torn + st.corrupt > size)
		abort();
}

/* Give every line ending in '}' a correct checksum member. */
static void parse_resealed(const uint8_t *data, size_t size)
{
	size_t lines = 1, len = 0;
	uint8_t *buf;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	buf = malloc(size + lines * 32);
	if (buf == NULL)
		return;
	for (size_t start = 0; start < size;) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t n = nl != NULL ? (size_t)(nl - (data + start)) : size - start;

		memcpy(buf + len, data + start, n);
		if (n > 0 && data[start + n - 1] == '}')
			len += (size_t)snprintf((char *)buf + len + n - 1, 32, ",\"crc\":\"%08x\"}",
			           crc32c(data + start, n)) -
			    1;
		len += n;
		if (nl != NULL)
			buf[len++] = '\n';
		start += n + 1;
	}
	parse_checked(buf, len);
	free(buf);
}

static void parse_state(const uint8_t *data, size_t size)
{
	enum vg_state state;
	uint64_t generation;
	const char *why = NULL;

	if (store_state_parse((const char *)data, size, &state, &generation, &why) == 0) {
		if ((unsigned)state >= ST_COUNT)
			abort();
	} else if (why == NULL || why[0] == '\0') {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_checked(data, size);
	parse_resealed(data, size);
	parse_state(data, size);
	return 0;
}

#ifdef FUZZ_REPLAY_MAIN
/* Replay: each argument is a file, or a folder whose files are replayed (corpus, crashes). */
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		perror(path);
		return 1;
	}
	do {
		if (len == cap) {
			uint8_t *more = realloc(buf, cap = cap * 2 + 4096);

			if (more == NULL) {
				free(buf);
				fclose(f);
				return 1;
			}
			buf = more;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int replay(const char *path, unsigned *count)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char p[4096];
	int bad = 0;

	if (d == NULL) {
		(*count)++;
		return replay_file(path);
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		bad |= replay(p, count);
	}
	closedir(d);
	return bad;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int bad = 0;

	for (int i = 1; i < argc; i++)
		bad |= replay(argv[i], &count);
	printf("fuzz_journal: %u inputs replayed%s\n", count, bad ? ", some unreadable" : "");
	return bad;
}
#endif
