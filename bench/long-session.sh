#!/usr/bin/env bash
# bench/long-session.sh [--mode tcg|lab] [--level L] [--minutes M] [--short-minutes S] [-o DIR] [--reuse]
#
# What a long recording loses and what analysing it costs: records two sessions of the same timed fio
# job (workloads/xblk-randread-timed.fio, its runtime set to S minutes, then to M minutes; defaults 2
# and 30, mode tcg, level default) and prints, for each: the requests, the guest's lost events (the
# ring buffers' overrun at the end, and pages that flag missed events), whether the guest's stream
# ended cleanly, the host probes' dropped records, the files' sizes, and the analyzer's peak RSS and
# wall and CPU time on it (GNU time), then the long one's RSS and time over the short one's. The two rows
# side by side are the figures of issue 12 (a 30-minute session loses nothing) and issue 13 (the
# analyzer's memory does not grow with the session's length: its streaming core, passes A-E of
# analysis/STREAMING.md, the default for a report without rows). The batch steps (VQSCOPE_CORE=batch,
# whose memory grows with the session) and the streaming alignment's passes alone (A-D and the offset:
# analysis/.build/bench_stream_align) are measured beside it. --reuse: DIR's sessions, recorded by an earlier run,
# are analysed again instead of recorded (what an analyzer change costs, on the same sessions). A
# benchmark: it prints figures, asserts nothing. Needs the tree built.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mode=tcg level=default minutes=30 short=2 out="" reuse=0
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) mode=${2:?}; shift 2 ;;
    --level) level=${2:?}; shift 2 ;;
    --minutes) minutes=${2:?}; shift 2 ;;
    --short-minutes) short=${2:?}; shift 2 ;;
    -o) out=${2:?}; shift 2 ;;
    --reuse) reuse=1; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "long-session: unknown option '$1' (--help)" >&2; exit 2 ;;
  esac
done
for n in "$minutes" "$short"; do
  [[ $n =~ ^[0-9]+$ ]] && [ "$n" -gt 0 ] || { echo "long-session: minutes are positive integers, not '$n'" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "long-session: needs GNU time, /usr/bin/time (scripts/deps.sh installs it)" >&2; exit 2; }
