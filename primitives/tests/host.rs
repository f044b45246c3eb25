//! The host functions against real artifacts and arbitrary bytes: a valid proof verifies, and no
//! input, random or mutated, makes them panic or accept something else.

mod common;

use codec::Encode;
use common::{case, verify, Case};
use halo2_proofs::halo2curves::bn256::G2Affine;
use halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
use halo2_proofs::halo2curves::group::GroupEncoding;
use proptest::prelude::*;
use zkml_primitives::{host, CircuitSettings, VerifyError};

/// The verdict on `c` changed by `f`.
fn verify_changed(c: &Case, f: &dyn Fn(&mut Case)) -> Result<(), VerifyError> {
    let mut changed = Case {
        settings: c.settings.clone(),
        vk: c.vk.clone(),
        proof: c.proof.clone(),
        instances: c.instances.clone(),
        kzg: c.kzg.clone(),
    };
    f(&mut changed);
    verify(&changed)
}

#[test]
fn a_real_proof_verifies_and_every_part_is_checked() {
    let c = case();
    assert_eq!(verify(c), Ok(()));
    let with = |f: &dyn Fn(&mut Case)| verify_changed(c, f);
    assert_eq!(with(&|c| c.proof[10] ^= 1), Err(VerifyError::InvalidProof));
    assert_eq!(with(&|c| c.proof.push(0)), Err(VerifyError::TrailingProofBytes));
    assert_eq!(with(&|c| c.proof.truncate(100)), Err(VerifyError::InvalidProof));
    assert_eq!(with(&|c| c.instances[1][0] ^= 1), Err(VerifyError::InvalidProof));
    assert_eq!(with(&|c| c.instances.pop().map(drop).unwrap_or(())), Err(VerifyError::InstanceCount));
    assert_eq!(with(&|c| c.instances[0] = [0xff; 32]), Err(VerifyError::MalformedInstance));
    assert_eq!(with(&|c| c.kzg[..32].fill(0xff)), Err(VerifyError::MalformedKzgParams));
    assert_eq!(with(&|c| c.kzg.pop().map(drop).unwrap_or(())), Err(VerifyError::MalformedKzgParams));
    assert_eq!(with(&|c| c.settings.push(0)), Err(VerifyError::MalformedSettings));
    assert_eq!(with(&|c| c.vk.push(0)), Err(VerifyError::MalformedVerifyingKey));
    assert_eq!(with(&|c| c.vk.truncate(500)), Err(VerifyError::MalformedVerifyingKey));
    let oversized = |c: &mut Case| {
        let mut s: CircuitSettings = codec::Decode::decode(&mut &c.settings[..]).unwrap();
        s.k = 27;
        c.settings = s.encode();
    };
    assert_eq!(with(&oversized), Err(VerifyError::SettingsOutOfBounds));
    assert_eq!(with(&|c| c.vk[1] ^= 1), Err(VerifyError::MalformedVerifyingKey));
    // Verdicts do not depend on what was verified before.
    assert_eq!(verify(c), Ok(()));
    assert_eq!(with(&|c| c.proof[10] ^= 1), Err(VerifyError::InvalidProof));
}

#[test]
fn one_proof_key_and_parameters_have_one_encoding() {
    let c = case();
    let with = |f: &dyn Fn(&mut Case)| verify_changed(c, f);
    // The infinity flag on the proof's first point, which is not the identity (the decoder ignores
    // the flag, and the transcript absorbs the point, not its bytes).
    assert_eq!(c.proof[31] & 0x80, 0);
    assert_eq!(with(&|c| c.proof[31] |= 0x80), Err(VerifyError::InvalidProof));
    // The same on the KZG parameters' G1 generator, and the identity with its sign bit for it.
    assert_eq!(with(&|c| c.kzg[31] |= 0x80), Err(VerifyError::MalformedKzgParams));
    let signed_identity = |c: &mut Case| {
        c.kzg[..32].fill(0);
        c.kzg[31] = 0xc0;
    };
    assert_eq!(with(&signed_identity), Err(VerifyError::MalformedKzgParams));
    // s·G2 on the curve but outside the subgroup; G2 the identity.
    let outside = zkml_verifier::kzg::g2_outside_subgroup().to_bytes();
    assert_eq!(with(&|c| c.kzg[96..].copy_from_slice(outside.as_ref())), Err(VerifyError::MalformedKzgParams));
    let identity = G2Affine::identity().to_bytes();
    assert_eq!(with(&|c| c.kzg[32..96].copy_from_slice(identity.as_ref())), Err(VerifyError::MalformedKzgParams));
    // A vk coordinate (raw Montgomery limbs) at or above the modulus.
    let unreduced = |c: &mut Case| {
        let at = c.vk.len() - 64;
        c.vk[at..at + 32].fill(0xff);
    };
    assert_eq!(with(&unreduced), Err(VerifyError::MalformedVerifyingKey));
    assert_eq!(verify(c), Ok(()));
}

