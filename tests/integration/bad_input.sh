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
expect_bad "rate over link speed" "link speed" -- "$DPDK_GEN" "${EAL[@]}" -- --rate 11Gbps --size 60 --no-coordination --dst-mac 02:00:00:00:00:02 --results-dir "$WORK/res"
expect_bad "rate unit" "--rate" -- "$DPDK_GEN" "${EAL[@]}" -- --rate 5Gbit --no-coordination --dst-mac 02:00:00:00:00:02 --results-dir "$WORK/res"
expect_bad "seq faults flow" "--test-seq-faults" -- "$DPDK_GEN" "${EAL[@]}" -- --flows 2 --test-seq-faults skip:2:0 --no-coordination --dst-mac 02:00:00:00:00:02 --results-dir "$WORK/res"

# Config files (the lone "," once hung yaml-cpp's LoadAll forever: fuzz finding).
printf ',' >"$WORK/comma.yaml"
printf 'a: 1\n---\nb: 2\n' >"$WORK/two.yaml"
printf 'traffic_config:\n  flows: many\n' >"$WORK/type.yaml"
printf 'traffic_config:\n  packet_rate: -1\n' >"$WORK/neg.yaml"
printf 'test_config: [1, 2]\n' >"$WORK/seq.yaml"
G=("$DPDK_GEN" "${EAL[@]}" --)
expect_bad "yaml lone comma" "YAML syntax error" -- "${G[@]}" --config "$WORK/comma.yaml" --results-dir "$WORK/res"
expect_bad "two yaml documents" "expected one YAML document" -- "${G[@]}" --config "$WORK/two.yaml" --results-dir "$WORK/res"
expect_bad "yaml wrong type" "traffic_config.flows" -- "${G[@]}" --config "$WORK/type.yaml" --results-dir "$WORK/res"
expect_bad "yaml negative rate" "traffic_config.packet_rate" -- "${G[@]}" --config "$WORK/neg.yaml" --results-dir "$WORK/res"
expect_bad "yaml section not a map" "test_config: expected a map" -- "${G[@]}" --config "$WORK/seq.yaml" --results-dir "$WORK/res"
expect_bad "config is a directory" "is a directory" -- "${G[@]}" --config "$WORK" --results-dir "$WORK/res"
# Flags
expect_bad "size below 60" "--size" -- "${G[@]}" --size 59 --results-dir "$WORK/res"
expect_bad "size over 9000" "--size" -- "${G[@]}" --size 9001 --results-dir "$WORK/res"
expect_bad "zero flows" "--flows" -- "${G[@]}" --flows 0 --results-dir "$WORK/res"
expect_bad "too many flows" "--flows" -- "${G[@]}" --flows 65537 --results-dir "$WORK/res"
expect_bad "zero duration" "--duration" -- "${G[@]}" --duration 0 --results-dir "$WORK/res"
expect_bad "duration not a number" "--duration" -- "${G[@]}" --duration abc --results-dir "$WORK/res"
expect_bad "zero threads" "--threads" -- "${G[@]}" --threads 0 --results-dir "$WORK/res"
expect_bad "control port range" "--control-port" -- "${G[@]}" --control-port 70000 --results-dir "$WORK/res"
expect_bad "short mac" "--dst-mac" -- "${G[@]}" --dst-mac 02:00:00:00:00 --results-dir "$WORK/res"
expect_bad "receiver port 0" "--control-port" -- "$XDP_RECV" --control-port 0 --results-dir "$WORK/res"
expect_bad "receiver listen address" "--listen" -- "$XDP_RECV" --listen 1.2.3 --results-dir "$WORK/res"
expect_bad "receiver yaml syntax" "YAML syntax error" -- "$XDP_RECV" --config "$WORK/comma.yaml" --results-dir "$WORK/res"
expect_bad "receiver unknown flag" "--bogus" -- "$XDP_RECV" --bogus --results-dir "$WORK/res"
# Control messages: bad_input_control.sh.  Packets (malformed, truncated,
# other test id, bad flow id: counted and passed): tests/unit/xdp_prog_test.cpp.
echo "PASS bad input"
