//! MockProver checks of whole model circuits: the honest witness satisfies every constraint, and
//! a wrong output, a wrong lookup value or a wrong parameter does not.

use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::dev::MockProver;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::plonk::Assigned;
use zkml_circuit::circuit::functions::FunctionTable;
use zkml_circuit::circuit::layout::{quantize_params, FunctionValues, Inference, ParamBits};
use zkml_circuit::circuit::{build, Built, Shape};
use zkml_circuit::quantize::{quantize, Quantization};
use zkml_prover::graph::Model;
use zkml_prover::InputData;

const K: usize = 13;

fn built(model: &str) -> (Built, Vec<Fr>) {
    let dir = zkml_prover::corpus::model(model);
    let model = Model::load(&dir.join("network.onnx")).unwrap();
    let input = InputData::load(&dir.join("input.json")).unwrap();
    let q = Quantization { scale: 7, bits: 16, table_bits: 12 };
    let params = quantize_params(&model.graph, q.scale).unwrap();
    let inputs: Vec<Vec<i64>> =
        input.input_data.iter().map(|r| r.iter().map(|&v| quantize(v, q.scale).unwrap()).collect()).collect();
    let param_bits = ParamBits::measure(&model.graph, &params);
    let functions = FunctionTable::sample(&model.graph, &model, &q).unwrap();
    let inference = Inference {
        graph: &model.graph,
        params: &params,
        param_bits,
        inputs: &inputs,
        input_blinding: None,
        binding: Fr::from(99),
        functions: FunctionValues::Table(&functions),
    };
    let table = functions.rows();
    let shape = Shape::Size { k: K, lookup_bits: K - 2, weight_bits: Some(param_bits.weight) };
    let built = build(CircuitBuilderStage::Mock, shape, q, &inference, Some(&table)).unwrap();
    let instances = built.laid.instances.clone();
    (built, instances)
}

fn satisfied(built: &Built, instances: Vec<Fr>) -> bool {
    MockProver::run(K as u32, &built.circuit, vec![instances]).unwrap().verify().is_ok()
}

#[test]
fn honest_witness_satisfies_and_wrong_outputs_do_not() {
    // 4l_relu_conv_fc takes several gate columns, so its lookups are copied to columns of their own.
    for model in ["1l_mlp", "2l_relu_sigmoid_small", "1l_max_pool", "4l_relu_conv_fc"] {
        let (built, instances) = built(model);
        assert_eq!(built.circuit.params.in_place(), model != "4l_relu_conv_fc", "{model}");
        // 1l_max_pool has no parameters.
        assert_eq!(built.circuit.weight_lookups.is_empty(), model == "1l_max_pool", "{model}");
        assert!(satisfied(&built, instances.clone()), "{model}");
        // A claimed output one unit off.
        let mut wrong = instances.clone();
        let output = wrong.len() - 2;
        wrong[output] += Fr::one();
        assert!(!satisfied(&built, wrong), "{model}: wrong output accepted");
        // Another model commitment.
        let mut wrong = instances;
        wrong[0] += Fr::one();
        assert!(!satisfied(&built, wrong), "{model}: wrong commitment accepted");
    }
}

#[test]
fn the_gate_holds_at_every_position_of_a_row() {
    // 4l_relu_conv_fc's cells run row by row across its gate columns: a gate starts at each
    // position of a row, and each position has a selector and gate of its own.
    let (mut built, instances) = built("4l_relu_conv_fc");
    let width = built.circuit.params.base.num_advice_per_phase[0];
    assert!(width >= 3, "{width} gate columns");
    let gates = built.circuit.builder.main(0).selector.clone();
    for start in 0..width {
        let gate = (start..gates.len()).step_by(width).find(|&i| gates[i]).expect("a gate at this position");
        // The gate's output `d`, three cells on: in the next row when the gate starts late in one.
        let output = built.circuit.builder.main(0).advice[gate + 3];
        built.circuit.builder.main(0).advice[gate + 3] = Assigned::Trivial(output.evaluate() + Fr::one());
        let failures =
            MockProver::run(K as u32, &built.circuit, vec![instances.clone()]).unwrap().verify().unwrap_err();
        built.circuit.builder.main(0).advice[gate + 3] = output;
        let expected = format!("in gate {start} ('a + b·c = d')");
        assert!(
            failures.iter().any(|f| f.to_string().contains(&expected)),
            "position {start}: no failure of its gate among {failures:?}"
        );
    }
    assert!(satisfied(&built, instances));
}

#[test]
fn a_wrong_parameter_witness_is_rejected() {
    let (mut built, instances) = built("1l_mlp");
    // Parameters are laid out first, right after the start of the commitment's packing chain.
    let ctx = built.circuit.builder.main(0);
    let weight = ctx.advice[1].evaluate();
    ctx.advice[1] = Assigned::Trivial(weight + Fr::one());
    assert!(!satisfied(&built, instances));
}

#[test]
fn a_wrong_lookup_value_violates_the_function_table() {
    let (mut built, mut instances) = built("1l_sigmoid");
    // Change the claimed sigmoid value consistently everywhere it is copied (the advice cell, the
    // lookup column and the public output), so that only the table can catch it.
    let y = &mut built.circuit.lookups[0].value;
    let original = y.value.evaluate();
    let tampered = Assigned::Trivial(original + Fr::one());
    // Instances: commitment, 3 inputs, then the outputs.
    assert_eq!(instances[4], original);
    instances[4] = original + Fr::one();
    y.value = tampered;
    let offset = y.cell.unwrap().offset;
    built.circuit.builder.main(0).advice[offset] = tampered;
    assert!(!satisfied(&built, instances));
}

#[test]
fn top_k_outputs_are_constrained_in_order() {
    // 1l_topk publishes the 4 largest of 6 values, largest first: any of them changed, or two of
    // them swapped, leaves the circuit unsatisfied.
    let (built, instances) = built("1l_topk");
    assert!(satisfied(&built, instances.clone()));
    let outputs = instances.len() - 5..instances.len() - 1;
    let values: Vec<i128> = instances[outputs.clone()].iter().map(zkml_circuit::quantize::from_field).collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
    for i in outputs.clone() {
        let mut wrong = instances.clone();
        wrong[i] -= Fr::one();
        assert!(!satisfied(&built, wrong), "output {i} one unit lower accepted");
    }
    let mut swapped = instances;
    swapped.swap(outputs.start, outputs.start + 1);
    assert!(!satisfied(&built, swapped), "outputs out of order accepted");
}

#[test]
fn gathered_rows_are_constrained_to_the_rows_their_indices_name() {
    // gather_nd: 270 data, 15 indices, 270 outputs (15 rows of 18). Output row 0 claimed to be
    // another data row than its index names, or its index claimed another value, is unsatisfied.
    let (built, instances) = built("gather_nd");
    assert!(satisfied(&built, instances.clone()));
    let (data, index, outputs) = (1, 271, 286);
    let named = (zkml_circuit::quantize::from_field(&instances[index]) >> 7) as usize;
    let other = (named + 1) % 15;
    let row = |r: usize| instances[data + r * 18..data + (r + 1) * 18].to_vec();
    assert_eq!(instances[outputs..outputs + 18], row(named));
    assert_ne!(row(other), row(named));
    let mut wrong = instances.clone();
    wrong[outputs..outputs + 18].copy_from_slice(&row(other));
    assert!(!satisfied(&built, wrong), "another row accepted");
    let mut wrong = instances;
    wrong[index] = Fr::from((other as u64) << 7);
    assert!(!satisfied(&built, wrong), "another index accepted");
}
