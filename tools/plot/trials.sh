# shellcheck shell=bash disable=SC2034  # TR_STATUS, TR_SIZES...: read by the caller
# tools/plot/trials.sh: what tools/rfc2544.sh and tools/sweep.sh share
# (sourced, never run).  Thin on purpose: dpdk-gen does the measuring and
# writes the summary; these only split the command line, run dpdk-gen once per
# frame size (and flow count), collect each summary.json and call plot.py.
#
#   tr_usage               the calling script's header comment (its --help)
#   tr_bad MESSAGE         one line on stderr, exit 2
#   tr_split ARG...        EAL args and dpdk-gen options: TR_EAL, TR_GEN
#   tr_forbid OPTION...    exit 2 if TR_GEN sets one of them (the script does)
#   tr_sizes LIST          on-wire frame sizes, validated: TR_SIZES
#   tr_ints NAME LIST      positive integers, validated: TR_INTS
#   tr_run LABEL DIR ARG...  dpdk-gen EAL -- GEN ARG... --summary-json; copies
#                          its summary.json to DIR/summary.json, links DIR/run
#   tr_plot OUT DIR...     plot.py over DIR/summary.json of each DIR
# The caller sets `set -euo pipefail` itself.
[[ -z ${_TR_SOURCED:-} ]] || return 0
_TR_SOURCED=1

TR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TR_SELF="tools/${0##*/}"
TR_PY=/usr/bin/python3   # Debian's, with python3-jsonschema (tools/deps.sh)
# dpdk-gen: EBT_DPDK_GEN may be a command line (e.g. "ip netns exec NS
# build/generator/dpdk-gen"), split on spaces.
read -r -a TR_GEN_CMD <<<"${EBT_DPDK_GEN:-$TR_ROOT/build/generator/dpdk-gen}"
TR_STATUS=0   # 1 once a run was incomplete or failed

tr_usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

tr_bad() {
  echo "$TR_SELF: $* (see --help)" >&2
  exit 2
}

# tr_split ARG...: everything before the first "--" is EAL args (TR_EAL),
# everything after it dpdk-gen's options (TR_GEN).  Both must be there: EAL
# args need at least the port (e.g. --vdev), so an empty side is a mistake.
tr_split() {
  TR_EAL=()
  TR_GEN=()
  local seen=""
  for a in "$@"; do
    if [[ -z $seen && $a == -- ]]; then
      seen=1
    elif [[ -z $seen ]]; then
      TR_EAL+=("$a")
    else
      TR_GEN+=("$a")
    fi
  done
  [[ -n $seen ]] || tr_bad "expected <EAL args> -- <dpdk-gen options>"
  ((${#TR_EAL[@]})) || tr_bad "no EAL args before '--'"
}

# tr_forbid OPTION...: the options this script sets itself.
tr_forbid() {
  local a o
  for a in "${TR_GEN[@]}"; do
    for o in "$@"; do
      [[ $a == "$o" || $a == "$o="* ]] && tr_bad "dpdk-gen option $o is set by this script"
    done
  done
  return 0
}

# tr_ints NAME LIST: LIST (comma-separated) as positive integers in TR_INTS.
tr_ints() {
  local name=$1 v
  IFS=, read -r -a TR_INTS <<<"$2"
  ((${#TR_INTS[@]})) || tr_bad "$name: empty list"
  for v in "${TR_INTS[@]}"; do
    [[ $v =~ ^[1-9][0-9]{0,5}$ ]] || tr_bad "$name: '$v' is not a positive integer"
  done
}

# tr_sizes LIST: on-wire frame sizes (FCS included), each at least 64 (the
# Ethernet minimum), in TR_SIZES.
tr_sizes() {
  local s
  tr_ints --sizes "$1"
  TR_SIZES=("${TR_INTS[@]}")
  for s in "${TR_SIZES[@]}"; do
    ((s >= 64)) || tr_bad "--sizes: $s is below 64, the smallest Ethernet frame (FCS included)"
  done
}

# tr_run LABEL DIR ARG...: one dpdk-gen run (TR_EAL -- TR_GEN ARG...
# --summary-json).  Its stdout passes through (the per-trial progress lines,
# JSON with --stats-json) and is kept; the last line names the summary
# directory.  Copies its summary.json to DIR/summary.json and links DIR/run
# to the directory.  Returns 0 with a summary (the run may still have been
# incomplete: TR_STATUS=1), 1 without one; exits 2 when dpdk-gen refused its
# input (every later run would too).
tr_run() {
  local label=$1 dir=$2 rc=0 last sdir
  shift 2
  mkdir -p "$dir"
  echo "$TR_SELF: $label: ${TR_GEN_CMD[*]} ${TR_EAL[*]} -- ${TR_GEN[*]} $* --summary-json" >&2
  "${TR_GEN_CMD[@]}" "${TR_EAL[@]}" -- "${TR_GEN[@]}" "$@" --summary-json | tee "$dir/dpdk-gen.stdout" ||
    rc=${PIPESTATUS[0]}
  if ((rc == 2)); then
    echo "$TR_SELF: $label: dpdk-gen refused its input (exit 2); stopping" >&2
    exit 2
  fi
  ((rc == 0)) || TR_STATUS=1
  last=$(tail -n 1 "$dir/dpdk-gen.stdout")
  sdir=$("$TR_PY" -c 'import json, sys
try:
    print(json.loads(sys.argv[1])["summary_dir"])
except (ValueError, KeyError, TypeError):
    sys.exit(1)' "$last") || {
    echo "$TR_SELF: $label: dpdk-gen (exit $rc) printed no summary_dir on its last line" >&2
    TR_STATUS=1
    return 1
  }
  if [[ ! -f $sdir/summary.json ]]; then
    echo "$TR_SELF: $label: no $sdir/summary.json" >&2
    TR_STATUS=1
    return 1
  fi
  cp "$sdir/summary.json" "$dir/summary.json"
  ln -sfn "$(cd "$sdir" && pwd)" "$dir/run"
  ((rc == 0)) || echo "$TR_SELF: $label: dpdk-gen exit $rc (incomplete); its summary is kept" >&2
}

# tr_plot OUT DIR...: the plots and report.md over every DIR/summary.json
# there is; its output on stderr (stdout is dpdk-gen's, JSON with --stats-json).
tr_plot() {
  local out=$1 d
  shift
  local -a files=()
  for d in "$@"; do [[ -f $d/summary.json ]] && files+=("$d/summary.json"); done
  if ((${#files[@]} == 0)); then
    echo "$TR_SELF: no summary to plot" >&2
    return 1
  fi
  "$TR_PY" "$TR_ROOT/tools/plot/plot.py" --out "$out" "${files[@]}" >&2
  echo "$TR_SELF: report: $out/report.md" >&2
}
