//! Verifying keys, read for checking proofs.
//!
//! halo2's `VerifyingKey::read` builds the whole evaluation domain, FFT twiddles for 2^k rows
//! and for every doubling up to the extended domain included: at k = 19 that is 300 MB and
//! 280 ms, to check a proof in 6 ms without a single FFT. [`vk_from_bytes`] reads the same bytes
//! into the same key (same constraint system, commitments and transcript hash) over a domain
//! that holds only the scalars a verifier uses, so reading a key costs the same at any k.

use std::collections::HashMap;
use std::io::{self, Read};

use halo2_proofs::halo2curves::bn256::{Fr, G1Affine};
use halo2_proofs::halo2curves::ff::{BatchInvert, Field, PrimeField, WithSmallOrderMulGroup};
use halo2_proofs::halo2curves::CurveAffine;
use halo2_proofs::plonk::{permutation, ConstraintSystem, VerifyingKey};
use halo2_proofs::poly::EvaluationDomain;
use halo2_proofs::SerdeCurveAffine;

use crate::constraints::configure;
use crate::params::CircuitParams;
use crate::KEY_FORMAT;

/// The version byte halo2 writes first.
const VK_VERSION: u8 = 0x02;

pub fn vk_to_bytes(vk: &VerifyingKey<G1Affine>) -> Vec<u8> {
    vk.to_bytes(KEY_FORMAT)
}

/// Reads a verifying key of `params`' circuit, in halo2's encoding, for checking proofs only: its
/// domain has no FFT data, so it cannot make a proving key. The raw format checks only that
/// coordinates are below the modulus, so every commitment is checked to lie on the curve here.
/// Only the key's canonical encoding is read, so that one key has one byte string (and hash).
pub fn vk_from_bytes(bytes: &[u8], params: &CircuitParams) -> io::Result<VerifyingKey<G1Affine>> {
    let reader = &mut &bytes[..];
    if read_array::<1>(reader)? != [VK_VERSION] {
        return Err(invalid("unexpected version byte"));
    }
    let k = u32::from_le_bytes(read_array(reader)?);
    if k as usize != params.base.k {
        return Err(invalid("the key is for another number of rows than the settings"));
    }
    // This prover's keys give every selector a fixed column of its own (halo2's `keygen_vk`).
    if read_array::<1>(reader)? != [0] {
        return Err(invalid("compressed selectors"));
    }
    let mut cs = ConstraintSystem::default();
    configure(&mut cs, params);
    let domain = verifier_domain(cs.degree() as u32, k)?;
    let selectors = vec![vec![false]; cs.num_selectors()];
    let (cs, _) = cs.directly_convert_selectors_to_fixed(selectors);

    let num_fixed = u32::from_le_bytes(read_array(reader)?);
    if num_fixed as usize != cs.num_fixed_columns() {
        return Err(invalid("the key commits to another number of fixed columns than the circuit has"));
    }
    let fixed = read_points(reader, cs.num_fixed_columns())?;
    let sigmas = read_points(reader, cs.permutation().get_columns().len())?;
    if !reader.is_empty() {
        return Err(invalid("trailing bytes after the key"));
    }
    let permutation = permutation::VerifyingKey::from_commitments(sigmas);
    let vk = VerifyingKey::from_parts(domain, fixed, permutation, cs, vec![], false);
    // Every field above is read exactly and raw coordinates below the modulus are unique, so
    // this holds today; it keeps holding whatever halo2 reads or writes in future.
    if vk_to_bytes(&vk) != bytes {
        return Err(invalid("the key is not in its canonical encoding"));
    }
    Ok(vk)
}

fn read_array<const N: usize>(reader: &mut &[u8]) -> io::Result<[u8; N]> {
    let mut bytes = [0; N];
    reader.read_exact(&mut bytes)?;
    Ok(bytes)
}

fn read_points(reader: &mut &[u8], count: usize) -> io::Result<Vec<G1Affine>> {
    (0..count)
        .map(|_| {
            let point = G1Affine::read(reader, KEY_FORMAT)?;
            match bool::from(point.is_on_curve()) {
                true => Ok(point),
                false => Err(invalid("a commitment is not on the curve")),
            }
        })
        .collect()
}

