/* check-exec.c: the exec: module check through the one command runner (include/proc.h): exit 0 = up, stdout's first token the instance id. */
#include <errno.h>

#include "check-internal.h"
#include "check.h"
#include "proc.h"

void check_exec_release(struct check_run *r)
{
	proc_cancel(r->proc); /* kills the group: a check past its timeout leaves nothing behind */
	r->proc = NULL;
}

static void exec_on_done(const struct proc_result *res, void *arg)
{
	struct check_run *r = arg;
	int32_t pid = 0;

	/* The handle dies with this callback. */
	r->proc = NULL;
	/* Not run: ENOENT, EACCES, ENOEXEC are down; ENOMEM, EMFILE rejected. */
	if (res->spawn_error < 0)
		check_run_fail(r, CHECK_REASON_SPAWN, res->spawn_error);
	else if (res->exit_code != 0)
		check_run_done(r, CHECK_STATUS_DOWN, CHECK_REASON_EXIT, 0, 0);
	else if (check_parse_exec_output(res->output, res->output_len, &pid) == 0)
		check_run_done(r, CHECK_STATUS_UP, CHECK_REASON_OK, 0, pid);
	else /* exit 0, no number: up, pid 0 asks for the remembered id (check_new) */
		check_run_done(r, CHECK_STATUS_UP, CHECK_REASON_OK, 0, 0);
}

void check_exec_start(struct check_run *r)
{
	static const char *const env[] = { PROC_ENV_PATH, NULL };
	char buf[CONFIG_CMD_MAX], *argv[CONFIG_MAX_ARGS + 2];
	struct proc_spec spec = { .argv = (const char *const *)argv, .envp = env };
	int n = config_split_args(r->c->ck.target, buf, sizeof(buf), argv, CONFIG_MAX_ARGS + 2);
	int e;

	if (n <= 0) {
		check_run_fail(r, CHECK_REASON_SPAWN, n < 0 ? n : -EINVAL);
		return;
	}
	/*
	 * stdout alone: a warning on stderr must not hide the id. No timeout of its own: the run's
	 * timeout cancels it (check_exec_release).
	 */
	spec.discard_stderr = true;
	e = proc_run(r->c->l, &spec, exec_on_done, r, &r->proc);
	if (e == -EAGAIN) /* fork: vigild's process limit */
		check_run_done(r, CHECK_STATUS_REJECTED, CHECK_REASON_RESOURCES, e, 0);
	else if (e < 0)
		check_run_fail(r, CHECK_REASON_SPAWN, e);
}
