#!/usr/bin/env bash
# Fuzzes the native host functions (`verify_halo2`, `falcon512_verify`) with cargo-fuzz and
# libFuzzer, seeded with the benchmark fixtures' settings, keys, proofs and signatures (see
# fuzz/README.md). Not part of test.sh: it needs a nightly toolchain and a build of its own.
#
#   scripts/fuzz.sh [RUNS [TARGET...]]
#
# RUNS executions per target (default 1,000,000; ZKML_FUZZ_RUNS also sets it), all targets unless
# named. ZKML_FUZZ_TIMEOUT is the per-input limit in seconds (default 10: a slower input is a hang).
# Corpora grow in fuzz/corpus/TARGET, crash reproducers land in fuzz/artifacts/TARGET, and each
# run's log, ending with libFuzzer's final statistics, in fuzz/logs/TARGET.log.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

RUNS="${1:-${ZKML_FUZZ_RUNS:-1000000}}"
shift $(($# > 0 ? 1 : 0))
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(verify_halo2 falcon512_verify)
TIMEOUT="${ZKML_FUZZ_TIMEOUT:-10}"
# A build of its own (sanitizer-coverage instrumentation, nightly): it shares nothing with the
# project's target directory.
export CARGO_TARGET_DIR="${ZKML_FUZZ_TARGET_DIR:-$HOME/.cache/hauptbuch-zkml/fuzz-target}"

rustup run nightly rustc --version >/dev/null 2>&1 || {
  say "installing the nightly toolchain (cargo-fuzz needs it)"
  rustup toolchain install nightly --profile minimal
}
command -v cargo-fuzz >/dev/null 2>&1 || {
  say "installing cargo-fuzz"
  cargo +nightly install cargo-fuzz --locked
}

cd "$ROOT/fuzz"
# No sanitizer: the code under test is safe Rust (and Falcon's C, which cargo-fuzz's ASan would not
# instrument), and ASan would halve the executions. Debug assertions and overflow checks on.
BUILD=(--release --debug-assertions --sanitizer none)
say "building the fuzz targets"
cargo +nightly fuzz build "${BUILD[@]}"
BIN="$CARGO_TARGET_DIR/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"
say "writing seeds from pallets/zkml/src/fixtures/mlp_family.scale"
"$BIN/write_seeds" seeds

mkdir -p logs
for target in "${TARGETS[@]}"; do
  say "fuzzing $target: $RUNS executions, ${TIMEOUT}s per input"
  mkdir -p "corpus/$target" "artifacts/$target"
  # The binary of the build that wrote the seeds (`cargo fuzz run` would rebuild it if the
  # fixtures changed since, and then refuse the seeds as inputs it may not accept). New inputs go
  # to the first directory, the corpus; the seeds are read only.
  "$BIN/$target" -artifact_prefix="artifacts/$target/" -runs="$RUNS" -timeout="$TIMEOUT" -print_final_stats=1 \
    "corpus/$target" "seeds/$target" 2>&1 | tee "logs/$target.log"
  say "$target: $(grep -E '^#[0-9]+[[:space:]]+DONE' "logs/$target.log" | tail -1)"
done
