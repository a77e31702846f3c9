/* store-read.c: reading the journal back: the last N records across rotated files, and following it. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store-internal.h"
#include "store.h"

#define READ_CHUNK 16384
#define N_FILES (STORE_JOURNAL_KEEP_MAX + 1)

/*
 * The line scanner. Lines end at '\n'; a NUL also ends one, because a power cut can leave
 * zero-filled blocks at the end of a file (blocks allocated, data never written) and the
 * records appended after the reboot must not be lost in them. A run of NULs counts as one
 * torn spot; the piece before it is checked like any line (its checksum decides).
 */
struct scan {
	store_record_fn fn;
	void *arg;
	uint64_t skip;  /* valid records to pass over before delivering */
	uint64_t left;  /* records still to deliver */
	uint64_t valid; /* valid records met in this file */
	struct store_read_stats st;
	int rc;        /* a callback's error: stops the scan */
	uint64_t pos;  /* bytes of this file fed */
	uint64_t done; /* bytes of this file through the last line end, or a delivered tail */
	size_t len;
	bool overlong;
	bool in_nul;
	char line[STORE_LINE_MAX];
};

static void scan_init(struct scan *sc, store_record_fn fn, void *arg, uint64_t skip, uint64_t n)
{
	sc->fn = fn;
	sc->arg = arg;
	sc->skip = skip;
	sc->left = n;
	sc->st = (struct store_read_stats){ .records = 0 };
	sc->rc = 0;
}

static void scan_file(struct scan *sc)
{
	sc->valid = 0;
	sc->pos = 0;
	sc->done = 0;
	sc->len = 0;
	sc->overlong = false;
	sc->in_nul = false;
}

/* One complete line, or (final) the piece after the last line end of a file; true if valid. */
static bool scan_line(struct scan *sc, bool final)
{
	struct store_record r;

	if (sc->overlong || store_journal_parse_line(sc->line, sc->len, &r) < 0) {
		if (final)
			sc->st.torn++;
		else
			sc->st.corrupt++;
		return false;
	}
	sc->valid++;
	if (sc->skip > 0) {
		sc->skip--;
		return true;
	}
	if (sc->left == 0 || sc->fn == NULL)
		return true;
	sc->left--;
	sc->st.records++;
	sc->rc = sc->fn(&r, sc->arg);
	if (sc->rc > 0)
		sc->rc = 0;
	return true;
}

static void scan_end_line(struct scan *sc, char sep)
{
	if (sc->len > 0 || sc->overlong) {
		scan_line(sc, false);
		sc->in_nul = false;
	}
	if (sep == '\0' && !sc->in_nul) {
		sc->st.torn++;
		sc->in_nul = true;
	}
	sc->len = 0;
	sc->overlong = false;
}

static void scan_feed(struct scan *sc, const char *p, size_t n)
{
	while (n > 0 && sc->rc == 0) {
		size_t k = 0;

		while (k < n && p[k] != '\n' && p[k] != '\0')
			k++;
		if (sc->len + k < sizeof(sc->line) && !sc->overlong)
			memcpy(sc->line + sc->len, p, k);
		else
			sc->overlong = true;
		sc->len = sc->overlong ? 0 : sc->len + k;
		sc->pos += k;
		if (k == n)
			return;
		scan_end_line(sc, p[k]);
		sc->pos++;
		sc->done = sc->pos;
		p += k + 1;
		n -= k + 1;
	}
}

/* End of a file taken as complete: a last piece with a good checksum lost only its newline
 * (cut exactly there) and counts as read; anything else there is a torn record. */
static void scan_finish(struct scan *sc)
{
	if (sc->rc != 0 || (sc->len == 0 && !sc->overlong))
		return;
	if (scan_line(sc, true))
		sc->done = sc->pos;
	sc->len = 0;
	sc->overlong = false;
}

int store_journal_parse(const char *buf, size_t len, store_record_fn fn, void *arg,
    struct store_read_stats *ret_stats)
{
	struct scan sc;

