//! # pallet-zkml
//!
//! A registry of machine-learning models and a market for their inferences, where a result is
//! accepted only with a zero-knowledge proof that the registered model produced it.
//!
//! - Governance ([`Config::RegisterOrigin`]) registers a model: the commitment to its quantised
//!   weights, its circuit settings and verifying key. It can pause, resume and retire it.
//! - A dApp either requests an inference ([`Pallet::request_inference`]), with a fee held until a
//!   prover earns it, or proves one itself and records it ([`Pallet::submit_inference`]). Every
//!   entry an account makes the chain store is backed by a deposit it gets back when the entry
//!   goes: expired requests leave in [`Hooks::on_idle`], at nobody's expense, and fulfilled ones
//!   when their requester clears them ([`Pallet::clear_request`]).
//! - A registered prover submits a result with a halo2 proof and a Falcon-512 attestation
//!   ([`Pallet::submit_result`]). The pallet builds the public instances from chain state, checks
//!   both through native host functions ([`zkml_primitives::zkml`]) and pays the prover.
//!
//! A proof check costs what its circuit's shape makes it cost. Each model's verification weight
//! is computed at registration from the verification benchmark over the circuit's shape
//! ([`WeightInfo::verify_proof`]) and stored with it ([`ModelInfo::verification_weight`]).
//! Submissions are charged the check of the widest circuit the settings allow before dispatch and
//! refunded down to their model's weight after it, whether the proof verified or not.
//!
//! The public instances are, in order: the model commitment, the input (or its commitment), the
//! output, and a binding derived from the request (or a nonce) and the submitter, so that a proof
//! seen in the pool is worthless to anyone else.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(any(test, feature = "runtime-benchmarks"))]
pub mod fixture;
#[cfg(test)]
mod mock;
pub mod offchain;
pub mod runtime_api;
#[cfg(test)]
mod tests;
mod types;
pub mod weights;

use alloc::vec::Vec;
use frame_support::traits::fungible::{Inspect, Mutate, MutateHold};
use zkml_primitives::VerifyError;

/// The key type of the account a prover node signs `submit_result` with, in its keystore.
pub const KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"zkml");

/// The `zkml` application key (sr25519) of prover nodes.
pub mod crypto {
    use super::KEY_TYPE;
    use sp_runtime::app_crypto::{app_crypto, sr25519};
    use sp_runtime::{MultiSignature, MultiSigner};

    app_crypto!(sr25519, KEY_TYPE);

    /// Signs a prover node's transactions with its `zkml` key, for runtimes with `MultiSignature`
    /// accounts.
    pub struct ProverAuthId;

    impl frame_system::offchain::AppCrypto<MultiSigner, MultiSignature> for ProverAuthId {
        type RuntimeAppPublic = Public;
        type GenericSignature = sp_core::sr25519::Signature;
        type GenericPublic = sp_core::sr25519::Public;
    }
}

