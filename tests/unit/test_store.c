/* test_store.c: the persistent state in state_dir (daemon/store*.c through include/store.h): state file, journal, rotation, reading. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "decide.h"
#include "store.h"

#define SMALL_MAX STORE_JOURNAL_MIN_MAX
#define MAX_SEEN 4096
#define BASE_WALL_MS INT64_C(1714564800000) /* 2024-05-01T12:00:00.000Z */

struct fixture {
	char dir[64];
	struct store *s;
};

/* What a read delivered. */
struct seen {
	size_t n;
	uint64_t mono[MAX_SEEN];
	struct store_record first;
	struct store_record last;
	int stop_after; /* callback fails after this many (0 = never) */
};

/* ---- files and fixtures ---- */

static void path_in(const struct fixture *f, const char *name, char *ret, size_t size)
{
	snprintf(ret, size, "%s/%s", f->dir, name);
}

static void write_file(const struct fixture *f, const char *name, const void *buf, size_t len)
{
	char p[128];
	int fd;

	path_in(f, name, p, sizeof(p));
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static void append_file(const struct fixture *f, const char *name, const void *buf, size_t len)
{
	char p[128];
	int fd;

	path_in(f, name, p, sizeof(p));
	fd = open(p, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* Read a whole file (up to size - 1 bytes, NUL-terminated); returns its length or -1. */
static ssize_t read_file(const struct fixture *f, const char *name, char *buf, size_t size)
{
	char p[128];
	ssize_t n;
	int fd;

	path_in(f, name, p, sizeof(p));
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_int_equal(close(fd), 0);
	return n;
}

static off_t file_size(const struct fixture *f, const char *name)
{
	char p[128];
	struct stat st;

	path_in(f, name, p, sizeof(p));
	if (stat(p, &st) < 0)
		return -1;
	return st.st_size;
}

static ino_t file_ino(const struct fixture *f, const char *name)
{
	char p[128];
	struct stat st;

	path_in(f, name, p, sizeof(p));
	if (stat(p, &st) < 0)
		return 0;
	return st.st_ino;
}

static void truncate_file(const struct fixture *f, const char *name, off_t len)
{
	char p[128];

	path_in(f, name, p, sizeof(p));
	assert_int_equal(truncate(p, len), 0);
}

static struct store *open_store(struct fixture *f, uint64_t max, unsigned keep)
{
	struct store_options o = { .write = true, .journal_max_bytes = max, .journal_keep = keep };
	struct store *s = NULL;

	assert_int_equal(store_open(f->dir, &o, &s), 0);
	return s;
}

static void reopen(struct fixture *f, uint64_t max, unsigned keep)
{
	store_close(f->s);
	f->s = open_store(f, max, keep);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-test-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->s = open_store(f, 0, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	DIR *d = opendir(f->dir);
	struct dirent *e;
	char p[512];

	store_close(f->s);
	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
			if (unlink(p) < 0)
				rmdir(p);
		}
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* ---- records ---- */

static void make_record(uint64_t i, struct store_record *ret)
{
	struct store_record r = { .mono_ms = i };

	assert_int_equal(store_time_format(BASE_WALL_MS + (int64_t)i, r.time), 0);
	snprintf(r.state, sizeof(r.state), "backup");
	snprintf(r.kind, sizeof(r.kind), "module");
	snprintf(r.detail, sizeof(r.detail), "record %" PRIu64 ": failure on main", i);
	*ret = r;
}

static void append_n(struct fixture *f, uint64_t from, uint64_t n)
{
	struct store_record r;

	for (uint64_t i = from; i < from + n; i++) {
		make_record(i, &r);
		assert_int_equal(store_journal_append(f->s, &r, 0), 0);
	}
}

static void assert_record_equal(const struct store_record *a, const struct store_record *b)
{
	assert_string_equal(a->time, b->time);
	assert_true(a->mono_ms == b->mono_ms);
	assert_string_equal(a->state, b->state);
	assert_string_equal(a->kind, b->kind);
	assert_string_equal(a->from, b->from);
	assert_string_equal(a->verdict, b->verdict);
	assert_string_equal(a->reason, b->reason);
	assert_int_equal(a->has_diag, b->has_diag);
	assert_int_equal(a->diag.main_up, b->diag.main_up);
	assert_int_equal(a->diag.aux_up, b->diag.aux_up);
	assert_int_equal(a->diag.carrier_lost_all, b->diag.carrier_lost_all);
	assert_int_equal(a->diag.module_down_confirmed, b->diag.module_down_confirmed);
	assert_string_equal(a->diag.net, b->diag.net);
	assert_string_equal(a->diag.primary, b->diag.primary);
	assert_string_equal(a->detail, b->detail);
}

static int collect(const struct store_record *r, void *arg)
{
	struct seen *seen = arg;

	if (seen->stop_after > 0 && seen->n == (size_t)seen->stop_after)
		return -ECANCELED;
	if (seen->n == 0)
		seen->first = *r;
	seen->last = *r;
	if (seen->n < MAX_SEEN)
		seen->mono[seen->n] = r->mono_ms;
	seen->n++;
	return 0;
}

static void read_last(struct fixture *f, size_t n, struct seen *ret_seen,
    struct store_read_stats *ret_stats)
{
	memset(ret_seen, 0, sizeof(*ret_seen));
	assert_int_equal(store_journal_read_last(f->s, n, collect, ret_seen, NULL, ret_stats), 0);
}

/* The records seen are from, from + 1, …, in order. */
static void assert_run(const struct seen *seen, uint64_t from, size_t n)
{
	assert_int_equal(seen->n, n);
	for (size_t i = 0; i < n && i < MAX_SEEN; i++)
		assert_true(seen->mono[i] == from + i);
}

/* ---- the state file ---- */

static void test_state_round_trip(void **state)
{
	struct fixture *f = *state;
	static const struct {
		enum vg_state st;
		uint64_t gen;
	} cases[] = { { ST_BACKUP, 42 }, { ST_PRIMARY, 0 }, { ST_STALE, UINT64_MAX },
		{ ST_UPGRADE_HIGHER, 7 } };
	enum vg_state st;
	uint64_t gen;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(store_state_save(f->s, cases[i].st, cases[i].gen), 0);
		assert_int_equal(store_state_load(f->s, &st, &gen), 0);
		assert_int_equal(st, cases[i].st);
		assert_true(gen == cases[i].gen);
	}
	assert_int_equal(file_size(f, STORE_STATE_TMP), -1); /* renamed, nothing left over */
}

static void test_state_file_format(void **state)
{
	struct fixture *f = *state;
	char buf[256];

	static const char head[] = "vigil-state 1\nstate backup\ngeneration 42\ncrc32c ";

	assert_int_equal(store_state_save(f->s, ST_BACKUP, 42), 0);
	assert_true(read_file(f, STORE_STATE_FILE, buf, sizeof(buf)) > 0);
	assert_true(strncmp(buf, head, strlen(head)) == 0);
	assert_int_equal(strlen(buf), strlen(head) + 9); /* 8 hex digits and the newline */
}

static void test_state_missing(void **state)
{
	struct fixture *f = *state;
	enum vg_state st = ST_ERROR;
	uint64_t gen = 99;

	assert_int_equal(store_state_load(f->s, &st, &gen), -ENOENT);
	assert_int_equal(st, ST_ERROR); /* outputs untouched */
	assert_true(gen == 99);
	assert_non_null(strstr(store_error(f->s), "/state: absent"));
}

static void expect_bad_state(struct fixture *f, const void *buf, size_t len, const char *why)
{
	enum vg_state st = ST_ERROR;
	uint64_t gen = 99;

	write_file(f, STORE_STATE_FILE, buf, len);
	assert_int_equal(store_state_load(f->s, &st, &gen), -EBADMSG);
	assert_int_equal(st, ST_ERROR);
	assert_true(gen == 99);
	assert_non_null(strstr(store_error(f->s), f->dir));
	assert_non_null(strstr(store_error(f->s), "/state: "));
	if (why != NULL && strstr(store_error(f->s), why) == NULL)
		fail_msg("error \"%s\" does not say \"%s\"", store_error(f->s), why);
}

static void test_state_empty(void **state)
{
	expect_bad_state(*state, "", 0, "empty");
}

static void test_state_garbage(void **state)
{
	static const unsigned char junk[] = { 0x7f, 'E', 'L', 'F', 0, 1, 2, 0xff, '\n' };

	expect_bad_state(*state, "hello world\n", 12, "not 4 lines");
	expect_bad_state(*state, "a\nb\nc\nd\n", 8, "not a vigil state file");
	expect_bad_state(*state, junk, sizeof(junk), "NUL");
	expect_bad_state(*state, "{\"state\":\"backup\"}", 18, "no final newline");
}

/* Every prefix of a good file is refused: a torn write is never taken for a state. */
static void test_state_truncated(void **state)
{
	struct fixture *f = *state;
	char good[256];
	ssize_t len;

	assert_int_equal(store_state_save(f->s, ST_PRIMARY, 12345), 0);
	len = read_file(f, STORE_STATE_FILE, good, sizeof(good));
	assert_true(len > 0);
	for (ssize_t cut = 0; cut < len; cut++)
		expect_bad_state(f, good, (size_t)cut, NULL);
}

static void test_state_parse_rejects(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "vigil-state 2\nstate backup\ngeneration 1\ncrc32c 00000000\n",
		    "unsupported version" },
		{ "vigil-state 1\nstate backup\ngeneration 1\n", "not 4 lines" },
		{ "vigil-state 1\nstate backup\ngeneration 1\ncrc32c 0000000g\n", "no crc32c" },
		{ "vigil-state 1\nstate backup\ngeneration 1\ncrc32c 00000000\n", "checksum" },
		{ "vigil-state 1\nstate backup\ngeneration 1\ncrc32c 00000000\nextra\n",
		    "not 4 lines" },
	};
	enum vg_state st;
	uint64_t gen;
	const char *why = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(store_state_parse(bad[i].text, strlen(bad[i].text), &st, &gen,
		                     &why),
		    -EBADMSG);
		assert_non_null(strstr(why, bad[i].why));
	}
	assert_int_equal(store_state_parse("x", 1, &st, &gen, NULL), -EBADMSG);
}

