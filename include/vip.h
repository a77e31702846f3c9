/* vip.h: virtual addresses a primary holds: added and removed through libnl, announced with gratuitous ARP (IPv4) and unsolicited neighbour advertisements (IPv6), duplicates on the link noticed (SPEC [netcfg] vip, garp_count; issue 6). */
#ifndef VIGIL_VIP_H
#define VIGIL_VIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/*
 * Contract:
 * - vip_takeover: for each configured address, first a duplicate probe (ARP request from
 *   0.0.0.0 / neighbour solicitation from ::, RFC 5227 / RFC 4862 style) is sent, then the
 *   address is added through libnl (IPv6 with IFA_F_NODAD: the primary serves at once); an
 *   address already present is not an error. Then garp_count announcements per address (the
 *   first at once, the rest VIP_ANNOUNCE_INTERVAL_MS apart on loop timers): a gratuitous ARP
 *   (request and reply) for IPv4, an unsolicited NA to ff02::1 with the override flag for
 *   IPv6, both sent from the interface's MAC with libpcap's pcap_inject.
 * - While announcing (and VIP_DUPLICATE_WINDOW_MS after the probe at least), the link is
 *   listened to with libpcap: an ARP from, or an NA for, a VIP with a sender MAC that is not
 *   the interface's is a duplicate: reported once per address and takeover through note.
 * - vip_release removes every configured address that is present (an absent one is not an
 *   error) and stops any announcing.
 * - Nothing blocks: capture handles are non-blocking and read from the loop. Nothing logs
 *   (STYLE 22): everything worth a journal line goes through note; functions return 0 or a
 *   negative errno (the first failure; the other addresses are still tried).
 */

#define VIP_ANNOUNCE_INTERVAL_MS 1000u
#define VIP_DUPLICATE_WINDOW_MS 1000u
#define VIP_NOTE_MAX 200
#define VIP_MAC_LEN 6
#define VIP_MAC_TEXT 18 /* "aa:bb:cc:dd:ee:ff" and its NUL */

struct loop;
struct vip_set;

enum vip_note_kind {
	VIP_NOTE_ADDED,     /* an address was added */
	VIP_NOTE_PRESENT,   /* an address was already there */
	VIP_NOTE_REMOVED,   /* an address was removed */
	VIP_NOTE_DUPLICATE, /* another MAC claims the address on the link */
	VIP_NOTE_ERROR,     /* add, remove, probe or announce failed */
	VIP_NOTE_COUNT,
};

/* Called from vip_takeover/vip_release and later from the loop; text is one line naming the
 * address, the device and, for errors, why. It may call vip_takeover or vip_release on the
 * set, never vip_free. */
typedef void vip_note_fn(enum vip_note_kind kind, const char *text, void *arg);

/* Per address, for dump and tests. */
struct vip_info {
	bool held;                        /* between a takeover and a release */
	bool present;                     /* on the device after the last add/remove */
	uint32_t announced;               /* announcements sent since the last takeover */
	uint32_t duplicates;              /* duplicate claims seen since the last takeover */
	char duplicate_mac[VIP_MAC_TEXT]; /* the last claimant, "aa:bb:cc:dd:ee:ff", or "" */
};

/* vips/n are copied. garp_count: announcements per takeover (0: none). */
int vip_new(struct loop *l, const struct config_vip *vips, size_t n, uint32_t garp_count,
    vip_note_fn *note, void *arg, struct vip_set **ret);
/* Frees without removing addresses (a restart must not drop a primary's addresses). */
void vip_free(struct vip_set *s);
int vip_takeover(struct vip_set *s);
int vip_release(struct vip_set *s);
size_t vip_count(const struct vip_set *s);
/* Address i as configured and its state (either output may be NULL): 0, or -ERANGE. */
int vip_get(const struct vip_set *s, size_t i, struct config_vip *ret_vip,
    struct vip_info *ret_info);
const char *vip_note_kind_name(enum vip_note_kind k);

/*
 * Outside input, pure (a fuzz target links it alone): a captured Ethernet frame that claims an
 * address: an ARP request or reply (its sender IP, not 0.0.0.0, and sender MAC) or a neighbour
 * advertisement (its target, and the target link-layer option's MAC, else the Ethernet
 * source). 0 and the claim, or -EINVAL for anything else, truncated and malformed frames
 * included; reads only frame[0, len).
 */
int vip_frame_claim(const uint8_t *frame, size_t len, struct config_addr *ret_addr,
    uint8_t ret_mac[VIP_MAC_LEN]);

#endif /* VIGIL_VIP_H */
