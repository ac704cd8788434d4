//! Reward manifests: the per-device units of one epoch and resource class, committed to by a
//! Merkle root that goes on chain, with the inclusion proofs that owners claim with.

use crate::error::RewardsError;
use plexus_types::{Address, Hash, MerkleProof, MerkleTree, PublicKey};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::MAX_RESOURCE_LEN;

const LEAF_DOMAIN: &[u8] = b"plexus/rewards/manifest-leaf/v1";

/// What one device earned in one epoch: `units` of the class pool, payable to `owner`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestLeaf {
    #[serde(with = "crate::json::public_key")]
    pub device: PublicKey,
    pub owner: Address,
    #[serde(with = "crate::json::decimal_u128")]
    pub units: u128,
}

/// The hash a manifest's Merkle tree holds for `leaf`: blake3 over a domain tag, the epoch
/// (u64 LE), the resource name prefixed by its length (u64 LE), the device key, the owner
/// address and the units (u128 LE). Every field has a fixed width or a length prefix, so no two
/// distinct (epoch, resource, leaf) triples share an encoding, and a leaf of one epoch or class
/// can never be claimed in another.
pub fn leaf_hash(epoch: u64, resource: &str, leaf: &ManifestLeaf) -> Hash {
    // Laid out in one buffer and hashed in one call, which is measurably cheaper than one
    // call per field at a million leaves an epoch. Names too long for the buffer (only ever
    // seen by `verify_claim`, as scoring refuses them) go field by field, to the same digest.
    const FIXED: usize = LEAF_DOMAIN.len() + 8 + 8 + 32 + 20 + 16;
    let mut buf = [0u8; FIXED + MAX_RESOURCE_LEN];
    let mut h = blake3::Hasher::new();
    let fields: [&[u8]; 7] = [
        LEAF_DOMAIN,
        &epoch.to_le_bytes(),
        &(resource.len() as u64).to_le_bytes(),
        resource.as_bytes(),
        leaf.device.as_bytes(),
        leaf.owner.as_bytes(),
        &leaf.units.to_le_bytes(),
    ];
    if resource.len() <= MAX_RESOURCE_LEN {
        let mut len = 0;
        for field in fields {
            buf[len..len + field.len()].copy_from_slice(field);
            len += field.len();
        }
        h.update(&buf[..len]);
    } else {
        for field in fields {
            h.update(field);
        }
    }
    Hash(*h.finalize().as_bytes())
}

/// Whether `leaf` belongs to the manifest of `epoch` and `resource` whose root is `root`. This
/// is the whole check the ledger needs before paying a claim; the amount then comes from
/// [`payout`](crate::payout()) with the manifest's total units.
pub fn verify_claim(
    root: &Hash,
    epoch: u64,
    resource: &str,
    leaf: &ManifestLeaf,
    proof: &MerkleProof,
) -> bool {
    proof.verify(root, &leaf_hash(epoch, resource, leaf))
}

/// Whether the leaf a `ClaimReward` carries is in the final manifest of its epoch and
/// resource, whose root is `root` and total `total_units`: its units within the total and its
/// proof to the root.
pub fn verify_reward_claim(root: &Hash, total_units: u128, c: &plexus_types::RewardClaim) -> bool {
    let leaf = ManifestLeaf {
        device: c.device,
        owner: c.owner,
        units: c.units,
    };
    c.units <= total_units && verify_claim(root, c.epoch, &c.resource, &leaf, &c.proof)
}

pub(crate) fn check_resource(resource: &str) -> Result<(), RewardsError> {
    if resource.is_empty() || resource.len() > MAX_RESOURCE_LEN {
        return Err(RewardsError::ResourceNameLength(resource.len()));
    }
    Ok(())
}

/// The reward manifest of one epoch and resource class.
///
/// Invariants, upheld by every constructor: leaves are sorted by device with no repeats, each
/// has units > 0, `total_units` is their exact sum, and `root` is the Merkle root over their
/// [`leaf_hash`]es in that order. `evidence_root` commits to the evidence that scoring admitted
/// (see [`score_epoch`](crate::score_epoch)).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "ManifestDocument")]
pub struct Manifest {
    epoch: u64,
    resource: String,
    leaves: Vec<ManifestLeaf>,
    #[serde(with = "crate::json::decimal_u128")]
    total_units: u128,
    root: Hash,
    evidence_root: Hash,
    /// Kept so that serving a proof costs O(log n) rather than a rebuild.
    #[serde(skip_serializing)]
    tree: MerkleTree,
}

