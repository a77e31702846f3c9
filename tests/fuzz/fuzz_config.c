/* fuzz_config.c: libFuzzer target for vigil.conf: any text through config_load_string (our line vetting, libinih, the key parsers, the cross-checks); what loads must print and load back the same (STYLE 32). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

/*
 * The configuration is named DIR/vigil.conf, DIR a folder made at the first input holding a
 * valid pair.key (mode 0600), so `key_file = pair.key`, as in examples/, passes its checks.
 * Invariants (a violation aborts):
 * - refused: one line "NAME:LINE: key: why" in err, the output untouched;
 * - loaded: config_print's text loads again to the same sections, byte for byte as vigild's
 *   reload compares them (monitor.timeout, derived when unset, is then set to the same value),
 *   and prints the same text again.
 */

static char dir[64], name[96], key[128];

static void cleanup(void)
{
	unlink(key);
	rmdir(dir);
}

static void must(bool ok, const char *what, const char *text)
{
	if (!ok) {
		fprintf(stderr, "fuzz_config: invariant broken: %s\n%s\n", what, text ? text : "");
		abort();
	}
}

static void prepare(void)
{
	static const char hex[] =
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
	FILE *f;

	if (dir[0] != '\0')
		return;
	snprintf(dir, sizeof(dir), "/tmp/vigil-fuzz-config-XXXXXX");
	must(mkdtemp(dir) != NULL, "mkdtemp", dir);
	snprintf(name, sizeof(name), "%s/vigil.conf", dir);
	snprintf(key, sizeof(key), "%s/pair.key", dir);
	f = fopen(key, "w");
	must(f != NULL && fputs(hex, f) >= 0 && fclose(f) == 0 && chmod(key, 0600) == 0, "pair.key",
	    key);
	atexit(cleanup);
}

/* config_print into a malloc'd string. */
static char *print(const struct config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	must(f != NULL, "open_memstream", NULL);
	config_print(c, f);
	must(fclose(f) == 0, "print", NULL);
	return buf;
}

#define SAME(a, b, sec) (memcmp(&(a)->sec, &(b)->sec, sizeof((a)->sec)) == 0)

static void round_trip(const struct config *c1)
{
	static struct config c2;
	char err[CONFIG_ERR_MAX] = "";
	char *text = print(c1), *again;

	if (config_load_string(name, text, &c2, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_config: %s\n", err);
		must(false, "the printed configuration does not load", text);
	}
	must(c2.monitor.timeout_set, "monitor.timeout printed, so set", text);
	c2.monitor.timeout_set = c1->monitor.timeout_set;
	/* Section by section, byte for byte, as vigild's reload compares them. */
	must(SAME(c1, &c2, node) && SAME(c1, &c2, peer) && SAME(c1, &c2, module) &&
	        SAME(c1, &c2, monitor) && SAME(c1, &c2, network) && SAME(c1, &c2, hooks) &&
	        SAME(c1, &c2, netcfg) && SAME(c1, &c2, export),
	    "printed and loaded back, not the same", text);
	again = print(&c2);
	must(strcmp(text, again) == 0, "printed twice, not the same text", again);
	free(again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config c, untouched;
	char err[CONFIG_ERR_MAX] = "";
	char *text = malloc(size + 1);
	size_t n;

	if (text == NULL)
		return 0;
	prepare();
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&c, 0xa5, sizeof(c));
	memset(&untouched, 0xa5, sizeof(untouched));
	if (config_load_string(name, text, &c, err, sizeof(err)) == 0) {
		round_trip(&c);
	} else {
		n = strlen(name);
		must(strncmp(err, name, n) == 0 && err[n] == ':', "error names the file", err);
		must(strchr(err, '\n') == NULL, "error on one line", err);
		must(memcmp(&c, &untouched, sizeof(c)) == 0, "output touched on failure", err);
	}
	free(text);
	return 0;
}

#define FUZZ_NAME "fuzz_config"
#include "replay.h"