/* An independent bitwise CRC-32C, to build state files whose only fault is a field. */
static uint32_t crc32c_ref(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint32_t crc = 0xffffffff;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78 & (0u - (crc & 1)));
	}
	return ~crc;
}

static int parse_with_crc(const char *state_line, const char *gen_line, enum vg_state *ret_st,
    uint64_t *ret_gen, const char **ret_why)
{
	char body[200], text[256];
	int n;

	n = snprintf(body, sizeof(body), "vigil-state 1\n%s\n%s\n", state_line, gen_line);
	assert_true(n > 0 && (size_t)n < sizeof(body));
	n = snprintf(text, sizeof(text), "%scrc32c %08" PRIx32 "\n", body,
	    crc32c_ref(body, strlen(body)));
	return store_state_parse(text, (size_t)n, ret_st, ret_gen, ret_why);
}

static void test_state_parse_fields(void **state)
{
	static const struct {
		const char *state_line, *gen_line, *why;
	} bad[] = {
		{ "state nonsense", "generation 1", "line 2" },
		{ "state unknown", "generation 1", "line 2" }, /* a peer placeholder, never ours */
		{ "state  backup", "generation 1", "line 2" },
		{ "status backup", "generation 1", "line 2" },
		{ "state backup", "generation 01", "line 3" },
		{ "state backup", "generation -1", "line 3" },
		{ "state backup", "generation +1", "line 3" },
		{ "state backup", "generation 18446744073709551616", "line 3" },
		{ "state backup", "generation 99999999999999999999", "line 3" },
		{ "state backup", "generation 1 ", "line 3" },
		{ "state backup", "generation ", "line 3" },
		{ "state backup", "gen 1", "line 3" },
	};
	enum vg_state st;
	uint64_t gen;
	const char *why = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_with_crc(bad[i].state_line, bad[i].gen_line, &st, &gen,
		                     &why),
		    -EBADMSG);
		assert_non_null(strstr(why, bad[i].why));
	}
	assert_int_equal(parse_with_crc("state stale", "generation 18446744073709551615", &st, &gen,
	                     NULL),
	    0);
	assert_int_equal(st, ST_STALE);
	assert_true(gen == UINT64_MAX);
	assert_int_equal(parse_with_crc("state init", "generation 0", &st, &gen, NULL), 0);
	assert_int_equal(st, ST_INIT);
	assert_true(gen == 0);
}

