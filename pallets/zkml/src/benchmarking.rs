//! Benchmarks of every call, with real models, verifying keys and proofs ([`Fixtures`]). Verifying
//! calls take `i`, the model's public instance count: the fixture family's circuits grow with it.

use super::*;
use crate::fixture::{BoundProof, FixtureModel, Fixtures, GENESIS_HASH, REQUEST};
use crate::pallet::{FalconSignature, KzgVerifierParams, OutputOf, ProofOf};
use codec::{Decode, Encode};
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Mutate;
use frame_support::traits::{EnsureOrigin, Get};
use frame_support::BoundedVec;
use frame_system::pallet_prelude::BlockNumberFor;
use frame_system::RawOrigin;
use sp_runtime::traits::{Bounded, One, StaticLookup};
use zkml_primitives::ModelId;

fn bounded<T: Clone, S: Get<u32>>(v: &[T]) -> BoundedVec<T, S> {
    BoundedVec::truncate_from(v.to_vec())
}

fn funded<T: Config>(name: &'static str) -> T::AccountId {
    let who = account(name, 0, 0);
    T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 4u32.into());
    who
}

fn description<T: Config>(model: &FixtureModel, input_len: u32) -> ModelDescription<T> {
    ModelDescription {
        name: bounded(&[b'm'; 32][..T::MaxNameLength::get().min(32) as usize]),
        onnx_hash: model.onnx_hash,
        commitment: model.commitment,
        input_shape: bounded(&[input_len]),
        input_len,
        output_len: model.output.len() as u32,
        input_scale: model.scale,
        output_scale: model.scale,
        visibility: InputVisibility::Public,
    }
}

/// Registers `model` directly in storage, as if `register_model` had run, with an input of
/// `input_len` integers (the real one unless a request benchmark needs another length).
fn stored_model<T: Config>(fixtures: &Fixtures, model: &FixtureModel, input_len: u32) -> ModelId {
    VerifierParams::<T>::put(KzgVerifierParams::truncate_from(fixtures.kzg_params.clone()));
    let owner = funded::<T>("owner");
    let id = NextModelId::<T>::get();
    Models::<T>::insert(
        id,
        ModelInfo::<T> {
            owner,
            description: description::<T>(model, input_len),
            vk_hash: sp_io::hashing::blake2_256(&model.vk),
            publisher_key: None,
            deposit: Default::default(),
            status: ModelStatus::Active,
            registered_at: frame_system::Pallet::<T>::block_number(),
        },
    );
    Circuits::<T>::insert(id, Circuit::<T> { settings: bounded(&model.settings), vk: bounded(&model.vk) });
    ActiveModels::<T>::mutate(|n| *n += 1);
    NextModelId::<T>::put(id + 1);
    id
}

/// The smallest fixture model, stored with its real input length.
fn small_model<T: Config>(fixtures: &Fixtures) -> ModelId {
    let model = fixtures.model(Fixtures::MIN_INSTANCES);
    stored_model::<T>(fixtures, model, model.input.len() as u32)
}

/// The benchmark prover, registered with the fixtures' Falcon key, and its proof for `model`.
fn prover<T: Config>(fixtures: &Fixtures, model: &FixtureModel, for_request: bool) -> (T::AccountId, BoundProof) {
    let prover = funded::<T>("prover");
    Provers::<T>::insert(&prover, FalconPublicKey::truncate_from(fixtures.falcon_public_key.clone()));
    let proof = model
        .proof_for(&prover.encode(), for_request)
        .expect("the fixtures have proofs for 8- and 32-byte account ids")
        .clone();
    (prover, proof)
}

#[benchmarks]
pub(crate) mod benchmarks {
    use super::*;

    #[benchmark]
    fn register_model(
        i: Linear<{ Fixtures::MIN_INSTANCES }, { Fixtures::MAX_INSTANCES }>,
    ) -> Result<(), BenchmarkError> {
        let fixtures = Fixtures::load();
        let model = fixtures.model(i);
        VerifierParams::<T>::put(KzgVerifierParams::truncate_from(fixtures.kzg_params.clone()));
        let owner = funded::<T>("owner");
        let origin = T::RegisterOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        let attestation = Some((bounded(&fixtures.falcon_public_key), bounded(&model.publisher_signature)));
        // A chain's genesis may have registered models already.
        let active = ActiveModels::<T>::get();

        #[extrinsic_call]
        _(
            origin as T::RuntimeOrigin,
            T::Lookup::unlookup(owner),
            description::<T>(model, model.input.len() as u32),
            bounded(&model.settings),
            bounded(&model.vk),
            attestation,
        );

        assert_eq!(ActiveModels::<T>::get(), active + 1);
        Ok(())
    }

    #[benchmark]
    fn pause_model() -> Result<(), BenchmarkError> {
        let model = small_model::<T>(&Fixtures::load());
        let origin = T::RegisterOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, model);

