//! End-to-end tests on real corpus models: compile, set up with the dev SRS, prove, verify, and
//! reject everything that is not an honest proof for these artifacts.

use std::path::Path;
use std::sync::OnceLock;

use halo2_proofs::halo2curves::bn256::G1Affine;
use halo2_proofs::plonk::VerifyingKey;
use zkml_circuit::circuit::ModelCircuit;
use zkml_circuit::proof::{fr_from_hex, fr_to_hex};
use zkml_circuit::quantize::to_field;
use zkml_prover::api::accuracy_bound;
use zkml_prover::{
    compile, compile_with, prove, prove_fixed, run, setup, verify, CompileOptions, Error, InputData, ProofFile,
    ProofSize, SrsSource, Visibility,
};
use zkml_verifier::KEY_FORMAT;

fn input(model: &str) -> InputData {
    InputData::load(&zkml_prover::corpus::model(model).join("input.json")).unwrap()
}

/// Compiled and set-up artifacts, built once per model for the whole test binary.
fn artifacts(model: &'static str) -> &'static Path {
    static DIRS: OnceLock<std::sync::Mutex<std::collections::HashMap<&'static str, &'static Path>>> = OnceLock::new();
    let dirs = DIRS.get_or_init(Default::default);
    let mut dirs = dirs.lock().unwrap();
    dirs.entry(model).or_insert_with(|| {
        let dir = Box::leak(Box::new(tempfile::tempdir().unwrap())).path();
        compile(&zkml_prover::corpus::model(model).join("network.onnx"), &input(model), dir).unwrap();
        setup(dir, SrsSource::Dev).unwrap();
        dir
    })
}

fn proof(model: &'static str, visibility: Visibility) -> ProofFile {
    prove(artifacts(model), &input(model), fr_from_hex("0x1234").unwrap(), visibility).unwrap()
}

/// tract's float outputs of corpus `model` on `input`.
fn reference(model: &str, input: &InputData) -> Vec<Vec<f64>> {
    run(&zkml_prover::corpus::model(model).join("network.onnx"), input).unwrap()
}

fn assert_accurate(model: &str, proof: &ProofFile) {
    let reference = reference(model, &input(model));
    let bound = accuracy_bound(&reference);
    for (p, r) in proof.outputs.iter().flatten().zip(reference.iter().flatten()) {
        assert!((p - r).abs() <= bound, "{model}: proved {p} vs float {r} (bound {bound})");
    }
}

/// A public-input proof of corpus `model` that verifies, with outputs within the accuracy bound.
fn proves_accurately(model: &'static str) -> ProofFile {
    let proof = proof(model, Visibility::Public);
    verify(artifacts(model), &proof).unwrap_or_else(|e| panic!("{model}: {e}"));
    assert_accurate(model, &proof);
    proof
}

/// The vk's constraint system says where every byte of a public-input `proof` goes; and the vk,
/// read without FFT data, is the key halo2's own reader gives.
fn assert_shape_gives_size(model: &'static str, proof: &ProofFile) {
    let dir = artifacts(model);
    let settings = zkml_circuit::artifacts::ArtifactDir(dir.into()).load_settings().unwrap();
    let vk = zkml_circuit::api::load_vk(dir, &settings, Visibility::Public).unwrap();
    let bytes = std::fs::read(zkml_circuit::artifacts::ArtifactDir(dir.into()).vk(Visibility::Public)).unwrap();
    let circuit = settings.public.circuit.clone();
    let halo2 = VerifyingKey::<G1Affine>::from_bytes::<ModelCircuit>(&bytes, KEY_FORMAT, circuit).unwrap();
    assert_eq!(vk.transcript_repr(), halo2.transcript_repr(), "{model}");
    assert_eq!(format!("{:?}", vk.pinned()), format!("{:?}", halo2.pinned()), "{model}");
    assert_eq!(zkml_verifier::vk_to_bytes(&vk), bytes, "{model}");
    let shape = zkml_verifier::ProofShape::of(&vk);
    assert_eq!(shape.bytes(), proof.proof_bytes().unwrap().len(), "{model}: {shape:?}");
    // Compilation knows it before any key.
    assert_eq!(zkml_verifier::ProofShape::of_params(&settings.public.circuit), shape, "{model}");
}

#[test]
fn mlp_proves_and_verifies_with_accurate_outputs() {
    let proof = proof("1l_mlp", Visibility::Public);
    verify(artifacts("1l_mlp"), &proof).unwrap();
    // One gate column, its lookups in place.
    assert_shape_gives_size("1l_mlp", &proof);
    assert_accurate("1l_mlp", &proof);
    // Instances: commitment, 3 inputs, 4 outputs, binding.
    assert_eq!(proof.instances.len(), 1 + 3 + 4 + 1);
    assert_eq!(proof.instances.last().unwrap(), &proof.binding);
}

#[test]
fn lookup_and_conv_models_prove_and_verify() {
    for model in ["2l_relu_sigmoid_small", "1l_conv", "1l_max_pool"] {
        proves_accurately(model);
    }
}

#[test]
fn private_input_publishes_only_a_commitment() {
    let proof = proof("1l_mlp", Visibility::Private);
    assert!(proof.inputs.is_none());
    assert_eq!(proof.instances.len(), 1 + 1 + 4 + 1);
    verify(artifacts("1l_mlp"), &proof).unwrap();
    // The commitment is salted: the same input proved again commits differently, so that no
    // one can link two proofs of one input, nor find the input by hashing the ones they guess.
    let again = self::proof("1l_mlp", Visibility::Private);
    verify(artifacts("1l_mlp"), &again).unwrap();
    assert_ne!(proof.instances[1], again.instances[1]);
    let settings = zkml_circuit::artifacts::ArtifactDir(artifacts("1l_mlp").into()).load_settings().unwrap();
    let q = settings.quantization;
    let quantized: Vec<Vec<i64>> = input("1l_mlp")
        .input_data
        .iter()
        .map(|row| row.iter().map(|&v| zkml_circuit::quantize::quantize(v, q.scale).unwrap()).collect())
        .collect();
    for blinding in [0u64, 1] {
        let guess = zkml_circuit::circuit::input_commitment(q, &quantized, blinding.into());
        assert_ne!(fr_to_hex(&guess), proof.instances[1], "the commitment is the input's hash with {blinding}");
    }
    // Each proof's opening opens its own commitment, and nothing else does.
    for p in [&proof, &again] {
        let opening = p.opening.clone().expect("a private proof has an opening");
        assert_eq!(opening.commitment, p.instances[1]);
        zkml_prover::open(artifacts("1l_mlp"), &opening).unwrap();
    }
    let mut swapped = proof.opening.clone().unwrap();
    swapped.blinding = again.opening.clone().unwrap().blinding;
    assert!(matches!(zkml_prover::open(artifacts("1l_mlp"), &swapped), Err(Error::OpeningMismatch { .. })));
    let mut other_input = proof.opening.clone().unwrap();
    other_input.inputs[0][0] += 0.5;
    assert!(matches!(zkml_prover::open(artifacts("1l_mlp"), &other_input), Err(Error::OpeningMismatch { .. })));
    let mut malformed = proof.opening.clone().unwrap();
    malformed.blinding = "0xzz".into();
    assert!(matches!(zkml_prover::open(artifacts("1l_mlp"), &malformed), Err(Error::MalformedOpening(_))));
    // The opening never goes into the proof file, which may be published.
    let written = serde_json::to_string(&proof).unwrap();
    assert!(!written.contains(&proof.opening.unwrap().blinding));
}

#[test]
fn proving_reads_lookup_values_from_the_compiled_table_not_tract() {
    // A model with functions, proved without its ONNX file: nothing on the proving path
    // evaluates a function in floats, so a machine whose float kernels round differently proves
    // the same witness.
    let dir = tempfile::tempdir().unwrap();
    let model = "2l_relu_sigmoid_small";
    compile(&zkml_prover::corpus::model(model).join("network.onnx"), &input(model), dir.path()).unwrap();
    setup(dir.path(), SrsSource::Dev).unwrap();
    std::fs::remove_file(dir.path().join("network.onnx")).unwrap();
    let proof = prove(dir.path(), &input(model), fr_from_hex("0x1234").unwrap(), Visibility::Public).unwrap();
    verify(dir.path(), &proof).unwrap();
    assert_accurate(model, &proof);
    // A table that is not the model's is refused before anything is laid out.
    std::fs::write(dir.path().join("functions.json"), r#"{"bits":3,"values":[[1,2,3,4,5,6,7,8]]}"#).unwrap();
    let refused = prove(dir.path(), &input(model), fr_from_hex("0x1234").unwrap(), Visibility::Public);
    assert!(matches!(refused, Err(Error::CorruptArtifact { what: "function table", .. })), "{refused:?}");
}

#[test]
fn tampered_proof_bytes_are_rejected() {
    let honest = proof("1l_mlp", Visibility::Public);
    let bytes = honest.proof_bytes().unwrap();
    for position in [0, bytes.len() / 2, bytes.len() - 1] {
        let mut tampered = honest.clone();
        let mut b = bytes.clone();
        b[position] ^= 1;
        tampered.proof = hex::encode(b);
        assert!(matches!(verify(artifacts("1l_mlp"), &tampered), Err(Error::InvalidProof(_))), "byte {position}");
    }
}

#[test]
fn tampered_instances_and_binding_are_rejected() {
    let honest = proof("1l_mlp", Visibility::Public);
    let n = honest.instances.len();
    // An input, an output and the binding.
    for index in [1, n - 2, n - 1] {
        let mut tampered = honest.clone();
        let value = fr_from_hex(&tampered.instances[index]).unwrap() + halo2_base_fr_one();
        tampered.instances[index] = fr_to_hex(&value);
        assert!(matches!(verify(artifacts("1l_mlp"), &tampered), Err(Error::InvalidProof(_))), "instance {index}");
    }
}

fn halo2_base_fr_one() -> halo2_proofs::halo2curves::bn256::Fr {
    halo2_proofs::halo2curves::bn256::Fr::one()
}

#[test]
fn a_proof_is_rejected_by_another_models_artifacts() {
    let proof = proof("1l_mlp", Visibility::Public);
    assert!(matches!(verify(artifacts("2l_relu_sigmoid_small"), &proof), Err(Error::ForeignProof { .. })));
}

#[test]
fn bad_inputs_fail_with_clear_errors() {
    let dir = artifacts("1l_mlp");
    let binding = fr_from_hex("0x1").unwrap();
    let short = InputData { input_data: vec![vec![0.1, 0.2]] };
    assert!(matches!(
        prove(dir, &short, binding, Visibility::Public),
        Err(Error::InputLength { got: 2, expected: 3, .. })
    ));
    let two = InputData { input_data: vec![vec![0.1; 3], vec![0.1; 3]] };
    assert!(matches!(prove(dir, &two, binding, Visibility::Public), Err(Error::InputCount { .. })));
    let huge = InputData { input_data: vec![vec![1000.0, 0.0, 0.0]] };
    assert!(matches!(prove(dir, &huge, binding, Visibility::Public), Err(Error::OutOfRange { .. })));
    let infinite = InputData { input_data: vec![vec![f64::INFINITY, 0.0, 0.0]] };
    assert!(matches!(infinite.check_finite(), Err(Error::NonFinite { position: 0, .. })));
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("input.json");
    // serde_json refuses numbers beyond f64 rather than reading them as infinity.
    std::fs::write(&file, r#"{"input_data": [[1e999, 0, 0]]}"#).unwrap();
    assert!(matches!(InputData::load(&file), Err(Error::MalformedInput { .. } | Error::NonFinite { .. })));
    std::fs::write(&file, r#"{"input_data": "nope"}"#).unwrap();
    assert!(matches!(InputData::load(&file), Err(Error::MalformedInput { .. })));
}

#[test]
fn fixed_point_inputs_are_proved_exactly_as_given() {
    let dir = artifacts("1l_mlp");
    let binding = fr_from_hex("0x1234").unwrap();
    let scale = zkml_circuit::artifacts::ArtifactDir(dir.into()).load_settings().unwrap().quantization.scale;
    let fixed: Vec<Vec<i64>> = input("1l_mlp")
        .input_data
        .iter()
        .map(|row| row.iter().map(|&v| zkml_circuit::quantize::quantize(v, scale).unwrap()).collect())
        .collect();
    // The same integers as the float input quantises to: the same public instances.
    let proof = prove_fixed(dir, &fixed, binding).unwrap();
    verify(dir, &proof).unwrap();
    assert_eq!(proof.instances, prove(dir, &input("1l_mlp"), binding, Visibility::Public).unwrap().instances);
    let inputs = &proof.instances[1..1 + fixed[0].len()];
    assert_eq!(inputs, fixed[0].iter().map(|&v| fr_to_hex(&to_field(v.into()))).collect::<Vec<_>>());

    // 2^53 + 1 has no f64: it is refused as itself, not as a float's neighbour.
    let beyond_f64 = (1i64 << 53) + 1;
    match prove_fixed(dir, &[vec![beyond_f64, 0, 0]], binding) {
        Err(Error::OutOfRange { node, value, .. }) => assert_eq!((node.as_str(), value), ("inputs", beyond_f64.into())),
        other => panic!("expected the input out of range, got {other:?}"),
    }
    assert!(matches!(prove_fixed(dir, &[vec![0; 2]], binding), Err(Error::InputLength { got: 2, expected: 3, .. })));
}

#[test]
fn artifacts_of_another_settings_version_are_refused_with_both_versions() {
    // Artifacts compiled before the circuit changed would prove nothing this verifier checks.
    let tmp = tempfile::tempdir().unwrap();
    let mut settings: serde_json::Value =
        serde_json::from_slice(&std::fs::read(artifacts("1l_mlp").join("settings.json")).unwrap()).unwrap();
    let current = zkml_circuit::artifacts::SETTINGS_VERSION;
    settings["version"] = (current - 1).into();
    std::fs::write(tmp.path().join("settings.json"), settings.to_string()).unwrap();
    match prove(tmp.path(), &input("1l_mlp"), fr_from_hex("0x1").unwrap(), Visibility::Public) {
        Err(Error::CorruptArtifact { what: "settings", reason, .. }) => {
            assert_eq!(reason, format!("version {} (this prover reads version {current})", current - 1));
        }
        other => panic!("{:?}", other.map(|p| p.proof)),
    }
}

/// nanoGPT's matrix products pass 2^26 advice cells, far more than a machine could prove: its
/// compilation stops at the node that crosses the bound (in about 40 s and 6 GB) instead of
/// laying out a 2^26-row circuit in 22 GB.
#[test]
fn a_circuit_too_large_to_prove_is_refused_at_the_node_that_crosses_the_bound() {
    let path = zkml_prover::corpus::model("nanoGPT").join("network.onnx");
    let tmp = tempfile::tempdir().unwrap();
    match compile(&path, &input("nanoGPT"), tmp.path()) {
        Err(Error::TooManyCells { node, max }) => {
            assert_eq!((node.as_str(), max), ("/h.2/mlp/c_fc/MatMul", zkml_circuit::circuit::layout::MAX_CELLS));
        }
        other => panic!("expected nanoGPT refused as too large, got {:?}", other.map(|s| s.k())),
    }
}

#[test]
fn a_malformed_model_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let err = compile(&zkml_prover::corpus::model("smallworm").join("network.onnx"), &input("1l_mlp"), tmp.path())
        .unwrap_err();
    assert!(matches!(err, Error::MalformedModel { .. }), "{err}");
}

#[test]
fn missing_or_corrupt_artifacts_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    compile(&zkml_prover::corpus::model("1l_relu").join("network.onnx"), &input("1l_relu"), dir).unwrap();
    let binding = fr_from_hex("0x1").unwrap();
    assert!(matches!(prove(dir, &input("1l_relu"), binding, Visibility::Public), Err(Error::NotSetUp(_))));
    setup(dir, SrsSource::Dev).unwrap();
    let proof = prove(dir, &input("1l_relu"), binding, Visibility::Public).unwrap();
    verify(dir, &proof).unwrap();

    let vk = dir.join("public.vk");
    let honest_vk = std::fs::read(&vk).unwrap();
    std::fs::write(&vk, &honest_vk[..honest_vk.len() / 2]).unwrap();
    assert!(matches!(verify(dir, &proof), Err(Error::CorruptArtifact { what: "verifying key", .. })));
    std::fs::write(&vk, &honest_vk).unwrap();

    let vparams = dir.join("kzg.vparams");
    let honest_vparams = std::fs::read(&vparams).unwrap();
    std::fs::write(&vparams, &honest_vparams[..100]).unwrap();
    assert!(matches!(verify(dir, &proof), Err(Error::CorruptArtifact { what: "verifier parameters", .. })));
    // Valid points that are not this SRS's (s·G2 replaced by G2): the pairing check fails.
    let mut other = honest_vparams.clone();
    other.copy_within(32..96, 96);
    std::fs::write(&vparams, &other).unwrap();
    assert!(matches!(verify(dir, &proof), Err(Error::InvalidProof(_))));
    std::fs::write(&vparams, &honest_vparams).unwrap();
    verify(dir, &proof).unwrap();

    let graph = dir.join("graph.json");
    let honest_graph = std::fs::read(&graph).unwrap();
    std::fs::write(&graph, &honest_graph[..honest_graph.len() / 2]).unwrap();
    assert!(matches!(
        prove(dir, &input("1l_relu"), binding, Visibility::Public),
        Err(Error::CorruptArtifact { what: "lowered graph", .. })
    ));
    std::fs::remove_file(&graph).unwrap();
    assert!(matches!(prove(dir, &input("1l_relu"), binding, Visibility::Public), Err(Error::Io { .. })));
    std::fs::write(&graph, &honest_graph).unwrap();

    std::fs::write(dir.join("public.srs"), b"not an srs").unwrap();
    assert!(matches!(
        prove(dir, &input("1l_relu"), binding, Visibility::Public),
        Err(Error::CorruptArtifact { what: "SRS", .. })
    ));

    std::fs::write(dir.join("settings.json"), b"{").unwrap();
    assert!(matches!(verify(dir, &proof), Err(Error::CorruptArtifact { what: "settings", .. })));
}

#[test]
fn setup_is_deterministic_and_accepts_a_raw_srs_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for dir in [&a, &b] {
        compile(&zkml_prover::corpus::model("1l_relu").join("network.onnx"), &input("1l_relu"), dir).unwrap();
    }
    setup(&a, SrsSource::Dev).unwrap();
    // A larger raw-format SRS is downsized to the circuit.
    let k = zkml_circuit::artifacts::ArtifactDir(a.clone()).load_settings().unwrap().k();
    let big = tmp.path().join("big.srs");
    zkml_circuit::pfsys::srs::save(&zkml_verifier::kzg::dev_srs(k + 1), &big).unwrap();
    setup(&b, SrsSource::File(&big)).unwrap();
    assert_eq!(std::fs::read(a.join("public.vk")).unwrap(), std::fs::read(b.join("public.vk")).unwrap());
    let proof = prove(&b, &input("1l_relu"), fr_from_hex("0x2").unwrap(), Visibility::Public).unwrap();
    verify(&a, &proof).unwrap();
}

/// Milestone models prove and verify, with proved outputs within the accuracy bound of tract's
/// float outputs. (The larger ones, such as lenet_5, are exercised by the benchmarks.)
#[test]
fn milestone_models_prove_and_verify_accurately() {
    for model in [
        "1l_average",
        "1l_batch_norm",
        "1l_concat",
        "1l_div",
        "1l_downsample",
        "1l_flatten",
        "1l_identity",
        "1l_leakyrelu",
        "1l_linear",
        "1l_mean",
        "1l_pad",
        "1l_prelu",
        "1l_relu",
        "1l_reshape",
        "1l_sigmoid",
        "1l_slice",
        "1l_tanh",
        "1l_var",
        "2l_relu_fc",
        "2l_relu_small",
        "2l_sigmoid_small",
        "2l_relu_sigmoid",
        "clip",
        "eye",
        "linear_regression",
        "max",
        "min",
        "quantize_dequantize",
        "sklearn_mlp",
        "tutorial",
    ] {
        proves_accurately(model);
    }
}

/// Operators beyond the milestone: logical operations and boolean outputs (1l_where, less),
/// more element-wise functions (GELU, sign, powers of and to a constant), data movement (upsampling, triangles),
/// softmax, layer normalisation (its RMS normalisation divides by a computed value), instance
/// normalisation and the values of `TopK`.
#[test]
fn further_operators_prove_and_verify_accurately() {
    let models = ["1l_where", "less", "1l_gelu_noappx", "1l_lppool", "1l_powf", "1l_upsample", "tril", "triu"];
    let more = ["1l_softmax", "layernorm", "1l_instance_norm", "1l_topk", "general_exp", "arange", "linear_svc"];
    for model in models.into_iter().chain(more) {
        proves_accurately(model);
    }
    // Instance normalisation adds its epsilon (1e-5) just before `Rsqrt`: quantised alone it
    // would be 0, so the function's table takes it instead of an addition node.
    let model = zkml_prover::graph::Model::load(&zkml_prover::corpus::model("1l_instance_norm").join("network.onnx"));
    let graph = model.unwrap().graph;
    let rsqrt: Vec<_> = graph.functions.iter().map(|f| (f.name.as_str(), f.addend)).collect();
    assert_eq!(rsqrt, [("Rsqrt", 1e-5)]);
    assert!(!graph.nodes.iter().any(|n| n.name.ends_with("epsilon")), "the addition is folded away");
}

/// Decision trees and selection by computed indices: comparisons cast to integers, integer
/// matrix products, equality, `ArgMax` (hard_max), `Gather` and `GatherElements` with computed
/// indices, and `OneHot` (the hummingbird tree traversal).
#[test]
fn tree_ensembles_and_computed_indices_prove_and_verify_accurately() {
    let models = ["hard_max", "decision_tree", "hummingbird_decision_tree", "gradient_boosted_trees"];
    for model in models.into_iter().chain(["gather_elements"]) {
        proves_accurately(model);
    }
    // gather_elements takes its indices as its second input, of int64: 15·2 indices along an
    // axis of 15. One past the end, or one between two elements, is refused before proving.
    let with_index = |index: f64| {
        let mut input = input("gather_elements");
        input.input_data[1][7] = index;
        prove(artifacts("gather_elements"), &input, fr_from_hex("0x1234").unwrap(), Visibility::Public)
    };
    match with_index(15.0) {
        Err(Error::IndexOutOfRange { value, len: 15, .. }) => assert_eq!(value, 15.0),
        other => panic!("expected an index out of range, got {other:?}"),
    }
    match with_index(2.5) {
        Err(Error::NotInteger { position: 7, value, .. }) => assert_eq!(value, 2.5),
        other => panic!("expected a fractional index refused, got {other:?}"),
    }
}

/// Recurrent models: gru and lstm are one step of tract's fused GRU and LSTM cells, lstm_medium
/// a `Scan` of five LSTM steps, unrolled, whose weights the model commitment binds once.
#[test]
fn recurrent_models_prove_and_verify_accurately() {
    for model in ["gru", "lstm", "lstm_medium"] {
        proves_accurately(model);
    }
}

/// Writes at indices an input gives: scatter_elements writes 30 updates along an axis of 9
/// (its inputs are the data, the indices and the updates), scatter_nd 4 updates into a constant
/// of 8 by indices its first input gives. Two updates at one position, or an index outside the
/// data, are refused before proving.
#[test]
fn scatters_to_computed_indices_prove_and_verify_exactly() {
    for model in ["scatter_elements", "scatter_nd"] {
        proves_accurately(model);
    }
    let with_indices = |model: &'static str, slot: usize, indices: &[(usize, f64)]| {
        let mut input = input(model);
        for &(position, index) in indices {
            input.input_data[slot][position] = index;
        }
        prove(artifacts(model), &input, fr_from_hex("0x1234").unwrap(), Visibility::Public)
    };
    let collide = with_indices("scatter_nd", 0, &[(0, 3.0), (1, 3.0)]);
    assert!(matches!(collide, Err(Error::IndexCollision { .. })), "{collide:?}");
    // Past the end is past the calibrated range of the input, so the index out of range is
    // before the start.
    match with_indices("scatter_nd", 0, &[(0, -1.0)]) {
        Err(Error::IndexOutOfRange { value, len: 8, .. }) => assert_eq!(value, -1.0),
        other => panic!("expected an index out of range, got {other:?}"),
    }
    let past_the_end = with_indices("scatter_nd", 0, &[(0, 8.0)]);
    assert!(matches!(past_the_end, Err(Error::OutOfRange { .. })), "{past_the_end:?}");
}

