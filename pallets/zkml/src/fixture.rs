//! Real models, keys and proofs for the benchmarks, committed so that the benchmarks run in the
//! wasm runtime too:
//! - [`Fixtures`] (`fixtures/mlp_family.scale`): the MLP family in `benchmarking/models` (widths 2
//!   to 96, written by `benchmarking/mlp_family.py`) compiled by `zkml-prover` with the
//!   development SRS. Their circuits grow with the width: 6 to 194 public instances, k 9 to 16.
//!   `tests::benchmark_fixtures_verify` checks them and regenerates them on request.
//! - [`VerifierShapes`] (`fixtures/verifier_shapes.scale`): circuits of the MLP family laid out
//!   in chosen shapes, up to the widest that [`zkml_primitives::CircuitSettings::validate`]
//!   allows, for the verification benchmark. `tests::verifier_shape_fixtures_verify` checks and
//!   regenerates them.

use alloc::vec::Vec;
use codec::{Decode, Encode};
use zkml_primitives::{
    binding, fixed_to_field, BindingContext, FieldBytes, InputInstances, PublicInstances, RequestId,
};

/// Proofs are bound to this request id, or to nonce 0 for self-proved inferences.
pub const REQUEST: RequestId = 0;
/// The genesis hash the attestations sign over; benchmarks write it as block 0's hash.
pub const GENESIS_HASH: [u8; 32] = [0x42; 32];
/// The seed of the benchmark's prover account: `frame_benchmarking::account("prover", 0, 0)`.
pub const PROVER_SEED: (&[u8], u32, u32) = (b"prover", 0, 0);

/// A proof bound to one submitter, with that submitter's Falcon attestation of it.
#[derive(Clone, Debug, Encode, Decode)]
pub struct BoundProof {
    /// The submitter's SCALE encoding.
    pub submitter: Vec<u8>,
    /// Bound to [`REQUEST`] (for `submit_result`) or to nonce 0 (for `submit_inference`).
    pub for_request: bool,
    pub proof: Vec<u8>,
    /// Falcon-512 signature of the attestation message for [`REQUEST`] and [`GENESIS_HASH`].
    pub attestation: Vec<u8>,
}

/// One compiled model with its proofs.
#[derive(Clone, Debug, Encode, Decode)]
pub struct FixtureModel {
    pub settings: Vec<u8>,
    pub vk: Vec<u8>,
    pub onnx_hash: [u8; 32],
    pub commitment: FieldBytes,
    pub scale: u8,
    pub input: Vec<i64>,
    pub output: Vec<i64>,
    /// The family's Falcon key's publisher attestation of the public circuit's registration on a
    /// chain whose genesis hash is [`GENESIS_HASH`].
    pub publisher_signature: Vec<u8>,
    pub proofs: Vec<BoundProof>,
}

impl FixtureModel {
    /// Public instances: commitment, input, output, binding.
    pub fn instances(&self) -> u32 {
        PublicInstances::<FieldBytes>::count(self.input.len() as u32, self.output.len() as u32)
    }

    /// The public instances `bound` verifies with, in the order the pallet builds them.
    pub fn instance_values(&self, bound: &BoundProof) -> Vec<FieldBytes> {
        let context = if bound.for_request { BindingContext::Request(REQUEST) } else { BindingContext::Nonce(0) };
        PublicInstances {
            model_commitment: self.commitment,
            input: InputInstances::Public(self.input.iter().map(|&v| fixed_to_field(v)).collect()),
            output: self.output.iter().map(|&v| fixed_to_field(v)).collect(),
            binding: binding(context, &bound.submitter),
        }
        .into_vec()
    }

    /// The proof bound to `submitter`'s encoding, for a request or a nonce.
    pub fn proof_for(&self, submitter: &[u8], for_request: bool) -> Option<&BoundProof> {
        self.proofs.iter().find(|p| p.submitter == submitter && p.for_request == for_request)
    }
}