static void test_state_bit_flip(void **state)
{
	struct fixture *f = *state;
	char good[256], bad[256];
	ssize_t len;

	assert_int_equal(store_state_save(f->s, ST_BACKUP, 41), 0);
	len = read_file(f, STORE_STATE_FILE, good, sizeof(good));
	assert_true(len > 0);
	memcpy(bad, good, (size_t)len);
	bad[39] = '2'; /* a hand edit: "generation 41" -> "generation 42" */
	expect_bad_state(f, bad, (size_t)len, "checksum mismatch");
	memcpy(bad, good, (size_t)len);
	bad[20] ^= 0x01; /* one bit in "state backup" */
	expect_bad_state(f, bad, (size_t)len, "checksum mismatch");
}

/* Power cut during a save: the real file is intact whatever the temp file holds. */
static void test_state_interrupted_save(void **state)
{
	struct fixture *f = *state;
	static const char half[] = "vigil-state 1\nstate prim";
	char good[256], other[256];
	enum vg_state st;
	uint64_t gen;
	ssize_t len;

	assert_int_equal(store_state_save(f->s, ST_BACKUP, 5), 0);
	len = read_file(f, STORE_STATE_FILE, good, sizeof(good));
	/* a half-written temp file */
	write_file(f, STORE_STATE_TMP, half, sizeof(half) - 1);
	assert_int_equal(store_state_load(f->s, &st, &gen), 0);
	assert_int_equal(st, ST_BACKUP);
	assert_true(gen == 5);
	/* a complete temp file never renamed (cut between fsync and rename) */
	assert_int_equal(store_state_save(f->s, ST_PRIMARY, 6), 0);
	assert_int_equal(read_file(f, STORE_STATE_FILE, other, sizeof(other)) > 0, 1);
	write_file(f, STORE_STATE_TMP, other, strlen(other));
	write_file(f, STORE_STATE_FILE, good, (size_t)len);
	assert_int_equal(store_state_load(f->s, &st, &gen), 0);
	assert_int_equal(st, ST_BACKUP);
	assert_true(gen == 5);
	/* the next save goes through, over the leftover */
	assert_int_equal(store_state_save(f->s, ST_STALE, 7), 0);
	assert_int_equal(store_state_load(f->s, &st, &gen), 0);
	assert_int_equal(st, ST_STALE);
	assert_true(gen == 7);
	assert_int_equal(file_size(f, STORE_STATE_TMP), -1);
}

