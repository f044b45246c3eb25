//! The native prover service in the node: its artifacts, its Falcon-512 key, its `zkml`
//! keystore key under `--dev`, and its Prometheus metrics.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use pqcrypto_falcon::falcon512;
use pqcrypto_traits::sign::{PublicKey, SecretKey};
use sc_service::Configuration;
use sp_keystore::KeystorePtr;
use substrate_prometheus_endpoint::{
    prometheus::core::Number, register, MetricSource, Opts, PrometheusError, Registry, SourcedCounter, SourcedGauge,
};
use zkml_prover_service::{load_models, ProverNode};

use crate::cli::ZkmlParams;

const LOG_TARGET: &str = "zkml";

/// The demo model of the development genesis, compiled (`runtime/demo/1l_mlp/`, which the
/// runtime's tests hold to what the compiler makes): `--dev` nodes without `--zkml-artifacts` set
/// it up and prove with it. The node needs no compiler.
const DEMO_ARTIFACTS: [(&str, &[u8]); 5] = [
    ("settings.json", include_bytes!("../../runtime/demo/1l_mlp/settings.json")),
    ("graph.json", include_bytes!("../../runtime/demo/1l_mlp/graph.json")),
    ("functions.json", include_bytes!("../../runtime/demo/1l_mlp/functions.json")),
    ("calibration.json", include_bytes!("../../runtime/demo/1l_mlp/calibration.json")),
    ("network.onnx", include_bytes!("../../runtime/demo/1l_mlp/network.onnx")),
];
/// The development Falcon-512 key, registered for Alice in the development genesis. Public
/// knowledge, like Alice's seed.
const DEV_FALCON_SECRET_KEY: &[u8] = include_bytes!("../../runtime/demo/falcon512.sk");

/// Why the prover could not start.
#[derive(Debug, thiserror::Error)]
pub enum ProverSetupError {
    #[error("--zkml-falcon-key {path}: {source}")]
    FalconKeyIo { path: PathBuf, source: std::io::Error },
    #[error("--zkml-falcon-key {0}: not a Falcon-512 secret key")]
    FalconKeyInvalid(PathBuf),
    #[error("the prover needs a Falcon-512 key to attest results: pass --zkml-falcon-key FILE")]
    FalconKeyMissing,
    #[error("building the demo model's artifacts in {path}: {source}")]
    Demo { path: PathBuf, source: zkml_circuit::Error },
    #[error("writing the demo model to {path}: {source}")]
    DemoIo { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Artifacts(#[from] zkml_prover_service::ServiceError),
    #[error("cannot insert the development zkml key into the keystore: {0}")]
    Keystore(String),
    #[error("cannot start the prover's worker threads: {0}")]
    Threads(std::io::Error),
}

/// Starts the prover service if this node has artifacts to prove with (`--zkml-artifacts`, or
/// the demo model under `--dev`). With a development seed (`--dev`, `--alice`, ...) it also
/// puts that seed's `zkml` key into the keystore, as Substrate does for the session keys.
pub fn start(
    params: &ZkmlParams,
    dev: bool,
    config: &Configuration,
    keystore: &KeystorePtr,
) -> Result<Option<ProverNode>, ProverSetupError> {
    if let Some(seed) = &config.dev_key_seed {
        keystore
            .sr25519_generate_new(pallet_zkml::KEY_TYPE, Some(seed))
            .map_err(|error| ProverSetupError::Keystore(error.to_string()))?;
    }

    let artifacts = match (&params.zkml_artifacts, dev) {
        (Some(dir), _) => dir.clone(),
        (None, true) => build_demo(&config.base_path.path().join("zkml-demo"))?,
        (None, false) => {
            log::info!(target: LOG_TARGET, "no --zkml-artifacts: this node proves no inference requests");
            return Ok(None);
        }
    };
    let falcon = match (&params.zkml_falcon_key, dev) {
        (Some(path), _) => falcon_key(path)?,
        (None, true) => {
            falcon512::SecretKey::from_bytes(DEV_FALCON_SECRET_KEY).map_err(|_| ProverSetupError::FalconKeyMissing)?
        }
        (None, false) => return Err(ProverSetupError::FalconKeyMissing),
    };

    let models = load_models(&artifacts)?;
    if models.is_empty() {
        log::warn!(target: LOG_TARGET, "no compiled models in {}: this node proves nothing", artifacts.display());
    }
    let count = models.len();
    let prover = ProverNode::new(models, params.zkml_prover_queue.into(), falcon).with_min_fee(params.zkml_min_fee);
    prover.spawn_workers(params.zkml_prover_threads.into()).map_err(ProverSetupError::Threads)?;
    log::info!(
        target: LOG_TARGET,
        "prover service: {count} model(s) from {}, {} worker thread(s), queue of {}, minimum fee {}",
        artifacts.display(),
        params.zkml_prover_threads,
        params.zkml_prover_queue,
        params.zkml_min_fee,
    );
    Ok(Some(prover))
}

/// Sets up the compiled demo model (development SRS) in `dir`, which then holds exactly the
/// verifying key of the development genesis. Rebuilt at every start: it takes about a second.
fn build_demo(dir: &Path) -> Result<PathBuf, ProverSetupError> {
    let model_dir = dir.join("1l_mlp");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ProverSetupError::DemoIo { path, source }
    };
    std::fs::create_dir_all(&model_dir).map_err(io(&model_dir))?;
    for (name, bytes) in DEMO_ARTIFACTS {
        let path = model_dir.join(name);
        std::fs::write(&path, bytes).map_err(io(&path))?;
    }
    let demo = |source| ProverSetupError::Demo { path: model_dir.clone(), source };
    zkml_circuit::setup(&model_dir, zkml_circuit::SrsSource::Dev).map_err(demo)?;
    log::info!(target: LOG_TARGET, "set up the demo model (development SRS, insecure) in {}", model_dir.display());
    Ok(dir.to_path_buf())
}

/// Loads the Falcon-512 secret key at `path`, or creates it (mode 0600) with `path.pub` beside it.
fn falcon_key(path: &Path) -> Result<falcon512::SecretKey, ProverSetupError> {
    let io = |source| ProverSetupError::FalconKeyIo { path: path.into(), source };
    if path.exists() {
        let bytes = std::fs::read(path).map_err(io)?;
        return falcon512::SecretKey::from_bytes(&bytes).map_err(|_| ProverSetupError::FalconKeyInvalid(path.into()));
    }
    let (public, secret) = falcon512::keypair();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(path).map_err(io)?, secret.as_bytes()).map_err(io)?;
    let public_path = path.with_extension("pub");
    std::fs::write(&public_path, public.as_bytes())
        .map_err(|source| ProverSetupError::FalconKeyIo { path: public_path.clone(), source })?;
    log::info!(
        target: LOG_TARGET,
        "created a Falcon-512 key in {}; register {} with `register_prover`",
        path.display(),
        public_path.display()
    );
    Ok(secret)
}

