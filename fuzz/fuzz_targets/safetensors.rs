//! Arbitrary bytes as a safetensors file: loading must return Ok or Err, never panic, abort or
//! allocate without bound; what loads can be saved and loaded again.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((tensors, _metadata)) = firebrand::io::from_safetensors_bytes_with_metadata(data) {
        let bytes =
            firebrand::io::to_safetensors_bytes(&tensors).expect("loaded tensors can be saved");
        let again = firebrand::io::from_safetensors_bytes(&bytes).expect("saved tensors load");
        assert_eq!(again.len(), tensors.len());
    }
});
