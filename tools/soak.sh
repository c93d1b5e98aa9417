#!/usr/bin/env bash
# Soak: on its own testbed, finds the highest zero-loss rate with
# a short search, then runs ONE coordinated test for --duration at 80% of
# it, sampling the RSS of xdp-recv and dpdk-gen, and checks afterwards that
# nothing is left behind.  Goals, each printed PASS or FAIL:
#   loss      0 packets lost (sent - received) over the soak test
#   RSS       growth of each program's VmRSS after the warm-up < 1 MiB
#             (largest sample after the warm-up minus the first one)
#   cleanup   no XDP program left (the kernel freed every program xdp-recv
#             attached; no prog/xdp on either veth end), no namespace, veth
#             or process of this run's testbed prefix
# Exit status: 0 all PASS, 1 any FAIL, 2 bad usage.  Needs root and a build
# (tools/build.sh).  Ctrl-C (or any exit) stops the programs and removes
# the testbed.
#
# Usage (as root): tools/soak.sh [--duration S] [--rate PPS] [--build DIR]
#                           [--pmd af_packet|af_xdp] [--results-dir DIR]
#   --duration S     the soak test's seconds (default 600; > the warm-up)
#   --warmup S       seconds of the soak not judged for RSS (default 60)
#   --interval S     RSS sample period (default 5)
#   --rate PPS       skip the search: soak at 80% of PPS
#   --min PPS --max PPS  search range (default 10000 .. 2000000)
#   --trial S        seconds per search trial (default 3)
#   --pmd P          dpdk-gen's port: net_af_packet (default) or net_af_xdp on the veth
#   --results-dir D  keep every run's results and rss.csv there (default:
#                    a temporary directory, removed at exit)
#   --build DIR      where xdp-recv and dpdk-gen are (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source "$ROOT/tools/lib/harness.sh"

die2() { echo "tools/soak.sh: $*" >&2; exit 2; }
build=build duration=600 warmup=60 interval=5 rate="" lo=10000 hi=2000000 trial_s=3
pmd=af_packet keep=""
while (($#)); do
  case $1 in
    --duration|--warmup|--interval|--rate|--min|--max|--trial|--pmd|--results-dir|--build)
      (($# >= 2)) || die2 "$1: expected a value"
      case $1 in
        --duration) duration=$2 ;; --warmup) warmup=$2 ;; --interval) interval=$2 ;;
        --rate) rate=$2 ;; --min) lo=$2 ;; --max) hi=$2 ;; --trial) trial_s=$2 ;;
        --pmd) pmd=$2 ;; --results-dir) keep=$2 ;; --build) build=$2 ;;
      esac
      shift 2 ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) die2 "unknown argument '$1' (see --help)" ;;
  esac
