/* check-local.c: the process: and pidfile: module checks, answered from /proc and kill(pid, 0) without waiting on anything. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check-internal.h"
#include "check.h"

#define COMM_MAX 16  /* TASK_COMM_LEN */
#define STAT_HEAD 64 /* "PID (COMM) S": enough for the state, and no ')' after COMM in it */
#define CMDLINE_HEAD 4096
#define PIDFILE_MAX 32
#define PROC_PATH_MAX 48

/*
 * Read at most size bytes of a small file; O_NONBLOCK so that a FIFO put where a pidfile should
 * be cannot hold the loop. 0 and *ret_len, or a negative errno.
 */
static int read_head(const char *path, char *buf, size_t size, size_t *ret_len)
{
	size_t len = 0;
	ssize_t n = 1;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0)
		return -errno;
	while (len < size && n > 0) {
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			n = 1;
		else if (n > 0)
			len += (size_t)n;
	}
	n = n < 0 ? -errno : 0;
	(void)close(fd); /* read-only: nothing lost if it fails */
	if (n < 0 && n != -EAGAIN)
		return (int)n;
	*ret_len = len;
	return 0;
}

/* 0 and comm/state of a live process, -ESRCH if gone, or another negative errno. */
static int proc_stat(int32_t pid, char *ret_comm, char *ret_state)
{
	char path[PROC_PATH_MAX], buf[STAT_HEAD];
	size_t len = 0;
	int e;

	(void)snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	e = read_head(path, buf, sizeof(buf), &len);
	if (e == -ENOENT)
		return -ESRCH;
	if (e < 0)
		return e;
	return check_parse_stat(buf, len, ret_comm, ret_state) == 0 ? 0 : -ESRCH;
}

static bool state_dead(char state)
{
	return state == 'Z' || state == 'X' || state == 'x';
}

/* argv[0]'s basename is name (for names longer than comm keeps). */
static bool argv0_is(int32_t pid, const char *name)
{
	char path[PROC_PATH_MAX], buf[CMDLINE_HEAD];
	size_t len = 0;
	const char *base;

	(void)snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (read_head(path, buf, sizeof(buf) - 1, &len) < 0)
		return false;
	buf[len] = '\0'; /* argv[0] ends at the first NUL */
	base = strrchr(buf, '/');
	return strcmp(base ? base + 1 : buf, name) == 0;
}

/* 1 if pid is a live process called name, 0 if not, or a negative errno of ours (EMFILE). */
static int process_match(int32_t pid, const char *name)
{
	char comm[COMM_MAX], state = 0;
	size_t n = strlen(name);
	int e = proc_stat(pid, comm, &state);

	if (e == -ESRCH || e == -EACCES)
		return 0;
	if (e < 0)
		return check_errno_ours(e) ? e : 0;
	if (state_dead(state))
		return 0;
	if (n < COMM_MAX)
		return strcmp(comm, name) == 0;
	return strncmp(comm, name, COMM_MAX - 1) == 0 && argv0_is(pid, name);
}

static int32_t dirent_pid(const char *s)
{
	int32_t pid = 0;

	/* /proc entries are "123": the pidfile grammar without the blanks. */
	if (s[0] < '1' || s[0] > '9' || check_parse_pidfile(s, strlen(s), &pid) < 0)
		return 0;
	return pid;
}

/* The lowest PID of a live process called name: 0 (none) or the PID, or a negative errno. */
static int32_t process_scan(const char *name)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int32_t best = 0, pid;
	int m = 0;

	if (d == NULL)
		return -errno;
	for (errno = 0; m >= 0 && (de = readdir(d)) != NULL; errno = 0) {
		pid = dirent_pid(de->d_name);
		if (pid > 0 && (best == 0 || pid < best)) {
			m = process_match(pid, name);
			best = m > 0 ? pid : best;
		}
	}
	if (m >= 0 && errno != 0)
		m = -errno;
	(void)closedir(d); /* a directory read-only: nothing lost */
	return m < 0 ? m : best;
}

void check_process_start(struct check_run *r)
{
	int32_t pid = process_scan(r->c->ck.target);

	if (pid > 0)
		check_run_done(r, CHECK_STATUS_UP, CHECK_REASON_OK, 0, pid);
	else if (pid == 0)
		check_run_done(r, CHECK_STATUS_DOWN, CHECK_REASON_NOT_FOUND, -ESRCH, 0);
	else /* /proc unreadable for want of descriptors or memory: rejected; otherwise down */
		check_run_fail(r, CHECK_REASON_NOT_FOUND, pid);
}

/* 0 if pid runs (and is not a zombie), -ESRCH if not. */
static int pid_alive(int32_t pid)
{
	char comm[COMM_MAX], state = 0;

	/* EPERM: it exists, as another user's process (vigild runs as its own user). */
	if (kill((pid_t)pid, 0) < 0 && errno != EPERM)
		return -ESRCH;
	/* Unreadable stat (hidepid): trust kill(). */
	if (proc_stat(pid, comm, &state) == 0 && state_dead(state))
		return -ESRCH;
	return 0;
}

void check_pidfile_start(struct check_run *r)
{
	char buf[PIDFILE_MAX];
	size_t len = 0;
	int32_t pid = 0;
	int e = read_head(r->c->ck.target, buf, sizeof(buf), &len);

	if (e < 0) /* ENOENT, EACCES: down; EMFILE: rejected */
		check_run_fail(r, CHECK_REASON_PIDFILE, e);
	else if (check_parse_pidfile(buf, len, &pid) < 0)
		check_run_done(r, CHECK_STATUS_DOWN, CHECK_REASON_PIDFILE, -EINVAL, 0);
	else if (pid_alive(pid) < 0)
		check_run_done(r, CHECK_STATUS_DOWN, CHECK_REASON_STALE, -ESRCH, 0);
	else
		check_run_done(r, CHECK_STATUS_UP, CHECK_REASON_OK, 0, pid);
}
