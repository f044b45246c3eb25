//! The artifact directory of a compiled model and the files in it.
//!
//! ```text
//! DIR/settings.json     circuit shape, quantisation, commitments (this module's `Settings`)
//! DIR/network.onnx      the model, copied so the directory is self-contained
//! DIR/graph.json        the model lowered to the prover's graph, which proving lays out
//! DIR/functions.json    its element-wise functions sampled on the lookup table's domain
//! DIR/calibration.json  the input calibration ran on, used again for key generation
//! DIR/{public,private}.srs  the SRS, downsized to each circuit (written by `setup`)
//! DIR/kzg.vparams       the verifier's part of the SRS: G1 generator, G2, s·G2 (160 bytes)
//! DIR/{public,private}.vk / .pk   keys for each input visibility (written by `setup`)
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use zkml_verifier::CircuitParams;

use crate::circuit::functions::FunctionTable;
use crate::circuit::layout::ParamBits;
use crate::error::{Error, Result};
use crate::ir::Graph;
use crate::quantize::Quantization;

/// Reads a whole file, refusing files above `limit` bytes.
pub fn read_limited(path: &Path, what: &'static str, limit: u64) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(Error::io(path))?;
    let size = file.metadata().map_err(Error::io(path))?.len();
    if size > limit {
        return Err(Error::FileTooLarge { path: path.into(), what, size, limit });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limit).read_to_end(&mut bytes).map_err(Error::io(path))?;
    Ok(bytes)
}

/// Whether the proof exposes the input or only a Poseidon commitment to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Private,
}

impl Visibility {
    pub const ALL: [Visibility; 2] = [Visibility::Public, Visibility::Private];

    pub fn name(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        }
    }
}

/// The circuit of one input visibility.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Variant {
    pub circuit: CircuitParams,
    pub num_instances: usize,
}

/// Accuracy of the quantised model on the calibration input.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Accuracy {
    pub max_error: f64,
    pub bound: f64,
}

/// `settings.json`: determines the circuit entirely, together with the vk.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub version: u32,
    /// SHA-256 of the ONNX file, hex.
    pub onnx_sha256: String,
    /// Poseidon commitment to the quantised parameters, as a field element (hex, big-endian).
    pub model_commitment: String,
    pub input_shapes: Vec<Vec<usize>>,
    pub output_shapes: Vec<Vec<usize>>,
    pub quantization: Quantization,
    /// Bits of the largest quantised weight and bias, sign included.
    pub param_bits: ParamBits,
    pub accuracy: Accuracy,
    pub public: Variant,
    pub private: Variant,
}

/// Version 9: public inputs are range-checked; each function's table rows are a lookup kind of
/// their own, and a lookup's key is its input itself; a private input's commitment is salted;
/// lookup values are read from `functions.json`, sampled once at compilation. (8: the lowered
/// graph is an artifact of its own (`graph.json`); 7: Poseidon rows say
/// what they are in one fixed column and take inputs through one column; lookups select by a kind
/// column; every circuit is of degree 5. 6: the gate columns are laid out row by row, so no break
/// points; 5: inputs keep their declared types, so the circuits of boolean and integer inputs
/// constrain them (bits, whole numbers); 3: one lookup table for range checks and functions, read
/// in place by a single gate column; 2: Poseidon in three columns, sign-split range checks,
/// per-kind parameter widths.)
pub const SETTINGS_VERSION: u32 = 9;
const MAX_SETTINGS_BYTES: u64 = 16 << 20;
/// A lowered graph lists every coefficient of every linear layer.
const MAX_GRAPH_BYTES: u64 = 4 << 30;

impl Settings {
    pub fn variant(&self, visibility: Visibility) -> &Variant {
        match visibility {
            Visibility::Public => &self.public,
            Visibility::Private => &self.private,
        }
    }

    pub fn k(&self) -> u32 {
        self.public.circuit.k().max(self.private.circuit.k())
    }
}

/// Paths of the files in an artifact directory.
#[derive(Clone, Debug)]
pub struct ArtifactDir(pub PathBuf);

impl ArtifactDir {
    pub fn settings(&self) -> PathBuf {
        self.0.join("settings.json")
    }
    pub fn onnx(&self) -> PathBuf {
        self.0.join("network.onnx")
    }
    /// The lowered graph ([`Graph`]), so that proving need not load and lower the ONNX file.
    pub fn graph(&self) -> PathBuf {
        self.0.join("graph.json")
    }
    /// The function table ([`FunctionTable`]) that lookups read and the keys commit to.
    pub fn functions(&self) -> PathBuf {
        self.0.join("functions.json")
    }
    pub fn calibration(&self) -> PathBuf {
        self.0.join("calibration.json")
    }
    pub fn srs(&self, v: Visibility) -> PathBuf {
        self.0.join(format!("{}.srs", v.name()))
    }
    pub fn verifier_params(&self) -> PathBuf {
        self.0.join("kzg.vparams")
    }
    pub fn vk(&self, v: Visibility) -> PathBuf {
        self.0.join(format!("{}.vk", v.name()))
    }
    pub fn pk(&self, v: Visibility) -> PathBuf {
        self.0.join(format!("{}.pk", v.name()))
    }

    pub fn load_settings(&self) -> Result<Settings> {
        let path = self.settings();
        let settings: Settings = read_json(&path, "settings", MAX_SETTINGS_BYTES)?;
        if settings.version != SETTINGS_VERSION {
            return Err(Error::CorruptArtifact {
                what: "settings",
                path,
                reason: format!("version {} (this prover reads version {SETTINGS_VERSION})", settings.version),
            });
        }
        Ok(settings)
    }

    pub fn save_settings(&self, settings: &Settings) -> Result<()> {
        write_json(&self.settings(), settings)
    }

    pub fn load_graph(&self) -> Result<Graph> {
        read_json(&self.graph(), "lowered graph", MAX_GRAPH_BYTES)
    }

    pub fn load_functions(&self) -> Result<FunctionTable> {
        read_json(&self.functions(), "function table", MAX_GRAPH_BYTES)
    }

    pub fn save_functions(&self, functions: &FunctionTable) -> Result<()> {
        let path = self.functions();
        std::fs::write(&path, serde_json::to_vec(functions).expect("tables serialise to JSON")).map_err(Error::io(path))
    }

    /// Writes the graph as compact JSON: a large model's graph lists millions of coefficients.
    pub fn save_graph(&self, graph: &Graph) -> Result<()> {
        let path = self.graph();
        std::fs::write(&path, serde_json::to_vec(graph).expect("graphs serialise to JSON")).map_err(Error::io(path))
    }
}

/// Reads the JSON artifact `what` at `path`, of at most `limit` bytes.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &'static str, limit: u64) -> Result<T> {
    let bytes = read_limited(path, what, limit)?;
    serde_json::from_slice(&bytes).map_err(|e| Error::CorruptArtifact {
        what,
        path: path.into(),
        reason: e.to_string(),
    })
}

pub fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let text = serde_json::to_vec_pretty(value).expect("artifacts serialise to JSON");
    std::fs::write(path, text).map_err(Error::io(path))
}
