#!/usr/bin/env bash
# The test command: formatting, clippy (-D warnings) on the project's crates, and the whole
# test suite. Installs what is missing first.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
say "cargo test"
cargo test --workspace --locked
say "all tests passed"
