//! # zkml-prover
//!
//! Compiles ONNX models to halo2 circuits (KZG over BN254, SHPLONK) and proves and verifies their
//! inferences. The pipeline, one module per concern:
//!
//! - [`graph`]: ONNX loading with tract (the float reference) and lowering to the prover's graph;
//! - [`quantize`]: fixed-point formats;
//! - [`circuit`]: the fixed-point chip, the layout of a model, commitments and lookup tables;
//! - [`pfsys`]: keys, SRS, proving and verification;
//! - [`artifacts`] and [`proof`]: the files a model and a proof are kept in;
//! - [`api`]: one function per `zkml` verb.

pub mod api;
pub mod artifacts;
pub mod circuit;
pub mod corpus;
pub mod error;
pub mod graph;
pub mod input;
pub mod pfsys;
pub mod proof;
pub mod quantize;
pub mod registration;

pub use api::{
    compile, compile_with, open, prove, prove_fixed, run, setup, verify, CompileOptions, ProofSize, SrsSource,
};
pub use artifacts::{Settings, Visibility};
pub use error::{Error, Result};
pub use input::InputData;
pub use proof::{InputOpening, ProofFile};
