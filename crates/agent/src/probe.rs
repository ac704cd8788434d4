//! What hardware the device has, as declared in its registration: CPU cores, memory, GPUs.
//!
//! GPUs are read through NVML, which is loaded at run time: a machine without the NVIDIA
//! driver simply has no GPUs, and the agent runs the same binary everywhere.

use plexus_types::Capabilities;

/// One GPU as NVML reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gpu {
    pub model: String,
    pub vram_mb: u64,
}

/// The device's hardware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HardwareProbe {
    pub cpu_cores: u32,
    pub memory_mb: u64,
    pub gpus: Vec<Gpu>,
}

impl HardwareProbe {
    /// Probes this machine. Never fails: what cannot be read counts as absent (0 MiB of
    /// memory, no GPUs), which under-declares rather than over-declares.
    pub fn detect() -> HardwareProbe {
        let cpu_cores = std::thread::available_parallelism()
            .map(|n| u32::try_from(n.get()).unwrap_or(u32::MAX))
            .unwrap_or(1);
        let memory_mb = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| mem_total_mb(&text))
            .unwrap_or(0);
        HardwareProbe {
            cpu_cores,
            memory_mb,
            gpus: nvidia_gpus(),
        }
    }

    /// The capabilities to declare on chain. One model and VRAM size are declared for all
    /// GPUs: those of the GPU with the least VRAM, so a mixed machine never claims more than
    /// every one of its GPUs has.
    pub fn to_capabilities(&self) -> Capabilities {
        let smallest = self.gpus.iter().min_by_key(|g| g.vram_mb);
        Capabilities {
            cpu_cores: self.cpu_cores,
            memory_mb: self.memory_mb,
            gpu_model: smallest
                .map(|g| truncate(&g.model, plexus_types::tx::MAX_GPU_MODEL_LEN))
                .unwrap_or_default(),
            gpu_vram_mb: smallest.map(|g| g.vram_mb).unwrap_or(0),
            gpu_count: u32::try_from(self.gpus.len()).unwrap_or(u32::MAX),
            endpoint: String::new(),
            rated_watts: 0,
        }
    }
}

/// `MemTotal:  16314548 kB` → 15932.
fn mem_total_mb(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut fields = line.split_whitespace().skip(1);
    let value: u64 = fields.next()?.parse().ok()?;
    match fields.next() {
        Some("kB") | None => Some(value / 1024),
        Some(_) => None,
    }
}

fn truncate(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

fn nvidia_gpus() -> Vec<Gpu> {
    let nvml = match nvml_wrapper::Nvml::init() {
        Ok(nvml) => nvml,
        Err(e) => {
            tracing::debug!(error = %e, "NVML is not available: no GPUs declared");
            return Vec::new();
        }
    };
    let count = match nvml.device_count() {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "NVML loaded but cannot count GPUs: no GPUs declared");
            return Vec::new();
        }
    };
    (0..count)
        .filter_map(|i| {
            let read = || -> Result<Gpu, nvml_wrapper::error::NvmlError> {
                let device = nvml.device_by_index(i)?;
                Ok(Gpu {
                    model: device.name()?,
                    vram_mb: device.memory_info()?.total / (1024 * 1024),
                })
            };
            read()
                .inspect_err(|e| tracing::warn!(gpu = i, error = %e, "cannot read a GPU; it is not declared"))
                .ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_read_from_meminfo_in_mebibytes() {
        let text = "MemTotal:       16314548 kB\nMemFree:         1000 kB\n";
        assert_eq!(mem_total_mb(text), Some(15932));
        assert_eq!(mem_total_mb("MemFree: 5 kB\n"), None);
    }

    #[test]
    fn this_machine_has_at_least_one_core() {
        let probe = HardwareProbe::detect();
        assert!(probe.cpu_cores >= 1);
        assert_eq!(probe.to_capabilities().gpu_count as usize, probe.gpus.len());
    }

    #[test]
    fn a_mixed_gpu_machine_declares_its_smallest_gpu() {
        let probe = HardwareProbe {
            cpu_cores: 32,
            memory_mb: 256_000,
            gpus: vec![
                Gpu {
                    model: "NVIDIA H100 80GB HBM3".into(),
                    vram_mb: 81_559,
                },
                Gpu {
                    model: "NVIDIA A100-SXM4-40GB".into(),
                    vram_mb: 40_960,
                },
            ],
        };
        let caps = probe.to_capabilities();
        assert_eq!(caps.gpu_count, 2);
        assert_eq!(caps.gpu_model, "NVIDIA A100-SXM4-40GB");
        assert_eq!(caps.gpu_vram_mb, 40_960);
        assert_eq!(caps.cpu_cores, 32);
    }

    #[test]
    fn a_machine_without_gpus_declares_none() {
        let probe = HardwareProbe {
            cpu_cores: 2,
            memory_mb: 4096,
            gpus: vec![],
        };
        let caps = probe.to_capabilities();
        assert_eq!((caps.gpu_count, caps.gpu_vram_mb), (0, 0));
        assert!(caps.gpu_model.is_empty());
    }
}