/// Reads by tuples of indices an input gives: gather_nd's output row `t` is the row of its
/// 15×18 data (its first input) that element `t` of its second input names, with a constant
/// batch coordinate as the tuple's first. Its graph reaches the indices before the data, which
/// the inputs' declared order still puts first. An index outside the data is refused before
/// proving, and the proof does not hold for other indices.
#[test]
fn gathers_by_computed_tuples_prove_and_verify_exactly() {
    let proof = proves_accurately("gather_nd");
    let indices = &input("gather_nd").input_data[1];
    // Instances: commitment, 270 data, 15 indices, 270 outputs, binding. Each output is its
    // data element's own field element.
    let (data, outputs) = (&proof.instances[1..271], &proof.instances[286..556]);
    for (t, &row) in indices.iter().enumerate() {
        let row = row as usize;
        assert_eq!(outputs[t * 18..(t + 1) * 18], data[row * 18..(row + 1) * 18], "output row {t}");
    }
    let mut other = proof.clone();
    other.instances.swap(271, 272);
    assert_ne!(other.instances[271], proof.instances[271]);
    assert!(verify(artifacts("gather_nd"), &other).is_err(), "the proof holds for other indices");
    let path = zkml_prover::corpus::model("gather_nd").join("network.onnx");
    for index in [-1.0, 15.0] {
        let mut input = input("gather_nd");
        input.input_data[1][4] = index;
        match prove(artifacts("gather_nd"), &input, fr_from_hex("0x1234").unwrap(), Visibility::Public) {
            Err(Error::IndexOutOfRange { value, len: 15, .. }) => assert_eq!(value, index),
            other => panic!("expected index {index} out of range, got {other:?}"),
        }
        // tract's GatherNd panics on it; the float reference reports that as an error.
        match run(&path, &input) {
            Err(Error::Tract(message)) => assert!(message.starts_with("an operator panicked"), "{message}"),
            other => panic!("expected the float reference to fail on index {index}, got {other:?}"),
        }
    }
}

