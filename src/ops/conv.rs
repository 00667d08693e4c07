//! Convolutions: unfold (im2col) and fold (col2im), conv1d, conv2d and conv_transpose2d, as
//! `torch.nn.functional`.
//!
//! Two differentiable primitives carry everything: [`unfold`], whose derivative is [`fold`],
//! and `fold`, whose derivative is `unfold`. A convolution is then one matrix product of the
//! weight with the unfolded input (grouped as a batched product), and a transposed
//! convolution is the product folded back; their derivatives, and derivatives of those, follow
//! from matmul's and the two primitives'. A convolution with one group (f32, f64, f16) computes
//! the same product in one fused kernel, sample by sample, and records one node whose
//! derivative is written with those same primitives.

use crate::autograd::{Record, is_grad_enabled, no_grad};
use crate::backend::cpu::conv::{self as kernels, Window2d};
use crate::dtype::DType;
use crate::error::{Error, Result, or_panic};
use crate::shape::IntoSpatial;
use crate::tensor::Tensor;
use half::{bf16, f16};

/// The arguments of a sliding window before the input is known.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WindowArgs {
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
}

impl WindowArgs {
    /// Refuses zero kernel, stride or dilation sizes (and negative numbers, which arrive as
    /// `usize::MAX`).
    pub(crate) fn check(&self, op: &str) -> Result<()> {
        let bad = |v: &[usize; 2], zero_ok: bool| {
            v.iter()
                .any(|&x| x == usize::MAX || (!zero_ok && x == 0) || x > 1 << 30)
        };
        if bad(&self.kernel, false)
            || bad(&self.stride, false)
            || bad(&self.dilation, false)
            || bad(&self.padding, true)
        {
            return Err(Error::msg(format!(
                "{op}: kernel size, stride and dilation must be positive and padding \
                 non-negative, but got kernel {:?}, stride {:?}, padding {:?}, dilation {:?}",
                self.kernel, self.stride, self.padding, self.dilation
            )));
        }
        Ok(())
    }

    /// The output size along `axis` for an input of `size`: PyTorch's
    /// `(size + 2p - d(k-1) - 1) / s + 1`, rounded down, or up with `ceil_mode` (where the
    /// last window must start inside the input or its left padding). None when the window
    /// does not fit.
    pub(crate) fn output_size(&self, axis: usize, size: usize, ceil_mode: bool) -> Option<usize> {
        let span = self.dilation[axis] * (self.kernel[axis] - 1) + 1;
        let room = (size + 2 * self.padding[axis]).checked_sub(span)?;
        let s = self.stride[axis];
        let mut out = if ceil_mode {
            room.div_ceil(s)
        } else {
            room / s
        } + 1;
        if ceil_mode && (out - 1) * s >= size + self.padding[axis] {
            out -= 1;
        }
        Some(out)
    }

    /// The window over `planes` planes of `input` size, with the output size given.
    pub(crate) fn window(&self, planes: usize, input: [usize; 2], output: [usize; 2]) -> Window2d {
        Window2d {
            planes,
            input,
            kernel: self.kernel,
            stride: self.stride,
            padding: self.padding,
            dilation: self.dilation,
            output,
        }
    }
}

/// The error for a window larger than its padded input.
fn does_not_fit(op: &str, shape: &[usize], args: &WindowArgs) -> Error {
    Error::msg(format!(
        "{op}: the kernel {:?} (dilation {:?}) is larger than the input {:?} padded by {:?}; \
         use a smaller kernel or more padding",
        args.kernel, args.dilation, shape, args.padding
    ))
}

/// Refuses all but float tensors.
pub(crate) fn require_float(op: &str, t: &Tensor) -> Result<()> {
    if t.dtype().is_float() {
        Ok(())
    } else {
        Err(Error::msg(format!(
            "{op}: expected a floating point tensor, but got {}; convert with to_dtype",
            t.dtype()
        )))
    }
}

