//! A mock runtime with balances and pallet-zkml, and real artifacts: the corpus's 1l_mlp compiled,
//! keyed (development SRS) and proved by `zkml-prover`, once per test run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use codec::Encode;
use frame_support::{derive_impl, parameter_types, traits::ConstU32, BoundedVec};
use frame_system::EnsureRoot;
use halo2_proofs::halo2curves::ff::PrimeField;
use pqcrypto_falcon::falcon512;
use pqcrypto_traits::sign::{DetachedSignature, PublicKey};
use sp_runtime::testing::{TestSignature, UintAuthorityId};
use sp_runtime::BuildStorage;
use zkml_circuit::quantize::from_field;
use zkml_circuit::registration::Registration;
use zkml_primitives::{attestation_message, binding, BindingContext, FieldBytes, RequestId};
use zkml_prover::{InputData, Visibility};

use crate::{self as pallet_zkml, InputVisibility, ModelDescription};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u64;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Zkml: pallet_zkml,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
    type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
    type AccountStore = System;
    type RuntimeHoldReason = RuntimeHoldReason;
}

parameter_types! {
    pub static MaxModels: u32 = 50;
}

pub const DEPOSIT_BASE: Balance = 1_000;
pub const DEPOSIT_PER_BYTE: Balance = 2;
pub const MINIMUM_FEE: Balance = 10;
pub const MAX_LIFETIME: u64 = 100;

impl pallet_zkml::Config for Test {
    type RuntimeEvent = RuntimeEvent;
    type RuntimeHoldReason = RuntimeHoldReason;
    type Currency = Balances;
    type RegisterOrigin = EnsureRoot<AccountId>;
    type MaxModels = MaxModels;
    type MaxNameLength = ConstU32<64>;
    type MaxShapeDims = ConstU32<8>;
    type MaxSettingsLength = ConstU32<256>;
    type MaxVkLength = ConstU32<65_536>;
    type MaxProofLength = ConstU32<16_384>;
    type MaxInputLength = ConstU32<1024>;
    type MaxOutputLength = ConstU32<1024>;
    type DepositBase = frame_support::traits::ConstU64<DEPOSIT_BASE>;
    type DepositPerByte = frame_support::traits::ConstU64<DEPOSIT_PER_BYTE>;
    type MinimumFee = frame_support::traits::ConstU64<MINIMUM_FEE>;
    type MaxRequestLifetime = frame_support::traits::ConstU64<MAX_LIFETIME>;
    type AuthorityId = TestAuthId;
    type MaxJobsPerBlock = ConstU32<8>;
    type ClaimLifetime = frame_support::traits::ConstU64<CLAIM_LIFETIME>;
    type WeightInfo = ();
}

pub const CLAIM_LIFETIME: u64 = 5;

/// Transactions the off-chain worker submits: signed by a `u64` account, without extensions.
pub type Extrinsic = sp_runtime::generic::UncheckedExtrinsic<AccountId, RuntimeCall, (), ()>;

impl frame_system::offchain::SigningTypes for Test {
    type Public = UintAuthorityId;
    type Signature = TestSignature;
}

impl<LocalCall> frame_system::offchain::CreateTransactionBase<LocalCall> for Test
where
    RuntimeCall: From<LocalCall>,
{
    type RuntimeCall = RuntimeCall;
    type Extrinsic = Extrinsic;
}

impl<LocalCall> frame_system::offchain::CreateSignedTransaction<LocalCall> for Test
where
    RuntimeCall: From<LocalCall>,
{
    fn create_signed_transaction<C: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>>(
        call: RuntimeCall,
        _public: UintAuthorityId,
        account: AccountId,
        _nonce: u32,
    ) -> Option<Extrinsic> {
        Some(Extrinsic::new_signed(call, account, (), ()))
    }
}

/// The mock's prover node key: `UintAuthorityId`s made current with `UintAuthorityId::set_all_keys`.
pub struct TestAuthId;

impl frame_system::offchain::AppCrypto<UintAuthorityId, TestSignature> for TestAuthId {
    type RuntimeAppPublic = UintAuthorityId;
    type GenericPublic = UintAuthorityId;
    type GenericSignature = TestSignature;
}

pub const GOVERNANCE_OWNER: AccountId = 1;
pub const DAPP: AccountId = 2;
pub const PROVER: AccountId = 3;
pub const OTHER_PROVER: AccountId = 4;
pub const STARTING_BALANCE: Balance = 1_000_000;

/// Genesis with funded accounts and the development SRS's KZG verifier parameters.
pub fn new_test_ext() -> sp_io::TestExternalities {
    test_ext_with(pallet_zkml::GenesisConfig::<Test> {
        verifier_params: Some(artifacts().kzg_params.clone()),
        ..Default::default()
    })
}