fn invalid(reason: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, reason)
}

/// halo2's `EvaluationDomain::new(j, k)` without its FFT data: the same roots of unity, coset,
/// divisors, vanishing-polynomial evaluations and barycentric weight, computed the same way.
fn verifier_domain(j: u32, k: u32) -> io::Result<EvaluationDomain<Fr>> {
    let quotient_poly_degree = u64::from(j.saturating_sub(1));
    let n = 1u64 << k;
    // The smallest extended domain that holds the quotient polynomial.
    let mut extended_k = k;
    while (1u64 << extended_k) < n * quotient_poly_degree {
        extended_k += 1;
    }
    if extended_k > Fr::S {
        return Err(invalid("the circuit's extended domain exceeds the field's two-adicity"));
    }
    let mut extended_omega = Fr::ROOT_OF_UNITY;
    for _ in extended_k..Fr::S {
        extended_omega = extended_omega.square();
    }
    // omegas[i] generates the 2^(k + i) roots of unity.
    let mut omegas = vec![extended_omega];
    for _ in k..extended_k {
        omegas.push(omegas[omegas.len() - 1].square());
    }
    omegas.reverse();
    let omega = omegas[0];
    let mut omegas_inv = omegas;

    // t(X) = X^n − 1 on the coset ζ·⟨extended ω⟩ repeats with period 2^(extended_k − k).
    let first = Fr::ZETA.pow_vartime([n]);
    let step = extended_omega.pow_vartime([n]);
    let mut t_evaluations: Vec<Fr> = std::iter::successors(Some(first), |t| Some(t * step))
        .take(1 << (extended_k - k))
        .map(|t| t - Fr::ONE)
        .collect();
    let mut ifft_divisor = Fr::from(n);
    let mut extended_ifft_divisor = Fr::from(1u64 << extended_k);
    let mut barycentric_weight = Fr::from(n);
    t_evaluations
        .iter_mut()
        .chain(Some(&mut ifft_divisor))
        .chain(Some(&mut extended_ifft_divisor))
        .chain(Some(&mut barycentric_weight))
        .chain(&mut omegas_inv)
        .batch_invert();

    Ok(EvaluationDomain {
        n,
        k,
        extended_k,
        omega,
        omega_inv: omegas_inv[0],
        extended_omega,
        extended_omega_inv: omegas_inv[omegas_inv.len() - 1],
        g_coset: Fr::ZETA,
        g_coset_inv: Fr::ZETA.square(),
        quotient_poly_degree,
        ifft_divisor,
        extended_ifft_divisor,
        t_evaluations,
        barycentric_weight,
        fft_data: HashMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verifier_domain_is_halo2s_without_fft_data() {
        for (j, k) in [(2, 4), (3, 4), (5, 9), (8, 10), (9, 12)] {
            let ours = verifier_domain(j, k).unwrap();
            let halo2 = EvaluationDomain::<Fr>::new(j, k);
            let scalars =
                |d: &EvaluationDomain<Fr>| (d.n, d.k, d.extended_k, d.quotient_poly_degree, d.t_evaluations.clone());
            let roots = |d: &EvaluationDomain<Fr>| {
                [
                    d.omega,
                    d.omega_inv,
                    d.extended_omega,
                    d.extended_omega_inv,
                    d.g_coset,
                    d.g_coset_inv,
                    d.ifft_divisor,
                    d.extended_ifft_divisor,
                    d.barycentric_weight,
                ]
            };
            assert_eq!(scalars(&ours), scalars(&halo2), "j={j} k={k}");
            assert_eq!(roots(&ours), roots(&halo2), "j={j} k={k}");
            assert!(ours.fft_data.is_empty());
        }
    }

    #[test]
    fn a_domain_beyond_the_fields_two_adicity_is_refused() {
        assert!(verifier_domain(9, Fr::S - 2).is_err());
        assert!(verifier_domain(2, Fr::S).is_ok());
    }
}
