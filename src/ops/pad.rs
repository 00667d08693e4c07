//! Padding, as `torch.nn.functional.pad`: constant, reflect, replicate and circular modes.
//!
//! Composed from views (`narrow`, `flip`, `expand`) and `cat`, so the derivative comes from
//! theirs: the gradient of the padded border flows back to the elements it copies.

use crate::error::{Error, Result, or_panic};
use crate::tensor::Tensor;

/// How [`pad`] fills the border, as PyTorch's `mode` (and `value`) arguments.
///
/// ```
/// use firebrand::nn::functional::{self as F, PadMode};
/// let x = firebrand::tensor!([1.0, 2.0, 3.0]);
/// let y = |mode| F::pad(&x, &[2, 1], mode).to_vec::<f32>();
/// assert_eq!(y(PadMode::Constant(0.0)), vec![0.0, 0.0, 1.0, 2.0, 3.0, 0.0]);
/// assert_eq!(y(PadMode::Reflect), vec![3.0, 2.0, 1.0, 2.0, 3.0, 2.0]);
/// assert_eq!(y(PadMode::Replicate), vec![1.0, 1.0, 1.0, 2.0, 3.0, 3.0]);
/// assert_eq!(y(PadMode::Circular), vec![2.0, 3.0, 1.0, 2.0, 3.0, 1.0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PadMode {
    /// A constant value (`mode="constant", value=v`); negative pads crop.
    Constant(f64),
    /// The mirror image without repeating the edge (`"reflect"`); pads smaller than the size.
    Reflect,
    /// The edge element repeated (`"replicate"`).
    Replicate,
    /// The other end of the dim (`"circular"`); pads at most the size.
    Circular,
}

impl Default for PadMode {
    /// PyTorch's default: zeros.
    fn default() -> Self {
        PadMode::Constant(0.0)
    }
}

/// Pads `input` as `F.pad(input, pads, mode)`: `pads` holds pairs `(before, after)` for the
/// last dim first, then the one before it (`[left, right, top, bottom, ..]`).
///
/// ```
/// use firebrand::nn::functional::{self as F, PadMode};
/// let x = firebrand::tensor!([[1.0, 2.0], [3.0, 4.0]]);
/// let y = F::pad(&x, &[1, 0, 0, 1], PadMode::Constant(9.0));
/// assert_eq!(y.shape(), &[3, 3]);
/// assert_eq!(y.to_vec::<f32>(), vec![9.0, 1.0, 2.0, 9.0, 3.0, 4.0, 9.0, 9.0, 9.0]);
/// ```
#[track_caller]
pub fn pad(input: &Tensor, pads: &[i64], mode: PadMode) -> Tensor {
    or_panic(try_pad(input, pads, mode))
}

/// [`pad`] returning an error instead of panicking.
///
/// ```
/// use firebrand::nn::functional::{self as F, PadMode};
/// let x = firebrand::tensor!([1.0, 2.0]);
/// assert!(F::try_pad(&x, &[1], PadMode::Reflect).is_err());
/// assert!(F::try_pad(&x, &[2, 0], PadMode::Reflect).is_err());
/// ```
pub fn try_pad(input: &Tensor, pads: &[i64], mode: PadMode) -> Result<Tensor> {
    if !pads.len().is_multiple_of(2) || pads.len() / 2 > input.dim() {
        return Err(Error::msg(format!(
            "pad: pads must be pairs (before, after) for at most {} dims, got {pads:?}",
            input.dim()
        )));
    }
    let mut out = input.clone();
    for (i, pair) in pads.chunks(2).enumerate() {
        let d = input.dim() - 1 - i;
        out = pad_dim(&out, d, pair[0], pair[1], mode)?;
    }
    Ok(out)
}

/// Pads dim `d` by `before` and `after`.
fn pad_dim(x: &Tensor, d: usize, before: i64, after: i64, mode: PadMode) -> Result<Tensor> {
    if let PadMode::Constant(value) = mode {
        return constant_pad_dim(x, d, before, after, value);
    }
    let n = x.shape()[d] as i64;
    let limit_ok = match mode {
        PadMode::Reflect => before < n && after < n,
        PadMode::Circular => before <= n && after <= n,
        _ => n > 0,
    };
    if before < 0 || after < 0 || !limit_ok {
        return Err(Error::msg(format!(
            "pad: {mode:?} padding ({before}, {after}) is invalid for dim {d} of size {n} \
             (pads must be non-negative{})",
            match mode {
                PadMode::Reflect => " and smaller than the size",
                PadMode::Circular => " and at most the size",
                _ => ", the dim non-empty",
            }
        )));
    }
    let di = d as isize;
    let (b, a) = (before as usize, after as usize);
    let (left, right) = match mode {
        PadMode::Reflect => (
            x.narrow(di, 1, b).flip(di),
            x.narrow(di, (n - 1 - after) as isize, a).flip(di),
        ),
        PadMode::Circular => (x.narrow(di, (n - before) as isize, b), x.narrow(di, 0, a)),
        _ => (
            repeat_edge(&x.narrow(di, 0, 1), d, b),
            repeat_edge(&x.narrow(di, (n - 1) as isize, 1), d, a),
        ),
    };
    Ok(Tensor::cat(&[&left, x, &right], di))
}

/// A size-1 slice along `d` expanded to `len`.
fn repeat_edge(edge: &Tensor, d: usize, len: usize) -> Tensor {
    let mut shape = edge.shape().to_vec();
    shape[d] = len;
    edge.expand(shape)
}

/// Constant padding of dim `d`; negative amounts crop.
fn constant_pad_dim(x: &Tensor, d: usize, before: i64, after: i64, value: f64) -> Result<Tensor> {
    let n = x.shape()[d] as i64;
    let kept = n + before.min(0) + after.min(0);
    if kept < 0 {
        return Err(Error::msg(format!(
            "pad: negative padding ({before}, {after}) crops more than dim {d}'s size {n}"
        )));
    }
    let di = d as isize;
    let x = x.narrow(di, -before.min(0) as isize, kept as usize);
    let block = |len: i64| {
        let mut shape = x.shape().to_vec();
        shape[d] = len.max(0) as usize;
        Tensor::full(shape, value, x.dtype())
    };
    Ok(Tensor::cat(&[&block(before), &x, &block(after)], di))
}
