//! Feeds arbitrary bytes to every firebrand::io loader: each must return Ok or Err, never
//! panic, abort or allocate without bound. Crashing inputs belong in tests/io.rs as
//! regression cases.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = firebrand::io::from_safetensors_bytes(data);
    let _ = firebrand::io::from_npy_bytes(data);
    let _ = firebrand::io::from_npz_bytes(data);
});
