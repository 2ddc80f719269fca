#!/usr/bin/env bash
# Builds a static fio for the guest image from Debian's fio source package (bookworm, 3.33): only the
# engines the workloads use (psync, libaio, io_uring), none of the storage client libraries.
# Output: $VQSCOPE_CACHE/fio/fio
set -euo pipefail
. "$(dirname "$0")/lib.sh"
dir=$VQSCOPE_CACHE/fio
[ -x "$dir/fio" ] && { progress "fio: static build present"; exit 0; }
mkdir -p "$dir/src"
if ! ls "$dir"/src/fio_*.dsc >/dev/null 2>&1; then
  progress "fio: downloading Debian's fio source package"
  (cd "$dir/src" && apt-get source --download-only -qq fio/bookworm) 2>&1 | grep -v '^W: Download is performed unsandboxed' || true
fi
dsc=$(ls "$dir"/src/fio_*.dsc | sort -V | tail -n1)
rm -rf "$dir/build"
dpkg-source -x "$dsc" "$dir/build" >/dev/null 2>&1 || die "dpkg-source -x $dsc failed"
progress "fio: building static $(basename "$dsc" .dsc)"
cd "$dir/build"
./configure --build-static --disable-native --disable-gfapi --disable-rbd --disable-rdma \
  --disable-pmem --disable-http --disable-rados --disable-libnfs --disable-xnvme \
  --disable-numa --disable-tcmalloc --disable-dfs --disable-libzbc --disable-lex \
  > "$dir/configure.log" 2>&1 || { tail -20 "$dir/configure.log"; die "fio configure failed"; }
make -j"$(nproc)" fio > "$dir/build.log" 2>&1 || { tail -20 "$dir/build.log"; die "fio build failed"; }
file fio | grep -q 'statically linked' || die "fio is not statically linked"
cp fio "$dir/fio"
progress "fio: built $dir/fio"
