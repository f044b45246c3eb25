//! A client for a Hauptbuch zkML chain, on subxt: what `zkml chain` runs.
//!
//! Types and calls are generated from the runtime's metadata (`metadata/hauptbuch.scale`, kept
//! equal to the runtime's by a runtime test), so a change to the pallet that the client does not
//! follow fails to compile rather than at the chain.

use std::fmt;
use std::path::{Path, PathBuf};

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::PrimeField;
use pqcrypto_falcon::falcon512;
use pqcrypto_traits::sign::{DetachedSignature as _, PublicKey as _, SecretKey as _};
use subxt::utils::{AccountId32, MultiAddress};
use subxt::{OnlineClient, PolkadotConfig};
use subxt_signer::sr25519::Keypair;
use zkml_circuit::artifacts::ArtifactDir;
use zkml_circuit::proof::{fr_from_hex, fr_to_hex};
use zkml_circuit::quantize::{dequantize, from_field, quantize};
use zkml_circuit::registration::Registration;
use zkml_primitives::{
    binding, publisher_attestation_message, BindingContext, CircuitSettings, FieldBytes, InputInstances,
    PublicInstances,
};
use zkml_prover::{InputData, ProofFile, Visibility};

#[subxt::subxt(runtime_metadata_path = "metadata/hauptbuch.scale")]
pub mod runtime {}

use runtime::runtime_types::bounded_collections::bounded_vec::BoundedVec;
use runtime::runtime_types::pallet_zkml::types::{
    Input, InputVisibility, ModelDescription, ModelInfo, Request, RequestStatus, VerifiedResult,
};
use runtime::zkml::events::{
    InferenceRequested, InferenceVerified, ModelRegistered, RequestCancelled, RequestCleared, RequestExpired,
};

type Events = subxt::extrinsics::ExtrinsicEvents<PolkadotConfig>;

