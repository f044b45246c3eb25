//! With the node's panic hook installed, exactly as sc-cli installs it, a panic on an
//! [`UnwindingPool`] is an error of the call that caused it: the process lives, and the pool and
//! the host functions go on working. This binary holds one test on purpose: the hook ends the
//! process when any thread without an `AbortGuard` panics, the test harness's own included.

mod common;

use std::sync::Barrier;

use common::{case, verify};
use rayon::prelude::*;
use zkml_primitives::host::{self, Panicked, UnwindingPool};
use zkml_primitives::VerifyError;

#[test]
fn a_panic_on_an_unwinding_pool_is_an_error_and_the_process_lives() {
    sp_panic_handler::set("https://example.invalid/zkml/issues", "test");
    let pool = UnwindingPool::new("test-unwinding", 2).unwrap();

    // The panicking half of the join can only run on the pool's other thread: the calling half
    // waits for it at the barrier. The hook runs on that worker, and rayon hands the panic on.
    let barrier = Barrier::new(2);
    let panicked = pool.run(|| {
        rayon::join(
            || barrier.wait(),
            || {
                barrier.wait();
                panic!("a worker's step failed")
            },
        )
    });
    assert_eq!(panicked.map(|_| ()), Err(Panicked("a worker's step failed".into())));

    // In a parallel iterator, as halo2's prover and verifier split their steps.
    let panicked = pool.run(|| {
        (0..1024u64).into_par_iter().map(|i| if i == 777 { panic!("row {i} is out of range") } else { i }).sum::<u64>()
    });
    assert_eq!(panicked, Err(Panicked("row 777 is out of range".into())));
    assert_eq!(panicked.unwrap_err().to_string(), "panicked: row 777 is out of range");

    // Both threads survived and serve the next call.
    assert_eq!(pool.run(|| (0..1024u64).into_par_iter().sum::<u64>()), Ok(1024 * 1023 / 2));

    // The host function's checks run on such a pool of their own, under the same hook: a real
    // proof verifies and a tampered one is refused.
    let c = case();
    assert_eq!(verify(c), Ok(()));
    let mut proof = c.proof.clone();
    proof[10] ^= 1;
    assert_eq!(host::verify_halo2(&c.settings, &c.vk, &proof, &c.instances, &c.kzg), Err(VerifyError::InvalidProof));
}
