//! The model circuit's constraint system, a function of its [`CircuitParams`] alone: halo2-base's
//! gate laid out row by row ([`gate`]), a Poseidon region ([`poseidon`]) and one lookup table
//! ([`lookup`]) whose rows are the range-check limbs, the values a weight may take and the model's
//! element-wise functions. Key generation and verification both configure it through
//! [`configure`], so a verifier rebuilds exactly the system the keys were made for.

pub mod gate;
pub mod lookup;
pub mod poseidon;

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{Column, ConstraintSystem, Fixed};

use crate::params::CircuitParams;
use gate::GateConfig;
use lookup::LookupConfig;
use poseidon::PoseidonConfig;

/// The least degree of every circuit's constraint system (see [`configure`]).
const PERMUTATION_DEGREE: usize = 5;

/// The columns and gates of a model circuit.
#[derive(Clone, Debug)]
pub struct CircuitConfig {
    pub gate: GateConfig,
    pub poseidon: PoseidonConfig,
    /// Absent when the circuit looks nothing up.
    pub lookup: Option<LookupConfig>,
}

/// Configures `meta` for the circuit of `params`.
pub fn configure(meta: &mut ConstraintSystem<Fr>, params: &CircuitParams) -> CircuitConfig {
    // The Poseidon round constants' columns, which also hold the lookup table and the constants
    // below the Poseidon region.
    let constants: [Column<Fixed>; 3] = [(); 3].map(|_| meta.fixed_column());
    let gate = GateConfig::configure(meta, &params.base, constants[1]);
    let lookup = LookupConfig::configure(meta, params, gate.columns[0], constants);
    let shared = lookup.as_ref().and_then(LookupConfig::shared_column);
    let poseidon = PoseidonConfig::configure(meta, constants, shared);
    // At degree 5 the permutation takes its columns three to a product instead of two, and the
    // quotient is still evaluated on the 4n-point domain of degree 4. A single column that looks
    // up in place is of degree 5 already.
    if meta.degree() < PERMUTATION_DEGREE {
        meta.set_minimum_degree(PERMUTATION_DEGREE);
    }
    CircuitConfig { gate, poseidon, lookup }
}

/// The constraint system of `params`' circuit as key generation leaves it: every selector a fixed
/// column of its own (halo2's `keygen_vk`, no compression).
pub fn constraint_system(params: &CircuitParams) -> ConstraintSystem<Fr> {
    let mut cs = ConstraintSystem::default();
    configure(&mut cs, params);
    let selectors = vec![vec![false]; cs.num_selectors()];
    cs.directly_convert_selectors_to_fixed(selectors).0
}
