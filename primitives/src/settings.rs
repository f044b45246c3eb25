//! The circuit settings a chain stores for a model: with the verifying key, everything a verifier
//! needs to rebuild the circuit's constraint system.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode};
use scale_info::TypeInfo;

use crate::VerifyError;

/// Largest circuit a chain verifies: 2^MAX_K rows. Reading a verifying key builds an evaluation
/// domain whose cost and memory grow with 2^k, so this also bounds a verification's cost.
pub const MAX_K: u32 = 20;
/// Most advice columns in one phase.
pub const MAX_ADVICE_COLUMNS: u32 = 64;
/// Most fixed (constant) columns.
pub const MAX_FIXED_COLUMNS: u32 = 16;
/// Most advice column pairs looked up in the function table.
pub const MAX_LOOKUP_COLUMNS: u32 = 16;
/// Phases halo2-base supports.
const MAX_PHASES: usize = 3;

/// The shape of a model's circuit (the prover's `CircuitParams` plus the instance count),
/// SCALE-encoded on chain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct CircuitSettings {
    /// The circuit has 2^k rows.
    pub k: u32,
    /// halo2-base gate columns per phase.
    pub num_advice_per_phase: Vec<u32>,
    /// halo2-base constant columns.
    pub num_fixed: u32,
    /// halo2-base range-lookup columns per phase.
    pub num_lookup_advice_per_phase: Vec<u32>,
    /// Bits of the range-lookup table; 0 if the circuit has none.
    pub lookup_bits: u32,
    /// Advice column pairs looked up in the function table; 0 if none.
    pub lookup_columns: u32,
    /// Public instances, all in one instance column.
    pub num_instances: u32,
}

impl CircuitSettings {
    /// Checks the bounds that keep configuring and verifying this circuit cheap and panic-free.
    pub fn validate(&self) -> Result<(), VerifyError> {
        let phases = self.num_advice_per_phase.len();
        let lookup_phases = self.num_lookup_advice_per_phase.len();
        let has_range_lookups = self.lookup_bits > 0 && self.num_lookup_advice_per_phase.iter().any(|&n| n > 0);
        let within_bounds = (4..=MAX_K).contains(&self.k)
            && (1..=MAX_PHASES).contains(&phases)
            && self.num_advice_per_phase.first().is_some_and(|&n| n > 0)
            && self.num_advice_per_phase.iter().all(|&n| n <= MAX_ADVICE_COLUMNS)
            && (1..=MAX_FIXED_COLUMNS).contains(&self.num_fixed)
            && lookup_phases <= MAX_PHASES
            && self.num_lookup_advice_per_phase.iter().all(|&n| n <= MAX_ADVICE_COLUMNS)
            && self.lookup_bits < self.k
            && (self.lookup_bits == 0 || has_range_lookups)
            && self.lookup_columns <= MAX_LOOKUP_COLUMNS
            && (1..(1u32 << self.k)).contains(&self.num_instances);
        within_bounds.then_some(()).ok_or(VerifyError::SettingsOutOfBounds)
    }

    /// Decodes and validates settings as stored on chain.
    pub fn decode_valid(mut bytes: &[u8]) -> Result<Self, VerifyError> {
        let settings = Self::decode(&mut bytes).map_err(|_| VerifyError::MalformedSettings)?;
        if !bytes.is_empty() {
            return Err(VerifyError::MalformedSettings);
        }
        settings.validate()?;
        Ok(settings)
    }
}
