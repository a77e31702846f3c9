/* vip-announce.c: a takeover's frames and listening: the probes, garp_count announcements on a loop timer, and the capture that notices another host claiming a held address. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <pcap/pcap.h>

#include "loop.h"
#include "vip-internal.h"

/* Frames per pcap_dispatch and calls per wake-up: a flood cannot hold the loop. */
#define DISPATCH_BATCH 64
#define DISPATCH_ROUNDS 4

static bool addr_equal(const struct config_addr *a, const struct config_addr *b)
{
	return a->family == b->family &&
	    memcmp(a->bytes, b->bytes, a->family == AF_INET ? 4 : 16) == 0;
}

/* ---- duplicates: claims captured on a device ---- */

static void claim_seen(struct vip_dev *d, const struct config_addr *a, const uint8_t *mac)
{
	struct vip_set *s = d->set;

	if (memcmp(mac, d->mac, VIP_MAC_LEN) == 0)
		return; /* ours: our announcements, or the kernel answering for us */
	for (size_t i = 0; i < s->n; i++) {
		struct vip_entry *e = &s->v[i];

		if (e->dev != d || !e->info.held || !addr_equal(&e->cfg.addr, a))
			continue;
		e->info.duplicates++;
		vip_mac_format(mac, e->info.duplicate_mac);
		e->dup_pending = !e->dup_noted;
	}
}

/* pcap_handler: no note from in here, as the caller may close the capture from its note. */
static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct vip_dev *d = (struct vip_dev *)(void *)user;
	struct config_addr a;
	uint8_t mac[VIP_MAC_LEN];

	if (vip_frame_claim(bytes, h->caplen, &a, mac) == 0)
		claim_seen(d, &a, mac);
}

static void duplicates_note(struct vip_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct vip_entry *e = &s->v[i];

		if (!e->dup_pending)
			continue;
		e->dup_pending = false;
		e->dup_noted = true;
		vip_note(s, VIP_NOTE_DUPLICATE, e, NULL, "duplicate: also claimed by %s",
		    e->info.duplicate_mac);
	}
}

void vip_on_readable(int fd, unsigned events, void *arg)
{
	struct vip_dev *d = arg;
	struct vip_set *s = d->set;
	int n = 0;

	(void)fd;
	(void)events;
	for (int i = 0; i < DISPATCH_ROUNDS; i++) {
		n = pcap_dispatch(d->pcap, DISPATCH_BATCH, on_frame, (u_char *)d);
		if (n < DISPATCH_BATCH)
			break;
	}
	if (n < 0) {
		char why[PCAP_ERRBUF_SIZE];

		/* Closed first: the note may lead the caller back into the set. */
		snprintf(why, sizeof(why), "%s", pcap_geterr(d->pcap));
		vip_dev_close(d);
		vip_note(s, VIP_NOTE_ERROR, NULL, d, "capture stopped: %s", why);
	}
	duplicates_note(s);
}

/* ---- probes and announcements ---- */

static int frame_send(struct vip_set *s, struct vip_entry *e, const uint8_t *f, size_t len,
    const char *what)
{
	int r = vip_dev_send(e->dev, f, len);

	if (r < 0 && !e->send_failed) {
		e->send_failed = true;
		vip_note(s, VIP_NOTE_ERROR, e, NULL, "%s: %s", what, e->dev->why);
	}
	return r;
}

int vip_probe_send(struct vip_set *s, struct vip_entry *e)
{
	uint8_t f[VIP_FRAME_MAX];
	size_t len = 0;
	int r;

	if (e->cfg.addr.family == AF_INET)
		r = vip_frame_arp_probe(e->dev->mac, e->cfg.addr.bytes, f, sizeof(f), &len);
	else
		r = vip_frame_ns_probe(e->dev->mac, e->cfg.addr.bytes, f, sizeof(f), &len);
	return r < 0 ? r : frame_send(s, e, f, len, "probe");
}

/* One announcement: a gratuitous ARP request and reply, or an unsolicited NA. */
static int announce_one(struct vip_set *s, struct vip_entry *e)
{
	static const uint16_t ops[] = { VIP_ARP_REQUEST, VIP_ARP_REPLY };
	uint8_t f[VIP_FRAME_MAX];
	size_t len = 0;
	int r = 0;

	if (e->cfg.addr.family == AF_INET6) {
		r = vip_frame_na(e->dev->mac, e->cfg.addr.bytes, f, sizeof(f), &len);
		return r < 0 ? r : frame_send(s, e, f, len, "announce");
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]) && r == 0; i++) {
		r = vip_frame_garp(e->dev->mac, e->cfg.addr.bytes, ops[i], f, sizeof(f), &len);
		r = r < 0 ? r : frame_send(s, e, f, len, "announce");
	}
	return r;
}

static int announce_round(struct vip_set *s)
{
	uint64_t gen = s->generation;
	int first = 0;

	for (size_t i = 0; i < s->n && s->generation == gen; i++) {
		struct vip_entry *e = &s->v[i];
		int r;

		/* Only what the takeover found there: a failed add is not announced. */
		if (!e->info.held || !e->info.present || e->dev->pcap == NULL)
			continue;
		r = announce_one(s, e);
		if (r == 0)
			e->info.announced++;
		else if (first == 0)
			first = r;
	}
	s->rounds_done++;
	return first;
}

void vip_listen_stop(struct vip_set *s)
{
	s->generation++;
	(void)loop_timer_at(s->timer, LOOP_NEVER);
	for (size_t i = 0; i < s->n_devs; i++)
		vip_dev_close(&s->devs[i]);
}

/* The next thing due: an announcement, else the end of listening; none: stop. */
static void timer_arm(struct vip_set *s)
{
	uint64_t at = s->listen_until_ms;

	if (s->rounds_done < s->garp_count)
		at = s->start_ms + (uint64_t)s->rounds_done * VIP_ANNOUNCE_INTERVAL_MS;
	else if (loop_now_ms(s->loop) >= s->listen_until_ms)
		at = LOOP_NEVER;
	/* On -ENOMEM too: a capture that no timer closes would stay open for good. */
	if (at == LOOP_NEVER || loop_timer_at(s->timer, at) != 0)
		vip_listen_stop(s);
}

void vip_on_timer(void *arg)
{
	struct vip_set *s = arg;
	uint64_t gen = s->generation;
	uint64_t due = s->start_ms + (uint64_t)s->rounds_done * VIP_ANNOUNCE_INTERVAL_MS;

	if (s->rounds_done < s->garp_count && loop_now_ms(s->loop) >= due)
		(void)announce_round(s); /* failures were noted */
	if (s->generation == gen)
		timer_arm(s);
}

/*
 * Round 0 at once, and the captures open until the later of the last round and
 * VIP_DUPLICATE_WINDOW_MS after the probes, which were just sent.
 */
int vip_announce_start(struct vip_set *s)
{
	uint64_t now = loop_now_ms(s->loop), last = now;
	uint64_t gen = s->generation;
	int r = 0;

	s->start_ms = now;
	s->rounds_done = 0;
	if (s->garp_count > 0) {
		last = now + (uint64_t)(s->garp_count - 1) * VIP_ANNOUNCE_INTERVAL_MS;
		r = announce_round(s);
	}
	s->listen_until_ms =
	    now + VIP_DUPLICATE_WINDOW_MS > last ? now + VIP_DUPLICATE_WINDOW_MS : last;
	if (s->generation == gen)
		timer_arm(s);
	return r;
}
