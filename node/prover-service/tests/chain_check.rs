//! The service proves the chain's integers as they are, and reports proved only what the chain's
//! verifier accepts for the instances the chain builds.

use pqcrypto_falcon::falcon512;
use zkml_primitives::{JobStatus, ProverService};
use zkml_prover_service::{load_models, Model, ProverNode};

mod common;
use common::{job, wait};

struct Setup {
    models: std::collections::HashMap<[u8; 32], Model>,
    vk_hash: [u8; 32],
    /// The calibration input, as the chain holds it: fixed-point integers.
    input: Vec<i64>,
    _dir: tempfile::TempDir,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let (_, input) = common::demo_model(dir.path());
    let models = load_models(dir.path()).unwrap();
    let vk_hash = *models.keys().next().unwrap();
    Setup { models, vk_hash, input, _dir: dir }
}

fn service(models: std::collections::HashMap<[u8; 32], Model>) -> ProverNode {
    let node = ProverNode::new(models, 4, falcon512::keypair().1);
    node.spawn_workers(1).unwrap();
    node
}

fn failure(status: JobStatus) -> String {
    match status {
        JobStatus::Failed(reason) => String::from_utf8(reason).unwrap(),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn an_integer_beyond_f64_is_refused_as_itself() {
    let s = setup();
    let node = service(s.models);
    // 2^53 + 1 has no f64: through floats it would be proved (or refused) as 2^53.
    let input = vec![(1 << 53) + 1, 0, 0];
    assert!(node.enqueue(job(s.vk_hash, 1, input)));
    let reason = failure(wait(&node, 1));
    assert!(reason.contains("value 9007199254740993 at node `inputs` is outside the calibrated range"), "{reason}");
    // Within the circuit's range, the chain's integers prove.
    assert!(node.enqueue(job(s.vk_hash, 2, s.input.clone())));
    assert!(matches!(wait(&node, 2), JobStatus::Proved { .. }));
}

#[test]
fn a_proof_the_chain_would_reject_is_a_failure() {
    let s = setup();
    // Artifacts that prove, but not for what the chain registered: another model commitment.
    let mut models = s.models;
    models.get_mut(&s.vk_hash).unwrap().verifier.commitment = [1; 32];
    let node = service(models);
    assert!(node.enqueue(job(s.vk_hash, 1, s.input.clone())));
    let reason = failure(wait(&node, 1));
    assert_eq!(reason, "the proof fails the chain's check (InvalidProof): not submitted");
    assert_eq!(node.metrics().proofs_failed.load(std::sync::atomic::Ordering::Relaxed), 1);
}

#[test]
fn a_proved_job_enqueued_again_is_proved_afresh() {
    let s = setup();
    let node = service(s.models).with_min_fee(42);
    assert_eq!(node.min_fee(), 42);
    assert!(node.enqueue(job(s.vk_hash, 1, s.input.clone())));
    let JobStatus::Proved { proof: first, .. } = wait(&node, 1) else { panic!("not proved") };
    // Asked again (its submission did not land): a new proof, never the one sent before.
    assert!(node.enqueue(job(s.vk_hash, 1, s.input.clone())));
    let JobStatus::Proved { proof: second, .. } = wait(&node, 1) else { panic!("not proved") };
    assert_ne!(first, second);
}
