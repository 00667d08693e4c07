//! Arbitrary bytes as an IDX file (MNIST's format, plain or gzipped): `data::read_idx` must
//! return Ok or Err, never panic, abort or allocate without bound. It reads from a path, so
//! each input goes through a temporary file of this process.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::LazyLock;

static PATH: LazyLock<PathBuf> = LazyLock::new(|| {
    std::env::temp_dir().join(format!("firebrand-fuzz-idx-{}", std::process::id()))
});

fuzz_target!(|data: &[u8]| {
    std::fs::write(&*PATH, data).expect("the temporary file can be written");
    if let Ok(t) = firebrand::data::read_idx(&*PATH) {
        assert_eq!(t.numel(), t.shape().iter().product::<usize>());
    }
});
