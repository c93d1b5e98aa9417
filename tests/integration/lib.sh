# Shared by the integration tests (sourced).  Each test gets its own testbed
# prefix and results directory and removes both on every exit path.
set -euo pipefail

: "${EBT_SOURCE_DIR:?set by meson}"
: "${EBT_BUILD_DIR:?set by meson}"
DPDK_GEN="$EBT_BUILD_DIR/generator/dpdk-gen"
XDP_RECV="$EBT_BUILD_DIR/receiver/xdp-recv"
PY=/usr/bin/python3   # Debian's, with python3-jsonschema
CHECK="$PY $EBT_SOURCE_DIR/tests/integration/check_results.py"

export EBT_TESTBED="et$$"
# Both programs authenticate the control connection with this secret
# ($EBT_TOKEN), as a real two-machine setup should; tests that speak the
# protocol by hand unset it.
export EBT_TOKEN="integration-test-secret-$$-0123456789"
WORK=$(mktemp -d /tmp/ebt-it.XXXXXX)
RECV_PID=""

cleanup() {
  local rc=$?
  if [[ -n "$RECV_PID" ]] && kill -0 "$RECV_PID" 2>/dev/null; then
    kill -TERM "$RECV_PID" 2>/dev/null || true
    wait "$RECV_PID" 2>/dev/null || true
  fi
  "$EBT_SOURCE_DIR/tools/testbed.sh" down >/dev/null 2>&1 || true
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'exit 129' HUP

fail() {
  echo "FAIL: $*" >&2
  # The receiver's log is the first thing to read when a run went wrong.
  [[ -f "$WORK/recv.out" ]] && tail -n 20 "$WORK/recv.out" | sed 's/^/  xdp-recv: /' >&2
  exit 1
}

testbed_up() {
  "$EBT_SOURCE_DIR/tools/testbed.sh" up >/dev/null
  eval "$("$EBT_SOURCE_DIR/tools/testbed.sh" env)"
}

# start_receiver ARGS...: xdp-recv --once in the destination namespace, then
# wait (bounded) until its control port is listening.
start_receiver() {
  ip netns exec "$DST_NS" "$XDP_RECV" --interface "$DST_IF" --results-dir "$WORK/recv" --once "$@" \
    >"$WORK/recv.out" 2>&1 &
  RECV_PID=$!
  "$EBT_SOURCE_DIR/tools/testbed.sh" wait-listen 8080 "$RECV_PID" || { cat "$WORK/recv.out" >&2; fail "xdp-recv not listening"; }
}

# gen_in_src EAL_ARGS -- APP_ARGS: dpdk-gen in the source namespace, unique
# DPDK runtime (no shared config), no hugepages.
gen_in_src() {
  ip netns exec "$SRC_NS" "$DPDK_GEN" --no-huge --no-pci -m 256 --no-shconf -l 0-1 "$@"
}

# The interface must have no XDP program left.
assert_no_xdp() {
  if ip netns exec "$DST_NS" ip -d link show "$DST_IF" | grep -q 'prog/xdp'; then
    fail "an XDP program is still attached to $DST_IF"
  fi
}

only_dir() {  # the single directory below $1
  local d
  d=$(find "$1" -mindepth 1 -maxdepth 1 -type d)
  [[ $(echo "$d" | wc -l) -eq 1 && -n "$d" ]] || fail "expected exactly one results directory in $1, got: $d"
  echo "$d"
}