[ $reuse = 0 ] || [ -n "$out" ] || { echo "long-session: --reuse needs -o DIR (an earlier run's)" >&2; exit 2; }
out=${out:-$top/results/bench/long-session-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
rows=()
declare -A rss cpu pass_rss batch_rss batch_cpu
for m in "$short" "$minutes"; do
  s=$out/session-${m}min
  if [ $reuse = 1 ]; then
    [ -d "$s" ] || { echo "long-session: --reuse: no $s" >&2; exit 2; }
  else
    sed "s/^runtime=.*/runtime=$((m * 60))/" "$top/workloads/xblk-randread-timed.fio" > "$out/job-${m}min.fio"
    echo "[long-session $(date +%T)] recording ${m} min ($mode, level $level) -> $s" >&2
    "$top/bin/vqscope" record --mode "$mode" --level "$level" --workload "$out/job-${m}min.fio" \
      --timeout $((m * 60 + 600)) -o "$s" >&2 || echo "[long-session] the recording of ${m} min ended non-zero" >&2
  fi
  echo "[long-session $(date +%T)] analysing ${m} min" >&2
  /usr/bin/time -f '%M %e %U' -o "$out/time-${m}min.txt" "$top/analysis/vqscope-analyze" "$s" --format json \
    > "$out/report-${m}min.json" 2> "$out/analyze-${m}min.log" || echo "[long-session] the analyzer failed: $out/analyze-${m}min.log" >&2
  read -r rss_kb seconds user < "$out/time-${m}min.txt"
  rss[$m]=$rss_kb cpu[$m]=$user
  echo "[long-session $(date +%T)] the batch steps on ${m} min" >&2
  VQSCOPE_CORE="batch" /usr/bin/time -f '%M %e %U' -o "$out/time-batch-${m}min.txt" "$top/analysis/vqscope-analyze" "$s" \
    --format json > "$out/report-batch-${m}min.json" 2> /dev/null || echo "[long-session] the batch steps failed" >&2
  read -r batch_kb _ batch_user < "$out/time-batch-${m}min.txt"
  batch_rss[$m]=$batch_kb batch_cpu[$m]=$batch_user
  cmp -s "$out/report-${m}min.json" "$out/report-batch-${m}min.json" \
    || echo "[long-session] the streaming core's report differs from the batch steps' on ${m} min" >&2
  echo "[long-session $(date +%T)] the streaming alignment's passes alone on ${m} min" >&2
  /usr/bin/time -f '%M' -o "$out/time-stream-${m}min.txt" "$top/analysis/.build/bench_stream_align" "$s" \
    > "$out/stream-${m}min.txt" 2>&1 || echo "[long-session] bench_stream_align failed: $out/stream-${m}min.txt" >&2
  pass_rss[$m]=$(cat "$out/time-stream-${m}min.txt")
  guest=$("$top/analysis/vqscope-tracedump" guest "$s/guest.stream" --count 2> /dev/null | tail -1 || true)
  drops=$("$top/probes/vqscope-probe-dump" "$s/host-probe.vqp" 2> /dev/null | sed -n 's/^summary: drops //p' || true)
  overrun=$(sed -n 's/^# overrun: //p' "$s/guest.trace" 2> /dev/null || true)
  requests=$(python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))["requests"]; print("%d/%d" % (r["stitched"], r["guest"]))' \
             "$out/report-${m}min.json" 2> /dev/null || echo "?")
  sizes=$(du -sh "$s/guest.stream" "$s/qemu.simpletrace" "$s/host-probe.vqp" 2> /dev/null | awk '{printf "%s ", $1}')
  rows+=("$(printf '%5s min  %15s  %7s  %-40s  %6s  %-22s  %8.0f MB  %7.1f s  %7.1f s' "$m" "$requests" \
           "${overrun:-?}" "$(sed -E 's/^# guest [^:]*: //; s/ status=ok//' <<< "$guest")" "${drops:-?}" "$sizes" \
           "$(awk -v k="$rss_kb" 'BEGIN { print k / 1024 }')" "$seconds" "$user")")
done
echo
echo "long sessions, mode $mode, level $level ($(date -I)); files: $out"
printf '%9s  %15s  %7s  %-40s  %6s  %-22s  %11s  %9s  %9s\n' session stitched/guest overrun "guest stream" drops \
  "stream/qemu/probe size" "analyze RSS" "wall" "CPU"
printf '%s\n' "${rows[@]}"
awk -v a="${rss[$minutes]}" -v b="${rss[$short]}" -v c="${cpu[$minutes]}" -v d="${cpu[$short]}" -v m="$minutes" -v s="$short" \
  'BEGIN { printf "%s min / %s min: analyze RSS %.2fx (issue 13 asks <= 1.10x), CPU %.2fx\n", m, s, a / b, (d > 0 ? c / d : 0) }'
awk -v a="${batch_rss[$minutes]}" -v b="${batch_rss[$short]}" -v c="${batch_cpu[$minutes]}" -v d="${batch_cpu[$short]}" \
  -v m="$minutes" -v s="$short" 'BEGIN { printf "the batch steps (VQSCOPE_CORE=batch): %.1f MB (%s min), %.1f MB (%s min): %.2fx; CPU %.1f s, %.1f s\n", b / 1024, s, a / 1024, m, a / b, d, c }'
awk -v a="${pass_rss[$minutes]}" -v b="${pass_rss[$short]}" -v m="$minutes" -v s="$short" \
  'BEGIN { printf "the streaming passes A-D alone: %.1f MB (%s min), %.1f MB (%s min): %.2fx\n", b / 1024, s, a / 1024, m, a / b }'
