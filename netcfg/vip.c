/* vip.c: the set of VIPs a primary holds: takeover (probe, add, then the announcing and listening of vip-announce.c) and release, and the notes (SPEC [netcfg] vip, garp_count; issue 6). */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "loop.h"
#include "vip-internal.h"
#include "vip.h"

static const char *const note_names[VIP_NOTE_COUNT] = {
	[VIP_NOTE_ADDED] = "added",
	[VIP_NOTE_PRESENT] = "present",
	[VIP_NOTE_REMOVED] = "removed",
	[VIP_NOTE_DUPLICATE] = "duplicate",
	[VIP_NOTE_ERROR] = "error",
};

const char *vip_note_kind_name(enum vip_note_kind k)
{
	return (unsigned)k < VIP_NOTE_COUNT ? note_names[k] : "unknown";
}

/* One line: "vip 10.0.0.100/24 dev eth0: <what>"; e NULL: about the device d alone. */
void vip_note(struct vip_set *s, enum vip_note_kind k, const struct vip_entry *e,
    const struct vip_dev *d, const char *fmt, ...)
{
	char text[VIP_NOTE_MAX];
	va_list ap;
	int n;

	if (s->note == NULL)
		return;
	if (e != NULL)
		n = snprintf(text, sizeof(text), "vip %s/%u dev %s: ", e->cfg.addr.text,
		    (unsigned)e->cfg.prefix, e->cfg.dev);
	else
		n = snprintf(text, sizeof(text), "vip dev %s: ", d->name);
	if (n < 0 || (size_t)n >= sizeof(text))
		n = 0; /* cannot happen: an address and a device name fit */
	va_start(ap, fmt);
	vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
	va_end(ap);
	s->note(k, text, s->arg);
}

/* ---- takeover and release ---- */

static void dev_prepare(struct vip_set *s, struct vip_dev *d)
{
	d->err = vip_dev_lookup(d);
	if (d->err == 0 && d->ether)
		d->err = vip_dev_open(d, s->loop, vip_on_readable, d);
}

static void entry_reset(struct vip_entry *e, bool held)
{
	e->info = (struct vip_info){ .held = held, .present = e->info.present };
	e->dup_pending = e->dup_noted = e->send_failed = false;
}

/* Probe, then add: the primary serves at once; a claim that answers the probe is noted later. */
static int entry_take(struct vip_set *s, struct nl_sock *sk, struct vip_entry *e)
{
	struct vip_dev *d = e->dev;
	bool added = false;
	int r_probe = 0, r;

	entry_reset(e, true);
	if (d->ifindex == 0) {
		vip_note(s, VIP_NOTE_ERROR, e, NULL, "%s", d->why);
		return d->err;
	}
	if (d->pcap != NULL)
		r_probe = vip_probe_send(s, e);
	r = vip_addr_add(sk, d->ifindex, &e->cfg, &added);
	if (r < 0) {
		vip_note(s, VIP_NOTE_ERROR, e, NULL, "add: %s", strerror(-r));
		return r;
	}
	e->info.present = true;
	vip_note(s, added ? VIP_NOTE_ADDED : VIP_NOTE_PRESENT, e, NULL, "%s",
	    added ? "added" : "already present");
	if (d->pcap == NULL)
		vip_note(s, VIP_NOTE_ERROR, e, NULL, "not announced: %s", d->why);
	/* A device that is not Ethernet (d->err 0) is the configuration's choice, not a failure. */
	return d->err < 0 ? d->err : r_probe;
}

/* Every address gets the same error note when netlink itself is out of reach. */
static int netlink_failed(struct vip_set *s, bool held, int err)
{
	for (size_t i = 0; i < s->n; i++) {
		entry_reset(&s->v[i], held);
		vip_note(s, VIP_NOTE_ERROR, &s->v[i], NULL, "netlink: %s", strerror(-err));
	}
	return err;
}

