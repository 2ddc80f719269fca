# Shared body of the recording tests: one `vqscope record` session, checks from its files, then its
# clock alignment, its end-to-end rows and its Prometheus metrics as the analyzer reports them.
record_and_check() {  # record_and_check EXPECT [vqscope record options...]
  local expect=$1; shift
  local rc=0
  "$VQSCOPE_TOP/bin/vqscope" record -o "$WORK/session" "$@" || rc=$?
  [ $rc = 0 ] || fail "vqscope record exited $rc: $(tail -5 "$WORK/session/console.log" 2>/dev/null)"
  python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print("meta:", {k: m[k] for k in ("status","mode","ioeventfd","iothread","device")}, m["qemu"]["trace_backend"], m["kernels"])' \
    "$WORK/session/meta.json" || fail "meta.json unreadable"
  python3 "$VQSCOPE_TOP/tests/lib/session_check.py" "$WORK/session" --expect "$expect" \
    || fail "the recorded session does not show what $expect must"
  check_decoder "$WORK/session"
  # the clock alignment: exact (TSC) under KVM, causal and saying why under TCG; no negative stage
  "$VQSCOPE_TOP/analysis/vqscope-analyze" "$WORK/session" --format json --requests -o "$WORK/report.json" \
    || fail "vqscope-analyze failed on the session"
  # without --requests no row is kept: the same report but for its rows
  "$VQSCOPE_TOP/analysis/vqscope-analyze" "$WORK/session" --format json -o "$WORK/report-figures.json" \
    || fail "vqscope-analyze (no rows) failed on the session"
  python3 "$VQSCOPE_TOP/tests/lib/check_rows_optional.py" "$WORK/report.json" "$WORK/report-figures.json" \
    || fail "the report without rows differs from the one with them"
  # the collectors read in steps up to random times (the streaming core's sources) take exactly the
  # events up to each time and end with the records and warnings of one read to the end
  "$VQSCOPE_TOP/analysis/.build/analysis_passes" "$WORK/session" || fail "the passes read in steps differ from one read"
  # the streaming alignment's passes (A-D: ids, kick and irq pairings, the solve) and the offset chosen
  # after them give the batch's pairs, bounds, alignment, per-CPU offsets, offset and its check
  "$VQSCOPE_TOP/analysis/.build/analysis_stream" "$WORK/session" || fail "the streaming alignment differs from the batch's"
  # and stitching on windows after them (pass E) emits every request with the batch's stages
  "$VQSCOPE_TOP/analysis/.build/analysis_emit" "$WORK/session" || fail "the streaming stitching differs from the batch's"
  # and the whole report by the streaming core (A-E, the analyzer's default) is the batch steps' own
  "$VQSCOPE_TOP/tests/lib/check_cores.sh" "$WORK/session" || fail "the streaming core's report differs from the batch's"
  python3 "$VQSCOPE_TOP/tests/lib/alignment_check.py" "$WORK/report.json" || fail "the clock alignment does not hold"
  # the stage table and CDF points (from the analyzer's histograms) within 0.4 % of the exact values of its rows
  python3 "$VQSCOPE_TOP/tests/lib/check_stage_summaries.py" "$WORK/report.json" || fail "the stage table disagrees with the rows"
  # the default libaio job, application to application: matched, within fio's own mean, rows add up
  python3 "$VQSCOPE_TOP/tests/lib/e2e_check.py" "$WORK/report.json" --api libaio || fail "the end-to-end rows do not hold"
  # the same figures as Prometheus metrics: they parse, the counts are the report's, and the median
  # Prometheus would interpolate from the buckets is within 10 % of the exact one
  "$VQSCOPE_TOP/analysis/vqscope-analyze" "$WORK/session" --format prometheus -o "$WORK/metrics.prom" \
    || fail "vqscope-analyze --format prometheus failed on the session"
  python3 "$VQSCOPE_TOP/tests/lib/check_metrics.py" "$WORK/metrics.prom" "$WORK/report.json" \
    || fail "the Prometheus metrics disagree with the report"
}
