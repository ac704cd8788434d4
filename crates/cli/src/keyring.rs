//! The keyring: one JSON file per key under `<home>/keyring-<backend>/`.
//!
//! The `file` backend (the default) encrypts each secret key with a key derived from a
//! passphrase by argon2id, under ChaCha20-Poly1305 with the key's name and address as
//! associated data. The `test` backend stores keys unencrypted, for devnets and tests only.

use anyhow::{bail, Context};
use argon2::Argon2;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use plexus_types::{Address, SecretKey};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// Encrypted with a passphrase (from a prompt, PLEXUS_PASSPHRASE, or --passphrase-file).
    File,
    /// Unencrypted, for devnets and tests.
    Test,
}

impl Backend {
    fn dir_name(self) -> &'static str {
        match self {
            Backend::File => "keyring-file",
            Backend::Test => "keyring-test",
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct KeyFile {
    name: String,
    address: Address,
    public_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encrypted: Option<Encrypted>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Encrypted {
    kdf: String,
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
    salt: String,
    nonce: String,
    ciphertext: String,
}

/// A key's public part, as listed.
#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    pub name: String,
    pub address: Address,
    pub public_key: String,
}

/// Where the passphrase for the `file` backend comes from.
#[derive(Debug, Clone, Default)]
pub struct PassphraseSource {
    pub file: Option<PathBuf>,
}

impl PassphraseSource {
    fn get(&self, confirm: bool) -> anyhow::Result<Zeroizing<String>> {
        if let Some(path) = &self.file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading passphrase file {}", path.display()))?;
            return Ok(Zeroizing::new(
                text.trim_end_matches(['\n', '\r']).to_string(),
            ));
        }
        if let Ok(p) = std::env::var("PLEXUS_PASSPHRASE") {
            return Ok(Zeroizing::new(p));
        }
        let first = Zeroizing::new(
            rpassword::prompt_password("Passphrase: ")
                .context("reading the passphrase (set PLEXUS_PASSPHRASE or use --passphrase-file when there is no terminal)")?,
        );
        if confirm {
            let again = Zeroizing::new(rpassword::prompt_password("Repeat passphrase: ")?);
            if *first != *again {
                bail!("the passphrases do not match");
            }
        }
        Ok(first)
    }
}

pub struct Keyring {
    dir: PathBuf,
    backend: Backend,
    passphrase: PassphraseSource,
}

/// Argon2id settings for new keys: 64 MiB, 3 passes (the OWASP recommendation band).
const M_COST_KIB: u32 = 64 * 1024;
const T_COST: u32 = 3;
const P_COST: u32 = 1;

fn check_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        bail!("invalid key name {name:?}: use 1 to 64 letters, digits, '-' or '_'");
    }
    Ok(())
}

fn derive(
    passphrase: &str,
    salt: &[u8],
    m: u32,
    t: u32,
    p: u32,
) -> anyhow::Result<Zeroizing<[u8; 32]>> {
    let params = argon2::Params::new(m, t, p, Some(32))
        .map_err(|e| anyhow::anyhow!("bad key-derivation parameters: {e}"))?;
    let argon = Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase.as_bytes(), salt, key.as_mut())
        .map_err(|e| anyhow::anyhow!("key derivation failed: {e}"))?;
    Ok(key)
}

fn aad(name: &str, address: &Address) -> Vec<u8> {
    format!("plexus-key/{name}/{address}").into_bytes()
}

