# Shared body of the recording tests: one `vqscope record` session, then checks from its files only.
record_and_check() {  # record_and_check EXPECT [vqscope record options...]
  local expect=$1; shift
  local rc=0
  "$VQSCOPE_TOP/bin/vqscope" record -o "$WORK/session" "$@" || rc=$?
  [ $rc = 0 ] || fail "vqscope record exited $rc: $(tail -5 "$WORK/session/console.log" 2>/dev/null)"
  python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print("meta:", {k: m[k] for k in ("status","mode","ioeventfd","iothread","device")}, m["qemu"]["trace_backend"], m["kernels"])' \
    "$WORK/session/meta.json" || fail "meta.json unreadable"
  python3 "$VQSCOPE_TOP/tests/lib/session_check.py" "$WORK/session" --expect "$expect" \
    || fail "the recorded session does not show what $expect must"
}
