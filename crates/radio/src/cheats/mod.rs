//! The cheats a hotspot can play, each a behaviour that changes what it asserts and what
//! evidence it sends; the rest of the simulator is the same for honest and cheating hotspots.

use serde::Serialize;

/// How a hotspot behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    Honest,
    /// Asserts a hex far from where it is, and reports its true GPS fix.
    Spoofer,
    /// One of several hotspots in one room that assert spread locations, spoof their GPS
    /// fixes to match, and witness each other (with the real, too-strong signal of a few
    /// metres).
    WitnessRing,
    /// Its owner's own subscriber sends traffic through it, paid for by the owner.
    SelfDealer,
    /// Sends nothing: no beacons, witnesses, location reports or data sessions.
    Silent,
}

impl Behaviour {
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::Honest => "honest",
            Behaviour::Spoofer => "spoofer",
            Behaviour::WitnessRing => "witness_ring",
            Behaviour::SelfDealer => "self_dealer",
            Behaviour::Silent => "silent",
        }
    }

    pub const ALL: [Behaviour; 5] = [
        Behaviour::Honest,
        Behaviour::Spoofer,
        Behaviour::WitnessRing,
        Behaviour::SelfDealer,
        Behaviour::Silent,
    ];
}

/// The behaviours of `cheaters` cheating hotspots: a spoofer, a silent hotspot and a
/// self-dealer first, then the rest as one witness ring (a ring needs two; a single one left
/// over is a second spoofer).
pub fn cheater_behaviours(cheaters: usize) -> Vec<Behaviour> {
    let singles = [Behaviour::Spoofer, Behaviour::Silent, Behaviour::SelfDealer];
    let mut out: Vec<Behaviour> = singles.into_iter().take(cheaters).collect();
    match cheaters.saturating_sub(singles.len()) {
        0 => {}
        1 => out.push(Behaviour::Spoofer),
        ring => out.extend(std::iter::repeat_n(Behaviour::WitnessRing, ring)),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_cheaters_are_one_of_each_single_cheat_and_a_ring_of_five() {
        let b = cheater_behaviours(8);
        assert_eq!(
            &b[..3],
            &[Behaviour::Spoofer, Behaviour::Silent, Behaviour::SelfDealer]
        );
        assert_eq!(
            b.iter().filter(|b| **b == Behaviour::WitnessRing).count(),
            5
        );
        assert_eq!(cheater_behaviours(4)[3], Behaviour::Spoofer);
        assert_eq!(cheater_behaviours(2).len(), 2);
    }
}
