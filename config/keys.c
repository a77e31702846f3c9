/* keys.c: the key table: one row per key of SPEC "Configuration parameters", with its parser, range and default. */
#include <stddef.h>
#include <string.h>

#include "config.h"
#include "internal.h"

#define S 1000
#define MIN 60000
#define H 3600000
#define DAY (24 * H)

#define SIZE(fld) ((int64_t)sizeof(((struct config *)0)->fld))
#define OFF(fld) offsetof(struct config, fld)

/* Scalars: a range (ms for durations) and a default text. */
#define KEY(s, n, kind, fld, lo, hi, d)                                            \
	{                                                                          \
		.sec = s, .name = n, .parse = parse_##kind, .print = print_##kind, \
		.off = OFF(fld), .min = lo, .max = hi, .def = d                    \
	}
#define DUR(s, n, fld, lo, hi, d)                                                           \
	{                                                                                   \
		.sec = s, .name = n, .parse = parse_ms, .print = print_ms, .off = OFF(fld), \
		.min = lo, .max = hi, .def = d                                              \
	}
/* A duration where 0 means off. */
#define DUR_OFF(s, n, fld, lo, hi, d)                                                           \
	{                                                                                       \
		.sec = s, .name = n, .parse = parse_ms_off, .print = print_ms, .off = OFF(fld), \
		.min = lo, .max = hi, .def = d                                                  \
	}
/* Strings: least length and the buffer size (or a tighter limit). */
#define STR(s, n, kind, fld, least, size, d)                                                     \
	{                                                                                        \
		.sec = s, .name = n, .parse = parse_##kind, .print = print_str, .off = OFF(fld), \
		.min = least, .max = size, .def = d                                              \
	}
#define ENUM(s, n, fld, nm, d)                                                                  \
	{                                                                                       \
		.sec = s, .name = n, .parse = parse_enum, .print = print_enum, .off = OFF(fld), \
		.names = nm, .def = d                                                           \
	}
#define LIST(s, n, kind, fld, nfld, cap)                                           \
	{                                                                          \
		.sec = s, .name = n, .parse = parse_##kind, .print = print_##kind, \
		.off = OFF(fld), .off_n = OFF(nfld), .max = cap, .def = ""         \
	}
#define REQ(s, n, kind, fld, least, h)                                             \
	{                                                                          \
		.sec = s, .name = n, .parse = parse_##kind, .print = print_##kind, \
		.off = OFF(fld), .min = least, .flags = KEY_REQUIRED, .hint = h    \
	}
#define REQ_ENUM(s, n, fld, nm, h)                                                              \
	{                                                                                       \
		.sec = s, .name = n, .parse = parse_enum, .print = print_enum, .off = OFF(fld), \
		.names = nm, .flags = KEY_REQUIRED, .hint = h                                   \
	}

static const char *const roles[] = { "B", "A" }; /* stored in role_a */
static const char *const modes[] = { "auto", "manual" };
static const char *const starts[] = { "failsafe-active", "wait-peer" };
static const char *const auths[] = { "hmac", "none" };

#define SUN_PATH 108 /* sizeof(sockaddr_un.sun_path) */

