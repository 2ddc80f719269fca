#!/usr/bin/env bash
# Prints the lab/mkimage.sh arguments that put vqscope's guest side into the image: the modules built
# in guest-driver/ and the static guest programs in guest-driver/out/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
for ko in "$top"/guest-driver/*.ko; do
  [ -f "$ko" ] && printf -- '--add %s:/lib/modules/extra/%s\n' "$ko" "$(basename "$ko")"
done
for prog in "$top"/guest-driver/out/*; do
  [ -x "$prog" ] && printf -- '--add %s:/usr/bin/%s\n' "$prog" "$(basename "$prog")"
done
# fio: a static build from Debian's source (scripts/fio.sh), when present. Debian's fio binary links
# some 80 MiB of storage libraries (ceph, gluster, ...) that would triple the initramfs.
fio=${VQSCOPE_CACHE:-$top/.cache}/fio/fio
[ -x "$fio" ] && printf -- '--add %s:/usr/bin/fio\n' "$fio"
exit 0
