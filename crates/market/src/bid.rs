//! A provider's bid policy: what it charges per block for each resource a job asks for, and
//! which runtimes it offers. A provider never bids for a job its hardware cannot run, nor
//! above the job's price cap; the reason it passes is returned, so an agent can log it.

use crate::spec::{JobSpec, RuntimeKind};
use plexus_types::tx::Capabilities;
use plexus_types::Amount;
use serde::{Deserialize, Serialize};

/// Prices per block, in base units. The agent's config holds one under `[bidding]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BidPolicy {
    /// The runtimes this provider runs.
    pub runtimes: Vec<RuntimeKind>,
    pub per_cpu_core: Amount,
    /// Per GiB of memory, a started GiB counting whole.
    pub per_memory_gib: Amount,
    pub per_gpu: Amount,
    /// The least this provider bids for any job.
    pub min_per_block: Amount,
}

/// Why a provider does not bid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoBid {
    #[error("this provider does not run {0:?} jobs")]
    Runtime(RuntimeKind),
    #[error("the job needs {need} CPU cores; this provider has {have}")]
    Cpu { need: u32, have: u32 },
    #[error("the job needs {need} MB of memory; this provider has {have}")]
    Memory { need: u64, have: u64 },
    #[error("the job needs {need} GPUs; this provider has {have}")]
    GpuCount { need: u32, have: u32 },
    #[error("the job needs a GPU with {need} MB of memory; this provider's have {have}")]
    GpuMemory { need: u64, have: u64 },
    #[error("the job needs a {need} GPU; this provider has {have:?}")]
    GpuModel { need: String, have: String },
    #[error("this provider's price, {price:?} per block, is above the job's cap of {cap:?}")]
    AboveCap { price: Amount, cap: Amount },
    #[error("the price overflows")]
    Overflow,
}

