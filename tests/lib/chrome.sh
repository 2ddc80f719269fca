# Headless Chromium for the dashboard tests (sourced by tests/integration/80-dashboard, 82-dashboard-ab,
# 75-record-queues-tcg).
chrome() {  # chrome LOG ARGS...: headless Chromium, console messages in LOG
  local log=$1 profile rc=0; shift
  profile=$(mktemp -d)
  timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$profile" \
    --enable-logging=stderr --v=0 "$@" 2>"$log" || rc=$?
  rm -rf "$profile"
  return $rc
}
