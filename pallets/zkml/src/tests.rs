//! Tests against the mock runtime, with real keys and proofs from `zkml-prover`.

use codec::Encode;
use frame_support::traits::fungible::{Inspect, InspectHold};
use frame_support::{assert_noop, assert_ok, BoundedVec};
use sp_runtime::{DispatchError, TokenError};
use zkml_primitives::{zkml, CircuitSettings, VerifyError};
use zkml_prover::Visibility;

use crate::mock::*;
use crate::{
    Circuits, Error, Event, HoldReason, Input, InputVisibility, ModelStatus, Models, Nonces, PendingRequests,
    RequestStatus, Requests, Results,
};

const FEE: Balance = 500;

fn root() -> RuntimeOrigin {
    RuntimeOrigin::root()
}

fn signed(who: AccountId) -> RuntimeOrigin {
    RuntimeOrigin::signed(who)
}

fn bounded<T: Clone, S: frame_support::traits::Get<u32>>(v: &[T]) -> BoundedVec<T, S> {
    BoundedVec::truncate_from(v.to_vec())
}

fn register(visibility: InputVisibility) -> zkml_primitives::ModelId {
    let a = artifacts();
    let variant = if visibility == InputVisibility::Public { Visibility::Public } else { Visibility::Private };
    let model = crate::NextModelId::<Test>::get();
    assert_ok!(Zkml::register_model(
        root(),
        GOVERNANCE_OWNER,
        a.description(visibility),
        bounded(&a.settings_bytes(variant)),
        bounded(&a.vk_bytes(variant)),
        None,
    ));
    model
}

fn register_prover(who: AccountId) {
    assert_ok!(Zkml::register_prover(signed(who), falcon_public(who)));
}

fn request(model: zkml_primitives::ModelId, deadline: u64) -> zkml_primitives::RequestId {
    let id = crate::NextRequestId::<Test>::get();
    assert_ok!(Zkml::request_inference(signed(DAPP), model, bounded(&artifacts().input_fixed), FEE, deadline));
    id
}

/// A valid submission of `prover` for `request`: output, proof and attestation.
fn submission(request: u64, prover: AccountId) -> (Vec<i64>, Vec<u8>, crate::FalconSignature) {
    let proved = artifacts().prove(request_binding(request, prover), Visibility::Public);
    let signature = attest(prover, request, &proved.output, &proved.proof);
    (proved.output.clone(), proved.proof.clone(), signature)
}

fn submit(
    prover: AccountId,
    request: u64,
    output: &[i64],
    proof: &[u8],
    signature: crate::FalconSignature,
) -> frame_support::dispatch::DispatchResultWithPostInfo {
    Zkml::submit_result(signed(prover), request, bounded(output), bounded(proof), signature)
}

/// `assert_noop!` for calls that report the weight they used when they fail: the call fails
/// with `$error`, whatever its post-dispatch info, and storage is unchanged.
macro_rules! assert_refused {
    ($call:expr, $error:expr $(,)?) => {{
        let root = sp_io::storage::root(sp_runtime::StateVersion::V1);
        let error: DispatchError = $error.into();
        assert_eq!($call.map_err(|e| e.error), Err(error));
        assert_eq!(sp_io::storage::root(sp_runtime::StateVersion::V1), root, "storage changed");
    }};
}

/// The deposit `request_inference` holds for `id`: the request's bytes and its result's.
fn expected_request_deposit(id: zkml_primitives::RequestId, output_len: usize) -> Balance {
    use codec::MaxEncodedLen;
    let result_len = crate::VerifiedResult::<Test>::max_encoded_len() - 1024 * 8 + output_len * 8;
    DEPOSIT_PER_BYTE * (Requests::<Test>::get(id).unwrap().encoded_size() + result_len) as Balance
}

/// The deposit a registered prover's key holds: the account's bytes and the key's.
fn prover_deposit() -> Balance {
    DEPOSIT_PER_BYTE * (PROVER.encoded_size() + falcon_public(PROVER).encoded_size()) as Balance
}

fn held(who: AccountId, reason: HoldReason) -> Balance {
    Balances::balance_on_hold(&RuntimeHoldReason::Zkml(reason), &who)
}

fn expected_deposit(model: zkml_primitives::ModelId) -> Balance {
    let bytes =
        Models::<Test>::get(model).unwrap().encoded_size() + Circuits::<Test>::get(model).unwrap().encoded_size();
    DEPOSIT_BASE + DEPOSIT_PER_BYTE * bytes as Balance
}

#[test]
fn happy_path_verifies_the_proof_and_pays_the_prover() {
    new_test_ext().execute_with(|| {
        let model = register(InputVisibility::Public);
        let deposit = expected_deposit(model);
        assert_eq!(Models::<Test>::get(model).unwrap().deposit, deposit);
        assert_eq!(held(GOVERNANCE_OWNER, HoldReason::ModelDeposit), deposit);
        assert_eq!(Balances::balance(&GOVERNANCE_OWNER), STARTING_BALANCE - deposit);

        register_prover(PROVER);
        let id = request(model, 10);
        let request_deposit = expected_request_deposit(id, artifacts().output_len as usize);
        assert_eq!(Requests::<Test>::get(id).unwrap().deposit, request_deposit);
        assert_eq!(Balances::balance(&DAPP), STARTING_BALANCE - FEE - request_deposit);
        assert_eq!(held(DAPP, HoldReason::InferenceFee), FEE);
        assert_eq!(held(DAPP, HoldReason::RequestDeposit), request_deposit);
        assert!(PendingRequests::<Test>::contains_key(model, id));
        assert_eq!(Zkml::pending_requests(model, None, 10), vec![id]);

        let (output, proof, signature) = submission(id, PROVER);
        let post = submit(PROVER, id, &output, &proof, signature).unwrap();
        // Charged for the model's own instance count and check, not the largest ones.
        let instances = 1 + artifacts().input_fixed.len() as u32 + output.len() as u32 + 1;
        let check = Models::<Test>::get(model).unwrap().verification_weight;
        assert_eq!(post.actual_weight, Some(<() as crate::WeightInfo>::submit_result(instances) + check));

        assert_eq!(Balances::balance(&DAPP), STARTING_BALANCE - FEE - request_deposit);
        assert_eq!(Balances::total_balance(&DAPP), STARTING_BALANCE - FEE);
        assert_eq!(held(DAPP, HoldReason::InferenceFee), 0);
        assert_eq!(Balances::balance(&PROVER), STARTING_BALANCE + FEE - prover_deposit());
        assert_eq!(Requests::<Test>::get(id).unwrap().status, RequestStatus::Fulfilled);
        assert!(!PendingRequests::<Test>::contains_key(model, id));
        let result = Results::<Test>::get(id).unwrap();
        assert_eq!((result.output.to_vec(), result.prover, result.verified_at), (output.clone(), PROVER, 1));
        System::assert_last_event(
            Event::InferenceVerified { request: id, model, output: bounded(&output), prover: PROVER, fee: FEE }.into(),
        );

        // The verified output is the model's: within the accuracy bound of tract's float result.
        let a = artifacts();
        let reference: Vec<f64> =
            zkml_prover::run(&zkml_prover::corpus::model("1l_mlp").join("network.onnx"), &a.input)
                .unwrap()
                .into_iter()
                .flatten()
                .collect();
        let bound = zkml_prover::api::accuracy_bound(std::slice::from_ref(&reference));
        for (fixed, float) in output.iter().zip(&reference) {
            let proved = *fixed as f64 / (1u64 << a.scale) as f64;
            assert!((proved - float).abs() <= bound, "{proved} vs {float}");
        }

        let view = Zkml::request_view(id).unwrap();
        assert_eq!(view.result, Some((output, PROVER)));
        assert_eq!(Zkml::model_view(model).unwrap().status, ModelStatus::Active);

        // The requester clears the fulfilled request and gets its deposit back.
        assert_noop!(Zkml::clear_request(signed(PROVER), id), Error::<Test>::NotRequester);
        assert_ok!(Zkml::clear_request(signed(DAPP), id));
        System::assert_last_event(
            Event::RequestCleared { request: id, requester: DAPP, deposit_released: request_deposit }.into(),
        );
        assert_eq!(Balances::balance(&DAPP), STARTING_BALANCE - FEE);
        assert_eq!(held(DAPP, HoldReason::RequestDeposit), 0);
        assert!(Requests::<Test>::get(id).is_none() && Results::<Test>::get(id).is_none());
        assert_noop!(Zkml::clear_request(signed(DAPP), id), Error::<Test>::RequestNotFound);
    });
}

