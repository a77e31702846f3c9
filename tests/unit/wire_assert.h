/* wire_assert.h: field-by-field equality of wire messages for the codec and link tests (union padding carries no meaning). */
#ifndef VIGIL_TEST_WIRE_ASSERT_H
#define VIGIL_TEST_WIRE_ASSERT_H

#include "wire.h"

static inline void assert_hello_equal(const struct wire_hello *a, const struct wire_hello *b)
{
	assert_string_equal(a->node, b->node);
	assert_string_equal(a->software, b->software);
	assert_int_equal(a->role_a, b->role_a);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->generation, b->generation);
	assert_int_equal(a->channel, b->channel);
	assert_memory_equal(a->config_digest, b->config_digest, WIRE_DIGEST_LEN);
	assert_int_equal(a->dscp, b->dscp);
	assert_int_equal(a->sync, b->sync);
	assert_int_equal(a->module_responding, b->module_responding);
}

/* Field by field: union padding carries no meaning. */
static inline void assert_msg_equal(const struct wire_msg *a, const struct wire_msg *b)
{
	assert_int_equal(a->type, b->type);
	switch (a->type) {
	case WIRE_MSG_HELLO:
		assert_hello_equal(&a->hello, &b->hello);
		break;
	case WIRE_MSG_NOTIFIER_PING:
	case WIRE_MSG_NOTIFIER_PONG:
	case WIRE_MSG_MODULE_PING:
		assert_int_equal(a->notifier_ping.seq, b->notifier_ping.seq);
		break;
	case WIRE_MSG_MODULE_PONG:
		assert_int_equal(a->module_pong.seq, b->module_pong.seq);
		assert_int_equal(a->module_pong.pid, b->module_pong.pid);
		assert_int_equal(a->module_pong.check_rejected, b->module_pong.check_rejected);
		break;
	case WIRE_MSG_STATE_ANNOUNCE:
		assert_int_equal(a->state_announce.state, b->state_announce.state);
		assert_int_equal(a->state_announce.generation, b->state_announce.generation);
		break;
	case WIRE_MSG_SWITCH_NOTICE:
		assert_int_equal(a->switch_notice.kind, b->switch_notice.kind);
		assert_int_equal(a->switch_notice.reason, b->switch_notice.reason);
		break;
	case WIRE_MSG_DRAIN_REQUEST:
		assert_int_equal(a->drain_request.force, b->drain_request.force);
		break;
	case WIRE_MSG_MODULE_GONE:
		assert_int_equal(a->module_gone.pid, b->module_gone.pid);
		break;
	case WIRE_MSG_DRILL_START:
		assert_int_equal(a->drill_start.scenario, b->drill_start.scenario);
		assert_int_equal(a->drill_start.duration_ms, b->drill_start.duration_ms);
		assert_int_equal(a->drill_start.live, b->drill_start.live);
		break;
	default:
		break;
	}
}

#endif /* VIGIL_TEST_WIRE_ASSERT_H */
