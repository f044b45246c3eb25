//! The node's native prover service, behind the off-chain worker's `prover_handoff` host
//! functions ([`zkml_primitives::ProverService`]).
//!
//! It serves the compiled models found in an artifact directory (one sub-directory per model, as
//! `zkml compile` and `zkml setup` write them), keyed by the BLAKE2-256 hash of their public
//! verifying key, which is what the chain registers. Jobs wait in a bounded queue for a fixed
//! number of worker threads; enqueueing never blocks. A proved result carries the node's
//! Falcon-512 attestation over (genesis hash, request, output, proof hash).
//!
//! The witness takes the chain's fixed-point integers as they are, and a proof is reported proved
//! only once it verifies, with the chain's verifier ([`zkml_primitives::host::verify_halo2`]),
//! for the instances the chain builds from the request: the model commitment, the input and
//! output integers as field elements, and the binding. A proof that would fail on chain is a
//! failure here, and never reaches the off-chain worker.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use codec::Encode;
use halo2_proofs::halo2curves::{bn256::Fr, ff::PrimeField};
use pqcrypto_falcon::falcon512;
use pqcrypto_traits::sign::DetachedSignature;
use zkml_circuit::artifacts::ArtifactDir;
use zkml_circuit::{Settings, Visibility};
use zkml_primitives::host::UnwindingPool;
use zkml_primitives::{
    attestation_message, fixed_to_field, host, CircuitSettings, FieldBytes, InputInstances, JobStatus, ProverService,
    ProvingJob, PublicInstances, RequestId,
};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("cannot read the artifact directory {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("model artifacts in {path}: {source}")]
    Artifacts { path: PathBuf, source: zkml_circuit::Error },
}

/// A compiled model the service can prove.
#[derive(Clone, Debug)]
pub struct Model {
    pub dir: PathBuf,
    pub settings: Settings,
    /// What the chain verifies this model's proofs with, as it registers them.
    pub verifier: ChainVerifier,
}

/// A model's public-input verifier as the chain holds it: the bytes `register_model` takes from
/// these artifacts, and the KZG verifier parameters of their SRS.
#[derive(Clone, Debug)]
pub struct ChainVerifier {
    /// The model commitment, the first instance.
    pub commitment: FieldBytes,
    /// SCALE-encoded [`CircuitSettings`] of the public-input circuit.
    pub settings: Vec<u8>,
    /// The public-input verifying key, whose BLAKE2-256 hash the chain registers.
    pub vk: Vec<u8>,
    /// The KZG verifier parameters of the SRS the keys were made from.
    pub kzg_params: Vec<u8>,
}

impl ChainVerifier {
    /// Checks `proof` with the chain's verifier for the instances the chain builds for a result
    /// of `input` and `output` bound to `binding`.
    pub fn check(&self, input: &[i64], output: &[i64], binding: FieldBytes, proof: &[u8]) -> Result<(), String> {
        let instances = PublicInstances {
            model_commitment: self.commitment,
            input: InputInstances::Public(input.iter().map(|&v| fixed_to_field(v)).collect()),
            output: output.iter().map(|&v| fixed_to_field(v)).collect(),
            binding,
        }
        .into_vec();
        host::verify_halo2(&self.settings, &self.vk, proof, &instances, &self.kzg_params)
            .map_err(|error| format!("the proof fails the chain's check ({error:?}): not submitted"))
    }
}

/// Counters for the node's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    pub proofs_done: AtomicU64,
    pub proofs_failed: AtomicU64,
    /// Total milliseconds spent proving.
    pub proving_ms: AtomicU64,
}

/// Finished jobs whose status is kept for the off-chain worker to collect; older ones are
/// forgotten (a forgotten job reads as unknown, and the worker proves it again if still pending).
const RETAINED_RESULTS: usize = 1024;

struct State {
    queue: VecDeque<ProvingJob>,
    jobs: HashMap<RequestId, JobStatus>,
    finished: VecDeque<RequestId>,
}

impl State {
    fn finish(&mut self, request: RequestId, status: JobStatus) {
        self.jobs.insert(request, status);
        self.finished.push_back(request);
        while self.finished.len() > RETAINED_RESULTS {
            if let Some(old) = self.finished.pop_front() {
                self.jobs.remove(&old);
            }
        }
    }
}

