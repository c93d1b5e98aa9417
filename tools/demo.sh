#!/usr/bin/env bash
# The seed's quick test, end to end on one box: installs what is missing,
# builds, brings up the two-namespace testbed, runs xdp-recv in the
# destination namespace and dpdk-gen (net_af_packet on the veth) in the
# source namespace with the quick_test preset shortened to 10 s, prints the
# summary and the results path, and tears the testbed down.
#   sudo tools/demo.sh [--duration S] [extra dpdk-gen options...]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

if [[ $EUID -ne 0 ]]; then
  echo "tools/demo.sh: run as root (sudo tools/demo.sh): it makes network namespaces and loads XDP" >&2
  exit 2
fi

DURATION=10
if [[ "${1:-}" == "--duration" ]]; then DURATION=$2; shift 2; fi

tools/deps.sh
build_log=$(mktemp /tmp/ebt-build.XXXXXX)
if ! tools/build.sh >"$build_log" 2>&1; then
  cat "$build_log" >&2
  echo "demo: build failed" >&2
  exit 1
fi
rm -f "$build_log"
echo "build: ok"

export EBT_TESTBED="${EBT_TESTBED:-ebt-demo}"
RECV_PID=""
cleanup() {
  local rc=$?
  if [[ -n "$RECV_PID" ]] && kill -0 "$RECV_PID" 2>/dev/null; then
    kill -TERM "$RECV_PID" 2>/dev/null || true
    wait "$RECV_PID" 2>/dev/null || true
  fi
  tools/testbed.sh down >/dev/null 2>&1 || true
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'exit 129' HUP

tools/testbed.sh up
eval "$(tools/testbed.sh env)"

RESULTS="$ROOT/results"
LOGDIR=$(mktemp -d /tmp/ebt-demo.XXXXXX)
# A fresh shared secret for the control connection, as on two real machines.
head -c 24 /dev/urandom | base64 >"$LOGDIR/token"
export EBT_TOKEN_FILE="$LOGDIR/token"
ip netns exec "$DST_NS" build/receiver/xdp-recv --interface "$DST_IF" --results-dir "$RESULTS" --once \
  --token-file "$EBT_TOKEN_FILE" \
  >"$LOGDIR/xdp-recv.out" 2>&1 &
RECV_PID=$!
tools/testbed.sh wait-listen 8080 "$RECV_PID" || { cat "$LOGDIR/xdp-recv.out" >&2; exit 1; }
echo "xdp-recv: listening in $DST_NS on $DST_IP:8080, XDP on $DST_IF"

set +e
ip netns exec "$SRC_NS" build/generator/dpdk-gen --no-huge --no-pci -m 256 --no-shconf -l 0-1 \
  --log-level=warning --vdev "net_af_packet0,iface=$SRC_IF" -- \
  --preset quick_test --duration "$DURATION" --dst-ip "$DST_IP" --results-dir "$RESULTS" \
  --token-file "$EBT_TOKEN_FILE" "$@" \
  2>&1 | tee "$LOGDIR/dpdk-gen.out" | grep --line-buffered -E 'INFO (sending|receiver ready|t=)|WARN|ERROR'
rc=${PIPESTATUS[0]}
set -e
wait "$RECV_PID" || true
RECV_PID=""

dir=$(sed -n 's/.* results: //p' "$LOGDIR/dpdk-gen.out" | tail -1)
if [[ $rc -ne 0 || -z "$dir" ]]; then
  echo "demo: dpdk-gen failed (exit $rc); its output:" >&2
  cat "$LOGDIR/dpdk-gen.out" >&2
  exit 1
fi
rm -rf "$LOGDIR"
/usr/bin/python3 - "$dir/results.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s, t = d["summary"], d["test"]
print()
print(f"  test        {t['name']} (id {t['id']}, {t['status']})")
print(f"  sent        {s['sent_packets']}")
print(f"  received    {s['received_packets']}")
print(f"  lost        {s['lost_packets']} ({s['loss_pct']:.4f} %)")
print(f"  rate        {s['achieved_pps']:.1f} pps achieved of {s['target_pps']:.0f} target")
print(f"  throughput  {s['throughput_mbps']:.3f} Mbps (L2)")
print(f"  XDP         {d['receiver']['xdp_mode']} on {d['receiver']['interface']}")
PY
echo "  results     $dir"