/// Everything that can go wrong talking to the chain.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("cannot connect to {url}: {source}")]
    Connect { url: String, source: Box<subxt::Error> },
    #[error(transparent)]
    Subxt(#[from] Box<subxt::Error>),
    #[error("the call was dispatched and failed: {0}")]
    Dispatch(String),
    #[error(transparent)]
    Prover(#[from] zkml_prover::Error),
    #[error("invalid secret URI `{0}`")]
    SecretUri(String),
    #[error("no model {0} on chain")]
    UnknownModel(u32),
    #[error("no request {0} on chain")]
    UnknownRequest(u64),
    #[error("model {model} takes {expected} input values; the input file has {got}")]
    InputLength { model: u32, expected: u32, got: usize },
    #[error("input value {value} does not fit 64-bit fixed point at the model's scale 2^{scale}")]
    InputRange { value: f64, scale: u8 },
    #[error("the transaction emitted no {0} event")]
    MissingEvent(&'static str),
    #[error("request {request} passed its deadline (block {deadline}) unfulfilled: `zkml chain cancel {request}` refunds its fee")]
    Expired { request: u64, deadline: u32 },
    #[error("request {0} was cancelled")]
    Cancelled(u64),
    #[error("the proof's model commitment is not model {0}'s: it was made with other artifacts")]
    ForeignProof(u32),
    #[error("the proof is bound to {found}, but the chain expects {expected} for your next inference: prove with `--binding {expected}`")]
    Binding { expected: String, found: String },
    #[error("model {model} takes {expected} inputs; the proof publishes its input as {got}")]
    Visibility { model: u32, expected: &'static str, got: &'static str },
    #[error("{path}: not a Falcon-512 {what} key")]
    FalconKey { path: PathBuf, what: &'static str },
    #[error("the Falcon-512 public key {public} does not belong to the secret key {secret}")]
    FalconKeyPair { secret: PathBuf, public: PathBuf },
    #[error("{}", .0.verdict())]
    AuditMismatch(Box<Audit>),
}

pub type Result<T, E = ChainError> = std::result::Result<T, E>;

fn rpc(error: impl Into<subxt::Error>) -> ChainError {
    ChainError::Subxt(Box::new(error.into()))
}

/// Parses a secret URI (`//Alice`, a mnemonic, or a hex seed, with derivation paths).
pub fn signer(uri: &str) -> Result<Keypair> {
    let parsed: subxt_signer::SecretUri = uri.parse().map_err(|_| ChainError::SecretUri(uri.into()))?;
    Keypair::from_uri(&parsed).map_err(|_| ChainError::SecretUri(uri.into()))
}

/// The account of a signer.
pub fn account(signer: &Keypair) -> AccountId32 {
    signer.public_key().to_account_id()
}

/// A model publisher's Falcon-512 key pair, which attests registrations.
pub struct PublisherKey {
    public: falcon512::PublicKey,
    secret: falcon512::SecretKey,
}

impl PublisherKey {
    /// Reads the secret key at `secret` and its public key at `public` (raw pqcrypto bytes, as
    /// the node's `--zkml-falcon-key` writes them), and checks that they are a pair.
    pub fn load(secret: &Path, public: &Path) -> Result<Self> {
        let read =
            |path: &Path| std::fs::read(path).map_err(|source| zkml_prover::Error::Io { path: path.into(), source });
        let bad = |path: &Path, what| ChainError::FalconKey { path: path.into(), what };
        let key = Self {
            public: falcon512::PublicKey::from_bytes(&read(public)?).map_err(|_| bad(public, "public"))?,
            secret: falcon512::SecretKey::from_bytes(&read(secret)?).map_err(|_| bad(secret, "secret"))?,
        };
        let probe = falcon512::detached_sign(b"zkml/publisher key pair", &key.secret);
        falcon512::verify_detached_signature(&probe, b"zkml/publisher key pair", &key.public)
            .map_err(|_| ChainError::FalconKeyPair { secret: secret.into(), public: public.into() })?;
        Ok(key)
    }

    /// The attestation `(public key, signature)` of registering a model with `onnx_hash`,
    /// `commitment`, `vk` and `settings` on the chain whose genesis hash is `genesis_hash`.
    pub fn attest(
        &self,
        genesis_hash: &[u8],
        onnx_hash: &[u8; 32],
        commitment: &FieldBytes,
        vk: &[u8],
        settings: &[u8],
    ) -> (Vec<u8>, Vec<u8>) {
        let message = publisher_attestation_message(genesis_hash, onnx_hash, commitment, vk, settings);
        let signature = falcon512::detached_sign(&message, &self.secret);
        (self.public.as_bytes().to_vec(), signature.as_bytes().to_vec())
    }
}

/// One registered value beside the value rebuilt from the model's ONNX file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditField {
    /// The field's name, as `zkml chain model` shows it.
    pub name: &'static str,
    /// The value on chain, for display.
    pub chain: String,
    /// The rebuilt value, for display.
    pub rebuilt: String,
    /// Whether the two are equal byte for byte.
    pub matches: bool,
}

/// A registration compared, field by field, with what its ONNX file compiles to.
#[derive(Clone, Debug)]
pub struct Audit {
    pub model: u32,
    /// The input visibility the model is registered with: the circuit the rebuild is read for.
    pub visibility: Visibility,
    pub fields: Vec<AuditField>,
}

impl Audit {
    /// The names of the fields that differ.
    pub fn mismatches(&self) -> Vec<&'static str> {
        self.fields.iter().filter(|f| !f.matches).map(|f| f.name).collect()
    }

    /// Whether the registration is the rebuild, byte for byte.
    pub fn passed(&self) -> bool {
        self.fields.iter().all(|f| f.matches)
    }

    /// One line that says whether the registration is the rebuild, and if not where it differs.
    pub fn verdict(&self) -> String {
        let model = self.model;
        if self.passed() {
            return format!("model {model} is the compilation of the ONNX file");
        }
        let mut verdict =
            format!("model {model} is not the compilation of the ONNX file: {} differ", self.mismatches().join(", "));
        if self.mismatches().contains(&"kzg_verifier_params") {
            verdict.push_str(" (the chain's keys come from another SRS: name the one it uses)");
        }
        verdict
    }

    pub fn to_json(&self) -> serde_json::Value {
        let fields = self.fields.iter().map(
            |f| serde_json::json!({ "field": f.name, "matches": f.matches, "chain": f.chain, "rebuilt": f.rebuilt }),
        );
        serde_json::json!({
            "model": self.model,
            "visibility": self.visibility.name(),
            "matches": self.passed(),
            "fields": fields.collect::<Vec<_>>(),
        })
    }
}

impl fmt::Display for Audit {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "model {} ({} input), registered against rebuilt:", self.model, self.visibility.name())?;
        let width = self.fields.iter().map(|field| field.name.len()).max().unwrap_or(0);
        for field in &self.fields {
            if field.matches {
                write!(f, "\n  ok        {:width$}  {}", field.name, field.chain)?;
            } else {
                write!(f, "\n  MISMATCH  {:width$}  chain   {}", field.name, field.chain)?;
                write!(f, "\n            {:width$}  rebuilt {}", "", field.rebuilt)?;
            }
        }
        Ok(())
    }
}

