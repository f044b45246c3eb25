//! The runtime API through which clients and the off-chain worker's node query pallet-zkml.

use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
use scale_info::TypeInfo;
use zkml_primitives::{ModelId, RequestId};

/// A model as clients see it: its description and, unless retired, its verifying key's hash.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct ModelView<AccountId, Balance, BlockNumber> {
    pub owner: AccountId,
    pub name: Vec<u8>,
    pub onnx_hash: [u8; 32],
    pub commitment: [u8; 32],
    pub vk_hash: [u8; 32],
    pub input_shape: Vec<u32>,
    pub input_len: u32,
    pub output_len: u32,
    pub input_scale: u8,
    pub output_scale: u8,
    pub visibility: crate::InputVisibility,
    pub status: crate::ModelStatus,
    pub deposit: Balance,
    pub registered_at: BlockNumber,
}

/// A request as clients see it, with its result once verified.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct RequestView<AccountId, Balance, BlockNumber> {
    pub model: ModelId,
    pub requester: AccountId,
    /// The public input, or `None` for a committed private input.
    pub input: Option<Vec<i64>>,
    pub fee: Balance,
    pub deadline: BlockNumber,
    pub status: crate::RequestStatus,
    /// The verified output and its prover, once fulfilled.
    pub result: Option<(Vec<i64>, AccountId)>,
}

sp_api::decl_runtime_apis! {
    /// Queries of pallet-zkml's state.
    pub trait ZkmlApi<AccountId, Balance, BlockNumber>
    where
        AccountId: Codec,
        Balance: Codec,
        BlockNumber: Codec,
    {
        /// A registered model, retired ones included.
        fn model(model: ModelId) -> Option<ModelView<AccountId, Balance, BlockNumber>>;
        /// A request (or self-proved inference) and its result; `None` if unknown or cancelled.
        fn request(request: RequestId) -> Option<RequestView<AccountId, Balance, BlockNumber>>;
        /// Up to `limit` pending requests of `model`, after `start_after` if given.
        fn pending_requests(model: ModelId, start_after: Option<RequestId>, limit: u32) -> Vec<RequestId>;
    }
}

impl<T: crate::Config> crate::Pallet<T> {
    /// [`ZkmlApi::model`], for the runtime's implementation.
    pub fn model_view(
        model: ModelId,
    ) -> Option<ModelView<T::AccountId, crate::BalanceOf<T>, frame_system::pallet_prelude::BlockNumberFor<T>>> {
        crate::Models::<T>::get(model).map(|m| {
            let d = m.description;
            ModelView {
                owner: m.owner,
                name: d.name.into_inner(),
                onnx_hash: d.onnx_hash,
                commitment: d.commitment,
                vk_hash: m.vk_hash,
                input_shape: d.input_shape.into_inner(),
                input_len: d.input_len,
                output_len: d.output_len,
                input_scale: d.input_scale,
                output_scale: d.output_scale,
                visibility: d.visibility,
                status: m.status,
                deposit: m.deposit,
                registered_at: m.registered_at,
            }
        })
    }

    /// [`ZkmlApi::request`], for the runtime's implementation.
    pub fn request_view(
        request: RequestId,
    ) -> Option<RequestView<T::AccountId, crate::BalanceOf<T>, frame_system::pallet_prelude::BlockNumberFor<T>>> {
        let r = crate::Requests::<T>::get(request)?;
        let result = crate::Results::<T>::get(request).map(|v| (v.output.into_inner(), v.prover));
        let input = match r.input {
            crate::Input::Public(values) => Some(values.into_inner()),
            crate::Input::Committed(_) => None,
        };
        Some(RequestView {
            model: r.model,
            requester: r.requester,
            input,
            fee: r.fee,
            deadline: r.deadline,
            status: r.status,
            result,
        })
    }
}