/// Models of boolean inputs (boolean: `And` and `Xor`; bitwise_ops: `Or` and `Not`). The
/// instances carry each input as a number; the circuit ties it to a constrained bit, so logic is
/// exact, and a value that is neither 0 nor 1 is refused before proving.
#[test]
fn boolean_inputs_prove_and_verify_exactly() {
    let proof = proof("boolean", Visibility::Public);
    verify(artifacts("boolean"), &proof).unwrap();
    assert_eq!(proof.outputs, reference("boolean", &input("boolean")));

    // bitwise_ops takes two inputs, `input2` and `input3`: its exporter dropped the first two of
    // the four its input.json still holds, which is refused as it is.
    let path = zkml_prover::corpus::model("bitwise_ops").join("network.onnx");
    let mut both = input("bitwise_ops");
    assert!(matches!(run(&path, &both), Err(Error::InputCount { expected: 2, got: 4 })));
    both.input_data.drain(..2);
    let dir = tempfile::tempdir().unwrap();
    compile(&path, &both, dir.path()).unwrap();
    setup(dir.path(), SrsSource::Dev).unwrap();
    let proof = prove(dir.path(), &both, fr_from_hex("0x1234").unwrap(), Visibility::Private).unwrap();
    verify(dir.path(), &proof).unwrap();
    assert_eq!(proof.outputs, reference("bitwise_ops", &both));
    let mut half = input("boolean");
    half.input_data[2][1] = 0.5;
    match prove(artifacts("boolean"), &half, fr_from_hex("0x1234").unwrap(), Visibility::Public) {
        Err(Error::NotBoolean { position: 1, value, .. }) => assert_eq!(value, 0.5),
        other => panic!("expected a non-boolean input to be refused, got {other:?}"),
    }
    let path = zkml_prover::corpus::model("boolean").join("network.onnx");
    assert!(matches!(run(&path, &half), Err(Error::NotBoolean { position: 1, .. })));
}

