#!/usr/bin/env bash
# The test command: formatting, clippy (-D warnings) on the project's crates, and the whole
# test suite. Installs what is missing first.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

say "cargo fmt --check"
cargo fmt --all -- --check
# The pallet's benchmarks (and the weight generator) are tests too: one feature set for clippy and
# tests, so the workspace is built once.
FEATURES=(--features pallet-zkml/runtime-benchmarks)
say "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked "${FEATURES[@]}" -- -D warnings
say "cargo test"
cargo test --workspace --locked "${FEATURES[@]}"
# The on-chain crates must build for the wasm runtime: no_std, without their native verifiers.
say "cargo check (wasm32, no_std): pallet-zkml, zkml-primitives"
RUSTFLAGS="--cfg substrate_runtime" cargo check --locked --target wasm32-unknown-unknown \
  --target-dir "$CARGO_TARGET_DIR/wasm-check" --no-default-features --features runtime-benchmarks -p pallet-zkml
say "all tests passed"
