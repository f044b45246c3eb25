//! Lays a lowered model out on the fixed-point chip: one pass over the graph, in order.

use std::collections::HashMap;

use halo2_base::gates::GateInstructions;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::{AssignedValue, Context, QuantumCell};

use super::chip::{Division, FixedPointChip};
use super::commit::commit;
use super::functions::{FloatFunctions, FunctionTable};
use crate::error::{Error, Result};
use crate::ir::{BinaryKind, Candidate, Case, Coeff, Graph, Op, ParamRole, PoolKind};
use crate::quantize::{bit_length, dequantize, from_field, quantize, to_field};
use serde::{Deserialize, Serialize};
use zkml_primitives::{InputInstances, PublicInstances};

/// What one inference lays out: the model's graph, its quantised inputs and the caller's binding.
pub struct Inference<'a> {
    pub graph: &'a Graph,
    /// Quantised parameters, in [`Graph::params`](crate::ir::Graph) order.
    pub params: &'a [i64],
    pub param_bits: ParamBits,
    /// Quantised inputs at the activation scale.
    pub inputs: &'a [Vec<i64>],
    /// For a private input, the blinding of its commitment: the inputs are replaced among the
    /// public instances by a Poseidon commitment to them and this field element, which only the
    /// input's owner knows, so that the commitment reveals nothing of an input that could be
    /// guessed.
    pub input_blinding: Option<Fr>,
    pub binding: Fr,
    /// Where function lookups take their values from.
    pub functions: FunctionValues<'a>,
}

/// Where the values of function lookups come from.
#[derive(Clone, Copy)]
pub enum FunctionValues<'a> {
    /// Evaluated in floats at each looked-up point (the compiler's float reference): calibration
    /// only, which runs before the table's domain is known.
    Float(&'a dyn FloatFunctions),
    /// Read from the sampled table that the keys commit to: sizing, key generation and proving.
    Table(&'a FunctionTable),
}

/// The public instances and the quantised outputs of a laid-out inference.
#[derive(Clone, Debug)]
pub struct Laid {
    pub instances: Vec<Fr>,
    pub outputs: Vec<Vec<i128>>,
}

/// Most advice cells a circuit may take: 2^26, where proving would need tens of GB (lenet_5's
/// 2 million take 1.8 GB) and laying out alone several. Past it, compilation stops at the node
/// that crosses it rather than exhausting memory.
pub const MAX_CELLS: usize = 1 << 26;

/// Bits (magnitude and sign) of the largest quantised parameter of each kind: `|p| < 2^(bits-1)`.
/// Biases, at twice the activation scale, need more than weights; the model commitment packs each
/// kind at its own width.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamBits {
    /// Weights and activation-scale parameters.
    pub weight: u32,
    pub bias: u32,
}

impl ParamBits {
    /// Bounds nothing: for layouts that only measure.
    pub const UNBOUNDED: Self = Self { weight: 64, bias: 64 };

    pub fn measure(graph: &Graph, params: &[i64]) -> Self {
        let bits = |bias: bool| {
            let max = graph.params.iter().zip(params).filter(|(p, _)| (p.role == ParamRole::Bias) == bias);
            bit_length(max.map(|(_, v)| v.unsigned_abs() as u128).max().unwrap_or(0)) + 1
        };
        Self { weight: bits(false), bias: bits(true) }
    }

    pub fn of(&self, role: ParamRole) -> u32 {
        if role == ParamRole::Bias {
            self.bias
        } else {
            self.weight
        }
    }
}

/// Quantises the model's parameters at `scale` (biases at twice the scale).
pub fn quantize_params(graph: &Graph, scale: u32) -> Result<Vec<i64>> {
    graph
        .params
        .iter()
        .map(|p| {
            let s = if p.role == ParamRole::Bias { 2 * scale } else { scale };
            quantize(p.value as f64, s).ok_or(Error::OutOfRange {
                node: "parameters".into(),
                value: i128::MAX,
                bound: 1 << 62,
                scale: s,
            })
        })
        .collect()
}

/// The maximum (or minimum) of `x` over `window`, a chain of [`FixedPointChip::max_min`].
fn pool(
    ctx: &mut Context<Fr>,
    chip: &mut FixedPointChip,
    x: &[AssignedValue<Fr>],
    window: &[usize],
    max: bool,
) -> AssignedValue<Fr> {
    window[1..].iter().fold(x[window[0]], |acc, &i| chip.max_min(ctx, acc, x[i], max))
}

