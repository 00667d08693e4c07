//! Pooling: max_pool2d (with indices), avg_pool2d and adaptive_avg_pool2d, as
//! `torch.nn.functional`.
//!
//! Max pooling finds each window's argmax in a kernel and then gathers the values, so its
//! derivative is gather's (a scatter-add into the input) and differentiates again. Average
//! pooling is a mean over [`unfold`](crate::nn::functional::unfold)'s windows.

use crate::autograd::{Record, no_grad};
use crate::backend::cpu::conv as kernels;
use crate::dtype::DType;
use crate::error::{Error, Result, or_panic};
use crate::ops::conv::{WindowArgs, require_float, unfold_window};
use crate::shape::IntoSpatial;
use crate::tensor::Tensor;
use half::{bf16, f16};

/// A checked pooling window over a 3-D or 4-D input, the input made 4-D, and whether a batch
/// dim was added.
struct Pooling {
    input: Tensor,
    unbatched: bool,
    window: kernels::Window2d,
}

impl Pooling {
    fn new(op: &str, input: &Tensor, args: WindowArgs, ceil_mode: bool) -> Result<Pooling> {
        args.check(op)?;
        require_float(op, input)?;
        if !(3..=4).contains(&input.dim()) {
            return Err(Error::msg(format!(
                "{op}: expected input [N, C, H, W] or [C, H, W], but got shape {:?}",
                input.shape()
            )));
        }
        if (0..2).any(|a| args.padding[a] > args.kernel[a] / 2) {
            return Err(Error::msg(format!(
                "{op}: padding {:?} must be at most half the kernel size {:?}",
                args.padding, args.kernel
            )));
        }
        let unbatched = input.dim() == 3;
        let x = if unbatched {
            input.unsqueeze(0)
        } else {
            input.clone()
        };
        let s = x.shape();
        let size = |axis: usize| {
            args.output_size(axis, s[2 + axis], ceil_mode)
                .filter(|&o| o > 0)
                .ok_or_else(|| {
                    Error::msg(format!(
                        "{op}: the window {:?} (padding {:?}) does not fit the input {:?}",
                        args.kernel,
                        args.padding,
                        input.shape()
                    ))
                })
        };
        let window = args.window(s[0] * s[1], [s[2], s[3]], [size(0)?, size(1)?]);
        Ok(Pooling {
            input: x,
            unbatched,
            window,
        })
    }

    /// `[planes, oh, ow]` reshaped to the input's batch and channel dims.
    fn output_shape(&self) -> Vec<usize> {
        let s = self.input.shape();
        let mut shape = vec![s[0], s[1], self.window.output[0], self.window.output[1]];
        if self.unbatched {
            shape.remove(0);
        }
        shape
    }
}

/// The pooling window's sizes; the stride defaults to the kernel size (PyTorch's
/// `stride=None`) when given as 0.
fn window_args(
    kernel_size: impl IntoSpatial<2>,
    stride: impl IntoSpatial<2>,
    padding: impl IntoSpatial<2>,
    dilation: [usize; 2],
) -> WindowArgs {
    let kernel = kernel_size.to_spatial();
    let stride = stride.to_spatial();
    let stride = [0, 1].map(|a| if stride[a] == 0 { kernel[a] } else { stride[a] });
    WindowArgs {
        kernel,
        stride,
        padding: padding.to_spatial(),
        dilation,
    }
}

/// 2-D max pooling, as PyTorch's `F.max_pool2d(input, kernel_size, stride, padding, dilation,
/// ceil_mode)`; a `stride` of 0 means the kernel size (PyTorch's default). NaN propagates.
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// let x = tensor!([[[[1.0, 2.0, 5.0, 0.0], [3.0, 4.0, 1.0, 1.0]]]]);
/// let y = F::max_pool2d(&x, 2, 0, 0, 1, false);
/// assert_eq!(y.to_vec::<f32>(), vec![4.0, 5.0]);
/// ```
#[track_caller]
pub fn max_pool2d(
    input: &Tensor,
    kernel_size: impl IntoSpatial<2>,
    stride: impl IntoSpatial<2>,
    padding: impl IntoSpatial<2>,
    dilation: impl IntoSpatial<2>,
    ceil_mode: bool,
) -> Tensor {
    let args = window_args(kernel_size, stride, padding, dilation.to_spatial());
    // The indices are only needed by the derivative: `max_pool` skips them when autograd does
    // not record (as PyTorch does).
    or_panic(max_pool(input, args, ceil_mode, false)).0
}

