"""A minimal client of xdp-recv's control protocol for the tests: framed
JSON (a 4-byte big-endian length, then the JSON object), blocking, with a
timeout.  Import it from a test's inline Python:
    sys.path.insert(0, os.environ["EBT_SOURCE_DIR"] + "/tests/integration")
"""
import json
import socket
import struct
import sys

PROTOCOL_VERSION = 2


class Control:
    def __init__(self, host, port=8080, timeout=5):
        self.sock = socket.create_connection((host, port), timeout=timeout)

    def send(self, message):
        body = json.dumps(message).encode()
        self.sock.sendall(struct.pack(">I", len(body)) + body)

    def _read(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                sys.exit("closed")
            out += chunk
        return out

    def recv(self):
        return json.loads(self._read(struct.unpack(">I", self._read(4))[0]))


def hello(**fields):
    m = {"type": "hello", "protocol_version": PROTOCOL_VERSION, "role": "generator", "software": "test"}
    m.update(fields)
    return m
