/* ctl-dump.c: `vigilctl dump -o FILE`: one ustar archive holding the report, the JSON parts and the latest flight recorder capture from state_dir, written whole or not at all. */
#include <ctype.h>
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ctl.h"
#include "recorder.h"

#define TOP_MAX 80 /* the archive's folder name: member names stay under ustar's 100 bytes */

/* The newest capture: the greatest flight-*.pcap name (recorder.h: names sort by time). */
static bool name_is_flight(const char *name)
{
	size_t n = strlen(name), pre = strlen(RECORDER_FILE_PREFIX);

	return n == RECORDER_FILE_NAME_LEN && strncmp(name, RECORDER_FILE_PREFIX, pre) == 0 &&
	    isdigit((unsigned char)name[pre]) &&
	    strcmp(name + n - strlen(RECORDER_FILE_SUFFIX), RECORDER_FILE_SUFFIX) == 0;
}

static int latest_name(const char *dir, char *ret, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char best[RECORDER_FILE_NAME_LEN + 1] = "";

	if (d == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		if (name_is_flight(e->d_name) && strcmp(e->d_name, best) > 0)
			memcpy(best, e->d_name, sizeof(best));
	}
	if (closedir(d) != 0)
		return -errno;
	if (best[0] == '\0')
		return -ENOENT;
	snprintf(ret, len, "%s", best);
	return 0;
}

