//! Arbitrary bytes as a `.npy` file: `from_npy_bytes` must return Ok or Err, never panic,
//! abort or allocate without bound. An Ok tensor must hold as many elements as its shape says.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = firebrand::io::from_npy_bytes(data) {
        assert_eq!(t.numel(), t.shape().iter().product::<usize>());
        // what was read can be written back and read again to the same tensor
        let bytes = firebrand::io::to_npy_bytes(&t).expect("a loaded tensor can be saved");
        let again = firebrand::io::from_npy_bytes(&bytes).expect("a saved tensor loads");
        assert_eq!((again.shape(), again.dtype()), (t.shape(), t.dtype()));
    }
});