impl BidPolicy {
    /// The price per block (per replica) this provider bids for `job` on `hardware`.
    pub fn quote(&self, job: &JobSpec, hardware: &Capabilities) -> Result<Amount, NoBid> {
        let kind = job.runtime.kind();
        if !self.runtimes.contains(&kind) {
            return Err(NoBid::Runtime(kind));
        }
        let need = &job.resources;
        if need.cpu_cores > hardware.cpu_cores {
            return Err(NoBid::Cpu {
                need: need.cpu_cores,
                have: hardware.cpu_cores,
            });
        }
        if need.memory_mb > hardware.memory_mb {
            return Err(NoBid::Memory {
                need: need.memory_mb,
                have: hardware.memory_mb,
            });
        }
        let gpus = match &need.gpu {
            None => 0,
            Some(gpu) => {
                if gpu.count > hardware.gpu_count {
                    return Err(NoBid::GpuCount {
                        need: gpu.count,
                        have: hardware.gpu_count,
                    });
                }
                if gpu.vram_mb > hardware.gpu_vram_mb {
                    return Err(NoBid::GpuMemory {
                        need: gpu.vram_mb,
                        have: hardware.gpu_vram_mb,
                    });
                }
                if let Some(model) = &gpu.model {
                    // The ledger's rule, so a bid never fails on chain for its model.
                    if !hardware.gpu_model_names(model) {
                        return Err(NoBid::GpuModel {
                            need: model.clone(),
                            have: hardware.gpu_model.clone(),
                        });
                    }
                }
                gpu.count
            }
        };
        let gib = need.memory_mb.div_ceil(1024);
        let price = [
            self.per_cpu_core.0.checked_mul(u128::from(need.cpu_cores)),
            self.per_memory_gib.0.checked_mul(u128::from(gib)),
            self.per_gpu.0.checked_mul(u128::from(gpus)),
        ]
        .into_iter()
        .try_fold(0u128, |sum, part| sum.checked_add(part?))
        .ok_or(NoBid::Overflow)?;
        let price = Amount(price.max(self.min_per_block.0));
        if price > job.max_price_per_block {
            return Err(NoBid::AboveCap {
                price,
                cap: job.max_price_per_block,
            });
        }
        Ok(price)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::tests::{INFERENCE_JOB, WASM_JOB};

    fn policy() -> BidPolicy {
        BidPolicy {
            runtimes: vec![RuntimeKind::Wasm, RuntimeKind::Inference],
            per_cpu_core: Amount::uplx(100_000),
            per_memory_gib: Amount::uplx(10_000),
            per_gpu: Amount::plx(1),
            min_per_block: Amount::uplx(50_000),
        }
    }

    fn gpu_box() -> Capabilities {
        Capabilities {
            cpu_cores: 16,
            memory_mb: 65_536,
            gpu_model: "NVIDIA A100-SXM4-80GB".into(),
            gpu_vram_mb: 81_920,
            gpu_count: 2,
            endpoint: String::new(),
            rated_watts: 0,
        }
    }

    #[test]
    fn a_job_is_priced_by_what_it_asks_for() {
        let wasm = JobSpec::from_toml(WASM_JOB).unwrap();
        // 1 core + 128 MB (one started GiB): 0.1 + 0.01 PLX.
        assert_eq!(policy().quote(&wasm, &gpu_box()), Ok(Amount::uplx(110_000)));
        let inference = JobSpec::from_toml(INFERENCE_JOB).unwrap();
        // 4 cores + 8 GiB + 1 GPU: 0.4 + 0.08 + 1 PLX.
        assert_eq!(
            policy().quote(&inference, &gpu_box()),
            Ok(Amount::uplx(1_480_000))
        );
        let floor = BidPolicy {
            min_per_block: Amount::uplx(300_000),
            ..policy()
        };
        assert_eq!(floor.quote(&wasm, &gpu_box()), Ok(Amount::uplx(300_000)));
    }

    #[test]
    fn a_provider_never_bids_for_what_it_cannot_run_or_above_the_cap() {
        let inference = JobSpec::from_toml(INFERENCE_JOB).unwrap();
        let no_gpu = Capabilities {
            gpu_model: String::new(),
            gpu_vram_mb: 0,
            gpu_count: 0,
            ..gpu_box()
        };
        assert_eq!(
            policy().quote(&inference, &no_gpu),
            Err(NoBid::GpuCount { need: 1, have: 0 })
        );
        let small_gpu = Capabilities {
            gpu_vram_mb: 24_000,
            ..gpu_box()
        };
        assert!(matches!(
            policy().quote(&inference, &small_gpu),
            Err(NoBid::GpuMemory { .. })
        ));
        let other_gpu = Capabilities {
            gpu_model: "NVIDIA H100".into(),
            ..gpu_box()
        };
        assert!(matches!(
            policy().quote(&inference, &other_gpu),
            Err(NoBid::GpuModel { .. })
        ));
        let lower_case = Capabilities {
            gpu_model: "nvidia a100-sxm4-80gb".into(),
            ..gpu_box()
        };
        assert!(policy().quote(&inference, &lower_case).is_ok());
        let small = Capabilities {
            cpu_cores: 2,
            ..gpu_box()
        };
        assert_eq!(
            policy().quote(&inference, &small),
            Err(NoBid::Cpu { need: 4, have: 2 })
        );
        let little_memory = Capabilities {
            memory_mb: 4096,
            ..gpu_box()
        };
        assert!(matches!(
            policy().quote(&inference, &little_memory),
            Err(NoBid::Memory { .. })
        ));
        let wasm_only = BidPolicy {
            runtimes: vec![RuntimeKind::Wasm],
            ..policy()
        };
        assert_eq!(
            wasm_only.quote(&inference, &gpu_box()),
            Err(NoBid::Runtime(RuntimeKind::Inference))
        );
        let dear = BidPolicy {
            per_gpu: Amount::plx(5),
            ..policy()
        };
        assert!(matches!(
            dear.quote(&inference, &gpu_box()),
            Err(NoBid::AboveCap { .. })
        ));
        let absurd = BidPolicy {
            per_cpu_core: Amount(u128::MAX),
            ..policy()
        };
        assert_eq!(absurd.quote(&inference, &gpu_box()), Err(NoBid::Overflow));
    }
}
