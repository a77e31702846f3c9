/* wire-internal.h: what probe/wire*.c share and nobody else sees: offsets, byte cursors, codecs. */
#ifndef VIGIL_WIRE_INTERNAL_H
#define VIGIL_WIRE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* Header layout (doc/protocol.md "Frame"): explicit byte offsets, network byte order. */
#define WIRE_OFF_MAGIC 0
#define WIRE_OFF_VERSION 4
#define WIRE_OFF_TYPE 5
#define WIRE_OFF_AUTH 6
#define WIRE_OFF_FLAGS 7
#define WIRE_OFF_LENGTH 8
#define WIRE_OFF_PAIR 10
#define WIRE_OFF_TAG 18
#define WIRE_OFF_SEQ 26
#define WIRE_TAG_LEN 8
#define WIRE_MAGIC_LEN 4

/* Direction bytes bound into the session keys, so a frame cannot be reflected to its sender. */
#define WIRE_DIR_FROM_DIALER 'D'
#define WIRE_DIR_FROM_ACCEPTOR 'A'

extern const uint8_t wire_magic[WIRE_MAGIC_LEN];

/* Bounded cursors: a read or write past the end sets bad and does nothing else. */
struct wire_reader {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool bad;
};

struct wire_writer {
	uint8_t *p;
	size_t size;
	size_t off;
	bool bad;
};

void wire_read_bytes(struct wire_reader *r, uint8_t *dst, size_t n);
uint8_t wire_read_u8(struct wire_reader *r);
uint32_t wire_read_u32(struct wire_reader *r);
uint64_t wire_read_u64(struct wire_reader *r);
void wire_write_bytes(struct wire_writer *w, const uint8_t *src, size_t n);
void wire_write_u8(struct wire_writer *w, uint8_t v);
void wire_write_u16(struct wire_writer *w, uint16_t v);
void wire_write_u32(struct wire_writer *w, uint32_t v);
void wire_write_u64(struct wire_writer *w, uint64_t v);
uint16_t wire_get_u16(const uint8_t *p);
uint64_t wire_get_u64(const uint8_t *p);

/*
 * Payload codec of one message type. The body is the payload after the sender's nonce, which
 * OPEN and HELLO carry first (handshake = true) and the frame layer reads and writes.
 */
struct wire_codec {
	bool handshake;
	uint16_t body_min;
	uint16_t body_max;
	int (*encode)(const struct wire_msg *m, struct wire_writer *w);
	int (*decode)(struct wire_reader *r, struct wire_msg *ret);
};

/* NULL for a type this version does not know. */
const struct wire_codec *wire_codec_get(unsigned type);

/* One header, read once its bytes are all there. */
struct wire_frame {
	enum wire_msg_type type;
	const struct wire_codec *codec;
	size_t payload_len;
	size_t frame_len; /* header + payload + MAC (when authenticated) */
	uint64_t seq;
};

/* What a received frame is checked against: the session's nonces and key, or those completed
 * from the frame's own payload while the handshake still learns the peer's nonce. */
struct wire_rx {
	uint8_t nonce_d[WIRE_NONCE_LEN];
	uint8_t nonce_a[WIRE_NONCE_LEN];
	uint8_t key_rx[WIRE_KEY_LEN];
};

int wire_frame_check_header(const struct wire_session *s, const uint8_t *buf, size_t len,
    struct wire_frame *ret);
int wire_frame_check_body(const struct wire_session *s, const uint8_t *buf,
    const struct wire_frame *f, struct wire_rx *ret);
void wire_frame_write_header(const struct wire_session *s, enum wire_msg_type type,
    size_t payload_len, struct wire_writer *w);
void wire_frame_seal(const struct wire_session *s, struct wire_writer *w);
void wire_session_key(const struct wire_key *k, uint8_t dir, const uint8_t *nonce_d,
    const uint8_t *nonce_a, uint8_t *ret);
size_t wire_mac_len(const struct wire_key *k);

#endif
