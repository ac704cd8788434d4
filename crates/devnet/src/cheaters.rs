//! The adversaries a devnet can run (`--cheaters KIND[,KIND…]`, or `all`), each after one of
//! the ways a cheat would try to be paid for work it did not do or to stop honest providers;
//! what `--cheaters` asks for as a whole; and what the summary says of them (the adversaries
//! themselves run from the `adversaries` module).

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// One adversary of the devnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Adversary {
    /// Bids from several addresses, bonding the least, to be drawn as the checker of honest
    /// runs, and says every result it checks is wrong.
    SybilCheckers,
    /// Past probation, returns wrong outputs and holds each result back until the draw it
    /// could predict from the chain's tip says "not checked".
    LateSubmitter,
    /// Orders jobs written to freeze a provider: an hour of WASI sleep, a huge input, an output
    /// that exceeds its limit and keeps writing.
    SleeperJobs,
    /// A stranger that uploads to providers' and the node's blob services without a deal, a
    /// signature or the quota, and leaves partial uploads behind.
    BlobSpammer,
    /// One owner's storage devices behind one blob server, to be paid for one copy as many.
    ReplicaSharer,
    /// A stranger that fetches every device's compute challenge, to start its clock.
    ChallengeGriefer,
    /// Bandwidth devices of two owners on one link (one address), each with its own speed
    /// test server, to be paid for the link twice.
    LinkSharer,
}

impl Adversary {
    pub const ALL: [Adversary; 7] = [
        Adversary::SybilCheckers,
        Adversary::LateSubmitter,
        Adversary::SleeperJobs,
        Adversary::BlobSpammer,
        Adversary::ReplicaSharer,
        Adversary::ChallengeGriefer,
        Adversary::LinkSharer,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Adversary::SybilCheckers => "sybil-checkers",
            Adversary::LateSubmitter => "late-submitter",
            Adversary::SleeperJobs => "sleeper-jobs",
            Adversary::BlobSpammer => "blob-spammer",
            Adversary::ReplicaSharer => "replica-sharer",
            Adversary::ChallengeGriefer => "challenge-griefer",
            Adversary::LinkSharer => "link-sharer",
        }
    }

    /// Agents it runs besides the honest ones: (class, how many).
    pub fn agents(self) -> Option<(&'static str, usize)> {
        match self {
            Adversary::SybilCheckers => Some(("cpu-small", SYBIL_ADDRESSES)),
            Adversary::LateSubmitter => Some(("cpu-small", 1)),
            Adversary::ReplicaSharer => Some(("storage-small", SHARER_DEVICES)),
            Adversary::LinkSharer => Some(("bw-home", 2)),
            _ => None,
        }
    }

    /// Whether it needs honest compute agents to attack (else storage or bandwidth agents).
    pub fn needs_compute(self) -> bool {
        !matches!(
            self,
            Adversary::BlobSpammer | Adversary::ReplicaSharer | Adversary::LinkSharer
        )
    }
}

/// Addresses the sybil checkers bid from.
pub const SYBIL_ADDRESSES: usize = 2;
/// Storage devices the replica sharer registers behind its one blob server.
pub const SHARER_DEVICES: usize = 2;

impl fmt::Display for Adversary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What `--cheaters` asks for: how many of the compute agents cheat in the classic ways, and
/// which adversaries run beside them. `2`, `sybil-checkers,blob-spammer`, `all` and
/// `1,late-submitter` are all read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cheaters {
    pub count: usize,
    pub kinds: Vec<Adversary>,
}

impl FromStr for Cheaters {
    type Err = String;

    fn from_str(s: &str) -> Result<Cheaters, String> {
        let mut out = Cheaters::default();
        let mut counted = false;
        for word in s.split(',').map(str::trim) {
            if let Ok(n) = word.parse::<usize>() {
                if counted {
                    return Err(format!("{s:?} gives more than one number of cheaters"));
                }
                counted = true;
                out.count = n;
            } else if word == "all" {
                out.kinds.extend(Adversary::ALL);
            } else if let Some(kind) = Adversary::ALL.into_iter().find(|k| k.name() == word) {
                out.kinds.push(kind);
            } else {
                let names: Vec<&str> = Adversary::ALL.iter().map(|k| k.name()).collect();
                return Err(format!(
                    "unknown cheater {word:?}: expected a number of cheating compute agents, all, or a comma-separated list of {}",
                    names.join(", ")
                ));
            }
        }
        out.kinds.sort_unstable();
        out.kinds.dedup();
        Ok(out)
    }
}

impl fmt::Display for Cheaters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut words = vec![self.count.to_string()];
        words.extend(self.kinds.iter().map(|k| k.name().to_string()));
        f.write_str(&words.join(","))
    }
}

/// What one adversary tried and what came of it.
#[derive(Debug, Clone, Serialize)]
pub struct AdversaryReport {
    pub kind: Adversary,
    /// What it tried, in a line.
    pub tried: String,
    /// What came of it, a line each.
    pub outcome: Vec<String>,
    /// Whether the network held: nothing it did was paid or accepted, and no one honest lost
    /// a bond, a payment or a challenge to it.
    pub held: bool,
}

/// Whether anyone honest paid for the adversaries.
#[derive(Debug, Clone, Serialize)]
pub struct HonestHarm {
    pub honest_devices: usize,
    /// Honest devices whose stake was slashed.
    pub stake_slashed: Vec<plexus_types::PublicKey>,
    /// Results of honest providers shown wrong (each a bond slashed).
    pub results_rejected: u32,
    /// Honest compute and bandwidth devices that earned nothing though epochs were finalized.
    pub unpaid: Vec<plexus_types::PublicKey>,
    /// Accepted outputs a local re-execution did not give.
    pub wrong_results_accepted: usize,
    /// Bytes under the honest storage agents' data directories.
    pub storage_disk_bytes: u64,
    /// No stake slashed, no result shown wrong, no one unpaid.
    pub unharmed: bool,
}

/// Prints the adversaries' reports and the honest providers' harm.
pub fn print(reports: &[AdversaryReport], h: &HonestHarm) {
    for r in reports {
        println!(
            "adversary {}: {} — {}",
            r.kind,
            r.tried,
            if r.held { "held" } else { "NOT HELD" }
        );
        for line in &r.outcome {
            println!("  {line}");
        }
    }
    println!(
        "honest providers ({} devices): {} stakes slashed · {} results shown wrong · {} compute or bandwidth devices unpaid · {} wrong results accepted · storage on disk {:.1} MiB — {}",
        h.honest_devices,
        h.stake_slashed.len(),
        h.results_rejected,
        h.unpaid.len(),
        h.wrong_results_accepted,
        h.storage_disk_bytes as f64 / (1u64 << 20) as f64,
        if h.unharmed { "unharmed" } else { "HARMED" }
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_kinds_and_all_are_read_and_anything_else_is_refused_with_the_names() {
        assert_eq!("2".parse::<Cheaters>().unwrap().count, 2);
        let both: Cheaters = "1, late-submitter,sybil-checkers,late-submitter"
            .parse()
            .unwrap();
        assert_eq!(both.count, 1);
        assert_eq!(
            both.kinds,
            vec![Adversary::SybilCheckers, Adversary::LateSubmitter]
        );
        let all: Cheaters = "all".parse().unwrap();
        assert_eq!((all.count, all.kinds.len()), (0, Adversary::ALL.len()));
        let err = "sybil-checker".parse::<Cheaters>().unwrap_err();
        assert!(err.contains("challenge-griefer"), "{err}");
        assert!("1,2".parse::<Cheaters>().is_err());
    }
}
