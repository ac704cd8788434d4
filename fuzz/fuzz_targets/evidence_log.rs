//! The oracle reads its evidence log on every start, after crashes and full disks, so the scan
//! must take any bytes without panicking and give one of two answers: the whole lines up to a
//! torn tail that may be cut off, or corruption at the offset of the first bad line, with a
//! record after it (never dropping records silently). What it accepts must seal to the same
//! records, since the sealed file is what a third party rechecks.

#![no_main]

use libfuzzer_sys::fuzz_target;
use plexus_durable::append_log::{read_lines, LogError};
use plexus_rewards::audit::PublishedRecord;

fn parse(line: &[u8]) -> Result<PublishedRecord, String> {
    serde_json::from_slice(line).map_err(|e| e.to_string())
}

fuzz_target!(|data: &[u8]| {
    let mut offsets = Vec::new();
    let outcome = read_lines(data, |offset, line| {
        let record = parse(line)?;
        let sealed = serde_json::to_string(&record).expect("a parsed record serializes");
        assert_eq!(parse(sealed.as_bytes()).as_ref(), Ok(&record));
        offsets.push(offset);
        Ok(())
    });
    assert!(offsets.windows(2).all(|pair| pair[0] < pair[1]));
    match outcome {
        Ok(recovered) => {
            assert_eq!(recovered.end + recovered.torn, data.len() as u64);
            let kept = &data[..recovered.end as usize];
            assert!(kept.is_empty() || kept.ends_with(b"\n"));
            assert_eq!(offsets.len(), kept.iter().filter(|b| **b == b'\n').count());
        }
        Err(LogError::Corrupt(c)) => {
            assert!(c.offset < c.next_record);
            assert!(c.offset == 0 || data[c.offset as usize - 1] == b'\n');
            let next = &data[c.next_record as usize..];
            let end = next.iter().position(|b| *b == b'\n').expect("a whole line");
            assert!(
                parse(&next[..end]).is_ok(),
                "a record follows the corruption"
            );
        }
        Err(LogError::Io(e)) => panic!("reading bytes in memory failed: {e}"),
    }
});
