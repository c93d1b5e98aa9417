#!/usr/bin/env bash
# The largest flow count (65,536) end to end: the receiver's results message
# then carries 65,536 flow rows (~10 MB, over the 1 MiB limit of every other
# message), and the test must still complete, lossless, with every flow's
# row in results.json.
source "$(dirname "$0")/lib.sh"

testbed_up
start_receiver
gen_in_src --vdev "net_af_packet0,iface=$SRC_IF" -- \
  --dst-ip "$DST_IP" --rate 131072 --duration 1 --flows 65536 --size 64 --name ManyFlows \
  --results-dir "$WORK/gen" >"$WORK/gen.out" 2>&1 || { cat "$WORK/gen.out" "$WORK/recv.out" >&2; fail "dpdk-gen failed"; }
wait "$RECV_PID" || { cat "$WORK/recv.out" >&2; fail "xdp-recv --once exited non-zero"; }
RECV_PID=""
assert_no_xdp

dir=$(only_dir "$WORK/gen/two_machine")
$CHECK "$dir" --status complete --sent 131072 --flows 65536 --lossless || { cat "$WORK/gen.out" >&2; fail "results check"; }
echo "PASS 65,536 flows: complete and lossless, every flow's row present"