/// Runs `unfold`'s kernel for the tensor's float dtype.
fn unfold_kernel(x: &Tensor, g: &Window2d) -> Tensor {
    match x.dtype() {
        DType::F32 => kernels::unfold::<f32>(x, g),
        DType::F64 => kernels::unfold::<f64>(x, g),
        DType::F16 => kernels::unfold::<f16>(x, g),
        DType::BF16 => kernels::unfold::<bf16>(x, g),
        other => unreachable!("unfold: {other} refused by require_float"),
    }
}

/// Runs `fold`'s kernel for the tensor's float dtype.
fn fold_kernel(cols: &Tensor, g: &Window2d) -> Tensor {
    match cols.dtype() {
        DType::F32 => kernels::fold::<f32>(cols, g),
        DType::F64 => kernels::fold::<f64>(cols, g),
        DType::F16 => kernels::fold::<f16>(cols, g),
        DType::BF16 => kernels::fold::<bf16>(cols, g),
        other => unreachable!("fold: {other} refused by require_float"),
    }
}

/// Differentiable unfold of `[N, C, H, W]` over a checked window: `[N, C * kh * kw, L]`.
pub(crate) fn unfold_window(input: &Tensor, g: Window2d) -> Tensor {
    let [n, c] = [input.shape()[0], input.shape()[1]];
    let out = unfold_kernel(&input.contiguous(), &g);
    let out = out.reshape([n, c * g.kernel[0] * g.kernel[1], g.output[0] * g.output[1]]);
    Record::new("Im2ColBackward0", &[input]).finish(out, move |ctx| {
        vec![Some(fold_window(ctx.grad(), g, [n, c]))]
    })
}

/// Differentiable fold of `[N, C * kh * kw, L]` over a checked window: `[N, C, H, W]`.
pub(crate) fn fold_window(cols: &Tensor, g: Window2d, [n, c]: [usize; 2]) -> Tensor {
    let out = fold_kernel(&cols.contiguous(), &g);
    let out = out.reshape([n, c, g.input[0], g.input[1]]);
    Record::new("Col2ImBackward0", &[cols])
        .finish(out, move |ctx| vec![Some(unfold_window(ctx.grad(), g))])
}

/// Extracts sliding blocks: `[N, C, H, W]` to `[N, C * kh * kw, L]`, where column `l` holds
/// the `l`-th window (row-major over output positions) and padding reads as zero, as PyTorch's
/// `F.unfold(input, kernel_size, dilation, padding, stride)` (im2col).
///
/// ```
/// use firebrand::nn::functional as F;
/// use firebrand::Tensor;
/// let x = Tensor::arange(0.0, 9.0, 1.0, firebrand::DType::F32).reshape([1, 1, 3, 3]);
/// let cols = F::unfold(&x, 2, 1, 0, 1);
/// assert_eq!(cols.shape(), &[1, 4, 4]);
/// // the first window is [[0, 1], [3, 4]]
/// assert_eq!(cols.i((0, .., 0)).to_vec::<f32>(), vec![0.0, 1.0, 3.0, 4.0]);
/// # use firebrand::TensorIndex;
/// ```
#[track_caller]
pub fn unfold(
    input: &Tensor,
    kernel_size: impl IntoSpatial<2>,
    dilation: impl IntoSpatial<2>,
    padding: impl IntoSpatial<2>,
    stride: impl IntoSpatial<2>,
) -> Tensor {
    or_panic(try_unfold(input, kernel_size, dilation, padding, stride))
}

/// [`unfold`] returning an error (wrong dims, window larger than the input) instead of
/// panicking.
///
/// ```
/// use firebrand::{nn::functional as F, DType, Tensor};
/// let x = Tensor::zeros([1, 1, 2, 2], DType::F32);
/// assert!(F::try_unfold(&x, 3, 1, 0, 1).is_err());
/// ```
pub fn try_unfold(
    input: &Tensor,
    kernel_size: impl IntoSpatial<2>,
    dilation: impl IntoSpatial<2>,
    padding: impl IntoSpatial<2>,
    stride: impl IntoSpatial<2>,
) -> Result<Tensor> {
    let args = WindowArgs {
        kernel: kernel_size.to_spatial(),
        stride: stride.to_spatial(),
        padding: padding.to_spatial(),
        dilation: dilation.to_spatial(),
    };
    args.check("unfold")?;
    require_float("unfold", input)?;
    if input.dim() != 4 {
        return Err(Error::msg(format!(
            "unfold: expected a 4-D input [N, C, H, W], but got shape {:?}",
            input.shape()
        )));
    }
    let g = checked_window("unfold", input, &args)?;
    Ok(unfold_window(input, g))
}

