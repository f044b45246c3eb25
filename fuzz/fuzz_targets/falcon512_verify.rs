//! `falcon512_verify` over arbitrary public keys, signatures and messages.
//!
//! Every input is verified twice and the two verdicts must be equal; `true` only for a signature
//! of the fixtures with exactly its key and message. Any other accepted input would be a forged or
//! malleated signature.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use zkml_fuzz::{valid_falcon_inputs, FalconInput};
use zkml_primitives::host::falcon512_verify;

fuzz_target!(|data: &[u8]| {
    static VALID: OnceLock<Vec<FalconInput>> = OnceLock::new();
    let input = FalconInput::from_fuzz(data);
    let verify = || falcon512_verify(&input.public_key, &input.message, &input.signature);
    let verdict = verify();
    assert_eq!(verdict, verify(), "two checks of one input disagree");
    if verdict {
        let valid = VALID.get_or_init(valid_falcon_inputs);
        assert!(valid.contains(&input), "accepted a signature that is not one of the fixtures' valid ones: {input:?}");
    }
});