#[test]
fn falcon_signatures_verify_only_for_their_key_and_message() {
    use pqcrypto_falcon::falcon512;
    use pqcrypto_traits::sign::{DetachedSignature, PublicKey};
    let (pk, sk) = falcon512::keypair();
    let (other, _) = falcon512::keypair();
    let signature = falcon512::detached_sign(b"message", &sk);
    assert!(host::falcon512_verify(pk.as_bytes(), b"message", signature.as_bytes()));
    assert!(!host::falcon512_verify(pk.as_bytes(), b"massage", signature.as_bytes()));
    assert!(!host::falcon512_verify(other.as_bytes(), b"message", signature.as_bytes()));
    assert!(!host::falcon512_verify(&pk.as_bytes()[1..], b"message", signature.as_bytes()));
    assert!(!host::falcon512_verify(pk.as_bytes(), b"message", &[0; 2000]));
    assert!(!host::falcon512_verify(&[], &[], &[]));
}

/// Mutates `bytes` at up to four positions, or truncates or extends it.
fn mutated(bytes: &[u8]) -> impl Strategy<Value = Vec<u8>> {
    let original = bytes.to_vec();
    let len = original.len().max(1);
    prop_oneof![
        proptest::collection::vec((0..len, any::<u8>()), 1..4).prop_map({
            let original = original.clone();
            move |edits| {
                let mut v = original.clone();
                for (i, b) in edits {
                    if let Some(x) = v.get_mut(i) {
                        *x ^= b | 1;
                    }
                }
                v
            }
        }),
        (0..len).prop_map({
            let original = original.clone();
            move |n| original[..n].to_vec()
        }),
        proptest::collection::vec(any::<u8>(), 1..64).prop_map(move |tail| [original.clone(), tail].concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_or_verify(
        settings in proptest::collection::vec(any::<u8>(), 0..64),
        vk in proptest::collection::vec(any::<u8>(), 0..256),
        proof in proptest::collection::vec(any::<u8>(), 0..512),
        instances in proptest::collection::vec(any::<[u8; 32]>(), 0..12),
        kzg in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        prop_assert!(host::verify_halo2(&settings, &vk, &proof, &instances, &kzg).is_err());
        prop_assert!(!host::falcon512_verify(&vk, &settings, &proof));
    }

    #[test]
    fn mutated_settings_never_panic_or_verify(settings in mutated(&case().settings)) {
        let c = case();
        prop_assume!(settings != c.settings);
        prop_assert!(host::verify_halo2(&settings, &c.vk, &c.proof, &c.instances, &c.kzg).is_err());
    }

    #[test]
    fn mutated_vks_never_panic_or_verify(vk in mutated(&case().vk)) {
        let c = case();
        prop_assume!(vk != c.vk);
        prop_assert!(host::verify_halo2(&c.settings, &vk, &c.proof, &c.instances, &c.kzg).is_err());
    }

    #[test]
    fn mutated_proofs_never_panic_or_verify(proof in mutated(&case().proof)) {
        let c = case();
        prop_assume!(proof != c.proof);
        prop_assert!(host::verify_halo2(&c.settings, &c.vk, &proof, &c.instances, &c.kzg).is_err());
    }

    #[test]
    fn mutated_kzg_params_never_panic_or_verify(kzg in mutated(&case().kzg)) {
        let c = case();
        prop_assume!(kzg != c.kzg);
        prop_assert!(host::verify_halo2(&c.settings, &c.vk, &c.proof, &c.instances, &kzg).is_err());
    }

    #[test]
    fn random_settings_structures_never_panic(
        k in 0u32..40,
        advice in proptest::collection::vec(0u32..80, 0..5),
        num_fixed in 0u32..20,
        lookup_advice in proptest::collection::vec(0u32..80, 0..5),
        lookup_columns in 0u32..20,
        num_instances in 0u32..5000,
    ) {
        let c = case();
        let settings = CircuitSettings {
            k, num_advice_per_phase: advice, num_fixed, num_lookup_advice_per_phase: lookup_advice,
            lookup_columns, num_instances,
        }.encode();
        prop_assume!(settings != c.settings);
        prop_assert!(host::verify_halo2(&settings, &c.vk, &c.proof, &c.instances, &c.kzg).is_err());
    }
}