impl Manifest {
    /// A manifest over `leaves`, which must be sorted by device without repeats and have
    /// units > 0. For loading a published manifest; scoring builds its own.
    pub fn from_leaves(
        epoch: u64,
        resource: &str,
        leaves: Vec<ManifestLeaf>,
        evidence_root: Hash,
    ) -> Result<Manifest, RewardsError> {
        check_resource(resource)?;
        let mut total_units = 0u128;
        for (i, leaf) in leaves.iter().enumerate() {
            if leaf.units == 0 {
                return Err(RewardsError::ZeroUnitLeaf(leaf.device));
            }
            if i > 0 && leaves[i - 1].device >= leaf.device {
                return Err(RewardsError::LeavesOutOfOrder(leaf.device));
            }
            total_units = total_units
                .checked_add(leaf.units)
                .ok_or(RewardsError::TotalUnitsOverflow)?;
        }
        let hashes = leaves
            .par_iter()
            .map(|leaf| leaf_hash(epoch, resource, leaf))
            .collect();
        Ok(Manifest::from_parts(
            epoch,
            resource.to_owned(),
            leaves,
            total_units,
            MerkleTree::new(hashes),
            evidence_root,
        ))
    }

    /// Assembles a manifest whose invariants the caller has established.
    pub(crate) fn from_parts(
        epoch: u64,
        resource: String,
        leaves: Vec<ManifestLeaf>,
        total_units: u128,
        tree: MerkleTree,
        evidence_root: Hash,
    ) -> Manifest {
        Manifest {
            epoch,
            resource,
            leaves,
            total_units,
            root: tree.root(),
            evidence_root,
            tree,
        }
    }

    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// Every device that earned units, sorted by device key.
    pub fn leaves(&self) -> &[ManifestLeaf] {
        &self.leaves
    }

    pub fn total_units(&self) -> u128 {
        self.total_units
    }

    /// The Merkle root over the leaves: what oracles submit and claims are checked against.
    pub fn root(&self) -> Hash {
        self.root
    }

    pub fn evidence_root(&self) -> Hash {
        self.evidence_root
    }

    /// The leaf of `device`, if it earned anything.
    pub fn leaf(&self, device: &PublicKey) -> Option<&ManifestLeaf> {
        self.index_of(device).map(|i| &self.leaves[i])
    }

    /// The leaf of `device` with its inclusion proof, ready for a claim; `None` when the device
    /// earned nothing this epoch.
    pub fn proof(&self, device: &PublicKey) -> Option<(ManifestLeaf, MerkleProof)> {
        let i = self.index_of(device)?;
        let proof = self.tree.proof(i as u64)?;
        Some((self.leaves[i].clone(), proof))
    }

    fn index_of(&self, device: &PublicKey) -> Option<usize> {
        self.leaves
            .binary_search_by(|leaf| leaf.device.cmp(device))
            .ok()
    }
}

/// Two manifests are equal when they commit to the same things; the tree follows from the
/// leaves.
impl PartialEq for Manifest {
    fn eq(&self, other: &Manifest) -> bool {
        self.epoch == other.epoch
            && self.resource == other.resource
            && self.leaves == other.leaves
            && self.total_units == other.total_units
            && self.root == other.root
            && self.evidence_root == other.evidence_root
    }
}

impl Eq for Manifest {}

/// A manifest as published. Loading one recomputes the root and the total from the leaves and
/// refuses a document whose stated figures disagree with them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestDocument {
    epoch: u64,
    resource: String,
    leaves: Vec<ManifestLeaf>,
    #[serde(with = "crate::json::decimal_u128")]
    total_units: u128,
    root: Hash,
    evidence_root: Hash,
}

impl TryFrom<ManifestDocument> for Manifest {
    type Error = RewardsError;

