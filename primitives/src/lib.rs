//! Types and host functions shared by `pallet-zkml`, the runtime, the node and the prover.
//!
//! Everything here is `no_std` except the native side of the host functions ([`host`]), which is
//! compiled only with the `std` feature and so never linked into the wasm runtime. The runtime
//! reaches it through the [`zkml`] runtime interface; the node registers [`zkml::HostFunctions`].

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(all(not(feature = "std"), not(substrate_runtime)))]
compile_error!("outside a runtime build zkml-primitives needs its `std` feature: it carries the native verifiers");

mod handoff;
#[cfg(feature = "std")]
pub mod host;
mod instances;
mod settings;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime_interface::pass_by::{PassFatPointerAndDecode, PassFatPointerAndRead, ReturnAs};
use sp_runtime_interface::runtime_interface;

pub use handoff::{prover_handoff, JobStatus, ProvingJob};
#[cfg(feature = "std")]
pub use handoff::{ProverExt, ProverService};
pub use instances::{InputInstances, PublicInstances};
pub use settings::{CircuitSettings, MAX_ADVICE_COLUMNS, MAX_K, MAX_LOOKUP_COLUMNS, MAX_RANGE_COLUMNS};

/// Identifies a registered model.
pub type ModelId = u32;
/// Identifies an inference request, or a self-proved inference.
pub type RequestId = u64;
/// A BN254 scalar field element in its canonical little-endian encoding.
pub type FieldBytes = [u8; 32];

/// Bytes of a Falcon-512 public key.
pub const FALCON512_PUBLIC_KEY_BYTES: u32 = 897;
/// Most bytes of a (detached, unpadded) Falcon-512 signature.
pub const FALCON512_MAX_SIGNATURE_BYTES: u32 = 752;
/// Bytes of the KZG verifier parameters: compressed G1 generator, G2 and s·G2.
pub const KZG_VERIFIER_PARAMS_BYTES: u32 = 160;

/// Why a halo2 proof was not accepted. Every variant is a property of the bytes given, so the
/// verdict is the same on every node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub enum VerifyError {
    /// The circuit settings do not decode.
    MalformedSettings,
    /// The settings decode but describe a circuit this verifier does not accept (too large, or
    /// inconsistent).
    SettingsOutOfBounds,
    /// The verifying key does not deserialise for these settings, or is not canonical.
    MalformedVerifyingKey,
    /// The KZG verifier parameters are not three valid curve points.
    MalformedKzgParams,
    /// The number of public instances differs from the settings.
    InstanceCount,
    /// An instance is not a canonical field element.
    MalformedInstance,
    /// The proof does not verify for these instances.
    InvalidProof,
    /// The proof verifies but carries trailing bytes.
    TrailingProofBytes,
}

impl VerifyError {
    const ALL: [VerifyError; 8] = [
        VerifyError::MalformedSettings,
        VerifyError::SettingsOutOfBounds,
        VerifyError::MalformedVerifyingKey,
        VerifyError::MalformedKzgParams,
        VerifyError::InstanceCount,
        VerifyError::MalformedInstance,
        VerifyError::InvalidProof,
        VerifyError::TrailingProofBytes,
    ];
}

/// The verdict of [`zkml::verify_halo2`] as it crosses the host boundary: `0` for a valid proof,
/// `1 + error index` otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict(pub Result<(), VerifyError>);

impl From<Verdict> for u32 {
    fn from(verdict: Verdict) -> u32 {
        match verdict.0 {
            Ok(()) => 0,
            Err(e) => 1 + VerifyError::ALL.iter().position(|x| *x == e).unwrap_or_default() as u32,
        }
    }
}

impl From<u32> for Verdict {
    fn from(code: u32) -> Verdict {
        // A code this runtime does not know can only mean rejection.
        let error = |i: u32| VerifyError::ALL.get(i as usize).copied().unwrap_or(VerifyError::InvalidProof);
        Verdict(if code == 0 { Ok(()) } else { Err(error(code - 1)) })
    }
}