/// The window of `args` over a 4-D `input`, with floor-mode output size.
fn checked_window(op: &str, input: &Tensor, args: &WindowArgs) -> Result<Window2d> {
    let s = input.shape();
    let size = |axis: usize| {
        args.output_size(axis, s[2 + axis], false)
            .ok_or_else(|| does_not_fit(op, s, args))
    };
    Ok(args.window(s[0] * s[1], [s[2], s[3]], [size(0)?, size(1)?]))
}

/// Combines sliding blocks back into `[N, C, H, W]`, summing overlaps: the adjoint of
/// [`unfold`], as PyTorch's `F.fold(input, output_size, kernel_size, dilation, padding,
/// stride)` (col2im).
///
/// ```
/// use firebrand::{nn::functional as F, DType, Tensor};
/// let ones = Tensor::ones([1, 4, 4], DType::F32);
/// // four 2x2 windows over a 3x3 image: the centre is covered four times
/// let counts = F::fold(&ones, [3, 3], 2, 1, 0, 1);
/// assert_eq!(counts.to_vec::<f32>(), vec![1.0, 2.0, 1.0, 2.0, 4.0, 2.0, 1.0, 2.0, 1.0]);
/// ```
#[track_caller]
pub fn fold(
    input: &Tensor,
    output_size: impl IntoSpatial<2>,
    kernel_size: impl IntoSpatial<2>,
    dilation: impl IntoSpatial<2>,
    padding: impl IntoSpatial<2>,
    stride: impl IntoSpatial<2>,
) -> Tensor {
    or_panic(try_fold(
        input,
        output_size,
        kernel_size,
        dilation,
        padding,
        stride,
    ))
}

/// [`fold`] returning an error (sizes that do not match the windows) instead of panicking.
///
/// ```
/// use firebrand::{nn::functional as F, DType, Tensor};
/// let cols = Tensor::ones([1, 4, 5], DType::F32);
/// assert!(F::try_fold(&cols, [3, 3], 2, 1, 0, 1).is_err());
/// ```
pub fn try_fold(
    input: &Tensor,
    output_size: impl IntoSpatial<2>,
    kernel_size: impl IntoSpatial<2>,
    dilation: impl IntoSpatial<2>,
    padding: impl IntoSpatial<2>,
    stride: impl IntoSpatial<2>,
) -> Result<Tensor> {
    let args = WindowArgs {
        kernel: kernel_size.to_spatial(),
        stride: stride.to_spatial(),
        padding: padding.to_spatial(),
        dilation: dilation.to_spatial(),
    };
    args.check("fold")?;
    require_float("fold", input)?;
    let [h, w] = output_size.to_spatial();
    let k = args.kernel[0] * args.kernel[1];
    let (oh, ow) = match (args.output_size(0, h, false), args.output_size(1, w, false)) {
        (Some(a), Some(b)) => (a, b),
        _ => return Err(does_not_fit("fold", &[h, w], &args)),
    };
    let s = input.shape();
    if input.dim() != 3 || !s[1].is_multiple_of(k) || s[2] != oh * ow {
        return Err(Error::msg(format!(
            "fold: expected input [N, C * {k}, {}] for kernel {:?} over output size [{h}, {w}], \
             but got shape {s:?}",
            oh * ow,
            args.kernel
        )));
    }
    let (n, c) = (s[0], s[1] / k);
    let g = args.window(n * c, [h, w], [oh, ow]);
    Ok(fold_window(input, g, [n, c]))
}

