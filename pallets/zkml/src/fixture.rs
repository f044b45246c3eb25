//! Real models, keys and proofs for the benchmarks: the MLP family in `benchmarking/models`
//! (widths 2 to 96, written by `benchmarking/mlp_family.py`) compiled by `zkml-prover` with the
//! development SRS. Their circuits grow with the width: 6 to 194 public instances, k 9 to 16. The
//! bytes are committed (`fixtures/mlp_family.scale`) so that the benchmarks run in the wasm runtime
//! too; `tests::benchmark_fixtures_verify` checks them and regenerates them on request.

use alloc::vec::Vec;
use codec::{Decode, Encode};
use zkml_primitives::{FieldBytes, RequestId};

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
    /// The model commitment signed with the family's Falcon key, as a publisher attestation.
    pub publisher_signature: Vec<u8>,
    pub proofs: Vec<BoundProof>,
}

impl FixtureModel {
    /// Public instances: commitment, input, output, binding.
    pub fn instances(&self) -> u32 {
        (self.input.len() + self.output.len() + 2) as u32
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
