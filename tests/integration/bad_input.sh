#!/usr/bin/env bash
# Bad configuration and flags: one clear line naming the key or flag, exit
# status 2, and no results directory.
source "$(dirname "$0")/lib.sh"

EAL=(--no-huge --no-pci -m 256 --no-shconf -l 0-1 --vdev net_null0)

expect_bad() {  # expect_bad NAME PATTERN -- COMMAND...
  local name=$1 pattern=$2; shift 3
  local rc=0
  "$@" >"$WORK/out" 2>&1 || rc=$?
  [[ $rc -eq 2 ]] || { cat "$WORK/out" >&2; fail "$name: exit status $rc, expected 2"; }
  grep -q -- "$pattern" "$WORK/out" || { cat "$WORK/out" >&2; fail "$name: message does not mention '$pattern'"; }
  [[ ! -e "$WORK/res" ]] || fail "$name: a results directory was created"
}

cat >"$WORK/typo.yaml" <<'YAML'
traffic_config:
  packet_rte: 1000
YAML
cat >"$WORK/size.yaml" <<'YAML'
traffic_config:
  packet_size: 59
YAML

expect_bad "unknown key" "packet_rte" -- "$DPDK_GEN" "${EAL[@]}" -- --config "$WORK/typo.yaml" --results-dir "$WORK/res" --no-coordination --dst-mac 02:00:00:00:00:02
expect_bad "did-you-mean" "packet_rate" -- "$DPDK_GEN" "${EAL[@]}" -- --config "$WORK/typo.yaml" --results-dir "$WORK/res"
expect_bad "size range" "packet_size" -- "$DPDK_GEN" "${EAL[@]}" -- --config "$WORK/size.yaml" --results-dir "$WORK/res"
expect_bad "rate flag" "--rate" -- "$DPDK_GEN" "${EAL[@]}" -- --rate -5 --results-dir "$WORK/res"
expect_bad "bad ip" "dst" -- "$DPDK_GEN" "${EAL[@]}" -- --dst-ip 300.1.1.1 --results-dir "$WORK/res"
expect_bad "unknown flag" "--ratee" -- "$DPDK_GEN" "${EAL[@]}" -- --ratee 5 --results-dir "$WORK/res"
expect_bad "missing file" "nope.yaml" -- "$DPDK_GEN" "${EAL[@]}" -- --config "$WORK/nope.yaml" --results-dir "$WORK/res"
expect_bad "unknown preset" "no_such_preset" -- "$DPDK_GEN" "${EAL[@]}" -- --preset no_such_preset --results-dir "$WORK/res"
expect_bad "threads over lcores" "threads" -- "$DPDK_GEN" "${EAL[@]}" -- --threads 4 --no-coordination --dst-mac 02:00:00:00:00:02 --results-dir "$WORK/res"
expect_bad "no dst mac" "dst-mac" -- "$DPDK_GEN" "${EAL[@]}" -- --no-coordination --results-dir "$WORK/res"
expect_bad "receiver flag" "--xdp-mode" -- "$XDP_RECV" --xdp-mode turbo --results-dir "$WORK/res"
expect_bad "receiver interface" "no_such_if0" -- "$XDP_RECV" --interface no_such_if0 --results-dir "$WORK/res"
echo "PASS bad input"