/// Compiles the ONNX file `onnx` with its calibration `input` and sets up its keys with `srs` in
/// `out`, as `zkml compile` and `zkml setup` do: both are deterministic, so an honest
/// registration is this rebuild byte for byte.
pub fn rebuild(
    onnx: &Path,
    input: &InputData,
    options: zkml_prover::CompileOptions,
    srs: zkml_prover::SrsSource,
    out: &Path,
) -> Result<()> {
    zkml_prover::compile_with(onnx, input, out, options)?;
    zkml_prover::setup(out, srs)?;
    Ok(())
}

fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// Bytes as their length and BLAKE2-256 hash, or their decoding where they are circuit settings.
fn show_bytes(bytes: Option<&[u8]>, settings: bool) -> String {
    let Some(bytes) = bytes else { return "none".into() };
    let decoded = settings.then(|| CircuitSettings::decode_valid(bytes).ok()).flatten();
    match decoded {
        Some(s) => format!(
            "k={} advice={:?} fixed={} range lookups={:?} function lookups={} instances={}",
            s.k, s.num_advice_per_phase, s.num_fixed, s.num_lookup_advice_per_phase, s.lookup_columns, s.num_instances
        ),
        None => format!("{} bytes, BLAKE2-256 {}", bytes.len(), hex0x(&sp_crypto_hashing::blake2_256(bytes))),
    }
}

/// A verified inference result.
#[derive(Clone, Debug, PartialEq)]
pub struct Verified {
    pub request: u64,
    pub model: u32,
    /// Fixed-point integers at the model's output scale.
    pub output: Vec<i64>,
    /// The same values as floats.
    pub output_floats: Vec<f64>,
    pub prover: AccountId32,
    /// The fee the prover was paid.
    pub fee: u128,
    /// The block that recorded the result.
    pub verified_at: u32,
}

/// A connection to a node's RPC endpoint.
pub struct Chain {
    api: OnlineClient<PolkadotConfig>,
}

impl Chain {
    /// The subxt client, for queries this client has no method for.
    pub fn api(&self) -> &OnlineClient<PolkadotConfig> {
        &self.api
    }

    pub async fn connect(url: &str) -> Result<Self> {
        let api = OnlineClient::<PolkadotConfig>::from_insecure_url(url)
            .await
            .map_err(|source| ChainError::Connect { url: url.into(), source: Box::new(source.into()) })?;
        Ok(Self { api })
    }

    /// Signs, submits and waits for finality; fails with the dispatch error if the call failed.
    async fn submit<Call: subxt::transactions::Payload>(&self, call: &Call, signer: &Keypair) -> Result<Events> {
        let progress =
            self.api.tx().await.map_err(rpc)?.sign_and_submit_then_watch_default(call, signer).await.map_err(rpc)?;
        progress.wait_for_finalized_success().await.map_err(|error| match subxt::Error::from(error) {
            subxt::Error::TransactionFinalizedSuccessError(error) => ChainError::Dispatch(error.to_string()),
            other => rpc(other),
        })
    }

    /// The number of the latest finalized block.
    pub async fn finalized_number(&self) -> Result<u32> {
        let at = self.api.at_current_block().await.map_err(rpc)?;
        Ok(at.block_number() as u32)
    }

