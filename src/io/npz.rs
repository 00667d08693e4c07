//! NumPy's `.npz`: a zip archive holding one `<name>.npy` per array.

use super::atomic::{io_error, write_atomic};
use super::npy::{parse_npy, to_npy_bytes};
use super::zip::{ZipWriter, entry_data, read_entries};
use crate::{Error, Result, Tensor};
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

/// Reads every array of a `.npz` file (from `np.savez` or `np.savez_compressed`), in the
/// archive's order, which is the order the arrays were passed to `np.savez`. Names lose their
/// `.npy` suffix. An entry that is not a `.npy` file, or any corrupt entry, is an `Err` naming
/// the file, the entry and the problem.
///
/// ```
/// use firebrand::{io, tensor};
/// let path = std::env::temp_dir().join("firebrand_doc_read.npz");
/// io::write_npz(&[("x".into(), tensor!([1.0, 2.0])), ("y".into(), tensor!(7i64))], &path).unwrap();
/// let arrays = io::read_npz(&path).unwrap();
/// assert_eq!(arrays[0].0, "x");
/// assert_eq!(arrays[1].1.item::<i64>(), 7);
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn read_npz(path: impl AsRef<Path>) -> Result<Vec<(String, Tensor)>> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
    parse_npz(&bytes).map_err(|m| Error::Format(format!("{}: {m}", path.display())))
}

/// Reads the arrays of `.npz` bytes held in memory (see [`read_npz`]).
///
/// ```
/// let err = firebrand::io::from_npz_bytes(b"\x93NUMPY").unwrap_err();
/// assert!(err.to_string().contains("not a zip archive"));
/// ```
pub fn from_npz_bytes(bytes: &[u8]) -> Result<Vec<(String, Tensor)>> {
    parse_npz(bytes).map_err(|m| Error::Format(format!("npz bytes: {m}")))
}

/// Writes named tensors as an uncompressed `.npz` file, as `np.savez(path, **arrays)` does;
/// `np.load(path)` reads it back. The save is atomic. Names must be unique; BF16 tensors are
/// an `Err` (NumPy has no bfloat16: convert with `to_dtype(DType::F32)`).
///
/// ```
/// use firebrand::{io, tensor};
/// let path = std::env::temp_dir().join("firebrand_doc_write.npz");
/// io::write_npz(&[("w".into(), tensor!([[1.0f32, 2.0]]))], &path).unwrap();
/// assert_eq!(io::read_npz(&path).unwrap()[0].1.shape(), &[1, 2]);
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn write_npz(tensors: &[(String, Tensor)], path: impl AsRef<Path>) -> Result<()> {
    check_unique(tensors)?;
    write_atomic(path, |w| write_archive(tensors, w))
}

/// The bytes of an uncompressed `.npz` file holding the tensors (see [`write_npz`]).
///
/// ```
/// let bytes = firebrand::io::to_npz_bytes(&[("a".into(), firebrand::tensor!([1u8]))]).unwrap();
/// assert!(bytes.starts_with(b"PK\x03\x04"));
/// ```
pub fn to_npz_bytes(tensors: &[(String, Tensor)]) -> Result<Vec<u8>> {
    check_unique(tensors)?;
    let mut out = Vec::new();
    write_archive(tensors, &mut out)?;
    Ok(out)
}

fn check_unique(tensors: &[(String, Tensor)]) -> Result<()> {
    let mut seen = HashSet::new();
    match tensors.iter().find(|(name, _)| !seen.insert(name.as_str())) {
        Some((name, _)) => Err(Error::msg(format!(
            "write_npz: the name \"{name}\" appears twice; each array needs a unique name"
        ))),
        None => Ok(()),
    }
}

/// Streams one `.npy` entry per tensor, then the zip directory.
fn write_archive(tensors: &[(String, Tensor)], out: &mut dyn Write) -> Result<()> {
    let mut zip = ZipWriter::new(out);
    for (name, t) in tensors {
        let npy = to_npy_bytes(t).map_err(|e| Error::msg(format!("{e} (array \"{name}\")")))?;
        zip.add_entry(&format!("{name}.npy"), &npy)?;
    }
    zip.finish()
}

fn parse_npz(bytes: &[u8]) -> std::result::Result<Vec<(String, Tensor)>, String> {
    read_entries(bytes)?
        .into_iter()
        .map(|entry| {
            let Some(name) = entry.name.strip_suffix(".npy") else {
                return Err(format!(
                    "entry \"{}\" is not a .npy array; a .npz holds only <name>.npy entries",
                    entry.name
                ));
            };
            let data = entry_data(bytes, &entry)?;
            let t = parse_npy(&data).map_err(|m| format!("entry \"{}\": {m}", entry.name))?;
            Ok((name.to_string(), t))
        })
        .collect()
}