#[test]
fn tampered_proofs_outputs_and_replays_are_rejected_without_changing_state() {
    new_test_ext().execute_with(|| {
        let model = register(InputVisibility::Public);
        register_prover(PROVER);
        register_prover(OTHER_PROVER);
        let first = request(model, 10);
        let second = request(model, 10);
        let (output, proof, _) = submission(first, PROVER);

        let mut tampered = proof.clone();
        tampered[100] ^= 1;
        let signature = attest(PROVER, first, &output, &tampered);
        assert_refused!(submit(PROVER, first, &output, &tampered, signature), Error::<Test>::InvalidProof);

        let mut wrong_output = output.clone();
        wrong_output[0] += 1;
        let signature = attest(PROVER, first, &wrong_output, &proof);
        assert_refused!(submit(PROVER, first, &wrong_output, &proof, signature), Error::<Test>::InvalidProof);

        // The proof for `first` is worthless for `second`, and for any other submitter.
        let signature = attest(PROVER, second, &output, &proof);
        assert_refused!(submit(PROVER, second, &output, &proof, signature), Error::<Test>::InvalidProof);
        let signature = attest(OTHER_PROVER, first, &output, &proof);
        assert_refused!(submit(OTHER_PROVER, first, &output, &proof, signature), Error::<Test>::InvalidProof);

        let mut trailing = proof.clone();
        trailing.push(0);
        let signature = attest(PROVER, first, &output, &trailing);
        assert_refused!(submit(PROVER, first, &output, &trailing, signature), Error::<Test>::TrailingProofBytes);

        let signature = attest(PROVER, first, &output[..1], &proof);
        assert_refused!(submit(PROVER, first, &output[..1], &proof, signature), Error::<Test>::OutputLength);

        let signature = attest(PROVER, first, &output, &proof);
        assert_ok!(submit(PROVER, first, &output, &proof, signature));
    });
}

#[test]
fn attestations_provers_and_request_states_are_checked() {
    new_test_ext().execute_with(|| {
        let model = register(InputVisibility::Public);
        let id = request(model, 10);
        let (output, proof, signature) = submission(id, PROVER);
        assert_refused!(submit(PROVER, id, &output, &proof, signature.clone()), Error::<Test>::ProverNotRegistered);

        register_prover(PROVER);
        // Signed by another key, or over another output.
        let foreign = attest(OTHER_PROVER, id, &output, &proof);
        assert_refused!(submit(PROVER, id, &output, &proof, foreign), Error::<Test>::BadAttestation);
        let mut other_output = output.clone();
        other_output[1] -= 1;
        assert_refused!(submit(PROVER, id, &other_output, &proof, signature.clone()), Error::<Test>::BadAttestation);
        assert_refused!(submit(PROVER, id, &output, &proof, bounded(&[1u8; 10])), Error::<Test>::BadAttestation);
        assert_refused!(submit(PROVER, 99, &output, &proof, signature.clone()), Error::<Test>::RequestNotFound);

        assert_ok!(Zkml::pause_model(root(), model));
        assert_refused!(submit(PROVER, id, &output, &proof, signature.clone()), Error::<Test>::ModelNotActive);
        assert_noop!(
            Zkml::request_inference(signed(DAPP), model, bounded(&artifacts().input_fixed), FEE, 10),
            Error::<Test>::ModelNotActive
        );
        assert_ok!(Zkml::resume_model(root(), model));
        assert_noop!(Zkml::resume_model(root(), model), Error::<Test>::ModelNotPaused);

        assert_ok!(submit(PROVER, id, &output, &proof, signature.clone()));
        assert_refused!(submit(PROVER, id, &output, &proof, signature), Error::<Test>::AlreadyFulfilled);
        assert_noop!(Zkml::cancel_expired(signed(DAPP), id), Error::<Test>::AlreadyFulfilled);
        assert_eq!(Balances::balance(&PROVER), STARTING_BALANCE + FEE - prover_deposit());
    });
}

#[test]
fn expired_requests_are_refused_then_cancelled_and_refunded() {
    new_test_ext().execute_with(|| {
        let model = register(InputVisibility::Public);
        register_prover(PROVER);
        let id = request(model, 5);
        let deposit = expected_request_deposit(id, artifacts().output_len as usize);
        let (output, proof, signature) = submission(id, PROVER);
        assert_noop!(Zkml::cancel_expired(signed(PROVER), id), Error::<Test>::RequestNotExpired);

        System::set_block_number(6);
        assert_refused!(submit(PROVER, id, &output, &proof, signature), Error::<Test>::RequestExpired);
        assert_ok!(Zkml::cancel_expired(signed(PROVER), id));
        assert_eq!(Balances::balance(&DAPP), STARTING_BALANCE);
        assert_eq!(held(DAPP, HoldReason::InferenceFee), 0);
        assert!(Requests::<Test>::get(id).is_none());
        assert!(Zkml::pending_requests(model, None, 10).is_empty());
        System::assert_last_event(
            Event::RequestCancelled { request: id, requester: DAPP, refunded: FEE + deposit }.into(),
        );
        assert_noop!(Zkml::cancel_expired(signed(PROVER), id), Error::<Test>::RequestNotFound);
    });
}

#[test]
fn request_arguments_are_checked() {
    new_test_ext().execute_with(|| {
        let model = register(InputVisibility::Public);
        let input = artifacts().input_fixed.clone();
        assert_noop!(
            Zkml::request_inference(signed(DAPP), model, bounded(&input[1..]), FEE, 10),
            Error::<Test>::InputLength
        );
        assert_noop!(
            Zkml::request_inference(signed(DAPP), model, bounded(&input), FEE, 1),
            Error::<Test>::DeadlineInPast
        );
        assert_noop!(
            Zkml::request_inference(signed(DAPP), model, bounded(&input), FEE, 2 + MAX_LIFETIME),
            Error::<Test>::DeadlineTooFar
        );
        assert_noop!(Zkml::request_inference(signed(DAPP), 7, bounded(&input), FEE, 10), Error::<Test>::ModelNotFound);
        assert_noop!(
            Zkml::request_inference(signed(DAPP), model, bounded(&input), STARTING_BALANCE * 2, 10),
            TokenError::FundsUnavailable
        );
        // Zero-fee requests would flood a model's pending set for nothing.
        assert_noop!(
            Zkml::request_inference(signed(DAPP), model, bounded(&input), MINIMUM_FEE - 1, 10),
            Error::<Test>::FeeTooLow
        );
        assert_ok!(Zkml::request_inference(signed(DAPP), model, bounded(&input), MINIMUM_FEE, 10));
    });
}

#[test]
fn retiring_releases_the_deposit_and_frees_pending_fees() {
    new_test_ext().execute_with(|| {
        let model = register(InputVisibility::Public);
        let deposit = expected_deposit(model);
        let id = request(model, 50);
        assert_ok!(Zkml::retire_model(root(), model));
        System::assert_last_event(Event::ModelRetired { model, deposit_released: deposit }.into());
        assert_eq!(Balances::balance(&GOVERNANCE_OWNER), STARTING_BALANCE);
        assert_eq!(held(GOVERNANCE_OWNER, HoldReason::ModelDeposit), 0);
        assert!(Circuits::<Test>::get(model).is_none());
        assert_eq!(Models::<Test>::get(model).unwrap().status, ModelStatus::Retired);
        assert_noop!(Zkml::retire_model(root(), model), Error::<Test>::ModelRetired);
        assert_noop!(Zkml::pause_model(root(), model), Error::<Test>::ModelNotActive);

        register_prover(PROVER);
        let (output, proof, signature) = submission(id, PROVER);
        assert_refused!(submit(PROVER, id, &output, &proof, signature), Error::<Test>::ModelNotActive);
        // A retired model's requests need not wait for their deadline.
        assert_ok!(Zkml::cancel_expired(signed(DAPP), id));
        assert_eq!(Balances::balance(&DAPP), STARTING_BALANCE);
    });
}

