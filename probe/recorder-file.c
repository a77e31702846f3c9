/* recorder-file.c: the flight recorder's ring written out as a pcap file, atomically (temporary file, rename), and the rotation of flight-*.pcap in a folder. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "recorder-internal.h"
#include "recorder.h"

static void dump_ring(struct recorder *rec, pcap_dumper_t *d)
{
	size_t off = rec->ring.head;
	struct recorder_rec h;

	for (size_t i = 0; i < rec->ring.count; i++) {
		struct pcap_pkthdr ph;

		recorder_ring_read(&rec->ring, &off, &h, rec->scratch);
		ph = (struct pcap_pkthdr){ .caplen = h.caplen, .len = h.len };
		ph.ts.tv_sec = (time_t)h.tv_sec;
		ph.ts.tv_usec = (suseconds_t)h.tv_usec;
		pcap_dump((u_char *)d, &ph, rec->scratch);
	}
}

/* The pcap file on fd, which is consumed. The file is not fsync'ed (recorder.h says why). */
static int write_fd(struct recorder *rec, int fd)
{
	FILE *f = fdopen(fd, "wb");
	pcap_dumper_t *d;
	int r = 0;

	if (f == NULL) {
		r = -errno;
		(void)close(fd); /* nothing was written: a failing close changes nothing */
		return r;
	}
	d = pcap_dump_fopen(rec->pcap, f);
	if (d == NULL) {
		(void)fclose(f); /* as above */
		return -EIO;
	}
	dump_ring(rec, d);
	errno = 0;
	if (pcap_dump_flush(d) != 0 || ferror(f))
		r = errno != 0 ? -errno : -EIO;
	/* Everything is flushed: what fclose could still report (close) is not seen by libpcap. */
	pcap_dump_close(d);
	return r;
}

int recorder_write(struct recorder *rec, const char *path)
{
	char tmp[PATH_MAX];
	int n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	int fd, r;

	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	recorder_drain(rec);
	recorder_expire(rec);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rec->st.write_errors++;
		return -errno;
	}
	r = write_fd(rec, fd);
	if (r == 0 && rename(tmp, path) != 0)
		r = -errno;
	if (r < 0) {
		rec->st.write_errors++;
		if (unlink(tmp) != 0)
			rec->st
			    .rotate_errors++; /* a stale temporary file: the next rotation takes it */
		return r;
	}
	rec->st.files_written++;
	return 0;
}

/* dir/flight-20240501T120000.250Z.pcap */
static int flight_path(const char *dir, uint64_t wall_ms, char *ret, size_t len)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	char stamp[32];
	int n;

	if (gmtime_r(&t, &tm) == NULL || strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm) != 15)
		return -EINVAL; /* past year 9999: the names would no longer sort */
	n = snprintf(ret, len, "%s/" RECORDER_FILE_PREFIX "%s.%03uZ" RECORDER_FILE_SUFFIX, dir,
	    stamp, (unsigned)(wall_ms % 1000));
	return n >= 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

static bool name_is_flight(const char *name)
{
	size_t n = strlen(name), pre = strlen(RECORDER_FILE_PREFIX);

	return n == RECORDER_FILE_NAME_LEN && strncmp(name, RECORDER_FILE_PREFIX, pre) == 0 &&
	    isdigit((unsigned char)name[pre]) &&
	    strcmp(name + n - strlen(RECORDER_FILE_SUFFIX), RECORDER_FILE_SUFFIX) == 0;
}

/* Left by a write that died between mkostemp and rename: a flight name, then ".XXXXXX". */
static bool name_is_temp(const char *name)
{
	char flight[RECORDER_FILE_NAME_LEN + 1];

	if (strlen(name) != RECORDER_FILE_NAME_LEN + 7 || name[RECORDER_FILE_NAME_LEN] != '.')
		return false;
	memcpy(flight, name, RECORDER_FILE_NAME_LEN);
	flight[RECORDER_FILE_NAME_LEN] = '\0';
	return name_is_flight(flight);
}

static int is_ours(const struct dirent *e)
{
	return name_is_flight(e->d_name) || name_is_temp(e->d_name);
}

/* The names sort by time (recorder.h): plain byte order, whatever the locale. */
static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* The oldest beyond max_files, never keep (just written: older by name if the clock went back). */
static void remove_entries(struct recorder *rec, int dfd, struct dirent **list, int n,
    unsigned max_files, const char *keep)
{
	size_t flights = 0, excess;

	for (int i = 0; i < n; i++)
		flights += name_is_flight(list[i]->d_name);
	excess = flights > max_files ? flights - max_files : 0;
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;
		bool old = name_is_flight(name) && excess > 0 && strcmp(name, keep) != 0;

		excess -= old;
		if ((old || name_is_temp(name)) && unlinkat(dfd, name, 0) != 0 && errno != ENOENT)
			rec->st.rotate_errors++;
	}
}

static void rotate(struct recorder *rec, const char *dir, unsigned max_files, const char *keep)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent **list = NULL;
	int n = dfd >= 0 ? scandirat(dfd, ".", &list, is_ours, by_name) : -1;

	if (n < 0)
		rec->st.rotate_errors++;
	else
		remove_entries(rec, dfd, list, n, max_files, keep);
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	if (dfd >= 0 && close(dfd) != 0)
		rec->st.rotate_errors++;
}

int recorder_write_rotating(struct recorder *rec, const char *dir, uint64_t wall_ms,
    unsigned max_files, char *ret_path, size_t path_len)
{
	char path[PATH_MAX];
	int r;

	if (dir == NULL || dir[0] == '\0' || max_files < 1 || max_files > RECORDER_FILES_MAX)
		return -EINVAL;
	r = flight_path(dir, wall_ms, path, sizeof(path));
	if (r < 0)
		return r;
	if (strlen(path) >= path_len)
		return -ENAMETOOLONG;
	r = recorder_write(rec, path);
	if (r < 0)
		return r;
	rotate(rec, dir, max_files, strrchr(path, '/') + 1);
	memcpy(ret_path, path, strlen(path) + 1);
	return 0;
}
