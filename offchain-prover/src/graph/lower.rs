//! Lowering of a decluttered tract graph to [`Graph`].
//!
//! Rather than re-implementing the semantics of every ONNX operator, the structure of each
//! operator is read off tract's own implementation by probing it out of plan:
//! - data movement (reshape, slice, concat, pad, gather, ...) is evaluated on tensors of element
//!   indices, which gives the source of each output element;
//! - linear operators (einsum, conv, pooling sums) are evaluated on one-hot inputs with their
//!   constant operands replaced by parameter indices, which gives each output as a sparse linear
//!   combination of inputs and parameters;
//! - max/min pooling is evaluated on one-hot inputs, which gives each window.
//!
//! Every probed structure is then validated against tract's float result on a pseudo-random input,
//! so a lowering that does not reproduce the operator is an error rather than a wrong circuit.

use std::collections::HashMap;

use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::array::{Gather, GatherElements, OneHot, Topk};
use tract_onnx::tract_core::ops::nn::{Reduce, Reducer, RmsNorm, Softmax, SoftmaxKind};

use super::{to_f32s, tract_err};
use zkml_circuit::error::{Error, Result};
use zkml_circuit::ir::{
    broadcast, BinaryKind, Case, Coeff, Function, FunctionOp, Graph, Node, NodeId, Op, Param, ParamRole, PoolKind,
};

mod indexed;
mod recurrent;

const DATA_MOVEMENT: &[&str] = &[
    "RmAxis",
    "AddAxis",
    "Reshape",
    "MoveAxis",
    "Move",
    "AxisOp",
    "Slice",
    "Concat",
    "TypedConcat",
    "Pad",
    "Gather",
    "Downsample",
    "MultiBroadcastTo",
    "Identity",
    "Tile",
    "NearestUpsample",
    "Trilu",
    "GatherElements",
    "GatherNd",
    "ScatterElements",
    "ScatterNd",
];
/// Data movement whose second operand is indices: computed ones are lowered as reads
/// ([`Lowering::pick`]) or writes ([`Lowering::scatter`]).
const INDEXING: &[&str] = &["GatherNd", "ScatterElements", "ScatterNd"];
/// Most probes [`Lowering::index`] may take (index elements × index values), and most writes
/// [`Lowering::scatter`] may lay out.
const MAX_INDEX_PROBES: usize = 1 << 16;
const LINEAR: &[&str] = &["EinSum", "Conv", "SumPool", "Reduce<Sum>", "Deconv"];
/// Linear reductions of the squares of their input.
const LINEAR_OF_SQUARES: &[&str] = &["Reduce<MeanOfSquares>"];
const POOL: &[(&str, PoolKind)] =
    &[("MaxPool", PoolKind::Max), ("Reduce<Max>", PoolKind::Max), ("Reduce<Min>", PoolKind::Min)];
const BINARY: &[(&str, BinaryKind)] = &[
    ("Add", BinaryKind::Add),
    ("Sub", BinaryKind::Sub),
    ("Mul", BinaryKind::Mul),
    ("Div", BinaryKind::Div),
    ("Max", BinaryKind::Max),
    ("Min", BinaryKind::Min),
    ("GT", BinaryKind::Gt),
    ("GTE", BinaryKind::Ge),
    ("Eq", BinaryKind::Eq),
    ("And", BinaryKind::And),
    ("Or", BinaryKind::Or),
    ("Xor", BinaryKind::Xor),
];
/// Comparisons whose operands tract's names give in the opposite order.
const SWAPPED_COMPARISONS: &[(&str, BinaryKind)] = &[("LT", BinaryKind::Gt), ("LTE", BinaryKind::Ge)];
/// Element-wise functions that are sampled into lookup tables (evaluated by tract on the domain).
const LOOKUP: &[&str] = &[
    "Sigmoid",
    "Tanh",
    "LeakyRelu",
    "Erf",
    "Exp",
    "Ln",
    "Sqrt",
    "Rsqrt",
    "Recip",
    "Softplus",
    "Softsign",
    "Elu",
    "Selu",
    "HardSigmoid",
    "HardSwish",
    "Gelu",
    "GeluApproximate",
    "Abs",
    "Cos",
    "Sin",
    "Celu",
    "Mish",
    "GeluExact",
    "PowConst",
    "Sign",
    "Neg",
    "Ceil",
    "Floor",
    "Round",
    "RoundHalfToEven",
    "Tan",
    "Acos",
    "Asin",
    "Atan",
    "Cosh",
    "Sinh",
    "Acosh",
    "Asinh",
    "Atanh",
];

/// A tract outlet after lowering: a constant tensor or a node of the prover's graph.
#[derive(Clone)]
enum Value {
    Const(Arc<Tensor>),
    Node(NodeId),
    /// A node plus a constant that only an element-wise function reads, which folds the
    /// constant into its table ([`Function::addend`]).
    Shifted(NodeId, f32),
}

struct Lowering<'a> {
    model: &'a TypedModel,
    graph: Graph,
    values: HashMap<OutletId, Value>,
    /// Params already created for (const outlet, role): the index of its first element.
    param_base: HashMap<(OutletId, ParamRole), usize>,
    /// The `Scan` node whose body `model` is, while a loop is unrolled.
    scan: Option<usize>,
}

pub(super) fn lower(model: &TypedModel) -> Result<Graph> {
    let mut lowering = Lowering::new(model, Graph::default(), None);
    // In the order the model declares its inputs, which input files follow: the evaluation order
    // may reach them in another.
    lowering.graph.input_shapes =
        model.input_outlets().map_err(tract_err)?.iter().map(|&o| shape_of(model, o)).collect::<Result<_>>()?;
    for id in model.eval_order().map_err(tract_err)? {
        lowering.node(id)?;
    }
    for outlet in model.output_outlets().map_err(tract_err)? {
        match lowering.values.get(outlet).cloned() {
            Some(Value::Node(n)) if lowering.graph.booleans.contains(&n) => {
                // Outputs are fixed-point numbers, so a boolean output is published as 0 or 1.
                let node = &lowering.graph.nodes[n];
                let (name, shape) = (format!("{}.as_number", node.name), node.shape.clone());
                lowering.graph.nodes.push(Node { name, op: Op::FromBoolean, inputs: vec![n], shape });
                lowering.graph.outputs.push(lowering.graph.nodes.len() - 1);
            }
            Some(Value::Node(n)) => lowering.graph.outputs.push(n),
            // A constant output (arange) is a tensor of parameters: the commitment binds it.
            Some(Value::Const(_)) => {
                let n = lowering.operand(*outlet, ParamRole::Activation)?;
                lowering.graph.outputs.push(n);
            }
            _ => {
                let node = &model.node(outlet.node);
                return Err(unsupported(node, "an output that is not computed"));
            }
        }
    }
    Ok(lowering.graph)
}

fn unsupported(node: &TypedNode, detail: &str) -> Error {
    Error::UnsupportedOp {
        op: node.op.name().to_string(),
        node: node.name.clone(),
        detail: if detail.is_empty() { String::new() } else { format!(": {detail}") },
    }
}

fn shape_of(model: &TypedModel, outlet: OutletId) -> Result<Vec<usize>> {
    let fact = model.outlet_fact(outlet).map_err(tract_err)?;
    fact.shape
        .as_concrete()
        .map(|s| s.to_vec())
        .ok_or_else(|| Error::Tract(format!("symbolic shape {:?} after declutter", fact.shape)))
}

