/* store.c: the state_dir handle and the state file (state name and generation), replaced atomically. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decide.h"
#include "store-internal.h"
#include "store.h"

/*
 * The state file, four lines, all required, in this order:
 *   vigil-state 1
 *   state backup
 *   generation 42
 *   crc32c 1a2b3c4d          (CRC-32C of the three lines above, newlines included)
 * The rename makes a torn file impossible on a sane file system; the checksum and the strict
 * parse catch the rest (a file system that lost data, a hand edit, a foreign file).
 */
#define STATE_MAGIC "vigil-state 1"
#define STATE_SIZE_MAX 256

static int options_apply(struct store *s, const struct store_options *opt)
{
	s->writable = opt != NULL && opt->write;
	s->journal_max = STORE_JOURNAL_DEFAULT_MAX;
	s->journal_keep = STORE_JOURNAL_DEFAULT_KEEP;
	if (opt == NULL)
		return 0;
	if (opt->journal_max_bytes != 0) {
		if (opt->journal_max_bytes < STORE_JOURNAL_MIN_MAX)
			return -EINVAL;
		s->journal_max = opt->journal_max_bytes;
	}
	if (opt->journal_keep != 0) {
		if (opt->journal_keep > STORE_JOURNAL_KEEP_MAX)
			return -EINVAL;
		s->journal_keep = opt->journal_keep;
	}
	return 0;
}

/* A folder just made is only durable once its parent's entry is (SPEC: no data lost). */
static int parent_sync(const char *dir)
{
	char parent[STORE_PATH_MAX];
	char *slash;
	int fd, r;

	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash == NULL)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = store_fsync(fd);
	if (store_close_fd(fd) < 0 && r == 0)
		r = -EIO;
	return r;
}

/* SPEC "Configuration parameters": vigild creates state_dir with mode 0700 at start. */
static int dir_make(const char *dir)
{
	if (mkdir(dir, 0700) == 0)
		return parent_sync(dir);
	return errno == EEXIST ? 0 : -errno;
}

static int dir_lock(int fd)
{
	int r;

	do {
		r = flock(fd, LOCK_EX | LOCK_NB);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	return 0;
}

static int dir_open(struct store *s)
{
	int r;

	if (s->writable) {
		r = dir_make(s->dir);
		if (r < 0)
			return r;
	}
	s->dir_fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dir_fd < 0)
		return -errno;
	if (s->writable) {
		r = dir_lock(s->dir_fd);
		if (r < 0) {
			store_close_fd(s->dir_fd);
			return r;
		}
	}
	return 0;
}

int store_open(const char *dir, const struct store_options *opt, struct store **ret)
{
	struct store *s;
	int r;

	if (dir == NULL || dir[0] == '\0')
		return -EINVAL;
	if (strlen(dir) >= STORE_PATH_MAX)
		return -ENAMETOOLONG;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	*s = (struct store){ .dir_fd = -1, .journal_fd = -1 };
	memcpy(s->dir, dir, strlen(dir) + 1);
	r = options_apply(s, opt);
	if (r == 0)
		r = dir_open(s);
	if (r < 0) {
		free(s);
		return r;
	}
	*ret = s;
	return 0;
}

/* Closing drops the lock; the journal was written with write(), nothing is buffered here. */
void store_close(struct store *s)
{
	if (s == NULL)
		return;
	store_close_fd(s->journal_fd);
	store_close_fd(s->dir_fd);
	free(s);
}

const char *store_error(const struct store *s)
{
	return s->err;
}

/* ---- the state file ---- */

static int state_format(enum vg_state state, uint64_t generation, char *ret, size_t *ret_len)
{
	char body[STATE_SIZE_MAX];
	int n, m;

	n = snprintf(body, sizeof(body), STATE_MAGIC "\nstate %s\ngeneration %" PRIu64 "\n",
	    decide_state_name(state), generation);
	if (n < 0 || (size_t)n >= sizeof(body))
		return -EOVERFLOW;
	m = snprintf(ret, STATE_SIZE_MAX, "%scrc32c %08" PRIx32 "\n", body,
	    store_crc32c(0, body, (size_t)n));
	if (m < 0 || m >= STATE_SIZE_MAX)
		return -EOVERFLOW;
	*ret_len = (size_t)m;
	return 0;
}

