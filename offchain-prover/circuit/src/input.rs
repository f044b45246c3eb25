//! Model inputs in EZKL's `input.json` format: `{"input_data": [[...], ...]}`, one flat row-major
//! list of numbers per model input.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::quantize::quantize;

/// Upper bound on an input file, so a stray multi-gigabyte file fails fast.
pub const MAX_INPUT_FILE_BYTES: u64 = 64 << 20;

/// The float inputs of one inference, one flat vector per model input. Booleans (as EZKL's
/// examples of boolean models write them) read as 0 and 1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputData {
    #[serde(deserialize_with = "numbers_or_booleans")]
    pub input_data: Vec<Vec<f64>>,
}

fn numbers_or_booleans<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<Vec<f64>>, D::Error> {
    use serde::de::Error as _;
    use serde_json::Value;
    // Read through `Value` rather than an untagged enum: untagged enums cannot see numbers when
    // serde_json's `arbitrary_precision` is on, as it is in a node (sp-genesis-builder enables it).
    let rows = Vec::<Vec<Value>>::deserialize(deserializer)?;
    rows.into_iter()
        .map(|row| {
            row.into_iter()
                .map(|v| match v {
                    Value::Number(n) => n.as_f64().ok_or_else(|| D::Error::custom(format!("{n} is not a float"))),
                    Value::Bool(b) => Ok(f64::from(u8::from(b))),
                    other => Err(D::Error::custom(format!("expected a number or a boolean, found `{other}`"))),
                })
                .collect()
        })
        .collect()
}

impl InputData {
    /// Reads and validates an `input.json`. NaN and infinities are rejected here (JSON has no
    /// literal for them, but `1e999` parses to infinity).
    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::artifacts::read_limited(path, "input file", MAX_INPUT_FILE_BYTES)?;
        let data: InputData = serde_json::from_slice(&text)
            .map_err(|e| Error::MalformedInput { path: path.into(), reason: e.to_string() })?;
        data.check_finite()?;
        Ok(data)
    }

    /// Fails on the first value that is not a finite number.
    pub fn check_finite(&self) -> Result<()> {
        for (index, row) in self.input_data.iter().enumerate() {
            if let Some((position, value)) = row.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(Error::NonFinite { index, position, value: *value });
            }
        }
        Ok(())
    }

    /// Checks the inputs against the model's input shapes.
    /// The inputs in fixed point at `scale`, as the circuit takes them.
    pub fn quantize(&self, scale: u32) -> Result<Vec<Vec<i64>>> {
        self.input_data
            .iter()
            .enumerate()
            .map(|(index, row)| {
                row.iter()
                    .enumerate()
                    .map(|(position, &v)| quantize(v, scale).ok_or(Error::NonFinite { index, position, value: v }))
                    .collect()
            })
            .collect()
    }

    pub fn check_shapes(&self, shapes: &[Vec<usize>]) -> Result<()> {
        check_lengths(self.input_data.iter().map(Vec::len), shapes)
    }
}

/// Checks the lengths of a model's inputs, one per input, against its input shapes.
pub fn check_lengths(lengths: impl ExactSizeIterator<Item = usize> + Clone, shapes: &[Vec<usize>]) -> Result<()> {
    // A model without inputs takes EZKL's `[[]]` as well as `[]`.
    if shapes.is_empty() && lengths.clone().all(|n| n == 0) {
        return Ok(());
    }
    if lengths.len() != shapes.len() {
        return Err(Error::InputCount { expected: shapes.len(), got: lengths.len() });
    }
    for (index, (got, shape)) in lengths.zip(shapes).enumerate() {
        let expected = shape.iter().product::<usize>();
        if got != expected {
            return Err(Error::InputLength { index, got, expected, shape: shape.clone() });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_read_as_zero_and_one() {
        let data: InputData = serde_json::from_str(r#"{"input_data": [[true, false, 0.5]]}"#).unwrap();
        assert_eq!(data.input_data, vec![vec![1.0, 0.0, 0.5]]);
        assert!(serde_json::from_str::<InputData>(r#"{"input_data": [["1"]]}"#).is_err());
    }

    #[test]
    fn shapes_and_counts_are_checked() {
        let data = InputData { input_data: vec![vec![0.0; 6]] };
        assert!(data.check_shapes(&[vec![2, 3]]).is_ok());
        assert!(matches!(data.check_shapes(&[vec![7]]), Err(Error::InputLength { got: 6, expected: 7, .. })));
        assert!(matches!(data.check_shapes(&[vec![6], vec![1]]), Err(Error::InputCount { expected: 2, got: 1 })));
        let none = InputData { input_data: vec![vec![]] };
        assert!(none.check_shapes(&[]).is_ok());
        assert!(matches!(data.check_shapes(&[]), Err(Error::InputCount { expected: 0, got: 1 })));
    }
}