/// Integer inputs (integer_div: int64; bitshift: int32) are whole numbers in the circuit, and
/// integer division truncates toward zero as tract's does: outputs are exact.
#[test]
fn integer_inputs_prove_and_verify_exactly() {
    for model in ["integer_div", "bitshift"] {
        let proof = proof(model, Visibility::Public);
        verify(artifacts(model), &proof).unwrap_or_else(|e| panic!("{model}: {e}"));
        assert_eq!(proof.outputs, reference(model, &input(model)), "{model}");
    }
    let mut fractional = input("integer_div");
    fractional.input_data[0][4] = 2.5;
    let path = zkml_prover::corpus::model("integer_div").join("network.onnx");
    assert!(matches!(run(&path, &fractional), Err(Error::NotInteger { position: 4, .. })));
}

/// The larger milestone models that still fit a CI run (lenet_5, idolmodel and variable_cnn need
/// 2^19 rows and are covered by the benchmarks).
#[test]
fn larger_milestone_models_prove_and_verify_accurately() {
    for model in ["2l_relu_sigmoid_conv", "3l_relu_conv_fc", "4l_relu_conv_fc", "accuracy", "prelu_gmm"] {
        let proof = proves_accurately(model);
        // Several gate columns, lookups in columns of their own.
        assert_shape_gives_size(model, &proof);
    }
}

