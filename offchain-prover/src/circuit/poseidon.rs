//! A Poseidon sponge (width 3, rate 2, x^5, 8 full and 57 partial rounds, constants from the
//! reference Grain LFSR) laid out one round per two rows of three columns.
//!
//! halo2-base's own Poseidon chip expresses every round through its single `a + b·c = d` gate, at
//! about 3,000 cells per permutation; committing to a model's parameters then dominates the
//! circuit. Here a round is two rows: the state `s`, then the squares `q` of the S-box inputs, so
//! an S-box costs degree 4 and the circuit's degree does not grow. Three columns rather than six
//! (state and squares side by side) matter because the region spans the circuit's full height:
//! every advice column costs the prover the same at any occupancy.
//!
//! What a proof pays for the region is kept small too. Inputs arrive, and the hash leaves, through
//! the first column only, so only that column takes part in the permutation argument. One fixed
//! column `t` says what a row is (0 nothing, 1 a partial round, 2 a full round, 3 an absorb step)
//! and replaces four selectors: the gates read it through polynomials of degree at most three in
//! `t`, which keeps every gate within degree 5. An absorb step takes one input: it reads `σ`
//! (keep the state), `λ` (the lane) and `c` (the capacity's initial value) from the round-constant
//! columns, which absorb rows do not otherwise use.
//!
//! The region takes the top rows of its columns and leaves the rest to others: below it, its three
//! constant columns hold the lookup table, and, where range checks are copied to columns of their
//! own, its first column is the first of those. A proof then pays for one advice column and three
//! fixed columns fewer.
//!
//! Rows of one hash of `n` field elements (padded to even length with zeros), `P = 2·(2 + 65)`:
//! ```text
//! row P·p + 2l       absorb step l ∈ {0, 1} of permutation p: s = state before it, t = 3
//! row P·p + 2l + 1   the input, then 1, 1
//! row P·p + 4 + 2r   round r of permutation p (r < 65): s = state before the round, t = 1 or 2
//! row P·p + 5 + 2r   its squares q
//! row P·(p+1)        the next absorb step, or (after the last permutation) s0 = the hash
//! ```

use std::sync::LazyLock;

use halo2_base::halo2_proofs::circuit::{Region, Value};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use halo2_base::halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Expression, Fixed, VirtualCells};
use halo2_base::halo2_proofs::poly::Rotation;
use halo2_base::utils::halo2::{raw_assign_advice, raw_assign_fixed};
use halo2_base::virtual_region::copy_constraints::CopyConstraintManager;
use halo2_base::AssignedValue;
use poseidon_primitives::poseidon::primitives::Spec;

use super::copy_advice;

const WIDTH: usize = 3;
const RATE: usize = 2;
const FULL_ROUNDS: usize = 8;
const PARTIAL_ROUNDS: usize = 57;
const ROUNDS: usize = FULL_ROUNDS + PARTIAL_ROUNDS;
/// Rows per permutation, including the absorb steps before it (one per input).
const ROWS_PER_PERMUTATION: usize = 2 * (RATE + ROUNDS);

/// What a row of the region is: the values of its fixed column `t`.
const PARTIAL_ROUND: u64 = 1;
const FULL_ROUND: u64 = 2;
const ABSORB: u64 = 3;

#[derive(Debug)]
struct PoseidonSpec;

impl Spec<Fr, WIDTH, RATE> for PoseidonSpec {
    fn full_rounds() -> usize {
        FULL_ROUNDS
    }
    fn partial_rounds() -> usize {
        PARTIAL_ROUNDS
    }
    fn sbox(val: Fr) -> Fr {
        val.pow_vartime([5])
    }
    fn secure_mds() -> usize {
        0
    }
}

struct Constants {
    round: Vec<[Fr; WIDTH]>,
    mds: [[Fr; WIDTH]; WIDTH],
}

static CONSTANTS: LazyLock<Constants> = LazyLock::new(|| {
    let (round, mds, _) = PoseidonSpec::constants();
    Constants { round, mds }
});