/// One bit per element of `window`, set for the first element of `x` over it that equals
/// `value` only: `first = hit · (1 − seen)`, where `seen`, a bit, says whether an earlier one hit.
fn first_hits(
    ctx: &mut Context<Fr>,
    chip: &FixedPointChip,
    x: &[AssignedValue<Fr>],
    window: &[usize],
    value: AssignedValue<Fr>,
) -> Vec<AssignedValue<Fr>> {
    let gate = chip.gate();
    let mut seen: Option<AssignedValue<Fr>> = None;
    window
        .iter()
        .map(|&i| {
            let hit = gate.is_equal(ctx, x[i], value);
            let first = seen.map_or(hit, |seen| gate.mul_not(ctx, seen, hit));
            seen = Some(seen.map_or(first, |seen| gate.add(ctx, seen, first)));
            first
        })
        .collect()
}

/// The position in `window` of the first maximum (or minimum) of `x` over it, as a number.
fn arg(
    ctx: &mut Context<Fr>,
    chip: &mut FixedPointChip,
    x: &[AssignedValue<Fr>],
    window: &[usize],
    max: bool,
    reversed: bool,
) -> AssignedValue<Fr> {
    // The pool's result is one of the window's values, so one bit is set.
    let extremum = pool(ctx, chip, x, window, max);
    let hits = first_hits(ctx, chip, x, window, extremum);
    let last = window.len() - 1;
    let positions = (0..window.len())
        .map(|p| QuantumCell::Constant(to_field((if reversed { last - p } else { p } as i128) << chip.q.scale)));
    chip.gate().inner_product(ctx, hits.into_iter().map(QuantumCell::Existing), positions)
}

/// The `k` largest (or smallest) of `x` over `group`, in order. Each round takes the extremum of
/// what is left and puts the group's opposite extremum in place of its first occurrence, which no
/// later round prefers to a value still left.
fn top_k(
    ctx: &mut Context<Fr>,
    chip: &mut FixedPointChip,
    x: &[AssignedValue<Fr>],
    group: &[usize],
    k: usize,
    largest: bool,
) -> Vec<AssignedValue<Fr>> {
    let filler = pool(ctx, chip, x, group, !largest);
    let mut left: Vec<_> = group.iter().map(|&i| x[i]).collect();
    let all: Vec<usize> = (0..left.len()).collect();
    (0..k)
        .map(|round| {
            let best = pool(ctx, chip, &left, &all, largest);
            if round + 1 < k {
                let hits = first_hits(ctx, chip, &left, &all, best);
                left = left.iter().zip(hits).map(|(&v, hit)| chip.gate().select(ctx, filler, v, hit)).collect();
            }
            best
        })
        .collect()
}

/// The bits of combinations of index values (the conditions of [`Candidate`]s): a one-hot per
/// index element, and per combination the product of its values' bits, shared by the candidates
/// of one combination (the elements of one `ScatterNd` or `GatherNd` slice).
struct ConditionBits<'a> {
    one_hots: Vec<Vec<AssignedValue<Fr>>>,
    products: HashMap<&'a [(usize, usize)], AssignedValue<Fr>>,
}

impl<'a> ConditionBits<'a> {
    fn new(ctx: &mut Context<Fr>, chip: &mut FixedPointChip, indices: &[AssignedValue<Fr>], ranges: &[usize]) -> Self {
        let one_hots = indices.iter().zip(ranges).map(|(&x, &n)| chip.one_hot(ctx, x, n)).collect();
        Self { one_hots, products: HashMap::new() }
    }

    fn bit(
        &mut self,
        ctx: &mut Context<Fr>,
        gate: &impl GateInstructions<Fr>,
        conditions: &'a [(usize, usize)],
    ) -> AssignedValue<Fr> {
        let one_hots = &self.one_hots;
        *self.products.entry(conditions).or_insert_with(|| {
            let mut factors = conditions.iter().map(|&(k, v)| one_hots[k][v]);
            let first = factors.next().expect("a candidate has conditions");
            factors.fold(first, |product, bit| gate.mul(ctx, product, bit))
        })
    }
}