/// The balance type of the pallet's currency.
pub type BalanceOf<T> = <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use codec::Encode;
    use frame_support::dispatch::WithPostDispatchInfo;
    use frame_support::pallet_prelude::*;
    use frame_support::traits::tokens::{Fortitude, Precision, Restriction};
    use frame_support::traits::EnsureOrigin;
    use frame_support::{Deserialize, Serialize};
    use frame_system::offchain::{AppCrypto, CreateSignedTransaction};
    use frame_system::pallet_prelude::*;
    use sp_runtime::traits::{Saturating, StaticLookup, Zero};
    use zkml_primitives::{
        attestation_message, binding, fixed_to_field, is_canonical_field, zkml, BindingContext, CircuitSettings,
        FieldBytes, InputInstances, ModelId, PublicInstances, RequestId, FALCON512_MAX_SIGNATURE_BYTES,
        FALCON512_PUBLIC_KEY_BYTES, KZG_VERIFIER_PARAMS_BYTES, MAX_ADVICE_COLUMNS, MAX_LOOKUP_COLUMNS,
        MAX_RANGE_COLUMNS,
    };

    /// The KZG verifier parameters: G1 generator, G2 and s·G2, compressed.
    pub type KzgVerifierParams = BoundedVec<u8, ConstU32<KZG_VERIFIER_PARAMS_BYTES>>;
    /// A Falcon-512 signature.
    pub type FalconSignature = BoundedVec<u8, ConstU32<FALCON512_MAX_SIGNATURE_BYTES>>;
    pub type ProofOf<T> = BoundedVec<u8, <T as Config>::MaxProofLength>;
    pub type OutputOf<T> = BoundedVec<i64, <T as Config>::MaxOutputLength>;
    type AccountIdLookupOf<T> = <<T as frame_system::Config>::Lookup as StaticLookup>::Source;

    /// 1: models carry their verification weight, requests their storage deposit, and requests
    /// are indexed by deadline.
    const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

    #[pallet::pallet]
    #[pallet::storage_version(STORAGE_VERSION)]
    pub struct Pallet<T>(_);

    #[pallet::config]
    pub trait Config: CreateSignedTransaction<Call<Self>> + frame_system::Config {
        /// The overarching event type.
        #[allow(deprecated)]
        type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;
        /// The overarching hold reason.
        type RuntimeHoldReason: From<HoldReason>;
        /// Holds model deposits and request fees.
        type Currency: Mutate<Self::AccountId> + MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
        /// Registers, pauses, resumes and retires models, and sets the KZG verifier parameters.
        type RegisterOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        /// Most models registered and not retired.
        #[pallet::constant]
        type MaxModels: Get<u32>;
        /// Most bytes of a model's name.
        #[pallet::constant]
        type MaxNameLength: Get<u32>;
        /// Most dimensions of an input shape.
        #[pallet::constant]
        type MaxShapeDims: Get<u32>;
        /// Most bytes of encoded circuit settings.
        #[pallet::constant]
        type MaxSettingsLength: Get<u32>;
        /// Most bytes of a verifying key.
        #[pallet::constant]
        type MaxVkLength: Get<u32>;
        /// Most bytes of a proof.
        #[pallet::constant]
        type MaxProofLength: Get<u32>;
        /// Most integers in a model's input.
        #[pallet::constant]
        type MaxInputLength: Get<u32>;
        /// Most integers in a model's output.
        #[pallet::constant]
        type MaxOutputLength: Get<u32>;
        /// Deposit held for a model, on top of [`Config::DepositPerByte`].
        #[pallet::constant]
        type DepositBase: Get<BalanceOf<Self>>;
        /// Deposit held per byte that an account makes the chain store: a model, a request with
        /// its result, a self-proved inference, a prover's key. Released when the entry goes.
        #[pallet::constant]
        type DepositPerByte: Get<BalanceOf<Self>>;
        /// Least fee a request may offer, so that flooding a model's pending requests costs
        /// something even though fees of expired requests are refunded.
        #[pallet::constant]
        type MinimumFee: Get<BalanceOf<Self>>;
        /// Longest a request may wait for a result, in blocks.
        #[pallet::constant]
        type MaxRequestLifetime: Get<BlockNumberFor<Self>>;
        /// The key a prover node's off-chain worker signs `submit_result` with.
        type AuthorityId: AppCrypto<Self::Public, Self::Signature>;
        /// Most pending requests of one model the off-chain worker works on in a block; it reads up
        /// to [`crate::offchain::SCANNED_PER_JOB`] times as many to find them.
        #[pallet::constant]
        type MaxJobsPerBlock: Get<u32>;
        /// Blocks a prover node's claim on a request lasts: after that it proves or submits again.
        #[pallet::constant]
        type ClaimLifetime: Get<BlockNumberFor<Self>>;
        /// Weights of this pallet's calls.
        type WeightInfo: WeightInfo;
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        /// Hands pending requests of models this node can prove to its prover service, and
        /// submits finished proofs ([`crate::offchain`]). Returns at once: proofs never hold up
        /// a block.
        fn offchain_worker(now: BlockNumberFor<T>) {
            Self::prove_pending(now);
        }

        /// Expires requests whose deadline has passed, in deadline order, as far as the block's
        /// spare weight goes: their fees and deposits go back to their requesters and they leave
        /// the pending set, without anyone paying for a call. What does not fit waits for the
        /// next block's spare weight ([`ExpiryCursor`]).
        fn on_idle(now: BlockNumberFor<T>, limit: Weight) -> Weight {
            Self::expire_requests(now, limit)
        }
    }

    /// Why the pallet holds funds.
    #[pallet::composite_enum]
    pub enum HoldReason {
        /// The storage deposit of a registered model.
        ModelDeposit,
        /// The fee of a pending inference request.
        InferenceFee,
        /// The storage deposit of a request and its result, or of a self-proved inference.
        RequestDeposit,
        /// The storage deposit of a prover's Falcon-512 key.
        ProverDeposit,
    }

    /// The id the next registered model gets.
    #[pallet::storage]
    pub type NextModelId<T> = StorageValue<_, ModelId, ValueQuery>;

    /// Every model ever registered, retired ones included.
    #[pallet::storage]
    pub type Models<T: Config> = StorageMap<_, Twox64Concat, ModelId, ModelInfo<T>>;

    /// The circuit of each model that is not retired. Kept apart from [`Models`] so that reading a
    /// model's description does not load its verifying key.
    #[pallet::storage]
    pub type Circuits<T: Config> = StorageMap<_, Twox64Concat, ModelId, Circuit<T>>;

    /// Models registered and not retired; at most [`Config::MaxModels`].
    #[pallet::storage]
    pub type ActiveModels<T> = StorageValue<_, u32, ValueQuery>;

    /// The KZG verifier parameters every proof is checked with: the G1 generator, G2 and s·G2 of
    /// the SRS the keys were made from. Set at genesis, changed only by governance.
    #[pallet::storage]
    pub type VerifierParams<T> = StorageValue<_, KzgVerifierParams>;

    /// Registered provers and their Falcon-512 public keys.
    #[pallet::storage]
    pub type Provers<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, FalconPublicKey>;

    /// The id the next request (or self-proved inference) gets.
    #[pallet::storage]
    pub type NextRequestId<T> = StorageValue<_, RequestId, ValueQuery>;

    /// Requests, pending or fulfilled. Cancelled requests are removed.
    #[pallet::storage]
    pub type Requests<T: Config> = StorageMap<_, Twox64Concat, RequestId, Request<T>>;

    /// The verified result of each fulfilled request.
    #[pallet::storage]
    pub type Results<T: Config> = StorageMap<_, Twox64Concat, RequestId, VerifiedResult<T>>;

    /// The pending requests of each model, for provers and clients to page through.
    #[pallet::storage]
    pub type PendingRequests<T> = StorageDoubleMap<_, Twox64Concat, ModelId, Twox64Concat, RequestId, ()>;

    /// Requests by deadline: `on_idle` expires those of each block before the current one.
    #[pallet::storage]
    pub type Deadlines<T: Config> = StorageDoubleMap<_, Twox64Concat, BlockNumberFor<T>, Twox64Concat, RequestId, ()>;

    /// The earliest deadline whose requests `on_idle` may not have expired yet.
    #[pallet::storage]
    pub type ExpiryCursor<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

    /// Each account's next nonce for self-proved inferences: part of their binding.
    #[pallet::storage]
    pub type Nonces<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u64, ValueQuery>;

    /// A model registered at genesis: what `register_model` takes, in plain types.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(crate = "frame_support::__private::serde", rename_all = "camelCase")]
    pub struct GenesisModel<AccountId> {
        pub owner: AccountId,
        pub name: Vec<u8>,
        pub onnx_hash: [u8; 32],
        pub commitment: [u8; 32],
        pub input_shape: Vec<u32>,
        pub output_len: u32,
        pub scale: u8,
        /// SCALE-encoded [`CircuitSettings`] of the public-input circuit.
        pub settings: Vec<u8>,
        pub vk: Vec<u8>,
    }

    #[pallet::genesis_config]
    #[derive(frame_support::DefaultNoBound)]
    pub struct GenesisConfig<T: Config> {
        /// The KZG verifier parameters (160 bytes), if proofs are to be checked from genesis.
        pub verifier_params: Option<Vec<u8>>,
        /// Models registered at genesis (public inputs), with their owners' deposits held.
        pub models: Vec<GenesisModel<T::AccountId>>,
        /// Provers registered at genesis, with their Falcon-512 public keys; their deposits are
        /// held.
        pub provers: Vec<(T::AccountId, Vec<u8>)>,
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            if let Some(params) = &self.verifier_params {
                let params = Pallet::<T>::checked_verifier_params(params.clone())
                    .expect("genesis KZG verifier parameters must be three compressed points (160 bytes)");
                VerifierParams::<T>::put(params);
            }
            for m in &self.models {
                let description = ModelDescription::<T> {
                    name: m.name.clone().try_into().expect("genesis model name within MaxNameLength"),
                    onnx_hash: m.onnx_hash,
                    commitment: m.commitment,
                    input_shape: m.input_shape.clone().try_into().expect("genesis input shape within MaxShapeDims"),
                    input_len: m.input_shape.iter().product(),
                    output_len: m.output_len,
                    input_scale: m.scale,
                    output_scale: m.scale,
                    visibility: InputVisibility::Public,
                };
                let settings = m.settings.clone().try_into().expect("genesis settings within MaxSettingsLength");
                let vk = m.vk.clone().try_into().expect("genesis vk within MaxVkLength");
                Pallet::<T>::do_register_model(m.owner.clone(), description, settings, vk, None)
                    .expect("genesis models must pass registration");
            }
            for (prover, key) in &self.provers {
                let key = FalconPublicKey::try_from(key.clone()).expect("genesis Falcon-512 keys are 897 bytes");
                Pallet::<T>::do_register_prover(prover.clone(), key).expect("genesis provers must pass registration");
            }
        }
    }

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// Governance registered a model.
        ModelRegistered { model: ModelId, owner: T::AccountId, commitment: FieldBytes, deposit: BalanceOf<T> },
        /// A model stopped taking requests and results.
        ModelPaused { model: ModelId },
        /// A paused model takes requests and results again.
        ModelResumed { model: ModelId },
        /// A model was retired and its deposit released.
        ModelRetired { model: ModelId, deposit_released: BalanceOf<T> },
        /// Governance changed the KZG verifier parameters.
        VerifierParamsSet,
        /// An account registered (or replaced) its Falcon-512 key as a prover; `deposit` is held.
        ProverRegistered { prover: T::AccountId, deposit: BalanceOf<T> },
        /// An account stopped being a prover; its deposit was released.
        ProverDeregistered { prover: T::AccountId, deposit_released: BalanceOf<T> },
        /// A dApp requested an inference; its fee is held until the deadline.
        InferenceRequested {
            request: RequestId,
            model: ModelId,
            requester: T::AccountId,
            fee: BalanceOf<T>,
            deadline: BlockNumberFor<T>,
        },
        /// A proof-verified result was recorded, for a request or self-proved.
        InferenceVerified {
            request: RequestId,
            model: ModelId,
            output: OutputOf<T>,
            prover: T::AccountId,
            fee: BalanceOf<T>,
        },
        /// An expired request (or one of a retired model) was cancelled and its fee and deposit
        /// refunded.
        RequestCancelled { request: RequestId, requester: T::AccountId, refunded: BalanceOf<T> },
        /// A request's deadline passed without a result: `on_idle` removed it and refunded its
        /// fee and deposit.
        RequestExpired { request: RequestId, requester: T::AccountId, refunded: BalanceOf<T> },
        /// A requester cleared a fulfilled request and its result; its deposit was released.
        RequestCleared { request: RequestId, requester: T::AccountId, deposit_released: BalanceOf<T> },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// [`Config::MaxModels`] models are already registered and not retired.
        TooManyModels,
        /// No model has this id.
        ModelNotFound,
        /// The model is paused or retired.
        ModelNotActive,
        /// The model is not paused.
        ModelNotPaused,
        /// The model is already retired.
        ModelRetired,
        /// The input length is not the product of the input shape.
        InputShapeMismatch,
        /// The circuit settings do not decode.
        MalformedSettings,
        /// The circuit settings describe a circuit outside the verifier's bounds.
        SettingsOutOfBounds,
        /// The settings' instance count is not 1 + input + output + 1 for this visibility.
        InstanceCountMismatch,
        /// The verifying key does not deserialise for its settings.
        MalformedVerifyingKey,
        /// The KZG verifier parameters are not three compressed curve points.
        MalformedVerifierParams,
        /// No KZG verifier parameters are set.
        VerifierParamsNotSet,
        /// The model commitment is not a canonical field element.
        MalformedCommitment,
        /// The publisher's Falcon signature over the registration
        /// ([`zkml_primitives::publisher_attestation_message`]) does not verify.
        BadPublisherSignature,
        /// The account is already a prover with this key.
        ProverAlreadyRegistered,
        /// The account is not a registered prover.
        ProverNotRegistered,
        /// The Falcon-512 public key is not 897 bytes.
        MalformedFalconKey,
        /// The input has the wrong number of integers for the model.
        InputLength,
        /// The output has the wrong number of integers for the model.
        OutputLength,
        /// The input's visibility (public or committed) is not the model's.
        WrongInputVisibility,
        /// The fee is below [`Config::MinimumFee`].
        FeeTooLow,
        /// Only the requester may clear a request.
        NotRequester,
        /// The request is still pending: it can be cancelled once expired, not cleared.
        RequestPending,
        /// The deadline is not after the current block.
        DeadlineInPast,
        /// The deadline is further away than [`Config::MaxRequestLifetime`].
        DeadlineTooFar,
        /// No request has this id.
        RequestNotFound,
        /// The request is already fulfilled.
        AlreadyFulfilled,
        /// The request's deadline has passed.
        RequestExpired,
        /// The request's deadline has not passed and its model is not retired.
        RequestNotExpired,
        /// The prover's Falcon-512 attestation does not verify.
        BadAttestation,
        /// An instance is not a canonical field element.
        MalformedInstance,
        /// The proof does not verify for the instances the pallet built.
        InvalidProof,
        /// The proof verifies but has trailing bytes.
        TrailingProofBytes,
    }

    impl<T: Config> From<VerifyError> for Error<T> {
        fn from(error: VerifyError) -> Self {
            match error {
                VerifyError::MalformedSettings => Error::MalformedSettings,
                VerifyError::SettingsOutOfBounds => Error::SettingsOutOfBounds,
                VerifyError::MalformedVerifyingKey => Error::MalformedVerifyingKey,
                VerifyError::MalformedKzgParams => Error::MalformedVerifierParams,
                VerifyError::InstanceCount => Error::InstanceCountMismatch,
                VerifyError::MalformedInstance => Error::MalformedInstance,
                VerifyError::InvalidProof => Error::InvalidProof,
                VerifyError::TrailingProofBytes => Error::TrailingProofBytes,
            }
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Registers a model: its description, circuit settings and verifying key, with an optional
        /// Falcon-512 attestation `(public key, signature)` by the publisher over (genesis hash, ONNX
        /// hash, commitment, vk hash, settings hash).
        ///
        /// Origin: [`Config::RegisterOrigin`]. A deposit proportional to the bytes stored is held
        /// from `owner` until the model is retired. Fails if the verifying key does not deserialise
        /// for its settings, or the settings do not match the model's input and output sizes.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::register_model(description.instances()))]
        pub fn register_model(
            origin: OriginFor<T>,
            owner: AccountIdLookupOf<T>,
            description: ModelDescription<T>,
            settings: BoundedVec<u8, T::MaxSettingsLength>,
            vk: BoundedVec<u8, T::MaxVkLength>,
            publisher_attestation: Option<(FalconPublicKey, FalconSignature)>,
        ) -> DispatchResult {
            T::RegisterOrigin::ensure_origin(origin)?;
            let owner = T::Lookup::lookup(owner)?;
            Self::do_register_model(owner, description, settings, vk, publisher_attestation)
        }

        /// Stops a model taking requests and results. Origin: [`Config::RegisterOrigin`].
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::pause_model())]
        pub fn pause_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
            T::RegisterOrigin::ensure_origin(origin)?;
            Self::transition(model, ModelStatus::Active, ModelStatus::Paused, Error::<T>::ModelNotActive)?;
            Self::deposit_event(Event::ModelPaused { model });
            Ok(())
        }

        /// Lets a paused model take requests and results again. Origin:
        /// [`Config::RegisterOrigin`].
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::resume_model())]
        pub fn resume_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
            T::RegisterOrigin::ensure_origin(origin)?;
            Self::transition(model, ModelStatus::Paused, ModelStatus::Active, Error::<T>::ModelNotPaused)?;
            Self::deposit_event(Event::ModelResumed { model });
            Ok(())
        }

        /// Retires a model for good: deletes its circuit and releases its deposit to the owner.
        /// Its pending requests can then be cancelled at once. Origin: [`Config::RegisterOrigin`].
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::retire_model())]
        pub fn retire_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
            T::RegisterOrigin::ensure_origin(origin)?;
            let mut info = Models::<T>::get(model).ok_or(Error::<T>::ModelNotFound)?;
            ensure!(info.status != ModelStatus::Retired, Error::<T>::ModelRetired);
            let released = T::Currency::release(
                &HoldReason::ModelDeposit.into(),
                &info.owner,
                info.deposit,
                Precision::BestEffort,
            )?;
            info.status = ModelStatus::Retired;
            Models::<T>::insert(model, info);
            Circuits::<T>::remove(model);
            ActiveModels::<T>::mutate(|n| *n = n.saturating_sub(1));
            Self::deposit_event(Event::ModelRetired { model, deposit_released: released });
            Ok(())
        }

        /// Sets the KZG verifier parameters (160 bytes: G1 generator, G2, s·G2). Origin:
        /// [`Config::RegisterOrigin`].
        #[pallet::call_index(4)]
        #[pallet::weight(T::WeightInfo::set_verifier_params())]
        pub fn set_verifier_params(origin: OriginFor<T>, params: KzgVerifierParams) -> DispatchResult {
            T::RegisterOrigin::ensure_origin(origin)?;
            let params = Self::checked_verifier_params(params.into_inner())?;
            VerifierParams::<T>::put(params);
            Self::deposit_event(Event::VerifierParamsSet);
            Ok(())
        }

        /// Registers the caller as a prover with a Falcon-512 public key (897 bytes), or replaces
        /// its key. A deposit for the key's bytes is held until the caller deregisters.
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::register_prover())]
        pub fn register_prover(origin: OriginFor<T>, public_key: FalconPublicKey) -> DispatchResult {
            let prover = ensure_signed(origin)?;
            Self::do_register_prover(prover, public_key)
        }

        /// Removes the caller from the provers and releases its deposit.
        #[pallet::call_index(6)]
        #[pallet::weight(T::WeightInfo::deregister_prover())]
        pub fn deregister_prover(origin: OriginFor<T>) -> DispatchResult {
            let prover = ensure_signed(origin)?;
            ensure!(Provers::<T>::take(&prover).is_some(), Error::<T>::ProverNotRegistered);
            let deposit_released =
                T::Currency::release_all(&HoldReason::ProverDeposit.into(), &prover, Precision::BestEffort)?;
            Self::deposit_event(Event::ProverDeregistered { prover, deposit_released });
            Ok(())
        }

        /// Requests an inference of an active model with a public input: fixed-point integers at
        /// the model's input scale. `fee`, at least [`Config::MinimumFee`], is held from the caller
        /// until a prover earns it or the request expires after `deadline`. A deposit for the
        /// request's and its result's bytes is held until the request expires, is cancelled, or,
        /// fulfilled, is cleared ([`Pallet::clear_request`]).
        #[pallet::call_index(7)]
        #[pallet::weight(T::WeightInfo::request_inference(input.len() as u32))]
        pub fn request_inference(
            origin: OriginFor<T>,
            model: ModelId,
            input: BoundedVec<i64, T::MaxInputLength>,
            fee: BalanceOf<T>,
            deadline: BlockNumberFor<T>,
        ) -> DispatchResult {
            let requester = ensure_signed(origin)?;
            let info = Self::active_model(model)?;
            ensure!(info.description.visibility == InputVisibility::Public, Error::<T>::WrongInputVisibility);
            ensure!(input.len() == info.description.input_len as usize, Error::<T>::InputLength);
            let now = frame_system::Pallet::<T>::block_number();
            ensure!(deadline > now, Error::<T>::DeadlineInPast);
            ensure!(deadline <= now.saturating_add(T::MaxRequestLifetime::get()), Error::<T>::DeadlineTooFar);
            ensure!(fee >= T::MinimumFee::get(), Error::<T>::FeeTooLow);

            let mut record = Request::<T> {
                model,
                requester: requester.clone(),
                input: Input::Public(input),
                fee,
                deposit: Zero::zero(),
                deadline,
                status: RequestStatus::Pending,
            };
            record.deposit = Self::request_deposit(&record, info.description.output_len);
            T::Currency::hold(&HoldReason::InferenceFee.into(), &requester, fee)?;
            T::Currency::hold(&HoldReason::RequestDeposit.into(), &requester, record.deposit)?;

            let request = Self::next_request_id();
            Requests::<T>::insert(request, record);
            PendingRequests::<T>::insert(model, request, ());
            Deadlines::<T>::insert(deadline, request, ());
            Self::deposit_event(Event::InferenceRequested { request, model, requester, fee, deadline });
            Ok(())
        }

        /// Submits the result of a pending request: the output, a halo2 proof, and the prover's
        /// Falcon-512 signature over (genesis hash, request id, output, proof hash).
        ///
        /// The caller must be a registered prover, the model active and the deadline not passed.
        /// The pallet builds the public instances from chain state (binding = hash of the request
        /// id and the caller), checks the signature and the proof, records the result and pays the
        /// fee to the caller. On any failure nothing changes.
        ///
        /// Charged the widest allowed circuit's check before dispatch; afterwards the model's own
        /// weight if the proof was checked, valid or not, and less if the call failed before.
        #[pallet::call_index(8)]
        #[pallet::weight(Pallet::<T>::max_submission_weight(T::WeightInfo::submit_result))]
        pub fn submit_result(
            origin: OriginFor<T>,
            request_id: RequestId,
            output: OutputOf<T>,
            proof: ProofOf<T>,
            signature: FalconSignature,
        ) -> DispatchResultWithPostInfo {
            let prover = ensure_signed(origin)?;
            // Before the proof check, a failure costs the call without it (the benchmark's
            // smallest circuit included).
            let unchecked = T::WeightInfo::submit_result(output.len() as u32);
            let prover_key =
                Provers::<T>::get(&prover).ok_or(Error::<T>::ProverNotRegistered.with_weight(unchecked))?;
            let mut request =
                Requests::<T>::get(request_id).ok_or(Error::<T>::RequestNotFound.with_weight(unchecked))?;
            ensure!(request.status == RequestStatus::Pending, Error::<T>::AlreadyFulfilled.with_weight(unchecked));
            ensure!(
                frame_system::Pallet::<T>::block_number() <= request.deadline,
                Error::<T>::RequestExpired.with_weight(unchecked)
            );
            let info = Self::active_model(request.model).map_err(|e| e.with_weight(unchecked))?;
            let checked = Self::submission_weight(T::WeightInfo::submit_result, &info);

            let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
            let message = attestation_message(genesis.as_ref(), request_id, &output, &proof);
            ensure!(
                zkml::falcon512_verify(&prover_key, &message, &signature),
                Error::<T>::BadAttestation.with_weight(unchecked)
            );
            let context = BindingContext::Request(request_id);
            Self::verify(request.model, &info, &request.input, &output, &proof, binding(context, &prover.encode()))
                .map_err(|e| e.with_weight(checked))?;

            T::Currency::transfer_on_hold(
                &HoldReason::InferenceFee.into(),
                &request.requester,
                &prover,
                request.fee,
                Precision::Exact,
                Restriction::Free,
                Fortitude::Polite,
            )
            .map_err(|e| e.with_weight(checked))?;
            request.status = RequestStatus::Fulfilled;
            let (model, fee, deadline) = (request.model, request.fee, request.deadline);
            Requests::<T>::insert(request_id, request);
            PendingRequests::<T>::remove(model, request_id);
            Deadlines::<T>::remove(deadline, request_id);
            Self::record(request_id, model, output, prover, fee);
            Ok(Some(checked).into())
        }

        /// Records an inference the caller proved itself. `input` is the public input, or for a
        /// model with hashed inputs, the Poseidon commitment to the private input. The binding is
        /// derived from the caller and its next nonce. A deposit for the record's bytes is held
        /// until the caller clears it ([`Pallet::clear_request`]).
        ///
        /// Charged like [`Pallet::submit_result`]: the widest allowed check before dispatch, the
        /// model's own weight after it, whether the proof verified or not.
        #[pallet::call_index(9)]
        #[pallet::weight(Pallet::<T>::max_submission_weight(T::WeightInfo::submit_inference))]
        pub fn submit_inference(
            origin: OriginFor<T>,
            model: ModelId,
            input: Input<T>,
            output: OutputOf<T>,
            proof: ProofOf<T>,
        ) -> DispatchResultWithPostInfo {
            let submitter = ensure_signed(origin)?;
            let unchecked = T::WeightInfo::submit_inference(input.instances().saturating_add(output.len() as u32));
            let info = Self::active_model(model).map_err(|e| e.with_weight(unchecked))?;
            match (&input, info.description.visibility) {
                (Input::Public(values), InputVisibility::Public) => ensure!(
                    values.len() == info.description.input_len as usize,
                    Error::<T>::InputLength.with_weight(unchecked)
                ),
                (Input::Committed(_), InputVisibility::Hashed) => {}
                _ => return Err(Error::<T>::WrongInputVisibility.with_weight(unchecked)),
            }
            let checked = Self::submission_weight(T::WeightInfo::submit_inference, &info);
            let nonce = Nonces::<T>::get(&submitter);
            let context = BindingContext::Nonce(nonce);
            Self::verify(model, &info, &input, &output, &proof, binding(context, &submitter.encode()))
                .map_err(|e| e.with_weight(checked))?;

            let now = frame_system::Pallet::<T>::block_number();
            let mut record = Request::<T> {
                model,
                requester: submitter.clone(),
                input,
                fee: Zero::zero(),
                deposit: Zero::zero(),
                deadline: now,
                status: RequestStatus::Fulfilled,
            };
            record.deposit = Self::request_deposit(&record, info.description.output_len);
            T::Currency::hold(&HoldReason::RequestDeposit.into(), &submitter, record.deposit)
                .map_err(|e| e.with_weight(checked))?;
            Nonces::<T>::insert(&submitter, nonce.saturating_add(1));
            let request = Self::next_request_id();
            Requests::<T>::insert(request, record);
            Self::record(request, model, output, submitter, Zero::zero());
            Ok(Some(checked).into())
        }

        /// Cancels a pending request whose deadline has passed, or whose model was retired, and
        /// refunds its fee and deposit to the requester. Anyone may call it; expired requests
        /// also leave by themselves in `on_idle`.
        #[pallet::call_index(10)]
        #[pallet::weight(T::WeightInfo::cancel_expired())]
        pub fn cancel_expired(origin: OriginFor<T>, request_id: RequestId) -> DispatchResult {
            ensure_signed(origin)?;
            let request = Requests::<T>::get(request_id).ok_or(Error::<T>::RequestNotFound)?;
            ensure!(request.status == RequestStatus::Pending, Error::<T>::AlreadyFulfilled);
            let expired = frame_system::Pallet::<T>::block_number() > request.deadline;
            let retired = Models::<T>::get(request.model).is_none_or(|m| m.status == ModelStatus::Retired);
            ensure!(expired || retired, Error::<T>::RequestNotExpired);
            let (requester, refunded) = Self::remove_pending(request_id, request)?;
            Self::deposit_event(Event::RequestCancelled { request: request_id, requester, refunded });
            Ok(())
        }

        /// Removes a fulfilled request (or self-proved inference) of the caller's and its result,
        /// and releases their deposit. The result's event stays in its block.
        #[pallet::call_index(11)]
        #[pallet::weight(T::WeightInfo::clear_request())]
        pub fn clear_request(origin: OriginFor<T>, request_id: RequestId) -> DispatchResult {
            let caller = ensure_signed(origin)?;
            let request = Requests::<T>::get(request_id).ok_or(Error::<T>::RequestNotFound)?;
            ensure!(request.requester == caller, Error::<T>::NotRequester);
            ensure!(request.status == RequestStatus::Fulfilled, Error::<T>::RequestPending);
            let deposit_released = T::Currency::release(
                &HoldReason::RequestDeposit.into(),
                &caller,
                request.deposit,
                Precision::BestEffort,
            )?;
            Requests::<T>::remove(request_id);
            Results::<T>::remove(request_id);
            Self::deposit_event(Event::RequestCleared { request: request_id, requester: caller, deposit_released });
            Ok(())
        }
    }

    impl<T: Config> Pallet<T> {
        fn active_model(model: ModelId) -> Result<ModelInfo<T>, Error<T>> {
            let info = Models::<T>::get(model).ok_or(Error::<T>::ModelNotFound)?;
            ensure!(info.status == ModelStatus::Active, Error::<T>::ModelNotActive);
            Ok(info)
        }

        /// `register_model` after its origin check: every check on the model, the deposit, and
        /// the records. Genesis registers its models through it too.
        pub fn do_register_model(
            owner: T::AccountId,
            description: ModelDescription<T>,
            settings: BoundedVec<u8, T::MaxSettingsLength>,
            vk: BoundedVec<u8, T::MaxVkLength>,
            publisher_attestation: Option<(FalconPublicKey, FalconSignature)>,
        ) -> DispatchResult {
            let active = ActiveModels::<T>::get();
            ensure!(active < T::MaxModels::get(), Error::<T>::TooManyModels);
            let d = &description;
            let shape_len = d.input_shape.iter().try_fold(1u32, |n, &dim| n.checked_mul(dim));
            ensure!(shape_len == Some(d.input_len), Error::<T>::InputShapeMismatch);
            ensure!(d.input_len <= T::MaxInputLength::get(), Error::<T>::InputLength);
            ensure!(d.output_len <= T::MaxOutputLength::get(), Error::<T>::OutputLength);
            ensure!(is_canonical_field(&d.commitment), Error::<T>::MalformedCommitment);

            // Settings outside the verification benchmark's range are refused here.
            let decoded = CircuitSettings::decode_valid(&settings).map_err(Error::<T>::from)?;
            ensure!(decoded.num_instances == d.instances(), Error::<T>::InstanceCountMismatch);
            let (advice, range, lookups, instances) = decoded.verification_shape();
            let verification_weight = Self::proof_check_weight(advice, range, lookups, instances);
            let kzg = VerifierParams::<T>::get().ok_or(Error::<T>::VerifierParamsNotSet)?;
            // Only the key's parsing is checked: an empty proof stops right after it.
            let instances = alloc::vec![[0u8; 32]; decoded.num_instances as usize];
            match zkml::verify_halo2(&settings, &vk, &[], instances, &kzg).0 {
                Err(VerifyError::InvalidProof) => {}
                Err(error) => return Err(Error::<T>::from(error).into()),
                Ok(()) => return Err(Error::<T>::MalformedVerifyingKey.into()),
            }

            let publisher_key = match publisher_attestation {
                Some((key, signature)) => {
                    ensure!(key.len() == FALCON512_PUBLIC_KEY_BYTES as usize, Error::<T>::MalformedFalconKey);
                    let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
                    let message = zkml_primitives::publisher_attestation_message(
                        genesis.as_ref(),
                        &d.onnx_hash,
                        &d.commitment,
                        &vk,
                        &settings,
                    );
                    ensure!(zkml::falcon512_verify(&key, &message, &signature), Error::<T>::BadPublisherSignature);
                    Some(key)
                }
                None => None,
            };

            let model = NextModelId::<T>::get();
            let commitment = description.commitment;
            let mut info = ModelInfo::<T> {
                owner: owner.clone(),
                description,
                vk_hash: sp_io::hashing::blake2_256(&vk),
                publisher_key,
                verification_weight,
                deposit: Zero::zero(),
                status: ModelStatus::Active,
                registered_at: frame_system::Pallet::<T>::block_number(),
            };
            let circuit = Circuit::<T> { settings, vk };
            let bytes = (info.encoded_size() + circuit.encoded_size()) as u32;
            info.deposit = T::DepositBase::get().saturating_add(T::DepositPerByte::get().saturating_mul(bytes.into()));
            T::Currency::hold(&HoldReason::ModelDeposit.into(), &owner, info.deposit)?;

            let deposit = info.deposit;
            Models::<T>::insert(model, info);
            Circuits::<T>::insert(model, circuit);
            ActiveModels::<T>::put(active + 1);
            NextModelId::<T>::put(model.saturating_add(1));
            Self::deposit_event(Event::ModelRegistered { model, owner, commitment, deposit });
            Ok(())
        }

        /// `register_prover` after its origin check. Genesis registers its provers through it too.
        pub fn do_register_prover(prover: T::AccountId, public_key: FalconPublicKey) -> DispatchResult {
            ensure!(public_key.len() == FALCON512_PUBLIC_KEY_BYTES as usize, Error::<T>::MalformedFalconKey);
            let replaced = Provers::<T>::get(&prover);
            ensure!(replaced.as_ref() != Some(&public_key), Error::<T>::ProverAlreadyRegistered);
            let bytes = prover.encoded_size().saturating_add(public_key.encoded_size()) as u32;
            let deposit = T::DepositPerByte::get().saturating_mul(bytes.into());
            // A replaced key's deposit is the same: the account's bytes and a key's.
            if replaced.is_none() {
                T::Currency::hold(&HoldReason::ProverDeposit.into(), &prover, deposit)?;
            }
            Provers::<T>::insert(&prover, public_key);
            Self::deposit_event(Event::ProverRegistered { prover, deposit });
            Ok(())
        }

        /// The deposit for `request` and the result of `output_len` integers it will have: the
        /// bytes both take in storage.
        fn request_deposit(request: &Request<T>, output_len: u32) -> BalanceOf<T> {
            let result = VerifiedResult::<T>::max_encoded_len()
                .saturating_sub(T::MaxOutputLength::get() as usize * 8)
                .saturating_add(output_len as usize * 8);
            let bytes = (request.encoded_size() + result) as u32;
            T::DepositPerByte::get().saturating_mul(bytes.into())
        }

        /// Removes a pending request and refunds its fee and deposit: `(requester, refunded)`.
        fn remove_pending(id: RequestId, request: Request<T>) -> Result<(T::AccountId, BalanceOf<T>), DispatchError> {
            let fee = HoldReason::InferenceFee.into();
            let refunded = T::Currency::release(&fee, &request.requester, request.fee, Precision::BestEffort)?;
            let deposit = HoldReason::RequestDeposit.into();
            let released = T::Currency::release(&deposit, &request.requester, request.deposit, Precision::BestEffort)?;
            Requests::<T>::remove(id);
            PendingRequests::<T>::remove(request.model, id);
            Deadlines::<T>::remove(request.deadline, id);
            Ok((request.requester, refunded.saturating_add(released)))
        }

        /// `on_idle`'s work: expires the requests of deadlines before `now`, from
        /// [`ExpiryCursor`] on, within `limit`. Returns the weight used.
        pub fn expire_requests(now: BlockNumberFor<T>, limit: Weight) -> Weight {
            let db = T::DbWeight::get();
            // Reading and writing the cursor, and looking at one deadline.
            let step = db.reads_writes(1, 1).saturating_add(db.reads(1));
            let expire = T::WeightInfo::expire_request();
            let mut used = step;
            if used.any_gt(limit) {
                return Weight::zero();
            }
            let mut cursor = ExpiryCursor::<T>::get();
            while cursor < now {
                let mut expired = Deadlines::<T>::drain_prefix(cursor);
                loop {
                    if used.saturating_add(expire).any_gt(limit) {
                        ExpiryCursor::<T>::put(cursor);
                        return used;
                    }
                    // Draining removes the deadline, so it is taken only once its weight fits.
                    let Some((id, ())) = expired.next() else { break };
                    used.saturating_accrue(expire);
                    Self::expire_request(id);
                }
                cursor.saturating_inc();
                if used.saturating_add(step).any_gt(limit) {
                    break;
                }
                used.saturating_accrue(db.reads(1));
            }
            ExpiryCursor::<T>::put(cursor);
            used
        }

        /// Expires request `id` if it is still pending: its holds are released and it leaves the
        /// pending set.
        fn expire_request(id: RequestId) {
            let Some(request) = Requests::<T>::get(id).filter(|r| r.status == RequestStatus::Pending) else {
                return;
            };
            match Self::remove_pending(id, request) {
                Ok((requester, refunded)) => {
                    Self::deposit_event(Event::RequestExpired { request: id, requester, refunded })
                }
                // Holds are released best effort: this cannot fail, and a request that would is
                // left for `cancel_expired` rather than stopping expiry.
                Err(error) => log::error!(target: "runtime::zkml", "expiring request {id}: {error:?}"),
            }
        }

        /// What checking a proof of a circuit of this shape is charged: the `verify_proof`
        /// benchmark's weight and a fifth more. A check runs on one thread of the node, and its
        /// time varies with the machine's load more than the fit's error: at the widest circuit
        /// the reference machine's checks took 36 to 40 ms against a fitted 39.7 ms, and a check
        /// charged less than it takes lets a flood of them overrun a block.
        pub fn proof_check_weight(advice: u32, range: u32, lookups: u32, instances: u32) -> Weight {
            let fitted = T::WeightInfo::verify_proof(advice, range, lookups, instances);
            fitted.saturating_add(fitted / 5)
        }

        /// The most a submission can weigh: the call with the most instances a model may have,
        /// and the check of the widest circuit [`CircuitSettings::validate`] allows.
        pub fn max_submission_weight(call: fn(u32) -> Weight) -> Weight {
            let instances = T::MaxInputLength::get().saturating_add(T::MaxOutputLength::get()).saturating_add(2);
            let widest = Self::proof_check_weight(MAX_ADVICE_COLUMNS, MAX_RANGE_COLUMNS, MAX_LOOKUP_COLUMNS, instances);
            call(instances).saturating_add(widest)
        }

        /// What a submission for `info`'s model weighs once its proof is checked: the call as
        /// benchmarked (on the smallest circuits, whose check it includes) and the model's check.
        fn submission_weight(call: fn(u32) -> Weight, info: &ModelInfo<T>) -> Weight {
            call(info.description.instances()).saturating_add(info.verification_weight)
        }

        /// Moves `model` from status `from` to `to`, or fails with `not_from`.
        fn transition(model: ModelId, from: ModelStatus, to: ModelStatus, not_from: Error<T>) -> DispatchResult {
            Models::<T>::try_mutate(model, |info| {
                let info = info.as_mut().ok_or(Error::<T>::ModelNotFound)?;
                ensure!(info.status == from, not_from);
                info.status = to;
                Ok(())
            })
        }

        fn next_request_id() -> RequestId {
            let id = NextRequestId::<T>::get();
            NextRequestId::<T>::put(id.saturating_add(1));
            id
        }

        fn checked_verifier_params(params: Vec<u8>) -> Result<KzgVerifierParams, Error<T>> {
            // The verifier checks the parameters before anything else: with valid points and no
            // settings it fails on the settings instead.
            let malformed = zkml::verify_halo2(&[], &[], &[], Vec::new(), &params).0;
            ensure!(malformed != Err(VerifyError::MalformedKzgParams), Error::<T>::MalformedVerifierParams);
            params.try_into().map_err(|_| Error::<T>::MalformedVerifierParams)
        }

        /// The public instances of an inference of `info`, in circuit order.
        pub fn instances(
            info: &ModelInfo<T>,
            input: &Input<T>,
            output: &[i64],
            binding: FieldBytes,
        ) -> Vec<FieldBytes> {
            let input = match input {
                Input::Public(values) => InputInstances::Public(values.iter().map(|&v| fixed_to_field(v)).collect()),
                Input::Committed(commitment) => InputInstances::Committed(*commitment),
            };
            let output = output.iter().map(|&v| fixed_to_field(v)).collect();
            PublicInstances { model_commitment: info.description.commitment, input, output, binding }.into_vec()
        }

        /// Checks `proof` of `output` for `input` to `model` as the calls do; the off-chain worker
        /// runs the same check before it submits.
        pub(crate) fn verify(
            model: ModelId,
            info: &ModelInfo<T>,
            input: &Input<T>,
            output: &[i64],
            proof: &[u8],
            binding: FieldBytes,
        ) -> DispatchResult {
            ensure!(output.len() == info.description.output_len as usize, Error::<T>::OutputLength);
            let circuit = Circuits::<T>::get(model).ok_or(Error::<T>::ModelNotActive)?;
            let kzg = VerifierParams::<T>::get().ok_or(Error::<T>::VerifierParamsNotSet)?;
            let instances = Self::instances(info, input, output, binding);
            zkml::verify_halo2(&circuit.settings, &circuit.vk, proof, instances, &kzg).0.map_err(Error::<T>::from)?;
            Ok(())
        }

        fn record(request: RequestId, model: ModelId, output: OutputOf<T>, prover: T::AccountId, fee: BalanceOf<T>) {
            let verified_at = frame_system::Pallet::<T>::block_number();
            let result = VerifiedResult::<T> { output: output.clone(), prover: prover.clone(), verified_at };
            Results::<T>::insert(request, result);
            Self::deposit_event(Event::InferenceVerified { request, model, output, prover, fee });
        }

        /// Up to `limit` pending requests of `model`, after `start_after` if given, in storage
        /// order. For the runtime API and the off-chain worker.
        pub fn pending_requests(model: ModelId, start_after: Option<RequestId>, limit: u32) -> Vec<RequestId> {
            let ids = match start_after {
                Some(after) => PendingRequests::<T>::iter_key_prefix_from(
                    model,
                    PendingRequests::<T>::hashed_key_for(model, after),
                ),
                None => PendingRequests::<T>::iter_key_prefix(model),
            };
            ids.take(limit as usize).collect()
        }
    }
}
