//! The library API, one function per CLI verb: `run`, `compile`, `setup`, `prove`, `verify`.

use std::path::Path;
use std::time::Instant;

use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use halo2_base::halo2_proofs::plonk::{ProvingKey, VerifyingKey};
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
use rand_chacha::rand_core::SeedableRng;
use sha2::{Digest, Sha256};

use crate::artifacts::{read_limited, Accuracy, ArtifactDir, Settings, Variant, Visibility, SETTINGS_VERSION};
use crate::circuit::chip::Ranges;
use crate::circuit::functions::FunctionTable;
use crate::circuit::layout::{quantize_params, FunctionValues, Inference, ParamBits};
use crate::circuit::{build, hash_rows, input_commitment, measure, Built, Shape};
use crate::error::{Error, Result};
use crate::graph::{Model, MAX_MODEL_FILE_BYTES};
use crate::input::{check_lengths, InputData};
use crate::pfsys::{self, srs};
use crate::proof::{fr_from_hex, fr_to_hex, InputOpening, ProofFile, Timings};
use crate::quantize::{bit_length, dequantize, quantize, Quantization};
use zkml_verifier::kzg::{dev_srs, VerifierParams};
use zkml_verifier::{vk_from_bytes, vk_to_bytes, CircuitParams, ProofShape, MINIMUM_ROWS};

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

fn quantize_inputs(input: &InputData, scale: u32) -> Result<Vec<Vec<i64>>> {
    input
        .input_data
        .iter()
        .enumerate()
        .map(|(index, row)| {
            row.iter()
                .enumerate()
                .map(|(position, &v)| quantize(v, scale).ok_or(Error::NonFinite { index, position, value: v }))
                .collect()
        })
        .collect()
}

