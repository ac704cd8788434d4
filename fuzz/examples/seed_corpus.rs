//! Writes a few valid transactions and blocks as seeds, and a block log and an evidence log
//! built from them. Random bytes almost never carry a valid ed25519 signature, a checksummed
//! record or a JSON record, so without these the fuzzer would never reach the code that runs
//! only for them.
//!
//! Usage: `cargo run --release --example seed_corpus -- [CORPUS_DIR]` (default `corpus`).

use plexus_durable::append_log::frame;
use plexus_rewards::audit::PublishedRecord;
use plexus_types::block::BlockHeader;
use plexus_types::keys::SecretKey;
use plexus_types::{proto, Address, Amount, Block, Body, Hash, SignedTx, UnsignedTx};
use prost::Message;
use std::path::Path;
use std::{env, fs, io};

fn main() -> io::Result<()> {
    let root = env::args().nth(1).unwrap_or_else(|| "corpus".into());
    let txs = transactions();

    let tx_dir = Path::new(&root).join("decode_tx");
    fs::create_dir_all(&tx_dir)?;
    for (i, bytes) in txs.iter().enumerate() {
        fs::write(tx_dir.join(format!("seed-{i:02}")), bytes)?;
    }

    let block_dir = Path::new(&root).join("decode_block");
    fs::create_dir_all(&block_dir)?;
    for (i, count) in [0, 1, 3, txs.len()].into_iter().enumerate() {
        let block = block(7 + i as u64, txs[..count].to_vec());
        fs::write(block_dir.join(format!("seed-{i:02}")), block.encode())?;
    }

    println!(
        "wrote {} transaction seeds to {} and 4 block seeds to {}",
        txs.len(),
        tx_dir.display(),
        block_dir.display()
    );
    write_logs(Path::new(&root), &txs)
}

/// One block log of three blocks (`plexus_chain::blocklog`'s record magic) and one evidence
/// log of a heartbeat and a speed test, as the oracle writes them.
fn write_logs(root: &Path, txs: &[Vec<u8>]) -> io::Result<()> {
    let mut blocks = Vec::new();
    for height in 1..=3 {
        let txs = txs[..height as usize].to_vec();
        blocks.extend_from_slice(&frame(*b"PXB1", &block(height, txs).encode()));
    }
    let dir = root.join("block_log");
    fs::create_dir_all(&dir)?;
    fs::write(dir.join("seed-00"), blocks)?;

    let device = SecretKey::from_seed([1; 32]).public_key();
    let records = [
        PublishedRecord::Heartbeat {
            device,
            epoch: 3,
            interval: 7,
            signed: "00".into(),
        },
        PublishedRecord::SpeedTest {
            device,
            epoch: 3,
            interval: 8,
            endpoint: "127.0.0.1:9000".into(),
            host: "127.0.0.1".into(),
            download_bytes: 1 << 20,
            upload_bytes: 1 << 19,
            download_kbps: 8_000,
            upload_kbps: 4_000,
            latency_ms: 12,
            failure: None,
        },
    ];
    let mut evidence = String::new();
    for record in &records {
        evidence.push_str(&serde_json::to_string(record).expect("records serialize"));
        evidence.push('\n');
    }
    let dir = root.join("evidence_log");
    fs::create_dir_all(&dir)?;
    fs::write(dir.join("seed-00"), evidence)?;
    println!(
        "wrote a block log seed and an evidence log seed under {}",
        root.display()
    );
    Ok(())
}

fn transactions() -> Vec<Vec<u8>> {
    let transfer = |chain_id: &str, nonce, fee, amount| UnsignedTx {
        chain_id: chain_id.into(),
        nonce,
        fee: Amount(fee),
        body: Body::Transfer {
            to: Address([9; 20]),
            amount: Amount(amount),
        },
    };
    let signed: Vec<SignedTx> = vec![
        transfer("plexus-test", 0, 10, 1_000).sign(&SecretKey::from_seed([1; 32])),
        transfer("plexus-test", 1, 0, 1).sign(&SecretKey::from_seed([2; 32])),
        transfer("", u64::MAX, u128::MAX, u128::MAX).sign(&SecretKey::from_seed([3; 32])),
        transfer(&"c".repeat(64), 42, 1, 0).sign(&SecretKey::from_seed([4; 32])),
    ];
    let mut out: Vec<Vec<u8>> = signed.iter().map(|tx| tx.bytes.clone()).collect();

    // A signature over other bytes: decodes, but must not verify.
    let mut forged = proto::SignedTx::decode(signed[0].bytes.as_slice()).expect("own encoding");
    forged.signature = SecretKey::from_seed([5; 32])
        .sign(b"something else")
        .to_bytes()
        .to_vec();
    out.push(forged.encode_to_vec());

    // A non-canonical fee ("010") under a valid signature: the signature covers the bytes, so
    // this verifies although its fields re-encode to different payload bytes.
    let key = SecretKey::from_seed([6; 32]);
    let payload = proto::TxPayload {
        chain_id: "plexus-test".into(),
        signer: key.public_key().as_bytes().to_vec(),
        nonce: 3,
        fee: "010".into(),
        body: Some(proto::tx_payload::Body::Transfer(proto::Transfer {
            to: vec![7; 20],
            amount: "5".into(),
        })),
    }
    .encode_to_vec();
    let mut envelope = proto::SignedTx {
        signature: key.sign(&payload).to_bytes().to_vec(),
        payload,
    }
    .encode_to_vec();
    // An unknown envelope field (tag 15, varint 1) outside the signed bytes.
    envelope.extend_from_slice(&[0x78, 0x01]);
    out.push(envelope);
    out
}

fn block(height: u64, txs: Vec<Vec<u8>>) -> Block {
    Block {
        header: BlockHeader {
            chain_id: "plexus-test".into(),
            height,
            time_ms: 1_700_000_000_000,
            proposer: Address([1; 20]),
            prev_app_hash: Hash([2; 32]),
            tx_root: Block::tx_root(&txs),
            beacon: Vec::new(),
        },
        txs,
    }
}
