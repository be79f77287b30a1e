#!/usr/bin/env bash
# Runs every fuzz target for a fixed time on its seed corpus (corpus/<target>,
# every input of which is run first: the regression cases) and prints the
# runs each made. Exits non-zero when any target finds a crash, a leak, a
# hang or a broken expectation; the input is saved as ARTIFACTS/<target>-...
#
#   tests/fuzz/run.sh [BUILD_DIR] [SECONDS_PER_TARGET] [GROWN_CORPUS_DIR]
#
# BUILD_DIR is a tree configured with -DXB_FUZZ=ON (default build-fuzz); the
# grown corpora go to GROWN_CORPUS_DIR/<target> (default: a temporary
# directory, removed afterwards). The seeds in the repository are only read.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build-fuzz}" && pwd)
seconds=${2:-30}
artifacts=$build/fuzz-artifacts
mkdir -p "$artifacts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
grown=${3:-$scratch}
targets=(fuzz_rules fuzz_packet fuzz_topology fuzz_profile fuzz_results)

failed=0
summary=""
for t in "${targets[@]}"; do
  mkdir -p "$grown/$t"
  log=$scratch/$t.log
  echo "== $t: ${seconds}s"
  # -timeout: one input running 10 s is a hang; -rss_limit_mb: 2 GB is a
  # blow-up (a rule file of a few kB compiles in well under 100 MB)
  dict=()
  [[ -f $here/dict/$t.dict ]] && dict=(-dict="$here/dict/$t.dict")
  if "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       "${dict[@]}" -artifact_prefix="$artifacts/$t-" "$grown/$t" "$here/corpus/$t" >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed=1
    grep -v '^#[0-9]' "$log" | tail -60
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  summary+=$(printf '%-14s %-7s %12s runs  %s' "$t" "$status" "${runs:-?}" "$cov")$'\n'
done
echo "== fuzzing, ${seconds}s per target"
printf '%s' "$summary"
exit $failed
