//! The parameters that fix a model circuit's constraint system.

use halo2_base::gates::circuit::BaseCircuitParams;
use serde::{Deserialize, Serialize};

/// Rows at the bottom of the circuit reserved for blinding factors.
pub const MINIMUM_ROWS: usize = 20;

/// Everything that fixes the circuit's constraint system: with the vk, all a verifier needs.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CircuitParams {
    /// halo2-base's gate columns. Its own range lookups are not used (`num_lookup_advice_per_phase`
    /// stays zero); `lookup_bits` is the limb width of this circuit's range rows.
    pub base: BaseCircuitParams,
    /// Range lookups: with a single gate column, 1 if that column is looked up in place, else 0;
    /// otherwise the advice columns range-checked cells, and weights, are copied to.
    pub range_columns: usize,
    /// Function lookups, counted like `range_columns`, in column pairs `(key, value)`.
    pub lookup_columns: usize,
    /// Width of the table's weight rows, if it has them. It shapes the layout and the table's
    /// content, not the constraint system: weight lookups share the range lookups' columns.
    pub weight_bits: Option<u32>,
}

impl CircuitParams {
    pub fn k(&self) -> u32 {
        self.base.k as u32
    }

    pub fn usable_rows(&self) -> usize {
        (1 << self.base.k) - MINIMUM_ROWS
    }

    /// Whether lookups read the single gate column in place.
    pub fn in_place(&self) -> bool {
        self.base.num_advice_per_phase.first() == Some(&1)
    }
}
