#!/usr/bin/env bash
# xdp-recv's environment errors (exit status 3, one line naming the cause,
# nothing written: not root, no BTF, interface down, native XDP refused,
# control port taken; auto mode falls back to generic with a warning), a
# missing interface and its bad flags (exit status 2).
source "$(dirname "$0")/lib.sh"

testbed_up

# expect_rc RC NAME PATTERN -- COMMAND...: exit status RC, nothing written.
# An error (RC 2 or 3) is one clear line: the whole output (stdout and
# stderr) is exactly one line, "xdp-recv: error: ...", and PATTERN matches
# it.  RC 0 (check-only): PATTERN matches some line.  `timeout` bounds a
# hang (60 s), which fails the case by name.
expect_rc() {
  local want=$1 name=$2 pattern=$3; shift 4
  local rc=0
  timeout -k 10 60 "$@" >"$WORK/out" 2>&1 || rc=$?
  show() { sed 's/^/  | /' "$WORK/out" >&2; fail "$name: $*"; }
  [[ $rc -eq $want ]] || show "exit status $rc, expected $want"
  if ((want != 0)); then
    [[ $(wc -l <"$WORK/out") -eq 1 && $(head -c 17 "$WORK/out") == "xdp-recv: error: " ]] \
      || show "expected exactly one line, 'xdp-recv: error: ...'"
  fi
  grep -q -- "$pattern" "$WORK/out" || show "message does not mention '$pattern'"
  [[ ! -e "$WORK/res" ]] || fail "$name: a results directory was created"
}
DSTX=(ip netns exec "$DST_NS")
RECV=("$XDP_RECV" --interface "$DST_IF" --results-dir "$WORK/res" --once)

# Bad flags: 2.
expect_rc 2 "test action" "--test-action: expected drop, pass or tx, got 'reflect'" -- "${DSTX[@]}" "${RECV[@]}" --test-action reflect
expect_rc 2 "duration needs standalone" "--duration: only with --no-coordination" -- "${DSTX[@]}" "${RECV[@]}" --duration 5
expect_rc 2 "foreign action needs standalone" "--foreign-action: only with --no-coordination" -- "${DSTX[@]}" "${RECV[@]}" --foreign-action pass
expect_rc 2 "bad duration" "--duration: expected a positive number of seconds, got '-1'" -- "${DSTX[@]}" "${RECV[@]}" --no-coordination --duration -1
expect_rc 2 "bad foreign action" "--foreign-action: expected pass or drop, got 'keep'" -- "${DSTX[@]}" "${RECV[@]}" --no-coordination --foreign-action keep
expect_rc 2 "too many tuples" "--foreign-tuples: expected 0..1048576, got '2000000'" -- "${DSTX[@]}" "${RECV[@]}" --no-coordination --foreign-tuples 2000000

# Not root: 3, naming the capabilities.
expect_rc 3 "not root" "capabilities: not root; CAP_BPF no, CAP_NET_ADMIN no" -- "${DSTX[@]}" setpriv --reuid=65534 --regid=65534 --clear-groups "${RECV[@]}"

# Interface missing: a configuration error (2), naming the interface.
expect_rc 2 "interface missing" "no interface 'ebtnosuch0'" -- "${DSTX[@]}" "$XDP_RECV" --interface ebtnosuch0 --results-dir "$WORK/res" --once

# No BTF: 3.  /sys/kernel/btf is hidden under an empty tmpfs in a private
# mount namespace of this one command (unshare -m makes it private, so the
# host never sees the mount).
expect_rc 3 "no BTF" "BTF: /sys/kernel/btf/vmlinux missing" -- "${DSTX[@]}" unshare --mount sh -c 'mount -t tmpfs ebt-nobtf /sys/kernel/btf && exec "$@"' sh "${RECV[@]}"

# Interface down: 3.
"${DSTX[@]}" ip link set "$DST_IF" down
expect_rc 3 "interface down" "interface: $DST_IF ifindex [0-9]*, DOWN" -- "${DSTX[@]}" "${RECV[@]}"
"${DSTX[@]}" ip link set "$DST_IF" up

# Control port taken: 3, naming the port.
# The holder keeps the port until killed (lib.sh's cleanup ends it on every path).
bg_start "${DSTX[@]}" "$PY" -c 'import signal,socket; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 0); s.bind(("0.0.0.0", 8080)); s.listen(); signal.pause()'
HOLDER=$BG_PID
"$EBT_SOURCE_DIR/tools/testbed.sh" wait-listen 8080 "$HOLDER" >/dev/null || fail "port holder not listening"
expect_rc 3 "port in use" "control port: cannot listen on 0.0.0.0:8080: Address already in use" -- "${DSTX[@]}" "${RECV[@]}"
kill "$HOLDER"
wait "$HOLDER" 2>/dev/null || true

# No native XDP (loopback has none): native demanded fails with 3; auto
# falls back to generic and says so.
"${DSTX[@]}" ip link set lo up
expect_rc 3 "native demanded" "XDP mode: .*'lo' in native mode failed" -- "${DSTX[@]}" "$XDP_RECV" --interface lo --xdp-mode native --results-dir "$WORK/res" --once
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