/// The proof size of `variant`'s circuit, known from the settings alone.
fn proof_bytes(variant: &zkml_circuit::artifacts::Variant) -> usize {
    zkml_verifier::ProofShape::of_params(&variant.circuit).bytes()
}

/// Compiles corpus `model` into a new scratch directory with `proof_size`.
fn compiled_with(model: &str, proof_size: ProofSize) -> (tempfile::TempDir, zkml_prover::Settings) {
    let path = zkml_prover::corpus::model(model).join("network.onnx");
    let tmp = tempfile::tempdir().unwrap();
    let settings = compile_with(&path, &input(model), tmp.path(), CompileOptions { proof_size }).unwrap();
    (tmp, settings)
}

/// A proof size budget takes 1l_conv_transpose, whose fastest circuit (k=11) has 3,328-byte
/// proofs, to a larger k with fewer columns: both visibilities then prove and verify within 2 KB,
/// accurately. By default it keeps the fastest circuit, since the 2 KB one needs more than twice
/// its proving work.
#[test]
fn a_proof_size_budget_takes_fewer_taller_columns() {
    let model = "1l_conv_transpose";
    let (_fastest_dir, fastest) = compiled_with(model, ProofSize::Any);
    let (_default_dir, default) = compiled_with(model, ProofSize::default());
    let json = |settings: &zkml_prover::Settings| serde_json::to_value([&settings.public, &settings.private]).unwrap();
    assert_eq!(json(&default), json(&fastest));
    let (tmp, settings) = compiled_with(model, ProofSize::AtMost(2048));
    let dir = tmp.path();
    assert!(settings.k() > fastest.k(), "k {} against the fastest circuit's {}", settings.k(), fastest.k());
    let fastest_bytes = proof_bytes(&fastest.public);
    assert!(fastest_bytes > 2048, "the fastest circuit's proofs ({fastest_bytes} bytes) already fit");
    setup(dir, SrsSource::Dev).unwrap();
    for visibility in Visibility::ALL {
        let proof = prove(dir, &input(model), fr_from_hex("0x1234").unwrap(), visibility).unwrap();
        verify(dir, &proof).unwrap();
        let bytes = proof.proof_bytes().unwrap().len();
        assert!(bytes <= 2048, "{}: {bytes} bytes", visibility.name());
        assert_accurate(model, &proof);
    }
}