#[test]
fn at_most_max_models_are_active() {
    new_test_ext().execute_with(|| {
        MaxModels::set(2);
        let first = register(InputVisibility::Public);
        register(InputVisibility::Public);
        let a = artifacts();
        let third = || {
            Zkml::register_model(
                root(),
                GOVERNANCE_OWNER,
                a.description(InputVisibility::Public),
                bounded(&a.settings_bytes(Visibility::Public)),
                bounded(&a.vk_bytes(Visibility::Public)),
                None,
            )
        };
        assert_noop!(third(), Error::<Test>::TooManyModels);
        assert_ok!(Zkml::retire_model(root(), first));
        assert_ok!(third());
        assert_eq!(crate::ActiveModels::<Test>::get(), 2);
        let held_now = held(GOVERNANCE_OWNER, HoldReason::ModelDeposit);
        assert_eq!(held_now, expected_deposit(1) + expected_deposit(2));
        MaxModels::set(50);
    });
}

#[test]
fn registration_checks_the_circuit_and_the_publisher() {
    new_test_ext().execute_with(|| {
        let a = artifacts();
        let settings = a.settings_bytes(Visibility::Public);
        let vk = a.vk_bytes(Visibility::Public);
        let attempt = |description: crate::ModelDescription<Test>, settings: &[u8], vk: &[u8], attestation| {
            Zkml::register_model(root(), GOVERNANCE_OWNER, description, bounded(settings), bounded(vk), attestation)
        };
        let public = || a.description(InputVisibility::Public);

        let mut corrupt_vk = vk.clone();
        corrupt_vk[40] ^= 0xff;
        assert_noop!(attempt(public(), &settings, &corrupt_vk, None), Error::<Test>::MalformedVerifyingKey);
        assert_noop!(attempt(public(), &settings, &vk[..vk.len() - 1], None), Error::<Test>::MalformedVerifyingKey);
        assert_noop!(attempt(public(), &[1, 2, 3], &vk, None), Error::<Test>::MalformedSettings);

        let mut decoded: CircuitSettings = codec::Decode::decode(&mut &settings[..]).unwrap();
        decoded.k = 30;
        assert_noop!(attempt(public(), &decoded.encode(), &vk, None), Error::<Test>::SettingsOutOfBounds);
        // Settings of the private-input circuit do not fit a public-input model.
        let private = a.settings_bytes(Visibility::Private);
        assert_noop!(attempt(public(), &private, &vk, None), Error::<Test>::InstanceCountMismatch);

        let mut bad_shape = public();
        bad_shape.input_len += 1;
        assert_noop!(attempt(bad_shape, &settings, &vk, None), Error::<Test>::InputShapeMismatch);
        let mut bad_commitment = public();
        bad_commitment.commitment = [0xff; 32];
        assert_noop!(attempt(bad_commitment, &settings, &vk, None), Error::<Test>::MalformedCommitment);

        // A publisher attestation must sign this registration with the given key.
        let key = falcon_public(GOVERNANCE_OWNER);
        let signature = publisher_attestation(GOVERNANCE_OWNER, &public(), &settings, &vk);
        assert_noop!(
            attempt(public(), &settings, &vk, Some((bounded(&key[..100]), signature.clone()))),
            Error::<Test>::MalformedFalconKey
        );
        let other_key = falcon_public(PROVER);
        assert_noop!(
            attempt(public(), &settings, &vk, Some((other_key, signature.clone()))),
            Error::<Test>::BadPublisherSignature
        );
        assert_ok!(attempt(public(), &settings, &vk, Some((key.clone(), signature))));
        assert_eq!(Models::<Test>::get(0).unwrap().publisher_key, Some(key));
        assert_eq!(Models::<Test>::get(0).unwrap().vk_hash, sp_io::hashing::blake2_256(&vk));
    });
}

#[test]
fn a_publisher_attestation_is_good_for_one_registration_on_one_chain() {
    new_test_ext().execute_with(|| {
        let a = artifacts();
        let (settings, vk) = (a.settings_bytes(Visibility::Public), a.vk_bytes(Visibility::Public));
        let (private_settings, private_vk) = (a.settings_bytes(Visibility::Private), a.vk_bytes(Visibility::Private));
        let description = a.description(InputVisibility::Public);
        let key = falcon_public(GOVERNANCE_OWNER);
        let sign = |message: &[u8]| {
            use pqcrypto_traits::sign::DetachedSignature;
            let signature = pqcrypto_falcon::falcon512::detached_sign(message, &falcon_keys(GOVERNANCE_OWNER).1);
            bounded(signature.as_bytes())
        };
        let message = |genesis: &[u8], onnx_hash: &[u8; 32], commitment: &[u8; 32], vk: &[u8], settings: &[u8]| {
            zkml_primitives::publisher_attestation_message(genesis, onnx_hash, commitment, vk, settings)
        };
        let genesis = System::block_hash(0);
        let genesis = genesis.as_ref();
        let (onnx, commitment) = (&a.onnx_hash, &a.commitment);
        let other_chain = [0x42; 32];
        let mut other_onnx = a.onnx_hash;
        other_onnx[0] ^= 1;
        let mut other_commitment = a.commitment;
        other_commitment[0] ^= 1;
        let refused = [
            // The old, untagged message.
            a.commitment.to_vec(),
            message(&other_chain, onnx, commitment, &vk, &settings),
            message(genesis, &other_onnx, commitment, &vk, &settings),
            message(genesis, onnx, &other_commitment, &vk, &settings),
            message(genesis, onnx, commitment, &private_vk, &settings),
            message(genesis, onnx, commitment, &vk, &private_settings),
        ];
        for signed_message in refused {
            let attestation = Some((key.clone(), sign(&signed_message)));
            assert_noop!(
                Zkml::register_model(
                    root(),
                    GOVERNANCE_OWNER,
                    description.clone(),
                    bounded(&settings),
                    bounded(&vk),
                    attestation
                ),
                Error::<Test>::BadPublisherSignature
            );
        }
        let attestation = Some((key.clone(), sign(&message(genesis, onnx, commitment, &vk, &settings))));
        assert_ok!(Zkml::register_model(
            root(),
            GOVERNANCE_OWNER,
            description,
            bounded(&settings),
            bounded(&vk),
            attestation
        ));
        assert_eq!(Models::<Test>::get(0).unwrap().publisher_key, Some(key));
    });
}

#[test]
fn self_proved_inferences_are_bound_to_the_submitter_and_a_nonce() {
    new_test_ext().execute_with(|| {
        let a = artifacts();
        let model = register(InputVisibility::Public);
        let proved = a.prove(nonce_binding(0, DAPP), Visibility::Public);
        let input = Input::Public(bounded(&a.input_fixed));
        let submit = |who, input: Input<Test>| {
            Zkml::submit_inference(signed(who), model, input, bounded(&proved.output), bounded(&proved.proof))
        };
        assert_refused!(submit(PROVER, input.clone()), Error::<Test>::InvalidProof);
        assert_refused!(submit(DAPP, Input::Committed([0; 32])), Error::<Test>::WrongInputVisibility);
        assert_ok!(submit(DAPP, input.clone()));
        assert_eq!(Nonces::<Test>::get(DAPP), 1);
        let id = crate::NextRequestId::<Test>::get() - 1;
        assert_eq!(Results::<Test>::get(id).unwrap().output.to_vec(), proved.output);
        assert_eq!(Requests::<Test>::get(id).unwrap().status, RequestStatus::Fulfilled);
        // The nonce moved on: the same proof cannot be recorded twice.
        assert_refused!(submit(DAPP, input), Error::<Test>::InvalidProof);
        let deposit = expected_request_deposit(id, proved.output.len());
        assert_eq!(Balances::balance(&DAPP), STARTING_BALANCE - deposit);
    });
}

