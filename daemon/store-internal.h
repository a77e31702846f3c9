/* store-internal.h: what daemon/store*.c share and nobody else sees: the handle, file I/O and checks. */
#ifndef VIGIL_STORE_INTERNAL_H
#define VIGIL_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store.h"

struct store {
	int dir_fd;
	int journal_fd;        /* -1 until the first append, and after a failed write */
	uint64_t journal_size; /* bytes in the open journal file */
	bool writable;
	uint64_t journal_max;
	unsigned journal_keep;
	char dir[STORE_PATH_MAX];
	char err[STORE_ERR_MAX];
};

/* The suffix every journal line ends with, before its newline: ,"crc":"xxxxxxxx"} */
#define STORE_CRC_PREFIX ",\"crc\":\""
#define STORE_CRC_SUFFIX_LEN 18

/* Record the message of a failure in s->err and return rc. */
int store_fail(struct store *s, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

uint32_t store_crc32c(uint32_t crc, const void *buf, size_t len);
bool store_utf8_valid(const char *s, size_t len);
/* Copy in to ret (same size), each byte of an invalid UTF-8 sequence replaced by '?'. */
void store_utf8_sanitize(const char *in, char *ret, size_t size);
bool store_name_valid(const char *name);
bool store_time_valid(const char *t);
/* NULL if r is within syntax, else the name of the first bad field. */
const char *store_record_invalid(const struct store_record *r);

int store_write_all(int fd, const void *buf, size_t len);
int store_read_all(int fd, void *buf, size_t size, size_t *ret_len);
int store_pread_some(int fd, void *buf, size_t size, uint64_t offset, size_t *ret_len);
int store_fsync(int fd);
int store_fdatasync(int fd);
int store_close_fd(int fd);
/* "journal" for 0, "journal.N" for N. */
void store_journal_name(unsigned n, char ret[32]);

#endif /* VIGIL_STORE_INTERNAL_H */
