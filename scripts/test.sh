#!/usr/bin/env bash
# The test command: formatting, clippy (-D warnings) on the project's crates, and the whole
# test suite. Installs what is missing first.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

say "cargo fmt --check"
cargo fmt --all -- --check
# The pallet's benchmarks are tests too: one feature set for clippy and
# tests, so the workspace is built once.
FEATURES=(--features pallet-zkml/runtime-benchmarks)
say "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked "${FEATURES[@]}" -- -D warnings
# The runtime's build script compiles pallet-zkml and zkml-primitives for wasm (no_std, without
# their native verifiers), so the on-chain crates are checked for the wasm runtime here too.
say "cargo test"
cargo test --workspace --locked "${FEATURES[@]}"
# The benchmark harness on one tiny model (it checks the harness, not the figures).
say "benchmark harness (smoke)"
"$ROOT/benchmarking/run.sh" smoke
say "all tests passed"
