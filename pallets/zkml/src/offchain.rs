//! The off-chain worker: a prover node proves pending requests of the models it holds artifacts
//! for, through the node's native prover service, and submits the results.
//!
//! Each block, for every active model whose verifying key hash the service knows, it walks the
//! model's pending requests on from where it stopped in the previous block (a cursor per model in
//! offchain storage), wrapping around at the end:
//! - it reads at most [`SCANNED_PER_JOB`] × [`Config::MaxJobsPerBlock`] requests, and skips those
//!   it would not be paid for: a fee below the operator's minimum ([`prover_handoff::min_fee`],
//!   the node's `--zkml-min-fee`), or a deadline too near for a result to land (a transaction sent
//!   now is in the next block at the earliest, and a proof enqueued now is collected in the next
//!   block). A skipped request costs a storage read, and none of the work budget;
//! - it works on at most [`Config::MaxJobsPerBlock`] of the others:
//!   - a request nobody here has claimed (or whose claim lapsed) is claimed in offchain storage
//!     for [`Config::ClaimLifetime`] blocks and enqueued;
//!   - a claimed request the service no longer knows (the node restarted) is enqueued again;
//!   - a proved request is checked as `submit_result` will check it (prover registration, the
//!     Falcon attestation against the registered key, and the proof against the on-chain circuit
//!     for [`Pallet::instances`]), then submitted; a result that fails the check is never sent.
//!
//! So every pending request is reached within ⌈pending / (`SCANNED_PER_JOB` × `MaxJobsPerBlock`)⌉
//! blocks however many there are, and a spammer's requests cost each node a read apiece.
//!
//! No fee is paid twice for one proof. The hash of every proof submitted for a request is kept
//! with the claim, and a proof is never sent again: once it is in a block it either verified (the
//! request is fulfilled) or failed, and it would fail again. The worker cannot tell a transaction
//! that failed from one dropped from the pool, so once a claim lapses with the request still
//! pending, it asks the service for a fresh proof (halo2 proofs are randomised) and submits that,
//! after the same check. A dropped transaction thus costs a proof, never a fee, and one request
//! costs this node at most [`MAX_SUBMISSIONS`] transactions.
//!
//! It never waits for a proof: enqueueing and polling return at once.

use alloc::vec::Vec;
use codec::{Decode, Encode};
use frame_support::traits::Get;
use frame_system::offchain::{Account, SendSignedTransaction, Signer};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::offchain::storage::StorageValueRef;
use sp_runtime::traits::{One, Saturating, Zero};
use sp_runtime::{DispatchError, SaturatedConversion};
use zkml_primitives::{
    attestation_message, binding, prover_handoff, zkml, BindingContext, JobStatus, ModelId, ProvingJob, RequestId,
};

use crate::{
    Call, Circuits, Config, Input, InputVisibility, ModelInfo, ModelStatus, Models, Pallet, PendingRequests, Provers,
    Request, RequestStatus, Requests,
};

const LOG_TARGET: &str = "runtime::zkml::ocw";

/// Pending requests the worker may read in a block, per request it may work on: reading a request
/// to skip it is cheap, but not free.
pub const SCANNED_PER_JOB: u32 = 16;

/// Most proofs this node submits for one request: a bound on the fees one request can cost it,
/// whatever happens to its transactions.
pub const MAX_SUBMISSIONS: usize = 3;

/// What this node did with a request it claimed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum ClaimState {
    /// Enqueued with the prover service.
    Proving,
    /// Proving failed, or its result would fail on chain (logged); retried once the claim lapses.
    Failed,
    /// The result was submitted.
    Submitted,
}

/// This node's claim on a request, in offchain storage. Offchain storage is the node's own, so a
/// live claim can only be this node's.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Claim<BlockNumber> {
    /// The claim lapses after this block.
    pub until: BlockNumber,
    pub state: ClaimState,
    /// BLAKE2-256 of each proof this node submitted for the request, oldest first: none is ever
    /// sent again.
    pub submitted: Vec<[u8; 32]>,
}

/// The offchain storage key of the claim on `request`.
pub fn claim_key(request: RequestId) -> Vec<u8> {
    (b"zkml/claim/", request).encode()
}

/// The offchain storage key of the last pending request of `model` the worker read.
pub fn cursor_key(model: ModelId) -> Vec<u8> {
    (b"zkml/cursor/", model).encode()
}

/// Why the worker does not submit a proved result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unsubmittable {
    /// The result does not fit the pallet's bounds.
    TooLarge,
    /// The submitting account is not a registered prover.
    NotAProver,
    /// The attestation does not verify for the prover's registered Falcon-512 key.
    BadAttestation,
    /// The pallet's own check of the result (`Pallet::verify`) fails: wrong output length, no
    /// circuit or verifier parameters, or a proof that does not verify.
    Rejected(DispatchError),
}

