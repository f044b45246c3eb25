//! The native side of the host functions: halo2-axiom through `zkml-verifier`, whose constraint
//! system the settings configure, so that they rebuild exactly the system the keys were made for,
//! and pqcrypto-falcon.
//!
//! Both functions return a verdict for any bytes. Inputs are bounds-checked before anything is
//! configured, and the halo2 calls run on an [`UnwindingPool`] as a last line of defence: a panic
//! deep in a dependency becomes a rejection, which is as deterministic as the panic itself.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::halo2curves::ff::PrimeField;
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use pqcrypto_traits::sign::{DetachedSignature, PublicKey};
use zkml_verifier::kzg::VerifierParams;
use zkml_verifier::{CircuitParams, ProofError};

use crate::{CircuitSettings, FieldBytes, VerifyError};

/// A parsed verifying key with the KZG parameters for its domain.
struct Verifier {
    settings: CircuitSettings,
    vk: VerifyingKey<G1Affine>,
    params: ParamsKZG<Bn256>,
}

impl From<&CircuitSettings> for CircuitParams {
    fn from(s: &CircuitSettings) -> Self {
        let usize_vec = |v: &[u32]| v.iter().map(|&n| n as usize).collect();
        let mut params = CircuitParams {
            range_columns: s.num_lookup_advice_per_phase.first().copied().unwrap_or(0) as usize,
            lookup_columns: s.lookup_columns as usize,
            ..Default::default()
        };
        params.base.k = s.k as usize;
        params.base.num_advice_per_phase = usize_vec(&s.num_advice_per_phase);
        params.base.num_fixed = s.num_fixed as usize;
        // The range rows live in the circuit's own lookup table, not halo2-base's; their width
        // is in the vk's fixed commitments and does not shape the constraint system.
        params.base.num_lookup_advice_per_phase = vec![0; s.num_lookup_advice_per_phase.len()];
        params.base.num_instance_columns = 1;
        params
    }
}

impl CircuitSettings {
    /// The on-chain settings of a compiled circuit with `num_instances` public instances.
    pub fn from_params(params: &CircuitParams, num_instances: usize) -> Self {
        let u32_vec = |v: &[usize]| v.iter().map(|&n| n as u32).collect();
        CircuitSettings {
            k: params.base.k as u32,
            num_advice_per_phase: u32_vec(&params.base.num_advice_per_phase),
            num_fixed: params.base.num_fixed as u32,
            num_lookup_advice_per_phase: vec![params.range_columns as u32, 0, 0],
            lookup_columns: params.lookup_columns as u32,
            num_instances: num_instances as u32,
        }
    }
}

/// Parses `vk` for `settings` (`vk_from_bytes` refuses keys that are not in their canonical
/// encoding). The key's header must name the settings' k, which is bounded.
fn parse_vk(settings: &CircuitSettings, vk: &[u8]) -> Result<VerifyingKey<G1Affine>, VerifyError> {
    let circuit = CircuitParams::from(settings);
    catch_unwind(|| zkml_verifier::vk_from_bytes(vk, &circuit).ok())
        .ok()
        .flatten()
        .ok_or(VerifyError::MalformedVerifyingKey)
}

/// The settings and parsed verifier for these bytes, checked in a fixed order: KZG parameters,
/// settings, verifying key. Reading a key costs a few hundred microseconds at any k (its domain
/// holds no FFT data), so every call reads afresh and costs what its weight was measured at.
fn verifier(settings: &[u8], vk: &[u8], kzg_params: &[u8]) -> Result<Verifier, VerifyError> {
    let kzg = VerifierParams::from_bytes(kzg_params).ok_or(VerifyError::MalformedKzgParams)?;
    let settings = CircuitSettings::decode_valid(settings)?;
    let vk = parse_vk(&settings, vk)?;
    Ok(Verifier { vk, params: kzg.for_circuit(settings.k), settings })
}

/// See [`crate::zkml::verify_halo2`]. Runs on the verifier's thread ([`verifier_pool`]); a panic
/// there, outside the key's parsing, rejects the proof.
pub fn verify_halo2(
    settings: &[u8],
    vk: &[u8],
    proof: &[u8],
    instances: &[FieldBytes],
    kzg_params: &[u8],
) -> Result<(), VerifyError> {
    let check = || verify_halo2_here(settings, vk, proof, instances, kzg_params);
    let verdict = match verifier_pool() {
        Some(pool) => pool.run(check),
        // The OS refused the thread: the verdict is the same on this one (the executor's thread,
        // on which panics unwind), but halo2's parallel steps go to rayon's global pool.
        None => Panicked::catch(check),
    };
    verdict.unwrap_or(Err(VerifyError::InvalidProof))
}

