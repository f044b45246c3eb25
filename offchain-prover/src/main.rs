//! `zkml`: compile ONNX models to halo2 circuits, set up keys, prove and verify inferences.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use zkml_prover::proof::fr_from_hex;
use zkml_prover::{Error, InputData, ProofFile, SrsSource, Visibility};

#[derive(Parser)]
#[command(name = "zkml", version, about = "Zero-knowledge proofs of ONNX model inference (halo2, KZG/BN254)")]
struct Cli {
    /// Print machine-readable JSON on stdout.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
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
    },
    /// Generate the proving and verifying keys from the compiled circuit and an SRS.
    Setup {
        dir: PathBuf,
        /// An SRS in halo2's raw format (EZKL's and the perpetual powers of tau's).
        #[arg(long, conflicts_with = "dev_srs", required_unless_present = "dev_srs")]
        srs: Option<PathBuf>,
        /// Generate an INSECURE SRS from a fixed seed: for development only.
        #[arg(long)]
        dev_srs: bool,
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
        /// Publish only a Poseidon commitment to the input, not the input itself.
        #[arg(long)]
        private_input: bool,
    },
    /// Verify a proof against a model's artifacts.
    Verify { dir: PathBuf, proof: PathBuf },
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

fn read_proof(path: &Path) -> Result<ProofFile, Error> {
    let bytes = zkml_prover::artifacts::read_limited(path, "proof file", 64 << 20)?;
    serde_json::from_slice(&bytes).map_err(|e| Error::MalformedProof(e.to_string()))
}

fn execute(cli: &Cli) -> Result<serde_json::Value, Error> {
    let json = cli.json;
    Ok(match &cli.command {
        Command::Run { model, input } => {
            let outputs = zkml_prover::run(model, &InputData::load(input)?)?;
            if !json {
                println!("{}", serde_json::to_string(&outputs).expect("floats serialise"));
            }
            json!({ "outputs": outputs })
        }
        Command::Compile { model, input, out } => {
            let settings =
                with_progress("compiling", json, || zkml_prover::compile(model, &InputData::load(input)?, out))?;
            if !json {
                let q = settings.quantization;
                println!(
                    "compiled {} into {}: k={} scale=2^{} bits={} max error {:.3e} (bound {:.3e})",
                    model.display(),
                    out.display(),
                    settings.k(),
                    q.scale,
                    q.bits,
                    settings.accuracy.max_error,
                    settings.accuracy.bound
                );
            }
            serde_json::to_value(&settings).expect("settings serialise")
        }
        Command::Setup { dir, srs, dev_srs } => {
            let source = match srs {
                Some(path) => SrsSource::File(path),
                None => {
                    eprintln!("WARNING: --dev-srs generates an INSECURE SRS whose secret is public. Never use its keys on a chain that carries value.");
                    SrsSource::Dev
                }
            };
            let settings = with_progress("generating keys", json, || zkml_prover::setup(dir, source))?;
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
            zkml_prover::artifacts::write_json(out, &proof)?;
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
            }
            json!({ "proof": out, "proof_bytes": proof.proof.len() / 2, "outputs": proof.outputs, "timings": proof.timings })
        }
        Command::Verify { dir, proof } => {
            let timings = zkml_prover::verify(dir, &read_proof(proof)?)?;
            if !json {
                println!("proof verified in {:.1} ms (vk read in {:.1} ms)", timings.verify_ms, timings.load_vk_ms);
            }
            json!({ "verified": true, "timings": timings })
        }
    })
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match execute(&cli) {
        Ok(value) => {
            if cli.json {
                println!("{value}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            if cli.json {
                println!("{}", json!({ "error": error.to_string() }));
            }
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
