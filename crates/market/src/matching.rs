//! Which bids win an order: the cheapest, from distinct providers, one per replica the job
//! asks for. Ties go to the earlier bid, so every node picks the same winners.

use plexus_types::{Address, Amount};
use serde::{Deserialize, Serialize};

/// A provider's offer to run an order's job, at a price per block per replica.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bid {
    /// Bids are numbered as the ledger accepts them.
    pub id: u64,
    pub provider: Address,
    pub price_per_block: Amount,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchError {
    #[error("{distinct} providers bid within the price cap; the job needs {replicas}")]
    TooFewProviders { distinct: usize, replicas: u32 },
    #[error("bid {0} appears twice")]
    DuplicateBid(u64),
}

/// The winning bids for an order that needs `replicas` providers at no more than `cap` per
/// block: bids above the cap are ignored, each provider counts with its cheapest bid only,
/// and the cheapest `replicas` of those win, ties to the lower bid id. Returned in that order.
pub fn winners(bids: &[Bid], cap: Amount, replicas: u32) -> Result<Vec<&Bid>, MatchError> {
    let mut ids: Vec<u64> = bids.iter().map(|b| b.id).collect();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(MatchError::DuplicateBid(w[0]));
    }
    let mut eligible: Vec<&Bid> = bids.iter().filter(|b| b.price_per_block <= cap).collect();
    eligible.sort_by_key(|b| (b.price_per_block, b.id));
    let mut chosen: Vec<&Bid> = Vec::new();
    let mut distinct = 0;
    for bid in eligible {
        if chosen.iter().any(|c| c.provider == bid.provider) {
            continue;
        }
        distinct += 1;
        if chosen.len() < replicas as usize {
            chosen.push(bid);
        }
    }
    if chosen.len() < replicas as usize {
        return Err(MatchError::TooFewProviders { distinct, replicas });
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bid(id: u64, provider: u8, uplx: u128) -> Bid {
        Bid {
            id,
            provider: Address([provider; plexus_types::address::ADDRESS_LEN]),
            price_per_block: Amount::uplx(uplx),
        }
    }

    #[test]
    fn the_cheapest_distinct_providers_win_and_ties_go_to_the_earlier_bid() {
        let bids = vec![
            bid(1, 1, 300),
            bid(2, 2, 100),
            bid(3, 2, 50), // provider 2 again, cheaper: its only bid that counts
            bid(4, 3, 100),
            bid(5, 4, 100),
            bid(6, 5, 900), // above the cap
        ];
        let won: Vec<u64> = winners(&bids, Amount::uplx(500), 3)
            .unwrap()
            .iter()
            .map(|b| b.id)
            .collect();
        assert_eq!(won, vec![3, 4, 5]);
        // The order of the bids as given does not matter.
        let mut reversed = bids.clone();
        reversed.reverse();
        let again: Vec<u64> = winners(&reversed, Amount::uplx(500), 3)
            .unwrap()
            .iter()
            .map(|b| b.id)
            .collect();
        assert_eq!(again, won);
    }

    #[test]
    fn too_few_providers_or_a_repeated_bid_match_nothing() {
        let bids = vec![bid(1, 1, 100), bid(2, 1, 90), bid(3, 2, 1000)];
        assert_eq!(
            winners(&bids, Amount::uplx(500), 2),
            Err(MatchError::TooFewProviders {
                distinct: 1,
                replicas: 2
            })
        );
        let twice = vec![bid(7, 1, 100), bid(7, 2, 100)];
        assert_eq!(
            winners(&twice, Amount::uplx(500), 1),
            Err(MatchError::DuplicateBid(7))
        );
    }
}
