//! Assignment of the Poseidon region ([`zkml_verifier::constraints::poseidon`], whose module
//! documentation gives the rows): the trace of each hash, copied in from and out to the gate
//! columns.

use halo2_base::halo2_proofs::circuit::{Region, Value};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use halo2_base::utils::halo2::{raw_assign_advice, raw_assign_fixed};
use halo2_base::virtual_region::copy_constraints::CopyConstraintManager;
use halo2_base::AssignedValue;
use zkml_verifier::constraints::poseidon::{
    capacity, is_full_round, round, PoseidonConfig, ABSORB, CONSTANTS, FULL_ROUND, PARTIAL_ROUND, RATE, ROUNDS,
    ROWS_PER_PERMUTATION, WIDTH,
};
pub use zkml_verifier::constraints::poseidon::{hash, rows};

use super::copy_advice;

/// A hash to lay out: its input cells and the cell claiming its value.
#[derive(Clone, Debug)]
pub struct HashJob {
    /// Inputs padded with constant-zero cells to a multiple of the rate.
    pub inputs: Vec<AssignedValue<Fr>>,
    pub len: usize,
    pub output: AssignedValue<Fr>,
}

/// Rows the region takes with `jobs` laid out.
pub fn region_rows(jobs: &[HashJob]) -> usize {
    jobs.iter().map(|job| rows(job.len)).sum()
}

/// Writes `rows` from `start` on.
fn write(config: &PoseidonConfig, region: &mut Region<Fr>, start: usize, rows: &[Row]) {
    for (offset, row) in rows.iter().enumerate() {
        if let Some((kind, constants)) = row.fixed {
            raw_assign_fixed(region, config.kind, start + offset, Fr::from(kind));
            for (column, value) in config.constants.iter().zip(constants) {
                raw_assign_fixed(region, *column, start + offset, value);
            }
        }
        for (column, value) in config.columns.iter().zip(row.cells) {
            raw_assign_advice(region, *column, start + offset, Value::known(value));
        }
    }
}

/// Lays out `jobs` one after another from row 0, on [`region_rows`] rows.
pub fn assign(
    config: &PoseidonConfig,
    region: &mut Region<Fr>,
    jobs: &[HashJob],
    mut copies: Option<&mut CopyConstraintManager<Fr>>,
) {
    let mut start = 0;
    for job in jobs {
        let values: Vec<Fr> = job.inputs.iter().map(|c| *c.value()).collect();
        let rows = trace(&values, job.len);
        write(config, region, start, &rows);
        for (i, cell) in job.inputs.iter().enumerate() {
            copy_advice(region, *cell, config.columns[0], start + input_row(i), copies.as_deref_mut());
        }
        copy_advice(region, job.output, config.columns[0], start + rows.len() - 1, copies.as_deref_mut());
        start += rows.len();
    }
}

/// A row of the region: its kind and constants (absent on the rows of squares, inputs and the
/// output), and its three cells.
#[derive(Clone, Debug)]
struct Row {
    fixed: Option<(u64, [Fr; WIDTH])>,
    cells: [Fr; WIDTH],
}

/// The row, within its hash's rows, where input `i` is absorbed: the second row of its step.
fn input_row(i: usize) -> usize {
    ROWS_PER_PERMUTATION * (i / RATE) + 2 * (i % RATE) + 1
}