#[test]
fn private_inputs_are_proved_against_their_commitment() {
    new_test_ext().execute_with(|| {
        let a = artifacts();
        let model = register(InputVisibility::Hashed);
        let proved = a.prove(nonce_binding(0, DAPP), Visibility::Private);
        let submit = |input: Input<Test>| {
            Zkml::submit_inference(signed(DAPP), model, input, bounded(&proved.output), bounded(&proved.proof))
        };
        assert_refused!(submit(Input::Public(bounded(&a.input_fixed))), Error::<Test>::WrongInputVisibility);
        let mut wrong = proved.input_commitment;
        wrong[0] ^= 1;
        assert_refused!(submit(Input::Committed(wrong)), Error::<Test>::InvalidProof);
        assert_ok!(submit(Input::Committed(proved.input_commitment)));
        assert_noop!(
            Zkml::request_inference(signed(DAPP), model, bounded(&a.input_fixed), FEE, 10),
            Error::<Test>::WrongInputVisibility
        );
    });
}

#[test]
fn every_call_checks_its_origin() {
    new_test_ext().execute_with(|| {
        let model = register(InputVisibility::Public);
        let a = artifacts();
        let bad = DispatchError::BadOrigin;
        let register_as = |origin| {
            Zkml::register_model(
                origin,
                GOVERNANCE_OWNER,
                a.description(InputVisibility::Public),
                bounded(&a.settings_bytes(Visibility::Public)),
                bounded(&a.vk_bytes(Visibility::Public)),
                None,
            )
        };
        assert_noop!(register_as(signed(GOVERNANCE_OWNER)), bad);
        assert_noop!(Zkml::pause_model(signed(GOVERNANCE_OWNER), model), bad);
        assert_noop!(Zkml::resume_model(signed(GOVERNANCE_OWNER), model), bad);
        assert_noop!(Zkml::retire_model(signed(GOVERNANCE_OWNER), model), bad);
        assert_noop!(Zkml::set_verifier_params(signed(GOVERNANCE_OWNER), bounded(&a.kzg_params)), bad);
        assert_noop!(Zkml::register_prover(root(), falcon_public(PROVER)), bad);
        assert_noop!(Zkml::deregister_prover(root()), bad);
        assert_noop!(Zkml::request_inference(root(), model, bounded(&a.input_fixed), FEE, 10), bad);
        assert_noop!(Zkml::submit_result(root(), 0, bounded(&[]), bounded(&[]), bounded(&[])), bad);
        let input = Input::Public(bounded(&a.input_fixed));
        assert_noop!(Zkml::submit_inference(root(), model, input, bounded(&[]), bounded(&[])), bad);
        assert_noop!(Zkml::cancel_expired(root(), 0), bad);
        assert_noop!(Zkml::cancel_expired(RuntimeOrigin::none(), 0), bad);
    });
}

#[test]
fn provers_register_and_deregister() {
    new_test_ext().execute_with(|| {
        assert_noop!(Zkml::deregister_prover(signed(PROVER)), Error::<Test>::ProverNotRegistered);
        assert_noop!(
            Zkml::register_prover(signed(PROVER), bounded(&falcon_public(PROVER)[..896])),
            Error::<Test>::MalformedFalconKey
        );
        register_prover(PROVER);
        assert_noop!(
            Zkml::register_prover(signed(PROVER), falcon_public(PROVER)),
            Error::<Test>::ProverAlreadyRegistered
        );
        // The key's bytes and the account's are paid for while the prover is registered.
        let deposit = prover_deposit();
        System::assert_last_event(Event::ProverRegistered { prover: PROVER, deposit }.into());
        assert_eq!(held(PROVER, HoldReason::ProverDeposit), deposit);
        // Replacing the key is allowed, and holds nothing more.
        assert_ok!(Zkml::register_prover(signed(PROVER), falcon_public(OTHER_PROVER)));
        assert_eq!(held(PROVER, HoldReason::ProverDeposit), deposit);
        assert_ok!(Zkml::deregister_prover(signed(PROVER)));
        System::assert_last_event(Event::ProverDeregistered { prover: PROVER, deposit_released: deposit }.into());
        assert_eq!(Balances::balance(&PROVER), STARTING_BALANCE);
    });
}

#[test]
fn verifier_params_are_governed_and_checked() {
    new_test_ext().execute_with(|| {
        // An x coordinate above the field modulus.
        let mut params = artifacts().kzg_params.clone();
        params[..32].fill(0xff);
        assert_noop!(Zkml::set_verifier_params(root(), bounded(&params)), Error::<Test>::MalformedVerifierParams);
        assert_noop!(
            Zkml::set_verifier_params(root(), bounded(&params[..100])),
            Error::<Test>::MalformedVerifierParams
        );
        assert_ok!(Zkml::set_verifier_params(root(), bounded(&artifacts().kzg_params)));
        System::assert_last_event(Event::VerifierParamsSet.into());
    });
}

#[test]
fn verifier_params_with_g2_outside_the_subgroup_are_refused() {
    use halo2_proofs::halo2curves::group::GroupEncoding;
    let outside = zkml_verifier::kzg::g2_outside_subgroup();
    new_test_ext().execute_with(|| {
        // Genesis set the valid ones.
        for range in [32..96, 96..160] {
            let mut params = artifacts().kzg_params.clone();
            params[range].copy_from_slice(outside.to_bytes().as_ref());
            assert_noop!(Zkml::set_verifier_params(root(), bounded(&params)), Error::<Test>::MalformedVerifierParams);
        }
        assert_eq!(crate::VerifierParams::<Test>::get().map(|p| p.into_inner()), Some(artifacts().kzg_params.clone()));
    });
}

#[test]
fn pending_requests_page_through_a_model() {
    new_test_ext().execute_with(|| {
        let model = register(InputVisibility::Public);
        let ids: Vec<_> = (0..5).map(|_| request(model, 10)).collect();
        let first = Zkml::pending_requests(model, None, 2);
        let second = Zkml::pending_requests(model, first.last().copied(), 2);
        let third = Zkml::pending_requests(model, second.last().copied(), 2);
        let mut all: Vec<_> = [first.clone(), second.clone(), third.clone()].concat();
        assert_eq!((first.len(), second.len(), third.len()), (2, 2, 1));
        all.sort();
        assert_eq!(all, ids);
        assert!(Zkml::pending_requests(model + 1, None, 10).is_empty());
    });
}