/// [`max_pool2d`] also returning, for each output, the index of its value in the flattened
/// `H * W` input plane (I64), as `return_indices=True`.
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// let x = tensor!([[[[1.0, 2.0, 5.0, 0.0], [3.0, 4.0, 1.0, 1.0]]]]);
/// let (_, idx) = F::max_pool2d_with_indices(&x, 2, 0, 0, 1, false);
/// assert_eq!(idx.to_vec::<i64>(), vec![5, 2]);
/// ```
#[track_caller]
pub fn max_pool2d_with_indices(
    input: &Tensor,
    kernel_size: impl IntoSpatial<2>,
    stride: impl IntoSpatial<2>,
    padding: impl IntoSpatial<2>,
    dilation: impl IntoSpatial<2>,
    ceil_mode: bool,
) -> (Tensor, Tensor) {
    or_panic(try_max_pool2d_with_indices(
        input,
        kernel_size,
        stride,
        padding,
        dilation,
        ceil_mode,
    ))
}

/// [`max_pool2d_with_indices`] returning an error (bad dims, window larger than the input,
/// padding over half the kernel) instead of panicking.
///
/// ```
/// use firebrand::{nn::functional as F, DType, Tensor};
/// let x = Tensor::zeros([1, 1, 2, 2], DType::F32);
/// assert!(F::try_max_pool2d_with_indices(&x, 3, 0, 0, 1, false).is_err());
/// ```
pub fn try_max_pool2d_with_indices(
    input: &Tensor,
    kernel_size: impl IntoSpatial<2>,
    stride: impl IntoSpatial<2>,
    padding: impl IntoSpatial<2>,
    dilation: impl IntoSpatial<2>,
    ceil_mode: bool,
) -> Result<(Tensor, Tensor)> {
    let args = window_args(kernel_size, stride, padding, dilation.to_spatial());
    let (values, indices) = max_pool(input, args, ceil_mode, true)?;
    Ok((
        values,
        indices.expect("max_pool computes indices when asked"),
    ))
}

/// Max pooling's values and, when `with_indices` (always when autograd records), the argmax
/// indices; the values carry the derivative when recorded.
fn max_pool(
    input: &Tensor,
    args: WindowArgs,
    ceil_mode: bool,
    with_indices: bool,
) -> Result<(Tensor, Option<Tensor>)> {
    let p = Pooling::new("max_pool2d", input, args, ceil_mode)?;
    let with_indices = with_indices || Record::is_needed(&[&p.input]);
    let x = no_grad(|| p.input.contiguous());
    let g = &p.window;
    let (values, idx) = match x.dtype() {
        DType::F32 => kernels::max_pool::<f32>(&x, g, with_indices),
        DType::F64 => kernels::max_pool::<f64>(&x, g, with_indices),
        DType::F16 => kernels::max_pool::<f16>(&x, g, with_indices),
        DType::BF16 => kernels::max_pool::<bf16>(&x, g, with_indices),
        other => unreachable!("max_pool2d: {other} refused by require_float"),
    };
    let shape = p.output_shape();
    let values = values.reshape(&shape);
    Ok(match idx {
        Some(idx) => (
            max_pool_record(&p.input, values, &idx),
            Some(idx.reshape(&shape)),
        ),
        None => (values, None),
    })
}

/// Records max pooling's derivative: each output's gradient goes to the input element its
/// window picked, `zeros.scatter_add(indices, grad)` over flattened planes. Written with
/// differentiable ops, so gradients of gradients work (scatter_add's derivative is a gather).
fn max_pool_record(input: &Tensor, values: Tensor, idx: &Tensor) -> Tensor {
    let s = input.shape().to_vec();
    let flat_idx = idx.reshape([s[0], s[1], idx.numel() / (s[0] * s[1]).max(1)]);
    let (shape, dtype) = (s.clone(), input.dtype());
    Record::new("MaxPool2DWithIndicesBackward0", &[input]).finish(values, move |ctx| {
        let g = ctx.grad().reshape(flat_idx.shape());
        let zeros = Tensor::zeros([shape[0], shape[1], shape[2] * shape[3]], dtype);
        vec![Some(zeros.scatter_add(2, &flat_idx, &g).reshape(&shape))]
    })
}

/// 2-D average pooling, as PyTorch's `F.avg_pool2d(input, kernel_size, stride, padding,
/// ceil_mode, count_include_pad, divisor_override)`; a `stride` of 0 means the kernel size.
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// let x = tensor!([[[[1.0, 2.0, 5.0, 1.0], [3.0, 4.0, 1.0, 1.0]]]]);
/// let y = F::avg_pool2d(&x, 2, 0, 0, false, true, None);
/// assert_eq!(y.to_vec::<f32>(), vec![2.5, 2.0]);
/// ```
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub fn avg_pool2d(
    input: &Tensor,
    kernel_size: impl IntoSpatial<2>,
    stride: impl IntoSpatial<2>,
    padding: impl IntoSpatial<2>,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: Option<usize>,
) -> Tensor {
    or_panic(try_avg_pool2d(
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    ))
}

