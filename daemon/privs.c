/* privs.c: the privilege drop after start-up (SPEC "Robustness and security", [node] user): vigild opens what needs root, then runs as `user` with CAP_NET_RAW and CAP_NET_ADMIN alone. */
#include <cap-ng.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

/*
 * What vigild keeps, and why: nothing else is used after start-up (README "Privileges").
 *   CAP_NET_RAW    the ICMP prober builds a liboping object, so raw sockets, for every echo
 *                  round in its worker threads; a VIP takeover opens its pcap capture then.
 *   CAP_NET_ADMIN  vigild's nftables table is replaced on every change (fence, drills); VIPs
 *                  are added and removed through rtnetlink.
 * Permitted and effective, and the bounding set: what vigild runs may reach these through a
 * file-capability program such as ping(8), never more. Neither inheritable nor ambient, so a
 * hook or an exec: check runs without any; no_new_privs, so no setuid program (sudo, su) gives
 * one uid 0 either.
 */
#define KEPT_MASK ((UINT64_C(1) << CAP_NET_RAW) | (UINT64_C(1) << CAP_NET_ADMIN))

#define PW_BUF 4096

enum privs_plan {
	PLAN_DROP,      /* root: change to the user, keep KEPT_MASK */
	PLAN_KEEP_ROOT, /* user = root (or uid 0), or the default user missing */
	PLAN_LOWER,     /* not started as root: keep KEPT_MASK of what it has */
};

static struct {
	enum privs_plan plan;
	char name[CONFIG_NAME_MAX];
	uid_t uid;
	gid_t gid;
	char why[160]; /* why root is kept, for the journal */
} privs;

/* 0 and the user's ids, -ENOENT when there is no such user, or the lookup's -errno. */
static int user_lookup(const char *name, uid_t *ret_uid, gid_t *ret_gid)
{
	static char buf[PW_BUF];
	struct passwd pw, *res = NULL;
	int e = getpwnam_r(name, &pw, buf, sizeof(buf), &res);

	if (e != 0)
		return -e;
	if (res == NULL)
		return -ENOENT;
	*ret_uid = pw.pw_uid;
	*ret_gid = pw.pw_gid;
	return 0;
}

/*
 * SPEC [node] user: checked at start, before anything is opened. A user the file names and
 * that does not exist is a configuration error; the default one (vigil) missing keeps root
 * with a warning, like a missing control_group: an appliance upgraded without the account
 * must still protect its pair.
 */
int vigild_privs_check(struct vigild *v)
{
	const struct config *c = &v->cfg;
	int r;

	snprintf(privs.name, sizeof(privs.name), "%s", c->node.user);
	r = strcmp(privs.name, "root") == 0 ? 0 : user_lookup(privs.name, &privs.uid, &privs.gid);
	if (r == -ENOENT && c->user_line > 0) {
		log_warnx("%s:%d: user: no such user '%s' (create it: useradd --system "
		          "--no-create-home --shell /usr/sbin/nologin %s; or set user = root)",
		    c->path, c->user_line, privs.name, privs.name);
		return r;
	}
	if (r < 0 && r != -ENOENT) {
		log_warnx("user %s: cannot look it up: %s", privs.name, strerror(-r));
		return r;
	}
	if (r == -ENOENT)
		snprintf(privs.why, sizeof(privs.why), "user %s does not exist (the default)",
		    privs.name);
	else if (strcmp(privs.name, "root") == 0 || privs.uid == 0)
		snprintf(privs.why, sizeof(privs.why), "user = %s", privs.name);
	privs.plan = geteuid() != 0 ? PLAN_LOWER : privs.why[0] ? PLAN_KEEP_ROOT : PLAN_DROP;
	return 0;
}

