//! The prover's own graph: every tract operator lowered to one of a handful of circuit-friendly
//! operations over flat, row-major tensors.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// Index of a node in [`Graph::nodes`].
pub type NodeId = usize;

/// How a model parameter is quantised, which depends on how it is used, not on its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ParamRole {
    /// Multiplies an activation (kernels, matrices, `Mul` operands): param scale.
    Weight,
    /// Added to an accumulator before rescaling: activation scale + param scale.
    Bias,
    /// Combined with an activation (`Add`, `Max`, `Concat`, ...): activation scale.
    Activation,
}

/// One scalar model parameter (a weight or bias), committed to in the model commitment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Param {
    pub value: f32,
    pub role: ParamRole,
}

/// A coefficient of a linear combination.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Coeff {
    /// A committed model parameter, by index into [`Graph::params`].
    Param(usize),
    /// A structural constant of the architecture (e.g. 1/n of an average), baked into the circuit.
    Const(f32),
}

/// An element-wise binary operation; operands are broadcast by index maps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BinaryKind {
    Add,
    Sub,
    Mul,
    /// Division by positive values (a divisor that is not is refused before proving).
    Div,
    /// Division of integers by positive integers, truncated toward zero as tract (and Rust)
    /// divides integers.
    IntDiv,
    Max,
    Min,
    /// Comparisons yield booleans (0 or 1, unscaled), which only [`Op::Select`], the logical
    /// operations and [`Op::FromBoolean`] consume.
    Gt,
    Ge,
    /// Exact equality of two numbers or of two booleans.
    Eq,
    /// Logical operations on booleans.
    And,
    Or,
    Xor,
}

/// A reduction over a window of input elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PoolKind {
    Max,
    Min,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// The model's `n`th input.
    Input(usize),
    /// A tensor of parameters used as an operand, by index into [`Graph::params`].
    Params(Vec<usize>),
    /// Pure data movement: output element `j` is element `sources[j]` of the inputs laid end to
    /// end, or zero (padding) where `None`.
    Gather { sources: Vec<Option<usize>> },
    /// `out[o] = Σ coeff · in[i] + bias[o]`, with one input.
    Linear { rows: Vec<Vec<(usize, Coeff)>>, bias: Vec<Option<Coeff>> },
    /// `out[j] = lhs[lhs_index[j]] ∘ rhs[rhs_index[j]]`.
    Binary { kind: BinaryKind, lhs_index: Vec<usize>, rhs_index: Vec<usize> },
    /// `out[o] = Σ lhs[i] · rhs[j]` over the pairs `(i, j)` of `rows[o]`: a product of two
    /// non-constant tensors, such as a matmul of two inputs.
    Bilinear { rows: Vec<Vec<(usize, usize)>> },
    /// `out[j] = cond[c[j]] ? on_true[t[j]] : on_false[f[j]]`; `cond` is boolean.
    Select { cond_index: Vec<usize>, true_index: Vec<usize>, false_index: Vec<usize> },
    /// `out[o] = max or min of in[windows[o]]`.
    Pool { kind: PoolKind, windows: Vec<Vec<usize>> },
    /// An element-wise unary function, evaluated through lookup table `table`
    /// (index into [`Graph::functions`]).
    Lookup { table: usize },
    /// Logical negation of a boolean.
    Not,
    /// A boolean as a number (0 or 1 at the activation scale).
    FromBoolean,
    /// A number that must be exactly 0 or 1 (at the activation scale) as a boolean: a boolean
    /// model input, which the instances carry as a number like every input.
    ToBoolean,
    /// The input's numbers, each constrained to be a whole number: an integer model input.
    Integer,
    /// Normalised exponentials within each group of input elements:
    /// `out[i] = exp(in[i] − max) / Σ exp(in[j] − max)`, with `max` and the sum over the group of
    /// `i`; `exp` is lookup table `table`.
    Softmax { groups: Vec<Vec<usize>>, table: usize },
    /// `out[o]` = the position within `windows[o]` of its first maximum (or minimum), as a number:
    /// ONNX's `ArgMax` and `ArgMin`. A window listed back to front gives the last extremum.
    Arg { kind: PoolKind, windows: Vec<Vec<usize>>, reversed: bool },
    /// For each group, the `k` largest (or smallest) of its elements in order, at the `k` output
    /// positions `outputs[g]`: ONNX's `TopK` values.
    TopK { groups: Vec<Vec<usize>>, outputs: Vec<Vec<usize>>, largest: bool },
    /// Selection by indices computed at run time (`Gather` and `GatherElements` with computed
    /// indices, `OneHot`): with `v` the value of element `index[j]` of the first input, a whole
    /// number in `0..cases[j].len()`, `out[j]` is `cases[j][v]`.
    Index { index: Vec<usize>, cases: Vec<Vec<Case>> },
    /// Writes at indices computed at run time (`ScatterElements` and `ScatterNd` without a
    /// reduction). The inputs are the data, the indices and the updates; element `k` of the
    /// indices is a whole number in `0..ranges[k]`. Update `u` lands at the position of the one
    /// [`Candidate`] of `writes[u]` whose conditions hold; every other element is the data's. Two
    /// updates at one position are refused, as ONNX leaves their order undefined.
    Scatter { ranges: Vec<usize>, writes: Vec<Vec<Candidate>> },
    /// Reads at tuples of indices computed at run time (`GatherNd`). The inputs are the data and
    /// the indices; element `k` of the indices is a whole number in `0..ranges[k]`. `out[o]` is
    /// the data element at the position of the one [`Candidate`] of `reads[o]` whose conditions
    /// hold: `reads[o]` lists every combination of the values of the indices `o` reads.
    Pick { ranges: Vec<usize>, reads: Vec<Vec<Candidate>> },
}

