#!/usr/bin/env bash
# mDNS discovery across the testbed (ebt::discovery, tools/testbed.sh
# mdns-exec): each namespace runs its own dbus-daemon + avahi-daemon; the
# advertiser (tests/integration/mdns_probe) lives in the destination, the
# browser in the source.  Checks:
#   1. a browse with nothing advertised finds nothing and returns;
#   2. an advertised service is found from the other namespace with the
#      destination's address, the port and the TXT records;
#   3. a second advertiser with the same name is renamed ("NAME #2");
#   4. when the advertiser exits, its service is withdrawn: the destination's
#      own daemon (still running) no longer lists it, and a fresh browser in
#      the source does not find it either;
#   5. a browse whose daemon dies fails with an error instead of waiting.
# Every wait is bounded; the trap removes namespaces, daemons and files.
source "$(dirname "$0")/lib.sh"
export EBT_TESTBED="md$$"
TB="$EBT_SOURCE_DIR/tools/testbed.sh"
PROBE="${EBT_MDNS_PROBE:-$EBT_BUILD_DIR/tests/integration/mdns_probe}"
[[ -x "$PROBE" ]] || fail "no $PROBE (build the tests first)"
export PROBE WORK

DST_PID=""
mdns_test_cleanup() {
  local rc=$?
  if [[ -n "$DST_PID" ]] && kill -0 "$DST_PID" 2>/dev/null; then
    touch "$WORK/finish"
    kill -TERM "$DST_PID" 2>/dev/null || true
    wait "$DST_PID" 2>/dev/null || true
  fi
  set +e
  (exit $rc)
  cleanup  # lib.sh: testbed down (kills what is left in the namespaces), rm $WORK
}
trap mdns_test_cleanup EXIT