fn is_full_round(round: usize) -> bool {
    !(FULL_ROUNDS / 2..FULL_ROUNDS / 2 + PARTIAL_ROUNDS).contains(&round)
}

/// One round on a native state; returns the squares of the S-box inputs too (the row's `q`, which
/// the gate checks in partial rounds as well).
fn round(state: &[Fr; WIDTH], r: usize) -> ([Fr; WIDTH], [Fr; WIDTH]) {
    let c = &*CONSTANTS;
    let x: [Fr; WIDTH] = std::array::from_fn(|j| state[j] + c.round[r][j]);
    let full = is_full_round(r);
    let q: [Fr; WIDTH] = x.map(|x| x.square());
    let y: [Fr; WIDTH] = std::array::from_fn(|j| if full || j == 0 { q[j].square() * x[j] } else { x[j] });
    let next = std::array::from_fn(|i| (0..WIDTH).map(|j| c.mds[i][j] * y[j]).sum());
    (next, q)
}

fn capacity(len: usize) -> Fr {
    Fr::from(len as u64) * Fr::from(2).pow_vartime([64])
}

/// The sponge's absorb steps: inputs padded with zeros to a multiple of the rate.
fn padded(inputs: &[Fr]) -> Vec<[Fr; RATE]> {
    inputs.chunks(RATE).map(|c| std::array::from_fn(|i| c.get(i).copied().unwrap_or(Fr::ZERO))).collect()
}

/// Poseidon hash of `inputs` (ConstantLength domain: capacity n·2^64).
pub fn hash(inputs: &[Fr]) -> Fr {
    let mut state = [Fr::ZERO, Fr::ZERO, capacity(inputs.len())];
    for chunk in padded(inputs) {
        state[0] += chunk[0];
        state[1] += chunk[1];
        for r in 0..ROUNDS {
            state = round(&state, r).0;
        }
    }
    state[0]
}

/// Rows one hash of `len > 0` inputs occupies.
pub fn rows(len: usize) -> usize {
    1 + len.div_ceil(RATE) * ROWS_PER_PERMUTATION
}

/// Rows the region takes with `jobs` laid out.
pub fn region_rows(jobs: &[HashJob]) -> usize {
    jobs.iter().map(|job| rows(job.len)).sum()
}

/// A hash to lay out: its input cells and the cell claiming its value.
#[derive(Clone, Debug)]
pub struct HashJob {
    /// Inputs padded with constant-zero cells to a multiple of the rate.
    pub inputs: Vec<AssignedValue<Fr>>,
    pub len: usize,
    pub output: AssignedValue<Fr>,
}

#[derive(Clone, Debug)]
pub struct PoseidonConfig {
    /// The state on even rows; the squares (or an absorbed input) on odd rows.
    columns: [Column<Advice>; WIDTH],
    /// The round constants; on absorb rows `(σ, λ, c)`.
    constants: [Column<Fixed>; WIDTH],
    /// What the row is: [`PARTIAL_ROUND`], [`FULL_ROUND`], [`ABSORB`] or 0.
    kind: Column<Fixed>,
}

