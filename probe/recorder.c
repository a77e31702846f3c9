/* recorder.c: the flight recorder's capture: a non-blocking libpcap handle read from the loop, its filter, and the packets kept in the ring. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "loop.h"
#include "recorder-internal.h"
#include "recorder.h"

/* Packets per pcap_dispatch, and calls per wake-up: a flood cannot hold the loop. */
#define DISPATCH_BATCH 256
#define DISPATCH_ROUNDS 4
/* The kernel's ring between two reads: thousands of snaplen frames. */
#define KERNEL_BUFFER_BYTES (1024 * 1024)
/* Read errors in a row before the capture is given up (a dead fd would spin the loop). */
#define ERROR_RUN_MAX 16
/* Until a filter is given: len <= 0 matches no packet, so the kernel passes nothing up. */
#define FILTER_NOTHING "less 0"

static void say(char *ret_err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(char *ret_err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (ret_err == NULL || err_len == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(ret_err, err_len, fmt, ap); /* a cut message is still a message */
	va_end(ap);
}

static int opts_check(const struct recorder_opts *o, struct recorder_opts *ret)
{
	struct recorder_opts v = *o;

	v.device = v.device != NULL ? v.device : RECORDER_DEVICE_DEFAULT;
	v.window_ms = v.window_ms != 0 ? v.window_ms : RECORDER_WINDOW_DEFAULT_MS;
	v.budget_bytes = v.budget_bytes != 0 ? v.budget_bytes : RECORDER_BUDGET_DEFAULT;
	v.snaplen = v.snaplen != 0 ? v.snaplen : RECORDER_SNAPLEN_DEFAULT;
	if (v.window_ms > RECORDER_WINDOW_MAX_MS || v.budget_bytes < RECORDER_BUDGET_MIN ||
	    v.budget_bytes > RECORDER_BUDGET_MAX || v.snaplen < RECORDER_SNAPLEN_MIN ||
	    v.snaplen > RECORDER_SNAPLEN_MAX || v.device[0] == '\0')
		return -EINVAL;
	*ret = v;
	return 0;
}

static int activate_errno(int status)
{
	switch (status) {
	case PCAP_ERROR_PERM_DENIED:
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		return -EPERM;
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return -ENODEV;
	case PCAP_ERROR_IFACE_NOT_UP:
		return -ENETDOWN;
	default:
		return -EIO;
	}
}

static int activate(pcap_t *p, const struct recorder_opts *o, char *ret_err, size_t err_len)
{
	int status, r;

	if (pcap_set_snaplen(p, (int)o->snaplen) != 0 || pcap_set_promisc(p, 0) != 0 ||
	    pcap_set_immediate_mode(p, 1) != 0 ||
	    pcap_set_buffer_size(p, KERNEL_BUFFER_BYTES) != 0) {
		say(ret_err, err_len, "flight recorder: %s: cannot set capture options", o->device);
		return -EIO;
	}
	status = pcap_activate(p);
	if (status >= 0) /* 0, or a warning (PCAP_WARNING_*): capturing anyway */
		return 0;
	r = activate_errno(status);
	if (r == -EPERM)
		say(ret_err, err_len,
		    "flight recorder off: capturing packets needs CAP_NET_RAW (run vigild as root or "
		    "grant it CAP_NET_RAW): %s",
		    pcap_geterr(p));
	else
		say(ret_err, err_len, "flight recorder off: %s: %s", o->device, pcap_geterr(p));
	return r;
}

static int capture_open(struct recorder *rec, const struct recorder_opts *o, char *ret_err,
    size_t err_len)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_create(o->device, ebuf);
	int r;

	if (p == NULL) {
		say(ret_err, err_len, "flight recorder off: %s: %s", o->device, ebuf);
		return -EIO;
	}
	r = activate(p, o, ret_err, err_len);
	if (r == 0 && pcap_setnonblock(p, 1, ebuf) != 0) {
		say(ret_err, err_len, "flight recorder off: %s: %s", o->device, ebuf);
		r = -EIO;
	}
	if (r < 0) {
		pcap_close(p);
		return r;
	}
	rec->pcap = p;
	rec->st.linktype = pcap_datalink(p);
	return 0;
}

void recorder_expire(struct recorder *rec)
{
	uint64_t now = loop_now_ms(rec->loop);

	if (now > rec->window_ms)
		rec->st.dropped_window += recorder_ring_expire(&rec->ring, now - rec->window_ms);
}

/* pcap_handler: one packet from the kernel, checked against the filter in force and kept. */
static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct recorder *rec = (struct recorder *)(void *)user;
	struct recorder_rec r = {
		.mono_ms = loop_now_ms(rec->loop),
		.tv_sec = h->ts.tv_sec,
		.tv_usec = (uint32_t)h->ts.tv_usec,
		.caplen = h->caplen < rec->snaplen ? h->caplen : rec->snaplen,
		.len = h->len,
	};
	uint64_t dropped = 0;

	if (!rec->have_prog || pcap_offline_filter(&rec->prog, h, bytes) == 0) {
		rec->st.filtered++;
		return;
	}
	rec->st.truncated += h->len > r.caplen;
	recorder_expire(rec);
	if (recorder_ring_push(&rec->ring, &r, bytes, &dropped) != 0)
		return; /* cannot happen: opts_check keeps a record far below the budget */
	rec->st.dropped_budget += dropped;
	rec->st.captured++;
}

