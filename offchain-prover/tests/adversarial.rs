//! The malicious prover, who writes any witness: targeted attacks on the circuit's bounds, and
//! witness mutation of corpus models that cover every operator family. MockProver must reject
//! every witness whose public instances are not the model's true inference.

use std::path::Path;

use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::gates::{GateChip, GateInstructions};
use halo2_base::halo2_proofs::dev::{MockProver, VerifyFailure};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::plonk::Assigned;
use rand_chacha::rand_core::SeedableRng;
use zkml_circuit::circuit::functions::FunctionTable;
use zkml_circuit::circuit::layout::{FunctionValues, Inference, ParamBits};
use zkml_circuit::circuit::{build, Built, Shape};
use zkml_circuit::ir::{Function, FunctionOp, Graph, Node, Op};
use zkml_circuit::quantize::{to_field, Quantization};
use zkml_prover::graph::Model;
use zkml_prover::mutation;
use zkml_prover::Visibility;

/// Scale 2^7; lookups on [-4, 4).
const Q: Quantization = Quantization { scale: 7, bits: 16, table_bits: 10 };
const K: usize = 12;

/// A model of two [1, 1] inputs, `[f0(in0), f1(in1)]`, for the functions `ops`.
fn two_functions(ops: [FunctionOp; 2]) -> Model {
    let node = |name: &str, op, inputs| Node { name: name.into(), op, inputs, shape: vec![1, 1] };
    let graph = Graph {
        input_shapes: vec![vec![1, 1]; 2],
        functions: ops.map(|op| Function { name: format!("{op:?}"), op, addend: 0.0 }).to_vec(),
        nodes: vec![
            node("in0", Op::Input(0), vec![]),
            node("in1", Op::Input(1), vec![]),
            node("f0", Op::Lookup { table: 0 }, vec![0]),
            node("f1", Op::Lookup { table: 1 }, vec![1]),
        ],
        outputs: vec![2, 3],
        ..Default::default()
    };
    // Sigmoid and tanh are tract's own operators: no ONNX file is read.
    Model::lowered(Path::new("built-for-the-test.onnx"), graph)
}

/// The honest circuit of `model` on `inputs` (fixed point), for MockProver.
fn honest(model: &Model, functions: &FunctionTable, inputs: &[Vec<i64>]) -> Built {
    let inference = Inference {
        graph: &model.graph,
        params: &[],
        param_bits: ParamBits { weight: 8, bias: 8 },
        inputs,
        input_blinding: None,
        binding: Fr::from(99),
        functions: FunctionValues::Table(functions),
    };
    let shape = Shape::Size { k: K, lookup_bits: K - 3, weight_bits: None };
    build(CircuitBuilderStage::Mock, shape, Q, &inference, Some(&functions.rows())).unwrap()
}

fn failures(built: &Built, instances: &[Fr]) -> Vec<VerifyFailure> {
    let prover = MockProver::run(K as u32, &built.circuit, vec![instances.to_vec()]).unwrap();
    prover.verify().err().unwrap_or_default()
}

/// Sets the gate cell at `offset` to `value`.
fn write(built: &mut Built, offset: usize, value: Fr) {
    built.circuit.builder.main(0).advice[offset] = Assigned::Trivial(value);
}

#[test]
fn a_lookup_cannot_answer_from_another_functions_rows() {
    // The attack of issue 24 on main 5c4ed2d: the model [Sigmoid(in0), Tanh(in1)] at scale 2^7,
    // in0 = 2^40 − 2^7, whose tagged key x + 1·2^40 was tanh's key for −1 (x + 2·2^40 with
    // x = −2^7): the proof claimed sigmoid = tanh(−1) = −97/128, and verified.
    let model = two_functions([FunctionOp::Sigmoid, FunctionOp::Tanh]);
    let functions = FunctionTable::sample(&model.graph, &model, &Q).unwrap();
    let minus_one = -(1i64 << Q.scale);
    let tanh_of_minus_one = functions.value(1, minus_one.into()).unwrap();
    assert_eq!(tanh_of_minus_one, -97);
    let mut built = honest(&model, &functions, &[vec![minus_one], vec![minus_one]]);
    let mut instances = built.laid.instances.clone();
    assert!(failures(&built, &instances).is_empty(), "the honest witness");
    // Instances: commitment, in0, in1, sigmoid(in0), tanh(in1), binding.
    let sigmoid = built.circuit.lookups[0];
    assert_eq!(instances[3], *sigmoid.value.value());
    // The malicious witness: in0 and the lookup's key are 2^40 − 2^7, its value tanh(−1); the
    // input cell, its instance, the key and the claimed output all agree.
    let in0 = to_field((1i128 << 40) - (1 << Q.scale));
    let input_cell = built.circuit.builder.assigned_instances[0][1].cell.unwrap().offset;
    write(&mut built, input_cell, in0);
    write(&mut built, sigmoid.key.cell.unwrap().offset, in0);
    write(&mut built, sigmoid.value.cell.unwrap().offset, to_field(tanh_of_minus_one.into()));
    instances[1] = in0;
    instances[3] = to_field(tanh_of_minus_one.into());
    let found = failures(&built, &instances);
    // The function lookup itself refuses the key, whatever else does (the input's range check).
    assert!(
        found.iter().any(|f| matches!(f, VerifyFailure::Lookup { .. })),
        "no lookup refused the aliased key: {found:?}"
    );
    // The same key claiming tanh's value within sigmoid's own domain: x = −1 with tanh(−1).
    let mut built = honest(&model, &functions, &[vec![minus_one], vec![minus_one]]);
    let mut instances = built.laid.instances.clone();
    write(&mut built, sigmoid.value.cell.unwrap().offset, to_field(tanh_of_minus_one.into()));
    instances[3] = to_field(tanh_of_minus_one.into());
    assert!(failures(&built, &instances).iter().any(|f| matches!(f, VerifyFailure::Lookup { .. })));
}

