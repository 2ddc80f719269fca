# Shared body of the virtio-demo "1,000 pairs" tests (sourced by tests/integration/2x-demo-*):
# boots a guest in $MODE with a virtio-demo-pci device, sends 1,000 pairs (edge values first) and
# checks every answer on the host with exact arithmetic.
# MODE kvm where this machine's /dev/kvm cannot run a guest (lab/run --print-mode says lab): the same
# kvm-mode lab/run, inside the nested lab's L1 (lab/run --mode l1), whose /dev/kvm is real; its output,
# the guest's console included, comes back into $WORK/console.log.
demo_pairs() {  # demo_pairs MODE QEMU_ARGS [lab/run options...]
  local mode=$1 qemu_args=$2; shift 2
  local rc=0 cmd="modprobe virtio_demo && ls /dev/virtio-demo0 && demo-client random 1000 $SEED"
  if [ "$mode" = kvm ] && [ "$("$VQSCOPE_TOP/lab/run" --print-mode)" != kvm ]; then
    note "no usable /dev/kvm here: lab/run --mode kvm inside the nested lab's L1"
    "$VQSCOPE_TOP/lab/run" --mode l1 -q --log "$WORK/console.log" -- \
      "$VQSCOPE_TOP/lab/run" --mode kvm --qemu-args "$qemu_args" "$@" -- "$cmd" || rc=$?
    expect_grep '^VQSCOPE-START role=l1' "$WORK/console.log" "L1 did not run the command"
    expect_grep 'inside the nested lab.s L1: this guest is its L2' "$WORK/console.log" "the guest did not run on L1's KVM"
  else
    run_guest "$mode" --qemu-args "$qemu_args" "$@" -- "$cmd" || rc=$?
  fi
  [ $rc = 0 ] || fail "guest command exited $rc ($mode mode); console: $WORK/console.log"
  expect_grep '^demo-client: 1000 pairs, 0 mismatches' "$WORK/console.log" "guest-side check failed"
  python3 "$VQSCOPE_TOP/tests/lib/demo_verify.py" "$WORK/console.log" --count 1000 --require-edges \
    || fail "host-side check of the device's answers failed"
}
