#!/usr/bin/env bash
# What the tests leave behind, checked by tools/test.sh after each stage's
# `meson test` (a meson time-out can kill a test's trap halfway).
#
#   leftovers.sh snapshot FILE              record what exists now
#   leftovers.sh check FILE [--build DIR] [--wait S]
#       exit 0 if nothing the tests make is left; otherwise print each
#       leftover (and how to remove it) and exit 1
#
# Only what the tests make, and only what did not exist at the snapshot:
#   namespaces   <P>-src, <P>-dst for the tests' testbed prefixes P = et<PID>
#                (lib.sh) and md<PID> (mdns_discovery.sh); skipped while
#                process PID (the test script) still runs, and with --build
#                when PID's $WORK (below) names another build directory
#   interfaces   in this namespace: <P>-s0, <P>-d0 (the testbed's veths; as
#                the namespaces) and ebt-t0, ebt-t1 (tests/unit/
#                bpf/xdp_recv_test.cpp's veths, made in a private namespace),
#                with their tc qdiscs and filters
#   tc qdiscs    added in this namespace (not a device's default, handle 0:),
#                by device, handle and kind; clsact is where tc filters hang
#   BPF programs of type xdp, sched_cls or sched_act that no process holds
#                (no fd of the program or of a link to it in any
#                /proc/PID/fdinfo): attached by netlink or pinned, so nothing
#                frees them (a program a running process holds is that
#                process's; --build catches our own programs still running)
#   /tmp entries of the tests' mktemp patterns (also under $TMPDIR):
#                ebt-it.XXXXXX (lib.sh's $WORK), skipped while the test named
#                in its .owner runs, and with --build when .owner names
#                another build directory; the testbed's ebt-mdns., the demo's
#                ebt-demo. and ebt-build., tools/fuzz.sh's ebt-fuzz., the unit
#                tests' ebt_pcap_reader_, ebt_tx_pcap_, ebt_tx_replay_,
#                ebt-metrics-, ebt-eal-args-, ebt-sec-, ebt_config_test.,
#                ebt_results_test., skipped while a process has a file open
#                or its working directory in them
#   processes    (--build DIR) running a program of that build directory
# A test cut short keeps its $WORK (lib.sh removes it last), whose .owner
# names the test's build: that is how --build leaves alone what a run of
# another build directory, going on at the same time, has made.  What
# cannot be told apart (no $WORK names its test) counts as this run's.
# The kernel removes a deleted namespace's devices and programs after a
# moment, and a killed test's processes take a moment to go: the check
# repeats every 0.2 s until nothing is left, for at most --wait seconds
# (default 20), and reports what is still there then.
set -euo pipefail

NS_RE='^(et|md)([0-9]+)-(src|dst)$'
LINK_RE='^((et|md)[0-9]+-(s0|d0)|ebt-t[01])$'
TMP_RE='^(ebt-it\.|ebt-mdns\.|ebt-demo\.|ebt-build\.|ebt-fuzz\.|ebt_pcap_reader_|ebt_tx_pcap_|ebt_tx_replay_|ebt-metrics-|ebt-eal-args-|ebt-sec-|ebt_config_test\.|ebt_results_test\.)[A-Za-z0-9]{6}$'

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

