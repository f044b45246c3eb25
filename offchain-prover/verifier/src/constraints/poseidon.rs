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

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Expression, Fixed, VirtualCells};
use halo2_proofs::poly::Rotation;
use poseidon_primitives::poseidon::primitives::Spec;

pub const WIDTH: usize = 3;
pub const RATE: usize = 2;
pub const FULL_ROUNDS: usize = 8;
pub const PARTIAL_ROUNDS: usize = 57;
pub const ROUNDS: usize = FULL_ROUNDS + PARTIAL_ROUNDS;
/// Rows per permutation, including the absorb steps before it (one per input).
pub const ROWS_PER_PERMUTATION: usize = 2 * (RATE + ROUNDS);

/// What a row of the region is: the values of its fixed column `t`.
pub const PARTIAL_ROUND: u64 = 1;
pub const FULL_ROUND: u64 = 2;
pub const ABSORB: u64 = 3;

#[derive(Debug)]
pub struct PoseidonSpec;

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

pub struct Constants {
    pub round: Vec<[Fr; WIDTH]>,
    pub mds: [[Fr; WIDTH]; WIDTH],
}

pub static CONSTANTS: LazyLock<Constants> = LazyLock::new(|| {
    let (round, mds, _) = PoseidonSpec::constants();
    Constants { round, mds }
});

pub fn is_full_round(round: usize) -> bool {
    !(FULL_ROUNDS / 2..FULL_ROUNDS / 2 + PARTIAL_ROUNDS).contains(&round)
}

/// One round on a native state; returns the squares of the S-box inputs too (the row's `q`, which
/// the gate checks in partial rounds as well).
pub fn round(state: &[Fr; WIDTH], r: usize) -> ([Fr; WIDTH], [Fr; WIDTH]) {
    let c = &*CONSTANTS;
    let x: [Fr; WIDTH] = std::array::from_fn(|j| state[j] + c.round[r][j]);
    let full = is_full_round(r);
    let q: [Fr; WIDTH] = x.map(|x| x.square());
    let y: [Fr; WIDTH] = std::array::from_fn(|j| if full || j == 0 { q[j].square() * x[j] } else { x[j] });
    let next = std::array::from_fn(|i| (0..WIDTH).map(|j| c.mds[i][j] * y[j]).sum());
    (next, q)
}

pub fn capacity(len: usize) -> Fr {
    Fr::from(len as u64) * Fr::from(2).pow_vartime([64])
}

/// The sponge's absorb steps: inputs padded with zeros to a multiple of the rate.
pub fn padded(inputs: &[Fr]) -> Vec<[Fr; RATE]> {
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

#[derive(Clone, Debug)]
pub struct PoseidonConfig {
    /// The state on even rows; the squares (or an absorbed input) on odd rows.
    pub columns: [Column<Advice>; WIDTH],
    /// The round constants; on absorb rows `(σ, λ, c)`.
    pub constants: [Column<Fixed>; WIDTH],
    /// What the row is: [`PARTIAL_ROUND`], [`FULL_ROUND`], [`ABSORB`] or 0.
    pub kind: Column<Fixed>,
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
}
