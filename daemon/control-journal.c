/* control-journal.c: the journal over the control socket: events (last N, follow) and the causal chain behind `why`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "control-internal.h"
#include "control.h"
#include "loop.h"
#include "store.h"

#define WHY_SCAN 1000  /* records looked at for `why` (the episode is in the recent past) */
#define WHY_CONTEXT 20 /* module/monitor/... records kept before the diagnosis */

/* The store is opened read-only at the first use (vigild may create state_dir after us). */
static int journal_ready(struct control *c)
{
	if (c->store != NULL)
		return 0;
	if (c->state_dir[0] == '\0')
		return -ENOTSUP;
	return store_open(c->state_dir, NULL, &c->store);
}

static void journal_fail(struct control_client *cl, int r)
{
	struct control *c = cl->c;
	char why[CONTROL_MSG_MAX];

	c->counters.journal_errors++;
	if (r == -ENOTSUP)
		snprintf(why, sizeof(why), "no journal: vigild runs without a state_dir");
	else if (c->store == NULL)
		snprintf(why, sizeof(why), "journal not available: %.160s: %.60s", c->state_dir,
		    strerror(-r));
	else
		snprintf(why, sizeof(why), "journal not available: %.220s", store_error(c->store));
	control_client_fail(cl, "unavailable", why);
}

static int add_str(struct json_object *o, const char *key, const char *v, bool optional)
{
	if (optional && v[0] == '\0')
		return 0;
	return control_json_add(o, key, json_object_new_string(v));
}

static int add_bool(struct json_object *o, const char *key, bool v)
{
	return control_json_add(o, key, json_object_new_boolean(v));
}

static int diag_json(const struct store_diag *d, struct json_object *o)
{
	int r = add_bool(o, "main_up", d->main_up);

	r = r ? r : add_bool(o, "aux_up", d->aux_up);
	r = r ? r : add_bool(o, "carrier_lost_all", d->carrier_lost_all);
	r = r ? r : add_str(o, "net", d->net, false);
	r = r ? r : add_str(o, "primary", d->primary, false);
	return r ? r : add_bool(o, "module_down_confirmed", d->module_down_confirmed);
}

/* SPEC "events --json": time, mono_ms, state, kind, detail; from, verdict, reason, diag when set. */
int control_record_json(const struct store_record *r, struct json_object **ret)
{
	struct json_object *o = json_object_new_object();
	struct json_object *d = NULL;
	int rc = o != NULL ? 0 : -ENOMEM;

	rc = rc ? rc : add_str(o, "time", r->time, false);
	rc = rc ? rc : control_json_add(o, "mono_ms", json_object_new_int64((int64_t)r->mono_ms));
	rc = rc ? rc : add_str(o, "state", r->state, false);
	rc = rc ? rc : add_str(o, "kind", r->kind, false);
	rc = rc ? rc : add_str(o, "from", r->from, true);
	rc = rc ? rc : add_str(o, "verdict", r->verdict, true);
	rc = rc ? rc : add_str(o, "reason", r->reason, true);
	if (rc == 0 && r->has_diag) {
		d = json_object_new_object();
		rc = d != NULL ? diag_json(&r->diag, d) : -ENOMEM;
		rc = rc ? (json_object_put(d), rc) : control_json_add(o, "diag", d);
	}
	rc = rc ? rc : add_str(o, "detail", r->detail, false);
	if (rc < 0) {
		json_object_put(o);
		return rc;
	}
	*ret = o;
	return 0;
}

/* store_record_fn: one record as one line to the client. */
static int emit_record(const struct store_record *r, void *arg)
{
	struct control_client *cl = arg;
	struct json_object *o;
	int rc = control_record_json(r, &o);

	if (rc < 0)
		return rc;
	rc = control_client_send_json(cl, o);
	json_object_put(o);
	return rc;
}