/// The thread every proof check runs on (checks from several threads take turns). halo2's
/// verifier splits steps of a few dozen points or scalars over rayon's workers, and waking them
/// costs more than it saves: on one thread 4l_relu_conv_fc's check takes 6.3 ms instead of 7.8.
/// It also takes the time its on-chain weight was measured at, however busy the node's cores are.
/// `None` while the OS refuses the thread; a later call asks again.
fn verifier_pool() -> Option<&'static UnwindingPool> {
    static POOL: OnceLock<UnwindingPool> = OnceLock::new();
    if let Some(pool) = POOL.get() {
        return Some(pool);
    }
    // Two first calls may both build one; the loser's is dropped.
    let pool = UnwindingPool::new("zkml-verifier", 1).ok()?;
    Some(POOL.get_or_init(|| pool))
}

fn verify_halo2_here(
    settings: &[u8],
    vk: &[u8],
    proof: &[u8],
    instances: &[FieldBytes],
    kzg_params: &[u8],
) -> Result<(), VerifyError> {
    let verifier = verifier(settings, vk, kzg_params)?;
    if instances.len() != verifier.settings.num_instances as usize {
        return Err(VerifyError::InstanceCount);
    }
    let instances = instances
        .iter()
        .map(|bytes| Option::from(Fr::from_repr(*bytes)).ok_or(VerifyError::MalformedInstance))
        .collect::<Result<Vec<_>, _>>()?;
    match zkml_verifier::verify(&verifier.params, &verifier.vk, proof, &instances) {
        Ok(()) => Ok(()),
        Err(ProofError::TrailingBytes(_)) => Err(VerifyError::TrailingProofBytes),
        Err(ProofError::NonCanonical(_) | ProofError::Rejected(_)) => Err(VerifyError::InvalidProof),
    }
}

/// See [`crate::zkml::falcon512_verify`].
pub fn falcon512_verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    use pqcrypto_falcon::falcon512;
    let (Ok(public_key), Ok(signature)) =
        (falcon512::PublicKey::from_bytes(public_key), falcon512::DetachedSignature::from_bytes(signature))
    else {
        return false;
    };
    falcon512::verify_detached_signature(&signature, message, &public_key).is_ok()
}

/// A rayon thread pool on which a panic is an error of the call that caused it, not the end of
/// the node: sc-cli's panic hook (`sp_panic_handler::set`) ends the process when a thread without
/// an [`sp_panic_handler::AbortGuard`] panics, and rayon's workers, the global pool's included,
/// have none. Every thread of this pool unwinds for its whole life, so a panic in a closure given
/// to [`UnwindingPool::run`], or in any parallel iterator it starts (which runs on the same pool),
/// comes back as [`Panicked`].
pub struct UnwindingPool {
    pool: rayon::ThreadPool,
}

impl UnwindingPool {
    /// `threads` threads named `NAME-INDEX`; 0 takes rayon's default (`RAYON_NUM_THREADS`, or
    /// one per CPU).
    pub fn new(name: &str, threads: usize) -> Result<Self, rayon::ThreadPoolBuildError> {
        let name = name.to_owned();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(move |index| format!("{name}-{index}"))
            // The guard restores the abort flag when dropped, so it must never be: it covers the
            // thread until the thread ends.
            .start_handler(|_| std::mem::forget(sp_panic_handler::AbortGuard::force_unwind()))
            .build()?;
        Ok(Self { pool })
    }

    /// Runs `f` on the pool, the calling thread waiting, and returns its result or the panic
    /// that ended it. Whatever `f` borrowed mutably may be left half-updated by a panic: callers
    /// discard it.
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> Result<T, Panicked> {
        self.pool.install(|| Panicked::catch(f))
    }
}

/// A panic caught by [`UnwindingPool::run`], with its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Panicked(pub String);

impl Panicked {
    /// Runs `f` on this thread, catching a panic; whether the panic hook lets it unwind is the
    /// thread's affair.
    fn catch<T>(f: impl FnOnce() -> T) -> Result<T, Panicked> {
        catch_unwind(AssertUnwindSafe(f)).map_err(|payload| Panicked(panic_message(payload.as_ref())))
    }
}

impl core::fmt::Display for Panicked {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "panicked: {}", self.0)
    }
}

impl std::error::Error for Panicked {}

/// The message of a `panic!` (a `&str` or a formatted `String`), as the panic hook reads it.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    match (payload.downcast_ref::<&'static str>(), payload.downcast_ref::<String>()) {
        (Some(message), _) => (*message).to_owned(),
        (None, Some(message)) => message.clone(),
        (None, None) => "a panic without a message".to_owned(),
    }
}
