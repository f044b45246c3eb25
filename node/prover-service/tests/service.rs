//! The service with a real model: queueing, proving, attestation and failures.

use std::sync::atomic::Ordering;

use halo2_proofs::halo2curves::ff::PrimeField;
use pqcrypto_falcon::falcon512;
use pqcrypto_traits::sign::PublicKey;
use zkml_circuit::proof::fr_from_hex;
use zkml_primitives::{attestation_message, binding, fixed_to_field, host, BindingContext, CircuitSettings};
use zkml_primitives::{JobStatus, ProverService, ProvingJob};
use zkml_prover::Visibility;
use zkml_prover_service::{load_models, ProverNode};

mod common;
use common::wait;

struct Setup {
    node: ProverNode,
    public_key: falcon512::PublicKey,
    vk_hash: [u8; 32],
    input: Vec<i64>,
    _dir: tempfile::TempDir,
}

/// 1l_mlp compiled and keyed into `DIR/1l_mlp`, and a service for `DIR` with room for one job.
fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let (model_dir, input) = common::demo_model(dir.path());
    // A directory that is not a model is skipped.
    std::fs::create_dir(dir.path().join("notes")).unwrap();
    let models = load_models(dir.path()).unwrap();
    assert_eq!(models.len(), 1);
    let vk_hash = sp_crypto_hashing::blake2_256(&std::fs::read(model_dir.join("public.vk")).unwrap());
    assert!(models.contains_key(&vk_hash));
    let (public_key, secret_key) = falcon512::keypair();
    Setup { node: ProverNode::new(models, 1, secret_key), public_key, vk_hash, input, _dir: dir }
}

fn job(s: &Setup, request: u64, input: Vec<i64>) -> ProvingJob {
    common::job(s.vk_hash, request, input)
}

#[test]
fn jobs_queue_without_blocking_and_prove_with_an_attestation() {
    let s = setup();
    assert!(!s.node.can_prove(&[0; 32]));
    assert!(!s.node.enqueue(ProvingJob { vk_hash: [0; 32], ..job(&s, 1, s.input.clone()) }));

    // No worker yet: the first job waits, a second does not fit, the first again is no new job.
    assert!(s.node.enqueue(job(&s, 1, s.input.clone())));
    assert!(!s.node.enqueue(job(&s, 2, s.input.clone())));
    assert!(s.node.enqueue(job(&s, 1, s.input.clone())));
    assert_eq!(s.node.queue_len(), 1);
    assert_eq!(s.node.status(1), JobStatus::Proving);
    assert_eq!(s.node.status(2), JobStatus::Unknown);

    s.node.spawn_workers(1).unwrap();
    let JobStatus::Proved { output, proof, attestation } = wait(&s.node, 1) else { panic!("not proved") };
    assert_eq!(s.node.metrics().proofs_done.load(Ordering::Relaxed), 1);

    // The proof verifies for the instances the chain builds, and the attestation for its key.
    let dir = s.node.models().next().unwrap().1.clone();
    let variant = dir.settings.variant(Visibility::Public);
    let settings = CircuitSettings::from_params(&variant.circuit, variant.num_instances);
    let mut instances = vec![fr_from_hex(&dir.settings.model_commitment).unwrap().to_repr()];
    instances.extend(s.input.iter().chain(&output).map(|&v| fixed_to_field(v)));
    instances.push(binding(BindingContext::Request(1), b"prover"));
    let vk = std::fs::read(dir.dir.join("public.vk")).unwrap();
    let kzg = std::fs::read(dir.dir.join("kzg.vparams")).unwrap();
    assert_eq!(host::verify_halo2(&codec::Encode::encode(&settings), &vk, &proof, &instances, &kzg), Ok(()));
    let message = attestation_message(&[7; 32], 1, &output, &proof);
    assert!(host::falcon512_verify(s.public_key.as_bytes(), &message, &attestation));
}

#[test]
fn bad_inputs_fail_with_a_reason_and_can_be_retried() {
    let s = setup();
    s.node.spawn_workers(1).unwrap();
    assert!(s.node.enqueue(job(&s, 5, s.input[1..].to_vec())));
    let JobStatus::Failed(reason) = wait(&s.node, 5) else { panic!("not failed") };
    assert_eq!(String::from_utf8(reason).unwrap(), "2 input values for a model taking 3");
    assert_eq!(s.node.metrics().proofs_failed.load(Ordering::Relaxed), 1);
    // A failed job may be enqueued again.
    assert!(s.node.enqueue(job(&s, 5, s.input.clone())));
    assert!(matches!(wait(&s.node, 5), JobStatus::Proved { .. }));
}
