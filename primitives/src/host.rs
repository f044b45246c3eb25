//! The native side of the host functions: halo2-axiom through the prover's own circuit
//! configuration, so that settings rebuild exactly the constraint system the keys were made for,
//! and pqcrypto-falcon.
//!
//! Both functions return a verdict for any bytes. Inputs are bounds-checked before anything is
//! configured, and the halo2 calls run under `catch_unwind` as a last line of defence: a panic
//! deep in a dependency becomes a rejection, which is as deterministic as the panic itself.

use std::panic::{catch_unwind, AssertUnwindSafe};

use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::halo2curves::ff::PrimeField;
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use pqcrypto_traits::sign::{DetachedSignature, PublicKey};
use zkml_prover::circuit::CircuitParams;
use zkml_prover::pfsys::{self, srs::VerifierParams};

use crate::{CircuitSettings, FieldBytes, VerifyError};

/// A parsed verifying key with the KZG parameters for its domain.
struct Verifier {
    settings: CircuitSettings,
    vk: VerifyingKey<G1Affine>,
    params: ParamsKZG<Bn256>,
}

impl From<&CircuitSettings> for CircuitParams {
    fn from(s: &CircuitSettings) -> Self {
        let usize_vec = |v: &[u32]| v.iter().map(|&n| n as usize).collect();
        let mut params = CircuitParams {
            range_columns: s.num_lookup_advice_per_phase.first().copied().unwrap_or(0) as usize,
            lookup_columns: s.lookup_columns as usize,
            ..Default::default()
        };
        params.base.k = s.k as usize;
        params.base.num_advice_per_phase = usize_vec(&s.num_advice_per_phase);
        params.base.num_fixed = s.num_fixed as usize;
        // The range rows live in the circuit's own lookup table, not halo2-base's; their width
        // is in the vk's fixed commitments and does not shape the constraint system.
        params.base.num_lookup_advice_per_phase = vec![0; s.num_lookup_advice_per_phase.len()];
        params.base.num_instance_columns = 1;
        params
    }
}

impl CircuitSettings {
    /// The on-chain settings of a compiled circuit with `num_instances` public instances.
    pub fn from_params(params: &CircuitParams, num_instances: usize) -> Self {
        let u32_vec = |v: &[usize]| v.iter().map(|&n| n as u32).collect();
        CircuitSettings {
            k: params.base.k as u32,
            num_advice_per_phase: u32_vec(&params.base.num_advice_per_phase),
            num_fixed: params.base.num_fixed as u32,
            num_lookup_advice_per_phase: vec![params.range_columns as u32, 0, 0],
            lookup_columns: params.lookup_columns as u32,
            num_instances: num_instances as u32,
        }
    }
}

/// Parses `vk` for `settings` (`vk_from_bytes` refuses keys that are not in their canonical
/// encoding). The key's header must name the settings' k, which is bounded.
fn parse_vk(settings: &CircuitSettings, vk: &[u8]) -> Result<VerifyingKey<G1Affine>, VerifyError> {
    let circuit = CircuitParams::from(settings);
    catch_unwind(|| pfsys::vk_from_bytes(vk, &circuit).ok()).ok().flatten().ok_or(VerifyError::MalformedVerifyingKey)
}

/// The settings and parsed verifier for these bytes, checked in a fixed order: KZG parameters,
/// settings, verifying key. Reading a key costs a few hundred microseconds at any k (its domain
/// holds no FFT data), so every call reads afresh and costs what its weight was measured at.
fn verifier(settings: &[u8], vk: &[u8], kzg_params: &[u8]) -> Result<Verifier, VerifyError> {
    let kzg = VerifierParams::from_bytes(kzg_params).ok_or(VerifyError::MalformedKzgParams)?;
    let settings = CircuitSettings::decode_valid(settings)?;
    let vk = parse_vk(&settings, vk)?;
    Ok(Verifier { vk, params: kzg.for_circuit(settings.k), settings })
}

/// See [`crate::zkml::verify_halo2`].
pub fn verify_halo2(
    settings: &[u8],
    vk: &[u8],
    proof: &[u8],
    instances: &[FieldBytes],
    kzg_params: &[u8],
) -> Result<(), VerifyError> {
    let verifier = verifier(settings, vk, kzg_params)?;
    if instances.len() != verifier.settings.num_instances as usize {
        return Err(VerifyError::InstanceCount);
    }
    let instances = instances
        .iter()
        .map(|bytes| Option::from(Fr::from_repr(*bytes)).ok_or(VerifyError::MalformedInstance))
        .collect::<Result<Vec<_>, _>>()?;
    let verdict = catch_unwind(AssertUnwindSafe(|| pfsys::verify(&verifier.params, &verifier.vk, proof, &instances)));
    match verdict {
        Ok(Ok(())) => Ok(()),
        Ok(Err(zkml_prover::Error::TrailingProofBytes(_))) => Err(VerifyError::TrailingProofBytes),
        Ok(Err(_)) | Err(_) => Err(VerifyError::InvalidProof),
    }
}

/// See [`crate::zkml::falcon512_verify`].
pub fn falcon512_verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    use pqcrypto_falcon::falcon512;
    let (Ok(public_key), Ok(signature)) =
        (falcon512::PublicKey::from_bytes(public_key), falcon512::DetachedSignature::from_bytes(signature))
    else {
        return false;
    };
    falcon512::verify_detached_signature(&signature, message, &public_key).is_ok()
}
