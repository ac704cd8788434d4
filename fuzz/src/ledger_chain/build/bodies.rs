//! Bodies that take more than a few fields to build: device registrations, manifests and
//! fraud proofs.

use super::super::plan::RegisterTwist;
use super::super::{account, addr, device, ACCOUNTS, CHAIN, DEVICES};
use super::{CELL, CLASSES};
use plexus_proofs::compute::{ComputeChallenge, ComputeProof};
use plexus_rewards::{Manifest, ManifestLeaf};
use plexus_types::{statements, Amount, Body, Capabilities, ComputeFraud, Hash};

pub(super) fn capabilities(cpu_cores: u32) -> Capabilities {
    Capabilities {
        cpu_cores,
        memory_mb: 8192,
        ..Capabilities::default()
    }
}

/// A registration of device `d` under its usual owner, of the class picked among those a
/// device may register under with their minimum stake.
pub(super) fn register(d: u8, class: u8, twist: &Option<RegisterTwist>) -> Body {
    let owner = account(d % DEVICES % ACCOUNTS);
    let dev = device(d % DEVICES);
    let (class, stake) = match twist {
        Some(RegisterTwist::Class(c)) => (CLASSES[*c as usize % CLASSES.len()], 100),
        _ => CLASSES
            .iter()
            .zip([100, 100, 100, 200])
            .map(|(c, s)| (*c, s))
            .nth(class as usize % 4)
            .expect("four valid classes"),
    };
    let signing = match twist {
        Some(RegisterTwist::OtherDeviceSignature) => device(d.wrapping_add(1) % DEVICES),
        _ => dev.clone(),
    };
    let statement = statements::device_registration(CHAIN, &addr(&owner), &dev.public_key());
    Body::RegisterDevice {
        device: dev.public_key(),
        class: class.into(),
        capabilities: capabilities(4),
        h3_cell: match twist {
            Some(RegisterTwist::Cell(c)) => *c,
            _ => CELL,
        },
        stake: match twist {
            Some(RegisterTwist::Stake(a)) => Amount(a.value()),
            _ => Amount::plx(stake),
        },
        device_signature: signing.sign(&statement),
    }
}

/// The manifest the oracles voting `variant` (or the common one) submit for `epoch` and
/// `resource`: one leaf per device key, whether registered or not.
pub(super) fn manifest(
    epoch: u64,
    resource: &'static str,
    variant: bool,
) -> (&'static str, Manifest) {
    let variant = u128::from(variant);
    let mut leaves: Vec<ManifestLeaf> = (0..DEVICES)
        .map(|i| ManifestLeaf {
            device: device(i).public_key(),
            owner: addr(&account(i % ACCOUNTS)),
            units: 1 + (i as u128 * 7 + (epoch % 1000) as u128 * 3 + variant * 11) % 50,
        })
        .collect();
    leaves.sort_by_key(|l| *l.device.as_bytes());
    let m = Manifest::from_leaves(epoch, resource, leaves, Hash::of(&[variant as u8]))
        .expect("a manifest of sorted leaves with units");
    (resource, m)
}

/// A fraud proof against device `d`'s signed commitment to a 4×4 compute answer, opening
/// row 0; `claimed` is the size the device signed and the proof names, if not 4.
pub(super) fn fraud(d: u8, wrong: bool, claimed: Option<u32>) -> Body {
    let challenge = ComputeChallenge::new([d; 32], 4).expect("a small challenge");
    let mut product = plexus_proofs::compute::prove(&challenge).product().to_vec();
    if wrong {
        product[1] = (product[1] + 1) % plexus_proofs::compute::P;
    }
    let answer = ComputeProof::commit(&challenge, product).expect("a product of the right size");
    let opening = answer.open(0).expect("row 0 exists");
    let n = claimed.unwrap_or(4);
    let dev = device(d % DEVICES);
    let statement = statements::compute_commitment(CHAIN, challenge.seed(), n, &answer.root());
    Body::ComputeFraud(ComputeFraud {
        device: dev.public_key(),
        seed: *challenge.seed(),
        n,
        root: answer.root(),
        device_signature: dev.sign(&statement),
        row_index: 0,
        row: opening.row,
        proof: opening.proof,
    })
}
