/* agent.c: VIGIL-MIB's objects registered with net-snmp's agent library (scalar groups and the probe table, read-only), answered from the cache of vigild's state. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "export.h"
#include "internal.h"

size_t agent_oid(const struct vsnmp *x, const uint32_t *rel, size_t n, oid *ret)
{
	size_t len = 0;

	for (size_t i = 0; i < x->root_len && len < MAX_OID_LEN; i++)
		ret[len++] = x->root[i];
	for (size_t i = 0; i < n && len < MAX_OID_LEN; i++)
		ret[len++] = rel[i];
	return len;
}

u_char agent_asn(const struct export_value *v, long *num, const void **ret_val, size_t *ret_len)
{
	*num = (long)v->num; /* in range by construction: 0..2^32-1 or an enumeration */
	*ret_val = num;
	*ret_len = sizeof(*num);
	switch (v->type) {
	case EXPORT_T_TEXT:
		*ret_val = v->text;
		*ret_len = strlen(v->text);
		return ASN_OCTET_STR;
	case EXPORT_T_UNSIGNED:
		return ASN_UNSIGNED;
	case EXPORT_T_GAUGE:
		return ASN_GAUGE;
	case EXPORT_T_COUNTER:
		return ASN_COUNTER;
	default:
		return ASN_INTEGER;
	}
}

/* One varbind's answer: the value, or noSuchInstance for one not present (RFC 3416 4.2.1). */
static void answer(netsnmp_agent_request_info *ri, netsnmp_request_info *rq,
    const struct export_value *v)
{
	const void *val;
	size_t len;
	long num;
	u_char t;

	if (v == NULL || !v->present) {
		netsnmp_set_request_error(ri, rq, SNMP_NOSUCHINSTANCE);
		return;
	}
	t = agent_asn(v, &num, &val, &len);
	if (snmp_set_var_typed_value(rq->requestvb, t, val, len) != 0)
		netsnmp_set_request_error(ri, rq, SNMP_ERR_GENERR);
}

/* The scalar a request names: root . 1 . group . COLUMN . 0 (the helpers checked the rest). */
static unsigned column(const struct vsnmp *x, const netsnmp_request_info *rq)
{
	const netsnmp_variable_list *v = rq->requestvb;

	return v->name_length > x->root_len + 2 ? (unsigned)v->name[x->root_len + 2] : 0;
}

static struct export_value agent_value(const struct vsnmp *x, unsigned col)
{
	struct export_value v = { .present = true, .type = EXPORT_T_INTEGER };

	switch (col) {
	case EXPORT_AG_REACHABLE:
		v.num = x->status_ok ? EXPORT_TRUE : EXPORT_FALSE;
		break;
	case EXPORT_AG_LAST_ERROR:
		v.type = EXPORT_T_TEXT;
		snprintf(v.text, sizeof(v.text), "%.*s", (int)sizeof(v.text) - 1, x->error);
		break;
	case EXPORT_AG_NOTIFICATIONS:
		v.type = EXPORT_T_COUNTER;
		v.num = x->notifications;
		break;
	default:
		v.present = false;
	}
	return v;
}

/*
 * The handlers see MODE_GET only: the scalar-group and table helpers turn GETNEXT into GETs in
 * OID order, and the read-only registrations answer a SET notWritable before it gets here.
 */
static int agent_group(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
    netsnmp_agent_request_info *ri, netsnmp_request_info *rq)
{
	struct vsnmp *x = reg->my_reg_void;

	(void)h;
	if (ri->mode != MODE_GET)
		return SNMP_ERR_NOERROR;
	(void)cache_status(x, vsnmp_now_ms(), false); /* a failure is what it reports */
	for (; rq != NULL; rq = rq->next) {
		struct export_value v = agent_value(x, column(x, rq));

		answer(ri, rq, &v);
	}
	return SNMP_ERR_NOERROR;
}

static int status_group(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
    netsnmp_agent_request_info *ri, netsnmp_request_info *rq)
{
	struct vsnmp *x = reg->my_reg_void;
	bool ok;

	(void)h;
	if (ri->mode != MODE_GET)
		return SNMP_ERR_NOERROR;
	ok = cache_status(x, vsnmp_now_ms(), false) == 0;
	for (; rq != NULL; rq = rq->next) {
		unsigned col = column(x, rq);

		answer(ri, rq, ok && col > 0 && col < EXPORT_ST_COUNT ? &x->status.col[col] : NULL);
	}
	return SNMP_ERR_NOERROR;
}

static int counter_group(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
    netsnmp_agent_request_info *ri, netsnmp_request_info *rq)
{
	struct vsnmp *x = reg->my_reg_void;
	bool ok;

	(void)h;
	if (ri->mode != MODE_GET)
		return SNMP_ERR_NOERROR;
	ok = cache_dump(x, vsnmp_now_ms()) == 0;
	for (; rq != NULL; rq = rq->next) {
		unsigned col = column(x, rq);

		answer(ri, rq,
		    ok && col > 0 && col < EXPORT_CT_COUNT ? &x->dump.counter[col] : NULL);
	}
	return SNMP_ERR_NOERROR;
}