/// By default 4l_relu_conv_fc trades its fastest circuit (k=13, 2,912-byte proofs) for a taller,
/// narrower one whose proofs fit 2 KB, as its proving work is less than twice as much. That
/// circuit proves and verifies in `larger_milestone_models_prove_and_verify_accurately`.
#[test]
fn the_default_keeps_proofs_within_2kb_where_that_is_cheap() {
    let model = "4l_relu_conv_fc";
    let (_dir, fastest) = compiled_with(model, ProofSize::Any);
    let default = zkml_circuit::artifacts::ArtifactDir(artifacts(model).into()).load_settings().unwrap();
    assert!(proof_bytes(&fastest.public) > 2048, "the fastest circuit's proofs already fit");
    for (variant, fastest) in [(&default.public, &fastest.public), (&default.private, &fastest.private)] {
        assert!(proof_bytes(variant) <= 2048, "{} bytes", proof_bytes(variant));
        assert!(variant.circuit.k() >= fastest.circuit.k());
    }
    assert!(default.k() > fastest.k(), "k {} against the fastest circuit's {}", default.k(), fastest.k());
}

/// A budget below the smallest proof any circuit of the model has is refused, and says so.
#[test]
fn an_unreachable_proof_size_budget_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let options = CompileOptions { proof_size: ProofSize::AtMost(1024) };
    let path = zkml_prover::corpus::model("1l_mlp").join("network.onnx");
    let err = compile_with(&path, &input("1l_mlp"), tmp.path(), options).unwrap_err();
    // A single column, 50 elements, is as small as 1l_mlp's proofs get.
    assert!(matches!(err, Error::ProofBudget { budget: 1024, smallest: 1600 }), "{err}");
    assert!(!tmp.path().join("settings.json").exists(), "nothing is written for a refused budget");
}

