#!/usr/bin/env bash
# Two "machines" on one box: network namespaces <P>-src and <P>-dst joined by
# a veth pair (<P>-s0 in src, <P>-d0 in dst), addressed in the RFC 2544
# benchmarking range: 198.18.0.1/24 (source) and 198.18.0.2/24 (destination).
# P is $EBT_TESTBED (default "ebt"; at most 11 characters, so interface names
# fit IFNAMSIZ).  Tests use their own P so runs never collide.
#
#   tools/testbed.sh up       create what is missing (idempotent)
#   tools/testbed.sh down     remove the two namespaces (the veth goes with them)
#   tools/testbed.sh status   show what exists; exit 0 if the testbed is complete
#   tools/testbed.sh env      print shell assignments for scripts (eval)
#   tools/testbed.sh wait-listen PORT [PID]
#                             wait (at most 10 s) until a TCP socket listens on
#                             PORT in the destination namespace; fails at once
#                             if process PID (the receiver) has exited
#   tools/testbed.sh mdns-exec src|dst -- CMD [ARG...]
#                             run CMD in that namespace with its own
#                             dbus-daemon and avahi-daemon (mDNS discovery);
#                             both are started fresh and stopped when CMD
#                             exits.  Exit status: CMD's.  TERM/INT are
#                             passed on to CMD.
set -euo pipefail
SELF=$(readlink -f "${BASH_SOURCE[0]}")

P="${EBT_TESTBED:-ebt}"
if [[ ! "$P" =~ ^[a-z0-9][a-z0-9-]{0,10}$ ]]; then
  echo "testbed: EBT_TESTBED='$P': expected 1-11 characters of [a-z0-9-]" >&2
  exit 2
fi
SRC_NS="$P-src" DST_NS="$P-dst"
SRC_IF="$P-s0" DST_IF="$P-d0"
SRC_IP=198.18.0.1 DST_IP=198.18.0.2 PREFIX_LEN=24

ns_exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }
in_ns() { ip netns exec "$1" "${@:2}"; }

up() {
  for ns in "$SRC_NS" "$DST_NS"; do
    ns_exists "$ns" || ip netns add "$ns"
    in_ns "$ns" ip link set lo up
    # No IPv6 autoconfiguration chatter: the receiver should see only what
    # the test sends, ARP and the control connection.
    # (Written through /proc: net sysctls are per namespace; no procps needed.)
    in_ns "$ns" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6'
  done
  if ! in_ns "$SRC_NS" ip link show "$SRC_IF" &>/dev/null; then
    # A half-made pair (one end left in a namespace) is removed first.
    in_ns "$DST_NS" ip link del "$DST_IF" &>/dev/null || true
    ip link add "$SRC_IF" netns "$SRC_NS" type veth peer name "$DST_IF" netns "$DST_NS"
  fi
  in_ns "$SRC_NS" ip addr replace "$SRC_IP/$PREFIX_LEN" dev "$SRC_IF"
  in_ns "$DST_NS" ip addr replace "$DST_IP/$PREFIX_LEN" dev "$DST_IF"
  in_ns "$SRC_NS" ip link set "$SRC_IF" up
  in_ns "$DST_NS" ip link set "$DST_IF" up
  echo "testbed $P up: $SRC_NS/$SRC_IF $SRC_IP <-> $DST_NS/$DST_IF $DST_IP"
}

down() {
  local ns
  for ns in "$SRC_NS" "$DST_NS"; do
    if ns_exists "$ns"; then
      # Processes still inside would keep the namespace's devices alive.
      local pids
      pids=$(ip netns pids "$ns" 2>/dev/null || true)
      [[ -n "$pids" ]] && kill -TERM $pids 2>/dev/null || true
      ip netns del "$ns"
    fi
  done
  echo "testbed $P down"
}

status() {
  local ok=0
  for ns in "$SRC_NS" "$DST_NS"; do
    if ns_exists "$ns"; then echo "namespace $ns: present"; else echo "namespace $ns: missing"; ok=1; fi
  done
  if ns_exists "$SRC_NS" && in_ns "$SRC_NS" ip -br addr show "$SRC_IF" 2>/dev/null; then :; else echo "$SRC_IF: missing"; ok=1; fi
  if ns_exists "$DST_NS" && in_ns "$DST_NS" ip -br addr show "$DST_IF" 2>/dev/null; then :; else echo "$DST_IF: missing"; ok=1; fi
  if ns_exists "$DST_NS"; then
    in_ns "$DST_NS" ip -d link show "$DST_IF" 2>/dev/null | grep -o 'prog/xdp id [0-9]*' | sed 's/^/XDP on '"$DST_IF"': /' || true
  fi
  return $ok
}

wait_listen() {
  local port=$1 pid=${2:-} i
  for ((i = 0; i < 200; i++)); do
    in_ns "$DST_NS" ss -Hltn "sport = :$port" | grep -q LISTEN && return 0
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      echo "testbed: process $pid exited before listening on $port" >&2
      return 1
    fi
    sleep 0.05
  done
  echo "testbed: nothing listening on $port in $DST_NS after 10 s" >&2
  return 1
}

