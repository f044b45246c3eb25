//! A real model, keys and proofs for benchmarks: the corpus's 1l_mlp compiled by `zkml-prover`
//! with the development SRS. The bytes are committed (`fixtures/1l_mlp.scale`) so that the
//! benchmarks run in the wasm runtime too; `tests::fixture` regenerates and checks them.

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

#[derive(Clone, Debug, Encode, Decode)]
pub struct Fixture {
    pub kzg_params: Vec<u8>,
    pub settings: Vec<u8>,
    pub vk: Vec<u8>,
    pub onnx_hash: [u8; 32],
    pub commitment: FieldBytes,
    pub input_shape: Vec<u32>,
    pub scale: u8,
    pub input: Vec<i64>,
    pub output: Vec<i64>,
    pub falcon_public_key: Vec<u8>,
    /// The model commitment signed with the same Falcon key, as a publisher attestation.
    pub publisher_signature: Vec<u8>,
    pub proofs: Vec<BoundProof>,
}

impl Fixture {
    pub const BYTES: &'static [u8] = include_bytes!("fixtures/1l_mlp.scale");

    pub fn load() -> Self {
        Self::decode(&mut &Self::BYTES[..]).expect("the committed fixture decodes")
    }

    /// The proof bound to `submitter`'s encoding, for a request or a nonce.
    pub fn proof_for(&self, submitter: &[u8], for_request: bool) -> Option<&BoundProof> {
        self.proofs.iter().find(|p| p.submitter == submitter && p.for_request == for_request)
    }

    /// Encodings of the benchmark prover account for the account types runtimes use: `u64` (mock
    /// runtimes) and 32-byte ids.
    pub fn prover_encodings() -> [Vec<u8>; 2] {
        let seed = sp_io::hashing::blake2_256(&PROVER_SEED.encode());
        [seed[..8].to_vec(), seed.to_vec()]
    }
}
