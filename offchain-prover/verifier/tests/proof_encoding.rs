//! Proofs are read in their one canonical encoding only, on a real proof of the demo model
//! (1l_mlp, public input), committed in `fixtures/1l_mlp/`:
//! - `circuit.json`: the public circuit's `CircuitParams` (`settings.json`'s `public.circuit`);
//! - `public.vk` and `kzg.vparams`: its verifying key and the development SRS's verifier part;
//! - `proof.json`: a proof bound to `0x1234`, with its instances (big-endian hex), as `zkml prove`
//!   writes them.
//!
//! They are what `zkml setup --dev-srs` and `zkml prove --binding 0x1234 --input
//! runtime/demo/1l_mlp.input.json` make of `runtime/demo/1l_mlp/`; a change to the circuit's
//! constraint system or key encoding shows here as a key that no longer reads or verifies.

use std::path::Path;

use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
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

/// A field element from big-endian hex, `0x` first.
fn field(hex: &str) -> Fr {
    let mut repr: [u8; 32] = hex::decode(hex.trim_start_matches("0x")).unwrap().try_into().unwrap();
    repr.reverse();
    Option::from(Fr::from_repr(repr)).unwrap()
}

/// The committed proof of the demo model with what verifies it.
fn case() -> Case {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/1l_mlp");
    let read = |file: &str| std::fs::read(dir.join(file)).unwrap();
    let circuit: CircuitParams = serde_json::from_slice(&read("circuit.json")).unwrap();
    let proof: serde_json::Value = serde_json::from_slice(&read("proof.json")).unwrap();
    let vk_bytes = read("public.vk");
    Case {
        params: VerifierParams::from_bytes(&read("kzg.vparams")).unwrap().for_circuit(circuit.k()),
        vk: vk_from_bytes(&vk_bytes, &circuit).unwrap(),
        vk_bytes,
        circuit,
        proof: hex::decode(proof["proof"].as_str().unwrap().trim_start_matches("0x")).unwrap(),
        instances: proof["instances"].as_array().unwrap().iter().map(|v| field(v.as_str().unwrap())).collect(),
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
