#!/usr/bin/env bash
# The benchmark harness: builds what it measures, makes its Python venv (matplotlib and onnx, and
# EZKL 23 where the peer runs) and runs benchmarking/compare.py.
#
#   benchmarking/run.sh compare [MODEL ...] [--runs N] [--systems ours ezkl] [--no-readme]
#   benchmarking/run.sh scaling [--runs N] [--systems ours ezkl]
#   benchmarking/run.sh corpus [--max-k K] [--timeout S]
#   benchmarking/run.sh chain
#   benchmarking/run.sh smoke      (the test command's check: one tiny model, ours only)
#
# compare and scaling measure a release build of `zkml`; smoke and chain use the test command's
# build. The venv is kept at $ZKML_BENCH_VENV (default ~/.cache/hauptbuch-zkml/bench-venv).
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"

COMMAND="${1:-}"
PACKAGES=(matplotlib onnx numpy)
case "$COMMAND" in
  compare | scaling | corpus)
    say "building zkml (release)"
    cargo build --release --locked -p zkml-cli --bin zkml
    ZKML="$CARGO_TARGET_DIR/release/zkml"
    [ "$COMMAND" = corpus ] || PACKAGES+=("ezkl==23.*")
    ;;
  smoke | chain)
    say "building (the test command's build)"
    cargo test --workspace --locked --features pallet-zkml/runtime-benchmarks --no-run --quiet
    ZKML="$CARGO_TARGET_DIR/debug/zkml"
    ;;
  *) die "usage: benchmarking/run.sh compare|scaling|corpus|chain|smoke [ARGS]" ;;
esac

[ -x /usr/bin/time ] || apt_install time
VENV="${ZKML_BENCH_VENV:-$HOME/.cache/hauptbuch-zkml/bench-venv}"
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || apt_install python3-venv
[ -x "$VENV/bin/python" ] || { say "creating the venv $VENV"; python3 -m venv "$VENV"; }
say "venv packages: ${PACKAGES[*]}"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "${PACKAGES[@]}"

exec "$VENV/bin/python" "$ROOT/benchmarking/compare.py" --zkml "$ZKML" --ezkl-python "$VENV/bin/python" \
  --budget "$CARGO_TARGET_DIR/debug/examples/verification_budget" "$@"