/// Why a pending request is not worth this node's work in this block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Skip {
    NotPending,
    FeeBelowMinimum,
    TooLate,
}

impl<T: Config> Pallet<T> {
    /// The off-chain worker's work for block `now`.
    pub fn prove_pending(now: BlockNumberFor<T>) {
        let signer = Signer::<T, T::AuthorityId>::all_accounts();
        let Some(account) = signer.accounts_from_keys().find(|a| Provers::<T>::contains_key(&a.id)) else {
            log::debug!(target: LOG_TARGET, "no zkml key of a registered prover in the keystore: not proving");
            return;
        };
        let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
        let min_fee = prover_handoff::min_fee();
        for model in Circuits::<T>::iter_keys() {
            let Some(info) = Models::<T>::get(model) else { continue };
            let provable = info.status == ModelStatus::Active && info.description.visibility == InputVisibility::Public;
            if !provable || !prover_handoff::can_prove(&info.vk_hash) {
                continue;
            }
            Self::walk(model, &info, &account, genesis.as_ref(), now, min_fee);
        }
    }

    /// Works on up to [`Config::MaxJobsPerBlock`] pending requests of `model` that are worth it,
    /// reading at most [`SCANNED_PER_JOB`] times as many, from the model's cursor on.
    fn walk(
        model: ModelId,
        info: &ModelInfo<T>,
        account: &Account<T>,
        genesis: &[u8],
        now: BlockNumberFor<T>,
        min_fee: u128,
    ) {
        let cursor_key = cursor_key(model);
        let cursor = StorageValueRef::persistent(&cursor_key);
        let from = cursor.get::<RequestId>().ok().flatten();
        let max_jobs = T::MaxJobsPerBlock::get();
        let max_scanned = max_jobs.saturating_mul(SCANNED_PER_JOB);
        // After the cursor to the end, then from the start round to where this walk began.
        let after_cursor = from.map(|id| {
            PendingRequests::<T>::iter_key_prefix_from(model, PendingRequests::<T>::hashed_key_for(model, id))
        });
        let ids = after_cursor.into_iter().flatten().chain(PendingRequests::<T>::iter_key_prefix(model));
        let (mut scanned, mut worked, mut first, mut last) = (0u32, 0u32, None, None);
        for id in ids {
            if scanned >= max_scanned || worked >= max_jobs || first == Some(id) {
                break;
            }
            first.get_or_insert(id);
            last = Some(id);
            scanned += 1;
            let Some(request) = Requests::<T>::get(id) else { continue };
            if let Some(skip) = Self::skip(id, &request, now, min_fee) {
                log::trace!(target: LOG_TARGET, "request {id} of model {model}: skipped, {skip:?}");
                continue;
            }
            worked += 1;
            Self::advance(model, id, &request, info, account, genesis, now);
        }
        if let Some(last) = last {
            cursor.set(&last);
        }
        log::debug!(target: LOG_TARGET, "model {model}: {scanned} pending requests read, {worked} worked on");
    }

    /// Why `request` is not worth working on now, if it is not.
    fn skip(id: RequestId, request: &Request<T>, now: BlockNumberFor<T>, min_fee: u128) -> Option<Skip> {
        if request.status != RequestStatus::Pending {
            return Some(Skip::NotPending);
        }
        if request.fee.saturated_into::<u128>() < min_fee {
            return Some(Skip::FeeBelowMinimum);
        }
        // A result sent now is in the next block at the earliest; a proof enqueued now is
        // collected in the next block, and its result is in the block after. So a deadline in
        // the next block leaves time only for a request claimed already.
        let next = now.saturating_add(One::one());
        let too_late = request.deadline < next
            || (request.deadline == next && Self::claim(id).is_none_or(|claim| claim.until < now));
        too_late.then_some(Skip::TooLate)
    }

    fn claim(id: RequestId) -> Option<Claim<BlockNumberFor<T>>> {
        StorageValueRef::persistent(&claim_key(id)).get().ok().flatten()
    }

