# Shared body of the A/B session tests (sourced by tests/integration/6x-record-ab-*): records
# `vqscope record --ab` into $WORK/session and checks it, first from its files (check_ab_session.py:
# meta.json's "ab", the disks, the block markers and fio reports in the order drawn from the seed, each
# block's requests on its own disk in the guest and in QEMU), then the analyzer's split by disk
# (check_ab_split.py: SESSION@A and SESSION@B hold exactly their blocks' requests and fio figures, and
# their compare, left in $WORK/compare.json, resamples blocks).
ab_record_and_check() {  # ab_record_and_check MODE A,B BLOCKS SEED IOS [record options...]
  local mode=$1 ab=$2 blocks=$3 seed=$4 ios=$5 rc=0 order="" pair disk
  shift 5
  local analyze=$VQSCOPE_TOP/analysis/vqscope-analyze
  [ -x "$analyze" ] || fail "analysis not built: $analyze (make analysis)"
  # the default job, smaller: IOS I/Os per disk, in BLOCKS blocks
  sed "s/^number_ios=.*/number_ios=$ios/" "$VQSCOPE_TOP/workloads/xblk-randrw.fio" > "$WORK/ab-job.fio"
  "$VQSCOPE_TOP/bin/vqscope" record -o "$WORK/session" --mode "$mode" --workload "$WORK/ab-job.fio" \
    --ab "$ab" --blocks "$blocks" --seed "$seed" "$@" || rc=$?
  [ $rc = 0 ] || fail "vqscope record --ab exited $rc: $(tail -5 "$WORK/session/console.log" 2>/dev/null)"
  expect_grep "^number_ios=$((ios / blocks))$" "$WORK/session/workload-block.fio" \
    "workload-block.fio is not the job divided into $blocks blocks"
  if [ -e "$WORK/session/disk-a.img" ] || [ -e "$WORK/session/disk-b.img" ]; then
    fail "the scratch disks were left in the session"
  fi
  # the order, drawn here as the recorder's contract says: bash's generator seeded with the seed, AB or
  # BA per pair of blocks
  RANDOM=$seed
  for ((pair = 0; pair < blocks; pair++)); do
    if ((RANDOM % 2)); then order+=BA; else order+=AB; fi
  done
  note "order $order"
  python3 "$VQSCOPE_TOP/tests/lib/check_ab_session.py" "$WORK/session" --ab "$ab" --blocks "$blocks" \
    --seed "$seed" --order "$order" --ios-per-block $((ios / blocks)) || fail "the --ab session does not hold"
  for disk in A B; do
    "$analyze" "$WORK/session@$disk" --format json -o "$WORK/report-$disk.json" || fail "report of disk $disk failed"
    "$analyze" "$WORK/session@$disk" --format csv -o "$WORK/rows-$disk.csv" || fail "rows of disk $disk failed"
  done
  "$analyze" compare "$WORK/session@A" "$WORK/session@B" --format json -o "$WORK/compare.json" \
    || fail "compare of the disks failed"
  python3 "$VQSCOPE_TOP/tests/lib/check_ab_split.py" "$WORK/session" "$WORK/report-A.json" "$WORK/report-B.json" \
    "$WORK/compare.json" "$WORK/rows-A.csv" "$WORK/rows-B.csv" || fail "the analyzer's split by disk does not hold"
}