    /// A registered model.
    pub async fn model(&self, model: u32) -> Result<ModelInfo> {
        let at = self.api.at_current_block().await.map_err(rpc)?;
        let entry = at.storage().entry(runtime::storage().zkml().models()).map_err(rpc)?;
        let value = entry.try_fetch((model,)).await.map_err(rpc)?.ok_or(ChainError::UnknownModel(model))?;
        value.decode().map_err(rpc)
    }

    /// A request, with its verified result once fulfilled.
    pub async fn request(&self, request: u64) -> Result<(Request, Option<VerifiedResult>)> {
        let at = self.api.at_current_block().await.map_err(rpc)?;
        let requests = at.storage().entry(runtime::storage().zkml().requests()).map_err(rpc)?;
        let value = requests.try_fetch((request,)).await.map_err(rpc)?.ok_or(ChainError::UnknownRequest(request))?;
        let results = at.storage().entry(runtime::storage().zkml().results()).map_err(rpc)?;
        let result = match results.try_fetch((request,)).await.map_err(rpc)? {
            Some(result) => Some(result.decode().map_err(rpc)?),
            None => None,
        };
        Ok((value.decode().map_err(rpc)?, result))
    }

    /// The binding a self-proved inference by `who` must carry next (it uses `who`'s zkml nonce).
    pub async fn next_binding(&self, who: &AccountId32) -> Result<FieldBytes> {
        let at = self.api.at_current_block().await.map_err(rpc)?;
        let nonces = at.storage().entry(runtime::storage().zkml().nonces()).map_err(rpc)?;
        let nonce = match nonces.try_fetch((*who,)).await.map_err(rpc)? {
            Some(value) => value.decode().map_err(rpc)?,
            None => 0,
        };
        Ok(binding(BindingContext::Nonce(nonce), &who.0))
    }

    /// The hash of the chain's genesis block, which attestations sign.
    pub fn genesis_hash(&self) -> [u8; 32] {
        self.api.genesis_hash().0
    }

    /// Registers the compiled model in `dir` through sudo (the development governance), owned
    /// by the sudo account, attested by `publisher` if given. Returns the model id.
    pub async fn register_model(
        &self,
        sudo: &Keypair,
        dir: &Path,
        name: &str,
        visibility: Visibility,
        publisher: Option<&PublisherKey>,
    ) -> Result<u32> {
        let model = Registration::load(dir, visibility)?;
        let description = ModelDescription {
            name: BoundedVec(name.as_bytes().to_vec()),
            onnx_hash: model.onnx_hash,
            commitment: model.commitment,
            input_len: model.input_shape.iter().product(),
            input_shape: BoundedVec(model.input_shape),
            output_len: model.output_len,
            input_scale: model.scale,
            output_scale: model.scale,
            visibility: match visibility {
                Visibility::Public => InputVisibility::Public,
                Visibility::Private => InputVisibility::Hashed,
            },
        };
        let attestation = publisher.map(|key| {
            key.attest(&self.genesis_hash(), &model.onnx_hash, &model.commitment, &model.vk, &model.settings)
        });
        self.register(sudo, description, model.settings, model.vk, attestation).await
    }

    /// Registers a model from its parts through sudo, owned by the sudo account, with a publisher
    /// attestation `(public key, signature)` if given (see [`PublisherKey::attest`]). Returns the
    /// model id.
    pub async fn register(
        &self,
        sudo: &Keypair,
        description: ModelDescription,
        settings: Vec<u8>,
        vk: Vec<u8>,
        publisher_attestation: Option<(Vec<u8>, Vec<u8>)>,
    ) -> Result<u32> {
        let call = runtime::Call::Zkml(runtime::zkml::Call::register_model {
            owner: MultiAddress::Id(account(sudo)),
            description,
            settings: BoundedVec(settings),
            vk: BoundedVec(vk),
            publisher_attestation: publisher_attestation
                .map(|(key, signature)| (BoundedVec(key), BoundedVec(signature))),
        });
        let events = self.submit(&runtime::transactions().sudo().sudo(call), sudo).await?;
        let sudid =
            events.find_first::<runtime::sudo::events::Sudid>().ok_or(ChainError::MissingEvent("Sudo.Sudid"))?;
        if let Err(error) = sudid.map_err(rpc)?.sudo_result {
            return Err(ChainError::Dispatch(format!("{error:?}")));
        }
        let registered =
            events.find_first::<ModelRegistered>().ok_or(ChainError::MissingEvent("Zkml.ModelRegistered"))?;
        Ok(registered.map_err(rpc)?.model)
    }

