//! The validators' threshold key: a BLS12-381 (MinSig) polynomial dealt once at genesis, whose
//! shares sign the per-view seeds of simplex's threshold VRF.
//!
//! A devnet or testnet has one dealer: `plexus node init --validators N` (or `plexus devnet
//! --validators N`) draws the polynomial, writes each validator's share into its home
//! (`consensus_share`) and the public polynomial into the genesis. The dealer knows every
//! share, so it could compute every seed ahead of time: fine for a network one person runs,
//! not for one of independent operators, which would run Commonware's DKG instead. Resharing
//! when the validator set changes is not built into the chain: a consensus epoch's key comes
//! from an [`super::EpochKeys`] provider, and a real node's keeps the genesis set and key.

use commonware_codec::{Decode, DecodeExt, Encode};
use commonware_cryptography::bls12381::dkg::deal;
use commonware_cryptography::bls12381::primitives::group::Share;
use commonware_cryptography::bls12381::primitives::sharing::{Mode, ModeVersion, Sharing};
use commonware_cryptography::bls12381::primitives::variant::{MinSig, Variant};
use commonware_cryptography::ed25519;
use commonware_utils::{ordered::Set, N3f1};
use rand::{CryptoRng, RngCore};
use std::num::NonZeroU32;

/// The signing scheme validators vote with: BLS12-381 threshold signatures (MinSig) whose
/// every certificate also carries the view's seed, a threshold VRF output. Validators keep
/// their Ed25519 keys as identities (p2p, leader election, the proposer address).
pub type Scheme = commonware_consensus::simplex::scheme::bls12381_threshold::vrf::Scheme<
    ed25519::PublicKey,
    ThresholdVariant,
>;

/// The BLS12-381 variant: small signatures (48-byte seeds in every block), 96-byte keys.
pub type ThresholdVariant = MinSig;
/// The public polynomial every validator verifies partial and recovered signatures with.
pub type Polynomial = Sharing<MinSig>;
/// A recovered seed signature.
pub type SeedSignature = <MinSig as Variant>::Signature;

/// Most validators a decoded polynomial may be for (bounds decoding).
const MAX_VALIDATORS: u32 = 1_000;

/// A validator's part of the threshold key.
#[derive(Clone, Debug)]
pub struct ThresholdKey {
    pub polynomial: Polynomial,
    pub share: Share,
}

/// Deals a fresh threshold key to the validators `keys`: each one's part, in the order of
/// `keys`. Any 2f + 1 of the 3f + 1 shares sign together.
pub fn deal_threshold_key<R: RngCore + CryptoRng>(
    rng: &mut R,
    keys: &[ed25519::PublicKey],
) -> Result<Vec<ThresholdKey>, String> {
    let participants = Set::from_iter_dedup(keys.iter().cloned());
    if participants.len() != keys.len() {
        return Err("a validator key is listed twice".into());
    }
    let (output, shares) = deal::<MinSig, _, N3f1>(&mut *rng, Mode::default(), participants)
        .map_err(|e| format!("dealing the threshold key: {e:?}"))?;
    keys.iter()
        .map(|k| {
            let share = shares.get_value(k).ok_or("a validator got no share")?;
            Ok(ThresholdKey {
                polynomial: output.public().clone(),
                share: share.clone(),
            })
        })
        .collect()
}

/// Deals a threshold key to the validators `keys`, records its public polynomial as the
/// beacon commitment of `genesis`, and returns each validator's part in the order of `keys`.
pub fn deal_for_genesis<R: RngCore + CryptoRng>(
    rng: &mut R,
    genesis: &mut plexus_ledger::Genesis,
    keys: &[ed25519::PublicKey],
) -> Result<Vec<ThresholdKey>, String> {
    let dealt = deal_threshold_key(rng, keys)?;
    let polynomial = dealt.first().ok_or("no validators")?.polynomial.clone();
    genesis.beacon = Some(plexus_ledger::BeaconCommitment::ThresholdVrf {
        polynomial: polynomial_to_hex(&polynomial),
    });
    Ok(dealt)
}

/// The hex form of a public polynomial, as the genesis keeps it.
pub fn polynomial_to_hex(polynomial: &Polynomial) -> String {
    hex::encode(polynomial.encode())
}

pub fn polynomial_from_hex(text: &str) -> Result<Polynomial, String> {
    let bytes = hex::decode(text.trim()).map_err(|e| format!("polynomial is not hex: {e}"))?;
    let max = NonZeroU32::new(MAX_VALIDATORS).expect("nonzero");
    Polynomial::decode_cfg(bytes.as_slice(), &(max, ModeVersion::v0()))
        .map_err(|e| format!("not a BLS12-381 public polynomial: {e}"))
}

/// The hex form of a share, as a validator's home keeps it.
pub fn share_to_hex(share: &Share) -> String {
    hex::encode(share.encode())
}

pub fn share_from_hex(text: &str) -> Result<Share, String> {
    let bytes = hex::decode(text.trim()).map_err(|e| format!("share is not hex: {e}"))?;
    Share::decode(bytes.as_slice()).map_err(|e| format!("not a BLS12-381 share: {e}"))
}

/// Decodes a block's seed field as a seed signature.
pub fn seed_signature(bytes: &[u8]) -> Option<SeedSignature> {
    SeedSignature::decode(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_cryptography::Signer as _;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn a_dealt_key_round_trips_through_its_hex_forms() {
        let mut rng = StdRng::seed_from_u64(1);
        let keys: Vec<_> = (0..4).map(ed25519::PrivateKey::from_seed).collect();
        let public: Vec<_> = keys.iter().map(|k| k.public_key()).collect();
        let dealt = deal_threshold_key(&mut rng, &public).unwrap();
        assert_eq!(dealt.len(), 4);
        let polynomial = &dealt[0].polynomial;
        let back = polynomial_from_hex(&polynomial_to_hex(polynomial)).unwrap();
        assert_eq!(&back, polynomial);
        let share = share_from_hex(&share_to_hex(&dealt[2].share)).unwrap();
        assert_eq!(share, dealt[2].share);
        let twice = [public[0].clone(), public[0].clone()];
        assert!(deal_threshold_key(&mut rng, &twice).is_err());
        assert!(polynomial_from_hex("zz").is_err());
        assert!(share_from_hex("00").is_err());
    }
}
