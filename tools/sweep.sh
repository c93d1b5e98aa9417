#!/usr/bin/env bash
# Fixed loads at fixed frame sizes and flow counts, one trial each: one
# dpdk-gen --trials run per (size, flows), then the plots (loss vs load) and
# report.md over all of them (tools/plot/plot.py).  Thin: dpdk-gen measures
# and writes each summary.
#
#   tools/sweep.sh --rates 1Mpps,2Mpps [--sizes 64,1518] [--flows 1,64]
#                  [--trial-duration S] [--out DIR] [--stats-json]
#                  <EAL args> -- <dpdk-gen options>
#
# Frame sizes are on-wire, including the 4-byte FCS: for each size S the
# script runs dpdk-gen with --size S-4, since dpdk-gen's --size
# (packet_size) is the frame without its FCS.  The script's options come first.
#   --rates LIST         required: the loads, in order, each as dpdk-gen's
#                        --rate takes it (500kpps, 1Mpps, 2Gbps, 40%)
#   --sizes LIST         default 64
#   --flows LIST         flow counts (default: the config's, no --flows)
#   --trial-duration S   seconds per trial (default: the config's duration)
#   --out DIR            default results/sweep_YYYYMMDD_HHMMSS (UTC); gets
#                        DIR/<S>B_<F>flows/ (DIR/<S>B without --flows) with
#                        summary.json (a copy), run (a link to dpdk-gen's
#                        directory) and dpdk-gen.stdout, the plots, report.md
#   --stats-json         passed to dpdk-gen: its per-trial lines are JSON
# <dpdk-gen options>: any but --size, --flows, --trials, --trial-duration,
# --search and --summary-json (the script's).
#
# Output: dpdk-gen's own lines (a progress line per trial, JSON with
# --stats-json) on stdout; the script's own lines on stderr.
# Environment: EBT_DPDK_GEN, the dpdk-gen command (default
# build/generator/dpdk-gen; e.g. "ip netns exec NS build/generator/dpdk-gen").
# Exit: 0 every run complete, 1 a run incomplete or without a summary (the
# others still run and are plotted), 2 bad input (one line).
# Docs: docs/throughput.md.
set -euo pipefail
# shellcheck source=tools/plot/trials.sh
source "$(dirname "$0")/plot/trials.sh"

rates=""
sizes=64
flows=""
duration=()
out=""
stats=()
while (($#)); do
  case $1 in
    -h | --help) tr_usage; exit 0 ;;
    --rates | --sizes | --flows | --trial-duration | --out)
      (($# >= 2)) || tr_bad "$1: expected a value"
      case $1 in
        --rates) rates=$2 ;; --sizes) sizes=$2 ;; --flows) flows=$2 ;; --out) out=$2 ;;
        --trial-duration)
          [[ $2 =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)$ && ! $2 =~ ^0*\.?0*$ ]] ||
            tr_bad "--trial-duration: '$2' is not a positive number of seconds"
          duration=(--trial-duration "$2") ;;
      esac
      shift 2 ;;
    --stats-json) stats=(--stats-json); shift ;;
    *) break ;;
  esac
done
[[ -n $rates ]] || tr_bad "--rates: required (e.g. --rates 1Mpps,2Mpps)"
[[ $rates =~ ^[^,[:space:]]+(,[^,[:space:]]+)*$ ]] || tr_bad "--rates: '$rates' is not a comma-separated list of loads"
tr_sizes "$sizes"
flow_list=("")
if [[ -n $flows ]]; then
  tr_ints --flows "$flows"
  flow_list=("${TR_INTS[@]}")
fi
tr_split "$@"
tr_forbid --size --flows --trials --trial-duration --search --summary-json
out=${out:-results/sweep_$(date -u +%Y%m%d_%H%M%S)}
mkdir -p "$out"

dirs=()
for s in "${TR_SIZES[@]}"; do
  for f in "${flow_list[@]}"; do
    if [[ -n $f ]]; then
      d="$out/${s}B_${f}flows"
      tr_run "$s B, $f flows" "$d" --trials "$rates" --size $((s - 4)) --flows "$f" \
        "${duration[@]}" "${stats[@]}" || true
    else
      d="$out/${s}B"
      tr_run "$s B" "$d" --trials "$rates" --size $((s - 4)) "${duration[@]}" "${stats[@]}" || true
    fi
    dirs+=("$d")
  done
done
tr_plot "$out" "${dirs[@]}" || TR_STATUS=1
exit "$TR_STATUS"