/* One "Name:\t<hex>" or "Name:\t<decimal>" line of /proc/self/status: 0 or -errno. */
static int status_field(const char *name, int base, uint64_t *ret)
{
	char line[256];
	size_t n = strlen(name);
	FILE *f = fopen("/proc/self/status", "re");
	int r = -ENOENT;

	if (f == NULL)
		return -errno;
	while (r == -ENOENT && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, name, n) == 0 && line[n] == ':') {
			*ret = strtoull(line + n + 1, NULL, base);
			r = 0;
		}
	}
	(void)fclose(f); /* read only: nothing to lose */
	return r;
}

/* Capabilities are per thread: the drop must come before the ICMP workers exist (run.c). */
static int single_threaded(void)
{
	uint64_t n = 0;
	int r = status_field("Threads", 10, &n);

	if (r == 0 && n != 1) {
		log_warnx("privilege drop: %" PRIu64 " threads already run (a start-up order bug)",
		    n);
		return -EBUSY;
	}
	return r;
}

/* A folder vigild made (0700) or kept private is handed over; anything shared is left alone. */
static bool dir_ours(int fd, const char *dir, uid_t uid)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))
		return false;
	if ((st.st_mode & 077) != 0 || (st.st_uid != 0 && st.st_uid != uid)) {
		log_warnx("state_dir %s: mode %04o, owner %u: not handed to user %s; the journal "
		          "and state may not be writable after the privilege drop",
		    dir, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, privs.name);
		return false;
	}
	return true;
}

/* The folder itself and what it holds (state, journal*, flight-*.pcap), links not followed. */
static int give_entries(int fd)
{
	int dfd = dup(fd), r = 0;
	struct dirent *e;
	DIR *d;

	if (dfd < 0 || fchown(fd, privs.uid, privs.gid) < 0) {
		r = -errno;
		if (dfd >= 0)
			(void)close(dfd);
		return r;
	}
	d = fdopendir(dfd);
	if (d == NULL) {
		r = -errno;
		(void)close(dfd);
		return r;
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    fchownat(fd, e->d_name, privs.uid, privs.gid, AT_SYMLINK_NOFOLLOW) < 0 &&
		    errno != ENOENT && r == 0)
			r = -errno;
	(void)closedir(d); /* a directory stream: nothing buffered to lose */
	return r;
}

/* SPEC: state_dir is created 0700 by vigild (as root); the user must write it from now on. */
static void state_dir_give(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int r = fd < 0 ? -errno : dir_ours(fd, dir, privs.uid) ? give_entries(fd) : 0;

	if (fd >= 0)
		(void)close(fd);
	if (r < 0)
		log_warnx("state_dir %s: cannot hand it to user %s: %s", dir, privs.name,
		    strerror(-r));
}

/* Root to the user: the bounding set first (CAP_SETPCAP is still there), then the ids. */
static int drop_to_user(void)
{
	int r;

	capng_clear(CAPNG_SELECT_ALL);
	if (capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
	        CAP_NET_RAW, CAP_NET_ADMIN, -1) < 0)
		return -EINVAL;
	r = capng_apply(CAPNG_SELECT_BOUNDS);
	if (r < 0) {
		log_warnx("privilege drop: cannot narrow the bounding set (libcap-ng %d): "
		          "vigild needs CAP_SETPCAP at start",
		    r);
		return -EPERM;
	}
	r = capng_change_id((int)privs.uid, (int)privs.gid,
	    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_AMBIENT);
	if (r < 0) {
		log_warnx("privilege drop: cannot change to user %s (libcap-ng %d): vigild needs "
		          "CAP_SETUID and CAP_SETGID at start",
		    privs.name, r);
		return -EPERM;
	}
	return 0;
}

/* Not root: no ids to change, but nothing inheritable or ambient, nothing beyond KEPT_MASK. */
static int lower_in_place(void)
{
	bool raw, admin;

	if (capng_get_caps_process() < 0)
		return -EIO;
	raw = capng_have_capability(CAPNG_PERMITTED, CAP_NET_RAW);
	admin = capng_have_capability(CAPNG_PERMITTED, CAP_NET_ADMIN);
	capng_clear(CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT);
	if (raw)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_RAW);
	if (admin)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_ADMIN);
	return capng_apply(CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT) < 0 ? -EPERM : 0;
}

