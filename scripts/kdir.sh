#!/usr/bin/env bash
# Prints the guest kernel's build directory (headers installed by scripts/deps.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
kdir=/usr/src/linux-headers-$(guest_kernel_abi)
[ -f "$kdir/Makefile" ] || die "guest kernel headers missing at $kdir (run scripts/deps.sh)"
echo "$kdir"
