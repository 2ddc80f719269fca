# Helpers for vqscope's integration tests (sourced).
set -u
VQSCOPE_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export VQSCOPE_TOP
export VQSCOPE_CACHE=${VQSCOPE_CACHE:-$VQSCOPE_TOP/.cache}
QEMU=${VQSCOPE_QEMU:-$VQSCOPE_CACHE/qemu/build/qemu-system-x86_64}
# shellcheck disable=SC2034  # used by the tests that source this file
FIRMWARE=(-L /usr/share/seabios -L /usr/share/qemu -L /usr/lib/ipxe/qemu)
TEST_NAME=$(basename "$0")
WORK=$VQSCOPE_TOP/tests/out/$TEST_NAME.d
rm -rf "$WORK"; mkdir -p "$WORK"

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "skipped: $*"; exit 77; }
note() { echo "--- $*"; }
# expect_grep PATTERN FILE WHAT: FILE must match PATTERN
expect_grep() { grep -Eq -- "$1" "$2" || fail "$3 (no line matching '$1' in $2)"; }
# check_decoder SESSION: the analyzer reads the session's guest stream from the events' fields; every
# event it reads so must be what ftrace's text of it parses to (vqscope-tracedump --check-decoder)
check_decoder() {
  local stream=$1/guest.stream out
  out=$WORK/decoder-$(basename "$1").txt
  "$VQSCOPE_TOP/analysis/vqscope-tracedump" guest "$stream" --check-decoder > "$out" ||
    fail "$stream: events read from their fields differ from their text: $(head -3 "$out")"
  expect_grep ' decoded=[1-9][0-9]* differing=0 ' "$out" "$stream: no event read from its fields"
  tail -1 "$out"
}
[ -x "$QEMU" ] || fail "QEMU not built at $QEMU (make qemu)"


# run_guest MODE [lab/run options...] -- COMMAND: boots a guest and runs COMMAND; console in
# $WORK/console.log; returns the command's exit status.
run_guest() {
  local mode=$1; shift
  "$VQSCOPE_TOP/lab/run" --mode "$mode" -q --log "$WORK/console.log" "$@"
}

# A per-run seed, printed so a failure can be replayed (VQSCOPE_SEED=N tests/run NAME).
SEED=${VQSCOPE_SEED:-$(( $(date +%s) % 100000 ))}
echo "--- seed $SEED"
