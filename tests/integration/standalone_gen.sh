#!/usr/bin/env bash
# dpdk-gen alone (--no-coordination): on net_null it sends exactly
# rate x duration and writes a results directory with no receiver part.
source "$(dirname "$0")/lib.sh"

"$DPDK_GEN" "${HX_EAL[@]}" --vdev net_null0 -- \
  --no-coordination --dst-mac 02:00:00:00:00:02 --rate 20000 --duration 2 --flows 3 \
  --name Standalone --results-dir "$WORK/gen" >"$WORK/gen.out" 2>&1 || { cat "$WORK/gen.out" >&2; fail "dpdk-gen failed"; }
dir=$(only_dir "$WORK/gen/two_machine")
$CHECK "$dir" --status complete --sent 40000 --flows 3 --no-receiver || fail "results check"
echo "PASS no-coordination run"
