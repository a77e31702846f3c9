/* netcfg-info.c: the drill in status and the nftables table and VIPs in dump (SPEC "Command line": drill, dump). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "daemon.h"
#include "loop.h"
#include "nftable.h"
#include "vip.h"

static void add(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

static void add_u64(struct json_object *o, const char *k, uint64_t n)
{
	add(o, k, json_object_new_int64((int64_t)n));
}

static void add_str(struct json_object *o, const char *k, const char *s)
{
	add(o, k, json_object_new_string(s));
}

static void add_bool(struct json_object *o, const char *k, bool b)
{
	add(o, k, json_object_new_boolean(b));
}

/* status "last_drill": the running drill or the latest one, null before the first; vigilctl
 * drill follows it to show progress and print the verdict. */
int vigild_drill_json(struct vigild *v, struct json_object *st)
{
	const struct vigild_drill *d = &v->drill;
	uint64_t now = loop_now_ms(v->loop);
	struct json_object *o;

	if (d->id == 0) {
		add(st, "last_drill", NULL);
		return 0;
	}
	o = json_object_new_object();
	if (o == NULL)
		return -ENOMEM;
	add_u64(o, "id", d->id);
	add_str(o, "scenario", wire_drill_name(d->scenario));
	add_bool(o, "live", d->live);
	add_bool(o, "running", d->running);
	add_str(o, "phase", !d->running ? "done" : d->lifting ? "recovering" : "playing");
	add_u64(o, "for_ms", d->end_ms - d->start_ms);
	add_u64(o, "elapsed_ms", (d->running && !d->lifting ? now : d->end_ms) - d->start_ms);
	add_str(o, "verdict", decide_verdict_name(d->verdict));
	if (d->verdict != VERDICT_NONE)
		add_u64(o, "verdict_after_ms", d->verdict_ms - d->start_ms);
	add_bool(o, "switched", d->switched);
	add(st, "last_drill", o);
	return 0;
}

static struct json_object *dump_table(struct vigild *v)
{
	struct json_object *o = json_object_new_object();
	struct nftable_readback rb;
	char *text = malloc(NFTABLE_TEXT_MAX);

	add_str(o, "name", NFTABLE_FAMILY " " NFTABLE_NAME);
	if (v->nft_err[0] != '\0')
		add_str(o, "error", v->nft_err);
	if (v->nft != NULL && nftable_readback(v->nft, &rb) == 0) {
		add_bool(o, "present", rb.present);
		add_u64(o, "chains", rb.chains);
		add_u64(o, "rules", rb.rules);
		add_u64(o, "sets", rb.sets);
		add_u64(o, "drill_elements", rb.drill_elems);
	}
	v->nft_spec.now_ms = loop_now_ms(v->loop);
	if (text != NULL && nftable_render(&v->nft_spec, text, NFTABLE_TEXT_MAX) == 0)
		add_str(o, "table", text);
	free(text);
	return o;
}

static struct json_object *dump_vips(const struct vigild *v)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; v->vips != NULL && i < vip_count(v->vips); i++) {
		struct config_vip cv;
		struct vip_info in;
		struct json_object *o;
		char addr[CONFIG_ADDR_TEXT + CONFIG_NAME_MAX + 16];

		if (vip_get(v->vips, i, &cv, &in) < 0 || (o = json_object_new_object()) == NULL)
			continue;
		snprintf(addr, sizeof(addr), "%s/%u dev %s", cv.addr.text, cv.prefix, cv.dev);
		add_str(o, "vip", addr);
		add_bool(o, "held", in.held);
		add_bool(o, "present", in.present);
		add_u64(o, "announced", in.announced);
		add_u64(o, "duplicates", in.duplicates);
		if (in.duplicate_mac[0] != '\0')
			add_str(o, "duplicate_mac", in.duplicate_mac);
		json_object_array_add(a, o);
	}
	return a;
}

/* dump "netcfg": the table as vigild built it and as the kernel holds it, and the VIPs. */
struct json_object *vigild_netcfg_dump(struct vigild *v)
{
	struct json_object *o = json_object_new_object();

	add(o, "nftables", dump_table(v));
	add(o, "vips", dump_vips(v));
	add_bool(o, "fenced", v->nft_spec.fenced);
	return o;
}
