#!/usr/bin/env python3
"""Sends bad control frames to a running xdp-recv (HOST PORT PROTOCOL_VERSION) and checks each
reply: an error message with code "bad_request" ("version_mismatch" for a
hello of another protocol version) whose reason contains the
expected fragment, then the connection closed by the receiver (EOF or a
reset within 5 s, nothing more sent).  Exit 0 when every case passed;
prints one line per case."""
import json
import socket
import struct
import sys

HOST, PORT, VERSION = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def frame(obj):
    body = json.dumps(obj).encode() if not isinstance(obj, bytes) else obj
    return struct.pack(">I", len(body)) + body


def hello(**kw):
    m = {"type": "hello", "protocol_version": VERSION, "role": "generator", "software": "bad_control"}
    m.update(kw)
    return m


def read_reply(s):
    """The first message that is not the receiver's hello, and what followed
    it: "closed" (EOF or reset within 5 s, nothing more), "data: ..." (more
    bytes) or "open" (still open after 5 s)."""
    buf = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return None, "closed"
        buf += chunk
        while len(buf) >= 4:
            n = struct.unpack(">I", buf[:4])[0]
            if len(buf) < 4 + n:
                break
            msg = json.loads(buf[4:4 + n])
            buf = buf[4 + n:]
            if msg.get("type") != "hello":   # the receiver's own hello comes first
                return msg, after_reply(s, buf)


def after_reply(s, buf):
    if buf:
        return f"data: {buf[:80]!r}"
    s.settimeout(5)
    try:
        more = s.recv(65536)
    except (ConnectionResetError, BrokenPipeError):
        return "closed"
    except socket.timeout:
        return "open"
    return f"data: {more[:80]!r}" if more else "closed"


def configure(test_id=1, **traffic):
    # Every field a v2 configure carries, so that only the named one is wrong.
    return {"type": "configure", "test_id": test_id, "test_name": "bad", "epoch_tai_ns": 0,
            "clock_offset_ns": 0, "clock_uncertainty_ns": 0, "config": {"traffic_config": traffic}}


CASES = [
    # name, frames to send, fragment expected in the error reason
    ("zero length", [struct.pack(">I", 0)], "frame length 0"),
    ("over 1 MiB length", [struct.pack(">I", (1 << 20) + 1)], "frame length"),
    ("malformed JSON", [frame(b"{not json")], "malformed JSON"),
    ("body not an object", [frame(b"[1,2]")], "not a JSON object"),
    ("no type", [frame({"protocol_version": 1})], "type"),
    ("configure before hello", [frame({"type": "configure"})], "hello"),
    ("protocol version + 1", [frame(hello(protocol_version=VERSION + 1))], f"v{VERSION + 1}"),
    ("role receiver", [frame(hello(role="receiver"))], "expected a generator"),
    ("capabilities not an array", [frame(hello(capabilities="trials"))], "'capabilities' must be an array of strings"),
    ("capabilities entry not a string", [frame(hello(capabilities=["trials", 1]))], "(entry 1 is not)"),
    ("configure test_id out of range",
     [frame(hello()), frame(configure(test_id=70000))],
     "test_id"),
    ("configure bad packet_size",
     [frame(hello()), frame(configure(packet_size=59))],
     "packet_size"),
    ("configure unknown config key",
     [frame(hello()), frame(configure(packet_rte=5))],
     "packet_rte"),
]

failed = 0
for name, frames, fragment in CASES:
    try:
        with socket.create_connection((HOST, PORT), timeout=10) as s:
            for f in frames:
                s.sendall(f)
            reply, then = read_reply(s)
        # A version mismatch has its own code; every other bad message is bad_request.
        code = "version_mismatch" if name.startswith("protocol version") else "bad_request"
        ok = (reply is not None and reply.get("type") == "error" and reply.get("code") == code
              and fragment in reply.get("reason", "") and then == "closed")
    except OSError as e:
        reply, then, ok = f"socket error: {e}", "", False
    print(("PASS" if ok else "FAIL") + f" control: {name}: {reply}; then {then}")
    failed += not ok
sys.exit(1 if failed else 0)
