//! The `zkml` command line's library: the chain client, so that tests and tools call the same
//! functions as `zkml chain`.

pub mod chain;
