/* daemon.h: what the files of daemon/ share: the one struct vigild that wires the loop to the core. */
#ifndef VIGIL_DAEMON_H
#define VIGIL_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "decide.h"
#include "nftable.h"
#include "wire.h"

struct loop;
struct loop_timer;
struct peer_link;
struct peer_conn;
struct icmp;
struct netwatch;
struct recorder;
struct json_object;
struct check;
struct check_watch;
struct control;
struct store;
struct proc;
struct nftable;
struct vip_set;
struct control_act;
struct notify;

#define VIGIL_VERSION "0.1.0"

struct vigild_counters {
	uint64_t module_checks;
	uint64_t hooks_run;
	uint64_t hooks_failed;
	uint64_t probe_errors;
	uint64_t journal_errors;
	uint64_t records_dropped;
	uint64_t events_dropped;
	uint64_t drill_msgs_ignored; /* drill start/end from the peer we do not act on */
};

/* The drill this backup runs, or ran last (SPEC "Command line": drill). */
struct vigild_drill {
	uint32_t id; /* 0: none since start */
	enum wire_drill scenario;
	bool live;
	bool running; /* from the start until the node is steady again after D */
	bool lifting; /* D is over: the blocks are gone, waiting for the node to settle */
	bool switched;
	uint64_t start_ms;
	uint64_t end_ms;         /* start + D */
	uint64_t lifted_ms;      /* when the blocks were lifted */
	enum vg_verdict verdict; /* the first verdict other than none during the drill */
	uint64_t verdict_ms;
	struct loop_timer *timer;
};

struct vigild {
	struct config cfg;
	const char *config_path;
	struct decide core;
	struct loop *loop;
	struct loop_timer *core_timer;
	struct peer_link *peer;
	struct peer_conn *out[CONN_COUNT]; /* connections this node dialled, by channel */
	struct icmp *icmp;
	struct netwatch *netwatch; /* carrier and route changes toward the peer (carrier_watch) */
	struct recorder *recorder; /* the flight recorder, or NULL (flight_err says why) */
	char flight_err[256];
	struct check *check;       /* the module check the primary runs per module ping */
	struct check *next_check;  /* after a reload: takes over once no module ping is served */
	struct check *local_check; /* optional, run on the backup */
	struct check_watch *watch; /* exit watch of the module's PID */
	struct control *control;
	struct store *store;
	uint8_t config_digest[WIRE_DIGEST_LEN];
	char software[WIRE_SOFTWARE_MAX + 1];
	struct wire_hello peer_hello; /* the peer's last hello facts */
	struct vg_peer_info peer_info;
	int64_t wall_minus_mono_ms; /* wall clock = monotonic + this (times travel as data) */
	uint64_t started_mono_ms;
	uint32_t set_id; /* the ping set in flight (the core's ids are unique) */
	bool stopping;
	int cmd_status; /* the core's answer to the last control command */
	char cmd_msg[VG_RECORD_TEXT];
	struct vigild_counters counters;
	struct nftable *nft;          /* NULL: nftables unavailable (nft_err says why) */
	struct nftable_spec nft_spec; /* what the table holds */
	char nft_err[256];            /* the last apply's error, or "" */
	struct vip_set *vips;         /* NULL: no vip configured */
	struct vigild_drill drill;
	uint64_t module_drill_until_ms; /* primary: answer module pings "not running" until then */
	struct notify *notify;          /* systemd's notification socket, or NULL */
};

/* core.c: drive the decision core and carry out its actions */
void vigild_post(struct vigild *v, const struct vg_event *ev);
void vigild_post_type(struct vigild *v, enum vg_event_type type);
int64_t vigild_wall_ms(const struct vigild *v, uint64_t mono_ms);

