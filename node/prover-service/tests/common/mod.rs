//! What the service's tests share: a job for request `request`, and waiting for its end.

use std::time::{Duration, Instant};

use zkml_primitives::{binding, BindingContext, JobStatus, ProverService, ProvingJob};
use zkml_prover_service::ProverNode;

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
