//! Structured reference strings in halo2's raw format, as EZKL and the perpetual powers of tau
//! publish them: `k` (u32 LE), then 2^k G1 points, 2^k Lagrange-basis G1 points, G2 and s·G2.
//! What a verifier keeps of one, and the development SRS, are in [`zkml_verifier::kzg`].

use std::path::Path;

use halo2_base::halo2_proofs::halo2curves::bn256::Bn256;
use halo2_base::halo2_proofs::poly::commitment::Params;
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_base::halo2_proofs::SerdeFormat;

use crate::error::{Error, Result};

/// Largest circuit this prover builds: 2^MAX_PROVER_K rows. A chain verifies circuits up to its
/// own bound, `zkml_primitives::MAX_K`.
pub const MAX_PROVER_K: u32 = 26;

/// Size of a raw-format SRS file for 2^k points.
fn raw_size(k: u32) -> u64 {
    4 + 2 * 64 * (1u64 << k) + 2 * 128
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
    if file_k > MAX_PROVER_K || len != raw_size(file_k) {
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