/// Genesis with funded accounts and `zkml` as pallet-zkml's genesis.
pub fn test_ext_with(zkml: pallet_zkml::GenesisConfig<Test>) -> sp_io::TestExternalities {
    let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
    pallet_balances::GenesisConfig::<Test> {
        balances: [GOVERNANCE_OWNER, DAPP, PROVER, OTHER_PROVER].map(|a| (a, STARTING_BALANCE)).to_vec(),
        ..Default::default()
    }
    .assimilate_storage(&mut storage)
    .unwrap();
    zkml.assimilate_storage(&mut storage).unwrap();
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| System::set_block_number(1));
    ext
}

/// A compiled and keyed model, with everything `register_model` takes.
pub struct Artifacts {
    pub dir: PathBuf,
    pub input: InputData,
    pub kzg_params: Vec<u8>,
    pub onnx_hash: [u8; 32],
    pub commitment: FieldBytes,
    pub input_shape: Vec<u32>,
    pub output_len: u32,
    pub scale: u8,
    /// The public input as fixed-point integers.
    pub input_fixed: Vec<i64>,
    proofs: Mutex<HashMap<(FieldBytes, bool), Proved>>,
    _tempdir: tempfile::TempDir,
}

/// 1l_mlp, compiled and set up once per test run.
pub fn artifacts() -> &'static Artifacts {
    static ARTIFACTS: OnceLock<Artifacts> = OnceLock::new();
    ARTIFACTS.get_or_init(|| Artifacts::build(&zkml_prover::corpus::model("1l_mlp")))
}

/// A proof with its public instances as fixed-point integers (commitments left out).
#[derive(Clone)]
pub struct Proved {
    pub instances: Vec<i64>,
    pub output: Vec<i64>,
    pub proof: Vec<u8>,
    /// For a private input: the input commitment instance.
    pub input_commitment: FieldBytes,
}

impl Artifacts {
    /// Compiles and sets up (development SRS) the model in `model_dir`: `network.onnx` and
    /// `input.json`.
    pub fn build(model_dir: &Path) -> Self {
        let tempdir = tempfile::tempdir().unwrap();
        let dir = tempdir.path().to_path_buf();
        let input = InputData::load(&model_dir.join("input.json")).unwrap();
        zkml_prover::compile(&model_dir.join("network.onnx"), &input, &dir).unwrap();
        zkml_prover::setup(&dir, zkml_prover::SrsSource::Dev).unwrap();
        let kzg_params = std::fs::read(dir.join("kzg.vparams")).unwrap();
        let Registration { onnx_hash, commitment, input_shape, output_len, scale, .. } =
            Registration::load(&dir, Visibility::Public).unwrap();
        let mut artifacts = Artifacts {
            dir,
            input,
            kzg_params,
            onnx_hash,
            commitment,
            input_shape,
            output_len,
            scale,
            input_fixed: vec![],
            proofs: Default::default(),
            _tempdir: tempdir,
        };
        let len: u32 = artifacts.input_shape.iter().product();
        let probe = artifacts.prove([0; 32], Visibility::Public);
        artifacts.input_fixed = probe.instances[1..1 + len as usize].to_vec();
        artifacts
    }

    /// A proof of the model's inference on its input, bound to `binding`; cached per binding.
    pub fn prove(&self, binding: FieldBytes, visibility: Visibility) -> Proved {
        let key = (binding, visibility == Visibility::Private);
        if let Some(proved) = self.proofs.lock().unwrap().get(&key) {
            return proved.clone();
        }
        let binding = Option::from(halo2_proofs::halo2curves::bn256::Fr::from_repr(binding)).unwrap();
        let file = zkml_prover::prove(&self.dir, &self.input, binding, visibility).unwrap();
        let fields = file.instances().unwrap();
        let proved = Proved {
            instances: fields.iter().map(|f| from_field(f).clamp(i64::MIN as i128, i64::MAX as i128) as i64).collect(),
            output: file.outputs_fixed.iter().flatten().map(|&v| v as i64).collect(),
            proof: file.proof_bytes().unwrap(),
            input_commitment: fields[1].to_repr(),
        };
        self.proofs.lock().unwrap().insert(key, proved.clone());
        proved
    }

    pub fn settings_bytes(&self, visibility: Visibility) -> Vec<u8> {
        Registration::load(&self.dir, visibility).unwrap().settings
    }

    pub fn vk_bytes(&self, visibility: Visibility) -> Vec<u8> {
        Registration::load(&self.dir, visibility).unwrap().vk
    }

    /// The model as a genesis entry owned by `owner`.
    pub fn genesis_model(&self, owner: AccountId) -> pallet_zkml::GenesisModel<AccountId> {
        pallet_zkml::GenesisModel {
            owner,
            name: b"1l_mlp".to_vec(),
            onnx_hash: self.onnx_hash,
            commitment: self.commitment,
            input_shape: self.input_shape.clone(),
            output_len: self.output_len,
            scale: self.scale,
            settings: self.settings_bytes(Visibility::Public),
            vk: self.vk_bytes(Visibility::Public),
        }
    }