impl Keyring {
    pub fn open(home: &Path, backend: Backend, passphrase: PassphraseSource) -> Keyring {
        Keyring {
            dir: home.join(backend.dir_name()),
            backend,
            passphrase,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// Stores `key` under `name`. Refuses to overwrite an existing key.
    pub fn add(&self, name: &str, key: &SecretKey) -> anyhow::Result<KeyInfo> {
        check_name(name)?;
        let path = self.path(name);
        if path.exists() {
            bail!(
                "a key named {name:?} already exists in {}",
                self.dir.display()
            );
        }
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating {}", self.dir.display()))?;
        let address = Address::from_public_key(&key.public_key());
        let mut file = KeyFile {
            name: name.to_string(),
            address,
            public_key: key.public_key().to_string(),
            secret_key: None,
            encrypted: None,
        };
        match self.backend {
            Backend::Test => file.secret_key = Some(hex::encode(key.to_bytes())),
            Backend::File => {
                let passphrase = self.passphrase.get(true)?;
                let mut salt = [0u8; 16];
                let mut nonce = [0u8; 12];
                rand::rngs::OsRng.fill_bytes(&mut salt);
                rand::rngs::OsRng.fill_bytes(&mut nonce);
                let k = derive(&passphrase, &salt, M_COST_KIB, T_COST, P_COST)?;
                let cipher = ChaCha20Poly1305::new(k.as_ref().into());
                let secret = Zeroizing::new(key.to_bytes());
                let ciphertext = cipher
                    .encrypt(
                        Nonce::from_slice(&nonce),
                        Payload {
                            msg: secret.as_ref(),
                            aad: &aad(name, &address),
                        },
                    )
                    .map_err(|_| anyhow::anyhow!("encryption failed"))?;
                file.encrypted = Some(Encrypted {
                    kdf: "argon2id".into(),
                    m_cost_kib: M_COST_KIB,
                    t_cost: T_COST,
                    p_cost: P_COST,
                    salt: hex::encode(salt),
                    nonce: hex::encode(nonce),
                    ciphertext: hex::encode(ciphertext),
                });
            }
        }
        let json = serde_json::to_string_pretty(&file)?;
        plexus_durable::write_private(&path, json.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(KeyInfo {
            name: name.to_string(),
            address,
            public_key: file.public_key,
        })
    }

    fn read(&self, name: &str) -> anyhow::Result<KeyFile> {
        check_name(name)?;
        let path = self.path(name);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                anyhow::anyhow!(
                    "no key named {name:?} in {} (see `plexus keys list`{})",
                    self.dir.display(),
                    match self.backend {
                        Backend::File =>
                            "; devnet keys live in the test keyring: add --keyring-backend test",
                        Backend::Test => "",
                    }
                )
            } else {
                anyhow::anyhow!("reading {}: {e}", path.display())
            }
        })?;
        serde_json::from_str(&text).with_context(|| format!("{} is not a key file", path.display()))
    }

    pub fn show(&self, name: &str) -> anyhow::Result<KeyInfo> {
        let f = self.read(name)?;
        Ok(KeyInfo {
            name: f.name,
            address: f.address,
            public_key: f.public_key,
        })
    }

    pub fn list(&self) -> anyhow::Result<Vec<KeyInfo>> {
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e).with_context(|| format!("reading {}", self.dir.display())),
        };
        for entry in entries {
            let path = entry?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            out.push(self.show(name)?);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The secret key `name`, decrypting it if needed.
    pub fn secret(&self, name: &str) -> anyhow::Result<SecretKey> {
        let f = self.read(name)?;
        let key = match (&f.secret_key, &f.encrypted) {
            (Some(hexkey), _) => SecretKey::from_slice(&hex::decode(hexkey)?)?,
            (None, Some(enc)) => {
                if enc.kdf != "argon2id" {
                    bail!("key {name:?} uses an unknown key derivation {:?}", enc.kdf);
                }
                let passphrase = self.passphrase.get(false)?;
                let k = derive(
                    &passphrase,
                    &hex::decode(&enc.salt)?,
                    enc.m_cost_kib,
                    enc.t_cost,
                    enc.p_cost,
                )?;
                let cipher = ChaCha20Poly1305::new(k.as_ref().into());
                let nonce = hex::decode(&enc.nonce)?;
                if nonce.len() != 12 {
                    bail!("key {name:?} is corrupt: bad nonce");
                }
                let secret = Zeroizing::new(
                    cipher
                        .decrypt(
                            Nonce::from_slice(&nonce),
                            Payload {
                                msg: &hex::decode(&enc.ciphertext)?,
                                aad: &aad(name, &f.address),
                            },
                        )
                        .map_err(|_| anyhow::anyhow!("wrong passphrase for key {name:?}"))?,
                );
                SecretKey::from_slice(&secret)?
            }
            (None, None) => bail!("key file for {name:?} holds no secret key"),
        };
        if Address::from_public_key(&key.public_key()) != f.address {
            bail!("key file for {name:?} is corrupt: its secret key does not match its address");
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_encrypted_key_opens_only_with_its_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let pass = dir.path().join("pass");
        std::fs::write(&pass, "correct horse\n").unwrap();
        let ring = Keyring::open(
            dir.path(),
            Backend::File,
            PassphraseSource {
                file: Some(pass.clone()),
            },
        );
        let key = SecretKey::generate();
        let info = ring.add("alice", &key).unwrap();
        assert_eq!(info.address, Address::from_public_key(&key.public_key()));
        let text = std::fs::read_to_string(dir.path().join("keyring-file/alice.json")).unwrap();
        assert!(
            !text.contains(&hex::encode(key.to_bytes())),
            "secret stored in clear"
        );
        assert_eq!(ring.secret("alice").unwrap().to_bytes(), key.to_bytes());

        std::fs::write(&pass, "wrong").unwrap();
        let err = ring.secret("alice").unwrap_err().to_string();
        assert!(err.contains("wrong passphrase"), "{err}");
        assert!(ring.add("alice", &key).is_err(), "overwrote a key");
        assert!(
            ring.add("../etc", &key).is_err(),
            "accepted a path as a name"
        );
    }
}
