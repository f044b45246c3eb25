//! The proof system: KZG over BN254 with SHPLONK, and a Keccak-256 transcript so that an EVM
//! verifier can check the same proofs.

pub mod srs;
mod vk;

pub use vk::{vk_from_bytes, vk_to_bytes};

use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_base::halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk, verify_proof, Circuit, ConstraintSystem, ProvingKey, VerifyingKey,
};
use halo2_base::halo2_proofs::poly::commitment::ParamsProver;
use halo2_base::halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_base::halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_base::halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_base::halo2_proofs::transcript::{
    Challenge255, Keccak256Read, Keccak256Write, TranscriptReadBuffer, TranscriptWriterBuffer,
};
use halo2_base::halo2_proofs::SerdeFormat;
use rand_chacha::rand_core::SeedableRng;
use serde::Serialize;

use crate::circuit::{CircuitParams, ModelCircuit};
use crate::error::{Error, Result};

/// Fails clearly where halo2's field arithmetic cannot run. On x86-64 it is built with the BN254
/// assembly of halo2curves, which needs BMI2 and ADX (Intel Broadwell, AMD Zen and later); without
/// this check such a machine would die of an illegal instruction in the middle of a proof.
pub fn check_cpu() -> Result<()> {
    #[cfg(target_arch = "x86_64")]
    for (feature, present) in
        [("bmi2", std::arch::is_x86_feature_detected!("bmi2")), ("adx", std::arch::is_x86_feature_detected!("adx"))]
    {
        if !present {
            return Err(Error::UnsupportedCpu(feature));
        }
    }
    Ok(())
}

/// Key serialisation: points are stored as raw (uncompressed) bytes and checked on reading.
pub const KEY_FORMAT: SerdeFormat = SerdeFormat::RawBytes;

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

/// Verifies `proof` for `instances` against `vk`. A proof must be exactly the transcript: trailing
/// bytes would give one proof many encodings.
pub fn verify(params: &ParamsKZG<Bn256>, vk: &VerifyingKey<G1Affine>, proof: &[u8], instances: &[Fr]) -> Result<()> {
    match verifier_thread() {
        Some(thread) => thread.install(|| verify_here(params, vk, proof, instances)),
        // The OS refused the thread: the check is the same on this one.
        None => verify_here(params, vk, proof, instances),
    }
}

/// The thread every proof check runs on (checks from several threads take turns). halo2's
/// verifier splits steps of a few dozen points or scalars over rayon's workers, and waking them
/// costs more than it saves: on one thread 4l_relu_conv_fc's check takes 6.3 ms instead of 7.8.
/// It also takes the time its on-chain weight was measured at, however busy the node's cores are.
fn verifier_thread() -> Option<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new().num_threads(1).thread_name(|_| "zkml-verifier".into()).build().ok()
    })
    .as_ref()
}

fn verify_here(params: &ParamsKZG<Bn256>, vk: &VerifyingKey<G1Affine>, proof: &[u8], instances: &[Fr]) -> Result<()> {
    let mut rest = proof;
    let mut transcript = Keccak256Read::<_, G1Affine, Challenge255<_>>::init(&mut rest);
    verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, SingleStrategy<'_, Bn256>>(
        params.verifier_params(),
        vk,
        SingleStrategy::new(params),
        &[&[instances]],
        &mut transcript,
    )
    .map_err(|e| Error::InvalidProof(e.to_string()))?;
    match rest.len() {
        0 => Ok(()),
        trailing => Err(Error::TrailingProofBytes(trailing)),
    }
}

/// What a proof holds for a verifying key's constraint system, argument by argument, as
/// `(points, scalars)`: exactly what halo2's SHPLONK verifier reads from the transcript, 32
/// bytes each (points are compressed). It says where a proof's bytes go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProofShape {
    /// A commitment per advice column, an evaluation per advice query.
    pub advice: (usize, usize),
    /// An evaluation per fixed query (selectors, after halo2's compression, among them).
    pub fixed: (usize, usize),
    /// Product commitments, one per chunk of `degree − 2` columns; their evaluations (here,
    /// next and, but for the last, at the chunk's end) and one per column's permutation.
    pub permutation: (usize, usize),
    /// Per lookup argument: permuted input and table and their product; five evaluations.
    pub lookups: (usize, usize),
    /// The quotient's `degree − 1` pieces and the random polynomial; the latter's evaluation.
    pub vanishing: (usize, usize),
    /// SHPLONK's two opening points.
    pub opening: (usize, usize),
}

impl ProofShape {
    pub fn of(vk: &VerifyingKey<G1Affine>) -> Self {
        Self::of_cs(vk.cs())
    }

    /// The shape of the proofs of `params`' circuit, known before any key: [`keygen`] turns each
    /// selector into a fixed column of its own (no compression), and so does this.
    pub fn of_params(params: &CircuitParams) -> Self {
        let mut cs = ConstraintSystem::default();
        ModelCircuit::configure_with_params(&mut cs, params.clone());
        let selectors = vec![vec![]; cs.num_selectors()];
        Self::of_cs(&cs.directly_convert_selectors_to_fixed(selectors).0)
    }

    fn of_cs(cs: &ConstraintSystem<Fr>) -> Self {
        let degree = cs.degree();
        let columns = cs.permutation().get_columns().len();
        let chunks = columns.div_ceil(degree - 2);
        let lookups = cs.lookups().len();
        Self {
            advice: (cs.num_advice_columns(), cs.advice_queries().len()),
            fixed: (0, cs.fixed_queries().len()),
            permutation: (chunks, 3 * chunks - usize::from(chunks > 0) + columns),
            lookups: (3 * lookups, 5 * lookups),
            vanishing: (degree, 1),
            opening: (2, 0),
        }
    }

    /// Points and scalars in all.
    pub fn elements(&self) -> usize {
        let parts = [self.advice, self.fixed, self.permutation, self.lookups, self.vanishing, self.opening];
        parts.iter().map(|(points, scalars)| points + scalars).sum()
    }

    pub fn bytes(&self) -> usize {
        32 * self.elements()
    }
}

pub fn pk_to_bytes(pk: &ProvingKey<G1Affine>) -> Vec<u8> {
    pk.to_bytes(KEY_FORMAT)
}

pub fn pk_from_bytes(bytes: &[u8], params: &CircuitParams) -> std::io::Result<ProvingKey<G1Affine>> {
    ProvingKey::from_bytes::<ModelCircuit>(bytes, KEY_FORMAT, params.clone())
}
