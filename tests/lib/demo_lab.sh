# Shared body of the nested-lab virtio-demo tests: 1,000 pairs in L2 under real KVM in L1, with L1's
# kernel counting KVM exits, userspace exits and ioeventfd signals for the guest's QEMU.
. "$VQSCOPE_TOP/tests/lib/demo_pairs.sh"
demo_lab() {  # demo_lab on|off
  local ioeventfd=$1
  demo_pairs lab "-name guest,debug-threads=on -device virtio-demo-pci,id=demo0,ioeventfd=$ioeventfd" \
    --l1-pre "$VQSCOPE_TOP/tests/lib/l1-trace-pre.sh" --l1-post "$VQSCOPE_TOP/tests/lib/l1-trace-post.sh"
  python3 "$VQSCOPE_TOP/tests/lib/l1_hist.py" "$WORK/console.log" > "$WORK/l1-counts.json"
  note "L1 counts: $(cat "$WORK/l1-counts.json")"
  python3 - "$WORK/l1-counts.json" "$ioeventfd" <<'PY' || fail "L1's KVM counts do not show what ioeventfd=$ioeventfd must do"
import json, sys
d = json.load(open(sys.argv[1]))
on = sys.argv[2] == 'on'
mmio = d['userspace_exit_by_reason'].get('6', 0)      # KVM_EXIT_MMIO
problems = []
if not d['seen']:
    problems.append('the L1 post hook did not run')
if d['kvm_exit_vcpu'] < 1000:
    problems.append(f"only {d['kvm_exit_vcpu']} kvm_exit events from the guest QEMU's vCPU threads")
if on:
    # every request kicks once, and KVM completes the kick in the kernel
    if d['ioeventfd_write'] < 1000:
        problems.append(f"ioeventfd=on but ioeventfd_write fired {d['ioeventfd_write']} times for 1000 requests")
    if mmio >= 1000:
        problems.append(f"ioeventfd=on but {mmio} MMIO exits went to user space")
else:
    if d['ioeventfd_write'] != 0:
        problems.append(f"ioeventfd=off but ioeventfd_write fired {d['ioeventfd_write']} times")
    if mmio < 1000:
        problems.append(f"ioeventfd=off but only {mmio} MMIO exits reached user space for 1000 kicks")
for p in problems:
    print('problem:', p)
sys.exit(1 if problems else 0)
PY
}
