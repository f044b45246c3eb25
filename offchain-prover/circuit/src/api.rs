//! The verbs that work from a compiled model's artifacts: `setup` (keys), `prove`, `verify` and
//! `open`, through [`Compiled`].

use std::path::Path;
use std::time::Instant;

use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use halo2_base::halo2_proofs::plonk::{ProvingKey, VerifyingKey};
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
use rand_chacha::rand_core::SeedableRng;
use zkml_verifier::kzg::{dev_srs, VerifierParams};
use zkml_verifier::{vk_from_bytes, vk_to_bytes, CircuitParams, ProofShape};

use crate::artifacts::{read_limited, ArtifactDir, Settings, Visibility};
use crate::circuit::functions::FunctionTable;
use crate::circuit::layout::{quantize_params, FunctionValues, Inference};
use crate::circuit::{build, input_commitment, Built, Shape};
use crate::error::{Error, Result};
use crate::input::{check_lengths, InputData};
use crate::ir::Graph;
use crate::pfsys::{self, srs};
use crate::proof::{fr_from_hex, fr_to_hex, InputOpening, ProofFile, Timings};
use crate::quantize::dequantize_all;

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
    graph: Graph,
    params: Vec<i64>,
    functions: FunctionTable,
    /// The function rows of the lookup table, laid out for key generation only.
    table: std::sync::OnceLock<Vec<[Fr; 3]>>,
}

impl Compiled {
    pub fn load(dir: &Path) -> Result<Self> {
        let dir = ArtifactDir(dir.into());
        let settings = dir.load_settings()?;
        let graph = dir.load_graph()?;
        let params = quantize_params(&graph, settings.quantization.scale)?;
        let functions = dir.load_functions()?;
        if let Some(reason) = functions.mismatch(&graph, &settings.quantization) {
            return Err(Error::CorruptArtifact { what: "function table", path: dir.functions(), reason });
        }
        Ok(Compiled { dir, settings, graph, params, functions, table: Default::default() })
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
        let inputs = input.quantize(self.settings.quantization.scale)?;
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
            graph: &self.graph,
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
    let inputs = input.quantize(compiled.settings.quantization.scale)?;
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
    let commitment = fr_to_hex(&input_commitment(q, &input.quantize(q.scale)?, blinding));
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
