#!/usr/bin/env bash
# dpdk-gen's results are written atomically and in the order common/report/results.cpp
# states (write_results): raw_data/tx_samples.csv, results.csv, results.md,
# results.json last (a run without a receiver).  Whatever stops the write, the
# results directory holds a prefix of that list, each file whole, results.json
# complete and valid or absent, and no temporary file.
#  1. SIGKILL at every step of the write: strace delivers it on entry to the
#     Nth pwrite64, fsync, fdatasync, linkat or rename* (the steps of
#     write_file_atomic, the only user of those calls in dpdk-gen), N = 1,
#     2, ... until a run completes.  Deterministic (no timing); every file
#     must have been published by a step that was killed once.
#  2. The same steps failing instead (strace's fault injection: ENOSPC, EIO,
#     EDQUOT; the first two and last two of each): exit status 1, the error
#     names the file and the reason.
#  3. A full filesystem (a tmpfs filled up, in a private mount namespace):
#     exit status 1, "No space left on device", nothing half-written.
#  4. A read-only results directory (a read-only bind mount, which stops
#     root too): exit status 1 before any traffic, nothing created.
# No testbed: --no-coordination on a net_null port.  Needs strace, unshare, mount.
source "$(dirname "$0")/lib.sh"

for tool in strace unshare mount; do
  command -v "$tool" >/dev/null || fail "$tool not installed (tools/deps.sh)"
done

# A private DPDK runtime directory, removed at the end (a killed dpdk-gen
# cannot remove it itself); then lib.sh's cleanup, which reads the exit
# status from $? (set +e first: under -e, `(exit 1)` would end the trap
# before cleanup removes $WORK).
PREFIX="ebt-ar$$"
trap 'rc=$?; set +e; rm -rf "/var/run/dpdk/$PREFIX"; (exit $rc); cleanup' EXIT

# A 100-packet run without a receiver: "${GEN[@]}" --results-dir DIR.
GEN=("$DPDK_GEN" --no-huge --no-pci -m 128 --no-shconf --no-telemetry --file-prefix "$PREFIX" -l 0-1
     --vdev net_null0 -- --no-coordination --dst-mac 02:00:00:00:00:02 --count 100 --rate 2000
     --flows 2 --name Atomic)

ORDER=(raw_data/tx_samples.csv results.csv results.md results.json)

# check_dir DIR: the prefix rule; prints how many of ORDER are present.
check_dir() {
  local d=$1 n=0 i f gap=""
  for i in "${!ORDER[@]}"; do
    f=$d/${ORDER[$i]}
    if [[ -e $f ]]; then
      [[ -z $gap ]] || fail "$f present but ${ORDER[$gap]} is not: not the stated order"
      [[ -f $f && -s $f && $(tail -c 1 "$f" | od -An -c | tr -d ' ') == '\n' ]] ||
        fail "$f is not whole (empty or cut before its last newline)"
      n=$((i + 1))
    elif [[ -z $gap ]]; then
      gap=$i
    fi
  done
  local tmp
  tmp=$(find "$d" -name '*.tmp*')
  [[ -z $tmp ]] || fail "temporary files left: $tmp"
  local extra
  extra=$(cd "$d" && find . -mindepth 1 ! -name dpdk-gen.log ! -name raw_data \
            ! -path ./raw_data/tx_samples.csv ! -name results.csv ! -name results.md ! -name results.json)
  [[ -z $extra ]] || fail "unexpected files in $d: $extra"
  if [[ -e $d/results.json ]]; then
    $CHECK "$d" --status complete --sent 100 --flows 2 --no-receiver >&2 || fail "$d/results.json does not validate"
  fi
  echo "$n"
}

# run_traced OUT SYSCALL ACTION N: dpdk-gen with strace acting on entry to
# its Nth SYSCALL; sets rc and dir (the one results directory, made before
# any traffic).  A fault needs only that syscall to stop the process
# (--seccomp-bpf, faster); strace 6.1 delivers no signal from a seccomp stop.
run_traced() {
  local out=$1 sc=$2 action=$3 n=$4 fast=()
  [[ $action == signal=* ]] || fast=(--seccomp-bpf -e "trace=$sc")
  rc=0
  # {...} 2>/dev/null: the shell's "Killed" job notice is expected noise.
  # No LeakSanitizer under strace (it needs ptrace itself; the asan stage's
  # other runs of dpdk-gen check for leaks).
  { ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
      strace -f -qq -o /dev/null "${fast[@]}" -e "inject=$sc:$action:when=$n" \
      "${GEN[@]}" --results-dir "$out" >"$out.log" 2>&1; } 2>/dev/null || rc=$?
  [[ -d $out/two_machine ]] || { cat "$out.log" >&2; fail "$sc $action #$n: no results directory (rc $rc)"; }
  dir=$(only_dir "$out/two_machine")
}