static int register_group(struct vsnmp *x, const char *name, unsigned group, unsigned last,
    Netsnmp_Node_Handler *fn)
{
	const uint32_t rel[] = { EXPORT_ARC_OBJECTS, group };
	netsnmp_handler_registration *reg;
	oid o[MAX_OID_LEN];
	size_t len = agent_oid(x, rel, 2, o);

	reg = netsnmp_create_handler_registration(name, fn, o, len, HANDLER_CAN_RONLY);
	if (reg == NULL)
		return -ENOMEM;
	reg->my_reg_void = x;
	return netsnmp_register_scalar_group(reg, 1, last) == MIB_REGISTERED_OK ? 0 : -EEXIST;
}

/* ---- vigilProbeTable: one row per entry of the dump's "probes", index = position + 1 ---- */

static netsnmp_variable_list *probe_at(struct vsnmp *x, size_t i, void **loop_ctx, void **data_ctx,
    netsnmp_variable_list *index)
{
	u_long n = i + 1;

	if (!x->dump_ok || i >= x->dump.n_probes)
		return NULL;
	*loop_ctx = (void *)(uintptr_t)i;
	*data_ctx = &x->dump.probes[i];
	snmp_set_var_value(index, &n, sizeof(n));
	return index;
}

static netsnmp_variable_list *probe_first(void **loop_ctx, void **data_ctx,
    netsnmp_variable_list *index, netsnmp_iterator_info *info)
{
	struct vsnmp *x = info->myvoid;

	(void)cache_dump(x, vsnmp_now_ms()); /* unreachable: no rows */
	return probe_at(x, 0, loop_ctx, data_ctx, index);
}

static netsnmp_variable_list *probe_next(void **loop_ctx, void **data_ctx,
    netsnmp_variable_list *index, netsnmp_iterator_info *info)
{
	return probe_at(info->myvoid, (size_t)(uintptr_t)*loop_ctx + 1, loop_ctx, data_ctx, index);
}

static int probe_table(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
    netsnmp_agent_request_info *ri, netsnmp_request_info *rq)
{
	(void)h;
	(void)reg;
	if (ri->mode != MODE_GET)
		return SNMP_ERR_NOERROR;
	for (; rq != NULL; rq = rq->next) {
		const struct export_probe *p = netsnmp_extract_iterator_context(rq);
		netsnmp_table_request_info *ti = netsnmp_extract_table_info(rq);
		struct export_value v;

		if (rq->processed)
			continue;
		if (p == NULL || ti == NULL || export_probe_value(p, ti->colnum, &v) < 0)
			answer(ri, rq, NULL);
		else
			answer(ri, rq, &v);
	}
	return SNMP_ERR_NOERROR;
}

static int register_probes(struct vsnmp *x)
{
	const uint32_t rel[] = { EXPORT_ARC_OBJECTS, EXPORT_GROUP_PROBES, 1 };
	netsnmp_handler_registration *reg;
	netsnmp_table_registration_info *ti = SNMP_MALLOC_TYPEDEF(netsnmp_table_registration_info);
	netsnmp_iterator_info *ii = SNMP_MALLOC_TYPEDEF(netsnmp_iterator_info);
	oid o[MAX_OID_LEN];
	size_t len = agent_oid(x, rel, 3, o);

	reg = netsnmp_create_handler_registration("vigilProbeTable", probe_table, o, len,
	    HANDLER_CAN_RONLY);
	if (reg == NULL || ti == NULL || ii == NULL)
		return -ENOMEM; /* at start-up: vigil-snmp exits */
	netsnmp_table_helper_add_indexes(ti, ASN_UNSIGNED, 0);
	ti->min_column = EXPORT_PR_KIND;
	ti->max_column = EXPORT_PR_COUNT - 1;
	ii->get_first_data_point = probe_first;
	ii->get_next_data_point = probe_next;
	ii->table_reginfo = ti;
	ii->myvoid = x;
	return netsnmp_register_table_iterator2(reg, ii) == MIB_REGISTERED_OK ? 0 : -EEXIST;
}

int agent_register(struct vsnmp *x)
{
	int r =
	    register_group(x, "vigilAgent", EXPORT_GROUP_AGENT, EXPORT_AG_COUNT - 1, agent_group);

	r = r ? r
	      : register_group(x, "vigilStatus", EXPORT_GROUP_STATUS, EXPORT_ST_COUNT - 1,
	            status_group);
	r = r ? r : register_probes(x);
	return r ? r
	         : register_group(x, "vigilCounters", EXPORT_GROUP_COUNTERS, EXPORT_CT_COUNT - 1,
	               counter_group);
}
