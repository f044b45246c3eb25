//! The chain's verification budget: what `submit_result` and `submit_inference` weigh for the
//! demo model (`weights.rs`, from the node's `benchmark pallet`), against the runtime's block
//! limits; and the verification envelope: the weight a proof check of the narrowest, a typical and
//! the widest allowed circuit is charged, against the median time the native host function takes
//! here to check a valid proof of it. Prints JSON, which `benchmarking/compare.py chain` turns into
//! its report. Needs the benchmark fixtures: build with `--features pallet-zkml/runtime-benchmarks`.

use codec::Decode;
use frame_support::{dispatch::DispatchClass, weights::Weight};
use hauptbuch_runtime::{genesis_config_presets::DEMO_GENESIS, Runtime};
use pallet_zkml::fixture::{Fixtures, VerifierShapes};
use pallet_zkml::weights::WeightInfo;
use serde_json::{json, Value};
use zkml_primitives::CircuitSettings;
use zkml_primitives::{FieldBytes, MAX_ADVICE_COLUMNS, MAX_LOOKUP_COLUMNS, MAX_RANGE_COLUMNS};

type ZkmlWeights = <Runtime as pallet_zkml::Config>::WeightInfo;
type Zkml = pallet_zkml::Pallet<Runtime>;

fn bytes(value: &Value) -> Vec<u8> {
    serde_json::from_value(value.clone()).expect("the committed demo genesis holds byte arrays")
}

/// Checks of one proof timed, for the median.
const RUNS: usize = 21;

/// The charged weight and the median measured time of checking `proof`, a valid proof for
/// `settings`, `vk` and `instances`.
fn envelope_point(name: &str, settings: &[u8], vk: &[u8], proof: &[u8], instances: &[FieldBytes], kzg: &[u8]) -> Value {
    let decoded = CircuitSettings::decode(&mut &settings[..]).expect("fixture settings decode");
    let (a, r, l, i) = decoded.verification_shape();
    let charged = Zkml::proof_check_weight(a, r, l, i);
    let mut times: Vec<u128> = (0..RUNS)
        .map(|_| {
            let start = std::time::Instant::now();
            let verdict = zkml_primitives::host::verify_halo2(settings, vk, proof, instances, kzg);
            assert_eq!(verdict, Ok(()), "{name}: the fixture's proof verifies");
            start.elapsed().as_nanos()
        })
        .collect();
    times.sort_unstable();
    let measured_ps = times[RUNS / 2] * 1000;
    json!({
        "name": name,
        "shape": {
            "advice": decoded.num_advice_per_phase.first(),
            "range_columns": decoded.num_lookup_advice_per_phase.first(),
            "lookup_columns": decoded.lookup_columns,
            "instances": i,
        },
        "charged_ref_time": charged.ref_time(),
        "measured_ref_time": measured_ps as u64,
    })
}

/// The narrowest circuit (the MLP family's smallest, one column with its lookups in place), a
/// typical one (the family's largest) and the widest `CircuitSettings::validate` allows.
fn envelope() -> Vec<Value> {
    let family = Fixtures::load();
    let mlp = |instances: u32, name: &str| {
        let model = family.model(instances);
        let proof = model.proof_for(&Fixtures::prover_encodings()[1], false).expect("fixture proofs");
        let instances = model.instance_values(proof);
        envelope_point(name, &model.settings, &model.vk, &proof.proof, &instances, &family.kzg_params)
    };
    let shapes = VerifierShapes::load();
    let widest =
        shapes.covering(MAX_ADVICE_COLUMNS, MAX_RANGE_COLUMNS, MAX_LOOKUP_COLUMNS, VerifierShapes::MAX_INSTANCES);
    vec![
        mlp(Fixtures::MIN_INSTANCES, "narrowest (mlp_w2_d2)"),
        mlp(Fixtures::MAX_INSTANCES, "typical (mlp_w96_d2)"),
        envelope_point(
            "widest allowed",
            &widest.settings,
            &widest.vk,
            &widest.proof,
            &widest.instances,
            &shapes.kzg_params,
        ),
    ]
}

fn main() {
    let genesis: Value = serde_json::from_str(DEMO_GENESIS).expect("the committed demo genesis is JSON");
    let model = &genesis["model"];
    let settings = CircuitSettings::decode(&mut &bytes(&model["settings"])[..]).expect("the demo settings decode");
    let instances = settings.num_instances;
    let (a, r, l, i) = settings.verification_shape();
    let check = Zkml::proof_check_weight(a, r, l, i);

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
            call("submit_result", ZkmlWeights::submit_result(instances).saturating_add(check)),
            call("submit_inference", ZkmlWeights::submit_inference(instances).saturating_add(check)),
        ],
        "envelope": envelope(),
    });
    println!("{report}");
}
