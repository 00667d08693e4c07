//! Where a tensor's data lives: [`Device::Cpu`] or a CUDA GPU.

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// A device, as `torch.device`: the CPU, or the CUDA GPU with the given ordinal.
///
/// ```
/// use firebrand::Device;
/// use std::str::FromStr;
/// assert_eq!(Device::from_str("cuda:1").unwrap(), Device::Cuda(1));
/// assert_eq!(Device::from_str("cpu").unwrap(), Device::Cpu);
/// assert!(Device::from_str("tpu").is_err());
/// assert_eq!(Device::Cuda(0).to_string(), "cuda:0");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Device {
    /// Host memory.
    #[default]
    Cpu,
    /// The CUDA device with this ordinal.
    Cuda(usize),
}

impl Device {
    /// `Device::Cuda(ordinal)` when that GPU can be used, otherwise `Device::Cpu`.
    ///
    /// ```
    /// let d = firebrand::Device::cuda_if_available(0);
    /// assert!(matches!(d, firebrand::Device::Cpu | firebrand::Device::Cuda(0)));
    /// ```
    pub fn cuda_if_available(ordinal: usize) -> Device {
        if crate::backend::cuda_is_available(ordinal) {
            Device::Cuda(ordinal)
        } else {
            Device::Cpu
        }
    }

    /// True for [`Device::Cuda`].
    ///
    /// ```
    /// assert!(firebrand::Device::Cuda(0).is_cuda());
    /// ```
    pub fn is_cuda(&self) -> bool {
        matches!(self, Device::Cuda(_))
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}

impl FromStr for Device {
    type Err = Error;

    fn from_str(s: &str) -> Result<Device> {
        let bad = || {
            Error::Device(format!(
                "unknown device '{s}'; expected 'cpu', 'cuda' or 'cuda:N'"
            ))
        };
        match s.trim() {
            "cpu" => Ok(Device::Cpu),
            "cuda" => Ok(Device::Cuda(0)),
            other => other
                .strip_prefix("cuda:")
                .and_then(|n| n.parse().ok())
                .map(Device::Cuda)
                .ok_or_else(bad),
        }
    }
}
