/* netns.h: unit-test helpers: a fresh network namespace of the test's own, set up with ip(8) run without a shell. */
#ifndef VIGIL_TEST_NETNS_H
#define VIGIL_TEST_NETNS_H

#include <errno.h>
#include <sched.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define NETNS_MAX_ARGS 24

extern char **environ;

/* Run a command (NULL-terminated arguments), wait for it: 0 if it exited 0. */
static inline int netns_run(const char *arg0, ...)
{
	char *argv[NETNS_MAX_ARGS + 1];
	va_list ap;
	pid_t pid;
	int n = 0, st;

	argv[n++] = (char *)arg0;
	va_start(ap, arg0);
	while (n < NETNS_MAX_ARGS && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	if (posix_spawnp(&pid, arg0, NULL, NULL, argv, environ) != 0)
		return -ENOENT;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

/*
 * Move the calling thread into a new, empty network namespace with loopback up; threads it
 * starts later live there too. Tests never send outside such a namespace. -EPERM when not root
 * (the caller skips), or another negative errno.
 */
static inline int netns_enter(void)
{
	if (geteuid() != 0)
		return -EPERM;
	if (unshare(CLONE_NEWNET) != 0)
		return -errno;
	return netns_run("ip", "link", "set", "lo", "up", NULL);
}

#endif /* VIGIL_TEST_NETNS_H */
