/* recorder-internal.h: what the flight recorder's files (recorder.c, recorder-ring.c, recorder-file.c) share inside probe/. */
#ifndef VIGIL_PROBE_RECORDER_INTERNAL_H
#define VIGIL_PROBE_RECORDER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pcap/pcap.h>

#include "recorder.h"

/* One kept packet as the ring stores it, followed by caplen bytes; may wrap around the end. */
struct recorder_rec {
	uint64_t mono_ms; /* when the loop read it: the window is on the monotonic clock */
	int64_t tv_sec;   /* the kernel's wall-clock stamp, for the file */
	uint32_t tv_usec;
	uint32_t caplen;
	uint32_t len;
	uint32_t pad;
};
_Static_assert(sizeof(struct recorder_rec) == RECORDER_RECORD_OVERHEAD, "ring overhead");

/* A byte FIFO of records: [head, head + used) modulo cap. */
struct recorder_ring {
	uint8_t *buf;
	size_t cap;
	size_t head;
	size_t used;
	size_t count;
};

struct recorder {
	struct loop *loop;
	pcap_t *pcap;
	struct loop_io *io;
	struct bpf_program prog; /* the filter in force, run again in user space */
	bool have_prog;
	uint32_t window_ms;
	uint32_t snaplen;
	unsigned error_run; /* consecutive read errors */
	struct recorder_ring ring;
	uint8_t *scratch; /* snaplen bytes: one packet out of the ring */
	struct recorder_stats st;
};

/* recorder-ring.c */
int recorder_ring_init(struct recorder_ring *r, size_t cap);
void recorder_ring_fini(struct recorder_ring *r);
/* Append one record, dropping the oldest until it fits: 0, or -E2BIG if it never can. */
int recorder_ring_push(struct recorder_ring *r, const struct recorder_rec *h, const uint8_t *data,
    uint64_t *ret_dropped);
/* Drop the records read before cutoff_ms; returns how many. */
size_t recorder_ring_expire(struct recorder_ring *r, uint64_t cutoff_ms);
/* The record at *off (data: room for its caplen); *off moves to the next one. */
void recorder_ring_read(const struct recorder_ring *r, size_t *off, struct recorder_rec *ret_h,
    uint8_t *ret_data);

/* recorder.c: read what the kernel holds now (bounded), and age the ring out. */
void recorder_drain(struct recorder *rec);
void recorder_expire(struct recorder *rec);

#endif /* VIGIL_PROBE_RECORDER_INTERNAL_H */
