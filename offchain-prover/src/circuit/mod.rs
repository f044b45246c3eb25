//! The model circuit: halo2-base's gate and range columns, plus a fixed lookup table for the
//! model's element-wise functions.

pub mod chip;
pub mod commit;
pub mod layout;
pub mod poseidon;

use halo2_base::gates::circuit::{builder::BaseCircuitBuilder, BaseCircuitParams, BaseConfig, CircuitBuilderStage};
use halo2_base::gates::flex_gate::MultiPhaseThreadBreakPoints;
use std::sync::MutexGuard;

use halo2_base::halo2_proofs::circuit::{Layouter, Region, SimpleFloorPlanner, Value};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::plonk::{Advice, Circuit, Column, ConstraintSystem, Error as PlonkError, Fixed};
use halo2_base::halo2_proofs::poly::Rotation;
use halo2_base::utils::halo2::{constrain_virtual_equals_external, raw_assign_advice, raw_assign_fixed};
use halo2_base::virtual_region::copy_constraints::CopyConstraintManager;
use halo2_base::AssignedValue;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::graph::Model;
use crate::quantize::{dequantize, quantize, Quantization};
use chip::{table_row, FixedPointChip};
use layout::{lay_out, Inference, Laid};
use poseidon::{HashJob, PoseidonConfig};

/// Rows at the bottom of the circuit reserved for blinding factors.
pub const MINIMUM_ROWS: usize = 20;

/// Everything that fixes the circuit's constraint system: with the vk, all a verifier needs.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CircuitParams {
    pub base: BaseCircuitParams,
    /// Advice columns holding `(key, value)` pairs looked up in the function table; 0 if none.
    pub lookup_columns: usize,
}

impl CircuitParams {
    pub fn k(&self) -> u32 {
        self.base.k as u32
    }

    pub fn usable_rows(&self) -> usize {
        (1 << self.base.k) - MINIMUM_ROWS
    }
}

#[derive(Clone, Debug)]
pub struct TableConfig {
    key: Column<Fixed>,
    value: Column<Fixed>,
    lookups: Vec<[Column<Advice>; 2]>,
}

impl TableConfig {
    fn configure(meta: &mut ConstraintSystem<Fr>, columns: usize) -> Self {
        let key = meta.fixed_column();
        let value = meta.fixed_column();
        let lookups = (0..columns)
            .map(|_| {
                let cols = [meta.advice_column(), meta.advice_column()];
                cols.iter().for_each(|c| meta.enable_equality(*c));
                meta.lookup_any("function table", |m| {
                    let [k, v] = cols.map(|c| m.query_advice(c, Rotation::cur()));
                    vec![(k, m.query_fixed(key, Rotation::cur())), (v, m.query_fixed(value, Rotation::cur()))]
                });
                cols
            })
            .collect();
        Self { key, value, lookups }
    }
}

/// A model inference as a halo2 circuit.
pub struct ModelCircuit {
    pub builder: BaseCircuitBuilder<Fr>,
    pub params: CircuitParams,
    /// Rows of the function table (fixed), starting with the all-zero row that unused lookups hit.
    pub table: Vec<[Fr; 2]>,
    pub lookups: Vec<[AssignedValue<Fr>; 2]>,
    pub hashes: Vec<HashJob>,
}

/// Assigns `cell`'s value at (`column`, `row`) of a raw region and, when constraints are being
/// built, ties it to the virtual cell with a copy constraint.
pub(crate) fn copy_advice(
    region: &mut Region<Fr>,
    cell: AssignedValue<Fr>,
    column: Column<Advice>,
    row: usize,
    copies: Option<&mut CopyConstraintManager<Fr>>,
) {
    let raw = raw_assign_advice(region, column, row, Value::known(*cell.value()));
    if let Some(copies) = copies {
        constrain_virtual_equals_external(region, cell, raw.cell(), copies);
    }
}

impl Drop for ModelCircuit {
    /// Circuits built only to size them are never synthesized, and halo2-base warns about the
    /// unassigned constraints of a builder dropped unsynthesized.
    fn drop(&mut self) {
        self.builder.clear();
    }
}

impl ModelCircuit {
    /// The copy-constraint manager, unless only the witness is being generated.
    fn copies(&self) -> Option<MutexGuard<'_, CopyConstraintManager<Fr>>> {
        (!self.builder.witness_gen_only()).then(|| self.builder.core().copy_manager.lock().expect("copy manager"))
    }

    /// Rows the function table, the Poseidon region and the instance column need.
    pub fn rows_needed(&self) -> usize {
        let hash_rows: usize = self.hashes.iter().map(|h| poseidon::rows(h.len)).sum();
        let instances = self.builder.assigned_instances.iter().map(Vec::len).max().unwrap_or(0);
        hash_rows.max(self.table.len()).max(instances)
    }
}

impl Circuit<Fr> for ModelCircuit {
    type Config = (BaseConfig<Fr>, PoseidonConfig, Option<TableConfig>);
    type FloorPlanner = SimpleFloorPlanner;
    type Params = CircuitParams;

    fn params(&self) -> CircuitParams {
        self.params.clone()
    }

