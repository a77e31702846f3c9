/* config.h: vigil.conf, parsed and validated into one struct that is swapped in whole or not at all. */
#ifndef VIGIL_CONFIG_H
#define VIGIL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "decide.h"

#define CONFIG_PATH_MAX 256
#define CONFIG_NAME_MAX 64
#define CONFIG_ADDR_TEXT 46 /* INET6_ADDRSTRLEN */
#define CONFIG_MAX_ADDRS 8
#define CONFIG_MAX_VIPS 8
#define CONFIG_MAX_FENCE 16
#define CONFIG_MAX_ARGS 16
#define CONFIG_CMD_MAX 512
#define CONFIG_ERR_MAX 512
#define CONFIG_DEFAULT_PATH "/etc/vigil/vigil.conf"

struct config_addr {
	int family; /* AF_INET or AF_INET6; 0 = unset */
	uint8_t bytes[16];
	char text[CONFIG_ADDR_TEXT];
};

enum config_check_kind {
	CHECK_NONE,
	CHECK_UNIX,
	CHECK_PROCESS,
	CHECK_PIDFILE,
	CHECK_EXEC,
	CHECK_TCP,
	CHECK_COUNT,
};

struct config_check {
	enum config_check_kind kind;
	char target[CONFIG_CMD_MAX]; /* path, process name, exec command line, or tcp "HOST:PORT" */
	struct config_addr tcp_addr;
	uint16_t tcp_port;
};

/* A hook or exec: command line split on spaces, never given to a shell. */
struct config_cmd {
	char line[CONFIG_CMD_MAX]; /* "" = not set */
	int argc;
};

struct config_vip {
	struct config_addr addr;
	uint8_t prefix;
	char dev[CONFIG_NAME_MAX];
};

enum config_fence_kind {
	FENCE_TCP,
	FENCE_UDP,
	FENCE_ADDR,
};

struct config_fence {
	enum config_fence_kind kind;
	uint16_t port;
	struct config_addr addr;
	uint8_t prefix;
};

struct config {
	char path[CONFIG_PATH_MAX];
	int user_line; /* the line that set [node] user, 0 = its default (vigild's start-up check) */
	struct {
		char name[CONFIG_NAME_MAX];
		bool role_a;
		bool manual;
		bool force_backup;
		bool wait_peer;
		uint32_t start_timeout_ms;
		char state_dir[CONFIG_PATH_MAX];
		char control_socket[CONFIG_PATH_MAX];
		char control_group[CONFIG_NAME_MAX];
		char admin_group[CONFIG_NAME_MAX];
		char user[CONFIG_NAME_MAX];
	} node;
	struct {
		struct config_addr a, b, aux_a, aux_b;
		uint16_t port;
		bool auth_none;
		char key_file[CONFIG_PATH_MAX];
		uint32_t notifier_reconnect_delay_ms;
	} peer;
	struct {
		struct config_check check;
		struct config_check local_check; /* kind CHECK_NONE = not set */
		uint32_t timeout_ms;
		uint32_t retry_delay_ms;
		uint32_t max_failures;
		uint32_t max_restarts;
		uint32_t max_restarts_period_ms;
		uint32_t max_sequential_restarts;
		bool ping_on_aux;
		bool qos;
		uint8_t dscp;
	} module;
	struct {
		uint32_t ping_delay_ms;
		uint32_t timeout_ms; /* derived: module.timeout / 2 unless set */
		bool timeout_set;
		uint32_t retry_count;
		uint32_t retry_ping_delay_ms;
	} monitor;
	struct {
		bool gateway_ping;
		struct config_addr nettest_a[CONFIG_MAX_ADDRS];
		size_t n_nettest_a;
		struct config_addr nettest_b[CONFIG_MAX_ADDRS];
		size_t n_nettest_b;
		uint32_t nettest_timeout_ms;
		int icmp_dscp; /* -1 = none */
		bool carrier_watch;
		int32_t unreachable_primary_ping_count;
		uint32_t unreachable_primary_ping_delay_ms;
		uint32_t reconnect_timeout_ms;
	} network;
	struct {
		struct config_cmd commence, discontinue, drain, sync_check;
		uint32_t timeout_ms;
		uint32_t drain_timeout_ms;
		uint32_t sync_check_interval_ms;
	} hooks;
	struct {
		struct config_vip vip[CONFIG_MAX_VIPS];
		size_t n_vip;
		uint32_t garp_count;
		int qos_mark; /* -1 = none */
		struct config_fence fence[CONFIG_MAX_FENCE];
		size_t n_fence;
	} netcfg;
	struct {
		bool snmp;
	} export;
};

/*
 * Parse and validate path into *ret. On failure return a negative errno, leave *ret
 * untouched and write one line "file:line: key: why" (no newline) into err.
 */
int config_load(const char *path, struct config *ret, char *err, size_t errlen);
/*
 * config_load with flags. CONFIG_LOAD_KEY_HELD: the pair key is already held (vigild's reload,
 * after the privilege drop): key_file is resolved as a path but not opened, since [peer] cannot
 * change without a restart and the key file stays readable by root only.
 */
#define CONFIG_LOAD_KEY_HELD 0x1u
int config_load_flags(const char *path, unsigned flags, struct config *ret, char *err,
    size_t errlen);
/* Same, from a string (fuzzing, tests); name is used in error messages; key_file is checked on disk. */
int config_load_string(const char *name, const char *text, struct config *ret, char *err,
    size_t errlen);
/* Print the effective configuration as a complete vigil.conf (key_file path kept, never the key). */
void config_print(const struct config *c, FILE *f);
/* config_print, handed over one line at a time (no newline): 0 or -ENOMEM. */
typedef void config_line_fn(const char *line, void *arg);
int config_print_lines(const struct config *c, config_line_fn *fn, void *arg);
/* The decision core's parameters for this node. */
void config_decide_params(const struct config *c, struct decide_params *ret);
/* This node's NetTest list (nettest_a for role A, nettest_b for role B). */
const struct config_addr *config_nettest(const struct config *c, size_t *ret_n);
/* Addresses of the peer (the other node) for main and aux; and of this node. */
const struct config_addr *config_peer_main(const struct config *c);
const struct config_addr *config_peer_aux(const struct config *c);
/* True when the check kind gives a PID the primary can watch (process, pidfile, unix). */
bool config_check_has_exit_watch(const struct config_check *k);
const char *config_check_kind_name(enum config_check_kind k);

/* Parsers shared with vigilctl (drill --for, simulate --at): 0 or -EINVAL. */
int config_parse_duration_ms(const char *text, uint64_t *ret_ms);
int config_parse_dscp(const char *text, int *ret);

/*
 * Split a hook or exec: command line on blanks (no shell, no quoting: SPEC [hooks]) into buf and
 * ret_argv, NULL-terminated, with room for max pointers: argc, or -E2BIG.
 */
int config_split_args(const char *line, char *buf, size_t buflen, char **ret_argv, size_t max);

/* Write a new pair key (64 hex characters, mode 0600) to path; never overwrites: -EEXIST. */
int config_keygen(const char *path);

#endif /* VIGIL_CONFIG_H */
