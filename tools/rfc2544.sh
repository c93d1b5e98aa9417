#!/usr/bin/env bash
# An MLRsearch throughput search (dpdk-gen --search) at each frame size of
# RFC 2544's list, then the plots and report.md over all of them
# (tools/plot/plot.py).  Thin: dpdk-gen measures and writes each summary.
#
#   tools/rfc2544.sh [--sizes 64,128,...] [--search PRESET] [--out DIR] [--stats-json]
#                    <EAL args> -- <dpdk-gen options>
#
# Frame sizes are on-wire, including the 4-byte FCS (64 ... 1518): for each
# size S the script runs dpdk-gen with --size S-4, since dpdk-gen's --size
# (packet_size) is the frame without its FCS.  The script's options come first.
#   --sizes LIST     default 64,128,256,512,1024,1280,1518
#   --search PRESET  dpdk-gen's search preset: ndr-pdr (default: NDR and PDR)
#                    or rfc2544
#   --out DIR        default results/rfc2544_YYYYMMDD_HHMMSS (UTC); gets
#                    DIR/<S>/summary.json (a copy), DIR/<S>/run (a link to
#                    dpdk-gen's directory of that size, its trials inside),
#                    DIR/<S>/dpdk-gen.stdout, the plots and DIR/report.md
#   --stats-json     passed to dpdk-gen: its per-trial lines are JSON
# <dpdk-gen options>: any but --size, --search, --trials and --summary-json
# (the script's); e.g. --dst-ip, --flows, --search-max-load, --goal,
# --latency-trials, --token-file pass through.
#
# Output: dpdk-gen's own lines (a progress line per trial, JSON with
# --stats-json) on stdout; the script's own lines on stderr.
# Environment: EBT_DPDK_GEN, the dpdk-gen command (default
# build/generator/dpdk-gen; e.g. "ip netns exec NS build/generator/dpdk-gen").
# Exit: 0 every size complete, 1 a size incomplete or without a summary (the
# other sizes still run and are plotted), 2 bad input (one line).
# Docs: docs/throughput.md.
set -euo pipefail
# shellcheck source=tools/plot/trials.sh
source "$(dirname "$0")/plot/trials.sh"

sizes=64,128,256,512,1024,1280,1518
preset=ndr-pdr
out=""
stats=()
while (($#)); do
  case $1 in
    -h | --help) tr_usage; exit 0 ;;
    --sizes | --search | --out)
      (($# >= 2)) || tr_bad "$1: expected a value"
      case $1 in --sizes) sizes=$2 ;; --search) preset=$2 ;; --out) out=$2 ;; esac
      shift 2 ;;
    --stats-json) stats=(--stats-json); shift ;;
    *) break ;;
  esac
done
[[ $preset == ndr-pdr || $preset == rfc2544 ]] || tr_bad "--search: '$preset' is not ndr-pdr or rfc2544"
tr_sizes "$sizes"
tr_split "$@"
tr_forbid --size --search --trials --summary-json
out=${out:-results/rfc2544_$(date -u +%Y%m%d_%H%M%S)}
mkdir -p "$out"

dirs=()
for s in "${TR_SIZES[@]}"; do
  dirs+=("$out/$s")
  tr_run "$s B" "$out/$s" --search "$preset" --size $((s - 4)) "${stats[@]}" || true
done
tr_plot "$out" "${dirs[@]}" || TR_STATUS=1
exit "$TR_STATUS"
