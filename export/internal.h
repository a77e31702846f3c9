/* internal.h: what vigil-snmp's files share: the cache of vigild's answers, the events stream, the registrations; nothing outside export/ includes it. */
#ifndef VIGIL_EXPORT_INTERNAL_H
#define VIGIL_EXPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* net-snmp's headers in the order it requires: its configuration, the library, the agent's */
#include <net-snmp/net-snmp-config.h>

#include <net-snmp/net-snmp-includes.h>

#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "ctlclient.h"
#include "export.h"

/*
 * Never hold snmpd up (issue 7): a request that needs vigild's state makes at most one status
 * and one dump request, each bounded by CALL_TIMEOUT_MS, well inside the master's AgentX
 * timeout (1 s by default); an answer is reused for CACHE_MS; after a failed request the next
 * waits RETRY_MS, answering from what is known meanwhile (vigild unreachable).
 */
#define VSNMP_CALL_TIMEOUT_MS 250
#define VSNMP_CACHE_MS 1000
#define VSNMP_RETRY_MS 1000
/* status is also read unasked this often, for the drift and sync notifications */
#define VSNMP_POLL_MS 2000
/* the events stream: re-dialled this long after it broke; the backlog each subscription asks */
#define VSNMP_FOLLOW_RETRY_MS 1000
#define VSNMP_RESUME_RECORDS 200
#define VSNMP_LINE_MAX 65536 /* one journal record line, at most */
/* AgentX: ping the master this often (s), and re-open the session when it is gone */
#define VSNMP_AGENTX_PING_S 5

struct vsnmp {
	const char *socket_path; /* vigild's control socket */
	uint32_t root[EXPORT_OID_MAX];
	size_t root_len;
	/* the cache (cache.c) */
	struct export_status status;
	struct export_dump dump;
	bool status_ok; /* status holds vigild's latest answer: vigild is reachable */
	bool dump_ok;
	uint64_t status_ms, dump_ms; /* when read (monotonic) */
	uint64_t retry_ms;           /* no request before this, after a failure */
	bool failing;                /* the latest request failed (logged once) */
	char error[CTL_ERROR_MAX];   /* why the latest request failed; "" when answered */
	struct export_watch watch;
	unsigned changes; /* EXPORT_NOTIFY_* bits of status changes not yet notified */
	uint64_t next_poll_ms;
	/* the events --follow stream (follow.c) */
	int follow_fd;
	bool follow_resume; /* the next subscription resumes an earlier one */
	uint64_t follow_retry_ms;
	size_t line_len;
	char *line; /* VSNMP_LINE_MAX bytes */
	struct export_cursor cursor;
	/* the agent (agent.c, trap.c) */
	uint32_t notifications;
};

uint64_t vsnmp_now_ms(void); /* CLOCK_MONOTONIC */

/* cache.c: 0 when x->status (x->dump) holds an answer younger than VSNMP_CACHE_MS, reading it
 * anew if needed (force: even when young); a negative errno when vigild did not answer. */
int cache_status(struct vsnmp *x, uint64_t now_ms, bool force);
int cache_dump(struct vsnmp *x, uint64_t now_ms);
/* The unasked status poll; returns the next time it is due. */
uint64_t cache_tick(struct vsnmp *x, uint64_t now_ms);

/* follow.c: the events --follow stream, re-opened after vigild restarts. */
int follow_init(struct vsnmp *x, uint64_t now_ms);
int follow_fd(const struct vsnmp *x); /* -1 while closed */
void follow_input(struct vsnmp *x, uint64_t now_ms);
/* (Re)subscribe when due; returns when to look again (UINT64_MAX: while subscribed). */
uint64_t follow_tick(struct vsnmp *x, uint64_t now_ms);
void follow_free(struct vsnmp *x);

/* agent.c: VIGIL-MIB's registrations with the agent library (read-only handlers). */
int agent_register(struct vsnmp *x);
/* root . rel[0..n): ret holds MAX_OID_LEN; returns the length. */
size_t agent_oid(const struct vsnmp *x, const uint32_t *rel, size_t n, oid *ret);
/* A value as net-snmp takes it: the ASN type, and the bytes (*ret_val; a number in *num). */
u_char agent_asn(const struct export_value *v, long *num, const void **ret_val, size_t *ret_len);

/* trap.c: the notifications, through the master agent. */
void trap_event(struct vsnmp *x, const struct export_event *e);
void trap_changes(struct vsnmp *x); /* those of x->changes, which it clears */

#endif /* VIGIL_EXPORT_INTERNAL_H */
