#!/usr/bin/env python3
"""Writes a family of MLPs of growing width and depth as ONNX models with an EZKL-style input.json.

    mlp_family.py OUT_DIR [--widths 2 8 24] [--depths 2] [--seed 7]

Each model is Gemm → Relu → … → Gemm on a [1, width] input, with deterministic weights drawn from
`--seed`, written to OUT_DIR/mlp_w{width}_d{depth}/{network.onnx,input.json}. The pallet's
benchmark fixtures and the scaling benchmarks use them: their instance count (1 + 2·width + 1) and
circuit size grow with the width.
"""
import argparse
import json
import pathlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def mlp(width: int, depth: int, rng: np.random.Generator) -> onnx.ModelProto:
    nodes, initializers = [], []
    current = "input"
    for layer in range(depth):
        w = (rng.uniform(-1, 1, size=(width, width)) / np.sqrt(width)).astype(np.float32)
        b = rng.uniform(-0.1, 0.1, size=(width,)).astype(np.float32)
        initializers += [numpy_helper.from_array(w, f"w{layer}"), numpy_helper.from_array(b, f"b{layer}")]
        out = "output" if layer == depth - 1 else f"h{layer}"
        gemm_out = out if layer == depth - 1 else f"g{layer}"
        nodes.append(helper.make_node("Gemm", [current, f"w{layer}", f"b{layer}"], [gemm_out], transB=1))
        if layer < depth - 1:
            nodes.append(helper.make_node("Relu", [gemm_out], [out]))
        current = out
    graph = helper.make_graph(
        nodes,
        f"mlp_w{width}_d{depth}",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, width])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, width])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=pathlib.Path)
    parser.add_argument("--widths", type=int, nargs="+", default=[2, 8, 24])
    parser.add_argument("--depths", type=int, nargs="+", default=[2])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for depth in args.depths:
        for width in args.widths:
            rng = np.random.default_rng([args.seed, width, depth])
            directory = args.out / f"mlp_w{width}_d{depth}"
            directory.mkdir(parents=True, exist_ok=True)
            onnx.save(mlp(width, depth, rng), directory / "network.onnx")
            data = rng.uniform(-1, 1, size=width).round(4).tolist()
            (directory / "input.json").write_text(json.dumps({"input_data": [data]}))
            print(directory)


if __name__ == "__main__":
    main()
