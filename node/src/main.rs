//! The Hauptbuch zkML node: a solochain (Aura, GRANDPA, ParityDB) whose off-chain worker hands
//! inference requests to the native prover service.

// Substrate's command API returns `sc_cli::Error`, a large type this crate does not choose.
#![allow(clippy::result_large_err)]

mod chain_spec;
mod cli;
mod command;
mod prover;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
    command::run()
}
