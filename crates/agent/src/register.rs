//! The registration duty: puts the device on chain under its owner once, and keeps the
//! endpoint the chain holds for it where its services really listen.

use crate::context::DeviceContext;
use crate::error::AgentError;
use plexus_client::views::DeviceView;
use plexus_client::CommittedTx;
use plexus_types::{statements, Amount, Body, Capabilities, Hash};
use std::time::Duration;

/// What `register_if_needed` found or did.
#[derive(Debug, Clone)]
pub enum Registration {
    /// The chain already knows the device (registered by this owner).
    AlreadyRegistered(DeviceView),
    /// This call registered it.
    Registered(CommittedTx),
}

/// What the device registers as.
#[derive(Debug, Clone)]
pub struct Declaration {
    pub class: String,
    pub h3_cell: u64,
    pub stake: Amount,
    pub capabilities: Capabilities,
}

/// Registers the device under the owner, unless the chain already has it.
///
/// The owner signs the `RegisterDevice` transaction and the device key signs
/// `statements::device_registration`, which proves the owner holds the device. Waits until
/// the transaction is committed. Calling it again once registered sends nothing, unless the
/// device's service moved: then an `UpdateDevice` names the new endpoint.
pub async fn once(ctx: &DeviceContext, declared: &Declaration) -> Result<Registration, AgentError> {
    let key = ctx.device.public_key();
    let capabilities = declared.capabilities.clone();
    if let Some(existing) = existing_device(ctx).await? {
        if existing.is_active()
            && !capabilities.endpoint.is_empty()
            && existing.capabilities.endpoint != capabilities.endpoint
        {
            // The blob service moved (a new address or port): say where it is now, or
            // downloaders and oracles would find nothing at the old one.
            let body = Body::UpdateDevice {
                device: key,
                capabilities,
                h3_cell: existing.h3_cell,
            };
            let committed = ctx.send_tx(body).await?;
            tracing::info!(device = %key, tx = %committed.hash, "updated the device's endpoint");
        }
        return Ok(Registration::AlreadyRegistered(existing));
    }
    let chain = ctx.chain().await?;
    let class = chain
        .device_class(&declared.class)
        .ok_or_else(|| AgentError::ClassNotOnChain {
            class: declared.class.clone(),
            chain_id: chain.chain_id.clone(),
        })?;
    if declared.stake < class.min_stake {
        return Err(AgentError::StakeBelowMinimum {
            class: class.name.clone(),
            stake: declared.stake,
            min: class.min_stake,
        });
    }
    let statement = statements::device_registration(&chain.chain_id, &ctx.owner(), &key);
    let body = Body::RegisterDevice {
        device: key,
        class: declared.class.clone(),
        capabilities,
        h3_cell: declared.h3_cell,
        stake: declared.stake,
        device_signature: ctx.device.secret_key().sign(&statement),
    };
    match ctx.send_tx(body).await {
        Ok(committed) => {
            tracing::info!(device = %key, class = %declared.class, tx = %committed.hash, height = committed.height, "registered the device");
            Ok(Registration::Registered(committed))
        }
        // Registered by another run of this agent between the check and the commit.
        Err(AgentError::TxFailed { code, .. }) if code == "device_exists" => {
            match existing_device(ctx).await? {
                Some(existing) => Ok(Registration::AlreadyRegistered(existing)),
                None => Err(AgentError::TxFailed {
                    hash: Hash::ZERO,
                    code,
                    log: "the node reports the device both existing and unknown".into(),
                }),
            }
        }
        Err(e) => Err(e),
    }
}

/// [`once`] until it succeeds or fails for good, pausing `retry` after each passing failure.
pub async fn until_done(
    ctx: &DeviceContext,
    declared: &Declaration,
    retry: Duration,
) -> Result<Registration, AgentError> {
    loop {
        match once(ctx, declared).await {
            Ok(r) => return Ok(r),
            Err(e) if e.is_transient() => {
                tracing::warn!(error = %e, retry_in = ?retry, "registration failed; retrying");
                ctx.clock().sleep(retry).await;
            }
            Err(e) => return Err(e),
        }
    }
}

async fn existing_device(ctx: &DeviceContext) -> Result<Option<DeviceView>, AgentError> {
    let owner = ctx.owner();
    let Some(device) = ctx.ports.node.device(&ctx.device.public_key()).await? else {
        return Ok(None);
    };
    if device.owner != owner {
        return Err(AgentError::DeviceOwnedByOther {
            device: device.key,
            owner: device.owner,
            expected: owner,
        });
    }
    if !device.is_active() {
        tracing::warn!(device = %device.key, status = ?device.status, "the device is registered but not active: it earns nothing");
    }
    Ok(Some(device))
}
