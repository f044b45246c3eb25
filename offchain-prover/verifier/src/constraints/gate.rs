//! The gate columns: halo2-base's one gate `a + b·c = d` on four consecutive cells of its virtual
//! context, with the context laid out row by row across the columns.
//!
//! halo2-base stacks the context down one column after another, so each column is queried at four
//! rotations and a gate near a column's end breaks to the next one. Laid out row-major across `W`
//! columns, four consecutive cells span at most two rows once `W ≥ 3`: each column is queried in
//! its own row, and only the first three in the next one too, so a proof carries one evaluation
//! per column (plus three) instead of four. With a single column the layout is halo2-base's own,
//! cell for cell.
//!
//! The gate is enabled per position in the row, by one fixed column for each two positions: its
//! value `u ∈ {0, 1, 2, 3}` says which of the pair's positions start a gate (bit 0 the first, bit
//! 1 the second), and each position's gate is multiplied by the degree-3 polynomial that is 1
//! where its bit is set and 0 elsewhere on those four values. The gate stays within the circuit's
//! degree 5, and a proof carries one fixed evaluation for each two columns instead of one each.

use halo2_base::gates::circuit::BaseCircuitParams;
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Expression, Fixed, Instance};
use halo2_proofs::poly::Rotation;

/// The gate columns, the fixed column of the constants their copy constraints use, and the
/// instance column.
#[derive(Clone, Debug)]
pub struct GateConfig {
    pub columns: Vec<Column<Advice>>,
    /// `starts[p / 2]` enables the gate on the four cells that start at column `p` of a row.
    pub starts: Vec<Column<Fixed>>,
    pub constants: Column<Fixed>,
    pub instance: Column<Instance>,
}

/// Where the `i`th cell of the laid-out contexts goes among `width` columns: (column, row).
pub fn position(i: usize, width: usize) -> (usize, usize) {
    (i % width, i / width)
}

/// Rows `cells` cells take across `width` columns.
pub fn rows(cells: usize, width: usize) -> usize {
    cells.div_ceil(width.max(1))
}

impl GateConfig {
    /// Configures the gate columns of `params`, with `constants` (which other regions may share)
    /// for halo2-base's constants.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, params: &BaseCircuitParams, constants: Column<Fixed>) -> Self {
        meta.enable_equality(constants);
        let width = params.num_advice_per_phase.first().copied().unwrap_or(0);
        let columns: Vec<Column<Advice>> = (0..width)
            .map(|_| {
                let column = meta.advice_column();
                meta.enable_equality(column);
                column
            })
            .collect();
        let starts: Vec<Column<Fixed>> = (0..width.div_ceil(2)).map(|_| meta.fixed_column()).collect();
        for start in 0..width {
            meta.create_gate("a + b·c = d", |m| {
                let u = m.query_fixed(starts[start / 2], Rotation::cur());
                // A last column without a partner is enabled by `u ∈ {0, 1}` itself.
                let q = if start + 1 == width && start % 2 == 0 { u } else { enabled(u, start % 2) };
                let [a, b, c, d] = std::array::from_fn(|i| {
                    let (column, row) = position(start + i, width);
                    m.query_advice(columns[column], Rotation(row as i32))
                });
                vec![q * (a + b * c - d)]
            });
        }
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        Self { columns, starts, constants, instance }
    }
}

/// The polynomial of degree 3 in `u` that is 1 where bit `bit` of `u ∈ {0, 1, 2, 3}` is set and 0
/// elsewhere on those values: `u(u−2)(2u−5)/3` for bit 0, `u(u−1)(7−2u)/6` for bit 1.
fn enabled(u: Expression<Fr>, bit: usize) -> Expression<Fr> {
    let c = |v: u64| Expression::Constant(Fr::from(v));
    let inverse = |v: u64| Expression::Constant(Fr::from(v).invert().expect("nonzero"));
    match bit {
        0 => u.clone() * (u.clone() - c(2)) * (u * c(2) - c(5)) * inverse(3),
        _ => u.clone() * (u.clone() - c(1)) * (c(7) - u * c(2)) * inverse(6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_consecutive_cells_span_two_rows_from_three_columns() {
        for width in 3..9 {
            for start in 0..width {
                let rows: Vec<usize> = (start..start + 4).map(|i| position(i, width).1).collect();
                assert!(rows.iter().all(|&r| r <= 1), "width {width}, start {start}: rows {rows:?}");
            }
        }
        // One column is halo2-base's layout: the four cells are four rows.
        assert_eq!((0..4).map(|i| position(i, 1)).collect::<Vec<_>>(), [(0, 0), (0, 1), (0, 2), (0, 3)]);
        assert_eq!(rows(10, 3), 4);
    }

    #[test]
    fn a_pair_value_enables_exactly_the_positions_of_its_bits() {
        for u in 0..4u64 {
            for bit in 0..2 {
                let value = enabled(Expression::Constant(Fr::from(u)), bit).evaluate(
                    &|c| c,
                    &|_| unreachable!(),
                    &|_| unreachable!(),
                    &|_| unreachable!(),
                    &|_| unreachable!(),
                    &|_| unreachable!(),
                    &|a| -a,
                    &|a, b| a + b,
                    &|a, b| a * b,
                    &|a, f| a * f,
                );
                assert_eq!(value, Fr::from(u >> bit & 1), "u = {u}, bit {bit}");
            }
        }
    }
}
