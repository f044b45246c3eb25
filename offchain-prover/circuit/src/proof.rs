//! The proof file written by `zkml prove`, and the hex encoding of field elements in it.

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;
use serde::{Deserialize, Serialize};

use crate::artifacts::Visibility;
use crate::error::{Error, Result};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Timings {
    pub witness_ms: u64,
    pub prove_ms: u64,
}

/// A proof with everything needed to check it against a model's artifacts.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProofFile {
    pub model_commitment: String,
    pub visibility: Visibility,
    /// The float inputs; absent when the input is private.
    pub inputs: Option<Vec<Vec<f64>>>,
    pub outputs: Vec<Vec<f64>>,
    /// The outputs as fixed-point integers at the model's scale (their field encoding is `x mod p`).
    pub outputs_fixed: Vec<Vec<i128>>,
    pub binding: String,
    /// All public instances, in circuit order, as hex field elements.
    pub instances: Vec<String>,
    /// The proof bytes, hex.
    pub proof: String,
    pub timings: Timings,
    /// A private input's opening: never part of the proof file, which may be published
    /// (`zkml prove` writes it to a file of its own).
    #[serde(skip)]
    pub opening: Option<InputOpening>,
}

/// What opens a private input's commitment: the input and the blinding it was hashed with. Its
/// owner keeps it, and whoever they show it to can check it against the commitment among a
/// proof's instances ([`crate::api::open`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InputOpening {
    /// The commitment, the proof's second instance, as hex.
    pub commitment: String,
    /// The input, as given to the prover.
    pub inputs: Vec<Vec<f64>>,
    /// The blinding field element, as hex: a secret until the input is revealed.
    pub blinding: String,
}

impl ProofFile {
    pub fn instances(&self) -> Result<Vec<Fr>> {
        self.instances
            .iter()
            .map(|s| fr_from_hex(s).map_err(|e| Error::MalformedProof(format!("instance: {e}"))))
            .collect()
    }

    pub fn proof_bytes(&self) -> Result<Vec<u8>> {
        hex::decode(self.proof.trim_start_matches("0x")).map_err(|e| Error::MalformedProof(format!("proof bytes: {e}")))
    }
}

/// A field element as `0x`-prefixed big-endian hex.
pub fn fr_to_hex(f: &Fr) -> String {
    let mut bytes = f.to_repr();
    bytes.reverse();
    format!("0x{}", hex::encode(bytes))
}

/// Parses `0x`-prefixed (or bare) big-endian hex of at most 32 bytes, below the modulus.
pub fn fr_from_hex(s: &str) -> std::result::Result<Fr, String> {
    let digits = s.trim_start_matches("0x");
    if digits.is_empty() || digits.len() > 64 {
        return Err(format!("`{s}` is not 1 to 64 hex digits"));
    }
    let padded = format!("{digits:0>64}");
    let mut bytes: [u8; 32] = hex::decode(&padded).map_err(|e| format!("`{s}`: {e}"))?.try_into().expect("32 bytes");
    bytes.reverse();
    Option::from(Fr::from_repr(bytes)).ok_or_else(|| format!("`{s}` is not below the BN254 scalar modulus"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_rejects_out_of_field() {
        let f = Fr::from(123456789u64);
        assert_eq!(fr_from_hex(&fr_to_hex(&f)).unwrap(), f);
        assert_eq!(fr_from_hex("0x2a").unwrap(), Fr::from(42));
        assert!(fr_from_hex(&format!("0x{}", "f".repeat(64))).is_err());
        assert!(fr_from_hex("0xzz").is_err());
        assert!(fr_from_hex("").is_err());
    }
}