/// Native verifiers for the runtime.
#[runtime_interface]
pub trait Zkml {
    /// Verifies a halo2 (KZG/BN254, SHPLONK, Keccak transcript) proof against a verifying key
    /// serialised for `settings` (a SCALE-encoded [`CircuitSettings`]), public `instances` and the
    /// KZG verifier parameters. Deterministic, and never panics, whatever the bytes.
    fn verify_halo2(
        settings: PassFatPointerAndRead<&[u8]>,
        vk: PassFatPointerAndRead<&[u8]>,
        proof: PassFatPointerAndRead<&[u8]>,
        instances: PassFatPointerAndDecode<Vec<FieldBytes>>,
        kzg_params: PassFatPointerAndRead<&[u8]>,
    ) -> ReturnAs<Verdict, u32> {
        Verdict(host::verify_halo2(settings, vk, proof, &instances, kzg_params))
    }

    /// Whether `signature` is a valid Falcon-512 signature of `message` by `public_key`. Any
    /// malformed key or signature is simply invalid.
    fn falcon512_verify(
        public_key: PassFatPointerAndRead<&[u8]>,
        message: PassFatPointerAndRead<&[u8]>,
        signature: PassFatPointerAndRead<&[u8]>,
    ) -> bool {
        host::falcon512_verify(public_key, message, signature)
    }
}

/// p, the BN254 scalar modulus, little-endian.
const MODULUS: FieldBytes = [
    0x01, 0x00, 0x00, 0xf0, 0x93, 0xf5, 0xe1, 0x43, 0x91, 0x70, 0xb9, 0x79, 0x48, 0xe8, 0x33, 0x28, 0x5d, 0x58, 0x81,
    0x81, 0xb6, 0x45, 0x50, 0xb8, 0x29, 0xa0, 0x31, 0xe1, 0x72, 0x4e, 0x64, 0x30,
];

/// Whether `bytes` is a canonical field element: below the modulus.
pub fn is_canonical_field(bytes: &FieldBytes) -> bool {
    bytes.iter().rev().lt(MODULUS.iter().rev())
}

/// Maps a signed fixed-point integer to the field as `x mod p`, the encoding of the circuit's
/// instances.
pub fn fixed_to_field(value: i64) -> FieldBytes {
    let mut out = [0u8; 32];
    let magnitude = value.unsigned_abs().to_le_bytes();
    if value >= 0 {
        out[..8].copy_from_slice(&magnitude);
        return out;
    }
    let mut borrow = 0i16;
    for i in 0..32 {
        let difference = MODULUS[i] as i16 - magnitude.get(i).copied().unwrap_or(0) as i16 - borrow;
        borrow = (difference < 0) as i16;
        out[i] = difference.rem_euclid(256) as u8;
    }
    out
}

/// What a binding value is derived from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode)]
pub enum BindingContext {
    /// A result for request `id`.
    Request(RequestId),
    /// A self-proved inference with the submitter's nonce `n`.
    Nonce(u64),
}

/// The binding instance of a proof: a field element derived from `context` and the submitting
/// account's encoding, so that a proof seen in the pool is useless for anyone else or any other
/// request. The top three bits are cleared, which keeps the value below the modulus.
pub fn binding(context: BindingContext, submitter: &[u8]) -> FieldBytes {
    let mut hash = sp_crypto_hashing::blake2_256(&(b"zkml/binding", context, submitter).encode());
    hash[31] &= 0x1f;
    hash
}

/// The message a prover signs with Falcon-512 for a result: (genesis hash, request id, output,
/// proof hash), SCALE-encoded behind a domain tag.
pub fn attestation_message(genesis_hash: &[u8], request: RequestId, output: &[i64], proof: &[u8]) -> Vec<u8> {
    (b"zkml/attestation", genesis_hash, request, output, sp_crypto_hashing::blake2_256(proof)).encode()
}