    pub fn description(&self, visibility: InputVisibility) -> ModelDescription<Test> {
        ModelDescription {
            name: BoundedVec::truncate_from(b"1l_mlp".to_vec()),
            onnx_hash: self.onnx_hash,
            commitment: self.commitment,
            input_shape: BoundedVec::truncate_from(self.input_shape.clone()),
            input_len: self.input_shape.iter().product(),
            output_len: self.output_len,
            input_scale: self.scale,
            output_scale: self.scale,
            visibility,
        }
    }
}

/// A Falcon-512 key pair per account, made once per test run.
pub fn falcon_keys(account: AccountId) -> &'static (falcon512::PublicKey, falcon512::SecretKey) {
    static KEYS: OnceLock<Mutex<HashMap<AccountId, &'static (falcon512::PublicKey, falcon512::SecretKey)>>> =
        OnceLock::new();
    let mut keys = KEYS.get_or_init(Default::default).lock().unwrap();
    keys.entry(account).or_insert_with(|| Box::leak(Box::new(falcon512::keypair())))
}

pub fn falcon_public(account: AccountId) -> crate::FalconPublicKey {
    BoundedVec::truncate_from(falcon_keys(account).0.as_bytes().to_vec())
}

/// `account`'s attestation of a result, over this chain's genesis hash.
pub fn attest(account: AccountId, request: RequestId, output: &[i64], proof: &[u8]) -> crate::FalconSignature {
    let genesis = System::block_hash(0);
    let message = attestation_message(genesis.as_ref(), request, output, proof);
    let signature = falcon512::detached_sign(&message, &falcon_keys(account).1);
    BoundedVec::truncate_from(signature.as_bytes().to_vec())
}

/// `account`'s publisher attestation of registering `description` with `settings` and `vk` on this
/// chain.
pub fn publisher_attestation(
    account: AccountId,
    description: &ModelDescription<Test>,
    settings: &[u8],
    vk: &[u8],
) -> crate::FalconSignature {
    let genesis = System::block_hash(0);
    let message = zkml_primitives::publisher_attestation_message(
        genesis.as_ref(),
        &description.onnx_hash,
        &description.commitment,
        vk,
        settings,
    );
    BoundedVec::truncate_from(falcon512::detached_sign(&message, &falcon_keys(account).1).as_bytes().to_vec())
}

pub fn request_binding(request: RequestId, submitter: AccountId) -> FieldBytes {
    binding(BindingContext::Request(request), &submitter.encode())
}

pub fn nonce_binding(nonce: u64, submitter: AccountId) -> FieldBytes {
    binding(BindingContext::Nonce(nonce), &submitter.encode())
}

/// A prover service that proves at once, with the real prover and `PROVER`'s Falcon key, the
/// model of [`artifacts`]. `forget` empties it, as a node restart would. A request proved before
/// is proved afresh, as the node's service does: halo2 proofs are randomised.
#[derive(Default)]
pub struct InstantProver {
    pub jobs: Mutex<HashMap<RequestId, zkml_primitives::JobStatus>>,
    pub enqueued: Mutex<Vec<RequestId>>,
    /// The operator's minimum fee.
    pub min_fee: u128,
}

impl InstantProver {
    pub fn forget(&self) {
        self.jobs.lock().unwrap().clear();
    }
}

impl zkml_primitives::ProverService for InstantProver {
    fn can_prove(&self, vk_hash: &[u8; 32]) -> bool {
        *vk_hash == sp_io::hashing::blake2_256(&artifacts().vk_bytes(Visibility::Public))
    }

    fn enqueue(&self, job: zkml_primitives::ProvingJob) -> bool {
        let again = self.enqueued.lock().unwrap().contains(&job.request);
        self.enqueued.lock().unwrap().push(job.request);
        let a = artifacts();
        let status = if job.input == a.input_fixed {
            let (output, proof) = if again {
                let binding = Option::from(halo2_proofs::halo2curves::bn256::Fr::from_repr(job.binding)).unwrap();
                let file = zkml_prover::prove(&a.dir, &a.input, binding, Visibility::Public).unwrap();
                (file.outputs_fixed.iter().flatten().map(|&v| v as i64).collect(), file.proof_bytes().unwrap())
            } else {
                let proved = a.prove(job.binding, Visibility::Public);
                (proved.output, proved.proof)
            };
            let message = attestation_message(&job.genesis_hash, job.request, &output, &proof);
            let attestation = falcon512::detached_sign(&message, &falcon_keys(PROVER).1).as_bytes().to_vec();
            zkml_primitives::JobStatus::Proved { output, proof, attestation }
        } else {
            zkml_primitives::JobStatus::Failed(b"this test prover proves only the model's own input".to_vec())
        };
        self.jobs.lock().unwrap().insert(job.request, status);
        true
    }

    fn status(&self, request: RequestId) -> zkml_primitives::JobStatus {
        self.jobs.lock().unwrap().get(&request).cloned().unwrap_or(zkml_primitives::JobStatus::Unknown)
    }

    fn min_fee(&self) -> u128 {
        self.min_fee
    }
}
