//! Writes the seed corpora of the fuzz targets from the benchmark fixtures:
//! `write_seeds DIR` fills `DIR/verify_halo2` and `DIR/falcon512_verify`, one file per valid input.
//!
//! Built by `cargo fuzz build` with the targets (hence the libFuzzer runtime it links without
//! using); it verifies each seed first, so a corpus never starts from inputs the host functions
//! refuse.

use std::path::{Path, PathBuf};

use libfuzzer_sys as _;
use zkml_fuzz::{valid_falcon_inputs, valid_halo2_inputs};
use zkml_primitives::host::{falcon512_verify, verify_halo2};

fn write(dir: &Path, target: &str, seeds: impl IntoIterator<Item = Vec<u8>>) -> std::io::Result<usize> {
    let dir = dir.join(target);
    // Seeds of older fixtures would no longer be valid inputs.
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    let mut count = 0;
    for (n, seed) in seeds.into_iter().enumerate() {
        std::fs::write(dir.join(format!("fixture-{n:02}")), seed)?;
        count += 1;
    }
    Ok(count)
}

fn main() -> std::io::Result<()> {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: write_seeds DIR");
        std::process::exit(2);
    };
    let halo2 = valid_halo2_inputs();
    for input in &halo2 {
        let verdict = verify_halo2(&input.settings, &input.vk, &input.proof, &input.instances, &input.kzg_params);
        assert_eq!(verdict, Ok(()), "a fixture proof does not verify");
    }
    let falcon = valid_falcon_inputs();
    for input in &falcon {
        assert!(
            falcon512_verify(&input.public_key, &input.message, &input.signature),
            "a fixture signature does not verify"
        );
    }
    let halo2 = write(&dir, "verify_halo2", halo2.iter().map(|input| input.to_fuzz()))?;
    let falcon = write(&dir, "falcon512_verify", falcon.iter().map(|input| input.to_fuzz()))?;
    println!("wrote {halo2} verify_halo2 and {falcon} falcon512_verify seeds under {}", dir.display());
    Ok(())
}
