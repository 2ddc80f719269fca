# Shared body of the virtio-demo "1,000 pairs" tests (sourced by tests/integration/2x-demo-*):
# boots a guest in $MODE with a virtio-demo-pci device, sends 1,000 pairs (edge values first) and
# checks every answer on the host with exact arithmetic.
# MODE kvm where this machine's /dev/kvm cannot run a guest (lab/run --print-mode says lab): the same
# kvm-mode lab/run, inside the nested lab's L1 (lab/run --mode l1), whose /dev/kvm is real; its output,
# the guest's console included, comes back into $WORK/console.log.
# In kvm mode the pairs go to a file on the share ($WORK/share/pairs.txt), not to the console: 1,000
# lines on the guest's emulated UART are some 10^5 port writes, each a VM exit that the nested lab's L0
# emulates (TCG) twice over, and the nested lab's rare L1 triple faults came during that stream (test
# 22, 2026-12-02: three runs in a row died printing pairs); the console gets the summary line only. The
# lab tests (30, 31) keep the console: they count the guest QEMU's ioeventfd signals in L1, and a 9p
# share would add its own.
demo_pairs() {  # demo_pairs MODE QEMU_ARGS [lab/run options...]
  local mode=$1 qemu_args=$2; shift 2
  local rc=0 pairs=$WORK/console.log share=()
  local cmd="modprobe virtio_demo && ls /dev/virtio-demo0 && demo-client random 1000 $SEED"
  if [ "$mode" = kvm ]; then
    mkdir -p "$WORK/share"
    rm -f "$WORK/share/pairs.txt"
    pairs=$WORK/share/pairs.txt share=(--share "$WORK/share")
    cmd="modprobe virtio_demo && ls /dev/virtio-demo0 && { demo-client random 1000 $SEED > /share/pairs.txt; rc=\$?; tail -n1 /share/pairs.txt; exit \$rc; }"
  fi
  if [ "$mode" = kvm ] && [ "$("$VQSCOPE_TOP/lab/run" --print-mode)" != kvm ]; then
    note "no usable /dev/kvm here: lab/run --mode kvm inside the nested lab's L1"
    "$VQSCOPE_TOP/lab/run" --mode l1 -q --log "$WORK/console.log" "${share[@]}" -- \
      "$VQSCOPE_TOP/lab/run" --mode kvm "${share[@]}" --qemu-args "$qemu_args" "$@" -- "$cmd" || rc=$?
    expect_grep '^VQSCOPE-START role=l1' "$WORK/console.log" "L1 did not run the command"
    expect_grep 'inside the nested lab.s L1: this guest is its L2' "$WORK/console.log" "the guest did not run on L1's KVM"
  else
    run_guest "$mode" "${share[@]}" --qemu-args "$qemu_args" "$@" -- "$cmd" || rc=$?
  fi
  [ $rc = 0 ] || fail "guest command exited $rc ($mode mode); console: $WORK/console.log"
  expect_grep '^demo-client: 1000 pairs, 0 mismatches' "$WORK/console.log" "guest-side check failed"
  python3 "$VQSCOPE_TOP/tests/lib/demo_verify.py" "$pairs" --count 1000 --require-edges \
    || fail "host-side check of the device's answers failed"
}
