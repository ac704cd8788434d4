//! The challenge-griefer adversary: a stranger that asks the oracle, again and again, for
//! every device's open compute challenges, unsigned and signed by a key of its own, so that
//! the oracle would start each challenge's deadline before the device sees its seed and the
//! device would miss every challenge. Only the device's own signed request may fetch them; the
//! honest compute devices go on passing.

use super::{Adversary, AdversaryReport, Stage};
use plexus_ledger::query;
use plexus_ledger::registry::DeviceStatus;
use plexus_rewards::audit::PublishedRecord;
use plexus_rewards::ChallengeOutcome;
use plexus_types::{statements, PublicKey, SecretKey};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

/// How often it asks for every device's challenges.
const EVERY: Duration = Duration::from_millis(750);

/// How the honest devices' challenges ended, from the oracle's evidence.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outcomes {
    pub passed: u64,
    pub missed: u64,
    pub wrong: u64,
}

/// Tallies the challenge outcomes of the `honest` devices among published `records`.
pub(crate) fn honest_outcomes<'a>(
    records: impl IntoIterator<Item = &'a PublishedRecord>,
    honest: &BTreeSet<PublicKey>,
) -> Outcomes {
    let mut out = Outcomes::default();
    for r in records {
        if let PublishedRecord::Challenge {
            device, outcome, ..
        } = r
        {
            if !honest.contains(device) {
                continue;
            }
            match outcome {
                ChallengeOutcome::Passed => out.passed += 1,
                ChallengeOutcome::Missed => out.missed += 1,
                ChallengeOutcome::Wrong => out.wrong += 1,
            }
        }
    }
    out
}

/// Whether the network held, and why: the oracle starts a challenge's deadline only when it
/// answers a fetch with the challenge, so a griefer answered with none started no deadline,
/// and an honest device's miss is then its own late commitment. Any answered fetch, or an
/// honest device slashed or shown wrong, is not held.
pub(crate) fn verdict(none_answered: bool, honest: &Outcomes, slashed: usize) -> (bool, String) {
    if !none_answered {
        return (
            false,
            "the oracle answered the griefer with challenges: it started their deadlines".into(),
        );
    }
    if slashed > 0 || honest.wrong > 0 {
        return (
            false,
            "honest devices were slashed or shown wrong while the griefer ran".into(),
        );
    }
    let why = match honest.missed {
        0 => "no honest device missed a challenge".to_string(),
        n => format!(
            "none of the {n} misses is the griefer's: no deadline started at its request, so each is a device's own late commitment"
        ),
    };
    (true, why)
}

/// The oracle's answers to one way of asking: by status and error code.
#[derive(Debug, Default)]
struct Asked {
    requests: u64,
    answers: BTreeMap<String, u64>,
}

impl Asked {
    fn count(&self, class: char) -> u64 {
        self.answers
            .iter()
            .filter(|(label, _)| label.starts_with(class))
            .map(|(_, n)| n)
            .sum()
    }

    /// Requests the oracle refused (4xx).
    fn refused(&self) -> u64 {
        self.count('4')
    }

