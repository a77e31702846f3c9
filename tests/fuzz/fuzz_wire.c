/* fuzz_wire.c: libFuzzer target for the peer-link decoder: any bytes, into sessions in every handshake phase. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wire.h"

/*
 * Input: byte 0 picks the receiving session: bit 0 = auth none (else HMAC with the golden key
 * 00..1f), (byte 0 >> 1) % PHASE_COUNT = the phase below. The rest is a TCP byte stream,
 * decoded frame after frame until an error or -EAGAIN. The nonces are the golden ones
 * (doc/protocol.md section 11), so frames in the seed corpus verify, and with auth none the
 * fuzzer can build valid frames itself and reach every payload parser.
 * Invariants beyond "no crash, no out-of-bounds": a frame consumes between a header and the
 * rest of the input, decoded strings are terminated, and every accepted message re-encodes.
 *
 * Builds: clang -fsanitize=fuzzer (libFuzzer); gcc/clang -DFUZZ_REPLAY_MAIN (replays the
 * files and folders named on the command line, for make check); -DFUZZ_MAKE_SEEDS (writes
 * the seed corpus into the folder named on the command line).
 */

enum phase {
	PHASE_ACCEPTOR_NEW,   /* expects OPEN */
	PHASE_DIALER_OPENED,  /* expects the acceptor's HELLO */
	PHASE_ACCEPTOR_HELLO, /* expects the dialer's HELLO */
	PHASE_ACCEPTOR_ESTABLISHED,
	PHASE_DIALER_ESTABLISHED,
	PHASE_DIALER_NEW, /* expects nothing */
	PHASE_COUNT,
};

/* Per auth mode: the receiving session of each phase and the peer that sends to it. */
struct prepared {
	struct wire_session rx[PHASE_COUNT];
	struct wire_session peer[PHASE_COUNT];
	struct wire_session hello_sender; /* acceptor after OPEN: may encode a hello */
};

static struct prepared prep[2];

static void must(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_wire: invariant broken: %s\n", what);
		abort();
	}
}

static struct wire_hello sample_hello(bool role_a)
{
	struct wire_hello h = { .role_a = role_a,
		.state = role_a ? ST_PRIMARY : ST_BACKUP,
		.generation = 7,
		.channel = CONN_MAIN,
		.dscp = 34,
		.sync = SYNC_IN };

	snprintf(h.node, sizeof(h.node), "%s", role_a ? "vigil-a" : "vigil-b");
	snprintf(h.software, sizeof(h.software), "1.0.0");
	return h;
}

/* One frame from tx straight into rx; the setup is ours, so any failure is a bug. */
static void pass(struct wire_session *tx, struct wire_session *rx, const struct wire_msg *m)
{
	uint8_t buf[WIRE_FRAME_MAX];
	struct wire_msg got;
	size_t len, used;

	must(wire_encode(tx, m, buf, sizeof(buf), &len) == 0, "setup encode");
	must(wire_decode(rx, buf, len, NULL, &got, &used) == 0 && used == len, "setup decode");
}

static void prepare_mode(struct prepared *p, const struct wire_key *k)
{
	uint8_t nd[WIRE_NONCE_LEN], na[WIRE_NONCE_LEN];
	struct wire_session d, a;
	struct wire_msg open = { .type = WIRE_MSG_OPEN };
	struct wire_msg ha = { .type = WIRE_MSG_HELLO, .hello = sample_hello(true) };
	struct wire_msg hd = { .type = WIRE_MSG_HELLO, .hello = sample_hello(false) };

	for (int i = 0; i < WIRE_NONCE_LEN; i++) {
		nd[i] = (uint8_t)(0xd0 + i);
		na[i] = (uint8_t)(0xa0 + i);
	}
	must(wire_session_init_dialer(k, nd, &d) == 0 && wire_session_init_acceptor(k, na, &a) == 0,
	    "setup init");
	p->rx[PHASE_ACCEPTOR_NEW] = p->peer[PHASE_DIALER_NEW] = a;
	p->rx[PHASE_DIALER_NEW] = p->peer[PHASE_ACCEPTOR_NEW] = d;
	pass(&d, &a, &open);
	p->rx[PHASE_DIALER_OPENED] = d;
	p->peer[PHASE_DIALER_OPENED] = p->hello_sender = a;
	pass(&a, &d, &ha);
	p->rx[PHASE_ACCEPTOR_HELLO] = a;
	p->peer[PHASE_ACCEPTOR_HELLO] = d;
	pass(&d, &a, &hd);
	p->rx[PHASE_ACCEPTOR_ESTABLISHED] = p->peer[PHASE_DIALER_ESTABLISHED] = a;
	p->rx[PHASE_DIALER_ESTABLISHED] = p->peer[PHASE_ACCEPTOR_ESTABLISHED] = d;
}

