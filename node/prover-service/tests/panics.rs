//! With the node's panic hook installed, exactly as sc-cli installs it, a proving job that panics
//! fails with the panic's message, the process lives, and the same worker proves the next job.
//! This binary holds one test on purpose: the hook ends the process when any thread without an
//! `AbortGuard` panics, the test harness's own included.

use std::sync::atomic::Ordering;

use pqcrypto_falcon::falcon512;
use zkml_circuit::artifacts::ArtifactDir;
use zkml_primitives::{JobStatus, ProverService};
use zkml_prover_service::{load_models, ProverNode};

mod common;
use common::wait;

#[test]
fn a_job_that_panics_fails_and_its_worker_proves_the_next() {
    sp_panic_handler::set("https://example.invalid/zkml/issues", "test");

    let dir = tempfile::tempdir().unwrap();
    let (model_dir, input) = common::demo_model(dir.path());
    let models = load_models(dir.path()).unwrap();
    let vk_hash = *models.keys().next().unwrap();
    let node = ProverNode::new(models, 4, falcon512::keypair().1);
    node.spawn_workers(1).unwrap();
    let job = |request| common::job(vk_hash, request, input.clone());

    // The lowered graph is the operator's own artifact, read afresh for every proof, and its node
    // indices are trusted: an output past the last node panics while the circuit is laid out.
    let files = ArtifactDir(model_dir);
    let graph = files.load_graph().unwrap();
    let mut broken = graph.clone();
    broken.outputs = vec![graph.nodes.len()];
    files.save_graph(&broken).unwrap();
    assert!(node.enqueue(job(1)));
    let JobStatus::Failed(reason) = wait(&node, 1) else { panic!("the panicking job did not fail") };
    let reason = String::from_utf8(reason).unwrap();
    assert!(reason.starts_with("proving panicked: index out of bounds"), "{reason}");

    // The process lives, and the worker that ran the job proves the next one.
    files.save_graph(&graph).unwrap();
    assert!(node.enqueue(job(2)));
    assert!(matches!(wait(&node, 2), JobStatus::Proved { .. }));
    assert_eq!(node.metrics().proofs_failed.load(Ordering::Relaxed), 1);
    assert_eq!(node.metrics().proofs_done.load(Ordering::Relaxed), 1);
}
