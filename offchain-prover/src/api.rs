//! The compiler's verbs: `run` (the float reference) and `compile` (calibration, function
//! sampling and circuit sizing). The verbs that work from compiled artifacts are
//! `zkml_circuit::api`'s.

use std::path::Path;

use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use sha2::{Digest, Sha256};
use zkml_circuit::artifacts::{read_limited, Accuracy, ArtifactDir, Settings, Variant, Visibility, SETTINGS_VERSION};
use zkml_circuit::circuit::chip::Ranges;
use zkml_circuit::circuit::functions::FunctionTable;
use zkml_circuit::circuit::layout::{quantize_params, FunctionValues, Inference, ParamBits};
use zkml_circuit::circuit::{build, hash_rows, measure, Built, Shape};
use zkml_circuit::error::{Error, Result};
use zkml_circuit::input::InputData;
use zkml_circuit::pfsys::srs;
use zkml_circuit::proof::fr_to_hex;
use zkml_circuit::quantize::{bit_length, dequantize_all, Quantization};
use zkml_verifier::{CircuitParams, ProofShape, MINIMUM_ROWS};

use crate::graph::{Model, MAX_MODEL_FILE_BYTES};

/// Scales calibration tries, smallest first: smaller scales give smaller circuits.
const SCALES: std::ops::RangeInclusive<u32> = 6..=16;
/// Columns per kind beyond which compilation grows k instead, keeping verification fast and the
/// proof small. A chain accepts wider circuits (`zkml_primitives::MAX_ADVICE_COLUMNS` and the
/// like), which other compilers may write.
const PREFERRED_MAX_COLUMNS: usize = 16;
const MIN_K: u32 = 8;
/// Largest k chosen for the sake of a single advice column (see `size_circuit`).
const SINGLE_COLUMN_MAX_K: u32 = 12;

/// Float inference with tract: the reference the proved outputs are held to.
pub fn run(model_path: &Path, input: &InputData) -> Result<Vec<Vec<f64>>> {
    Model::load(model_path)?.run_float(input)
}

/// The accuracy bound on `reference`: 1% of its largest magnitude, or 1e-2 absolute when all
/// of it is below 1.
pub fn accuracy_bound(reference: &[Vec<f64>]) -> f64 {
    let max = reference.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    if max < 1.0 {
        1e-2
    } else {
        0.01 * max
    }
}

fn max_error(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    a.iter().flatten().zip(b.iter().flatten()).fold(0.0, |m, (x, y)| m.max((x - y).abs()))
}

/// The proof size that compilation aims for unless told otherwise: 64 proof elements, room for
/// four gate columns with their lookups and permutation.
pub const DEFAULT_PROOF_BYTES: usize = 2048;
/// How much more proving work (by [`proving_cost`]) [`ProofSize::Preferably`] accepts for a proof
/// within its size: on 4l_relu_conv_fc and lenet_5 the 2 KB circuits cost 1.2–1.5× the fastest.
const SIZE_COST_FACTOR: u64 = 2;

/// How compilation weighs a circuit's proof size against its proving time. Fewer, taller columns
/// make a smaller proof at a larger k, and a slower one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofSize {
    /// The fastest circuit, whatever the size of its proofs.
    Any,
    /// The fastest circuit whose proofs fit, unless it needs more than `SIZE_COST_FACTOR` times
    /// the fastest circuit's proving work: then the fastest.
    Preferably(usize),
    /// Only a circuit whose proofs fit (a chain's proof size limit, say); compilation fails
    /// where there is none.
    AtMost(usize),
}

impl Default for ProofSize {
    fn default() -> Self {
        ProofSize::Preferably(DEFAULT_PROOF_BYTES)
    }
}

/// What compilation may trade for what.
#[derive(Clone, Copy, Debug, Default)]
pub struct CompileOptions {
    /// The size of the proofs of either input visibility.
    pub proof_size: ProofSize,
}

/// Compiles `model_path` into `out` with the default options (see [`compile_with`]).
pub fn compile(model_path: &Path, input: &InputData, out: &Path) -> Result<Settings> {
    compile_with(model_path, input, out, CompileOptions::default())
}