/// Checks a convolution's input, weight and bias, and returns the input made 4-D (with a
/// batch dim added to an unbatched 3-D input) and whether one was added.
fn conv_operands(
    op: &str,
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    in_channels_per_weight: usize,
    out_channels: usize,
    groups: usize,
) -> Result<(Tensor, bool)> {
    require_float(op, input)?;
    for t in std::iter::once(weight).chain(bias) {
        if t.dtype() != input.dtype() {
            return Err(Error::msg(format!(
                "{op}: input ({}) and weight/bias ({}) must have one dtype; convert with to_dtype",
                input.dtype(),
                t.dtype()
            )));
        }
        crate::ops::binary::same_device(op, input, t)?;
    }
    if weight.dim() != 4 || !(3..=4).contains(&input.dim()) {
        return Err(Error::msg(format!(
            "{op}: expected input [N, C, H, W] (or [C, H, W]) and a 4-D weight, but got input \
             {:?} and weight {:?}",
            input.shape(),
            weight.shape()
        )));
    }
    let unbatched = input.dim() == 3;
    let x = if unbatched {
        input.unsqueeze(0)
    } else {
        input.clone()
    };
    let channels = x.shape()[1];
    if groups == 0
        || channels != in_channels_per_weight * groups
        || !out_channels.is_multiple_of(groups)
    {
        return Err(Error::msg(format!(
            "{op}: input {:?} has {channels} channels, but weight {:?} with groups={groups} \
             expects {} (and out channels divisible by groups)",
            input.shape(),
            weight.shape(),
            in_channels_per_weight * groups
        )));
    }
    if let Some(b) = bias
        && b.shape() != [out_channels]
    {
        return Err(Error::msg(format!(
            "{op}: expected bias of shape [{out_channels}], but got {:?}",
            b.shape()
        )));
    }
    Ok((x, unbatched))
}

/// `out + bias` with the bias over the channel dim (dim 1) of a 4-D output.
fn add_channel_bias(out: Tensor, bias: Option<&Tensor>) -> Tensor {
    match bias {
        Some(b) => out + b.reshape([1, b.numel(), 1, 1]),
        None => out,
    }
}

/// 2-D convolution (cross-correlation, as PyTorch): input `[N, C, H, W]` (or unbatched
/// `[C, H, W]`), weight `[O, C / groups, kh, kw]`, bias `[O]`; output
/// `[N, O, (H + 2p - d(kh - 1) - 1) / s + 1, ..]`. Sizes are one number for both dims or
/// `[h, w]`.
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// let x = tensor!([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]]);
/// let w = tensor!([[[[1.0, 0.0], [0.0, -1.0]]]]);
/// let y = F::conv2d(&x, &w, None, 1, 0, 1, 1);
/// assert_eq!(y.to_vec::<f32>(), vec![-4.0, -4.0, -4.0, -4.0]);
/// let padded = F::conv2d(&x, &w, Some(&tensor!([10.0])), 2, 1, 1, 1);
/// assert_eq!(padded.shape(), &[1, 1, 2, 2]);
/// ```
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub fn conv2d(
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: impl IntoSpatial<2>,
    padding: impl IntoSpatial<2>,
    dilation: impl IntoSpatial<2>,
    groups: usize,
) -> Tensor {
    or_panic(try_conv2d(
        input, weight, bias, stride, padding, dilation, groups,
    ))
}

