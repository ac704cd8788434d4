//! The node reads its block log on every start, after crashes and full disks, so the scan must
//! take any bytes without panicking and give one of two answers: the whole records up to a torn
//! tail that may be cut off, or corruption at the offset where the whole records stop, with a
//! whole record after it (never dropping records silently).

#![no_main]

use libfuzzer_sys::fuzz_target;
use plexus_durable::append_log::{read_frames, LogError, FRAME_HEADER_LEN};
use plexus_types::Block;

/// The block log's record magic (`plexus_chain::blocklog`).
const MAGIC: [u8; 4] = *b"PXB1";

fuzz_target!(|data: &[u8]| {
    let mut records = Vec::new();
    let outcome = read_frames(data, MAGIC, |offset, len| records.push((offset, len)));
    let mut chain_end = 0;
    for (offset, len) in &records {
        assert_eq!(*offset, chain_end, "records are read back to back");
        chain_end = offset + len;
        // What `BlockLog::get` does with a record's body: it may refuse it, never panic.
        let body = &data[(offset + FRAME_HEADER_LEN) as usize..chain_end as usize];
        let _ = Block::decode(body);
    }
    match outcome {
        Ok(recovered) => {
            assert_eq!(recovered.end, chain_end);
            assert_eq!(recovered.end + recovered.torn, data.len() as u64);
        }
        Err(LogError::Corrupt(c)) => {
            assert_eq!(
                c.offset, chain_end,
                "corruption is named where whole records stop"
            );
            assert!(c.next_record > c.offset);
            let mut after = 0;
            let _ = read_frames(&data[c.next_record as usize..], MAGIC, |_, _| after += 1);
            assert!(after > 0, "a whole record follows the corruption");
        }
        Err(LogError::Io(e)) => panic!("reading bytes in memory failed: {e}"),
    }
});