/// Compiles `model_path` into `out`: calibrates the fixed-point scales on `input` and sizes the
/// circuit for both input visibilities.
pub fn compile_with(model_path: &Path, input: &InputData, out: &Path, options: CompileOptions) -> Result<Settings> {
    let onnx = read_limited(model_path, "ONNX model", MAX_MODEL_FILE_BYTES)?;
    let model = Model::load(model_path)?;
    let reference = model.run_float(input)?;
    let bound = accuracy_bound(&reference);

    // Calibration: the smallest scale whose error is within half the bound, else the most
    // accurate one within the bound.
    let mut best: Option<(u32, f64, Ranges)> = None;
    for scale in SCALES {
        let (ranges, outputs) = calibrate(&model, input, scale)?;
        let error = max_error(&outputs, &reference);
        if best.is_none_or(|(_, e, _)| error < e) {
            best = Some((scale, error, ranges));
        }
        if error <= bound / 2.0 {
            break;
        }
    }
    let (scale, error, measured) = best.expect("at least one scale");
    if error > bound {
        return Err(Error::Accuracy { error, bound });
    }
    let params = quantize_params(&model.graph, scale)?;
    let inputs = input.quantize(scale)?;
    let param_bits = ParamBits::measure(&model.graph, &params);
    // One bit of headroom over what calibration saw, so nearby inputs prove too.
    let input_bits = bit_length(inputs.iter().flatten().map(|v| v.unsigned_abs() as u128).max().unwrap_or(0)) + 1;
    let bits = measured.value_bits.max(input_bits).max(scale + 2) + 1;
    let table_bits = if model.graph.functions.is_empty() { 0 } else { measured.table_bits + 1 };
    let q = Quantization { scale, bits, table_bits };
    let functions = FunctionTable::sample(&model.graph, &model, &q)?;
    let table = functions.rows();

    let mut variants = vec![];
    for visibility in Visibility::ALL {
        let inference = Inference {
            graph: &model.graph,
            params: &params,
            param_bits,
            inputs: &inputs,
            input_blinding: (visibility == Visibility::Private).then_some(Fr::zero()),
            binding: Fr::zero(),
            functions: FunctionValues::Table(&functions),
        };
        let built = size_circuit(q, &inference, &table, options.proof_size)?;
        let num_instances = built.laid.instances.len();
        variants.push((Variant { circuit: built.circuit.params.clone(), num_instances }, built.laid));
    }
    let (private, _) = variants.pop().expect("two variants");
    let (public, laid) = variants.pop().expect("two variants");

    std::fs::create_dir_all(out).map_err(Error::io(out))?;
    let dir = ArtifactDir(out.into());
    std::fs::write(dir.onnx(), &onnx).map_err(Error::io(dir.onnx()))?;
    dir.save_graph(&model.graph)?;
    dir.save_functions(&functions)?;
    zkml_circuit::artifacts::write_json(&dir.calibration(), input)?;
    let settings = Settings {
        version: SETTINGS_VERSION,
        onnx_sha256: hex::encode(Sha256::digest(&onnx)),
        model_commitment: fr_to_hex(&laid.instances[0]),
        input_shapes: model.graph.input_shapes.clone(),
        output_shapes: model.graph.output_shapes(),
        quantization: q,
        param_bits,
        accuracy: Accuracy { max_error: error, bound },
        public,
        private,
    };
    dir.save_settings(&settings)?;
    Ok(settings)
}

/// The ranges and outputs of `model` on `input` quantised at `scale`, from a witness-only layout
/// that enforces no bounds: one calibration step of [`compile`].
pub fn calibrate(model: &Model, input: &InputData, scale: u32) -> Result<(Ranges, Vec<Vec<f64>>)> {
    let params = quantize_params(&model.graph, scale)?;
    let inputs = input.quantize(scale)?;
    let inference = Inference {
        graph: &model.graph,
        params: &params,
        param_bits: ParamBits::UNBOUNDED,
        inputs: &inputs,
        input_blinding: None,
        binding: Fr::zero(),
        functions: FunctionValues::Float(model),
    };
    let (ranges, laid) = measure(scale, &inference)?;
    Ok((ranges, dequantize_all(&laid.outputs, scale)))
}

/// Relative proving cost of a circuit shape. Every advice column is committed and extended at
/// 2^k rows, and a circuit carries about six more polynomials (the Poseidon columns, instances,
/// permutation and lookup products) whatever its width. On 4l_relu_conv_fc, k=13 with 11
/// columns proves in 0.7× the time of k=14 with 6, as this model predicts.
fn proving_cost(p: &CircuitParams) -> u64 {
    let copied = if p.in_place() { 0 } else { p.range_columns + 2 * p.lookup_columns };
    columns_cost(p.base.num_advice_per_phase[0] + copied, p.base.k as u32)
}

fn columns_cost(advice: usize, k: u32) -> u64 {
    ((advice + 6) as u64) << k
}

