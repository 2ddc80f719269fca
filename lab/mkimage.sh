#!/usr/bin/env bash
# Build the vqscope guest image: Debian 6.1 kernel + one busybox initramfs used for the guest, the nested
# lab's L1 and its L2 guest.
#
#   lab/mkimage.sh [--add HOSTPATH:GUESTPATH]... [--module NAME]... [--force]
#
# Outputs (in $VQSCOPE_CACHE/guest):
#   vmlinuz               the guest kernel
#   initramfs.cpio.gz     busybox + modules + /init + the --add files
#   kernel-abi            the kernel ABI (6.1.0-NN-amd64) the image was built for
#   image.stamp           hash of all inputs (the cpio is rebuilt only when it changes)
#
# --add HOSTPATH:GUESTPATH  copies a host file (or directory, recursively) into the image. Kernel modules
#     (*.ko) added under /lib/modules/extra/ land in /lib/modules/<abi>/extra/ (with /lib/modules/extra a
#     symlink to it), are included in modules.dep, and the stock modules they depend on are added too, so
#     `modprobe NAME` works in the guest.
# --module NAME             add a stock kernel module (and its dependencies) to the default set.
# --force                   rebuild even if the inputs did not change.
set -euo pipefail
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../scripts/lib.sh
source "$LAB_DIR/../scripts/lib.sh"

# Stock modules in every image: virtio transport + devices, 9p (host root / share), KVM for the lab's L1.
MODULES=(virtio_pci virtio_blk virtio_console virtio_net virtio_rng 9p 9pnet_virtio kvm_amd kvm_intel)
ADDS=()
FORCE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --add) [ $# -ge 2 ] || die "--add needs HOSTPATH:GUESTPATH"; ADDS+=("$2"); shift 2 ;;
    --add=*) ADDS+=("${1#--add=}"); shift ;;
    --module) [ $# -ge 2 ] || die "--module needs a name"; MODULES+=("$2"); shift 2 ;;
    --force) FORCE=1; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "mkimage.sh: unknown argument '$1' (see --help)" ;;
  esac
done

for t in busybox depmod modprobe modinfo cpio gzip dpkg apt-get; do
  command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || [ -x "/sbin/$t" ] || die "missing host tool: $t"
done
export PATH="$PATH:/usr/sbin:/sbin"
BUSYBOX=$(command -v busybox)
# Debian's busybox (dynamic) does not work in a libc-less initramfs; we need busybox-static.
if command -v file >/dev/null && file -L "$BUSYBOX" 2>/dev/null | grep -q 'dynamically linked'; then
  die "$BUSYBOX is dynamically linked: install busybox-static"
fi

GUEST=$VQSCOPE_CACHE/guest
mkdir -p "$GUEST/debs"
ABI=$(guest_kernel_abi)
PKG=linux-image-$ABI
KROOT=$GUEST/kernel-root
MODDIR=$KROOT/lib/modules/$ABI

# 1. Kernel package: download + extract once per ABI.
deb=$(ls "$GUEST/debs/${PKG}"_*.deb 2>/dev/null | head -n1 || true)
if [ -z "$deb" ]; then
  progress "downloading $PKG"
  (cd "$GUEST/debs" && apt-get download "$PKG" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) \
    || die "apt-get download $PKG failed (apt-get update? Debian may have rotated the ABI)"
  deb=$(ls "$GUEST/debs/${PKG}"_*.deb | head -n1)
else
  progress "kernel package present: $(basename "$deb")"
fi
if [ ! -f "$KROOT/.extracted-$(basename "$deb")" ]; then
  progress "extracting $(basename "$deb")"
  rm -rf "$KROOT"
  dpkg -x "$deb" "$KROOT"
  touch "$KROOT/.extracted-$(basename "$deb")"
fi
[ -f "$MODDIR/modules.dep" ] || { progress "depmod $ABI (kernel tree)"; depmod -b "$KROOT" "$ABI"; }
cp -u "$KROOT/boot/vmlinuz-$ABI" "$GUEST/vmlinuz"
echo "$ABI" > "$GUEST/kernel-abi.new"
cmp -s "$GUEST/kernel-abi.new" "$GUEST/kernel-abi" 2>/dev/null && rm -f "$GUEST/kernel-abi.new" \
  || mv "$GUEST/kernel-abi.new" "$GUEST/kernel-abi"