/// The committed benchmark fixtures must verify with the host functions, for every model and
/// submitter encoding they carry, and reject a tampered proof. `ZKML_WRITE_FIXTURE=1` regenerates
/// them first from `benchmarking/models`.
#[test]
fn benchmark_fixtures_verify() {
    use crate::fixture::{BoundProof, FixtureModel, Fixtures, GENESIS_HASH, REQUEST};
    use zkml_primitives::{attestation_message, binding, publisher_attestation_message, BindingContext};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("src/fixtures/mlp_family.scale");
    let context = |for_request| if for_request { BindingContext::Request(REQUEST) } else { BindingContext::Nonce(0) };
    let fixtures = if std::env::var_os("ZKML_WRITE_FIXTURE").is_some() {
        use pqcrypto_traits::sign::{DetachedSignature, PublicKey};
        let keys = falcon_keys(PROVER);
        let sign = |m: &[u8]| pqcrypto_falcon::falcon512::detached_sign(m, &keys.1).as_bytes().to_vec();
        let mut kzg_params = vec![];
        let mut models = vec![];
        for width in [2, 8, 24, 48, 96] {
            let a = Artifacts::build(&root.join(format!("../../benchmarking/models/mlp_w{width}_d2")));
            let mut proofs = vec![];
            let mut output = vec![];
            for submitter in Fixtures::prover_encodings() {
                for for_request in [true, false] {
                    let proved = a.prove(binding(context(for_request), &submitter), Visibility::Public);
                    let attestation = sign(&attestation_message(&GENESIS_HASH, REQUEST, &proved.output, &proved.proof));
                    output = proved.output;
                    proofs.push(BoundProof {
                        submitter: submitter.clone(),
                        for_request,
                        proof: proved.proof,
                        attestation,
                    });
                }
            }
            kzg_params = a.kzg_params.clone();
            models.push(FixtureModel {
                settings: a.settings_bytes(Visibility::Public),
                vk: a.vk_bytes(Visibility::Public),
                onnx_hash: a.onnx_hash,
                commitment: a.commitment,
                scale: a.scale,
                input: a.input_fixed.clone(),
                output,
                publisher_signature: sign(&publisher_attestation_message(
                    &GENESIS_HASH,
                    &a.onnx_hash,
                    &a.commitment,
                    &a.vk_bytes(Visibility::Public),
                    &a.settings_bytes(Visibility::Public),
                )),
                proofs,
            });
        }
        let fixtures = Fixtures { kzg_params, falcon_public_key: keys.0.as_bytes().to_vec(), models };
        std::fs::write(&path, fixtures.encode()).unwrap();
        fixtures
    } else {
        <Fixtures as codec::Decode>::decode(&mut &std::fs::read(&path).unwrap()[..]).unwrap()
    };
    let counts: Vec<u32> = fixtures.models.iter().map(FixtureModel::instances).collect();
    assert_eq!(counts, vec![6, 18, 50, 98, 194]);
    assert_eq!((Fixtures::MIN_INSTANCES, Fixtures::MAX_INSTANCES), (6, 194));
    for model in &fixtures.models {
        assert_eq!(model.proofs.len(), 4);
        for bound in &model.proofs {
            let instances = model.instance_values(bound);
            let verify = |proof: &[u8]| {
                zkml::verify_halo2(&model.settings, &model.vk, proof, instances.clone(), &fixtures.kzg_params).0
            };
            assert_eq!(verify(&bound.proof), Ok(()));
            let mut tampered = bound.proof.clone();
            tampered[64] ^= 1;
            assert_eq!(verify(&tampered), Err(VerifyError::InvalidProof));
            let message = attestation_message(&GENESIS_HASH, REQUEST, &model.output, &bound.proof);
            assert!(zkml::falcon512_verify(&fixtures.falcon_public_key, &message, &bound.attestation));
        }
        let message = publisher_attestation_message(
            &GENESIS_HASH,
            &model.onnx_hash,
            &model.commitment,
            &model.vk,
            &model.settings,
        );
        assert!(zkml::falcon512_verify(&fixtures.falcon_public_key, &message, &model.publisher_signature));
    }
}

#[test]
fn expired_requests_leave_in_on_idle_with_their_fees_and_deposits_refunded() {
    use frame_support::traits::Hooks;
    use frame_support::weights::Weight;
    new_test_ext().execute_with(|| {
        let model = register(InputVisibility::Public);
        let (a, b, c) = (request(model, 2), request(model, 2), request(model, 3));
        let live = request(model, 50);
        let output_len = artifacts().output_len as usize;
        let deposit = expected_request_deposit(a, output_len);
        assert_eq!([b, c].map(|id| expected_request_deposit(id, output_len)), [deposit; 2]);
        assert_eq!(Balances::balance(&DAPP), STARTING_BALANCE - 4 * (FEE + deposit));

        // Nothing has expired at the deadline itself: results are accepted until its end.
        assert_eq!(Zkml::on_idle(2, Weight::MAX), idle_step(2));
        assert_eq!(Zkml::pending_requests(model, None, 10).len(), 4);

        // Room for one expiry: the rest waits for the next block's spare weight.
        let one = idle_step(1) + <() as crate::WeightInfo>::expire_request();
        System::reset_events();
        assert_eq!(Zkml::on_idle(4, one), one);
        assert_eq!(Zkml::pending_requests(model, None, 10).len(), 3);
        let expired = |e: &frame_system::EventRecord<RuntimeEvent, _>| {
            matches!(e.event, RuntimeEvent::Zkml(Event::RequestExpired { .. }))
        };
        assert_eq!(System::events().iter().filter(|e| expired(e)).count(), 1);

        Zkml::on_idle(4, Weight::MAX);
        let mut pending = Zkml::pending_requests(model, None, 10);
        pending.sort();
        assert_eq!(pending, vec![live]);
        for id in [a, b, c] {
            assert!(Requests::<Test>::get(id).is_none());
            System::assert_has_event(
                Event::RequestExpired { request: id, requester: DAPP, refunded: FEE + deposit }.into(),
            );
        }
        assert_eq!(Balances::balance(&DAPP), STARTING_BALANCE - FEE - deposit);
        assert_eq!(held(DAPP, HoldReason::InferenceFee), FEE);
        assert_eq!(crate::ExpiryCursor::<Test>::get(), 4);
        // Without spare weight nothing happens.
        assert_eq!(Zkml::on_idle(60, Weight::zero()), Weight::zero());
        assert!(Requests::<Test>::get(live).is_some());
    });
}

/// What `on_idle` uses to look at the deadlines from the cursor up to `now`, with none to expire.
fn idle_step(deadlines: u64) -> frame_support::weights::Weight {
    use frame_support::{traits::Get, weights::RuntimeDbWeight};
    let db = <<Test as frame_system::Config>::DbWeight as Get<RuntimeDbWeight>>::get();
    db.reads_writes(1, 1) + db.reads(deadlines)
}

#[test]
fn self_proved_inferences_hold_a_deposit_until_cleared() {
    new_test_ext().execute_with(|| {
        let a = artifacts();
        let model = register(InputVisibility::Public);
        let proved = a.prove(nonce_binding(0, DAPP), Visibility::Public);
        let input = Input::Public(bounded(&a.input_fixed));
        assert_ok!(Zkml::submit_inference(signed(DAPP), model, input, bounded(&proved.output), bounded(&proved.proof)));
        let id = crate::NextRequestId::<Test>::get() - 1;
        let deposit = expected_request_deposit(id, proved.output.len());
        assert_eq!(held(DAPP, HoldReason::RequestDeposit), deposit);
        assert_eq!(Balances::balance(&DAPP), STARTING_BALANCE - deposit);
        assert_ok!(Zkml::clear_request(signed(DAPP), id));
        assert_eq!(Balances::balance(&DAPP), STARTING_BALANCE);
        assert!(Results::<Test>::get(id).is_none());
    });
}