    /// Compares model `model`'s registration byte for byte with the compiled, set-up model in
    /// `dir` (see [`rebuild`]), read for the input visibility the model is registered with: its
    /// description, settings, verifying key and the chain's KZG verifier parameters. Mismatches
    /// are in the report, not an error.
    pub async fn audit(&self, model: u32, dir: &Path) -> Result<Audit> {
        let at = self.api.at_current_block().await.map_err(rpc)?;
        let info: ModelInfo = {
            let entry = at.storage().entry(runtime::storage().zkml().models()).map_err(rpc)?;
            let value = entry.try_fetch((model,)).await.map_err(rpc)?.ok_or(ChainError::UnknownModel(model))?;
            value.decode().map_err(rpc)?
        };
        let circuit = {
            let entry = at.storage().entry(runtime::storage().zkml().circuits()).map_err(rpc)?;
            match entry.try_fetch((model,)).await.map_err(rpc)? {
                Some(value) => Some(value.decode().map_err(rpc)?),
                None => None,
            }
        };
        let kzg_params = {
            let entry = at.storage().entry(runtime::storage().zkml().verifier_params()).map_err(rpc)?;
            match entry.try_fetch(()).await.map_err(rpc)? {
                Some(value) => Some(value.decode().map_err(rpc)?.0),
                None => None,
            }
        };

        let d = &info.description;
        let visibility = match d.visibility {
            InputVisibility::Public => Visibility::Public,
            InputVisibility::Hashed => Visibility::Private,
        };
        let rebuilt = Registration::load(dir, visibility)?;
        let params_path = ArtifactDir(dir.into()).verifier_params();
        let rebuilt_params = std::fs::read(&params_path)
            .map_err(|source| zkml_prover::Error::Io { path: params_path.clone(), source })?;
        let input_len = rebuilt.input_shape.iter().map(|&d| u64::from(d)).product::<u64>();
        let (chain_settings, chain_vk) = match &circuit {
            Some(c) => (Some(&c.settings.0[..]), Some(&c.vk.0[..])),
            None => (None, None),
        };

        let field = |name, chain: String, rebuilt: String, matches| AuditField { name, chain, rebuilt, matches };
        let same = |name, chain: String, rebuilt: String| {
            let matches = chain == rebuilt;
            AuditField { name, chain, rebuilt, matches }
        };
        let bytes = |name, chain: Option<&[u8]>, rebuilt: &[u8], settings| {
            field(name, show_bytes(chain, settings), show_bytes(Some(rebuilt), settings), chain == Some(rebuilt))
        };
        let rebuilt_vk_hash = sp_crypto_hashing::blake2_256(&rebuilt.vk);
        let fields = vec![
            field("onnx_hash", hex0x(&d.onnx_hash), hex0x(&rebuilt.onnx_hash), d.onnx_hash == rebuilt.onnx_hash),
            field(
                "commitment",
                binding_hex(d.commitment),
                binding_hex(rebuilt.commitment),
                d.commitment == rebuilt.commitment,
            ),
            same("input_shape", format!("{:?}", d.input_shape.0), format!("{:?}", rebuilt.input_shape)),
            same("input_len", d.input_len.to_string(), input_len.to_string()),
            same("output_len", d.output_len.to_string(), rebuilt.output_len.to_string()),
            same("input_scale", d.input_scale.to_string(), rebuilt.scale.to_string()),
            same("output_scale", d.output_scale.to_string(), rebuilt.scale.to_string()),
            bytes("settings", chain_settings, &rebuilt.settings, true),
            bytes("vk", chain_vk, &rebuilt.vk, false),
            field("vk_hash", hex0x(&info.vk_hash), hex0x(&rebuilt_vk_hash), info.vk_hash == rebuilt_vk_hash),
            bytes("kzg_verifier_params", kzg_params.as_deref(), &rebuilt_params, false),
        ];
        Ok(Audit { model, visibility, fields })
    }

