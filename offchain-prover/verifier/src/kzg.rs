//! KZG parameters on BN254: what a verifier keeps of an SRS ([`VerifierParams`]), and the
//! insecure development SRS.

use halo2_proofs::halo2curves::bn256::{Bn256, Fq, G1Affine, G2Affine, G2};
use halo2_proofs::halo2curves::group::cofactor::CofactorGroup;
use halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
use halo2_proofs::halo2curves::group::GroupEncoding;
use halo2_proofs::poly::commitment::ParamsProver;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use rand_chacha::rand_core::SeedableRng;

/// Seed of the insecure development SRS. Anyone can recompute its toxic waste.
const DEV_SEED: [u8; 32] = *b"hauptbuch-zkml insecure dev srs!";

/// Generates the insecure development SRS for 2^k rows. Its secret is public: never use it on a
/// chain that carries value.
pub fn dev_srs(k: u32) -> ParamsKZG<Bn256> {
    ParamsKZG::setup(k, rand_chacha::ChaCha20Rng::from_seed(DEV_SEED))
}

/// The part of an SRS a verifier needs: the G1 generator, G2 and s·G2 (160 bytes compressed).
/// This is what the chain stores; the domain size comes from each circuit's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifierParams {
    pub g1: G1Affine,
    pub g2: G2Affine,
    pub s_g2: G2Affine,
}

impl VerifierParams {
    pub const BYTES: usize = 32 + 64 + 64;

    pub fn from_srs(params: &ParamsKZG<Bn256>) -> Self {
        Self { g1: params.get_g()[0], g2: params.g2(), s_g2: params.s_g2() }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(Self::BYTES);
        bytes.extend_from_slice(self.g1.to_bytes().as_ref());
        bytes.extend_from_slice(self.g2.to_bytes().as_ref());
        bytes.extend_from_slice(self.s_g2.to_bytes().as_ref());
        bytes
    }

    /// Parses compressed points, rejecting any byte string that is not three valid points; see
    /// [`Self::parse`].
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        Self::parse(bytes).ok()
    }

    /// Parses compressed points, each in its one canonical encoding, none the identity, and G2
    /// and s·G2 in the prime-order subgroup (G1 has cofactor 1; G2's curve has many more points).
    pub fn parse(bytes: &[u8]) -> Result<Self, MalformedVerifierParams> {
        if bytes.len() != Self::BYTES {
            return Err(MalformedVerifierParams::Length(bytes.len()));
        }
        let params = Self {
            g1: point(&bytes[..32], "G1")?,
            g2: g2_point(&bytes[32..96], "G2")?,
            s_g2: g2_point(&bytes[96..], "s·G2")?,
        };
        // The subgroup checks cost 1.3 ms, four times the rest; a chain passes the same
        // parameters to every proof check, so the last ones that passed are remembered and their
        // verdict, a function of the bytes alone, is not computed again.
        static PASSED: std::sync::Mutex<Option<[u8; VerifierParams::BYTES]>> = std::sync::Mutex::new(None);
        let passed = |memo: &Option<[u8; VerifierParams::BYTES]>| memo.is_some_and(|last| last[..] == *bytes);
        if PASSED.lock().is_ok_and(|memo| passed(&memo)) {
            return Ok(params);
        }
        for (point, name) in [(params.g2, "G2"), (params.s_g2, "s·G2")] {
            if !bool::from(G2::from(point).is_torsion_free()) {
                return Err(MalformedVerifierParams::OutsideSubgroup(name));
            }
        }
        if let (Ok(mut memo), Ok(bytes)) = (PASSED.lock(), <[u8; VerifierParams::BYTES]>::try_from(bytes)) {
            *memo = Some(bytes);
        }
        Ok(params)
    }

    /// KZG parameters for verifying a circuit of 2^k rows: verification reads only the first G1
    /// point, G2, s·G2 and the domain size.
    pub fn for_circuit(&self, k: u32) -> ParamsKZG<Bn256> {
        static TEMPLATE: std::sync::OnceLock<ParamsKZG<Bn256>> = std::sync::OnceLock::new();
        let template = TEMPLATE.get_or_init(|| dev_srs(0));
        template.from_parts(k, vec![self.g1], Some(vec![]), self.g2, self.s_g2)
    }
}

