//! The case the host-function tests share: a real proof with what the chain holds for it.

use std::sync::OnceLock;

use codec::Encode;
use halo2_proofs::halo2curves::ff::PrimeField;
use zkml_circuit::proof::fr_from_hex;
use zkml_primitives::{host, CircuitSettings, FieldBytes, VerifyError};
use zkml_prover::{InputData, Visibility};

/// The host function's arguments for a proof.
pub struct Case {
    pub settings: Vec<u8>,
    pub vk: Vec<u8>,
    pub proof: Vec<u8>,
    pub instances: Vec<FieldBytes>,
    pub kzg: Vec<u8>,
}

/// 1l_mlp from the corpus, compiled, keyed with the development SRS and proved once.
pub fn case() -> &'static Case {
    static CASE: OnceLock<Case> = OnceLock::new();
    CASE.get_or_init(|| {
        let corpus = zkml_prover::corpus::model("1l_mlp");
        let dir = tempfile::tempdir().unwrap().keep();
        let input = InputData::load(&corpus.join("input.json")).unwrap();
        zkml_prover::compile(&corpus.join("network.onnx"), &input, &dir).unwrap();
        let settings = zkml_prover::setup(&dir, zkml_prover::SrsSource::Dev).unwrap();
        let binding = fr_from_hex("0x1234").unwrap();
        let file = zkml_prover::prove(&dir, &input, binding, Visibility::Public).unwrap();
        let variant = settings.variant(Visibility::Public);
        Case {
            settings: CircuitSettings::from_params(&variant.circuit, variant.num_instances).encode(),
            vk: std::fs::read(dir.join("public.vk")).unwrap(),
            proof: file.proof_bytes().unwrap(),
            instances: file.instances().unwrap().iter().map(|f| f.to_repr()).collect(),
            kzg: std::fs::read(dir.join("kzg.vparams")).unwrap(),
        }
    })
}

/// The host function's verdict on `c`.
pub fn verify(c: &Case) -> Result<(), VerifyError> {
    host::verify_halo2(&c.settings, &c.vk, &c.proof, &c.instances, &c.kzg)
}