/// One combination of index values and the element it places: the output element an update
/// lands at ([`Op::Scatter`]), or the data element an output reads ([`Op::Pick`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// `(k, v)`: element `k` of the indices has value `v`. Never empty.
    pub conditions: Vec<(usize, usize)>,
    /// The element placed.
    pub position: usize,
}

/// What [`Op::Index`] selects for one value of its index.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Case {
    /// An element of the second input.
    Element(usize),
    /// A constant of the operator (`OneHot`'s on and off values).
    Const(f32),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// The tract (ONNX) node this lowers, for error messages.
    pub name: String,
    pub op: Op,
    pub inputs: Vec<NodeId>,
    pub shape: Vec<usize>,
}

impl Node {
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A unary function sampled into a lookup table: `table[x] = f(x)` over the calibrated domain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Function {
    /// Operator name, e.g. `Sigmoid`.
    pub name: String,
    /// The tract operator that evaluates it on the table domain.
    pub op: FunctionOp,
    /// A constant added to the input first: an epsilon before a square root, which would
    /// quantise to 0 as a separate addition.
    pub addend: f32,
}

/// Functions that are steps of operators which are not element-wise themselves.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum FunctionOp {
    /// The operator of this node of the tract graph.
    Node(usize),
    /// tract's `exp` (softmax).
    Exp,
    /// tract's `rsqrt` (RMS normalisation).
    Rsqrt,
    /// `base^x`: ONNX `Pow` with a constant scalar base.
    PowOf(f32),
    /// The operator of node `node` of the body of loop `scan` (a `Scan` node of the tract graph).
    ScanBody { scan: usize, node: usize },
    /// tract's `sigmoid` (LSTM and GRU gates).
    Sigmoid,
    /// tract's `tanh` (LSTM and GRU candidates and cell states).
    Tanh,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    pub input_shapes: Vec<Vec<usize>>,
    pub params: Vec<Param>,
    pub functions: Vec<Function>,
    pub nodes: Vec<Node>,
    pub outputs: Vec<NodeId>,
    /// Nodes holding booleans (0 or 1, unscaled) rather than fixed-point numbers.
    pub booleans: BTreeSet<NodeId>,
}

impl Graph {
    pub fn output_shapes(&self) -> Vec<Vec<usize>> {
        self.outputs.iter().map(|&o| self.nodes[o].shape.clone()).collect()
    }
}

/// Index maps for numpy-style broadcasting of `a` and `b` to their common shape.
/// Returns `(shape, a_index, b_index)`, or `None` when the shapes are incompatible.
pub fn broadcast(a: &[usize], b: &[usize]) -> Option<(Vec<usize>, Vec<usize>, Vec<usize>)> {
    let rank = a.len().max(b.len());
    let pad = |s: &[usize]| -> Vec<usize> { std::iter::repeat_n(1, rank - s.len()).chain(s.iter().copied()).collect() };
    let (a, b) = (pad(a), pad(b));
    let shape = a
        .iter()
        .zip(&b)
        .map(|(&x, &y)| match (x, y) {
            (x, y) if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    let strides = |s: &[usize]| -> Vec<usize> {
        let mut strides = vec![0; rank];
        let mut acc = 1;
        for d in (0..rank).rev() {
            strides[d] = if s[d] == 1 { 0 } else { acc };
            acc *= s[d];
        }
        strides
    };
    let (sa, sb) = (strides(&a), strides(&b));
    let total: usize = shape.iter().product();
    let mut ia = Vec::with_capacity(total);
    let mut ib = Vec::with_capacity(total);
    let mut coord = vec![0usize; rank];
    for _ in 0..total {
        ia.push(coord.iter().zip(&sa).map(|(c, s)| c * s).sum());
        ib.push(coord.iter().zip(&sb).map(|(c, s)| c * s).sum());
        for d in (0..rank).rev() {
            coord[d] += 1;
            if coord[d] < shape[d] {
                break;
            }
            coord[d] = 0;
        }
    }
    Some((shape, ia, ib))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasts_like_numpy() {
        let (shape, a, b) = broadcast(&[2, 3], &[3]).unwrap();
        assert_eq!(shape, vec![2, 3]);
        assert_eq!(a, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(b, vec![0, 1, 2, 0, 1, 2]);
        let (shape, a, b) = broadcast(&[2, 1], &[1, 2]).unwrap();
        assert_eq!(shape, vec![2, 2]);
        assert_eq!(a, vec![0, 0, 1, 1]);
        assert_eq!(b, vec![0, 1, 0, 1]);
        assert!(broadcast(&[2], &[3]).is_none());
    }
}
