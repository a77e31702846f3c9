/* control.c: the control socket's life: create it safely, accept callers, time out the idle, close it. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "control-internal.h"
#include "control.h"
#include "loop.h"
#include "store.h"

#define BACKLOG 16
#define ACCEPT_PAUSE_MS 200 /* out of file descriptors: stop accepting this long (no busy loop) */

static const char *const reject_names[CONTROL_REJECT_COUNT] = {
	[CONTROL_REJECT_TOO_LONG] = "too-long",
	[CONTROL_REJECT_NUL] = "nul-byte",
	[CONTROL_REJECT_NOT_JSON] = "not-json",
	[CONTROL_REJECT_NOT_OBJECT] = "not-object",
	[CONTROL_REJECT_UNKNOWN_KEY] = "unknown-key",
	[CONTROL_REJECT_BAD_CMD] = "bad-cmd",
	[CONTROL_REJECT_BAD_TYPE] = "bad-type",
	[CONTROL_REJECT_BAD_VALUE] = "bad-value",
	[CONTROL_REJECT_PERMISSION] = "permission",
};

const char *control_reject_name(enum control_reject r)
{
	return (unsigned)r < CONTROL_REJECT_COUNT ? reject_names[r] : "unknown";
}

const struct control_counters *control_counters(const struct control *c)
{
	return &c->counters;
}

/* The folder of the socket, 0755 if missing (one level: /run exists, /run/vigil may not). */
static int dir_ensure(const char *path)
{
	char dir[CONTROL_PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) == 0 || errno == EEXIST)
		return 0;
	return -errno;
}