/// [`conv2d`] returning an error (channel mismatch, window larger than the input, dtypes)
/// instead of panicking.
///
/// ```
/// use firebrand::{nn::functional as F, DType, Tensor};
/// let x = Tensor::zeros([1, 3, 8, 8], DType::F32);
/// let w = Tensor::zeros([4, 2, 3, 3], DType::F32);
/// let err = F::try_conv2d(&x, &w, None, 1, 0, 1, 1).unwrap_err();
/// assert!(err.to_string().contains("channels"));
/// ```
#[allow(clippy::too_many_arguments)]
pub fn try_conv2d(
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: impl IntoSpatial<2>,
    padding: impl IntoSpatial<2>,
    dilation: impl IntoSpatial<2>,
    groups: usize,
) -> Result<Tensor> {
    let op = "conv2d";
    let ws = weight.shape().to_vec();
    let per_group_in = if ws.len() == 4 { ws[1] } else { 0 };
    let out_channels = ws.first().copied().unwrap_or(0);
    let (x, unbatched) =
        conv_operands(op, input, weight, bias, per_group_in, out_channels, groups)?;
    let args = WindowArgs {
        kernel: [ws[2], ws[3]],
        stride: stride.to_spatial(),
        padding: padding.to_spatial(),
        dilation: dilation.to_spatial(),
    };
    args.check(op)?;
    let g = checked_window(op, &x, &args)?;
    if groups == 1 && matches!(x.dtype(), DType::F32 | DType::F64 | DType::F16) {
        let out = fused_conv2d(&x, weight, bias, g);
        return Ok(if unbatched { out.squeeze(0) } else { out });
    }
    let n = x.shape()[0];
    let cols = unfold_window(&x, g);
    let k = per_group_in * ws[2] * ws[3];
    let l = g.output[0] * g.output[1];
    let out = if groups == 1 {
        weight.reshape([out_channels, k]).matmul(&cols)
    } else {
        let w = weight.reshape([groups, out_channels / groups, k]);
        w.matmul(&cols.reshape([n, groups, k, l]))
    };
    let out = out.reshape([n, out_channels, g.output[0], g.output[1]]);
    let out = add_channel_bias(out, bias);
    Ok(if unbatched { out.squeeze(0) } else { out })
}

/// [`conv2d`] with one group (f32, f64, f16) in one kernel that unfolds and multiplies sample
/// by sample, bias included (`kernels::conv2d`): the same values as the unfold-and-matmul path
/// below, without the batch's columns ever being stored. It is recorded as one node,
/// `ConvolutionBackward0`. Its derivative runs the sample-by-sample backward kernel in f32 and
/// f64; when the backward pass records a graph (`create_graph`), or in f16, it is built from the
/// differentiable unfold, fold and matmul instead, so gradients of gradients work. Either way
/// the columns are recomputed, not kept.
fn fused_conv2d(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>, g: Window2d) -> Tensor {
    let ws = weight.shape().to_vec();
    let [n, c, o] = [x.shape()[0], x.shape()[1], ws[0]];
    let k = c * ws[2] * ws[3];
    let weight_bias = no_grad(|| {
        let b = bias.map_or_else(|| Tensor::zeros([o], x.dtype()), Tensor::clone);
        Tensor::cat(&[&weight.reshape([o, k]), &b.reshape([o, 1])], 1)
    });
    let x_data = x.contiguous();
    let out = match x.dtype() {
        DType::F32 => kernels::conv2d_f32(&x_data, &weight_bias.to_vec::<f32>(), [n, c, o], &g),
        DType::F64 => kernels::conv2d(&x_data, &weight_bias.to_vec::<f64>(), [n, c, o], &g),
        DType::F16 => kernels::conv2d(&x_data, &weight_bias.to_vec::<f16>(), [n, c, o], &g),
        other => unreachable!("fused_conv2d of {other}: only f32, f64 and f16 come here"),
    };
    let out = out.reshape([n, o, g.output[0], g.output[1]]);
    let inputs: Vec<&Tensor> = [x, weight].into_iter().chain(bias).collect();
    let (x, weight, with_bias) = (x.clone(), weight.clone(), bias.is_some());
    Record::new("ConvolutionBackward0", &inputs)
        .save(&inputs[..2])
        .finish(out, move |ctx| {
            let grad = ctx.grad().reshape([n, o, g.output[0] * g.output[1]]);
            let needs = [ctx.needs(0), ctx.needs(1)];
            let (grad_x, grad_w) = conv2d_grads(&x, &weight, &grad, g, needs);

            let mut grads = vec![grad_x, grad_w];
            if with_bias {
                grads.push(ctx.needs(2).then(|| grad.sum_dim([0, 2], false)));
            }
            grads
        })
}

