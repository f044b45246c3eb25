//! The gate columns: halo2-base's one gate `a + b·c = d` on four consecutive cells of its virtual
//! context, with the context laid out row by row across the columns.
//!
//! halo2-base stacks the context down one column after another, so each column is queried at four
//! rotations and a gate near a column's end breaks to the next one. Laid out row-major across `W`
//! columns, four consecutive cells span at most two rows once `W ≥ 3`: each column is queried in
//! its own row, and only the first three in the next one too, so a proof carries one evaluation
//! per column (plus three) instead of four. The gate is enabled per position in the row, one
//! selector per column as before. With a single column the layout is halo2-base's own, cell for
//! cell, and so is the constraint system.

use halo2_base::gates::circuit::BaseCircuitParams;
use halo2_base::halo2_proofs::circuit::{Region, Value};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::plonk::{
    Advice, Column, ConstraintSystem, Error as PlonkError, Fixed, Instance, Selector,
};
use halo2_base::halo2_proofs::poly::Rotation;
use halo2_base::utils::halo2::raw_assign_advice;
use halo2_base::virtual_region::copy_constraints::CopyConstraintManager;
use halo2_base::Context;

/// The gate columns, the constant columns their copy constraints use, and the instance column.
#[derive(Clone, Debug)]
pub struct GateConfig {
    pub columns: Vec<Column<Advice>>,
    /// `selectors[p]` enables the gate on the four cells that start at column `p` of a row.
    selectors: Vec<Selector>,
    pub constants: Vec<Column<Fixed>>,
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
    /// Columns in halo2-base's order (constants, gate columns, instance), so that a single-column
    /// circuit is the one halo2-base would configure.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, params: &BaseCircuitParams) -> Self {
        let constants = (0..params.num_fixed)
            .map(|_| {
                let column = meta.fixed_column();
                meta.enable_equality(column);
                column
            })
            .collect();
        let width = params.num_advice_per_phase.first().copied().unwrap_or(0);
        let mut columns = Vec::with_capacity(width);
        let mut selectors = Vec::with_capacity(width);
        for _ in 0..width {
            let column = meta.advice_column();
            meta.enable_equality(column);
            columns.push(column);
            selectors.push(meta.selector());
        }
        for (start, &selector) in selectors.iter().enumerate() {
            meta.create_gate("a + b·c = d", |m| {
                let q = m.query_selector(selector);
                let [a, b, c, d] = std::array::from_fn(|i| {
                    let (column, row) = position(start + i, width);
                    m.query_advice(columns[column], Rotation(row as i32))
                });
                vec![q * (a + b * c - d)]
            });
        }
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        Self { columns, selectors, constants, instance }
    }

    /// Assigns the cells of `contexts`, one after another, and, when constraints are being built
    /// (`copies`), enables their gates and records where each cell went for its copy constraints.
    pub fn assign(
        &self,
        region: &mut Region<Fr>,
        contexts: &[Context<Fr>],
        mut copies: Option<&mut CopyConstraintManager<Fr>>,
    ) -> Result<(), PlonkError> {
        let width = self.columns.len();
        let mut i = 0;
        for ctx in contexts {
            // A context records its gates only when constraints are being built.
            for (offset, value) in ctx.advice.iter().enumerate() {
                let (column, row) = position(i, width);
                let cell = raw_assign_advice(region, self.columns[column], row, Value::known(*value)).cell();
                if let Some(copies) = copies.as_deref_mut() {
                    let virtual_cell = ctx.get(offset as isize).cell.ok_or(PlonkError::Synthesis)?;
                    copies.assigned_advices.insert(virtual_cell, cell);
                    if ctx.selector.get(offset) == Some(&true) {
                        self.selectors[column].enable(region, row)?;
                    }
                }
                i += 1;
            }
        }
        Ok(())
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
}
