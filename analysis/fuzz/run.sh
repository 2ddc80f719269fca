#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS on a corpus seeded from the fixtures; crashes are saved as
# BUILD/artifacts/<target>-crash-*. Exit 1 if any target found a crash in our code.
#   fuzz/run.sh BUILD_DIR FIXTURES SECONDS [SEED]
# SEED (default 1) is libFuzzer's -seed: with the same corpus and time the runs mutate alike (not
# byte-for-byte reproducible under time limits, but stable enough for CI); a crash is always saved.
set -u
build=$1 fixtures=$2 seconds=$3 random_seed=${4:-1}
status=0
# Each run starts from the fixtures alone and is judged on its own crashes (reproducible in CI).
rm -rf "$build/artifacts" "$build"/corpus-* && mkdir -p "$build/artifacts"
# fuzz_ctf makes one trace directory per process (fork mode: one per job): keep them in the build.
export TMPDIR=$build/tmp
rm -rf "$TMPDIR" && mkdir -p "$TMPDIR"
trap 'rm -rf "$TMPDIR"' EXIT

seed() {  # seed TARGET FILES...
  local corpus=$build/corpus-$1; shift
  mkdir -p "$corpus"
  for f in "$@"; do cp -f "$f" "$corpus/seed-$(basename "$(dirname "$f")")-$(basename "$f")"; done
}
seed fuzz_simpletrace "$fixtures"/*.trace
seed fuzz_ctf "$fixtures"/ctf-demo/ust/uid/0/64-bit/channel0_0 "$fixtures"/ctf-demo/ust/uid/0/64-bit/channel0_1 \
  "$fixtures"/ctf-corrupt-event/ust/uid/0/64-bit/channel0_0
seed fuzz_probe "$fixtures"/*.vqp "$fixtures"/session-lab/host-probe.vqp
seed fuzz_guest_trace "$fixtures"/guest-*.trace "$fixtures"/session-lab/guest.trace
seed fuzz_guest_stream "$fixtures"/guest-stream*.stream

# fuzz_ctf runs in fork mode and goes on after timeouts, OOMs and crashes, because babeltrace2 2.0.4
# itself aborts (BT_ASSERT) or loops with growing memory on some malformed packet headers (the
# `babeltrace2` CLI does the same; reproducers in fuzz/known/). Each crash is then replayed: if the
# first frame that is babeltrace2's (or libtraceevent's, for fuzz_guest_stream) or ours is theirs, it is
# reported as upstream; otherwise
# it is our bug and the run fails.
triage() {  # triage TARGET ARTIFACT -> prints "upstream" or "ours"
  local frame
  frame=$(ASAN_OPTIONS=fast_unwind_on_malloc=0 "$build/$1" "$2" 2>&1 | grep -E '^ +#[0-9]+ ' |
          grep -m1 -E 'babeltrace|libtraceevent|/analysis/(src|fuzz)/') || true
  case "$frame" in
    *babeltrace*|*libtraceevent*) echo upstream ;;
    *) echo ours ;;
  esac
}

for target in fuzz_simpletrace fuzz_probe fuzz_guest_trace fuzz_guest_stream fuzz_ctf; do
  options=(-max_total_time="$seconds" -timeout=10 -print_final_stats=1 -seed="$random_seed")
  case $target in
    fuzz_ctf) options+=(-fork=1 -ignore_timeouts=1 -ignore_ooms=1 -ignore_crashes=1 -rss_limit_mb=2048 -timeout=3) ;;
    # libtraceevent 1.7.1 leaks inside tep_parse_event() on some malformed format files (fuzz/known/)
    fuzz_guest_stream) options+=(-fork=1 -ignore_crashes=1) ;;
  esac
  echo "fuzz: $target for ${seconds}s (corpus $build/corpus-$target)"
  # In fork mode libFuzzer exits non-zero after ignored crashes: fuzz_ctf is judged by the triage.
  if ! "$build/$target" "${options[@]}" \
       -artifact_prefix="$build/artifacts/$target-" "$build/corpus-$target" > "$build/$target.log" 2>&1 &&
     [ $target != fuzz_ctf ] && [ $target != fuzz_guest_stream ]; then
    echo "fuzz: $target FAILED; see $build/$target.log and $build/artifacts/"
    grep -m5 -E 'ERROR|SUMMARY' "$build/$target.log"
    status=1
  fi
  grep -E '^stat::(number_of_executed_units|peak_rss_mb|new_units_added)|^#[0-9]+: cov' "$build/$target.log" |
    tail -n 3 | tr '\n' ' '
  echo
  for artifact in "$build/artifacts/$target-"*; do
    [ -e "$artifact" ] || continue
    case "$artifact" in
      *-timeout-*|*-oom-*|*-slow-unit-*) echo "  $artifact: babeltrace2 did not finish (upstream, ignored)" ;;
      *)
        verdict=$(triage "$target" "$artifact")
        echo "  $artifact: crash, $verdict"
        [ "$verdict" = ours ] && status=1
        ;;
    esac
  done
done
exit $status