/// A metric read from the prover service when Prometheus scrapes it.
#[derive(Clone)]
struct Reading<N> {
    prover: ProverNode,
    read: fn(&ProverNode) -> N,
}

impl<N: Number> MetricSource for Reading<N> {
    type N = N;

    fn collect(&self, mut set: impl FnMut(&[&str], N)) {
        set(&[], (self.read)(&self.prover));
    }
}

/// Registers the prover's queue length, proofs done and failed, and proving seconds.
pub fn register_metrics(prover: &ProverNode, registry: &Registry) -> Result<(), PrometheusError> {
    let reading = |read| Reading { prover: prover.clone(), read };
    register(
        SourcedGauge::new(
            &Opts::new("zkml_prover_queue_length", "Proving jobs waiting for a worker"),
            reading(|p: &ProverNode| p.queue_len() as u64),
        )?,
        registry,
    )?;
    register(
        SourcedCounter::new(
            &Opts::new("zkml_prover_proofs_done_total", "Inference requests proved"),
            reading(|p: &ProverNode| p.metrics().proofs_done.load(Ordering::Relaxed)),
        )?,
        registry,
    )?;
    register(
        SourcedCounter::new(
            &Opts::new("zkml_prover_proofs_failed_total", "Inference requests whose proving failed"),
            reading(|p: &ProverNode| p.metrics().proofs_failed.load(Ordering::Relaxed)),
        )?,
        registry,
    )?;
    register(
        SourcedCounter::new(
            &Opts::new("zkml_prover_proving_seconds_total", "Seconds spent proving"),
            Reading {
                prover: prover.clone(),
                read: |p: &ProverNode| p.metrics().proving_ms.load(Ordering::Relaxed) as f64 / 1e3,
            },
        )?,
        registry,
    )?;
    Ok(())
}
