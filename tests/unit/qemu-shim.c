/*
 * qemu-shim.c: preloaded (LD_PRELOAD) into the unit tests that `make cross-check` runs under
 * qemu-user (mk/cross.mk); never linked into a test, never used on hardware. It does two things:
 *  - each test whose name matches a pattern of VIGIL_QEMU_SKIP (blank-separated, fnmatch(3)) is
 *    reported as skipped instead of run: it needs what qemu-user does not emulate;
 *  - setsockopt(IP_BIND_ADDRESS_NO_PORT), which qemu-user 7.2 refuses (ENOPROTOOPT), counts as
 *    done: it is a hint (the port is picked at connect, not at bind) that changes nothing the
 *    tests look at, and without it every peer-link test that dials from a bound address fails.
 * Every other test and call runs unchanged.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

typedef int (*run_group_fn)(const char *, const struct CMUnitTest *const, const size_t,
    CMFixtureFunction, CMFixtureFunction);
typedef int (*setsockopt_fn)(int, int, int, const void *, socklen_t);

static char *skips; /* VIGIL_QEMU_SKIP, kept before the environment is cleaned */

/* The tests' children (ip, sh) are host programs: neither variable may reach them. */
__attribute__((constructor)) static void qemu_shim_init(void)
{
	const char *s = getenv("VIGIL_QEMU_SKIP");

	skips = s != NULL ? strdup(s) : NULL;
	unsetenv("LD_PRELOAD");
	unsetenv("VIGIL_QEMU_SKIP");
}

static bool listed(const char *name)
{
	char *list, *tok, *save = NULL;
	bool hit = false;

	if (skips == NULL || (list = strdup(skips)) == NULL)
		return false;
	for (tok = strtok_r(list, " \t", &save); tok != NULL && !hit;
	     tok = strtok_r(NULL, " \t", &save))
		hit = fnmatch(tok, name, 0) == 0;
	free(list);
	return hit;
}

static void skipped(void **state)
{
	(void)state;
	print_message("skipped: not emulated by qemu-user (UNIT_QEMU_SKIP in mk/cross.mk)\n");
	skip();
}

int _cmocka_run_group_tests(const char *group_name, const struct CMUnitTest *const tests,
    const size_t num_tests, CMFixtureFunction group_setup, CMFixtureFunction group_teardown)
{
	run_group_fn real = (run_group_fn)dlsym(RTLD_NEXT, "_cmocka_run_group_tests");
	struct CMUnitTest *t = calloc(num_tests ? num_tests : 1, sizeof(*t));
	int r;

	if (real == NULL || t == NULL)
		abort();
	for (size_t i = 0; i < num_tests; i++) {
		t[i] = tests[i];
		if (listed(t[i].name)) {
			t[i].test_func = skipped;
			t[i].setup_func = NULL;
			t[i].teardown_func = NULL;
		}
	}
	r = real(group_name, t, num_tests, group_setup, group_teardown);
	free(t);
	return r;
}

int setsockopt(int fd, int level, int name, const void *value, socklen_t len)
{
	setsockopt_fn real = (setsockopt_fn)dlsym(RTLD_NEXT, "setsockopt");
	int r;

	if (real == NULL)
		abort();
	r = real(fd, level, name, value, len);
	if (r < 0 && errno == ENOPROTOOPT && level == IPPROTO_IP && name == IP_BIND_ADDRESS_NO_PORT)
		return 0;
	return r;
}
