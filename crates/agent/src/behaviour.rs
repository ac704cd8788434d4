//! How an agent behaves, by name: honestly, or as one of the cheats the network must catch
//! (`--behaviour`). A name is read once, at start, into the [`Strategies`] its duties are
//! given; no duty ever looks at the name.

use crate::bandwidth::{FullRate, LinkRate};
use crate::challenges::{ComputeProver, HonestProver};
use crate::cheats::{
    DroppedReplicas, DropsOut, FlippedUpdates, LateSubmitter, LyingChecker, NoiseUpdates,
    ReplayedHeartbeats, SlowerClass, ThrottledLink, WrongOutputs, WrongProduct,
};
use crate::error::AgentError;
use crate::heartbeat::{FreshHeartbeats, HeartbeatSource};
use crate::jobs::{JobResults, TrueResults};
use crate::learning::{TrainedUpdates, UpdatePolicy};
use crate::storage::{KeepReplicas, ReplicaPolicy};
use plexus_proofs::compute::{class_by_name, ComputeClass, COMPUTE_CLASSES};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

pub use crate::cheats::{simulated_proving_time, HONEST_RUNS_FIRST, THROTTLE_BYTES_PER_SEC};

/// What each duty of an agent does where a cheat would do otherwise.
#[derive(Clone)]
pub struct Strategies {
    pub prover: Arc<dyn ComputeProver>,
    pub heartbeats: Arc<dyn HeartbeatSource>,
    pub replicas: Arc<dyn ReplicaPolicy>,
    pub job_results: Arc<dyn JobResults>,
    pub link: Arc<dyn LinkRate>,
}