static void test_state_not_a_file(void **state)
{
	struct fixture *f = *state;
	char p[128], target[128];
	enum vg_state st;
	uint64_t gen;

	path_in(f, STORE_STATE_FILE, p, sizeof(p));
	path_in(f, "elsewhere", target, sizeof(target));
	write_file(f, "elsewhere", "x", 1);
	assert_int_equal(symlink(target, p), 0);
	assert_int_equal(store_state_load(f->s, &st, &gen), -ELOOP);
	assert_non_null(strstr(store_error(f->s), "symbolic link"));
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(store_state_load(f->s, &st, &gen), -EBADMSG);
	assert_non_null(strstr(store_error(f->s), "not a regular file"));
	assert_int_equal(rmdir(p), 0);
}

static void test_state_refused_input(void **state)
{
	struct fixture *f = *state;
	struct store *ro = NULL;

	assert_int_equal(store_state_save(f->s, ST_COUNT, 1), -EINVAL);
	assert_int_equal(store_state_save(f->s, (enum vg_state)99, 1), -EINVAL);
	assert_int_equal(store_open(f->dir, NULL, &ro), 0);
	assert_int_equal(store_state_save(ro, ST_BACKUP, 1), -EBADF);
	store_close(ro);
}

/* ---- the handle ---- */

static void test_open_lock_and_options(void **state)
{
	struct fixture *f = *state;
	struct store_options o = { .write = true };
	struct store *s = NULL;
	struct stat st;
	char sub[128];

	assert_int_equal(store_open(f->dir, &o, &s), -EBUSY); /* one writer per state_dir */
	assert_int_equal(store_open(f->dir, NULL, &s), 0);    /* readers need no lock */
	store_close(s);
	o.journal_max_bytes = SMALL_MAX - 1;
	assert_int_equal(store_open(f->dir, &o, &s), -EINVAL);
	o = (struct store_options){ .journal_keep = STORE_JOURNAL_KEEP_MAX + 1 };
	assert_int_equal(store_open(f->dir, &o, &s), -EINVAL);
	assert_int_equal(store_open("", NULL, &s), -EINVAL);
	path_in(f, "sub", sub, sizeof(sub));
	assert_int_equal(store_open(sub, NULL, &s), -ENOENT); /* readers do not create */
	o = (struct store_options){ .write = true };
	assert_int_equal(store_open(sub, &o, &s), 0); /* the daemon creates it, 0700 */
	store_close(s);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
}

/* ---- journal ---- */

static void test_time_format(void **state)
{
	char t[STORE_TIME_MAX];

	(void)state;
	assert_int_equal(store_time_format(0, t), 0);
	assert_string_equal(t, "1970-01-01T00:00:00.000Z");
	assert_int_equal(store_time_format(BASE_WALL_MS + 250, t), 0);
	assert_string_equal(t, "2024-05-01T12:00:00.250Z");
	assert_int_equal(store_time_format(-1, t), 0);
	assert_string_equal(t, "1969-12-31T23:59:59.999Z");
	assert_int_equal(store_time_format(INT64_MAX, t), -ERANGE);
}

static void test_journal_append_read_last(void **state)
{
	struct fixture *f = *state;
	struct store_read_stats st;
	struct store_record r;
	struct seen seen;

	read_last(f, 10, &seen, &st); /* no journal yet */
	assert_int_equal(seen.n, 0);
	append_n(f, 1, 10);
	read_last(f, 3, &seen, &st);
	assert_run(&seen, 8, 3);
	assert_true(st.records == 3 && st.torn == 0 && st.corrupt == 0);
	make_record(10, &r);
	assert_record_equal(&seen.last, &r);
	read_last(f, SIZE_MAX, &seen, &st);
	assert_run(&seen, 1, 10);
	read_last(f, 0, &seen, &st);
	assert_int_equal(seen.n, 0);
	/* a callback error stops the read and comes back */
	memset(&seen, 0, sizeof(seen));
	seen.stop_after = 2;
	assert_int_equal(store_journal_read_last(f->s, 5, collect, &seen, NULL, NULL), -ECANCELED);
	assert_int_equal(seen.n, 2);
}

