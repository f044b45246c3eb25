//! Input formats of the fuzz targets and the real artifacts they are seeded with.
//!
//! Each target splits its input into the host function's arguments by length prefixes, so that a
//! seed holding real settings, keys and proofs stays one after most of libFuzzer's mutations and
//! the fuzzer spends its time deep in proof parsing and verification. Any byte string decodes:
//! a length past the end takes what is left.

use codec::Decode;
use zkml_primitives::{binding, fixed_to_field, BindingContext, FieldBytes, RequestId};

/// The benchmark fixtures: five MLPs (6 to 194 public instances) with their keys, proofs and
/// Falcon attestations, as committed for the pallet's benchmarks.
pub const FIXTURES: &[u8] = include_bytes!("../../pallets/zkml/src/fixtures/mlp_family.scale");

/// The arguments of `verify_halo2`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Halo2Input {
    pub settings: Vec<u8>,
    pub vk: Vec<u8>,
    pub instances: Vec<FieldBytes>,
    pub proof: Vec<u8>,
    pub kzg_params: Vec<u8>,
}

impl Halo2Input {
    /// Layout: settings, vk and KZG parameters each behind a little-endian `u32` length, the
    /// instances behind a `u16` count of 32-byte elements, and the proof last, the rest (so that
    /// one mutation truncates a proof or appends to it).
    pub fn from_fuzz(data: &[u8]) -> Self {
        let mut reader = Reader(data);
        let settings = reader.bytes_u32().to_vec();
        let vk = reader.bytes_u32().to_vec();
        let kzg_params = reader.bytes_u32().to_vec();
        let count = reader.u16() as usize;
        let instances = (0..count).map_while(|_| reader.array()).collect();
        Self { settings, vk, instances, kzg_params, proof: reader.0.to_vec() }
    }

    /// The inverse of [`Self::from_fuzz`], for seeds.
    pub fn to_fuzz(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for bytes in [&self.settings, &self.vk, &self.kzg_params] {
            out.extend((bytes.len() as u32).to_le_bytes());
            out.extend(bytes);
        }
        out.extend((self.instances.len() as u16).to_le_bytes());
        out.extend(self.instances.iter().flatten());
        out.extend(&self.proof);
        out
    }
}

/// The arguments of `falcon512_verify`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FalconInput {
    pub public_key: Vec<u8>,
    pub signature: Vec<u8>,
    pub message: Vec<u8>,
}

impl FalconInput {
    /// Layout: public key and signature each behind a little-endian `u16` length, the message
    /// last, the rest.
    pub fn from_fuzz(data: &[u8]) -> Self {
        let mut reader = Reader(data);
        let public_key = reader.bytes_u16().to_vec();
        let signature = reader.bytes_u16().to_vec();
        Self { public_key, signature, message: reader.0.to_vec() }
    }

    /// The inverse of [`Self::from_fuzz`], for seeds.
    pub fn to_fuzz(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for bytes in [&self.public_key, &self.signature] {
            out.extend((bytes.len() as u16).to_le_bytes());
            out.extend(bytes);
        }
        out.extend(&self.message);
        out
    }
}

/// Reads length-prefixed fields, taking what is left when a length runs past the end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> &'a [u8] {
        let (head, rest) = self.0.split_at(len.min(self.0.len()));
        self.0 = rest;
        head
    }

    fn u16(&mut self) -> u16 {
        let mut bytes = [0; 2];
        let head = self.take(2);
        bytes[..head.len()].copy_from_slice(head);
        u16::from_le_bytes(bytes)
    }

    fn u32(&mut self) -> u32 {
        let mut bytes = [0; 4];
        let head = self.take(4);
        bytes[..head.len()].copy_from_slice(head);
        u32::from_le_bytes(bytes)
    }

    fn bytes_u16(&mut self) -> &'a [u8] {
        let len = self.u16() as usize;
        self.take(len)
    }

    fn bytes_u32(&mut self) -> &'a [u8] {
        let len = self.u32() as usize;
        self.take(len)
    }

    fn array(&mut self) -> Option<FieldBytes> {
        self.take(32).try_into().ok()
    }
}

// The layout of `pallets/zkml/src/fixture.rs`, which lives in a crate (the pallet) too heavy to
// build under libFuzzer's instrumentation. Decoding fails loudly if the two drift apart.

/// The request id the fixtures' proofs and attestations are bound to.
const REQUEST: RequestId = 0;
/// The genesis hash the fixtures' attestations sign over.
const GENESIS_HASH: [u8; 32] = [0x42; 32];

#[derive(Decode)]
struct BoundProof {
    submitter: Vec<u8>,
    for_request: bool,
    proof: Vec<u8>,
    attestation: Vec<u8>,
}

#[derive(Decode)]
struct FixtureModel {
    settings: Vec<u8>,
    vk: Vec<u8>,
    _onnx_hash: [u8; 32],
    commitment: FieldBytes,
    _scale: u8,
    input: Vec<i64>,
    output: Vec<i64>,
    _publisher_signature: Vec<u8>,
    proofs: Vec<BoundProof>,
}

#[derive(Decode)]
struct Fixtures {
    kzg_params: Vec<u8>,
    falcon_public_key: Vec<u8>,
    models: Vec<FixtureModel>,
}

fn fixtures() -> Fixtures {
    let mut bytes = FIXTURES;
    let fixtures =
        Fixtures::decode(&mut bytes).expect("the fixtures decode with the layout of pallets/zkml/src/fixture.rs");
    assert!(bytes.is_empty(), "the fixtures have bytes past the layout of pallets/zkml/src/fixture.rs");
    fixtures
}

/// Every proof of the fixtures with the arguments it verifies with: the only inputs for which
/// `verify_halo2` may return `Ok`.
pub fn valid_halo2_inputs() -> Vec<Halo2Input> {
    let fixtures = fixtures();
    let mut inputs = Vec::new();
    for model in &fixtures.models {
        for bound in &model.proofs {
            let context = if bound.for_request { BindingContext::Request(REQUEST) } else { BindingContext::Nonce(0) };
            let mut instances = vec![model.commitment];
            instances.extend(model.input.iter().chain(&model.output).map(|&v| fixed_to_field(v)));
            instances.push(binding(context, &bound.submitter));
            inputs.push(Halo2Input {
                settings: model.settings.clone(),
                vk: model.vk.clone(),
                instances,
                proof: bound.proof.clone(),
                kzg_params: fixtures.kzg_params.clone(),
            });
        }
    }
    inputs
}

/// Every attestation of the fixtures with the fixtures' key and the pallet's attestation message:
/// the seeds, and the only inputs for which `falcon512_verify` may return true. The fixtures'
/// other signatures, the publisher's, sign registrations (whose message issue 25 changes), which
/// no seed holds.
pub fn valid_falcon_inputs() -> Vec<FalconInput> {
    let fixtures = fixtures();
    let mut inputs = Vec::new();
    for model in &fixtures.models {
        for bound in &model.proofs {
            inputs.push(FalconInput {
                public_key: fixtures.falcon_public_key.clone(),
                signature: bound.attestation.clone(),
                message: zkml_primitives::attestation_message(&GENESIS_HASH, REQUEST, &model.output, &bound.proof),
            });
        }
    }
    inputs
}
