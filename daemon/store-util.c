/* store-util.c: the store's small tools: checksums, UTF-8 and name checks, and EINTR-safe file I/O. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store-internal.h"

/* CRC-32C (Castagnoli), reflected, four bits at a time: small table, fast enough for lines. */
static const uint32_t crc32c_nibble[16] = { 0x00000000, 0x105ec76f, 0x20bd8ede, 0x30e349b1,
	0x417b1dbc, 0x5125dad3, 0x61c69362, 0x7198540d, 0x82f63b78, 0x92a8fc17, 0xa24bb5a6,
	0xb21572c9, 0xc38d26c4, 0xd3d3e1ab, 0xe330a81a, 0xf36e6f75 };

uint32_t store_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	crc = ~crc;
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ crc32c_nibble[crc & 15];
		crc = (crc >> 4) ^ crc32c_nibble[crc & 15];
	}
	return ~crc;
}

/* Length of the well-formed UTF-8 sequence at p (n > 0 bytes left), or 0: no overlong
 * forms, no surrogates, nothing above U+10FFFF (RFC 3629). */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	static const uint32_t least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0)
		len = 2, cp = p[0] & 0x1f;
	else if ((p[0] & 0xf0) == 0xe0)
		len = 3, cp = p[0] & 0x0f;
	else if ((p[0] & 0xf8) == 0xf0)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

bool store_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t k = utf8_seq(p + i, len - i);

		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

void store_utf8_sanitize(const char *in, char *ret, size_t size)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t len = strnlen(in, size - 1);

	for (size_t i = 0; i < len;) {
		size_t k = utf8_seq(p + i, len - i);

		if (k == 0) {
			ret[i++] = '?';
			continue;
		}
		memcpy(ret + i, in + i, k);
		i += k;
	}
	ret[len] = '\0';
}

bool store_name_valid(const char *name)
{
	size_t len = strnlen(name, STORE_NAME_MAX);

	if (len == 0 || len >= STORE_NAME_MAX)
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
	    len;
}

/* n decimal digits at s, within lo..hi. */
static bool time_field(const char *s, size_t n, unsigned lo, unsigned hi)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v >= lo && v <= hi;
}

/* RFC 3339 section 5.6 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM). */
bool store_time_valid(const char *t)
{
	size_t len = strnlen(t, STORE_TIME_MAX), i = 19;

	if (len >= STORE_TIME_MAX || len < 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' ||
	    t[13] != ':' || t[16] != ':')
		return false;
	if (!time_field(t, 4, 0, 9999) || !time_field(t + 5, 2, 1, 12) ||
	    !time_field(t + 8, 2, 1, 31) || !time_field(t + 11, 2, 0, 23) ||
	    !time_field(t + 14, 2, 0, 59) || !time_field(t + 17, 2, 0, 60))
		return false;
	if (t[i] == '.') {
		size_t k = strspn(t + i + 1, "0123456789");

		if (k < 1 || k > 9)
			return false;
		i += 1 + k;
	}
	if (t[i] == 'Z')
		return i + 1 == len;
	return (t[i] == '+' || t[i] == '-') && i + 6 == len && t[i + 3] == ':' &&
	    time_field(t + i + 1, 2, 0, 23) && time_field(t + i + 4, 2, 0, 59);
}

int store_fail(struct store *s, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	return rc;
}

int store_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read until EOF or size bytes. */
int store_read_all(int fd, void *buf, size_t size, size_t *ret_len)
{
	char *p = buf;
	size_t got = 0;

	while (got < size) {
		ssize_t n = read(fd, p + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*ret_len = got;
	return 0;
}

int store_pread_some(int fd, void *buf, size_t size, uint64_t offset, size_t *ret_len)
{
	ssize_t n;

	if (offset > INT64_MAX)
		return -EOVERFLOW;
	do {
		n = pread(fd, buf, size, (off_t)offset);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	*ret_len = (size_t)n;
	return 0;
}

int store_fsync(int fd)
{
	int r;

	do {
		r = fsync(fd);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

int store_fdatasync(int fd)
{
	int r;

	do {
		r = fdatasync(fd);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

/* Linux frees the descriptor even when close() says EINTR: never retry, treat it as closed. */
int store_close_fd(int fd)
{
	if (fd < 0)
		return 0;
	if (close(fd) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

void store_journal_name(unsigned n, char ret[32])
{
	if (n == 0)
		snprintf(ret, 32, "%s", STORE_JOURNAL_FILE);
	else
		snprintf(ret, 32, "%s.%u", STORE_JOURNAL_FILE, n);
}