/* What the kernel says now, read back: the drop is trusted only if it shows. */
static int verify(bool dropped)
{
	uint64_t eff = 0, prm = 0, inh = 1, amb = 1, bnd = 0;
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (status_field("CapEff", 16, &eff) < 0 || status_field("CapPrm", 16, &prm) < 0 ||
	    status_field("CapInh", 16, &inh) < 0 || status_field("CapAmb", 16, &amb) < 0 ||
	    status_field("CapBnd", 16, &bnd) < 0 || getresuid(&ruid, &euid, &suid) < 0 ||
	    getresgid(&rgid, &egid, &sgid) < 0)
		return -EIO;
	if ((eff & ~KEPT_MASK) != 0 || eff != prm || inh != 0 || amb != 0 ||
	    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return -EPERM;
	if (!dropped)
		return 0;
	if (eff != KEPT_MASK || bnd != KEPT_MASK || getgroups(0, NULL) != 0 || ruid != privs.uid ||
	    euid != privs.uid || suid != privs.uid || rgid != privs.gid || egid != privs.gid ||
	    sgid != privs.gid)
		return -EPERM;
	return 0;
}

/* reload (SIGHUP, vigilctl reload) reads the file as the user from now on. */
static void config_readable(const struct vigild *v)
{
	if (access(v->config_path, R_OK) == 0)
		return;
	log_warnx("%s: not readable by user %s (%s): reload will fail; make it readable "
	          "(chmod 0644, or chgrp %s and chmod 0640)",
	    v->config_path, privs.name, strerror(errno), privs.name);
}

static int drop_or_lower(struct vigild *v)
{
	int r = single_threaded();

	if (r == 0 && privs.plan == PLAN_DROP) {
		state_dir_give(v->cfg.node.state_dir); /* said why; the journal counts errors */
		r = drop_to_user();
	} else if (r == 0) {
		r = lower_in_place();
	}
	if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		r = -errno;
	if (r == 0)
		r = verify(privs.plan == PLAN_DROP);
	return r;
}

static void journal_outcome(struct vigild *v)
{
	const char *raw = capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_RAW) ? " cap_net_raw" : "";
	const char *admin =
	    capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_ADMIN) ? " cap_net_admin" : "";

	if (privs.plan == PLAN_DROP)
		vigild_journal(v, "privileges",
		    "running as user %s (uid %u, gid %u, no supplementary groups) with%s%s, "
		    "no_new_privs",
		    privs.name, (unsigned)privs.uid, (unsigned)privs.gid, raw, admin);
	else if (getuid() == privs.uid)
		vigild_journal(v, "privileges",
		    "running as user %s (uid %u, started so) with%s%s, no_new_privs", privs.name,
		    (unsigned)privs.uid, raw[0] || admin[0] ? raw : " no capabilities", admin);
	else
		vigild_journal(v, "privileges",
		    "started as uid %u, not root: user %s not applied; kept%s%s, no_new_privs",
		    (unsigned)getuid(), privs.name, raw[0] || admin[0] ? raw : " no capabilities",
		    admin);
}

/* After everything privileged is open and before any thread starts (run.c). */
int vigild_privs_drop(struct vigild *v)
{
	int r;

	if (privs.plan == PLAN_KEEP_ROOT) {
		log_warnx("%s: vigild keeps root and every capability; hooks run as root",
		    privs.why);
		vigild_journal(v, "privileges", "running as root (%s)", privs.why);
		return 0;
	}
	r = drop_or_lower(v);
	if (r < 0) {
		log_warnx("privilege drop to user %s failed: %s", privs.name, strerror(-r));
		return r;
	}
	journal_outcome(v);
	config_readable(v);
	return 0;
}
