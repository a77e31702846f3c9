/* vip-dev.c: a VIP's device: its index, link type and MAC, and the libpcap handle that sends the probes and announcements and listens for other claims. */
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "vip-internal.h"

/* Enough for an NA with a few options; the parser needs no more. */
#define CAPTURE_SNAPLEN 256
/* The capture lives for seconds and sees only ARP and NAs. */
#define CAPTURE_BUFFER_BYTES (256 * 1024)
/* ARP, and ICMPv6 type 136 (NA) right after the IPv6 header: neighbour discovery carries no
 * extension headers. Everything else is dropped in the kernel. */
#define CAPTURE_FILTER "arp or (icmp6 and ip6[40] == 136)"

/* Why no frames go out on d; cut to fit (a note line is shorter anyway). */
__attribute__((format(printf, 2, 3))) static void say(struct vip_dev *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
}

int vip_dev_lookup(struct vip_dev *d)
{
	struct ifreq ifr = { 0 };
	unsigned idx = if_nametoindex(d->name);
	int fd, r = 0;

	d->ifindex = 0;
	d->ether = false;
	if (idx == 0 || strlen(d->name) >= sizeof(ifr.ifr_name)) {
		say(d, "no such device");
		return -ENODEV;
	}
	d->ifindex = (int)idx;
	memcpy(ifr.ifr_name, d->name, strlen(d->name) + 1);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
		r = -errno;
		say(d, "reading the MAC: %s", strerror(errno));
	} else if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		say(d, "not an Ethernet device: no probe, announcement or duplicate watch");
	} else {
		memcpy(d->mac, ifr.ifr_hwaddr.sa_data, VIP_MAC_LEN);
		d->ether = true;
	}
	if (fd >= 0)
		close(fd);
	return r;
}

static int activate(struct vip_dev *d, pcap_t *p)
{
	int status;

	if (pcap_set_snaplen(p, CAPTURE_SNAPLEN) != 0 || pcap_set_promisc(p, 0) != 0 ||
	    pcap_set_immediate_mode(p, 1) != 0 ||
	    pcap_set_buffer_size(p, CAPTURE_BUFFER_BYTES) != 0) {
		say(d, "capture: cannot set options");
		return -EIO;
	}
	status = pcap_activate(p);
	if (status >= 0) /* 0, or a warning: capturing anyway */
		return 0;
	say(d, "capture: %s", pcap_geterr(p));
	switch (status) {
	case PCAP_ERROR_PERM_DENIED:
		return -EPERM;
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return -ENODEV;
	case PCAP_ERROR_IFACE_NOT_UP:
		return -ENETDOWN;
	default:
		return -EIO;
	}
}

static int filter_set(struct vip_dev *d, pcap_t *p)
{
	struct bpf_program prog;
	int r = 0;

	if (pcap_compile(p, &prog, CAPTURE_FILTER, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		say(d, "capture filter: %s", pcap_geterr(p));
		return -EINVAL;
	}
	if (pcap_setfilter(p, &prog) != 0) {
		say(d, "capture filter: %s", pcap_geterr(p));
		r = -EIO;
	}
	pcap_freecode(&prog);
	return r;
}

static int capture_create(struct vip_dev *d, pcap_t **ret)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_create(d->name, ebuf);
	int r;

	if (p == NULL) {
		say(d, "capture: %s", ebuf);
		return -EIO;
	}
	r = activate(d, p);
	if (r == 0 && pcap_setnonblock(p, 1, ebuf) != 0) {
		say(d, "capture: %s", ebuf);
		r = -EIO;
	}
	r = r < 0 ? r : filter_set(d, p);
	if (r < 0) {
		pcap_close(p);
		return r;
	}
	/* Our own frames would only be skipped by the MAC check; not all link types support it. */
	(void)pcap_setdirection(p, PCAP_D_IN);
	*ret = p;
	return 0;
}

int vip_dev_open(struct vip_dev *d, struct loop *l, loop_io_cb *cb, void *arg)
{
	pcap_t *p;
	int fd, r;

	if (d->pcap != NULL)
		return 0;
	r = capture_create(d, &p);
	if (r < 0)
		return r;
	fd = pcap_get_selectable_fd(p);
	d->io = fd >= 0 ? loop_io_add(l, fd, LOOP_READ, cb, arg) : NULL;
	if (d->io == NULL) {
		r = fd >= 0 && errno != 0 ? -errno : -EIO;
		say(d, "capture: cannot watch it: %s", strerror(-r));
		pcap_close(p);
		return r;
	}
	d->pcap = p;
	return 0;
}

void vip_dev_close(struct vip_dev *d)
{
	loop_io_del(d->io);
	d->io = NULL;
	if (d->pcap != NULL)
		pcap_close(d->pcap);
	d->pcap = NULL;
}

int vip_dev_send(struct vip_dev *d, const uint8_t *frame, size_t len)
{
	int n, r;

	if (d->pcap == NULL)
		return -ENOTCONN;
	errno = 0;
	n = pcap_inject(d->pcap, frame, len);
	if (n == (int)len)
		return 0;
	r = n < 0 && errno != 0 ? -errno : -EIO; /* send(2)'s: ENETDOWN, ENOBUFS, ENXIO */
	say(d, "send: %s", n < 0 ? pcap_geterr(d->pcap) : "short write");
	return r;
}
