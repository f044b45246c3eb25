//! Fixed-point quantisation: values are integers at a power-of-two scale, mapped to the field
//! as `x mod p`.

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;
use serde::{Deserialize, Serialize};

/// The fixed-point format chosen by calibration, recorded in `settings.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quantization {
    /// Activations and weights are integers at scale 2^`scale`; biases at 2^(2·`scale`).
    pub scale: u32,
    /// Every range-checked value `v` satisfies |v| < 2^(`bits` − 1).
    pub bits: u32,
    /// Lookup tables cover inputs in [−2^(`table_bits` − 1), 2^(`table_bits` − 1)); 0 if the model
    /// has no lookup functions.
    pub table_bits: u32,
}

/// Rounds `value · 2^scale` to the nearest integer; `None` if it does not fit in an `i64`.
pub fn quantize(value: f64, scale: u32) -> Option<i64> {
    let q = (value * (1u64 << scale) as f64).round();
    (q.is_finite() && q.abs() < 9.0e18).then_some(q as i64)
}

pub fn dequantize(value: i128, scale: u32) -> f64 {
    value as f64 / (1u64 << scale) as f64
}

/// [`dequantize`] of every value of every row.
pub fn dequantize_all(values: &[Vec<i128>], scale: u32) -> Vec<Vec<f64>> {
    values.iter().map(|row| row.iter().map(|&v| dequantize(v, scale)).collect()).collect()
}

/// Maps a signed integer to the field as `x mod p`.
pub fn to_field(value: i128) -> Fr {
    let magnitude = Fr::from_u128(value.unsigned_abs());
    if value < 0 {
        -magnitude
    } else {
        magnitude
    }
}

/// Inverse of [`to_field`] for values within ±2^127.
pub fn from_field(value: &Fr) -> i128 {
    let as_u128 = |f: &Fr| -> Option<u128> {
        let repr = f.to_repr();
        repr[16..].iter().all(|&b| b == 0).then(|| u128::from_le_bytes(repr[..16].try_into().expect("16 bytes")))
    };
    match as_u128(value) {
        Some(v) if v <= i128::MAX as u128 => v as i128,
        _ => as_u128(&-*value).map_or(i128::MIN, |v| -(v.min(i128::MAX as u128) as i128)),
    }
}

/// Number of bits of `|v|`.
pub fn bit_length(v: u128) -> u32 {
    128 - v.leading_zeros()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_round_trip_keeps_sign() {
        for v in [0i128, 1, -1, 1 << 40, -(1 << 40), i64::MAX as i128, i64::MIN as i128] {
            assert_eq!(from_field(&to_field(v)), v);
        }
    }

    #[test]
    fn quantize_rounds_to_nearest() {
        assert_eq!(quantize(0.5, 3), Some(4));
        assert_eq!(quantize(-0.3, 4), Some(-5));
        assert_eq!(quantize(f64::NAN, 4), None);
        assert_eq!(quantize(1e30, 4), None);
        assert_eq!(dequantize(-5, 4), -0.3125);
    }
}
