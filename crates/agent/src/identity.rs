//! The device key: the identity under which the device is registered, heartbeats and signs
//! its challenge answers. It lives in `<data_dir>/device_key.json`, made once and never
//! replaced, because a new key is a new device (and a new stake to bond).

use plexus_types::{PublicKey, SecretKey};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const DEVICE_KEY_FILE: &str = "device_key.json";

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the device key {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the device key {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the device key {path} is damaged: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error(
        "the device key {path} is readable by other users (mode {mode:o}); run `chmod 600 {path}`"
    )]
    TooOpen { path: PathBuf, mode: u32 },
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    /// Stored so that a person can tell which device a file belongs to without the tools.
    public_key: PublicKey,
    secret_key: String,
}

/// The device's key pair, loaded from or created in the data directory.
#[derive(Debug, Clone)]
pub struct DeviceIdentity {
    key: SecretKey,
}

impl DeviceIdentity {
    /// Loads the device key from `data_dir`, creating the directory and a fresh key the first
    /// time. An existing key is never overwritten, even when it cannot be read.
    pub fn load_or_create(data_dir: &Path) -> Result<DeviceIdentity, IdentityError> {
        create_private_dir(data_dir)?;
        let path = data_dir.join(DEVICE_KEY_FILE);
        match DeviceIdentity::load(&path) {
            Err(IdentityError::Read { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                DeviceIdentity::create(&path)
            }
            other => other,
        }
    }

    pub fn secret_key(&self) -> &SecretKey {
        &self.key
    }

    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    fn load(path: &Path) -> Result<DeviceIdentity, IdentityError> {
        let read = |source| IdentityError::Read {
            path: path.to_path_buf(),
            source,
        };
        let corrupt = |reason: String| IdentityError::Corrupt {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(read)?;
        check_private(path)?;
        let file: KeyFile = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
        let bytes = hex::decode(file.secret_key.trim()).map_err(|e| corrupt(e.to_string()))?;
        let key = SecretKey::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
        if key.public_key() != file.public_key {
            return Err(corrupt(
                "the public key does not belong to the secret key".into(),
            ));
        }
        Ok(DeviceIdentity { key })
    }

    fn create(path: &Path) -> Result<DeviceIdentity, IdentityError> {
        let key = SecretKey::generate();
        let file = KeyFile {
            public_key: key.public_key(),
            secret_key: hex::encode(key.to_bytes()),
        };
        let write = |source| IdentityError::Write {
            path: path.to_path_buf(),
            source,
        };
        let text =
            serde_json::to_string_pretty(&file).map_err(|e| write(std::io::Error::other(e)))?;
        let mut options = std::fs::OpenOptions::new();
        // `create_new` fails if another process made the file in the meantime, so two agents
        // started at once cannot end up with different keys for one data directory.
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut out = options.open(path).map_err(write)?;
        out.write_all(text.as_bytes()).map_err(write)?;
        out.write_all(b"\n").map_err(write)?;
        out.sync_all().map_err(write)?;
        // Not `plexus_durable::write_private`: its rename would replace a key another agent
        // just created. The file is new and synced; syncing the directory makes its name
        // survive a crash too.
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(write)?;
        tracing::info!(device = %key.public_key(), path = %path.display(), "created a new device key");
        Ok(DeviceIdentity { key })
    }
}

fn create_private_dir(dir: &Path) -> Result<(), IdentityError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|source| IdentityError::DataDir {
            path: dir.to_path_buf(),
            source,
        })
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), IdentityError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|source| IdentityError::Read {
            path: path.to_path_buf(),
            source,
        })?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(IdentityError::TooOpen {
            path: path.to_path_buf(),
            mode: mode & 0o777,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), IdentityError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_start_creates_a_private_key_and_later_starts_reuse_it() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = DeviceIdentity::load_or_create(&data).unwrap();
        let again = DeviceIdentity::load_or_create(&data).unwrap();
        assert_eq!(first.public_key(), again.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(data.join(DEVICE_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_damaged_key_file_is_reported_and_left_in_place() {
        let dir = tempfile::tempdir().unwrap();
        DeviceIdentity::load_or_create(dir.path()).unwrap();
        let path = dir.path().join(DEVICE_KEY_FILE);
        std::fs::write(&path, "{ not json").unwrap();
        let err = DeviceIdentity::load_or_create(dir.path()).unwrap_err();
        assert!(matches!(err, IdentityError::Corrupt { .. }), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ not json");
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_readable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        DeviceIdentity::load_or_create(dir.path()).unwrap();
        let path = dir.path().join(DEVICE_KEY_FILE);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = DeviceIdentity::load_or_create(dir.path()).unwrap_err();
        assert!(
            matches!(err, IdentityError::TooOpen { mode: 0o644, .. }),
            "{err}"
        );
    }
}