	scan_init(&sc, fn, arg, 0, UINT64_MAX);
	scan_file(&sc);
	scan_feed(&sc, buf, len);
	scan_finish(&sc);
	if (sc.rc < 0)
		return sc.rc;
	if (ret_stats != NULL)
		*ret_stats = sc.st;
	return 0;
}

/* ---- files ---- */

struct jfile {
	int fd; /* -1: absent */
	uint64_t dev;
	uint64_t ino;
	uint64_t size;
};

/* Open journal (k = 0) or journal.k for reading; absent is not an error. */
static int jfile_open(struct store *s, unsigned k, struct jfile *ret)
{
	char name[32];
	struct stat st;
	int fd, r = 0;

	store_journal_name(k, name);
	*ret = (struct jfile){ .fd = -1 };
	fd = openat(s->dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return store_fail(s, -errno, "%s/%s: cannot open: %s", s->dir, name,
		    errno == ELOOP ? "a symbolic link" : strerror(errno));
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	if (r < 0) {
		store_close_fd(fd);
		return store_fail(s, r, "%s/%s: cannot read: %s", s->dir, name,
		    r == -EINVAL ? "not a regular file" : strerror(-r));
	}
	*ret = (struct jfile){ .fd = fd,
		.dev = st.st_dev,
		.ino = st.st_ino,
		.size = (uint64_t)st.st_size };
	return 0;
}

static bool jfile_same(const struct jfile *a, uint64_t dev, uint64_t ino)
{
	return a->fd >= 0 && a->dev == dev && a->ino == ino;
}

/* journal, journal.1, … newest first, up to STORE_JOURNAL_KEEP_MAX whatever this handle's
 * journal_keep (a reader need not know the writer's setting). A rotation racing with us can show
 * one file under two names: the second sighting is dropped. */
static int jfiles_open(struct store *s, struct jfile *f)
{
	for (unsigned k = 0; k < N_FILES; k++) {
		int r = jfile_open(s, k, &f[k]);

		for (unsigned i = 0; r == 0 && f[k].fd >= 0 && i < k; i++) {
			if (jfile_same(&f[i], f[k].dev, f[k].ino)) {
				store_close_fd(f[k].fd);
				f[k].fd = -1;
			}
		}
		if (r < 0) {
			while (k-- > 0)
				store_close_fd(f[k].fd);
			return r;
		}
	}
	return 0;
}

static void jfiles_close(struct jfile *f)
{
	for (unsigned k = 0; k < N_FILES; k++)
		store_close_fd(f[k].fd);
}

/* Feed the file from offset to its end; a negative return is a read error or the callback's. */
static int scan_fd(struct store *s, struct scan *sc, int fd, uint64_t offset)
{
	char buf[READ_CHUNK];
	size_t got;

	do {
		int r = store_pread_some(fd, buf, sizeof(buf), offset, &got);

		if (r < 0)
			return store_fail(s, r, "%s/%s: cannot read: %s", s->dir,
			    STORE_JOURNAL_FILE, strerror(-r));
		scan_feed(sc, buf, got);
		offset += got;
	} while (got > 0 && sc->rc == 0);
	if (sc->rc < 0)
		return store_fail(s, sc->rc, "%s/%s: read stopped by its caller", s->dir,
		    STORE_JOURNAL_FILE);
	return 0;
}

/* A whole, complete file (a rotated one, or the journal as it stands). */
static int scan_whole(struct store *s, struct scan *sc, const struct jfile *f)
{
	int r;

	scan_file(sc);
	r = scan_fd(s, sc, f->fd, 0);
	if (r == 0)
		scan_finish(sc);
	return r;
}

/* Pass 1, newest file first: which file holds the n-th last valid record, and how many valid
 * records of that file come before it. */
static int count_back(struct store *s, const struct jfile *f, uint64_t n, int *ret_first,
    uint64_t *ret_skip)
{
	struct scan sc;
	uint64_t total = 0;
	int r;

	*ret_first = -1;
	*ret_skip = 0;
	for (unsigned k = 0; k < N_FILES; k++) {
		if (f[k].fd < 0)
			continue;
		scan_init(&sc, NULL, NULL, 0, 0);
		r = scan_whole(s, &sc, &f[k]);
		if (r < 0)
			return r;
		total += sc.valid;
		*ret_first = (int)k;
		if (total >= n) {
			*ret_skip = total - n;
			break;
		}
	}
	return 0;
}

int store_journal_read_last(struct store *s, size_t n, store_record_fn fn, void *arg,
    struct store_cursor *ret_cursor, struct store_read_stats *ret_stats)
{
	struct jfile f[N_FILES];
	struct store_cursor cur = { .dev = 0 };
	struct scan sc;
	uint64_t skip;
	int first, r;

	r = jfiles_open(s, f);
	if (r < 0)
		return r;
	r = count_back(s, f, n, &first, &skip);
	scan_init(&sc, fn, arg, skip, n);
	/* Pass 2, oldest needed file first. */
	for (int k = first; r == 0 && k >= 0; k--) {
		if (f[k].fd >= 0)
			r = scan_whole(s, &sc, &f[k]);
	}
	if (f[0].fd >= 0)
		cur = (struct store_cursor){ .dev = f[0].dev, .ino = f[0].ino, .offset = sc.done };
	jfiles_close(f);
	if (r < 0)
		return r;
	if (ret_cursor != NULL)
		*ret_cursor = cur;
	if (ret_stats != NULL)
		*ret_stats = sc.st;
	return 0;
}

/* The file we followed was rotated: finish it as journal.1, or count the gap if it is gone. */
static int follow_rotated(struct store *s, struct scan *sc, const struct store_cursor *c)
{
	struct jfile old;
	int r = jfile_open(s, 1, &old);

	if (r < 0)
		return r;
	if (!jfile_same(&old, c->dev, c->ino)) {
		sc->st.gaps++;
		store_close_fd(old.fd);
		return 0;
	}
	scan_file(sc);
	r = scan_fd(s, sc, old.fd, c->offset);
	if (r == 0)
		scan_finish(sc);
	store_close_fd(old.fd);
	return r;
}

/* The current journal from c->offset; a last line without its newline may still be being
 * written: it stays for the next call. */
static int follow_current(struct store *s, struct scan *sc, const struct jfile *f,
    struct store_cursor *c)
{
	int r;

	if (c->ino == 0 || !jfile_same(f, c->dev, c->ino) || f->size < c->offset) {
		if (c->ino != 0 && jfile_same(f, c->dev, c->ino))
			sc->st.gaps++; /* truncated under us */
		*c = (struct store_cursor){ .dev = f->dev, .ino = f->ino, .offset = 0 };
	}
	scan_file(sc);
	r = scan_fd(s, sc, f->fd, c->offset);
	if (r == 0)
		c->offset += sc->done;
	return r;
}

int store_journal_follow(struct store *s, struct store_cursor *cursor, store_record_fn fn,
    void *arg, struct store_read_stats *ret_stats)
{
	struct store_cursor c = *cursor;
	struct jfile cur;
	struct scan sc;
	int r;

	scan_init(&sc, fn, arg, 0, UINT64_MAX);
	r = jfile_open(s, 0, &cur);
	if (r < 0)
		return r;
	if (cur.fd >= 0 && c.ino != 0 && !jfile_same(&cur, c.dev, c.ino))
		r = follow_rotated(s, &sc, &c);
	if (r == 0 && cur.fd >= 0)
		r = follow_current(s, &sc, &cur, &c);
	store_close_fd(cur.fd);
	if (r < 0)
		return r;
	*cursor = c;
	if (ret_stats != NULL)
		*ret_stats = sc.st;
	return 0;
}
