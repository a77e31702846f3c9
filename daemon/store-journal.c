/* store-journal.c: appending records to the journal, one write() each, and rotating it within its bound. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store-internal.h"
#include "store.h"

#define JOURNAL_OPEN_FLAGS (O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW)

static void journal_drop(struct store *s)
{
	/* Only ever read through the reader's own descriptors: nothing to lose on close. */
	store_close_fd(s->journal_fd);
	s->journal_fd = -1;
}

/* A record cut short by a crash or power cut would swallow the next one: end its line, so the
 * reader skips it alone. Returns the bytes added (0 or 1). */
static int journal_repair_tail(int fd, uint64_t size)
{
	char last = '\n';
	size_t got = 0;
	int r;

	if (size == 0)
		return 0;
	r = store_pread_some(fd, &last, 1, size - 1, &got);
	if (r < 0)
		return r;
	if (got == 1 && last == '\n')
		return 0;
	r = store_write_all(fd, "\n", 1);
	return r < 0 ? r : 1;
}

/* Open or create the journal; *ret_created says whether the folder entry is new. */
static int journal_open_fd(struct store *s, bool *ret_created)
{
	int fd;

	fd = openat(s->dir_fd, STORE_JOURNAL_FILE, JOURNAL_OPEN_FLAGS | O_CREAT | O_EXCL, 0600);
	*ret_created = fd >= 0;
	if (fd < 0 && errno == EEXIST)
		fd = openat(s->dir_fd, STORE_JOURNAL_FILE, JOURNAL_OPEN_FLAGS);
	if (fd < 0)
		return -errno;
	return fd;
}

static int journal_open(struct store *s)
{
	struct stat st;
	bool created;
	int fd, r;

	fd = journal_open_fd(s, &created);
	if (fd < 0)
		return store_fail(s, fd, "%s/%s: cannot open: %s", s->dir, STORE_JOURNAL_FILE,
		    fd == -ELOOP ? "a symbolic link" : strerror(-fd));
	r = fstat(fd, &st) < 0 ? -errno : 0;
	if (r == 0 && !S_ISREG(st.st_mode))
		r = -EINVAL;
	if (r == 0)
		r = journal_repair_tail(fd, (uint64_t)st.st_size);
	/* A new file is durable only once the folder is (and so are the renames of a rotation). */
	if (r >= 0 && created) {
		int d = store_fsync(s->dir_fd);

		r = d < 0 ? d : r;
	}
	if (r < 0) {
		store_close_fd(fd);
		return store_fail(s, r, "%s/%s: cannot open: %s", s->dir, STORE_JOURNAL_FILE,
		    r == -EINVAL ? "not a regular file" : strerror(-r));
	}
	s->journal_fd = fd;
	s->journal_size = (uint64_t)st.st_size + (uint64_t)r;
	return 0;
}

/* Files beyond journal_keep, left by an earlier larger setting, would break the bound. */
static int journal_prune(struct store *s)
{
	char name[32];

	for (unsigned k = s->journal_keep + 1; k <= STORE_JOURNAL_KEEP_MAX; k++) {
		store_journal_name(k, name);
		if (unlinkat(s->dir_fd, name, 0) < 0 && errno != ENOENT)
			return store_fail(s, -errno, "%s/%s: cannot remove: %s", s->dir, name,
			    strerror(errno));
	}
	return 0;
}

/* journal.(K-1) -> journal.K (dropping the oldest), …, journal -> journal.1. Each rename is
 * atomic; a crash between two leaves a hole in the numbers, which the reader skips. */
static int journal_shift(struct store *s)
{
	char from[32], to[32];

	for (unsigned k = s->journal_keep; k >= 1; k--) {
		store_journal_name(k - 1, from);
		store_journal_name(k, to);
		if (renameat(s->dir_fd, from, s->dir_fd, to) < 0 && errno != ENOENT)
			return store_fail(s, -errno, "%s/%s: cannot rotate to %s: %s", s->dir, from,
			    to, strerror(errno));
	}
	return 0;
}

static int journal_rotate(struct store *s)
{
	int r;

	/* The rotated file is complete on disk before it gets its new name. */
	r = store_fdatasync(s->journal_fd);
	if (r < 0)
		return store_fail(s, r, "%s/%s: cannot sync: %s", s->dir, STORE_JOURNAL_FILE,
		    strerror(-r));
	r = journal_prune(s);
	if (r == 0)
		r = journal_shift(s);
	if (r < 0)
		return r;
	journal_drop(s);
	return journal_open(s);
}

static int journal_make_room(struct store *s, size_t len)
{
	int r = 0;

	if (s->journal_fd < 0)
		r = journal_open(s);
	if (r == 0 && s->journal_size > 0 && s->journal_size + len > s->journal_max)
		r = journal_rotate(s);
	return r;
}

static int journal_write(struct store *s, const char *line, size_t len)
{
	int r = store_write_all(s->journal_fd, line, len), t;

	if (r == 0) {
		s->journal_size += len;
		return 0;
	}
	/* A short write (ENOSPC, EIO) may have left part of the record: cut it off, or failing
	 * that reopen next time, which ends the broken line (journal_repair_tail). */
	do {
		t = ftruncate(s->journal_fd, (off_t)s->journal_size);
	} while (t < 0 && errno == EINTR);
	if (t < 0)
		journal_drop(s);
	return store_fail(s, r, "%s/%s: cannot append: %s", s->dir, STORE_JOURNAL_FILE,
	    strerror(-r));
}

int store_journal_append(struct store *s, const struct store_record *r, unsigned flags)
{
	char line[STORE_LINE_MAX];
	const char *bad;
	size_t len;
	int rc;

	if (!s->writable)
		return store_fail(s, -EBADF, "%s: opened read-only", s->dir);
	if ((flags & ~(unsigned)STORE_SYNC) != 0)
		return store_fail(s, -EINVAL, "%s/%s: unknown flags %#x", s->dir,
		    STORE_JOURNAL_FILE, flags);
	bad = store_record_invalid(r);
	rc = bad == NULL ? store_record_format(r, line, &len) : -EINVAL;
	if (rc < 0)
		return store_fail(s, rc, "%s/%s: record refused: %s%s", s->dir, STORE_JOURNAL_FILE,
		    bad != NULL ? "bad " : "", bad != NULL ? bad : strerror(-rc));
	rc = journal_make_room(s, len);
	if (rc == 0)
		rc = journal_write(s, line, len);
	if (rc == 0 && (flags & STORE_SYNC) != 0) {
		rc = store_fdatasync(s->journal_fd);
		if (rc < 0)
			store_fail(s, rc, "%s/%s: cannot sync: %s", s->dir, STORE_JOURNAL_FILE,
			    strerror(-rc));
	}
	return rc;
}
