/* test_control.c: the control socket end to end: real sockets in a temp dir, a real loop, vigilctl's own client code in a child. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "../../cli/ctl.h"
#include "control.h"
#include "decide.h"
#include "loop.h"
#include "store.h"

#define BASE_WALL_MS INT64_C(1714564800000) /* 2024-05-01T12:00:00.000Z */
#define N_CALLS 32
#define TEXT_MAX 16384
#define CHILD_LIMIT_MS 15000
#define READ_GID ((gid_t)4242) /* groups no test machine uses */
#define ADMIN_GID ((gid_t)4343)
#define NOBODY ((uid_t)65534)

/* What a child saw, call by call, in memory shared with the parent. */
struct shared {
	int rc[N_CALLS];
	int64_t ms[N_CALLS]; /* elapsed */
	int lines[N_CALLS];
	char error[N_CALLS][CTL_ERROR_MAX];
	char text[N_CALLS][TEXT_MAX]; /* final object, or raw answer bytes */
	char lines_text[N_CALLS][TEXT_MAX];
	int follow_stop;
};

struct fx {
	char dir[64];
	char sock[100];
	char state[128];
	struct loop *loop;
	struct control *ctl;
	struct store *journal;
	struct loop_timer *tick;
	struct shared *sh;
	pid_t child;
	int child_status;
	uint64_t child_deadline;
	void (*on_tick)(struct fx *f);
	int ticks;
	/* what the handlers saw */
	struct decide_status st;
	int act_calls;
	char act_cmd[16];
	bool act_force;
	char act_scenario[32];
	uint32_t act_for_ms;
	bool act_live;
	int act_rc;
	int refused_calls;
	char refused_cmd[16];
	char refused_why[256];
};

/* ---- handlers: the daemon's side ---- */

static void fill_status(struct decide_status *st)
{
	*st = (struct decide_status){ .state = ST_BACKUP,
		.generation = 42,
		.peer_state = ST_PRIMARY,
		.conn_up = { true, false },
		.net = NET_GATEWAY_REACHED,
		.primary_host = REACH_REACHED,
		.module_pid = 1234,
		.module_responding = true,
		.module_restarts = 1,
		.verdict = VERDICT_NONE,
		.last_verdict = VERDICT_MODULE_DOWN,
		.last_verdict_ms = 5000,
		.sync = SYNC_IN,
		.config_drift = false,
		.last_switch = REASON_MODULE_DOWN,
		.last_switch_ms = 6000,
		.ready = true };
}

static const struct control_status_extra test_extra = {
	.node = "alpha",
	.role_a = true,
	.manual = false,
	.peer_name = "beta",
	.version = "0.1-test",
	.wall_offset_ms = BASE_WALL_MS,
	.now_ms = 3600 * 1000 + 1000,
	.started_ms = 1000,
};

static int on_status(void *arg, struct json_object *ret)
{
	struct fx *f = arg;

	return control_status_json(&f->st, &test_extra, ret);
}

static int on_act(void *arg, const struct control_caller *who, const struct control_act *a,
    char *msg, size_t len)
{
	struct fx *f = arg;

	(void)who;
	f->act_calls++;
	snprintf(f->act_cmd, sizeof(f->act_cmd), "%s", a->cmd);
	f->act_force = a->force;
	snprintf(f->act_scenario, sizeof(f->act_scenario), "%s", a->scenario);
	f->act_for_ms = a->for_ms;
	f->act_live = a->live;
	if (f->act_rc < 0)
		snprintf(msg, len, "sync_check says this backup is not in sync; use --force");
	else
		snprintf(msg, len, "switching over");
	return f->act_rc;
}

static void on_refused(void *arg, const struct control_caller *who, const char *cmd,
    const char *why)
{
	struct fx *f = arg;

	(void)who;
	f->refused_calls++;
	snprintf(f->refused_cmd, sizeof(f->refused_cmd), "%s", cmd);
	snprintf(f->refused_why, sizeof(f->refused_why), "%s", why);
}

static const struct control_handlers handlers = {
	.status = on_status,
	.act = on_act,
	.refused = on_refused,
};

/* ---- fixture ---- */

