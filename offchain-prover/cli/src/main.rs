//! `zkml`: compile ONNX models to halo2 circuits, set up keys, prove and verify inferences, and
//! use a Hauptbuch zkML chain (`zkml chain ...`).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use zkml_circuit::artifacts::Variant;
use zkml_circuit::proof::fr_from_hex;
use zkml_cli::chain::{self, Chain, ChainError, PublisherKey};
use zkml_prover::{CompileOptions, Error, InputData, InputOpening, ProofFile, ProofSize, SrsSource, Visibility};
use zkml_verifier::ProofShape;

/// A failure of any verb.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Prover(#[from] Error),
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

#[derive(Parser)]
#[command(name = "zkml", version, about = "Zero-knowledge proofs of ONNX model inference (halo2, KZG/BN254)")]
struct Cli {
    /// Print machine-readable JSON on stdout.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

/// How compilation weighs proof size against proving time (`compile`, and `chain audit`, which
/// must compile as the publisher did).
#[derive(Args)]
struct ProofSizeArgs {
    /// Keep every proof within this many bytes (a chain's proof size limit, say), at the cost of
    /// a larger k and a slower proof where the fastest circuit's proofs are larger, and fail where
    /// no circuit fits. Without it, compilation keeps proofs within 2,048 bytes where that costs
    /// at most twice the fastest circuit's proving work.
    #[arg(long, value_name = "BYTES", conflicts_with = "fastest")]
    max_proof_bytes: Option<usize>,
    /// Take the fastest circuit, whatever the size of its proofs.
    #[arg(long)]
    fastest: bool,
}

impl ProofSizeArgs {
    fn options(&self) -> CompileOptions {
        let proof_size = match (self.max_proof_bytes, self.fastest) {
            (Some(bytes), _) => ProofSize::AtMost(bytes),
            (None, true) => ProofSize::Any,
            (None, false) => ProofSize::default(),
        };
        CompileOptions { proof_size }
    }
}

/// The SRS keys are made from (`setup`, and `chain audit`, which must name the chain's).
#[derive(Args)]
struct SrsArgs {
    /// An SRS in halo2's raw format (EZKL's and the perpetual powers of tau's).
    #[arg(long, conflicts_with = "dev_srs", required_unless_present = "dev_srs")]
    srs: Option<PathBuf>,
    /// Generate an INSECURE SRS from a fixed seed: for development only (the dev chain's).
    #[arg(long)]
    dev_srs: bool,
}

impl SrsArgs {
    fn source(&self) -> SrsSource<'_> {
        match &self.srs {
            Some(path) => SrsSource::File(path),
            None => SrsSource::Dev,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the float reference (tract) on an input.
    Run {
        model: PathBuf,
        #[arg(long)]
        input: PathBuf,
    },
    /// Calibrate fixed-point scales and compile the model's circuit into DIR.
    Compile {
        model: PathBuf,
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        proof_size: ProofSizeArgs,
    },
    /// Generate the proving and verifying keys from the compiled circuit and an SRS.
    Setup {
        dir: PathBuf,
        #[command(flatten)]
        srs: SrsArgs,
    },
    /// Prove the model's inference on an input.
    Prove {
        dir: PathBuf,
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Binding value (hex field element) tying the proof to a request and submitter.
        #[arg(long, default_value = "0x0")]
        binding: String,
        /// Publish only a Poseidon commitment to the input, not the input itself. The commitment
        /// is salted with a random blinding, written with the input to OUT's opening file
        /// (`PROOF.opening.json` for `PROOF.json`): keep it secret, it opens the commitment.
        #[arg(long)]
        private_input: bool,
    },
    /// Verify a proof against a model's artifacts.
    Verify { dir: PathBuf, proof: PathBuf },
    /// Check that an opening (written by `prove --private-input`) opens its input commitment.
    Open { dir: PathBuf, opening: PathBuf },
    /// Use a Hauptbuch zkML chain.
    Chain {
        /// The node's RPC endpoint.
        #[arg(long, default_value = "ws://127.0.0.1:9944", global = true)]
        url: String,
        /// The signing account's secret URI (a dev name such as //Alice, a mnemonic or a seed).
        #[arg(long, default_value = "//Alice", global = true)]
        suri: String,
        #[command(subcommand)]
        command: ChainCommand,
    },
}

#[derive(Subcommand)]
enum ChainCommand {
    /// Register a compiled, set-up model through sudo (the development governance).
    Register {
        dir: PathBuf,
        #[arg(long)]
        name: String,
        /// Register the circuit whose proofs commit to the input instead of publishing it.
        #[arg(long)]
        private_input: bool,
        /// Attest the registration as its publisher with this Falcon-512 secret key: a signature
        /// over (genesis hash, ONNX hash, commitment, vk hash, settings hash).
        #[arg(long, value_name = "FILE")]
        publisher_key: Option<PathBuf>,
        /// The publisher key's public half (default: the secret key's path with extension `pub`,
        /// as the node writes its `--zkml-falcon-key`).
        #[arg(long, value_name = "FILE", requires = "publisher_key")]
        publisher_public_key: Option<PathBuf>,
    },
    /// Check a registered model against its ONNX file: compile and set it up afresh (compilation
    /// and key generation are deterministic) and compare the description, settings, verifying key
    /// and KZG verifier parameters with the chain's, byte for byte. Fails on any difference.
    Audit {
        model: u32,
        /// The ONNX file whose hash the model is registered with.
        #[arg(long)]
        onnx: PathBuf,
        /// The calibration input the model was compiled with (`zkml compile --input`; the
        /// compiled directory keeps it as `calibration.json`).
        #[arg(long)]
        input: PathBuf,
        #[command(flatten)]
        proof_size: ProofSizeArgs,
        #[command(flatten)]
        srs: SrsArgs,
    },
    /// Register the signer as a prover with a Falcon-512 public key (the node's `FILE.pub`).
    RegisterProver { falcon_public_key: PathBuf },
    /// Request an inference and wait for its verified result.
    Request {
        model: u32,
        #[arg(long)]
        input: PathBuf,
        /// Fee held until a prover earns it, in plancks.
        #[arg(long, default_value_t = 1_000_000_000_000)]
        fee: u128,
        /// Blocks until the request expires.
        #[arg(long, default_value_t = 100)]
        lifetime: u32,
        /// Return once the request is on chain, without waiting for the result.
        #[arg(long)]
        no_wait: bool,
    },
    /// Wait for the verified result of a request.
    Wait { request: u64 },
    /// Cancel a request that expired (the chain also expires them itself) or whose model was
    /// retired, and refund its fee and deposit.
    Cancel { request: u64 },
    /// Remove a fulfilled request of yours, or a self-proved inference, with its result, and get
    /// its storage deposit back.
    Clear { request: u64 },
    /// Print the binding your next self-proved inference must carry (`zkml prove --binding`).
    Binding,
    /// Submit an inference you proved yourself.
    Submit {
        proof: PathBuf,
        #[arg(long)]
        model: u32,
    },
    /// Show a model.
    Model { model: u32 },
    /// Show a request and its result.
    Show { request: u64 },
}

/// A spinner on a terminal; nothing when output is redirected.
fn progress(message: &str, json: bool) -> Option<ProgressBar> {
    (!json && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new_spinner().with_message(message.to_string());
        bar.set_style(ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("static template"));
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    })
}

fn with_progress<T>(message: &str, json: bool, f: impl FnOnce() -> T) -> T {
    let bar = progress(message, json);
    let out = f();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    out
}

/// Where `prove --private-input` writes the opening of a proof written to `out`.
fn opening_path(out: &Path) -> PathBuf {
    let stem = out.file_stem().map_or_else(|| "proof".into(), |s| s.to_string_lossy().into_owned());
    out.with_file_name(format!("{stem}.opening.json"))
}

fn read_proof(path: &Path) -> Result<ProofFile, Error> {
    let bytes = zkml_circuit::artifacts::read_limited(path, "proof file", 64 << 20)?;
    serde_json::from_slice(&bytes).map_err(|e| Error::MalformedProof(e.to_string()))
}

fn execute(cli: &Cli) -> Result<serde_json::Value, CliError> {
    let json = cli.json;
    Ok(match &cli.command {
        Command::Run { model, input } => {
            let outputs = zkml_prover::run(model, &InputData::load(input)?)?;
            if !json {
                println!("{}", serde_json::to_string(&outputs).expect("floats serialise"));
            }
            json!({ "outputs": outputs })
        }
        Command::Compile { model, input, out, proof_size } => {
            let options = proof_size.options();
            let settings = with_progress("compiling", json, || {
                zkml_prover::compile_with(model, &InputData::load(input)?, out, options)
            })?;
            if !json {
                let q = settings.quantization;
                let proof_bytes = |variant: &Variant| ProofShape::of_params(&variant.circuit).bytes();
                println!(
                    "compiled {} into {}: k={} scale=2^{} bits={} max error {:.3e} (bound {:.3e}), proofs of {} bytes ({} with a private input)",
                    model.display(),
                    out.display(),
                    settings.k(),
                    q.scale,
                    q.bits,
                    settings.accuracy.max_error,
                    settings.accuracy.bound,
                    proof_bytes(&settings.public),
                    proof_bytes(&settings.private),
                );
            }
            serde_json::to_value(&settings).expect("settings serialise")
        }
        Command::Setup { dir, srs } => {
            let dev_srs = srs.dev_srs;
            if dev_srs {
                eprintln!("WARNING: --dev-srs generates an INSECURE SRS whose secret is public. Never use its keys on a chain that carries value.");
            }
            let settings = with_progress("generating keys", json, || zkml_prover::setup(dir, srs.source()))?;
            if !json {
                println!("keys written to {} (k={}, insecure dev SRS: {})", dir.display(), settings.k(), dev_srs);
            }
            json!({ "k": settings.k(), "dev_srs": dev_srs, "model_commitment": settings.model_commitment })
        }
        Command::Prove { dir, input, out, binding, private_input } => {
            let binding = fr_from_hex(binding).map_err(Error::BadBinding)?;
            let visibility = if *private_input { Visibility::Private } else { Visibility::Public };
            let input = InputData::load(input)?;
            let proof = with_progress("proving", json, || zkml_prover::prove(dir, &input, binding, visibility))?;
            zkml_circuit::artifacts::write_json(out, &proof)?;
            let opening = match &proof.opening {
                Some(opening) => {
                    let path = opening_path(out);
                    zkml_circuit::artifacts::write_json(&path, opening)?;
                    Some(path)
                }
                None => None,
            };
            if !json {
                let values: usize = proof.outputs.iter().map(Vec::len).sum();
                let outputs = if values <= 16 {
                    serde_json::to_string(&proof.outputs).expect("floats serialise")
                } else {
                    format!("{values} values (see the proof file)")
                };
                println!(
                    "proof written to {} ({} bytes, {} ms): outputs {outputs}",
                    out.display(),
                    proof.proof.len() / 2,
                    proof.timings.witness_ms + proof.timings.prove_ms,
                );
                if let Some(path) = &opening {
                    println!("the input's opening (keep it secret) written to {}", path.display());
                }
            }
            json!({
                "proof": out,
                "opening": opening,
                "proof_bytes": proof.proof.len() / 2,
                "outputs": proof.outputs,
                "timings": proof.timings,
            })
        }
        Command::Open { dir, opening } => {
            let bytes = zkml_circuit::artifacts::read_limited(opening, "opening", 64 << 20)?;
            let opening: InputOpening =
                serde_json::from_slice(&bytes).map_err(|e| Error::MalformedOpening(e.to_string()))?;
            zkml_prover::open(dir, &opening)?;
            if !json {
                println!("the opening opens commitment {}", opening.commitment);
            }
            json!({ "opens": true, "commitment": opening.commitment })
        }
        Command::Verify { dir, proof } => {
            let timings = zkml_prover::verify(dir, &read_proof(proof)?)?;
            if !json {
                println!("proof verified in {:.1} ms (vk read in {:.1} ms)", timings.verify_ms, timings.load_vk_ms);
            }
            json!({ "verified": true, "timings": timings })
        }
        Command::Chain { url, suri, command } => {
            let runtime = tokio::runtime::Runtime::new().map_err(CliError::Runtime)?;
            runtime.block_on(execute_chain(url, suri, command, json))?
        }
    })
}

fn verified_json(verified: &chain::Verified) -> serde_json::Value {
    json!({
        "request": verified.request,
        "model": verified.model,
        "output": verified.output_floats,
        "output_fixed": verified.output,
        "prover": verified.prover.to_string(),
        "fee": verified.fee.to_string(),
    })
}

async fn execute_chain(
    url: &str,
    suri: &str,
    command: &ChainCommand,
    json: bool,
) -> Result<serde_json::Value, ChainError> {
    let signer = chain::signer(suri)?;
    let chain = Chain::connect(url).await?;
    let say = |line: String| {
        if !json {
            println!("{line}");
        }
    };
    Ok(match command {
        ChainCommand::Register { dir, name, private_input, publisher_key, publisher_public_key } => {
            let visibility = if *private_input { Visibility::Private } else { Visibility::Public };
            let publisher = match publisher_key {
                Some(secret) => {
                    let public = publisher_public_key.clone().unwrap_or_else(|| secret.with_extension("pub"));
                    Some(PublisherKey::load(secret, &public)?)
                }
                None => None,
            };
            let model = chain.register_model(&signer, dir, name, visibility, publisher.as_ref()).await?;
            say(format!("registered model {model} ({name})"));
            json!({ "model": model })
        }
        ChainCommand::RegisterProver { falcon_public_key } => {
            let key = std::fs::read(falcon_public_key)
                .map_err(|source| Error::Io { path: falcon_public_key.clone(), source })?;
            chain.register_prover(&signer, key).await?;
            say(format!("{} is a prover", chain::account(&signer)));
            json!({ "prover": chain::account(&signer).to_string() })
        }
        ChainCommand::Request { model, input, fee, lifetime, no_wait } => {
            let input = InputData::load(input)?;
            let request = chain.request_inference(&signer, *model, &input, *fee, *lifetime).await?;
            say(format!("request {request} is on chain"));
            if *no_wait {
                json!({ "request": request })
            } else {
                let bar = progress("waiting for a verified result", json);
                let verified = chain.wait_for_result(request).await;
                if let Some(bar) = bar {
                    bar.finish_and_clear();
                }
                let verified = verified?;
                say(format!("verified output {:?} (proved by {})", verified.output_floats, verified.prover));
                verified_json(&verified)
            }
        }
        ChainCommand::Wait { request } => {
            let verified = chain.wait_for_result(*request).await?;
            say(format!("verified output {:?} (proved by {})", verified.output_floats, verified.prover));
            verified_json(&verified)
        }
        ChainCommand::Cancel { request } => {
            let refunded = chain.cancel(&signer, *request).await?;
            say(format!("request {request} cancelled, {refunded} refunded"));
            json!({ "request": request, "refunded": refunded.to_string() })
        }
        ChainCommand::Clear { request } => {
            let released = chain.clear(&signer, *request).await?;
            say(format!("request {request} cleared, deposit of {released} released"));
            json!({ "request": request, "deposit_released": released.to_string() })
        }
        ChainCommand::Binding => {
            let binding = chain::binding_hex(chain.next_binding(&chain::account(&signer)).await?);
            say(binding.clone());
            json!({ "binding": binding })
        }
        ChainCommand::Submit { proof, model } => {
            let verified = chain.submit_inference(&signer, *model, &read_proof(proof)?).await?;
            say(format!("inference {} verified: output {:?}", verified.request, verified.output_floats));
            verified_json(&verified)
        }
        ChainCommand::Audit { model, onnx, input, proof_size, srs } => {
            let input = InputData::load(input)?;
            let dir = tempfile::tempdir().map_err(|source| Error::Io { path: std::env::temp_dir(), source })?;
            with_progress("compiling and generating keys", json, || {
                chain::rebuild(onnx, &input, proof_size.options(), srs.source(), dir.path())
            })?;
            let audit = chain.audit(*model, dir.path()).await?;
            say(audit.to_string());
            if !audit.passed() {
                return Err(ChainError::AuditMismatch(Box::new(audit)));
            }
            say(audit.verdict());
            audit.to_json()
        }
        ChainCommand::Model { model } => {
            let info = chain.model(*model).await?;
            let d = &info.description;
            let value = json!({
                "model": model,
                "name": String::from_utf8_lossy(&d.name.0),
                "owner": info.owner.to_string(),
                "status": format!("{:?}", info.status),
                "input_shape": d.input_shape.0,
                "output_len": d.output_len,
                "scale": d.input_scale,
                "visibility": format!("{:?}", d.visibility),
                "commitment": chain::binding_hex(d.commitment),
                "vk_hash": format!("0x{}", hex::encode(info.vk_hash)),
                "deposit": info.deposit.to_string(),
                "registered_at": info.registered_at,
            });
            say(serde_json::to_string_pretty(&value).expect("JSON values serialise"));
            value
        }
        ChainCommand::Show { request } => {
            let (pending, result) = chain.request(*request).await?;
            let scale = chain.model(pending.model).await?.description.output_scale;
            let value = json!({
                "request": request,
                "model": pending.model,
                "requester": pending.requester.to_string(),
                "status": pending.status.name(),
                "fee": pending.fee.to_string(),
                "deadline": pending.deadline,
                "output": result.as_ref().map(|r| {
                    r.output.0.iter().map(|&v| zkml_circuit::quantize::dequantize(v.into(), scale.into())).collect::<Vec<_>>()
                }),
                "prover": result.as_ref().map(|r| r.prover.to_string()),
            });
            say(serde_json::to_string_pretty(&value).expect("JSON values serialise"));
            value
        }
    })
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match zkml_verifier::check_cpu().map_err(zkml_prover::Error::from).map_err(Into::into).and_then(|()| execute(&cli))
    {
        Ok(value) => {
            if cli.json {
                println!("{value}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            if cli.json {
                let audit = match &error {
                    CliError::Chain(ChainError::AuditMismatch(audit)) => Some(audit.to_json()),
                    _ => None,
                };
                println!("{}", json!({ "error": error.to_string(), "audit": audit }));
            }
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