impl Strategies {
    /// Every duty honest.
    pub fn honest() -> Strategies {
        Strategies {
            prover: Arc::new(HonestProver),
            heartbeats: Arc::new(FreshHeartbeats),
            replicas: Arc::new(KeepReplicas),
            job_results: Arc::new(TrueResults),
            link: Arc::new(FullRate),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Honest,
    /// Commits to a wrong product: one element of every row is off by one, so whichever row
    /// the oracle opens is wrong. It signs the commitment like an honest device, which makes
    /// the opened row a fraud proof that slashes its stake.
    WrongCompute,
    /// Registers under the configured class but only has the throughput of `real_class`.
    ///
    /// Simulated host-independently from the class table: the device's throughput is that of
    /// `real_class`'s reference device, which proves its own n_r-sized challenge in
    /// `deadline_r / DEADLINE_SLACK`. An n-sized challenge then takes
    /// `(n / n_r)³ · deadline_r / DEADLINE_SLACK`. The agent computes the real answer (it is
    /// correct: this cheat is slow, not wrong) and holds its commitment back until that much
    /// time has passed since it received the challenge, or longer if this machine is slower
    /// still. Since every class demands more than `DEADLINE_SLACK` times the throughput of the
    /// one below it, the commitment always misses the declared class's deadline.
    OverDeclare {
        real_class: &'static ComputeClass,
    },
    /// Heartbeats honestly in its first interval, then re-sends that first signed heartbeat
    /// in every later interval instead of making fresh ones: the laziest way to look alive.
    ReplayHeartbeats,
    /// A storage device that fetches its assigned replicas, then deletes them and keeps
    /// answering as if it held them: its retrievability challenges fail.
    DropReplicas,
    /// A compute device that answers its challenges honestly but returns corrupted outputs
    /// for the marketplace jobs it wins: caught when its results are re-executed.
    WrongResults,
    /// A bandwidth device whose speed test service moves at most [`THROTTLE_BYTES_PER_SEC`]
    /// (8 Mbps), as a device declaring a home link while sitting on a slow one would.
    Throttle,
    /// A compute device that runs its own jobs honestly and lies about every result it is
    /// drawn to check: one of a sybil's addresses out to capture re-execution.
    LyingChecker,
    /// A compute device that, past its first honest runs, returns wrong outputs and holds each
    /// result back until the sample draw it predicts from the chain's tip says "not checked".
    LateSubmitter,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown behaviour {0:?}: expected honest, wrong-compute, over-declare:<real class>, replay-heartbeats, drop-replicas, throttle, wrong-results, lying-checker or late-submitter")]
pub struct BehaviourParseError(pub String);

impl Behaviour {
    /// The name devnets report: `honest`, `wrong-compute`, `over-declare:<real class>`,
    /// `replay-heartbeats`. [`str::parse`] reads it back.
    pub fn name(&self) -> String {
        match self {
            Behaviour::Honest => "honest".into(),
            Behaviour::WrongCompute => "wrong-compute".into(),
            Behaviour::OverDeclare { real_class } => format!("over-declare:{}", real_class.name),
            Behaviour::ReplayHeartbeats => "replay-heartbeats".into(),
            Behaviour::DropReplicas => "drop-replicas".into(),
            Behaviour::Throttle => "throttle".into(),
            Behaviour::WrongResults => "wrong-results".into(),
            Behaviour::LyingChecker => "lying-checker".into(),
            Behaviour::LateSubmitter => "late-submitter".into(),
        }
    }

    pub fn is_honest(&self) -> bool {
        matches!(self, Behaviour::Honest)
    }

    /// The strategies this behaviour gives the agent's duties: honest ones except where it
    /// cheats.
    pub fn strategies(&self) -> Strategies {
        let honest = Strategies::honest();
        match *self {
            Behaviour::Honest => honest,
            Behaviour::WrongCompute => Strategies {
                prover: Arc::new(WrongProduct),
                ..honest
            },
            Behaviour::OverDeclare { real_class } => Strategies {
                prover: Arc::new(SlowerClass { real_class }),
                ..honest
            },
            Behaviour::ReplayHeartbeats => Strategies {
                heartbeats: Arc::new(ReplayedHeartbeats::default()),
                ..honest
            },
            Behaviour::DropReplicas => Strategies {
                replicas: Arc::new(DroppedReplicas),
                ..honest
            },
            Behaviour::WrongResults => Strategies {
                job_results: Arc::new(WrongOutputs),
                ..honest
            },
            Behaviour::Throttle => Strategies {
                link: Arc::new(ThrottledLink),
                ..honest
            },
            Behaviour::LyingChecker => Strategies {
                job_results: Arc::new(LyingChecker),
                ..honest
            },
            Behaviour::LateSubmitter => Strategies {
                job_results: Arc::new(LateSubmitter::default()),
                ..honest
            },
        }
    }

    /// How long after receiving an n-sized challenge this behaviour may commit at the
    /// earliest. Zero except when over-declaring.
    pub fn commit_delay(&self, n: u32) -> Duration {
        self.strategies().prover.commit_delay(n)
    }

    /// Refuses a behaviour that makes no sense for a device declaring class `declared`: an
    /// over-declaring device must declare a larger class than its real one.
    pub fn check_declared_class(&self, declared: &str) -> Result<(), AgentError> {
        if let Behaviour::OverDeclare { real_class } = self {
            let declared_class = class_by_name(declared);
            if declared_class.is_none_or(|d| d.n <= real_class.n) {
                return Err(AgentError::NotOverDeclaring {
                    declared: declared.to_string(),
                    real: real_class.name.to_string(),
                });
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for Behaviour {
    type Err = BehaviourParseError;

    fn from_str(s: &str) -> Result<Behaviour, BehaviourParseError> {
        let bad = || BehaviourParseError(s.to_string());
        match s {
            "honest" => Ok(Behaviour::Honest),
            "wrong-compute" => Ok(Behaviour::WrongCompute),
            "replay-heartbeats" => Ok(Behaviour::ReplayHeartbeats),
            "drop-replicas" => Ok(Behaviour::DropReplicas),
            "throttle" => Ok(Behaviour::Throttle),
            "wrong-results" => Ok(Behaviour::WrongResults),
            "lying-checker" => Ok(Behaviour::LyingChecker),
            "late-submitter" => Ok(Behaviour::LateSubmitter),
            other => {
                let class = other.strip_prefix("over-declare:").ok_or_else(bad)?;
                let real_class = class_by_name(class).ok_or_else(bad)?;
                Ok(Behaviour::OverDeclare { real_class })
            }
        }
    }
}

impl std::fmt::Display for Behaviour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// Every compute class larger than `real`: the ones a device of class `real` can over-declare.
pub fn larger_classes(real: &ComputeClass) -> impl Iterator<Item = &'static ComputeClass> + '_ {
    COMPUTE_CLASSES.iter().filter(move |c| c.n > real.n)
}

/// How a training participant behaves (everything but `Honest` is for devnets and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LearnBehaviour {
    Honest,
    /// Sends its honest update negated and scaled by 4: a model-poisoning attack.
    SignFlip,
    /// Sends noise 4 times the norm of its honest update.
    Noise,
    /// Takes part until round `after`, then goes silent in the middle of the next round.
    DropOut {
        after: u32,
    },
}

impl LearnBehaviour {
    pub fn name(&self) -> String {
        match self {
            LearnBehaviour::Honest => "honest".into(),
            LearnBehaviour::SignFlip => "sign-flip".into(),
            LearnBehaviour::Noise => "noise".into(),
            LearnBehaviour::DropOut { after } => format!("drop-out-after-{after}"),
        }
    }

    /// The update policy this behaviour gives a participant.
    pub fn policy(&self) -> Arc<dyn UpdatePolicy> {
        match *self {
            LearnBehaviour::Honest => Arc::new(TrainedUpdates),
            LearnBehaviour::SignFlip => Arc::new(FlippedUpdates),
            LearnBehaviour::Noise => Arc::new(NoiseUpdates),
            LearnBehaviour::DropOut { after } => Arc::new(DropsOut { after }),
        }
    }
}

impl From<LearnBehaviour> for Arc<dyn UpdatePolicy> {
    fn from(behaviour: LearnBehaviour) -> Self {
        behaviour.policy()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_proofs::compute::{check_opening, is_fraud, ComputeChallenge, DEADLINE_SLACK};

    #[test]
    fn behaviours_round_trip_through_their_names() {
        for b in [
            Behaviour::Honest,
            Behaviour::WrongCompute,
            Behaviour::ReplayHeartbeats,
            Behaviour::DropReplicas,
            Behaviour::OverDeclare {
                real_class: &COMPUTE_CLASSES[0],
            },
        ] {
            assert_eq!(b.name().parse::<Behaviour>(), Ok(b));
        }
        assert!("over-declare:cpu-huge".parse::<Behaviour>().is_err());
        assert!("lazy".parse::<Behaviour>().is_err());
    }

    #[test]
    fn an_over_declaring_device_misses_the_deadline_of_every_larger_class() {
        for real in &COMPUTE_CLASSES {
            for declared in larger_classes(real) {
                let took = simulated_proving_time(declared.n, real);
                assert!(
                    took > Duration::from_millis(declared.deadline_ms),
                    "{} posing as {} takes {took:?}, within the {} ms deadline",
                    real.name,
                    declared.name,
                    declared.deadline_ms
                );
            }
            // On its own class it is a reference device, well within the deadline.
            let own = simulated_proving_time(real.n, real);
            assert_eq!(
                own,
                Duration::from_micros(real.deadline_ms * 1000 / DEADLINE_SLACK)
            );
        }
    }

    #[test]
    fn a_cpu_small_device_posing_as_cpu_large_takes_eight_hundred_milliseconds() {
        let small = class_by_name("cpu-small").unwrap();
        let large = class_by_name("cpu-large").unwrap();
        assert_eq!(
            simulated_proving_time(large.n, small),
            Duration::from_millis(800)
        );
    }

    #[test]
    fn an_over_declarer_proves_what_could_be_on_time_and_commits_unproved_to_what_cannot() {
        let small = class_by_name("cpu-small").unwrap();
        let large = class_by_name("cpu-large").unwrap();
        let prover = Behaviour::OverDeclare { real_class: small }
            .strategies()
            .prover;
        // Its own class's size: the true product, as an honest device commits to.
        let own = ComputeChallenge::new([6; 32], small.n).unwrap();
        assert_eq!(
            prover.prove(&own).root(),
            plexus_proofs::compute::prove(&own).root()
        );
        // cpu-large's size: 800 ms, past the oracle's limit, so nothing is computed.
        assert!(prover.commit_delay(large.n) > large.commit_limit());
        let posed = ComputeChallenge::new([6; 32], large.n).unwrap();
        assert!(prover.prove(&posed).product().iter().all(|x| *x == 0));
    }

    #[test]
    fn a_wrong_compute_answer_is_wrong_in_every_row_it_could_open() {
        let challenge = ComputeChallenge::new([5; 32], 16).unwrap();
        let wrong = Behaviour::WrongCompute
            .strategies()
            .prover
            .prove(&challenge);
        for i in 0..16 {
            assert!(is_fraud(&challenge, &wrong.root(), &wrong.open(i).unwrap()));
        }
        let honest = Behaviour::Honest.strategies().prover.prove(&challenge);
        for i in 0..16 {
            assert!(check_opening(&challenge, &honest.root(), &honest.open(i).unwrap()).is_ok());
        }
    }
}
