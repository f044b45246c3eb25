//! # zkml-prover
//!
//! The compiler: ONNX models, loaded with tract, become the artifacts `zkml-circuit` keys and
//! proves from. One module per concern:
//!
//! - [`graph`]: ONNX loading with tract (the float reference) and lowering to the circuit's graph
//!   (`zkml_circuit::ir`);
//! - [`api`]: `run` (the float reference) and `compile` (calibration, function sampling, circuit
//!   sizing);
//! - [`mutation`]: the malicious prover as a test, on compiled corpus models;
//! - [`corpus`]: where the tests find the corpus.
//!
//! The verbs that work from compiled artifacts (`setup`, `prove`, `verify`, `open`) are
//! `zkml-circuit`'s, re-exported here so that one crate serves the CLI.

pub mod api;
pub mod corpus;
pub mod graph;
pub mod mutation;

pub use api::{compile, compile_with, run, CompileOptions, ProofSize};
pub use zkml_circuit::{
    open, prove, prove_fixed, setup, verify, Error, InputData, InputOpening, ProofFile, Result, Settings, SrsSource,
    Visibility,
};