const struct config_key config_keys[] = {
	/* default: the host name, finish.c */
	STR(SEC_NODE, "name", word, node.name, 1, SIZE(node.name), NULL),
	REQ_ENUM(SEC_NODE, "role", node.role_a, roles, "role = A or role = B"),
	ENUM(SEC_NODE, "mode", node.manual, modes, "auto"),
	KEY(SEC_NODE, "force_backup", bool, node.force_backup, 0, 1, "no"),
	ENUM(SEC_NODE, "start", node.wait_peer, starts, "failsafe-active"),
	DUR(SEC_NODE, "start_timeout", node.start_timeout_ms, 1 * S, 10 * MIN, "10s"),
	STR(SEC_NODE, "state_dir", path, node.state_dir, 1, SIZE(node.state_dir), "/var/lib/vigil"),
	STR(SEC_NODE, "control_socket", path, node.control_socket, 1, SUN_PATH,
	    "/run/vigil/vigild.sock"),
	STR(SEC_NODE, "control_group", word, node.control_group, 0, SIZE(node.control_group),
	    "vigil"),
	STR(SEC_NODE, "admin_group", word, node.admin_group, 0, SIZE(node.admin_group), ""),
	STR(SEC_NODE, "user", word, node.user, 1, SIZE(node.user), "vigil"),

	REQ(SEC_PEER, "a", addr, peer.a, 1, "a = ADDRESS of node A"),
	REQ(SEC_PEER, "b", addr, peer.b, 1, "b = ADDRESS of node B"),
	/* default a and b: finish.c */
	KEY(SEC_PEER, "aux_a", addr, peer.aux_a, 0, 0, NULL),
	KEY(SEC_PEER, "aux_b", addr, peer.aux_b, 0, 0, NULL),
	KEY(SEC_PEER, "port", u16, peer.port, 1, 65535, "3633"),
	ENUM(SEC_PEER, "auth", peer.auth_none, auths, "hmac"),
	/* relative to the file's folder; checked on disk in finish.c */
	STR(SEC_PEER, "key_file", str, peer.key_file, 0, SIZE(peer.key_file), ""),
	DUR(SEC_PEER, "notifier_reconnect_delay", peer.notifier_reconnect_delay_ms, 1 * S, 60 * S,
	    "5s"),

	REQ(SEC_MODULE, "check", check, module.check, 1,
	    "check = process:NAME, unix:PATH, pidfile:PATH, exec:PATH [ARGS] or tcp:HOST:PORT"),
	KEY(SEC_MODULE, "local_check", check, module.local_check, 0, 0, ""),
	DUR(SEC_MODULE, "timeout", module.timeout_ms, 100, 60 * S, "10s"),
	DUR(SEC_MODULE, "retry_delay", module.retry_delay_ms, 10, 60 * S, "1s"),
	KEY(SEC_MODULE, "max_failures", u32, module.max_failures, 1, 10, "2"),
	KEY(SEC_MODULE, "max_restarts", u32, module.max_restarts, 1, 100, "2"),
	DUR(SEC_MODULE, "max_restarts_period", module.max_restarts_period_ms, 1 * S, 1 * H, "300s"),
	KEY(SEC_MODULE, "max_sequential_restarts", u32, module.max_sequential_restarts, 1, 100,
	    "2"),
	KEY(SEC_MODULE, "ping_on_aux", bool, module.ping_on_aux, 0, 1, "no"),
	KEY(SEC_MODULE, "qos", bool, module.qos, 0, 1, "no"),
	KEY(SEC_MODULE, "dscp", dscp, module.dscp, 0, 63, "af41"),

	DUR(SEC_MONITOR, "ping_delay", monitor.ping_delay_ms, 10, 300 * S, "1s"),
	/* default module.timeout / 2: finish.c */
	DUR(SEC_MONITOR, "timeout", monitor.timeout_ms, 10, 300 * S, NULL),
	KEY(SEC_MONITOR, "retry_count", u32, monitor.retry_count, 1, 50, "2"),
	DUR(SEC_MONITOR, "retry_ping_delay", monitor.retry_ping_delay_ms, 0, 300 * S, "0"),

	KEY(SEC_NETWORK, "gateway_ping", bool, network.gateway_ping, 0, 1, "no"),
	LIST(SEC_NETWORK, "nettest_a", addrs, network.nettest_a, network.n_nettest_a,
	    CONFIG_MAX_ADDRS),
	LIST(SEC_NETWORK, "nettest_b", addrs, network.nettest_b, network.n_nettest_b,
	    CONFIG_MAX_ADDRS),
	DUR(SEC_NETWORK, "nettest_timeout", network.nettest_timeout_ms, 10, 60 * S, "1s"),
	KEY(SEC_NETWORK, "icmp_dscp", dscp_opt, network.icmp_dscp, 0, 63, "none"),
	KEY(SEC_NETWORK, "carrier_watch", bool, network.carrier_watch, 0, 1, "yes"),
	KEY(SEC_NETWORK, "unreachable_primary_ping_count", i32,
	    network.unreachable_primary_ping_count, -1, 1000, "0"),
	DUR(SEC_NETWORK, "unreachable_primary_ping_delay",
	    network.unreachable_primary_ping_delay_ms, 100, 300 * S, "10s"),
	DUR(SEC_NETWORK, "reconnect_timeout", network.reconnect_timeout_ms, 0, 1 * H, "30s"),

	KEY(SEC_HOOKS, "commence", cmd, hooks.commence, 0, 0, ""),
	KEY(SEC_HOOKS, "discontinue", cmd, hooks.discontinue, 0, 0, ""),
	KEY(SEC_HOOKS, "drain", cmd, hooks.drain, 0, 0, ""),
	KEY(SEC_HOOKS, "sync_check", cmd, hooks.sync_check, 0, 0, ""),
	/* SPEC gives no ranges for hook timers: these are ours (doc: vigil.conf.5). */
	DUR(SEC_HOOKS, "timeout", hooks.timeout_ms, 100, 1 * H, "10s"),
	DUR(SEC_HOOKS, "drain_timeout", hooks.drain_timeout_ms, 1 * S, DAY, "5m"),
	DUR_OFF(SEC_HOOKS, "sync_check_interval", hooks.sync_check_interval_ms, 1 * S, DAY, "60s"),

	LIST(SEC_NETCFG, "vip", vips, netcfg.vip, netcfg.n_vip, CONFIG_MAX_VIPS),
	KEY(SEC_NETCFG, "garp_count", u32, netcfg.garp_count, 0, 100, "3"),
	KEY(SEC_NETCFG, "qos_mark", dscp_opt, netcfg.qos_mark, 0, 63, "none"),
	LIST(SEC_NETCFG, "fence", fences, netcfg.fence, netcfg.n_fence, CONFIG_MAX_FENCE),

	KEY(SEC_EXPORT, "snmp", bool, export.snmp, 0, 1, "yes"),
};

const size_t config_n_keys = sizeof(config_keys) / sizeof(config_keys[0]);
_Static_assert(sizeof(config_keys) / sizeof(config_keys[0]) <= KEYS_MAX, "KEYS_MAX too small");

const char *const config_section_names[SEC_COUNT] = {
	[SEC_NODE] = "node",
	[SEC_PEER] = "peer",
	[SEC_MODULE] = "module",
	[SEC_MONITOR] = "monitor",
	[SEC_NETWORK] = "network",
	[SEC_HOOKS] = "hooks",
	[SEC_NETCFG] = "netcfg",
	[SEC_EXPORT] = "export",
};

int config_key_find(enum config_section sec, const char *name)
{
	for (size_t i = 0; i < config_n_keys; i++) {
		if (config_keys[i].sec == sec && strcmp(config_keys[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

int config_section_find(const char *name)
{
	for (int i = 0; i < SEC_COUNT; i++) {
		if (strcmp(config_section_names[i], name) == 0)
			return i;
	}
	return -1;
}
