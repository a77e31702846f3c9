/* loop.h: the event loop behind four small calls (STYLE 6): file descriptors, absolute deadlines, signals, now. */
#ifndef VIGIL_LOOP_H
#define VIGIL_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#define LOOP_READ 0x1u
#define LOOP_WRITE 0x2u
#define LOOP_NEVER UINT64_MAX

struct loop;
struct loop_io;
struct loop_timer;

/* events: LOOP_READ and/or LOOP_WRITE that fired. */
typedef void loop_io_cb(int fd, unsigned events, void *arg);
typedef void loop_timer_cb(void *arg);
typedef void loop_signal_cb(int signo, void *arg);

int loop_new(struct loop **ret);
void loop_free(struct loop *l);
/* CLOCK_MONOTONIC in ms, read once per callback and cached (STYLE 8). */
uint64_t loop_now_ms(struct loop *l);
/* Wall clock in ms since the epoch, for journal times (travels as data). */
uint64_t loop_wall_ms(void);

/* Watch fd for events until loop_io_del; persistent. Returns NULL on failure (errno set). */
struct loop_io *loop_io_add(struct loop *l, int fd, unsigned events, loop_io_cb *cb, void *arg);
int loop_io_set(struct loop_io *io, unsigned events);
void loop_io_del(struct loop_io *io);

struct loop_timer *loop_timer_new(struct loop *l, loop_timer_cb *cb, void *arg);
/* Arm at an absolute CLOCK_MONOTONIC ms deadline (LOOP_NEVER disarms); a past deadline fires at once.
 * Returns 0 or -ENOMEM. */
int loop_timer_at(struct loop_timer *t, uint64_t deadline_ms);
void loop_timer_free(struct loop_timer *t);

int loop_signal_add(struct loop *l, int signo, loop_signal_cb *cb, void *arg);

/* Run until loop_stop(); returns 0 or a negative errno. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

#endif /* VIGIL_LOOP_H */