static int server_start(struct fx *f, const struct control_options *extra)
{
	struct control_options o = { .socket_path = f->sock,
		.state_dir = f->state,
		.policy = { .read_gid = CONTROL_NO_GROUP, .admin_gid = CONTROL_NO_GROUP } };

	if (extra != NULL) {
		o.policy = extra->policy;
		o.idle_timeout_ms = extra->idle_timeout_ms;
		o.max_clients = extra->max_clients;
	}
	return control_new(f->loop, &o, &handlers, f, &f->ctl);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct store_options so = { .write = true };

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-ctl-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(chmod(f->dir, 0755), 0); /* an unprivileged child must reach the socket */
	snprintf(f->sock, sizeof(f->sock), "%s/run/vigild.sock", f->dir);
	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	f->sh =
	    mmap(NULL, sizeof(*f->sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(f->sh != MAP_FAILED);
	assert_int_equal(loop_new(&f->loop), 0);
	assert_int_equal(store_open(f->state, &so, &f->journal), 0);
	fill_status(&f->st);
	*state = f;
	return 0;
}

static void rm_rf(const char *dir)
{
	char cmd[160];
	const char *argv[] = { "/bin/rm", "-rf", cmd, NULL };
	pid_t pid;
	int st;

	snprintf(cmd, sizeof(cmd), "%s", dir);
	pid = fork();
	if (pid == 0) {
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	control_free(f->ctl);
	loop_timer_free(f->tick);
	store_close(f->journal);
	loop_free(f->loop);
	munmap(f->sh, sizeof(*f->sh));
	rm_rf(f->dir);
	free(f);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- running a child client while the loop serves ---- */

static void on_tick(void *arg)
{
	struct fx *f = arg;
	int st;

	f->ticks++;
	if (f->on_tick != NULL)
		f->on_tick(f);
	if (waitpid(f->child, &st, WNOHANG) == f->child) {
		f->child_status = st;
		f->child = 0;
		loop_stop(f->loop);
		return;
	}
	if (loop_now_ms(f->loop) > f->child_deadline) {
		kill(f->child, SIGKILL);
		waitpid(f->child, &st, 0);
		f->child_status = -1;
		f->child = 0;
		loop_stop(f->loop);
		return;
	}
	loop_timer_at(f->tick, loop_now_ms(f->loop) + 5);
}

typedef void child_fn(struct fx *f);

static void run_child(struct fx *f, child_fn *fn)
{
	memset(f->sh, 0, sizeof(*f->sh));
	fflush(NULL);
	f->child = fork();
	assert_true(f->child >= 0);
	if (f->child == 0) {
		fn(f);
		_exit(0);
	}
	if (f->tick == NULL)
		f->tick = loop_timer_new(f->loop, on_tick, f);
	assert_non_null(f->tick);
	f->child_deadline = loop_now_ms(f->loop) + CHILD_LIMIT_MS;
	assert_int_equal(loop_timer_at(f->tick, loop_now_ms(f->loop) + 5), 0);
	assert_int_equal(loop_run(f->loop), 0);
	assert_true(WIFEXITED(f->child_status));
	assert_int_equal(WEXITSTATUS(f->child_status), 0);
}

/* ctl_line_fn for children: count and keep the record lines; stop after stop_after. */
struct keeper {
	struct shared *sh;
	int i;
	int stop_after; /* 0: never */
};

static int keep_record(struct json_object *line, void *arg)
{
	struct keeper *k = arg;
	char *t = k->sh->lines_text[k->i];
	size_t used = strlen(t);

	snprintf(t + used, TEXT_MAX - used, "%s\n",
	    json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN));
	k->sh->lines[k->i]++;
	return k->stop_after > 0 && k->sh->lines[k->i] >= k->stop_after ? 1 : 0;
}

/* One call of vigilctl's client code path, its outcome kept in slot i. */
static void call(struct fx *f, int i, const struct ctl_request *rq, int stop_after)
{
	struct keeper k = { .sh = f->sh, .i = i, .stop_after = stop_after };
	struct ctl_reply rep;
	int64_t t0 = now_ms();

	f->sh->rc[i] = ctl_call(f->sock, rq, 5000, keep_record, &k, &rep);
	f->sh->ms[i] = now_ms() - t0;
	snprintf(f->sh->error[i], CTL_ERROR_MAX, "%s", rep.error);
	if (rep.final != NULL)
		snprintf(f->sh->text[i], TEXT_MAX, "%s",
		    json_object_to_json_string_ext(rep.final, JSON_C_TO_STRING_PLAIN));
	json_object_put(rep.final);
}

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return fd;
}

/* Read until EOF (or timeout_ms); -1 on timeout. */
static ssize_t read_to_eof(int fd, char *buf, size_t size, int timeout_ms)
{
	size_t len = 0;
	int64_t end = now_ms() + timeout_ms;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (now_ms() >= end || poll(&p, 1, (int)(end - now_ms())) <= 0)
			return -1;
		n = recv(fd, buf + len, size - 1 - len, 0);
		if (n <= 0) {
			buf[len] = '\0';
			return (ssize_t)len;
		}
		len += (size_t)n;
	}
}

/* A raw request (any bytes) and the raw answer, in slot i. */
static void raw_call(struct fx *f, int i, const char *req, size_t len)
{
	int fd = raw_connect(f->sock);

	if (fd < 0) {
		f->sh->rc[i] = -errno;
		return;
	}
	(void)send(fd, req, len, MSG_NOSIGNAL); /* a too-long one may be cut off mid-way */
	f->sh->rc[i] = read_to_eof(fd, f->sh->text[i], TEXT_MAX, 3000) < 0 ? -ETIMEDOUT : 0;
	close(fd);
}

static struct json_object *parse(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	assert_non_null(o);
	return o;
}

static struct json_object *get(struct json_object *o, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		assert_true(json_object_object_get_ex(o, key, &o));
		path = dot + 1;
	}
	assert_true(json_object_object_get_ex(o, path, &o));
	return o;
}

static void assert_str(struct json_object *o, const char *path, const char *want)
{
	struct json_object *v = get(o, path);

	assert_true(json_object_is_type(v, json_type_string));
	if (want != NULL)
		assert_string_equal(json_object_get_string(v), want);
}

static void assert_type(struct json_object *o, const char *path, enum json_type t)
{
	struct json_object *v = get(o, path);

	if (t == json_type_null)
		assert_null(v);
	else
		assert_true(json_object_is_type(v, t));
}

/* ---- journal ---- */

