#!/usr/bin/env bash
# Bad configuration and flags: exit status 2, one clear line naming the key
# or flag, and no results directory.
#
# "One clear line" precisely: the program's output (stdout and stderr
# together) has exactly one line starting "dpdk-gen: error: " (or
# "xdp-recv: error: "), it is the last line, and it names the key or flag
# (every PATTERN matches it).  Before it, dpdk-gen may show only the DPDK
# EAL's own start-up lines, those starting "EAL: " or "TELEMETRY: " (the
# options are checked after rte_eal_init); xdp-recv shows nothing else.
#
# Each case is one dpdk-gen start (EAL init, then the TSC calibration of at
# least 100 ms, before the options are read): ~70 of them.  They run
# EBT_BAD_INPUT_JOBS (default 4) at a time, each bounded by `timeout` (60 s:
# a hang, like the YAML lone-comma one, fails its case by name), and each
# with its own results directory ($WORK/res.N); meson.build gives the test
# 300 s on a loaded machine.
source "$(dirname "$0")/lib.sh"

EAL=("${HX_EAL[@]}" --vdev net_null0)
JOBS=${EBT_BAD_INPUT_JOBS:-4}
CASE_TIMEOUT=60

# expect_bad NAME PATTERN [PATTERN...] -- COMMAND...: a case, run later by
# run_cases.  An argument "$WORK/res" becomes the case's own "$WORK/res.N".
CASE_NAME=() CASE_PROG=() CASE_PATTERNS=() CASE_CMD=()
expect_bad() {
  local name=$1 a i=${#CASE_NAME[@]}
  shift
  local -a pats=() cmd=()
  while [[ $1 != -- ]]; do pats+=("$1"); shift; done
  shift
  for a in "$@"; do
    [[ "$a" == "$WORK/res" ]] && a="$WORK/res.$i"
    cmd+=("$a")
  done
  CASE_NAME+=("$name")
  CASE_PROG+=("$(basename "$1")")
  CASE_PATTERNS+=("$(printf '%s\n' "${pats[@]}")")
  CASE_CMD+=("$(printf '%q ' "${cmd[@]}")")
}

run_case() {  # run_case N: case N's output in $WORK/out.N, its exit status in $WORK/rc.N
  local rc=0
  eval "timeout -k 10 $CASE_TIMEOUT ${CASE_CMD[$1]}" >"$WORK/out.$1" 2>&1 </dev/null || rc=$?
  echo "$rc" >"$WORK/rc.$1"
}

check_case() {  # check_case N
  local i=$1 name=${CASE_NAME[$1]} prog=${CASE_PROG[$1]} out="$WORK/out.$1" rc errline p n
  show() { sed 's/^/  | /' "$out" >&2; fail "$name: $*"; }
  rc=$(cat "$WORK/rc.$i")
  [[ $rc -eq 2 ]] || show "exit status $rc, expected 2$( ((rc == 124)) && echo " (timed out after $CASE_TIMEOUT s)")"
  n=$(grep -c "^$prog: error: " "$out" || true)
  [[ $n -eq 1 ]] || show "$n lines starting '$prog: error: ', expected exactly 1"
  errline=$(tail -n 1 "$out")
  [[ "$errline" == "$prog: error: "* ]] || show "the error is not the last line"
  if [[ $prog == dpdk-gen ]]; then
    n=$(grep -vc -e '^EAL: ' -e '^TELEMETRY: ' "$out" || true)
  else
    n=$(wc -l <"$out")
  fi
  [[ $n -eq 1 ]] || show "lines other than the error$([[ $prog == dpdk-gen ]] && echo " and the EAL's start-up lines")"
  while IFS= read -r p; do
    grep -q -- "$p" <<<"$errline" || show "the error line does not mention '$p'"
  done <<<"${CASE_PATTERNS[$i]}"
  [[ ! -e "$WORK/res.$i" ]] || show "a results directory was created"
}

run_cases() {
  local i
  for i in "${!CASE_NAME[@]}"; do
    while (($(jobs -rp | wc -l) >= JOBS)); do wait -n || true; done
    run_case "$i" &
  done
  wait
  for i in "${!CASE_NAME[@]}"; do check_case "$i"; done
}

cat >"$WORK/typo.yaml" <<'YAML'
traffic_config:
  packet_rte: 1000
YAML
cat >"$WORK/size.yaml" <<'YAML'
traffic_config:
  packet_size: 59
YAML

expect_bad "unknown key" "unknown key 'traffic_config.packet_rte'" -- "$DPDK_GEN" "${EAL[@]}" -- --config "$WORK/typo.yaml" --results-dir "$WORK/res" --no-coordination --dst-mac 02:00:00:00:00:02
expect_bad "did-you-mean" "did you mean 'packet_rate'" -- "$DPDK_GEN" "${EAL[@]}" -- --config "$WORK/typo.yaml" --results-dir "$WORK/res"
expect_bad "size range" "size.yaml:2: traffic_config.packet_size: expected a frame size in 60..9000" -- "$DPDK_GEN" "${EAL[@]}" -- --config "$WORK/size.yaml" --results-dir "$WORK/res"
expect_bad "rate flag" "--rate: expected packets per second" -- "$DPDK_GEN" "${EAL[@]}" -- --rate -5 --results-dir "$WORK/res"
expect_bad "bad ip" "--dst-ip: expected a dotted-quad IPv4 address" "300.1.1.1" -- "$DPDK_GEN" "${EAL[@]}" -- --dst-ip 300.1.1.1 --results-dir "$WORK/res"
expect_bad "unknown flag" "unknown option '--ratee'" -- "$DPDK_GEN" "${EAL[@]}" -- --ratee 5 --results-dir "$WORK/res"
expect_bad "missing file" "nope.yaml: cannot read config file" -- "$DPDK_GEN" "${EAL[@]}" -- --config "$WORK/nope.yaml" --results-dir "$WORK/res"
expect_bad "unknown preset" "unknown preset 'no_such_preset'" -- "$DPDK_GEN" "${EAL[@]}" -- --preset no_such_preset --results-dir "$WORK/res"
expect_bad "threads over lcores" "traffic_config.threads: 4 TX threads need 4 worker lcores, EAL has 1" -- "$DPDK_GEN" "${EAL[@]}" -- --threads 4 --no-coordination --dst-mac 02:00:00:00:00:02 --results-dir "$WORK/res"
expect_bad "no dst mac" "--no-coordination needs the destination MAC: pass --dst-mac" -- "$DPDK_GEN" "${EAL[@]}" -- --no-coordination --results-dir "$WORK/res"
expect_bad "receiver flag" "--xdp-mode: expected one of auto, native, generic" -- "$XDP_RECV" --xdp-mode turbo --results-dir "$WORK/res"
expect_bad "receiver interface" "no interface 'no_such_if0'" -- "$XDP_RECV" --interface no_such_if0 --results-dir "$WORK/res"
expect_bad "rate over link speed" "traffic_config.packet_rate: .* over the port's link speed" -- "$DPDK_GEN" "${EAL[@]}" -- --rate 11Gbps --size 60 --no-coordination --dst-mac 02:00:00:00:00:02 --results-dir "$WORK/res"
# Trial mode: the flags, and a load only the port's link speed shows to be
# too high (exit 2 before a connection or a directory exists).
expect_bad "search max load over link" "--search-max-load: load \"11Gbps\"" "over the port's link speed" -- "$DPDK_GEN" "${EAL[@]}" -- --search ndr-pdr --search-max-load 11Gbps --size 60 --dst-ip 198.18.0.2 --results-dir "$WORK/res"
expect_bad "trials with count" "--count: not with --trials" -- "$DPDK_GEN" "${EAL[@]}" -- --trials 1kpps,2kpps --count 5 --dst-ip 198.18.0.2 --results-dir "$WORK/res"
expect_bad "goal ratio" "--goal: NDR loss: expected a ratio from 0 to 1" -- "$DPDK_GEN" "${EAL[@]}" -- --search ndr-pdr --goal "NDR:loss=2" --dst-ip 198.18.0.2 --results-dir "$WORK/res"
expect_bad "rate unit" "--rate: expected packets per second" "got \"5Gbit\"" -- "$DPDK_GEN" "${EAL[@]}" -- --rate 5Gbit --no-coordination --dst-mac 02:00:00:00:00:02 --results-dir "$WORK/res"
expect_bad "seq faults flow" "--test-seq-faults: expected a flow id in 0..1" -- "$DPDK_GEN" "${EAL[@]}" -- --flows 2 --test-seq-faults skip:2:0 --no-coordination --dst-mac 02:00:00:00:00:02 --results-dir "$WORK/res"

# Config files (the lone "," once hung yaml-cpp's LoadAll forever: fuzz finding).
printf ',' >"$WORK/comma.yaml"
printf 'a: 1\n---\nb: 2\n' >"$WORK/two.yaml"
printf 'traffic_config:\n  flows: many\n' >"$WORK/type.yaml"
printf 'traffic_config:\n  packet_rate: -1\n' >"$WORK/neg.yaml"
printf 'test_config: [1, 2]\n' >"$WORK/seq.yaml"
G=("$DPDK_GEN" "${EAL[@]}" --)
expect_bad "yaml lone comma" "YAML syntax error" -- "${G[@]}" --config "$WORK/comma.yaml" --results-dir "$WORK/res"
expect_bad "two yaml documents" "expected one YAML document" -- "${G[@]}" --config "$WORK/two.yaml" --results-dir "$WORK/res"
expect_bad "yaml wrong type" "type.yaml:2: traffic_config.flows: expected an integer in 1..65536, got \"many\"" -- "${G[@]}" --config "$WORK/type.yaml" --results-dir "$WORK/res"
expect_bad "yaml negative rate" "neg.yaml:2: traffic_config.packet_rate: expected packets per second" -- "${G[@]}" --config "$WORK/neg.yaml" --results-dir "$WORK/res"
expect_bad "yaml section not a map" "test_config: expected a map" -- "${G[@]}" --config "$WORK/seq.yaml" --results-dir "$WORK/res"
expect_bad "config is a directory" "cannot read config file: is a directory" -- "${G[@]}" --config "$WORK" --results-dir "$WORK/res"
# Flags
expect_bad "size below 60" "--size: expected a frame size in 60..9000" "got \"59\"" -- "${G[@]}" --size 59 --results-dir "$WORK/res"
expect_bad "size over 9000" "--size: expected a frame size in 60..9000" "got \"9001\"" -- "${G[@]}" --size 9001 --results-dir "$WORK/res"
expect_bad "zero flows" "--flows: expected an integer in 1..65536, got \"0\"" -- "${G[@]}" --flows 0 --results-dir "$WORK/res"
expect_bad "too many flows" "--flows: expected an integer in 1..65536, got \"65537\"" -- "${G[@]}" --flows 65537 --results-dir "$WORK/res"
expect_bad "zero duration" "--duration: expected a positive number of seconds, got \"0\"" -- "${G[@]}" --duration 0 --results-dir "$WORK/res"
expect_bad "duration not a number" "--duration: expected a positive number of seconds, got \"abc\"" -- "${G[@]}" --duration abc --results-dir "$WORK/res"
expect_bad "zero threads" "--threads: expected an integer in 1..64, got \"0\"" -- "${G[@]}" --threads 0 --results-dir "$WORK/res"
expect_bad "control port range" "--control-port: expected a port number in 1..65535, got \"70000\"" -- "${G[@]}" --control-port 70000 --results-dir "$WORK/res"
expect_bad "short mac" "--dst-mac: expected a MAC address" -- "${G[@]}" --dst-mac 02:00:00:00:00 --results-dir "$WORK/res"
expect_bad "receiver port 0" "--control-port: expected a port number in 1..65535" -- "$XDP_RECV" --control-port 0 --results-dir "$WORK/res"
expect_bad "receiver listen address" "--listen: expected an IPv4 address" -- "$XDP_RECV" --listen 1.2.3 --results-dir "$WORK/res"
expect_bad "receiver yaml syntax" "YAML syntax error" -- "$XDP_RECV" --config "$WORK/comma.yaml" --results-dir "$WORK/res"
expect_bad "receiver unknown flag" "unknown option '--bogus'" -- "$XDP_RECV" --bogus --results-dir "$WORK/res"
# Traffic addressing (flow_spec, ip_version, vlan): each bad value named.
bad_yaml() {  # bad_yaml NAME PATTERN YAML: the config file NAME.yaml, then expect_bad
  printf '%s\n' "$3" >"$WORK/$1.yaml"
  expect_bad "$1" "$2" -- "${G[@]}" --config "$WORK/$1.yaml" --results-dir "$WORK/res"
}
bad_yaml fs_count0 "traffic_config.flow_spec.src_port.count: expected an integer in 1..65536, got 0" $'traffic_config:\n  flow_spec: {src_port: {count: 0}}'
bad_yaml fs_step0 "traffic_config.flow_spec.src_ip.step: expected at least 1 with count 4" $'traffic_config:\n  flow_spec: {src_ip: {count: 4, step: 0}}'
bad_yaml fs_ip_overflow "traffic_config.flow_spec.dst_ip: start 255.255.255.0 + (count 300 - 1) x step 1 is past 255.255.255.255" $'traffic_config:\n  flow_spec: {dst_ip: {start: 255.255.255.0, count: 300}}'
bad_yaml fs_ipv6_overflow "is past 2001:2::ffff:ffff" $'traffic_config:\n  ip_version: 6\n  packet_size: 128\n  flow_spec: {src_ip: {start: "2001:2::ffff:ff00", count: 300}}'
bad_yaml fs_port_overflow "traffic_config.flow_spec.src_port: start 65000 + (count 1000 - 1) x step 1 = 65999 is past 65535" $'traffic_config:\n  flow_spec: {src_port: {start: 65000, count: 1000}}'
bad_yaml fs_product "= 131072 flows" $'traffic_config:\n  flow_spec: {src_ip: {count: 256}, dst_ip: {count: 256}, src_port: {count: 2}}'
bad_yaml fs_flows_conflict "traffic_config.flows: 8 conflicts with traffic_config.flow_spec, which makes 16 flows" $'traffic_config:\n  flows: 8\n  flow_spec: {src_port: {count: 16}}'
bad_yaml fs_typo "did you mean 'flow_spec'" $'traffic_config:\n  flow_spce: {src_port: {count: 16}}'
bad_yaml fs_start_version "traffic_config.flow_spec.src_ip.start: expected an IPv6 address" $'traffic_config:\n  ip_version: 6\n  packet_size: 128\n  flow_spec: {src_ip: {start: 198.18.0.1}}'
bad_yaml ip_version5 "traffic_config.ip_version: expected 4 or 6, got 5" $'traffic_config:\n  ip_version: 5'
bad_yaml bad_ipv6 "network_config.dst_machine.ipv6: expected an IPv6 address" $'network_config:\n  dst_machine: {ipv6: "2001:2::g"}'
bad_yaml vlan_id "traffic_config.vlan.id: expected a VLAN id in 1..4094, got 4095" $'traffic_config:\n  vlan: {id: 4095}'
bad_yaml vlan_pcp "traffic_config.vlan.pcp: expected a priority (PCP) in 0..7, got 8" $'traffic_config:\n  vlan: {id: 5, pcp: 8}'
bad_yaml ipv6_small "traffic_config.packet_size: 60-byte frames are below the 80-byte minimum for IPv6" $'traffic_config:\n  ip_version: 6\n  packet_size: 60'
bad_yaml vlan_imix "imix's 60-byte frames are below the 64-byte minimum for IPv4 with a VLAN tag" $'traffic_config:\n  vlan: {id: 5}\n  packet_size: imix'
printf 'traffic_config:\n  flow_spec: {src_port: {count: 16}}\n' >"$WORK/fs16.yaml"
expect_bad "flows flag vs flow_spec" "--flows: 8 conflicts with traffic_config.flow_spec" -- "${G[@]}" --config "$WORK/fs16.yaml" --flows 8 --results-dir "$WORK/res"
printf 'traffic_config:\n  ip_version: 6\n  vlan: {id: 5}\n' >"$WORK/v6vlan.yaml"
expect_bad "size flag under the IPv6+VLAN minimum" "84-byte minimum for IPv6 with a VLAN tag" -- "${G[@]}" --config "$WORK/v6vlan.yaml" --size 83 --results-dir "$WORK/res"
# Traffic patterns and --count: one line naming the key or flag.
bad_yaml pat_type "traffic_config.patterns\[0\].type: expected one of constant, burst, ramp, poisson, got \"sine\"" $'traffic_config:\n  patterns:\n    - {type: sine}'
bad_yaml pat_ramp_over "traffic_config.patterns\[0\].over: expected a positive number of seconds for a ramp pattern" $'traffic_config:\n  patterns:\n    - {type: ramp, from: 1, to: 100}'
bad_yaml pat_neg_rate "traffic_config.patterns\[0\].from: expected whole packets per second" $'traffic_config:\n  patterns:\n    - {type: ramp, from: -5, to: 100, over: 1}'
bad_yaml pat_burst_rate "traffic_config.patterns\[0\].burst_rate: expected a positive number" $'traffic_config:\n  patterns:\n    - {type: burst, burst_duration: 1, duration: 2}'
bad_yaml pat_wrong_field "traffic_config.patterns\[0\].over: not a field of a constant pattern" $'traffic_config:\n  patterns:\n    - {type: constant, over: 1}'
bad_yaml pat_too_long "traffic_config.patterns: the patterns last 70 s, longer than test_config.duration 60 s" $'traffic_config:\n  patterns:\n    - {type: constant, duration: 70}'
bad_yaml pat_over_link "traffic_config.patterns\[0\].burst_rate: 20000000 pps" $'traffic_config:\n  packet_size: 60\n  patterns:\n    - {type: burst, burst_rate: 20Mpps, burst_duration: 0.1, duration: 1}'
expect_bad "count zero" "--count: expected a whole number of packets >= 1" -- "${G[@]}" --count 0 --results-dir "$WORK/res"
expect_bad "count text" "--count: expected a whole number" -- "${G[@]}" --count 5k --results-dir "$WORK/res"
expect_bad "count over duration" "--count: 5000 packets at 1000 pps take" -- "${G[@]}" --rate 1000 --duration 2 --count 5000 --no-coordination --dst-mac 02:00:00:00:00:02 --results-dir "$WORK/res"
printf 'test_config: {duration: 2}\ntraffic_config:\n  patterns:\n    - {type: constant, rate: 100, duration: 1}\n' >"$WORK/pat100.yaml"
expect_bad "count over the patterns" "--count: 101 packets, but the patterns send only 100" -- "${G[@]}" --config "$WORK/pat100.yaml" --count 101 --no-coordination --dst-mac 02:00:00:00:00:02 --results-dir "$WORK/res"
# --pcap replay: the file is read and checked before anything else.
pcap_file() {  # pcap_file PATH LINKTYPE FRAME_LEN: a little-endian pcap with one record
  printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0\xff\xff\0\0'"$(printf '\\x%02x' "$2")"'\0\0\0' >"$1"
  printf '\x01\0\0\0\0\0\0\0'"$(printf '\\x%02x' "$3")"'\0\0\0'"$(printf '\\x%02x' "$3")"'\0\0\0' >>"$1"
  head -c "$3" /dev/zero >>"$1"
}
pcap_file "$WORK/eth.pcap" 1 60
pcap_file "$WORK/raw.pcap" 101 20
echo "not a capture" >"$WORK/text.pcap"
GP=("$DPDK_GEN" "${EAL[@]}" -- --no-coordination --dst-mac 02:00:00:00:00:02 --results-dir "$WORK/res")
expect_bad "pcap missing file" "--pcap: $WORK/nope.pcap: .*No such file or directory" -- "${GP[@]}" --pcap "$WORK/nope.pcap"
expect_bad "pcap not a pcap" "--pcap: $WORK/text.pcap: unknown file format" -- "${GP[@]}" --pcap "$WORK/text.pcap"
expect_bad "pcap link type" "--pcap: $WORK/raw.pcap: link type 12 (RAW), expected Ethernet" -- "${GP[@]}" --pcap "$WORK/raw.pcap"
expect_bad "pcap-timing without pcap" "--pcap-timing: needs --pcap FILE" -- "${GP[@]}" --pcap-timing file
expect_bad "pcap-stamp without pcap" "--pcap-stamp: needs --pcap FILE" -- "${GP[@]}" --pcap-stamp
expect_bad "pcap-timing value" '--pcap-timing: expected "rate" or "file", got "wall"' -- "${GP[@]}" --pcap "$WORK/eth.pcap" --pcap-timing wall
expect_bad "pcap-timing file, one frame" "--pcap-timing file: $WORK/eth.pcap: one frame has no gaps" -- "${GP[@]}" --pcap "$WORK/eth.pcap" --pcap-timing file
expect_bad "pcap with size" "--size: not with --pcap" -- "${GP[@]}" --pcap "$WORK/eth.pcap" --size 100
# Ports and lcores: the limit that applies and how to lift it.  A port on
# loopback through AF_PACKET is set up and refused before it sends anything.
NOGEN=(--no-coordination --dst-mac 02:00:00:00:00:02 --results-dir "$WORK/res")
expect_bad "af_packet queues" "has 1 TX queue(s), 2 requested (one per TX thread): give the vdev qpairs=2" -- \
  "$DPDK_GEN" "${HX_EAL_BASE[@]}" --lcores "0@0,1@0,2@0" --vdev net_af_packet0,iface=lo -- --threads 2 --flows 2 "${NOGEN[@]}"
expect_bad "pcap queues" "give the vdev one tx_pcap= (or tx_iface=) per queue" -- \
  "$DPDK_GEN" "${HX_EAL_BASE[@]}" --lcores "0@0,1@0,2@0" --vdev "net_pcap0,tx_pcap=$WORK/q.pcap" -- --threads 2 --flows 2 "${NOGEN[@]}"
expect_bad "jumbo on af_packet" "takes frames of at most 1514 bytes (MTU 1500, its max_rx_pktlen 1518" -- \
  "$DPDK_GEN" "${HX_EAL[@]}" --vdev net_af_packet0,iface=lo -- --size 9000 "${NOGEN[@]}"
cpus=$(nproc)
expect_bad "lcore on a missing CPU" "-l 0-$cpus: CPU $cpus is not available to this process" "--lcores '0@" -- \
  "$DPDK_GEN" "${HX_EAL_BASE[@]}" -l "0-$cpus" --vdev net_null0 -- "${NOGEN[@]}"
run_cases
rm -f "$WORK/q.pcap"
# --help before --: the EAL's options, then dpdk-gen's (exit 0, nothing else).
rc=0; "$DPDK_GEN" --help >"$WORK/out" 2>&1 || rc=$?
[[ $rc -eq 0 ]] || { cat "$WORK/out" >&2; fail "dpdk-gen --help exited $rc"; }
grep -q -- "--vdev" "$WORK/out" && grep -q -- "--pcap-timing" "$WORK/out" ||
  { cat "$WORK/out" >&2; fail "dpdk-gen --help does not show both the EAL's and dpdk-gen's options"; }
# Control messages: bad_input_control.sh.  Packets (malformed, truncated,
# other test id, bad flow id: counted and passed): tests/unit/bpf/xdp_recv_test.cpp.
echo "PASS bad input (${#CASE_NAME[@]} cases, one error line each)"
