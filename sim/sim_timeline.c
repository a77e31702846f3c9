/* sim_timeline.c: the run's timeline: one line per core record or fault marker, repeats folded. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_int.h"

static void line_append(struct sim *s, uint64_t t_ms, const char *event, enum vg_state state)
{
	struct sim_result *r = &s->r;
	struct sim_line *l;

	if (r->n_lines == r->cap_lines) {
		size_t cap = r->cap_lines ? r->cap_lines * 2 : 64;
		struct sim_line *lines = reallocarray(r->lines, cap, sizeof *lines);

		if (lines == NULL) {
			s->err = -ENOMEM;
			return;
		}
		r->lines = lines;
		r->cap_lines = cap;
	}
	l = &r->lines[r->n_lines++];
	l->t_ms = t_ms;
	l->state = state;
	snprintf(l->event, sizeof l->event, "%s", event);
}

/* True when one of the last lines kept says the same. */
static bool line_is_repeat(const struct sim *s, const char *event)
{
	size_t n = s->r.n_lines;
	size_t from = n > SIM_REPEAT_WINDOW ? n - SIM_REPEAT_WINDOW : 0;

	for (size_t i = from; i < n; i++) {
		const struct sim_line *l = &s->r.lines[i];

		if (strcmp(l->event, event) == 0)
			return true;
	}
	return false;
}

/* Close a run of folded repeats: a single one is shown as it was, more are counted in one line. */
void sim_timeline_flush(struct sim *s)
{
	char text[SIM_EVENT_TEXT];
	const struct sim_line *l = &s->folded_last;

	if (s->folded == 0)
		return;
	if (s->folded == 1)
		snprintf(text, sizeof text, "%s", l->event);
	else
		snprintf(text, sizeof text, "... %zu more lines like those above", s->folded);
	s->folded = 0;
	line_append(s, l->t_ms, text, l->state);
}

/*
 * Loss makes connections flap and a long hold re-dials for up to 2 h: a routine line (fold)
 * that repeats one of the last lines kept is counted, and the count is shown once something
 * else happens. Transitions, verdicts, switches, holds and the fault markers are always shown.
 */
void sim_timeline_add(struct sim *s, uint64_t t_ms, const char *event, enum vg_state state,
    bool fold)
{
	struct sim_line *l = &s->folded_last;

	if (fold && line_is_repeat(s, event)) {
		s->folded++;
		l->t_ms = t_ms;
		l->state = state;
		snprintf(l->event, sizeof l->event, "%s", event);
		return;
	}
	sim_timeline_flush(s);
	line_append(s, t_ms, event, state);
}

/* The core's own text, or a short one built from the record's fields. */
static void record_text(const struct vg_record *rec, char *buf, size_t len)
{
	if (rec->text[0] != '\0') {
		snprintf(buf, len, "%s", rec->text);
		return;
	}
	switch (rec->kind) {
	case REC_TRANSITION:
		snprintf(buf, len, "state %s -> %s", decide_state_name(rec->from),
		    decide_state_name(rec->state));
		break;
	case REC_VERDICT:
		snprintf(buf, len, "verdict %s", decide_verdict_name(rec->verdict));
		break;
	case REC_SWITCH:
		snprintf(buf, len, "switch, reason %s", decide_reason_name(rec->reason));
		break;
	case REC_HOLD:
		snprintf(buf, len, "hold: network-down, no switch");
		break;
	default:
		snprintf(buf, len, "%s", decide_record_kind_name(rec->kind));
		break;
	}
}

/* Routine records may fold (a withheld switch too: the first one shows); verdicts, transitions, switches and holds never do. */
static bool record_folds(enum vg_record_kind k)
{
	return k == REC_MODULE || k == REC_MONITOR || k == REC_DIAGNOSIS || k == REC_PEER ||
	    k == REC_WITHHELD;
}

void sim_timeline_record(struct sim *s, const struct vg_record *rec)
{
	char text[SIM_EVENT_TEXT];

	record_text(rec, text, sizeof text);
	sim_timeline_add(s, s->now_ms, text, rec->state, record_folds(rec->kind));
}