static void journal_add(struct fx *f, uint64_t mono, const char *state, const char *kind,
    const char *verdict, const char *reason, const char *detail)
{
	struct store_record r = { .mono_ms = mono };

	assert_int_equal(store_time_format(BASE_WALL_MS + (int64_t)mono, r.time), 0);
	snprintf(r.state, sizeof(r.state), "%s", state);
	snprintf(r.kind, sizeof(r.kind), "%s", kind);
	snprintf(r.verdict, sizeof(r.verdict), "%s", verdict ? verdict : "");
	snprintf(r.reason, sizeof(r.reason), "%s", reason ? reason : "");
	snprintf(r.detail, sizeof(r.detail), "%s", detail);
	assert_int_equal(store_journal_append(f->journal, &r, 0), 0);
}

/* ================= tests ================= */

static void child_status(struct fx *f)
{
	struct ctl_request rq = { .cmd = "status" };

	call(f, 0, &rq, 0);
}

/* status through vigilctl's own request/answer code, with the SPEC field names and types. */
static void test_status_round_trip(void **state)
{
	struct fx *f = *state;
	struct json_object *o, *st;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;

	assert_int_equal(server_start(f, NULL), 0);
	run_child(f, child_status);
	assert_int_equal(f->sh->rc[0], 0);
	assert_true(f->sh->ms[0] < 2000);
	o = parse(f->sh->text[0]);
	assert_true(json_object_get_boolean(get(o, "ok")));
	st = get(o, "status");
	assert_str(st, "node", "alpha");
	assert_str(st, "state", "backup");
	assert_str(st, "peer.state", "primary");
	assert_str(st, "connections.aux", "down");
	/* The human form an operator reads: aligned, in words, humanised. */
	mem = open_memstream(&buf, &len);
	assert_non_null(mem);
	ctl_print_status(mem, st, BASE_WALL_MS + 6000 + 133000);
	fclose(mem);
	assert_non_null(strstr(buf, "state         backup: standing by, watching the primary\n"));
	assert_non_null(strstr(buf, "connections   main up, aux down\n"));
	assert_non_null(strstr(buf, "module        pid 1234, responding, 1 restart\n"));
	assert_non_null(strstr(buf,
	    "last switch   module-down: the module on the primary stopped "
	    "answering, 2m 13s ago ("));
	assert_non_null(strstr(buf, "peer          beta: primary\n"));
	free(buf);
	json_object_put(o);
	assert_int_equal(control_counters(f->ctl)->requests, 1);
}

/* SPEC "status --json": every contract field, its name and its JSON type. */
static void test_status_contract(void **state)
{
	struct fx *f = *state;
	struct json_object *o = json_object_new_object();
	int64_t t;

	assert_int_equal(control_status_json(&f->st, &test_extra, o), 0);
	assert_str(o, "node", "alpha");
	assert_str(o, "role", "A");
	assert_str(o, "state", "backup");
	assert_str(o, "mode", "auto");
	assert_type(o, "generation", json_type_int);
	assert_int_equal(json_object_get_int64(get(o, "generation")), 42);
	assert_str(o, "peer.state", "primary");
	assert_str(o, "connections.main", "up");
	assert_str(o, "connections.aux", "down");
	assert_str(o, "network.status", "gateway-reached");
	assert_str(o, "primary_host", "reached");
	assert_type(o, "module.pid", json_type_int);
	assert_int_equal(json_object_get_int(get(o, "module.pid")), 1234);
	assert_type(o, "module.responding", json_type_boolean);
	assert_type(o, "module.restarts", json_type_int);
	assert_str(o, "verdict", "none");
	assert_str(o, "last_verdict.kind", "module-down");
	assert_str(o, "last_verdict.time", "2024-05-01T12:00:05.000Z");
	assert_str(o, "sync", "in-sync");
	assert_type(o, "config_drift", json_type_boolean);
	assert_str(o, "last_switch.reason", "module-down");
	assert_str(o, "last_switch.time", NULL);
	assert_int_equal(ctl_parse_time(json_object_get_string(get(o, "last_switch.time")), &t), 0);
	assert_int_equal(t, BASE_WALL_MS + 6000);
	/* extras */
	assert_type(o, "withheld", json_type_null);
	assert_type(o, "ready", json_type_boolean);
	assert_str(o, "peer.name", "beta");
	assert_str(o, "version", "0.1-test");
	assert_int_equal(json_object_get_int(get(o, "uptime_s")), 3600);
	json_object_put(o);
}

/* Nothing yet: nulls where the SPEC says null; role B, manual mode, unknown peer. */
static void test_status_contract_nulls(void **state)
{
	struct control_status_extra x = test_extra;
	struct decide_status st = { .state = ST_INIT, .peer_state = ST_UNKNOWN };
	struct json_object *o;

	(void)state;
	x.role_a = false;
	x.manual = true;
	o = json_object_new_object();
	assert_int_equal(control_status_json(&st, &x, o), 0);
	assert_str(o, "role", "B");
	assert_str(o, "mode", "manual");
	assert_str(o, "peer.state", "unknown");
	assert_str(o, "network.status", "unknown");
	assert_str(o, "primary_host", "unknown");
	assert_str(o, "sync", "unknown");
	assert_type(o, "module.pid", json_type_null);
	assert_type(o, "last_verdict", json_type_null);
	assert_type(o, "last_switch", json_type_null);
	json_object_put(o);
	assert_int_equal(control_status_json(NULL, &x, o), -EINVAL);
}

