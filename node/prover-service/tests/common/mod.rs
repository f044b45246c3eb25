//! What the service's tests share: the demo model, a job for a request, and waiting for its end.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use zkml_primitives::{binding, BindingContext, JobStatus, ProverService, ProvingJob};
use zkml_prover::{InputData, SrsSource};
use zkml_prover_service::ProverNode;

/// 1l_mlp compiled and keyed (development SRS) into `dir/1l_mlp`: that directory, and the
/// calibration input as the chain holds it, fixed-point integers.
pub fn demo_model(dir: &Path) -> (PathBuf, Vec<i64>) {
    let model_dir = dir.join("1l_mlp");
    let corpus = zkml_prover::corpus::model("1l_mlp");
    let input = InputData::load(&corpus.join("input.json")).unwrap();
    zkml_prover::compile(&corpus.join("network.onnx"), &input, &model_dir).unwrap();
    let settings = zkml_prover::setup(&model_dir, SrsSource::Dev).unwrap();
    let scale = settings.quantization.scale;
    let input = input.input_data[0].iter().map(|&v| zkml_circuit::quantize::quantize(v, scale).unwrap()).collect();
    (model_dir, input)
}

/// A job for `request` of the model with `vk_hash`, bound to the request and a fixed prover.
pub fn job(vk_hash: [u8; 32], request: u64, input: Vec<i64>) -> ProvingJob {
    ProvingJob {
        request,
        vk_hash,
        input,
        binding: binding(BindingContext::Request(request), b"prover"),
        genesis_hash: vec![7; 32],
    }
}

/// The status of `request` once it is no longer proving (or after two minutes).
pub fn wait(node: &ProverNode, request: u64) -> JobStatus {
    let start = Instant::now();
    loop {
        match node.status(request) {
            JobStatus::Proving if start.elapsed() < Duration::from_secs(120) => {
                std::thread::sleep(Duration::from_millis(20))
            }
            status => return status,
        }
    }
}
