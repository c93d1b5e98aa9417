#!/usr/bin/env bash
# xdp-recv's environment errors (exit status 3, one line naming the cause,
# nothing written: not root, no BTF, interface down, native XDP refused,
# control port taken; auto mode falls back to generic with a warning), a
# missing interface and its bad flags (exit status 2).
source "$(dirname "$0")/lib.sh"

testbed_up

expect_rc() {  # expect_rc RC NAME PATTERN -- COMMAND...
  local want=$1 name=$2 pattern=$3; shift 4
  local rc=0
  timeout 20 "$@" >"$WORK/out" 2>&1 || rc=$?
  [[ $rc -eq $want ]] || { cat "$WORK/out" >&2; fail "$name: exit status $rc, expected $want"; }
  grep -q -- "$pattern" "$WORK/out" || { cat "$WORK/out" >&2; fail "$name: message does not mention '$pattern'"; }
  [[ $(grep -c . "$WORK/out") -ge 1 ]] || fail "$name: no message"
  [[ ! -e "$WORK/res" ]] || fail "$name: a results directory was created"
}
DSTX=(ip netns exec "$DST_NS")
RECV=("$XDP_RECV" --interface "$DST_IF" --results-dir "$WORK/res" --once)

# Bad flags: 2.
expect_rc 2 "test action" "--test-action" -- "${DSTX[@]}" "${RECV[@]}" --test-action reflect
expect_rc 2 "duration needs standalone" "--duration" -- "${DSTX[@]}" "${RECV[@]}" --duration 5
expect_rc 2 "foreign action needs standalone" "--foreign-action" -- "${DSTX[@]}" "${RECV[@]}" --foreign-action pass
expect_rc 2 "bad duration" "--duration" -- "${DSTX[@]}" "${RECV[@]}" --no-coordination --duration -1
expect_rc 2 "bad foreign action" "--foreign-action" -- "${DSTX[@]}" "${RECV[@]}" --no-coordination --foreign-action keep
expect_rc 2 "too many tuples" "--foreign-tuples" -- "${DSTX[@]}" "${RECV[@]}" --no-coordination --foreign-tuples 2000000

# Not root: 3, naming the capabilities.
expect_rc 3 "not root" "capabilities" -- "${DSTX[@]}" setpriv --reuid=65534 --regid=65534 --clear-groups "${RECV[@]}"

# Interface missing: a configuration error (2), naming the interface.
expect_rc 2 "interface missing" "no interface 'ebtnosuch0'" -- "${DSTX[@]}" "$XDP_RECV" --interface ebtnosuch0 --results-dir "$WORK/res" --once

# No BTF: 3.  /sys/kernel/btf is hidden under an empty tmpfs in a private
# mount namespace of this one command (unshare -m makes it private, so the
# host never sees the mount).
expect_rc 3 "no BTF" "BTF" -- "${DSTX[@]}" unshare --mount sh -c 'mount -t tmpfs ebt-nobtf /sys/kernel/btf && exec "$@"' sh "${RECV[@]}"

# Interface down: 3.
"${DSTX[@]}" ip link set "$DST_IF" down
expect_rc 3 "interface down" "DOWN" -- "${DSTX[@]}" "${RECV[@]}"
"${DSTX[@]}" ip link set "$DST_IF" up

# Control port taken: 3, naming the port.
"${DSTX[@]}" "$PY" -c 'import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 0); s.bind(("0.0.0.0", 8080)); s.listen(); time.sleep(30)' &
RECV_PID=$!   # lib.sh's cleanup ends it on every path
"$EBT_SOURCE_DIR/tools/testbed.sh" wait-listen 8080 "$RECV_PID" >/dev/null || fail "port holder not listening"
expect_rc 3 "port in use" "8080" -- "${DSTX[@]}" "${RECV[@]}"
kill "$RECV_PID" 2>/dev/null || true
wait "$RECV_PID" 2>/dev/null || true
RECV_PID=""

# No native XDP (loopback has none): native demanded fails with 3; auto
# falls back to generic and says so.
"${DSTX[@]}" ip link set lo up
expect_rc 3 "native demanded" "XDP mode" -- "${DSTX[@]}" "$XDP_RECV" --interface lo --xdp-mode native --results-dir "$WORK/res" --once
expect_rc 0 "auto falls back" "got generic" -- "${DSTX[@]}" "$XDP_RECV" --interface lo --check-only
grep -q "native XDP.*not supported" "$WORK/out" || { cat "$WORK/out" >&2; fail "check-only does not say native is unsupported"; }
# The same fallback when serving: a warning at start, then it serves.
"${DSTX[@]}" "$XDP_RECV" --interface lo --xdp-mode auto --results-dir "$WORK/res" --once >"$WORK/recv.out" 2>&1 &
RECV_PID=$!
"$EBT_SOURCE_DIR/tools/testbed.sh" wait-listen 8080 "$RECV_PID" >/dev/null || { cat "$WORK/recv.out" >&2; fail "auto mode on lo: not serving"; }
grep -q "no native XDP, using generic" "$WORK/recv.out" || { cat "$WORK/recv.out" >&2; fail "auto mode on lo: no generic-fallback warning"; }
kill -TERM "$RECV_PID"
wait "$RECV_PID" || true
RECV_PID=""
rm -rf "$WORK/res"   # the serving receiver may make its results root
"${DSTX[@]}" ip -d link show lo | grep -q 'prog/xdp' && fail "an XDP program is left on lo"
assert_no_xdp
echo "PASS receiver environment errors"
