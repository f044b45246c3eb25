//! Where the shared model corpus lives, for tests, benchmarks and the demo.

use std::path::PathBuf;

/// The corpus directory: `$ZKML_CORPUS`, or `shared/models/ezkl-examples` beside the checkout.
pub fn dir() -> PathBuf {
    std::env::var_os("ZKML_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/models/ezkl-examples")))
}

/// One corpus model's directory (holding `network.onnx` and `input.json`).
pub fn model(name: &str) -> PathBuf {
    dir().join(name)
}

/// Corpus models that together lay out every operator family, for the adversarial checks
/// ([`zkml_circuit::circuit::mutation`]): linear layers and convolutions (`1l_mlp`, `1l_conv`), ReLU and
/// rescales with a sigmoid lookup (`2l_relu_sigmoid_small`), softmax (`1l_softmax`), division
/// (`1l_eltwise_div`), max pooling (`1l_max_pool`), ArgMax (`hard_max`), TopK (`1l_topk`),
/// comparisons and selection (`1l_where`), booleans (`boolean`), integer inputs and division
/// (`integer_div`), gathers and scatters at computed indices (`gather_elements`,
/// `scatter_elements`), products of two activations (`1l_var`) and a decision tree
/// (`decision_tree`).
pub const OPERATOR_FAMILIES: [&str; 15] = [
    "1l_mlp",
    "1l_conv",
    "2l_relu_sigmoid_small",
    "1l_softmax",
    "1l_eltwise_div",
    "1l_max_pool",
    "hard_max",
    "1l_topk",
    "1l_where",
    "boolean",
    "integer_div",
    "gather_elements",
    "scatter_elements",
    "1l_var",
    "decision_tree",
];
