#!/usr/bin/env bash
# Installs what vqscope needs on a Debian 12 (bookworm) machine. Idempotent: a second run checks and
# does nothing. Needs root (apt). Prints one progress line per step.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

stamp_dir=${VQSCOPE_CACHE:?}/stamps
mkdir -p "$stamp_dir"

# Host packages. Grouped by who needs them; all from bookworm.
pkgs=(
  # QEMU build (configure line in scripts/qemu.sh)
  build-essential pkg-config ninja-build flex bison python3 python3-venv
  libglib2.0-dev libpixman-1-dev libslirp-dev libfdt-dev zlib1g-dev libcap-ng-dev libattr1-dev
  # trace backends: ust (LTTng-UST) and dtrace (USDT via systemtap-sdt-dev)
  liblttng-ust-dev lttng-tools babeltrace2 libbabeltrace2-dev systemtap-sdt-dev
  # QEMU firmware that the +ds source package does not build
  seabios qemu-system-data ipxe-qemu
  # probes: libbpf CO-RE + bpftool skeletons
  clang llvm libbpf-dev bpftool libelf-dev
  # analysis: meta.json is read with jansson (analysis/src/session_dir.c)
  libjansson-dev
  # analysis: the guest's binary event stream (guest.stream) is decoded with libtraceevent
  # (analysis/src/guest_stream.c)
  libtraceevent-dev
  # analysis: the /metrics HTTP server of vqscope-analyze --serve-metrics (analysis/src/metrics_server.c)
  libmicrohttpd-dev
  # analysis fuzz targets: libFuzzer, ASan, UBSan runtimes
  libclang-rt-14-dev
  # guest image
  busybox-static kmod cpio xz-utils zstd dwarves file
  # static fio for the guest (scripts/fio.sh)
  libaio-dev liburing-dev zlib1g-dev
  # benchmarks: the analyzer's peak RSS (bench/long-session.sh)
  time
  # fetching sources
  dpkg-dev curl ca-certificates
  # dashboard test: headless rendering of dashboards/ (tests/integration/80-dashboard)
  chromium
  # other tracers run beside vqscope on the KVM host (tests/integration/66-record-lab-alongside-tracers)
  linux-perf trace-cmd
  # metrics test: Debian's Prometheus scrapes --serve-metrics (tests/integration/83-metrics-prometheus); the
  # package enables prometheus.service on 9090, which the test neither uses nor needs
  prometheus
  # vqscope-top's screen (libncurses-dev), and tmux, in which test 86 drives it
  libncurses-dev
  tmux
  # the recorder's shell scripts are checked by tests/unit/recorder_scripts
  shellcheck
)

want_pkgs=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || want_pkgs+=("$p")
done

need_update=0
# trixie: only for QEMU 10.0's source package and meson >= 1.5 / pycotap, which bookworm lacks. Pinned
# to priority 1 so nothing on the host is ever upgraded from it by accident.
trixie_list=/etc/apt/sources.list.d/vqscope.sources
want_list='Types: deb deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg'
if [ "$(cat "$trixie_list" 2>/dev/null)" != "$want_list" ]; then
  # bookworm deb-src: fio's source (static guest build); trixie: QEMU 10.0's source and meson >= 1.5.
  progress "deps: adding trixie (deb + deb-src, pin priority 1) and bookworm deb-src to apt"
  rm -f /etc/apt/sources.list.d/vqscope-trixie.sources
  echo "$want_list" > "$trixie_list"
  cat > /etc/apt/preferences.d/vqscope-trixie <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 1
PIN
  need_update=1
fi
if ! ls /var/lib/apt/lists/*trixie*Sources* /var/lib/apt/lists/*bookworm*Sources* >/dev/null 2>&1; then
  need_update=1
fi
# Guest kernel headers: the ABI package behind linux-headers-amd64 (resolved at set-up time).
if [ "$need_update" = 1 ] || [ ${#want_pkgs[@]} -gt 0 ]; then
  progress "deps: apt-get update"
  apt-get update -qq
fi
kabi=$(guest_kernel_abi)
dpkg-query -W -f='${Status}' "linux-headers-$kabi" 2>/dev/null | grep -q 'install ok installed' \
  || want_pkgs+=("linux-headers-$kabi")

if [ ${#want_pkgs[@]} -gt 0 ]; then
  progress "deps: apt-get install ${want_pkgs[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${want_pkgs[@]}" >/dev/null
fi
progress "deps: host packages ok (guest kernel ABI $kabi)"
