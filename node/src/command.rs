//! Dispatches the command line: the node itself, or one of Substrate's subcommands.

use hauptbuch_runtime::opaque::Block;
use sc_cli::SubstrateCli;
use sc_service::PartialComponents;

use crate::chain_spec;
use crate::cli::{Cli, Subcommand};
use crate::service;

impl SubstrateCli for Cli {
    fn impl_name() -> String {
        "Hauptbuch zkML Node".into()
    }

    fn impl_version() -> String {
        env!("SUBSTRATE_CLI_IMPL_VERSION").into()
    }

    fn description() -> String {
        env!("CARGO_PKG_DESCRIPTION").into()
    }

    fn author() -> String {
        "Hauptbuch zkML".into()
    }

    fn support_url() -> String {
        "https://github.com/hauptbuch/zkml/issues".into()
    }

    fn copyright_start_year() -> i32 {
        2026
    }

    fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
        Ok(match id {
            "dev" => Box::new(chain_spec::development()?),
            "" | "local" => Box::new(chain_spec::local_testnet()?),
            path => Box::new(chain_spec::ChainSpec::from_json_file(path.into())?),
        })
    }
}

/// Parses the command line and runs it.
pub fn run() -> sc_cli::Result<()> {
    let cli = Cli::from_args();
    // The zkml host functions verify proofs with halo2 on every block import.
    zkml_verifier::check_cpu().map_err(|e| sc_cli::Error::Application(Box::new(e)))?;

    match &cli.subcommand {
        Some(Subcommand::Key(cmd)) => cmd.run(&cli),
        Some(Subcommand::ExportChainSpec(cmd)) => {
            let chain_spec = cli.load_spec(&cmd.chain)?;
            cmd.run(chain_spec)
        }
        Some(Subcommand::CheckBlock(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.async_run(|config| {
                let PartialComponents { client, task_manager, import_queue, .. } = service::new_partial(&config)?;
                Ok((cmd.run(client, import_queue), task_manager))
            })
        }
        Some(Subcommand::ExportBlocks(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.async_run(|config| {
                let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
                Ok((cmd.run(client, config.database), task_manager))
            })
        }
        Some(Subcommand::ExportState(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.async_run(|config| {
                let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
                Ok((cmd.run(client, config.chain_spec), task_manager))
            })
        }
        Some(Subcommand::ImportBlocks(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.async_run(|config| {
                let PartialComponents { client, task_manager, import_queue, .. } = service::new_partial(&config)?;
                Ok((cmd.run(client, import_queue), task_manager))
            })
        }
        Some(Subcommand::PurgeChain(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.sync_run(|config| cmd.run(config.database))
        }
        Some(Subcommand::Revert(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.async_run(|config| {
                let PartialComponents { client, task_manager, backend, .. } = service::new_partial(&config)?;
                let aux_revert = Box::new(|client, _, blocks| {
                    sc_consensus_grandpa::revert(client, blocks)?;
                    Ok(())
                });
                Ok((cmd.run(client, backend, Some(aux_revert)), task_manager))
            })
        }
        #[cfg(feature = "runtime-benchmarks")]
        Some(Subcommand::Benchmark(cmd)) => {
            use frame_benchmarking_cli::BenchmarkCmd;
            use sp_runtime::traits::HashingFor;

            let runner = cli.create_runner(cmd)?;
            runner.sync_run(|config| match cmd {
                BenchmarkCmd::Pallet(cmd) => {
                    cmd.run_with_spec::<HashingFor<Block>, service::ZkmlHostFunctions>(Some(config.chain_spec))
                },
                BenchmarkCmd::Block(cmd) => {
                    let PartialComponents { client, .. } = service::new_partial(&config)?;
                    cmd.run(client)
                },
                BenchmarkCmd::Storage(cmd) if cmd.params.is_validate_block_mode() => Err(
                    "`benchmark storage --mode validate-block` measures parachain block validation: not built into this solochain node".into(),
                ),
                BenchmarkCmd::Storage(cmd) => {
                    let PartialComponents { client, backend, .. } = service::new_partial(&config)?;
                    let db = backend.expose_db();
                    let storage = backend.expose_storage();
                    let shared_cache = backend.expose_shared_trie_cache();
                    cmd.run(config, client, db, storage, shared_cache)
                },
                BenchmarkCmd::Machine(cmd) => {
                    cmd.run(&config, frame_benchmarking_cli::SUBSTRATE_REFERENCE_HARDWARE.clone())
                },
                BenchmarkCmd::Overhead(_) | BenchmarkCmd::Extrinsic(_) => Err(
                    "`benchmark overhead` and `benchmark extrinsic` are not supported by this node: use `benchmark pallet`".into(),
                ),
            })
        }
        Some(Subcommand::ChainInfo(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.sync_run(|config| cmd.run::<Block>(&config))
        }
        None => {
            let runner = cli.create_runner(&cli.run)?;
            let zkml = cli.zkml.clone();
            let dev = cli.run.shared_params.is_dev();
            runner.run_node_until_exit(|config| async move {
                match config.network.network_backend {
                    sc_network::config::NetworkBackendType::Libp2p => service::new_full::<
                        sc_network::NetworkWorker<Block, <Block as sp_runtime::traits::Block>::Hash>,
                    >(config, &zkml, dev),
                    sc_network::config::NetworkBackendType::Litep2p => {
                        service::new_full::<sc_network::Litep2pNetworkBackend>(config, &zkml, dev)
                    }
                }
                .map_err(sc_cli::Error::Service)
            })
        }
    }
}