/// A causal self-attention block (self_attention: layer norms, a masked softmax, a GELU MLP):
/// `Where` on its constant mask is data movement, chosen at compile time, and the quantised
/// layout tracks tract within the accuracy bound. (It compiles at k=20, too large to prove in a
/// CI run.)
#[test]
fn a_constant_attention_mask_is_data_movement() {
    use zkml_circuit::ir::Op;

    let path = zkml_prover::corpus::model("self_attention").join("network.onnx");
    let model = zkml_prover::graph::Model::load(&path).unwrap();
    let mask = model.graph.nodes.iter().find(|n| n.name == "/attention/Where").expect("the masked scores");
    let Op::Gather { sources } = &mask.op else { panic!("the mask is not data movement: {:?}", mask.op) };
    // `Where(mask == 0, −10, scores)` on 4 heads of 64×64 causal scores: in each head the 64·65/2
    // on or below the diagonal come from the scores (the second operand), the others are −10.
    let constant = model.graph.nodes[mask.inputs[0]].len();
    let from_scores = sources.iter().filter(|s| s.is_some_and(|s| s >= constant)).count();
    assert_eq!((sources.len(), from_scores), (4 * 64 * 64, 4 * 64 * 65 / 2));

    let input = input("self_attention");
    let (_, outputs) = zkml_prover::api::calibrate(&model, &input, 8).unwrap();
    let reference = model.run_float(&input).unwrap();
    let bound = accuracy_bound(&reference);
    for (quantised, r) in outputs.iter().flatten().zip(reference.iter().flatten()) {
        assert!((quantised - r).abs() <= bound, "{quantised} vs float {r} (bound {bound})");
    }
}