static void read_failed(struct recorder *rec)
{
	rec->st.read_errors++;
	if (++rec->error_run < ERROR_RUN_MAX || rec->io == NULL)
		return;
	loop_io_del(rec->io);
	rec->io = NULL;
	rec->st.stopped = true;
}

void recorder_drain(struct recorder *rec)
{
	for (int i = 0; i < DISPATCH_ROUNDS && !rec->st.stopped; i++) {
		int n = pcap_dispatch(rec->pcap, DISPATCH_BATCH, on_packet, (u_char *)rec);

		if (n < 0) {
			read_failed(rec);
			return;
		}
		rec->error_run = 0;
		if (n < DISPATCH_BATCH)
			return;
	}
}

static void on_readable(int fd, unsigned events, void *arg)
{
	struct recorder *rec = arg;

	(void)fd;
	(void)events;
	rec->st.reads++;
	recorder_drain(rec);
}

/* Compile, hand to the kernel, and keep for the check in user space. */
static int filter_apply(struct recorder *rec, const char *bpf, char *ret_err, size_t err_len)
{
	struct bpf_program prog;

	if (bpf == NULL || strnlen(bpf, RECORDER_FILTER_MAX) == RECORDER_FILTER_MAX) {
		say(ret_err, err_len, "flight recorder: filter missing or too long");
		return -EINVAL;
	}
	if (pcap_compile(rec->pcap, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		say(ret_err, err_len, "flight recorder: filter: %s", pcap_geterr(rec->pcap));
		return -EINVAL;
	}
	if (pcap_setfilter(rec->pcap, &prog) != 0) {
		say(ret_err, err_len, "flight recorder: filter: %s", pcap_geterr(rec->pcap));
		pcap_freecode(&prog);
		return -EIO;
	}
	if (rec->have_prog)
		pcap_freecode(&rec->prog);
	rec->prog = prog;
	rec->have_prog = true;
	return 0;
}

int recorder_set_filter(struct recorder *rec, const char *bpf, char *ret_err, size_t err_len)
{
	int r;

	/* What the old filter let in until now was vigil's traffic then: keep it. */
	recorder_drain(rec);
	r = filter_apply(rec, bpf, ret_err, err_len);
	if (r == 0)
		rec->st.filter_changes++;
	return r;
}

static int ring_setup(struct recorder *rec, size_t budget)
{
	rec->scratch = malloc(rec->snaplen);
	if (rec->scratch == NULL)
		return -ENOMEM;
	rec->st.budget_bytes = budget;
	return recorder_ring_init(&rec->ring, budget);
}

static int watch(struct recorder *rec, char *ret_err, size_t err_len)
{
	int fd = pcap_get_selectable_fd(rec->pcap);

	if (fd < 0) {
		say(ret_err, err_len,
		    "flight recorder off: the capture has no pollable descriptor");
		return -EIO;
	}
	rec->io = loop_io_add(rec->loop, fd, LOOP_READ, on_readable, rec);
	if (rec->io == NULL) {
		int r = errno != 0 ? -errno : -ENOMEM;

		say(ret_err, err_len, "flight recorder off: %s", strerror(-r));
		return r;
	}
	return 0;
}

int recorder_new(struct loop *l, const struct recorder_opts *o, struct recorder **ret,
    char *ret_err, size_t err_len)
{
	struct recorder_opts v;
	struct recorder *rec;
	int r = opts_check(o, &v);

	if (r < 0) {
		say(ret_err, err_len, "flight recorder: window, budget or snaplen out of range");
		return r;
	}
	rec = calloc(1, sizeof(*rec));
	if (rec == NULL) {
		say(ret_err, err_len, "flight recorder: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	*rec = (struct recorder){ .loop = l, .window_ms = v.window_ms, .snaplen = v.snaplen };
	rec->st.window_ms = v.window_ms;
	r = capture_open(rec, &v, ret_err, err_len);
	r = r < 0 ? r : filter_apply(rec, v.filter ? v.filter : FILTER_NOTHING, ret_err, err_len);
	r = r < 0 ? r : ring_setup(rec, v.budget_bytes);
	r = r < 0 ? r : watch(rec, ret_err, err_len);
	if (r < 0) {
		recorder_free(rec);
		return r;
	}
	rec->st.filter_changes = v.filter != NULL;
	*ret = rec;
	return 0;
}

void recorder_free(struct recorder *rec)
{
	if (rec == NULL)
		return;
	loop_io_del(rec->io);
	if (rec->pcap != NULL)
		pcap_close(rec->pcap);
	if (rec->have_prog)
		pcap_freecode(&rec->prog);
	recorder_ring_fini(&rec->ring);
	free(rec->scratch);
	free(rec);
}

void recorder_get_stats(struct recorder *rec, struct recorder_stats *ret)
{
	struct pcap_stat ps;

	recorder_expire(rec);
	rec->st.kept = rec->ring.count;
	rec->st.kept_bytes = rec->ring.used;
	if (pcap_stats(rec->pcap, &ps) == 0)
		rec->st.kernel_dropped = ps.ps_drop;
	*ret = rec->st;
}