    /// Requests the oracle answered with challenges (2xx).
    fn answered(&self) -> u64 {
        self.count('2')
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn ask(http: &reqwest::Client, url: &str) -> String {
    match http.get(url).send().await {
        Ok(response) => {
            let status = response.status();
            let code = response
                .json::<serde_json::Value>()
                .await
                .ok()
                .and_then(|v| v["error"]["code"].as_str().map(str::to_string));
            match code {
                Some(code) => format!("{} {code}", status.as_u16()),
                None => status.as_u16().to_string(),
            }
        }
        Err(_) => "no answer".into(),
    }
}

/// Asks for every device's challenges each round until stopped, then reads how the honest
/// devices' challenges went.
pub async fn run<C>(
    stage: Arc<Stage<C>>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<AdversaryReport> {
    let chain_id = stage.chain.status().chain_id;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    let stranger = SecretKey::generate();
    let oracle = stage.oracle.trim_end_matches('/');
    let (mut unsigned, mut forged) = (Asked::default(), Asked::default());
    let mut tick = tokio::time::interval(EVERY);
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            _ = tick.tick() => {}
        }
        for (device, _) in &stage.devices {
            let url = format!("{oracle}/v1/challenges/{device}");
            let label = ask(&http, &url).await;
            unsigned.requests += 1;
            *unsigned.answers.entry(label).or_default() += 1;
            // Signed, and at the oracle's time, but by the stranger's key.
            let at_ms = plexus_blobs::upload_auth::system_millis();
            let signature = stranger.sign(&statements::challenge_fetch(&chain_id, device, at_ms));
            let url = format!(
                "{url}?at_ms={at_ms}&signature={}",
                hex(&signature.to_bytes())
            );
            let label = ask(&http, &url).await;
            forged.requests += 1;
            *forged.answers.entry(label).or_default() += 1;
        }
    }
    report(&stage, &http, &unsigned, &forged).await
}

async fn report<C>(
    stage: &Stage<C>,
    http: &reqwest::Client,
    unsigned: &Asked,
    forged: &Asked,
) -> anyhow::Result<AdversaryReport> {
    let store = stage.chain.store();
    let honest: BTreeSet<PublicKey> = stage
        .devices
        .iter()
        .filter(|(_, role)| role == "honest")
        .map(|(key, _)| *key)
        .collect();
    let mut slashed = 0;
    for key in &honest {
        if let Some(d) = query::device(store, key)? {
            slashed += usize::from(matches!(d.status, DeviceStatus::Slashed { .. }));
        }
    }
    // Every epoch's evidence so far, as the oracle publishes it.
    let epoch_blocks = query::chain_info(store)?
        .map_or(1, |i| i.rewards.epoch_blocks)
        .max(1);
    let last_epoch = stage.chain.status().height / epoch_blocks;
    let oracle = stage.oracle.trim_end_matches('/');
    let mut records = Vec::new();
    for epoch in 0..=last_epoch {
        let text = http
            .get(format!("{oracle}/v1/evidence/{epoch}"))
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            records.push(serde_json::from_str::<PublishedRecord>(line)?);
        }
    }
    let outcomes = honest_outcomes(&records, &honest);
    let line = |what: &str, asked: &Asked| {
        let answers: Vec<String> = asked
            .answers
            .iter()
            .map(|(label, n)| format!("{n}× {label}"))
            .collect();
        format!(
            "{what}: {} requests, {} refused, {} answered with challenges; answers {}",
            asked.requests,
            asked.refused(),
            asked.answered(),
            answers.join(", ")
        )
    };
    let none_answered = unsigned.answered() == 0 && forged.answered() == 0;
    let (held, why) = verdict(none_answered, &outcomes, slashed);
    Ok(AdversaryReport {
        kind: Adversary::ChallengeGriefer,
        tried: format!(
            "asks the oracle for the open challenges of each of {} devices every {} ms, unsigned and signed by a stranger's key",
            stage.devices.len(),
            EVERY.as_millis()
        ),
        outcome: vec![
            line("unsigned", unsigned),
            line("signed by a key not the device's", forged),
            format!(
                "honest devices' challenges over epochs 0–{last_epoch}: {} passed, {} missed, {} wrong; honest devices slashed: {slashed}",
                outcomes.passed, outcomes.missed, outcomes.wrong
            ),
            why,
        ],
        held,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_types::Hash;

    fn challenge(device: PublicKey, outcome: ChallengeOutcome) -> PublishedRecord {
        PublishedRecord::Challenge {
            device,
            epoch: 1,
            challenge_id: Hash::of(b"c"),
            class: "cpu-small".into(),
            n: 8,
            secret: String::new(),
            outcome,
            root: None,
            commit_signature: None,
            rows: Vec::new(),
        }
    }

    #[test]
    fn only_the_honest_devices_challenges_are_tallied() {
        let honest = SecretKey::generate().public_key();
        let cheat = SecretKey::generate().public_key();
        let records = [
            challenge(honest, ChallengeOutcome::Passed),
            challenge(honest, ChallengeOutcome::Passed),
            challenge(honest, ChallengeOutcome::Missed),
            challenge(cheat, ChallengeOutcome::Wrong),
            PublishedRecord::Heartbeat {
                device: honest,
                epoch: 1,
                interval: 0,
                signed: String::new(),
            },
        ];
        let out = honest_outcomes(&records, &BTreeSet::from([honest]));
        assert_eq!(
            out,
            Outcomes {
                passed: 2,
                missed: 1,
                wrong: 0
            }
        );
    }

    #[test]
    fn a_griefer_answered_with_challenges_is_not_held_and_own_misses_are_not_its_doing() {
        let missed = Outcomes {
            passed: 9,
            missed: 2,
            wrong: 0,
        };
        assert!(!verdict(false, &Outcomes::default(), 0).0);
        let (held, why) = verdict(true, &missed, 0);
        assert!(held && why.contains("2 misses"), "{why}");
        assert!(!verdict(true, &missed, 1).0);
        assert!(!verdict(true, &Outcomes { wrong: 1, ..missed }, 0).0);
    }

    #[test]
    fn a_successful_answer_is_not_counted_as_refused_nor_is_a_missing_one() {
        let asked = Asked {
            requests: 4,
            answers: BTreeMap::from([
                ("401 unsigned".to_string(), 2),
                ("200".to_string(), 1),
                ("no answer".to_string(), 1),
            ]),
        };
        assert_eq!((asked.refused(), asked.answered()), (2, 1));
    }
}