/// Evaluates `node`'s operator out of plan and returns its first output as `f32`s.
fn eval(node: &TypedNode, inputs: TVec<Tensor>) -> Result<Vec<f32>> {
    let inputs = inputs.into_iter().map(TValue::from).collect();
    // Some tract operators index with their operands' values and panic when a probe is out of
    // their range; that is an operator this lowering cannot probe, not a crash, and the error
    // says so without the panic's message and backtrace.
    let out = super::quietly(|| node.op.eval_out_of_plan(inputs))
        .map_err(|_| unsupported(node, "operator fails on probe inputs"))?
        .map_err(tract_err)?
        .ok_or_else(|| unsupported(node, "operator cannot be evaluated out of plan"))?;
    let first = out.into_iter().next().ok_or_else(|| unsupported(node, "operator has no output"))?;
    to_f32s(&first)
}

fn tensor(shape: &[usize], data: &[f32]) -> Result<Tensor> {
    Tensor::from_shape(shape, data).map_err(tract_err)
}

/// Reads `v` as an exact non-negative integer probe result.
fn as_index(v: f32, limit: usize) -> Option<usize> {
    (v >= 0.0 && v.fract() == 0.0 && (v as usize) <= limit).then_some(v as usize)
}

/// Deterministic pseudo-random test values in [-1, 1) for validating a probed structure.
fn test_values(n: usize, seed: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let x = ((i + 1) * 2654435761 + seed * 40503) % 10007;
            x as f32 / 5003.5 - 1.0
        })
        .collect()
}

/// Row-major elements of a tensor of `shape` grouped by their coordinates off `axes`, in order of
/// first element; and each element's group.
fn groups_along(shape: &[usize], axes: &[usize]) -> (Vec<Vec<usize>>, Vec<usize>) {
    let mut groups: Vec<Vec<usize>> = vec![];
    let mut ids = HashMap::new();
    let group_of = (0..shape.iter().product())
        .map(|i: usize| {
            // `i` with its coordinates along `axes` set to 0.
            let (mut rest, mut key, mut stride) = (i, 0, 1);
            for (axis, &dim) in shape.iter().enumerate().rev() {
                if !axes.contains(&axis) {
                    key += (rest % dim) * stride;
                }
                rest /= dim;
                stride *= dim;
            }
            let group = *ids.entry(key).or_insert_with(|| {
                groups.push(vec![]);
                groups.len() - 1
            });
            groups[group].push(i);
            group
        })
        .collect();
    (groups, group_of)
}

/// Deterministic small whole numbers, with ties, for probing operators on integers or choices
/// among equal values.
fn test_integers(n: usize, seed: usize) -> Vec<f32> {
    (0..n).map(|i| ((i * 7 + seed * 3) % 5) as f32 - 2.0).collect()
}

/// `ArgMax` and `ArgMin`: which extremum, and whether the last of equal ones.
fn arg_reducer(node: &TypedNode) -> Option<(PoolKind, bool)> {
    match node.op_as::<Reduce>()?.reducer {
        Reducer::ArgMax(last) => Some((PoolKind::Max, last)),
        Reducer::ArgMin(last) => Some((PoolKind::Min, last)),
        _ => None,
    }
}

/// The slot of a selection's index operand, with `OneHot`'s depth or the axis `Gather` and
/// `GatherElements` select along.
fn index_operand(node: &TypedNode) -> Option<(usize, usize)> {
    if let Some(op) = node.op_as::<OneHot>() {
        return Some((0, op.dim));
    }
    match (node.op_as::<Gather>(), node.op_as::<GatherElements>()) {
        (Some(op), _) => Some((1, op.axis)),
        (_, Some(op)) => Some((1, op.axis)),
        _ => None,
    }
}

/// For each element of a tensor of shape `to`, the element of a tensor of shape `from` that
/// broadcasting puts there.
fn broadcast_index(node: &TypedNode, from: &[usize], to: &[usize]) -> Result<Vec<usize>> {
    broadcast(from, to)
        .filter(|(s, _, _)| s.iter().product::<usize>() == to.iter().product::<usize>())
        .map(|(_, i, _)| i)
        .ok_or_else(|| unsupported(node, "operand shapes do not broadcast"))
}

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= 1e-3 * (1.0 + a.abs().max(b.abs()))
}

impl<'a> Lowering<'a> {
    fn new(model: &'a TypedModel, graph: Graph, scan: Option<usize>) -> Self {
        Lowering { model, graph, values: HashMap::new(), param_base: HashMap::new(), scan }
    }

    fn push(&mut self, node: &TypedNode, op: Op, inputs: Vec<NodeId>) -> Result<NodeId> {
        let shape = shape_of(self.model, OutletId::new(node.id, 0))?;
        self.graph.nodes.push(Node { name: node.name.clone(), op, inputs, shape });
        Ok(self.graph.nodes.len() - 1)
    }

    /// A node that is one step of a tract node's lowering, with a name and shape of its own.
    fn push_step(&mut self, name: String, op: Op, inputs: Vec<NodeId>, shape: Vec<usize>) -> NodeId {
        self.graph.nodes.push(Node { name, op, inputs, shape });
        self.graph.nodes.len() - 1
    }

    /// `x · x`, element-wise.
    fn square(&mut self, name: String, x: NodeId) -> NodeId {
        let index: Vec<usize> = (0..self.graph.nodes[x].len()).collect();
        let op = Op::Binary { kind: BinaryKind::Mul, lhs_index: index.clone(), rhs_index: index };
        let shape = self.graph.nodes[x].shape.clone();
        self.push_step(name, op, vec![x, x], shape)
    }

    /// Registers the elements of a constant as parameters with `role`, once per (const, role).
    fn params(&mut self, outlet: OutletId, tensor: &Tensor, role: ParamRole) -> Result<usize> {
        if let Some(&base) = self.param_base.get(&(outlet, role)) {
            return Ok(base);
        }
        let base = self.graph.params.len();
        for value in to_f32s(tensor)? {
            self.graph.params.push(Param { value, role });
        }
        self.param_base.insert((outlet, role), base);
        Ok(base)
    }

    /// A node for operand `outlet`: its node, or a `Params` node for a float constant.
    fn operand(&mut self, outlet: OutletId, role: ParamRole) -> Result<NodeId> {
        match self.values.get(&outlet).cloned() {
            Some(Value::Node(n)) => Ok(n),
            Some(Value::Const(t)) => {
                let base = self.params(outlet, &t, role)?;
                let shape = t.shape().to_vec();
                let name = self.model.node(outlet.node).name.clone();
                let op = Op::Params((base..base + t.len()).collect());
                self.graph.nodes.push(Node { name, op, inputs: vec![], shape });
                let id = self.graph.nodes.len() - 1;
                self.values.insert(outlet, Value::Node(id));
                Ok(id)
            }
            // `addend_to_fold` leaves a shifted value to its one reader, a function.
            Some(Value::Shifted(..)) | None => {
                Err(Error::Tract(format!("outlet {outlet:?} used before it is computed")))
            }
        }
    }