#[test]
fn a_public_input_is_range_checked_in_the_circuit() {
    // An identity model: the input is its own output. The honest prover refuses an input outside
    // the settings' width; a malicious one that writes it anyway, consistently in the input cell
    // and both instances, is caught by the input's range check alone.
    let graph = Graph {
        input_shapes: vec![vec![1, 1]],
        nodes: vec![Node { name: "in".into(), op: Op::Input(0), inputs: vec![], shape: vec![1, 1] }],
        outputs: vec![0],
        ..Default::default()
    };
    let model = Model::lowered(Path::new("built-for-the-test.onnx"), graph);
    let functions = FunctionTable::default();
    let mut built = honest(&model, &functions, &[vec![5]]);
    let mut instances = built.laid.instances.clone();
    assert!(failures(&built, &instances).is_empty(), "the honest witness");
    let input_cell = built.circuit.builder.assigned_instances[0][1].cell.unwrap().offset;
    for wide in [1i128 << (Q.bits - 1), -(1 << (Q.bits - 1)) - 1, 1 << 100] {
        write(&mut built, input_cell, to_field(wide));
        instances[1] = to_field(wide);
        instances[2] = to_field(wide);
        assert!(!failures(&built, &instances).is_empty(), "input {wide} accepted");
    }
    // And the honest prover says why before proving.
    let inference = Inference {
        graph: &model.graph,
        params: &[],
        param_bits: ParamBits { weight: 8, bias: 8 },
        inputs: &[vec![1 << (Q.bits - 1)]],
        input_blinding: None,
        binding: Fr::from(99),
        functions: FunctionValues::Table(&functions),
    };
    let shape = Shape::Size { k: K, lookup_bits: K - 3, weight_bits: None };
    let refused = build(CircuitBuilderStage::Mock, shape, Q, &inference, Some(&[]));
    assert!(matches!(refused, Err(zkml_prover::Error::OutOfRange { ref node, .. }) if node == "inputs"));
}

#[test]
fn a_cell_no_constraint_holds_is_found() {
    // The check itself: a witness cell that no gate, copy or lookup reads is reported as
    // accepted, while its neighbour, an honest cell of the model, is not.
    let work = tempfile::tempdir().unwrap();
    let (compiled, input) = mutation::compile(&zkml_prover::corpus::model("1l_mlp"), work.path()).unwrap();
    let mut built = mutation::honest(&compiled, &input, Visibility::Public).unwrap();
    let ctx = built.circuit.builder.main(0);
    let last = ctx.advice.len() - 1;
    ctx.load_witness(Fr::from(5));
    // And `is_zero(0)`, whose inverse hint, the third of its eight cells, is free by design.
    let zero = ctx.load_zero();
    let hint = ctx.advice.len() + 2;
    GateChip::<Fr>::default().is_zero(ctx, zero);
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let functions = compiled.functions();
    let cell = |offset| mutation::Mutation::Cell { offset };
    assert!(mutation::accepts(&mut built, cell(last + 1), functions, &mut rng));
    assert!(!mutation::free_by_design(&built.circuit, last + 1));
    assert!(!mutation::accepts(&mut built, cell(last), functions, &mut rng));
    assert!(mutation::accepts(&mut built, cell(hint), functions, &mut rng));
    assert!(mutation::free_by_design(&built.circuit, hint));
    // Its neighbours, the input and the result, are held.
    for offset in [hint - 1, hint - 2] {
        assert!(!mutation::accepts(&mut built, cell(offset), functions, &mut rng), "{offset}");
        assert!(!mutation::free_by_design(&built.circuit, offset));
    }
}

#[test]
fn every_mutation_of_an_honest_witness_is_rejected() {
    // 40 mutations of each of the models that together lay out every operator family.
    const MUTATIONS: usize = 40;
    let mut total = mutation::Report::default();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(24);
    for model in zkml_prover::corpus::OPERATOR_FAMILIES {
        let work = tempfile::tempdir().unwrap();
        let report = mutation::campaign(&zkml_prover::corpus::model(model), work.path(), MUTATIONS, &mut rng)
            .unwrap_or_else(|e| panic!("{model}: {e}"));
        assert!(report.accepted.is_empty(), "{model}: accepted mutations {:?}", report.accepted);
        assert_eq!((report.tried, report.rejected + report.free_by_design), (MUTATIONS, MUTATIONS), "{model}");
        total.merge(report);
    }
    let expected = MUTATIONS * zkml_prover::corpus::OPERATOR_FAMILIES.len();
    assert_eq!(total.tried, expected);
    // Free cells are rare hints: nearly every mutation must meet a constraint.
    assert!(total.rejected * 50 >= total.tried * 49, "{total:?}");
}