static void child_events(struct fx *f)
{
	struct ctl_request rq = { .cmd = "events", .n = 5 };
	struct ctl_request all = { .cmd = "events" };

	call(f, 0, &rq, 0);
	call(f, 1, &all, 0);
}

/* events -n from a journal written with the store API. */
static void test_events_last_n(void **state)
{
	struct fx *f = *state;
	struct json_object *rec, *fin;
	char *line;

	for (int i = 1; i <= 30; i++)
		journal_add(f, (uint64_t)i * 1000, "backup", "monitor", NULL, NULL,
		    "notifier ping");
	assert_int_equal(server_start(f, NULL), 0);
	run_child(f, child_events);
	assert_int_equal(f->sh->rc[0], 0);
	assert_int_equal(f->sh->lines[0], 5);
	assert_int_equal(f->sh->lines[1], CONTROL_EVENTS_DEFAULT);
	fin = parse(f->sh->text[0]);
	assert_true(json_object_get_boolean(get(fin, "end")));
	json_object_put(fin);
	/* Oldest first: records 26..30, each with the SPEC "events --json" fields. */
	line = f->sh->lines_text[0];
	for (int i = 26; i <= 30; i++) {
		char *nl = strchr(line, '\n');

		assert_non_null(nl);
		*nl = '\0';
		rec = parse(line);
		assert_str(rec, "time", NULL);
		assert_type(rec, "mono_ms", json_type_int);
		assert_int_equal(json_object_get_int64(get(rec, "mono_ms")), i * 1000);
		assert_str(rec, "state", "backup");
		assert_str(rec, "kind", "monitor");
		assert_str(rec, "detail", "notifier ping");
		json_object_put(rec);
		line = nl + 1;
	}
}

static void follow_tick(struct fx *f)
{
	/* After the follower is in, add a record now and then. */
	if (f->ticks % 20 == 0 && f->ticks <= 200)
		journal_add(f, 100000 + (uint64_t)f->ticks, "backup", "module", NULL, NULL, "new");
}

static void child_follow(struct fx *f)
{
	struct ctl_request rq = { .cmd = "events", .n = 1, .follow = true };

	call(f, 0, &rq, 3); /* the old record, then two new ones */
}

static void test_events_follow(void **state)
{
	struct fx *f = *state;

	journal_add(f, 1000, "backup", "monitor", NULL, NULL, "old");
	assert_int_equal(server_start(f, NULL), 0);
	f->on_tick = follow_tick;
	run_child(f, child_follow);
	assert_int_equal(f->sh->rc[0], 1); /* stopped by the line callback */
	assert_int_equal(f->sh->lines[0], 3);
	assert_non_null(strstr(f->sh->lines_text[0], "\"detail\":\"old\""));
	assert_non_null(strstr(f->sh->lines_text[0], "\"detail\":\"new\""));
}

static void child_why(struct fx *f)
{
	struct ctl_request rq = { .cmd = "why" };

	call(f, 0, &rq, 0);
}

/* why: the switch, the verdict before it, the diagnosis before that, and the episode's
 * module/monitor records; nothing from before the node settled in backup. */
static void test_why_chain(void **state)
{
	struct fx *f = *state;
	struct json_object *o, *why, *chain;
	static const char *const want[] = { "module", "module", "monitor", "diagnosis", "verdict",
		"switch" };
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;

	journal_add(f, 1000, "backup", "module", NULL, NULL, "old episode: must not show");
	journal_add(f, 2000, "backup", "transition", NULL, NULL, "state init -> backup");
	journal_add(f, 3000, "backup", "module", NULL, NULL, "module ping on main: no pong");
	journal_add(f, 3200, "backup", "module", NULL, NULL, "module-down");
	journal_add(f, 3300, "backup", "monitor", NULL, NULL, "confirming");
	journal_add(f, 3400, "backup", "diagnosis", NULL, NULL, "diagnosis: main up");
	journal_add(f, 3401, "backup", "verdict", "module-down", NULL, "verdict module-down");
	journal_add(f, 3402, "primary", "switch", NULL, "module-down",
	    "switch: this node is primary");
	journal_add(f, 3403, "primary", "transition", NULL, NULL, "state backup -> primary");
	assert_int_equal(server_start(f, NULL), 0);
	run_child(f, child_why);
	assert_int_equal(f->sh->rc[0], 0);
	o = parse(f->sh->text[0]);
	why = get(o, "why");
	assert_str(why, "anchor.kind", "switch");
	assert_str(why, "anchor.reason", "module-down");
	chain = get(why, "chain");
	assert_int_equal(json_object_array_length(chain), 6);
	for (size_t i = 0; i < 6; i++)
		assert_str(json_object_array_get_idx(chain, i), "kind", want[i]);
	mem = open_memstream(&buf, &len);
	ctl_print_why(mem, why, BASE_WALL_MS + 3402 + 65000);
	fclose(mem);
	assert_non_null(strstr(buf,
	    "last switch: module-down (the module on the primary stopped "
	    "answering), 1m 5s ago"));
	assert_null(strstr(buf, "old episode"));
	free(buf);
	json_object_put(o);
}

static void test_why_nothing(void **state)
{
	struct fx *f = *state;
	struct json_object *o;

	journal_add(f, 1000, "backup", "monitor", NULL, NULL, "quiet");
	assert_int_equal(server_start(f, NULL), 0);
	run_child(f, child_why);
	assert_int_equal(f->sh->rc[0], 0);
	o = parse(f->sh->text[0]);
	assert_type(get(o, "why"), "anchor", json_type_null);
	assert_int_equal(json_object_array_length(get(o, "why.chain")), 0);
	json_object_put(o);
}