    fn node(&mut self, id: usize) -> Result<()> {
        let node = self.model.node(id);
        let outlet = OutletId::new(id, 0);
        // A loop body's inputs are set before it is lowered.
        if self.values.contains_key(&outlet) {
            return Ok(());
        }
        if let Some(outputs) = self.multiple_outputs(node)? {
            for (slot, output) in outputs.into_iter().enumerate() {
                self.values.insert(OutletId::new(id, slot), Value::Node(output));
            }
            return Ok(());
        }
        if let Some(k) = &node.outputs[0].fact.konst {
            self.values.insert(outlet, Value::Const(k.clone()));
            return Ok(());
        }
        if let Some((x, addend)) = self.addend_to_fold(node)? {
            self.values.insert(outlet, Value::Shifted(x, addend));
            return Ok(());
        }
        let name = node.op.name();
        let name = name.as_ref();
        let lowered =
            if let Some(index) = self.model.input_outlets().map_err(tract_err)?.iter().position(|o| o.node == id) {
                let input = self.push(node, Op::Input(index), vec![])?;
                let shape = self.graph.nodes[input].shape.clone();
                match self.datum_type(outlet)? {
                    DatumType::Bool => {
                        self.push_step(format!("{}.as_boolean", node.name), Op::ToBoolean, vec![input], shape)
                    }
                    dt if dt.is_integer() => {
                        self.push_step(format!("{}.whole", node.name), Op::Integer, vec![input], shape)
                    }
                    _ => input,
                }
            } else if let Some((slot, values)) = self.computed_index(node)? {
                self.index(node, slot, values)?
            } else if DATA_MOVEMENT.contains(&name) {
                self.data_movement(node)?
            } else if name == "EinSum" && self.split_inputs(node)?.0.len() == 2 {
                self.bilinear(node)?
            } else if LINEAR.contains(&name) {
                self.linear(node, false)?
            } else if LINEAR_OF_SQUARES.contains(&name) {
                self.linear(node, true)?
            } else if name == "Iff" {
                self.select(node)?
            } else if let Some((kind, last)) = arg_reducer(node) {
                self.arg(node, kind, last)?
            } else if let Some(&(_, kind)) = POOL.iter().find(|(n, _)| *n == name) {
                self.pool(node, kind)?
            } else if let Some(&(_, kind)) = BINARY.iter().find(|(n, _)| *n == name) {
                self.binary(node, kind, false)?
            } else if let Some(&(_, kind)) = SWAPPED_COMPARISONS.iter().find(|(n, _)| *n == name) {
                self.binary(node, kind, true)?
            } else if name == "Square" {
                let x = self.operand(node.inputs[0], ParamRole::Activation)?;
                self.square(node.name.clone(), x)
            } else if name == "Not" {
                let x = self.operand(node.inputs[0], ParamRole::Activation)?;
                self.push(node, Op::Not, vec![x])?
            } else if name == "ShiftLeft" {
                self.shift_left(node)?
            } else if name == "Cast" {
                self.cast(node)?
            } else if name == "Softmax" {
                self.softmax(node)?
            } else if name == "RmsNorm" {
                self.rms_norm(node)?
            } else if name == "Topk" {
                self.top_k(node)?
            } else if name == "GruEpilogue" {
                self.gru_cell(node)?
            } else if let Some(base) = self.constant_base(node)? {
                let x = self.operand(node.inputs[1], ParamRole::Activation)?;
                self.look_up(node, x, Function { name: "Pow".into(), op: FunctionOp::PowOf(base), addend: 0.0 })?
            } else if LOOKUP.contains(&name) && node.inputs.len() == 1 {
                let (x, addend) = match self.values.get(&node.inputs[0]) {
                    Some(&Value::Shifted(x, addend)) => (x, addend),
                    _ => (self.operand(node.inputs[0], ParamRole::Activation)?, 0.0),
                };
                let op = self.function_of(id);
                self.look_up(node, x, Function { name: name.to_string(), op, addend })?
            } else {
                return Err(unsupported(node, ""));
            };
        self.values.insert(outlet, Value::Node(lowered));
        let lowered_node = &self.graph.nodes[lowered];
        let booleans = &self.graph.booleans;
        let boolean_inputs = lowered_node.inputs.iter().filter(|i| booleans.contains(i)).count();
        let all_boolean = boolean_inputs == lowered_node.inputs.len();
        let produces_boolean = match &lowered_node.op {
            Op::Binary { kind: BinaryKind::Eq, .. } if boolean_inputs == 1 => {
                return Err(unsupported(node, "compares a boolean with a number"));
            }
            Op::Binary { kind: BinaryKind::Gt | BinaryKind::Ge | BinaryKind::Eq, .. } => true,
            Op::Binary { kind: BinaryKind::And | BinaryKind::Or | BinaryKind::Xor, .. } | Op::Not if !all_boolean => {
                return Err(unsupported(node, "a logical operation on numbers"));
            }
            Op::Binary { kind: BinaryKind::And | BinaryKind::Or | BinaryKind::Xor, .. } | Op::Not | Op::ToBoolean => {
                true
            }
            Op::Gather { .. } if boolean_inputs > 0 => {
                if !all_boolean {
                    return Err(unsupported(node, "mixes booleans and numbers"));
                }
                true
            }
            _ => false,
        };
        let consumes_booleans = match &lowered_node.op {
            Op::Select { .. } => !lowered_node.inputs[1..].iter().any(|i| booleans.contains(i)),
            Op::FromBoolean => true,
            Op::Binary { kind: BinaryKind::Eq, .. } => true,
            _ => false,
        };
        if boolean_inputs > 0 && !produces_boolean && !consumes_booleans {
            return Err(unsupported(node, "uses a boolean as a number"));
        }
        if produces_boolean {
            self.graph.booleans.insert(lowered);
        }
        Ok(())
    }

    /// For `x + c` with a scalar constant `c` whose only reader is an element-wise function: `x`
    /// and `c`.
    fn addend_to_fold(&self, node: &TypedNode) -> Result<Option<(NodeId, f32)>> {
        let outlet = OutletId::new(node.id, 0);
        let [reader] = node.outputs[0].successors[..] else { return Ok(None) };
        let reader = self.model.node(reader.node);
        let output = self.model.output_outlets().map_err(tract_err)?.contains(&outlet);
        if node.op.name() != "Add" || output || reader.inputs.len() != 1 || !LOOKUP.contains(&&*reader.op.name()) {
            return Ok(None);
        }
        let operands: Vec<_> = node.inputs.iter().map(|o| self.values.get(o)).collect();
        Ok(match operands[..] {
            [Some(&Value::Node(x)), Some(Value::Const(c))] | [Some(Value::Const(c)), Some(&Value::Node(x))]
                if c.len() == 1 && c.datum_type().is_float() =>
            {
                to_f32s(c)?.first().map(|&c| (x, c))
            }
            _ => None,
        })
    }

    /// `node` as `function` of `x`, element-wise.
    fn look_up(&mut self, node: &TypedNode, x: NodeId, function: Function) -> Result<NodeId> {
        let table = self.table(function);
        self.push(node, Op::Lookup { table }, vec![x])
    }

    /// The lookup table of `function`: one per function, however many nodes (or iterations of a
    /// loop) apply it.
    fn table(&mut self, function: Function) -> usize {
        let same = |f: &Function| f.op == function.op && f.addend == function.addend;
        self.graph.functions.iter().position(same).unwrap_or_else(|| {
            self.graph.functions.push(function);
            self.graph.functions.len() - 1
        })
    }

