#!/usr/bin/env bash
# mDNS discovery with the real programs: xdp-recv advertises itself
# (network_config.discovery.enabled), dpdk-gen is given no --dst-ip and a
# configured destination that is wrong on purpose, finds the receiver by
# mDNS and runs a complete test against it.
source "$(dirname "$0")/lib.sh"
TB="$EBT_SOURCE_DIR/tools/testbed.sh"

testbed_up
cat >"$WORK/discovery.yaml" <<YAML
network_config:
  dst_machine:
    ip: "198.18.0.99"   # nobody there: only discovery can find the receiver
  discovery:
    enabled: true
    method: "mdns"
    timeout: 15
YAML

"$TB" mdns-exec dst -- "$XDP_RECV" --config "$WORK/discovery.yaml" --interface "$DST_IF" \
  --results-dir "$WORK/recv" --once >"$WORK/recv.out" 2>&1 &
RECV_PID=$!
"$TB" wait-listen 8080 "$RECV_PID" || fail "xdp-recv not listening"

rc=0
timeout 90 "$TB" mdns-exec src -- "$DPDK_GEN" --no-huge --no-pci -m 256 --no-shconf -l 0-1 --log-level=error \
  --vdev "net_af_packet0,iface=$SRC_IF" -- --config "$WORK/discovery.yaml" --rate 1000 --duration 1 \
  --name Discovered --results-dir "$WORK/gen" >"$WORK/gen.out" 2>&1 || rc=$?
[[ $rc -eq 0 ]] || { cat "$WORK/gen.out" >&2; fail "dpdk-gen with discovery exited $rc"; }
grep -q "found '.*' at 198.18.0.2:8080" "$WORK/gen.out" || { cat "$WORK/gen.out" >&2; fail "dpdk-gen did not report the discovered receiver"; }
wait "$RECV_PID" || fail "xdp-recv --once failed"; RECV_PID=""
dir=$(only_dir "$WORK/gen/two_machine")
$CHECK "$dir" --status complete --sent 1000 --lossless || fail "results check"
ip=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["network_config"]["dst_machine"]["ip"])' "$dir/results.json")
[[ "$ip" == 198.18.0.2 ]] || fail "results record destination $ip, expected the discovered 198.18.0.2"
echo "PASS discovery run"
