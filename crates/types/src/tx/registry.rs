//! The device registry's actions: register, update, retire a device and withdraw its stake,
//! and the capabilities a device declares.

use super::fields::{bad, key_field, name_field};
use super::{Body, TxError};
use crate::amount::Amount;
use crate::keys::{PublicKey, Signature};
use crate::proto;
use proto::tx_payload::Body as P;

/// Longest device class or resource name.
pub const MAX_NAME_LEN: usize = 64;
/// Longest GPU model name.
pub const MAX_GPU_MODEL_LEN: usize = 128;
/// Longest device endpoint URL.
pub const MAX_ENDPOINT_LEN: usize = 256;

/// What a device declares it can do.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Capabilities {
    pub cpu_cores: u32,
    pub memory_mb: u64,
    pub gpu_model: String,
    pub gpu_vram_mb: u64,
    pub gpu_count: u32,
    /// Where the device serves others, an http(s) URL (empty: nowhere). A storage device's
    /// blob service: downloaders fetch replicas there and oracles challenge it there.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub endpoint: String,
    /// An energy meter's solar roof, watts peak (0 for other devices).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rated_watts: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

impl Capabilities {
    /// Whether this device's GPU model names the model `wanted`: `wanted` appears in it, ASCII
    /// letters compared without case and every other byte as is (empty: any model). A consensus
    /// rule, so it never folds Unicode case, whose tables change with the compiler's release.
    pub fn gpu_model_names(&self, wanted: &str) -> bool {
        let (have, wanted) = (self.gpu_model.as_bytes(), wanted.as_bytes());
        wanted.is_empty()
            || have
                .windows(wanted.len())
                .any(|w| w.eq_ignore_ascii_case(wanted))
    }
}

pub(super) fn capabilities_from(c: Option<proto::Capabilities>) -> Result<Capabilities, TxError> {
    let c = c.unwrap_or_default();
    if c.gpu_model.len() > MAX_GPU_MODEL_LEN {
        return Err(bad("capabilities.gpu_model", "too long"));
    }
    if c.endpoint.len() > MAX_ENDPOINT_LEN {
        return Err(bad("capabilities.endpoint", "too long"));
    }
    let web = c.endpoint.starts_with("http://") || c.endpoint.starts_with("https://");
    if !c.endpoint.is_empty() && !web {
        return Err(bad(
            "capabilities.endpoint",
            "must be an http:// or https:// URL",
        ));
    }
    Ok(Capabilities {
        cpu_cores: c.cpu_cores,
        memory_mb: c.memory_mb,
        gpu_model: c.gpu_model,
        gpu_vram_mb: c.gpu_vram_mb,
        gpu_count: c.gpu_count,
        endpoint: c.endpoint,
        rated_watts: c.rated_watts,
    })
}

pub(super) fn capabilities_to(c: &Capabilities) -> proto::Capabilities {
    proto::Capabilities {
        cpu_cores: c.cpu_cores,
        memory_mb: c.memory_mb,
        gpu_model: c.gpu_model.clone(),
        gpu_vram_mb: c.gpu_vram_mb,
        gpu_count: c.gpu_count,
        endpoint: c.endpoint.clone(),
        rated_watts: c.rated_watts,
    }
}

pub(super) fn decode_register_device(r: proto::RegisterDevice) -> Result<Body, TxError> {
    Ok(Body::RegisterDevice {
        device: key_field("device", &r.device)?,
        class: name_field("class", r.class, MAX_NAME_LEN)?,
        capabilities: capabilities_from(r.capabilities)?,
        h3_cell: r.h3_cell,
        stake: Amount::from_base_units(&r.stake).map_err(|e| bad("stake", e))?,
        device_signature: Signature::from_slice(&r.device_signature)
            .map_err(|e| bad("device_signature", e))?,
    })
}

pub(super) fn encode_register_device(
    device: &PublicKey,
    class: &str,
    capabilities: &Capabilities,
    h3_cell: u64,
    stake: &Amount,
    device_signature: &Signature,
) -> P {
    P::RegisterDevice(proto::RegisterDevice {
        device: device.as_bytes().to_vec(),
        class: class.to_string(),
        capabilities: Some(capabilities_to(capabilities)),
        h3_cell,
        stake: stake.to_string(),
        device_signature: device_signature.to_bytes().to_vec(),
    })
}

pub(super) fn decode_update_device(u: proto::UpdateDevice) -> Result<Body, TxError> {
    Ok(Body::UpdateDevice {
        device: key_field("device", &u.device)?,
        capabilities: capabilities_from(u.capabilities)?,
        h3_cell: u.h3_cell,
    })
}

pub(super) fn encode_update_device(
    device: &PublicKey,
    capabilities: &Capabilities,
    h3_cell: u64,
) -> P {
    P::UpdateDevice(proto::UpdateDevice {
        device: device.as_bytes().to_vec(),
        capabilities: Some(capabilities_to(capabilities)),
        h3_cell,
    })
}

pub(super) fn decode_retire_device(r: proto::RetireDevice) -> Result<Body, TxError> {
    Ok(Body::RetireDevice {
        device: key_field("device", &r.device)?,
    })
}

pub(super) fn encode_retire_device(device: &PublicKey) -> P {
    P::RetireDevice(proto::RetireDevice {
        device: device.as_bytes().to_vec(),
    })
}

pub(super) fn decode_withdraw_stake(w: proto::WithdrawStake) -> Result<Body, TxError> {
    Ok(Body::WithdrawStake {
        device: key_field("device", &w.device)?,
    })
}

pub(super) fn encode_withdraw_stake(device: &PublicKey) -> P {
    P::WithdrawStake(proto::WithdrawStake {
        device: device.as_bytes().to_vec(),
    })
}
