//! Arbitrary bytes as a `.npz` archive (zip of `.npy` entries, stored or deflated):
//! `from_npz_bytes` must return Ok or Err, never panic, abort or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(entries) = firebrand::io::from_npz_bytes(data) {
        for (_, t) in &entries {
            assert_eq!(t.numel(), t.shape().iter().product::<usize>());
        }
    }
});
