//! The witness-mutation campaign: `cargo run -p zkml-prover --example mutation_campaign
//! -- [MUTATIONS_PER_MODEL] [SEED] [MODEL ...]`. Every mutation of an honest witness of each
//! model (by default the corpus models that cover every operator family), half with a public
//! input and half with a private one, must be rejected by MockProver, but for the cells that are
//! free by design (`zkml_prover::mutation`); it prints a line per model and a JSON
//! summary, and fails if any other was accepted.

use std::process::ExitCode;
use std::time::Instant;

use rand_chacha::rand_core::SeedableRng;
use zkml_prover::corpus;
use zkml_prover::mutation::{self, Report};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: u64| args.get(i).map_or(Ok(default), |a| a.parse::<u64>());
    let (Ok(count), Ok(seed)) = (number(0, 1000), number(1, 24)) else {
        eprintln!("usage: mutation_campaign [MUTATIONS_PER_MODEL] [SEED] [MODEL ...]");
        return ExitCode::FAILURE;
    };
    let models: Vec<&str> = if args.len() > 2 {
        args[2..].iter().map(String::as_str).collect()
    } else {
        corpus::OPERATOR_FAMILIES.to_vec()
    };
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let mut total = Report::default();
    let start = Instant::now();
    for model in models {
        let work = match tempfile::tempdir() {
            Ok(work) => work,
            Err(e) => {
                eprintln!("cannot make a work directory: {e}");
                return ExitCode::FAILURE;
            }
        };
        let began = Instant::now();
        match mutation::campaign(&corpus::model(model), work.path(), count as usize, &mut rng) {
            Ok(report) => {
                println!(
                    "{model:24} tried {:6} rejected {:6} free by design {:3} accepted {:3} ({:.0} s)",
                    report.tried,
                    report.rejected,
                    report.free_by_design,
                    report.accepted.len(),
                    began.elapsed().as_secs_f64()
                );
                for accepted in &report.accepted {
                    println!("  ACCEPTED {accepted:?}");
                }
                total.merge(report);
            }
            Err(e) => {
                eprintln!("{model}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let summary = serde_json::json!({
        "seed": seed,
        "tried": total.tried,
        "rejected": total.rejected,
        "free_by_design": total.free_by_design,
        "accepted": total.accepted,
        "seconds": start.elapsed().as_secs(),
    });
    println!("{summary}");
    if total.accepted.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
