#!/usr/bin/env bash
# The main job: builds the node and the `zkml` CLI, starts a development chain whose node proves
# inference requests for the demo model (1l_mlp), sends one request as a dApp (Bob) and prints the
# verified result, then keeps the chain running until Ctrl-C.
#
#   ./scripts/dev-chain.sh            a fresh chain (state in a temporary directory)
#   ZKML_CHAIN_DIR=DIR ./scripts/dev-chain.sh    keep the chain's state in DIR
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

# The test command's own build (`cargo build` would resolve features without dev-dependencies and
# build everything a second time); it leaves the node and the CLI in the target directory.
say "building hauptbuch-node and zkml"
cargo test --workspace --locked --features pallet-zkml/runtime-benchmarks --no-run
NODE="$CARGO_TARGET_DIR/debug/hauptbuch-node"
ZKML="$CARGO_TARGET_DIR/debug/zkml"
RPC_PORT="${ZKML_RPC_PORT:-9944}"
URL="ws://127.0.0.1:$RPC_PORT"

if [ -n "${ZKML_CHAIN_DIR:-}" ]; then
  BASE=(--base-path "$ZKML_CHAIN_DIR")
else
  BASE=(--tmp)
fi
LOG="${TMPDIR:-/tmp}/hauptbuch-node.log"
say "starting the development chain (log: $LOG)"
"$NODE" --dev "${BASE[@]}" --rpc-port "$RPC_PORT" --rpc-cors all >"$LOG" 2>&1 &
NODE_PID=$!
trap 'kill $NODE_PID 2>/dev/null; wait $NODE_PID 2>/dev/null' EXIT INT TERM

for _ in $(seq 1 120); do
  kill -0 "$NODE_PID" 2>/dev/null || { tail -n 30 "$LOG" >&2; die "the node stopped: see $LOG"; }
  "$ZKML" chain --url "$URL" model 0 >/dev/null 2>&1 && break
  sleep 1
done
"$ZKML" chain --url "$URL" model 0 >/dev/null || die "the node's RPC at $URL did not come up: see $LOG"

say "the demo model on chain"
"$ZKML" chain --url "$URL" model 0
say "Bob requests an inference of model 0 and waits for the verified result"
"$ZKML" chain --url "$URL" --suri //Bob request 0 --input "$ROOT/runtime/demo/1l_mlp.input.json"
say "the float reference for comparison (tract)"
"$ZKML" run "$ROOT/runtime/demo/1l_mlp/network.onnx" --input "$ROOT/runtime/demo/1l_mlp.input.json"

cat <<INFO

The chain is running (node log: $LOG). From another terminal:

  send a request:  $ZKML chain --url $URL --suri //Bob request 0 --input $ROOT/runtime/demo/1l_mlp.input.json
  show it:         $ZKML chain --url $URL show REQUEST_ID
  the model:       $ZKML chain --url $URL model 0
  prove yourself:  $ZKML chain --url $URL --suri //Bob binding    (then zkml prove ... --binding HEX; zkml chain submit PROOF.json --model 0)

Watch it in polkadot.js apps: https://polkadot.js.org/apps/?rpc=$URL#/explorer
(Network > Explorer shows Zkml.InferenceRequested and Zkml.InferenceVerified events; Developer >
Chain state > zkml queries models, requests and results.) Prometheus metrics of the prover:
http://127.0.0.1:9615/metrics (zkml_prover_*).

Ctrl-C stops the chain.
INFO
wait "$NODE_PID"
