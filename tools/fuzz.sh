#!/usr/bin/env bash
# Runs each cargo-fuzz target for FUZZ_SECONDS (default 600) on one core, from the committed
# seeds (fuzz/seeds/<target>) and the corpus grown by earlier runs (fuzz/corpus, ignored).
# A crash fails the run; its input is in fuzz/artifacts/<target>/: add it to
# fuzz/regressions/<target>/ once fixed, where `make test` replays it. One line a target
# goes to results/fuzz.txt: executions, seconds, corpus size, crashes.
#   tools/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(router query_cookies json_parse schema json_encode)
export PATH="$PWD/.tools/bin:$PATH"
mkdir -p results
summary=results/fuzz.txt
echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD) ${seconds}s per target" >>"$summary"
status=0
for target in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$target"
  log="results/fuzz-$target.log"
  if cargo +nightly fuzz run --fuzz-dir fuzz "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    verdict="0 crashes"
  else
    verdict="CRASH (see $log and fuzz/artifacts/$target/)"
    status=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  corpus=$(find "fuzz/corpus/$target" -type f | wc -l)
  line="$target: $runs executions in ${seconds}s, corpus $corpus inputs, $verdict"
  echo "$line" | tee -a "$summary"
done
exit $status
