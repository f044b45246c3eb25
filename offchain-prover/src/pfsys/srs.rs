//! Structured reference strings in halo2's raw format, as EZKL and the perpetual powers of tau
//! publish them: `k` (u32 LE), then 2^k G1 points, 2^k Lagrange-basis G1 points, G2 and s·G2.

use std::path::Path;

use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, G1Affine, G2Affine};
use halo2_base::halo2_proofs::halo2curves::group::GroupEncoding;
use halo2_base::halo2_proofs::poly::commitment::{Params, ParamsProver};
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_base::halo2_proofs::SerdeFormat;
use rand_chacha::rand_core::SeedableRng;

use crate::error::{Error, Result};

/// Seed of the insecure development SRS. Anyone can recompute its toxic waste.
const DEV_SEED: [u8; 32] = *b"hauptbuch-zkml insecure dev srs!";

/// Largest circuit this prover builds: 2^MAX_K rows.
pub const MAX_K: u32 = 26;

/// Size of a raw-format SRS file for 2^k points.
fn raw_size(k: u32) -> u64 {
    4 + 2 * 64 * (1u64 << k) + 2 * 128
}

/// Generates the insecure development SRS for 2^k rows. Its secret is public: never use it on a
/// chain that carries value.
pub fn dev_srs(k: u32) -> ParamsKZG<Bn256> {
    ParamsKZG::setup(k, rand_chacha::ChaCha20Rng::from_seed(DEV_SEED))
}

/// Loads an SRS file, checking every point, and downsizes it to 2^k.
pub fn load(path: &Path, k: u32) -> Result<ParamsKZG<Bn256>> {
    let file = std::fs::File::open(path).map_err(Error::io(path))?;
    // Check the declared size against the file before allocating 2^k points.
    let corrupt = |reason: String| Error::CorruptArtifact { what: "SRS", path: path.into(), reason };
    let mut header = [0u8; 4];
    std::io::Read::read_exact(&mut &file, &mut header).map_err(|e| corrupt(e.to_string()))?;
    let file_k = u32::from_le_bytes(header);
    let len = file.metadata().map_err(Error::io(path))?.len();
    if file_k > MAX_K || len != raw_size(file_k) {
        return Err(corrupt(format!("{len} bytes do not hold a raw SRS for 2^{file_k} points")));
    }
    std::io::Seek::rewind(&mut &file).map_err(Error::io(path))?;
    let mut reader = std::io::BufReader::new(file);
    let mut params =
        ParamsKZG::<Bn256>::read_custom(&mut reader, SerdeFormat::RawBytes).map_err(|e| corrupt(e.to_string()))?;
    if params.k() < k {
        return Err(Error::SrsTooSmall { have: params.k(), need: k });
    }
    if params.k() > k {
        params.downsize(k);
    }
    Ok(params)
}

pub fn save(params: &ParamsKZG<Bn256>, path: &Path) -> Result<()> {
    let mut bytes = vec![];
    params.write_custom(&mut bytes, SerdeFormat::RawBytes).map_err(Error::io(path))?;
    std::fs::write(path, bytes).map_err(Error::io(path))
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

    /// Parses compressed points, rejecting any byte string that is not three valid points.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != Self::BYTES {
            return None;
        }
        fn point<P: GroupEncoding>(bytes: &[u8]) -> Option<P> {
            let mut repr = P::Repr::default();
            repr.as_mut().copy_from_slice(bytes);
            // halo2curves' G2 decompression unwraps a non-canonical coordinate: a panic here is a
            // property of the bytes, so it reads as "not a point".
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Option::from(P::from_bytes(&repr)))).ok().flatten()
        }
        Some(Self { g1: point(&bytes[..32])?, g2: point(&bytes[32..96])?, s_g2: point(&bytes[96..])? })
    }

    /// KZG parameters for verifying a circuit of 2^k rows: verification reads only the first G1
    /// point, G2, s·G2 and the domain size.
    pub fn for_circuit(&self, k: u32) -> ParamsKZG<Bn256> {
        static TEMPLATE: std::sync::OnceLock<ParamsKZG<Bn256>> = std::sync::OnceLock::new();
        let template = TEMPLATE.get_or_init(|| dev_srs(0));
        template.from_parts(k, vec![self.g1], Some(vec![]), self.g2, self.s_g2)
    }
}
