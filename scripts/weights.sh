#!/usr/bin/env bash
# Regenerates pallets/zkml/src/weights.rs by running the pallet's benchmarks (release build, native,
# on the mock runtime with the real host functions). The node's `benchmark pallet` command will
# replace this once the node exists.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

out="$ROOT/pallets/zkml/src/weights.rs"
say "running pallet-zkml's benchmarks"
ZKML_WEIGHTS_OUT="$out" cargo test --release --locked -p pallet-zkml --features runtime-benchmarks \
  --lib weights_generator -- --exact weights_generator::weights_are_generated_from_every_benchmark --nocapture
rustfmt --edition 2021 "$out"
say "wrote $out"
