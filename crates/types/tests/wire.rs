//! The wire encoding of every transaction body is pinned byte for byte: a change to how any
//! action is encoded (field numbers, field order, number formats) changes a transaction's
//! hash and signature, so it must show up here as a failing test, never by accident.

use plexus_types::merkle::MerkleProof;
use plexus_types::tx::*;
use plexus_types::{Address, Amount, Hash, SecretKey, Signature};

fn key(seed: u8) -> SecretKey {
    SecretKey::from_seed([seed; 32])
}

fn proof() -> MerkleProof {
    MerkleProof {
        index: 2,
        leaf_count: 5,
        siblings: vec![Hash([0x11; 32]), Hash([0x22; 32])],
    }
}

fn caps(endpoint: &str) -> Capabilities {
    Capabilities {
        cpu_cores: 8,
        memory_mb: 16_384,
        gpu_model: "rtx-4090".into(),
        gpu_vram_mb: 24_576,
        gpu_count: 1,
        endpoint: endpoint.into(),
        rated_watts: 0,
    }
}

/// One sample of every `Body` variant, each field away from its default so it is encoded.
fn samples() -> Vec<(&'static str, Body)> {
    let device = key(7).public_key();
    let other = key(8).public_key();
    let (lo, hi) = if device < other {
        (device, other)
    } else {
        (other, device)
    };
    let signature: Signature = key(7).sign(b"plexus/device");
    vec![
        (
            "transfer",
            Body::Transfer {
                to: Address([9; 20]),
                amount: Amount(1_000),
            },
        ),
        (
            "register_device",
            Body::RegisterDevice {
                device,
                class: "storage".into(),
                capabilities: caps("http://127.0.0.1:26660"),
                h3_cell: 0x8a2a1072b59ffff,
                stake: Amount(5_000_000),
                device_signature: signature,
            },
        ),
        (
            "update_device",
            Body::UpdateDevice {
                device,
                capabilities: caps("https://blobs.example.org"),
                h3_cell: 42,
            },
        ),
        ("retire_device", Body::RetireDevice { device }),
        ("withdraw_stake", Body::WithdrawStake { device }),
        (
            "submit_manifest",
            Body::SubmitManifest {
                epoch: 3,
                resource: "compute".into(),
                root: Hash([0x33; 32]),
                total_units: 123_456_789_000_000_000_000,
                evidence_root: Hash([0x44; 32]),
            },
        ),
        (
            "claim_reward",
            Body::ClaimReward(RewardClaim {
                epoch: 4,
                resource: "storage".into(),
                device,
                owner: Address([5; 20]),
                units: 77,
                proof: proof(),
            }),
        ),
        (
            "compute_fraud",
            Body::ComputeFraud(ComputeFraud {
                device,
                seed: [0x55; 32],
                n: 64,
                root: Hash([0x66; 32]),
                device_signature: signature,
                row_index: 2,
                row: vec![1, 2, 300, 70_000],
                proof: proof(),
            }),
        ),
        (
            "storage_deal",
            Body::StorageDeal(StorageDealTerms {
                blob: Hash([0x77; 32]),
                size: 4_096,
                replicas: 3,
                epochs: 10,
                price_per_replica_epoch: Amount(7),
                size_proof: Default::default(),
            }),
        ),
        (
            "storage_audit",
            Body::StorageAudit {
                epoch: 6,
                failures: vec![
                    StorageFailure {
                        deal: 1,
                        device: lo,
                    },
                    StorageFailure {
                        deal: 1,
                        device: hi,
                    },
                    StorageFailure {
                        deal: 2,
                        device: lo,
                    },
                ],
            },
        ),
        (
            "create_training_task",
            Body::CreateTrainingTask(TrainingTaskTerms {
                dataset: "mnist-digits".into(),
                spec: r#"{"model":"mlp","lr":0.1}"#.into(),
                validation_commitment: validation_commitment(&[0x88; 32], b"validation"),
                rounds: 5,
                min_participants: 2,
                budget: Amount(1_000),
                coordinator: Address([6; 20]),
            }),
        ),
        ("join_training_task", Body::JoinTrainingTask { task: 9 }),
        (
            "submit_training_round",
            Body::SubmitTrainingRound(TrainingRound {
                task: 9,
                round: 2,
                model: Hash([0x99; 32]),
                record: Hash([0xaa; 32]),
                accuracy_ppm: 912_345,
                loss_micro: 250_000,
                scores: vec![
                    TrainingScore {
                        participant: Address([1; 20]),
                        score: 10,
                    },
                    TrainingScore {
                        participant: Address([2; 20]),
                        score: 20,
                    },
                ],
            }),
        ),
        ("cancel_training_task", Body::CancelTrainingTask { task: 9 }),
        (
            "create_order",
            Body::CreateOrder(OrderTerms {
                spec: Hash([0xbb; 32]),
                runtime: JobRuntime::Inference,
                resources: caps(""),
                max_price_per_block: Amount(50),
                duration_blocks: 100,
                replicas: 2,
                sample_per_mille: 250,
                deposit: Amount(10_000),
            }),
        ),
        (
            "place_bid",
            Body::PlaceBid {
                order: 11,
                device,
                price_per_block: Amount(40),
                deposit: Amount(2_000),
            },
        ),
        ("close_bid", Body::CloseBid { bid: 12 }),
        (
            "seal_job_result",
            Body::SealJobResult {
                lease: 13,
                seal: Hash([0xdd; 32]),
            },
        ),
        (
            "submit_job_result",
            Body::SubmitJobResult(JobResult {
                lease: 13,
                output: Hash([0xcc; 32]),
                agrees_with: vec![14, 15],
                salt: Hash([0xee; 32]),
            }),
        ),
        ("withdraw_lease", Body::WithdrawLease { lease: 13 }),
        ("close_lease", Body::CloseLease { lease: 13 }),
        ("close_order", Body::CloseOrder { order: 11 }),
        (
            "create_validator",
            Body::CreateValidator {
                consensus_key: device,
                commission_bps: 500,
                p2p_address: "127.0.0.1:26656".into(),
                self_stake: Amount(1_000_000),
            },
        ),
        (
            "edit_validator",
            Body::EditValidator {
                commission_bps: 700,
            },
        ),
        (
            "stake",
            Body::Stake {
                validator: Address([0x0a; 20]),
                amount: Amount(42),
            },
        ),
        (
            "unstake",
            Body::Unstake {
                validator: Address([0x0a; 20]),
                amount: Amount(41),
            },
        ),
        (
            "redelegate",
            Body::Redelegate {
                from: Address([0x0a; 20]),
                to: Address([0x0b; 20]),
                amount: Amount(40),
            },
        ),
        (
            "withdraw_staking_rewards",
            Body::WithdrawStakingRewards {
                validator: Address([0x0a; 20]),
            },
        ),
        (
            "report_double_sign",
            Body::ReportDoubleSign(DoubleSignEvidence {
                consensus_key: device,
                first: ConsensusVote {
                    finalize: false,
                    epoch: 2,
                    view: 77,
                    parent: 76,
                    payload: Hash([0x31; 32]),
                    signature,
                },
                second: ConsensusVote {
                    finalize: true,
                    epoch: 2,
                    view: 77,
                    parent: 75,
                    payload: Hash([0x32; 32]),
                    signature,
                },
            }),
        ),
        ("unjail", Body::Unjail),
        (
            "assert_location",
            Body::AssertLocation {
                device,
                h3_cell: 0x8c2a100d2c0a5ff,
                antenna: Antenna {
                    gain_cdbi: -120,
                    elevation_m: 15,
                    azimuth_deg: 270,
                },
            },
        ),
        (
            "buy_data_credits",
            Body::BuyDataCredits {
                amount: Amount(2_500_000),
                beneficiary: Address([0x0c; 20]),
            },
        ),
        (
            "settle_data_session",
            Body::SettleDataSession(
                DataSession {
                    hotspot: key(6).public_key(),
                    subscriber: key(5).public_key(),
                    session: 9,
                    epoch: 4,
                    bytes_up: 1_000,
                    bytes_down: 250_000,
                }
                .sign("plexus-wire", &key(5), &key(6)),
            ),
        ),
        (
            "buy_data",
            Body::BuyData {
                epoch: 7,
                data_set: "weather/851e3503fffffff".into(),
                max_price: Amount(20_000_000),
            },
        ),
    ]
}

