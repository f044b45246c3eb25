//! The proof system: KZG over BN254 with SHPLONK, and a Keccak-256 transcript so that an EVM
//! verifier can check the same proofs.

pub mod srs;
mod transcript;
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
use halo2_base::halo2_proofs::transcript::{Challenge255, Keccak256Write, TranscriptWriterBuffer};
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
/// bytes would give one proof many encodings. Every point and scalar is read in its canonical
/// encoding only ([`transcript::CanonicalRead`]): with halo2's own reader one proof has several
/// byte strings.
///
/// The check runs on the calling thread, its parallel steps on the caller's rayon pool: the
/// node's host function (`zkml_primitives::host`) picks one thread, on which a panic unwinds, and
/// on which its weights were measured.
pub fn verify(params: &ParamsKZG<Bn256>, vk: &VerifyingKey<G1Affine>, proof: &[u8], instances: &[Fr]) -> Result<()> {
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
        return Err(Error::InvalidProof(refused.into()));
    }
    verdict.map_err(|e| Error::InvalidProof(e.to_string()))?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::Visibility;
    use halo2_base::halo2_proofs::halo2curves::ff::{Field, PrimeField};

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
        let corpus = crate::corpus::model("1l_mlp");
        let dir = tempfile::tempdir().unwrap();
        let input = crate::InputData::load(&corpus.join("input.json")).unwrap();
        crate::compile(&corpus.join("network.onnx"), &input, dir.path()).unwrap();
        let settings = crate::setup(dir.path(), crate::SrsSource::Dev).unwrap();
        let file = crate::prove(dir.path(), &input, Fr::from(0x1234), Visibility::Public).unwrap();
        let circuit = settings.variant(Visibility::Public).circuit.clone();
        let vk_bytes = std::fs::read(dir.path().join("public.vk")).unwrap();
        let kzg = std::fs::read(dir.path().join("kzg.vparams")).unwrap();
        Case {
            params: srs::VerifierParams::from_bytes(&kzg).unwrap().for_circuit(circuit.k()),
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
            Err(Error::InvalidProof(reason)) => {
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
}