/// `f_table(x)` for each of `x`, looked up in the function table.
fn look_up(
    ctx: &mut Context<Fr>,
    chip: &mut FixedPointChip,
    inference: &Inference,
    table: usize,
    x: &[AssignedValue<Fr>],
) -> Result<Vec<AssignedValue<Fr>>> {
    let (graph, scale) = (inference.graph, chip.q.scale);
    let undefined = |chip: &FixedPointChip, x: i128| Error::FunctionUndefined {
        function: graph.functions[table].name.clone(),
        node: chip.node.clone(),
        input: dequantize(x, scale),
    };
    let xs: Vec<i128> = x.iter().map(|v| from_field(v.value())).collect();
    let ys: Vec<i128> = match inference.functions {
        FunctionValues::Float(float) => {
            let floats: Vec<f32> = xs.iter().map(|&x| dequantize(x, scale) as f32).collect();
            let ys = float.eval_function(table, &floats)?;
            xs.iter()
                .zip(ys)
                .map(|(&x, y)| quantize(y as f64, scale).map(i128::from).ok_or_else(|| undefined(chip, x)))
                .collect::<Result<_>>()?
        }
        FunctionValues::Table(functions) => xs
            .iter()
            .map(|&x| match functions.value(table, x) {
                Some(y) => Ok(i128::from(y)),
                // Outside the domain the lookup records the violation; inside it, the function
                // has no value.
                None if x.unsigned_abs() >= 1 << (functions.bits.max(1) - 1) => Ok(0),
                None => Err(undefined(chip, x)),
            })
            .collect::<Result<_>>()?,
    };
    Ok(x.iter().zip(ys).map(|(cell, y)| chip.lookup(ctx, table, *cell, y)).collect())
}