# 1. SIGKILL before every step of the write, N = 1, 2, ... until a run
#    completes (the Nth step does not exist).  The steps: writing the text,
#    syncing, and publishing a file under its name (a link or a rename).
#    Calls the writer does not use cost one complete run each, and keep the
#    test honest if it changes (the old writer renamed a "<name>.tmp").
PUBLISH=(linkat rename renameat renameat2)
declare -A steps_of=()
for sc in pwrite64 fsync fdatasync "${PUBLISH[@]}"; do
  n=1 last=0
  while :; do
    run_traced "$WORK/kill-$sc-$n" "$sc" signal=KILL "$n"
    present=$(check_dir "$dir")
    if ((rc == 0)); then
      ((present == ${#ORDER[@]})) || fail "kill $sc #$n: a complete run wrote $present of ${#ORDER[@]} files"
      break
    fi
    ((rc == 137)) || { cat "$WORK/kill-$sc-$n.log" >&2; fail "kill $sc #$n: exit status $rc, expected 137 (SIGKILL)"; }
    # A link or rename names one file: before the Nth, exactly N-1 are there.
    [[ " ${PUBLISH[*]} " != *" $sc "* ]] || ((present == n - 1)) || fail "kill $sc #$n: $present files present"
    ((present >= last)) || fail "kill $sc #$n: $present files, fewer than the step before ($last)"
    last=$present n=$((n + 1))
    ((n <= 40)) || fail "kill $sc: still no complete run after 40 steps"
  done
  steps_of[$sc]=$((n - 1))
  echo "kill $sc: ${steps_of[$sc]} steps, each leaving a whole prefix"
done
# Every file was published by a step killed just before it: the kills were
# inside the write, not around it.
published=0
for sc in "${PUBLISH[@]}"; do published=$((published + steps_of[$sc])); done
((published >= ${#ORDER[@]})) ||
  fail "only $published kill points before a link or rename, for ${#ORDER[@]} files: how does write_file_atomic publish a file now?"
((steps_of[pwrite64] >= ${#ORDER[@]})) || fail "kill pwrite64: ${steps_of[pwrite64]} steps: the text is no longer written with pwrite64?"

# 2. The same steps failing: the first two and the last two of each (the
#    first file and results.json; in between it is the same code).
declare -A errno_of=([pwrite64]=ENOSPC [fsync]=EIO [linkat]=EDQUOT)
declare -A strerror_of=([ENOSPC]="No space left on device" [EIO]="Input/output error" [EDQUOT]="Disk quota exceeded")
for sc in pwrite64 fsync linkat; do
  last_step=${steps_of[$sc]}
  ((last_step > 0)) || continue
  for n in $(printf '%s\n' 1 2 $((last_step - 1)) "$last_step" | sort -un); do
    run_traced "$WORK/fail-$sc-$n" "$sc" "error=${errno_of[$sc]}" "$n"
    present=$(check_dir "$dir")
    ((rc == 1)) || { cat "$WORK/fail-$sc-$n.log" >&2; fail "fail $sc #$n: exit status $rc, expected 1"; }
    want=${strerror_of[${errno_of[$sc]}]}
    grep -Eq "ERROR cannot (write|sync the directory of) $dir/[a-z_/]+\.(csv|md|json): $want" "$WORK/fail-$sc-$n.log" ||
      { cat "$WORK/fail-$sc-$n.log" >&2; fail "fail $sc #$n: no error naming the file and '$want'"; }
    ((present < ${#ORDER[@]} || n == last_step)) || fail "fail $sc #$n: every file written despite the failure"
  done
  echo "fail $sc: exit status 1, the file and the reason named, a whole prefix left"
done

# 3 and 4 in a private mount namespace (the mounts vanish with it); the
# checks run inside, where the mounts are.
export -f check_dir fail only_dir
export CHECK WORK
export ORDER_LIST="${ORDER[*]}"
unshare -m --propagation private bash -euo pipefail -c '
  ORDER=($ORDER_LIST)
  gen() { "${@:2}" --results-dir "$1"; }
  # 3. A full tmpfs: the first file cannot be written.
  full=$WORK/full
  mkdir -p "$full"
  mount -t tmpfs -o size=64k,nr_inodes=64 ebt-full "$full"
  dd if=/dev/zero of="$full/filler" bs=4k 2>/dev/null || true   # until ENOSPC
  rc=0
  gen "$full/gen" "$@" >"$WORK/full.log" 2>&1 || rc=$?
  ((rc == 1)) || { cat "$WORK/full.log" >&2; fail "full filesystem: exit status $rc, expected 1"; }
  dir=$(only_dir "$full/gen/two_machine")
  grep -q "ERROR cannot write $dir/raw_data/tx_samples.csv: No space left on device" "$WORK/full.log" ||
    { cat "$WORK/full.log" >&2; fail "full filesystem: no error naming tx_samples.csv and ENOSPC"; }
  present=$(check_dir "$dir")
  ((present == 0)) || fail "full filesystem: $present files written"
  umount "$full"
  echo "full filesystem: exit status 1, ENOSPC named, nothing half-written"

  # 4. A read-only bind mount: root cannot write there either.
  ro=$WORK/ro
  mkdir -p "$ro"
  mount --bind "$ro" "$ro"
  mount -o remount,bind,ro "$ro"
  rc=0
  gen "$ro/gen" "$@" >"$WORK/ro.log" 2>&1 || rc=$?
  ((rc == 1)) || { cat "$WORK/ro.log" >&2; fail "read-only: exit status $rc, expected 1"; }
  grep -q "ERROR cannot create results directory $ro/gen/two_machine: Read-only file system" "$WORK/ro.log" ||
    { cat "$WORK/ro.log" >&2; fail "read-only: no error naming the directory"; }
  grep -q "sending:" "$WORK/ro.log" && fail "read-only: traffic was sent before the results directory existed"
  [[ -z $(find "$ro" -mindepth 1) ]] || fail "read-only: something was created: $(find "$ro" -mindepth 1)"
  umount "$ro"
  echo "read-only directory: exit status 1 before any traffic, nothing created"
' _ "${GEN[@]}"
echo "PASS atomic results"
