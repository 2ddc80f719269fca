# Shared body of the virtio-xblk data tests (tests/integration/4x-xblk-*): one guest boot with two
# xblk disks on host files, a read-write one and a read-only one:
#   1. fio writes random 4k and 64k blocks over the 256 MiB disk and verifies each (crc32c);
#   2. the guest writes a pattern into chosen blocks with dd conv=fsync (a FLUSH) and powers off;
#      the host then finds each pattern in the backing file at block * 4096;
#   3. writes to the read-only disk fail in the guest, also when sent below the block layer (the device
#      answers S_IOERR), and its backing file is unchanged.
# In lab mode the files live in a --share directory, so L2's QEMU (in L1) opens them through 9p.
xblk_session() {  # xblk_session MODE IO_SIZE [extra xblk device options for the rw disk]
  local mode=$1 io_size=$2 extra=${3:-}
  local dir=$WORK/share
  mkdir -p "$dir"
  truncate -s 256M "$dir/rw.img"
  head -c 8M /dev/urandom > "$dir/ro.img"
  local ro_sum; ro_sum=$(sha256sum < "$dir/ro.img")
  cp "$VQSCOPE_TOP/tests/fixtures/xblk-verify.fio" "$dir/verify.fio"
  # blocks to stamp: first, last, and a spread in between (block size 4096, 65536 blocks)
  local blocks=(0 1 4095 12345 32768 65534 65535)
  cp "$VQSCOPE_TOP/tests/lib/guest/xblk-data.sh" "$dir/xblk-data.sh"
  local rc=0
  run_guest "$mode" --share "$dir" \
    --qemu-args "-object iothread,id=io0 -device virtio-xblk-pci,id=xblk0,file=$dir/rw.img,serial=rw-disk$extra -device virtio-xblk-pci,id=xblk1,file=$dir/ro.img,read-only=on,serial=ro-disk" \
    -- sh /share/xblk-data.sh "$io_size" "${blocks[@]}" || rc=$?
  [ $rc = 0 ] || fail "guest script exited $rc ($mode); console: $WORK/console.log"
  # fio's own verdict: every job finished with err=0 (verify_fatal makes a mismatch an error)
  [ "$(grep -c 'err= 0' "$WORK/console.log")" = 2 ] || fail "fio did not finish both jobs with err=0"
  grep -q 'verify.*fail\|bad magic\|crc32c.*mismatch' "$WORK/console.log" && fail "fio reported a verify failure"
  python3 "$VQSCOPE_TOP/tests/lib/check_xblk_stamped_blocks.py" "$dir/rw.img" "${blocks[@]}" \
    || fail "flushed data not found in the backing file"
  [ "$(sha256sum < "$dir/ro.img")" = "$ro_sum" ] || fail "the read-only backing file changed"
  expect_grep 'read-only write refused' "$WORK/console.log" "read-only write not refused"
  expect_grep 'xblk-raw: write block=0 nblocks=1 status=1 used_len=1' "$WORK/console.log" \
    "the device did not answer S_IOERR to a raw write on the read-only disk"
}
