//! Kernels, once per device. Nothing outside `backend/` touches raw buffers.

pub(crate) mod cpu;

use crate::error::Error;

/// True when CUDA device `ordinal` can be used (always false until the CUDA backend lands).
pub(crate) fn cuda_is_available(_ordinal: usize) -> bool {
    false
}

/// The error for a CUDA device that cannot be used.
pub(crate) fn cuda_unavailable(ordinal: usize) -> Error {
    Error::Device(format!(
        "cuda:{ordinal} is not available: firebrand was built without the `cuda` feature or no \
         CUDA driver was found; use Device::cuda_if_available(0) to fall back to the CPU"
    ))
}
