/* mm.c: the module monitor (SPEC "Module monitor", seed "Module Monitor"): module pings, failures, restarts. */
#include "internal.h"

static enum vg_conn first_conn(const struct decide *d)
{
	return d->p.ping_on_aux ? CONN_AUX : CONN_MAIN;
}

static enum vg_conn other_conn(enum vg_conn c)
{
	return c == CONN_MAIN ? CONN_AUX : CONN_MAIN;
}

void mm_start(struct decide *d)
{
	struct decide_mm *m = &d->mm;

	if (!m->running)
		out_record(d, REC_MODULE, "module monitor starts");
	m->running = true;
	m->conn = first_conn(d);
	m->failures = 0;
	m->outstanding = false;
	m->next_ping_ms = d->now_ms;
	m->last_event_ms = d->now_ms;
}

void mm_stop(struct decide *d)
{
	d->mm.running = false;
	d->mm.outstanding = false;
}

/* SPEC: when a connection comes up, the module monitor pings at once. */
void mm_ping_now(struct decide *d)
{
	if (!d->mm.running) {
		mm_start(d);
		return;
	}
	if (!d->mm.outstanding)
		d->mm.next_ping_ms = d->now_ms;
}

uint64_t mm_deadline(const struct decide *d)
{
	const struct decide_mm *m = &d->mm;
	uint64_t watchdog;

	if (!m->running)
		return NEVER;
	watchdog = m->last_event_ms + 3ull * (d->p.module_timeout_ms + d->p.module_retry_delay_ms);
	if (m->outstanding)
		return m->deadline_ms < watchdog ? m->deadline_ms : watchdog;
	return m->next_ping_ms < watchdog ? m->next_ping_ms : watchdog;
}

uint32_t mm_restarts(const struct decide *d, uint64_t now_ms)
{
	const struct decide_mm *m = &d->mm;
	uint32_t n = 0;

	for (uint32_t i = 0; i < m->n_restarts; i++)
		if (m->restart_ms[i] + d->p.max_restarts_period_ms > now_ms)
			n++;
	return n;
}

/* Every module ping result is a module-monitor event for the watchdog (SPEC "Primary monitor"). */
static void mm_event(struct decide *d)
{
	d->mm.last_event_ms = d->now_ms;
}

static void mm_down(struct decide *d, bool from_restarts, const char *why)
{
	struct decide_mm *m = &d->mm;

	m->failures = 0;
	m->conn = first_conn(d);
	m->responding = false;
	out_record(d, REC_MODULE, "module-down from the module monitor: %s", why);
	pm_module_down(d, from_restarts);
}

static void mm_failure(struct decide *d, const char *why)
{
	struct decide_mm *m = &d->mm;

	mm_event(d);
	m->failures++;
	m->responding = false;
	m->next_ping_ms = d->now_ms + d->p.module_retry_delay_ms;
	out_record(d, REC_MODULE, "module ping failed on %s (%u/%u): %s", decide_conn_name(m->conn),
	    m->failures, d->p.max_failures, why);
	if (m->failures < d->p.max_failures)
		return;
	m->failures = 0;
	if (m->conn == first_conn(d)) {
		/* Seed "Module Monitor": reset the count and go on on the other connection. */
		m->conn = other_conn(m->conn);
		out_record(d, REC_MODULE, "module monitor continues on the %s connection",
		    decide_conn_name(m->conn));
		return;
	}
	mm_down(d, false, "no answer on either connection");
}

static void mm_send(struct decide *d)
{
	struct decide_mm *m = &d->mm;
	enum vg_conn c = m->conn;

	if (!d->conn[c].up)
		c = other_conn(c);
	if (!d->conn[c].up) {
		/* SPEC: the module monitor runs only while a connection is up. */
		mm_stop(d);
		return;
	}
	m->seq = ++d->pm.seq_next;
	m->sent_conn = c;
	m->outstanding = true;
	m->deadline_ms = d->now_ms + d->p.module_timeout_ms;
	d->counters.module_pings++;
	out_action(d, ACT_SEND_MODULE_PING, c, m->seq, 0);
}