/// The rows of the hash of `inputs`, padded to a multiple of the rate, `len` of them given: see
/// the module's layout. The last row's first cell is the hash.
fn trace(inputs: &[Fr], len: usize) -> Vec<Row> {
    let mut rows = Vec::with_capacity(rows(len));
    let mut state = [Fr::ZERO; WIDTH];
    for (p, chunk) in inputs.chunks(RATE).enumerate() {
        for (lane, &input) in chunk.iter().enumerate() {
            // The first step sets the state (σ = 0), the capacity to its initial value among it.
            let first = p == 0 && lane == 0;
            let (keep, initial) = if first { (Fr::ZERO, capacity(len)) } else { (Fr::ONE, Fr::ZERO) };
            rows.push(Row { fixed: Some((ABSORB, [keep, Fr::from(lane as u64), initial])), cells: state });
            rows.push(Row { fixed: None, cells: [input, Fr::ONE, Fr::ONE] });
            if first {
                state = [Fr::ZERO, Fr::ZERO, initial];
            }
            state[lane] += input;
        }
        for r in 0..ROUNDS {
            let (next, q) = round(&state, r);
            let kind = if is_full_round(r) { FULL_ROUND } else { PARTIAL_ROUND };
            rows.push(Row { fixed: Some((kind, CONSTANTS.round[r])), cells: state });
            rows.push(Row { fixed: None, cells: q });
            state = next;
        }
    }
    rows.push(Row { fixed: None, cells: state });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_base::halo2_proofs::circuit::{Layouter, SimpleFloorPlanner};
    use halo2_base::halo2_proofs::dev::MockProver;
    use halo2_base::halo2_proofs::plonk::{Circuit, ConstraintSystem, Error};
    use poseidon_primitives::poseidon::primitives::{ConstantLength, Hash};
    use zkml_verifier::constraints::lookup::function_kind;
    use zkml_verifier::constraints::poseidon::{PoseidonSpec, FULL_ROUNDS};

    fn inputs(len: usize) -> Vec<Fr> {
        (0..len as u64).map(|i| Fr::from(7 * i + 3)).collect()
    }

    fn reference<const L: usize>() -> Fr {
        let message: [Fr; L] = inputs(L).try_into().expect("length L");
        Hash::<Fr, PoseidonSpec, ConstantLength<L>, WIDTH, RATE>::init().hash(message)
    }

    #[test]
    fn hash_is_the_reference_constant_length_poseidon() {
        assert_eq!(hash(&inputs(1)), reference::<1>());
        assert_eq!(hash(&inputs(2)), reference::<2>());
        assert_eq!(hash(&inputs(3)), reference::<3>());
        assert_eq!(hash(&inputs(5)), reference::<5>());
    }

    #[test]
    fn hash_separates_lengths_and_inputs() {
        let a = hash(&[Fr::from(1), Fr::from(2)]);
        assert_ne!(a, hash(&[Fr::from(1), Fr::from(2), Fr::ZERO]));
        assert_ne!(a, hash(&[Fr::from(2), Fr::from(1)]));
        assert_eq!(rows(2), 1 + 134);
        assert_eq!(rows(3), 1 + 2 * 134);
    }

    /// The region alone, holding a given trace.
    struct TraceCircuit(Vec<Row>);

    impl Circuit<Fr> for TraceCircuit {
        type Config = PoseidonConfig;
        type FloorPlanner = SimpleFloorPlanner;
        type Params = ();

        fn without_witnesses(&self) -> Self {
            unimplemented!("only run by the mock prover")
        }

        fn configure(meta: &mut ConstraintSystem<Fr>) -> PoseidonConfig {
            let constants = [(); WIDTH].map(|_| meta.fixed_column());
            PoseidonConfig::configure(meta, constants, None)
        }

        fn synthesize(&self, config: PoseidonConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
            layouter.assign_region(
                || "poseidon",
                |mut region| {
                    write(&config, &mut region, 0, &self.0);
                    Ok(())
                },
            )
        }
    }

    fn satisfied(rows: Vec<Row>) -> bool {
        MockProver::run(9, &TraceCircuit(rows), vec![]).expect("fits 2^9 rows").verify().is_ok()
    }

    /// The padded trace of five inputs: three permutations, the last absorbing a zero.
    fn honest() -> Vec<Row> {
        let mut values = inputs(5);
        values.push(Fr::ZERO);
        trace(&values, 5)
    }

    #[test]
    fn the_trace_ends_in_the_hash_and_satisfies_the_gate() {
        let rows = honest();
        assert_eq!(rows.len(), self::rows(5));
        assert_eq!(rows.last().expect("rows").cells[0], hash(&inputs(5)));
        assert!(satisfied(rows));
    }

    /// The lookup table shares the constant columns: no row of the region may read there as a
    /// table row of a kind that lookups match (its last constant being a round constant, 0 or a
    /// capacity `len·2^64`).
    #[test]
    fn no_row_reads_as_a_lookup_kind() {
        use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;
        // Every kind that lookups match ([`RANGE`], [`WEIGHT`], each function's) is below 2^64
        // and not zero.
        let is_kind = |c: &Fr| *c != Fr::ZERO && c.to_repr()[8..].iter().all(|&b| b == 0);
        assert!(is_kind(&Fr::from(function_kind(1000))));
        let rows = trace(&inputs(2), 1).into_iter().chain(honest());
        let lasts: Vec<Fr> = rows.filter_map(|row| row.fixed).map(|(_, c)| c[WIDTH - 1]).collect();
        assert!(lasts.len() > ROUNDS);
        assert!(lasts.iter().chain(CONSTANTS.round.iter().map(|c| &c[WIDTH - 1])).all(|c| !is_kind(c)));
    }

    #[test]
    fn a_tampered_cell_violates_the_gate() {
        let squares_of_a_partial_round = 2 * (RATE + FULL_ROUNDS / 2 + 1) + 1;
        let capacity_after_absorbing = 2 * RATE;
        let output = rows(5) - 1;
        for (row, column) in
            [(squares_of_a_partial_round, 1), (input_row(3), 0), (capacity_after_absorbing, 2), (output, 0)]
        {
            let mut rows = honest();
            rows[row].cells[column] += Fr::ONE;
            assert!(!satisfied(rows), "row {row}, column {column}");
        }
    }
}
