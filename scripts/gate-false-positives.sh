#!/usr/bin/env bash
# How often does the gate raise a false regression? Runs `xdpbench ab` on two
# identical builds RUNS times and counts the verdicts (docs/xdpbench.md,
# "False regressions"). Usage: scripts/gate-false-positives.sh [RUNS] [BUILD_DIR] [-- run options]
set -euo pipefail
runs=${1:-20}
build=${2:-build}
shift $(( $# < 2 ? $# : 2 ))
[ "${1:-}" = "--" ] && shift
run_args=("$@")
[ ${#run_args[@]} -eq 0 ] && run_args=(--hook=xdp-native --duration=0.5 --warmup=0.2)
pass=0 regression=0 other=0
for i in $(seq "$runs"); do
  set +e
  "$build/bench/xdpbench" ab --a="$build" --b="$build" --pairs=9 --threshold=5% -- "${run_args[@]}" \
    > "/tmp/xdpbench-fp-$i.txt" 2>&1
  rc=$?
  set -e
  case $rc in
    0) pass=$((pass + 1)) ;;
    1) regression=$((regression + 1)); grep -E "regression$" "/tmp/xdpbench-fp-$i.txt" || true ;;
    *) other=$((other + 1)); tail -3 "/tmp/xdpbench-fp-$i.txt" ;;
  esac
  echo "run $i: exit $rc"
  rm -f "/tmp/xdpbench-fp-$i.txt"
done
echo "identical builds, $runs ab runs of 9 pairs (threshold 5%): $pass pass, $regression false regression, $other other"
