use super::*;
use proptest::prelude::*;
use std::cell::{Cell, RefCell};

const MAGIC: [u8; 4] = *b"TST1";

/// Storage in memory whose next write stops after `fail_after` bytes, and whose next fsync
/// can fail, as a full disk or a failing device does.
#[derive(Default)]
struct FaultyDisk {
    bytes: RefCell<Vec<u8>>,
    fail_after: Option<usize>,
    fail_sync: Cell<bool>,
}

impl Write for FaultyDisk {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.fail_after.take() {
            Some(0) => Err(io::Error::new(io::ErrorKind::StorageFull, "disk full")),
            Some(n) => {
                let n = n.min(buf.len());
                self.bytes.borrow_mut().extend_from_slice(&buf[..n]);
                self.fail_after = Some(0);
                Ok(n)
            }
            None => {
                self.bytes.borrow_mut().extend_from_slice(buf);
                Ok(buf.len())
            }
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Segment for FaultyDisk {
    fn sync_data(&self) -> io::Result<()> {
        if self.fail_sync.replace(false) {
            return Err(io::Error::other("fsync failed"));
        }
        Ok(())
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.bytes.borrow_mut().resize(len as usize, 0);
        Ok(())
    }
    fn size(&self) -> io::Result<u64> {
        Ok(self.bytes.borrow().len() as u64)
    }
}

fn frames_of(log: &[u8]) -> Result<(Vec<Vec<u8>>, Recovered), LogError> {
    let mut bodies = Vec::new();
    let recovered = read_frames(log, MAGIC, |offset, len| {
        let start = (offset + FRAME_HEADER_LEN) as usize;
        bodies.push(log[start..(offset + len) as usize].to_vec());
    })?;
    Ok((bodies, recovered))
}

#[test]
fn an_append_that_fails_part_way_leaves_only_whole_records_and_the_next_append_follows_them() {
    let mut log = AppendOnly::resume(FaultyDisk::default(), 0).unwrap();
    log.append(&frame(MAGIC, b"one")).unwrap();
    log.file.fail_after = Some(5);
    assert_eq!(
        log.append(&frame(MAGIC, b"two")).unwrap_err().kind(),
        io::ErrorKind::StorageFull
    );
    log.file.fail_sync.set(true);
    assert!(log.append(&frame(MAGIC, b"three")).is_err());
    assert_eq!(log.append(&frame(MAGIC, b"four")).unwrap(), log.len() - 16);

    let bytes = log.file.bytes.borrow().clone();
    let (bodies, recovered) = frames_of(&bytes).unwrap();
    assert_eq!(bodies, vec![b"one".to_vec(), b"four".to_vec()]);
    assert_eq!(recovered.torn, 0);
}

#[test]
fn a_log_shorter_than_its_whole_records_is_refused_not_padded() {
    let mut log = AppendOnly::resume(FaultyDisk::default(), 0).unwrap();
    log.append(b"12345\n").unwrap();
    log.file.bytes.borrow_mut().truncate(2);
    assert_eq!(
        log.append(b"6\n").unwrap_err().kind(),
        io::ErrorKind::UnexpectedEof
    );
}

#[test]
fn resuming_a_log_cuts_its_torn_tail_off() {
    let disk = FaultyDisk::default();
    disk.bytes.borrow_mut().extend_from_slice(b"a\nb\nhalf");
    let log = AppendOnly::resume(disk, 4).unwrap();
    assert_eq!(log.file.bytes.borrow().as_slice(), b"a\nb\n");
}

/// Accepts lines `r<number>`, the records of the line-log properties.
fn numbered(line: &[u8]) -> Result<u64, String> {
    let text = std::str::from_utf8(line).map_err(|e| e.to_string())?;
    let digits = text.strip_prefix('r').ok_or("no r")?;
    digits.parse::<u64>().map_err(|e| e.to_string())
}

fn lines_of(log: &[u8]) -> Result<(Vec<u64>, Vec<u64>, Recovered), LogError> {
    let (mut records, mut offsets) = (Vec::new(), Vec::new());
    let recovered = read_lines(log, |offset, line| {
        records.push(numbered(line)?);
        offsets.push(offset);
        Ok(())
    })?;
    Ok((records, offsets, recovered))
}

#[test]
fn a_last_line_without_its_newline_is_torn_even_when_it_parses() {
    let (records, _, recovered) = lines_of(b"r1\nr2\nr3").unwrap();
    assert_eq!(records, vec![1, 2]);
    assert_eq!(recovered, Recovered { end: 6, torn: 2 });
}

#[test]
fn bad_lines_with_a_good_line_after_them_are_corruption_at_the_first_bad_one() {
    match lines_of(b"r1\nxx\nyy\nr4\n") {
        Err(LogError::Corrupt(c)) => assert_eq!((c.offset, c.next_record), (3, 9)),
        other => panic!("{other:?}"),
    }
}

proptest! {
    #[test]
    fn a_byte_flipped_in_a_frame_log_is_a_torn_tail_only_in_its_last_record(
        bodies in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..8),
        at in any::<prop::sample::Index>(),
        flip in 1u8..,
    ) {
        let mut log = Vec::new();
        let mut starts = Vec::new();
        for body in &bodies {
            starts.push(log.len() as u64);
            log.extend_from_slice(&frame(MAGIC, body));
        }
        let i = at.index(log.len());
        log[i] ^= flip;
        let hit = starts.iter().rposition(|s| *s <= i as u64).unwrap();
        match frames_of(&log) {
            Ok((read, recovered)) => {
                prop_assert_eq!(hit, bodies.len() - 1);
                prop_assert_eq!(&read[..], &bodies[..hit]);
                prop_assert_eq!(recovered.end, starts[hit]);
            }
            Err(LogError::Corrupt(c)) => {
                prop_assert!(hit < bodies.len() - 1);
                prop_assert_eq!(c.offset, starts[hit]);
            }
            Err(e) => prop_assert!(false, "{e}"),
        }
    }

