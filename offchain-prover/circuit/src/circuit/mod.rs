//! The model circuit: halo2-base's gate laid out row by row ([`gate`]), a Poseidon region, and one
//! lookup table whose rows are the range-check limbs, the values a weight may take and the model's
//! element-wise functions. Its constraint system is [`zkml_verifier::constraints`]; this module
//! lays inferences out on it.

pub mod chip;
pub mod commit;
pub mod functions;
pub mod gate;
pub mod layout;
pub mod poseidon;

use halo2_base::gates::circuit::{builder::BaseCircuitBuilder, CircuitBuilderStage};
use std::sync::MutexGuard;

use halo2_base::halo2_proofs::circuit::{Layouter, Region, SimpleFloorPlanner, Value};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use halo2_base::halo2_proofs::plonk::{Advice, Circuit, Column, ConstraintSystem, Error as PlonkError, Fixed};
use halo2_base::utils::halo2::{
    constrain_virtual_equals_external, raw_assign_advice, raw_assign_fixed, raw_constrain_equal,
};
use halo2_base::virtual_region::copy_constraints::CopyConstraintManager;
use halo2_base::AssignedValue;
use zkml_verifier::constraints::lookup::{function_kind, LookupColumns, NO_LOOKUP, RANGE, WEIGHT};
use zkml_verifier::constraints::{configure, CircuitConfig};
use zkml_verifier::{CircuitParams, MINIMUM_ROWS};

use crate::error::{Error, Result};
use crate::quantize::{to_field, Quantization};
use chip::{FixedPointChip, FunctionLookup};
use layout::{lay_out, Inference, Laid};
use poseidon::HashJob;

/// A model inference as a halo2 circuit.
pub struct ModelCircuit {
    pub builder: BaseCircuitBuilder<Fr>,
    pub params: CircuitParams,
    /// Rows of the lookup table (fixed), `(key, value, kind)`: the all-zero row that unused
    /// lookups hit, the range rows and the function rows. Empty when proving: the proving key
    /// holds it.
    pub table: Vec<[Fr; 3]>,
    pub range_lookups: Vec<AssignedValue<Fr>>,
    pub weight_lookups: Vec<AssignedValue<Fr>>,
    pub lookups: Vec<FunctionLookup>,
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

/// halo2-base's assignment of the constants and the copy constraints
/// (`CopyConstraintManager::assign_raw`), but with the constants in `column` from row `first` on,
/// not from row 0: the column's rows above hold the Poseidon region and the lookup table. Every
/// virtual cell must be assigned already.
fn assign_copies(copies: &mut CopyConstraintManager<Fr>, column: Column<Fixed>, first: usize, region: &mut Region<Fr>) {
    // Sorted, so that the assignment does not depend on the order threads recorded them in.
    copies.constant_equalities.sort_unstable();
    let mut row = first;
    for &(constant, _) in &copies.constant_equalities {
        if let std::collections::btree_map::Entry::Vacant(entry) = copies.assigned_constants.entry(constant) {
            entry.insert(raw_assign_fixed(region, column, row, constant));
            row += 1;
        }
    }
    copies.advice_equalities.sort_unstable();
    for (left, right) in &copies.advice_equalities {
        raw_constrain_equal(region, copies.assigned_advices[left], copies.assigned_advices[right]);
    }
    for (constant, cell) in &copies.constant_equalities {
        raw_constrain_equal(region, copies.assigned_constants[constant], copies.assigned_advices[cell]);
    }
    // Key generation synthesizes twice (vk, then pk), and each time the constants are assigned.
    copies.assigned_constants.clear();
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

    /// Rows the gate columns, the Poseidon region with the lookup table and the constants below
    /// it, and the instance column need. (The range columns are as many as their copies need.)
    pub fn rows_needed(&self) -> usize {
        let stats = self.builder.statistics().gate;
        let gate_rows = zkml_verifier::constraints::gate::rows(
            stats.total_advice_per_phase[0],
            self.params.base.num_advice_per_phase[0],
        );
        let instances = self.builder.assigned_instances.iter().map(Vec::len).max().unwrap_or(0);
        gate_rows.max(poseidon::region_rows(&self.hashes) + self.table.len() + stats.total_fixed).max(instances)
    }
}

impl Circuit<Fr> for ModelCircuit {
    type Config = CircuitConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = CircuitParams;

