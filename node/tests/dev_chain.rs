//! End to end on a development chain: the node built by this test run, its off-chain worker and
//! native prover, and the `zkml chain` client.
//!
//! One node per test run (blocks take six seconds): requests proved and paid, a proof in flight
//! across a node restart, a self-proved inference, a tampered proof, an expired request
//! cancelled and refunded, and registrations audited against their ONNX file.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use halo2_proofs::halo2curves::{bn256::Fr, ff::PrimeField};
use subxt::utils::AccountId32;
use zkml_circuit::registration::Registration;
use zkml_cli::chain::runtime::runtime_types::bounded_collections::bounded_vec::BoundedVec;
use zkml_cli::chain::runtime::runtime_types::pallet_zkml::types::{InputVisibility, ModelDescription};
use zkml_cli::chain::{self, runtime, Chain, ChainError, PublisherKey};
use zkml_prover::{CompileOptions, InputData, SrsSource, Visibility};

const UNIT: u128 = 1_000_000_000_000;

fn demo(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/demo").join(file)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running `hauptbuch-node --dev`, its log lines collected (and echoed, for a failing run).
struct Node {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    rpc: u16,
    prometheus: u16,
}

impl Node {
    fn start(base: &Path, rpc: u16, prometheus: u16) -> Node {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hauptbuch-node"))
            .args(["--dev", "--base-path"])
            .arg(base)
            .args(["--rpc-port", &rpc.to_string(), "--prometheus-port", &prometheus.to_string()])
            .args(["--port", &free_port().to_string(), "--no-mdns", "--no-telemetry"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the node starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("node: {line}");
                sink.lock().unwrap().push(line);
            }
        });
        Node { child, log, rpc, prometheus }
    }

    fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.rpc)
    }

    async fn connect(&mut self) -> Chain {
        let start = Instant::now();
        loop {
            match Chain::connect(&self.url()).await {
                Ok(chain) => return chain,
                Err(error) if start.elapsed() < Duration::from_secs(120) => {
                    let exited = self.child.try_wait().unwrap();
                    assert!(exited.is_none(), "the node exited ({exited:?}) before its RPC came up: {error}");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(error) => panic!("the node's RPC never came up: {error}"),
            }
        }
    }

    /// Waits for a log line containing `needle`.
    async fn wait_for_log(&self, needle: &str) {
        let start = Instant::now();
        while !self.logged(needle) {
            assert!(start.elapsed() < Duration::from_secs(180), "no log line `{needle}`");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn logged(&self, needle: &str) -> bool {
        self.log.lock().unwrap().iter().any(|line| line.contains(needle))
    }

    /// The node's Prometheus exposition.
    fn metrics(&self) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.prometheus)).unwrap();
        write!(stream, "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n").unwrap();
        let mut body = String::new();
        stream.read_to_string(&mut body).unwrap();
        body
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A sample's value in a Prometheus exposition, whatever its labels (the node adds `chain`).
fn metric(exposition: &str, name: &str) -> f64 {
    exposition
        .lines()
        .filter_map(|line| line.strip_prefix(name))
        .filter(|rest| rest.starts_with([' ', '{']))
        .find_map(|rest| rest.rsplit(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no metric {name} in:\n{exposition}"))
}

async fn balances_at(chain: &Chain, who: &AccountId32, block: u32) -> (u128, u128) {
    let at = chain.api().at_block(block).await.unwrap();
    let entry = at.storage().entry(runtime::storage().system().account()).unwrap();
    let account = entry.fetch((*who,)).await.unwrap().decode().unwrap();
    (account.data.free, account.data.reserved)
}

/// Transaction fees `who` paid in blocks `from..=to`.
async fn fees_paid(chain: &Chain, who: &AccountId32, from: u32, to: u32) -> u128 {
    let mut paid = 0;
    for block in from..=to {
        let at = chain.api().at_block(block).await.unwrap();
        let events = at.events().fetch().await.unwrap();
        for fee in events.find::<runtime::transaction_payment::events::TransactionFeePaid>() {
            let fee = fee.unwrap();
            if fee.who == *who {
                paid += fee.actual_fee;
            }
        }
    }
    paid
}

fn assert_accurate(output: &[f64]) {
    let input = InputData::load(&demo("1l_mlp.input.json")).unwrap();
    let reference = zkml_prover::run(&demo("1l_mlp/network.onnx"), &input).unwrap();
    let bound = zkml_prover::api::accuracy_bound(&reference);
    let expected: Vec<f64> = reference.into_iter().flatten().collect();
    assert_eq!(output.len(), expected.len());
    for (got, want) in output.iter().zip(&expected) {
        assert!((got - want).abs() <= bound, "output {output:?} vs float reference {expected:?} (bound {bound})");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_chain_proves_inference_requests_end_to_end() {
    let base = tempfile::tempdir().unwrap();
    let mut node = Node::start(base.path(), free_port(), free_port());
    let chain = node.connect().await;
    let (alice, bob) = (chain::signer("//Alice").unwrap(), chain::signer("//Bob").unwrap());
    assert!(node.logged("prover service: 1 model(s)"), "the --dev node serves the demo model");
    let (alice_id, bob_id) = (chain::account(&alice), chain::account(&bob));
    let input = InputData::load(&demo("1l_mlp.input.json")).unwrap();

    // 1. A dApp requests an inference of the demo model; the node proves it, and the fee reaches
    // the prover.
    let fee = 5 * UNIT;
    let request = chain.request_inference(&bob, 0, &input, fee, 100).await.unwrap();
    let verified = chain.wait_for_result(request).await.unwrap();
    assert_eq!((verified.model, verified.prover, verified.fee), (0, alice_id, fee));
    assert_accurate(&verified.output_floats);
    let block = verified.verified_at;
    let (before, _) = balances_at(&chain, &alice_id, block - 1).await;
    let (after, _) = balances_at(&chain, &alice_id, block).await;
    assert_eq!(after + fees_paid(&chain, &alice_id, block, block).await, before + fee, "Alice earns the fee");
    // Only the storage deposit of the request and its result stays held, until Bob clears them.
    let (record, _) = chain.request(request).await.unwrap();
    let (_, bob_held) = balances_at(&chain, &bob_id, block).await;
    assert_eq!(bob_held, record.deposit, "the fee is no longer held from the requester");
    assert_eq!(chain.clear(&bob, request).await.unwrap(), record.deposit);
    let cleared = chain.finalized_number().await.unwrap();
    assert_eq!(balances_at(&chain, &bob_id, cleared).await.1, 0, "the deposit is released");
    assert!(matches!(chain.request(request).await, Err(ChainError::UnknownRequest(_))));
    let exposition = node.metrics();
    assert!(metric(&exposition, "zkml_prover_proofs_done_total") >= 1.0);
    assert_eq!(metric(&exposition, "zkml_prover_proofs_failed_total"), 0.0);
    assert!(metric(&exposition, "zkml_prover_proving_seconds_total") > 0.0);
    assert_eq!(metric(&exposition, "zkml_prover_queue_length"), 0.0);

    // 2. The node dies while a proof is in flight; after a restart the request is still proved.
    // Requests are numbered in order, and the off-chain worker takes this one in the block that
    // includes it, before it is final: the node is killed then, so the request is sent without
    // waiting for its own result.
    let next = request + 1;
    let requester = {
        let (url, bob, input) = (node.url(), chain::signer("//Bob").unwrap(), input.clone());
        tokio::spawn(async move { Chain::connect(&url).await?.request_inference(&bob, 0, &input, fee, 100).await })
    };
    let taken = format!("request {next} of model 0: taken, proving");
    node.wait_for_log(&taken).await;
    node.kill();
    assert!(!node.logged(&format!("request {next} of model 0: result submitted")), "killed too late to test a restart");
    drop((chain, requester));
    let mut node = Node::start(base.path(), free_port(), free_port());
    let chain = node.connect().await;
    // The request's block was imported but not yet final when the node died; it is final once
    // the restarted node finalizes again.
    let start = Instant::now();
    while let Err(ChainError::UnknownRequest(_)) = chain.request(next).await {
        assert!(start.elapsed() < Duration::from_secs(120), "request {next} was lost in the restart");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let verified = chain.wait_for_result(next).await.unwrap();
    assert!(node.logged(&taken), "the restarted node proves the request again");
    assert_eq!((verified.request, verified.prover), (next, alice_id));
    assert_accurate(&verified.output_floats);

    // 3. A dApp proves an inference itself and records it; a tampered proof is rejected. Its
    // artifacts are the demo model rebuilt as `zkml chain audit` does.
    let artifacts = tempfile::tempdir().unwrap();
    let options = CompileOptions::default();
    chain::rebuild(&demo("1l_mlp/network.onnx"), &input, options, SrsSource::Dev, artifacts.path()).unwrap();
    let binding = chain.next_binding(&bob_id).await.unwrap();
    let binding_fr = Option::from(Fr::from_repr(binding)).unwrap();
    let mut proof = zkml_prover::prove(artifacts.path(), &input, binding_fr, Visibility::Public).unwrap();
    let unbound = zkml_prover::prove(artifacts.path(), &input, Fr::from(7), Visibility::Public).unwrap();
    assert!(matches!(chain.submit_inference(&bob, 0, &unbound).await, Err(ChainError::Binding { .. })));
    let honest = proof.proof.clone();
    let flipped = if honest.as_bytes()[10] == b'0' { '1' } else { '0' };
    proof.proof.replace_range(10..11, &flipped.to_string());
    let rejected = chain.submit_inference(&bob, 0, &proof).await;
    assert!(matches!(&rejected, Err(ChainError::Dispatch(reason)) if reason.contains("InvalidProof")), "{rejected:?}");
    proof.proof = honest;
    let verified = chain.submit_inference(&bob, 0, &proof).await.unwrap();
    assert_eq!(verified.prover, bob_id);
    assert_eq!(verified.output, proof.outputs_fixed.iter().flatten().map(|&v| v as i64).collect::<Vec<_>>());

    // 4. A model no node can prove: its request expires, and the chain refunds fee and deposit in
    // the first block past its deadline, without anyone paying for a transaction.
    let relu = tempfile::tempdir().unwrap();
    let relu_input = InputData::load(&zkml_prover::corpus::model("1l_relu").join("input.json")).unwrap();
    zkml_prover::compile(&zkml_prover::corpus::model("1l_relu").join("network.onnx"), &relu_input, relu.path())
        .unwrap();
    zkml_prover::setup(relu.path(), zkml_prover::SrsSource::Dev).unwrap();
    let model = chain.register_model(&alice, relu.path(), "1l_relu", Visibility::Public, None).await.unwrap();
    assert_eq!(model, 1);
    let request = chain.request_inference(&bob, model, &relu_input, fee, 5).await.unwrap();
    let (record, _) = chain.request(request).await.unwrap();
    let expired = chain.wait_for_result(request).await;
    assert!(matches!(expired, Err(ChainError::Expired { request: r, .. }) if r == request), "{expired:?}");
    let expiry = record.deadline + 1;
    // Bob's self-proved inference of section 3 keeps its deposit held.
    let (free_before, held_before) = balances_at(&chain, &bob_id, expiry - 1).await;
    let (free_after, held_after) = balances_at(&chain, &bob_id, expiry).await;
    assert_eq!(held_before - held_after, fee + record.deposit, "fee and deposit are released");
    assert_eq!(free_after, free_before + fee + record.deposit, "fee and deposit are refunded at no cost");
    assert!(
        matches!(chain.cancel(&bob, request).await, Err(ChainError::Dispatch(reason)) if reason.contains("RequestNotFound"))
    );

    // 5. The demo model is the compilation of its ONNX file, byte for byte.
    let audit = chain.audit(0, artifacts.path()).await.unwrap();
    assert!(audit.passed(), "{audit}");
    let names: Vec<_> = audit.fields.iter().map(|f| f.name).collect();
    assert_eq!(
        names,
        [
            "onnx_hash",
            "commitment",
            "input_shape",
            "input_len",
            "output_len",
            "input_scale",
            "output_scale",
            "settings",
            "vk",
            "vk_hash",
            "kzg_verifier_params"
        ]
    );
    // A registration of the demo's circuit with another commitment and the input/output split
    // moved by one: the instance count still agrees, so the pallet cannot tell, and the binding
    // would be unconstrained. Its publisher attestation, over this chain's genesis hash, passes:
    // it says who published the registration, not that it is honest. The audit names the fields.
    let honest = Registration::load(artifacts.path(), Visibility::Public).unwrap();
    let mut commitment = honest.commitment;
    commitment[0] ^= 1;
    let description = ModelDescription {
        name: BoundedVec(b"1l_mlp, mislabelled".to_vec()),
        onnx_hash: honest.onnx_hash,
        commitment,
        input_shape: BoundedVec(vec![1, 2]),
        input_len: 2,
        output_len: honest.output_len + 1,
        input_scale: honest.scale,
        output_scale: honest.scale,
        visibility: InputVisibility::Public,
    };
    let publisher = PublisherKey::load(&demo("falcon512.sk"), &demo("falcon512.pk")).unwrap();
    let (settings, vk) = (honest.settings.clone(), honest.vk.clone());
    let attestation = publisher.attest(&chain.genesis_hash(), &honest.onnx_hash, &commitment, &vk, &settings);
    let mislabelled = chain.register(&alice, description, settings, vk, Some(attestation)).await.unwrap();
    assert!(chain.model(mislabelled).await.unwrap().publisher_key.is_some());
    let audit = chain.audit(mislabelled, artifacts.path()).await.unwrap();
    assert_eq!(audit.mismatches(), ["commitment", "input_shape", "input_len", "output_len"], "{audit}");
    let error = ChainError::AuditMismatch(Box::new(audit)).to_string();
    assert!(error.contains("commitment, input_shape, input_len, output_len differ"), "{error}");
}
