"""The sequence faults loss_reorder_accounting.sh and baseline_run.sh inject
(dpdk-gen --test-seq-faults) and the per-flow counts a receiver must report
for them.  4 flows x 500 packets (a fault replaces a frame: every flow still
gets 500).  Flow 0: sequences 10, 20, 21 skipped -> lost 3.  Flow 1: seq 5
twice -> duplicates 1.  Flow 2: 7 and 8 swapped -> reordered 1, lost 0.
Flow 3: untouched.

  python3 seq_faults_expect.py     prints FAULTS, for --test-seq-faults
"""
FAULTS = "skip:0:10,skip:0:20,skip:0:21,dup:1:5,swap:2:7"
WANT = {0: dict(lost=3, reordered=0, duplicates=0, late=0, packets=500),
        1: dict(lost=0, reordered=0, duplicates=1, late=0, packets=500),
        2: dict(lost=0, reordered=1, duplicates=0, late=0, packets=500),
        3: dict(lost=0, reordered=0, duplicates=0, late=0, packets=500)}


def flow_errors(receiver, prefix=""):
    """What differs from WANT in a results.json's "receiver" object."""
    bad = []
    flows = {f["flow_id"]: f for f in receiver["flows"]}
    for fid, w in WANT.items():
        for k, v in w.items():
            if flows[fid][k] != v:
                bad.append(f"{prefix}flow {fid} {k}: got {flows[fid][k]}, want {v}")
    return bad


if __name__ == "__main__":
    print(FAULTS)
