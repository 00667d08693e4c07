//! Shapes and dims: the [`IntoShape`] and [`Dims`] traits that let callers write `[2, 3]`,
//! `[-1, 3]` or `x.shape()`, dim normalisation (negative dims count from the end), contiguous
//! strides and broadcasting.

use crate::error::{Error, Result};

/// Anything that names a shape: arrays, slices and vectors of `usize`, `isize` or `i32`, and
/// `()` for a 0-d shape. `-1` is allowed where an op infers one size (reshape, view, expand).
///
/// ```
/// use firebrand::{DType, Tensor};
/// let a = Tensor::zeros([2, 3], DType::F32);
/// let b = Tensor::zeros(a.shape(), DType::F32);
/// let c = a.reshape([-1, 2]);
/// assert_eq!(b.shape(), &[2, 3]);
/// assert_eq!(c.shape(), &[3, 2]);
/// ```
pub trait IntoShape {
    /// The sizes as signed numbers, `-1` kept as given.
    fn to_sizes(&self) -> Vec<isize>;
}

macro_rules! impl_into_shape {
    ($($t:ty),*) => {$(
        impl<const N: usize> IntoShape for [$t; N] {
            fn to_sizes(&self) -> Vec<isize> { self.iter().map(|&d| to_isize(d)).collect() }
        }
        impl<const N: usize> IntoShape for &[$t; N] {
            fn to_sizes(&self) -> Vec<isize> { self.iter().map(|&d| to_isize(d)).collect() }
        }
        impl IntoShape for &[$t] {
            fn to_sizes(&self) -> Vec<isize> { self.iter().map(|&d| to_isize(d)).collect() }
        }
        impl IntoShape for Vec<$t> {
            fn to_sizes(&self) -> Vec<isize> { self.iter().map(|&d| to_isize(d)).collect() }
        }
        impl IntoShape for &Vec<$t> {
            fn to_sizes(&self) -> Vec<isize> { self.iter().map(|&d| to_isize(d)).collect() }
        }
    )*};
}
impl_into_shape!(usize, isize, i32, i64);

/// A size or dim as `isize`; a `usize` too large for it saturates (so an absurd size is
/// reported as too large, not as -1).
fn to_isize<T: TryInto<isize>>(v: T) -> isize {
    v.try_into().unwrap_or(isize::MAX)
}

impl IntoShape for () {
    fn to_sizes(&self) -> Vec<isize> {
        Vec::new()
    }
}

/// One dim or several: `1`, `-1`, `[0, 2]`, `vec![1, 2]`. Negative dims count from the end.
///
/// ```
/// use firebrand::tensor;
/// let a = tensor!([[1.0, 2.0], [3.0, 4.0]]);
/// assert_eq!(a.sum_dim(-1, false).to_vec::<f32>(), vec![3.0, 7.0]);
/// assert_eq!(a.sum_dim([0, 1], false).item::<f32>(), 10.0);
/// ```
pub trait Dims {
    /// The dims as given, before normalisation.
    fn to_dims(&self) -> Vec<isize>;
}

macro_rules! impl_dims {
    ($($t:ty),*) => {$(
        impl Dims for $t {
            fn to_dims(&self) -> Vec<isize> { vec![to_isize(*self)] }
        }
        impl<const N: usize> Dims for [$t; N] {
            fn to_dims(&self) -> Vec<isize> { self.iter().map(|&d| to_isize(d)).collect() }
        }
        impl Dims for &[$t] {
            fn to_dims(&self) -> Vec<isize> { self.iter().map(|&d| to_isize(d)).collect() }
        }
        impl Dims for Vec<$t> {
            fn to_dims(&self) -> Vec<isize> { self.iter().map(|&d| to_isize(d)).collect() }
        }
    )*};
}
impl_dims!(usize, isize, i32, i64);