    fn advance(
        model: ModelId,
        id: RequestId,
        request: &Request<T>,
        info: &ModelInfo<T>,
        account: &Account<T>,
        genesis: &[u8],
        now: BlockNumberFor<T>,
    ) {
        let key = claim_key(id);
        let mut store = StorageValueRef::persistent(&key);
        let claim = Self::claim(id);
        let live = claim.as_ref().filter(|c| c.until >= now).map(|c| c.state);
        let submitted = claim.clone().map(|c| c.submitted).unwrap_or_default();
        let until = now.saturating_add(T::ClaimLifetime::get());
        let enqueue = |submitted: Vec<[u8; 32]>| {
            if submitted.len() >= MAX_SUBMISSIONS {
                log::debug!(target: LOG_TARGET, "request {id} of model {model}: left alone, {MAX_SUBMISSIONS} proofs submitted");
                return;
            }
            let Input::Public(input) = &request.input else { return };
            let job = ProvingJob {
                request: id,
                vk_hash: info.vk_hash,
                input: input.to_vec(),
                binding: binding(BindingContext::Request(id), &account.id.encode()),
                genesis_hash: genesis.to_vec(),
            };
            // The service drops a job it is proving already, so a concurrent worker is harmless.
            if prover_handoff::enqueue(job) {
                store.set(&Claim { until, state: ClaimState::Proving, submitted });
                log::info!(target: LOG_TARGET, "request {id} of model {model}: taken, proving");
            } else {
                log::warn!(target: LOG_TARGET, "request {id} of model {model}: not taken, the prover queue is full");
            }
        };
        match prover_handoff::status(id) {
            JobStatus::Proving => {}
            JobStatus::Proved { proof, .. }
                if submitted.contains(&sp_io::hashing::blake2_256(&proof))
                    || claim.as_ref().is_some_and(|claim| claim.state == ClaimState::Failed) =>
            {
                // Sent already, or refused here: never sent (again). Once the claim lapses with
                // the request still pending, a fresh proof is asked for.
                if live.is_none() {
                    enqueue(submitted);
                }
            }
            JobStatus::Proved { output, proof, attestation } => {
                let proof_hash = sp_io::hashing::blake2_256(&proof);
                let call = match Self::submittable(id, request, info, account, genesis, output, proof, attestation) {
                    Ok(call) => call,
                    Err(reason) => {
                        log::warn!(target: LOG_TARGET, "request {id} of model {model}: result not submitted, it would fail on chain: {reason:?}");
                        store.set(&Claim { until, state: ClaimState::Failed, submitted });
                        return;
                    }
                };
                let mut marked = Claim { until, state: ClaimState::Submitted, submitted };
                marked.submitted.push(proof_hash);
                // Marked before sending, atomically: a concurrent worker that read the same claim
                // sends nothing.
                let mark = store.mutate(|stored: Result<Option<Claim<_>>, _>| match stored {
                    Ok(stored) if stored == claim => Ok(marked),
                    _ => Err(()),
                });
                if mark.is_err() {
                    return;
                }
                let sent = Signer::<T, T::AuthorityId>::any_account()
                    .with_filter(alloc::vec![account.public.clone()])
                    .send_signed_transaction(|_| call.clone());
                if let Some((_, Ok(()))) = sent {
                    log::info!(target: LOG_TARGET, "request {id} of model {model}: result submitted");
                } else {
                    // Not in the pool, so not paid for: the same proof may go in a later block.
                    match &claim {
                        Some(claim) => store.set(claim),
                        None => store.clear(),
                    }
                    log::warn!(target: LOG_TARGET, "request {id} of model {model}: submitting the result failed");
                }
            }
            JobStatus::Failed(_) if live == Some(ClaimState::Failed) => {}
            JobStatus::Failed(reason) if live.is_some() => {
                log::warn!(
                    target: LOG_TARGET,
                    "request {id} of model {model}: proving failed, retried in a later claim: {}",
                    alloc::string::String::from_utf8_lossy(&reason)
                );
                store.set(&Claim { until, state: ClaimState::Failed, submitted });
            }
            JobStatus::Unknown if live == Some(ClaimState::Submitted) => {}
            // Unclaimed, lapsed, failed long enough ago, or lost by the service (a restart).
            JobStatus::Unknown | JobStatus::Failed(_) => enqueue(submitted),
        }
    }

    /// The `submit_result` call for a proved result, if the pallet would accept it from
    /// `account` in the current state: the checks of `submit_result`, in the same order, with
    /// the same host functions and the instances [`Pallet::instances`] builds.
    #[allow(clippy::too_many_arguments)]
    pub fn submittable(
        id: RequestId,
        request: &Request<T>,
        info: &ModelInfo<T>,
        account: &Account<T>,
        genesis: &[u8],
        output: Vec<i64>,
        proof: Vec<u8>,
        attestation: Vec<u8>,
    ) -> Result<Call<T>, Unsubmittable> {
        let prover_key = Provers::<T>::get(&account.id).ok_or(Unsubmittable::NotAProver)?;
        let message = attestation_message(genesis, id, &output, &proof);
        if !zkml::falcon512_verify(&prover_key, &message, &attestation) {
            return Err(Unsubmittable::BadAttestation);
        }
        let binding = binding(BindingContext::Request(id), &account.id.encode());
        Self::verify(request.model, info, &request.input, &output, &proof, binding).map_err(Unsubmittable::Rejected)?;
        let (Ok(output), Ok(proof), Ok(signature)) = (output.try_into(), proof.try_into(), attestation.try_into())
        else {
            return Err(Unsubmittable::TooLarge);
        };
        Ok(Call::submit_result { request_id: id, output, proof, signature })
    }
}
