#!/usr/bin/env bash
# Regenerates pallets/zkml/src/weights.rs with the node's `benchmark pallet` command: the pallet's
# benchmarks run in the runtime's wasm, halo2 and Falcon-512 verification in the node's native
# host functions, as on a chain. The dev profile builds all of that optimised (see Cargo.toml; the
# runtime's wasm is always a release build), so this shares the test build's dependencies.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

# frame-benchmarking-cli carries a parachain test runtime for `benchmark storage --mode
# validate-block`, which a solochain node has no use for (the node refuses that mode), and whose
# wasm build cannot find itself in this workspace's metadata.
export SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1
say "building hauptbuch-node with runtime benchmarks"
cargo build --locked -p hauptbuch-node --features runtime-benchmarks
# `max` takes, for the base weight and every slope, the larger of the min-squares and the
# median-slopes fits: a proof check's cost is not quite linear in the circuit's shape, and the
# widest circuit's check must stay within what it is charged (`verification_budget` shows it).
say "benchmarking pallet_zkml"
cd "$ROOT"
"$CARGO_TARGET_DIR/debug/hauptbuch-node" benchmark pallet \
  --chain dev \
  --pallet pallet_zkml \
  --extrinsic '*' \
  --wasm-execution compiled \
  --steps "${ZKML_BENCH_STEPS:-10}" \
  --output-analysis max \
  --repeat "${ZKML_BENCH_REPEAT:-10}" \
  --template scripts/weight-template.hbs \
  --output pallets/zkml/src/weights.rs
say "wrote pallets/zkml/src/weights.rs"