static const char *state_dir_of(struct json_object *d)
{
	struct json_object *v;

	if (!json_object_object_get_ex(d, "state_dir", &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* ret_path: the latest capture's path; ret_note: it, or why there is none. 0 or -errno. */
int ctl_dump_find_capture(struct json_object *d, char *ret_path, size_t path_len, char *ret_note,
    size_t note_len)
{
	const char *dir = state_dir_of(d);
	char name[RECORDER_FILE_NAME_LEN + 1];
	int r;

	if (dir == NULL || dir[0] == '\0') {
		snprintf(ret_note, note_len, "none: vigild did not say its state_dir");
		return -ENOENT;
	}
	r = latest_name(dir, name, sizeof(name));
	if (r == -ENOENT)
		snprintf(ret_note, note_len,
		    "none in %.200s yet (vigild writes one at each verdict)", dir);
	else if (r < 0)
		snprintf(ret_note, note_len, "cannot read %.200s: %s", dir, strerror(-r));
	if (r < 0)
		return r;
	if (snprintf(ret_path, path_len, "%s/%s", dir, name) >= (int)path_len) {
		snprintf(ret_note, note_len, "%.200s: path too long", dir);
		return -ENAMETOOLONG;
	}
	snprintf(ret_note, note_len, "%s", ret_path);
	return 0;
}

/* "vigil-dump-NODE-20240501T120000Z": the node name kept to safe bytes. */
static void top_name(struct json_object *d, int64_t now_ms, char *ret, size_t len)
{
	struct json_object *st, *v;
	const char *node = "node";
	char safe[33], stamp[20] = "time";
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;
	size_t i = 0;

	if (json_object_object_get_ex(d, "status", &st) &&
	    json_object_object_get_ex(st, "node", &v) && json_object_is_type(v, json_type_string))
		node = json_object_get_string(v);
	for (; node[i] != '\0' && i + 1 < sizeof(safe); i++)
		safe[i] = isalnum((unsigned char)node[i]) || strchr("._-", node[i]) ? node[i] : '_';
	safe[i] = '\0';
	if (gmtime_r(&t, &tm) == NULL || strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "time");
	snprintf(ret, len, "vigil-dump-%s-%s", safe[0] ? safe : "node", stamp);
}

/* The capture to include: opened now, so that the report can say what came of it. */
struct capture {
	int fd; /* -1: none */
	uint64_t size;
	char path[PATH_MAX];
	char note[PATH_MAX + 128];
};

static void capture_open(struct json_object *d, struct capture *c)
{
	struct stat sb;

	c->fd = -1;
	if (ctl_dump_find_capture(d, c->path, sizeof(c->path), c->note, sizeof(c->note)) < 0)
		return;
	c->fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (c->fd >= 0 && fstat(c->fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		c->size = (uint64_t)sb.st_size;
		snprintf(c->note, sizeof(c->note), "%.200s (%" PRIu64 " bytes), included as %s",
		    c->path, c->size, strrchr(c->path, '/') + 1);
		return;
	}
	snprintf(c->note, sizeof(c->note), "%.200s not included: %s", c->path,
	    c->fd < 0 ? strerror(errno) : "not a regular file");
	if (c->fd >= 0 && close(c->fd) != 0)
		warn("%s", c->path);
	c->fd = -1;
}

static struct json_object *part(struct json_object *d, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(d, key, &v) ? v : NULL;
}

/* Text made by fn into memory, then one member. */
static int add_printed(struct ctl_tar *t, const char *member, struct json_object *d,
    const struct capture *c, int64_t now_ms)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int r;

	if (m == NULL)
		return -errno;
	if (c == NULL)
		fprintf(m, "%s\n",
		    json_object_to_json_string_ext(d,
		        JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		            JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		ctl_print_dump(m, d, c->note, now_ms);
	r = fclose(m) == 0 ? 0 : -errno;
	if (r == 0)
		r = ctl_tar_add_mem(t, member, buf, len);
	free(buf);
	return r;
}

/* report.txt, status.json, events.json, dump.json (everything vigild sent), the capture. */
static int add_members(struct ctl_tar *t, struct json_object *d, const struct capture *c,
    const char *top, int64_t now_ms)
{
	static const char *const parts[][2] = { { "status.json", "status" },
		{ "events.json", "events" }, { "dump.json", NULL } };
	char member[TOP_MAX + 64];
	int r;

	snprintf(member, sizeof(member), "%s/", top);
	r = ctl_tar_add_dir(t, member);
	snprintf(member, sizeof(member), "%s/report.txt", top);
	r = r < 0 ? r : add_printed(t, member, d, c, now_ms);
	for (size_t i = 0; r == 0 && i < sizeof(parts) / sizeof(parts[0]); i++) {
		snprintf(member, sizeof(member), "%s/%s", top, parts[i][0]);
		r = add_printed(t, member, parts[i][1] ? part(d, parts[i][1]) : d, NULL, now_ms);
	}
	if (r == 0 && c->fd >= 0) {
		snprintf(member, sizeof(member), "%s/%s", top, strrchr(c->path, '/') + 1);
		r = ctl_tar_add_fd(t, member, c->fd, c->size);
	}
	return r < 0 ? r : ctl_tar_finish(t);
}

/* The archive into the temporary file f (consumed). */
static int write_archive(FILE *f, struct json_object *d, const struct capture *c, int64_t now_ms)
{
	char top[TOP_MAX];
	struct ctl_tar t;
	int r;

	top_name(d, now_ms, top, sizeof(top));
	ctl_tar_init(&t, f, now_ms / 1000);
	r = add_members(&t, d, c, top, now_ms);
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	return r;
}

int ctl_dump_archive(const char *path, struct json_object *d, int64_t now_ms)
{
	char tmp[PATH_MAX];
	struct capture c;
	FILE *f;
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC); /* 0600: a dump holds configuration details */
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "wb");
	if (f == NULL) {
		r = -errno;
		if (close(fd) != 0 || unlink(tmp) != 0)
			warn("%s", tmp);
		return r;
	}
	capture_open(d, &c);
	r = write_archive(f, d, &c, now_ms);
	if (c.fd >= 0 && close(c.fd) != 0)
		warn("%s", c.path);
	if (r == 0 && rename(tmp, path) != 0)
		r = -errno;
	if (r < 0 && unlink(tmp) != 0)
		warn("%s", tmp);
	if (r == 0 && c.fd < 0)
		warnx("dump: no flight recorder capture in %s: %s", path, c.note);
	return r;
}
