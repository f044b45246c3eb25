//! `verify_halo2` over arbitrary settings, verifying key, instances, proof and KZG parameters.
//!
//! Every input is verified twice: the two verdicts must be equal (the chain's nodes must agree),
//! and `Ok` only for a proof of the fixtures with exactly the arguments it was made for. Any other
//! accepted input would be a forged or malleated proof. A panic, even one that `verify_halo2`
//! catches, aborts: on a node it would be a crash (issue 25, hole 2).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use zkml_fuzz::{valid_halo2_inputs, Halo2Input};
use zkml_primitives::host::verify_halo2;

fuzz_target!(|data: &[u8]| {
    static VALID: OnceLock<Vec<Halo2Input>> = OnceLock::new();
    let input = Halo2Input::from_fuzz(data);
    let verify = || verify_halo2(&input.settings, &input.vk, &input.proof, &input.instances, &input.kzg_params);
    let verdict = verify();
    assert_eq!(verdict, verify(), "two checks of one input disagree");
    if verdict.is_ok() {
        let valid = VALID.get_or_init(valid_halo2_inputs);
        assert!(valid.contains(&input), "accepted a proof that is not one of the fixtures' valid ones: {input:?}");
    }
});