done
for v in duration:$duration warmup:$warmup interval:$interval min:$lo max:$hi trial:$trial_s ${rate:+rate:$rate}; do
  [[ ${v#*:} =~ ^[1-9][0-9]{0,8}$ ]] || die2 "--${v%%:*}: expected a positive whole number, got '${v#*:}'"
done
((warmup < duration)) || die2 "--warmup ($warmup s) must be shorter than --duration ($duration s)"
((lo < hi)) || die2 "--min ($lo) must be below --max ($hi)"
case $pmd in af_packet|af_xdp) ;; *) die2 "--pmd: expected af_packet or af_xdp, got '$pmd'" ;; esac
[[ $EUID -eq 0 ]] || die2 "run as root: it makes network namespaces and loads XDP"
hx_programs "$ROOT/$build"
[[ -x $DPDK_GEN && -x $XDP_RECV ]] || die2 "--build $build: no dpdk-gen/xdp-recv there (tools/build.sh first)"

# This run's own testbed (at most 11 characters: sk + pid).
export EBT_TESTBED="sk$$"
EBT_TOKEN="soak-$$-$(head -c 12 /dev/urandom | base64)"
export EBT_TOKEN
WORK=$(mktemp -d /tmp/ebt-soak.XXXXXX)
if [[ -n $keep ]]; then mkdir -p "$keep"; RES=$(cd "$keep" && pwd); else RES=$WORK/results; mkdir -p "$RES"; fi
HX_CLEAN+=("$WORK")
prog_ids=()     # every XDP program id seen on the veth (checked freed at the end)

# On every exit: the programs stopped (every PID this script started is in
# BG_PIDS, checked gone at the end), the testbed down, $WORK removed.
hx_traps
trap 'echo "tools/soak.sh: interrupted" >&2; exit 130' INT

hx_testbed_up
vdev="net_${pmd}0,iface=$SRC_IF"
# af_xdp's default program would take ARP and the control connection from
# the kernel on this veth; ours hands over only reflected test packets (none
# here) and passes the rest.
[[ $pmd == af_xdp ]] && vdev+=",xdp_prog=$ROOT/$build/bpf/xsk_reflected.bpf.o"

# Interruptible sleep: traps run at once while `wait` waits.
nap() { sleep "$1" & local p=$!; wait "$p" || true; }

note_prog() {  # record the XDP program attached to the destination veth, if any
  local id
  id=$(ip netns exec "$DST_NS" ip -d link show "$DST_IF" 2>/dev/null | grep -o 'prog/xdp id [0-9]*' | grep -o '[0-9]*$' || true)
  [[ -z $id || " ${prog_ids[*]} " == *" $id "* ]] || prog_ids+=("$id")
}

# run_test NAME RATE SECONDS [SAMPLE]: one coordinated test (xdp-recv --once
# in the destination namespace, dpdk-gen in the source one).  Writes
# "status sent received lost target_pps achieved_pps tx_full_dropped xdp_mode"
# to $RES/NAME/summary; returns 1 if either program failed.  Runs in this
# shell (never in $(...)): the PIDs and program ids it records must stay.  With SAMPLE, writes
# t_s,xdp_recv_rss_kib,dpdk_gen_rss_kib every $interval s to $RES/rss.csv.
run_test() {
  local name=$1 pps=$2 secs=$3 sample=${4:-} out=$RES/$1 rpid gpid rc=0 rrc=0
  mkdir -p "$out"
  hx_start_receiver "$out/xdp-recv.out" 8080 --results-dir "$out" --once ||
    { kill -TERM "$RECV_PID" 2>/dev/null; wait "$RECV_PID" 2>/dev/null
      echo "tools/soak.sh: xdp-recv did not start" >&2; return 1; }
  rpid=$RECV_PID; BG_PIDS+=("$rpid")
  ip netns exec "$SRC_NS" "$DPDK_GEN" "${HX_EAL[@]}" --log-level=warning \
    --vdev "$vdev" -- --dst-ip "$DST_IP" --rate "$pps" --duration "$secs" --flows 4 --size 60 \
    --name "$name" --results-dir "$out" >"$out/dpdk-gen.out" 2>&1 &
  gpid=$!; BG_PIDS+=("$gpid")
  if [[ -n $sample ]]; then
    local t0=$SECONDS r g
    echo "t_s,xdp_recv_rss_kib,dpdk_gen_rss_kib" >"$RES/rss.csv"
    while kill -0 "$gpid" 2>/dev/null; do
      note_prog
      # VmRSS in kB as the kernel states it; empty once a program has exited.
      r=$(awk '/^VmRSS:/{print $2}' "/proc/$rpid/status" 2>/dev/null || true)
      g=$(awk '/^VmRSS:/{print $2}' "/proc/$gpid/status" 2>/dev/null || true)
      [[ -n $r && -n $g ]] && echo "$((SECONDS - t0)),$r,$g" >>"$RES/rss.csv"
      nap "$interval"
    done
  else
    while kill -0 "$gpid" 2>/dev/null; do note_prog; nap 0.5; done
  fi
  wait "$gpid" || rc=$?
  # A generator that failed before or during its test leaves xdp-recv waiting.
  ((rc == 0)) || kill -TERM "$rpid" 2>/dev/null || true
  wait "$rpid" || rrc=$?
  if ((rc != 0 || rrc != 0)); then
    echo "tools/soak.sh: $name: dpdk-gen exit $rc, xdp-recv exit $rrc; their last lines:" >&2
    tail -n 5 "$out/dpdk-gen.out" "$out/xdp-recv.out" >&2
    return 1
  fi
  result_figures "$out/two_machine" status sent received lost target_pps achieved_pps tx_full_dropped xdp_mode \
    >"$out/summary"
}

# A trial passes when the test completed, lost nothing, dropped nothing at
# the port and sent at >= 98% of its target rate (else the generator, not
# the path, was the limit).
trial=0
trial_ok() {  # trial_ok PPS
  local r status sent recv lost target ach dropped mode
  trial=$((trial + 1))
  run_test "trial$trial" "$1" "$trial_s" || { echo "  trial $1 pps: run failed"; return 1; }
  read -r status sent recv lost target ach dropped mode <"$RES/trial$trial/summary"
  printf -v ach '%.0f' "$ach"
  if [[ $status == complete && $lost == 0 && $dropped == 0 ]] && ((ach * 100 >= ${target%.*} * 98)); then
    echo "  trial $1 pps: ok (sent $sent, lost 0, achieved $ach pps, XDP $mode)"
    return 0
  fi
  echo "  trial $1 pps: no (status $status, sent $sent, lost $lost, port dropped $dropped, achieved $ach pps)"
  return 1
}

echo "soak: testbed $EBT_TESTBED, dpdk-gen $vdev, xdp-recv on $DST_NS/$DST_IF, results under $RES"
if [[ -z $rate ]]; then
  echo "soak: searching the highest zero-loss rate in $lo..$hi pps ($trial_s s trials, geometric bisection to within 15%)"
  trial_ok "$lo" || { echo "FAIL search: $lo pps already loses packets"; exit 1; }
  if trial_ok "$hi"; then
    best=$hi
  else
    best=$lo bad=$hi
    while ((bad * 100 > best * 115)); do
      # Geometric midpoint, rounded to 3 significant digits.
      mid=$(awk -v a="$best" -v b="$bad" 'BEGIN { m = sqrt(a * b); e = 10 ^ (int(log(m) / log(10)) - 2); printf "%d", int(m / e + 0.5) * e }')
      ((mid > best && mid < bad)) || break
      if trial_ok "$mid"; then best=$mid; else bad=$mid; fi
    done
  fi
  echo "soak: highest zero-loss rate found: $best pps"
else
  best=$rate
  echo "soak: --rate $best pps given, no search"
fi
soak_pps=$((best * 80 / 100))

t_start=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
echo "soak: $t_start: $duration s at $soak_pps pps (80% of $best), RSS every $interval s, warm-up $warmup s"
fails=0
if run_test soak "$soak_pps" "$duration" sample; then
  read -r status sent recv lost target ach dropped mode <"$RES/soak/summary"
  printf -v ach '%.0f' "$ach"
else
  status=failed sent=0 recv=0 lost="?" mode="?" target=0 ach="?"
fi
t_end=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
echo "soak: $t_end: test $status, XDP mode $mode, sent $sent of $soak_pps pps x $duration s = $((soak_pps * duration)) planned, achieved ${ach:-?} pps (sent / TX time)"
if [[ $status == complete && $lost == 0 ]]; then
  echo "PASS loss: 0 of $sent packets lost (received $recv)"
else
  echo "FAIL loss: status $status, $lost of $sent packets lost (received $recv)"; fails=$((fails + 1))
fi

# RSS: baseline = first sample at or after the warm-up; growth = largest
# later sample - baseline (VmRSS is in KiB, exact at each sample).
if [[ -s $RES/rss.csv ]]; then
  while read -r verdict line; do
    echo "$verdict $line"
    [[ $verdict == PASS ]] || fails=$((fails + 1))
  done < <(awk -F, -v w="$warmup" -v iv="$interval" '
    NR == 1 { next }
    { n++ }
    $1 >= w { if (!base) { base = 1; b1 = $2; b2 = $3; m1 = $2; m2 = $3 }
              if ($2 > m1) m1 = $2; if ($3 > m2) m2 = $3; l1 = $2; l2 = $3; k++ }
    END {
      if (!base) { print "FAIL RSS: no sample after the warm-up"; print "FAIL RSS: no sample after the warm-up"; exit }
      split("xdp-recv dpdk-gen", name, " ")
      b[1] = b1; b[2] = b2; m[1] = m1; m[2] = m2; l[1] = l1; l[2] = l2
      for (i = 1; i <= 2; i++)
        printf "%s %s RSS growth after %d s warm-up: %+d KiB (%d KiB at warm-up end, max %d, last %d; %d samples every %d s, %d after warm-up)\n",
          (m[i] - b[i] < 1024 ? "PASS" : "FAIL"), name[i], w, m[i] - b[i], b[i], m[i], l[i], n, iv, k
    }' "$RES/rss.csv")
else
  echo "FAIL RSS: no samples"; fails=$((fails + 2))
fi

# Cleanup: every program gone, no XDP left on either veth end, then the
# testbed's own teardown must leave no namespace or veth of this prefix,
# and the kernel must free every XDP program that was attached.
left=()
for p in "${BG_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && left+=("process $p ($(cat /proc/$p/comm 2>/dev/null))"); done
ip netns exec "$DST_NS" ip -d link show "$DST_IF" | grep -q 'prog/xdp' && left+=("XDP program on $DST_IF")
ip netns exec "$SRC_NS" ip -d link show "$SRC_IF" | grep -q 'prog/xdp' && left+=("XDP program on $SRC_IF")
ip netns exec "$DST_NS" bpftool net show 2>/dev/null | grep -q "$DST_IF" && left+=("bpftool net: XDP on $DST_IF")
for ns in "$SRC_NS" "$DST_NS"; do
  pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
  [[ -z ${pids// } ]] || left+=("processes in $ns: $pids")
done
"$HX_TESTBED" down >/dev/null
ip netns list | awk '{print $1}' | grep -q "^$EBT_TESTBED-" && left+=("namespace $(ip netns list | grep "^$EBT_TESTBED-" | head -1)")
ip -o link show | grep -q " $EBT_TESTBED-" && left+=("interface $(ip -o link show | grep -o " $EBT_TESTBED-[^:@]*" | head -1)")
pgrep -f -- "iface=$SRC_IF|--interface $DST_IF" >/dev/null && left+=("a process naming $SRC_IF/$DST_IF")
# Program ids are freed after an RCU grace period: wait for that (bounded).
for id in "${prog_ids[@]}"; do
  for ((i = 0; i < 50; i++)); do bpftool prog show id "$id" >/dev/null 2>&1 || break; nap 0.1; done
  bpftool prog show id "$id" >/dev/null 2>&1 && left+=("XDP program id $id still loaded")
done
if ((${#left[@]} == 0)); then
  echo "PASS cleanup: no XDP program (${#prog_ids[@]} attached during the run, all freed), namespace, veth or process of $EBT_TESTBED left"
else
  echo "FAIL cleanup: left behind: $(IFS=';'; echo "${left[*]}")"; fails=$((fails + 1))
fi

if ((fails == 0)); then echo "soak: PASS ($t_start .. $t_end)"; else echo "soak: FAIL ($fails goals failed)"; exit 1; fi