impl PoseidonConfig {
    /// Configures the region on the fixed columns `constants`, which it shares with the lookup
    /// table, and on `first`, a column with equality enabled whose top rows it takes, or else on a
    /// first column of its own.
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        constants: [Column<Fixed>; WIDTH],
        first: Option<Column<Advice>>,
    ) -> Self {
        let first = first.unwrap_or_else(|| {
            let column = meta.advice_column();
            meta.enable_equality(column);
            column
        });
        let columns = [first, meta.advice_column(), meta.advice_column()];
        let kind = meta.fixed_column();
        let at = |m: &mut VirtualCells<Fr>, rotation: i32| columns.map(|c| m.query_advice(c, Rotation(rotation)));
        let constant = |v: u64| Expression::Constant(Fr::from(v));

        meta.create_gate("poseidon", |m| {
            let t = m.query_fixed(kind, Rotation::cur());
            let rc = constants.map(|c| m.query_fixed(c, Rotation::cur()));
            let (s, q, next) = (at(m, 0), at(m, 1), at(m, 2));
            // Polynomials in t over the row kinds {0, 1, 2, 3}: `round` is 2 on both kinds of
            // round, `full` 2 on a full round (and 6 on an absorb row, where q1 = q2 = 1 makes
            // its terms vanish), `absorb` 6 on an absorb row; all are 0 where t = 0.
            let round = t.clone() * (constant(3) - t.clone());
            let full = t.clone() * (t.clone() - constant(1));
            let absorb = full.clone() * (t - constant(2));

            let x: [Expression<Fr>; WIDTH] = std::array::from_fn(|j| s[j].clone() + rc[j].clone());
            let sboxed = |j: usize| q[j].clone() * q[j].clone() * x[j].clone();
            let mut constraints: Vec<Expression<Fr>> =
                (0..WIDTH).map(|j| round.clone() * (q[j].clone() - x[j].clone() * x[j].clone())).collect();
            let mds = &CONSTANTS.mds;
            for i in 0..WIDTH {
                // A partial round S-boxes the first element only; a full round the other two too.
                let partial = (1..WIDTH)
                    .map(|j| x[j].clone() * Expression::Constant(mds[i][j]))
                    .fold(sboxed(0) * Expression::Constant(mds[i][0]), |a, b| a + b);
                let rest = (1..WIDTH)
                    .map(|j| (sboxed(j) - x[j].clone()) * Expression::Constant(mds[i][j]))
                    .reduce(|a, b| a + b)
                    .expect("width > 1");
                constraints.push(round.clone() * (next[i].clone() - partial) - full.clone() * rest);
            }
            // An absorb step: next = σ·s + the input in lane λ, and c added to the capacity.
            let (keep, lane, capacity) = (rc[0].clone(), rc[1].clone(), rc[2].clone());
            let input = q[0].clone();
            let absorbed = [(constant(1) - lane.clone()) * input.clone(), lane * input, capacity];
            for (j, added) in absorbed.into_iter().enumerate() {
                constraints.push(absorb.clone() * (next[j].clone() - keep.clone() * s[j].clone() - added));
            }
            constraints
        });
        Self { columns, constants, kind }
    }

    /// Writes `rows` from `start` on.
    fn write(&self, region: &mut Region<Fr>, start: usize, rows: &[Row]) {
        for (offset, row) in rows.iter().enumerate() {
            if let Some((kind, constants)) = row.fixed {
                raw_assign_fixed(region, self.kind, start + offset, Fr::from(kind));
                for (column, value) in self.constants.iter().zip(constants) {
                    raw_assign_fixed(region, *column, start + offset, value);
                }
            }
            for (column, value) in self.columns.iter().zip(row.cells) {
                raw_assign_advice(region, *column, start + offset, Value::known(value));
            }
        }
    }

    /// Lays out `jobs` one after another from row 0, on [`region_rows`] rows.
    pub fn assign(
        &self,
        region: &mut Region<Fr>,
        jobs: &[HashJob],
        mut copies: Option<&mut CopyConstraintManager<Fr>>,
    ) {
        let mut start = 0;
        for job in jobs {
            let values: Vec<Fr> = job.inputs.iter().map(|c| *c.value()).collect();
            let rows = trace(&values, job.len);
            self.write(region, start, &rows);
            for (i, cell) in job.inputs.iter().enumerate() {
                copy_advice(region, *cell, self.columns[0], start + input_row(i), copies.as_deref_mut());
            }
            copy_advice(region, job.output, self.columns[0], start + rows.len() - 1, copies.as_deref_mut());
            start += rows.len();
        }
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
    use halo2_base::halo2_proofs::plonk::{Circuit, Error};
    use poseidon_primitives::poseidon::primitives::{ConstantLength, Hash};

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
                    config.write(&mut region, 0, &self.0);
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
        assert!(is_kind(&Fr::from(crate::circuit::function_kind(1000))));
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
