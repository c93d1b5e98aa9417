#!/usr/bin/env bash
# --pcap replay end to end: a crafted capture (three UDP 5-tuples of several
# sizes towards the receiver, and a UDP frame too short for the test header)
# replayed with --pcap-stamp at the file's timing into xdp-recv on the
# testbed.  xdp-recv must count every stamped packet of every flow (veth
# loses nothing at this rate), the short frame goes out unstamped, the flow
# count reaches the receiver, the results validate.
source "$(dirname "$0")/lib.sh"

testbed_up
DST_MAC=$(ip netns exec "$DST_NS" cat "/sys/class/net/$DST_IF/address")
SRC_MAC=$(ip netns exec "$SRC_NS" cat "/sys/class/net/$SRC_IF/address")
# 6 frames 1 ms apart: flows 0 1 0 2, one unstamped (4-byte payload), 1;
# the period is 6 ms.
"$PY" - "$WORK/in.pcap" "$SRC_MAC" "$DST_MAC" <<'PYEOF'
import struct, sys
path, src_mac, dst_mac = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), bytes.fromhex(sys.argv[3].replace(":", ""))
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF
def udp4(sport, payload):
    src, dst = bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2])
    udp = struct.pack("!HHHH", sport, 9, 8 + len(payload), 0) + payload
    c = csum(src + dst + struct.pack("!BBH", 0, 17, len(udp)) + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    frame = dst_mac + src_mac + b"\x08\x00" + ip + udp
    return frame + bytes(max(0, 60 - len(frame)))
frames = [udp4(20000, bytes(100)), udp4(20001, bytes(30)), udp4(20000, bytes(1000)),
          udp4(20002, bytes(18)), udp4(20003, bytes(4)), udp4(20001, bytes(400))]
with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i, fr in enumerate(frames):
        f.write(struct.pack("<IIII", 1000, i * 1000, len(fr), len(fr)))
        f.write(fr)
PYEOF

start_receiver
# 0.6 s of the file's timing: 100 passes of 6 frames.
gen_in_src --vdev "net_af_packet0,iface=$SRC_IF" -- \
  --dst-ip "$DST_IP" --pcap "$WORK/in.pcap" --pcap-stamp --pcap-timing file --duration 0.6 --name Replay \
  --results-dir "$WORK/gen" >"$WORK/gen.out" 2>&1 || { cat "$WORK/gen.out" "$WORK/recv.out" >&2; fail "dpdk-gen failed"; }
wait "$RECV_PID" || { cat "$WORK/recv.out" >&2; fail "xdp-recv --once exited non-zero"; }
RECV_PID=""
assert_no_xdp

dir=$(only_dir "$WORK/gen/two_machine")
$CHECK "$dir" --status complete --sent 600 || { cat "$WORK/gen.out" >&2; fail "results check"; }
"$PY" - "$dir/results.json" <<'PYEOF' || fail "replay results"
import json, sys
d = json.load(open(sys.argv[1]))
g, r, s, p = d["generator"], d["receiver"], d["summary"], d["generator"]["pcap"]
want = {"frames_in_file": 6, "stamped_frames": 5, "flows": 3, "stamped": 500, "unstamped": 100, "timing": "file", "loops": 100}
bad = [f"pcap.{k} = {p[k]}, expected {v}" for k, v in want.items() if p[k] != v]
if d["config"]["traffic_config"]["flows"] != 3: bad.append("config flows != 3")
sent = {f["flow_id"]: f["packets"] for f in g["flows"]}
if sent != {0: 200, 1: 200, 2: 100}: bad.append(f"generator flows {sent}")
if r["test_packets"] != 500: bad.append(f"receiver counted {r['test_packets']} test packets of 500")
if s["lost_packets"] != 0: bad.append(f"summary lost {s['lost_packets']}")
for f in r["flows"]:
    if f["lost"] != 0 or f["reordered"] != 0 or f["duplicates"] != 0:
        bad.append(f"receiver flow {f['flow_id']}: {f}")
for b in bad: print("pcap_replay:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF
echo "PASS pcap replay: $(grep -o 'sent [0-9]*, received [0-9]*' "$WORK/gen.out" | head -1)"