    fn params(&self) -> CircuitParams {
        self.params.clone()
    }

    fn without_witnesses(&self) -> Self {
        unimplemented!("keys are generated from a laid-out circuit")
    }

    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, params: CircuitParams) -> Self::Config {
        configure(meta, &params)
    }

    fn configure(_: &mut ConstraintSystem<Fr>) -> Self::Config {
        unreachable!("the circuit is configured from its params")
    }

    fn synthesize(
        &self,
        CircuitConfig { gate, poseidon, lookup }: Self::Config,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), PlonkError> {
        // The Poseidon region's rows, above the lookup table, the constants and the range checks'
        // copies, which share its columns.
        let hash_rows = poseidon::region_rows(&self.hashes);
        layouter.assign_region(
            || "model",
            |mut region| {
                let contexts = &self.builder.core().phase_manager[0].threads;
                gate::assign(&gate, &mut region, contexts, self.copies().as_deref_mut())?;
                if let Some(mut copies) = self.copies() {
                    let first = hash_rows + self.table.len();
                    assign_copies(&mut copies, gate.constants, first, &mut region);
                }
                Ok(())
            },
        )?;
        self.builder.assign_instances(&[gate.instance], layouter.namespace(|| "expose"));
        layouter.assign_region(
            || "poseidon",
            |mut region| {
                poseidon::assign(&poseidon, &mut region, &self.hashes, self.copies().as_deref_mut());
                Ok(())
            },
        )?;
        let Some(lookup) = lookup else { return Ok(()) };
        layouter.assign_region(
            || "lookup table",
            |mut region| {
                for (row, [k, v, kind]) in (hash_rows..).zip(&self.table) {
                    raw_assign_fixed(&mut region, lookup.key, row, *kind * k);
                    if let Some(value) = lookup.value {
                        raw_assign_fixed(&mut region, value, row, *v);
                    }
                    raw_assign_fixed(&mut region, lookup.kind, row, *kind);
                }
                Ok(())
            },
        )?;
        let rows = self.params.usable_rows();
        layouter.assign_region(
            || "lookups",
            |mut region| {
                let mut copies = self.copies();
                match &lookup.columns {
                    // The kinds are fixed: only key generation (and mock proving) sets them.
                    LookupColumns::InPlace { kind, function } => {
                        let Some(copies) = copies else { return Ok(()) };
                        let row = |cell: &AssignedValue<Fr>| {
                            cell.cell.and_then(|c| copies.assigned_advices.get(&c)).map(|c| c.row_offset)
                        };
                        // A row has one kind; a cell looked up twice must be looked up alike.
                        let mut kinds = std::collections::BTreeMap::new();
                        let mut mark = |row: usize, row_kind: u64| match kinds.insert(row, row_kind) {
                            Some(earlier) if earlier != row_kind => Err(PlonkError::Synthesis),
                            _ => Ok(()),
                        };
                        for cell in &self.range_lookups {
                            mark(row(cell).ok_or(PlonkError::Synthesis)?, RANGE)?;
                        }
                        for cell in &self.weight_lookups {
                            mark(row(cell).ok_or(PlonkError::Synthesis)?, WEIGHT)?;
                        }
                        for FunctionLookup { table, key, value } in &self.lookups {
                            let (key_row, value_row) = (row(key), row(value));
                            let (Some(key_row), Some(function)) = (key_row, function) else {
                                return Err(PlonkError::Synthesis);
                            };
                            // The value must sit right below its key, where the lookup reads it.
                            if value_row != Some(key_row + 1) {
                                return Err(PlonkError::Synthesis);
                            }
                            mark(key_row, function_kind(*table))?;
                            raw_assign_fixed(&mut region, *function, key_row, Fr::ONE);
                        }
                        for (row, row_kind) in kinds {
                            raw_assign_fixed(&mut region, *kind, row, Fr::from(row_kind));
                        }
                    }
                    LookupColumns::Copied { range, function } => {
                        let weights = self.weight_lookups.iter().map(|cell| (cell, WEIGHT));
                        let ranges = self.range_lookups.iter().map(|cell| (cell, RANGE));
                        for (n, (cell, kind)) in (hash_rows..).zip(weights.chain(ranges)) {
                            let (column, column_kind) = range[n / rows];
                            copy_advice(&mut region, *cell, column, n % rows, copies.as_deref_mut());
                            raw_assign_fixed(&mut region, column_kind, n % rows, Fr::from(kind));
                        }
                        for (n, FunctionLookup { table, key, value }) in self.lookups.iter().enumerate() {
                            let (columns, column_kind) = function[n / rows];
                            for (cell, column) in [key, value].into_iter().zip(columns) {
                                copy_advice(&mut region, *cell, column, n % rows, copies.as_deref_mut());
                            }
                            raw_assign_fixed(&mut region, column_kind, n % rows, Fr::from(function_kind(*table)));
                        }
                    }
                }
                Ok(())
            },
        )
    }
}