struct Inner {
    models: HashMap<[u8; 32], Model>,
    capacity: usize,
    state: Mutex<State>,
    work: Condvar,
    falcon: falcon512::SecretKey,
    metrics: Metrics,
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        // A worker that panicked mid-update leaves only a stale status behind.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The prover service. Cheap to clone: clones share the queue and the workers.
#[derive(Clone)]
pub struct ProverNode {
    inner: Arc<Inner>,
    min_fee: u128,
}

/// Reads every model under `artifacts`: sub-directories holding `settings.json` and a public
/// verifying key. Sub-directories without them are skipped; unreadable artifacts are errors.
pub fn load_models(artifacts: &Path) -> Result<HashMap<[u8; 32], Model>, ServiceError> {
    let io = |source| ServiceError::Io { path: artifacts.into(), source };
    let mut models = HashMap::new();
    for entry in std::fs::read_dir(artifacts).map_err(io)? {
        let dir = entry.map_err(io)?.path();
        let files = ArtifactDir(dir.clone());
        let vk_path = files.vk(Visibility::Public);
        if !files.settings().is_file() || !vk_path.is_file() {
            continue;
        }
        let artifacts_error = |source| ServiceError::Artifacts { path: dir.clone(), source };
        let settings = files.load_settings().map_err(artifacts_error)?;
        let read = |path: PathBuf| std::fs::read(&path).map_err(|source| ServiceError::Io { path, source });
        let vk = read(vk_path)?;
        let kzg_params = read(files.verifier_params())?;
        let commitment = zkml_circuit::proof::fr_from_hex(&settings.model_commitment)
            .map_err(|reason| {
                artifacts_error(zkml_circuit::Error::CorruptArtifact {
                    what: "settings",
                    path: files.settings(),
                    reason,
                })
            })?
            .to_repr();
        let variant = settings.variant(Visibility::Public);
        let circuit = CircuitSettings::from_params(&variant.circuit, variant.num_instances).encode();
        let hash = sp_crypto_hashing::blake2_256(&vk);
        tracing::info!(target: "zkml", model = %dir.display(), vk_hash = %hex(&hash), "prover serves model");
        let verifier = ChainVerifier { commitment, settings: circuit, vk, kzg_params };
        models.insert(hash, Model { dir, settings, verifier });
    }
    Ok(models)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl ProverNode {
    /// A service for `models` with a queue of `capacity` jobs, attesting with `falcon`. No worker
    /// runs until [`ProverNode::spawn_workers`].
    pub fn new(models: HashMap<[u8; 32], Model>, capacity: usize, falcon: falcon512::SecretKey) -> Self {
        let state = State { queue: VecDeque::new(), jobs: HashMap::new(), finished: VecDeque::new() };
        let inner = Inner {
            models,
            capacity,
            state: Mutex::new(state),
            work: Condvar::new(),
            falcon,
            metrics: Metrics::default(),
        };
        Self { inner: Arc::new(inner), min_fee: 0 }
    }

    /// The service with the operator's minimum fee: the off-chain worker leaves requests paying
    /// less to other provers ([`ProverService::min_fee`]).
    pub fn with_min_fee(self, min_fee: u128) -> Self {
        Self { min_fee, ..self }
    }

    /// Starts `threads` worker threads, which live as long as the process, and the rayon pool
    /// they prove on (`RAYON_NUM_THREADS`, or one thread per CPU). A job that panics, in a
    /// worker's own steps or in a parallel one, fails with the panic's message, and its worker
    /// takes the next job: the node's panic hook would end the process on any other thread.
    pub fn spawn_workers(&self, threads: usize) -> std::io::Result<()> {
        let pool = Arc::new(UnwindingPool::new("zkml-proving", 0).map_err(std::io::Error::other)?);
        for n in 0..threads {
            let (inner, pool) = (self.inner.clone(), pool.clone());
            std::thread::Builder::new().name(format!("zkml-prover-{n}")).spawn(move || work(&inner, &pool))?;
        }
        Ok(())
    }

    /// Jobs waiting for a worker.
    pub fn queue_len(&self) -> usize {
        self.inner.state().queue.len()
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    pub fn models(&self) -> impl Iterator<Item = (&[u8; 32], &Model)> {
        self.inner.models.iter()
    }
}

fn work(inner: &Inner, pool: &UnwindingPool) {
    loop {
        let job = {
            let mut state = inner.state();
            loop {
                if let Some(job) = state.queue.pop_front() {
                    break job;
                }
                state = inner.work.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
            }
        };
        let started = Instant::now();
        let request = job.request;
        let proved = pool.run(|| prove(inner, &job)).unwrap_or_else(|panicked| Err(format!("proving {panicked}")));
        let status = match proved {
            Ok(status) => {
                inner.metrics.proofs_done.fetch_add(1, Ordering::Relaxed);
                tracing::info!(target: "zkml", request, ms = started.elapsed().as_millis() as u64, "request proved");
                status
            }
            Err(reason) => {
                inner.metrics.proofs_failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(target: "zkml", request, %reason, "proving failed");
                JobStatus::Failed(reason.into_bytes())
            }
        };
        inner.metrics.proving_ms.fetch_add(started.elapsed().as_millis() as u64, Ordering::Relaxed);
        inner.state().finish(request, status);
    }
}

/// Proves `job`, checks the proof as the chain will, and attests the result.
fn prove(inner: &Inner, job: &ProvingJob) -> Result<JobStatus, String> {
    let model = inner.models.get(&job.vk_hash).ok_or("no artifacts for this verifying key")?;
    let input = input_rows(&model.settings, &job.input)?;
    let binding = Option::<Fr>::from(Fr::from_repr(job.binding)).ok_or("the binding is not a field element")?;
    let file = zkml_circuit::prove_fixed(&model.dir, &input, binding).map_err(|e| e.to_string())?;
    let output = file
        .outputs_fixed
        .iter()
        .flatten()
        .map(|&v| i64::try_from(v).map_err(|_| format!("output {v} does not fit the chain's 64-bit integers")))
        .collect::<Result<Vec<_>, _>>()?;
    let proof = file.proof_bytes().map_err(|e| e.to_string())?;
    model.verifier.check(&job.input, &output, job.binding, &proof)?;
    let message = attestation_message(&job.genesis_hash, job.request, &output, &proof);
    let attestation = falcon512::detached_sign(&message, &inner.falcon).as_bytes().to_vec();
    Ok(JobStatus::Proved { output, proof, attestation })
}

/// The chain's fixed-point input split into the model's inputs by their shapes, the integers
/// untouched: the witness is built from exactly what the chain holds.
fn input_rows(settings: &Settings, values: &[i64]) -> Result<Vec<Vec<i64>>, String> {
    let sizes: Vec<usize> = settings.input_shapes.iter().map(|s| s.iter().product()).collect();
    if sizes.iter().sum::<usize>() != values.len() {
        return Err(format!("{} input values for a model taking {}", values.len(), sizes.iter().sum::<usize>()));
    }
    let mut rest = values;
    Ok(sizes
        .iter()
        .map(|&n| {
            let (row, tail) = rest.split_at(n);
            rest = tail;
            row.to_vec()
        })
        .collect())
}

impl ProverService for ProverNode {
    fn can_prove(&self, vk_hash: &[u8; 32]) -> bool {
        self.inner.models.contains_key(vk_hash)
    }

    fn enqueue(&self, job: ProvingJob) -> bool {
        if !self.can_prove(&job.vk_hash) {
            return false;
        }
        let mut state = self.inner.state();
        // A proved job is proved afresh when asked again: the off-chain worker asks only when the
        // proof it submitted did not fulfil the request, and never sends a proof twice.
        match state.jobs.get(&job.request) {
            Some(JobStatus::Proving) => return true,
            Some(JobStatus::Proved { .. } | JobStatus::Failed(_) | JobStatus::Unknown) | None => {}
        }
        if state.queue.len() >= self.inner.capacity {
            return false;
        }
        tracing::info!(target: "zkml", request = job.request, "request queued for proving");
        state.jobs.insert(job.request, JobStatus::Proving);
        state.queue.push_back(job);
        self.inner.work.notify_one();
        true
    }

    fn status(&self, request: RequestId) -> JobStatus {
        self.inner.state().jobs.get(&request).cloned().unwrap_or(JobStatus::Unknown)
    }

    fn min_fee(&self) -> u128 {
        self.min_fee
    }
}