static void child_dump(struct fx *f)
{
	struct ctl_request rq = { .cmd = "dump" };

	call(f, 0, &rq, 0);
}

/* dump: status, the control counters (rejections by name) and the recent events. */
static void test_dump(void **state)
{
	struct fx *f = *state;
	struct json_object *o;

	journal_add(f, 1000, "backup", "monitor", NULL, NULL, "one");
	journal_add(f, 2000, "backup", "monitor", NULL, NULL, "two");
	assert_int_equal(server_start(f, NULL), 0);
	run_child(f, child_dump);
	assert_int_equal(f->sh->rc[0], 0);
	o = parse(f->sh->text[0]);
	assert_str(o, "dump.status.state", "backup");
	assert_type(o, "dump.control.rejected.not-json", json_type_int);
	assert_int_equal(json_object_get_int(get(o, "dump.control.requests")), 1);
	assert_int_equal(json_object_array_length(get(o, "dump.events")), 2);
	json_object_put(o);
}

/* The rights rule alone, with crafted credentials. */
static void test_access_rule(void **state)
{
	const struct control_policy p = { .read_gid = READ_GID, .admin_gid = ADMIN_GID };
	const struct control_policy none = { .read_gid = CONTROL_NO_GROUP,
		.admin_gid = CONTROL_NO_GROUP };
	const gid_t reader[] = { 100, READ_GID };
	const gid_t admin[] = { ADMIN_GID };

	(void)state;
	assert_int_equal(control_check_access(&p, 0, 0, NULL, 0, true), 0);
	assert_int_equal(control_check_access(&p, 1000, 1000, reader, 2, false), 0);
	assert_int_equal(control_check_access(&p, 1000, 1000, reader, 2, true), -EACCES);
	assert_int_equal(control_check_access(&p, 1000, READ_GID, NULL, 0, false), 0);
	assert_int_equal(control_check_access(&p, 1000, 1000, admin, 1, true), 0);
	assert_int_equal(control_check_access(&p, 1000, 1000, admin, 1, false), 0);
	assert_int_equal(control_check_access(&p, 1000, ADMIN_GID, NULL, 0, true), 0);
	assert_int_equal(control_check_access(&p, 1000, 1000, NULL, 0, false), -EACCES);
	/* No groups configured: root only, whatever a (gid_t)-1 in a list would say. */
	assert_int_equal(control_check_access(&none, 1000, CONTROL_NO_GROUP, NULL, 0, false),
	    -EACCES);
	assert_int_equal(control_check_access(&none, 0, 0, NULL, 0, true), 0);
	assert_true(control_cmd_is_act("switch"));
	assert_true(control_cmd_is_act("reload"));
	assert_false(control_cmd_is_act("status"));
	assert_false(control_cmd_is_act("bogus"));
}

static void child_reader(struct fx *f)
{
	struct ctl_request status = { .cmd = "status" };
	struct ctl_request sw = { .cmd = "switch", .force = true };
	gid_t g = READ_GID;

	if (setgroups(1, &g) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0) {
		f->sh->rc[0] = f->sh->rc[1] = 12345;
		return;
	}
	call(f, 0, &status, 0);
	call(f, 1, &sw, 0);
}

static void child_stranger(struct fx *f)
{
	struct ctl_request status = { .cmd = "status" };

	if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0) {
		f->sh->rc[0] = 12345;
		return;
	}
	call(f, 0, &status, 0);
}

static void child_root_switch(struct fx *f)
{
	struct ctl_request sw = { .cmd = "switch" };

	call(f, 0, &sw, 0);
}

/* Through the socket: a control_group member reads but may not act; a stranger may not even
 * connect; root acts. Needs root to make the callers. */
