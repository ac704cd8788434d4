//! Durable file writes: after [`write_durably`] returns, the file holds either its old bytes or
//! all of the new ones, whatever crashes or power cuts follow. Every Plexus program that keeps
//! state in files (node configuration, keys, the oracle's manifests and evidence, the CLI's
//! outputs) writes through here.
//!
//! The bytes go to a temporary file beside the target, which is synced, renamed over the
//! target, and the directory synced so the rename itself survives a crash.
//!
//! Logs that grow by appends (the node's blocks, the oracle's evidence) go through
//! [`append_log`] instead.

pub mod append_log;

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Readable by everyone, writable by the owner.
const PUBLIC_MODE: u32 = 0o644;
/// Readable and writable by the owner only: keys and configuration that names them.
const PRIVATE_MODE: u32 = 0o600;

/// Writes `bytes` to `path` durably (mode 0644 for a new file).
pub fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_with_mode(path, bytes, PUBLIC_MODE)
}

/// Like [`write_durably`], readable by the owner only (mode 0600).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_with_mode(path, bytes, PRIVATE_MODE)
}

/// `path` with `.tmp` appended to its file name: `a/state.json` → `a/state.json.tmp`, so two
/// files that differ only in their extension never share a temporary file.
fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(OsString::from).unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

fn write_with_mode(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let tmp = temporary_path(path);
    {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_durable_write_replaces_the_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write_durably(&path, b"old").unwrap();
        write_durably(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![OsString::from("state.json")]);
    }

    #[test]
    fn a_private_file_is_readable_by_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.json");
        write_private(&path, b"secret").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn files_that_differ_only_in_extension_use_different_temporary_files() {
        assert_ne!(
            temporary_path(Path::new("a/model.bin")),
            temporary_path(Path::new("a/model.json"))
        );
        assert_eq!(
            temporary_path(Path::new("a/model.bin")),
            Path::new("a/model.bin.tmp")
        );
    }
}