/// Resolves a possibly negative `dim` against a tensor of `ndim` dims. A 0-d tensor accepts
/// dims 0 and -1, as in PyTorch.
pub(crate) fn normalize_dim(op: &str, dim: isize, ndim: usize) -> Result<usize> {
    let n = ndim.max(1) as isize;
    let d = if dim < 0 { dim + n } else { dim };
    if d < 0 || d >= n {
        return Err(Error::msg(format!(
            "{op}: dimension {dim} is out of range for a tensor of {ndim} dims \
             (expected a dim in [{}, {}])",
            -n,
            n - 1
        )));
    }
    Ok(d as usize)
}

/// Resolves and de-duplicates a list of dims; an empty list means every dim (PyTorch's
/// `dim=None`).
pub(crate) fn normalize_dims(op: &str, dims: &[isize], ndim: usize) -> Result<Vec<usize>> {
    if dims.is_empty() {
        return Ok((0..ndim).collect());
    }
    let mut out = Vec::with_capacity(dims.len());
    for &d in dims {
        let d = normalize_dim(op, d, ndim)?;
        if out.contains(&d) {
            return Err(Error::msg(format!(
                "{op}: dim {d} appears more than once in the list of dims {dims:?}"
            )));
        }
        out.push(d);
    }
    out.sort_unstable();
    Ok(out)
}

/// Turns sizes given by a caller into a shape, refusing negative sizes, element counts that
/// overflow, and empty shapes whose row-major strides would (`[0, 2^40, 2^40]`).
pub(crate) fn checked_shape(op: &str, sizes: &[isize]) -> Result<Vec<usize>> {
    let mut shape = Vec::with_capacity(sizes.len());
    for &s in sizes {
        if s < 0 {
            return Err(Error::msg(format!(
                "{op}: negative size {s} in shape {sizes:?}; sizes must be >= 0"
            )));
        }
        shape.push(s as usize);
    }
    checked_numel(op, &shape)?;
    check_strides_fit(op, &shape)?;
    Ok(shape)
}

/// Errs when the row-major strides of `shape` overflow `isize`, which can happen with no
/// elements at all: a size-0 dim empties the tensor, but the other dims still set the strides.
fn check_strides_fit(op: &str, shape: &[usize]) -> Result<()> {
    let span = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d.max(1)));
    if span.is_some_and(|n| n <= isize::MAX as usize) {
        return Ok(());
    }
    Err(Error::msg(format!(
        "{op}: the shape {shape:?} cannot be laid out in memory: its strides overflow (a \
         size-0 dim empties a tensor, but its other dims must still fit what memory can \
         address)"
    )))
}

/// The element count of `shape`, or an error when it overflows `isize`.
pub(crate) fn checked_numel(op: &str, shape: &[usize]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= isize::MAX as usize)
        .ok_or_else(|| {
            Error::msg(format!(
                "{op}: the shape {shape:?} has more elements than memory can address"
            ))
        })
}

/// The number of elements of a shape (1 for a 0-d shape).
pub(crate) fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Row-major strides for `shape`.
pub(crate) fn contiguous_strides(shape: &[usize]) -> Vec<isize> {
    let mut strides = vec![0isize; shape.len()];
    let mut acc = 1isize;
    for i in (0..shape.len()).rev() {
        strides[i] = acc;
        acc *= shape[i].max(1) as isize;
    }
    strides
}

/// The broadcast of two shapes by NumPy's rules, or an error naming the op and both shapes.
pub(crate) fn broadcast_shapes(op: &str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => {
                return Err(Error::msg(format!(
                    "{op}: shapes {a:?} and {b:?} cannot be broadcast together \
                     (size {da} != {db} at dim {i} of the result); make the sizes equal or 1"
                )));
            }
        };
    }
    Ok(out)
}

