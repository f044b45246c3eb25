//! The hand-off between the off-chain worker and the node's native prover service.
//!
//! The off-chain worker never proves in the runtime: it enqueues a [`ProvingJob`] with
//! [`prover_handoff::enqueue`] and polls [`prover_handoff::status`] in later blocks. The node implements
//! [`ProverService`] and registers it as the [`ProverExt`] externalities extension of off-chain
//! workers only (`OffchainWorkerOptions::custom_extensions`); without it, the functions report
//! that nothing can be proved.

use alloc::vec::Vec;
use codec::{Decode, Encode};
use sp_runtime_interface::pass_by::{AllocateAndReturnByCodec, PassFatPointerAndDecode, PassPointerAndRead};
use sp_runtime_interface::runtime_interface;

use crate::{FieldBytes, RequestId};

/// What the prover service needs to prove a request and attest the result.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ProvingJob {
    pub request: RequestId,
    /// BLAKE2-256 of the model's verifying key: which artifacts to prove with.
    pub vk_hash: [u8; 32],
    /// The request's input, fixed-point integers at the model's scale.
    pub input: Vec<i64>,
    /// The binding instance for this request and the submitting prover.
    pub binding: FieldBytes,
    /// The chain's genesis hash, part of the Falcon attestation.
    pub genesis_hash: Vec<u8>,
}

/// Where a job stands in the prover service.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum JobStatus {
    /// The service has no such job: never enqueued, or lost in a restart.
    Unknown,
    /// Queued or being proved.
    Proving,
    /// Proved: the output, the proof and the Falcon-512 attestation of them.
    Proved { output: Vec<i64>, proof: Vec<u8>, attestation: Vec<u8> },
    /// Proving failed, with the reason.
    Failed(Vec<u8>),
}

/// The node's prover service, as the off-chain worker sees it.
#[cfg(feature = "std")]
pub trait ProverService: Send + Sync {
    /// Whether the service holds artifacts for the model with this verifying key hash.
    fn can_prove(&self, vk_hash: &[u8; 32]) -> bool;
    /// Queues a job without blocking; `false` if the queue is full or the model unknown.
    fn enqueue(&self, job: ProvingJob) -> bool;
    /// Where the job for `request` stands.
    fn status(&self, request: RequestId) -> JobStatus;
    /// The operator's minimum fee, in the chain's smallest balance unit: the off-chain worker
    /// leaves requests that pay less to other provers.
    fn min_fee(&self) -> u128;
}

#[cfg(feature = "std")]
sp_externalities::decl_extension! {
    /// The node's prover service, registered for off-chain workers only.
    pub struct ProverExt(std::sync::Arc<dyn ProverService>);
}

/// Off-chain-only host functions reaching the node's prover service.
#[runtime_interface]
pub trait ProverHandoff {
    /// Whether this node can prove the model with verifying key hash `vk_hash`.
    fn can_prove(&mut self, vk_hash: PassPointerAndRead<&[u8; 32], 32>) -> bool {
        use sp_externalities::ExternalitiesExt;
        self.extension::<ProverExt>().is_some_and(|service| service.can_prove(vk_hash))
    }

    /// Hands `job` to the prover service; `false` if it was not taken.
    fn enqueue(&mut self, job: PassFatPointerAndDecode<ProvingJob>) -> bool {
        use sp_externalities::ExternalitiesExt;
        self.extension::<ProverExt>().is_some_and(|service| service.enqueue(job))
    }

    /// Where the job for `request` stands.
    fn status(&mut self, request: RequestId) -> AllocateAndReturnByCodec<JobStatus> {
        use sp_externalities::ExternalitiesExt;
        self.extension::<ProverExt>().map_or(JobStatus::Unknown, |service| service.status(request))
    }

    /// The node operator's minimum fee for proving a request (0 without a prover service, which
    /// proves nothing anyway).
    fn min_fee(&mut self) -> AllocateAndReturnByCodec<u128> {
        use sp_externalities::ExternalitiesExt;
        self.extension::<ProverExt>().map_or(0, |service| service.min_fee())
    }
}
