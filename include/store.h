/* store.h: vigild's persistent state in state_dir: the node state file and the event journal. */
#ifndef VIGIL_STORE_H
#define VIGIL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decide.h"

/*
 * Contract (SPEC.md "State machine", "Command line", "Robustness and security"):
 * - Files in state_dir: "state" (state name and generation, replaced atomically: temp file,
 *   fsync, rename, fsync of the folder), "journal" (JSON lines, O_APPEND, one write() per
 *   record) and "journal.1" .. "journal.K" (rotated, oldest last).
 * - Every journal line ends with a "crc" member (CRC-32C of the line without it), so a torn
 *   or damaged line is detected and skipped on read, and the lines around it survive.
 * - No clock reads: the caller passes wall-clock time (store_time_format) and monotonic ms.
 * - Functions return 0 or a negative errno and leave outputs untouched on failure; those
 *   taking a struct store also leave a one-line message naming the file and why in
 *   store_error() (the store never logs: the caller logs once and decides).
 * - One writer per state_dir: a store opened for writing holds an exclusive flock on it.
 */

#define STORE_STATE_FILE "state"
#define STORE_STATE_TMP "state.tmp"
#define STORE_JOURNAL_FILE "journal"

#define STORE_JOURNAL_DEFAULT_MAX (1024 * 1024) /* bytes per journal file */
#define STORE_JOURNAL_MIN_MAX (16 * 1024)
#define STORE_JOURNAL_DEFAULT_KEEP 1 /* rotated files kept: journal.1 */
#define STORE_JOURNAL_KEEP_MAX 9

#define STORE_PATH_MAX 256 /* state_dir, as config's CONFIG_PATH_MAX */
#define STORE_ERR_MAX 512
#define STORE_NAME_MAX 32    /* a name: 1-31 of [A-Za-z0-9._-] */
#define STORE_TIME_MAX 40    /* RFC 3339 */
#define STORE_DETAIL_MAX 512 /* free text, UTF-8, including the NUL */
#define STORE_LINE_MAX 4096  /* one journal line, newline included */

struct store; /* opaque handle on one state_dir */

struct store_options {
	bool write;                 /* create state_dir (0700) if missing, and lock it */
	uint64_t journal_max_bytes; /* a journal file rotates before passing this; 0 = default */
	unsigned journal_keep;      /* rotated files the writer keeps, 1..KEEP_MAX; 0 = default */
};

/* Flags of store_journal_append(). */
#define STORE_SYNC 0x1 /* fdatasync the journal before returning */

/* The diagnosis behind a verdict, for `vigilctl why` (decide.h struct vg_diag_snapshot). */
struct store_diag {
	bool main_up;
	bool aux_up;
	bool carrier_lost_all;
	bool module_down_confirmed;
	char net[STORE_NAME_MAX];     /* decide_netstatus_name() */
	char primary[STORE_NAME_MAX]; /* decide_reach_name() of the primary host */
};

/* One journal record. Strings are NUL-terminated; optional names are "" when absent. */
struct store_record {
	char time[STORE_TIME_MAX];    /* RFC 3339 with ms, e.g. from store_time_format() */
	uint64_t mono_ms;             /* CLOCK_MONOTONIC ms, at most INT64_MAX */
	char state[STORE_NAME_MAX];   /* node state after the event */
	char kind[STORE_NAME_MAX];    /* decide_record_kind_name() or a daemon kind ("hook", …) */
	char from[STORE_NAME_MAX];    /* optional: the state before a transition */
	char verdict[STORE_NAME_MAX]; /* optional */
	char reason[STORE_NAME_MAX];  /* optional */
	bool has_diag;
	struct store_diag diag;
	char detail[STORE_DETAIL_MAX]; /* free text; invalid UTF-8 bytes are written as '?' */
};

/* What a read met. Torn: a cut-short last line or a run of NUL bytes (power cut). */
struct store_read_stats {
	uint64_t records; /* records handed to the callback */
	uint64_t torn;
	uint64_t corrupt; /* complete lines failing the checksum, the JSON or a field check */
	uint64_t gaps;    /* follow: records lost to rotations faster than the reader */
};

/* A position in the journal for store_journal_follow(); all zero = the current journal's start. */
struct store_cursor {
	uint64_t dev;
	uint64_t ino;
	uint64_t offset; /* bytes of that file already read */
};

/* Called once per valid record, oldest first; a negative return stops the read and is returned. */
typedef int (*store_record_fn)(const struct store_record *r, void *arg);

/* Open state_dir; opt NULL = read only, defaults. */
int store_open(const char *dir, const struct store_options *opt, struct store **ret);
void store_close(struct store *s);
/* The message of the last failure on s: "DIR/FILE: why". */
const char *store_error(const struct store *s);

/* Replace the state file atomically and durably (ACT_PERSIST). */
int store_state_save(struct store *s, enum vg_state state, uint64_t generation);
/* -ENOENT: no state file (first start); -EBADMSG: torn, damaged or not ours (store_error says why). */
int store_state_load(struct store *s, enum vg_state *ret_state, uint64_t *ret_generation);
/* Parse a state file's bytes; on -EBADMSG *ret_why (if not NULL) says why. */
int store_state_parse(const char *buf, size_t len, enum vg_state *ret_state,
    uint64_t *ret_generation, const char **ret_why);

/* Wall-clock ms since the epoch as RFC 3339 UTC with ms ("2024-05-01T12:00:00.250Z"). */
int store_time_format(int64_t wall_ms, char ret_time[STORE_TIME_MAX]);
/* A journal record from a decision-core record and the wall-clock time of its mono t_ms. */
int store_record_from_decide(const struct vg_record *v, int64_t wall_ms, struct store_record *ret);
/* One journal line, newline included (-EINVAL: a field out of syntax). */
int store_record_format(const struct store_record *r, char ret_line[STORE_LINE_MAX],
    size_t *ret_len);

/* Append one record (flags: STORE_SYNC), rotating first when the file would pass the bound. */
int store_journal_append(struct store *s, const struct store_record *r, unsigned flags);
/* One line without its newline: 0, or -EBADMSG when torn or damaged. */
int store_journal_parse_line(const char *line, size_t len, struct store_record *ret);
/* Journal bytes from memory (the reader's core, also the fuzz entry point). */
int store_journal_parse(const char *buf, size_t len, store_record_fn fn, void *arg,
    struct store_read_stats *ret_stats);
/* The last n valid records across journal.9 .. journal, oldest first (n = SIZE_MAX: all);
 * ret_cursor (may be NULL) is where store_journal_follow() goes on from. */
int store_journal_read_last(struct store *s, size_t n, store_record_fn fn, void *arg,
    struct store_cursor *ret_cursor, struct store_read_stats *ret_stats);
/* Records completed since cursor (updated on success), following a rotation once;
 * a line still being written stays for the next call. */
int store_journal_follow(struct store *s, struct store_cursor *cursor, store_record_fn fn,
    void *arg, struct store_read_stats *ret_stats);

#endif /* VIGIL_STORE_H */