static void prepare(void)
{
	static bool done;
	uint8_t raw[WIRE_KEY_LEN];
	struct wire_key k;

	if (done)
		return;
	must(sodium_init() >= 0, "sodium_init");
	for (int i = 0; i < WIRE_KEY_LEN; i++)
		raw[i] = (uint8_t)i;
	must(wire_key_init_hmac(raw, &k) == 0, "key");
	prepare_mode(&prep[0], &k);
	wire_key_init_none(&k);
	prepare_mode(&prep[1], &k);
	done = true;
}

/* The encoder accepts whatever the decoder accepted: they agree on every field's range. */
static void check_message(const struct prepared *p, const struct wire_session *rx,
    const struct wire_msg *m)
{
	struct wire_session tx = m->type == WIRE_MSG_HELLO ? p->hello_sender : *rx;
	uint8_t buf[WIRE_FRAME_MAX];
	size_t len;

	if (m->type == WIRE_MSG_HELLO) {
		must(strlen(m->hello.node) <= WIRE_NODE_MAX, "node name terminated");
		must(strlen(m->hello.software) <= WIRE_SOFTWARE_MAX, "software terminated");
	}
	if (m->type == WIRE_MSG_OPEN)
		return;
	must(wire_encode(&tx, m, buf, sizeof(buf), &len) == 0, "decoded message re-encodes");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_counters c = { 0 };
	const struct prepared *p;
	struct wire_session s;
	size_t off = 1;

	if (size < 1)
		return 0;
	prepare();
	p = &prep[data[0] & 1];
	s = p->rx[(data[0] >> 1) % PHASE_COUNT];
	while (off < size) {
		struct wire_msg m;
		size_t used = 0;
		int r = wire_decode(&s, data + off, size - off, &c, &m, &used);

		if (r < 0) {
			must(r == -EAGAIN || wire_reject_from_error(r) >= 0, "known error");
			break;
		}
		must(used >= WIRE_HEADER_LEN && used <= size - off, "consumed within input");
		must(wire_msg_type_name(m.type) != NULL, "known type");
		check_message(p, &s, &m);
		off += used;
	}
	return 0;
}

