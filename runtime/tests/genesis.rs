//! The genesis presets: the committed demo model's compiled artifacts (`demo/1l_mlp/`) are what
//! the compiler makes of the corpus's 1l_mlp, the committed genesis is what setting them up
//! gives, and the development genesis builds, with the demo model registered.

use std::path::Path;

use hauptbuch_runtime::genesis_config_presets::{get_preset, DEMO_GENESIS, DEV_FALCON_PUBLIC_KEY};
use hauptbuch_runtime::{Runtime, RuntimeGenesisConfig};
use pqcrypto_falcon::falcon512;
use pqcrypto_traits::sign::{DetachedSignature, PublicKey, SecretKey};
use serde_json::{json, Value};
use sp_keyring::Sr25519Keyring;
use zkml_circuit::registration::Registration;
use zkml_circuit::{InputData, Visibility};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The compiled demo model's files, as `zkml compile` writes them.
const COMPILED: [&str; 5] = ["settings.json", "graph.json", "functions.json", "calibration.json", "network.onnx"];

/// The demo genesis JSON, made now from the committed compiled demo model with the development
/// SRS, as a `--dev` node sets it up.
fn demo_genesis() -> Value {
    let compiled = root().join("demo/1l_mlp");
    let dir = tempfile::tempdir().unwrap();
    for file in COMPILED {
        std::fs::copy(compiled.join(file), dir.path().join(file)).unwrap();
    }
    zkml_circuit::setup(dir.path(), zkml_circuit::SrsSource::Dev).unwrap();
    let model = Registration::load(dir.path(), Visibility::Public).unwrap();
    json!({
        "verifierParams": std::fs::read(dir.path().join("kzg.vparams")).unwrap(),
        "model": {
            "owner": null,
            "name": b"1l_mlp".to_vec(),
            "onnxHash": model.onnx_hash,
            "commitment": model.commitment,
            "inputShape": model.input_shape,
            "outputLen": model.output_len,
            "scale": model.scale,
            "settings": model.settings,
            "vk": model.vk,
        },
    })
}

/// The committed demo model is the corpus's 1l_mlp.
#[test]
fn the_demo_model_is_the_corpus_model() {
    let corpus = zkml_prover::corpus::model("1l_mlp");
    assert_eq!(
        std::fs::read(root().join("demo/1l_mlp/network.onnx")).unwrap(),
        std::fs::read(corpus.join("network.onnx")).unwrap()
    );
    assert_eq!(
        std::fs::read(root().join("demo/1l_mlp.input.json")).unwrap(),
        std::fs::read(corpus.join("input.json")).unwrap()
    );
}

/// The committed compiled artifacts are what compiling the demo model gives now.
/// `ZKML_WRITE_DEMO=1` rewrites them.
#[test]
fn the_committed_compiled_demo_is_what_the_compiler_makes() {
    let demo = root().join("demo");
    let dir = tempfile::tempdir().unwrap();
    let input = InputData::load(&demo.join("1l_mlp.input.json")).unwrap();
    zkml_prover::compile(&demo.join("1l_mlp/network.onnx"), &input, dir.path()).unwrap();
    for file in COMPILED {
        let (made, committed) = (std::fs::read(dir.path().join(file)).unwrap(), demo.join("1l_mlp").join(file));
        if std::env::var_os("ZKML_WRITE_DEMO").is_some() {
            std::fs::write(&committed, &made).unwrap();
        }
        let stale = format!("demo/1l_mlp/{file} is stale: regenerate it with ZKML_WRITE_DEMO=1");
        assert_eq!(std::fs::read(&committed).unwrap(), made, "{stale}");
    }
}

/// `ZKML_WRITE_DEMO=1` rewrites `demo/genesis.json` (and makes a Falcon key pair if there is none).
#[test]
fn the_committed_genesis_is_what_setting_up_the_demo_makes() {
    let made = demo_genesis();
    if std::env::var_os("ZKML_WRITE_DEMO").is_some() {
        std::fs::write(root().join("demo/genesis.json"), serde_json::to_string_pretty(&made).unwrap()).unwrap();
        if !root().join("demo/falcon512.sk").exists() {
            let (pk, sk) = falcon512::keypair();
            std::fs::write(root().join("demo/falcon512.pk"), pk.as_bytes()).unwrap();
            std::fs::write(root().join("demo/falcon512.sk"), sk.as_bytes()).unwrap();
        }
        return;
    }
    let committed: Value = serde_json::from_str(DEMO_GENESIS).unwrap();
    assert_eq!(committed, made, "demo/genesis.json is stale: regenerate it with ZKML_WRITE_DEMO=1");
}

#[test]
fn the_development_falcon_keys_are_a_pair() {
    let pk = falcon512::PublicKey::from_bytes(DEV_FALCON_PUBLIC_KEY).unwrap();
    let sk = falcon512::SecretKey::from_bytes(&std::fs::read(root().join("demo/falcon512.sk")).unwrap()).unwrap();
    let signature = falcon512::detached_sign(b"attestation", &sk);
    assert!(zkml_primitives::host::falcon512_verify(pk.as_bytes(), b"attestation", signature.as_bytes()));
}

#[test]
fn the_development_genesis_registers_the_demo_model_and_prover() {
    let preset = frame_support::genesis_builder_helper::get_preset::<RuntimeGenesisConfig>(
        &Some(sp_genesis_builder::DEV_RUNTIME_PRESET.into()),
        get_preset,
    )
    .unwrap();
    // A preset is a patch over the default genesis, as the node's chain-spec builder applies it.
    fn merge(base: &mut Value, patch: Value) {
        match (base, patch) {
            (Value::Object(base), Value::Object(patch)) => {
                for (key, value) in patch {
                    merge(base.entry(key).or_insert(Value::Null), value);
                }
            }
            (base, patch) => *base = patch,
        }
    }
    let mut full = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
    merge(&mut full, serde_json::from_slice(&preset).unwrap());
    let config: RuntimeGenesisConfig = serde_json::from_value(full).unwrap();
    let storage = sp_runtime::BuildStorage::build_storage(&config).unwrap();
    sp_io::TestExternalities::new(storage).execute_with(|| {
        let alice = Sr25519Keyring::Alice.to_account_id();
        let model = pallet_zkml::Models::<Runtime>::get(0).unwrap();
        assert_eq!(model.owner, alice);
        assert_eq!(model.status, pallet_zkml::ModelStatus::Active);
        assert_eq!(model.description.input_len, 3);
        assert!(pallet_zkml::Provers::<Runtime>::contains_key(&alice));
        assert!(pallet_zkml::VerifierParams::<Runtime>::get().is_some());
        assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(alice));
    });
}
