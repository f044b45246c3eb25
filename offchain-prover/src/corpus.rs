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
