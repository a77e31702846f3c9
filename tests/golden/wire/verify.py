#!/usr/bin/env python3
"""verify.py: rebuild the golden peer-link frames from doc/protocol.md alone and compare.

A second, independent reading of the wire format (Python hmac/hashlib, no vigil code): if
this script and test_wire.c agree on every byte, the document says enough to reimplement the
protocol. Run from anywhere: python3 tests/golden/wire/verify.py; exit 0 when all match.
"""
import hashlib
import hmac
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

KEY = bytes(range(32))
NONCE_D = bytes(0xD0 + i for i in range(16))
NONCE_A = bytes(0xA0 + i for i in range(16))
ZERO16 = bytes(16)
DIGEST = bytes(0xC0 + i for i in range(32))

T_OPEN, T_HELLO, T_NOTIFIER_PING = 1, 2, 3
ST_BACKUP, ST_PRIMARY = 1, 3
SYNC_UNKNOWN, SYNC_IN = 0, 1
CHANNEL_MAIN = 0


def mac(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()


def pair_id(auth):
    return mac(KEY, b"vigil pair id")[:8] if auth else bytes(8)


def session_key(direction, nonce_d, nonce_a):
    return mac(KEY, b"vigil session key" + direction + nonce_d + nonce_a)


def frame(auth, ftype, payload, seq, nonce_d, nonce_a, direction):
    header = b"VIGL" + struct.pack(">BBBBH", 1, ftype, 1 if auth else 0, 0, len(payload))
    header += pair_id(auth) + nonce_d[:4] + nonce_a[:4] + struct.pack(">Q", seq)
    assert len(header) == 34
    body = header + payload
    if auth:
        body += mac(session_key(direction, nonce_d, nonce_a), body)
    assert len(body) <= 1024
    return body


def hello(nonce, role, state, sync, responding, node, software):
    p = nonce + role + struct.pack(">BBBBB", state, CHANNEL_MAIN, sync, 34, 1 if responding else 0)
    p += struct.pack(">Q", 7) + DIGEST
    for s in (node, software):
        p += bytes([len(s)]) + s
    return p


def expected():
    return {
        "open": frame(True, T_OPEN, NONCE_D, 0, NONCE_D, ZERO16, b"D"),
        "hello": frame(True, T_HELLO,
                       hello(NONCE_A, b"A", ST_PRIMARY, SYNC_IN, True, b"vigil-a", b"1.0.0"),
                       0, NONCE_D, NONCE_A, b"A"),
        "hello-dialer": frame(True, T_HELLO,
                              hello(NONCE_D, b"B", ST_BACKUP, SYNC_UNKNOWN, False, b"vigil-b",
                                    b"1.0.0"),
                              1, NONCE_D, NONCE_A, b"D"),
        "ping": frame(True, T_NOTIFIER_PING, struct.pack(">I", 1), 2, NONCE_D, NONCE_A, b"D"),
        "ping-none": frame(False, T_NOTIFIER_PING, struct.pack(">I", 1), 2, NONCE_D, NONCE_A,
                           b"D"),
    }


def read_hex(path):
    out = bytearray()
    with open(path, encoding="ascii") as f:
        for line in f:
            line = line.split("#", 1)[0]
            out += bytes.fromhex(line)
    return bytes(out)


def main():
    bad = 0
    for name, want in expected().items():
        path = os.path.join(HERE, name + ".hex")
        got = read_hex(path)
        if got != want:
            bad += 1
            print(f"{name}: differs\n  file   {got.hex()}\n  python {want.hex()}")
        else:
            print(f"{name}: {len(got)} bytes match")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