/// Resolves a `-1` in a reshape target against `numel` elements.
pub(crate) fn infer_reshape(op: &str, from: &[usize], sizes: &[isize]) -> Result<Vec<usize>> {
    let total = numel(from);
    let mut infer_at = None;
    let mut known = 1usize;
    for (i, &s) in sizes.iter().enumerate() {
        match s {
            -1 if infer_at.is_none() => infer_at = Some(i),
            -1 => {
                return Err(Error::msg(format!(
                    "{op}: only one dimension can be inferred (-1) in {sizes:?}"
                )));
            }
            s if s < 0 => {
                return Err(Error::msg(format!(
                    "{op}: invalid size {s} in {sizes:?}; sizes must be >= 0 or -1"
                )));
            }
            s => known = known.saturating_mul(s as usize),
        }
    }
    let mut shape: Vec<usize> = sizes.iter().map(|&s| s.max(0) as usize).collect();
    if let Some(i) = infer_at {
        if known == 0 || !total.is_multiple_of(known) {
            return Err(Error::msg(format!(
                "{op}: shape {sizes:?} is invalid for input of shape {from:?} ({total} elements)"
            )));
        }
        shape[i] = total / known;
    } else if known != total {
        return Err(Error::msg(format!(
            "{op}: shape {sizes:?} is invalid for input of shape {from:?} ({total} elements)"
        )));
    }
    Ok(shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(broadcast_shapes("t", &[2, 3], &[3]).unwrap(), vec![2, 3]);
        assert_eq!(
            broadcast_shapes("t", &[4, 1, 3], &[2, 1]).unwrap(),
            vec![4, 2, 3]
        );
        assert_eq!(broadcast_shapes("t", &[], &[2]).unwrap(), vec![2]);
        let e = broadcast_shapes("add", &[2, 3], &[4])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("add") && e.contains("[2, 3]") && e.contains("[4]"),
            "{e}"
        );
    }

    #[test]
    fn dims_normalise_and_reject_out_of_range() {
        assert_eq!(normalize_dim("t", -1, 3).unwrap(), 2);
        assert_eq!(normalize_dim("t", 0, 0).unwrap(), 0);
        assert!(normalize_dim("t", 3, 3).is_err());
        assert_eq!(normalize_dims("t", &[-1, 0], 3).unwrap(), vec![0, 2]);
        assert!(normalize_dims("t", &[1, -2], 3).is_err());
    }

    #[test]
    fn reshape_infers_one_size() {
        assert_eq!(infer_reshape("r", &[2, 6], &[-1, 4]).unwrap(), vec![3, 4]);
        assert!(infer_reshape("r", &[2, 6], &[-1, 5]).is_err());
        assert!(infer_reshape("r", &[2, 6], &[-1, -1]).is_err());
        assert_eq!(infer_reshape("r", &[0, 3], &[3, 0]).unwrap(), vec![3, 0]);
    }

    #[test]
    fn overflowing_shapes_are_errors() {
        assert!(checked_shape("zeros", &[isize::MAX, 4]).is_err());
        assert!(checked_shape("zeros", &[-2]).is_err());
        let huge = 1isize << 40;
        assert!(checked_shape("zeros", &[0, huge, huge]).is_err());
        assert_eq!(
            checked_shape("zeros", &[0, huge]).unwrap(),
            vec![0, 1 << 40]
        );
        assert_eq!(contiguous_strides(&[2, 3, 4]), vec![12, 4, 1]);
    }
}

/// Per-spatial-dim sizes for convolution and pooling arguments (kernel size, stride, padding,
/// dilation): one number for every dim (`3`) or one per dim (`[3, 5]`), as PyTorch accepts
/// `3` or `(3, 5)`.
///
/// ```
/// use firebrand::IntoSpatial;
/// assert_eq!(IntoSpatial::<2>::to_spatial(&3), [3, 3]);
/// assert_eq!([1usize, 2].to_spatial(), [1, 2]);
/// ```
pub trait IntoSpatial<const N: usize> {
    /// The sizes, one per spatial dim (negative numbers become `usize::MAX`, which every op
    /// refuses with a message).
    fn to_spatial(&self) -> [usize; N];
}

macro_rules! impl_into_spatial {
    ($($t:ty),*) => {$(
        impl<const N: usize> IntoSpatial<N> for $t {
            fn to_spatial(&self) -> [usize; N] {
                [usize::try_from(*self).unwrap_or(usize::MAX); N]
            }
        }
        impl<const N: usize> IntoSpatial<N> for [$t; N] {
            fn to_spatial(&self) -> [usize; N] {
                self.map(|v| usize::try_from(v).unwrap_or(usize::MAX))
            }
        }
    )*};
}
impl_into_spatial!(usize, i32, i64, isize);
