#!/usr/bin/env bash
# The clean-up contract of lib.sh (tools/lib/harness.sh's cleanup), for
# every test that sources it: however a test ends (a failure; SIGTERM, as a
# meson time-out sends it), every process it started in the background is
# stopped and waited for before the clean-up removes its testbed and $WORK,
# so nothing keeps running or writes into a removed directory afterwards.
# An inner test (a script sourcing lib.sh) starts, and records the pids of:
#   - dpdk-gen sending in the source namespace, started the old way
#     (`... &`, GEN_PID);
#   - a process in the destination namespace (bg_start);
#   - a subshell with a child of its own (`( ... ) &`, not in any variable);
#   - (the SIGTERM case) a process that ignores SIGTERM: KILLed after the bound;
# then ends.  Checked right after it exits: its exit status (1, or 143 for
# SIGTERM), none of those processes left, its testbed and $WORK gone.
source "$(dirname "$0")/lib.sh"

cat >"$WORK/inner.sh" <<'INNER'
source "$EBT_SOURCE_DIR/tests/integration/lib.sh"
testbed_up
echo "$WORK $EBT_TESTBED" >"$OUT/identity"
ip netns exec "$SRC_NS" "$DPDK_GEN" "${HX_EAL[@]}" --log-level=error \
  --vdev "net_af_packet0,iface=$SRC_IF" -- --no-coordination --dst-mac 02:00:00:00:00:02 --rate 1000 \
  --duration 600 --stats-json --results-dir "$WORK/gen" >"$WORK/gen.json" 2>"$WORK/gen.err" &
GEN_PID=$!
echo "$GEN_PID dpdk-gen" >>"$OUT/pids"
bg_start ip netns exec "$DST_NS" sleep 600
echo "$BG_PID sleep-in-$DST_NS" >>"$OUT/pids"
( sleep 600; echo late >"$WORK/late" ) &
sub=$!
echo "$sub subshell" >>"$OUT/pids"
wait_until 10 "the subshell's child" eval '[[ -n "$(descendants "$sub")" ]]'
echo "$(descendants "$sub") subshell-child" >>"$OUT/pids"
if [[ $MODE == term ]]; then
  bg_start "$PY" -c '
import signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
open(sys.argv[1], "w").close()
time.sleep(600)' "$OUT/ignoring"
  echo "$BG_PID ignores-TERM" >>"$OUT/pids"
  wait_until 10 "the TERM-ignoring process" test -e "$OUT/ignoring"
fi
# dpdk-gen is sending (its JSON lines have begun).
wait_until 30 "dpdk-gen sending" grep -q '"packets"' "$WORK/gen.json"
touch "$OUT/ready"
if [[ $MODE == fail ]]; then fail "deliberate failure (harness_cleanup.sh)"; fi
# term: wait here (a trapped signal interrupts `wait`, not a foreground sleep).
bg_start sleep 600
wait "$BG_PID"
INNER

# inner MODE: run the inner test; its exit status, then the checks.
inner() {
  local mode=$1 want=$2 rc=0 pid name left=()
  local out="$WORK/$mode"
  mkdir -p "$out"
  if [[ $mode == term ]]; then
    OUT=$out MODE=$mode bash "$WORK/inner.sh" >"$out/log" 2>&1 &
    local ipid=$!
    wait_until 60 "the inner test ready" test -e "$out/ready"
    kill -TERM "$ipid"
    wait "$ipid" || rc=$?
  else
    OUT=$out MODE=$mode bash "$WORK/inner.sh" >"$out/log" 2>&1 || rc=$?
  fi
  [[ -e "$out/ready" ]] || { cat "$out/log" >&2; fail "$mode: the inner test never got ready"; }
  [[ $rc -eq $want ]] || { cat "$out/log" >&2; fail "$mode: the inner test exited $rc, expected $want"; }
  while read -r pid name; do
    for p in $pid; do proc_alive "$p" && left+=("$p ($name: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null))"); done
  done <"$out/pids"
  if ((${#left[@]})); then
    cat "$out/log" >&2
    kill -KILL "${left[@]%% *}" 2>/dev/null || true
    fail "$mode: still running after the inner test exited: ${left[*]}"
  fi
  local iwork itb
  read -r iwork itb <"$out/identity"
  [[ ! -e "$iwork" ]] || fail "$mode: the inner test's $iwork is still there"
  ! ip netns list 2>/dev/null | awk '{print $1}' | grep -qx -e "$itb-src" -e "$itb-dst" || fail "$mode: testbed $itb still there"
}

inner fail 1
inner term 143
echo "PASS lib.sh clean-up: background processes stopped and waited for on failure and on SIGTERM"
