//! The records pallet-zkml stores, and what its runtime API returns.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::weights::Weight;
use frame_support::{pallet_prelude::ConstU32, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use zkml_primitives::{FieldBytes, ModelId, PublicInstances, FALCON512_PUBLIC_KEY_BYTES};

use crate::{BalanceOf, Config};

/// A Falcon-512 public key.
pub type FalconPublicKey = BoundedVec<u8, ConstU32<FALCON512_PUBLIC_KEY_BYTES>>;

/// Whether a model's proofs expose the input, or only a Poseidon commitment to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub enum InputVisibility {
    /// The input is public: requests carry it and the pallet puts it among the instances.
    Public,
    /// The input is private: only self-proved inferences with an input commitment are accepted.
    Hashed,
}

/// Where a model is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub enum ModelStatus {
    /// Takes requests and results.
    Active,
    /// Takes nothing new until resumed; pending requests can still be cancelled once expired.
    Paused,
    /// Gone for good: its circuit is deleted and its deposit released.
    Retired,
}

/// What governance says about a model when registering it, apart from its circuit.
#[derive(
    CloneNoBound,
    PartialEqNoBound,
    EqNoBound,
    DebugNoBound,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
)]
#[scale_info(skip_type_params(T))]
pub struct ModelDescription<T: Config> {
    pub name: BoundedVec<u8, T::MaxNameLength>,
    /// SHA-256 of the ONNX file.
    pub onnx_hash: [u8; 32],
    /// Poseidon commitment to the quantised weights, as a little-endian field element: the first
    /// public instance of every proof.
    pub commitment: FieldBytes,
    pub input_shape: BoundedVec<u32, T::MaxShapeDims>,
    /// Fixed-point integers in an input: the product of `input_shape`.
    pub input_len: u32,
    /// Fixed-point integers in an output.
    pub output_len: u32,
    /// Inputs are integers at scale 2^`input_scale`.
    pub input_scale: u8,
    /// Outputs are integers at scale 2^`output_scale`.
    pub output_scale: u8,
    pub visibility: InputVisibility,
}

impl<T: Config> ModelDescription<T> {
    /// Public instances of the model's proofs: commitment, input (or its commitment), output,
    /// binding.
    pub fn instances(&self) -> u32 {
        let input = match self.visibility {
            InputVisibility::Public => self.input_len,
            InputVisibility::Hashed => 1,
        };
        PublicInstances::<FieldBytes>::count(input, self.output_len)
    }
}

/// A registered model, apart from its circuit.
#[derive(CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, TypeInfo, MaxEncodedLen)]
#[scale_info(skip_type_params(T))]
pub struct ModelInfo<T: Config> {
    /// Who published the model and paid its deposit.
    pub owner: T::AccountId,
    pub description: ModelDescription<T>,
    /// BLAKE2-256 of the verifying key, by which prover nodes match their artifacts.
    pub vk_hash: [u8; 32],
    /// The publisher's Falcon-512 key, if it attested the registration (genesis hash, ONNX hash,
    /// commitment, vk hash, settings hash).
    pub publisher_key: Option<FalconPublicKey>,
    /// What checking one of its proofs weighs: the verification benchmark at its circuit's shape
    /// ([`zkml_primitives::CircuitSettings::verification_shape`]), fixed at registration.
    pub verification_weight: Weight,
    pub deposit: BalanceOf<T>,
    pub status: ModelStatus,
    pub registered_at: BlockNumberFor<T>,
}

/// A model's circuit: with the KZG verifier parameters, all the chain needs to verify its proofs.
#[derive(CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, TypeInfo, MaxEncodedLen)]
#[scale_info(skip_type_params(T))]
pub struct Circuit<T: Config> {
    /// SCALE-encoded [`zkml_primitives::CircuitSettings`].
    pub settings: BoundedVec<u8, T::MaxSettingsLength>,
    /// The verifying key, as the prover serialises it.
    pub vk: BoundedVec<u8, T::MaxVkLength>,
}

/// The input of an inference, as it enters the instances.
#[derive(
    CloneNoBound,
    PartialEqNoBound,
    EqNoBound,
    DebugNoBound,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
)]
#[scale_info(skip_type_params(T))]
pub enum Input<T: Config> {
    /// Fixed-point integers at the model's input scale.
    Public(BoundedVec<i64, T::MaxInputLength>),
    /// A Poseidon commitment to a private input.
    Committed(FieldBytes),
}

impl<T: Config> Input<T> {
    /// Public instances this input takes: its integers, or one commitment.
    pub fn instances(&self) -> u32 {
        match self {
            Input::Public(values) => values.len() as u32,
            Input::Committed(_) => 1,
        }
    }
}

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen)]
pub enum RequestStatus {
    /// Waiting for a prover.
    Pending,
    /// A verified result is recorded.
    Fulfilled,
}

/// An inference request, or a self-proved inference (recorded directly as fulfilled).
#[derive(CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, TypeInfo, MaxEncodedLen)]
#[scale_info(skip_type_params(T))]
pub struct Request<T: Config> {
    pub model: ModelId,
    pub requester: T::AccountId,
    pub input: Input<T>,
    /// Held from the requester until a prover earns it or the request expires.
    pub fee: BalanceOf<T>,
    /// Held from the requester for the bytes of the request and its result, until they are
    /// removed.
    pub deposit: BalanceOf<T>,
    /// The last block in which a result is accepted.
    pub deadline: BlockNumberFor<T>,
    pub status: RequestStatus,
}

/// A proof-verified inference result.
#[derive(CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, TypeInfo, MaxEncodedLen)]
#[scale_info(skip_type_params(T))]
pub struct VerifiedResult<T: Config> {
    /// Fixed-point integers at the model's output scale.
    pub output: BoundedVec<i64, T::MaxOutputLength>,
    /// Who proved it.
    pub prover: T::AccountId,
    pub verified_at: BlockNumberFor<T>,
}
