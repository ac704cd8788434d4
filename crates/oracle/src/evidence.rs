//! The evidence log: every accepted record, appended as a JSON line to its epoch's file and
//! fsync'd before the agent is told it was accepted, so a crash loses nothing acknowledged.
//! When an epoch closes its file is sealed under its content address
//! (`sealed/<blake3>.jsonl`), which is what the manifest for that epoch names as processed.
//! A torn tail (a crash during an append) is cut off on open: it was never acknowledged. A bad
//! line with good lines after it stops the open with its offset, and an append that fails
//! part-way is cut back (see `plexus_durable::append_log`).
//!
//! Once an epoch is closed its records are forgotten from memory ([`EvidenceLog::forget`]):
//! what the oracle holds stays bounded by the open epochs, and the closed ones are read from
//! their sealed files when asked for.

use plexus_durable::append_log::{self, AppendOnly, LogError};
use plexus_types::Hash;
use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};

/// One record as the oracle publishes it: declared with the audit rules that read it.
pub use plexus_rewards::audit::PublishedRecord;

pub struct EvidenceLog {
    dir: PathBuf,
    files: BTreeMap<u64, AppendOnly>,
    records: BTreeMap<u64, Vec<PublishedRecord>>,
    /// Forgotten epochs and the sealed file that holds each one's records.
    forgotten: BTreeMap<u64, PathBuf>,
}

/// An epoch's log as it is published: in memory while the epoch is open, in its sealed file
/// once it was forgotten.
pub enum Published {
    Text(String),
    Sealed(PathBuf),
}

impl Published {
    /// The JSON lines, read from the sealed file if need be.
    pub fn read(self) -> io::Result<String> {
        match self {
            Published::Text(text) => Ok(text),
            Published::Sealed(path) => std::fs::read_to_string(path),
        }
    }
}

fn epoch_file(dir: &Path, epoch: u64) -> PathBuf {
    dir.join(format!("epoch-{epoch:08}.jsonl"))
}

/// Opens an epoch file for appends, cutting off a torn tail; `records` gets its records.
fn open_epoch_file(path: &Path, records: &mut Vec<PublishedRecord>) -> io::Result<AppendOnly> {
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)?;
    let recovered = append_log::read_lines(&file, |_, line| {
        let record = serde_json::from_slice(line).map_err(|e| e.to_string())?;
        records.push(record);
        Ok(())
    })
    .map_err(|e| match e {
        LogError::Io(e) => e,
        LogError::Corrupt(c) => io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {c}", path.display()),
        ),
    })?;
    if recovered.torn > 0 {
        tracing::warn!(file = %path.display(), "evidence log ends in a torn line; cutting it off");
    }
    AppendOnly::resume(file, recovered.end)
}

