/* fuzz_control_request.c: libFuzzer target for the control socket's request line: control_request_parse, the guard ladder the server runs before the caller's right (doc/control.md "Requests"; STYLE 32). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "control.h"

/*
 * Invariants (a violation aborts):
 * - refused: a rung of the ladder (never too-long or permission: the socket and the caller's
 *   right are checked elsewhere), a one-line printable reason (it may quote the client's
 *   bytes: doc/control.md promises one line), the output untouched; a NUL in the line
 *   (blanks at its end aside) is refused as such, or as empty;
 * - accepted: a known command, each option within its range and only where the command takes
 *   it; the request written back as JSON (every member) parses to the same request.
 */

static void must(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_control_request: invariant broken: %s\n", what);
		abort();
	}
}

static bool request_equal(const struct control_request *a, const struct control_request *b)
{
	return strcmp(a->cmd, b->cmd) == 0 && a->force == b->force && a->follow == b->follow &&
	    a->n == b->n && strcmp(a->scenario, b->scenario) == 0 && a->for_ms == b->for_ms &&
	    a->live == b->live;
}

/* The request as the line vigilctl would send, with every member the command takes. */
static char *write_back(const struct control_request *rq)
{
	struct json_object *o = json_object_new_object();
	const char *c = rq->cmd;
	char *line;

	must(o != NULL, "out of memory");
	json_object_object_add(o, "cmd", json_object_new_string(c));
	if (strcmp(c, "switch") == 0 || strcmp(c, "handover") == 0)
		json_object_object_add(o, "force", json_object_new_boolean(rq->force));
	if (strcmp(c, "events") == 0) {
		json_object_object_add(o, "n", json_object_new_int64(rq->n));
		json_object_object_add(o, "follow", json_object_new_boolean(rq->follow));
	}
	if (strcmp(c, "drill") == 0) {
		json_object_object_add(o, "scenario", json_object_new_string(rq->scenario));
		json_object_object_add(o, "for_ms", json_object_new_int64(rq->for_ms));
		json_object_object_add(o, "live", json_object_new_boolean(rq->live));
	}
	line = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	must(line != NULL, "out of memory");
	return line;
}

static void check_accepted(const struct control_request *rq)
{
	static const char *const cmds[] = { "status", "events", "why", "dump", "switch", "handover",
		"rejoin", "reload", "drill" };
	bool known = false, events = strcmp(rq->cmd, "events") == 0;
	bool drill = strcmp(rq->cmd, "drill") == 0;
	bool forceable = strcmp(rq->cmd, "switch") == 0 || strcmp(rq->cmd, "handover") == 0;
	struct control_request back;
	enum control_reject kind;
	char why[CONTROL_MSG_MAX], *line;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		known |= strcmp(rq->cmd, cmds[i]) == 0;
	must(known, "an unknown command accepted");
	must(rq->n >= 1 && rq->n <= CONTROL_EVENTS_MAX &&
	        (events || rq->n == CONTROL_EVENTS_DEFAULT),
	    "n");
	must(events || !rq->follow, "follow");
	must(forceable || !rq->force, "force");
	must(rq->for_ms >= CONTROL_DRILL_MIN_MS && rq->for_ms <= CONTROL_DRILL_MAX_MS &&
	        (drill || rq->for_ms == CONTROL_DRILL_DEFAULT_MS),
	    "for_ms");
	must(drill || (!rq->live && rq->scenario[0] == '\0'), "drill options");
	must(memchr(rq->scenario, '\0', sizeof(rq->scenario)) != NULL, "scenario terminated");
	line = write_back(rq);
	if (control_request_parse(line, strlen(line), &back, &kind, why, sizeof(why)) != 0) {
		fprintf(stderr, "fuzz_control_request: %s: %s\n", line, why);
		must(false, "written back, refused");
	}
	must(request_equal(rq, &back), "written back, not the same request");
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes: ASan sees any read past the end. */
	char *line = malloc(size ? size : 1);
	struct control_request rq, untouched;
	enum control_reject kind = CONTROL_REJECT_COUNT;
	char why[CONTROL_MSG_MAX] = "";
	size_t trimmed = size;

	if (line == NULL)
		return 0;
	if (size > 0)
		memcpy(line, data, size);
	memset(&rq, 0xa5, sizeof(rq));
	memset(&untouched, 0xa5, sizeof(untouched));
	if (control_request_parse(line, size, &rq, &kind, why, sizeof(why)) == 0) {
		check_accepted(&rq);
	} else {
		must(kind < CONTROL_REJECT_COUNT && kind != CONTROL_REJECT_TOO_LONG &&
		        kind != CONTROL_REJECT_PERMISSION,
		    "a rung of the ladder");
		must(why[0] != '\0', "a reason");
		for (const char *c = why; *c != '\0'; c++)
			must((unsigned char)*c >= 0x20 && *c != 0x7f,
			    "a one-line printable reason");
		must(memcmp(&rq, &untouched, sizeof(rq)) == 0, "output touched on refusal");
		while (trimmed > 0 && strchr(" \t\r", line[trimmed - 1]) && line[trimmed - 1])
			trimmed--;
		if (memchr(line, '\0', trimmed) != NULL)
			must(kind == CONTROL_REJECT_NUL, "a NUL byte refused as something else");
	}
	free(line);
	return 0;
}

#define FUZZ_NAME "fuzz_control_request"
#include "replay.h"