static void test_journal_sync_flag_and_reopen(void **state)
{
	struct fixture *f = *state;
	struct store_read_stats st;
	struct store_record r;
	struct seen seen;

	make_record(1, &r);
	assert_int_equal(store_journal_append(f->s, &r, STORE_SYNC), 0);
	assert_int_equal(store_journal_append(f->s, &r, 0x80), -EINVAL);
	reopen(f, 0, 0);
	append_n(f, 2, 2);
	read_last(f, SIZE_MAX, &seen, &st);
	assert_run(&seen, 1, 3);
	assert_true(st.corrupt == 0 && st.torn == 0);
}

static void test_journal_line_shape(void **state)
{
	struct fixture *f = *state;
	static const char head[] = "{\"time\":\"2024-05-01T12:00:00.007Z\",\"mono_ms\":7,"
	                           "\"state\":\"backup\",\"kind\":\"module\","
	                           "\"detail\":\"record 7: failure on main\",\"crc\":\"";
	char buf[4096];
	const char *crc;

	append_n(f, 7, 1);
	assert_true(read_file(f, STORE_JOURNAL_FILE, buf, sizeof(buf)) > 0);
	assert_true(strncmp(buf, head, strlen(head)) == 0);
	crc = strstr(buf, "\"crc\":\"");
	assert_non_null(crc);
	assert_int_equal(strlen(crc), strlen("\"crc\":\"12345678\"}\n"));
	assert_int_equal(crc[strlen(crc) - 1], '\n');
}

/* A power cut in the middle of the last record: it is skipped and counted, the rest intact,
 * and the next writer does not glue its record onto the torn piece. */
static void test_journal_torn_last_line(void **state)
{
	struct fixture *f = *state;
	struct store_read_stats st;
	struct seen seen;
	off_t size;

	append_n(f, 1, 5);
	size = file_size(f, STORE_JOURNAL_FILE);
	truncate_file(f, STORE_JOURNAL_FILE, size - 40);
	read_last(f, SIZE_MAX, &seen, &st);
	assert_run(&seen, 1, 4);
	assert_true(st.torn == 1 && st.corrupt == 0);
	/* the next writer ends the torn piece's line before its own record */
	reopen(f, 0, 0);
	append_n(f, 6, 2);
	read_last(f, SIZE_MAX, &seen, &st);
	assert_int_equal(seen.n, 6);
	assert_true(seen.mono[4] == 6 && seen.mono[5] == 7);
	assert_true(st.torn == 0 && st.corrupt == 1); /* the torn piece, now a line of its own */
}

static void test_journal_missing_newline_only(void **state)
{
	struct fixture *f = *state;
	struct store_read_stats st;
	struct seen seen;

	append_n(f, 1, 3);
	truncate_file(f, STORE_JOURNAL_FILE, file_size(f, STORE_JOURNAL_FILE) - 1);
	read_last(f, SIZE_MAX, &seen, &st);
	assert_run(&seen, 1, 3); /* the checksum vouches for the last record */
	assert_true(st.torn == 0 && st.corrupt == 0);
	reopen(f, 0, 0);
	append_n(f, 4, 1);
	read_last(f, SIZE_MAX, &seen, &st);
	assert_run(&seen, 1, 4);
	assert_true(st.torn == 0 && st.corrupt == 0);
}

static void test_journal_corrupt_middle_line(void **state)
{
	struct fixture *f = *state;
	struct store_read_stats st;
	struct seen seen;
	char buf[4096], *third;

	append_n(f, 1, 5);
	store_close(f->s);
	f->s = NULL;
	assert_true(read_file(f, STORE_JOURNAL_FILE, buf, sizeof(buf)) > 0);
	third = strstr(buf, "record 3");
	assert_non_null(third);
	third[7] = '8'; /* "record 8": a changed byte, still valid JSON */
	write_file(f, STORE_JOURNAL_FILE, buf, strlen(buf));
	f->s = open_store(f, 0, 0);
	read_last(f, SIZE_MAX, &seen, &st);
	assert_int_equal(seen.n, 4);
	assert_true(
	    seen.mono[0] == 1 && seen.mono[1] == 2 && seen.mono[2] == 4 && seen.mono[3] == 5);
	assert_true(st.corrupt == 1 && st.torn == 0);
	/* the last 2 are the last 2 valid ones; the last 3 skip the damaged one */
	read_last(f, 3, &seen, &st);
	assert_true(seen.n == 3 && seen.mono[0] == 2);
}