    /// Registers the signer as a prover attesting with the Falcon-512 public key `falcon_public`.
    pub async fn register_prover(&self, signer: &Keypair, falcon_public: Vec<u8>) -> Result<()> {
        let call = runtime::transactions().zkml().register_prover(BoundedVec(falcon_public));
        self.submit(&call, signer).await.map(drop)
    }

    /// Requests an inference of `model` on `input` (floats, quantised at the model's scale), with
    /// `fee` held until a prover earns it and a deadline `lifetime` blocks ahead. Returns the
    /// request id.
    pub async fn request_inference(
        &self,
        signer: &Keypair,
        model: u32,
        input: &InputData,
        fee: u128,
        lifetime: u32,
    ) -> Result<u64> {
        let info = self.model(model).await?;
        let values: Vec<f64> = input.input_data.iter().flatten().copied().collect();
        let description = &info.description;
        if values.len() != description.input_len as usize {
            return Err(ChainError::InputLength { model, expected: description.input_len, got: values.len() });
        }
        let scale = description.input_scale;
        let fixed = values
            .iter()
            .map(|&value| quantize(value, scale.into()).ok_or(ChainError::InputRange { value, scale }))
            .collect::<Result<Vec<_>>>()?;
        let deadline = self.finalized_number().await? + lifetime;
        let call = runtime::transactions().zkml().request_inference(model, BoundedVec(fixed), fee, deadline);
        let events = self.submit(&call, signer).await?;
        let requested =
            events.find_first::<InferenceRequested>().ok_or(ChainError::MissingEvent("Zkml.InferenceRequested"))?;
        Ok(requested.map_err(rpc)?.request)
    }

    /// Waits (on finalized blocks) until `request` has a verified result.
    pub async fn wait_for_result(&self, request: u64) -> Result<Verified> {
        let mut blocks = self.api.stream_blocks().await.map_err(rpc)?;
        // Subscribed first, so that a result landing now is seen either here or in the stream.
        let (pending, result) = self.request(request).await?;
        if let Some(result) = result {
            let VerifiedResult { output, prover, verified_at } = result;
            return self.verified(request, pending.model, output.0, prover, pending.fee, verified_at).await;
        }
        while let Some(block) = blocks.next().await {
            let block = block.map_err(rpc)?;
            let at = block.at().await.map_err(rpc)?;
            let events = at.events().fetch().await.map_err(rpc)?;
            for verified in events.find::<InferenceVerified>() {
                let verified = verified.map_err(rpc)?;
                if verified.request == request {
                    let InferenceVerified { model, output, prover, fee, .. } = verified;
                    return self.verified(request, model, output.0, prover, fee, block.number() as u32).await;
                }
            }
            if events.find::<RequestCancelled>().any(|cancelled| cancelled.is_ok_and(|c| c.request == request)) {
                return Err(ChainError::Cancelled(request));
            }
            // The chain expires it in the first block past its deadline, refunding fee and deposit.
            if events.find::<RequestExpired>().any(|expired| expired.is_ok_and(|e| e.request == request)) {
                return Err(ChainError::Expired { request, deadline: pending.deadline });
            }
            if block.number() > u64::from(pending.deadline) {
                return Err(ChainError::Expired { request, deadline: pending.deadline });
            }
        }
        Err(rpc(subxt::Error::Other("the node closed the block subscription".into())))
    }

    async fn verified(
        &self,
        request: u64,
        model: u32,
        output: Vec<i64>,
        prover: AccountId32,
        fee: u128,
        verified_at: u32,
    ) -> Result<Verified> {
        let scale = self.model(model).await?.description.output_scale;
        let output_floats = output.iter().map(|&v| dequantize(v.into(), scale.into())).collect();
        Ok(Verified { request, model, output, output_floats, prover, fee, verified_at })
    }