    fn try_from(doc: ManifestDocument) -> Result<Manifest, RewardsError> {
        let manifest =
            Manifest::from_leaves(doc.epoch, &doc.resource, doc.leaves, doc.evidence_root)?;
        if manifest.total_units != doc.total_units {
            return Err(RewardsError::TotalMismatch {
                stated: doc.total_units,
                computed: manifest.total_units,
            });
        }
        if manifest.root != doc.root {
            return Err(RewardsError::RootMismatch {
                stated: doc.root,
                computed: manifest.root,
            });
        }
        Ok(manifest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(n: u8, units: u128) -> ManifestLeaf {
        ManifestLeaf {
            device: PublicKey::from_slice(&[n; 32]).unwrap(),
            owner: Address([n; 20]),
            units,
        }
    }

    #[test]
    fn a_published_manifest_loads_back_to_the_same_commitments() {
        let m = Manifest::from_leaves(
            3,
            "compute",
            vec![leaf(1, 5), leaf(2, u128::MAX / 2)],
            Hash::of(b"e"),
        )
        .unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains(&format!("\"{}\"", u128::MAX / 2)));
        let back: Manifest = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        let (l, proof) = back.proof(&leaf(2, 0).device).unwrap();
        assert!(verify_claim(&m.root(), 3, "compute", &l, &proof));
    }

    #[test]
    fn a_published_manifest_whose_root_or_total_disagrees_is_refused() {
        let m =
            Manifest::from_leaves(3, "compute", vec![leaf(1, 5), leaf(2, 7)], Hash::ZERO).unwrap();
        let json = serde_json::to_string(&m).unwrap();
        let bad_total = json.replace("\"12\"", "\"13\"");
        let err = serde_json::from_str::<Manifest>(&bad_total).unwrap_err();
        assert!(err.to_string().contains("total"), "{err}");
        let bad_root = json.replace(&m.root().to_hex(), &Hash::ZERO.to_hex());
        let err = serde_json::from_str::<Manifest>(&bad_root).unwrap_err();
        assert!(err.to_string().contains("root"), "{err}");
    }

    #[test]
    fn the_leaf_encoding_is_the_documented_byte_string() {
        let l = leaf(1, 0x0102);
        for resource in ["compute".to_string(), "y".repeat(MAX_RESOURCE_LEN + 9)] {
            let mut bytes = LEAF_DOMAIN.to_vec();
            bytes.extend(7u64.to_le_bytes());
            bytes.extend((resource.len() as u64).to_le_bytes());
            bytes.extend(resource.as_bytes());
            bytes.extend([1u8; 32]);
            bytes.extend([1u8; 20]);
            bytes.extend(0x0102u128.to_le_bytes());
            assert_eq!(leaf_hash(7, &resource, &l), Hash::of(&bytes));
        }
    }

    #[test]
    fn leaves_out_of_order_repeated_or_worth_nothing_are_refused() {
        let e = Hash::ZERO;
        assert!(matches!(
            Manifest::from_leaves(1, "compute", vec![leaf(2, 1), leaf(1, 1)], e),
            Err(RewardsError::LeavesOutOfOrder(_))
        ));
        assert!(matches!(
            Manifest::from_leaves(1, "compute", vec![leaf(1, 1), leaf(1, 1)], e),
            Err(RewardsError::LeavesOutOfOrder(_))
        ));
        assert!(matches!(
            Manifest::from_leaves(1, "compute", vec![leaf(1, 0)], e),
            Err(RewardsError::ZeroUnitLeaf(_))
        ));
        assert!(matches!(
            Manifest::from_leaves(1, "compute", vec![leaf(1, u128::MAX), leaf(2, 1)], e),
            Err(RewardsError::TotalUnitsOverflow)
        ));
        assert_eq!(
            Manifest::from_leaves(1, "", vec![], e).unwrap_err(),
            RewardsError::ResourceNameLength(0)
        );
    }

    #[test]
    fn a_leaf_proves_only_in_its_own_epoch_and_resource() {
        let m =
            Manifest::from_leaves(3, "compute", vec![leaf(1, 5), leaf(2, 7)], Hash::ZERO).unwrap();
        let (l, proof) = m.proof(&leaf(1, 0).device).unwrap();
        assert!(verify_claim(&m.root(), 3, "compute", &l, &proof));
        assert!(!verify_claim(&m.root(), 4, "compute", &l, &proof));
        assert!(!verify_claim(&m.root(), 3, "storage", &l, &proof));
        let long = "x".repeat(MAX_RESOURCE_LEN + 1);
        assert!(!verify_claim(&m.root(), 3, &long, &l, &proof));
        assert!(m.proof(&leaf(9, 0).device).is_none());
    }
}
