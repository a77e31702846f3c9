/* recorder.h: the flight recorder: the last seconds of vigil's own pair and probe traffic, captured with libpcap into a bounded ring and written out as pcap files (issue 5; SPEC "Command line": dump). */
#ifndef VIGIL_RECORDER_H
#define VIGIL_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/*
 * Contract:
 * - One capture handle (by default the "any" device: every interface of the caller's network
 *   namespace, LINKTYPE_LINUX_SLL), non-blocking, read from the loop when its fd is readable;
 *   nothing here ever waits on the network.
 * - Only what the BPF filter in force matches is kept. The kernel runs it; each packet read is
 *   also checked against it in user space (cheap at vigil's rates), so what reached the socket
 *   before a filter took effect is not kept either. Without a filter nothing is kept.
 * - The ring holds at most window_ms of packets and at most budget_bytes (each packet's
 *   captured bytes plus RECORDER_RECORD_OVERHEAD); the oldest go first. The ring is allocated
 *   once, by recorder_new.
 * - Files are written whole or not at all (a temporary file in the same folder, then rename),
 *   mode 0600. They are not fsync'ed: they are diagnostics, written at a verdict, when the loop
 *   must not wait for the disk.
 * - Functions return 0 or a negative errno; nothing here logs (STYLE 22).
 */

#define RECORDER_DEVICE_DEFAULT "any"
#define RECORDER_WINDOW_DEFAULT_MS 60000u
#define RECORDER_WINDOW_MAX_MS 3600000u
#define RECORDER_BUDGET_DEFAULT ((size_t)4 * 1024 * 1024)
#define RECORDER_BUDGET_MIN ((size_t)64 * 1024)
#define RECORDER_BUDGET_MAX ((size_t)256 * 1024 * 1024)
/* Headers are all a diagnosis needs: link (16), IPv6 (40), TCP with options (60), and more. */
#define RECORDER_SNAPLEN_DEFAULT 256u
#define RECORDER_SNAPLEN_MIN 128u
#define RECORDER_SNAPLEN_MAX 4096u
/* Bytes of ring a packet costs beyond its captured bytes (its timestamps and lengths). */
#define RECORDER_RECORD_OVERHEAD 32u
/* A filter text with its NUL; room for recorder_filter_build with every address of a config. */
#define RECORDER_FILTER_MAX 4096
#define RECORDER_ERR_MAX 256
#define RECORDER_FILES_DEFAULT 5u
#define RECORDER_FILES_MAX 1000u

/*
 * recorder_write_rotating's file names, "flight-20240501T120000.250Z.pcap" (UTC): the name
 * order is the time order, so the latest file is the greatest name (vigilctl dump relies on it).
 */
#define RECORDER_FILE_PREFIX "flight-"
#define RECORDER_FILE_SUFFIX ".pcap"
#define RECORDER_FILE_NAME_LEN 32 /* without the NUL */

struct loop;
struct recorder; /* opaque: the capture handle, its filter and the ring */

struct recorder_opts {
	const char *device;  /* NULL: RECORDER_DEVICE_DEFAULT */
	uint32_t window_ms;  /* 0: default; at most RECORDER_WINDOW_MAX_MS */
	size_t budget_bytes; /* 0: default; RECORDER_BUDGET_MIN..RECORDER_BUDGET_MAX */
	uint32_t snaplen;    /* 0: default; RECORDER_SNAPLEN_MIN..RECORDER_SNAPLEN_MAX */
	const char *filter; /* BPF (pcap-filter(7)); NULL: keep nothing until recorder_set_filter */
};

struct recorder_stats {
	uint64_t kept;           /* packets in the ring now */
	uint64_t kept_bytes;     /* the ring bytes they take, overhead included: <= budget */
	uint64_t captured;       /* packets that matched the filter, since the start */
	uint64_t dropped_budget; /* oldest packets dropped to make room */
	uint64_t dropped_window; /* packets older than the window, dropped */
	uint64_t filtered;       /* delivered before the filter in force took effect; not kept */
	uint64_t truncated;      /* longer than snaplen: kept cut short */
	uint64_t kernel_dropped; /* lost before we read them (pcap_stats ps_drop) */
	uint64_t reads;          /* wake-ups of the capture fd */
	uint64_t read_errors;    /* pcap_dispatch failures */
	uint64_t filter_changes; /* filters put in force, the first one included */
	uint64_t files_written;
	uint64_t write_errors;
	uint64_t rotate_errors; /* old files or stale temporary files that could not be removed */
	bool stopped; /* capture given up after repeated read errors (ring still written) */
	int linktype; /* DLT/LINKTYPE of the capture; 113 (LINUX_SLL) for "any" */
	uint32_t window_ms;
	uint64_t budget_bytes;
};

/* What recorder_filter_build makes a filter of. Unset addresses (family 0, e.g. no aux) are
 * skipped. */
struct recorder_filter_spec {
	uint16_t peer_port; /* the pair's TCP port, both directions (required) */
	/* The peer's addresses: TCP on peer_port with them, and ICMP echo to and from them. None
	 * set: TCP on peer_port with anyone. */
	const struct config_addr *peers;
	size_t n_peers;
	/* ICMP echo to and from these too (NetTest addresses, gateways). */
	const struct config_addr *targets;
	size_t n_targets;
};

/*
 * Open the capture on the loop. Returns 0; -EPERM without the right to capture (CAP_NET_RAW);
 * -ENODEV no such device; -ENETDOWN the device is down; -EINVAL bad options or filter;
 * -ENOMEM; -EIO another libpcap failure. On failure, ret_err holds one line saying why (for the
 * daemon to log once) and *ret is untouched.
 */
int recorder_new(struct loop *l, const struct recorder_opts *o, struct recorder **ret,
    char *ret_err, size_t err_len);
void recorder_free(struct recorder *rec);

/*
 * Put a new filter in force (the gateways changed); packets already kept stay. 0; -EINVAL the
 * filter does not compile (ret_err says why) and the old one stays; -EIO the kernel refused it.
 */
int recorder_set_filter(struct recorder *rec, const char *bpf, char *ret_err, size_t err_len);

/*
 * Read what the kernel holds, then write the ring to path as a pcap file (the capture's
 * linktype and snaplen), atomically. 0; -ENAMETOOLONG; the errno of mkstemp, write or rename.
 */
int recorder_write(struct recorder *rec, const char *path);

/*
 * recorder_write into dir as RECORDER_FILE_PREFIX + the UTC time wall_ms + RECORDER_FILE_SUFFIX,
 * then remove the oldest such files beyond max_files (1..RECORDER_FILES_MAX) and stale
 * temporary files of ours. ret_path gets the new file's path. 0; -EINVAL; -ENAMETOOLONG; the
 * errors of recorder_write. A file that cannot be removed is counted (rotate_errors), not failed.
 */
int recorder_write_rotating(struct recorder *rec, const char *dir, uint64_t wall_ms,
    unsigned max_files, char *ret_path, size_t path_len);

/* The counters, after ageing the ring out (so kept and kept_bytes are current). */
void recorder_get_stats(struct recorder *rec, struct recorder_stats *ret);

/*
 * The filter for vigil's own traffic (pure): "tcp port P [and (host PEER ...)]" or ICMP and
 * ICMPv6 echo requests and replies to and from the peers and targets, each address once.
 * 0; -EINVAL (no port; an address neither IPv4, IPv6 nor unset); -ENOBUFS (longer than len or
 * than RECORDER_FILTER_MAX - 1; ret is then untouched).
 */
int recorder_filter_build(const struct recorder_filter_spec *s, char *ret, size_t len);

#endif /* VIGIL_RECORDER_H */