#ifdef FUZZ_REPLAY_MAIN
static int replay_file(const char *path)
{
	static uint8_t buf[1 << 20];
	FILE *fp = fopen(path, "rb");
	size_t n;

	if (!fp) {
		fprintf(stderr, "fuzz_wire: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

/* A folder: every regular file in it (not recursive), as libFuzzer takes a corpus folder. */
static int replay_path(const char *path, int *count)
{
	DIR *dir = opendir(path);
	struct dirent *e;
	char file[4096];
	int bad = 0;

	if (!dir) {
		bad = replay_file(path);
		*count += bad == 0;
		return bad;
	}
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
		bad |= replay_file(file);
		*count += 1;
	}
	closedir(dir);
	return bad;
}

int main(int argc, char **argv)
{
	int count = 0, bad = 0;

	for (int i = 1; i < argc; i++)
		bad |= replay_path(argv[i], &count);
	printf("fuzz_wire: %d inputs replayed\n", count);
	return bad ? 1 : 0;
}
#endif

#ifdef FUZZ_MAKE_SEEDS
/* ---- seed corpus: valid streams for every phase and mode, and edge cases ---- */

static const struct wire_msg seed_msgs[] = {
	{ .type = WIRE_MSG_NOTIFIER_PING, .notifier_ping = { 1 } },
	{ .type = WIRE_MSG_NOTIFIER_PONG, .notifier_pong = { 1 } },
	{ .type = WIRE_MSG_MODULE_PING, .module_ping = { 2 } },
	{ .type = WIRE_MSG_MODULE_PONG, .module_pong = { 2, 4242, false } },
	{ .type = WIRE_MSG_MODULE_PONG, .module_pong = { 3, 0, true } },
	{ .type = WIRE_MSG_STATE_ANNOUNCE, .state_announce = { ST_PRIMARY, 8 } },
	{ .type = WIRE_MSG_SWITCH_NOTICE,
	    .switch_notice = { WIRE_SWITCH_COMMENCE, REASON_HANDOVER } },
	{ .type = WIRE_MSG_DRAIN_REQUEST, .drain_request = { true } },
	{ .type = WIRE_MSG_DRAIN_DONE },
	{ .type = WIRE_MSG_MODULE_GONE, .module_gone = { 4242 } },
	{ .type = WIRE_MSG_DRILL_START, .drill_start = { WIRE_DRILL_WAN_CUT, 30000, false } },
	{ .type = WIRE_MSG_DRILL_END },
};

struct seed {
	uint8_t b[64 * WIRE_FRAME_MAX];
	size_t len;
};

static void seed_start(struct seed *sd, int mode, enum phase ph)
{
	sd->b[0] = (uint8_t)(mode | ph << 1);
	sd->len = 1;
}

static void seed_add(struct seed *sd, struct wire_session *tx, const struct wire_msg *m)
{
	size_t len;

	must(wire_encode(tx, m, sd->b + sd->len, sizeof(sd->b) - sd->len, &len) == 0,
	    "seed encode");
	sd->len += len;
}

static void seed_write(const char *dir, const char *name, const struct seed *sd)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	must(fp && fwrite(sd->b, 1, sd->len, fp) == sd->len && fclose(fp) == 0, path);
}

/* The frames each phase expects next, from the peer that would send them. */
static void seed_valid(const char *dir, int mode)
{
	static const char *const names[2][PHASE_COUNT] = {
		{ "hmac-open", "hmac-hello-acceptor", "hmac-hello-dialer",
		    "hmac-stream-to-acceptor", "hmac-stream-to-dialer", "hmac-dialer-new" },
		{ "none-open", "none-hello-acceptor", "none-hello-dialer",
		    "none-stream-to-acceptor", "none-stream-to-dialer", "none-dialer-new" },
	};
	struct wire_msg open = { .type = WIRE_MSG_OPEN };
	struct wire_msg ha = { .type = WIRE_MSG_HELLO, .hello = sample_hello(true) };
	struct wire_msg hd = { .type = WIRE_MSG_HELLO, .hello = sample_hello(false) };
	const struct wire_msg *first[PHASE_COUNT] = { &open, &ha, &hd, NULL, NULL, NULL };
	struct seed sd;

	for (int ph = 0; ph < PHASE_COUNT; ph++) {
		struct wire_session tx = prep[mode].peer[ph];
		bool stream = ph >= PHASE_ACCEPTOR_HELLO && ph != PHASE_DIALER_NEW;

		seed_start(&sd, mode, ph);
		if (first[ph])
			seed_add(&sd, &tx, first[ph]);
		for (size_t i = 0; stream && i < sizeof(seed_msgs) / sizeof(seed_msgs[0]); i++)
			seed_add(&sd, &tx, &seed_msgs[i]);
		/* a new dialer expects nothing: give it an OPEN, which it must refuse */
		if (ph == PHASE_DIALER_NEW) {
			struct wire_session d = prep[mode].rx[PHASE_DIALER_NEW];

			seed_add(&sd, &d, &open);
		}
		seed_write(dir, names[mode][ph], &sd);
	}
}

/* A valid established ping with one header byte spoiled, or cut short. */
static void seed_edge(const char *dir, const char *name, size_t at, uint8_t v, size_t cut)
{
	struct wire_session tx = prep[1].peer[PHASE_ACCEPTOR_ESTABLISHED];
	struct seed sd;

	seed_start(&sd, 1, PHASE_ACCEPTOR_ESTABLISHED);
	seed_add(&sd, &tx, &seed_msgs[0]);
	if (at)
		sd.b[1 + at] = v;
	if (cut)
		sd.len = 1 + cut;
	seed_write(dir, name, &sd);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	prepare();
	seed_valid(argv[1], 0);
	seed_valid(argv[1], 1);
	seed_edge(argv[1], "edge-bad-magic", 1, 'X', 0);
	seed_edge(argv[1], "edge-version-2", 4, 2, 0);
	seed_edge(argv[1], "edge-unknown-type", 5, 0xee, 0);
	seed_edge(argv[1], "edge-auth-hmac", 6, 1, 0);
	seed_edge(argv[1], "edge-flags", 7, 0x80, 0);
	seed_edge(argv[1], "edge-length-max", 8, 0xff, 0);
	seed_edge(argv[1], "edge-wrong-pair", 10, 0x01, 0);
	seed_edge(argv[1], "edge-stale-tag", 18, 0x00, 0);
	seed_edge(argv[1], "edge-seq-replay", 33, 0x01, 0);
	seed_edge(argv[1], "edge-truncated-header", 0, 0, 20);
	seed_edge(argv[1], "edge-truncated-payload", 0, 0, WIRE_HEADER_LEN + 2);
	return 0;
}
#endif
