/* parsers-net.c: value parsers for addresses and comma lists of addresses, VIPs and fence rules. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "internal.h"

#define ITEM_MAX 128
#define SHOW 60
#define IFNAME_MAX 15 /* IFNAMSIZ - 1 */

typedef int (*elem_fn)(char *item, void *ret, char *why);

static int addr(const char *s, struct config_addr *ret, char *why)
{
	if (value_addr(s, ret) == 0)
		return 0;
	config_why(why, "\"%.*s\" is not an IPv4 or IPv6 address (literals only, no host names)",
	    SHOW, s);
	return -EINVAL;
}

/* ADDR[/PREFIX] into ret (the prefix defaults to the full length unless need_prefix); prefix >= least. */
static int addr_prefix(char *s, bool need_prefix, int least, struct config_addr *ret,
    uint8_t *ret_prefix, char *why)
{
	char *slash = strchr(s, '/');

	if (slash)
		*slash = '\0';
	if (addr(s, ret, why) < 0)
		return -EINVAL;
	if (!slash && need_prefix) {
		config_why(why, "\"%.*s\" needs a prefix length (ADDR/PREFIX)", SHOW, s);
		return -EINVAL;
	}
	*ret_prefix = ret->family == AF_INET ? 32 : 128;
	if (slash &&
	    (value_prefix(slash + 1, ret->family, ret_prefix) < 0 || *ret_prefix < least)) {
		config_why(why, "\"%.*s\" is not a prefix length for %s (%d to %d)", SHOW,
		    slash + 1, ret->text, least, ret->family == AF_INET ? 32 : 128);
		return -EINVAL;
	}
	return 0;
}

static int port(const char *s, uint16_t *ret, char *why)
{
	int64_t v;

	if (value_int(s, &v) < 0 || v < 1 || v > 65535) {
		config_why(why, "\"%.*s\" is not a port (1 to 65535)", SHOW, s);
		return -EINVAL;
	}
	*ret = (uint16_t)v;
	return 0;
}

/* Shared by lists: the elements of v into the array at k->off, their count at k->off_n. */
static int parse_list(const struct config_key *k, const char *v, struct config *c, char *why,
    elem_fn fn, size_t size)
{
	char *arr = config_field(c, k), item[ITEM_MAX];
	size_t n = 0;
	int r;

	while ((r = value_list_next(&v, item, sizeof(item))) > 0) {
		if ((int64_t)n == k->max) {
			config_why(why, "too many elements (at most %lld)", (long long)k->max);
			return -EINVAL;
		}
		if (fn(item, arr + n * size, why) < 0)
			return -EINVAL;
		n++;
	}
	if (r == -E2BIG)
		config_why(why, "a list element is too long (at most %d characters)", ITEM_MAX - 1);
	else if (r < 0)
		config_why(why, "empty element in a comma list");
	if (r < 0)
		return -EINVAL;
	*(size_t *)((char *)c + k->off_n) = n;
	return 0;
}

int parse_addr(const struct config_key *k, const char *v, struct config *c, char *why)
{
	if (*v == '\0') {
		config_why(why, "empty value");
		return -EINVAL;
	}
	return addr(v, config_field(c, k), why);
}

static int elem_addr(char *item, void *ret, char *why)
{
	return addr(item, ret, why);
}

int parse_addrs(const struct config_key *k, const char *v, struct config *c, char *why)
{
	return parse_list(k, v, c, why, elem_addr, sizeof(struct config_addr));
}

static int ifname(const char *s, char *why)
{
	size_t n = strlen(s);

	if (n > IFNAME_MAX || strpbrk(s, "/:") || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
		config_why(why,
		    "\"%.*s\" is not an interface name (1 to %d characters, no '/' or ':')", SHOW,
		    s, IFNAME_MAX);
		return -EINVAL;
	}
	return 0;
}

/* ADDR/PREFIX dev IFACE */
static int elem_vip(char *item, void *ret, char *why)
{
	struct config_vip *vip = ret;
	char orig[ITEM_MAX], *save = NULL, *a, *dev, *ifc;

	snprintf(orig, sizeof(orig), "%s", item);
	a = strtok_r(item, " \t", &save);
	dev = strtok_r(NULL, " \t", &save);
	ifc = strtok_r(NULL, " \t", &save);
	if (!ifc || strtok_r(NULL, " \t", &save) || strcmp(dev, "dev") != 0) {
		config_why(why, "\"%.*s\" is not ADDR/PREFIX dev IFACE", SHOW, orig);
		return -EINVAL;
	}
	if (addr_prefix(a, true, 1, &vip->addr, &vip->prefix, why) < 0 || ifname(ifc, why) < 0)
		return -EINVAL;
	snprintf(vip->dev, sizeof(vip->dev), "%s", ifc);
	return 0;
}

int parse_vips(const struct config_key *k, const char *v, struct config *c, char *why)
{
	return parse_list(k, v, c, why, elem_vip, sizeof(struct config_vip));
}

/* tcp:PORT, udp:PORT or ADDR[/PREFIX] */
static int elem_fence(char *item, void *ret, char *why)
{
	struct config_fence *f = ret;
	char orig[ITEM_MAX];

	if (strncmp(item, "tcp:", 4) == 0 || strncmp(item, "udp:", 4) == 0) {
		f->kind = item[0] == 't' ? FENCE_TCP : FENCE_UDP;
		return port(item + 4, &f->port, why);
	}
	snprintf(orig, sizeof(orig), "%s", item);
	f->kind = FENCE_ADDR;
	if (addr_prefix(item, false, 0, &f->addr, &f->prefix, why) == 0)
		return 0;
	config_why(why, "\"%.*s\" is not tcp:PORT, udp:PORT or ADDR[/PREFIX]", SHOW, orig);
	return -EINVAL;
}

int parse_fences(const struct config_key *k, const char *v, struct config *c, char *why)
{
	return parse_list(k, v, c, why, elem_fence, sizeof(struct config_fence));
}
