#!/bin/sh
# The whole test suite: installs what it needs, builds, runs every test (unit, integration on
# images the tests build themselves, the appliance tests, conformance with libguestfs 1.48's
# outputs when ../shared/fixtures is present), checks formatting and lints.
set -eu
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

cargo build --release --workspace --all-targets
cargo test --release --workspace
cargo fmt --all -- --check
cargo clippy --release --workspace --all-targets -- -D warnings
# The fuzz targets must keep compiling (they are run with cargo fuzz, see fuzz/README.md).
cargo check --manifest-path fuzz/Cargo.toml --quiet

if [ -d ../shared/fixtures/expected ]; then
  ../shared/bin/parity target/release/virt-tools | tail -n 1 || true
else
  echo "NOTE: ../shared/fixtures/expected is absent: parity with libguestfs 1.48 was not measured"
fi