static void follow_start(struct control_client *cl, const struct store_cursor *cur)
{
	struct control *c = cl->c;
	uint64_t due = loop_now_ms(c->loop) + CONTROL_FOLLOW_POLL_MS;

	cl->following = true;
	cl->cursor = *cur;
	if (c->next_poll_ms > due)
		c->next_poll_ms = due;
	control_client_flush(cl);
}

/* The last n records, halving n while the answer would not fit the client's output bound. */
void control_journal_events(struct control_client *cl, const struct control_request *rq)
{
	struct control *c = cl->c;
	struct store_cursor cur = { .dev = 0 };
	struct json_object *reply;
	size_t mark = cl->out_len;
	size_t n = rq->n;
	bool truncated = false;
	int r = journal_ready(c);

	while (r == 0) {
		r = store_journal_read_last(c->store, n, emit_record, cl, &cur, NULL);
		if (r != -ENOBUFS || n == 1)
			break;
		cl->out_len = mark;
		n /= 2;
		truncated = true;
	}
	if (r < 0) {
		cl->out_len = mark;
		journal_fail(cl, r);
		return;
	}
	if (rq->follow) {
		follow_start(cl, &cur);
		return;
	}
	reply = control_reply_ok();
	r = reply != NULL ? add_bool(reply, "end", true) : -ENOMEM;
	if (r == 0 && truncated)
		r = add_bool(reply, "truncated", true);
	if (r < 0) {
		json_object_put(reply);
		reply = NULL;
	}
	control_client_finish(cl, reply);
}

/* A follower's poll: the records completed since its cursor. One that does not read is dropped. */
void control_journal_follow(struct control_client *cl)
{
	struct control *c = cl->c;
	int r = journal_ready(c);

	if (r == 0)
		r = store_journal_follow(c->store, &cl->cursor, emit_record, cl, NULL);
	if (r == -ENOBUFS) {
		c->counters.stuck_dropped++;
		control_client_drop(cl);
		return;
	}
	if (r < 0)
		c->counters.journal_errors++; /* tried again at the next poll */
	control_client_flush(cl);
}

static int append_record(const struct store_record *r, void *arg)
{
	struct json_object *o;
	int rc = control_record_json(r, &o);

	if (rc < 0)
		return rc;
	if (json_object_array_add(arg, o) < 0) {
		json_object_put(o);
		return -ENOMEM;
	}
	return 0;
}

int control_journal_recent(struct control *c, size_t n, struct json_object *ret_array)
{
	int r = journal_ready(c);

	if (r < 0)
		return r;
	return store_journal_read_last(c->store, n, append_record, ret_array, NULL, NULL);
}

/* ---- why: the causal chain of the last switch or hold ---- */

struct why_buf {
	struct store_record *rec;
	int n;
};

static int collect(const struct store_record *r, void *arg)
{
	struct why_buf *w = arg;

	if (w->n < WHY_SCAN)
		w->rec[w->n++] = *r;
	return 0;
}

static bool kind_in(const struct store_record *r, const char *const *kinds)
{
	for (; *kinds != NULL; kinds++) {
		if (strcmp(r->kind, *kinds) == 0)
			return true;
	}
	return false;
}

/* Index of the last record in (after, before) of one of kinds, or -1. */
static int last_of(const struct why_buf *w, int after, int before, const char *const *kinds)
{
	for (int i = before - 1; i > after; i--) {
		if (kind_in(&w->rec[i], kinds))
			return i;
	}
	return -1;
}

static const char *const k_anchor[] = { "switch", "hold", "withheld", NULL };
static const char *const k_episode_end[] = { "switch", "hold", NULL };
static const char *const k_verdict[] = { "verdict", NULL };
static const char *const k_diagnosis[] = { "diagnosis", NULL };
static const char *const k_context[] = { "module", "monitor", "command", "peer", "transition",
	"withheld", NULL };

