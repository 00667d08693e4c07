//! The IDX format that the MNIST files use: a magic number naming the element type and the
//! number of dims, the dims as big-endian u32, then the data. Gzipped files are read too.

use crate::error::{Error, Result};
use crate::tensor::Tensor;
use std::io::Read;
use std::path::Path;

/// Reads an IDX file (`.gz` or plain) into a tensor: u8 data gives U8, i8 I8, i32 I32, f32 F32,
/// f64 F64 (i16 widens to I32). A truncated or lying file is an error, never a huge allocation.
///
/// ```
/// let dir = std::env::temp_dir().join("firebrand_idx_doc");
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("tiny-idx1-ubyte");
/// std::fs::write(&path, [0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]).unwrap();
/// let t = firebrand::data::read_idx(&path).unwrap();
/// assert_eq!(t.to_vec::<u8>(), vec![7, 8, 9]);
/// ```
pub fn read_idx(path: impl AsRef<Path>) -> Result<Tensor> {
    let path = path.as_ref();
    let raw = std::fs::read(path)?;
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| Error::Format(format!("{}: bad gzip data: {e}", path.display())))?;
        out
    } else {
        raw
    };
    parse_idx(&bytes).map_err(|e| Error::Format(format!("{}: {e}", path.display())))
}

/// Parses IDX bytes.
pub(crate) fn parse_idx(bytes: &[u8]) -> std::result::Result<Tensor, String> {
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 {
        return Err("not an IDX file (bad magic number)".into());
    }
    let (code, ndim) = (bytes[2], bytes[3] as usize);
    let width = match code {
        0x08 | 0x09 => 1,
        0x0B => 2,
        0x0C | 0x0D => 4,
        0x0E => 8,
        other => return Err(format!("unknown IDX element type 0x{other:02x}")),
    };
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err(format!("truncated header: {ndim} dims need {header} bytes"));
    }
    let shape: Vec<usize> = (0..ndim)
        .map(|i| u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().unwrap()) as usize)
        .collect();
    let count = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or("the dims overflow")?;
    let data = &bytes[header..];
    if count.checked_mul(width) != Some(data.len()) {
        return Err(format!(
            "shape {shape:?} needs {} bytes of data but the file has {}",
            count.saturating_mul(width),
            data.len()
        ));
    }
    decode(code, data, &shape).map_err(|e| e.to_string())
}

fn decode(code: u8, data: &[u8], shape: &[usize]) -> Result<Tensor> {
    macro_rules! be {
        ($t:ty, $n:expr) => {
            data.chunks_exact($n)
                .map(|c| <$t>::from_be_bytes(c.try_into().unwrap()))
                .collect::<Vec<$t>>()
        };
    }
    match code {
        0x08 => Tensor::try_from_vec(data.to_vec(), shape),
        0x09 => Tensor::try_from_vec(data.iter().map(|&b| b as i8).collect::<Vec<_>>(), shape),
        0x0B => Tensor::try_from_vec(
            be!(i16, 2).into_iter().map(i32::from).collect::<Vec<_>>(),
            shape,
        ),
        0x0C => Tensor::try_from_vec(be!(i32, 4), shape),
        0x0D => Tensor::try_from_vec(be!(f32, 4), shape),
        _ => Tensor::try_from_vec(be!(f64, 8), shape),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_3d_u8_file() {
        let mut b = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2];
        b.extend([1, 2, 3, 4]);
        let t = parse_idx(&b).unwrap();
        assert_eq!(t.shape(), &[2, 1, 2]);
        assert_eq!(t.to_vec::<u8>(), vec![1, 2, 3, 4]);
    }

    #[test]
    fn parses_big_endian_f32() {
        let mut b = vec![0, 0, 0x0D, 1, 0, 0, 0, 1];
        b.extend(1.5f32.to_be_bytes());
        assert_eq!(parse_idx(&b).unwrap().to_vec::<f32>(), vec![1.5]);
    }

    #[test]
    fn corrupt_files_are_errors_not_allocations() {
        assert!(parse_idx(&[1, 2, 3]).is_err());
        assert!(parse_idx(&[0, 0, 0x42, 1, 0, 0, 0, 1, 0]).is_err());
        // A header that claims 4 billion elements with 1 byte of data.
        assert!(parse_idx(&[0, 0, 8, 1, 0xff, 0xff, 0xff, 0xff, 0]).is_err());
        // Dims whose product overflows.
        let mut b = vec![0, 0, 8, 3];
        b.extend([0xff; 12]);
        assert!(parse_idx(&b).is_err());
        // Truncated header.
        assert!(parse_idx(&[0, 0, 8, 2, 0, 0, 0, 1]).is_err());
    }
}