impl EvidenceLog {
    pub fn open(dir: &Path) -> io::Result<EvidenceLog> {
        std::fs::create_dir_all(dir.join("sealed"))?;
        let mut records: BTreeMap<u64, Vec<PublishedRecord>> = BTreeMap::new();
        let mut names: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("epoch-") && n.ends_with(".jsonl"))
            })
            .collect();
        names.sort();
        for path in names {
            let mut found = Vec::new();
            open_epoch_file(&path, &mut found)?;
            for record in found {
                records.entry(record.epoch()).or_default().push(record);
            }
        }
        Ok(EvidenceLog {
            dir: dir.to_path_buf(),
            files: BTreeMap::new(),
            records,
            forgotten: BTreeMap::new(),
        })
    }

    /// Appends records durably (one fsync per epoch file touched).
    pub fn append(&mut self, new: &[PublishedRecord]) -> io::Result<()> {
        let mut by_epoch: BTreeMap<u64, Vec<&PublishedRecord>> = BTreeMap::new();
        for r in new {
            by_epoch.entry(r.epoch()).or_default().push(r);
        }
        for (epoch, rs) in by_epoch {
            let mut buf = Vec::new();
            for r in &rs {
                serde_json::to_writer(&mut buf, r).map_err(io::Error::other)?;
                buf.push(b'\n');
            }
            let file = match self.files.get_mut(&epoch) {
                Some(f) => f,
                None => {
                    // Its records are in memory already (read at open, or appended since).
                    let f = open_epoch_file(&epoch_file(&self.dir, epoch), &mut Vec::new())?;
                    self.files.entry(epoch).or_insert(f)
                }
            };
            file.append(&buf)?;
            self.records
                .entry(epoch)
                .or_default()
                .extend(rs.into_iter().cloned());
        }
        Ok(())
    }

    pub fn records(&self, epoch: u64) -> &[PublishedRecord] {
        self.records.get(&epoch).map_or(&[], |v| v.as_slice())
    }

    /// The epochs whose records are in memory.
    pub fn epochs(&self) -> impl Iterator<Item = u64> + '_ {
        self.records.keys().copied()
    }

    pub fn all(&self) -> impl Iterator<Item = &PublishedRecord> {
        self.records.values().flatten()
    }

    /// The epoch's log as published: JSON lines in acceptance order.
    pub fn jsonl(&self, epoch: u64) -> String {
        let mut out = String::new();
        for r in self.records(epoch) {
            out.push_str(&serde_json::to_string(r).expect("records serialize"));
            out.push('\n');
        }
        out
    }

    /// Seals an epoch's log under its content address; returns the address.
    pub fn seal(&mut self, epoch: u64) -> io::Result<Hash> {
        let sealed = self.sealed(epoch);
        write_sealed(&sealed)?;
        self.release(epoch);
        Ok(sealed.address)
    }

    /// The epoch's log as it will be sealed, to be written by [`write_sealed`] without
    /// holding the log.
    pub fn sealed(&self, epoch: u64) -> SealedLog {
        let text = self.jsonl(epoch);
        let address = Hash::of(text.as_bytes());
        SealedLog {
            path: self
                .dir
                .join("sealed")
                .join(format!("{}.jsonl", address.to_hex())),
            address,
            text,
        }
    }

    /// Closes the epoch's file: nothing more is appended to a sealed epoch.
    pub fn release(&mut self, epoch: u64) {
        self.files.remove(&epoch);
    }

    /// Drops a closed epoch's records from memory, once they are durable in their sealed file
    /// (written now if a crash came before it was); [`EvidenceLog::published`] reads them
    /// from there.
    pub fn forget(&mut self, epoch: u64) -> io::Result<()> {
        if !self.records.contains_key(&epoch) {
            return Ok(());
        }
        let sealed = self.sealed(epoch);
        write_sealed(&sealed)?;
        self.files.remove(&epoch);
        self.records.remove(&epoch);
        self.forgotten.insert(epoch, sealed.path);
        Ok(())
    }

    /// The epoch's log as published (JSON lines in acceptance order), or where it lies once
    /// forgotten.
    pub fn published(&self, epoch: u64) -> Published {
        match self.forgotten.get(&epoch) {
            Some(path) => Published::Sealed(path.clone()),
            None => Published::Text(self.jsonl(epoch)),
        }
    }
}

/// An epoch's log, its content address and the file it is sealed in.
pub struct SealedLog {
    pub address: Hash,
    pub text: String,
    path: PathBuf,
}

