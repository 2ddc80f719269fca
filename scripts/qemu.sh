#!/usr/bin/env bash
# Builds QEMU with vqscope's devices: Debian trixie's qemu 10.0.x source package (Debian's patches
# applied), device/ overlaid at QEMU's own paths, device/patches/*.patch applied for the shared files
# (ids, names, QMP feature maps, Kconfig/meson, trace-events). Incremental: files are copied only when
# their content changed, and patches are re-applied only when they changed.
#
#   scripts/qemu.sh                 fetch + prepare + configure + build (default)
#   QEMU_SRC=/path scripts/qemu.sh  use your own QEMU source tree instead of the Debian package (it is
#                                   patched and overlaid in place; it must be QEMU 10.0.x)
# Output: $VQSCOPE_CACHE/qemu/build/qemu-system-x86_64 and .../trace/trace-events-all
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

qdir=$VQSCOPE_CACHE/qemu
build=$qdir/build
mkdir -p "$qdir"

# ---- source ----
if [ -n "${QEMU_SRC:-}" ]; then
  src=$(cd "$QEMU_SRC" && pwd)
  [ -f "$src/VERSION" ] || die "QEMU_SRC=$QEMU_SRC: not a QEMU source tree (no VERSION file)"
else
  src=$qdir/src
  if [ ! -f "$src/.vqscope-extracted" ]; then
    dl=$VQSCOPE_CACHE/downloads/qemu
    mkdir -p "$dl"
    if ! ls "$dl"/qemu_*.dsc >/dev/null 2>&1; then
      progress "qemu: downloading Debian's qemu source package (trixie, 10.0.x)"
      (cd "$dl" && apt-get source --download-only -qq qemu/trixie) 2>&1 | grep -v '^W: Download is performed unsandboxed' || true
    fi
    dsc=$(ls "$dl"/qemu_*.dsc | sort -V | tail -n1)
    [ -f "$dsc" ] || die "qemu source package not downloaded (is the trixie deb-src entry there? run scripts/deps.sh)"
    progress "qemu: extracting $(basename "$dsc") with Debian's patches"
    rm -rf "$src"
    dpkg-source -x "$dsc" "$src" >/dev/null 2>"$qdir/extract.log" || { cat "$qdir/extract.log"; die "dpkg-source -x failed"; }
    basename "$dsc" .dsc | sed 's/^qemu_//' > "$src/.vqscope-extracted"
  fi
fi
qemu_version=$(cat "$src/VERSION")
case "$qemu_version" in 10.0.*) ;; *) die "QEMU $qemu_version in $src: vqscope's devices are written for QEMU 10.0.x";; esac

# ---- patches: keep a copy of what was applied, so a changed patch is reverted and applied anew ----
applied=$src/.vqscope-applied.patch
want=$(cat "$VQSCOPE_TOP"/device/patches/*.patch)
if [ ! -f "$applied" ] || [ "$(cat "$applied")" != "$want" ]; then
  if [ -f "$applied" ]; then
    progress "qemu: reverting the previously applied vqscope patch"
    patch -d "$src" -p1 -R -s --no-backup-if-mismatch < "$applied" || die "could not revert $applied"
  fi
  progress "qemu: applying device/patches"
  patch -d "$src" -p1 -s --no-backup-if-mismatch --dry-run < <(echo "$want") >/dev/null \
    || die "device/patches do not apply to $src (QEMU $qemu_version)"
  patch -d "$src" -p1 -s --no-backup-if-mismatch < <(echo "$want")
  echo "$want" > "$applied"
fi

# ---- overlay: device/ files at the same paths; the shared ABI header as a standard header ----
copy_if_changed() {  # copy_if_changed FROM TO: keep TO's mtime when the content is the same
  if ! cmp -s "$1" "$2"; then mkdir -p "$(dirname "$2")"; cp "$1" "$2"; fi
}
(cd "$VQSCOPE_TOP/device" && find hw include -type f) | while read -r f; do
  copy_if_changed "$VQSCOPE_TOP/device/$f" "$src/$f"
done
copy_if_changed "$VQSCOPE_TOP/include/uapi/linux/virtio_vqscope.h" \
  "$src/include/standard-headers/linux/virtio_vqscope.h"

# ---- configure (once, or when the options change) ----
# meson >= 1.5 is required by QEMU 10.0 and bookworm has 1.0: use trixie's (architecture-independent)
# meson package, unpacked into the cache and put on the configure python's path.
tools=$VQSCOPE_CACHE/tools
if [ ! -f "$tools/.meson" ]; then
  progress "qemu: fetching meson from trixie"
  mkdir -p "$tools/debs"
  (cd "$tools/debs" && apt-get download -qq meson/trixie) 2>&1 | grep -v '^W: Download is performed unsandboxed' || true
  dpkg -x "$(ls "$tools"/debs/meson_*.deb | tail -n1)" "$tools/meson"
  touch "$tools/.meson"
fi
export PYTHONPATH=$tools/meson/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}

# shellcheck disable=SC2054  # commas inside --enable-trace-backends are configure's
config_opts=(
  --python=/usr/bin/python3 --target-list=x86_64-softmmu
  --enable-trace-backends=simple,ust,dtrace
  --without-default-features --enable-kvm --enable-tcg --enable-slirp --enable-fdt=system
  --enable-virtfs --enable-attr --enable-cap-ng
  --disable-install-blobs --disable-docs --disable-werror
)
if [ ! -f "$build/build.ninja" ] || [ "$(cat "$build/.vqscope-config" 2>/dev/null)" != "$src ${config_opts[*]}" ]; then
  progress "qemu: configuring QEMU $qemu_version in $build"
  rm -rf "$build"; mkdir -p "$build"
  (cd "$build" && "$src/configure" "${config_opts[@]}") > "$qdir/configure.log" 2>&1 \
    || { tail -40 "$qdir/configure.log"; die "QEMU configure failed (full log: $qdir/configure.log)"; }
  echo "$src ${config_opts[*]}" > "$build/.vqscope-config"
fi

# ---- build ----
progress "qemu: building (ninja; a first build takes 5-10 minutes on 2 cores)"
start=$(date +%s)
if ! ninja -C "$build" qemu-system-x86_64 trace/trace-events-all > "$qdir/build.log" 2>&1; then
  grep -E 'error|Error' "$qdir/build.log" | head -30
  die "QEMU build failed (full log: $qdir/build.log)"
fi
progress "qemu: built $build/qemu-system-x86_64 in $(( $(date +%s) - start )) s"
