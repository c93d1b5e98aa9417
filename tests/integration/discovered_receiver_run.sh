#!/usr/bin/env bash
# mDNS discovery with the real programs:
#   1. nothing advertised: dpdk-gen with discovery and no --dst-ip gives up
#      after discovery.timeout (not before, and within 3 s after it) with
#      "no xdp-recv advertised _ebpf-test._tcp within N s: give --dst-ip",
#      exit status 1, no results directory;
#   2. xdp-recv advertises itself (network_config.discovery.enabled),
#      dpdk-gen is given no --dst-ip and a configured destination that is
#      wrong on purpose, finds the receiver by mDNS and runs a complete test
#      against it.
source "$(dirname "$0")/lib.sh"
TB="$EBT_SOURCE_DIR/tools/testbed.sh"

testbed_up

# 1. Nobody advertises: a clear error after the timeout.  `timeout` is only
#    an upper bound against a hang.
cat >"$WORK/nobody.yaml" <<YAML
network_config:
  discovery:
    enabled: true
    method: "mdns"
    timeout: 3
YAML
rc=0
timeout 60 "$TB" mdns-exec src -- "$DPDK_GEN" "${HX_EAL[@]}" --log-level=error \
  --vdev "net_af_packet0,iface=$SRC_IF" -- --config "$WORK/nobody.yaml" --rate 1000 --duration 1 \
  --name Nobody --results-dir "$WORK/gen-nobody" >"$WORK/gen-nobody.out" 2>&1 || rc=$?
[[ $rc -eq 1 ]] || { cat "$WORK/gen-nobody.out" >&2; fail "nothing advertised: dpdk-gen exited $rc, expected 1"; }
grep -Eq "ERROR .*no xdp-recv advertised _ebpf-test\._tcp within 3 s: give --dst-ip" "$WORK/gen-nobody.out" ||
  { cat "$WORK/gen-nobody.out" >&2; fail "nothing advertised: no clear error"; }
[[ ! -e "$WORK/gen-nobody" ]] || fail "nothing advertised: dpdk-gen left a results directory"
t_look=$(log_ms "$WORK/gen-nobody.out" "looking for xdp-recv with mDNS")
t_gave_up=$(log_ms "$WORK/gen-nobody.out" "no xdp-recv advertised")
waited=$((t_gave_up - t_look))
((waited >= 2950 && waited <= 6000)) || fail "nothing advertised: gave up after $waited ms, expected the 3 s timeout (2950 .. 6000 ms)"
echo "ok 1: nothing advertised: gave up after $waited ms: $(grep -o 'no xdp-recv advertised.*' "$WORK/gen-nobody.out")"

# 2. The receiver advertises itself.
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
timeout 90 "$TB" mdns-exec src -- "$DPDK_GEN" "${HX_EAL[@]}" --log-level=error \
  --vdev "net_af_packet0,iface=$SRC_IF" -- --config "$WORK/discovery.yaml" --rate 1000 --duration 1 \
  --name Discovered --results-dir "$WORK/gen" >"$WORK/gen.out" 2>&1 || rc=$?
[[ $rc -eq 0 ]] || { cat "$WORK/gen.out" >&2; fail "dpdk-gen with discovery exited $rc"; }
grep -q "found '.*' at 198.18.0.2:8080" "$WORK/gen.out" || { cat "$WORK/gen.out" >&2; fail "dpdk-gen did not report the discovered receiver"; }
wait "$RECV_PID" || fail "xdp-recv --once failed"; RECV_PID=""
dir=$(only_dir "$WORK/gen/two_machine")
$CHECK "$dir" --status complete --sent 1000 --lossless || fail "results check"
ip=$(result_get "$dir" config.network_config.dst_machine.ip)
[[ "$ip" == 198.18.0.2 ]] || fail "results record destination $ip, expected the discovered 198.18.0.2"
echo "ok 2: discovered and ran a complete test"
echo "PASS discovery run"
