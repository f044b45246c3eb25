//! # zkml-circuit
//!
//! The model circuit and everything that works from a compiled model's artifacts: keys, proofs
//! and their checks. It knows nothing of ONNX; `zkml-prover` compiles models into the artifacts
//! this crate reads, and `zkml-verifier` holds the constraint system both build on.
//!
//! - [`ir`]: the graph a compiled model carries;
//! - [`quantize`]: fixed-point formats;
//! - [`circuit`]: the fixed-point chip, the layout of a model, commitments and lookup tables;
//! - [`pfsys`]: key generation, SRS files and proving;
//! - [`artifacts`], [`input`] and [`proof`]: the files a model, an input and a proof are kept in;
//! - [`api`]: the verbs that work from artifacts (`setup`, `prove`, `verify`, `open`);
//! - [`registration`]: a compiled model as the chain registers it.

pub mod api;
pub mod artifacts;
pub mod circuit;
pub mod error;
pub mod input;
pub mod ir;
pub mod pfsys;
pub mod proof;
pub mod quantize;
pub mod registration;

pub use api::{load_vk, open, prove, prove_fixed, setup, verify, Compiled, SrsSource, Verifier, VerifyTimings};
pub use artifacts::{Settings, Visibility};
pub use error::{Error, Result};
pub use input::InputData;
pub use proof::{InputOpening, ProofFile};
