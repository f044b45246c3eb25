//! The one error type of the circuit and the compiler (for now): every failure a user can cause has its own variant.

use std::path::PathBuf;

/// Everything that can go wrong between an ONNX file and a verified proof.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is {size} bytes, above the {limit}-byte limit for {what}")]
    FileTooLarge { path: PathBuf, what: &'static str, size: u64, limit: u64 },
    #[error("{path} is not a valid ONNX model: {reason}")]
    MalformedModel { path: PathBuf, reason: String },
    #[error("unsupported operator `{op}` at node `{node}`{detail}")]
    UnsupportedOp { op: String, node: String, detail: String },
    #[error("malformed input file {path}: {reason}")]
    MalformedInput { path: PathBuf, reason: String },
    #[error("input {index} has {got} values but the model expects {expected} (shape {shape:?})")]
    InputLength { index: usize, got: usize, expected: usize, shape: Vec<usize> },
    #[error("the model takes {expected} inputs but {got} were given")]
    InputCount { expected: usize, got: usize },
    #[error("input {index} value #{position} is {value}: only finite numbers can be quantised")]
    NonFinite { index: usize, position: usize, value: f64 },
    #[error("input `{input}` value #{position} is {value}, but the input is boolean: 0 or 1 (false or true)")]
    NotBoolean { input: String, position: usize, value: f64 },
    #[error("input `{input}` value #{position} is {value}, but the input takes whole numbers")]
    NotInteger { input: String, position: usize, value: f64 },
    #[error(
        "value {value} at node `{node}` is outside the calibrated range ±{bound} (fixed point, scale 2^{scale}); \
         recompile with this input among the calibration inputs"
    )]
    OutOfRange { node: String, value: i128, bound: i128, scale: u32 },
    #[error("divisor {value} at node `{node}` is not positive: only division by positive values is proved")]
    NonPositiveDivisor { node: String, value: f64 },
    #[error("index {value} at node `{node}` is not a whole number in 0..{len}")]
    IndexOutOfRange { node: String, value: f64, len: usize },
    #[error("two updates at node `{node}` write output element {position}, whose result ONNX leaves undefined")]
    IndexCollision { node: String, position: usize },
    #[error("`{function}` at node `{node}` is undefined or overflows at input {input}")]
    FunctionUndefined { function: String, node: String, input: f64 },
    #[error("no fixed-point scale keeps the error within the accuracy bound: best max error {error} > bound {bound}")]
    Accuracy { error: f64, bound: f64 },
    #[error("the circuit needs 2^{k} rows, more than the maximum 2^{max}")]
    CircuitTooLarge { k: u32, max: u32 },
    #[error("node `{node}` takes the circuit past {max} advice cells, the most this prover lays out")]
    TooManyCells { node: String, max: usize },
    #[error("no circuit of at most 2^{max_k} rows has a proof within {budget} bytes: the smallest has {smallest}", max_k = crate::pfsys::srs::MAX_PROVER_K)]
    ProofBudget { budget: usize, smallest: usize },
    #[error(
        "the function table, Poseidon region or public instances need {needed} rows but 2^{k} rows leave {available}"
    )]
    TooManyRows { needed: usize, available: usize, k: u32 },
    #[error("tract failed on the float reference: {0}")]
    Tract(String),
    #[error("{what} file {path} is corrupt or belongs to another circuit: {reason}")]
    CorruptArtifact { what: &'static str, path: PathBuf, reason: String },
    #[error("SRS has 2^{have} points but the circuit needs 2^{need}")]
    SrsTooSmall { have: u32, need: u32 },
    #[error("artifact directory {0} has no keys: run `zkml setup` first")]
    NotSetUp(PathBuf),
    #[error("proof was made for model commitment {proof}, but these artifacts are for {artifacts}")]
    ForeignProof { proof: String, artifacts: String },
    #[error("malformed proof file: {0}")]
    MalformedProof(String),
    #[error("binding must be a hex field element below the BN254 scalar modulus: {0}")]
    BadBinding(String),
    #[error("malformed input opening: {0}")]
    MalformedOpening(String),
    #[error("the opening does not open commitment {claimed}: its input and blinding commit to {opened}")]
    OpeningMismatch { claimed: String, opened: String },
    #[error("proof does not verify: {0}")]
    InvalidProof(#[from] zkml_verifier::ProofError),
    #[error(transparent)]
    UnsupportedCpu(#[from] zkml_verifier::UnsupportedCpu),
    #[error("proving failed: {0}")]
    Prover(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}