/// [`avg_pool2d`] returning an error instead of panicking.
///
/// ```
/// use firebrand::{nn::functional as F, DType, Tensor};
/// let x = Tensor::zeros([1, 1, 4, 4], DType::F32);
/// assert!(F::try_avg_pool2d(&x, 2, 0, 2, false, true, None).is_err());
/// ```
#[allow(clippy::too_many_arguments)]
pub fn try_avg_pool2d(
    input: &Tensor,
    kernel_size: impl IntoSpatial<2>,
    stride: impl IntoSpatial<2>,
    padding: impl IntoSpatial<2>,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: Option<usize>,
) -> Result<Tensor> {
    let args = window_args(kernel_size, stride, padding, [1, 1]);
    let p = Pooling::new("avg_pool2d", input, args, ceil_mode)?;
    if divisor_override == Some(0) {
        return Err(Error::msg("avg_pool2d: divisor_override must be positive"));
    }
    let g = p.window;
    let s = p.input.shape();
    let kk = g.kernel[0] * g.kernel[1];
    let sums = unfold_window(&p.input, g)
        .reshape([s[0], s[1], kk, g.output[0] * g.output[1]])
        .sum_dim(2, false);
    let divisor = match divisor_override {
        Some(d) => Tensor::scalar(d as f64).to_dtype(input.dtype()),
        None => window_counts(&g, count_include_pad, input.dtype()),
    };
    Ok((sums / divisor).reshape(p.output_shape()))
}

/// For each output position, the number of elements PyTorch divides by: the window's cells
/// inside the input (and, with `count_include_pad`, inside the padding too).
fn window_counts(g: &kernels::Window2d, count_include_pad: bool, dtype: DType) -> Tensor {
    let (mask, window) = if count_include_pad {
        let padded = [0, 1].map(|a| g.input[a] + 2 * g.padding[a]);
        let window = kernels::Window2d {
            planes: 1,
            input: padded,
            padding: [0, 0],
            ..*g
        };
        (Tensor::ones([1, 1, padded[0], padded[1]], dtype), window)
    } else {
        let window = kernels::Window2d { planes: 1, ..*g };
        (Tensor::ones([1, 1, g.input[0], g.input[1]], dtype), window)
    };
    no_grad(|| {
        unfold_window(&mask, window)
            .sum_dim(1, false)
            .reshape([g.output[0] * g.output[1]])
    })
}

/// Average pooling to a fixed output size, as PyTorch's `F.adaptive_avg_pool2d`: output cell
/// `i` along a dim of size `n` averages input rows `floor(i n / o) .. ceil((i + 1) n / o)`.
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// let x = tensor!([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]]);
/// assert_eq!(F::adaptive_avg_pool2d(&x, 1).to_vec::<f32>(), vec![3.5]);
/// assert_eq!(F::adaptive_avg_pool2d(&x, [1, 2]).to_vec::<f32>(), vec![3.0, 4.0]);
/// ```
#[track_caller]
pub fn adaptive_avg_pool2d(input: &Tensor, output_size: impl IntoSpatial<2>) -> Tensor {
    or_panic(try_adaptive_avg_pool2d(input, output_size))
}

/// [`adaptive_avg_pool2d`] returning an error instead of panicking.
///
/// ```
/// use firebrand::{nn::functional as F, DType, Tensor};
/// assert!(F::try_adaptive_avg_pool2d(&Tensor::zeros([2, 2], DType::F32), 1).is_err());
/// ```
pub fn try_adaptive_avg_pool2d(input: &Tensor, output_size: impl IntoSpatial<2>) -> Result<Tensor> {
    let op = "adaptive_avg_pool2d";
    require_float(op, input)?;
    let [oh, ow] = output_size.to_spatial();
    if !(3..=4).contains(&input.dim()) || oh == 0 || ow == 0 || oh == usize::MAX || ow == usize::MAX
    {
        return Err(Error::msg(format!(
            "{op}: expected input [N, C, H, W] or [C, H, W] and a positive output size, but got \
             shape {:?} and output size [{oh}, {ow}]",
            input.shape()
        )));
    }
    let d = input.dim();
    let (h, w) = (input.shape()[d - 2], input.shape()[d - 1]);
    if h % oh == 0 && w % ow == 0 {
        let kernel = [h / oh, w / ow];
        return try_avg_pool2d(input, kernel, kernel, 0, false, true, None);
    }
    let bounds = |i: usize, n: usize, o: usize| (i * n / o, ((i + 1) * n).div_ceil(o));
    let rows: Vec<Tensor> = (0..oh)
        .map(|i| {
            let (r0, r1) = bounds(i, h, oh);
            let cells: Vec<Tensor> = (0..ow)
                .map(|j| {
                    let (c0, c1) = bounds(j, w, ow);
                    let dims = [d as isize - 2, d as isize - 1];
                    input
                        .narrow(d as isize - 2, r0 as isize, r1 - r0)
                        .narrow(d as isize - 1, c0 as isize, c1 - c0)
                        .mean_dim(dims, false)
                })
                .collect();
            Tensor::stack(&cells.iter().collect::<Vec<_>>(), -1)
        })
        .collect();
    Ok(Tensor::stack(&rows.iter().collect::<Vec<_>>(), -2))
}
