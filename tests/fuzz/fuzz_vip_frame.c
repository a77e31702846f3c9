/* fuzz_vip_frame.c: libFuzzer target for the frames vigild reads off a VIP's link while it takes the address over (duplicate detection, netcfg/vip-frame.c; STYLE 32). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vip.h"

#define ETH_HEADER 14
#define ARP_BODY 28

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A claim names an IPv4 or IPv6 address and comes from a frame long enough to hold one;
 * nothing is written on a refusal. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1); /* exactly size bytes: ASan sees an over-read */
	struct config_addr addr = { .family = -1 };
	uint8_t mac[VIP_MAC_LEN] = { 0xee, 0xee, 0xee, 0xee, 0xee, 0xee };

	if (buf == NULL)
		return 0;
	if (size > 0)
		memcpy(buf, data, size);
	if (vip_frame_claim(buf, size, &addr, mac) == 0) {
		if (addr.family != AF_INET && addr.family != AF_INET6)
			abort();
		if (size < ETH_HEADER + ARP_BODY)
			abort();
	} else if (addr.family != -1 || mac[0] != 0xee) {
		abort(); /* output touched on failure */
	}
	free(buf);
	return 0;
}

#define FUZZ_NAME "fuzz_vip_frame"
#include "replay.h"
