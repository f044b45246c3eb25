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
//! Rows of one hash of `n` field elements (padded to even length with zeros), `P = 2·(65 + 1)`:
//! ```text
//! row 0, 1           init + absorb: s = (0, 0, n·2^64); the first two inputs
//! row 2 + P·p + 2r   round r of permutation p (r < 65): s = state before the round
//! row 3 + P·p + 2r   its squares q
//! row P·(p+1)        absorb (if more input): s = permutation output; then the next inputs
//! last row           s0 = the hash
//! ```

use std::sync::LazyLock;

use halo2_base::halo2_proofs::circuit::{Region, Value};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use halo2_base::halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Expression, Fixed, Selector, VirtualCells};
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
/// Rows per permutation, including the absorb rows before it.
const ROWS_PER_PERMUTATION: usize = 2 * (ROUNDS + 1);

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

/// One round on a native state; returns the squares of the S-box inputs too (the row's `q`).
fn round(state: &[Fr; WIDTH], r: usize) -> ([Fr; WIDTH], [Fr; WIDTH]) {
    let c = &*CONSTANTS;
    let x: [Fr; WIDTH] = std::array::from_fn(|j| state[j] + c.round[r][j]);
    let full = is_full_round(r);
    let q: [Fr; WIDTH] = std::array::from_fn(|j| if full || j == 0 { x[j].square() } else { Fr::ZERO });
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

/// Rows one hash of `len` inputs occupies.
pub fn rows(len: usize) -> usize {
    1 + len.div_ceil(RATE).max(1) * ROWS_PER_PERMUTATION
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
    /// The state on even rows; the squares (or the absorbed inputs) on odd rows.
    columns: [Column<Advice>; WIDTH],
    constants: [Column<Fixed>; WIDTH],
    init: Selector,
    absorb: Selector,
    full: Selector,
    partial: Selector,
}

impl PoseidonConfig {
    pub fn configure(meta: &mut ConstraintSystem<Fr>) -> Self {
        let columns = [(); WIDTH].map(|_| meta.advice_column());
        let constants = [(); WIDTH].map(|_| meta.fixed_column());
        // Inputs arrive in the first two columns of absorb rows, the hash leaves from the first.
        meta.enable_equality(columns[0]);
        meta.enable_equality(columns[1]);
        let (init, absorb, full, partial) = (meta.selector(), meta.selector(), meta.selector(), meta.selector());
        let at = |m: &mut VirtualCells<Fr>, rotation: i32| columns.map(|c| m.query_advice(c, Rotation(rotation)));

        meta.create_gate("poseidon init", |m| {
            let on = m.query_selector(init);
            let s = at(m, 0);
            let cap = m.query_fixed(constants[2], Rotation::cur());
            vec![on.clone() * s[0].clone(), on.clone() * s[1].clone(), on * (s[2].clone() - cap)]
        });
        meta.create_gate("poseidon absorb", |m| {
            let on = m.query_selector(absorb);
            let (s, input, next) = (at(m, 0), at(m, 1), at(m, 2));
            vec![
                on.clone() * (next[0].clone() - s[0].clone() - input[0].clone()),
                on.clone() * (next[1].clone() - s[1].clone() - input[1].clone()),
                on * (next[2].clone() - s[2].clone()),
            ]
        });
        for (selector, full_round) in [(full, true), (partial, false)] {
            meta.create_gate(if full_round { "poseidon full round" } else { "poseidon partial round" }, |m| {
                let on = m.query_selector(selector);
                let (s, q, next) = (at(m, 0), at(m, 1), at(m, 2));
                let rc = constants.map(|c| m.query_fixed(c, Rotation::cur()));
                let x: [Expression<Fr>; WIDTH] = std::array::from_fn(|j| s[j].clone() + rc[j].clone());
                let sboxed = |j: usize| full_round || j == 0;
                let y: [Expression<Fr>; WIDTH] = std::array::from_fn(|j| {
                    if sboxed(j) {
                        q[j].clone() * q[j].clone() * x[j].clone()
                    } else {
                        x[j].clone()
                    }
                });
                let mut constraints: Vec<Expression<Fr>> = (0..WIDTH)
                    .filter(|&j| sboxed(j))
                    .map(|j| on.clone() * (q[j].clone() - x[j].clone() * x[j].clone()))
                    .collect();
                let mds = &CONSTANTS.mds;
                for i in 0..WIDTH {
                    let product = (0..WIDTH)
                        .map(|j| y[j].clone() * Expression::Constant(mds[i][j]))
                        .reduce(|a, b| a + b)
                        .expect("width > 0");
                    constraints.push(on.clone() * (next[i].clone() - product));
                }
                constraints
            });
        }
        Self { columns, constants, init, absorb, full, partial }
    }

    fn assign_row(&self, region: &mut Region<Fr>, row: usize, values: &[Fr; WIDTH]) {
        for (column, value) in self.columns.iter().zip(values) {
            raw_assign_advice(region, *column, row, Value::known(*value));
        }
    }

    /// Lays out `jobs` one after another from row 0; returns the rows used.
    pub fn assign(
        &self,
        region: &mut Region<Fr>,
        jobs: &[HashJob],
        mut copies: Option<&mut CopyConstraintManager<Fr>>,
    ) -> usize {
        let mut row = 0;
        for job in jobs {
            let values: Vec<Fr> = job.inputs.iter().map(|c| *c.value()).collect();
            let mut state = [Fr::ZERO, Fr::ZERO, capacity(job.len)];
            self.init.enable(region, row).expect("selector");
            raw_assign_fixed(region, self.constants[2], row, state[2]);
            for (chunk, cells) in values.chunks(RATE).zip(job.inputs.chunks(RATE)) {
                // Absorb rows: the current state, then the next inputs.
                self.absorb.enable(region, row).expect("selector");
                self.assign_row(region, row, &state);
                for (j, cell) in cells.iter().enumerate() {
                    copy_advice(region, *cell, self.columns[j], row + 1, copies.as_deref_mut());
                }
                raw_assign_advice(region, self.columns[2], row + 1, Value::known(Fr::ZERO));
                state[0] += chunk[0];
                state[1] += chunk[1];
                row += 2;
                for r in 0..ROUNDS {
                    let (next, q) = round(&state, r);
                    let selector = if is_full_round(r) { self.full } else { self.partial };
                    selector.enable(region, row).expect("selector");
                    self.assign_row(region, row, &state);
                    self.assign_row(region, row + 1, &q);
                    for j in 0..WIDTH {
                        raw_assign_fixed(region, self.constants[j], row, CONSTANTS.round[r][j]);
                    }
                    state = next;
                    row += 2;
                }
            }
            // The output row: s0 is the hash.
            copy_advice(region, job.output, self.columns[0], row, copies.as_deref_mut());
            for (j, s) in state.iter().enumerate().skip(1) {
                raw_assign_advice(region, self.columns[j], row, Value::known(*s));
            }
            row += 1;
        }
        row
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_separates_lengths_and_inputs() {
        let a = hash(&[Fr::from(1), Fr::from(2)]);
        assert_ne!(a, hash(&[Fr::from(1), Fr::from(2), Fr::ZERO]));
        assert_ne!(a, hash(&[Fr::from(2), Fr::from(1)]));
        assert_eq!(a, hash(&[Fr::from(1), Fr::from(2)]));
        assert_eq!(rows(2), 1 + 132);
        assert_eq!(rows(3), 1 + 2 * 132);
    }
}