pub fn lay_out(
    ctx: &mut Context<Fr>,
    chip: &mut FixedPointChip,
    inference: &Inference,
) -> Result<(Laid, Vec<AssignedValue<Fr>>)> {
    let Inference { graph, params, param_bits, inputs, input_blinding, binding, .. } = inference;
    // Operands that are all-zero parameters: ReLU as tract declutters it is `Max(x, 0)`.
    let is_zero = |n: usize| matches!(&graph.nodes[n].op, Op::Params(ps) if ps.iter().all(|&p| params[p] == 0));
    let scale = chip.q.scale;
    let gate = chip.range.gate.clone();

    // Parameters are private witnesses, assigned where the commitment that binds them to the
    // model packs them.
    chip.node = "model commitment".into();
    let witnesses = params.iter().map(|&p| QuantumCell::Witness(to_field(p as i128))).collect();
    let (params, model_commitment) = commit(chip, ctx, witnesses, |i| param_bits.of(graph.params[i].role), None);

    // Every input is bounded like every other value, `|x| < 2^(bits-1)`: by its commitment when
    // private, by a range check when public. Nothing downstream may meet an unbounded value.
    chip.node = "inputs".into();
    let bits = chip.q.bits;
    for &v in inputs.iter().flatten() {
        chip.record(v as i128, bits, false);
    }
    let (inputs, input_instances): (Vec<Vec<_>>, _) = match input_blinding {
        Some(blinding) => {
            let flat = inputs.iter().flatten().map(|&v| QuantumCell::Witness(to_field(v as i128))).collect();
            let (cells, commitment) = commit(chip, ctx, flat, |_| bits, Some(*blinding));
            let mut cells = cells.into_iter();
            (
                inputs.iter().map(|row| cells.by_ref().take(row.len()).collect()).collect(),
                InputInstances::Committed(commitment),
            )
        }
        None => {
            let inputs: Vec<Vec<_>> =
                inputs.iter().map(|row| ctx.assign_witnesses(row.iter().map(|&v| to_field(v as i128)))).collect();
            for &v in inputs.iter().flatten() {
                chip.check_signed(ctx, v, bits);
            }
            let instances = InputInstances::Public(inputs.iter().flatten().copied().collect());
            (inputs, instances)
        }
    };

    let zero = ctx.load_zero();
    let mut values: Vec<Vec<AssignedValue<Fr>>> = Vec::with_capacity(graph.nodes.len());
    // The positive parts of node outputs whose range checks produced them (rescales).
    let mut positives: Vec<Option<Vec<AssignedValue<Fr>>>> = Vec::with_capacity(graph.nodes.len());
    tracing::debug!(cells = ctx.advice.len(), "parameters committed and inputs assigned");
    for node in &graph.nodes {
        chip.node = node.name.clone();
        let cells_before = ctx.advice.len();
        let operand = |i: usize| &values[node.inputs[i]];
        let mut positive = None;
        let out = match &node.op {
            Op::Input(i) => inputs[*i].clone(),
            Op::Params(indices) => indices.iter().map(|&p| params[p]).collect(),
            Op::Gather { sources } => {
                let all: Vec<_> = node.inputs.iter().flat_map(|&i| values[i].iter().copied()).collect();
                sources.iter().map(|s| s.map_or(zero, |s| all[s])).collect()
            }
            Op::Linear { rows, bias: bias_coeffs } => {
                let x = operand(0).clone();
                // Integer structural coefficients (sums, sum pools) need no rescaling.
                let exact = bias_coeffs.iter().all(Option::is_none)
                    && rows.iter().flatten().all(|(_, c)| matches!(c, Coeff::Const(v) if v.fract() == 0.0));
                let coeff = |c: &Coeff| -> QuantumCell<Fr> {
                    match *c {
                        Coeff::Param(p) => QuantumCell::Existing(params[p]),
                        Coeff::Const(v) if exact => QuantumCell::Constant(to_field(v as i128)),
                        Coeff::Const(v) => {
                            QuantumCell::Constant(to_field(quantize(v as f64, scale).unwrap_or(0) as i128))
                        }
                    }
                };
                let bias = |b: &Option<Coeff>| match b {
                    Some(Coeff::Param(p)) => Some(params[*p]),
                    _ => None,
                };
                if exact {
                    rows.iter()
                        .map(|row| {
                            let xs = row.iter().map(|(i, _)| QuantumCell::Existing(x[*i]));
                            let ws = row.iter().map(|(_, c)| coeff(c));
                            if row.is_empty() {
                                zero
                            } else {
                                gate.inner_product(ctx, xs, ws)
                            }
                        })
                        .collect()
                } else {
                    let rescaled: Vec<_> = rows
                        .iter()
                        .zip(bias_coeffs)
                        .map(|(row, b)| {
                            let terms = row.iter().map(|(i, c)| (QuantumCell::Existing(x[*i]), coeff(c))).collect();
                            chip.dot_rescale(ctx, bias(b), terms, scale)
                        })
                        .collect();
                    positive = Some(rescaled.iter().map(|r| r.positive).collect());
                    rescaled.iter().map(|r| r.value).collect()
                }
            }
            Op::Binary { kind: kind @ (BinaryKind::Max | BinaryKind::Min), lhs_index, rhs_index }
                if is_zero(node.inputs[0]) || is_zero(node.inputs[1]) =>
            {
                // max(x, 0) is x's positive part, which x's rescale may already have split off;
                // min(x, 0) = x − max(x, 0).
                let (x, index) = if is_zero(node.inputs[1]) { (0, lhs_index) } else { (1, rhs_index) };
                let xs = operand(x).clone();
                let parts = positives[node.inputs[x]].as_ref();
                index
                    .iter()
                    .map(|&i| {
                        let relu = parts.map_or_else(|| chip.sign_split(ctx, xs[i]), |parts| parts[i]);
                        if *kind == BinaryKind::Max {
                            relu
                        } else {
                            gate.sub(ctx, xs[i], relu)
                        }
                    })
                    .collect()
            }
            Op::Binary { kind, lhs_index, rhs_index } => {
                let (a, b) = (operand(0).clone(), operand(1).clone());
                lhs_index
                    .iter()
                    .zip(rhs_index)
                    .map(|(&i, &j)| match kind {
                        BinaryKind::Add => gate.add(ctx, a[i], b[j]),
                        BinaryKind::Sub => gate.sub(ctx, a[i], b[j]),
                        BinaryKind::Mul => {
                            let term = (QuantumCell::Existing(a[i]), QuantumCell::Existing(b[j]));
                            chip.dot_rescale(ctx, None, vec![term], scale).value
                        }
                        BinaryKind::Div => {
                            chip.divide(ctx, Division { x: a[i], d: b[j], shift: scale, d_bits: chip.q.bits - 1 })
                        }
                        BinaryKind::IntDiv => chip.divide_integers(ctx, a[i], b[j]),
                        BinaryKind::Max => chip.max_min(ctx, a[i], b[j], true),
                        BinaryKind::Min => chip.max_min(ctx, a[i], b[j], false),
                        // Booleans are constrained bits (comparison results), so these stay bits.
                        BinaryKind::And => gate.mul(ctx, a[i], b[j]),
                        BinaryKind::Or => gate.or(ctx, a[i], b[j]),
                        // a ⊕ b = a + b·(1 − 2a).
                        BinaryKind::Xor => {
                            let one_minus_2a = gate.mul_add(
                                ctx,
                                a[i],
                                QuantumCell::Constant(-Fr::from(2)),
                                QuantumCell::Constant(Fr::one()),
                            );
                            gate.mul_add(ctx, b[j], one_minus_2a, a[i])
                        }
                        BinaryKind::Eq => gate.is_equal(ctx, a[i], b[j]),
                        BinaryKind::Ge => {
                            let d = gate.sub(ctx, a[i], b[j]);
                            chip.is_non_negative(ctx, d)
                        }
                        // On integers a > b ⟺ a − b − 1 ≥ 0.
                        BinaryKind::Gt => {
                            let d = gate.sub(ctx, a[i], b[j]);
                            let d = gate.sub(ctx, d, QuantumCell::Constant(Fr::one()));
                            chip.is_non_negative(ctx, d)
                        }
                    })
                    .collect()
            }
            Op::Bilinear { rows } => {
                let (a, b) = (operand(0).clone(), operand(1).clone());
                rows.iter()
                    .map(|row| {
                        if row.is_empty() {
                            return zero;
                        }
                        let terms = row
                            .iter()
                            .map(|&(i, j)| (QuantumCell::Existing(a[i]), QuantumCell::Existing(b[j])))
                            .collect();
                        chip.dot_rescale(ctx, None, terms, scale).value
                    })
                    .collect()
            }
            Op::Select { cond_index, true_index, false_index } => {
                let (c, t, f) = (operand(0).clone(), operand(1).clone(), operand(2).clone());
                cond_index
                    .iter()
                    .zip(true_index)
                    .zip(false_index)
                    .map(|((&ci, &ti), &fi)| gate.select(ctx, t[ti], f[fi], c[ci]))
                    .collect()
            }
            Op::Pool { kind, windows } => {
                let x = operand(0).clone();
                windows.iter().map(|w| pool(ctx, chip, &x, w, *kind == PoolKind::Max)).collect()
            }
            Op::Not => operand(0).iter().map(|&b| gate.not(ctx, b)).collect(),
            Op::ToBoolean => {
                let input = &graph.nodes[node.inputs[0]].name;
                let x = operand(0).clone();
                x.into_iter().enumerate().map(|(position, x)| chip.to_boolean(ctx, x, input, position)).collect()
            }
            Op::Integer => {
                let input = &graph.nodes[node.inputs[0]].name;
                let x = operand(0).clone();
                for (position, &x) in x.iter().enumerate() {
                    chip.assert_integer(ctx, x, input, position);
                }
                x
            }
            Op::FromBoolean => {
                let one = QuantumCell::Constant(to_field(1i128 << scale));
                operand(0).iter().map(|&b| gate.mul(ctx, b, one)).collect()
            }
            Op::Lookup { table } => look_up(ctx, chip, inference, *table, operand(0))?,
            Op::Arg { kind, windows, reversed } => {
                let x = operand(0).clone();
                windows.iter().map(|w| arg(ctx, chip, &x, w, *kind == PoolKind::Max, *reversed)).collect()
            }
            Op::TopK { groups, outputs, largest } => {
                let x = operand(0).clone();
                let mut out = vec![zero; node.len()];
                for (group, positions) in groups.iter().zip(outputs) {
                    for (&p, value) in positions.iter().zip(top_k(ctx, chip, &x, group, positions.len(), *largest)) {
                        out[p] = value;
                    }
                }
                out
            }
            Op::Index { index, cases } => {
                let (indices, data) = (operand(0).clone(), node.inputs.get(1).map(|&d| &values[d]));
                // One one-hot per index element read, shared by its readers.
                let mut one_hots: Vec<Option<Vec<AssignedValue<Fr>>>> = vec![None; indices.len()];
                index
                    .iter()
                    .zip(cases)
                    .map(|(&k, cases)| {
                        let bits = one_hots[k].get_or_insert_with(|| chip.one_hot(ctx, indices[k], cases.len()));
                        let terms = cases.iter().map(|case| match *case {
                            Case::Element(e) => QuantumCell::Existing(data.map_or(zero, |d| d[e])),
                            Case::Const(c) => {
                                QuantumCell::Constant(to_field(quantize(c as f64, scale).unwrap_or(0) as i128))
                            }
                        });
                        gate.inner_product(ctx, bits.iter().map(|&b| QuantumCell::Existing(b)), terms)
                    })
                    .collect()
            }
            Op::Scatter { ranges, writes } => {
                let (data, indices, updates) = (operand(0), operand(1), operand(2));
                let mut bits = ConditionBits::new(ctx, chip, indices, ranges);
                let mut hits = vec![vec![]; data.len()];
                for (candidates, &update) in writes.iter().zip(updates) {
                    for Candidate { conditions, position } in candidates {
                        hits[*position].push((bits.bit(ctx, &gate, conditions), update));
                    }
                }
                let mut out = data.clone();
                for (position, hits) in hits.iter().enumerate().filter(|(_, hits)| !hits.is_empty()) {
                    out[position] = chip.scatter(ctx, data[position], hits, position);
                }
                out
            }
            Op::Pick { ranges, reads } => {
                let (data, indices) = (operand(0), operand(1));
                let mut bits = ConditionBits::new(ctx, chip, indices, ranges);
                // Every combination of index values is a candidate, and each index's one-hot
                // sums to one: exactly one candidate's bit is set.
                reads
                    .iter()
                    .map(|candidates| {
                        let set: Vec<_> = candidates
                            .iter()
                            .map(|c| QuantumCell::Existing(bits.bit(ctx, &gate, &c.conditions)))
                            .collect();
                        gate.inner_product(ctx, set, candidates.iter().map(|c| QuantumCell::Existing(data[c.position])))
                    })
                    .collect()
            }
            Op::Softmax { groups, table } => {
                let x = operand(0).clone();
                let mut out = vec![zero; x.len()];
                for group in groups {
                    let max = pool(ctx, chip, &x, group, true);
                    let shifted: Vec<_> = group.iter().map(|&i| gate.sub(ctx, x[i], max)).collect();
                    let exps = look_up(ctx, chip, inference, *table, &shifted)?;
                    // The maximum's exp is 2^scale and none is larger, so the sum is positive and
                    // below `len · 2^scale`.
                    let sum = gate.sum(ctx, exps.iter().copied());
                    let sum_bits = bit_length(group.len() as u128) + scale + 1;
                    for (&i, &e) in group.iter().zip(&exps) {
                        out[i] = chip.divide(ctx, Division { x: e, d: sum, shift: scale, d_bits: sum_bits });
                    }
                }
                out
            }
        };
        tracing::trace!(node = %node.name, cells = ctx.advice.len() - cells_before, "laid out");
        if ctx.advice.len() > MAX_CELLS {
            return Err(Error::TooManyCells { node: node.name.clone(), max: MAX_CELLS });
        }
        values.push(out);
        positives.push(positive);
    }

    let mut outputs = vec![];
    let mut output_instances = vec![];
    for &o in &graph.outputs {
        outputs.push(values[o].iter().map(|v| from_field(v.value())).collect());
        output_instances.extend(values[o].iter().copied());
    }
    // The binding takes part in a gate so that it is bound by the constraint system itself, not
    // only by the transcript.
    let binding = ctx.load_witness(*binding);
    gate.mul(ctx, binding, binding);
    let instances =
        PublicInstances { model_commitment, input: input_instances, output: output_instances, binding }.into_vec();

    let laid = Laid { instances: instances.iter().map(|v| *v.value()).collect(), outputs };
    Ok((laid, instances))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::chip::tests::{chip_and_builder, mock_ok};
    use halo2_base::halo2_proofs::plonk::Assigned;

    #[test]
    fn arg_gives_the_first_or_last_extremum_and_a_wrong_position_violates_constraints() {
        // Scale 4: position p is 16·p. Two maxima (7) at 1 and 2, one minimum (−5) at 3.
        let xs = [3i128, 7, 7, -5, 0];
        for (max, reversed, position) in [(true, false, 1i128), (true, true, 2), (false, false, 3), (false, true, 3)] {
            let (mut builder, mut chip) = chip_and_builder();
            let ctx = builder.main(0);
            let cells = ctx.assign_witnesses(xs.map(to_field));
            let mut window: Vec<usize> = (0..xs.len()).collect();
            if reversed {
                window.reverse();
            }
            let out = arg(ctx, &mut chip, &cells, &window, max, reversed);
            assert_eq!(from_field(out.value()), position << 4, "max {max}, last {reversed}");
            assert!(mock_ok(builder, chip));
        }
        // Claiming the second maximum as the first.
        let (mut builder, mut chip) = chip_and_builder();
        let ctx = builder.main(0);
        let cells = ctx.assign_witnesses(xs.map(to_field));
        let out = arg(ctx, &mut chip, &cells, &[0, 1, 2, 3, 4], true, false);
        ctx.advice[out.cell.unwrap().offset] = Assigned::Trivial(to_field(2 << 4));
        assert!(!mock_ok(builder, chip));
    }
}