/* peerio.c: the peer link's callbacks: serve pings on the primary, feed the core on the backup */
int vigild_peer_start(struct vigild *v);
void vigild_peer_hello_update(struct vigild *v);
void vigild_config_digest(struct vigild *v);
void vigild_send(struct vigild *v, enum vg_conn c, const struct wire_msg *m);
void vigild_broadcast(struct vigild *v, const struct wire_msg *m);
void vigild_module_gone(int32_t pid, void *arg);
void vigild_tag_aux(struct vigild *v, struct peer_conn *c, enum vg_conn ch);
void vigild_check_swap(struct vigild *v, struct check *next); /* NULL: swap if now idle */
int vigild_run(struct vigild *v);
int vigild_reload(struct vigild *v, char *msg, size_t len);

/* privs.c: [node] user: checked before anything is opened, applied once all is open and
 * before any thread starts (capabilities are per thread) */
int vigild_privs_check(struct vigild *v);
int vigild_privs_drop(struct vigild *v);

/* probes.c: diagnosis and ping sets through the ICMP prober */
int vigild_probes_start(struct vigild *v);
void vigild_diagnose(struct vigild *v, uint32_t id, bool ping_set);

/* hooks.c: commence, discontinue, drain, sync_check, local_check */
enum vigild_hook {
	HOOK_COMMENCE,
	HOOK_DISCONTINUE,
	HOOK_DRAIN,
	HOOK_SYNC_CHECK,
	HOOK_COUNT
};
void vigild_hook_run(struct vigild *v, enum vigild_hook h, enum vg_reason reason);
/* At stop: end the loop once the running hooks are done (discontinue), bounded by their timeout. */
void vigild_hooks_stop(struct vigild *v);
void vigild_hooks_free(void);
void vigild_local_check(struct vigild *v);

/* flight.c: the flight recorder */
void vigild_flight_start(struct vigild *v);
void vigild_flight_refilter(struct vigild *v);
void vigild_flight_keep(struct vigild *v);

/* netcfg.c: the nftables table, VIPs and drills */
int vigild_netcfg_start(struct vigild *v, bool stale);
void vigild_netcfg_stop(struct vigild *v);
void vigild_fence(struct vigild *v, bool on);
void vigild_vips(struct vigild *v, bool hold);
int vigild_drill_start(struct vigild *v, const struct control_act *a, char *msg, size_t len);
void vigild_drill_observe(struct vigild *v, const struct vg_record *r);
void vigild_drill_peer(struct vigild *v, const struct wire_msg *m);
bool vigild_module_drill_active(struct vigild *v);
/* netcfg-info.c: drill and netcfg facts for status and dump */
int vigild_drill_json(struct vigild *v, struct json_object *ret_status);
struct json_object *vigild_netcfg_dump(struct vigild *v);

/* notify.c: systemd's notifications (READY, STATUS, STOPPING, WATCHDOG) without libsystemd.
 * Every call takes the NULL of an unset NOTIFY_SOCKET and does nothing with it. */
#define NOTIFY_STATUS_MAX 128
#define NOTIFY_STATUS_POLL_MS 1000
typedef void notify_status_fn(void *arg, char *ret_status, size_t len);
/* From NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID: *ret NULL when NOTIFY_SOCKET is unset; the
 * watchdog pings (every WATCHDOG_USEC / 2) and the STATUS= poll of status_fn (may be NULL) run
 * on l's timers. -EINVAL for an address that is neither a path nor '@' and a name. */
int notify_open(struct loop *l, notify_status_fn *status_fn, void *arg, struct notify **ret);
int notify_send(struct notify *n, const char *msg);      /* one datagram of KEY=value lines */
int notify_ready(struct notify *n);                      /* READY=1 with the status of the moment */
int notify_status(struct notify *n, const char *status); /* STATUS=, only when it changed */
int notify_stopping(struct notify *n);
uint64_t notify_watchdog_ms(const struct notify *n); /* the ping interval; 0: no watchdog */
void notify_free(struct notify *n);

/* ctl.c: the control socket's handlers */
int vigild_control_start(struct vigild *v);
int vigild_dump(void *arg, struct json_object *ret); /* dumpinfo.c */
void vigild_journal(struct vigild *v, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* VIGIL_DAEMON_H */
