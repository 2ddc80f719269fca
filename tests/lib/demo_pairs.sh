# Shared body of the virtio-demo "1,000 pairs" tests (sourced by tests/integration/2x-demo-*):
# boots a guest in $MODE with a virtio-demo-pci device, sends 1,000 pairs (edge values first) and
# checks every answer on the host with exact arithmetic. Extra lab/run options in EXTRA_RUN_ARGS.
demo_pairs() {
  local mode=$1 qemu_args=$2; shift 2
  local rc=0
  run_guest "$mode" --qemu-args "$qemu_args" "$@" -- \
    "modprobe virtio_demo && ls /dev/virtio-demo0 && demo-client random 1000 $SEED" || rc=$?
  [ $rc = 0 ] || fail "guest command exited $rc ($mode mode); console: $WORK/console.log"
  expect_grep '^demo-client: 1000 pairs, 0 mismatches' "$WORK/console.log" "guest-side check failed"
  python3 "$VQSCOPE_TOP/tests/lib/demo_verify.py" "$WORK/console.log" --count 1000 --require-edges \
    || fail "host-side check of the device's answers failed"
}
