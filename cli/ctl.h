/* ctl.h: what vigilctl's control-socket commands share: the request/answer call and the human formats. */
#ifndef VIGIL_CTL_H
#define VIGIL_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ctlclient.h" /* ctl_call(), shared with vigil-snmp */

struct json_object; /* json-c */

/* ---- human output (cli/ctl-print.c): pure, times passed in, local time zone ---- */

/* "45s", "2m 13s", "3h 5m", "2d 4h". */
void ctl_format_duration(uint64_t ms, char *ret, size_t len);
/* RFC 3339 ("2024-05-01T12:00:00.250Z", or with an offset) to ms since the epoch: 0 or -EINVAL. */
int ctl_parse_time(const char *text, int64_t *ret_ms);
/* Local time "2024-05-01 14:02:11" (with_ms: ".250" appended). */
void ctl_format_local(int64_t ms, bool with_ms, char *ret, size_t len);
/* A state name in words: "backup: standing by, watching the primary". */
const char *ctl_state_words(const char *state);
/* A switch reason or verdict in words ("the module on the primary stopped answering"); "" if unknown. */
const char *ctl_reason_words(const char *reason);

/* status: aligned key/value lines; now_ms is the wall clock for "ago". */
void ctl_print_status(FILE *f, struct json_object *status, int64_t now_ms);
/* One events record on one line, local time first. */
void ctl_print_event(FILE *f, struct json_object *rec);
/* why: a headline, then the chain one record a line. */
void ctl_print_why(FILE *f, struct json_object *why, int64_t now_ms);

/* A copy of in without control bytes (each becomes '?'), cut to fit size (>= 1). */
void ctl_printable(const char *in, char *ret, size_t size);

/* ---- dump (cli/ctl-report.c, cli/ctl-dump.c, cli/ctl-tar.c) ---- */

/*
 * The dump as text (`vigilctl dump`, report.txt): a heading, status, configuration (secret-looking
 * values redacted once more), core, peer, probes (a table), gateways, flight recorder (with
 * capture_note, where the latest capture is; NULL: not said), control counters, any other part
 * as it came, recent events. Absent parts are left out; a part of an unexpected shape is shown
 * as it came. Pure: now_ms is the wall clock.
 */
void ctl_print_dump(FILE *f, struct json_object *dump, const char *capture_note, int64_t now_ms);
/* The latest flight-*.pcap in the dump's "state_dir": its path, or in ret_note why there is none
 * (ret_note is also filled on success). 0 or a negative errno. */
int ctl_dump_find_capture(struct json_object *dump, char *ret_path, size_t path_len, char *ret_note,
    size_t note_len);
/*
 * `dump -o path`: a ustar archive, "vigil-dump-NODE-TIME/" holding report.txt, status.json,
 * events.json, dump.json and the latest capture (when readable; otherwise a warning on stderr and
 * the reason in report.txt). Written to a temporary file (0600) and renamed: whole or not at
 * all. 0 or a negative errno.
 */
int ctl_dump_archive(const char *path, struct json_object *dump, int64_t now_ms);

/* A ustar writer (POSIX.1-1988): members in order, names under 100 bytes, uid/gid 0. */
struct ctl_tar {
	FILE *f;
	int64_t mtime_s;
	uint64_t written;
};

void ctl_tar_init(struct ctl_tar *t, FILE *f, int64_t mtime_s);
/* name ends with '/'. */
int ctl_tar_add_dir(struct ctl_tar *t, const char *name);
int ctl_tar_add_mem(struct ctl_tar *t, const char *name, const void *data, size_t len);
int ctl_tar_add_fd(struct ctl_tar *t, const char *name, int fd, uint64_t size);
/* The end blocks, padded to a 10 KiB record, flushed: 0 or a negative errno. */
int ctl_tar_finish(struct ctl_tar *t);

/* ---- the commands (cli/ctl.c), entries of vigilctl's dispatch table ---- */
int cmd_status(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_why(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_act(int argc, char **argv);   /* switch, handover, rejoin, reload: argv[0] says which */
int cmd_drill(int argc, char **argv); /* cli/ctl-drill.c */
/* cli/ctl-prom.c: a dump object (status, core, peer, probes) in the Prometheus text format. */
void ctl_print_prometheus(FILE *f, struct json_object *dump);

#endif /* VIGIL_CTL_H */