/// The message a model's publisher signs with Falcon-512 at registration: (genesis hash, ONNX
/// hash, model commitment, BLAKE2-256 of the verifying key, BLAKE2-256 of the SCALE-encoded
/// [`CircuitSettings`]), SCALE-encoded behind a domain tag. It names the chain and the whole
/// compiled circuit, so that a signature is good for one registration only, and never for a
/// result (whose tag differs).
pub fn publisher_attestation_message(
    genesis_hash: &[u8],
    onnx_hash: &[u8; 32],
    commitment: &FieldBytes,
    vk: &[u8],
    settings: &[u8],
) -> Vec<u8> {
    let (vk_hash, settings_hash) = (sp_crypto_hashing::blake2_256(vk), sp_crypto_hashing::blake2_256(settings));
    (b"zkml/publisher", genesis_hash, onnx_hash, commitment, vk_hash, settings_hash).encode()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_codes_round_trip() {
        let verdicts = core::iter::once(Ok(())).chain(VerifyError::ALL.into_iter().map(Err));
        for (code, verdict) in verdicts.enumerate() {
            assert_eq!(u32::from(Verdict(verdict)), code as u32);
            assert_eq!(Verdict::from(code as u32), Verdict(verdict));
        }
        assert_eq!(Verdict::from(999), Verdict(Err(VerifyError::InvalidProof)));
    }

    #[test]
    fn fixed_to_field_matches_the_prover() {
        use halo2_proofs::halo2curves::ff::PrimeField;
        for v in [0i64, 1, -1, 255, -256, 1 << 40, -(1 << 40), i64::MAX, i64::MIN] {
            assert_eq!(fixed_to_field(v), ::zkml_circuit::quantize::to_field(v as i128).to_repr(), "{v}");
        }
    }

    #[test]
    fn binding_is_canonical_and_depends_on_everything() {
        use halo2_proofs::halo2curves::{bn256::Fr, ff::PrimeField};
        let a = binding(BindingContext::Request(1), b"alice");
        assert!(bool::from(Fr::from_repr(a).is_some()));
        assert_ne!(a, binding(BindingContext::Request(2), b"alice"));
        assert_ne!(a, binding(BindingContext::Request(1), b"bob"));
        assert_ne!(a, binding(BindingContext::Nonce(1), b"alice"));
    }

    #[test]
    fn publisher_attestation_message_is_tagged_and_depends_on_everything() {
        let (genesis, onnx, commitment, vk, settings) = ([1u8; 32], [2u8; 32], [3u8; 32], [4u8; 40], [5u8; 9]);
        let message = publisher_attestation_message(&genesis, &onnx, &commitment, &vk, &settings);
        let blake2 = sp_crypto_hashing::blake2_256;
        let expected =
            [&b"zkml/publisher"[..], &[32 << 2], &genesis, &onnx, &commitment, &blake2(&vk), &blake2(&settings)]
                .concat();
        assert_eq!(message, expected);
        for other in [
            publisher_attestation_message(&[9; 32], &onnx, &commitment, &vk, &settings),
            publisher_attestation_message(&genesis, &[9; 32], &commitment, &vk, &settings),
            publisher_attestation_message(&genesis, &onnx, &[9; 32], &vk, &settings),
            publisher_attestation_message(&genesis, &onnx, &commitment, &vk[1..], &settings),
            publisher_attestation_message(&genesis, &onnx, &commitment, &vk, &settings[1..]),
        ] {
            assert_ne!(message, other);
        }
        // Neither the bare commitment nor a result's attestation message can pass for it.
        assert_ne!(message, commitment.to_vec());
        assert!(!attestation_message(&genesis, 0, &[], &[]).starts_with(b"zkml/publisher"));
    }

    #[test]
    fn canonical_field_elements_are_those_below_the_modulus() {
        let mut below = MODULUS;
        below[0] -= 1;
        assert!(is_canonical_field(&below));
        assert!(is_canonical_field(&[0; 32]));
        assert!(!is_canonical_field(&MODULUS));
        assert!(!is_canonical_field(&[0xff; 32]));
        let mut above = MODULUS;
        above[1] = 1;
        assert!(!is_canonical_field(&above));
    }
}
