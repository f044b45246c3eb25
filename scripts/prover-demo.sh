#!/usr/bin/env bash
# The prover alone, end to end on one corpus model (default 1l_mlp): float reference, compile,
# key setup with the insecure dev SRS, prove, verify. Every figure it prints is computed by this run.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

MODEL="${1:-1l_mlp}"
say "building zkml (release)"
cargo build --release --locked -p zkml-cli --bin zkml
ZKML="$CARGO_TARGET_DIR/release/zkml"
WORK="${ZKML_DEMO_DIR:-$HOME/.cache/hauptbuch-zkml/demo}/$MODEL"
rm -rf "$WORK" && mkdir -p "$WORK"
ONNX="$ZKML_CORPUS/$MODEL/network.onnx"
INPUT="$ZKML_CORPUS/$MODEL/input.json"

say "float reference (tract)"
"$ZKML" run "$ONNX" --input "$INPUT"
say "compile"
"$ZKML" compile "$ONNX" --input "$INPUT" --out "$WORK"
say "setup (insecure dev SRS)"
"$ZKML" setup "$WORK" --dev-srs
say "prove"
"$ZKML" prove "$WORK" --input "$INPUT" --out "$WORK/proof.json" --binding 0x2a
say "verify"
"$ZKML" verify "$WORK" "$WORK/proof.json"
say "artifacts and proof in $WORK"
