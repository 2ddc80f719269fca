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
  local blocks="0 1 4095 12345 32768 65534 65535"
  cat > "$dir/guest.sh" <<GUEST
set -e
modprobe virtio_xblk
rw= ro=
for d in /sys/block/xblk*; do
  case "\$(cat \$d/serial)" in
    rw-disk*) rw=/dev/\${d##*/} ;;
    ro-disk*) ro=/dev/\${d##*/} ;;
  esac
done
echo "disks: rw=\$rw ro=\$ro size=\$(cat /sys/block/\${rw#/dev/}/size) ro-flag=\$(cat /sys/block/\${ro#/dev/}/ro)"
[ -n "\$rw" ] && [ -n "\$ro" ]
XBLK_DEV=\$rw XBLK_IO_SIZE=$io_size fio --eta=never --output=/tmp/fio.txt /share/verify.fio || { cat /tmp/fio.txt; exit 1; }
grep -E 'err=|verify|WRITE:|READ:' /tmp/fio.txt
for b in $blocks; do
  printf 'vqscope-block-%08d' \$b | dd of=\$rw bs=4096 seek=\$b conv=sync,fsync 2>/dev/null
done
echo "stamped: $blocks"
if dd if=/dev/zero of=\$ro bs=4096 count=1 conv=fsync 2>/tmp/ro.err; then
  echo "READ-ONLY DISK ACCEPTED A WRITE"; exit 1
fi
echo "read-only write refused: \$(cat /tmp/ro.err | head -n1)"
# below the block layer: the device itself must refuse a well-formed WRITE (S_IOERR = 1)
xblk-raw -d \${ro}-raw write 0 1
GUEST
  local rc=0
  run_guest "$mode" --share "$dir" \
    --qemu-args "-object iothread,id=io0 -device virtio-xblk-pci,id=xblk0,file=$dir/rw.img,serial=rw-disk$extra -device virtio-xblk-pci,id=xblk1,file=$dir/ro.img,read-only=on,serial=ro-disk" \
    -- "sh /share/guest.sh" || rc=$?
  [ $rc = 0 ] || fail "guest script exited $rc ($mode); console: $WORK/console.log"
  # fio's own verdict: every job finished with err=0 (verify_fatal makes a mismatch an error)
  [ "$(grep -c 'err= 0' "$WORK/console.log")" = 2 ] || fail "fio did not finish both jobs with err=0"
  grep -q 'verify.*fail\|bad magic\|crc32c.*mismatch' "$WORK/console.log" && fail "fio reported a verify failure"
  python3 - "$dir/rw.img" $blocks <<'PY' || fail "flushed data not found in the backing file"
import sys
path, blocks = sys.argv[1], [int(b) for b in sys.argv[2:]]
with open(path, 'rb') as f:
    for b in blocks:
        f.seek(b * 4096)
        data = f.read(4096)
        want = b'vqscope-block-%08d' % b
        if not data.startswith(want) or data[len(want):] != bytes(4096 - len(want)):
            print(f'block {b} at offset {b * 4096}: {data[:32]!r}, expected {want!r} + zero padding')
            sys.exit(1)
print(f'{len(blocks)} stamped blocks found at block * 4096 in {path}')
PY
  [ "$(sha256sum < "$dir/ro.img")" = "$ro_sum" ] || fail "the read-only backing file changed"
  expect_grep 'read-only write refused' "$WORK/console.log" "read-only write not refused"
  expect_grep 'xblk-raw: write block=0 nblocks=1 status=1 used_len=1' "$WORK/console.log" \
    "the device did not answer S_IOERR to a raw write on the read-only disk"
}