# avahi-browse -p escapes names: space as \032, '#' as \035.
esc() { local s=${1// /\\032}; echo "${s//#/\\035}"; }
# listed FILE NAME: avahi-browse -p output in FILE ends with NAME present
# ("+" events minus "-" events: a cached record can show up and then go).
listed() {
  N="$(esc "$2")" awk -F';' '$4 == ENVIRON["N"] && $1 == "+" {c++} $4 == ENVIRON["N"] && $1 == "-" {c--} END {exit !(c > 0)}' "$1"
}

testbed_up
NAME="ebt-it $$"

# 1. Nothing advertised yet.  `timeout` is only an upper bound against a hang.
out=$(timeout 60 "$TB" mdns-exec src -- "$PROBE" browse 3) || fail "empty browse failed: $out"
[[ "$out" == "done 0" ]] || fail "empty browse found something: $out"
echo "ok 1: browse with nothing advertised returns nothing"

# The destination side, in one mdns-exec so its daemon outlives the
# advertisers: two advertisers with the same name; on $WORK/withdraw the
# first stops and the daemon's own view is recorded; then wait for $WORK/finish.
"$TB" mdns-exec dst -- bash -c '
  set -u
  a1="" a2=""
  trap '"'"'kill -TERM $a1 $a2 2>/dev/null; wait; exit 143'"'"' TERM
  "$PROBE" advertise "$1" 8080 version=2 interface="$2" >"$WORK/adv1.out" 2>&1 &
  a1=$!
  for ((i = 0; i < 600; i++)); do grep -q "^established" "$WORK/adv1.out" && break; kill -0 $a1 || exit 1; sleep 0.05; done
  "$PROBE" advertise "$1" 8081 role=second >"$WORK/adv2.out" 2>&1 &
  a2=$!
  avahi-browse -tp _ebpf-test._tcp >"$WORK/dst-before.txt" 2>&1
  echo ready >"$WORK/dst.state"
  for ((i = 0; i < 1200; i++)); do [[ -e "$WORK/withdraw" ]] && break; sleep 0.05; done
  kill -TERM $a1; wait $a1; echo "adv1 exit $?" >>"$WORK/adv1.out"
  # Not -t: the daemon hears its own goodbye and keeps the record cached
  # for one more second (RFC 6762 10.1), so a browse may see "+" then "-".
  timeout 5 avahi-browse -p _ebpf-test._tcp >"$WORK/dst-after.txt" 2>&1
  echo withdrawn >>"$WORK/dst.state"
  for ((i = 0; i < 1200; i++)); do [[ -e "$WORK/finish" ]] && break; sleep 0.05; done
  kill -TERM $a2; wait $a2
' dst-side "$NAME" "$DST_IF" >"$WORK/dst.out" 2>&1 &
DST_PID=$!
wait_for -E "$WORK/dst.state" '^ready' 30 "$DST_PID"
wait_for -E "$WORK/adv2.out" '^established' 30 "$DST_PID"
grep -qx "established $NAME" "$WORK/adv1.out" || fail "first advertiser: $(cat "$WORK/adv1.out")"
listed "$WORK/dst-before.txt" "$NAME" || fail "dst daemon does not list the service: $(cat "$WORK/dst-before.txt")"

# 2. Found from the source namespace: address, port, TXT.
out=$(timeout 60 "$TB" mdns-exec src -- "$PROBE" find 20 "$NAME") || fail "find failed: $out"
[[ "$out" == "$NAME|$DST_IP|8080|interface=$DST_IF,version=2" ]] || fail "find: expected '$NAME|$DST_IP|8080|interface=$DST_IF,version=2', got '$out'"
echo "ok 2: find_receiver from src: $out"

# 3. The same name twice: the second advertiser was renamed, and a browse
# (collecting for its whole timeout) sees both.
grep -qx "established $NAME #2" "$WORK/adv2.out" || fail "second advertiser not renamed: $(cat "$WORK/adv2.out")"
out=$(timeout 60 "$TB" mdns-exec src -- "$PROBE" browse 8) || fail "browse failed: $out"
grep -qx "$NAME|$DST_IP|8080|interface=$DST_IF,version=2" <<<"$out" || fail "browse misses the first service: $out"
grep -qx "$NAME #2|$DST_IP|8081|role=second" <<<"$out" || fail "browse misses the renamed service: $out"
grep -qx "done 2" <<<"$out" || fail "browse: expected exactly 2 services: $out"
echo "ok 3: collision renamed the second service to '$NAME #2'"

# 4. Withdrawal: the first advertiser exits cleanly, the dst daemon stays up.
touch "$WORK/withdraw"
wait_for -E "$WORK/dst.state" '^withdrawn' 30 "$DST_PID"
grep -qx "adv1 exit 0" "$WORK/adv1.out" || fail "advertiser did not exit cleanly: $(cat "$WORK/adv1.out")"
grep -qx "withdrawn" "$WORK/adv1.out" || fail "advertiser did not see TERM: $(cat "$WORK/adv1.out")"
listed "$WORK/dst-after.txt" "$NAME" && fail "dst daemon still lists the withdrawn service: $(cat "$WORK/dst-after.txt")"
listed "$WORK/dst-after.txt" "$NAME #2" || fail "dst daemon lost the other service: $(cat "$WORK/dst-after.txt")"
out=$(timeout 60 "$TB" mdns-exec src -- "$PROBE" browse 8) || fail "browse failed: $out"
grep -q "^$NAME|" <<<"$out" && fail "a fresh browse still finds the withdrawn service: $out"
grep -qx "$NAME #2|$DST_IP|8081|role=second" <<<"$out" || fail "a fresh browse misses the remaining service: $out"
echo "ok 4: withdrawn on exit (dst daemon and a fresh src browse agree)"

# 5. The daemon dies during a browse: an error, not a silent wait to the end.
#    The daemon is stopped once the browse runs: when the daemon has sent the
#    browser's first signal (CacheExhausted, ItemNew or AllForNow on
#    org.freedesktop.Avahi.ServiceBrowser), seen by dbus-monitor on the
#    namespace's bus (ready once it has become a monitor: NameLost).
out=$(timeout 60 "$TB" mdns-exec src -- bash -c '
  seen() { grep -q "$1" "$WORK/bus.txt" 2>/dev/null; }
  dbus-monitor --system "type=signal,interface=org.freedesktop.Avahi.ServiceBrowser" >"$WORK/bus.txt" 2>&1 &
  m=$!
  for ((i = 0; i < 200; i++)); do seen "member=NameLost" && break; kill -0 $m || break; sleep 0.05; done
  seen "member=NameLost" || { echo "dbus-monitor did not start"; cat "$WORK/bus.txt"; kill $m; exit 1; }
  "$PROBE" browse 40 >"$WORK/dying.out" 2>&1 &
  p=$!
  for ((i = 0; i < 400; i++)); do seen "interface=org.freedesktop.Avahi.ServiceBrowser" && break; kill -0 $p || break; sleep 0.05; done
  kill $m; wait $m
  seen "interface=org.freedesktop.Avahi.ServiceBrowser" && echo "browsing"
  kill -TERM "$(cat /run/avahi-daemon/pid)"
  wait $p; echo "exit $?"
' 2>&1) || true
grep -qx "browsing" <<<"$out" || fail "the browse did not start within 20 s: $out; $(cat "$WORK/dying.out")"
grep -q "^error .*lost avahi-daemon during the browse" "$WORK/dying.out" || fail "browse did not report the lost daemon: $(cat "$WORK/dying.out"); $out"
grep -qx "exit 1" <<<"$out" || fail "browse exit status: $out"
echo "ok 5: browse reports a daemon that goes away: $(cat "$WORK/dying.out")"

echo "PASS mdns_discovery"