/// The input and weight gradients of [`fused_conv2d`], each only where `needs` says. A backward
/// pass that records no graph runs one kernel that works sample by sample
/// (`kernels::conv2d_backward`, f32 and f64); otherwise they are built from the differentiable
/// unfold, fold and matmul, so that they can be differentiated again.
fn conv2d_grads(
    x: &Tensor,
    weight: &Tensor,
    grad: &Tensor,
    g: Window2d,
    needs: [bool; 2],
) -> (Option<Tensor>, Option<Tensor>) {
    let ws = weight.shape().to_vec();
    let [n, c, o] = [x.shape()[0], x.shape()[1], ws[0]];
    if !is_grad_enabled() && matches!(x.dtype(), DType::F32 | DType::F64) {
        let (x, grad) = (x.contiguous(), grad.contiguous());
        let (gx, gw) = match x.dtype() {
            DType::F32 => {
                let w = weight.to_vec::<f32>();
                kernels::conv2d_backward_f32(&x, &w, &grad, [n, c, o], &g, needs)
            }
            _ => {
                let w = weight.to_vec::<f64>();
                kernels::conv2d_backward(&x, &w, &grad, [n, c, o], &g, needs)
            }
        };
        return (gx, gw.map(|gw| gw.reshape(ws)));
    }
    let w = weight.reshape([o, c * ws[2] * ws[3]]);
    let grad_x = needs[0].then(|| fold_window(&w.t().matmul(grad), g, [n, c]));
    let grad_w = needs[1].then(|| {
        let cols = unfold_window(x, g);
        grad.matmul(&cols.transpose(-2, -1))
            .sum_dim(0, false)
            .reshape(ws.clone())
    });
    (grad_x, grad_w)
}

/// 1-D convolution: input `[N, C, L]` (or `[C, L]`), weight `[O, C / groups, k]`, bias `[O]`,
/// as PyTorch's `F.conv1d`; computed as a 2-D convolution of height 1.
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// let x = tensor!([[[1.0, 2.0, 3.0, 4.0]]]);
/// let w = tensor!([[[1.0, -1.0]]]);
/// assert_eq!(F::conv1d(&x, &w, None, 1, 0, 1, 1).to_vec::<f32>(), vec![-1.0, -1.0, -1.0]);
/// ```
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub fn conv1d(
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
    dilation: usize,
    groups: usize,
) -> Tensor {
    or_panic(try_conv1d(
        input, weight, bias, stride, padding, dilation, groups,
    ))
}

/// [`conv1d`] returning an error instead of panicking.
///
/// ```
/// use firebrand::{nn::functional as F, DType, Tensor};
/// let x = Tensor::zeros([1, 2, 5], DType::F32);
/// assert!(F::try_conv1d(&x, &Tensor::zeros([1, 2, 3, 3], DType::F32), None, 1, 0, 1, 1).is_err());
/// ```
#[allow(clippy::too_many_arguments)]
pub fn try_conv1d(
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
    dilation: usize,
    groups: usize,
) -> Result<Tensor> {
    if weight.dim() != 3 || !(2..=3).contains(&input.dim()) {
        return Err(Error::msg(format!(
            "conv1d: expected input [N, C, L] (or [C, L]) and a 3-D weight [O, C / groups, k], \
             but got input {:?} and weight {:?}",
            input.shape(),
            weight.shape()
        )));
    }
    let out = try_conv2d(
        &input.unsqueeze(-2),
        &weight.unsqueeze(-2),
        bias,
        [1, stride],
        [0, padding],
        [1, dilation],
        groups,
    )?;
    Ok(out.squeeze(-2))
}

