#!/usr/bin/env bash
# Developer helper: after editing the shared QEMU files in $VQSCOPE_CACHE/qemu/src (ids, names, QMP
# maps, Kconfig, meson.build, trace-events), rewrite device/patches/0001-vqscope-shared-files.patch as
# their diff against a pristine extraction of the same source package.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
src=$VQSCOPE_CACHE/qemu/src
pristine=$VQSCOPE_CACHE/qemu/pristine
files=(hw/virtio/Kconfig hw/virtio/meson.build hw/virtio/trace-events hw/virtio/virtio-qmp.c
       hw/virtio/virtio.c include/standard-headers/linux/virtio_ids.h)
if [ ! -d "$pristine" ]; then
  dsc=$(ls "$VQSCOPE_CACHE"/downloads/qemu/qemu_*.dsc | sort -V | tail -n1)
  dpkg-source -x "$dsc" "$pristine" >/dev/null 2>&1
fi
out=$VQSCOPE_TOP/device/patches/0001-vqscope-shared-files.patch
: > "$out.new"
for f in "${files[@]}"; do
  diff -u --label "a/$f" --label "b/$f" "$pristine/$f" "$src/$f" >> "$out.new" || true
done
mv "$out.new" "$out"
cp "$out" "$src/.vqscope-applied.patch"
echo "wrote $out ($(grep -c '' "$out") lines)"
