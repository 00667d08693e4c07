//! Elements to and from little-endian bytes, the layout that safetensors and `.npy` share.

use crate::storage::StorageElement;
use crate::{DType, Tensor};
use half::{bf16, f16};

/// An element type with a fixed-width little-endian encoding.
pub(crate) trait Raw: StorageElement {
    /// Decodes one element from exactly `size_in_bytes` little-endian bytes.
    fn read_le(bytes: &[u8]) -> Self;
    /// Appends the element's little-endian bytes.
    fn write_le(self, out: &mut Vec<u8>);
}

macro_rules! impl_raw_number {
    ($($t:ty),*) => {$(
        impl Raw for $t {
            fn read_le(bytes: &[u8]) -> Self {
                let mut a = [0u8; size_of::<$t>()];
                a.copy_from_slice(bytes);
                <$t>::from_le_bytes(a)
            }
            fn write_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
impl_raw_number!(u8, i8, i32, i64, f32, f64);

macro_rules! impl_raw_half {
    ($($t:ty),*) => {$(
        impl Raw for $t {
            fn read_le(bytes: &[u8]) -> Self {
                <$t>::from_bits(u16::from_le_bytes([bytes[0], bytes[1]]))
            }
            fn write_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_bits().to_le_bytes());
            }
        }
    )*};
}
impl_raw_half!(f16, bf16);

/// Any non-zero byte is true, as NumPy and PyTorch read it.
impl Raw for bool {
    fn read_le(bytes: &[u8]) -> Self {
        bytes[0] != 0
    }
    fn write_le(self, out: &mut Vec<u8>) {
        out.push(self as u8);
    }
}

/// The tensor's logical (row-major) values as little-endian bytes, whatever its strides.
pub(crate) fn tensor_to_le_bytes(t: &Tensor) -> Vec<u8> {
    crate::with_dtype!(t.dtype(), T => {
        let values = t.to_vec::<T>();
        let mut out = Vec::with_capacity(values.len() * t.dtype().size_in_bytes());
        values.into_iter().for_each(|v| v.write_le(&mut out));
        out
    })
}

/// The number of data bytes a `shape` of `dtype` needs, or a message when it overflows.
/// Also rejects shapes whose strides would overflow (an empty shape such as `[0, 2^40, 2^40]`
/// has no bytes but cannot be laid out).
pub(crate) fn byte_len(dtype: DType, shape: &[usize]) -> Result<usize, String> {
    let too_big = || format!("shape {shape:?} of {dtype} has more bytes than memory can address");
    let span = shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d.max(1)))
        .and_then(|n| n.checked_mul(dtype.size_in_bytes()));
    if span.is_none_or(|n| n > isize::MAX as usize) {
        return Err(too_big());
    }
    shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .and_then(|n| n.checked_mul(dtype.size_in_bytes()))
        .ok_or_else(too_big)
}

/// A row-major tensor of `shape` from its elements' bytes, little-endian unless `big_endian`.
/// Errors (as a message) when the byte count does not match the shape.
pub(crate) fn tensor_from_bytes(
    dtype: DType,
    shape: &[usize],
    bytes: &[u8],
    big_endian: bool,
) -> Result<Tensor, String> {
    let want = byte_len(dtype, shape)?;
    if bytes.len() != want {
        return Err(format!(
            "shape {shape:?} of {dtype} needs {want} bytes of data but there are {}",
            bytes.len()
        ));
    }
    let size = dtype.size_in_bytes();
    crate::with_dtype!(dtype, T => {
        let values: Vec<T> = if big_endian {
            bytes.chunks_exact(size).map(|c| {
                let mut a = [0u8; 8];
                a[..size].copy_from_slice(c);
                a[..size].reverse();
                T::read_le(&a[..size])
            }).collect()
        } else {
            bytes.chunks_exact(size).map(T::read_le).collect()
        };
        Tensor::try_from_vec(values, shape).map_err(|e| e.to_string())
    })
}