/// A laid-out circuit with its public instances and outputs.
pub struct Built {
    pub circuit: ModelCircuit,
    pub laid: Laid,
}

/// How to build: for key generation (shape still to be fixed), or for a known shape.
pub enum Shape<'a> {
    /// Auto-size the columns at `k`, with range-check limbs of `lookup_bits` and weight rows of
    /// `weight_bits`.
    Size { k: usize, lookup_bits: usize, weight_bits: Option<u32> },
    /// The compiled shape.
    Fixed(&'a CircuitParams),
}

/// The lookup table `(key, value, kind)`: the all-zero row, the range rows `[0, 2^lookup_bits)`,
/// the weight rows `[-2^(weight_bits-1), 2^(weight_bits-1))` and the function rows `functions`
/// ([`functions::FunctionTable::rows`]).
pub(crate) fn lookup_table(lookup_bits: usize, weight_bits: Option<u32>, functions: &[[Fr; 3]]) -> Vec<[Fr; 3]> {
    let ranges = (0..1u64 << lookup_bits).map(|i| [Fr::from(i), Fr::ZERO, Fr::from(RANGE)]);
    let half = weight_bits.map_or(0, |w| 1i128 << (w - 1));
    let weights = (-half..half).map(|v| [to_field(v), Fr::ZERO, Fr::from(WEIGHT)]);
    let functions = functions.iter().copied();
    let zero = [Fr::ZERO, Fr::ZERO, Fr::from(NO_LOOKUP)];
    std::iter::once(zero).chain(ranges).chain(weights).chain(functions).collect()
}

/// The shape of a laid-out circuit at the builder's k: halo2-base's gate columns, and the lookup
/// columns its range (and weight) lookups and function lookups need.
pub(crate) fn size_params(
    builder: &mut BaseCircuitBuilder<Fr>,
    range_lookups: usize,
    function_lookups: usize,
    weight_bits: Option<u32>,
    hashes: &[HashJob],
) -> CircuitParams {
    let stats = builder.statistics();
    tracing::debug!(
        advice = ?stats.gate.total_advice_per_phase,
        fixed = stats.gate.total_fixed,
        range_lookups,
        function_lookups,
        "circuit size"
    );
    let mut params =
        CircuitParams { base: builder.calculate_params(Some(MINIMUM_ROWS)), weight_bits, ..Default::default() };
    // The constants take rows of a column they share, however many there are (`rows_needed`).
    params.base.num_fixed = 1;
    let (in_place, usable) = (params.in_place(), params.usable_rows());
    let columns = |n: usize| if in_place { usize::from(n > 0) } else { n.div_ceil(usable) };
    // The Poseidon region takes the first range column's top rows.
    let hash_rows = poseidon::region_rows(hashes);
    params.range_columns = if range_lookups > 0 { columns(hash_rows + range_lookups) } else { 0 };
    params.lookup_columns = columns(function_lookups);
    params
}