# mDNS on the testbed.  avahi-daemon needs a D-Bus system bus and both keep
# their sockets under /run, which the namespaces share with the host.  So
# every mdns-exec gets private /run/dbus and /run/avahi-daemon (tmpfs; `ip
# netns exec` already gives each invocation its own mount namespace, slave
# to the host's, so nothing leaks out), starts the two daemons there,
# restricted to the namespace's veth, and runs CMD beside them: a client must
# live in the same mount namespace to reach /run/dbus/system_bus_socket.
# `down` kills whatever is still in the namespaces, daemons included.
mdns_exec() {
  local role=${1:-} ns ifname
  shift || true
  case "$role" in
    src) ns=$SRC_NS ifname=$SRC_IF ;;
    dst) ns=$DST_NS ifname=$DST_IF ;;
    *) echo "testbed: mdns-exec src|dst -- CMD..." >&2; exit 2 ;;
  esac
  [[ "${1:-}" == -- ]] && shift
  if (($# == 0)); then echo "testbed: mdns-exec $role: no command" >&2; exit 2; fi
  if ! ns_exists "$ns"; then echo "testbed: namespace $ns missing (tools/testbed.sh up)" >&2; exit 1; fi
  for tool in dbus-daemon avahi-daemon dbus-send; do
    command -v "$tool" >/dev/null || { echo "testbed: mdns-exec needs $tool (tools/deps.sh)" >&2; exit 1; }
  done
  exec ip netns exec "$ns" bash "$SELF" __mdns-inner "$ns" "$ifname" "$@"
}

# Runs inside the namespace (see mdns_exec).
mdns_inner() {
  local ns=$1 ifname=$2
  shift 2
  local dir dbus_pid="" avahi_pid="" child="" rc=0 i state=""
  dir=$(mktemp -d /tmp/ebt-mdns.XXXXXX)
  # shellcheck disable=SC2317  # called through the trap
  mdns_cleanup() {
    local r=$?
    trap - EXIT TERM INT
    if [[ -n "$child" ]] && kill -0 "$child" 2>/dev/null; then
      kill -TERM "$child" 2>/dev/null || true
      wait "$child" 2>/dev/null || true
    fi
    # avahi first (its goodbye packets need the bus only for clients), then dbus.
    for p in "$avahi_pid" "$dbus_pid"; do
      [[ -n "$p" ]] || continue
      kill -TERM "$p" 2>/dev/null || true
      wait "$p" 2>/dev/null || true
    done
    rm -rf "$dir"
    exit "$r"
  }
  trap mdns_cleanup EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT
  trap 'exit 129' HUP

  mkdir -p /run/dbus /run/avahi-daemon
  mount -t tmpfs -o mode=0755 tmpfs /run/dbus
  mount -t tmpfs -o mode=0755 tmpfs /run/avahi-daemon
  cat >"$dir/avahi-daemon.conf" <<CONF
[server]
host-name=$ns
use-ipv4=yes
use-ipv6=no
allow-interfaces=$ifname
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
publish-workstation=no
publish-hinfo=no
[reflector]
enable-reflector=no
CONF
  dbus-daemon --system --nofork --nopidfile >"$dir/dbus.log" 2>&1 &
  dbus_pid=$!
  for ((i = 0; i < 200; i++)); do
    [[ -S /run/dbus/system_bus_socket ]] && break
    kill -0 "$dbus_pid" 2>/dev/null || break
    sleep 0.05
  done
  if [[ ! -S /run/dbus/system_bus_socket ]]; then
    echo "testbed: dbus-daemon did not start in $ns:" >&2; cat "$dir/dbus.log" >&2; exit 1
  fi
  avahi-daemon --no-drop-root --no-chroot --no-rlimits -f "$dir/avahi-daemon.conf" >"$dir/avahi.log" 2>&1 &
  avahi_pid=$!
  # Ready when the daemon answers on the bus with state 2 (running: host
  # name established on the link).
  for ((i = 0; i < 200; i++)); do
    state=$(dbus-send --system --print-reply=literal --reply-timeout=1000 --dest=org.freedesktop.Avahi / \
              org.freedesktop.Avahi.Server.GetState 2>/dev/null || true)
    [[ "$state" =~ int32\ 2 ]] && break
    kill -0 "$avahi_pid" 2>/dev/null || break
    sleep 0.05
  done
  if [[ ! "$state" =~ int32\ 2 ]]; then
    echo "testbed: avahi-daemon not running in $ns (state '${state:-none}'):" >&2; cat "$dir/avahi.log" >&2; exit 1
  fi

  # CMD in the background so this shell can forward TERM/INT and then stop
  # the daemons; stdin passed on explicitly (a background job would get
  # /dev/null).
  trap '[[ -n "$child" ]] && kill -TERM "$child" 2>/dev/null' TERM INT
  "$@" <&0 &
  child=$!
  while :; do
    rc=0
    wait "$child" || rc=$?
    kill -0 "$child" 2>/dev/null || break  # returned because of a trapped signal otherwise
  done
  child=""
  exit "$rc"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  env)
    printf 'SRC_NS=%s\nDST_NS=%s\nSRC_IF=%s\nDST_IF=%s\nSRC_IP=%s\nDST_IP=%s\n' \
      "$SRC_NS" "$DST_NS" "$SRC_IF" "$DST_IF" "$SRC_IP" "$DST_IP" ;;
  wait-listen) wait_listen "${2:?port}" "${3:-}" ;;
  mdns-exec) shift; mdns_exec "$@" ;;
  __mdns-inner) shift; mdns_inner "$@" ;;
  *) echo "usage: tools/testbed.sh up|down|status|env|wait-listen PORT [PID]|mdns-exec src|dst -- CMD...  (EBT_TESTBED=prefix, default ebt)" >&2; exit 2 ;;
esac