fn sign(body: Body) -> SignedTx {
    UnsignedTx {
        chain_id: "plexus-wire".into(),
        nonce: 17,
        fee: Amount(1_000),
        body,
    }
    .sign(&key(3))
}

/// The exact signed bytes of each sample, in hex, as `samples()` lists them.
const PINNED: &[(&str, &str)] = &[
    ("transfer", "0a550a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d11811220431303030521c0a1409090909090909090909090909090909090909091204313030301240e3940b5c8b2e4ae84afa6e8cc77e08c51e062c512727ab956201e44c2ee9e1e041fd7e9ed56cf13e176d8275a1e7c21789de01e0e8eef1b74671882775e76106"),
    ("register_device", "0aea010a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d118112204313030305ab0010a20ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c120773746f726167651a2e0808108080011a087274782d343039302080c00128013216687474703a2f2f3132372e302e302e313a323636363020ffffe7daf2a0a8d1082a07353030303030303240d8b765024ad9d8bd28226ce3ea244940d4ad43102d101d4374071598db06f570c82c854b35f363f53dfb48d2f80a14d6ca5859d729440e0786448db12e1d130e124041ce68c42a86f6b671e808ae46654fd9f0fc96e9ef1a10dbaa10c5eca877ab802006489e8ec67e5123defa706f95dad31b48f1ab8378a13c1fc48eb0b8c3110d"),
    ("update_device", "0a90010a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1181122043130303062570a20ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c12310808108080011a087274782d343039302080c0012801321968747470733a2f2f626c6f62732e6578616d706c652e6f7267182a1240572f6d6d60e74c8852617e0549b0ba2fb80071b19bb665c0f82d86792ced6db8bb27ef3e2ef7e9e772c959572c307c2321a82343fc5c4f94537d5c9eebfd8e07"),
    ("retire_device", "0a5b0a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d118112204313030306a220a20ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c1240c2410c4af678fdb17a490d11735e867718a2e8950fbeb19e02a759ed7b44c79572549bee69d72ffcb3a222e6ed414e96ee4f8ce9ad099b2a1861cecf9212cf06"),
    ("withdraw_stake", "0a5b0a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1181122043130303072220a20ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c124037b695bf677f5ec2c8ce40abd81e43ff4216b8a4d8e24818a4a09d5f31516dea8f86f587773c3e12c3bbf31524c8f5754c90fed31ecd271bdde36eef6c8fbe09"),
    ("submit_manifest", "0a9f010a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d118112204313030307a6608031207636f6d707574651a20333333333333333333333333333333333333333333333333333333333333333322153132333435363738393030303030303030303030302a2044444444444444444444444444444444444444444444444444444444444444441240628fb3d2d5eef621955532547c2e0277cce446eba67eeff644a0878017116e71d4602e4a1334b22ea5be9808e6b7801f6ca648551fd74196b0d391324e66dc0f"),
    ("claim_reward", "0aca010a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1181122043130303082018f010804120773746f726167651a20ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c221405050505050505050505050505050505050505052a023737300238054220111111111111111111111111111111111111111111111111111111111111111142202222222222222222222222222222222222222222222222222222222222222222124026855e54875c7d4395be08f0bab347e93079b6db1db43f0f53d3218ccc7317ba21481293196b9258de3fa5a1841fe7698407e2a591fa017e164a1227ac80de0e"),
    ("compute_fraud", "0ab6020a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d118112204313030308a01fb010a20ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c122055555555555555555555555555555555555555555555555555555555555555551840222066666666666666666666666666666666666666666666666666666666666666662a40d8b765024ad9d8bd28226ce3ea244940d4ad43102d101d4374071598db06f570c82c854b35f363f53dfb48d2f80a14d6ca5859d729440e0786448db12e1d130e30023a070102ac02f0a20440054a2011111111111111111111111111111111111111111111111111111111111111114a2022222222222222222222222222222222222222222222222222222222222222221240cbca5b963cc781e365c05b87147e4101c1a8c3c03fb487e5e3c2437f2493e3212c2d77c15c6fd87691e661f32817d984e1045fe0b120840c269e20db470dce03"),
    ("storage_deal", "0a660a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1181122043130303092012c0a2077777777777777777777777777777777777777777777777777777777777777771080201803200a2a013712407eae61dd571d87aa16b5335a3fd0ddb194956fa2ef464e25a8273dfd118eb0257c2505e31b3f2e402a773eea805f36a73f0d0e61931d838a7c86e3ebc15b9109"),
    ("storage_audit", "0aae010a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d118112204313030309a017408061224080112201398f62c6d1a457c51ba6a4b5f3dbd2f69fca93216218dc8997e416bd17d93ca122408011220ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c1224080212201398f62c6d1a457c51ba6a4b5f3dbd2f69fca93216218dc8997e416bd17d93ca124088a3804e93af2297df2830309f318b09b6c3f0b8901b4fa0a36feb83fcc547c241b6696da98b2575d0db43de56311fb73d4d47718c1c88809faaee1afe45840b"),
    ("create_training_task", "0aa4010a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d11811220431303030a2016a0a0c6d6e6973742d64696769747312187b226d6f64656c223a226d6c70222c226c72223a302e317d1a202a635e812b6ad9a1dc68c625eaa3a3e319530daa44a4212b4fd2b5178af0ff79200528023204313030303a14060606060606060606060606060606060606060612406ce1831ef997295dabd12f57a3429862816d8c85b324089552cf4125366727ea656c49d8f11f2cf6208a1aff845e0e3eb1e9b3afdb99cd869f8bc52cf9177b07"),
    ("join_training_task", "0a3c0a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d11811220431303030aa010208091240fc799438e07a7927692386cc210896bcba482c74a75b544a95719fafe634f5a82e04a9086f7ce5b54fc0460ae23c10ab3168c476ba44b0c324f73b3259d7b80a"),
    ("submit_training_round", "0abf010a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d11811220431303030b2018401080910021a2099999999999999999999999999999999999999999999999999999999999999992220aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa28d9d7373090a10f3a180a140101010101010101010101010101010101010101100a3a180a1402020202020202020202020202020202020202021014124024a7713455bc45345c78349317835d81df6c812970f5c66eb5f13f39ab47bb7474a127818992670624174cdbad54d7ce73c321b101053c903a9faac6f1fc0501"),
    ("cancel_training_task", "0a3c0a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d11811220431303030ba0102080912407fadf56109ddf2f5722601a142a3e85ff7d62f96e7a08c0cb050fcb2faede8faa36fa2a9fb2e9aa620e14d90e0aedc808c23c580af75c2b44204d1a1c1b65301"),
    ("create_order", "0a91010a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d11811220431303030c201570a20bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb1209696e666572656e63651a160808108080011a087274782d343039302080c0012801220235302864300238fa01420531303030301240cfc37288e7afad31b8fb4f265caaadc9643871f4cd674bdb7e7dea8c3737b693e7363891679e57a5771399392aa432b3f3347ff9abe18592f3eaa1adf763cf0b"),
    ("place_bid", "0a680a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d11811220431303030ca012e080b1220ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c1a023430220432303030124070e9286eab7ff89d451022c045d9fe5bcafdad45ad1f599455ac2105fa2233dfffe407dc5fbccd650bf8e07df525a2b503a861d9140e7f4ce63274ab7f640205"),
    ("close_bid", "0a3c0a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d11811220431303030d20102080c1240c767812bc8ae7f2c0e798519b9c31a35b02a36acc6b0343965c50d86b1dcf78500c69452124a9dc49fd64c5b8a1cfab0e0f16a45559f5e18cde8b9dc78ded90f"),
    ("seal_job_result", "0a5e0a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d11811220431303030fa0124080d1220dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd1240e0551830adf9bfe5b8d0c904134a3e9b1efdeb0f613cc33dd28d87a226a14a7b162f4aa7c1e2029e0ef497799caeaefb7baaf9f4b471af1bfe17c83d64c2180b"),
    ("submit_job_result", "0a84010a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d11811220431303030da014a080d1220cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc1a020e0f2220eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee124040070697a7059f434f6da149074762b39a7213f5874bc85ab48eb8d6c747cacb5b27a50518d6b22712ce27a19900bc9bf54c94698cd8e23e24bc3fa2c7f76007"),
    ("withdraw_lease", "0a3c0a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d11811220431303030e20102080d1240f6050b9c72ff0f5c0c5c384ee4819a543c5153ebd7866b975e12edfc620bcf407175de1b8e536a9dbcc00bbb655ac81b2b08cfea8485a35e4639c03207bbdf00"),
    ("close_lease", "0a3c0a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d11811220431303030ea0102080d124068a2acbe7b43e42e98bd84e509cff25111a482360d5bece986ae7e36af0892ca5e278097289e61a994deb5d4df90d60a8bc83b45dee8802c1400ccc48b185803"),
    ("close_order", "0a3c0a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d11811220431303030f20102080b12404f735d84b8e178279b7236fd7ccd11459868d5e6e6cf094ba6ef64d44212c244cac4cd426f177028c30b6b45c34a219a18f6ecb93e372c940bdfaf5ad9893206"),
    ("create_validator", "0a790a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1181122043130303082023f0a20ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c10f4031a0f3132372e302e302e313a32363635362207313030303030301240f779665b6362e49bb7609f33068a8e37b911408f8924fa7439a3948a6b21df35f5b63889ac6400260304bcbb64305b6f73e6c2f192dceded2af2acad57cca500"),
    ("edit_validator", "0a3d0a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d118112204313030308a020308bc051240ca9b34ca13004dfea3053c21e2c2c6418881af84db290ab670973e914136724d9a564e226272c83f388ffcb88a382f2352596764796baa149c58a4d694914f07"),
    ("stake", "0a540a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1181122043130303092021a0a140a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a120234321240d6f217982dea3e0ffcb67a8f5c9db93b9ddeecd8daa5fd2322b08f384ebf4e976a2e55f23c761708dd6d2747efee20ffd045dde6038efbf40ab0368894e6450b"),
    ("unstake", "0a540a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d118112204313030309a021a0a140a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a1202343112409d47037edc746c1c19a0fd042eef4f90a46ac948a91c4f9272f62e049e7ed763029c8d1a4e1465963e43fb4cffb20eda84bcf2add2eebb4e2acf773a505b8509"),
    ("redelegate", "0a6a0a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d11811220431303030a202300a140a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a12140b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b1a02343012406c3199e15b7cb0f22d1f7fbdf6aa9d9ea02472b757911bcf8838dcf9a483ecb7d0940cf4a2d40dedebad40d25bb27d43e1dd83e2f366883f993aada3e178810c"),
    ("withdraw_staking_rewards", "0a500a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d11811220431303030aa02160a140a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a1240a22907092cad61cb636553af410d150840daa088ebbc35e1492c6133a1370988f1bf6f5761bb79b69389e767843b3b894309148593f3327930964b2560754c01"),
    ("report_double_sign", "0ab7020a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d11811220431303030b202fc010a20ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c126a1002184d204c2a2031313131313131313131313131313131313131313131313131313131313131313240d8b765024ad9d8bd28226ce3ea244940d4ad43102d101d4374071598db06f570c82c854b35f363f53dfb48d2f80a14d6ca5859d729440e0786448db12e1d130e1a6c08011002184d204b2a2032323232323232323232323232323232323232323232323232323232323232323240d8b765024ad9d8bd28226ce3ea244940d4ad43102d101d4374071598db06f570c82c854b35f363f53dfb48d2f80a14d6ca5859d729440e0786448db12e1d130e1240e8051d4133270c080db75a564520296002d227d9498f0d37bdb171b58fcefaf5711ea626936bf8052096551889fd6bdb172c56feabbce55cca33dbe17fdab306"),
    ("unjail", "0a3a0a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d11811220431303030ba02001240ea2356dc885d94826752ced234ae37e92f490fdec8620a4890783bd9dff54dc89b54b107dd1581fc961b424223c5bf8c620be297b8fd0b01ee9c180d1ce7530a"),
    ("assert_location", "0a700a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d11811220431303030c202360a20ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c10ffcb82968da0a8e1081a0808ef01100f188e0212403df6128adfbdea1683fbf3b4f7824f3cd0c9d014b1c83a05defefeb35dee2fb8807ef77b62cfef798b4921be36271db5d62715eb7d037d343d02ec11782ef10a"),
    ("buy_data_credits", "0a590a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d11811220431303030ca021f0a073235303030303012140c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c12404b407a853e286b81c8ee075e3d259ead128892a19e402ad6444fd97554b95793897082d4f392c69eb6619a38c9500c6423817701a1eb72ba837c9b3eca575708"),
    ("settle_data_session", "0a91020a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d11811220431303030d202d6010ad3010a208a875fff1eb38451577acd5afee405456568dd7c89e090863a0557bc7af49f1712206e7a1cdd29b0b78fd13af4c5598feff4ef2a97166e3ca6f2e4fbfccd80505bf11809200428e8073090a10f3a406950b60f14fd68e24074401fbeca2ae428ca8ce8cb831a758f46d8a3f680ec807c52d1ad122170cf04d90bc9bf316d1991424c082ebc6dbffdfde7ee68fac60c42408f70d037c5ac5cf163308701671d834d3f1b0f93ab5b566ee8244f49e79fda1f399b2e90dc9943d867e040b70d970d42a9b488fbde14606d499527805159210d1240e6e803001301a96c10edd0a14f6aa8f2676fb809c80f52054db3153de25426cad36af8427c33068e791882e6114f6eda253160e676ef844de4fb53473342fd0b"),
    ("buy_data", "0a5f0a0b706c657875732d776972651220ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d11811220431303030da022508071217776561746865722f3835316533353033666666666666661a0832303030303030301240f96403a44b34a95c232e0ab3fb82e065f4b63c172ada3596c2f6e0964efb57dddb641efa50bad929ecf552fd27f9b8ab40e4af13c17537102d8f5be1a3a06305"),
];

