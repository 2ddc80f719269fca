# Shared helpers for vqscope's shell steps. Sourced, never run.
# VQSCOPE_CACHE: where downloads and builds live (git-ignored, never committed).
VQSCOPE_TOP=${VQSCOPE_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
export VQSCOPE_TOP
export VQSCOPE_CACHE=${VQSCOPE_CACHE:-$VQSCOPE_TOP/.cache}
mkdir -p "$VQSCOPE_CACHE"

progress() { printf '[vqscope %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { printf 'vqscope: error: %s\n' "$*" >&2; exit 1; }

# The guest kernel series is pinned to Debian 12's 6.1; the exact ABI (6.1.0-NN) is whatever the meta
# package points to today, because Debian drops old ABI packages after a point release.
guest_kernel_abi() {
  local abi
  abi=$(apt-cache depends linux-headers-amd64 2>/dev/null \
        | sed -n 's/^ *Depends: linux-headers-\(6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n1)
  [ -n "$abi" ] || die "cannot resolve linux-headers-amd64 to a 6.1.0-NN-amd64 package (apt-get update?)"
  echo "$abi"
}
