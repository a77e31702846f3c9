/* simulate.c: vigilctl simulate: parse the command line, load the backup's configuration, run and print the simulation. */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "decide.h"
#include "sim.h"

#define SIM_AT_MAX_MS (2ull * 3600 * 1000) /* the run never lasts beyond 2 h (SPEC simulate) */
#define SIM_RTT_MAX_MS 60000ull

struct sim_args {
	const char *config;
	bool have_fault;
	bool json;
	struct sim_opts o;
};

static const char usage_text[] =
    "usage: vigilctl simulate -c FILE --fault KIND [--at T] [--for D] [--rtt T] [--loss PCT]\n"
    "                         [--seed N] [--json]\n"
    "  KIND: none, module-kill, module-hang, module-flap, notifier-kill, primary-down,\n"
    "        wan-cut, backup-isolate\n"
    "  T, D: durations (300ms, 5s, 1.5s, 2m; a bare number is seconds); PCT: 0-100\n";

static int set_config(struct sim_args *a, const char *val, char *why, size_t len)
{
	(void)why;
	(void)len;
	a->config = val;
	return 0;
}

static int set_fault(struct sim_args *a, const char *val, char *why, size_t len)
{
	int f = sim_fault_from_name(val);

	if (f < 0) {
		snprintf(why, len,
		    "--fault: unknown kind '%s' (none, module-kill, module-hang, module-flap, "
		    "notifier-kill, primary-down, wan-cut, backup-isolate)",
		    val);
		return -EINVAL;
	}
	a->o.fault = (enum sim_fault)f;
	a->have_fault = true;
	return 0;
}

/* A duration per vigil.conf (bare number = seconds) within [min_ms, max_ms]; range says so in words. */
static int parse_dur(const char *opt, const char *val, uint64_t min_ms, uint64_t max_ms,
    const char *range, uint64_t *ret, char *why, size_t len)
{
	uint64_t ms;

	if (config_parse_duration_ms(val, &ms) < 0) {
		snprintf(why, len, "%s: '%s' is not a duration (300ms, 5s, 1.5s, 2m)", opt, val);
		return -EINVAL;
	}
	if (ms < min_ms || ms > max_ms) {
		snprintf(why, len, "%s: '%s' is out of range (%s)", opt, val, range);
		return -EINVAL;
	}
	*ret = ms;
	return 0;
}

static int set_at(struct sim_args *a, const char *val, char *why, size_t len)
{
	return parse_dur("--at", val, 0, SIM_AT_MAX_MS - 1, "below 120m: the run ends at 2 h",
	    &a->o.at_ms, why, len);
}

static int set_for(struct sim_args *a, const char *val, char *why, size_t len)
{
	int rc = parse_dur("--for", val, 1, UINT32_MAX, "more than 0", &a->o.for_ms, why, len);

	a->o.heals = rc == 0;
	return rc;
}

static int set_rtt(struct sim_args *a, const char *val, char *why, size_t len)
{
	uint64_t ms;
	int rc = parse_dur("--rtt", val, 0, SIM_RTT_MAX_MS, "60s at most", &ms, why, len);

	if (rc == 0)
		a->o.rtt_ms = (uint32_t)ms;
	return rc;
}

