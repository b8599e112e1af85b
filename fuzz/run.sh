#!/bin/sh
# Runs the fuzz targets for a bounded time each and prints, per target, how many inputs were
# executed and what was found. Seeds come from make-seeds.sh (images made by the real tools).
#
# usage: fuzz/run.sh [TARGET] [SECONDS]
#   TARGET   one target, or `all` (the default): every target in Cargo.toml
#   SECONDS  time per target (default 60)
# environment:
#   RUNS=N          stop a target after N executions instead (SECONDS still bounds it)
#   JOBS=N          parallel fuzzing processes per target (default 1)
#   SANITIZER=none  build without AddressSanitizer (about twice the executions per second;
#                   allocations over the limit are then caught by RSS only)
#   SEEDS=no        reuse the corpus as it is, without making seeds
#
# Every input is limited to allocations of 256 MiB and 10 s, the whole process to 1 GiB (the
# fuzzer's corpus and AddressSanitizer's quarantine of freed memory count there too; the
# quarantine is kept to 64 MiB). A crash, an allocation over the limit, an out-of-memory or a
# timeout is kept in artifacts/TARGET/ and counted as a finding. The exit status is 1 when
# anything was found.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
target=${1:-all}
seconds=${2:-60}
sanitizer=${SANITIZER:-address}
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --help >/dev/null 2>&1; then
  echo "run.sh: installing cargo-fuzz" >&2
  cargo install --locked cargo-fuzz >&2
fi

targets=$(sed -n 's/^name = "\(.*\)"/\1/p' Cargo.toml | grep -v '^virt-tools-fuzz$')
if [ "$target" != all ]; then
  echo "$targets" | grep -qx "$target" || { echo "run.sh: no fuzz target '$target'" >&2; exit 1; }
  targets=$target
fi

if [ "${SEEDS:-yes}" != no ]; then
  # shellcheck disable=SC2086
  sh ./make-seeds.sh $targets
fi
cargo fuzz build -O -s "$sanitizer" >&2

logs="$here/artifacts/logs"
mkdir -p "$logs"
status=0
printf '%-16s %8s %14s %10s %s\n' target seconds executions exec/s findings
for t in $targets; do
  mkdir -p "corpus/$t" "artifacts/$t"
  before=$(find "artifacts/$t" -maxdepth 1 -type f | wc -l)
  start=$(date +%s)
  # libFuzzer's -jobs mode writes each worker's output to fuzz-N.log: gathered below.
  parallel=""
  [ "${JOBS:-1}" -gt 1 ] && parallel="-jobs=$JOBS -workers=$JOBS"
  # -malloc_limit_mb: the 256 MiB bound per allocation; -timeout: a hang is a finding.
  # shellcheck disable=SC2086
  ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=64}" cargo fuzz run -O -s "$sanitizer" "$t" "corpus/$t" -- \
    -max_total_time="$seconds" ${RUNS:+-runs=$RUNS} $parallel \
    -rss_limit_mb=1024 -malloc_limit_mb=256 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="artifacts/$t/" >"$logs/$t.log" 2>&1 || true
  if [ -n "$parallel" ]; then
    cat fuzz-*.log >>"$logs/$t.log" 2>/dev/null || true
    rm -f fuzz-*.log
  fi
  # The time libFuzzer itself reports ("Done N runs in S second(s)"): cargo may have rebuilt
  # the target first.
  fuzzed=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$logs/$t.log" | awk '{s += $1} END {print s + 0}')
  [ "$fuzzed" -gt 0 ] || fuzzed=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | awk '{s += $1} END {print s + 0}')
  found=$(($(find "artifacts/$t" -maxdepth 1 -type f | wc -l) - before))
  rate=$((execs / (fuzzed > 0 ? fuzzed : 1)))
  printf '%-16s %8s %14s %10s %s\n' "$t" "$fuzzed" "$execs" "$rate" "$found"
  [ "$found" = 0 ] || status=1
done
exit $status