/* Write the temp file completely and durably; never touches the real file. */
static int state_write_tmp(struct store *s, const char *buf, size_t len)
{
	int fd, r;

	fd = openat(s->dir_fd, STORE_STATE_TMP,
	    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return store_fail(s, -errno, "%s/%s: cannot create: %s", s->dir, STORE_STATE_TMP,
		    strerror(errno));
	r = store_write_all(fd, buf, len);
	if (r == 0)
		r = store_fsync(fd);
	if (store_close_fd(fd) < 0 && r == 0)
		r = -EIO;
	if (r < 0)
		return store_fail(s, r, "%s/%s: cannot write: %s", s->dir, STORE_STATE_TMP,
		    strerror(-r));
	return 0;
}

static int state_replace(struct store *s)
{
	int r;

	if (renameat(s->dir_fd, STORE_STATE_TMP, s->dir_fd, STORE_STATE_FILE) < 0)
		return store_fail(s, -errno, "%s/%s: cannot rename over %s: %s", s->dir,
		    STORE_STATE_TMP, STORE_STATE_FILE, strerror(errno));
	r = store_fsync(s->dir_fd);
	if (r < 0)
		return store_fail(s, r, "%s: cannot sync the folder: %s", s->dir, strerror(-r));
	return 0;
}

int store_state_save(struct store *s, enum vg_state state, uint64_t generation)
{
	char buf[STATE_SIZE_MAX];
	size_t len;
	int r;

	if (!s->writable)
		return store_fail(s, -EBADF, "%s: opened read-only", s->dir);
	if ((unsigned)state >= ST_COUNT)
		return store_fail(s, -EINVAL, "%s/%s: state %d out of range", s->dir,
		    STORE_STATE_FILE, (int)state);
	r = state_format(state, generation, buf, &len);
	if (r < 0)
		return store_fail(s, r, "%s/%s: cannot format", s->dir, STORE_STATE_FILE);
	r = state_write_tmp(s, buf, len);
	if (r == 0)
		r = state_replace(s);
	/* A temp file left behind is harmless (load ignores it, the next save truncates it):
	 * removing it is tidiness, so its own failure is not reported over the one that matters. */
	if (r < 0)
		(void)unlinkat(s->dir_fd, STORE_STATE_TMP, 0);
	return r;
}

/* A decimal uint64 with no sign, no leading zero, no overflow. */
static int parse_u64(const char *p, size_t len, uint64_t *ret)
{
	uint64_t v = 0;

	if (len == 0 || len > 20 || (p[0] == '0' && len > 1))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(p[i] - '0');

		if (p[i] < '0' || p[i] > '9' || v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

/* Split a NUL-free buffer ending in '\n' into exactly n lines (without their newlines). */
static bool split_lines(const char *buf, size_t len, const char **line, size_t *line_len, size_t n)
{
	size_t k = 0;

	for (size_t start = 0; start < len; k++) {
		const char *nl = memchr(buf + start, '\n', len - start);

		if (k == n || nl == NULL)
			return false;
		line[k] = buf + start;
		line_len[k] = (size_t)(nl - line[k]);
		start += line_len[k] + 1;
	}
	return k == n;
}

/* "key value": the value of key, or NULL. */
static const char *line_value(const char *line, size_t len, const char *key, size_t *ret_len)
{
	size_t k = strlen(key);

	if (len <= k + 1 || memcmp(line, key, k) != 0 || line[k] != ' ')
		return NULL;
	*ret_len = len - k - 1;
	return line + k + 1;
}

/* Eight lower-case hex digits. */
static int parse_hex32(const char *p, size_t len, uint32_t *ret)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t v = 0;

	if (len != 8)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		const char *d = p[i] != '\0' ? strchr(hex, p[i]) : NULL;

		if (d == NULL)
			return -EINVAL;
		v = v << 4 | (uint32_t)(d - hex);
	}
	*ret = v;
	return 0;
}

static const char *state_check_frame(const char *buf, size_t len, const char **line,
    size_t *line_len)
{
	const char *v;
	size_t vlen;
	uint32_t crc;

	if (len == 0)
		return "empty file (cut short by a crash or power cut?)";
	if (len > STATE_SIZE_MAX)
		return "too long to be a state file";
	if (memchr(buf, '\0', len) != NULL)
		return "contains NUL bytes (torn write?)";
	if (buf[len - 1] != '\n')
		return "truncated: no final newline";
	if (!split_lines(buf, len, line, line_len, 4))
		return "not 4 lines";
	if (line_len[0] != strlen(STATE_MAGIC) || memcmp(line[0], STATE_MAGIC, line_len[0]) != 0)
		return line_value(line[0], line_len[0], "vigil-state", &vlen) != NULL
		    ? "line 1: unsupported version"
		    : "line 1: not a vigil state file";
	v = line_value(line[3], line_len[3], "crc32c", &vlen);
	if (v == NULL || parse_hex32(v, vlen, &crc) < 0)
		return "line 4: no crc32c checksum";
	if (crc != store_crc32c(0, buf, (size_t)(line[3] - buf)))
		return "checksum mismatch (damaged or edited)";
	return NULL;
}

int store_state_parse(const char *buf, size_t len, enum vg_state *ret_state,
    uint64_t *ret_generation, const char **ret_why)
{
	const char *line[4], *v, *why;
	char name[STORE_NAME_MAX];
	size_t line_len[4], vlen;
	uint64_t generation;
	int state;

	why = state_check_frame(buf, len, line, line_len);
	if (why == NULL) {
		v = line_value(line[1], line_len[1], "state", &vlen);
		state = v != NULL && vlen < sizeof(name) ? 0 : -1;
		if (state == 0) {
			snprintf(name, sizeof(name), "%.*s", (int)vlen, v);
			state = decide_state_from_name(name);
		}
		if (state < 0 || state >= ST_COUNT)
			why = "line 2: no valid state name";
	}
	if (why == NULL) {
		v = line_value(line[2], line_len[2], "generation", &vlen);
		if (v == NULL || parse_u64(v, vlen, &generation) < 0)
			why = "line 3: generation is not a decimal number below 2^64";
	}
	if (why != NULL) {
		if (ret_why != NULL)
			*ret_why = why;
		return -EBADMSG;
	}
	*ret_state = (enum vg_state)state;
	*ret_generation = generation;
	return 0;
}

static int state_read(struct store *s, char *buf, size_t size, size_t *ret_len)
{
	struct stat st;
	int fd, r;

	/* O_NONBLOCK: a FIFO planted in state_dir must not hang the daemon. */
	fd = openat(s->dir_fd, STORE_STATE_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return store_fail(s, -ENOENT, "%s/%s: absent (first start)", s->dir,
		    STORE_STATE_FILE);
	if (fd < 0)
		return store_fail(s, -errno, "%s/%s: cannot open: %s", s->dir, STORE_STATE_FILE,
		    errno == ELOOP ? "a symbolic link" : strerror(errno));
	r = fstat(fd, &st) < 0 ? -errno : 0;
	if (r == 0 && !S_ISREG(st.st_mode))
		r = -EBADMSG;
	if (r == 0)
		r = store_read_all(fd, buf, size, ret_len);
	if (store_close_fd(fd) < 0 && r == 0)
		r = -EIO;
	if (r < 0)
		return store_fail(s, r, "%s/%s: cannot read: %s", s->dir, STORE_STATE_FILE,
		    r == -EBADMSG ? "not a regular file" : strerror(-r));
	return 0;
}

int store_state_load(struct store *s, enum vg_state *ret_state, uint64_t *ret_generation)
{
	char buf[STATE_SIZE_MAX + 1];
	const char *why = "unreadable";
	enum vg_state state;
	uint64_t generation;
	size_t len;
	int r;

	r = state_read(s, buf, sizeof(buf), &len);
	if (r < 0)
		return r;
	r = store_state_parse(buf, len, &state, &generation, &why);
	if (r < 0)
		return store_fail(s, r, "%s/%s: %s", s->dir, STORE_STATE_FILE, why);
	*ret_state = state;
	*ret_generation = generation;
	return 0;
}
