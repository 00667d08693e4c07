//! Matrix-multiply kernels (the `gemm` crate for floats).
