//! Micro-benchmarks of the prover's hot paths, so that a regression shows: witness generation,
//! the layouts of the main operators (with constraints, as key generation lays them out), key
//! generation, and the proof check that the chain runs for every result. The whole-process
//! comparison with EZKL is `benchmarking/run.sh compare`.
//!
//! `cargo bench -p zkml-prover` (the corpus is found as the tests find it: `ZKML_CORPUS`).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use tempfile::TempDir;
use zkml_circuit::api::{Compiled, Verifier};
use zkml_circuit::pfsys;
use zkml_prover::{corpus, InputData, SrsSource, Visibility};

/// Each main operator's own corpus model.
const OPERATORS: [(&str, &str); 6] = [
    ("gemm", "1l_mlp"),
    ("conv", "1l_conv"),
    ("relu", "1l_relu"),
    ("sigmoid", "1l_sigmoid"),
    ("max_pool", "1l_max_pool"),
    ("batch_norm", "1l_batch_norm"),
];

/// A corpus model compiled (and, with `keys`, set up with the dev SRS) in a scratch directory.
fn compiled(model: &str, keys: bool) -> (TempDir, Compiled, InputData) {
    let source = corpus::model(model);
    let input = InputData::load(&source.join("input.json")).expect("corpus input");
    let dir = tempfile::tempdir().expect("scratch directory");
    zkml_prover::compile(&source.join("network.onnx"), &input, dir.path()).expect("the model compiles");
    if keys {
        zkml_prover::setup(dir.path(), SrsSource::Dev).expect("the model sets up");
    }
    let compiled = Compiled::load(dir.path()).expect("the artifacts load");
    (dir, compiled, input)
}

/// Times `Compiled::build` at `stage` for each `(name, model)`; proving needs the keys set up.
fn builds(c: &mut Criterion, group: &str, stage: CircuitBuilderStage, cases: &[(&str, &str)]) {
    let mut group = c.benchmark_group(group);
    for &(name, model) in cases {
        let (_dir, compiled, input) = compiled(model, stage == CircuitBuilderStage::Prover);
        group.bench_function(name, |b| {
            b.iter(|| compiled.build(stage, Visibility::Public, &input, Fr::ZERO, Fr::ZERO).unwrap())
        });
    }
    group.finish();
}

fn witness_generation(c: &mut Criterion) {
    let models = [("1l_mlp", "1l_mlp"), ("4l_relu_conv_fc", "4l_relu_conv_fc")];
    builds(c, "witness", CircuitBuilderStage::Prover, &models);
}

fn operator_layouts(c: &mut Criterion) {
    builds(c, "layout", CircuitBuilderStage::Keygen, &OPERATORS);
}

fn key_generation(c: &mut Criterion) {
    let mut group = c.benchmark_group("keygen");
    group.sample_size(10);
    let (_dir, compiled, input) = compiled("1l_mlp", false);
    let k = compiled
        .build(CircuitBuilderStage::Keygen, Visibility::Public, &input, Fr::ZERO, Fr::ZERO)
        .unwrap()
        .circuit
        .params
        .k();
    let params = zkml_verifier::kzg::dev_srs(k);
    group.bench_function("1l_mlp", |b| {
        b.iter_batched(
            || compiled.build(CircuitBuilderStage::Keygen, Visibility::Public, &input, Fr::ZERO, Fr::ZERO).unwrap(),
            |built| pfsys::keygen(&params, &built.circuit).unwrap(),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

/// Verification as the chain's host function runs it: reading the verifier (settings, vk and KZG
/// parameters) and checking a proof with it.
fn verification(c: &mut Criterion) {
    let mut group = c.benchmark_group("verify");
    for model in ["1l_mlp", "4l_relu_conv_fc"] {
        let (dir, _, input) = compiled(model, true);
        let proof = zkml_prover::prove(dir.path(), &input, Fr::ZERO, Visibility::Public).expect("the model proves");
        let verifier = Verifier::load(dir.path(), Visibility::Public).expect("the verifier loads");
        group.bench_function(format!("{model}/load"), |b| {
            b.iter(|| Verifier::load(dir.path(), Visibility::Public).unwrap())
        });
        group.bench_function(format!("{model}/check"), |b| b.iter(|| verifier.check(&proof).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, witness_generation, operator_layouts, key_generation, verification);
criterion_main!(benches);