/// A proof check is charged what its circuit's shape costs to verify, before and after the
/// check: the widest circuit the settings allow is registered, and a well-formed but invalid
/// proof for it pays that circuit's verification weight.
#[test]
fn a_wide_circuits_check_is_charged_its_verification_weight() {
    use crate::fixture::VerifierShapes;
    use frame_support::dispatch::GetDispatchInfo;
    use zkml_primitives::{MAX_ADVICE_COLUMNS as A, MAX_LOOKUP_COLUMNS as L, MAX_RANGE_COLUMNS as R};
    let shapes = VerifierShapes::load();
    let widest = shapes.covering(A, R, L, VerifierShapes::MAX_INSTANCES);
    // Commitment, input, output and binding: the MLP's input and output are equally long.
    let io = (widest.instances.len() - 2) / 2;
    new_test_ext().execute_with(|| {
        let description = crate::ModelDescription::<Test> {
            name: bounded(b"widest"),
            onnx_hash: [1; 32],
            commitment: widest.instances[0],
            input_shape: bounded(&[io as u32]),
            input_len: io as u32,
            output_len: io as u32,
            input_scale: 7,
            output_scale: 7,
            visibility: InputVisibility::Public,
        };
        // Anything wider than the benchmark measured is refused.
        let decoded = CircuitSettings::decode_valid(&widest.settings).unwrap();
        let widen: [fn(&mut CircuitSettings); 3] =
            [|s| s.num_advice_per_phase[0] += 1, |s| s.num_lookup_advice_per_phase[0] += 1, |s| s.lookup_columns += 1];
        for widen in widen {
            let mut wider = decoded.clone();
            widen(&mut wider);
            let (settings, vk) = (bounded(&wider.encode()), bounded(&widest.vk));
            assert_noop!(
                Zkml::register_model(root(), GOVERNANCE_OWNER, description.clone(), settings, vk, None),
                Error::<Test>::SettingsOutOfBounds
            );
        }
        let (settings, vk) = (bounded(&widest.settings), bounded(&widest.vk));
        assert_ok!(Zkml::register_model(root(), GOVERNANCE_OWNER, description, settings, vk, None));
        let model = crate::NextModelId::<Test>::get() - 1;
        let instances = widest.instances.len() as u32;
        let check = Zkml::proof_check_weight(A, R, L, instances);
        assert_eq!(Models::<Test>::get(model).unwrap().verification_weight, check);

        let call = crate::Call::<Test>::submit_inference {
            model,
            input: Input::Public(bounded(&vec![0; io])),
            output: bounded(&vec![0; io]),
            proof: bounded(&widest.proof),
        };
        // Before dispatch: the widest check at the most instances a model may have.
        assert!(call
            .get_dispatch_info()
            .call_weight
            .all_gte(check + <() as crate::WeightInfo>::submit_inference(instances)));
        // The fixture's proof is bound to another submitter and input: it verifies for none here.
        let failed = Zkml::submit_inference(
            signed(DAPP),
            model,
            Input::Public(bounded(&vec![0; io])),
            bounded(&vec![0; io]),
            bounded(&widest.proof),
        )
        .unwrap_err();
        assert_eq!(failed.error, Error::<Test>::InvalidProof.into());
        let charged = <() as crate::WeightInfo>::submit_inference(instances) + check;
        assert_eq!(failed.post_info.actual_weight, Some(charged));
        // A failure before the check is charged less.
        let early = Zkml::submit_inference(
            signed(DAPP),
            model,
            Input::Committed([0; 32]),
            bounded(&vec![0; io]),
            bounded(&widest.proof),
        )
        .unwrap_err();
        assert_eq!(early.error, Error::<Test>::WrongInputVisibility.into());
        assert!(early.post_info.actual_weight.unwrap().ref_time() < charged.ref_time());
    });
}

/// The committed verification-benchmark circuits must verify with the host function, cover the
/// whole range `CircuitSettings::validate` allows, and reject a tampered proof.
/// `ZKML_WRITE_FIXTURE=1` regenerates them first: the MLP family's circuits, laid out again with
/// their settings' shape overridden (the layout spreads cells over however many columns it has).
#[test]
fn verifier_shape_fixtures_verify() {
    use crate::fixture::{ShapeFixture, VerifierShapes};
    use zkml_primitives::{MAX_ADVICE_COLUMNS as A, MAX_LOOKUP_COLUMNS as L, MAX_RANGE_COLUMNS as R};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("src/fixtures/verifier_shapes.scale");
    let fixtures = if std::env::var_os("ZKML_WRITE_FIXTURE").is_some() {
        // Each component swept with the others at their largest, as the benchmark runs them.
        let mut shapes = vec![];
        for (width, sweep) in [
            (24, [2, 16, 32, 48].map(|a| (a, R, L)).to_vec()),
            (24, [1, 16, 32, 48].map(|r| (A, r, L)).to_vec()),
            (24, [0, 4, 8, 12].map(|l| (A, R, l)).to_vec()),
            (24, vec![(A, R, L)]),
            (8, vec![(A, R, L)]),
            (2, vec![(A, R, L)]),
        ] {
            let model = root.join(format!("../../benchmarking/models/mlp_w{width}_d2"));
            let input = zkml_prover::InputData::load(&model.join("input.json")).unwrap();
            let dir = tempfile::tempdir().unwrap();
            zkml_prover::compile(&model.join("network.onnx"), &input, dir.path()).unwrap();
            let settings_path = dir.path().join("settings.json");
            let compiled_k =
                zkml_circuit::artifacts::ArtifactDir(dir.path().into()).load_settings().unwrap().public.circuit.base.k;
            for (advice, range_columns, lookup_columns) in sweep {
                let mut settings: zkml_prover::Settings =
                    serde_json::from_slice(&std::fs::read(&settings_path).unwrap()).unwrap();
                for variant in [&mut settings.public, &mut settings.private] {
                    // Twice the rows, so that the narrowest shape holds the cells too.
                    variant.circuit.base.k = compiled_k + 1;
                    variant.circuit.base.num_advice_per_phase = vec![advice as usize];
                    variant.circuit.range_columns = range_columns as usize;
                    variant.circuit.lookup_columns = lookup_columns as usize;
                }
                std::fs::write(&settings_path, serde_json::to_vec(&settings).unwrap()).unwrap();
                zkml_prover::setup(dir.path(), zkml_prover::SrsSource::Dev).unwrap();
                let binding = halo2_proofs::halo2curves::bn256::Fr::from(7);
                let file = zkml_prover::prove(dir.path(), &input, binding, Visibility::Public).unwrap();
                let registration =
                    zkml_circuit::registration::Registration::load(dir.path(), Visibility::Public).unwrap();
                shapes.push(ShapeFixture {
                    advice,
                    range_columns,
                    lookup_columns,
                    settings: registration.settings,
                    vk: registration.vk,
                    proof: file.proof_bytes().unwrap(),
                    instances: file
                        .instances()
                        .unwrap()
                        .iter()
                        .map(halo2_proofs::halo2curves::ff::PrimeField::to_repr)
                        .collect(),
                });
            }
        }
        let kzg_params = artifacts().kzg_params.clone();
        let fixtures = VerifierShapes { kzg_params, shapes };
        std::fs::write(&path, fixtures.encode()).unwrap();
        fixtures
    } else {
        <VerifierShapes as codec::Decode>::decode(&mut &std::fs::read(&path).unwrap()[..]).unwrap()
    };
    let (min, max) = (VerifierShapes::MIN_INSTANCES, VerifierShapes::MAX_INSTANCES);
    assert!(fixtures.covering(A, R, L, max).covers(A, R, L, max), "the widest allowed circuit is measured");
    assert_eq!(fixtures.shapes.iter().map(|s| s.instances.len() as u32).min(), Some(min));
    for shape in &fixtures.shapes {
        let settings = CircuitSettings::decode_valid(&shape.settings).unwrap();
        assert_eq!(
            settings.verification_shape(),
            (shape.advice, shape.range_columns.max(1), shape.lookup_columns, shape.instances.len() as u32)
        );
        let verify = |proof: &[u8]| {
            zkml::verify_halo2(&shape.settings, &shape.vk, proof, shape.instances.clone(), &fixtures.kzg_params).0
        };
        assert_eq!(verify(&shape.proof), Ok(()));
        let mut tampered = shape.proof.clone();
        tampered[64] ^= 1;
        assert_eq!(verify(&tampered), Err(VerifyError::InvalidProof));
    }
}

#[test]
fn genesis_registers_models_and_provers() {
    let a = artifacts();
    let genesis = crate::GenesisConfig::<Test> {
        verifier_params: Some(a.kzg_params.clone()),
        models: vec![a.genesis_model(GOVERNANCE_OWNER)],
        provers: vec![(PROVER, falcon_public(PROVER).to_vec())],
    };
    test_ext_with(genesis).execute_with(|| {
        let info = Models::<Test>::get(0).unwrap();
        assert_eq!((info.owner, info.status), (GOVERNANCE_OWNER, ModelStatus::Active));
        assert_eq!(info.description, a.description(InputVisibility::Public));
        assert_eq!(held(GOVERNANCE_OWNER, HoldReason::ModelDeposit), expected_deposit(0));
        assert_eq!(crate::Provers::<Test>::get(PROVER), Some(falcon_public(PROVER)));
        let id = request(0, 10);
        let (output, proof, signature) = submission(id, PROVER);
        assert_ok!(submit(PROVER, id, &output, &proof, signature));
    });
}

