//! The model's element-wise functions sampled on the lookup table's domain: the only values a
//! function lookup may claim.
//!
//! They are evaluated once, in floats ([`FloatFunctions`], the compiler's float reference), when a
//! model is compiled, and stored with its artifacts. Key generation lays them out as the table's fixed rows and every prover reads its
//! lookup values from the same file, so a machine whose float kernels round differently still
//! proves what the keys commit to: nothing on the proving path evaluates a function.

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ir::Graph;
use crate::quantize::{dequantize, quantize, to_field, Quantization};
use zkml_verifier::constraints::lookup::function_kind;

/// The graph's element-wise functions evaluated in floats: the compiler's float reference, which
/// samples them for the table and gives calibration their values. Nothing on the proving path
/// implements it.
pub trait FloatFunctions {
    /// Evaluates function `table` of the graph ([`Graph::functions`]) on each of `xs`.
    fn eval_function(&self, table: usize, xs: &[f32]) -> Result<Vec<f32>>;
}

/// Each function's value at every input of the domain `[-2^(bits-1), 2^(bits-1))`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionTable {
    /// Width of the domain, sign included: the quantisation's `table_bits`.
    pub bits: u32,
    /// Per function (in [`Graph::functions`] order), its quantised value at
    /// each input of the domain in increasing order; `None` where the function is undefined (NaN)
    /// or its value does not fit the circuit's width, so that no proof can claim a value there.
    pub values: Vec<Vec<Option<i64>>>,
}

impl FunctionTable {
    /// Samples every function of `graph`, evaluated by `float`, on the domain of `q` (empty
    /// without functions).
    pub fn sample(graph: &Graph, float: &dyn FloatFunctions, q: &Quantization) -> Result<Self> {
        if graph.functions.is_empty() {
            return Ok(Self::default());
        }
        let half = 1i128 << (q.table_bits - 1);
        let floats: Vec<f32> = (-half..half).map(|x| dequantize(x, q.scale) as f32).collect();
        let values = (0..graph.functions.len())
            .map(|table| {
                let ys = float.eval_function(table, &floats)?;
                Ok(ys
                    .into_iter()
                    .map(|y| quantize(y as f64, q.scale).filter(|y| y.unsigned_abs() < 1 << (q.bits - 1)))
                    .collect())
            })
            .collect::<Result<_>>()?;
        Ok(Self { bits: q.table_bits, values })
    }

    /// `f_table(x)`, if `x` is in the domain and the function is defined there.
    pub fn value(&self, table: usize, x: i128) -> Option<i64> {
        let index = usize::try_from(x + (1i128 << self.bits.saturating_sub(1))).ok()?;
        *self.values.get(table)?.get(index)?
    }

    /// The lookup table's function rows `(x, f(x), kind)`, every function's rows of its own kind.
    pub fn rows(&self) -> Vec<[Fr; 3]> {
        let mut rows = vec![];
        for table in 0..self.values.len() {
            let kind = Fr::from(function_kind(table));
            rows.extend(self.points(table).map(|(x, y)| [to_field(x), to_field(y as i128), kind]));
        }
        rows
    }

    /// The points `(x, f_table(x))` of the domain where function `table` is defined, in order.
    pub fn points(&self, table: usize) -> impl Iterator<Item = (i128, i64)> + '_ {
        let half = 1i128 << self.bits.saturating_sub(1);
        (-half..).zip(&self.values[table]).filter_map(|(x, y)| y.map(|y| (x, y)))
    }

    /// Why the table does not fit the model and its quantisation, if it does not: one function
    /// each, sampled on the domain the settings declare.
    pub fn mismatch(&self, graph: &Graph, q: &Quantization) -> Option<String> {
        let functions = graph.functions.len();
        let domain = if functions == 0 { Some(0) } else { 1usize.checked_shl(q.table_bits) };
        let fits = self.values.len() == functions
            && (functions == 0 || self.bits == q.table_bits)
            && self.values.iter().all(|ys| Some(ys.len()) == domain);
        (!fits).then(|| {
            format!(
                "{} functions sampled on 2^{} inputs; the model has {functions} on 2^{}",
                self.values.len(),
                self.bits,
                q.table_bits
            )
        })
    }
}
