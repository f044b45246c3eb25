//! Assignment of the gate columns ([`zkml_verifier::constraints::gate`]): halo2-base's virtual
//! contexts laid out row by row across the columns.

use halo2_base::halo2_proofs::circuit::{Region, Value};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::plonk::Error as PlonkError;
use halo2_base::utils::halo2::{raw_assign_advice, raw_assign_fixed};
use halo2_base::virtual_region::copy_constraints::CopyConstraintManager;
use halo2_base::Context;
use zkml_verifier::constraints::gate::{position, rows, GateConfig};

/// Assigns the cells of `contexts`, one after another, and, when constraints are being built
/// (`copies`), enables their gates and records where each cell went for its copy constraints.
pub fn assign(
    config: &GateConfig,
    region: &mut Region<Fr>,
    contexts: &[Context<Fr>],
    mut copies: Option<&mut CopyConstraintManager<Fr>>,
) -> Result<(), PlonkError> {
    let width = config.columns.len();
    // Per row, the gate starts of each pair of columns, as the bits of its fixed value: fixed,
    // so recorded only when constraints are being built.
    let cells = if copies.is_some() { contexts.iter().map(|ctx| ctx.advice.len()).sum() } else { 0 };
    let mut starts = vec![vec![0u8; rows(cells, width)]; config.starts.len()];
    let mut i = 0;
    for ctx in contexts {
        // A context records its gates only when constraints are being built.
        for (offset, value) in ctx.advice.iter().enumerate() {
            let (column, row) = position(i, width);
            let cell = raw_assign_advice(region, config.columns[column], row, Value::known(*value)).cell();
            if let Some(copies) = copies.as_deref_mut() {
                let virtual_cell = ctx.get(offset as isize).cell.ok_or(PlonkError::Synthesis)?;
                copies.assigned_advices.insert(virtual_cell, cell);
                if ctx.selector.get(offset) == Some(&true) {
                    starts[column / 2][row] |= 1 << (column % 2);
                }
            }
            i += 1;
        }
    }
    for (&column, rows) in config.starts.iter().zip(&starts) {
        for (row, &u) in rows.iter().enumerate().filter(|(_, &u)| u != 0) {
            raw_assign_fixed(region, column, row, Fr::from(u as u64));
        }
    }
    Ok(())
}