        assert_eq!(Models::<T>::get(model).map(|m| m.status), Some(ModelStatus::Paused));
        Ok(())
    }

    #[benchmark]
    fn resume_model() -> Result<(), BenchmarkError> {
        let model = small_model::<T>(&Fixtures::load());
        Models::<T>::mutate(model, |m| m.as_mut().map(|m| m.status = ModelStatus::Paused));
        let origin = T::RegisterOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, model);

        assert_eq!(Models::<T>::get(model).map(|m| m.status), Some(ModelStatus::Active));
        Ok(())
    }

    #[benchmark]
    fn retire_model() -> Result<(), BenchmarkError> {
        let model = small_model::<T>(&Fixtures::load());
        let origin = T::RegisterOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, model);

        assert!(Circuits::<T>::get(model).is_none());
        Ok(())
    }

    #[benchmark]
    fn set_verifier_params() -> Result<(), BenchmarkError> {
        let fixtures = Fixtures::load();
        let origin = T::RegisterOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, bounded(&fixtures.kzg_params));

        assert!(VerifierParams::<T>::get().is_some());
        Ok(())
    }

    #[benchmark]
    fn register_prover() {
        let fixtures = Fixtures::load();
        let prover: T::AccountId = whitelisted_caller();

        #[extrinsic_call]
        _(RawOrigin::Signed(prover.clone()), bounded(&fixtures.falcon_public_key));

        assert!(Provers::<T>::contains_key(&prover));
    }

    #[benchmark]
    fn deregister_prover() {
        let fixtures = Fixtures::load();
        let prover: T::AccountId = whitelisted_caller();
        Provers::<T>::insert(&prover, FalconPublicKey::truncate_from(fixtures.falcon_public_key.clone()));

        #[extrinsic_call]
        _(RawOrigin::Signed(prover.clone()));

        assert!(!Provers::<T>::contains_key(&prover));
    }

    #[benchmark]
    fn request_inference(i: Linear<1, { T::MaxInputLength::get() }>) {
        let fixtures = Fixtures::load();
        let model = stored_model::<T>(&fixtures, fixtures.model(0), i);
        let requester = funded::<T>("requester");
        let input: BoundedVec<i64, T::MaxInputLength> = bounded(&alloc::vec![-7; i as usize]);
        let deadline = frame_system::Pallet::<T>::block_number() + T::MaxRequestLifetime::get();
        let request = NextRequestId::<T>::get();

        #[extrinsic_call]
        _(RawOrigin::Signed(requester), model, input, 1_000u32.into(), deadline);

        assert!(PendingRequests::<T>::contains_key(model, request));
    }

    #[benchmark]
    fn submit_result(i: Linear<{ Fixtures::MIN_INSTANCES }, { Fixtures::MAX_INSTANCES }>) {
        let fixtures = Fixtures::load();
        let fixture = fixtures.model(i);
        let model = stored_model::<T>(&fixtures, fixture, fixture.input.len() as u32);
        frame_system::BlockHash::<T>::insert(
            BlockNumberFor::<T>::default(),
            T::Hash::decode(&mut &GENESIS_HASH[..]).expect("32-byte hashes"),
        );
        let requester = funded::<T>("requester");
        NextRequestId::<T>::put(REQUEST);
        let deadline = frame_system::Pallet::<T>::block_number() + T::MaxRequestLifetime::get();
        Pallet::<T>::request_inference(
            RawOrigin::Signed(requester).into(),
            model,
            bounded(&fixture.input),
            1_000u32.into(),
            deadline,
        )
        .expect("the request is valid");
        let (prover, bound) = prover::<T>(&fixtures, fixture, true);
        let output: OutputOf<T> = bounded(&fixture.output);
        let proof: ProofOf<T> = bounded(&bound.proof);
        let signature: FalconSignature = bounded(&bound.attestation);

        #[extrinsic_call]
        _(RawOrigin::Signed(prover), REQUEST, output, proof, signature);

        assert!(Results::<T>::contains_key(REQUEST));
    }

    #[benchmark]
    fn submit_inference(i: Linear<{ Fixtures::MIN_INSTANCES }, { Fixtures::MAX_INSTANCES }>) {
        let fixtures = Fixtures::load();
        let fixture = fixtures.model(i);
        let model = stored_model::<T>(&fixtures, fixture, fixture.input.len() as u32);
        let (prover, bound) = prover::<T>(&fixtures, fixture, false);
        let output: OutputOf<T> = bounded(&fixture.output);
        let proof: ProofOf<T> = bounded(&bound.proof);
        let input = Input::<T>::Public(bounded(&fixture.input));

        #[extrinsic_call]
        _(RawOrigin::Signed(prover.clone()), model, input, output, proof);

        assert_eq!(Nonces::<T>::get(&prover), 1);
    }

    #[benchmark]
    fn cancel_expired() {
        let fixtures = Fixtures::load();
        let model = small_model::<T>(&fixtures);
        let requester = funded::<T>("requester");
        let deadline = frame_system::Pallet::<T>::block_number() + BlockNumberFor::<T>::one();
        let request = NextRequestId::<T>::get();
        Pallet::<T>::request_inference(
            RawOrigin::Signed(requester.clone()).into(),
            model,
            bounded(&fixtures.model(0).input),
            1_000u32.into(),
            deadline,
        )
        .expect("the request is valid");
        frame_system::Pallet::<T>::set_block_number(deadline + BlockNumberFor::<T>::one());

        #[extrinsic_call]
        _(RawOrigin::Signed(requester), request);

        assert!(Requests::<T>::get(request).is_none());
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
