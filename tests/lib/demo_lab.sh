# Shared body of the nested-lab virtio-demo tests: 1,000 pairs in L2 under real KVM in L1, with L1's
# kernel counting KVM exits, userspace exits and ioeventfd signals for the guest's QEMU.
# shellcheck source=SCRIPTDIR/demo_pairs.sh
. "$VQSCOPE_TOP/tests/lib/demo_pairs.sh"
demo_lab() {  # demo_lab on|off
  local ioeventfd=$1
  demo_pairs lab "-name guest,debug-threads=on -device virtio-demo-pci,id=demo0,ioeventfd=$ioeventfd" \
    --l1-pre "$VQSCOPE_TOP/tests/lib/l1-trace-pre.sh" --l1-post "$VQSCOPE_TOP/tests/lib/l1-trace-post.sh"
  python3 "$VQSCOPE_TOP/tests/lib/l1_hist.py" "$WORK/console.log" > "$WORK/l1-counts.json"
  note "L1 counts: $(cat "$WORK/l1-counts.json")"
  python3 "$VQSCOPE_TOP/tests/lib/check_l1_ioeventfd_counts.py" "$WORK/l1-counts.json" "$ioeventfd" \
    || fail "L1's KVM counts do not show what ioeventfd=$ioeventfd must do"
}