    /// For `Pow` of a constant scalar base to a computed exponent of the output's shape, the
    /// base: `base^x` is an element-wise function of `x`.
    fn constant_base(&self, node: &TypedNode) -> Result<Option<f32>> {
        if node.op.name() != "Pow" || node.inputs.len() != 2 {
            return Ok(None);
        }
        let (Some(Value::Const(base)), Some(&Value::Node(_))) =
            (self.values.get(&node.inputs[0]), self.values.get(&node.inputs[1]))
        else {
            return Ok(None);
        };
        let same_shape = shape_of(self.model, node.inputs[1])? == shape_of(self.model, OutletId::new(node.id, 0))?;
        if !same_shape || !base.datum_type().is_float() {
            return Ok(None);
        }
        Ok(match to_f32s(base)?[..] {
            [base] if base.is_finite() => Some(base),
            _ => None,
        })
    }

    /// A cast of a boolean to a number is [`Op::FromBoolean`]; a cast between number types that
    /// keeps every value changes nothing the circuit sees. Casts that round (float to integer)
    /// are refused.
    fn cast(&mut self, node: &TypedNode) -> Result<NodeId> {
        let x = self.operand(node.inputs[0], ParamRole::Activation)?;
        let from = self.model.outlet_fact(node.inputs[0]).map_err(tract_err)?.datum_type;
        let to = node.outputs[0].fact.datum_type;
        let boolean = self.graph.booleans.contains(&x);
        match (from, to) {
            (DatumType::Bool, DatumType::Bool) if boolean => self.same(node, x),
            (DatumType::Bool, to) if boolean && to != DatumType::Bool => self.push(node, Op::FromBoolean, vec![x]),
            (from, to) if !boolean && (to.is_float() || !from.is_float()) && to != DatumType::Bool => {
                self.same(node, x)
            }
            // Token ids given as floats: an index is refused unless it is a whole number
            // (`FixedPointChip::one_hot`), so a cast that only feeds indices never rounds.
            (from, to) if from.is_float() && to.is_integer() && self.only_indexes(node) => self.same(node, x),
            _ => Err(unsupported(node, &format!("a cast from {from:?} to {to:?}"))),
        }
    }

    /// `x << c` of integers by constant amounts, which tract makes of a product by a power of
    /// two: `x · 2^c`, exact, as integer coefficients need no rescaling.
    fn shift_left(&mut self, node: &TypedNode) -> Result<NodeId> {
        let Some(Value::Const(amounts)) = self.values.get(&node.inputs[1]).cloned() else {
            return Err(unsupported(node, "a shift by computed amounts"));
        };
        let amount_shape = amounts.shape().to_vec();
        let amounts = to_f32s(&amounts)?;
        if amounts.iter().any(|&c| !(0.0..=62.0).contains(&c)) {
            return Err(unsupported(node, "a shift amount outside 0..=62"));
        }
        let x = self.operand(node.inputs[0], ParamRole::Activation)?;
        let shape = shape_of(self.model, OutletId::new(node.id, 0))?;
        let x_index = broadcast_index(node, &self.graph.nodes[x].shape, &shape)?;
        let amount_index = broadcast_index(node, &amount_shape, &shape)?;
        let rows =
            x_index.iter().zip(amount_index).map(|(&i, c)| vec![(i, Coeff::Const(2f32.powf(amounts[c])))]).collect();
        self.push(node, Op::Linear { rows, bias: vec![None; shape.iter().product()] }, vec![x])
    }

    /// `node` as a copy of `x`.
    fn same(&mut self, node: &TypedNode, x: NodeId) -> Result<NodeId> {
        let sources = (0..self.graph.nodes[x].len()).map(Some).collect();
        self.push(node, Op::Gather { sources }, vec![x])
    }

    /// Softmax over the op's axes: elements that agree on every other axis form a group. The
    /// groups are checked against tract on probe values.
    fn softmax(&mut self, node: &TypedNode) -> Result<NodeId> {
        let op = node.op_as::<Softmax>().ok_or_else(|| unsupported(node, "an operator named Softmax"))?;
        if op.kind != SoftmaxKind::Softmax || op.quant_output_dt.is_some() {
            return Err(unsupported(node, "only the float softmax is supported"));
        }
        let x = self.operand(node.inputs[0], ParamRole::Activation)?;
        let shape = self.graph.nodes[x].shape.clone();
        let (groups, _) = groups_along(&shape, &op.axes);
        let xs = test_values(shape.iter().product(), node.id);
        let expected = eval(node, self.probe_inputs(node, |_, _| xs.clone())?)?;
        for group in &groups {
            let max = group.iter().map(|&i| xs[i]).fold(f32::NEG_INFINITY, f32::max);
            let sum: f32 = group.iter().map(|&i| (xs[i] - max).exp()).sum();
            if group.iter().any(|&i| !close((xs[i] - max).exp() / sum, expected[i])) {
                return Err(unsupported(node, "softmax groups could not be derived"));
            }
        }
        let exp = self.table(Function { name: "Exp".into(), op: FunctionOp::Exp, addend: 0.0 });
        self.push(node, Op::Softmax { groups, table: exp }, vec![x])
    }

    /// The values of `TopK` (its indices are refused), groups checked against tract on probe
    /// values.
    fn top_k(&mut self, node: &TypedNode) -> Result<NodeId> {
        let op = node.op_as::<Topk>().ok_or_else(|| unsupported(node, "an operator named Topk"))?;
        let indices = OutletId::new(node.id, 1);
        let model_outputs = self.model.output_outlets().map_err(tract_err)?;
        if node.outputs.get(1).is_some_and(|o| !o.successors.is_empty()) || model_outputs.contains(&indices) {
            return Err(unsupported(node, "TopK's indices are not supported, only its values"));
        }
        let x = self.operand(node.inputs[0], ParamRole::Activation)?;
        let shape = self.graph.nodes[x].shape.clone();
        let (groups, _) = groups_along(&shape, &[op.axis]);
        let (outputs, _) = groups_along(&shape_of(self.model, OutletId::new(node.id, 0))?, &[op.axis]);
        let xs = test_values(shape.iter().product(), node.id);
        let expected = eval(node, self.probe_inputs(node, |_, _| xs.clone())?)?;
        let derived = groups.len() == outputs.len()
            && groups.iter().zip(&outputs).all(|(group, positions)| {
                let mut sorted: Vec<f32> = group.iter().map(|&i| xs[i]).collect();
                sorted.sort_by(|a, b| if op.largest { b.total_cmp(a) } else { a.total_cmp(b) });
                positions.len() <= sorted.len() && positions.iter().zip(&sorted).all(|(&p, &v)| close(v, expected[p]))
            });
        if !derived {
            return Err(unsupported(node, "TopK groups could not be derived"));
        }
        self.push(node, Op::TopK { groups, outputs, largest: op.largest }, vec![x])
    }

