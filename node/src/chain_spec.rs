//! The built-in chain specifications: the runtime's genesis presets.

use hauptbuch_runtime::WASM_BINARY;
use sc_service::ChainType;

/// Genesis runs pallet-zkml's registration checks, so building it needs the zkml host functions.
pub type ChainSpec = sc_service::GenericChainSpec<sc_service::NoExtension, crate::service::ZkmlHostFunctions>;

fn properties() -> sc_service::Properties {
    let mut properties = sc_service::Properties::new();
    properties.insert("tokenSymbol".into(), "HZK".into());
    properties.insert("tokenDecimals".into(), 12.into());
    properties
}

fn spec(name: &str, id: &str, chain_type: ChainType, preset: &str) -> Result<ChainSpec, String> {
    let wasm = WASM_BINARY.ok_or("the runtime's wasm binary was not built (SKIP_WASM_BUILD is set)")?;
    Ok(ChainSpec::builder(wasm, None)
        .with_name(name)
        .with_id(id)
        .with_chain_type(chain_type)
        .with_genesis_config_preset_name(preset)
        .with_properties(properties())
        .build())
}

/// One node, Alice as authority, sudo and registered prover, with the demo model.
pub fn development() -> Result<ChainSpec, String> {
    spec("Development", "dev", ChainType::Development, sp_genesis_builder::DEV_RUNTIME_PRESET)
}

/// Alice and Bob as authorities, with the demo model.
pub fn local_testnet() -> Result<ChainSpec, String> {
    spec("Local Testnet", "local_testnet", ChainType::Local, sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
}
