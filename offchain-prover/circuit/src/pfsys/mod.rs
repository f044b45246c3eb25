//! Proving: KZG over BN254 with SHPLONK, and a Keccak-256 transcript so that an EVM verifier can
//! check the same proofs. Keys are read and proofs checked by [`zkml_verifier`].

pub mod srs;

use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_base::halo2_proofs::plonk::{create_proof, keygen_pk, keygen_vk, ProvingKey};
use halo2_base::halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_base::halo2_proofs::poly::kzg::multiopen::ProverSHPLONK;
use halo2_base::halo2_proofs::transcript::{Challenge255, Keccak256Write, TranscriptWriterBuffer};
use rand_chacha::rand_core::SeedableRng;
use zkml_verifier::{CircuitParams, KEY_FORMAT};

use crate::circuit::ModelCircuit;
use crate::error::{Error, Result};

pub fn keygen(params: &ParamsKZG<Bn256>, circuit: &ModelCircuit) -> Result<ProvingKey<G1Affine>> {
    let vk = keygen_vk(params, circuit).map_err(|e| Error::Prover(format!("vk generation: {e}")))?;
    keygen_pk(params, vk, circuit).map_err(|e| Error::Prover(format!("pk generation: {e}")))
}

/// Proves `circuit` for `instances`. Blinding randomness comes from the OS.
pub fn prove(
    params: &ParamsKZG<Bn256>,
    pk: &ProvingKey<G1Affine>,
    circuit: ModelCircuit,
    instances: &[Fr],
) -> Result<Vec<u8>> {
    let rng = rand_chacha::ChaCha20Rng::from_entropy();
    let mut transcript = Keccak256Write::<_, G1Affine, Challenge255<_>>::init(vec![]);
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
        params,
        pk,
        &[circuit],
        &[&[instances]],
        rng,
        &mut transcript,
    )
    .map_err(|e| Error::Prover(e.to_string()))?;
    Ok(transcript.finalize())
}

pub fn pk_to_bytes(pk: &ProvingKey<G1Affine>) -> Vec<u8> {
    pk.to_bytes(KEY_FORMAT)
}

pub fn pk_from_bytes(bytes: &[u8], params: &CircuitParams) -> std::io::Result<ProvingKey<G1Affine>> {
    ProvingKey::from_bytes::<ModelCircuit>(bytes, KEY_FORMAT, params.clone())
}
