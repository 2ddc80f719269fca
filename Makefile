# vqscope top-level Makefile: delegates to scripts/ and the folders. Quiet by default; V=1 shows commands.
#
#   make demo     set up everything (apt packages, QEMU, guest image) and run the main job, the
#                 ioeventfd on/off study of virtio-xblk (scripts/ioeventfd-ab.sh; also make ioeventfd-ab)
#   make test     set up everything and run every test (unit + guest boots + KVM lab)
#   make check    fast unit tests only (no boot, no root, no network)
#
# Downloads and builds go to $(VQSCOPE_CACHE) (default .cache/, git-ignored).

.DELETE_ON_ERROR:
.SUFFIXES:
SHELL := /bin/bash

export VQSCOPE_TOP := $(CURDIR)
export VQSCOPE_CACHE ?= $(CURDIR)/.cache

include $(dir $(abspath $(lastword $(MAKEFILE_LIST))))./scripts/quiet.mk

QEMU_BIN := $(VQSCOPE_CACHE)/qemu/build/qemu-system-x86_64
STAMPS := $(VQSCOPE_CACHE)/stamps

.PHONY: all deps qemu fio guest-driver image probes analysis check test test-integration demo ioeventfd-ab clean distclean help

all: qemu guest-driver image probes analysis

help:
	@sed -n '2,8p' Makefile | sed 's/^# \{0,1\}//'

# apt packages, trixie deb-src/meson, guest kernel headers. Cheap to re-run (checks, then does nothing).
deps:
	$(Q)scripts/deps.sh

qemu: deps
	$(Q)scripts/qemu.sh

guest-driver: deps
	$(Q)$(MAKE) -C guest-driver KDIR=$$(scripts/kdir.sh)

# A static fio for the guest (Debian's links ~80 MiB of storage client libraries).
fio: deps
	$(Q)scripts/fio.sh

image: guest-driver fio
	$(Q)lab/mkimage.sh $$(scripts/image-files.sh)

# eBPF host probes (libbpf CO-RE; vmlinux.h generated from this host's BTF) and the analyzer.
probes: deps
	$(Q)$(MAKE) -C probes

analysis: deps
	$(Q)$(MAKE) -C analysis

# Fast unit tests: no guest boots, no root needed beyond what the build needed.
check:
	$(Q)tests/run --suite unit

test: all
	$(Q)tests/run --suite all

# `make demo` is the name the project was started with; the job is the ioeventfd A/B study of
# virtio-xblk, not the virtio-demo device.
demo ioeventfd-ab: all
	$(Q)scripts/ioeventfd-ab.sh

clean:
	$(Q)$(MAKE) -C guest-driver clean KDIR=$$(scripts/kdir.sh 2>/dev/null || echo /nonexistent) || true
	$(Q)$(MAKE) -C probes clean
	$(Q)$(MAKE) -C analysis clean
	$(Q)rm -rf tests/out results

# Also drops the cache: the next build downloads and compiles QEMU and the guest kernel again.
distclean: clean
	$(Q)rm -rf $(VQSCOPE_CACHE)
