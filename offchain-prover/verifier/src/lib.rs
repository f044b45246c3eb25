//! # zkml-verifier
//!
//! Checks proofs of zkml model circuits (KZG over BN254, SHPLONK, a Keccak-256 transcript so that
//! an EVM verifier can check the same proofs). It knows nothing of ONNX or of how a model is laid
//! out: a circuit is its [`CircuitParams`], from which [`constraints`] rebuilds the constraint
//! system its keys were made for.
//!
//! - [`constraints`]: the circuit's gates, lookups and Poseidon region;
//! - [`vk_from_bytes`] and [`vk_to_bytes`]: verifying keys;
//! - [`kzg`]: the KZG parameters a verifier keeps;
//! - [`verify`]: the check, reading each proof in its one canonical encoding;
//! - [`ProofShape`]: what a proof of a circuit holds.
//!
//! halo2-axiom needs `std`, and so does this crate: the chain's runtime reaches it through
//! `zkml-primitives`' host functions, which run natively.

pub mod constraints;
pub mod kzg;
mod params;
mod shape;
mod transcript;
mod vk;

pub use params::{CircuitParams, MINIMUM_ROWS};
pub use shape::ProofShape;
pub use vk::{vk_from_bytes, vk_to_bytes};

use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{verify_proof, VerifyingKey};
use halo2_proofs::poly::commitment::ParamsProver;
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::VerifierSHPLONK;
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_proofs::SerdeFormat;

/// Key serialisation: points are stored as raw (uncompressed) bytes and checked on reading.
pub const KEY_FORMAT: SerdeFormat = SerdeFormat::RawBytes;

/// Why a proof is refused.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// A point or scalar is not in its one canonical encoding.
    #[error("{0}")]
    NonCanonical(String),
    /// halo2's verifier rejects the proof for these instances.
    #[error("{0}")]
    Rejected(#[source] halo2_proofs::plonk::Error),
    /// The proof verifies, but more bytes follow it: one proof would have many encodings.
    #[error("proof verifies but is followed by {0} trailing bytes")]
    TrailingBytes(usize),
}

/// Verifies `proof` for `instances` against `vk`. A proof must be exactly the transcript: trailing
/// bytes would give one proof many encodings. Every point and scalar is read in its canonical
/// encoding only ([`transcript::CanonicalRead`]): with halo2's own reader one proof has several
/// byte strings.
///
/// The check runs on the calling thread, its parallel steps on the caller's rayon pool: the
/// node's host function (`zkml_primitives::host`) picks one thread, on which a panic unwinds, and
/// on which its weights were measured.
pub fn verify(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    proof: &[u8],
    instances: &[Fr],
) -> Result<(), ProofError> {
    let mut rest = proof;
    let mut transcript = transcript::CanonicalRead::new(&mut rest);
    let verdict = verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, SingleStrategy<'_, Bn256>>(
        params.verifier_params(),
        vk,
        SingleStrategy::new(params),
        &[&[instances]],
        &mut transcript,
    );
    if let Some(refused) = transcript.refused() {
        return Err(ProofError::NonCanonical(refused.into()));
    }
    verdict.map_err(ProofError::Rejected)?;
    match rest.len() {
        0 => Ok(()),
        trailing => Err(ProofError::TrailingBytes(trailing)),
    }
}

/// A CPU without the instructions halo2curves' BN254 assembly is built with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("this CPU lacks the `{0}` instructions that the BN254 field arithmetic is built with (x86-64 needs BMI2 and ADX: Intel Broadwell, AMD Zen or later)")]
pub struct UnsupportedCpu(pub &'static str);

/// Fails clearly where halo2's field arithmetic cannot run. On x86-64 it is built with the BN254
/// assembly of halo2curves, which needs BMI2 and ADX (Intel Broadwell, AMD Zen and later); without
/// this check such a machine would die of an illegal instruction in the middle of a proof.
pub fn check_cpu() -> Result<(), UnsupportedCpu> {
    #[cfg(target_arch = "x86_64")]
    for (feature, present) in
        [("bmi2", std::arch::is_x86_feature_detected!("bmi2")), ("adx", std::arch::is_x86_feature_detected!("adx"))]
    {
        if !present {
            return Err(UnsupportedCpu(feature));
        }
    }
    Ok(())
}
