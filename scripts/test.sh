#!/bin/sh
# The whole test suite: installs what it needs, builds, runs every test (unit, integration on
# images the tests build themselves, the appliance tests, conformance with libguestfs 1.48's
# outputs when ../shared/fixtures is present), checks formatting and lints. Fails when any of
# them fails, parity with 1.48 included; lists every check a test had to skip, and why.
set -eu
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

# Everything the tests write goes to one folder of this run, removed at the end (the appliance
# cache stays where libguestfs keeps it, so later runs reuse it).
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/virt-tools-test.XXXXXX")
trap 'rm -rf "$run_dir"' EXIT INT TERM
# Daemons some tests start as an unprivileged user (libvirtd as nobody) make their sockets
# in folders below this one.
chmod 0755 "$run_dir"
export LIBGUESTFS_CACHEDIR="${LIBGUESTFS_CACHEDIR:-${TMPDIR:-/var/tmp}}"
export TMPDIR="$run_dir"

cargo build --release --workspace --all-targets
# Passing tests' output is shown too (--show-output), so the SKIP lines they print reach the
# log and the summary below.
# --no-fail-fast: one run reports every failing test, not only those of the first test binary.
# (set -e would end the group at a failing cargo test, before its status is recorded.)
{ rc=0; cargo test --release --workspace --no-fail-fast -- --show-output 2>&1 || rc=$?; echo "$rc" >"$run_dir/test.rc"; } \
  | tee "$run_dir/test.log"
skipped=$(grep -E '^SKIP' "$run_dir/test.log" | sort | uniq -c || true)
if [ -n "$skipped" ]; then
  echo "== checks skipped by the tests (count, reason):"
  echo "$skipped"
fi
[ "$(cat "$run_dir/test.rc")" = 0 ] || { echo "test.sh: cargo test failed"; exit 1; }

cargo fmt --all -- --check
cargo clippy --release --workspace --all-targets -- -D warnings
# The fuzz targets must keep compiling (they are run with cargo fuzz, see fuzz/README.md).
cargo check --manifest-path fuzz/Cargo.toml --quiet

if [ -d ../shared/fixtures/expected ]; then
  PARITY_DIR="$run_dir/parity" ../shared/bin/parity target/release/virt-tools >"$run_dir/parity.log" \
    || { cat "$run_dir/parity.log"; echo "test.sh: parity with libguestfs 1.48 failed"; exit 1; }
  tail -n 1 "$run_dir/parity.log"
else
  echo "NOTE: ../shared/fixtures/expected is absent: parity with libguestfs 1.48 was not measured"
fi
