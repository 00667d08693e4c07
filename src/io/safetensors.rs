//! The safetensors format (Hugging Face): an 8-byte header length, a JSON header naming each
//! tensor's dtype, shape and byte range, then the raw little-endian data. Parsing and layout
//! come from the `safetensors` crate; this file maps dtypes and checks what the crate leaves
//! to its callers.

use super::atomic::{io_error, write_atomic};
use super::raw::{tensor_from_bytes, tensor_to_le_bytes};
use crate::nn::StateDict;
use crate::{DType, Error, Result, Tensor};
use safetensors::tensor::{Dtype, SafeTensors, View};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The header key that safetensors reserves for the free-form string metadata.
const METADATA_KEY: &str = "__metadata__";

/// One tensor's dtype, shape and bytes, in the form `safetensors::serialize` takes.
struct RawView {
    dtype: Dtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl View for &RawView {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

fn to_safetensors_dtype(dtype: DType) -> Dtype {
    match dtype {
        DType::Bool => Dtype::BOOL,
        DType::U8 => Dtype::U8,
        DType::I8 => Dtype::I8,
        DType::I32 => Dtype::I32,
        DType::I64 => Dtype::I64,
        DType::F16 => Dtype::F16,
        DType::BF16 => Dtype::BF16,
        DType::F32 => Dtype::F32,
        DType::F64 => Dtype::F64,
    }
}

fn from_safetensors_dtype(dtype: Dtype) -> Option<DType> {
    Some(match dtype {
        Dtype::BOOL => DType::Bool,
        Dtype::U8 => DType::U8,
        Dtype::I8 => DType::I8,
        Dtype::I32 => DType::I32,
        Dtype::I64 => DType::I64,
        Dtype::F16 => DType::F16,
        Dtype::BF16 => DType::BF16,
        Dtype::F32 => DType::F32,
        Dtype::F64 => DType::F64,
        _ => return None,
    })
}

/// Rejects names that would collide in the JSON header.
fn check_names(tensors: &[(String, Tensor)]) -> Result<()> {
    let mut seen = HashSet::new();
    for (name, _) in tensors {
        if name == METADATA_KEY {
            return Err(Error::msg(format!(
                "save_safetensors: a tensor cannot be named \"{METADATA_KEY}\", the key \
                 safetensors reserves for metadata; rename it"
            )));
        }
        if !seen.insert(name.as_str()) {
            return Err(Error::msg(format!(
                "save_safetensors: the name \"{name}\" appears twice; each tensor needs a \
                 unique name"
            )));
        }
    }
    Ok(())
}

/// Serializes named tensors to the bytes of a safetensors file. Non-contiguous tensors are
/// stored by their logical row-major values; tensors on a device are copied to the host.
///
/// ```
/// use firebrand::{io, tensor};
/// let bytes = io::to_safetensors_bytes(&[("w".to_string(), tensor!([1.0f32, 2.0]))]).unwrap();
/// let back = io::from_safetensors_bytes(&bytes).unwrap();
/// assert_eq!(back[0].1.to_vec::<f32>(), vec![1.0, 2.0]);
/// ```
pub fn to_safetensors_bytes(tensors: &[(String, Tensor)]) -> Result<Vec<u8>> {
    serialize(tensors, None)
}

/// [`to_safetensors_bytes`] with string metadata stored under the header's `__metadata__` key
/// (PyTorch's `save_file(..., metadata={...})`).
///
/// ```
/// use std::collections::HashMap;
/// use firebrand::{io, tensor};
/// let meta = HashMap::from([("format".to_string(), "pt".to_string())]);
/// let bytes = io::to_safetensors_bytes_with_metadata(&[("w".into(), tensor!([1.0]))], &meta)
///     .unwrap();
/// let (_, back) = io::from_safetensors_bytes_with_metadata(&bytes).unwrap();
/// assert_eq!(back, meta);
/// ```
pub fn to_safetensors_bytes_with_metadata(
    tensors: &[(String, Tensor)],
    metadata: &HashMap<String, String>,
) -> Result<Vec<u8>> {
    serialize(tensors, Some(metadata.clone()))
}

fn serialize(
    tensors: &[(String, Tensor)],
    metadata: Option<HashMap<String, String>>,
) -> Result<Vec<u8>> {
    check_names(tensors)?;
    let views: Vec<(&str, RawView)> = tensors
        .iter()
        .map(|(name, t)| {
            let view = RawView {
                dtype: to_safetensors_dtype(t.dtype()),
                shape: t.shape().to_vec(),
                data: tensor_to_le_bytes(t),
            };
            (name.as_str(), view)
        })
        .collect();
    let views = views.iter().map(|(name, view)| (*name, view));
    safetensors::serialize(views, metadata)
        .map_err(|e| Error::msg(format!("save_safetensors: {e}")))
}

/// Saves named tensors (a model's `state_dict()`) as a safetensors file that
/// `safetensors.torch.load_file` reads. The save is atomic (see [`write_atomic`]): an error
/// midway leaves any previous file at `path` intact.
///
/// ```
/// use firebrand::{io, tensor};
/// let path = std::env::temp_dir().join("firebrand_doc_save.safetensors");
/// let named = vec![("bias".to_string(), tensor!([0.5f32, -1.0]))];
/// io::save_safetensors(&named, &path).unwrap();
/// let loaded = io::load_safetensors(&path).unwrap();
/// assert_eq!(loaded[0].0, "bias");
/// assert_eq!(loaded[0].1.to_vec::<f32>(), vec![0.5, -1.0]);
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn save_safetensors(tensors: &[(String, Tensor)], path: impl AsRef<Path>) -> Result<()> {
    let bytes = to_safetensors_bytes(tensors)?;
    write_atomic(path, |w| Ok(w.write_all(&bytes)?))
}

/// [`save_safetensors`] with string metadata (read back by
/// [`load_safetensors_with_metadata`] or Python's `safe_open(...).metadata()`).
///
/// ```
/// use std::collections::HashMap;
/// use firebrand::{io, tensor};
/// let path = std::env::temp_dir().join("firebrand_doc_save_meta.safetensors");
/// let meta = HashMap::from([("epoch".to_string(), "3".to_string())]);
/// io::save_safetensors_with_metadata(&[("w".into(), tensor!([1.0]))], &meta, &path).unwrap();
/// assert_eq!(io::load_safetensors_with_metadata(&path).unwrap().1["epoch"], "3");
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn save_safetensors_with_metadata(
    tensors: &[(String, Tensor)],
    metadata: &HashMap<String, String>,
    path: impl AsRef<Path>,
) -> Result<()> {
    let bytes = to_safetensors_bytes_with_metadata(tensors, metadata)?;
    write_atomic(path, |w| Ok(w.write_all(&bytes)?))
}

/// Loads every tensor of a safetensors file, **sorted by name** (the file's own order is by
/// dtype, then name, so it carries no meaning). A truncated, corrupt or lying file, or one
/// holding a dtype firebrand lacks (U16, F8_E4M3, ...), is an `Err` naming the file and the
/// problem.
///
/// ```
/// use firebrand::{io, tensor};
/// let path = std::env::temp_dir().join("firebrand_doc_load.safetensors");
/// io::save_safetensors(&[("b".into(), tensor!([1i64])), ("a".into(), tensor!([true]))], &path)
///     .unwrap();
/// let names: Vec<String> = io::load_safetensors(&path).unwrap().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["a", "b"]);
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn load_safetensors(path: impl AsRef<Path>) -> Result<Vec<(String, Tensor)>> {
    Ok(load_safetensors_with_metadata(path)?.0)
}

/// [`load_safetensors`] that also returns the file's `__metadata__` strings (empty when the
/// file has none).
///
/// ```
/// use firebrand::{io, tensor};
/// let path = std::env::temp_dir().join("firebrand_doc_load_meta.safetensors");
/// io::save_safetensors(&[("w".into(), tensor!([1.0]))], &path).unwrap();
/// let (tensors, meta) = io::load_safetensors_with_metadata(&path).unwrap();
/// assert_eq!(tensors.len(), 1);
/// assert!(meta.is_empty());
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn load_safetensors_with_metadata(
    path: impl AsRef<Path>,
) -> Result<(StateDict, HashMap<String, String>)> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
    parse(&bytes).map_err(|m| Error::Format(format!("{}: {m}", path.display())))
}

/// Reads the tensors of safetensors bytes held in memory, sorted by name
/// (see [`load_safetensors`]).
///
/// ```
/// let err = firebrand::io::from_safetensors_bytes(b"\x05\0\0").unwrap_err();
/// assert!(err.to_string().contains("8-byte"));
/// ```
pub fn from_safetensors_bytes(bytes: &[u8]) -> Result<Vec<(String, Tensor)>> {
    Ok(from_safetensors_bytes_with_metadata(bytes)?.0)
}

/// [`from_safetensors_bytes`] that also returns the `__metadata__` strings.
///
/// ```
/// let bytes = firebrand::io::to_safetensors_bytes(&[]).unwrap();
/// let (tensors, meta) = firebrand::io::from_safetensors_bytes_with_metadata(&bytes).unwrap();
/// assert!(tensors.is_empty() && meta.is_empty());
/// ```
pub fn from_safetensors_bytes_with_metadata(
    bytes: &[u8],
) -> Result<(StateDict, HashMap<String, String>)> {
    parse(bytes).map_err(|m| Error::Format(format!("safetensors bytes: {m}")))
}

/// Checks the header length against the data before the crate parses it, for a clear message.
fn check_header_length(bytes: &[u8]) -> std::result::Result<(), String> {
    let Some(prefix) = bytes.get(..8) else {
        return Err(format!(
            "truncated safetensors file: {} bytes, too short for the 8-byte header length",
            bytes.len()
        ));
    };
    let mut le = [0u8; 8];
    le.copy_from_slice(prefix);
    let header_len = u64::from_le_bytes(le);
    let available = bytes.len() as u64 - 8;
    if header_len > available {
        return Err(format!(
            "corrupt or truncated safetensors file: the header length says {header_len} bytes \
             but only {available} follow"
        ));
    }
    Ok(())
}

type Parsed = (StateDict, HashMap<String, String>);

fn parse(bytes: &[u8]) -> std::result::Result<Parsed, String> {
    check_header_length(bytes)?;
    let invalid = |e| format!("not a valid safetensors file: {e}");
    let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(invalid)?;
    let file = SafeTensors::deserialize(bytes).map_err(invalid)?;
    let mut views = file.tensors();
    views.sort_by(|a, b| a.0.cmp(&b.0));
    let tensors = views
        .into_iter()
        .map(|(name, view)| {
            let dtype = from_safetensors_dtype(view.dtype()).ok_or_else(|| {
                format!(
                    "tensor \"{name}\" has dtype {:?}, which firebrand does not support \
                     (it reads BOOL, U8, I8, I32, I64, F16, BF16, F32 and F64); convert it \
                     in Python first, e.g. t.to(torch.float32)",
                    view.dtype()
                )
            })?;
            let t = tensor_from_bytes(dtype, view.shape(), view.data(), false)
                .map_err(|m| format!("tensor \"{name}\": {m}"))?;
            Ok((name, t))
        })
        .collect::<std::result::Result<Vec<_>, String>>()?;
    Ok((tensors, metadata.metadata().clone().unwrap_or_default()))
}