    #[test]
    fn a_frame_log_cut_anywhere_keeps_every_whole_record(
        bodies in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..8),
        at in any::<prop::sample::Index>(),
    ) {
        let log: Vec<u8> = bodies.iter().flat_map(|b| frame(MAGIC, b)).collect();
        let cut = at.index(log.len() + 1);
        let (read, recovered) = frames_of(&log[..cut]).unwrap();
        let whole: Vec<u64> = bodies
            .iter()
            .scan(0u64, |end, b| { *end += FRAME_HEADER_LEN + b.len() as u64; Some(*end) })
            .take_while(|end| *end <= cut as u64)
            .collect();
        prop_assert_eq!(&read[..], &bodies[..whole.len()]);
        prop_assert_eq!(recovered.end, whole.last().copied().unwrap_or(0));
        prop_assert_eq!(recovered.end + recovered.torn, cut as u64);
    }

    #[test]
    fn any_damage_to_a_frame_log_reads_a_prefix_or_names_an_offset(
        bodies in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..6),
        damage in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        tail in prop::collection::vec(any::<u8>(), 0..30),
    ) {
        let mut log: Vec<u8> = bodies.iter().flat_map(|b| frame(MAGIC, b)).collect();
        log.extend_from_slice(&tail);
        for (at, byte) in &damage {
            let i = at.index(log.len().max(1));
            if let Some(b) = log.get_mut(i) {
                *b = *byte;
            }
        }
        let mut offsets = Vec::new();
        let mut chain_end = 0;
        let outcome = read_frames(&log[..], MAGIC, |offset, len| {
            offsets.push(offset);
            chain_end = offset + len;
        });
        for pair in offsets.windows(2) {
            prop_assert!(pair[0] < pair[1]);
        }
        match outcome {
            Ok(recovered) => {
                prop_assert_eq!(recovered.end, chain_end);
                prop_assert_eq!(recovered.end + recovered.torn, log.len() as u64);
            }
            Err(LogError::Corrupt(c)) => {
                prop_assert_eq!(c.offset, chain_end);
                prop_assert!(c.next_record > c.offset);
                prop_assert!(frame_at(&log[..], MAGIC, c.next_record, log.len() as u64)
                    .unwrap()
                    .is_ok());
            }
            Err(e) => prop_assert!(false, "{e}"),
        }
    }

    #[test]
    fn any_damage_to_a_line_log_reads_a_prefix_or_names_an_offset(
        count in 0u64..8,
        damage in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut log: Vec<u8> = (0..count).flat_map(|i| format!("r{i}\n").into_bytes()).collect();
        for (at, byte) in &damage {
            let i = at.index(log.len().max(1));
            if let Some(b) = log.get_mut(i) {
                *b = *byte;
            }
        }
        let log = &log[..cut.index(log.len() + 1)];
        match lines_of(log) {
            Ok((records, offsets, recovered)) => {
                prop_assert_eq!(recovered.end + recovered.torn, log.len() as u64);
                prop_assert!(recovered.end == 0 || log[recovered.end as usize - 1] == b'\n');
                prop_assert_eq!(records.len(), log[..recovered.end as usize]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count());
                prop_assert!(offsets.windows(2).all(|p| p[0] < p[1]));
            }
            Err(LogError::Corrupt(c)) => {
                prop_assert!(c.offset < c.next_record);
                prop_assert!(c.offset == 0 || log[c.offset as usize - 1] == b'\n');
                let next = &log[c.next_record as usize..];
                let line = &next[..next.iter().position(|b| *b == b'\n').unwrap()];
                prop_assert!(numbered(line).is_ok());
            }
            Err(e) => prop_assert!(false, "{e}"),
        }
    }
}
