/* vip-internal.h: what the VIP files (vip.c, vip-announce.c, vip-addr.c, vip-dev.c, vip-frame.c) share inside netcfg/. */
#ifndef VIGIL_NETCFG_VIP_INTERNAL_H
#define VIGIL_NETCFG_VIP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pcap/pcap.h>

#include "config.h"
#include "loop.h"
#include "vip.h"

/* The longest frame built here (an NA with its option: 86 bytes), rounded up. */
#define VIP_FRAME_MAX 128
#define VIP_ARP_FRAME_LEN 42 /* Ethernet 14 + ARP 28; the NIC pads to 60 */
#define VIP_NS_FRAME_LEN 78  /* Ethernet 14 + IPv6 40 + NS 24 */
#define VIP_NA_FRAME_LEN 86  /* Ethernet 14 + IPv6 40 + NA 24 + target link-layer option 8 */
#define VIP_ARP_REQUEST 1
#define VIP_ARP_REPLY 2

struct nl_sock;

/* One device the configured addresses live on; the capture is open only while listening. */
struct vip_dev {
	struct vip_set *set; /* the owner, for the capture's callback */
	char name[CONFIG_NAME_MAX];
	int ifindex;                /* at the last takeover; 0: missing */
	bool ether;                 /* ARPHRD_ETHER: frames can be built for it */
	uint8_t mac[VIP_MAC_LEN];   /* ours: claims from it are not duplicates */
	pcap_t *pcap;               /* injects and captures; NULL when closed */
	struct loop_io *io;         /* the capture on the loop */
	int err;                    /* the last takeover's lookup and open: 0 or -errno */
	char why[PCAP_ERRBUF_SIZE]; /* why no frames go out on it, for the notes */
};

/* One configured address and its state. */
struct vip_entry {
	struct config_vip cfg;
	struct vip_info info;
	struct vip_dev *dev;
	bool dup_pending; /* a claim seen inside pcap_dispatch, noted after it */
	bool dup_noted;   /* once per address and takeover */
	bool send_failed; /* likewise for the error note of a failed send */
};

/* What vip.h hands out. */
struct vip_set {
	struct loop *loop;
	struct vip_entry *v;
	size_t n;
	struct vip_dev *devs;
	size_t n_devs;
	uint32_t garp_count;
	vip_note_fn *note;
	void *arg;
	struct loop_timer *timer; /* the next announcement, or the end of listening */
	uint32_t rounds_done;     /* announcement rounds since the takeover */
	uint64_t start_ms;        /* round k is due at start_ms + k * VIP_ANNOUNCE_INTERVAL_MS */
	uint64_t listen_until_ms;
	/* Bumped by takeover, release and stop: a callback whose note led the caller to call
	 * either of them sees that its state is gone and returns. */
	uint64_t generation;
};

/* vip-frame.c: pure builders (cap: room in ret_buf, at least the frame's length; -ENOBUFS if
 * not) and the parser of captured frames. */
int vip_frame_garp(const uint8_t mac[VIP_MAC_LEN], const uint8_t ip[4], uint16_t op,
    uint8_t *ret_buf, size_t cap, size_t *ret_len);
int vip_frame_arp_probe(const uint8_t mac[VIP_MAC_LEN], const uint8_t ip[4], uint8_t *ret_buf,
    size_t cap, size_t *ret_len);
int vip_frame_na(const uint8_t mac[VIP_MAC_LEN], const uint8_t ip6[16], uint8_t *ret_buf,
    size_t cap, size_t *ret_len);
int vip_frame_ns_probe(const uint8_t mac[VIP_MAC_LEN], const uint8_t ip6[16], uint8_t *ret_buf,
    size_t cap, size_t *ret_len);
/* The ICMPv6 checksum over the pseudo-header and len bytes of message (its checksum field
 * included: 0 when building, the sum then checks to 0 on a valid message). */
uint16_t vip_icmp6_checksum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *msg,
    size_t len);
void vip_mac_format(const uint8_t mac[VIP_MAC_LEN], char ret[VIP_MAC_TEXT]);

/* vip-addr.c: the kernel's addresses through libnl-route. */
int vip_addr_open(struct nl_sock **ret);
void vip_addr_close(struct nl_sock *sk);
/* 0 (*ret_added false: it was already there) or a negative errno. */
int vip_addr_add(struct nl_sock *sk, int ifindex, const struct config_vip *v, bool *ret_added);
/* 0 (*ret_removed false: it was not there) or a negative errno. */
int vip_addr_del(struct nl_sock *sk, int ifindex, const struct config_vip *v, bool *ret_removed);

/* vip-dev.c: the device's index, type and MAC, and its pcap handle. */
int vip_dev_lookup(struct vip_dev *d);
/* Open the capture (ARP and NAs coming in) and watch it on the loop; d->why says why not. */
int vip_dev_open(struct vip_dev *d, struct loop *l, loop_io_cb *cb, void *arg);
void vip_dev_close(struct vip_dev *d);
int vip_dev_send(struct vip_dev *d, const uint8_t *frame, size_t len);

/* vip.c: one note line, "vip 10.0.0.100/24 dev eth0: <what>"; e NULL: about device d. */
__attribute__((format(printf, 5, 6))) void vip_note(struct vip_set *s, enum vip_note_kind k,
    const struct vip_entry *e, const struct vip_dev *d, const char *fmt, ...);

/* vip-announce.c: a takeover's frames and listening. The captures must be open (vip_dev_open
 * with vip_on_readable) before vip_probe_send; vip_announce_start sends round 0 and arms
 * s->timer (callback vip_on_timer) for the rest and for the end of listening. */
int vip_probe_send(struct vip_set *s, struct vip_entry *e);
int vip_announce_start(struct vip_set *s);
/* Disarm the timer, close every capture, and bump the generation. */
void vip_listen_stop(struct vip_set *s);
void vip_on_timer(void *arg);
void vip_on_readable(int fd, unsigned events, void *arg);

#endif /* VIGIL_NETCFG_VIP_INTERNAL_H */