/// Lays `inference` out as a circuit. Fails if a value leaves its calibrated range.
///
/// `functions` are the function rows of the lookup table ([`functions::FunctionTable::rows`]);
/// `None` where the table is not laid out again (proving).
pub fn build(
    stage: CircuitBuilderStage,
    shape: Shape,
    q: Quantization,
    inference: &Inference,
    functions: Option<&[[Fr; 3]]>,
) -> Result<Built> {
    let (mut builder, lookup_bits, weight_bits) = match (&shape, stage) {
        (Shape::Fixed(params), _) => (
            BaseCircuitBuilder::from_stage(stage).use_params(params.base.clone()),
            params.base.lookup_bits,
            params.weight_bits,
        ),
        (Shape::Size { k, lookup_bits, weight_bits }, _) => (
            BaseCircuitBuilder::from_stage(stage).use_k(*k).use_lookup_bits(*lookup_bits).use_instance_columns(1),
            Some(*lookup_bits),
            *weight_bits,
        ),
    };
    let lookup_bits = lookup_bits.ok_or(Error::Prover("circuit params without lookup bits".into()))?;
    let mut chip = FixedPointChip::new(lookup_bits, weight_bits, q);
    let laid_out = lay_out(builder.main(0), &mut chip, inference);
    let (laid, instances) = match (laid_out, chip.violation.take()) {
        (Ok(laid_out), None) => laid_out,
        (Err(error), _) | (Ok(_), Some(error)) => {
            builder.clear();
            return Err(error);
        }
    };
    builder.assigned_instances = vec![instances];
    let range_lookups = chip.take_range_lookups();
    let params = match shape {
        Shape::Fixed(params) => params.clone(),
        Shape::Size { .. } => size_params(
            &mut builder,
            range_lookups.len() + chip.weight_lookups.len(),
            chip.lookups.len(),
            weight_bits,
            &chip.hashes,
        ),
    };
    let table = functions.map(|f| lookup_table(lookup_bits, weight_bits, f)).unwrap_or_default();
    let circuit = ModelCircuit {
        builder,
        params,
        table,
        range_lookups,
        weight_lookups: chip.weight_lookups,
        lookups: chip.lookups,
        hashes: chip.hashes,
    };
    if circuit.rows_needed() > circuit.params.usable_rows() {
        let (needed, available, k) = (circuit.rows_needed(), circuit.params.usable_rows(), circuit.params.k());
        return Err(Error::TooManyRows { needed, available, k });
    }
    Ok(Built { circuit, laid })
}

/// Rows of the Poseidon region of `inference`'s circuit at quantisation `q`, the same at every k:
/// the hashes' lengths depend only on how many parameters and inputs there are, and their widths.
pub fn hash_rows(q: Quantization, inference: &Inference) -> Result<usize> {
    let (chip, _) = lay_out_witness(q, inference)?;
    Ok(poseidon::region_rows(&chip.hashes))
}

/// The ranges a witness-only layout sees, for calibration: no bounds are enforced.
pub fn measure(scale: u32, inference: &Inference) -> Result<(chip::Ranges, Laid)> {
    let (chip, laid) = lay_out_witness(Quantization { scale, bits: 100, table_bits: 100 }, inference)?;
    Ok((chip.ranges, laid))
}

/// The commitment to a private input (quantised, at `q`) salted with `blinding`: the second
/// public instance of its proofs.
pub fn input_commitment(q: Quantization, inputs: &[Vec<i64>], blinding: Fr) -> Fr {
    let mut builder = BaseCircuitBuilder::<Fr>::new(true);
    let mut chip = FixedPointChip::new(8, None, q);
    let values = inputs.iter().flatten().map(|&v| halo2_base::QuantumCell::Witness(to_field(v as i128))).collect();
    let (_, commitment) = commit::commit(&mut chip, builder.main(0), values, |_| q.bits, Some(blinding));
    *commitment.value()
}

/// Lays `inference` out for its witness alone, on a chip whose range checks bound nothing.
fn lay_out_witness(q: Quantization, inference: &Inference) -> Result<(FixedPointChip, Laid)> {
    let mut builder = BaseCircuitBuilder::<Fr>::new(true).use_k(20);
    let mut chip = FixedPointChip::new(19, None, q);
    let (laid, _) = lay_out(builder.main(0), &mut chip, inference)?;
    Ok((chip, laid))
}