int vip_takeover(struct vip_set *s)
{
	struct nl_sock *sk;
	int first, r;

	vip_listen_stop(s);
	first = vip_addr_open(&sk);
	if (first < 0)
		return netlink_failed(s, true, first);
	/* Captures first: an answer to the probe can come back at once. */
	for (size_t i = 0; i < s->n_devs; i++)
		dev_prepare(s, &s->devs[i]);
	for (size_t i = 0; i < s->n; i++) {
		r = entry_take(s, sk, &s->v[i]);
		first = first < 0 ? first : r;
	}
	vip_addr_close(sk);
	r = vip_announce_start(s);
	return first < 0 ? first : r;
}

static int entry_drop(struct vip_set *s, struct nl_sock *sk, struct vip_entry *e)
{
	unsigned idx = if_nametoindex(e->cfg.dev);
	bool removed = false;
	int r;

	entry_reset(e, false);
	/* A device that is gone took its addresses with it. */
	r = idx == 0 ? 0 : vip_addr_del(sk, (int)idx, &e->cfg, &removed);
	if (r < 0) {
		vip_note(s, VIP_NOTE_ERROR, e, NULL, "remove: %s", strerror(-r));
		return r;
	}
	e->info.present = false;
	if (removed)
		vip_note(s, VIP_NOTE_REMOVED, e, NULL, "removed");
	return 0;
}

int vip_release(struct vip_set *s)
{
	struct nl_sock *sk;
	int first, r;

	vip_listen_stop(s);
	first = vip_addr_open(&sk);
	if (first < 0)
		return netlink_failed(s, false, first);
	for (size_t i = 0; i < s->n; i++) {
		r = entry_drop(s, sk, &s->v[i]);
		first = first < 0 ? first : r;
	}
	vip_addr_close(sk);
	return first;
}

/* ---- the set ---- */

static bool vip_valid(const struct config_vip *v)
{
	size_t len = strnlen(v->dev, sizeof(v->dev));

	if (len == 0 || len == sizeof(v->dev))
		return false;
	return (v->addr.family == AF_INET && v->prefix <= 32) ||
	    (v->addr.family == AF_INET6 && v->prefix <= 128);
}

/* The device named name, added on first use. */
static struct vip_dev *dev_get(struct vip_set *s, const char *name)
{
	struct vip_dev *d;

	for (size_t i = 0; i < s->n_devs; i++)
		if (strcmp(s->devs[i].name, name) == 0)
			return &s->devs[i];
	d = &s->devs[s->n_devs++];
	*d = (struct vip_dev){ .set = s };
	snprintf(d->name, sizeof(d->name), "%s", name);
	return d;
}

static int set_fill(struct vip_set *s, const struct config_vip *vips, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!vip_valid(&vips[i]))
			return -EINVAL;
	/* calloc(0) may return NULL: one slot at least. */
	s->v = calloc(n > 0 ? n : 1, sizeof(*s->v));
	s->devs = calloc(n > 0 ? n : 1, sizeof(*s->devs));
	s->timer = loop_timer_new(s->loop, vip_on_timer, s);
	if (s->v == NULL || s->devs == NULL || s->timer == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		s->v[i] = (struct vip_entry){ .cfg = vips[i] };
		s->v[i].dev = dev_get(s, vips[i].dev);
	}
	s->n = n;
	return 0;
}

int vip_new(struct loop *l, const struct config_vip *vips, size_t n, uint32_t garp_count,
    vip_note_fn *note_fn, void *arg, struct vip_set **ret)
{
	struct vip_set *s;
	int r;

	if (l == NULL || (vips == NULL && n > 0))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	*s = (struct vip_set){ .loop = l, .garp_count = garp_count, .note = note_fn, .arg = arg };
	r = set_fill(s, vips, n);
	if (r < 0) {
		vip_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

void vip_free(struct vip_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n_devs; i++)
		vip_dev_close(&s->devs[i]);
	loop_timer_free(s->timer);
	free(s->devs);
	free(s->v);
	free(s);
}

size_t vip_count(const struct vip_set *s)
{
	return s->n;
}

int vip_get(const struct vip_set *s, size_t i, struct config_vip *ret_vip,
    struct vip_info *ret_info)
{
	if (i >= s->n)
		return -ERANGE;
	if (ret_vip != NULL)
		*ret_vip = s->v[i].cfg;
	if (ret_info != NULL)
		*ret_info = s->v[i].info;
	return 0;
}