#[derive(Clone, Debug, Encode, Decode)]
pub struct Fixtures {
    pub kzg_params: Vec<u8>,
    pub falcon_public_key: Vec<u8>,
    /// Ordered by instance count.
    pub models: Vec<FixtureModel>,
}

impl Fixtures {
    pub const BYTES: &'static [u8] = include_bytes!("fixtures/mlp_family.scale");
    /// Instance counts of the smallest and largest model.
    pub const MIN_INSTANCES: u32 = 6;
    pub const MAX_INSTANCES: u32 = 194;

    pub fn load() -> Self {
        Self::decode(&mut &Self::BYTES[..]).expect("the committed fixtures decode")
    }

    /// The smallest model with at least `instances` public instances (the largest if none), so
    /// that a benchmark never measures less than it claims.
    pub fn model(&self, instances: u32) -> &FixtureModel {
        self.models.iter().find(|m| m.instances() >= instances).or(self.models.last()).expect("fixtures hold models")
    }

    /// Encodings of the benchmark prover account for the account types runtimes use: `u64` (mock
    /// runtimes) and 32-byte ids.
    pub fn prover_encodings() -> [Vec<u8>; 2] {
        let seed = sp_io::hashing::blake2_256(&PROVER_SEED.encode());
        [seed[..8].to_vec(), seed.to_vec()]
    }
}

/// One circuit of a chosen shape with a valid proof: what a verification costs depends on the
/// shape of the constraint system and the instance count, not on the model.
#[derive(Clone, Debug, Encode, Decode)]
pub struct ShapeFixture {
    /// Gate columns.
    pub advice: u32,
    /// Range-lookup columns.
    pub range_columns: u32,
    /// Function-lookup column pairs.
    pub lookup_columns: u32,
    pub settings: Vec<u8>,
    pub vk: Vec<u8>,
    pub proof: Vec<u8>,
    pub instances: Vec<FieldBytes>,
}

impl ShapeFixture {
    /// Whether this circuit is at least as wide as `(advice, range, lookups)` with at least
    /// `instances` public instances: it then costs at least as much to verify.
    pub fn covers(&self, advice: u32, range: u32, lookups: u32, instances: u32) -> bool {
        self.advice >= advice
            && self.range_columns >= range
            && self.lookup_columns >= lookups
            && self.instances.len() as u32 >= instances
    }
}

/// The verification benchmark's circuits: sweeps of each shape component through the widest
/// allowed circuit.
#[derive(Clone, Debug, Encode, Decode)]
pub struct VerifierShapes {
    pub kzg_params: Vec<u8>,
    pub shapes: Vec<ShapeFixture>,
}

impl VerifierShapes {
    pub const BYTES: &'static [u8] = include_bytes!("fixtures/verifier_shapes.scale");
    /// Instance counts the benchmark measures: the smallest and largest of the MLP family it lays
    /// out. Verification is linear in them (one Lagrange evaluation each), and the weight
    /// function extends the line to the largest count a model may have.
    pub const MIN_INSTANCES: u32 = 6;
    pub const MAX_INSTANCES: u32 = 50;

    pub fn load() -> Self {
        Self::decode(&mut &Self::BYTES[..]).expect("the committed fixtures decode")
    }

    /// The cheapest circuit that covers the shape asked for (the widest if none does), so that a
    /// benchmark never measures less than it claims.
    pub fn covering(&self, advice: u32, range: u32, lookups: u32, instances: u32) -> &ShapeFixture {
        let size = |s: &&ShapeFixture| (s.advice + s.range_columns + 2 * s.lookup_columns, s.instances.len());
        self.shapes
            .iter()
            .filter(|s| s.covers(advice, range, lookups, instances))
            .min_by_key(size)
            .or_else(|| self.shapes.iter().max_by_key(size))
            .expect("fixtures hold shapes")
    }
}
