//! The lookup argument: one table of `(kind·key, value, kind)` rows that range checks, weight
//! bounds and the model's element-wise functions all look up, each kind apart.

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Expression, Fixed};
use halo2_proofs::poly::Rotation;

use crate::params::CircuitParams;

/// Which rows of the lookup table a lookup may match: the kind column keeps range checks, weight
/// bounds and each function's lookups apart whatever values a prover claims.
pub const NO_LOOKUP: u64 = 0;
pub const RANGE: u64 = 1;
pub const WEIGHT: u64 = 3;
/// The kind of the first function's rows; function `t`'s are of kind `FUNCTION + t`.
pub const FUNCTION: u64 = 4;

/// The kind of the rows of function `table`: a lookup of that function matches no other rows,
/// so its key is bound to that function's domain.
pub fn function_kind(table: usize) -> u64 {
    FUNCTION + table as u64
}

/// The lookup table `(kind·key, value, kind)`, one argument per looked-up column, and the columns
/// that feed it. Without functions the table has no value column.
///
/// The table's columns are the Poseidon region's round-constant columns and its rows those below
/// the region, which read as table rows too: a round row as one of kind `c₂`, a round constant,
/// an absorb row as one of kind 0 or `len·2^64`. No lookup has such a kind (a test of
/// [`super::poseidon`] checks every round constant), and kind 0 matches only the all-zero input.
///
/// A lookup reads a cell `x` of kind `k` as `(k·x, value, k)`. Scaling the key by its kind lets a
/// single fixed column of kinds both select the looked-up rows and keep the kinds apart: a row of
/// kind 0 reads `(0, 0, 0)`, the table's zero row, and `k·x = k·key` only where `x = key`.
#[derive(Clone, Debug)]
pub struct LookupConfig {
    /// The table's keys, each multiplied by its row's kind.
    pub key: Column<Fixed>,
    /// The value column, present when the model has functions.
    pub value: Option<Column<Fixed>>,
    pub kind: Column<Fixed>,
    pub columns: LookupColumns,
}

#[derive(Clone, Debug)]
pub enum LookupColumns {
    /// One gate column, looked up where its cells are: `kind` gives each row's kind ([`RANGE`],
    /// [`WEIGHT`], a function's or [`NO_LOOKUP`]), and `function` is 1 on the rows of function
    /// keys, whose next row holds the function's value.
    InPlace { kind: Column<Fixed>, function: Option<Column<Fixed>> },
    /// Cells copied to advice columns of their own, each column with a fixed column that gives
    /// every row's kind. Range columns also take the weight lookups; function columns come in
    /// (key, value) pairs.
    Copied { range: Vec<(Column<Advice>, Column<Fixed>)>, function: Vec<([Column<Advice>; 2], Column<Fixed>)> },
}

impl LookupConfig {
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        params: &CircuitParams,
        gate: Column<Advice>,
        table: [Column<Fixed>; 3],
    ) -> Option<Self> {
        if params.range_columns == 0 && params.lookup_columns == 0 {
            return None;
        }
        let [key, value, kind] = table;
        let value = (params.lookup_columns > 0).then_some(value);
        let constant = |kind: u64| Expression::Constant(Fr::from(kind));
        let columns = if params.in_place() {
            let row_kind = meta.fixed_column();
            let function = value.map(|_| meta.fixed_column());
            meta.lookup_any("lookup", |m| {
                let k = m.query_fixed(row_kind, Rotation::cur());
                let cell = m.query_advice(gate, Rotation::cur());
                // Functions: (FUNCTION·key, next cell, FUNCTION); other kinds have no value.
                let mut lookups = vec![(k.clone() * cell, m.query_fixed(key, Rotation::cur()))];
                if let (Some(function), Some(value)) = (function, value) {
                    let f = m.query_fixed(function, Rotation::cur());
                    let next = m.query_advice(gate, Rotation::next());
                    lookups.push((f * next, m.query_fixed(value, Rotation::cur())));
                }
                lookups.push((k, m.query_fixed(kind, Rotation::cur())));
                lookups
            });
            LookupColumns::InPlace { kind: row_kind, function }
        } else {
            let advice = |meta: &mut ConstraintSystem<Fr>| {
                let column = meta.advice_column();
                meta.enable_equality(column);
                column
            };
            let range = (0..params.range_columns)
                .map(|_| {
                    let (column, column_kind) = (advice(meta), meta.fixed_column());
                    meta.lookup_any("range", |m| {
                        let cell = m.query_advice(column, Rotation::cur());
                        let row_kind = m.query_fixed(column_kind, Rotation::cur());
                        let mut lookups = vec![(row_kind * cell, m.query_fixed(key, Rotation::cur()))];
                        if let Some(value) = value {
                            lookups.push((constant(0), m.query_fixed(value, Rotation::cur())));
                        }
                        lookups
                            .push((m.query_fixed(column_kind, Rotation::cur()), m.query_fixed(kind, Rotation::cur())));
                        lookups
                    });
                    (column, column_kind)
                })
                .collect();
            // A row of kind 0 (unused) reads `(0, v, 0)`: the zero row, for the zero an unassigned
            // value cell holds.
            let function = (0..params.lookup_columns)
                .map(|_| {
                    let (columns, column_kind) = ([advice(meta), advice(meta)], meta.fixed_column());
                    let value = value.expect("function lookups come with a value column");
                    meta.lookup_any("function", |m| {
                        let [k, v] = columns.map(|c| m.query_advice(c, Rotation::cur()));
                        let row_kind = m.query_fixed(column_kind, Rotation::cur());
                        vec![
                            (row_kind.clone() * k, m.query_fixed(key, Rotation::cur())),
                            (v, m.query_fixed(value, Rotation::cur())),
                            (row_kind, m.query_fixed(kind, Rotation::cur())),
                        ]
                    });
                    (columns, column_kind)
                })
                .collect();
            LookupColumns::Copied { range, function }
        };
        Some(Self { key, value, kind, columns })
    }

    /// The first column range checks are copied to, whose rows above the copies the Poseidon
    /// region's first column takes.
    pub fn shared_column(&self) -> Option<Column<Advice>> {
        match &self.columns {
            LookupColumns::Copied { range, .. } => range.first().map(|&(column, _)| column),
            LookupColumns::InPlace { .. } => None,
        }
    }
}
