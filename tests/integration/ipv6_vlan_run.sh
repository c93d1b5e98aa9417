#!/usr/bin/env bash
# Traffic addressing end to end: dpdk-gen sends IPv6 frames with an 802.1Q
# tag and a flow_spec (2 source addresses x 3 source ports x 2 destination
# ports = 12 flows) over net_af_packet to xdp-recv, whose XDP program parses
# the tag and the IPv6 header itself (the veths' own addresses do not
# matter: the program sees every frame first).  veth loses nothing at this
# rate, so every flow must arrive whole; results.json records the resolved
# addressing.
source "$(dirname "$0")/lib.sh"

cat >"$WORK/ipv6_vlan.yaml" <<'YAML'
test_config:
  name: Ipv6Vlan
traffic_config:
  ip_version: 6
  vlan: {id: 100, pcp: 5}
  packet_size: 128
  flow_spec:
    src_ip: {count: 2, step: 1}
    src_port: {start: 20000, count: 3, step: 10}
    dst_port: {start: 9, count: 2, step: 1}
YAML

coordinated_test -- af_packet \
  --config "$WORK/ipv6_vlan.yaml" --rate 6000 --duration 5
# 6000 pps x 5 s = 30000 frames, 2500 for each of the 12 flows, all received.
check_gen --status complete --sent 30000 --flows 12 --lossless
$PY - "$GEN_DIR/results.json" <<'PY' || fail "addressing in results.json"
import json, sys
doc = json.load(open(sys.argv[1]))
t = doc["config"]["traffic_config"]
errors = []
def check(ok, msg):
    if not ok:
        errors.append(msg)
check(t["ip_version"] == 6, f"ip_version {t['ip_version']}")
check(t["vlan"] == {"id": 100, "pcp": 5}, f"vlan {t['vlan']}")
check(t["flows"] == 12, f"flows {t['flows']}")
fs = t["flow_spec"]
check(fs["src_ip"] == {"start": "2001:2::1", "count": 2, "step": 1}, f"src_ip {fs['src_ip']}")
check(fs["dst_ip"] == {"start": "2001:2::2", "count": 1, "step": 1}, f"dst_ip {fs['dst_ip']}")
check(fs["src_port"] == {"start": 20000, "count": 3, "step": 10}, f"src_port {fs['src_port']}")
check(fs["dst_port"] == {"start": 9, "count": 2, "step": 1}, f"dst_port {fs['dst_port']}")
for fl in doc["flows"]:
    check(fl["sent"] == 2500 and fl["received"] == 2500, f"flow {fl['flow_id']}: sent {fl['sent']} received {fl['received']}")
check(len(doc["receiver"]["flows"]) == 12, "receiver flows")
for e in errors:
    print("ipv6_vlan_run:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
echo "PASS ipv6 + vlan + flow_spec run: $(grep -o 'sent [0-9]*' "$WORK/gen.out" | head -1)"
