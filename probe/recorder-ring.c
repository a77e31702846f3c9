/* recorder-ring.c: the flight recorder's ring: a byte FIFO of packet records bounded by its size, the oldest dropped first. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "recorder-internal.h"

int recorder_ring_init(struct recorder_ring *r, size_t cap)
{
	uint8_t *buf = malloc(cap);

	if (buf == NULL)
		return -ENOMEM;
	*r = (struct recorder_ring){ .buf = buf, .cap = cap };
	return 0;
}

void recorder_ring_fini(struct recorder_ring *r)
{
	free(r->buf);
	*r = (struct recorder_ring){ .buf = NULL };
}

/* Records may wrap around the end: they are copied in and out in at most two pieces. */
static void copy_in(struct recorder_ring *r, size_t off, const void *src, size_t n)
{
	size_t first = n < r->cap - off ? n : r->cap - off;

	memcpy(r->buf + off, src, first);
	memcpy(r->buf, (const uint8_t *)src + first, n - first);
}

static void copy_out(const struct recorder_ring *r, size_t off, void *dst, size_t n)
{
	size_t first = n < r->cap - off ? n : r->cap - off;

	memcpy(dst, r->buf + off, first);
	memcpy((uint8_t *)dst + first, r->buf, n - first);
}

static size_t rec_size(const struct recorder_rec *h)
{
	return sizeof(*h) + h->caplen;
}

static void drop_oldest(struct recorder_ring *r)
{
	struct recorder_rec h;

	copy_out(r, r->head, &h, sizeof(h));
	r->head = (r->head + rec_size(&h)) % r->cap;
	r->used -= rec_size(&h);
	r->count--;
}

int recorder_ring_push(struct recorder_ring *r, const struct recorder_rec *h, const uint8_t *data,
    uint64_t *ret_dropped)
{
	size_t n = rec_size(h), tail;
	uint64_t dropped = 0;

	if (n > r->cap)
		return -E2BIG;
	while (r->cap - r->used < n) {
		drop_oldest(r);
		dropped++;
	}
	tail = (r->head + r->used) % r->cap;
	copy_in(r, tail, h, sizeof(*h));
	copy_in(r, (tail + sizeof(*h)) % r->cap, data, h->caplen);
	r->used += n;
	r->count++;
	*ret_dropped = dropped;
	return 0;
}

size_t recorder_ring_expire(struct recorder_ring *r, uint64_t cutoff_ms)
{
	struct recorder_rec h;
	size_t n = 0;

	while (r->count > 0) {
		copy_out(r, r->head, &h, sizeof(h));
		if (h.mono_ms >= cutoff_ms)
			break;
		drop_oldest(r);
		n++;
	}
	return n;
}

void recorder_ring_read(const struct recorder_ring *r, size_t *off, struct recorder_rec *ret_h,
    uint8_t *ret_data)
{
	copy_out(r, *off, ret_h, sizeof(*ret_h));
	copy_out(r, (*off + sizeof(*ret_h)) % r->cap, ret_data, ret_h->caplen);
	*off = (*off + rec_size(ret_h)) % r->cap;
}
