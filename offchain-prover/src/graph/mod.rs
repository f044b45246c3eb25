//! Graph loading: ONNX through tract into a typed, decluttered model (the float reference), then
//! lowered to the circuit's own graph ([`zkml_circuit::ir::Graph`]).

mod lower;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::scan::Scan;
use tract_onnx::tract_core::ops::EvalOp;
use tract_onnx::tract_hir::infer::Factoid;

use zkml_circuit::circuit::functions::FloatFunctions;
use zkml_circuit::error::{Error, Result};
use zkml_circuit::input::InputData;
use zkml_circuit::ir::{FunctionOp, Graph};

/// Upper bound on an ONNX file: larger models would not fit any circuit this prover can build.
pub const MAX_MODEL_FILE_BYTES: u64 = 256 << 20;

/// A loaded model: tract's typed graph (the float reference) and its lowering.
pub struct Model {
    /// The ONNX file, which tract reads again where a model lowered earlier needs its graph.
    path: PathBuf,
    typed: OnceLock<TypedModel>,
    pub graph: Graph,
}

impl Model {
    /// Loads `path`, fixing the input shapes (a symbolic batch dimension becomes 1), and lowers it.
    pub fn load(path: &Path) -> Result<Self> {
        let typed = load_typed(path)?;
        let graph = lower::lower(&typed)?;
        Ok(Model { path: path.into(), typed: typed.into(), graph })
    }

    /// The model of the ONNX file at `path`, lowered earlier to `graph`. Laying out an inference
    /// needs only the graph; tract loads the file again only to evaluate the float reference or
    /// a lookup function, and, loading deterministically, numbers the nodes as it did for `graph`.
    pub fn lowered(path: &Path, graph: Graph) -> Self {
        Model { path: path.into(), typed: OnceLock::new(), graph }
    }

    fn typed(&self) -> Result<&TypedModel> {
        if let Some(typed) = self.typed.get() {
            return Ok(typed);
        }
        let typed = load_typed(&self.path)?;
        Ok(self.typed.get_or_init(|| typed))
    }

    /// Runs the float reference on `input`: the model's outputs, flattened.
    pub fn run_float(&self, input: &InputData) -> Result<Vec<Vec<f64>>> {
        input.check_shapes(&self.graph.input_shapes)?;
        let typed = self.typed()?;
        let inputs = typed.input_outlets().map_err(tract_err)?;
        let tensors =
            input
                .input_data
                .iter()
                .zip(&self.graph.input_shapes)
                .zip(inputs)
                .map(|((row, shape), outlet)| {
                    let datum_type = typed.outlet_fact(*outlet).map_err(tract_err)?.datum_type;
                    let first = |bad: fn(f64) -> bool| row.iter().copied().enumerate().find(|&(_, v)| bad(v));
                    let input = || typed.node(outlet.node).name.clone();
                    let invalid =
                        match datum_type {
                            DatumType::Bool => first(|v| v != 0.0 && v != 1.0)
                                .map(|(position, value)| Error::NotBoolean { input: input(), position, value }),
                            dt if dt.is_integer() => first(|v| v.fract() != 0.0)
                                .map(|(position, value)| Error::NotInteger { input: input(), position, value }),
                            _ => None,
                        };
                    if let Some(error) = invalid {
                        return Err(error);
                    }
                    // From the file's doubles: a double input loses no precision on the way.
                    let tensor = Tensor::from_shape(shape, row).map_err(tract_err)?;
                    Ok(tensor.cast_to_dt(datum_type).map_err(tract_err)?.into_owned().into())
                })
                .collect::<Result<TVec<TValue>>>()?;
        // Some tract operators index with input values and panic on one outside their data.
        let outputs = quietly(|| typed.clone().into_runnable().and_then(|plan| plan.run(tensors)))
            .map_err(|panic| Error::Tract(format!("an operator panicked on this input: {panic}")))?
            .map_err(tract_err)?;
        outputs.iter().map(|t| Ok(to_f32s(t)?.into_iter().map(f64::from).collect())).collect()
    }
}

