//! How deep a `verify_halo2` corpus reaches: `corpus_verdicts DIR...` counts the verdicts of its
//! inputs, from the split's first refusals (settings, KZG parameters) to the verifier's own
//! (`InvalidProof`, `TrailingProofBytes`).

use std::collections::BTreeMap;

use libfuzzer_sys as _;
use zkml_fuzz::Halo2Input;
use zkml_primitives::host::verify_halo2;

fn main() -> std::io::Result<()> {
    let mut verdicts = BTreeMap::<String, usize>::new();
    for dir in std::env::args_os().skip(1) {
        for entry in std::fs::read_dir(dir)? {
            let input = Halo2Input::from_fuzz(&std::fs::read(entry?.path())?);
            let verdict = verify_halo2(&input.settings, &input.vk, &input.proof, &input.instances, &input.kzg_params);
            *verdicts.entry(format!("{verdict:?}")).or_default() += 1;
        }
    }
    let total: usize = verdicts.values().sum();
    for (verdict, count) in &verdicts {
        println!("{count:>7} {:>5.1}%  {verdict}", 100.0 * *count as f64 / total.max(1) as f64);
    }
    println!("{total:>7}         inputs");
    Ok(())
}
