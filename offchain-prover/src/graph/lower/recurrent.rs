//! Recurrence: tract's `Scan` (the loop ONNX `LSTM`, `GRU` and `RNN` import to) unrolled into
//! one copy of its body per iteration, and the fused LSTM and GRU cells tract puts in such
//! bodies, as element-wise steps.
//!
//! The body's parameters are registered once and shared by every iteration, as are the tables of
//! its element-wise functions, so an unrolled loop commits to its weights once.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::gru_cell::GruEpilogue;
use tract_onnx::tract_core::ops::lstm_cell::LstmEpilogue;
use tract_onnx::tract_core::ops::scan::{InputMapping, Scan};

use super::{close, eval, shape_of, test_values, tract_err, unsupported, Lowering, Value};
use zkml_circuit::error::Result;
use zkml_circuit::ir::{BinaryKind, Function, FunctionOp, NodeId, Op, ParamRole};

/// Most iterations a loop may unroll to.
const MAX_ITERATIONS: usize = 1 << 12;

/// For each element of the part of a tensor of `shape` at positions `start..start + len` along
/// `axis`, its element number in the whole.
fn along(shape: &[usize], axis: usize, start: usize, len: usize) -> Vec<usize> {
    let (outer, inner) = (shape[..axis].iter().product::<usize>(), shape[axis + 1..].iter().product::<usize>());
    (0..outer)
        .flat_map(|o| {
            (start..start + len).flat_map(move |a| (0..inner).map(move |i| (o * shape[axis] + a) * inner + i))
        })
        .collect()
}

