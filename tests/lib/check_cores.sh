#!/usr/bin/env bash
# check_cores.sh SESSION [--must-stream]: the streaming core (passes A-E, analysis/STREAMING.md) against
# the batch steps on one session: vqscope-analyze's text, JSON and Prometheus reports (no rows) with
# VQSCOPE_CORE=batch and by default (the streaming core where it applies) must be byte for byte the same,
# exit status and warnings too. Prints whether the streaming core could read the session
# (VQSCOPE_CORE=streaming); --must-stream: it must. Exit 1 on a difference.
set -uo pipefail
session=${1:?usage: check_cores.sh SESSION [--must-stream]}
must=${2:-}
analyze="$(cd "$(dirname "$0")/../.." && pwd)/analysis/vqscope-analyze"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for format in text json prometheus; do
  VQSCOPE_CORE="batch" "$analyze" "$session" --format "$format" > "$work/batch" 2> "$work/batch.err"; rb=$?
  "$analyze" "$session" --format "$format" > "$work/default" 2> "$work/default.err"; rd=$?
  if [ $rb != $rd ] || ! cmp -s "$work/batch" "$work/default" || ! cmp -s "$work/batch.err" "$work/default.err"; then
    echo "check_cores: $session: the $format report differs between the batch steps (exit $rb) and the default core (exit $rd):"
    diff "$work/batch" "$work/default" | head -10
    diff "$work/batch.err" "$work/default.err" | head -5
    status=1
  fi
done
if VQSCOPE_CORE=streaming "$analyze" "$session" --format json > /dev/null 2> "$work/streaming.err"; then
  echo "check_cores: $session: the streaming core reads it; its reports are the batch's: $([ $status = 0 ] && echo yes || echo NO)"
else
  echo "check_cores: $session: the streaming core does not read it ($(tail -1 "$work/streaming.err")); the batch steps did"
  [ "$must" = --must-stream ] && status=1
fi
exit $status
