//! The chain's verification budget: what `submit_result` and `submit_inference` weigh for the
//! demo model (`weights.rs`, from the node's `benchmark pallet`), against the runtime's block
//! limits. Prints JSON, which `benchmarking/compare.py chain` turns into its report.

use codec::Decode;
use frame_support::{dispatch::DispatchClass, weights::Weight};
use hauptbuch_runtime::{genesis_config_presets::DEMO_GENESIS, Runtime};
use pallet_zkml::weights::WeightInfo;
use serde_json::{json, Value};
use zkml_primitives::CircuitSettings;

type ZkmlWeights = <Runtime as pallet_zkml::Config>::WeightInfo;

fn bytes(value: &Value) -> Vec<u8> {
    serde_json::from_value(value.clone()).expect("the committed demo genesis holds byte arrays")
}

fn main() {
    let genesis: Value = serde_json::from_str(DEMO_GENESIS).expect("the committed demo genesis is JSON");
    let model = &genesis["model"];
    let settings = CircuitSettings::decode(&mut &bytes(&model["settings"])[..]).expect("the demo settings decode");
    let instances = settings.num_instances;

    let limits = <Runtime as frame_system::Config>::BlockWeights::get();
    let normal = limits.get(DispatchClass::Normal);
    let budget = normal.max_total.unwrap_or(limits.max_block);
    let base = normal.base_extrinsic;
    let call = |name: &str, weight: Weight| {
        let with_base = weight.saturating_add(base);
        let per_block = (budget.ref_time() / with_base.ref_time())
            .min(budget.proof_size().checked_div(with_base.proof_size()).unwrap_or(u64::MAX));
        json!({
            "name": name,
            "ref_time": weight.ref_time(),
            "proof_size": weight.proof_size(),
            "per_block": per_block,
        })
    };
    let report = json!({
        "demo_model": String::from_utf8_lossy(&bytes(&model["name"])),
        "instances": instances,
        "block_ref_time": limits.max_block.ref_time(),
        "normal_ref_time": budget.ref_time(),
        "extrinsic_base_ref_time": base.ref_time(),
        "calls": [
            call("submit_result", ZkmlWeights::submit_result(instances)),
            call("submit_inference", ZkmlWeights::submit_inference(instances)),
        ],
    });
    println!("{report}");
}