fn dequantize_all(values: &[Vec<i128>], scale: u32) -> Vec<Vec<f64>> {
    values.iter().map(|row| row.iter().map(|&v| dequantize(v, scale)).collect()).collect()
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
    let params = quantize_params(&model, scale)?;
    let inputs = quantize_inputs(input, scale)?;
    let param_bits = ParamBits::measure(&model, &params);
    // One bit of headroom over what calibration saw, so nearby inputs prove too.
    let input_bits = bit_length(inputs.iter().flatten().map(|v| v.unsigned_abs() as u128).max().unwrap_or(0)) + 1;
    let bits = measured.value_bits.max(input_bits).max(scale + 2) + 1;
    let table_bits = if model.graph.functions.is_empty() { 0 } else { measured.table_bits + 1 };
    let q = Quantization { scale, bits, table_bits };
    let functions = FunctionTable::sample(&model, &q)?;
    let table = functions.rows();

    let mut variants = vec![];
    for visibility in Visibility::ALL {
        let inference = Inference {
            model: &model,
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
    crate::artifacts::write_json(&dir.calibration(), input)?;
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
    let params = quantize_params(model, scale)?;
    let inputs = quantize_inputs(input, scale)?;
    let inference = Inference {
        model,
        params: &params,
        param_bits: ParamBits::UNBOUNDED,
        inputs: &inputs,
        input_blinding: None,
        binding: Fr::zero(),
        functions: FunctionValues::Float,
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

/// Where `setup` takes its SRS from.
pub enum SrsSource<'a> {
    File(&'a Path),
    /// The insecure development SRS from a fixed seed.
    Dev,
}

/// A compiled model loaded from its artifact directory: what the verbs build circuits from, and
/// what the prover's micro-benchmarks measure.
pub struct Compiled {
    dir: ArtifactDir,
    settings: Settings,
    model: Model,
    params: Vec<i64>,
    functions: FunctionTable,
    /// The function rows of the lookup table, laid out for key generation only.
    table: std::sync::OnceLock<Vec<[Fr; 3]>>,
}

impl Compiled {
    pub fn load(dir: &Path) -> Result<Self> {
        let dir = ArtifactDir(dir.into());
        let settings = dir.load_settings()?;
        let model = Model::lowered(&dir.onnx(), dir.load_graph()?);
        let params = quantize_params(&model, settings.quantization.scale)?;
        let functions = dir.load_functions()?;
        if let Some(reason) = functions.mismatch(&model, &settings.quantization) {
            return Err(Error::CorruptArtifact { what: "function table", path: dir.functions(), reason });
        }
        Ok(Compiled { dir, settings, model, params, functions, table: Default::default() })
    }

    /// Lays the inference on `input` out as `visibility`'s circuit: with constraints for key
    /// generation (`Keygen`), or witness only for proving (`Prover`, which needs `setup` first).
    /// A private input's commitment is salted with `input_blinding`.
    pub fn build(
        &self,
        stage: CircuitBuilderStage,
        visibility: Visibility,
        input: &InputData,
        binding: Fr,
        input_blinding: Fr,
    ) -> Result<Built> {
        input.check_shapes(&self.settings.input_shapes)?;
        let inputs = quantize_inputs(input, self.settings.quantization.scale)?;
        self.build_fixed(stage, visibility, &inputs, binding, input_blinding)
    }

    /// [`Compiled::build`] on inputs already quantised: fixed-point integers at the model's
    /// scale, which become the witness as they are.
    pub fn build_fixed(
        &self,
        stage: CircuitBuilderStage,
        visibility: Visibility,
        inputs: &[Vec<i64>],
        binding: Fr,
        input_blinding: Fr,
    ) -> Result<Built> {
        check_lengths(inputs.iter().map(Vec::len), &self.settings.input_shapes)?;
        let q = self.settings.quantization;
        let inference = Inference {
            model: &self.model,
            params: &self.params,
            param_bits: self.settings.param_bits,
            inputs,
            input_blinding: (visibility == Visibility::Private).then_some(input_blinding),
            binding,
            functions: FunctionValues::Table(&self.functions),
        };
        let shape = Shape::Fixed(&self.settings.variant(visibility).circuit);
        // The lookup table is fixed, so the proving key already holds it: only key generation
        // and mock proving need it laid out again.
        let functions = match stage {
            CircuitBuilderStage::Prover => None,
            _ => Some(self.table()),
        };
        build(stage, shape, q, &inference, functions)
    }

    /// The model's functions sampled on the lookup table's domain, as compiled.
    pub fn functions(&self) -> &FunctionTable {
        &self.functions
    }

    /// The function rows of the lookup table.
    fn table(&self) -> &[[Fr; 3]] {
        self.table.get_or_init(|| self.functions.rows())
    }

    /// The SRS of `visibility`'s circuit, stored at its size so that proving never downsizes.
    fn srs(&self, visibility: Visibility) -> Result<ParamsKZG<Bn256>> {
        let path = self.dir.srs(visibility);
        if !path.exists() {
            return Err(Error::NotSetUp(self.dir.0.clone()));
        }
        srs::load(&path, self.settings.variant(visibility).circuit.k())
    }
}

fn downsized(srs: &ParamsKZG<Bn256>, k: u32) -> ParamsKZG<Bn256> {
    use halo2_base::halo2_proofs::poly::commitment::Params;
    let mut params = srs.clone();
    if params.k() > k {
        params.downsize(k);
    }
    params
}

/// Generates the keys of both input visibilities from the compiled circuit and an SRS.
/// Keys are deterministic: the same circuit and SRS give the same keys.
pub fn setup(dir: &Path, source: SrsSource) -> Result<Settings> {
    let compiled = Compiled::load(dir)?;
    let k = compiled.settings.k();
    let srs = match source {
        SrsSource::File(path) => srs::load(path, k)?,
        SrsSource::Dev => dev_srs(k),
    };
    let calibration = InputData::load(&compiled.dir.calibration())?;
    for visibility in Visibility::ALL {
        let built = compiled.build(CircuitBuilderStage::Keygen, visibility, &calibration, Fr::zero(), Fr::zero())?;
        let params = downsized(&srs, built.circuit.params.k());
        let pk = pfsys::keygen(&params, &built.circuit)?;
        let shape = ProofShape::of(pk.get_vk());
        tracing::debug!(visibility = visibility.name(), proof_bytes = shape.bytes(), ?shape, "keys generated");
        std::fs::write(compiled.dir.vk(visibility), vk_to_bytes(pk.get_vk()))
            .map_err(Error::io(compiled.dir.vk(visibility)))?;
        std::fs::write(compiled.dir.pk(visibility), pfsys::pk_to_bytes(&pk))
            .map_err(Error::io(compiled.dir.pk(visibility)))?;
        srs::save(&params, &compiled.dir.srs(visibility))?;
    }
    let vparams = compiled.dir.verifier_params();
    std::fs::write(&vparams, VerifierParams::from_srs(&srs).to_bytes()).map_err(Error::io(vparams))?;
    Ok(compiled.settings)
}

fn read_key<T>(
    path: &Path,
    params: &CircuitParams,
    what: &'static str,
    parse: impl FnOnce(&[u8], &CircuitParams) -> std::io::Result<T>,
) -> Result<T> {
    if !path.exists() {
        return Err(Error::NotSetUp(path.parent().unwrap_or(path).into()));
    }
    let bytes = read_limited(path, what, 16 << 30)?;
    parse(&bytes, params).map_err(|e| Error::CorruptArtifact { what, path: path.into(), reason: e.to_string() })
}

pub fn load_vk(dir: &Path, settings: &Settings, visibility: Visibility) -> Result<VerifyingKey<G1Affine>> {
    let circuit = &settings.variant(visibility).circuit;
    read_key(&ArtifactDir(dir.into()).vk(visibility), circuit, "verifying key", vk_from_bytes)
}

fn load_pk(dir: &Path, settings: &Settings, visibility: Visibility) -> Result<ProvingKey<G1Affine>> {
    let circuit = &settings.variant(visibility).circuit;
    read_key(&ArtifactDir(dir.into()).pk(visibility), circuit, "proving key", pfsys::pk_from_bytes)
}

/// Proves the model's inference on `input`, bound to `binding`. A private input's commitment is
/// salted with a blinding drawn from the OS, returned in the proof file's `opening`.
pub fn prove(dir: &Path, input: &InputData, binding: Fr, visibility: Visibility) -> Result<ProofFile> {
    let compiled = Compiled::load(dir)?;
    input.check_shapes(&compiled.settings.input_shapes)?;
    let inputs = quantize_inputs(input, compiled.settings.quantization.scale)?;
    prove_compiled(&compiled, &inputs, &input.input_data, binding, visibility)
}

/// Proves the model's inference on a public input given as fixed-point integers at the model's
/// scale, as a chain stores them, bound to `binding`. The witness takes these integers as they
/// are, so the proof's input instances are exactly `x mod p` of each; an integer outside the
/// circuit's range fails with [`Error::OutOfRange`]. The proof file's float inputs are the
/// integers scaled back, for display only.
pub fn prove_fixed(dir: &Path, inputs: &[Vec<i64>], binding: Fr) -> Result<ProofFile> {
    let compiled = Compiled::load(dir)?;
    let floats = dequantize_all(
        &inputs.iter().map(|row| row.iter().map(|&v| i128::from(v)).collect()).collect::<Vec<_>>(),
        compiled.settings.quantization.scale,
    );
    prove_compiled(&compiled, inputs, &floats, binding, Visibility::Public)
}

/// Proves the inference on `inputs` (fixed point), recording `floats` as the input it came from.
fn prove_compiled(
    compiled: &Compiled,
    inputs: &[Vec<i64>],
    floats: &[Vec<f64>],
    binding: Fr,
    visibility: Visibility,
) -> Result<ProofFile> {
    let start = Instant::now();
    let pk = load_pk(&compiled.dir.0, &compiled.settings, visibility)?;
    tracing::debug!(ms = start.elapsed().as_millis() as u64, "proving key loaded");
    let params = compiled.srs(visibility)?;
    tracing::debug!(ms = start.elapsed().as_millis() as u64, "SRS loaded");
    let start = Instant::now();
    let input_blinding = Fr::random(rand_chacha::ChaCha20Rng::from_entropy());
    let Built { circuit, laid } =
        compiled.build_fixed(CircuitBuilderStage::Prover, visibility, inputs, binding, input_blinding)?;
    let witness_ms = start.elapsed().as_millis() as u64;
    let start = Instant::now();
    let proof = pfsys::prove(&params, &pk, circuit, &laid.instances)?;
    let prove_ms = start.elapsed().as_millis() as u64;
    let scale = compiled.settings.quantization.scale;
    Ok(ProofFile {
        model_commitment: fr_to_hex(&laid.instances[0]),
        visibility,
        inputs: (visibility == Visibility::Public).then(|| floats.to_vec()),
        outputs: dequantize_all(&laid.outputs, scale),
        outputs_fixed: laid.outputs,
        binding: fr_to_hex(&binding),
        instances: laid.instances.iter().map(fr_to_hex).collect(),
        proof: hex::encode(proof),
        timings: Timings { witness_ms, prove_ms },
        opening: (visibility == Visibility::Private).then(|| InputOpening {
            commitment: fr_to_hex(&laid.instances[1]),
            inputs: floats.to_vec(),
            blinding: fr_to_hex(&input_blinding),
        }),
    })
}

/// Checks that `opening` opens a private input's commitment of the model in `dir`: its input,
/// quantised at the model's scale and hashed with its blinding, gives its commitment.
pub fn open(dir: &Path, opening: &InputOpening) -> Result<()> {
    let settings = ArtifactDir(dir.into()).load_settings()?;
    let input = InputData { input_data: opening.inputs.clone() };
    input.check_shapes(&settings.input_shapes)?;
    let q = settings.quantization;
    let blinding = fr_from_hex(&opening.blinding).map_err(Error::MalformedOpening)?;
    let commitment = fr_to_hex(&input_commitment(q, &quantize_inputs(&input, q.scale)?, blinding));
    if commitment != opening.commitment {
        return Err(Error::OpeningMismatch { claimed: opening.commitment.clone(), opened: commitment });
    }
    Ok(())
}

/// How long verification took: loading the verifier (reading the vk rebuilds the constraint
/// system) and checking the proof with it.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct VerifyTimings {
    pub load_vk_ms: f64,
    pub verify_ms: f64,
}

/// The verifier of one input visibility of a compiled model: its settings, parsed vk and KZG
/// parameters, loaded once so that every proof after the first costs only its check.
pub struct Verifier {
    settings: Settings,
    visibility: Visibility,
    vk: VerifyingKey<G1Affine>,
    params: ParamsKZG<Bn256>,
}

impl Verifier {
    pub fn load(dir: &Path, visibility: Visibility) -> Result<Self> {
        let dir_paths = ArtifactDir(dir.into());
        let settings = dir_paths.load_settings()?;
        let vk = load_vk(dir, &settings, visibility)?;
        let path = dir_paths.verifier_params();
        if !path.exists() {
            return Err(Error::NotSetUp(dir.into()));
        }
        let bytes = read_limited(&path, "verifier parameters", VerifierParams::BYTES as u64)?;
        let params = VerifierParams::from_bytes(&bytes).ok_or_else(|| Error::CorruptArtifact {
            what: "verifier parameters",
            path,
            reason: "not three compressed BN254 points".into(),
        })?;
        let params = params.for_circuit(settings.variant(visibility).circuit.k());
        Ok(Verifier { settings, visibility, vk, params })
    }

    /// Checks that `proof` is a valid proof of this model, for its own instances.
    pub fn check(&self, proof: &ProofFile) -> Result<()> {
        let settings = &self.settings;
        if proof.model_commitment != settings.model_commitment {
            return Err(Error::ForeignProof {
                proof: proof.model_commitment.clone(),
                artifacts: settings.model_commitment.clone(),
            });
        }
        if proof.visibility != self.visibility {
            return Err(Error::MalformedProof(format!(
                "a {} input proof, the verifier is for {} input",
                proof.visibility.name(),
                self.visibility.name()
            )));
        }
        let instances = proof.instances()?;
        let num_instances = settings.variant(self.visibility).num_instances;
        if instances.len() != num_instances {
            return Err(Error::MalformedProof(format!(
                "{} instances, the circuit has {num_instances}",
                instances.len()
            )));
        }
        if fr_to_hex(&instances[0]) != settings.model_commitment {
            return Err(Error::ForeignProof {
                proof: fr_to_hex(&instances[0]),
                artifacts: settings.model_commitment.clone(),
            });
        }
        Ok(zkml_verifier::verify(&self.params, &self.vk, &proof.proof_bytes()?, &instances)?)
    }
}

/// Verifies `proof` against the artifacts in `dir`.
pub fn verify(dir: &Path, proof: &ProofFile) -> Result<VerifyTimings> {
    let start = Instant::now();
    let verifier = Verifier::load(dir, proof.visibility)?;
    let load_vk_ms = start.elapsed().as_secs_f64() * 1e3;
    let start = Instant::now();
    verifier.check(proof)?;
    Ok(VerifyTimings { load_vk_ms, verify_ms: start.elapsed().as_secs_f64() * 1e3 })
}