/// Chooses the circuit of `inference` for the proof size asked for (see [`ProofSize`] and
/// [`fastest_circuit`]).
fn size_circuit(q: Quantization, inference: &Inference, table: &[[Fr; 3]], size: ProofSize) -> Result<Built> {
    let bytes = |built: &Built| ProofShape::of_params(&built.circuit.params).bytes();
    match size {
        ProofSize::Any => fastest_circuit(q, inference, table, None, u64::MAX),
        ProofSize::AtMost(budget) => fastest_circuit(q, inference, table, Some(budget), u64::MAX),
        ProofSize::Preferably(budget) => {
            let fastest = fastest_circuit(q, inference, table, None, u64::MAX)?;
            if bytes(&fastest) <= budget {
                return Ok(fastest);
            }
            let max_cost = SIZE_COST_FACTOR.saturating_mul(proving_cost(&fastest.circuit.params));
            match fastest_circuit(q, inference, table, Some(budget), max_cost) {
                Ok(small) if proving_cost(&small.circuit.params) <= max_cost => Ok(small),
                // Nothing within the budget at that cost (the search may stop before a fit).
                Ok(_) | Err(Error::ProofBudget { .. } | Error::CircuitTooLarge { .. }) => {
                    tracing::info!(
                        budget,
                        proof_bytes = bytes(&fastest),
                        "no circuit within the proof size costs at most {SIZE_COST_FACTOR}× the fastest: taking the fastest"
                    );
                    Ok(fastest)
                }
                Err(e) => Err(e),
            }
        }
    }
}

/// Chooses k for `inference`'s circuit. Small circuits take the smallest k (up to
/// `SINGLE_COLUMN_MAX_K`) at which halo2-base needs a single advice column, which also carries
/// all its lookups in place: the smallest proof and vk, at a proving time still far below a second.
/// Larger ones take the k of least [`proving_cost`] with at most `PREFERRED_MAX_COLUMNS` columns,
/// which bounds the verifier's work and the proof's size. With `max_proof_bytes`, circuits whose
/// proofs exceed it are passed over, and the search stops at the k from which every circuit costs
/// more than `max_cost`.
fn fastest_circuit(
    q: Quantization,
    inference: &Inference,
    table: &[[Fr; 3]],
    max_proof_bytes: Option<usize>,
    max_cost: u64,
) -> Result<Built> {
    // The lookup table lies below the Poseidon region.
    let above_table = hash_rows(q, inference)?;
    let first_k = MIN_K.max(bit_length((above_table + table.len() + 2 + MINIMUM_ROWS) as u128));
    let mut best: Option<Built> = None;
    // The smallest proof passed over for the budget, for the error if nothing fits.
    let mut smallest_over: Option<usize> = None;
    for k in first_k..=srs::MAX_PROVER_K {
        // Even a single column costs more from here on.
        if columns_cost(1, k) > max_cost {
            break;
        }
        // The range rows share the table with the function rows, and with the weight rows where
        // those take at most a quarter of it: then a weight's bound is a single lookup, and the
        // widest common range check, a sign split's `bits − 1`, should be one too. Without weight
        // rows the weights' checks are range checks, one lookup each at the weights' width.
        let taken = above_table + table.len();
        let Some(free_rows) = ((1usize << k) - MINIMUM_ROWS - 1).checked_sub(taken).filter(|&r| r > 1) else {
            continue;
        };
        let weight = inference.param_bits.weight;
        let weight_bits = (weight + 2 < usize::BITS && 1 << (weight + 2) <= free_rows).then_some(weight);
        let (widest, free_rows) = match weight_bits {
            Some(w) => (q.bits - 1, free_rows - (1 << w)),
            None => (weight.max(q.bits - 1), free_rows),
        };
        let lookup_bits = (widest as usize).min(free_rows.ilog2() as usize);
        let shape = Shape::Size { k: k as usize, lookup_bits, weight_bits };
        let built = match build(CircuitBuilderStage::Keygen, shape, q, inference, Some(table)) {
            Err(Error::TooManyRows { .. }) => continue,
            built => built?,
        };
        let p = &built.circuit.params;
        let advice = p.base.num_advice_per_phase[0];
        if let Some(budget) = max_proof_bytes {
            let bytes = ProofShape::of_params(p).bytes();
            if bytes > budget {
                smallest_over = Some(smallest_over.map_or(bytes, |smallest| smallest.min(bytes)));
                // A single column is as small as a proof gets: more rows cannot help.
                if advice == 1 {
                    break;
                }
                continue;
            }
        }
        if advice == 1 && k <= SINGLE_COLUMN_MAX_K {
            return Ok(built);
        }
        if advice > PREFERRED_MAX_COLUMNS
            || p.range_columns > PREFERRED_MAX_COLUMNS
            || p.lookup_columns > PREFERRED_MAX_COLUMNS
        {
            continue;
        }
        match &best {
            Some(b) if proving_cost(&b.circuit.params) <= proving_cost(p) => {
                if k >= SINGLE_COLUMN_MAX_K {
                    break;
                }
            }
            _ => best = Some(built),
        }
    }
    match (best, max_proof_bytes.zip(smallest_over)) {
        (Some(built), _) => Ok(built),
        (None, Some((budget, smallest))) => Err(Error::ProofBudget { budget, smallest }),
        (None, None) => Err(Error::CircuitTooLarge { k: srs::MAX_PROVER_K + 1, max: srs::MAX_PROVER_K }),
    }
}