/* Zero-filled blocks after a power cut (allocated, never written): records after them live. */
static void test_journal_nul_tail(void **state)
{
	struct fixture *f = *state;
	struct store_read_stats st;
	struct seen seen;
	static char zeros[4096];

	append_n(f, 1, 3);
	append_file(f, STORE_JOURNAL_FILE, zeros, sizeof(zeros));
	reopen(f, 0, 0);
	append_n(f, 4, 2);
	read_last(f, SIZE_MAX, &seen, &st);
	assert_run(&seen, 1, 5);
	assert_true(st.torn == 1 && st.corrupt == 0);
}

static void test_journal_overlong_and_junk_lines(void **state)
{
	struct fixture *f = *state;
	struct store_read_stats st;
	struct seen seen;
	static char big[3 * STORE_LINE_MAX];
	static const char junk[] = "not json\n{\"time\":1}\n\n\n";

	append_n(f, 1, 1);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\n';
	append_file(f, STORE_JOURNAL_FILE, big, sizeof(big));
	append_file(f, STORE_JOURNAL_FILE, junk, sizeof(junk) - 1);
	reopen(f, 0, 0);
	append_n(f, 2, 1);
	read_last(f, SIZE_MAX, &seen, &st);
	assert_run(&seen, 1, 2);
	assert_true(st.corrupt == 3 && st.torn == 0); /* empty lines are not records */
}

static void test_journal_rotation_bound(void **state)
{
	struct fixture *f = *state;
	struct store_read_stats st;
	struct seen seen;
	struct store *ro = NULL;
	uint64_t last = 0;
	size_t n;

	reopen(f, SMALL_MAX, 2);
	for (uint64_t i = 1; i <= 600; i++) {
		append_n(f, i, 1);
		assert_true(file_size(f, STORE_JOURNAL_FILE) <= SMALL_MAX);
		assert_true(file_size(f, "journal.1") <= SMALL_MAX);
		assert_true(file_size(f, "journal.2") <= SMALL_MAX);
		assert_int_equal(file_size(f, "journal.3"), -1);
	}
	assert_true(file_size(f, "journal.2") > 0); /* it did rotate, twice at least */
	read_last(f, SIZE_MAX, &seen, &st);
	assert_true(seen.n > 0 && seen.n < 600);
	last = seen.mono[seen.n - 1];
	assert_true(last == 600);
	assert_run(&seen, 601 - seen.n, seen.n); /* contiguous, in order, across three files */
	assert_true(st.torn == 0 && st.corrupt == 0);
	/* a reader needs no journal_keep: it sees what is there */
	assert_int_equal(store_open(f->dir, NULL, &ro), 0);
	n = seen.n;
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_journal_read_last(ro, SIZE_MAX, collect, &seen, NULL, NULL), 0);
	store_close(ro);
	assert_run(&seen, 601 - n, n);
	/* the last N across a rotation boundary */
	read_last(f, (size_t)(file_size(f, STORE_JOURNAL_FILE) / 80 + 20), &seen, &st);
	assert_true(seen.mono[seen.n - 1] == 600);
	assert_run(&seen, 601 - seen.n, seen.n);
	/* a smaller keep prunes what a larger one left */
	reopen(f, SMALL_MAX, 1);
	for (uint64_t i = 601; file_size(f, "journal.2") >= 0 && i < 2000; i++)
		append_n(f, i, 1);
	assert_int_equal(file_size(f, "journal.2"), -1);
}