/* Unsigned decimal, all of it, no sign. */
static int parse_u64(const char *val, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (val[0] < '0' || val[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(val, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	*ret = v;
	return 0;
}

static int set_loss(struct sim_args *a, const char *val, char *why, size_t len)
{
	char buf[8];
	size_t n;
	uint64_t pct;

	snprintf(buf, sizeof buf, "%s", val);
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '%')
		buf[n - 1] = '\0'; /* "5%" reads as 5 */
	if (strlen(val) >= sizeof buf || parse_u64(buf, &pct) < 0 || pct > 100) {
		snprintf(why, len, "--loss: '%s' is not a whole percent from 0 to 100", val);
		return -EINVAL;
	}
	a->o.loss_pct = (uint32_t)pct;
	return 0;
}

static int set_seed(struct sim_args *a, const char *val, char *why, size_t len)
{
	if (parse_u64(val, &a->o.seed) < 0) {
		snprintf(why, len, "--seed: '%s' is not an unsigned integer", val);
		return -EINVAL;
	}
	return 0;
}

static const struct sim_option {
	const char *name;
	int (*set)(struct sim_args *a, const char *val, char *why, size_t len);
} sim_options[] = {
	{ "-c", set_config },
	{ "--config", set_config },
	{ "--fault", set_fault },
	{ "--at", set_at },
	{ "--for", set_for },
	{ "--rtt", set_rtt },
	{ "--loss", set_loss },
	{ "--seed", set_seed },
};

static const struct sim_option *find_option(const char *arg, size_t name_len)
{
	for (size_t i = 0; i < sizeof sim_options / sizeof sim_options[0]; i++) {
		const char *name = sim_options[i].name;

		if (strlen(name) == name_len && strncmp(name, arg, name_len) == 0)
			return &sim_options[i];
	}
	return NULL;
}

/* One option at argv[*i], "--opt VALUE" or "--opt=VALUE"; *i moves past what it used. */
static int parse_one(int argc, char **argv, int *i, struct sim_args *a, char *why, size_t len)
{
	const char *arg = argv[*i], *eq = strchr(arg, '=');
	size_t name_len = eq && arg[1] == '-' ? (size_t)(eq - arg) : strlen(arg);
	const struct sim_option *opt;

	if (strcmp(arg, "--json") == 0) {
		a->json = true;
		return 0;
	}
	opt = find_option(arg, name_len);
	if (opt == NULL) {
		snprintf(why, len,
		    arg[0] == '-' ? "unknown option '%s'" : "unexpected argument '%s'", arg);
		return -EINVAL;
	}
	if (arg[name_len] == '=')
		return opt->set(a, arg + name_len + 1, why, len);
	if (*i + 1 >= argc) {
		snprintf(why, len, "%s needs a value", opt->name);
		return -EINVAL;
	}
	return opt->set(a, argv[++*i], why, len);
}

static int parse_args(int argc, char **argv, struct sim_args *a, char *why, size_t len)
{
	/* argv[0] is the command name (cli.h) */
	for (int i = 1; i < argc; i++) {
		if (parse_one(argc, argv, &i, a, why, len) < 0)
			return -EINVAL;
	}
	if (a->config == NULL)
		snprintf(why, len, "missing -c FILE");
	else if (!a->have_fault)
		snprintf(why, len, "missing --fault KIND");
	return a->config && a->have_fault ? 0 : -EINVAL;
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	}
	return false;
}

/* The backup's parameters from its configuration: 0, or 1 with the configuration's error line printed. */
static int load_params(const char *path, struct decide_params *ret_p, bool *ret_exit_watch)
{
	struct config *cfg = calloc(1, sizeof *cfg);
	char why[CONFIG_ERR_MAX];
	size_t n_nettest = 0;

	if (cfg == NULL) {
		warn("simulate");
		return 1;
	}
	if (config_load(path, cfg, why, sizeof why) < 0) {
		fprintf(stderr, "%s\n", why);
		free(cfg);
		return 1;
	}
	config_decide_params(cfg, ret_p);
	(void)config_nettest(cfg, &n_nettest);
	ret_p->has_nettest = n_nettest > 0;
	*ret_exit_watch = config_check_has_exit_watch(&cfg->module.check);
	free(cfg);
	return 0;
}

static int run_and_print(const struct sim_args *a)
{
	struct sim_opts o = a->o;
	struct decide_params p;
	struct sim_result r = { 0 };
	int rc;

	if (load_params(a->config, &p, &o.exit_watch) != 0)
		return 1;
	rc = sim_run(&p, &o, &r);
	if (rc < 0) {
		warnx("simulate: %s", strerror(-rc));
		return 1;
	}
	if (a->json)
		sim_print_json(&r, stdout);
	else
		sim_print_text(&r, &o, stdout);
	sim_result_free(&r);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		warn("simulate: stdout");
		return 1;
	}
	return 0;
}

int cmd_simulate(int argc, char **argv)
{
	struct sim_args a = { .o = { .fault = FAULT_NONE, .rtt_ms = 1, .seed = 1 } };
	char why[256];

	if (wants_help(argc, argv)) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (parse_args(argc, argv, &a, why, sizeof why) < 0) {
		warnx("simulate: %s", why);
		return 2;
	}
	return run_and_print(&a);
}