static void mm_watchdog(struct decide *d)
{
	uint64_t lapse = 3ull * (d->p.module_timeout_ms + d->p.module_retry_delay_ms);

	if (!d->mm.running || d->mm.last_event_ms + lapse > d->now_ms)
		return;
	d->counters.mm_watchdog++;
	out_record(d, REC_MONITOR, "module monitor silent for %llu ms: restarted",
	    (unsigned long long)lapse);
	d->mm.running = false;
	mm_start(d);
}

void mm_timers(struct decide *d)
{
	struct decide_mm *m = &d->mm;

	mm_watchdog(d);
	if (m->running && m->outstanding && m->deadline_ms <= d->now_ms) {
		m->outstanding = false;
		mm_failure(d, "no pong in time");
	}
	if (m->running && !m->outstanding && m->next_ping_ms <= d->now_ms)
		mm_send(d);
}

static void restart_stamp(struct decide *d)
{
	struct decide_mm *m = &d->mm;
	uint32_t cap = d->p.max_restarts < DECIDE_MAX_RESTART_STAMPS ? d->p.max_restarts
	                                                             : DECIDE_MAX_RESTART_STAMPS;

	if (cap == 0)
		cap = 1;
	m->restart_ms[m->restart_head] = d->now_ms;
	m->restart_head = (m->restart_head + 1) % cap;
	if (m->n_restarts < cap)
		m->n_restarts++;
}

/* A pong with a PID: restart tracking (seed: a new PID is a restart; the first pong never is). */
static bool mm_success(struct decide *d, int32_t pid)
{
	struct decide_mm *m = &d->mm;
	bool restart = m->last_pid != 0 && pid != m->last_pid;

	m->sequential = restart ? m->sequential + 1 : 0;
	if (restart) {
		restart_stamp(d);
		out_record(d, REC_MODULE,
		    "module restarted: pid %d -> %d (%u in period, %u in a row)", m->last_pid, pid,
		    mm_restarts(d, d->now_ms), m->sequential);
	}
	m->last_pid = pid;
	m->responding = true;
	m->failures = 0;
	m->conn = first_conn(d);
	m->next_ping_ms = d->now_ms + d->p.module_timeout_ms;
	if (restart && mm_restarts(d, d->now_ms) >= d->p.max_restarts) {
		mm_down(d, true, "too many restarts in max_restarts_period");
		return false;
	}
	if (restart && m->sequential >= d->p.max_sequential_restarts) {
		mm_down(d, true, "too many sequential restarts");
		return false;
	}
	return true;
}

/* A PID seen outside the module monitor's own pings (confirmation re-ping): false if it made module-down. */
bool mm_note_pid(struct decide *d, int32_t pid)
{
	d->module_answered = true;
	return mm_success(d, pid);
}

void mm_on_pong(struct decide *d, const struct vg_event *ev)
{
	struct decide_mm *m = &d->mm;

	conn_mark_up(d, ev->conn); /* any pong proves its connection up, a late one too */
	if (!m->running || !m->outstanding || ev->seq != m->seq) {
		d->counters.late_module_pongs++;
		return;
	}
	m->outstanding = false;
	mm_event(d);
	if (ev->flag) {
		/* Rejected: the module's state is unknown, not a failure (seed "Ping"). */
		m->next_ping_ms = d->now_ms + d->p.module_timeout_ms;
		return;
	}
	if (ev->pid <= 0) {
		mm_failure(d, "the primary says the module is not running");
		return;
	}
	d->module_answered = true;
	if (mm_success(d, ev->pid))
		rule_module_ok(d);
}

/* SPEC "Exit watch": the first notice for a PID counts as one failed ping now and cancels the one out. */
void mm_on_gone(struct decide *d, int32_t pid)
{
	struct decide_mm *m = &d->mm;

	if (!m->running || pid == m->gone_pid)
		return;
	m->gone_pid = pid;
	m->outstanding = false;
	mm_failure(d, "module-gone notice from the primary");
}