# 2. Input hash: this script, /init, the ABI, module list, busybox and every --add source.
hash_inputs() {
  {
    echo "abi=$ABI deb=$(basename "$deb")"
    echo "modules=${MODULES[*]}"
    sha256sum "$0" "$LAB_DIR/init" "$BUSYBOX"
    local a src
    for a in "${ADDS[@]}"; do
      echo "add=$a"
      src=${a%%:*}
      [ -e "$src" ] || die "--add: $src does not exist"
      if [ -d "$src" ]; then
        (cd "$src" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
      else
        sha256sum < "$src"
      fi
    done
  } | sha256sum | cut -d' ' -f1
}
HASH=$(hash_inputs)
OUT=$GUEST/initramfs.cpio.gz
if [ "$FORCE" = 0 ] && [ -f "$OUT" ] && [ "$(cat "$GUEST/image.stamp" 2>/dev/null)" = "$HASH" ]; then
  progress "initramfs up to date: $OUT ($(du -h "$OUT" | cut -f1))"
  exit 0
fi

# 3. Staging tree.
STAGE=$GUEST/staging
rm -rf "$STAGE"
mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root,mnt,share,host,vqscope,lib/modules/"$ABI"}
progress "staging busybox ($("$BUSYBOX" 2>&1 | head -n1 | cut -d' ' -f2))"
cp "$BUSYBOX" "$STAGE/bin/busybox"
for app in $("$BUSYBOX" --list-full); do
  [ -e "$STAGE/$app" ] || ln -s /bin/busybox "$STAGE/$app"
done
ln -sf /proc/mounts "$STAGE/etc/mtab"
echo 'root:x:0:0:root:/root:/bin/sh' > "$STAGE/etc/passwd"
echo 'root:x:0:' > "$STAGE/etc/group"
install -m 0755 "$LAB_DIR/init" "$STAGE/init"

# --add files
EXTRA_KOS=()
for a in "${ADDS[@]}"; do
  src=${a%%:*}; dst=${a#*:}
  [ "$src" != "$a" ] && [ -n "$dst" ] || die "--add wants HOSTPATH:GUESTPATH, got '$a'"
  case "$dst" in /*) ;; *) die "--add: GUESTPATH must be absolute: '$dst'" ;; esac
  case "$dst" in /lib/modules/extra|/lib/modules/extra/*) dst=/lib/modules/$ABI/extra${dst#/lib/modules/extra} ;; esac
  if [ -d "$src" ]; then
    mkdir -p "$STAGE$dst"; cp -a "$src/." "$STAGE$dst/"
  else
    case "$dst" in */) mkdir -p "$STAGE$dst"; dst=$dst$(basename "$src") ;; *) mkdir -p "$(dirname "$STAGE$dst")" ;; esac
    cp -L "$src" "$STAGE$dst"
  fi
  progress "added $src -> $dst"
done
while IFS= read -r -d '' ko; do EXTRA_KOS+=("$ko"); done < <(find "$STAGE/lib/modules/$ABI" -name '*.ko' -print0)
[ -e "$STAGE/lib/modules/extra" ] || ln -s "$ABI/extra" "$STAGE/lib/modules/extra"

# Module closure: stock modules + whatever the added modules depend on.
want=("${MODULES[@]}")
for ko in "${EXTRA_KOS[@]}"; do
  for d in $(modinfo -F depends "$ko" 2>/dev/null | tr ',' ' '); do want+=("$d"); done
done
declare -A have=()
for ko in "${EXTRA_KOS[@]}"; do have[$(basename "$ko" .ko | tr - _)]=1; done
files=()
for m in "${want[@]}"; do
  [ -n "${have[$(echo "$m" | tr - _)]:-}" ] && continue
  deps=$(modprobe -d "$KROOT" -S "$ABI" --show-depends "$m" 2>&1) || die "module $m: $deps"
  while read -r kind path _; do
    [ "$kind" = insmod ] && files+=("$path")
  done <<< "$deps"
done
mapfile -t files < <(printf '%s\n' "${files[@]}" | sort -u)
for f in "${files[@]}"; do
  rel=${f#"$KROOT"/}
  mkdir -p "$STAGE/$(dirname "$rel")"
  cp "$f" "$STAGE/$rel"
done
cp "$MODDIR"/modules.builtin* "$MODDIR"/modules.order "$STAGE/lib/modules/$ABI/"
depmod -b "$STAGE" "$ABI" 2> "$GUEST/depmod.log" || { cat "$GUEST/depmod.log" >&2; die "depmod failed"; }
if grep -q 'needs unknown symbol' "$GUEST/depmod.log"; then
  cat "$GUEST/depmod.log" >&2; die "module closure incomplete (see above)"
fi
progress "modules: ${#files[@]} stock ($(printf '%s\n' "${files[@]}" | xargs -n1 basename | sed 's/\.ko.*//' | tr '\n' ' ')), ${#EXTRA_KOS[@]} extra"
echo "$ABI" > "$STAGE/etc/vqscope-kernel-abi"

# 4. Pack. Padded to 4 bytes so that the runner can append its per-run archive.
progress "packing $OUT"
(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -6 -n > "$OUT.tmp"
sz=$(stat -c %s "$OUT.tmp"); pad=$(( (4 - sz % 4) % 4 ))
[ "$pad" = 0 ] || head -c "$pad" /dev/zero >> "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$HASH" > "$GUEST/image.stamp"
progress "initramfs ready: $OUT ($(du -h "$OUT" | cut -f1)), kernel $GUEST/vmlinuz ($ABI)"