# pid_runs PID [STARTTIME]: that process exists (and started then).
pid_runs() {
  local st
  { read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
  st=${st##*) }
  [[ ${st%% *} != [ZX] ]] || return 1
  [[ -z "${2:-}" ]] || [[ $(cut -d' ' -f20 <<<"$st") == "$2" ]]
}

tmp_dirs() { printf '%s\n' /tmp "${TMPDIR:-/tmp}" | sed 's:/*$::' | sort -u; }

# inventory: one line per thing of the kinds above that exists now.
inventory() {
  local name d e
  while read -r name _; do
    [[ "$name" =~ $NS_RE ]] && echo "namespace $name"
  done < <(ip netns list 2>/dev/null)
  while read -r name; do
    [[ "$name" =~ $LINK_RE ]] && echo "interface $name"
  done < <(ip -o link show 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print $2}')
  # tc qdiscs added in this namespace (clsact carries tc filters): one per
  # device, handle and kind.
  tc -j qdisc show 2>/dev/null | /usr/bin/python3 -c '
import json, sys
text = sys.stdin.read().strip()
for q in json.loads(text) if text else []:
    if q.get("handle") != "0:":   # 0: is a device default, not something added
        print("qdisc", "%s:%s:%s" % (q.get("dev"), q.get("handle"), q.get("kind")))' || true
  # Held: some process has an fd of it or of a link to it (its fdinfo names
  # the prog_id; Debian's bpftool is built without the pids feature).
  bpftool -j prog show 2>/dev/null | /usr/bin/python3 -c '
import json, sys
held = set(sys.argv[1].split())
text = sys.stdin.read().strip()
for p in json.loads(text) if text else []:
    if p.get("type") in ("xdp", "sched_cls", "sched_act"):
        print("bpf-program", p["id"], p["type"], p.get("name", "?"), "held" if str(p["id"]) in held else "free")' \
    "$(grep -sh '^prog_id:' /proc/[0-9]*/fdinfo/* | awk '{print $2}' | sort -u | tr '\n' ' ')"
  while read -r d; do
    for e in "$d"/*; do
      [[ -e "$e" && "$(basename "$e")" =~ $TMP_RE ]] && echo "tmp $e"
    done
  done < <(tmp_dirs)
  return 0
}

# leftovers SNAPSHOT BUILD: the inventory less the snapshot and less what a
# running test still owns, plus processes of BUILD.
leftovers() {
  local snap=$1 build=$2 line kind name owner p exe
  local -A seen=() build_of=()
  while read -r kind name _; do seen["$kind $name"]=1; done <"$snap"
  # Test pid -> its build directory, from the $WORKs there are.
  local f obuild
  for f in /tmp/ebt-it.*/.owner "${TMPDIR:-/tmp}"/ebt-it.*/.owner; do
    [[ -f "$f" ]] && read -r p owner obuild 2>/dev/null <"$f" && build_of[$p]=$obuild
  done
  # What running processes have open (fds, working directories).
  local open_paths
  open_paths=$(find /proc/[0-9]*/fd /proc/[0-9]*/cwd -maxdepth 1 -printf '%l\n' 2>/dev/null | grep '^/' | sort -u)
  while read -r line; do
    read -r kind name _ <<<"$line"
    [[ -z "${seen["$kind $name"]+x}" ]] || continue
    case $kind in
      bpf-program)
        [[ "$line" == *" free" ]] || continue ;;
      namespace | interface)
        if [[ "$name" =~ ^(et|md)([0-9]+)- ]]; then
          p=${BASH_REMATCH[2]}
          pid_runs "$p" && continue
          [[ -n "$build" && -n "${build_of[$p]:-}" && "${build_of[$p]}" != "$build" ]] && continue
        fi ;;
      tmp)
        # lib.sh's $WORK names its test: a leftover once that has ended.
        # Others (no owner named): in use while a process has a file open
        # in it or works in it.
        if [[ "$name" == */ebt-it.* ]]; then
          obuild=""
          read -r p owner obuild 2>/dev/null <"$name/.owner" && pid_runs "$p" "$owner" && continue
          [[ -n "$build" && -n "$obuild" && "$obuild" != "$build" ]] && continue
        elif grep -qxF -e "$name" <<<"$open_paths" || grep -qF -e "$name/" <<<"$open_paths"; then
          continue
        fi ;;
    esac
    echo "$line"
  done < <(inventory)
  [[ -n "$build" ]] || return 0
  for p in /proc/[0-9]*; do
    exe=$(readlink "$p/exe" 2>/dev/null) || continue
    [[ "$exe" == "$build"/* ]] && pid_runs "${p#/proc/}" && echo "process ${p#/proc/} $exe"
  done
  return 0
}

hint() {  # how to remove one leftover
  local kind name
  read -r kind name _ <<<"$1"
  case $kind in
    namespace) echo "ip netns pids $name | xargs -r kill; ip netns del $name" ;;
    interface) echo "ip link del $name   (tc: $(tc qdisc show dev "$name" 2>/dev/null | tr '\n' ';' ) $(tc filter show dev "$name" ingress 2>/dev/null | head -1))" ;;
    bpf-program) echo "bpftool net show; bpftool prog show id $name (attached by netlink or pinned)" ;;
    qdisc) echo "tc qdisc del dev ${name%%:*} $([[ $name == *:clsact || $name == *:ingress ]] && echo "${name##*:}" || echo "handle $(cut -d: -f2 <<<"$name"): root")" ;;
    tmp) echo "rm -rf $name" ;;
    process) echo "kill $name" ;;
  esac
}

case "${1:-}" in
  snapshot)
    [[ $# -eq 2 ]] || { usage >&2; exit 2; }
    inventory >"$2"
    ;;
  check)
    [[ $# -ge 2 ]] || { usage >&2; exit 2; }
    snap=$2; shift 2
    build="" wait_s=20
    while (($#)); do
      case $1 in
        --build) build=$(realpath -e "$2"); shift 2 ;;
        --wait) wait_s=$2; shift 2 ;;
        *) usage >&2; exit 2 ;;
      esac
    done
    [[ -r "$snap" ]] || { echo "leftovers: no snapshot $snap" >&2; exit 2; }
    deadline=$((SECONDS + wait_s))
    while :; do
      left=$(leftovers "$snap" "$build")
      [[ -n "$left" ]] || exit 0
      ((SECONDS < deadline)) || break
      sleep 0.2
    done
    echo "leftovers: the tests left these behind (still there after ${wait_s} s):" >&2
    while read -r l; do
      echo "  $l" >&2
      echo "      remove: $(hint "$l")" >&2
    done <<<"$left"
    exit 1
    ;;
  -h | --help) usage ;;
  *) usage >&2; exit 2 ;;
esac