    /// `x / sqrt(mean(x²) + eps)` over the op's axis, as a square, a mean, a lookup of
    /// `rsqrt(· + eps)` and a product; checked against tract on probe values.
    fn rms_norm(&mut self, node: &TypedNode) -> Result<NodeId> {
        let op = node.op_as::<RmsNorm>().ok_or_else(|| unsupported(node, "an operator named RmsNorm"))?;
        let eps = op.eps.cast_to_scalar::<f32>().map_err(tract_err)?;
        let x = self.operand(node.inputs[0], ParamRole::Activation)?;
        let shape = self.graph.nodes[x].shape.clone();
        let (groups, group_of) = groups_along(&shape, &[op.axis]);
        let xs = test_values(shape.iter().product(), node.id);
        let expected = eval(node, self.probe_inputs(node, |_, _| xs.clone())?)?;
        for group in &groups {
            let mean = group.iter().map(|&i| xs[i] * xs[i]).sum::<f32>() / group.len() as f32;
            if group.iter().any(|&i| !close(xs[i] / (mean + eps).sqrt(), expected[i])) {
                return Err(unsupported(node, "normalised groups could not be derived"));
            }
        }
        let square = self.square(format!("{}.square", node.name), x);
        let rows = groups.iter().map(|g| g.iter().map(|&i| (i, Coeff::Const(1.0 / g.len() as f32))).collect());
        let mean = Op::Linear { rows: rows.collect(), bias: vec![None; groups.len()] };
        let mean = self.push_step(format!("{}.mean_of_squares", node.name), mean, vec![square], vec![groups.len()]);
        let table = self.table(Function { name: "Rsqrt".into(), op: FunctionOp::Rsqrt, addend: eps });
        let rsqrt =
            self.push_step(format!("{}.rsqrt", node.name), Op::Lookup { table }, vec![mean], vec![groups.len()]);
        let all = (0..shape.iter().product()).collect();
        let product = Op::Binary { kind: BinaryKind::Mul, lhs_index: all, rhs_index: group_of };
        self.push(node, product, vec![x, rsqrt])
    }

    /// Non-constant operands of `node`, and its float constants, in input order.
    fn split_inputs(&self, node: &TypedNode) -> Result<(Vec<usize>, Vec<usize>)> {
        let mut vars = vec![];
        let mut consts = vec![];
        for (slot, outlet) in node.inputs.iter().enumerate() {
            match self.values.get(outlet) {
                Some(Value::Node(_) | Value::Shifted(..)) => vars.push(slot),
                Some(Value::Const(t)) if t.datum_type().is_float() => consts.push(slot),
                Some(Value::Const(_)) => {}
                None => return Err(unsupported(node, "input not computed")),
            }
        }
        Ok((vars, consts))
    }

    /// Whether `outlet` is a non-float constant: indices, or a parameter of its operator.
    fn is_exact_const(&self, outlet: &OutletId) -> bool {
        matches!(self.values.get(outlet), Some(Value::Const(t)) if !t.datum_type().is_float())
    }

    /// Probe inputs: non-float constants as they are, every other slot from `fill(slot, shape)`.
    fn probe_inputs(&self, node: &TypedNode, fill: impl FnMut(usize, &[usize]) -> Vec<f32>) -> Result<TVec<Tensor>> {
        self.probe_keeping(node, |slot| self.is_exact_const(&node.inputs[slot]), fill)
    }

    /// Probe inputs: the constants at the slots `keep` picks as they are, every other slot from
    /// `fill`.
    fn probe_keeping(
        &self,
        node: &TypedNode,
        keep: impl Fn(usize) -> bool,
        mut fill: impl FnMut(usize, &[usize]) -> Vec<f32>,
    ) -> Result<TVec<Tensor>> {
        node.inputs
            .iter()
            .enumerate()
            .map(|(slot, outlet)| match self.values.get(outlet) {
                Some(Value::Const(t)) if keep(slot) => Ok((**t).clone()),
                _ => {
                    let shape = shape_of(self.model, *outlet)?;
                    tensor(&shape, &fill(slot, &shape))
                }
            })
            .collect()
    }

    /// [`Self::probe_inputs`] at the datum types the operator takes: for arithmetic on integers.
    fn probe_typed(&self, node: &TypedNode, fill: impl FnMut(usize, &[usize]) -> Vec<f32>) -> Result<TVec<Tensor>> {
        let probe = self.probe_inputs(node, fill)?;
        probe
            .into_iter()
            .zip(&node.inputs)
            .map(|(t, &outlet)| t.cast_to_dt(self.datum_type(outlet)?).map(|t| t.into_owned()).map_err(tract_err))
            .collect()
    }

    fn datum_type(&self, outlet: OutletId) -> Result<DatumType> {
        Ok(self.model.outlet_fact(outlet).map_err(tract_err)?.datum_type)
    }

    /// Whether `node`'s output is read only as the index operand of a selection
    /// ([`index_operand`]), and is no model output.
    fn only_indexes(&self, node: &TypedNode) -> bool {
        let readers = &node.outputs[0].successors;
        let is_output = self.model.output_outlets().map_or(true, |o| o.iter().any(|o| o.node == node.id));
        !is_output
            && !readers.is_empty()
            && readers
                .iter()
                .all(|inlet| index_operand(self.model.node(inlet.node)).map(|(slot, _)| slot) == Some(inlet.slot))
    }

    /// For `Gather` and `GatherElements` with computed indices, and for `OneHot`: the slot of the
    /// index operand and how many values an index may take.
    fn computed_index(&self, node: &TypedNode) -> Result<Option<(usize, usize)>> {
        let Some((slot, axis)) = index_operand(node) else { return Ok(None) };
        if node.op_as::<OneHot>().is_some() {
            return Ok(Some((slot, axis)));
        }
        if !matches!(self.values.get(&node.inputs[slot]), Some(Value::Node(_))) {
            return Ok(None);
        }
        let data = shape_of(self.model, node.inputs[0])?;
        Ok(data.get(axis).map(|&n| (slot, n)))
    }