/* A socket file left by a vigild that died: replace it only if nobody answers on it. */
static int stale_remove(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, r, e;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	e = errno;
	if (close(fd) < 0 && r == 0)
		return -EIO;
	if (r == 0 || e == EAGAIN || e == EINPROGRESS)
		return -EADDRINUSE; /* a live server (EAGAIN: its backlog is full, still alive) */
	if (e != ECONNREFUSED)
		return e == ENOENT ? 0 : -e;
	if (unlink(sa->sun_path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* Bind with a tight umask so the socket is never connectable by others, then give it its
 * group and mode. */
/* The socket file's group: control_group; with only admin_group set, that one, so its members
 * can connect at all (with both set, an admin must be in control_group too: one file, one group). */
static gid_t socket_gid(const struct control_policy *p)
{
	return p->read_gid != CONTROL_NO_GROUP ? p->read_gid : p->admin_gid;
}

static int sock_bind(struct control *c, int fd, const struct sockaddr_un *sa, mode_t mode)
{
	mode_t old = umask(0177);
	int r = bind(fd, (const struct sockaddr *)sa, sizeof(*sa));
	int e = errno;
	struct stat st;

	(void)umask(old); /* cannot fail */
	if (r < 0)
		return -e;
	if (socket_gid(&c->policy) != CONTROL_NO_GROUP &&
	    chown(c->path, (uid_t)-1, socket_gid(&c->policy)) < 0)
		r = -errno;
	if (r == 0 && chmod(c->path, mode) < 0)
		r = -errno;
	if (r == 0 && stat(c->path, &st) < 0)
		r = -errno;
	if (r == 0 && listen(fd, BACKLOG) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(c->path); /* ours, just made; the first error is what counts */
		return r;
	}
	c->sock_dev = st.st_dev;
	c->sock_ino = st.st_ino;
	return 0;
}

static int sock_open(struct control *c, mode_t mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(c->path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	r = dir_ensure(c->path);
	if (r == 0)
		r = stale_remove(&sa);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = sock_bind(c, fd, &sa, mode);
	if (r < 0) {
		(void)close(fd); /* the bind's error is what counts */
		return r;
	}
	c->fd = fd;
	return 0;
}

/* Over max_clients: a one-line answer, best effort, then close. */
static void busy_refuse(struct control *c, int fd)
{
	static const char line[] =
	    "{\"ok\":false,\"code\":\"busy\",\"error\":\"too many control clients; try again\"}\n";

	c->counters.busy_refused++;
	if (send(fd, line, sizeof(line) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		c->counters.io_errors++;
	if (close(fd) < 0)
		c->counters.io_errors++;
}

static void accept_pause(struct control *c)
{
	if (loop_io_set(c->io, 0) < 0)
		c->counters.io_errors++;
	c->next_poll_ms = loop_now_ms(c->loop) + ACCEPT_PAUSE_MS;
	c->accept_paused = true;
}

static void on_accept(int fd, unsigned events, void *arg)
{
	struct control *c = arg;
	struct control_caller who;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	(void)events;
	if (cfd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			accept_pause(c);
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			c->counters.io_errors++;
		control_clients_sweep(c);
		return;
	}
	c->counters.accepted++;
	if (c->n_clients >= c->max_clients) {
		busy_refuse(c, cfd);
	} else if (control_caller_identify(&c->policy, cfd, &who) < 0 ||
	    control_client_accept(c, cfd, &who) < 0) {
		c->counters.io_errors++;
		if (close(cfd) < 0)
			c->counters.io_errors++;
	}
	control_clients_sweep(c);
}

/* Idle clients out, followers fed, accepting resumed after a pause. */
static void on_timer(void *arg)
{
	struct control *c = arg;
	uint64_t now = loop_now_ms(c->loop);
	bool poll = now >= c->next_poll_ms;

	for (struct control_client *cl = c->clients; cl != NULL; cl = cl->next) {
		if (cl->dead)
			continue;
		if (cl->deadline_ms <= now) {
			c->counters.idle_dropped++;
			control_client_drop(cl);
		} else if (poll && cl->following) {
			control_journal_follow(cl);
		}
	}
	if (poll)
		c->next_poll_ms = now + CONTROL_FOLLOW_POLL_MS;
	if (poll && c->accept_paused) {
		c->accept_paused = loop_io_set(c->io, LOOP_READ) < 0;
		if (c->accept_paused)
			c->counters.io_errors++;
	}
	control_clients_sweep(c);
}

/* Group names for the refusal messages, looked up once at start (NSS may block: never later). */
static void group_name(gid_t gid, char *ret, size_t size)
{
	struct group gr, *res = NULL;
	char buf[1024];

	ret[0] = '\0';
	if (gid == CONTROL_NO_GROUP)
		return;
	if (getgrgid_r(gid, &gr, buf, sizeof(buf), &res) == 0 && res != NULL)
		snprintf(ret, size, "%s", res->gr_name);
	else
		snprintf(ret, size, "%lu", (unsigned long)gid);
}

static int control_setup(struct control *c, const struct control_options *opt)
{
	const char *path = opt->socket_path != NULL ? opt->socket_path : CONTROL_SOCKET_DEFAULT;
	mode_t mode = opt->mode;

	if (mode == 0) /* group access when there is a group to give it to */
		mode = socket_gid(&opt->policy) != CONTROL_NO_GROUP ? 0660 : 0600;

	if (path[0] == '\0' || strlen(path) >= sizeof(c->path))
		return -ENAMETOOLONG;
	if (opt->state_dir != NULL && strlen(opt->state_dir) >= sizeof(c->state_dir))
		return -ENAMETOOLONG;
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", opt->state_dir ? opt->state_dir : "");
	c->policy = opt->policy;
	c->idle_timeout_ms = opt->idle_timeout_ms ? opt->idle_timeout_ms : CONTROL_IDLE_TIMEOUT_MS;
	c->max_clients = opt->max_clients ? opt->max_clients : CONTROL_CLIENTS_MAX;
	c->next_poll_ms = LOOP_NEVER;
	group_name(c->policy.read_gid, c->read_group, sizeof(c->read_group));
	group_name(c->policy.admin_gid, c->admin_group, sizeof(c->admin_group));
	return sock_open(c, mode);
}

int control_new(struct loop *l, const struct control_options *opt, const struct control_handlers *h,
    void *arg, struct control **ret)
{
	struct control *c;
	int r;

	if (l == NULL || opt == NULL || h == NULL || h->status == NULL)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	*c = (struct control){ .loop = l, .fd = -1, .h = *h, .arg = arg };
	r = control_setup(c, opt);
	if (r == 0) {
		c->timer = loop_timer_new(l, on_timer, c);
		c->io = c->timer ? loop_io_add(l, c->fd, LOOP_READ, on_accept, c) : NULL;
		r = c->io ? 0 : -ENOMEM;
	}
	if (r < 0) {
		control_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

void control_free(struct control *c)
{
	struct stat st;

	if (c == NULL)
		return;
	while (c->clients != NULL) {
		control_client_drop(c->clients);
		control_clients_sweep(c);
	}
	loop_io_del(c->io);
	loop_timer_free(c->timer);
	if (c->fd >= 0) {
		/* Remove the socket only if it is still the one we made (not a successor's). Best
		 * effort: after the privilege drop the folder may not let us, and the next start
		 * replaces a socket nobody listens on. */
		if (stat(c->path, &st) == 0 && st.st_dev == c->sock_dev && st.st_ino == c->sock_ino)
			(void)unlink(c->path);
		(void)close(c->fd); /* nothing is buffered on a listening socket */
	}
	store_close(c->store);
	free(c);
}

static int add_u64(struct json_object *o, const char *key, uint64_t v)
{
	struct json_object *j = json_object_new_int64(v > INT64_MAX ? INT64_MAX : (int64_t)v);

	if (j == NULL || json_object_object_add(o, key, j) < 0) {
		json_object_put(j);
		return -ENOMEM;
	}
	return 0;
}

int control_counters_json(const struct control *c, struct json_object *ret)
{
	const struct control_counters *k = &c->counters;
	struct json_object *rej = json_object_new_object();
	int r = rej != NULL ? 0 : -ENOMEM;

	for (int i = 0; r == 0 && i < CONTROL_REJECT_COUNT; i++)
		r = add_u64(rej, reject_names[i], k->rejected[i]);
	if (r == 0)
		r = json_object_object_add(ret, "rejected", rej) == 0 ? 0 : -ENOMEM;
	if (r < 0) {
		json_object_put(rej);
		return r;
	}
	r = add_u64(ret, "accepted", k->accepted);
	r = r ? r : add_u64(ret, "requests", k->requests);
	r = r ? r : add_u64(ret, "idle_dropped", k->idle_dropped);
	r = r ? r : add_u64(ret, "stuck_dropped", k->stuck_dropped);
	r = r ? r : add_u64(ret, "busy_refused", k->busy_refused);
	r = r ? r : add_u64(ret, "io_errors", k->io_errors);
	r = r ? r : add_u64(ret, "act_accepted", k->act_accepted);
	r = r ? r : add_u64(ret, "act_refused", k->act_refused);
	return r ? r : add_u64(ret, "journal_errors", k->journal_errors);
}