static void test_journal_escaping(void **state)
{
	struct fixture *f = *state;
	static const char *const details[] = {
		"quote \" backslash \\ slash / done",
		"line one\nline two\r\n\ttabbed",
		"control \x01\x02\x1f and DEL \x7f",
		"unicode: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe4\xb8\xad\xe6\x96\x87",
		"{\"crc\":\"00000000\"}",
		"",
	};
	size_t n = sizeof(details) / sizeof(details[0]);
	struct store_record r[6];
	struct store_read_stats st;
	struct seen seen;
	char buf[8192];
	size_t lines = 0;

	for (size_t i = 0; i < n; i++) {
		make_record(i, &r[i]);
		snprintf(r[i].detail, sizeof(r[i].detail), "%s", details[i]);
		assert_int_equal(store_journal_append(f->s, &r[i], 0), 0);
	}
	assert_true(read_file(f, STORE_JOURNAL_FILE, buf, sizeof(buf)) > 0);
	for (const char *p = buf; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	assert_int_equal(lines, n); /* one line per record whatever the text */
	for (size_t i = 0; i < n; i++) {
		read_last(f, n - i, &seen, &st);
		assert_record_equal(&seen.first, &r[i]);
	}
}

static void test_journal_invalid_utf8_and_fields(void **state)
{
	struct fixture *f = *state;
	struct store_record r, bad;
	struct store_read_stats st;
	struct seen seen;

	make_record(1, &r);
	snprintf(r.detail, sizeof(r.detail), "bad \xff\xfe bytes \xc3 and \xed\xa0\x80 end");
	assert_int_equal(store_journal_append(f->s, &r, 0), 0);
	read_last(f, 1, &seen, &st);
	assert_string_equal(seen.last.detail, "bad ?? bytes ? and ??? end");

	make_record(2, &bad);
	snprintf(bad.state, sizeof(bad.state), "back up");
	assert_int_equal(store_journal_append(f->s, &bad, 0), -EINVAL);
	assert_non_null(strstr(store_error(f->s), "bad state"));
	make_record(2, &bad);
	bad.kind[0] = '\0';
	assert_int_equal(store_journal_append(f->s, &bad, 0), -EINVAL);
	make_record(2, &bad);
	snprintf(bad.time, sizeof(bad.time), "yesterday");
	assert_int_equal(store_journal_append(f->s, &bad, 0), -EINVAL);
	make_record(2, &bad);
	bad.mono_ms = UINT64_MAX;
	assert_int_equal(store_journal_append(f->s, &bad, 0), -EINVAL);
	make_record(2, &bad);
	bad.has_diag = true; /* diag names empty */
	assert_int_equal(store_journal_append(f->s, &bad, 0), -EINVAL);
	make_record(2, &bad);
	memset(bad.detail, 'a', sizeof(bad.detail)); /* not terminated */
	assert_int_equal(store_journal_append(f->s, &bad, 0), -EINVAL);
	read_last(f, SIZE_MAX, &seen, &st);
	assert_int_equal(seen.n, 1);
}

static void test_journal_optional_fields(void **state)
{
	struct fixture *f = *state;
	struct store_record r;
	struct store_read_stats st;
	struct seen seen;

	make_record(3, &r);
	snprintf(r.time, sizeof(r.time), "2024-05-01T14:00:00.003+02:00"); /* local offset */
	snprintf(r.kind, sizeof(r.kind), "verdict");
	snprintf(r.from, sizeof(r.from), "backup");
	snprintf(r.state, sizeof(r.state), "reconnecting");
	snprintf(r.verdict, sizeof(r.verdict), "network-down");
	snprintf(r.reason, sizeof(r.reason), "none");
	r.has_diag = true;
	r.diag = (struct store_diag){ .main_up = false,
		.aux_up = true,
		.carrier_lost_all = false,
		.module_down_confirmed = true };
	snprintf(r.diag.net, sizeof(r.diag.net), "gateway-unreachable");
	snprintf(r.diag.primary, sizeof(r.diag.primary), "unreachable");
	assert_int_equal(store_journal_append(f->s, &r, 0), 0);
	read_last(f, 1, &seen, &st);
	assert_record_equal(&seen.last, &r);
}

static void test_record_from_decide(void **state)
{
	struct vg_record v = { .t_ms = 1234,
		.kind = REC_TRANSITION,
		.state = ST_RECONNECTING,
		.from = ST_BACKUP,
		.verdict = VERDICT_PRIMARY_UNREACHABLE,
		.reason = REASON_NONE,
		.diag = { .valid = true,
		    .main_up = false,
		    .aux_up = false,
		    .net = NET_NETTEST_REACHED,
		    .primary = REACH_UNREACHABLE } };
	struct store_record r;
	char line[STORE_LINE_MAX];
	size_t len;
	struct store_record back;

	(void)state;
	snprintf(v.text, sizeof(v.text),
	    "state backup -> reconnecting verdict=primary-unreachable");
	assert_int_equal(store_record_from_decide(&v, BASE_WALL_MS + 1, &r), 0);
	assert_string_equal(r.time, "2024-05-01T12:00:00.001Z");
	assert_true(r.mono_ms == 1234);
	assert_string_equal(r.kind, "transition");
	assert_string_equal(r.state, "reconnecting");
	assert_string_equal(r.from, "backup");
	assert_string_equal(r.verdict, "primary-unreachable");
	assert_string_equal(r.reason, "");
	assert_true(r.has_diag);
	assert_string_equal(r.diag.net, "nettest-reached");
	assert_string_equal(r.diag.primary, "unreachable");
	assert_string_equal(r.detail, v.text);
	assert_int_equal(store_record_format(&r, line, &len), 0);
	assert_int_equal(line[len - 1], '\n');
	assert_int_equal(store_journal_parse_line(line, len - 1, &back), 0);
	assert_record_equal(&back, &r);
	line[len / 2] ^= 0x20;
	assert_int_equal(store_journal_parse_line(line, len - 1, &back), -EBADMSG);
}

static void test_journal_parse_buffer(void **state)
{
	struct store_record r;
	char text[3 * STORE_LINE_MAX];
	size_t len = 0, n;
	struct store_read_stats st;
	struct seen seen;

	(void)state;
	for (uint64_t i = 1; i <= 3; i++) {
		make_record(i, &r);
		assert_int_equal(store_record_format(&r, text + len, &n), 0);
		len += n;
	}
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_journal_parse(text, len - 10, collect, &seen, &st), 0);
	assert_run(&seen, 1, 2);
	assert_true(st.torn == 1 && st.records == 2);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_journal_parse(text, len, collect, &seen, &st), 0);
	assert_run(&seen, 1, 3);
	assert_int_equal(store_journal_parse("", 0, collect, &seen, &st), 0);
	assert_true(st.records == 0 && st.torn == 0 && st.corrupt == 0);
}