    /// Selection by computed indices ([`Op::Index`]), probed like data movement: with every index
    /// element set to `v`, the data's element numbers give what each output takes for `v`; with
    /// one index element changed at a time, the outputs that change show which element each reads.
    fn index(&mut self, node: &TypedNode, slot: usize, values: usize) -> Result<NodeId> {
        let index = self.operand(node.inputs[slot], ParamRole::Activation)?;
        let data = match node.inputs.len() {
            1 => None,
            _ => Some(self.operand(node.inputs[1 - slot], ParamRole::Activation)?),
        };
        let n_index = self.graph.nodes[index].len();
        let n_data = data.map_or(0, |d| self.graph.nodes[d].len());
        if values == 0 || n_index * values > MAX_INDEX_PROBES {
            return Err(unsupported(node, "too many index values to probe"));
        }
        let index_type = self.datum_type(node.inputs[slot])?;
        let run = |index_values: &[f32], data_values: &[f32]| -> Result<Vec<f32>> {
            let inputs = node
                .inputs
                .iter()
                .enumerate()
                .map(|(s, &outlet)| {
                    let shape = shape_of(self.model, outlet)?;
                    if s == slot {
                        tensor(&shape, index_values)?.cast_to_dt(index_type).map(|t| t.into_owned()).map_err(tract_err)
                    } else {
                        tensor(&shape, data_values)
                    }
                })
                .collect::<Result<TVec<_>>>()?;
            eval(node, inputs)
        };
        let ids: Vec<f32> = (1..=n_data).map(|i| i as f32).collect();
        let by_value = (0..values).map(|v| run(&vec![v as f32; n_index], &ids)).collect::<Result<Vec<_>>>()?;
        let n_out = by_value[0].len();
        let mut reads: Vec<Option<usize>> = vec![None; n_out];
        for k in 0..n_index {
            for v in 1..values {
                let mut probe = vec![0.0; n_index];
                probe[k] = v as f32;
                for (j, (out, base)) in run(&probe, &ids)?.into_iter().zip(&by_value[0]).enumerate() {
                    if out != *base {
                        if reads[j].is_some_and(|read| read != k) {
                            return Err(unsupported(node, "an output depends on more than one index"));
                        }
                        reads[j] = Some(k);
                    }
                }
            }
        }
        let cases = (0..n_out)
            .map(|j| {
                by_value
                    .iter()
                    .map(|out| match data {
                        Some(_) => as_index(out[j], n_data)
                            .and_then(|i| i.checked_sub(1))
                            .map(Case::Element)
                            .ok_or_else(|| unsupported(node, "not a selection of data elements")),
                        None => Ok(Case::Const(out[j])),
                    })
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<Vec<_>>>()?;
        // An output that reads no index takes the same case for every value.
        let reads: Vec<usize> = reads.into_iter().map(|k| k.unwrap_or(0)).collect();
        // Validate against tract on pseudo-random indices and data.
        let chosen: Vec<usize> = (0..n_index).map(|k| (k * 7 + node.id) % values).collect();
        let data_values = test_values(n_data, node.id);
        let expected = run(&chosen.iter().map(|&v| v as f32).collect::<Vec<_>>(), &data_values)?;
        for (j, e) in expected.iter().enumerate() {
            let got = match cases[j][chosen[reads[j]]] {
                Case::Element(i) => data_values[i],
                Case::Const(c) => c,
            };
            if !close(got, *e) {
                return Err(unsupported(node, "selection by index could not be derived"));
            }
        }
        let inputs = std::iter::once(index).chain(data).collect();
        self.push(node, Op::Index { index: reads, cases }, inputs)
    }

    /// `ArgMax` or `ArgMin` over the op's axes; checked against tract on probe values with ties.
    fn arg(&mut self, node: &TypedNode, kind: PoolKind, last: bool) -> Result<NodeId> {
        let axes = node.op_as::<Reduce>().map(|r| r.axes.to_vec()).unwrap_or_default();
        let x = self.operand(node.inputs[0], ParamRole::Activation)?;
        let shape = self.graph.nodes[x].shape.clone();
        let (mut windows, _) = groups_along(&shape, &axes);
        if last {
            windows.iter_mut().for_each(|w| w.reverse());
        }
        let xs = test_integers(shape.iter().product(), node.id);
        let expected = eval(node, self.probe_typed(node, |_, _| xs.clone())?)?;
        for (window, e) in windows.iter().zip(&expected) {
            let best = window.iter().map(|&i| xs[i]).fold(None, |best: Option<f32>, v| match best {
                Some(b) if (kind == PoolKind::Max && v <= b) || (kind == PoolKind::Min && v >= b) => Some(b),
                _ => Some(v),
            });
            let position = window.iter().position(|&i| Some(xs[i]) == best).unwrap_or(0);
            let position = if last { window.len() - 1 - position } else { position };
            if position as f32 != *e {
                return Err(unsupported(node, "reduced groups could not be derived"));
            }
        }
        if expected.len() != windows.len() {
            return Err(unsupported(node, "reduced groups could not be derived"));
        }
        self.push(node, Op::Arg { kind, windows, reversed: last }, vec![x])
    }

    fn data_movement(&mut self, node: &TypedNode) -> Result<NodeId> {
        // Each of these takes its indices second.
        let name = node.op.name();
        if INDEXING.contains(&name.as_ref()) && !matches!(self.values.get(&node.inputs[1]), Some(Value::Const(_))) {
            return match name.as_ref() {
                "GatherNd" => self.pick(node),
                _ => self.scatter(node),
            };
        }
        // An integer constant is an operator's indices or one of its parameters (a `Trilu`'s k),
        // except in a concatenation: there it is data, probed like the other operands so that all
        // of them share a datum type.
        let concat = matches!(name.as_ref(), "Concat" | "TypedConcat");
        let not_data: Vec<bool> = node.inputs.iter().map(|o| !concat && self.is_exact_const(o)).collect();
        let data: Vec<OutletId> = node.inputs.iter().zip(&not_data).filter(|(_, &not)| !not).map(|(&o, _)| o).collect();
        let operands = data.into_iter().map(|o| self.operand(o, ParamRole::Activation)).collect::<Result<Vec<_>>>()?;
        let zeros = eval(node, self.probe_keeping(node, |slot| not_data[slot], |_, s| vec![0.0; s.iter().product()])?)?;
        if zeros.iter().any(|&v| v != 0.0) {
            return Err(unsupported(node, "padding with a non-zero constant"));
        }
        let mut offset = 0;
        let total: usize = operands.iter().map(|&n| self.graph.nodes[n].len()).sum();
        let numbered = self.probe_keeping(
            node,
            |slot| not_data[slot],
            |_, shape| {
                let n: usize = shape.iter().product();
                let start = offset;
                offset += n;
                (start..start + n).map(|i| (i + 1) as f32).collect()
            },
        )?;
        let sources = eval(node, numbered)?
            .into_iter()
            .map(|v| as_index(v, total).map(|i| i.checked_sub(1)))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| unsupported(node, "not pure data movement"))?;
        self.push(node, Op::Gather { sources }, operands)
    }

    /// A linear operator of its input, or with `of_squares` of the squares of its input (probing
    /// with one-hot vectors sees no difference: 1² = 1).
    fn linear(&mut self, node: &TypedNode, of_squares: bool) -> Result<NodeId> {
        let (vars, consts) = self.split_inputs(node)?;
        let [var] = vars[..] else {
            return Err(unsupported(node, "only linear maps of one non-constant input are supported"));
        };
        let mut x = self.operand(node.inputs[var], ParamRole::Activation)?;
        if of_squares {
            x = self.square(format!("{}.square", node.name), x);
        }
        let n_in = self.graph.nodes[x].len();
        let zero = |_: usize, s: &[usize]| vec![0.0; s.iter().product()];
        let const_lens: Vec<usize> = node
            .inputs
            .iter()
            .map(|o| match self.values.get(o) {
                Some(Value::Const(t)) => t.len(),
                _ => 0,
            })
            .collect();
        let indices = |slot: usize| (1..=const_lens[slot]).map(|i| i as f32).collect::<Vec<_>>();

        // Additive constants (biases) show up with a zero input; the rest multiply the input.
        let mut bias = vec![None; shape_of(self.model, OutletId::new(node.id, 0))?.iter().product()];
        let mut multiplicative = vec![];
        for &c in &consts {
            let out = eval(node, self.probe_typed(node, |s, sh| if s == c { indices(c) } else { zero(s, sh) })?)?;
            if out.iter().all(|&v| v == 0.0) {
                multiplicative.push(c);
                continue;
            }
            let Value::Const(t) = self.values[&node.inputs[c]].clone() else { unreachable!() };
            let base = self.params(node.inputs[c], &t, ParamRole::Bias)?;
            for (o, v) in out.into_iter().enumerate() {
                let i = as_index(v, t.len()).ok_or_else(|| unsupported(node, "bias is not separable"))?;
                bias[o] = i.checked_sub(1).map(|i| Coeff::Param(base + i));
            }
        }
        if multiplicative.len() > 1 {
            return Err(unsupported(node, "more than one constant multiplies the input"));
        }
        let weight = match multiplicative.first() {
            Some(&c) => {
                let Value::Const(t) = self.values[&node.inputs[c]].clone() else { unreachable!() };
                Some((c, self.params(node.inputs[c], &t, ParamRole::Weight)?, t.len()))
            }
            None => None,
        };
        let mut rows = vec![vec![]; bias.len()];
        for i in 0..n_in {
            let probe = self.probe_typed(node, |s, sh| match weight {
                _ if s == var => {
                    let mut e = zero(s, sh);
                    e[i] = 1.0;
                    e
                }
                Some((c, _, _)) if s == c => indices(c),
                _ => zero(s, sh),
            })?;
            for (o, v) in eval(node, probe)?.into_iter().enumerate() {
                if v == 0.0 {
                    continue;
                }
                let coeff = match weight {
                    Some((_, base, len)) => {
                        let w = as_index(v, len).ok_or_else(|| unsupported(node, "weights are not separable"))?;
                        Coeff::Param(base + w - 1)
                    }
                    None => Coeff::Const(v),
                };
                rows[o].push((i, coeff));
            }
        }
        // Validate the probed structure against tract on a pseudo-random input.
        let xs = if self.datum_type(node.inputs[var])?.is_float() {
            test_values(n_in, node.id)
        } else {
            test_integers(n_in, node.id)
        };
        let actual = |s: usize, sh: &[usize]| -> Vec<f32> {
            if s == var {
                return xs.clone();
            }
            match self.values.get(&node.inputs[s]) {
                Some(Value::Const(t)) => to_f32s(t).unwrap_or_default(),
                _ => zero(s, sh),
            }
        };
        let expected = eval(node, self.probe_typed(node, actual)?)?;
        let params = &self.graph.params;
        let value = |c: &Coeff| match *c {
            Coeff::Param(p) => params[p].value,
            Coeff::Const(v) => v,
        };
        let pre = |v: f32| if of_squares { v * v } else { v };
        for (o, row) in rows.iter().enumerate() {
            let got =
                row.iter().map(|(i, c)| pre(xs[*i]) * value(c)).sum::<f32>() + bias[o].as_ref().map_or(0.0, value);
            if !close(got, expected[o]) {
                return Err(unsupported(node, "operator is not a separable linear map"));
            }
        }
        self.push(node, Op::Linear { rows, bias }, vec![x])
    }

    fn pool(&mut self, node: &TypedNode, kind: PoolKind) -> Result<NodeId> {
        let (vars, _) = self.split_inputs(node)?;
        let [var] = vars[..] else {
            return Err(unsupported(node, "pooling of more than one input"));
        };
        let x = self.operand(node.inputs[var], ParamRole::Activation)?;
        let n_in = self.graph.nodes[x].len();
        let sign = if kind == PoolKind::Max { 1.0 } else { -1.0 };
        let mut windows = vec![vec![]; shape_of(self.model, OutletId::new(node.id, 0))?.iter().product()];
        for i in 0..n_in {
            let probe = self.probe_inputs(node, |_, s| {
                let mut e = vec![0.0; s.iter().product()];
                e[i] = sign;
                e
            })?;
            for (o, v) in eval(node, probe)?.into_iter().enumerate() {
                if v == sign {
                    windows[o].push(i);
                }
            }
        }
        let xs = test_values(n_in, node.id);
        let expected = eval(node, self.probe_inputs(node, |_, _| xs.clone())?)?;
        for (w, e) in windows.iter().zip(&expected) {
            let got =
                w.iter().map(|&i| xs[i]).fold(f32::NAN, |a, b| if kind == PoolKind::Max { a.max(b) } else { a.min(b) });
            if w.is_empty() || !close(got, *e) {
                return Err(unsupported(node, "pooling windows could not be derived"));
            }
        }
        self.push(node, Op::Pool { kind, windows }, vec![x])
    }

    fn binary(&mut self, node: &TypedNode, kind: BinaryKind, swapped: bool) -> Result<NodeId> {
        if node.inputs.len() != 2 {
            return Err(unsupported(node, "expected two operands"));
        }
        let kind = match kind {
            BinaryKind::Div if node.outputs[0].fact.datum_type.is_integer() => BinaryKind::IntDiv,
            kind => kind,
        };
        let role = if kind == BinaryKind::Mul { ParamRole::Weight } else { ParamRole::Activation };
        let (first, second) = if swapped { (1, 0) } else { (0, 1) };
        let lhs = self.operand(node.inputs[first], role)?;
        let rhs = self.operand(node.inputs[second], role)?;
        let (shape, lhs_index, rhs_index) = broadcast(&self.graph.nodes[lhs].shape, &self.graph.nodes[rhs].shape)
            .ok_or_else(|| unsupported(node, "operand shapes do not broadcast"))?;
        let id = self.push(node, Op::Binary { kind, lhs_index, rhs_index }, vec![lhs, rhs])?;
        if self.graph.nodes[id].shape.iter().product::<usize>() != shape.iter().product::<usize>() {
            return Err(unsupported(node, "broadcast shape differs from tract's"));
        }
        Ok(id)
    }

    fn select(&mut self, node: &TypedNode) -> Result<NodeId> {
        if let Some(Value::Const(cond)) = self.values.get(&node.inputs[0]).cloned() {
            return self.constant_select(node, &cond);
        }
        let operands =
            node.inputs.iter().map(|&o| self.operand(o, ParamRole::Activation)).collect::<Result<Vec<_>>>()?;
        let [cond, on_true, on_false] = operands[..] else { return Err(unsupported(node, "expected three operands")) };
        if !self.graph.booleans.contains(&cond) {
            return Err(unsupported(node, "condition is not a comparison"));
        }
        let shape = shape_of(self.model, OutletId::new(node.id, 0))?;
        let index = |n: NodeId| broadcast_index(node, &self.graph.nodes[n].shape, &shape);
        let op = Op::Select { cond_index: index(cond)?, true_index: index(on_true)?, false_index: index(on_false)? };
        self.push(node, op, vec![cond, on_true, on_false])
    }

    /// `Where` on a constant condition (an attention mask) is data movement: each output element
    /// is an element of the true or the false operand, chosen when the model is compiled.
    fn constant_select(&mut self, node: &TypedNode, cond: &Tensor) -> Result<NodeId> {
        let on_true = self.operand(node.inputs[1], ParamRole::Activation)?;
        let on_false = self.operand(node.inputs[2], ParamRole::Activation)?;
        let shape = shape_of(self.model, OutletId::new(node.id, 0))?;
        let cond_index = broadcast_index(node, cond.shape(), &shape)?;
        let true_index = broadcast_index(node, &self.graph.nodes[on_true].shape, &shape)?;
        let false_index = broadcast_index(node, &self.graph.nodes[on_false].shape, &shape)?;
        let cond = to_f32s(cond)?;
        let n_true = self.graph.nodes[on_true].len();
        let sources = (0..cond_index.len())
            .map(|o| Some(if cond[cond_index[o]] != 0.0 { true_index[o] } else { n_true + false_index[o] }))
            .collect();
        self.push(node, Op::Gather { sources }, vec![on_true, on_false])
    }

    /// A product of two non-constant tensors: probing with `lhs = e_i` and `rhs` = element
    /// indices gives, for each output, the pairs `(i, j)` it sums.
    fn bilinear(&mut self, node: &TypedNode) -> Result<NodeId> {
        let lhs = self.operand(node.inputs[0], ParamRole::Activation)?;
        let rhs = self.operand(node.inputs[1], ParamRole::Activation)?;
        let (n_lhs, n_rhs) = (self.graph.nodes[lhs].len(), self.graph.nodes[rhs].len());
        let mut rows = vec![vec![]; shape_of(self.model, OutletId::new(node.id, 0))?.iter().product()];
        for i in 0..n_lhs {
            let probe = self.probe_inputs(node, |slot, shape| {
                let n: usize = shape.iter().product();
                if slot == 0 {
                    (0..n).map(|k| if k == i { 1.0 } else { 0.0 }).collect()
                } else {
                    (1..=n).map(|k| k as f32).collect()
                }
            })?;
            for (o, v) in eval(node, probe)?.into_iter().enumerate() {
                if v != 0.0 {
                    let j = as_index(v, n_rhs).ok_or_else(|| unsupported(node, "product is not separable"))?;
                    rows[o].push((i, j - 1));
                }
            }
        }
        let (a, b) = (test_values(n_lhs, node.id), test_values(n_rhs, node.id + 1));
        let expected = eval(node, self.probe_inputs(node, |slot, _| if slot == 0 { a.clone() } else { b.clone() })?)?;
        for (row, e) in rows.iter().zip(&expected) {
            if !close(row.iter().map(|&(i, j)| a[i] * b[j]).sum(), *e) {
                return Err(unsupported(node, "operator is not a separable product"));
            }
        }
        self.push(node, Op::Bilinear { rows }, vec![lhs, rhs])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tract_onnx::tract_core::ops::cast::cast;
    use tract_onnx::tract_core::ops::math::add;

    /// `Gather(table, Cast<I64>(ids))` on float token ids, with the cast's output also added to
    /// itself where `also_arithmetic`.
    fn embedding(also_arithmetic: bool) -> TypedModel {
        let mut model = TypedModel::default();
        let ids = model.add_source("ids", f32::fact([2])).unwrap();
        let cast = model.wire_node("cast", cast(i64::datum_type()), &[ids]).unwrap();
        let table = model.add_const("table", tensor2(&[[0.5f32, -0.25], [1.0, 0.75], [-1.0, 0.125]])).unwrap();
        let gathered = model.wire_node("gather", Gather::new(0), &[table, cast[0]]).unwrap();
        let mut outputs = vec![gathered[0]];
        if also_arithmetic {
            outputs.extend(model.wire_node("sum", add(), &[cast[0], cast[0]]).unwrap());
        }
        model.select_output_outlets(&outputs).unwrap();
        model
    }

    /// `Xor(b, other)` of a boolean input `b`, with `other` the input itself or a constant.
    fn logic(with_constant: bool) -> TypedModel {
        let mut model = TypedModel::default();
        let b = model.add_source("b", bool::fact([2])).unwrap();
        let other = if with_constant { model.add_const("mask", tensor1(&[true, false])).unwrap() } else { b };
        let xor = model.wire_node("xor", tract_onnx::tract_core::ops::logic::xor(), &[b, other]).unwrap();
        model.select_output_outlets(&xor).unwrap();
        model
    }

    #[test]
    fn a_boolean_input_is_a_bit_and_a_boolean_constant_is_refused_in_logic() {
        let graph = lower(&logic(false)).unwrap();
        let ops: Vec<_> = graph.nodes.iter().map(|n| (n.name.as_str(), &n.op)).collect();
        assert!(matches!(ops[..2], [("b", Op::Input(0)), ("b.as_boolean", Op::ToBoolean)]), "{ops:?}");
        assert!(matches!(ops[2], ("xor", Op::Binary { kind: BinaryKind::Xor, .. })), "{ops:?}");
        assert!(graph.booleans.contains(&1) && graph.booleans.contains(&2));
        assert!(matches!(ops[3], ("xor.as_number", Op::FromBoolean)), "{ops:?}");
        // Constants are parameters, numbers to the circuit.
        match lower(&logic(true)) {
            Err(Error::UnsupportedOp { op, detail, .. }) => {
                assert_eq!(op, "Xor");
                assert!(detail.contains("a logical operation on numbers"), "{detail}");
            }
            other => panic!("expected the constant refused, got {:?}", other.map(|g| g.nodes.len())),
        }
    }

    #[test]
    fn an_operator_without_a_lowering_is_named_with_its_node() {
        let mut model = TypedModel::default();
        let x = model.add_source("x", f32::fact([3])).unwrap();
        let nan = model.wire_node("nan_check", tract_onnx::tract_core::ops::math::is_nan(), &[x]).unwrap();
        model.select_output_outlets(&nan).unwrap();
        match lower(&model) {
            Err(error @ Error::UnsupportedOp { .. }) => {
                assert_eq!(error.to_string(), "unsupported operator `IsNan` at node `nan_check`");
            }
            other => panic!("expected an unsupported operator, got {:?}", other.map(|g| g.nodes.len())),
        }
    }

    #[test]
    fn a_panic_inside_a_probe_is_an_unsupported_operator() {
        // tract's GatherElements indexes with its operand's values off its last axis, and
        // panics where one is out of range.
        let mut model = TypedModel::default();
        let data = model.add_source("data", f32::fact([2, 3])).unwrap();
        let indices = model.add_const("indices", tensor2(&[[5i64, 0, 0]])).unwrap();
        let gathered = model.wire_node("gather", GatherElements::new(0), &[data, indices]).unwrap();
        let probe = tvec![tensor2(&[[1f32, 2., 3.], [4., 5., 6.]]), tensor2(&[[5i64, 0, 0]])];
        match eval(model.node(gathered[0].node), probe) {
            Err(Error::UnsupportedOp { node, detail, .. }) => {
                assert_eq!(node, "gather");
                assert!(detail.contains("operator fails on probe inputs"), "{detail}");
            }
            other => panic!("expected the panic reported as an error, got {other:?}"),
        }
    }

    #[test]
    fn an_integer_constant_concatenated_with_an_input_is_data() {
        use tract_onnx::tract_core::ops::array::TypedConcat;
        let mut model = TypedModel::default();
        let rows = model.add_const("rows", tensor1(&[0i32, 0])).unwrap();
        let x = model.add_source("x", i32::fact([2])).unwrap();
        let both = model.wire_node("both", TypedConcat { axis: 0 }, &[rows, x]).unwrap();
        model.select_output_outlets(&both).unwrap();
        let graph = lower(&model).unwrap();
        let both = graph.nodes.iter().find(|n| n.name == "both").unwrap();
        // The constant's two elements, then the input's.
        assert!(
            matches!(&both.op, Op::Gather { sources } if sources == &[Some(0), Some(1), Some(2), Some(3)]),
            "{:?}",
            both.op
        );
        let operands: Vec<_> = both.inputs.iter().map(|&i| &graph.nodes[i].op).collect();
        // An integer input is range-checked as an integer before use.
        assert!(matches!(operands[..], [Op::Params(_), Op::Integer]), "{operands:?}");
        assert_eq!(graph.params.iter().map(|p| p.value).collect::<Vec<_>>(), [0.0, 0.0]);
    }

    #[test]
    fn a_float_to_integer_cast_is_lowered_only_where_it_feeds_indices() {
        let graph = lower(&embedding(false)).unwrap();
        let gather = graph.nodes.iter().find(|n| n.name == "gather").unwrap();
        assert!(matches!(gather.op, Op::Index { .. }), "{:?}", gather.op);
        // Read as a number, the cast would round: refused, with the node's name.
        match lower(&embedding(true)) {
            Err(Error::UnsupportedOp { op, node, .. }) => assert_eq!((op.as_str(), node.as_str()), ("Cast", "cast")),
            other => panic!("expected the cast refused, got {:?}", other.map(|g| g.nodes.len())),
        }
    }
}