/* Where the chain starts, what it holds (SPEC "why"; seed "Why did a switchover occur?"). */
struct why_chain {
	int anchor;    /* the switch, hold or withheld record; -1: none */
	int verdict;   /* the verdict before it, in this episode; -1: none (a manual switch) */
	int diagnosis; /* the diagnosis before the verdict; -1: none */
	int start;     /* records after this index belong to the episode */
	int skip;      /* context records left out (the oldest) */
};

static void why_find(const struct why_buf *w, struct why_chain *ch)
{
	int prev, ref, healthy, ctx = 0;

	ch->anchor = last_of(w, -1, w->n, k_anchor);
	prev = ch->anchor >= 0 ? last_of(w, -1, ch->anchor, k_episode_end) : -1;
	ch->verdict = ch->anchor >= 0 ? last_of(w, prev, ch->anchor, k_verdict) : -1;
	ch->diagnosis = last_of(w, prev, ch->verdict >= 0 ? ch->verdict : ch->anchor, k_diagnosis);
	ref = ch->diagnosis >= 0 ? ch->diagnosis : ch->verdict >= 0 ? ch->verdict : ch->anchor;
	/* The episode began when the node last settled in backup, or at the previous switch/hold. */
	healthy = -1;
	for (int i = ref - 1; i > prev && healthy < 0; i--) {
		if (strcmp(w->rec[i].kind, "transition") == 0 &&
		    strcmp(w->rec[i].state, "backup") == 0)
			healthy = i;
	}
	ch->start = healthy > prev ? healthy : prev;
	for (int i = ch->start + 1; i < ch->anchor; i++)
		ctx += kind_in(&w->rec[i], k_context) && i != ch->verdict && i != ch->diagnosis;
	ch->skip = ctx > WHY_CONTEXT ? ctx - WHY_CONTEXT : 0;
}

static int why_fill(const struct why_buf *w, const struct why_chain *ch, struct json_object *why)
{
	struct json_object *list = json_object_new_array();
	struct json_object *anchor = NULL;
	int skip = ch->skip, r = list != NULL ? 0 : -ENOMEM;

	for (int i = ch->start + 1; r == 0 && ch->anchor >= 0 && i <= ch->anchor; i++) {
		bool key = i == ch->anchor || i == ch->verdict || i == ch->diagnosis;

		if (!key && (!kind_in(&w->rec[i], k_context) || skip-- > 0))
			continue;
		r = append_record(&w->rec[i], list);
	}
	if (r == 0 && ch->anchor >= 0)
		r = control_record_json(&w->rec[ch->anchor], &anchor);
	if (r < 0) {
		json_object_put(list);
		return r;
	}
	if (anchor != NULL)
		r = control_json_add(why, "anchor", anchor);
	else /* nothing to explain: JSON null */
		r = json_object_object_add(why, "anchor", NULL) == 0 ? 0 : -ENOMEM;
	r = r ? (json_object_put(list), r) : control_json_add(why, "chain", list);
	return r ? r : control_json_add(why, "omitted", json_object_new_int(ch->skip));
}

void control_journal_why(struct control_client *cl)
{
	struct control *c = cl->c;
	struct why_buf w = { .rec = calloc(WHY_SCAN, sizeof(*w.rec)) };
	struct json_object *reply = NULL, *why = NULL;
	struct why_chain ch;
	int r = w.rec != NULL ? journal_ready(c) : -ENOMEM;

	if (r == 0)
		r = store_journal_read_last(c->store, WHY_SCAN, collect, &w, NULL, NULL);
	if (r < 0) {
		free(w.rec);
		journal_fail(cl, r);
		return;
	}
	why_find(&w, &ch);
	reply = control_reply_ok();
	why = json_object_new_object();
	r = reply != NULL && why != NULL ? why_fill(&w, &ch, why) : -ENOMEM;
	r = r ? (json_object_put(why), r) : control_json_add(reply, "why", why);
	free(w.rec);
	if (r < 0) {
		json_object_put(reply);
		reply = NULL;
	}
	control_client_finish(cl, reply);
}
