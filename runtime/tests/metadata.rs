//! The chain client (`zkml chain`, subxt) is generated from committed metadata: it must be this
//! runtime's. `ZKML_WRITE_METADATA=1` rewrites it.

use std::path::Path;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../offchain-prover/cli/metadata/hauptbuch.scale");

#[test]
fn the_clients_metadata_is_the_runtimes() {
    let metadata = hauptbuch_runtime::Runtime::metadata_at_version(16).expect("the runtime serves metadata v16");
    if std::env::var_os("ZKML_WRITE_METADATA").is_some() {
        std::fs::write(COMMITTED, &*metadata).unwrap();
        return;
    }
    let committed = std::fs::read(Path::new(COMMITTED)).unwrap();
    assert!(
        committed == *metadata,
        "offchain-prover/cli/metadata/hauptbuch.scale is stale: regenerate it with ZKML_WRITE_METADATA=1 cargo test -p hauptbuch-runtime --test metadata"
    );
}
