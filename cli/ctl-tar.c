/* ctl-tar.c: a minimal ustar (POSIX.1-1988) writer for `vigilctl dump -o`: folders and regular files, names under 100 bytes. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

#define TAR_BLOCK 512
#define TAR_RECORD (20 * TAR_BLOCK) /* the customary blocking: tar reads whole records */
#define COPY_CHUNK 65536

struct ustar {
	char name[100];
	char mode[8];
	char uid[8];
	char gid[8];
	char size[12];
	char mtime[12];
	char chksum[8];
	char typeflag;
	char linkname[100];
	char magic[6];
	char version[2];
	char uname[32];
	char gname[32];
	char devmajor[8];
	char devminor[8];
	char prefix[155];
	char pad[12];
};
_Static_assert(sizeof(struct ustar) == TAR_BLOCK, "a ustar header is one block");

static const char zeros[TAR_BLOCK];

void ctl_tar_init(struct ctl_tar *t, FILE *f, int64_t mtime_s)
{
	*t = (struct ctl_tar){ .f = f, .mtime_s = mtime_s < 0 ? 0 : mtime_s };
}

static int put(struct ctl_tar *t, const void *p, size_t n)
{
	errno = 0;
	if (n > 0 && fwrite(p, 1, n, t->f) != n)
		return errno != 0 ? -errno : -EIO;
	t->written += n;
	return 0;
}

static int pad_to(struct ctl_tar *t, uint64_t unit)
{
	int r = 0;

	while (r == 0 && t->written % unit != 0) {
		uint64_t n = unit - t->written % unit;

		r = put(t, zeros, n < sizeof(zeros) ? (size_t)n : sizeof(zeros));
	}
	return r;
}

/* width - 1 octal digits and a NUL; -EOVERFLOW if v needs more. */
static int octal(char *field, size_t width, uint64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%0*" PRIo64, (int)(width - 1), v);

	if (n < 0 || (size_t)n != width - 1)
		return -EOVERFLOW;
	memcpy(field, tmp, width);
	return 0;
}

static int header(struct ctl_tar *t, const char *name, char type, unsigned mode, uint64_t size)
{
	struct ustar h = { .typeflag = type };
	const unsigned char *b = (const unsigned char *)&h;
	unsigned sum = 0;
	size_t n = strlen(name);

	if (n == 0 || n >= sizeof(h.name))
		return -ENAMETOOLONG;
	memcpy(h.name, name, n);
	if (octal(h.mode, sizeof(h.mode), mode) < 0 || octal(h.uid, sizeof(h.uid), 0) < 0 ||
	    octal(h.gid, sizeof(h.gid), 0) < 0 || octal(h.size, sizeof(h.size), size) < 0 ||
	    octal(h.mtime, sizeof(h.mtime), (uint64_t)t->mtime_s) < 0)
		return -EOVERFLOW;
	memcpy(h.magic, "ustar", 6);
	memcpy(h.version, "00", 2);
	memset(h.chksum, ' ', sizeof(h.chksum)); /* counted as blanks while summing */
	for (size_t i = 0; i < sizeof(h); i++)
		sum += b[i];
	(void)octal(h.chksum, 7, sum); /* six digits and a NUL; the blank after stays */
	return put(t, &h, sizeof(h));
}

int ctl_tar_add_dir(struct ctl_tar *t, const char *name)
{
	return header(t, name, '5', 0700, 0);
}

int ctl_tar_add_mem(struct ctl_tar *t, const char *name, const void *data, size_t len)
{
	int r = header(t, name, '0', 0600, len);

	r = r < 0 ? r : put(t, data, len);
	return r < 0 ? r : pad_to(t, TAR_BLOCK);
}

/* size bytes of fd; a file that turns out shorter is filled with zeros (the header said size).
 * A read error fails the archive. */
int ctl_tar_add_fd(struct ctl_tar *t, const char *name, int fd, uint64_t size)
{
	char buf[COPY_CHUNK];
	uint64_t left = size;
	int r = header(t, name, '0', 0600, size);

	while (r == 0 && left > 0) {
		ssize_t n = read(fd, buf, left < sizeof(buf) ? (size_t)left : sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		r = put(t, buf, (size_t)n);
		left -= (uint64_t)n;
	}
	while (r == 0 && left > 0) {
		size_t n = left < sizeof(zeros) ? (size_t)left : sizeof(zeros);

		r = put(t, zeros, n);
		left -= n;
	}
	return r < 0 ? r : pad_to(t, TAR_BLOCK);
}

/* Two zero blocks end the archive; then up to a whole record. */
int ctl_tar_finish(struct ctl_tar *t)
{
	int r = put(t, zeros, sizeof(zeros));

	r = r < 0 ? r : put(t, zeros, sizeof(zeros));
	r = r < 0 ? r : pad_to(t, TAR_RECORD);
	if (r == 0 && (fflush(t->f) != 0 || ferror(t->f)))
		r = errno != 0 ? -errno : -EIO;
	return r;
}
