//! Benchmarks of every call, with real models, verifying keys and proofs ([`Fixtures`]). Verifying
//! calls take `i`, the model's public instance count: the fixture family's circuits grow with it.

use super::*;
use crate::fixture::{BoundProof, FixtureModel, Fixtures, VerifierShapes, GENESIS_HASH, REQUEST};
use crate::pallet::{FalconSignature, KzgVerifierParams, OutputOf, ProofOf};
use codec::{Decode, Encode};
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Mutate;
use frame_support::traits::{EnsureOrigin, Get};
use frame_support::weights::Weight;
use frame_support::BoundedVec;
use frame_system::pallet_prelude::BlockNumberFor;
use frame_system::RawOrigin;
use sp_runtime::traits::{Bounded, One, StaticLookup};
use zkml_primitives::{zkml, ModelId, MAX_ADVICE_COLUMNS, MAX_LOOKUP_COLUMNS, MAX_RANGE_COLUMNS};

fn bounded<T: Clone, S: Get<u32>>(v: &[T]) -> BoundedVec<T, S> {
    BoundedVec::truncate_from(v.to_vec())
}

/// A fee every request may offer.
fn fee<T: Config>() -> BalanceOf<T> {
    T::MinimumFee::get().max(1_000u32.into())
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
            verification_weight: Weight::zero(),
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
        // The publisher attestation signs the fixtures' genesis hash.
        frame_system::BlockHash::<T>::insert(
            BlockNumberFor::<T>::default(),
            T::Hash::decode(&mut &GENESIS_HASH[..]).expect("32-byte hashes"),
        );
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
        T::Currency::set_balance(&prover, BalanceOf::<T>::max_value() / 4u32.into());

        #[extrinsic_call]
        _(RawOrigin::Signed(prover.clone()), bounded(&fixtures.falcon_public_key));

        assert!(Provers::<T>::contains_key(&prover));
    }

    #[benchmark]
    fn deregister_prover() {
        let fixtures = Fixtures::load();
        let prover: T::AccountId = whitelisted_caller();
        T::Currency::set_balance(&prover, BalanceOf::<T>::max_value() / 4u32.into());
        let key = FalconPublicKey::truncate_from(fixtures.falcon_public_key.clone());
        Pallet::<T>::do_register_prover(prover.clone(), key).expect("a fresh prover registers");

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
        _(RawOrigin::Signed(requester), model, input, fee::<T>(), deadline);

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
            fee::<T>(),
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
            fee::<T>(),
            deadline,
        )
        .expect("the request is valid");
        frame_system::Pallet::<T>::set_block_number(deadline + BlockNumberFor::<T>::one());

        #[extrinsic_call]
        _(RawOrigin::Signed(requester), request);

        assert!(Requests::<T>::get(request).is_none());
    }

    #[benchmark]
    fn clear_request() {
        let fixtures = Fixtures::load();
        let fixture = fixtures.model(Fixtures::MAX_INSTANCES);
        let model = stored_model::<T>(&fixtures, fixture, fixture.input.len() as u32);
        let (prover, bound) = prover::<T>(&fixtures, fixture, false);
        let input = Input::<T>::Public(bounded(&fixture.input));
        let request = NextRequestId::<T>::get();
        Pallet::<T>::submit_inference(
            RawOrigin::Signed(prover.clone()).into(),
            model,
            input,
            bounded(&fixture.output),
            bounded(&bound.proof),
        )
        .expect("the fixture's proof verifies");

        #[extrinsic_call]
        _(RawOrigin::Signed(prover), request);

        assert!(Results::<T>::get(request).is_none());
    }

    /// One expired request removed by `on_idle`, with its largest input.
    #[benchmark]
    fn expire_request() {
        let fixtures = Fixtures::load();
        let model = stored_model::<T>(&fixtures, fixtures.model(0), T::MaxInputLength::get());
        let requester = funded::<T>("requester");
        let now = frame_system::Pallet::<T>::block_number();
        let deadline = now + BlockNumberFor::<T>::one();
        let request = NextRequestId::<T>::get();
        Pallet::<T>::request_inference(
            RawOrigin::Signed(requester).into(),
            model,
            bounded(&alloc::vec![-7; T::MaxInputLength::get() as usize]),
            fee::<T>(),
            deadline,
        )
        .expect("the request is valid");
        ExpiryCursor::<T>::put(deadline);
        let after = deadline + BlockNumberFor::<T>::one();

        #[block]
        {
            Pallet::<T>::expire_requests(after, Weight::MAX);
        }

        assert!(Requests::<T>::get(request).is_none());
        assert_eq!(ExpiryCursor::<T>::get(), after);
    }

    /// The host function's check of a valid proof, for a circuit of `a` gate columns, `r`
    /// range-lookup columns, `l` function-lookup column pairs and `i` public instances. Each
    /// component is swept with the others at their largest, up to the widest circuit
    /// `CircuitSettings::validate` allows.
    #[benchmark]
    fn verify_proof(
        a: Linear<2, MAX_ADVICE_COLUMNS>,
        r: Linear<1, MAX_RANGE_COLUMNS>,
        l: Linear<0, MAX_LOOKUP_COLUMNS>,
        i: Linear<{ VerifierShapes::MIN_INSTANCES }, { VerifierShapes::MAX_INSTANCES }>,
    ) {
        let fixtures = VerifierShapes::load();
        let shape = fixtures.covering(a, r, l, i);
        let instances = shape.instances.clone();
        let verdict;

        #[block]
        {
            verdict = zkml::verify_halo2(&shape.settings, &shape.vk, &shape.proof, instances, &fixtures.kzg_params);
        }

        assert_eq!(verdict.0, Ok(()));
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
