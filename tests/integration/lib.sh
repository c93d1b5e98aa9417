# Shared by the integration tests (sourced).  Each test gets its own testbed
# prefix and results directory and removes both on every exit path.
set -euo pipefail

: "${EBT_SOURCE_DIR:?set by meson}"
: "${EBT_BUILD_DIR:?set by meson}"
# The shared pieces (processes, the exit trap, waits, EAL defaults, results):
# tools/lib/harness.sh.
source "$EBT_SOURCE_DIR/tools/lib/harness.sh"
hx_programs "$EBT_BUILD_DIR"
PY=$HX_PY   # Debian's, with python3-jsonschema
CHECK="$PY $EBT_SOURCE_DIR/tests/integration/check_results.py"
# The receiver's own results directory (results.json against the schema, counts).
CHECK_RECV="$PY $EBT_SOURCE_DIR/tests/integration/check_receiver.py"

# Names tests/integration/leftovers.sh looks for after a run (keep in step):
# testbed prefix et<PID> (namespaces et<PID>-src/-dst) and /tmp/ebt-it.XXXXXX.
export EBT_TESTBED="et$$"
# Both programs authenticate the control connection with this secret
# ($EBT_TOKEN), as a real two-machine setup should; tests that speak the
# protocol by hand unset it.
export EBT_TOKEN="integration-test-secret-$$-0123456789"
WORK=$(mktemp -d /tmp/ebt-it.XXXXXX)
HX_CLEAN+=("$WORK")
# cleanup (harness.sh) takes the testbed down on every exit, brought up or not.
HX_TESTBED_DOWN=1
hx_traps
# Whose it is (this shell's pid and start time, the build directory), for
# leftovers.sh: a test still running, or one of another build, is not this
# build's leftover.
read -r _owner_stat </proc/$$/stat
_owner_stat=${_owner_stat##*) }
echo "$$ $(cut -d' ' -f20 <<<"$_owner_stat") $(realpath -m "$EBT_BUILD_DIR")" >"$WORK/.owner"
fail() {
  echo "FAIL: $*" >&2
  # The receiver's log is the first thing to read when a run went wrong.
  [[ -f "$WORK/recv.out" ]] && tail -n 20 "$WORK/recv.out" | sed 's/^/  xdp-recv: /' >&2
  exit 1
}

testbed_up() { hx_testbed_up; }

# start_receiver ARGS...: xdp-recv --once in the destination namespace, then
# wait (bounded) until its control port is listening.
start_receiver() {
  hx_start_receiver "$WORK/recv.out" 8080 --results-dir "$WORK/recv" --once "$@" || fail "xdp-recv not listening"
}

# gen_in_src EAL_ARGS -- APP_ARGS: dpdk-gen in the source namespace, unique
# DPDK runtime (no shared config), no hugepages.
gen_in_src() { hx_gen "$SRC_NS" "$@"; }

# coordinated_test [XDP_RECV_ARGS...] -- PMD DPDK_GEN_ARGS...: one
# coordinated test on this test's testbed (brought up here): xdp-recv --once
# with XDP_RECV_ARGS (start_receiver), then dpdk-gen on net_PMD0 (af_packet,
# af_xdp) on the source veth, --dst-ip the receiver, with DPDK_GEN_ARGS;
# its results below $WORK/gen, its output in $WORK/gen.out.  dpdk-gen and
# xdp-recv must both exit 0, and no XDP program may be left.  GEN_DIR: the
# test's results directory.  GEN_ENV (VAR=VALUE...): the environment of
# dpdk-gen only.
GEN_ENV=()
coordinated_test() {
  local -a recv_args=()
  while [[ $1 != -- ]]; do recv_args+=("$1"); shift; done
  local pmd=$2
  shift 2
  testbed_up
  start_receiver "${recv_args[@]}"
  ( ((${#GEN_ENV[@]} == 0)) || export "${GEN_ENV[@]}"
    gen_in_src --vdev "net_${pmd}0,iface=$SRC_IF" -- --dst-ip "$DST_IP" "$@" --results-dir "$WORK/gen"
  ) >"$WORK/gen.out" 2>&1 || { cat "$WORK/gen.out" "$WORK/recv.out" >&2; fail "dpdk-gen failed"; }
  wait "$RECV_PID" || { cat "$WORK/recv.out" >&2; fail "xdp-recv --once exited non-zero"; }
  RECV_PID=""
  assert_no_xdp
  GEN_DIR=$(only_dir "$WORK/gen/two_machine")
}

# check_gen CHECK_RESULTS_ARGS...: check_results.py over $GEN_DIR; dpdk-gen's
# output shown if it fails.
check_gen() {
  $CHECK "$GEN_DIR" "$@" || { cat "$WORK/gen.out" >&2; fail "results check"; }
}

# The interface must have no XDP program left.
assert_no_xdp() {
  if ip netns exec "$DST_NS" ip -d link show "$DST_IF" | grep -q 'prog/xdp'; then
    fail "an XDP program is still attached to $DST_IF"
  fi
}

status_of() {  # status_of RESULTS -> "status|reason" (test.status, test.status_reason)
  local status reason
  read -r status reason < <(result_get "$1" test.status test.status_reason)
  echo "$status|$reason"
}

only_dir() {  # the single directory below $1
  local d
  d=$(find "$1" -mindepth 1 -maxdepth 1 -type d)
  [[ $(echo "$d" | wc -l) -eq 1 && -n "$d" ]] || fail "expected exactly one results directory in $1, got: $d"
  echo "$d"
}
