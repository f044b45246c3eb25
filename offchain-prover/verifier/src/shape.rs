//! Where a proof's bytes go.

use halo2_proofs::halo2curves::bn256::{Fr, G1Affine};
use halo2_proofs::plonk::{ConstraintSystem, VerifyingKey};
use serde::Serialize;

use crate::constraints::constraint_system;
use crate::params::CircuitParams;

/// What a proof holds for a verifying key's constraint system, argument by argument, as
/// `(points, scalars)`: exactly what halo2's SHPLONK verifier reads from the transcript, 32
/// bytes each (points are compressed). It says where a proof's bytes go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProofShape {
    /// A commitment per advice column, an evaluation per advice query.
    pub advice: (usize, usize),
    /// An evaluation per fixed query (selectors, after halo2's compression, among them).
    pub fixed: (usize, usize),
    /// Product commitments, one per chunk of `degree − 2` columns; their evaluations (here,
    /// next and, but for the last, at the chunk's end) and one per column's permutation.
    pub permutation: (usize, usize),
    /// Per lookup argument: permuted input and table and their product; five evaluations.
    pub lookups: (usize, usize),
    /// The quotient's `degree − 1` pieces and the random polynomial; the latter's evaluation.
    pub vanishing: (usize, usize),
    /// SHPLONK's two opening points.
    pub opening: (usize, usize),
}

impl ProofShape {
    pub fn of(vk: &VerifyingKey<G1Affine>) -> Self {
        Self::of_cs(vk.cs())
    }

    /// The shape of the proofs of `params`' circuit, known before any key: key generation turns
    /// each selector into a fixed column of its own (no compression), and so does this.
    pub fn of_params(params: &CircuitParams) -> Self {
        Self::of_cs(&constraint_system(params))
    }

    fn of_cs(cs: &ConstraintSystem<Fr>) -> Self {
        let degree = cs.degree();
        let columns = cs.permutation().get_columns().len();
        let chunks = columns.div_ceil(degree - 2);
        let lookups = cs.lookups().len();
        Self {
            advice: (cs.num_advice_columns(), cs.advice_queries().len()),
            fixed: (0, cs.fixed_queries().len()),
            permutation: (chunks, 3 * chunks - usize::from(chunks > 0) + columns),
            lookups: (3 * lookups, 5 * lookups),
            vanishing: (degree, 1),
            opening: (2, 0),
        }
    }

    /// Points and scalars in all.
    pub fn elements(&self) -> usize {
        let parts = [self.advice, self.fixed, self.permutation, self.lookups, self.vanishing, self.opening];
        parts.iter().map(|(points, scalars)| points + scalars).sum()
    }

    pub fn bytes(&self) -> usize {
        32 * self.elements()
    }
}