    /// Cancels a pending request that expired (before the chain did so itself) or whose model was
    /// retired; returns what was refunded, fee and deposit.
    pub async fn cancel(&self, signer: &Keypair, request: u64) -> Result<u128> {
        let events = self.submit(&runtime::transactions().zkml().cancel_expired(request), signer).await?;
        let cancelled =
            events.find_first::<RequestCancelled>().ok_or(ChainError::MissingEvent("Zkml.RequestCancelled"))?;
        Ok(cancelled.map_err(rpc)?.refunded)
    }

    /// Removes a fulfilled request of the signer's, or a self-proved inference, with its result;
    /// returns the deposit released.
    pub async fn clear(&self, signer: &Keypair, request: u64) -> Result<u128> {
        let events = self.submit(&runtime::transactions().zkml().clear_request(request), signer).await?;
        let cleared = events.find_first::<RequestCleared>().ok_or(ChainError::MissingEvent("Zkml.RequestCleared"))?;
        Ok(cleared.map_err(rpc)?.deposit_released)
    }

    /// Records an inference the signer proved itself (`zkml prove --binding` with
    /// [`Chain::next_binding`]). Returns the verified result.
    pub async fn submit_inference(&self, signer: &Keypair, model: u32, proof: &ProofFile) -> Result<Verified> {
        let info = self.model(model).await?;
        let commitment = fr_from_hex(&proof.model_commitment).map_err(zkml_prover::Error::MalformedProof)?;
        if commitment.to_repr() != info.description.commitment {
            return Err(ChainError::ForeignProof(model));
        }
        let expected = self.next_binding(&account(signer)).await?;
        let found = fr_from_hex(&proof.binding).map_err(zkml_prover::Error::MalformedProof)?;
        if found.to_repr() != expected {
            return Err(ChainError::Binding { expected: binding_hex(expected), found: fr_to_hex(&found) });
        }
        match (&info.description.visibility, proof.visibility) {
            (InputVisibility::Public, Visibility::Private) => {
                return Err(ChainError::Visibility { model, expected: "public", got: "a commitment" })
            }
            (InputVisibility::Hashed, Visibility::Public) => {
                return Err(ChainError::Visibility { model, expected: "committed", got: "public values" })
            }
            _ => {}
        }
        let committed = proof.visibility == Visibility::Private;
        let instances = PublicInstances::parse(proof.instances()?, committed, info.description.input_len as usize)
            .ok_or_else(|| zkml_prover::Error::MalformedProof("too few instances for the model".into()))?;
        let input = match instances.input {
            InputInstances::Public(values) => {
                Input::Public(BoundedVec(values.iter().map(|f| from_field(f) as i64).collect()))
            }
            InputInstances::Committed(commitment) => Input::Committed(commitment.to_repr()),
        };
        let output: Vec<i64> = proof.outputs_fixed.iter().flatten().map(|&v| v as i64).collect();
        let call = runtime::transactions().zkml().submit_inference(
            model,
            input,
            BoundedVec(output),
            BoundedVec(proof.proof_bytes()?),
        );
        let events = self.submit(&call, signer).await?;
        let verified =
            events.find_first::<InferenceVerified>().ok_or(ChainError::MissingEvent("Zkml.InferenceVerified"))?;
        let InferenceVerified { request, fee, .. } = verified.map_err(rpc)?;
        let (_, result) = self.request(request).await?;
        let VerifiedResult { output, prover, verified_at } = result.ok_or(ChainError::MissingEvent("Zkml.Results"))?;
        self.verified(request, model, output.0, prover, fee, verified_at).await
    }
}

/// A binding as the `0x…` hex that `zkml prove --binding` takes.
pub fn binding_hex(binding: FieldBytes) -> String {
    // A binding has its top three bits cleared, so it is always a canonical field element.
    Option::from(Fr::from_repr(binding)).map_or_else(|| format!("0x{}", hex::encode(binding)), |f| fr_to_hex(&f))
}

impl RequestStatus {
    pub fn name(&self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Fulfilled => "fulfilled",
        }
    }
}