#[test]
fn every_body_variant_has_a_sample() {
    // A new variant must be added to `samples()`; this match stops compiling until it is.
    for (_, body) in samples() {
        match body {
            Body::Transfer { .. }
            | Body::RegisterDevice { .. }
            | Body::UpdateDevice { .. }
            | Body::RetireDevice { .. }
            | Body::WithdrawStake { .. }
            | Body::SubmitManifest { .. }
            | Body::ClaimReward(_)
            | Body::ComputeFraud(_)
            | Body::StorageDeal(_)
            | Body::StorageAudit { .. }
            | Body::CreateTrainingTask(_)
            | Body::JoinTrainingTask { .. }
            | Body::SubmitTrainingRound(_)
            | Body::CancelTrainingTask { .. }
            | Body::CreateOrder(_)
            | Body::PlaceBid { .. }
            | Body::CloseBid { .. }
            | Body::SealJobResult { .. }
            | Body::SubmitJobResult(_)
            | Body::WithdrawLease { .. }
            | Body::CloseLease { .. }
            | Body::CloseOrder { .. }
            | Body::CreateValidator { .. }
            | Body::EditValidator { .. }
            | Body::Stake { .. }
            | Body::Unstake { .. }
            | Body::Redelegate { .. }
            | Body::WithdrawStakingRewards { .. }
            | Body::ReportDoubleSign(_)
            | Body::Unjail
            | Body::AssertLocation { .. }
            | Body::BuyDataCredits { .. }
            | Body::SettleDataSession(_)
            | Body::BuyData { .. } => {}
        }
    }
    assert_eq!(samples().len(), 34);
}

#[test]
fn every_body_variant_encodes_to_its_pinned_bytes() {
    let actual: Vec<(&str, String)> = samples()
        .into_iter()
        .map(|(name, body)| (name, hex::encode(&sign(body).bytes)))
        .collect();
    if std::env::var_os("PLEXUS_PRINT_WIRE").is_some() {
        for (name, hex) in &actual {
            println!("    (\"{name}\", \"{hex}\"),");
        }
    }
    assert_eq!(actual.len(), PINNED.len(), "one pinned encoding per sample");
    for ((name, hex), (pinned_name, pinned_hex)) in actual.iter().zip(PINNED) {
        assert_eq!(name, pinned_name);
        assert_eq!(hex, pinned_hex, "the wire encoding of {name} changed");
    }
}

#[test]
fn every_body_variant_decodes_back_to_the_value_it_was_encoded_from() {
    for (name, body) in samples() {
        let tx = sign(body.clone());
        let back = SignedTx::decode(&tx.bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(back.body, body, "{name}");
        assert_eq!(back, tx, "{name}");
        assert!(back.verify_signature().is_ok(), "{name}");
    }
}
