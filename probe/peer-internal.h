/* peer-internal.h: what probe/peer*.c share and nobody else sees: the link and connection structs. */
#ifndef VIGIL_PEER_INTERNAL_H
#define VIGIL_PEER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "decide.h"
#include "peer.h"
#include "wire.h"

/* accept() calls per readable listener before the loop gets a turn (a flood must not starve timers). */
#define PEER_ACCEPT_BURST 16
/* How long listeners pause after accept() ran out of descriptors or memory (level-triggered: no spin). */
#define PEER_ACCEPT_PAUSE_MS 250

struct peer_listener {
	int fd;
	struct loop_io *io;
	int family;
	enum vg_conn
	    channel; /* the listener's address: main or aux (the acceptor's hello says it) */
	struct peer_link *link;
};

struct peer_conn {
	struct peer_link *link;
	struct peer_conn *next;
	int fd;
	int family;
	struct loop_io *io;
	struct loop_timer *timer; /* connect + handshake deadline */
	bool outgoing;
	bool connecting; /* outgoing, connect() in progress */
	bool established;
	bool dead;               /* closed: on_lost is due from the reaper */
	int err;                 /* on_lost's error once dead */
	enum vg_conn channel;    /* CONN_COUNT: incoming, the dialer's hello not there yet */
	enum vg_conn tx_channel; /* what our hello says (incoming: a guess from the listener) */
	unsigned events;         /* LOOP_READ / LOOP_WRITE watched now */
	int dscp;
	struct config_addr remote; /* the peer's (outgoing) or accept()'s (incoming) */
	uint64_t born_ms;
	struct wire_session s;
	struct wire_hello peer_hello;
	size_t in_len;
	size_t out_len;
	uint8_t in[PEER_IN_MAX];
	uint8_t out[PEER_OUT_MAX];
};

struct peer_link {
	struct loop *l;
	struct peer_params p;
	struct wire_key key;
	struct peer_callbacks cb;
	struct wire_hello hello;
	bool hello_set;
	struct peer_listener lis[PEER_LISTEN_MAX];
	int n_lis;
	struct loop_timer *reaper; /* delivers on_lost from the loop */
	struct loop_timer *resume; /* re-arms the listeners after an accept() pause */
	struct peer_conn *conns;
	struct peer_counters counters;
	struct peer_limit limit; /* rejected frames per remote address (peer.h "rate limit") */
};

/* peer-sock.c: sockets, addresses and options. */
int peer_sock_addr(const struct peer_addr *a, struct sockaddr_storage *ret, socklen_t *ret_len);
bool peer_sock_addr_equal(const struct peer_addr *x, const struct peer_addr *y);
int peer_sock_listen(const struct peer_addr *a, int *ret_fd);
int peer_sock_dial(const struct peer_addr *local, const struct peer_addr *remote, int *ret_fd);
int peer_sock_error(int fd);
int peer_sock_set_dscp(int fd, int family, int dscp);
int peer_sock_get_dscp(int fd, int family, int *ret_dscp);
int peer_sock_nodelay(int fd);
int peer_sock_from(const struct sockaddr_storage *ss, socklen_t len, struct config_addr *ret);
bool peer_sock_same_host(const struct config_addr *x, const struct config_addr *y);

/* peer-conn.c: one connection's life: handshake, reading, writing, closing. */
int peer_conn_new(struct peer_link *link, int fd, int family, bool outgoing, enum vg_conn channel,
    struct peer_conn **ret);
void peer_conn_fail(struct peer_conn *c, int err);
void peer_conn_reap(struct peer_link *link);
void peer_conn_destroy(struct peer_conn *c);
int peer_conn_watch(struct peer_conn *c);
int peer_conn_queue(struct peer_conn *c, const struct wire_msg *msg);
int peer_conn_start_dialer(struct peer_conn *c);
int peer_conn_start_acceptor(struct peer_conn *c);

/* peer-accept.c: the listeners. */
int peer_accept_open(struct peer_link *link);
void peer_accept_close(struct peer_link *link);
/* The link's resume timer: watch the listeners again after a pause. */
void peer_accept_resume(void *arg);
/* A rejected frame on c went through the rate limit: block its address if the limit says so. */
void peer_accept_limit(struct peer_link *link, const struct peer_conn *c,
    struct peer_limit_note *ret);

#endif