/// Writes a sealed log under its content address (once: the address names the content).
pub fn write_sealed(sealed: &SealedLog) -> io::Result<()> {
    if !sealed.path.exists() {
        plexus_durable::write_durably(&sealed.path, sealed.text.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn beat(epoch: u64, interval: u32) -> PublishedRecord {
        PublishedRecord::Heartbeat {
            device: plexus_types::SecretKey::from_seed([1; 32]).public_key(),
            epoch,
            interval,
            signed: "00".into(),
        }
    }

    #[test]
    fn a_forgotten_epoch_leaves_memory_and_is_published_from_its_sealed_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = EvidenceLog::open(dir.path()).unwrap();
        log.append(&[beat(1, 0), beat(1, 1), beat(2, 0)]).unwrap();
        let before = log.jsonl(1);
        log.forget(1).unwrap();
        assert!(log.records(1).is_empty());
        assert_eq!(log.all().count(), 1, "only the open epoch stays in memory");
        let Published::Sealed(path) = log.published(1) else {
            panic!("a forgotten epoch is published from its sealed file");
        };
        assert_eq!(std::fs::read_to_string(path).unwrap(), before);
        assert_eq!(log.published(1).read().unwrap(), before);
        assert_eq!(log.published(2).read().unwrap(), log.jsonl(2));

        // After a restart the epoch files are read again; forgetting again gives the same
        // sealed file.
        drop(log);
        let mut log = EvidenceLog::open(dir.path()).unwrap();
        assert_eq!(log.jsonl(1), before);
        log.forget(1).unwrap();
        assert_eq!(log.published(1).read().unwrap(), before);
    }

    #[test]
    fn records_survive_a_restart_and_a_torn_line_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut log = EvidenceLog::open(dir.path()).unwrap();
            log.append(&[beat(1, 0), beat(1, 1), beat(2, 0)]).unwrap();
        }
        let mut f = OpenOptions::new()
            .append(true)
            .open(epoch_file(dir.path(), 1))
            .unwrap();
        f.write_all(b"{\"kind\":\"heartbeat\",\"dev").unwrap();
        drop(f);
        let mut log = EvidenceLog::open(dir.path()).unwrap();
        assert_eq!(log.records(1), &[beat(1, 0), beat(1, 1)]);
        assert_eq!(log.records(2), &[beat(2, 0)]);
        log.append(&[beat(1, 2)]).unwrap();
        let sealed = log.seal(1).unwrap();
        assert_eq!(sealed, Hash::of(log.jsonl(1).as_bytes()));
        let again = EvidenceLog::open(dir.path()).unwrap();
        assert_eq!(again.records(1).len(), 3);
    }

    fn append_raw(path: &Path, bytes: &[u8]) {
        let mut f = OpenOptions::new().append(true).open(path).unwrap();
        f.write_all(bytes).unwrap();
    }

    fn line(record: &PublishedRecord) -> Vec<u8> {
        let mut bytes = serde_json::to_vec(record).unwrap();
        bytes.push(b'\n');
        bytes
    }

    #[test]
    fn a_torn_evidence_append_is_truncated_and_later_appends_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = EvidenceLog::open(dir.path()).unwrap();
        log.append(&[beat(1, 0)]).unwrap();
        // A full disk stops an append part-way: half a line stays in the file and the oracle
        // carries on once space is freed.
        append_raw(&epoch_file(dir.path(), 1), b"{\"kind\":\"heartbeat\",\"dev");
        log.append(&[beat(1, 1), beat(1, 2)]).unwrap();
        assert_eq!(log.records(1), &[beat(1, 0), beat(1, 1), beat(1, 2)]);
        drop(log);

        let mut log = EvidenceLog::open(dir.path()).unwrap();
        assert_eq!(log.records(1), &[beat(1, 0), beat(1, 1), beat(1, 2)]);
        log.append(&[beat(1, 3)]).unwrap();
        drop(log);
        let log = EvidenceLog::open(dir.path()).unwrap();
        assert_eq!(
            log.records(1),
            &[beat(1, 0), beat(1, 1), beat(1, 2), beat(1, 3)]
        );
    }

    #[test]
    fn corruption_in_the_middle_of_the_evidence_log_is_reported_with_its_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = epoch_file(dir.path(), 1);
        let first = line(&beat(1, 0));
        let mut bytes = first.clone();
        bytes.extend_from_slice(b"{\"kind\":\"heartbeat\",\"dev\n");
        bytes.extend_from_slice(&line(&beat(1, 1)));
        std::fs::write(&path, &bytes).unwrap();

        let message = match EvidenceLog::open(dir.path()) {
            Ok(log) => panic!("opened with {} records", log.records(1).len()),
            Err(e) => e.to_string(),
        };
        assert!(
            message.contains(&format!("byte {}", first.len())),
            "{message}"
        );
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "nothing was cut off");
    }
}
