/* peer-key.c: reads the pair key file (SPEC [peer] key_file: 64 hex characters, mode 0600) into a wire_key. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "peer.h"
#include "wire.h"

#define KEY_HEX (2 * WIRE_KEY_LEN)

/* The same rules as config validation (config/finish.c), checked on the descriptor we read. */
static int key_stat(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	return (st.st_mode & 077) != 0 ? -EPERM : 0;
}

/* Up to size bytes; a file that fills the buffer is too long. */
static int key_read(int fd, char *buf, size_t size, size_t *ret_len)
{
	size_t len = 0;
	ssize_t n;

	while (len < size) {
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == size)
		return -EINVAL;
	*ret_len = len;
	return 0;
}

static int key_parse(const char *buf, size_t len, uint8_t *ret_key)
{
	size_t bin_len = 0;
	const char *end = NULL;

	if (len == KEY_HEX + 1 && buf[KEY_HEX] == '\n')
		len--;
	if (len != KEY_HEX)
		return -EINVAL;
	if (sodium_hex2bin(ret_key, WIRE_KEY_LEN, buf, len, NULL, &bin_len, &end) != 0 ||
	    bin_len != WIRE_KEY_LEN || end != buf + KEY_HEX)
		return -EINVAL;
	return 0;
}

int peer_key_load(const char *path, struct wire_key *ret)
{
	char buf[KEY_HEX + 2];
	uint8_t key[WIRE_KEY_LEN];
	size_t len = 0;
	int fd, r;

	/* O_NONBLOCK: a FIFO put in the key's place must not hang start-up before fstat says so. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	r = key_stat(fd);
	if (r == 0)
		r = key_read(fd, buf, sizeof(buf), &len);
	if (r == 0)
		r = key_parse(buf, len, key);
	if (r == 0)
		r = wire_key_init_hmac(key, ret);
	(void)close(fd);
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(key, sizeof(key));
	return r;
}