/// 2-D transposed convolution (the gradient of conv2d with respect to its input), as
/// PyTorch's `F.conv_transpose2d(input, weight, bias, stride, padding, output_padding,
/// groups, dilation)`: input `[N, C, H, W]`, weight `[C, O / groups, kh, kw]`, output height
/// `(H - 1) s - 2p + d(kh - 1) + output_padding + 1`.
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// let x = tensor!([[[[1.0, 2.0], [3.0, 4.0]]]]);
/// let w = tensor!([[[[1.0, 1.0], [1.0, 1.0]]]]);
/// let y = F::conv_transpose2d(&x, &w, None, 2, 0, 0, 1, 1);
/// assert_eq!(y.shape(), &[1, 1, 4, 4]);
/// assert_eq!(y.to_vec::<f32>()[..4], [1.0, 1.0, 2.0, 2.0]);
/// ```
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub fn conv_transpose2d(
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: impl IntoSpatial<2>,
    padding: impl IntoSpatial<2>,
    output_padding: impl IntoSpatial<2>,
    groups: usize,
    dilation: impl IntoSpatial<2>,
) -> Tensor {
    or_panic(try_conv_transpose2d(
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
    ))
}

/// [`conv_transpose2d`] returning an error instead of panicking.
///
/// ```
/// use firebrand::{nn::functional as F, DType, Tensor};
/// let x = Tensor::zeros([1, 2, 3, 3], DType::F32);
/// let w = Tensor::zeros([3, 1, 2, 2], DType::F32);
/// assert!(F::try_conv_transpose2d(&x, &w, None, 1, 0, 0, 1, 1).is_err());
/// ```
#[allow(clippy::too_many_arguments)]
pub fn try_conv_transpose2d(
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: impl IntoSpatial<2>,
    padding: impl IntoSpatial<2>,
    output_padding: impl IntoSpatial<2>,
    groups: usize,
    dilation: impl IntoSpatial<2>,
) -> Result<Tensor> {
    let op = "conv_transpose2d";
    let ws = weight.shape().to_vec();
    let in_channels = ws.first().copied().unwrap_or(0);
    let per_group_out = if ws.len() == 4 { ws[1] } else { 0 };
    let (x, unbatched) = conv_operands(
        op,
        input,
        weight,
        bias,
        in_channels / groups.max(1),
        per_group_out * groups,
        groups,
    )?;
    if in_channels % groups != 0 {
        return Err(Error::msg(format!(
            "{op}: weight {ws:?} has {in_channels} input channels, not divisible by groups={groups}"
        )));
    }
    let args = WindowArgs {
        kernel: [ws[2], ws[3]],
        stride: stride.to_spatial(),
        padding: padding.to_spatial(),
        dilation: dilation.to_spatial(),
    };
    args.check(op)?;
    let extra = output_padding.to_spatial();
    let [n, _, h, w] = [x.shape()[0], x.shape()[1], x.shape()[2], x.shape()[3]];
    let size = |axis: usize, len: usize| -> Result<usize> {
        let full = (len - 1) * args.stride[axis]
            + args.dilation[axis] * (args.kernel[axis] - 1)
            + extra[axis]
            + 1;
        if extra[axis] >= args.stride[axis].max(args.dilation[axis]) {
            return Err(Error::msg(format!(
                "{op}: output_padding {extra:?} must be smaller than stride {:?} or dilation {:?}",
                args.stride, args.dilation
            )));
        }
        full.checked_sub(2 * args.padding[axis])
            .filter(|&s| s > 0)
            .ok_or_else(|| does_not_fit(op, x.shape(), &args))
    };
    let (oh, ow) = (size(0, h)?, size(1, w)?);
    let out_channels = per_group_out * groups;
    let k = per_group_out * ws[2] * ws[3];
    let cin = in_channels / groups;
    // cols[n, g] = weight[g]^T @ x[n, g]: [k, cin] @ [cin, H * W]
    let wg = weight.reshape([groups, cin, k]).transpose(1, 2);
    let cols = wg.matmul(&x.reshape([n, groups, cin, h * w]));
    let cols = cols.reshape([n, groups * k, h * w]);
    let g = args.window(n * out_channels, [oh, ow], [h, w]);
    let out = fold_window(&cols, g, [n, out_channels]);
    let out = add_channel_bias(out, bias);
    Ok(if unbatched { out.squeeze(0) } else { out })
}
