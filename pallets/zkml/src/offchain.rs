//! The off-chain worker: a prover node proves pending requests of the models it holds artifacts
//! for, through the node's native prover service, and submits the results.
//!
//! Each block, for every active model whose verifying key hash the service knows, it looks at up
//! to [`Config::MaxJobsPerBlock`] pending requests:
//! - a request nobody here has claimed (or whose claim expired) is claimed in offchain storage for
//!   [`Config::ClaimLifetime`] blocks and enqueued;
//! - a claimed request the service no longer knows (the node restarted) is enqueued again;
//! - a proved request is submitted with `submit_result`, once per claim;
//! - expired, fulfilled or failed requests are dropped, with a log line saying why.
//!
//! It never waits for a proof: enqueueing and polling return at once.

use alloc::vec::Vec;
use codec::{Decode, Encode};
use frame_support::traits::Get;
use frame_system::offchain::{Account, SendSignedTransaction, Signer};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::offchain::storage::StorageValueRef;
use sp_runtime::traits::{Saturating, Zero};
use zkml_primitives::{binding, prover_handoff, BindingContext, JobStatus, ModelId, ProvingJob, RequestId};

use crate::{Call, Circuits, Config, InputVisibility, ModelStatus, Models, Pallet, Provers, RequestStatus, Requests};

const LOG_TARGET: &str = "runtime::zkml::ocw";

/// What this node did with a request it claimed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum ClaimState {
    /// Enqueued with the prover service.
    Proving,
    /// Proving failed (logged); retried once the claim lapses.
    Failed,
    /// The result was submitted.
    Submitted,
}

/// This node's claim on a request, in offchain storage. Offchain storage is the node's own, so a
/// live claim can only be this node's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Claim<BlockNumber> {
    /// The claim lapses after this block.
    pub until: BlockNumber,
    pub state: ClaimState,
}

/// The offchain storage key of the claim on `request`.
pub fn claim_key(request: RequestId) -> Vec<u8> {
    (b"zkml/claim/", request).encode()
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
        for model in Circuits::<T>::iter_keys() {
            let Some(info) = Models::<T>::get(model) else { continue };
            let provable = info.status == ModelStatus::Active && info.description.visibility == InputVisibility::Public;
            if !provable || !prover_handoff::can_prove(&info.vk_hash) {
                continue;
            }
            for request in Self::pending_requests(model, None, T::MaxJobsPerBlock::get()) {
                Self::advance(model, request, info.vk_hash, &account, genesis.as_ref(), now);
            }
        }
    }

    fn advance(
        model: ModelId,
        id: RequestId,
        vk_hash: [u8; 32],
        account: &Account<T>,
        genesis: &[u8],
        now: BlockNumberFor<T>,
    ) {
        let Some(request) = Requests::<T>::get(id) else { return };
        if request.status != RequestStatus::Pending {
            return;
        }
        if now > request.deadline {
            log::info!(target: LOG_TARGET, "request {id} of model {model}: dropped, its deadline has passed");
            return;
        }
        let key = claim_key(id);
        let claim = StorageValueRef::persistent(&key);
        let held = claim.get::<Claim<BlockNumberFor<T>>>().ok().flatten().filter(|c| c.until >= now).map(|c| c.state);
        let lifetime = now.saturating_add(T::ClaimLifetime::get());
        match prover_handoff::status(id) {
            JobStatus::Proving => {}
            JobStatus::Proved { .. } if held == Some(ClaimState::Submitted) => {}
            JobStatus::Proved { output, proof, attestation } => {
                let (Ok(output), Ok(proof), Ok(signature)) =
                    (output.try_into(), proof.try_into(), attestation.try_into())
                else {
                    log::warn!(target: LOG_TARGET, "request {id} of model {model}: dropped, the result exceeds the pallet's bounds");
                    return;
                };
                let call = Call::<T>::submit_result { request_id: id, output, proof, signature };
                let sent = Signer::<T, T::AuthorityId>::any_account()
                    .with_filter(alloc::vec![account.public.clone()])
                    .send_signed_transaction(|_| call.clone());
                if let Some((_, Ok(()))) = sent {
                    claim.set(&Claim { until: lifetime, state: ClaimState::Submitted });
                    log::info!(target: LOG_TARGET, "request {id} of model {model}: result submitted");
                } else {
                    log::warn!(target: LOG_TARGET, "request {id} of model {model}: submitting the result failed");
                }
            }
            JobStatus::Failed(_) if held == Some(ClaimState::Failed) => {}
            JobStatus::Failed(reason) if held.is_some() => {
                log::warn!(
                    target: LOG_TARGET,
                    "request {id} of model {model}: proving failed, retried in a later claim: {}",
                    alloc::string::String::from_utf8_lossy(&reason)
                );
                claim.set(&Claim { until: lifetime, state: ClaimState::Failed });
            }
            JobStatus::Unknown if held == Some(ClaimState::Submitted) => {}
            // Unclaimed, lapsed, failed long enough ago, or lost by the service (a restart).
            JobStatus::Unknown | JobStatus::Failed(_) => {
                let crate::Input::Public(input) = &request.input else { return };
                let job = ProvingJob {
                    request: id,
                    vk_hash,
                    input: input.to_vec(),
                    binding: binding(BindingContext::Request(id), &account.id.encode()),
                    genesis_hash: genesis.to_vec(),
                };
                // The service drops a job it already has, so a concurrent worker is harmless.
                if prover_handoff::enqueue(job) {
                    claim.set(&Claim { until: lifetime, state: ClaimState::Proving });
                    log::info!(target: LOG_TARGET, "request {id} of model {model}: taken, proving");
                } else {
                    log::warn!(target: LOG_TARGET, "request {id} of model {model}: not taken, the prover queue is full");
                }
            }
        }
    }
}
