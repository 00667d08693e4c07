//! Reading and writing tensors: safetensors (PyTorch/Hugging Face checkpoints), NumPy's `.npy`
//! and `.npz`.
//!
//! - Every save is atomic ([`write_atomic`]): a temporary file beside the target is written,
//!   synced and renamed over it, so an error or a crash midway leaves the previous file intact.
//! - Every load checks sizes against the file before allocating: a truncated, corrupt or lying
//!   file is an [`Error::Format`](crate::Error::Format) naming the file and the problem, never
//!   a panic.
//! - Non-contiguous tensors are saved by their logical (row-major) values.
//!
//! ```
//! use firebrand::{io, tensor};
//! let dir = std::env::temp_dir();
//! let named = vec![("w".to_string(), tensor!([[1.0f32, 2.0], [3.0, 4.0]]))];
//! io::save_safetensors(&named, dir.join("firebrand_doc_io.safetensors")).unwrap();
//! io::write_npy(&named[0].1, dir.join("firebrand_doc_io.npy")).unwrap();
//! let w = io::read_npy(dir.join("firebrand_doc_io.npy")).unwrap();
//! assert_eq!(w.to_vec::<f32>(), vec![1.0, 2.0, 3.0, 4.0]);
//! # std::fs::remove_file(dir.join("firebrand_doc_io.safetensors")).unwrap();
//! # std::fs::remove_file(dir.join("firebrand_doc_io.npy")).unwrap();
//! ```

mod atomic;
mod npy;
mod npz;
mod raw;
mod safetensors;
mod zip;

pub use self::safetensors::{
    from_safetensors_bytes, from_safetensors_bytes_with_metadata, load_safetensors,
    load_safetensors_with_metadata, save_safetensors, save_safetensors_with_metadata,
    to_safetensors_bytes, to_safetensors_bytes_with_metadata,
};
pub use atomic::write_atomic;
pub use npy::{from_npy_bytes, read_npy, to_npy_bytes, write_npy};
pub use npz::{from_npz_bytes, read_npz, to_npz_bytes, write_npz};