static void test_access_socket(void **state)
{
	struct fx *f = *state;
	struct control_options o = { .policy = { .read_gid = READ_GID, .admin_gid = ADMIN_GID } };
	struct stat st;

	if (geteuid() != 0)
		skip();
	assert_int_equal(server_start(f, &o), 0);
	assert_int_equal(stat(f->sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(st.st_gid, READ_GID);
	run_child(f, child_reader);
	assert_int_equal(f->sh->rc[0], 0);
	assert_int_equal(f->sh->rc[1], -EACCES);
	assert_string_equal(f->sh->error[1],
	    "permission denied: switch needs root or group '4343'");
	assert_int_equal(f->act_calls, 0);
	assert_int_equal(f->refused_calls, 1);
	assert_string_equal(f->refused_cmd, "switch");
	assert_int_equal(control_counters(f->ctl)->rejected[CONTROL_REJECT_PERMISSION], 1);
	run_child(f, child_stranger);
	assert_int_equal(f->sh->rc[0], -EACCES); /* the socket file's mode stops it */
	assert_non_null(strstr(f->sh->error[0], "permission denied"));
	run_child(f, child_root_switch);
	assert_int_equal(f->sh->rc[0], 0);
	assert_int_equal(f->act_calls, 1);
	assert_string_equal(f->act_cmd, "switch");
}

static void child_act(struct fx *f)
{
	struct ctl_request sw = { .cmd = "switch" };
	struct ctl_request force = { .cmd = "switch", .force = true };

	call(f, 0, &sw, 0);
	call(f, 1, &force, 0);
}

/* A command the daemon refuses: its one-line reason reaches the client. */
static void test_act_refused(void **state)
{
	struct fx *f = *state;

	f->act_rc = -EPERM;
	assert_int_equal(server_start(f, NULL), 0);
	run_child(f, child_act);
	assert_int_equal(f->sh->rc[0], -EREMOTEIO);
	assert_string_equal(f->sh->error[0],
	    "sync_check says this backup is not in sync; use --force");
	assert_int_equal(f->sh->rc[1], -EREMOTEIO);
	assert_true(f->act_force);
	assert_int_equal(control_counters(f->ctl)->act_refused, 2);
}

static void child_drill(struct fx *f)
{
	struct ctl_request d = { .cmd = "drill",
		.scenario = "wan-cut",
		.for_ms = 12000,
		.live = true };
	struct ctl_request dflt = { .cmd = "drill", .scenario = "module" };

	call(f, 0, &d, 0);
	call(f, 1, &dflt, 0);
}

/* drill: the client's scenario, --for and --live reach the daemon as sent; --for defaults to
 * SPEC's 30 s when left out. */
static void test_drill_request(void **state)
{
	struct fx *f = *state;

	assert_int_equal(server_start(f, NULL), 0);
	run_child(f, child_drill);
	assert_int_equal(f->sh->rc[0], 0);
	assert_int_equal(f->sh->rc[1], 0);
	assert_int_equal(f->act_calls, 2);
	assert_string_equal(f->act_cmd, "drill");
	assert_string_equal(f->act_scenario, "module");
	assert_int_equal(f->act_for_ms, CONTROL_DRILL_DEFAULT_MS);
	assert_false(f->act_live);
}

static void child_drill_first(struct fx *f)
{
	struct ctl_request d = { .cmd = "drill",
		.scenario = "wan-cut",
		.for_ms = 12000,
		.live = true };

	call(f, 0, &d, 0);
}

static void test_drill_request_live(void **state)
{
	struct fx *f = *state;

	assert_int_equal(server_start(f, NULL), 0);
	run_child(f, child_drill_first);
	assert_int_equal(f->sh->rc[0], 0);
	assert_string_equal(f->act_scenario, "wan-cut");
	assert_int_equal(f->act_for_ms, 12000);
	assert_true(f->act_live);
	assert_true(control_cmd_is_act("drill"));
}

struct bad {
	const char *req;
	size_t len;
	enum control_reject kind;
	const char *why;
};

static const struct bad bad_requests[] = {
	{ "not json\n", 0, CONTROL_REJECT_NOT_JSON, "request is not JSON" },
	{ "[1,2]\n", 0, CONTROL_REJECT_NOT_OBJECT, "must be a JSON object" },
	{ "{\"cmd\":\"status\"} x\n", 0, CONTROL_REJECT_NOT_JSON, "request is not JSON" },
	{ "{\"cmd\":\"status\"}{}\n", 0, CONTROL_REJECT_NOT_JSON, "request is not JSON" },
	{ "{\"cmd\":\"st\0atus\"}\n", 18, CONTROL_REJECT_NUL, "NUL" },
	{ "{\"cmd\":5}\n", 0, CONTROL_REJECT_BAD_CMD, "cmd: must be a string" },
	{ "{\"cmd\":\"bogus\"}\n", 0, CONTROL_REJECT_BAD_CMD, "unknown command 'bogus'" },
	{ "{\"force\":true}\n", 0, CONTROL_REJECT_BAD_CMD, "cmd: missing" },
	{ "{\"cmd\":\"status\",\"extra\":1}\n", 0, CONTROL_REJECT_UNKNOWN_KEY,
	    "unknown field 'extra'" },
	{ "{\"cmd\":\"switch\",\"force\":\"yes\"}\n", 0, CONTROL_REJECT_BAD_TYPE,
	    "force: must be" },
	{ "{\"cmd\":\"events\",\"n\":\"5\"}\n", 0, CONTROL_REJECT_BAD_TYPE,
	    "n: must be an integer" },
	{ "{\"cmd\":\"events\",\"n\":1.5}\n", 0, CONTROL_REJECT_BAD_TYPE, "n: must be an integer" },
	{ "{\"cmd\":\"events\",\"n\":0}\n", 0, CONTROL_REJECT_BAD_VALUE, "n: must be 1-" },
	{ "{\"cmd\":\"status\",\"force\":true}\n", 0, CONTROL_REJECT_BAD_VALUE,
	    "not an option of status" },
	{ "{\"cmd\":\"switch\",\"n\":3}\n", 0, CONTROL_REJECT_BAD_VALUE,
	    "n: not an option of switch" },
	{ "{\"cmd\":\"statusstatusstatus\"}\n", 0, CONTROL_REJECT_BAD_CMD, "unknown command" },
	{ "{\"cmd\":\"drill\"}\n", 0, CONTROL_REJECT_BAD_VALUE, "scenario: missing" },
	{ "{\"cmd\":\"drill\",\"scenario\":7}\n", 0, CONTROL_REJECT_BAD_TYPE,
	    "scenario: must be a string" },
	{ "{\"cmd\":\"drill\",\"scenario\":\"module\",\"for_ms\":999}\n", 0,
	    CONTROL_REJECT_BAD_VALUE, "for_ms: must be 1000-600000" },
	{ "{\"cmd\":\"drill\",\"scenario\":\"module\",\"live\":1}\n", 0, CONTROL_REJECT_BAD_TYPE,
	    "live: must be true or false" },
	{ "{\"cmd\":\"switch\",\"live\":true}\n", 0, CONTROL_REJECT_BAD_VALUE,
	    "live: not an option of switch" },
	{ "{\"cmd\":\"drill\",\"scenario\":\"module\",\"force\":true}\n", 0,
	    CONTROL_REJECT_BAD_VALUE, "force: not an option of drill" },
	{ "{\"cmd\":\"status\",\"cmd\":{\"a\":{\"b\":{\"c\":{}}}}}\n", 0, CONTROL_REJECT_NOT_JSON,
	    "not JSON" },
};

#define N_BAD (sizeof(bad_requests) / sizeof(bad_requests[0]))

static void child_bad(struct fx *f)
{
	static char big[5000];
	struct ctl_request status = { .cmd = "status" };

	for (size_t i = 0; i < N_BAD; i++) {
		const struct bad *b = &bad_requests[i];

		raw_call(f, (int)i, b->req, b->len ? b->len : strlen(b->req));
	}
	memset(big, 'x', sizeof(big));
	raw_call(f, N_BAD, big, sizeof(big));
	call(f, N_BAD + 1, &status, 0); /* still serving */
}

/* Malformed requests: each gets a one-line error, is counted by kind, and the server goes on. */
static void test_malformed(void **state)
{
	struct fx *f = *state;
	const struct control_counters *k;
	uint64_t want[CONTROL_REJECT_COUNT] = { 0 };

	assert_int_equal(server_start(f, NULL), 0);
	run_child(f, child_bad);
	for (size_t i = 0; i <= N_BAD; i++) {
		struct json_object *o;
		char *nl = strchr(f->sh->text[i], '\n');

		assert_int_equal(f->sh->rc[i], 0);
		assert_non_null(nl);
		assert_string_equal(nl + 1, ""); /* one line, then the server closed */
		o = parse(f->sh->text[i]);
		assert_false(json_object_get_boolean(get(o, "ok")));
		assert_str(o, "code", "bad-request");
		if (i < N_BAD) {
			if (strstr(json_object_get_string(get(o, "error")), bad_requests[i].why) ==
			    NULL)
				fail_msg("request %zu: error '%s' lacks '%s'", i,
				    json_object_get_string(get(o, "error")), bad_requests[i].why);
			want[bad_requests[i].kind]++;
		} else {
			assert_non_null(
			    strstr(json_object_get_string(get(o, "error")), "too long"));
			want[CONTROL_REJECT_TOO_LONG]++;
		}
		json_object_put(o);
	}
	assert_int_equal(f->sh->rc[N_BAD + 1], 0);
	k = control_counters(f->ctl);
	for (int i = 0; i < CONTROL_REJECT_COUNT; i++) {
		if (k->rejected[i] != want[i])
			fail_msg("counter %s: %" PRIu64 ", want %" PRIu64, control_reject_name(i),
			    k->rejected[i], want[i]);
	}
	assert_int_equal(k->requests, 1);
	assert_int_equal(f->act_calls, 0);
}

static void child_idle(struct fx *f)
{
	struct ctl_request status = { .cmd = "status" };
	int64_t t0 = now_ms();
	int silent = raw_connect(f->sock);
	char buf[256];

	if (silent < 0) {
		f->sh->rc[0] = -errno;
		return;
	}
	call(f, 1, &status, 0); /* served while the silent one waits */
	f->sh->rc[0] = (int)read_to_eof(silent, buf, sizeof(buf), 5000);
	f->sh->ms[0] = now_ms() - t0;
	close(silent);
}

/* A client that connects and never sends is dropped at the idle timeout; others go on. */
static void test_idle_timeout(void **state)
{
	struct fx *f = *state;
	struct control_options o = { .policy = { CONTROL_NO_GROUP, CONTROL_NO_GROUP },
		.idle_timeout_ms = 1000 };

	assert_int_equal(server_start(f, &o), 0);
	run_child(f, child_idle);
	assert_int_equal(f->sh->rc[1], 0);
	assert_true(f->sh->ms[1] < 800);   /* well before the silent one's timeout */
	assert_int_equal(f->sh->rc[0], 0); /* EOF, no bytes */
	assert_true(f->sh->ms[0] >= 950);
	assert_true(f->sh->ms[0] < 4000);
	assert_int_equal(control_counters(f->ctl)->idle_dropped, 1);
}

static void child_busy(struct fx *f)
{
	struct ctl_request status = { .cmd = "status" };
	int a = raw_connect(f->sock), b = raw_connect(f->sock);

	call(f, 0, &status, 0);
	close(a);
	close(b);
}

static void test_busy(void **state)
{
	struct fx *f = *state;
	struct control_options o = { .policy = { CONTROL_NO_GROUP, CONTROL_NO_GROUP },
		.max_clients = 2 };

	assert_int_equal(server_start(f, &o), 0);
	run_child(f, child_busy);
	assert_int_equal(f->sh->rc[0], -EBUSY);
	assert_non_null(strstr(f->sh->error[0], "too many"));
	assert_int_equal(control_counters(f->ctl)->busy_refused, 1);
}

static void flood_tick(struct fx *f)
{
	static char detail[STORE_DETAIL_MAX];

	if (f->ticks != 40)
		return;
	memset(detail, 'd', sizeof(detail) - 1);
	for (int i = 0; i < 2600; i++) /* ~1.7 MB of lines: more than the socket and the bound */
		journal_add(f, 10000 + (uint64_t)i, "backup", "monitor", NULL, NULL, detail);
}

static void child_stuck(struct fx *f)
{
	static const char req[] = "{\"cmd\":\"events\",\"n\":1,\"follow\":true}\n";
	int fd = raw_connect(f->sock);
	struct timespec ts = { .tv_sec = 1, .tv_nsec = 500000000 };

	if (fd < 0 || send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) < 0)
		return;
	nanosleep(&ts, NULL); /* never reads */
	close(fd);
}

/* A follower that stops reading is dropped once its output passes the bound. */
static void test_stuck_follower(void **state)
{
	struct fx *f = *state;
	struct store_options so = { .write = true, .journal_max_bytes = 8 * 1024 * 1024 };

	store_close(f->journal);
	assert_int_equal(store_open(f->state, &so, &f->journal), 0);
	journal_add(f, 1000, "backup", "monitor", NULL, NULL, "first");
	assert_int_equal(server_start(f, NULL), 0);
	f->on_tick = flood_tick;
	run_child(f, child_stuck);
	assert_int_equal(control_counters(f->ctl)->stuck_dropped, 1);
}

/* The socket file: a stale one is replaced, a live one or a foreign file is left alone. */
static void test_socket_file(void **state)
{
	struct fx *f = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct control *second = NULL;
	struct control_options o = { .socket_path = f->sock,
		.policy = { CONTROL_NO_GROUP, CONTROL_NO_GROUP } };
	struct stat st;
	int fd;
	char other[160];

	/* A dead server's socket: bound, never listened on, closed. */
	snprintf(other, sizeof(other), "%s/run", f->dir);
	assert_int_equal(mkdir(other, 0755), 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(server_start(f, NULL), 0);
	assert_int_equal(stat(f->sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600); /* no read group: root only */
	assert_int_equal(control_new(f->loop, &o, &handlers, f, &second), -EADDRINUSE);
	control_free(f->ctl);
	f->ctl = NULL;
	assert_int_equal(stat(f->sock, &st), -1); /* removed on free */
	fd = open(f->sock, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(control_new(f->loop, &o, &handlers, f, &second), -EEXIST);
	assert_int_equal(stat(f->sock, &st), 0);
}

/* Daemon not running: the message vigilctl prints. */
static void test_not_running(void **state)
{
	struct fx *f = *state;
	struct ctl_request rq = { .cmd = "status" };
	struct ctl_reply rep;
	char want[256];

	assert_int_equal(ctl_call(f->sock, &rq, 1000, NULL, NULL, &rep), -ENOENT);
	snprintf(want, sizeof(want), "vigild is not running (no socket at %s)", f->sock);
	assert_string_equal(rep.error, want);
	assert_null(rep.final);
}

static void test_human_formats(void **state)
{
	char buf[256], *out = NULL;
	size_t len = 0;
	int64_t t;
	FILE *mem;
	struct json_object *rec;

	(void)state;
	ctl_format_duration(0, buf, sizeof(buf));
	assert_string_equal(buf, "0s");
	ctl_format_duration(133000, buf, sizeof(buf));
	assert_string_equal(buf, "2m 13s");
	ctl_format_duration((3 * 3600 + 5 * 60 + 7) * 1000ull, buf, sizeof(buf));
	assert_string_equal(buf, "3h 5m");
	ctl_format_duration((2 * 86400 + 4 * 3600) * 1000ull, buf, sizeof(buf));
	assert_string_equal(buf, "2d 4h");
	assert_int_equal(ctl_parse_time("2024-05-01T12:00:00.250Z", &t), 0);
	assert_int_equal(t, BASE_WALL_MS + 250);
	assert_int_equal(ctl_parse_time("2024-05-01T14:00:00+02:00", &t), 0);
	assert_int_equal(t, BASE_WALL_MS);
	assert_int_equal(ctl_parse_time("2024-05-01 12:00:00", &t), -EINVAL);
	assert_int_equal(ctl_parse_time("2024-05-01T12:00:00.Z", &t), -EINVAL);
	assert_string_equal(ctl_state_words("stale"),
	    "fenced after losing the primary role: 'vigilctl rejoin' brings it back");
	setenv("TZ", "UTC", 1);
	tzset();
	rec = parse("{\"time\":\"2024-05-01T12:00:00.250Z\",\"mono_ms\":1,\"state\":\"backup\","
	            "\"kind\":\"module\",\"detail\":\"ping\\u001b[2Jx\"}");
	mem = open_memstream(&out, &len);
	ctl_print_event(mem, rec);
	fclose(mem);
	assert_string_equal(out, "2024-05-01 12:00:00.250  backup         module      ping?[2Jx\n");
	free(out);
	json_object_put(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_status_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_contract, setup, teardown),
		cmocka_unit_test(test_status_contract_nulls),
		cmocka_unit_test_setup_teardown(test_events_last_n, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_follow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_why_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_why_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump, setup, teardown),
		cmocka_unit_test(test_access_rule),
		cmocka_unit_test_setup_teardown(test_access_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_act_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drill_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drill_request_live, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stuck_follower, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_running, setup, teardown),
		cmocka_unit_test(test_human_formats),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