impl FloatFunctions for Model {
    /// Evaluates lookup function `table` of the graph on each of `xs`.
    fn eval_function(&self, table: usize, xs: &[f32]) -> Result<Vec<f32>> {
        let function = &self.graph.functions[table];
        let xs: Vec<f32> = xs.iter().map(|x| x + function.addend).collect();
        let input = tvec![Tensor::from_shape(&[xs.len()], &xs).map_err(tract_err)?.into()];
        // Only a function that is a node of the graph needs tract to load the model.
        let out = match function.op {
            FunctionOp::Node(node) => self.typed()?.node(node).op.eval_out_of_plan(input),
            FunctionOp::Exp => tract_onnx::tract_core::ops::math::exp().eval_out_of_plan(input),
            FunctionOp::Rsqrt => tract_onnx::tract_core::ops::math::rsqrt().eval_out_of_plan(input),
            FunctionOp::Sigmoid => tract_onnx::tract_core::ops::nn::sigmoid().eval_out_of_plan(input),
            FunctionOp::Tanh => tract_onnx::tract_core::ops::math::tanh().eval_out_of_plan(input),
            FunctionOp::ScanBody { scan, node } => match self.typed()?.node(scan).op_as::<Scan>() {
                Some(op) => op.body.node(node).op.eval_out_of_plan(input),
                None => Ok(None),
            },
            FunctionOp::PowOf(base) => {
                let bases = Tensor::from_shape(&[xs.len()], &vec![base; xs.len()]).map_err(tract_err)?;
                let inputs = tvec![bases.into(), input.into_iter().next().expect("one input")];
                tract_onnx::tract_core::ops::math::pow().eval_out_of_plan(inputs)
            }
        };
        let out = out
            .ok()
            .flatten()
            .and_then(|out| out.into_iter().next())
            .ok_or_else(|| Error::Tract(format!("cannot evaluate `{}` out of plan", function.name)))?;
        to_f32s(&out)
    }
}

/// Reads `path` into tract's typed, decluttered graph, the input shapes fixed.
fn load_typed(path: &Path) -> Result<TypedModel> {
    let bytes = zkml_circuit::artifacts::read_limited(path, "ONNX model", MAX_MODEL_FILE_BYTES)?;
    let malformed = |e: TractError| Error::MalformedModel { path: path.into(), reason: format!("{e:#}") };
    let mut model = tract_onnx::onnx().model_for_read(&mut bytes.as_slice()).map_err(malformed)?;
    let inputs = model.input_outlets().map_err(malformed)?.len();
    for i in 0..inputs {
        let fact = model.input_fact(i).map_err(malformed)?.clone();
        let shape = fact
            .shape
            .dims()
            .map(|d| d.concretize().and_then(|d| d.to_i64().ok()).and_then(|d| usize::try_from(d).ok()).unwrap_or(1))
            .collect::<Vec<_>>();
        // Inputs keep the type they declare, which the operators reading them expect (logic
        // on booleans, integer arithmetic, constants of the same precision); a model that
        // leaves it open takes f32.
        let datum_type = match fact.datum_type.concretize() {
            Some(dt) if dt == DatumType::Bool || dt == DatumType::F64 || dt.is_integer() => dt,
            _ => DatumType::F32,
        };
        model.set_input_fact(i, InferenceFact::dt_shape(datum_type, shape)).map_err(malformed)?;
    }
    let typed = model.into_typed().map_err(malformed)?;
    // Decluttering normalises operators (Gemm and MatMul into EinSum, ...); where one of its
    // passes fails on a graph, the typed graph is still a valid reference to lower.
    Ok(match typed.clone().into_decluttered() {
        Ok(decluttered) => decluttered,
        Err(e) => {
            tracing::warn!("tract could not declutter {}: {e:#}; lowering the typed graph", path.display());
            typed
        }
    })
}

thread_local! {
    /// Whether this thread runs tract under [`quietly`], whose panics are reported as errors.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, a tract evaluation, catching a panic as its message, which is not printed: tract
/// operators that index with their operands' values panic on values outside their data.
/// Installs, once, a panic hook that hands every other panic to the hook that was there before.
pub(crate) fn quietly<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.get() {
                previous(info);
            }
        }));
    });
    let was_quiet = QUIET.replace(true);
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.set(was_quiet);
    out.map_err(|payload| match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload.downcast::<&str>().map_or_else(|_| "a panic".to_string(), |m| m.to_string()),
    })
}

pub(crate) fn tract_err(e: TractError) -> Error {
    Error::Tract(format!("{e:#}"))
}

/// The elements of `t` as `f32`s, row-major.
pub(crate) fn to_f32s(t: &Tensor) -> Result<Vec<f32>> {
    // Symbolic dimensions (TDim) that are concrete convert to floats through integers.
    let integer;
    let t = if t.datum_type() == DatumType::TDim {
        integer = t.cast_to::<i64>().map_err(tract_err)?.into_owned();
        &integer
    } else {
        t
    };
    let t = t.cast_to::<f32>().map_err(tract_err)?;
    Ok(t.to_plain_array_view::<f32>().map_err(tract_err)?.iter().copied().collect())
}