/// Row-major element numbers of the columns `columns` of each of `rows` rows of `width`.
fn columns(rows: usize, width: usize, columns: std::ops::Range<usize>) -> Vec<usize> {
    along(&[rows, width], 1, columns.start, columns.len())
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

impl<'a> Lowering<'a> {
    /// Outputs of nodes with more than one: a loop, or an LSTM cell (hidden and cell state).
    /// `None` for every other node.
    pub(super) fn multiple_outputs(&mut self, node: &'a TypedNode) -> Result<Option<Vec<NodeId>>> {
        if let Some(op) = node.op_as::<Scan>() {
            return self.scan(node, op).map(Some);
        }
        if let Some(op) = node.op_as::<LstmEpilogue>() {
            return self.lstm_cell(node, op.hidden).map(Some);
        }
        Ok(None)
    }

    /// The function of lookup node `id`: tract's operator there, in the loop body being lowered
    /// where there is one.
    pub(super) fn function_of(&self, id: usize) -> FunctionOp {
        match self.scan {
            Some(scan) => FunctionOp::ScanBody { scan, node: id },
            None => FunctionOp::Node(id),
        }
    }

    /// `Scan`, unrolled: each iteration lowers the body on its slice of the scanned inputs, the
    /// whole of the others and the state the one before left.
    fn scan(&mut self, node: &'a TypedNode, op: &'a Scan) -> Result<Vec<NodeId>> {
        if self.scan.is_some() {
            return Err(unsupported(node, "a loop inside a loop"));
        }
        if op.skip > 0 {
            return Err(unsupported(node, "a loop that skips iterations"));
        }
        let facts = self.model.node_input_facts(node.id).map_err(tract_err)?;
        let iterations = op
            .iteration_count(&facts)
            .and_then(|n| n.to_i64().ok())
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| (1..=MAX_ITERATIONS).contains(&n))
            .ok_or_else(|| unsupported(node, "a loop of no fixed, bounded number of iterations"))?;
        let outer: Vec<Value> = node
            .inputs
            .iter()
            .map(|o| self.values.get(o).cloned().ok_or_else(|| unsupported(node, "input not computed")))
            .collect::<Result<_>>()?;
        // Initial states are nodes, so that the first iteration lowers like every other, not on
        // constants alone.
        let mut states = vec![];
        for (mapping, &outlet) in op.input_mapping.iter().zip(&node.inputs) {
            if mapping.is_state() {
                states.push(Value::Node(self.operand(outlet, ParamRole::Activation)?));
            }
        }

        let mut body = Lowering::new(&op.body, std::mem::take(&mut self.graph), Some(node.id));
        let body_inputs = op.body.input_outlets().map_err(tract_err)?;
        let body_outputs = op.body.output_outlets().map_err(tract_err)?;
        let order = op.body.eval_order().map_err(tract_err)?;
        // Per body output, its node in each iteration.
        let mut per_iteration: Vec<Vec<NodeId>> = vec![vec![]; body_outputs.len()];
        for i in 0..iterations {
            body.values.clear();
            let mut state = std::mem::take(&mut states).into_iter();
            for (slot, (mapping, &inlet)) in op.input_mapping.iter().zip(body_inputs).enumerate() {
                let value = match mapping {
                    InputMapping::Full => outer[slot].clone(),
                    InputMapping::State => state.next().ok_or_else(|| unsupported(node, "a state without a value"))?,
                    InputMapping::Scan(info) => {
                        let len = shape_of(&op.body, inlet)?[info.axis];
                        let full = shape_of(self.model, node.inputs[slot])?;
                        let start = match info.chunk {
                            c if c > 0 && full[info.axis] % c as usize == 0 => i * c as usize,
                            -1 => full[info.axis] - 1 - i,
                            _ => return Err(unsupported(node, "a loop over uneven or backward chunks")),
                        };
                        body.slice(node, &outer[slot], &full, info.axis, start, len)?
                    }
                };
                body.values.insert(inlet, value);
            }
            for &id in &order {
                body.node(id)?;
            }
            for ((mapping, &output), nodes) in op.output_mapping.iter().zip(body_outputs).zip(&mut per_iteration) {
                let output = body.operand(output, ParamRole::Activation)?;
                if mapping.state {
                    states.push(Value::Node(output));
                }
                nodes.push(output);
            }
            tracing::trace!(scan = %node.name, iteration = i, nodes = body.graph.nodes.len(), "unrolled");
        }
        self.graph = std::mem::take(&mut body.graph);

        let mut outputs = vec![None; node.outputs.len()];
        for (mapping, nodes) in op.output_mapping.iter().zip(&per_iteration) {
            if let Some(slot) = mapping.last_value_slot {
                outputs[slot] = nodes.last().copied();
            }
            if let Some((slot, info)) = mapping.scan {
                let shape = shape_of(self.model, OutletId::new(node.id, slot))?;
                let chunk = self.graph.nodes[nodes[0]].shape.get(info.axis).copied().unwrap_or(0);
                if chunk * iterations != shape[info.axis] || (info.chunk < 0 && chunk != 1) {
                    return Err(unsupported(node, "a loop output of uneven or backward chunks"));
                }
                // The iterations' outputs laid end to end, in the order they take along the axis.
                let mut sources = vec![None; shape.iter().product()];
                for (i, &n) in nodes.iter().enumerate() {
                    let at = if info.chunk < 0 { shape[info.axis] - 1 - i } else { i * chunk };
                    for (k, position) in along(&shape, info.axis, at, chunk).into_iter().enumerate() {
                        sources[position] = Some(i * self.graph.nodes[n].len() + k);
                    }
                }
                let name = format!("{}.{slot}", node.name);
                outputs[slot] = Some(self.push_step(name, Op::Gather { sources }, nodes.clone(), shape));
            }
        }
        outputs.into_iter().map(|o| o.ok_or_else(|| unsupported(node, "a loop output that is never set"))).collect()
    }

    /// Positions `start..start + len` along `axis` of `value`, a tensor of shape `full`.
    fn slice(
        &mut self,
        node: &TypedNode,
        value: &Value,
        full: &[usize],
        axis: usize,
        start: usize,
        len: usize,
    ) -> Result<Value> {
        match value {
            Value::Const(t) => {
                Ok(Value::Const(t.slice(axis, start, start + len).map_err(tract_err)?.into_arc_tensor()))
            }
            &Value::Node(n) => {
                let mut shape = full.to_vec();
                shape[axis] = len;
                let sources = along(full, axis, start, len).into_iter().map(Some).collect();
                let name = format!("{}.slice{start}", node.name);
                Ok(Value::Node(self.push_step(name, Op::Gather { sources }, vec![n], shape)))
            }
            Value::Shifted(..) => Err(unsupported(node, "a shifted loop input")),
        }
    }

    /// A step of `node`'s lowering: `lhs ∘ rhs` on the given elements of each.
    fn step(
        &mut self,
        node: &TypedNode,
        name: &str,
        kind: BinaryKind,
        lhs: (NodeId, Vec<usize>),
        rhs: (NodeId, Vec<usize>),
    ) -> NodeId {
        let shape = vec![lhs.1.len()];
        let op = Op::Binary { kind, lhs_index: lhs.1, rhs_index: rhs.1 };
        self.push_step(format!("{}.{name}", node.name), op, vec![lhs.0, rhs.0], shape)
    }

    /// A step of `node`'s lowering: `function` of the elements `elements` of `x`, through the one
    /// table of that function.
    fn function_step(
        &mut self,
        node: &TypedNode,
        name: &str,
        function: FunctionOp,
        x: NodeId,
        elements: Vec<usize>,
    ) -> NodeId {
        let shape = vec![elements.len()];
        let part = self.push_step(
            format!("{}.{name}_in", node.name),
            Op::Gather { sources: elements.into_iter().map(Some).collect() },
            vec![x],
            shape.clone(),
        );
        let table = self.table(Function { name: format!("{function:?}"), op: function, addend: 0.0 });
        self.push_step(format!("{}.{name}", node.name), Op::Lookup { table }, vec![part], shape)
    }

    /// tract's fused LSTM cell: from the gate pre-activations `[rows, 4h]` (gate order i, o, f,
    /// c) and the cell state `c`, `C = σ(f)·c + σ(i)·tanh(c̃)` and `H = σ(o)·tanh(C)`.
    fn lstm_cell(&mut self, node: &TypedNode, h: usize) -> Result<Vec<NodeId>> {
        let preact = self.operand(node.inputs[0], ParamRole::Activation)?;
        let c = self.operand(node.inputs[1], ParamRole::Activation)?;
        let rows = self.graph.nodes[c].len() / h.max(1);
        if h == 0 || self.graph.nodes[preact].len() != rows * 4 * h || self.graph.nodes[c].len() != rows * h {
            return Err(unsupported(node, "gate pre-activations of another shape than the state's"));
        }
        self.check_cell(node, |x| {
            let (g, c) = (&x[0], &x[1]);
            let at = |r: usize, gate: usize, j: usize| g[r * 4 * h + gate * h + j];
            let cell: Vec<f32> = (0..rows * h)
                .map(|k| {
                    sigmoid(at(k / h, 2, k % h)) * c[k] + sigmoid(at(k / h, 0, k % h)) * at(k / h, 3, k % h).tanh()
                })
                .collect();
            (0..rows * h).map(|k| sigmoid(at(k / h, 1, k % h)) * cell[k].tanh()).collect()
        })?;
        let gates = self.function_step(node, "gates", FunctionOp::Sigmoid, preact, columns(rows, 4 * h, 0..3 * h));
        let candidate =
            self.function_step(node, "candidate", FunctionOp::Tanh, preact, columns(rows, 4 * h, 3 * h..4 * h));
        let all: Vec<usize> = (0..rows * h).collect();
        let forget =
            self.step(node, "forget", BinaryKind::Mul, (gates, columns(rows, 3 * h, 2 * h..3 * h)), (c, all.clone()));
        let input =
            self.step(node, "input", BinaryKind::Mul, (gates, columns(rows, 3 * h, 0..h)), (candidate, all.clone()));
        let cell = self.step(node, "cell", BinaryKind::Add, (forget, all.clone()), (input, all.clone()));
        let squashed = self.function_step(node, "cell_tanh", FunctionOp::Tanh, cell, all.clone());
        let hidden =
            self.step(node, "hidden", BinaryKind::Mul, (gates, columns(rows, 3 * h, h..2 * h)), (squashed, all));
        // The outputs take the state's shape.
        let shape = self.graph.nodes[c].shape.clone();
        self.graph.nodes[cell].shape = shape.clone();
        self.graph.nodes[hidden].shape = shape;
        Ok(vec![hidden, cell])
    }

    /// tract's fused GRU cell (`linear_before_reset`): from `xh = x·Wᵀ + Wb` and
    /// `rh = h·Rᵀ + Rb`, `[rows, 3h]` in gate order z, r, n, and the state `h`:
    /// `n = tanh(xh_n + σ(xh_r + rh_r)·rh_n)` and `H = n + σ(xh_z + rh_z)·(h − n)`.
    pub(super) fn gru_cell(&mut self, node: &TypedNode) -> Result<NodeId> {
        let h = node.op_as::<GruEpilogue>().map_or(0, |op| op.hidden);
        let [xh, rh, state] = [0, 1, 2].map(|s| self.operand(node.inputs[s], ParamRole::Activation));
        let (xh, rh, state) = (xh?, rh?, state?);
        let rows = self.graph.nodes[state].len() / h.max(1);
        let gates_len = rows * 3 * h;
        if h == 0 || self.graph.nodes[xh].len() != gates_len || self.graph.nodes[rh].len() != gates_len {
            return Err(unsupported(node, "gate pre-activations of another shape than the state's"));
        }
        self.check_cell(node, |x| {
            let at = |t: &[f32], r: usize, gate: usize, j: usize| t[r * 3 * h + gate * h + j];
            (0..rows * h)
                .map(|k| {
                    let (r, j) = (k / h, k % h);
                    let z = sigmoid(at(&x[0], r, 0, j) + at(&x[1], r, 0, j));
                    let reset = sigmoid(at(&x[0], r, 1, j) + at(&x[1], r, 1, j));
                    let n = (at(&x[0], r, 2, j) + reset * at(&x[1], r, 2, j)).tanh();
                    n + z * (x[2][k] - n)
                })
                .collect()
        })?;
        let update_reset = columns(rows, 3 * h, 0..2 * h);
        let pre = self.step(node, "gates_in", BinaryKind::Add, (xh, update_reset.clone()), (rh, update_reset));
        let gates = self.function_step(node, "gates", FunctionOp::Sigmoid, pre, (0..rows * 2 * h).collect());
        let all: Vec<usize> = (0..rows * h).collect();
        let new = columns(rows, 3 * h, 2 * h..3 * h);
        let reset =
            self.step(node, "reset", BinaryKind::Mul, (gates, columns(rows, 2 * h, h..2 * h)), (rh, new.clone()));
        let pre = self.step(node, "candidate_in", BinaryKind::Add, (xh, new), (reset, all.clone()));
        let candidate = self.function_step(node, "candidate", FunctionOp::Tanh, pre, all.clone());
        let kept = self.step(node, "kept", BinaryKind::Sub, (state, all.clone()), (candidate, all.clone()));
        let update =
            self.step(node, "update", BinaryKind::Mul, (gates, columns(rows, 2 * h, 0..h)), (kept, all.clone()));
        let op = Op::Binary { kind: BinaryKind::Add, lhs_index: all.clone(), rhs_index: all };
        self.push(node, op, vec![candidate, update])
    }

    /// Checks a cell's reading of tract's operator on probe values: `expected` computes its first
    /// output from the inputs.
    fn check_cell(&self, node: &TypedNode, expected: impl Fn(&[Vec<f32>]) -> Vec<f32>) -> Result<()> {
        let inputs: Vec<Vec<f32>> = node
            .inputs
            .iter()
            .enumerate()
            .map(|(slot, &o)| {
                Ok(test_values(shape_of(self.model, o)?.iter().product(), node.id + slot)
                    .iter()
                    .map(|v| 3.0 * v)
                    .collect())
            })
            .collect::<Result<_>>()?;
        let got = eval(node, self.probe_inputs(node, |slot, _| inputs[slot].clone())?)?;
        let want = expected(&inputs);
        if got.len() != want.len() || got.iter().zip(&want).any(|(&a, &b)| !close(a, b)) {
            return Err(unsupported(node, "the cell's gates could not be derived"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_along_an_axis_and_gate_columns_are_row_major_positions() {
        // A 2×3×2 tensor: positions 1 and 2 along axis 1, in each of the two outer rows.
        assert_eq!(along(&[2, 3, 2], 1, 1, 2), vec![2, 3, 4, 5, 8, 9, 10, 11]);
        assert_eq!(along(&[3, 2], 0, 2, 1), vec![4, 5]);
        // Columns 1 and 2 of two rows of four.
        assert_eq!(columns(2, 4, 1..3), vec![1, 2, 5, 6]);
    }
}
