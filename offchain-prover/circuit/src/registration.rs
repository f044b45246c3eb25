//! A compiled model as the chain registers it, read from the artifact directory that
//! `zkml compile` and `zkml setup` wrote. Clients, genesis presets and tests all describe a model
//! to the pallet through this one reading.

use std::path::Path;

use codec::Encode;
use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;
use zkml_primitives::{CircuitSettings, FieldBytes};

use crate::artifacts::ArtifactDir;
use crate::{Error, Settings, Visibility};

/// What `register_model` (or a genesis model) takes from a compiled model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    /// SHA-256 of the ONNX file.
    pub onnx_hash: [u8; 32],
    /// The Poseidon commitment to the quantised parameters (canonical little-endian).
    pub commitment: FieldBytes,
    pub input_shape: Vec<u32>,
    pub output_len: u32,
    /// The fixed-point scale (power of two) of inputs and outputs.
    pub scale: u8,
    /// SCALE-encoded [`CircuitSettings`] of the circuit for `visibility`.
    pub settings: Vec<u8>,
    /// The verifying key of the circuit for `visibility`.
    pub vk: Vec<u8>,
}

impl Registration {
    /// Reads the model in `dir` for proofs with `visibility` of the input.
    pub fn load(dir: &Path, visibility: Visibility) -> Result<Self, Error> {
        let files = ArtifactDir(dir.to_path_buf());
        let settings: Settings = files.load_settings()?;
        let corrupt =
            |reason: &str| Error::CorruptArtifact { what: "settings", path: files.settings(), reason: reason.into() };
        let commitment = crate::proof::fr_from_hex(&settings.model_commitment)
            .map_err(|_| corrupt("the model commitment is not a field element"))?
            .to_repr();
        let onnx_hash = hex::decode(&settings.onnx_sha256)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| corrupt("the ONNX hash is not 32 hex bytes"))?;
        let [shape] = settings.input_shapes.as_slice() else {
            return Err(corrupt("the model does not have exactly one input"));
        };
        let input_shape = shape
            .iter()
            .map(|&d| u32::try_from(d))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| corrupt("an input dimension exceeds u32"))?;
        let output_len = settings.output_shapes.iter().map(|s| s.iter().product::<usize>()).sum::<usize>();
        let output_len = u32::try_from(output_len).map_err(|_| corrupt("the output length exceeds u32"))?;
        let scale = u8::try_from(settings.quantization.scale).map_err(|_| corrupt("the scale exceeds 2^255"))?;
        let variant = settings.variant(visibility);
        let encoded = CircuitSettings::from_params(&variant.circuit, variant.num_instances).encode();
        let vk_path = files.vk(visibility);
        let vk = std::fs::read(&vk_path).map_err(|source| Error::Io { path: vk_path, source })?;
        Ok(Self { onnx_hash, commitment, input_shape, output_len, scale, settings: encoded, vk })
    }
}
