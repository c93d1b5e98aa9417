"""A minimal client of xdp-recv's control protocol for the tests: framed
JSON (a 4-byte big-endian length, then the JSON object), blocking, with a
timeout.  Import it from a test's inline Python:
    sys.path.insert(0, os.environ["EBT_SOURCE_DIR"] + "/tests/integration")
"""
import hashlib
import hmac
import json
import socket
import struct
import sys

PROTOCOL_VERSION = 2


class Control:
    def __init__(self, host, port=8080, timeout=5, source=None):
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)

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

    def expect(self, type_):
        """The next message that is not a heartbeat or a live sample; it
        must be of this type (an error message says so in the assertion)."""
        while True:
            m = self.recv()
            if m["type"] not in ("heartbeat", "sample"):
                assert m["type"] == type_, f"expected '{type_}', got {m}"
                return m

    def closed(self, timeout=5):
        """After the peer's last message: "closed" when the connection ends
        (FIN or RST) within `timeout` s with nothing more sent, "data" when
        more bytes come, "open" when it is still open after `timeout`."""
        self.sock.settimeout(timeout)
        try:
            return "data" if self.sock.recv(1) else "closed"
        except (ConnectionResetError, BrokenPipeError):
            return "closed"
        except socket.timeout:
            return "open"

    def ending(self, timeout=5):
        """Like closed(), telling a clean close from a reset: "fin" (EOF),
        "reset", "data" or "open"."""
        self.sock.settimeout(timeout)
        try:
            return "data" if self.sock.recv(1) else "fin"
        except ConnectionResetError:
            return "reset"
        except socket.timeout:
            return "open"


def hello(**fields):
    m = {"type": "hello", "protocol_version": PROTOCOL_VERSION, "role": "generator", "software": "test"}
    m.update(fields)
    return m


def configure(test_id, name, **config):
    """A configure message: test id and name, no clock sync (epoch 0: no
    latency), and a config of the given sections (the rest defaulted), e.g.
    traffic_config={"flows": 1}."""
    return {"type": "configure", "test_id": test_id, "test_name": name, "epoch_tai_ns": 0,
            "clock_offset_ns": 0, "clock_uncertainty_ns": -1, "config": config}


# struct ebt_test_hdr (bpf/ebpf_test_shared.h), big-endian: magic, version,
# flags, test id, flow id, seq, tx time bits 47..32 and 31..0.
TEST_HDR = struct.Struct(">HBBHHIHI")
TEST_MAGIC = 0xEB7E


def send_test_packets(host, test_id, count, port=9, flow=0, first_seq=0, sock=None):
    """count UDP datagrams to host:port, each a test header of this test id
    and flow, seq first_seq.. (the XDP program reads the header at the start
    of the UDP payload; no tx time: latency off with epoch 0).  sock: reuse
    one socket so that several calls keep their order on the wire."""
    s = sock or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(count):
        s.sendto(TEST_HDR.pack(TEST_MAGIC, 1, 0, test_id, flow, first_seq + i, 0, 0), (host, port))
    if sock is None:
        s.close()


def read_secret(path):
    """The shared secret as xdp-recv loads --token-file: the first line,
    trailing whitespace removed (common/control/auth.cpp)."""
    with open(path, encoding="utf-8") as f:
        return f.readline().rstrip("\r\n \t")


def auth_response(secret, role, first, second):
    """hex(HMAC-SHA256(secret, role "|" first "|" second)), common/control/auth.cpp's
    response(): the receiver proves itself with ("receiver", cg, cr), the
    generator with ("generator", cr, cg)."""
    return hmac.new(secret.encode(), f"{role}|{first}|{second}".encode(), hashlib.sha256).hexdigest()