#[test]
#[should_panic(expected = "genesis models must pass registration")]
fn genesis_refuses_a_model_that_does_not_register() {
    let a = artifacts();
    let mut model = a.genesis_model(GOVERNANCE_OWNER);
    model.vk.truncate(100);
    let genesis = crate::GenesisConfig::<Test> {
        verifier_params: Some(a.kzg_params.clone()),
        models: vec![model],
        provers: vec![],
    };
    test_ext_with(genesis);
}

mod offchain_worker {
    use std::sync::Arc;

    use codec::Decode;
    use sp_core::offchain::{testing, OffchainDbExt, OffchainWorkerExt, TransactionPoolExt};
    use sp_runtime::testing::UintAuthorityId;
    use sp_runtime::traits::Dispatchable;
    use zkml_primitives::ProverExt;

    use super::*;

    type Pool = Arc<parking_lot::RwLock<testing::PoolState>>;

    /// A prover node: offchain storage, a transaction pool, `PROVER`'s key and `prover`.
    fn node(prover: Option<Arc<InstantProver>>) -> (sp_io::TestExternalities, Pool) {
        let mut ext = new_test_ext();
        let (offchain, _) = testing::TestOffchainExt::new();
        let (pool, pool_state) = testing::TestTransactionPoolExt::new();
        ext.register_extension(OffchainDbExt::new(offchain.clone()));
        ext.register_extension(OffchainWorkerExt::new(offchain));
        ext.register_extension(TransactionPoolExt::new(pool));
        if let Some(prover) = prover {
            ext.register_extension(ProverExt(prover));
        }
        UintAuthorityId::set_all_keys([PROVER]);
        (ext, pool_state)
    }

    /// Runs the off-chain worker at block `n`, then returns what it submitted.
    fn run(n: u64, pool: &Pool) -> Vec<Extrinsic> {
        System::set_block_number(n);
        <Zkml as frame_support::traits::Hooks<u64>>::offchain_worker(n);
        let submitted = std::mem::take(&mut pool.write().transactions);
        submitted.iter().map(|tx| Extrinsic::decode(&mut &tx[..]).unwrap()).collect()
    }

    fn setup() -> (zkml_primitives::ModelId, zkml_primitives::RequestId) {
        let model = register(InputVisibility::Public);
        register_prover(PROVER);
        (model, request(model, 20))
    }

    #[test]
    fn proves_a_request_and_submits_a_result_that_verifies() {
        let prover = Arc::new(InstantProver::default());
        let (mut ext, pool) = node(Some(prover.clone()));
        ext.execute_with(|| {
            let (model, id) = setup();
            // The first run only hands the job over; the proof is collected in a later block.
            assert!(run(2, &pool).is_empty());
            assert_eq!(*prover.enqueued.lock().unwrap(), vec![id]);

            let submitted = run(3, &pool);
            assert_eq!(submitted.len(), 1);
            let tx = &submitted[0];
            assert!(matches!(tx.preamble, sp_runtime::generic::Preamble::Signed(PROVER, (), ())));
            assert!(matches!(tx.function, RuntimeCall::Zkml(crate::Call::submit_result { request_id, .. }) if request_id == id));
            let before = Balances::balance(&PROVER);
            assert_ok!(tx.function.clone().dispatch(signed(PROVER)));
            assert_eq!(Balances::balance(&PROVER), before + FEE);
            assert!(Results::<Test>::contains_key(id));
            System::assert_has_event(
                Event::InferenceVerified {
                    request: id,
                    model,
                    output: Results::<Test>::get(id).unwrap().output,
                    prover: PROVER,
                    fee: FEE,
                }
                .into(),
            );

            // Fulfilled: nothing more is proved or submitted.
            assert!(run(4, &pool).is_empty());
            assert_eq!(prover.enqueued.lock().unwrap().len(), 1);
        });
    }

    #[test]
    fn a_restart_proves_the_request_again_and_a_result_is_submitted_once_per_claim() {
        let prover = Arc::new(InstantProver::default());
        let (mut ext, pool) = node(Some(prover.clone()));
        ext.execute_with(|| {
            let (_, id) = setup();
            assert!(run(2, &pool).is_empty());
            prover.forget();
            // The claim is still live, but the service lost the job: it is enqueued again.
            assert!(run(3, &pool).is_empty());
            assert_eq!(*prover.enqueued.lock().unwrap(), vec![id, id]);
            assert_eq!(run(4, &pool).len(), 1);
            // The submission was dropped (never dispatched): not resent while the claim lives,
            // nor after; once it lapses, a fresh proof is asked for and sent instead.
            assert!(run(5, &pool).is_empty());
            assert!(run(5 + CLAIM_LIFETIME, &pool).is_empty());
            assert_eq!(run(6 + CLAIM_LIFETIME, &pool).len(), 1);
        });
    }

    #[test]
    fn nothing_is_proved_without_the_service_a_prover_key_or_a_live_request() {
        let (mut ext, pool) = node(None);
        ext.execute_with(|| {
            setup();
            assert!(run(2, &pool).is_empty());
        });

        let prover = Arc::new(InstantProver::default());
        let (mut ext, pool) = node(Some(prover.clone()));
        ext.execute_with(|| {
            let model = register(InputVisibility::Public);
            // PROVER's key is in the keystore but PROVER is not a registered prover.
            let id = request(model, 20);
            assert!(run(2, &pool).is_empty());
            register_prover(PROVER);
            // Past its deadline.
            System::set_block_number(21);
            assert!(run(21, &pool).is_empty());
            assert!(prover.enqueued.lock().unwrap().is_empty());
            // A paused model's requests wait.
            let later = request(model, 40);
            assert_ok!(Zkml::pause_model(root(), model));
            assert!(run(22, &pool).is_empty());
            assert!(prover.enqueued.lock().unwrap().is_empty());
            assert_ok!(Zkml::resume_model(root(), model));
            assert!(run(23, &pool).is_empty());
            assert_eq!(*prover.enqueued.lock().unwrap(), vec![later]);
            assert_ne!(id, later);
        });
    }

    #[test]
    fn a_failed_proof_is_retried_once_its_claim_lapses() {
        let prover = Arc::new(InstantProver::default());
        let (mut ext, pool) = node(Some(prover.clone()));
        ext.execute_with(|| {
            let model = register(InputVisibility::Public);
            register_prover(PROVER);
            let mut input = artifacts().input_fixed.clone();
            input[0] += 1;
            let id = crate::NextRequestId::<Test>::get();
            assert_ok!(Zkml::request_inference(signed(DAPP), model, bounded(&input), FEE, 50));
            assert!(run(2, &pool).is_empty());
            assert!(run(3, &pool).is_empty());
            assert!(run(4, &pool).is_empty());
            assert_eq!(*prover.enqueued.lock().unwrap(), vec![id]);
            assert!(run(4 + CLAIM_LIFETIME, &pool).is_empty());
            assert_eq!(*prover.enqueued.lock().unwrap(), vec![id, id]);
        });
    }

    fn submitted_proof(tx: &Extrinsic, id: zkml_primitives::RequestId) -> Vec<u8> {
        match &tx.function {
            RuntimeCall::Zkml(crate::Call::submit_result { request_id, proof, .. }) if *request_id == id => {
                proof.to_vec()
            }
            other => panic!("not a result for request {id}: {other:?}"),
        }
    }