    fn without_witnesses(&self) -> Self {
        unimplemented!("keys are generated from a laid-out circuit")
    }

    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, params: CircuitParams) -> Self::Config {
        let base = BaseConfig::configure(meta, params.base.clone());
        let poseidon = PoseidonConfig::configure(meta);
        let table = (params.lookup_columns > 0).then(|| TableConfig::configure(meta, params.lookup_columns));
        (base, poseidon, table)
    }

    fn configure(_: &mut ConstraintSystem<Fr>) -> Self::Config {
        unreachable!("the circuit is configured from its params")
    }

    fn synthesize(
        &self,
        (base, poseidon, table): Self::Config,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), PlonkError> {
        self.builder.synthesize(base, layouter.namespace(|| "model"))?;
        layouter.assign_region(
            || "poseidon",
            |mut region| {
                poseidon.assign(&mut region, &self.hashes, self.copies().as_deref_mut());
                Ok(())
            },
        )?;
        let Some(table) = table else { return Ok(()) };
        layouter.assign_region(
            || "function table",
            |mut region| {
                for (row, [k, v]) in self.table.iter().enumerate() {
                    raw_assign_fixed(&mut region, table.key, row, *k);
                    raw_assign_fixed(&mut region, table.value, row, *v);
                }
                Ok(())
            },
        )?;
        let rows = self.params.usable_rows();
        layouter.assign_region(
            || "function lookups",
            |mut region| {
                let mut copies = self.copies();
                for (n, pair) in self.lookups.iter().enumerate() {
                    for (cell, column) in pair.iter().zip(table.lookups[n / rows]) {
                        copy_advice(&mut region, *cell, column, n % rows, copies.as_deref_mut());
                    }
                }
                Ok(())
            },
        )
    }
}

/// The function table of `model` at quantisation `q`: every function sampled on its domain.
pub fn function_table(model: &Model, q: &Quantization) -> Result<Vec<[Fr; 2]>> {
    let mut rows = vec![[Fr::zero(), Fr::zero()]];
    if model.graph.functions.is_empty() {
        return Ok(rows);
    }
    let half = 1i128 << (q.table_bits - 1);
    let xs: Vec<i128> = (-half..half).collect();
    let floats: Vec<f32> = xs.iter().map(|&x| dequantize(x, q.scale) as f32).collect();
    for table in 0..model.graph.functions.len() {
        let ys = model.eval_function(table, &floats)?;
        for (&x, y) in xs.iter().zip(ys) {
            // Points where the function is undefined (NaN) or overflows are left out, so no proof
            // can claim a value there.
            if let Some(y) = quantize(y as f64, q.scale).filter(|y| y.unsigned_abs() < 1 << (q.bits - 1)) {
                rows.push(table_row(table, x, y as i128));
            }
        }
    }
    Ok(rows)
}

/// A laid-out circuit with its public instances and outputs.
pub struct Built {
    pub circuit: ModelCircuit,
    pub laid: Laid,
}

/// How to build: for key generation (shape still to be fixed), or for a known shape.
pub enum Shape<'a> {
    /// Auto-size the columns at `k`, with range-check limbs of `lookup_bits`.
    Size { k: usize, lookup_bits: usize },
    /// The compiled shape; `break_points` are needed only to prove.
    Fixed { params: &'a CircuitParams, break_points: Option<&'a MultiPhaseThreadBreakPoints> },
}

/// Lays `inference` out as a circuit. Fails if a value leaves its calibrated range.
pub fn build(
    stage: CircuitBuilderStage,
    shape: Shape,
    q: Quantization,
    inference: &Inference,
    table: Vec<[Fr; 2]>,
) -> Result<Built> {
    let mut builder = match (&shape, stage) {
        (Shape::Fixed { params, break_points: Some(bp) }, CircuitBuilderStage::Prover) => {
            BaseCircuitBuilder::prover(params.base.clone(), (*bp).clone())
        }
        (Shape::Fixed { params, .. }, _) => BaseCircuitBuilder::from_stage(stage).use_params(params.base.clone()),
        (Shape::Size { k, lookup_bits }, _) => {
            BaseCircuitBuilder::from_stage(stage).use_k(*k).use_lookup_bits(*lookup_bits).use_instance_columns(1)
        }
    };
    let mut chip = FixedPointChip::new(builder.range_chip(), q);
    let laid_out = lay_out(builder.main(0), &mut chip, inference);
    let (laid, instances) = match (laid_out, chip.violation) {
        (Ok(laid_out), None) => laid_out,
        (Err(error), _) | (Ok(_), Some(error)) => {
            builder.clear();
            return Err(error);
        }
    };
    builder.assigned_instances = vec![instances];
    let params = match shape {
        Shape::Fixed { params, .. } => params.clone(),
        Shape::Size { .. } => {
            let stats = builder.statistics();
            tracing::debug!(
                advice = ?stats.gate.total_advice_per_phase,
                fixed = stats.gate.total_fixed,
                range_lookups = ?stats.total_lookup_advice_per_phase,
                function_lookups = chip.lookups.len(),
                "circuit size"
            );
            let base = builder.calculate_params(Some(MINIMUM_ROWS));
            let usable = (1 << base.k) - MINIMUM_ROWS;
            CircuitParams { lookup_columns: chip.lookups.len().div_ceil(usable), base }
        }
    };
    let circuit = ModelCircuit { builder, params, table, lookups: chip.lookups, hashes: chip.hashes };
    if circuit.rows_needed() > circuit.params.usable_rows() {
        let (needed, available, k) = (circuit.rows_needed(), circuit.params.usable_rows(), circuit.params.k());
        return Err(Error::TooManyRows { needed, available, k });
    }
    Ok(Built { circuit, laid })
}

/// The ranges a witness-only layout sees, for calibration: no bounds are enforced.
pub fn measure(scale: u32, inference: &Inference) -> Result<(chip::Ranges, Laid)> {
    let q = Quantization { scale, bits: 100, table_bits: 100 };
    let mut builder = BaseCircuitBuilder::<Fr>::new(true).use_k(20).use_lookup_bits(19);
    let mut chip = FixedPointChip::new(builder.range_chip(), q);
    let (laid, _) = lay_out(builder.main(0), &mut chip, inference)?;
    Ok((chip.ranges, laid))
}