static void follow(struct fixture *f, struct store_cursor *c, struct seen *ret_seen,
    struct store_read_stats *ret_stats)
{
	memset(ret_seen, 0, sizeof(*ret_seen));
	assert_int_equal(store_journal_follow(f->s, c, collect, ret_seen, ret_stats), 0);
}

static void test_journal_follow(void **state)
{
	struct fixture *f = *state;
	struct store_cursor c;
	struct store_read_stats st;
	struct seen seen;
	struct store_record r;
	char line[STORE_LINE_MAX];
	size_t len;
	uint64_t offset;

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_journal_read_last(f->s, 5, collect, &seen, &c, &st), 0);
	follow(f, &c, &seen, &st); /* no journal yet */
	assert_int_equal(seen.n, 0);
	append_n(f, 1, 3);
	follow(f, &c, &seen, &st);
	assert_run(&seen, 1, 3);
	follow(f, &c, &seen, &st);
	assert_int_equal(seen.n, 0);
	/* a line still being written stays for later */
	make_record(4, &r);
	assert_int_equal(store_record_format(&r, line, &len), 0);
	append_file(f, STORE_JOURNAL_FILE, line, len / 2);
	offset = c.offset;
	follow(f, &c, &seen, &st);
	assert_int_equal(seen.n, 0);
	assert_true(c.offset == offset);
	append_file(f, STORE_JOURNAL_FILE, line + len / 2, len - len / 2);
	follow(f, &c, &seen, &st);
	assert_run(&seen, 4, 1);
	assert_true(st.torn == 0 && st.corrupt == 0);
}

static void test_journal_follow_across_rotation(void **state)
{
	struct fixture *f = *state;
	struct store_cursor c;
	struct store_read_stats st;
	struct seen seen;
	uint64_t next = 1;

	reopen(f, SMALL_MAX, 1);
	append_n(f, next, 10);
	next += 10;
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_journal_read_last(f->s, 2, collect, &seen, &c, &st), 0);
	assert_run(&seen, 9, 2);
	/* enough to rotate once, not twice */
	while (file_size(f, "journal.1") < 0)
		append_n(f, next++, 1);
	append_n(f, next, 5);
	next += 5;
	follow(f, &c, &seen, &st);
	assert_run(&seen, 11, (size_t)(next - 11));
	assert_true(st.gaps == 0);
	/* rotating twice behind the reader's back loses records: counted */
	while (file_size(f, STORE_JOURNAL_FILE) < SMALL_MAX / 2)
		append_n(f, next++, 1);
	for (int k = 0; k < 2; k++) {
		ino_t before = file_ino(f, "journal.1");

		while (file_ino(f, "journal.1") == before)
			append_n(f, next++, 1);
	}
	follow(f, &c, &seen, &st);
	assert_true(st.gaps == 1);
	assert_true(seen.n > 0 && seen.mono[seen.n - 1] == next - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_state_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_file_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_truncated, setup, teardown),
		cmocka_unit_test(test_state_parse_rejects),
		cmocka_unit_test(test_state_parse_fields),
		cmocka_unit_test_setup_teardown(test_state_bit_flip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_interrupted_save, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_not_a_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_refused_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_lock_and_options, setup, teardown),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test_setup_teardown(test_journal_append_read_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_sync_flag_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_line_shape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_torn_last_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_missing_newline_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_corrupt_middle_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_nul_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_overlong_and_junk_lines, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_journal_rotation_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_escaping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_invalid_utf8_and_fields, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_journal_optional_fields, setup, teardown),
		cmocka_unit_test(test_record_from_decide),
		cmocka_unit_test(test_journal_parse_buffer),
		cmocka_unit_test_setup_teardown(test_journal_follow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_follow_across_rotation, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
