#!/usr/bin/env bash
# The foundation's end-to-end test: testbed up, xdp-recv in the destination
# namespace, dpdk-gen over net_af_packet in the source namespace, 10 s at
# 10,000 pps over 4 flows.  veth loses nothing at this rate, so received must
# equal sent for every flow; both sides' results validate against the schema
# (the receiver's own results.json too: complete, test_packets == sent, the
# 4 flows, and the same report the generator merged); nothing is left attached.
source "$(dirname "$0")/lib.sh"

coordinated_test -- af_packet \
  --rate 10000 --duration 10 --flows 4 --size 128 --name Coordinated
check_gen --status complete --sent 100000 --flows 4 --lossless
rdir=$(only_dir "$WORK/recv/receiver")
$CHECK_RECV "$rdir" --status complete --test-packets 100000 --flows 4 --lossless --same-as "$GEN_DIR" \
  || fail "receiver results check ($rdir)"
grep -q "results: $GEN_DIR" "$WORK/gen.out" || fail "dpdk-gen did not print the results path"
echo "PASS coordinated run: $(grep -o 'sent [0-9]*' "$WORK/gen.out" | head -1)"
