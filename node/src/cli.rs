//! Command-line arguments: Substrate's, the zkml prover's, and the subcommands.

use std::path::PathBuf;

#[derive(Debug, clap::Parser)]
pub struct Cli {
    #[command(subcommand)]
    pub subcommand: Option<Subcommand>,

    #[command(flatten)]
    pub run: sc_cli::RunCmd,

    #[command(flatten)]
    pub zkml: ZkmlParams,
}

/// The native prover behind the off-chain worker.
#[derive(Debug, Clone, clap::Args)]
pub struct ZkmlParams {
    /// Where the prover finds each model's compiled circuit and keys: one sub-directory per model,
    /// as `zkml compile` and `zkml setup` write it. A model is served when its public verifying
    /// key is the one registered on chain. With `--dev` and no directory, the node builds the
    /// demo model's artifacts under its base path.
    #[arg(long, value_name = "DIR")]
    pub zkml_artifacts: Option<PathBuf>,

    /// Worker threads proving requests. Their proofs share one rayon pool of their own
    /// (`RAYON_NUM_THREADS`, or one thread per CPU), on which a panic fails the job, not the node.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub zkml_prover_threads: u16,

    /// Jobs that may wait for a worker; the off-chain worker retries those not taken.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..))]
    pub zkml_prover_queue: u16,

    /// The Falcon-512 secret key attesting results (the public key registered with
    /// `register_prover` must match). Created, with its public key beside it as `FILE.pub`, if
    /// it does not exist. `--dev` defaults to the development key.
    #[arg(long, value_name = "FILE")]
    pub zkml_falcon_key: Option<PathBuf>,

    /// The smallest fee, in the chain's smallest balance unit, for which this node proves a
    /// request: the off-chain worker leaves requests paying less to other provers, so that
    /// requests at the chain's minimum fee cannot crowd out better-paid ones.
    #[arg(long, value_name = "AMOUNT", default_value_t = 0)]
    pub zkml_min_fee: u128,
}

#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
    /// Key management.
    #[command(subcommand)]
    Key(sc_cli::KeySubcommand),

    /// Export the chain specification.
    ExportChainSpec(sc_cli::ExportChainSpecCmd),

    /// Validate blocks.
    CheckBlock(sc_cli::CheckBlockCmd),

    /// Export blocks.
    ExportBlocks(sc_cli::ExportBlocksCmd),

    /// Export the state of a given block into a chain spec.
    ExportState(sc_cli::ExportStateCmd),

    /// Import blocks.
    ImportBlocks(sc_cli::ImportBlocksCmd),

    /// Remove the whole chain.
    PurgeChain(sc_cli::PurgeChainCmd),

    /// Revert the chain to a previous state.
    Revert(sc_cli::RevertCmd),

    /// Runtime benchmarks (the node must be built with `--features runtime-benchmarks`).
    #[cfg(feature = "runtime-benchmarks")]
    #[command(subcommand)]
    Benchmark(frame_benchmarking_cli::BenchmarkCmd),

    /// Database meta columns information.
    ChainInfo(sc_cli::ChainInfoCmd),
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::Cli;

    #[test]
    fn the_minimum_fee_is_the_operators_and_zero_by_default() {
        let cli = Cli::try_parse_from(["hauptbuch-node", "--zkml-min-fee", "340282366920938463463374607431768211455"]);
        assert_eq!(cli.unwrap().zkml.zkml_min_fee, u128::MAX);
        assert_eq!(Cli::try_parse_from(["hauptbuch-node"]).unwrap().zkml.zkml_min_fee, 0);
        assert!(Cli::try_parse_from(["hauptbuch-node", "--zkml-min-fee", "-1"]).is_err());
    }
}