    #[test]
    fn a_thousand_spam_requests_do_not_hide_a_genuine_one() {
        use frame_support::traits::Get;
        const SPAMMER: AccountId = 99;
        let spam_fee = MINIMUM_FEE;
        let fee = spam_fee + FEE;
        let prover = Arc::new(InstantProver { min_fee: fee.into(), ..Default::default() });
        let (mut ext, pool) = node(Some(prover.clone()));
        ext.execute_with(|| {
            let model = register(InputVisibility::Public);
            register_prover(PROVER);
            <Balances as frame_support::traits::fungible::Mutate<_>>::set_balance(&SPAMMER, Balance::MAX / 2);
            let input = bounded(&artifacts().input_fixed);
            // At the chain's minimum fee and due in one block; below the operator's minimum fee
            // with time to spare; at the operator's fee but due in one block.
            for n in 0..1000 {
                let (spam, deadline) = match n % 4 {
                    0 | 1 => (spam_fee, 2),
                    2 => (spam_fee, 50),
                    _ => (fee, 2),
                };
                assert_ok!(Zkml::request_inference(signed(SPAMMER), model, input.clone(), spam, deadline));
            }
            let genuine = crate::NextRequestId::<Test>::get();
            assert_ok!(Zkml::request_inference(signed(DAPP), model, input, fee, 50));
            let pending = crate::PendingRequests::<Test>::iter_key_prefix(model).count() as u32;
            assert_eq!(pending, 1001);

            // Each block reads the next `scanned` pending requests, so every one is read once
            // every `round` blocks: the genuine one is taken within a round, and its result
            // submitted when it is read again.
            let max_jobs: u32 = <Test as crate::Config>::MaxJobsPerBlock::get();
            let scanned = max_jobs * crate::offchain::SCANNED_PER_JOB;
            let round = u64::from(pending.div_ceil(scanned));
            assert_eq!(round, 8);
            let bound = 2 * round;
            let mut submitted = None;
            for n in 2..=1 + bound {
                let txs = run(n, &pool);
                if let [tx] = txs.as_slice() {
                    submitted_proof(tx, genuine);
                    assert_ok!(tx.function.clone().dispatch(signed(PROVER)));
                    submitted = Some(n);
                    break;
                }
                assert!(txs.is_empty());
            }
            assert!(submitted.is_some(), "not submitted within {bound} blocks");
            assert!(Results::<Test>::contains_key(genuine));
            // Not one spam request took a job.
            assert_eq!(*prover.enqueued.lock().unwrap(), vec![genuine]);
        });
    }

    #[test]
    fn a_proof_is_submitted_once_and_a_request_still_pending_gets_a_fresh_one() {
        let prover = Arc::new(InstantProver::default());
        let (mut ext, pool) = node(Some(prover.clone()));
        ext.execute_with(|| {
            let model = register(InputVisibility::Public);
            register_prover(PROVER);
            let id = request(model, MAX_LIFETIME);
            assert!(run(2, &pool).is_empty());
            let mut proofs = vec![];
            let mut block = 3;
            for submission in 1..=crate::offchain::MAX_SUBMISSIONS {
                // The result goes out once; whether its transaction failed in a block or was
                // dropped from the pool, that proof is never sent again.
                let txs = run(block, &pool);
                assert_eq!(txs.len(), 1, "submission {submission}");
                proofs.push(submitted_proof(&txs[0], id));
                for n in block + 1..=block + CLAIM_LIFETIME {
                    assert!(run(n, &pool).is_empty());
                }
                // The claim lapsed with the request pending: a fresh proof is asked for, unless
                // MAX_SUBMISSIONS transactions were sent, which is all one request may cost.
                assert!(run(block + CLAIM_LIFETIME + 1, &pool).is_empty());
                let proved = (submission + 1).min(crate::offchain::MAX_SUBMISSIONS);
                assert_eq!(prover.enqueued.lock().unwrap().len(), proved);
                block += CLAIM_LIFETIME + 2;
            }
            assert!((1..proofs.len()).all(|i| !proofs[..i].contains(&proofs[i])), "a proof was sent twice");
            for n in block..MAX_LIFETIME {
                assert!(run(n, &pool).is_empty());
            }
            assert_eq!(prover.enqueued.lock().unwrap().len(), crate::offchain::MAX_SUBMISSIONS);
            // Each of them was a valid result.
            let output = artifacts().prove(request_binding(id, PROVER), Visibility::Public).output;
            System::set_block_number(MAX_LIFETIME - 1);
            let proof = proofs.pop().unwrap();
            let signature = attest(PROVER, id, &output, &proof);
            assert_ok!(Zkml::submit_result(signed(PROVER), id, bounded(&output), bounded(&proof), signature));
        });
    }

    #[test]
    fn a_result_that_would_fail_on_chain_is_never_submitted() {
        let prover = Arc::new(InstantProver::default());
        let (mut ext, pool) = node(Some(prover.clone()));
        ext.execute_with(|| {
            let (_, id) = setup();
            assert!(run(2, &pool).is_empty());
            // A valid proof and attestation, but bound to another prover: the chain's
            // instances differ, and so would its verdict.
            let foreign = artifacts().prove(request_binding(id, OTHER_PROVER), Visibility::Public);
            let attestation = attest(PROVER, id, &foreign.output, &foreign.proof);
            frame_support::assert_err_ignore_postinfo!(
                Zkml::submit_result(
                    signed(PROVER),
                    id,
                    bounded(&foreign.output),
                    bounded(&foreign.proof),
                    attestation.clone()
                ),
                Error::<Test>::InvalidProof
            );
            let proved = zkml_primitives::JobStatus::Proved {
                output: foreign.output.clone(),
                proof: foreign.proof.clone(),
                attestation: attestation.to_vec(),
            };
            prover.jobs.lock().unwrap().insert(id, proved);
            assert!(run(3, &pool).is_empty());
            // Refused while the claim lives; then a fresh (honest) proof is asked for and sent.
            for n in 4..=3 + CLAIM_LIFETIME {
                assert!(run(n, &pool).is_empty());
            }
            assert!(run(4 + CLAIM_LIFETIME, &pool).is_empty());
            assert_eq!(*prover.enqueued.lock().unwrap(), vec![id, id]);
            let txs = run(5 + CLAIM_LIFETIME, &pool);
            assert_eq!(txs.len(), 1);
            assert_ok!(txs[0].function.clone().dispatch(signed(PROVER)));
        });

        // The node's Falcon key is not the one registered: every attestation would be refused.
        let prover = Arc::new(InstantProver::default());
        let (mut ext, pool) = node(Some(prover.clone()));
        ext.execute_with(|| {
            let model = register(InputVisibility::Public);
            assert_ok!(Zkml::register_prover(signed(PROVER), falcon_public(OTHER_PROVER)));
            request(model, 20);
            for n in 2..20 {
                assert!(run(n, &pool).is_empty());
            }
        });
    }

    #[test]
    fn requests_too_near_their_deadline_or_below_the_operators_fee_are_left_alone() {
        let prover = Arc::new(InstantProver { min_fee: FEE.into(), ..Default::default() });
        let (mut ext, pool) = node(Some(prover.clone()));
        ext.execute_with(|| {
            let model = register(InputVisibility::Public);
            register_prover(PROVER);
            let input = bounded(&artifacts().input_fixed);
            let cheap = crate::NextRequestId::<Test>::get();
            assert_ok!(Zkml::request_inference(signed(DAPP), model, input.clone(), FEE - 1, 50));
            // Due at block 2: a proof enqueued at block 2 could only land in block 4.
            assert_ok!(Zkml::request_inference(signed(DAPP), model, input.clone(), FEE, 3));
            assert!(run(2, &pool).is_empty());
            assert!(prover.enqueued.lock().unwrap().is_empty());
            // A proof taken in time is submitted up to the block before the deadline, not in it:
            // a transaction sent in the deadline's block lands after it.
            let late = crate::NextRequestId::<Test>::get();
            assert_ok!(Zkml::request_inference(signed(DAPP), model, input, FEE, 4));
            assert!(run(2, &pool).is_empty());
            assert_eq!(*prover.enqueued.lock().unwrap(), vec![late]);
            assert!(run(4, &pool).is_empty());
            assert_ne!(cheap, late);
        });
    }
}
