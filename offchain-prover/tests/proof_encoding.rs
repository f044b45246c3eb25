//! Proofs are read in their one canonical encoding (`zkml_verifier`'s transcript reader), on a
//! real proof of 1l_mlp from the corpus (`../shared`).

use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use zkml_prover::Visibility;
use zkml_verifier::kzg::VerifierParams;
use zkml_verifier::{verify, vk_from_bytes, vk_to_bytes, CircuitParams, ProofError};

struct Case {
    params: ParamsKZG<Bn256>,
    vk: VerifyingKey<G1Affine>,
    vk_bytes: Vec<u8>,
    circuit: CircuitParams,
    proof: Vec<u8>,
    instances: Vec<Fr>,
}

/// 1l_mlp from the corpus, compiled, keyed with the development SRS and proved once.
fn case() -> Case {
    let corpus = zkml_prover::corpus::model("1l_mlp");
    let dir = tempfile::tempdir().unwrap();
    let input = zkml_prover::InputData::load(&corpus.join("input.json")).unwrap();
    zkml_prover::compile(&corpus.join("network.onnx"), &input, dir.path()).unwrap();
    let settings = zkml_prover::setup(dir.path(), zkml_prover::SrsSource::Dev).unwrap();
    let file = zkml_prover::prove(dir.path(), &input, Fr::from(0x1234), Visibility::Public).unwrap();
    let circuit = settings.variant(Visibility::Public).circuit.clone();
    let vk_bytes = std::fs::read(dir.path().join("public.vk")).unwrap();
    let kzg = std::fs::read(dir.path().join("kzg.vparams")).unwrap();
    Case {
        params: VerifierParams::from_bytes(&kzg).unwrap().for_circuit(circuit.k()),
        vk: vk_from_bytes(&vk_bytes, &circuit).unwrap(),
        vk_bytes,
        circuit,
        proof: file.proof_bytes().unwrap(),
        instances: file.instances().unwrap(),
    }
}

/// `a + b` as 256-bit little-endian integers, if it fits.
fn add_le(a: [u8; 32], b: [u8; 32]) -> Option<[u8; 32]> {
    let mut sum = [0; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let s = u16::from(a[i]) + u16::from(b[i]) + carry;
        sum[i] = s as u8;
        carry = s >> 8;
    }
    (carry == 0).then_some(sum)
}

#[test]
fn proofs_are_read_in_their_canonical_encoding_only() {
    let c = case();
    let verify = |proof: &[u8]| verify(&c.params, &c.vk, proof, &c.instances);
    assert!(verify(&c.proof).is_ok());
    let refused_at = |proof: &[u8], offset: usize| match verify(proof) {
        Err(ProofError::NonCanonical(reason)) => {
            assert!(reason.contains("non-canonical"), "{reason}");
            assert!(reason.contains(&format!("byte offset {offset}")), "{reason}");
        }
        other => panic!("a non-canonical proof gave {other:?}"),
    };

    // The infinity flag on the first advice commitment, which is not the identity: the
    // decoder ignores the flag, so the same point (and transcript) had a second encoding.
    assert_eq!(c.proof[31] & 0x80, 0);
    let mut flagged = c.proof.clone();
    flagged[31] |= 0x80;
    refused_at(&flagged, 0);
    // The same on SHPLONK's last opening point, read by the multi-opening verifier.
    let last = c.proof.len() - 32;
    let mut flagged = c.proof.clone();
    flagged[last + 31] |= 0x80;
    refused_at(&flagged, last);

    // The last evaluation (just before the two opening points) plus the modulus.
    let at = c.proof.len() - 96;
    let scalar: [u8; 32] = c.proof[at..at + 32].try_into().unwrap();
    let modulus_minus_one = (-Fr::ONE).to_repr();
    let plus_modulus = add_le(add_le(scalar, modulus_minus_one).unwrap(), Fr::ONE.to_repr()).unwrap();
    let mut unreduced = c.proof.clone();
    unreduced[at..at + 32].copy_from_slice(&plus_modulus);
    refused_at(&unreduced, at);

    // Untouched, it still verifies, and so does its key read again.
    assert!(verify(&c.proof).is_ok());
    let vk = vk_from_bytes(&c.vk_bytes, &c.circuit).unwrap();
    assert_eq!(vk_to_bytes(&vk), c.vk_bytes);
}
