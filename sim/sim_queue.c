/* sim_queue.c: the simulator's pending items, a binary min-heap on (time, insertion order) for determinism. */
#include <errno.h>
#include <stdlib.h>

#include "sim_int.h"

static bool item_before(const struct sim_item *a, const struct sim_item *b)
{
	if (a->t_ms != b->t_ms)
		return a->t_ms < b->t_ms;
	return a->order < b->order;
}

static void item_swap(struct sim_item *a, struct sim_item *b)
{
	struct sim_item t = *a;

	*a = *b;
	*b = t;
}

static int queue_grow(struct sim_queue *q)
{
	size_t cap = q->cap ? q->cap * 2 : 64;
	struct sim_item *items = reallocarray(q->items, cap, sizeof *items);

	if (items == NULL)
		return -ENOMEM;
	q->items = items;
	q->cap = cap;
	return 0;
}

/* Queue a copy of it; an allocation failure is kept in s->err and ends the run. */
void sim_queue_push(struct sim *s, struct sim_item *it)
{
	struct sim_queue *q = &s->q;
	size_t i;

	if (q->n == q->cap && queue_grow(q) < 0) {
		s->err = -ENOMEM;
		return;
	}
	it->order = q->order_next++;
	i = q->n++;
	q->items[i] = *it;
	while (i > 0 && item_before(&q->items[i], &q->items[(i - 1) / 2])) {
		item_swap(&q->items[i], &q->items[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
}

static void queue_sift_down(struct sim_queue *q)
{
	size_t i = 0;

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < q->n && item_before(&q->items[l], &q->items[m]))
			m = l;
		if (r < q->n && item_before(&q->items[r], &q->items[m]))
			m = r;
		if (m == i)
			return;
		item_swap(&q->items[i], &q->items[m]);
		i = m;
	}
}

bool sim_queue_pop(struct sim_queue *q, struct sim_item *ret)
{
	if (q->n == 0)
		return false;
	*ret = q->items[0];
	q->items[0] = q->items[--q->n];
	queue_sift_down(q);
	return true;
}

uint64_t sim_queue_next_ms(const struct sim_queue *q)
{
	return q->n ? q->items[0].t_ms : SIM_NEVER;
}

void sim_queue_free(struct sim_queue *q)
{
	free(q->items);
	*q = (struct sim_queue){ 0 };
}
