//! The circuit settings a chain stores for a model: with the verifying key, everything a verifier
//! needs to rebuild the circuit's constraint system.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode};
use scale_info::TypeInfo;

use crate::VerifyError;

/// Largest circuit a chain verifies: 2^MAX_K rows. Verification costs the same at any k; the bound
/// keeps registered models within what a prover node can prove (lenet_5 takes 2^19 rows and
/// 1.8 GB to prove).
pub const MAX_K: u32 = 20;
/// Most advice columns in one phase.
pub const MAX_ADVICE_COLUMNS: u32 = 64;
/// Most advice columns range checks are copied to.
pub const MAX_RANGE_COLUMNS: u32 = 64;
/// Most advice column pairs looked up in the function table.
pub const MAX_LOOKUP_COLUMNS: u32 = 16;

/// The shape of a model's circuit (the prover's `CircuitParams` plus the instance count),
/// SCALE-encoded on chain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct CircuitSettings {
    /// The circuit has 2^k rows.
    pub k: u32,
    /// halo2-base gate columns per phase.
    pub num_advice_per_phase: Vec<u32>,
    /// halo2-base constant columns: always 1, a column the constants share with the Poseidon
    /// round constants and the lookup table.
    pub num_fixed: u32,
    /// Range-lookup columns per phase (only the first phase has any). With a single gate column,
    /// 1 if that column is looked up in place. The range rows' width is not here: it is the
    /// content of a fixed column, which the verifying key commits to, not part of the constraint
    /// system.
    pub num_lookup_advice_per_phase: Vec<u32>,
    /// Advice column pairs looked up among the function rows of the lookup table; with a single
    /// gate column, 1 if that column is. 0 if the model has no functions.
    pub lookup_columns: u32,
    /// Public instances, all in one instance column.
    pub num_instances: u32,
}

impl CircuitSettings {
    /// Checks the bounds that keep configuring and verifying this circuit cheap and panic-free,
    /// and that the settings are in the one form the prover writes, so that one circuit has one
    /// encoding: gates in phase 0 only, and range lookups given for all three phases (0 past the
    /// first).
    pub fn validate(&self) -> Result<(), VerifyError> {
        let out_of_bounds = Err(VerifyError::SettingsOutOfBounds);
        let [advice] = self.num_advice_per_phase[..] else { return out_of_bounds };
        let [range_lookups, 0, 0] = self.num_lookup_advice_per_phase[..] else { return out_of_bounds };
        let within_bounds = (4..=MAX_K).contains(&self.k)
            && (1..=MAX_ADVICE_COLUMNS).contains(&advice)
            // With one gate column lookups read that column in place: any larger count would
            // describe the same circuit.
            && range_lookups <= if advice == 1 { 1 } else { MAX_RANGE_COLUMNS }
            && self.num_fixed == 1
            && self.lookup_columns <= if advice == 1 { 1 } else { MAX_LOOKUP_COLUMNS }
            && (1..(1u32 << self.k)).contains(&self.num_instances);
        if within_bounds {
            Ok(())
        } else {
            out_of_bounds
        }
    }

    /// What verifying this circuit's proofs costs depends on: `(gate columns, range-lookup
    /// columns, function-lookup column pairs, instances)`, in the ranges the verification
    /// benchmark covers. A single gate column whose lookups read it in place counts as the
    /// narrowest circuit with copied lookups, two gate columns and a range column (which also
    /// holds the Poseidon region): that circuit has more columns and lookup arguments than it.
    /// Likewise a circuit without range lookups counts as one with a range column, which replaces
    /// the Poseidon region's own column.
    pub fn verification_shape(&self) -> (u32, u32, u32, u32) {
        let advice = self.num_advice_per_phase.first().copied().unwrap_or(0);
        let range = self.num_lookup_advice_per_phase.first().copied().unwrap_or(0);
        (advice.max(2), range.max(1), self.lookup_columns, self.num_instances)
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
