//! Genesis presets: `development` (one authority, Alice) and `local_testnet` (Alice and Bob).
//! Both register the demo model (the corpus's 1l_mlp, compiled and keyed with the development
//! SRS: `demo/genesis.json`), set the development KZG verifier parameters, and register Alice as a
//! prover with the development Falcon-512 key (`demo/falcon512.pk`; its secret, for `--dev`
//! nodes, is `demo/falcon512.sk`). Every key here is public: never use them on a chain that
//! carries value.

use alloc::{vec, vec::Vec};
use serde_json::{json, Value};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::PresetId;
use sp_keyring::Sr25519Keyring;

use crate::{AccountId, UNIT};

/// The demo model and the development KZG verifier parameters, as pallet-zkml genesis JSON.
pub const DEMO_GENESIS: &str = include_str!("../demo/genesis.json");
/// The development prover's Falcon-512 public key.
pub const DEV_FALCON_PUBLIC_KEY: &[u8] = include_bytes!("../demo/falcon512.pk");

fn genesis(authorities: Vec<(AuraId, GrandpaId)>, endowed: Vec<AccountId>, root: AccountId) -> Value {
    let demo: Value = serde_json::from_str(DEMO_GENESIS).expect("the committed demo genesis is JSON");
    let mut model = demo["model"].clone();
    model["owner"] = json!(root);
    json!({
        "balances": { "balances": endowed.into_iter().map(|a| (a, 1_000_000 * UNIT)).collect::<Vec<_>>() },
        "aura": { "authorities": authorities.iter().map(|(aura, _)| aura.clone()).collect::<Vec<_>>() },
        "grandpa": { "authorities": authorities.iter().map(|(_, grandpa)| (grandpa.clone(), 1)).collect::<Vec<_>>() },
        "sudo": { "key": Some(root.clone()) },
        "zkml": {
            "verifierParams": demo["verifierParams"],
            "models": [model],
            "provers": [[root, DEV_FALCON_PUBLIC_KEY]],
        },
    })
}

fn authority(key: Sr25519Keyring) -> (AuraId, GrandpaId) {
    let grandpa = match key {
        Sr25519Keyring::Alice => sp_keyring::Ed25519Keyring::Alice,
        _ => sp_keyring::Ed25519Keyring::Bob,
    };
    (key.public().into(), grandpa.public().into())
}

fn endowed() -> Vec<AccountId> {
    Sr25519Keyring::iter()
        .filter(|k| k != &Sr25519Keyring::One && k != &Sr25519Keyring::Two)
        .map(|k| k.to_account_id())
        .collect()
}

/// The genesis of preset `id`, as JSON.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
    let patch = match id.as_ref() {
        sp_genesis_builder::DEV_RUNTIME_PRESET => {
            genesis(vec![authority(Sr25519Keyring::Alice)], endowed(), Sr25519Keyring::Alice.to_account_id())
        }
        sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => genesis(
            vec![authority(Sr25519Keyring::Alice), authority(Sr25519Keyring::Bob)],
            endowed(),
            Sr25519Keyring::Alice.to_account_id(),
        ),
        _ => return None,
    };
    Some(serde_json::to_string(&patch).expect("genesis JSON serialises").into_bytes())
}

/// The presets this runtime offers.
pub fn preset_names() -> Vec<PresetId> {
    vec![
        PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
        PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
    ]
}