/// Why bytes are not KZG verifier parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MalformedVerifierParams {
    #[error("{0} bytes, not {n}", n = VerifierParams::BYTES)]
    Length(usize),
    #[error("{0} is not a point in its canonical compressed encoding")]
    Encoding(&'static str),
    #[error("{0} is the identity")]
    Identity(&'static str),
    #[error("{0} is not in the prime-order subgroup")]
    OutsideSubgroup(&'static str),
}

/// A compressed point that is not the identity, in its canonical encoding: halo2curves' decoder
/// ignores the infinity flag of a non-zero x and the sign bit of the identity.
fn point<P: PrimeCurveAffine>(bytes: &[u8], name: &'static str) -> Result<P, MalformedVerifierParams> {
    let mut repr = P::Repr::default();
    repr.as_mut().copy_from_slice(bytes);
    // Last line of defence: a panic in the decoder is a property of the bytes.
    let decode = std::panic::AssertUnwindSafe(|| Option::<P>::from(P::from_bytes(&repr)));
    let decoded = std::panic::catch_unwind(decode).ok().flatten();
    let point = decoded.filter(|p| p.to_bytes().as_ref() == bytes).ok_or(MalformedVerifierParams::Encoding(name))?;
    match bool::from(point.is_identity()) {
        true => Err(MalformedVerifierParams::Identity(name)),
        false => Ok(point),
    }
}

/// [`point`] for G2, whose decoder unwraps (panics on) an x coordinate half at or above the
/// modulus: such halves are refused first.
fn g2_point(bytes: &[u8], name: &'static str) -> Result<G2Affine, MalformedVerifierParams> {
    let mut x = [0u8; 64];
    x.copy_from_slice(bytes);
    x[63] &= 0b0011_1111; // the flags
    let reduced = |half: &[u8]| half.try_into().is_ok_and(|half| Fq::from_bytes(half).is_some().into());
    match reduced(&x[..32]) && reduced(&x[32..]) {
        true => point(bytes, name),
        false => Err(MalformedVerifierParams::Encoding(name)),
    }
}

/// A point on G2's curve, the twist y² = x³ + b', outside its prime-order subgroup: the first
/// x = i + u with a square right-hand side (the twist's cofactor is about 2^254, so the subgroup
/// is never hit). For the tests of the checks that must refuse it, in this crate and others.
#[doc(hidden)]
pub fn g2_outside_subgroup() -> G2Affine {
    use halo2_proofs::halo2curves::bn256::Fq2;
    use halo2_proofs::halo2curves::ff::Field;
    use halo2_proofs::halo2curves::CurveAffine;
    (1u64..)
        .find_map(|i| {
            let x = Fq2 { c0: Fq::from(i), c1: Fq::ONE };
            let y = Option::<Fq2>::from((x.square() * x + G2Affine::b()).sqrt())?;
            Option::from(G2Affine::from_xy(x, y))
        })
        .expect("half of all x are on the twist")
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::halo2curves::CurveAffine;
    use MalformedVerifierParams::*;

    fn dev_params() -> VerifierParams {
        VerifierParams::from_srs(&dev_srs(1))
    }

    #[test]
    fn halo2curves_g2_subgroup_check_tells_the_subgroup_from_the_twist() {
        let p = dev_params();
        assert!(bool::from(G2::from(p.g2).is_torsion_free()));
        assert!(bool::from(G2::from(p.s_g2).is_torsion_free()));
        let outside = g2_outside_subgroup();
        assert!(bool::from(outside.is_on_curve()));
        assert!(!bool::from(G2::from(outside).is_torsion_free()));
        // Its multiple by the cofactor is in the subgroup.
        assert!(bool::from(G2::from(outside).clear_cofactor().is_torsion_free()));
    }

    #[test]
    fn verifier_params_round_trip() {
        let p = dev_params();
        assert_eq!(VerifierParams::parse(&p.to_bytes()), Ok(p));
        assert_eq!(VerifierParams::from_bytes(&p.to_bytes()), Some(p));
        assert_eq!(VerifierParams::parse(&p.to_bytes()[1..]), Err(Length(159)));
    }

    #[test]
    fn g2_points_outside_the_subgroup_are_refused() {
        let p = dev_params();
        let outside = g2_outside_subgroup();
        assert_eq!(
            VerifierParams::parse(&VerifierParams { s_g2: outside, ..p }.to_bytes()),
            Err(OutsideSubgroup("s·G2"))
        );
        assert_eq!(VerifierParams::parse(&VerifierParams { g2: outside, ..p }.to_bytes()), Err(OutsideSubgroup("G2")));
        assert_eq!(VerifierParams::from_bytes(&VerifierParams { s_g2: outside, ..p }.to_bytes()), None);
        // Parameters that passed are remembered, and the verdict on others is unchanged.
        for _ in 0..2 {
            assert_eq!(VerifierParams::parse(&p.to_bytes()), Ok(p));
            assert_eq!(
                VerifierParams::parse(&VerifierParams { s_g2: outside, ..p }.to_bytes()),
                Err(OutsideSubgroup("s·G2"))
            );
        }
    }

    #[test]
    fn identity_points_are_refused() {
        let p = dev_params();
        for (params, name) in [
            (VerifierParams { g1: G1Affine::identity(), ..p }, "G1"),
            (VerifierParams { g2: G2Affine::identity(), ..p }, "G2"),
            (VerifierParams { s_g2: G2Affine::identity(), ..p }, "s·G2"),
        ] {
            assert_eq!(VerifierParams::parse(&params.to_bytes()), Err(Identity(name)));
            assert_eq!(VerifierParams::from_bytes(&params.to_bytes()), None);
        }
    }

    #[test]
    fn only_the_canonical_encoding_is_read() {
        let bytes = dev_params().to_bytes();
        // The infinity flag (top bit of each point's last byte) on a point with a non-zero x.
        for (last, name) in [(31, "G1"), (95, "G2"), (159, "s·G2")] {
            let mut flagged = bytes.clone();
            flagged[last] |= 0x80;
            assert_eq!(VerifierParams::parse(&flagged), Err(Encoding(name)));
            assert_eq!(VerifierParams::from_bytes(&flagged), None);
        }
        // The identity with its sign bit set, where a generator should be.
        let mut signed = bytes.clone();
        signed[..32].fill(0);
        signed[31] = 0xc0;
        assert_eq!(VerifierParams::parse(&signed), Err(Encoding("G1")));
        assert_eq!(VerifierParams::from_bytes(&signed), None);
        let mut signed = bytes.clone();
        signed[32..96].fill(0);
        signed[95] = 0xc0;
        assert_eq!(VerifierParams::parse(&signed), Err(Encoding("G2")));
        // An x coordinate half of G2 at or above the modulus: refused before the decoder panics.
        for half in [32..64, 64..96] {
            let mut unreduced = bytes.clone();
            unreduced[half.clone()].fill(0xff);
            unreduced[95] &= 0x3f;
            assert_eq!(VerifierParams::parse(&unreduced), Err(Encoding("G2")), "{half:?}");
        }
    }
}
