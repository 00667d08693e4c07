//! Normalisation, as `torch.nn.functional`: batch norm, layer norm and group norm.
//!
//! Batch norm and group norm are composed from differentiable reductions and arithmetic
//! (mean, biased variance, `rsqrt`), so autograd gives the derivative with respect to the
//! input, the weight and the bias, and the derivative of that. Layer norm runs a fused row
//! kernel (one read and one write of the input's size) and writes its derivative in
//! differentiable ops, so it is twice differentiable as well. Batch norm's running statistics are updated in place
//! without recording a gradient, with PyTorch's unbiased variance.

use crate::autograd::{BackwardCtx, Record, is_grad_enabled, no_grad};
use crate::backend::cpu::rows;
use crate::dtype::DType;
use crate::error::{Error, Result, or_panic};
use crate::storage::StorageElement;
use crate::tensor::Tensor;
use half::{bf16, f16};

fn require_float(op: &str, input: &Tensor) -> Result<()> {
    if !input.dtype().is_float() {
        return Err(Error::msg(format!(
            "{op}: expected a float input, got {}; convert it with to_dtype(DType::F32)",
            input.dtype()
        )));
    }
    Ok(())
}

/// Checks that an optional per-channel tensor has shape `expected`.
fn check_shape(op: &str, name: &str, t: Option<&Tensor>, expected: &[usize]) -> Result<()> {
    match t {
        Some(t) if t.shape() != expected => Err(Error::msg(format!(
            "{op}: {name} must have shape {expected:?}, got {:?}",
            t.shape()
        ))),
        _ => Ok(()),
    }
}

/// `[1, C, 1, ..]` for an input of `ndim` dims: a per-channel tensor's broadcast shape.
fn channel_shape(channels: usize, ndim: usize) -> Vec<usize> {
    let mut shape = vec![1; ndim];
    shape[1] = channels;
    shape
}

/// `x * weight + bias`, each optional, reshaped to `shape` to broadcast.
fn affine(x: Tensor, weight: Option<&Tensor>, bias: Option<&Tensor>, shape: &[usize]) -> Tensor {
    let x = match weight {
        Some(w) => x * w.reshape(shape),
        None => x,
    };
    match bias {
        Some(b) => x + b.reshape(shape),
        None => x,
    }
}

/// `(x - mean) / sqrt(var + eps)`.
fn normalize(x: &Tensor, mean: &Tensor, var: &Tensor, eps: f64) -> Tensor {
    (x - mean) * (var + eps).rsqrt()
}

/// Batch normalisation over the channel dim 1 of `input` (`[N, C]`, `[N, C, L]`,
/// `[N, C, H, W]`, ..), as `F.batch_norm`. In training, each channel is normalised with the
/// batch's mean and biased variance, and the running statistics, when given, move towards the
/// batch's (`running = (1 - momentum) running + momentum batch`, with the unbiased variance);
/// in evaluation the running statistics normalise. `weight` and `bias` are `[C]`.
///
/// ```
/// use firebrand::nn::functional as F;
/// use firebrand::{tensor, DType, Tensor};
/// let x = tensor!([[1.0], [3.0]]);
/// let (mean, var) = (Tensor::zeros([1], DType::F32), Tensor::ones([1], DType::F32));
/// let y = F::batch_norm(&x, Some(&mean), Some(&var), None, None, true, 0.1, 0.0);
/// assert_eq!(y.to_vec::<f32>(), vec![-1.0, 1.0]);
/// assert_eq!(mean.to_vec::<f32>(), vec![0.2]);
/// assert_eq!(var.to_vec::<f32>(), vec![0.9 + 0.1 * 2.0]);
/// ```
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub fn batch_norm(
    input: &Tensor,
    running_mean: Option<&Tensor>,
    running_var: Option<&Tensor>,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    training: bool,
    momentum: f64,
    eps: f64,
) -> Tensor {
    or_panic(try_batch_norm(
        input,
        running_mean,
        running_var,
        weight,
        bias,
        training,
        momentum,
        eps,
    ))
}

/// [`batch_norm`] returning an error instead of panicking.
///
/// ```
/// use firebrand::{nn::functional as F, DType, Tensor};
/// let x = Tensor::zeros([1, 3], DType::F32);
/// let err = F::try_batch_norm(&x, None, None, None, None, true, 0.1, 1e-5).unwrap_err();
/// assert!(err.to_string().contains("more than 1 value per channel"));
/// ```
#[allow(clippy::too_many_arguments)]
pub fn try_batch_norm(
    input: &Tensor,
    running_mean: Option<&Tensor>,
    running_var: Option<&Tensor>,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    training: bool,
    momentum: f64,
    eps: f64,
) -> Result<Tensor> {
    const OP: &str = "batch_norm";
    require_float(OP, input)?;
    if input.dim() < 2 {
        return Err(Error::msg(format!(
            "{OP}: expected an input of at least 2 dims [N, C, ..], got shape {:?}",
            input.shape()
        )));
    }
    let channels = input.shape()[1];
    for (name, t) in [
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ] {
        check_shape(OP, name, t, &[channels])?;
    }
    let shape = channel_shape(channels, input.dim());
    let reduced: Vec<usize> = (0..input.dim()).filter(|&d| d != 1).collect();
    let (mean, var) = if training {
        let per_channel = input.numel() / channels.max(1);
        if per_channel <= 1 {
            return Err(Error::msg(format!(
                "{OP}: expected more than 1 value per channel when training, got input shape \
                 {:?}; use a larger batch or evaluation mode",
                input.shape()
            )));
        }
        let mean = input.mean_dim(reduced.as_slice(), true);
        let var = input.var_dim(reduced.as_slice(), false, true);
        update_running(
            running_mean,
            running_var,
            &mean,
            &var,
            per_channel,
            momentum,
        );
        (mean, var)
    } else {
        let (Some(rm), Some(rv)) = (running_mean, running_var) else {
            return Err(Error::msg(format!(
                "{OP}: running_mean and running_var are required in evaluation mode \
                 (training = false); pass them, or normalise with batch statistics (training = true)"
            )));
        };
        (rm.reshape(shape.as_slice()), rv.reshape(shape.as_slice()))
    };
    let y = normalize(input, &mean, &var, eps);
    Ok(affine(y, weight, bias, &shape))
}

/// `running = (1 - momentum) running + momentum batch`, in place and unrecorded; the variance
/// is made unbiased (`n / (n - 1)`) first, as PyTorch.
fn update_running(
    running_mean: Option<&Tensor>,
    running_var: Option<&Tensor>,
    mean: &Tensor,
    var: &Tensor,
    n: usize,
    momentum: f64,
) {
    no_grad(|| {
        let blend = |running: &Tensor, batch: &Tensor| {
            let batch = batch.reshape([-1]).to_dtype(running.dtype());
            running.copy_(&(running * (1.0 - momentum) + batch * momentum));
        };
        if let Some(rm) = running_mean {
            blend(rm, mean);
        }
        if let Some(rv) = running_var {
            blend(rv, &(var * (n as f64 / (n - 1) as f64)));
        }
    });
}

/// Layer normalisation over the trailing dims `normalized_shape` of `input`, as
/// `F.layer_norm`: each slice is normalised with its mean and biased variance, then scaled by
/// `weight` and shifted by `bias` (both of shape `normalized_shape`).
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// let y = F::layer_norm(&tensor!([[1.0, 3.0], [0.0, 10.0]]), &[2], None, None, 0.0);
/// assert_eq!(y.to_vec::<f32>(), vec![-1.0, 1.0, -1.0, 1.0]);
/// ```
#[track_caller]
pub fn layer_norm(
    input: &Tensor,
    normalized_shape: &[usize],
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Tensor {
    or_panic(try_layer_norm(input, normalized_shape, weight, bias, eps))
}

/// [`layer_norm`] returning an error instead of panicking.
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// assert!(F::try_layer_norm(&tensor!([[1.0, 3.0]]), &[3], None, None, 1e-5).is_err());
/// ```
pub fn try_layer_norm(
    input: &Tensor,
    normalized_shape: &[usize],
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Result<Tensor> {
    const OP: &str = "layer_norm";
    require_float(OP, input)?;
    let k = normalized_shape.len();
    if k == 0 || k > input.dim() || input.shape()[input.dim() - k..] != *normalized_shape {
        return Err(Error::msg(format!(
            "{OP}: normalized_shape {normalized_shape:?} must be the trailing dims of the \
             input's shape {:?}",
            input.shape()
        )));
    }
    check_shape(OP, "weight", weight, normalized_shape)?;
    check_shape(OP, "bias", bias, normalized_shape)?;
    let dims: Vec<isize> = (1..=k as isize).map(|d| -d).collect();
    let same_dtype = |t: Option<&Tensor>| t.is_none_or(|t| t.dtype() == input.dtype());
    if input.numel() > 0 && same_dtype(weight) && same_dtype(bias) {
        return Ok(fused_layer_norm(input, dims, weight, bias, eps));
    }
    // Mixed dtypes (promoted as the arithmetic does) and empty inputs: the composition.
    let mean = input.mean_dim(dims.as_slice(), true);
    let var = input.var_dim(dims.as_slice(), false, true);
    let y = normalize(input, &mean, &var, eps);
    let y = match weight {
        Some(w) => y * w,
        None => y,
    };
    Ok(match bias {
        Some(b) => y + b,
        None => y,
    })
}

/// Layer norm over the trailing `dims` (negative) in one fused pass per row, with its own
/// derivative (PyTorch's `NativeLayerNormBackward0`).
fn fused_layer_norm(
    input: &Tensor,
    dims: Vec<isize>,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Tensor {
    let (out, mean, rstd) = no_grad(|| layer_norm_forward(input, dims.len(), weight, bias, eps));
    let inputs: Vec<&Tensor> = [Some(input), weight, bias].into_iter().flatten().collect();
    let saved: Vec<&Tensor> = [Some(input), weight].into_iter().flatten().collect();
    let (x, w, has_bias) = (input.clone(), weight.cloned(), bias.is_some());
    Record::new("NativeLayerNormBackward0", &inputs)
        .save(&saved)
        .finish(out, move |ctx| {
            let stats = LayerNormStats {
                dims: &dims,
                mean: &mean,
                rstd: &rstd,
                eps,
            };
            layer_norm_backward(ctx, &x, w.as_ref(), has_bias, &stats)
        })
}

/// The forward kernel's call: the output, and each row's mean and `rstd` shaped to broadcast
/// against the input (size 1 in the normalised dims); f16 and bf16 keep f32 statistics.
fn layer_norm_forward(
    input: &Tensor,
    k: usize,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> (Tensor, Tensor, Tensor) {
    let x = input.contiguous();
    let lead = x.dim() - k;
    let row_len: usize = x.shape()[lead..].iter().product();
    let stats_shape: Vec<usize> = x.shape()[..lead]
        .iter()
        .copied()
        .chain(vec![1; k])
        .collect();
    macro_rules! run {
        ($T:ty, $C:ty, $kernel:path) => {{
            let (w, b) = (
                weight.map(|t| t.to_vec::<$C>()),
                bias.map(|t| t.to_vec::<$C>()),
            );
            let affine = rows::Affine {
                weight: w.as_deref(),
                bias: b.as_deref(),
            };
            let (y, mean, rstd) = crate::backend::cpu::contiguous_data::<$T, _>(&x, |src| {
                $kernel(src, row_len, &affine, eps)
            });
            (
                Tensor::from_cpu(<$T>::into_storage(y), x.shape()),
                Tensor::from_cpu(<$C>::into_storage(mean), &stats_shape),
                Tensor::from_cpu(<$C>::into_storage(rstd), &stats_shape),
            )
        }};
    }
    match x.dtype() {
        DType::F32 => run!(f32, f32, rows::layer_norm_rows),
        DType::F64 => run!(f64, f64, rows::layer_norm_rows),
        DType::F16 => run!(f16, f32, rows::layer_norm_rows_half),
        DType::BF16 => run!(bf16, f32, rows::layer_norm_rows_half),
        other => unreachable!("layer_norm of {other}: refused by require_float"),
    }
}

/// What the forward pass leaves for the derivative.
struct LayerNormStats<'a> {
    dims: &'a [isize],
    mean: &'a Tensor,
    rstd: &'a Tensor,
    eps: f64,
}

/// The derivative of layer norm, in differentiable ops: with `xhat = (x - mean) * rstd` and
/// `gxhat = g * weight`, `gx = rstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat))`,
/// `gweight = sum(g * xhat)`, `gbias = sum(g)`. When a graph of the derivative is recorded
/// (create_graph), the mean and rstd are recomputed from `x` by differentiable ops, so the
/// derivative's own derivative is exact; otherwise the forward's statistics are reused.
fn layer_norm_backward(
    ctx: &BackwardCtx,
    x: &Tensor,
    weight: Option<&Tensor>,
    has_bias: bool,
    stats: &LayerNormStats,
) -> Vec<Option<Tensor>> {
    let dims = stats.dims;
    let compute = match x.dtype() {
        DType::F16 | DType::BF16 => DType::F32,
        other => other,
    };
    let xc = x.to_dtype(compute);
    let (mean, rstd) = if is_grad_enabled() {
        let var = xc.var_dim(dims, false, true);
        (xc.mean_dim(dims, true), (var + stats.eps).rsqrt())
    } else {
        (stats.mean.clone(), stats.rstd.clone())
    };
    let g = ctx.grad().to_dtype(compute);
    let xhat = (&xc - &mean) * &rstd;
    let gx = ctx.needs(0).then(|| {
        let gxhat = match weight {
            Some(w) => &g * &w.to_dtype(compute),
            None => g.clone(),
        };
        let mean_g = gxhat.mean_dim(dims, true);
        let mean_gx = (&gxhat * &xhat).mean_dim(dims, true);
        ((gxhat - mean_g - &xhat * mean_gx) * &rstd).to_dtype(x.dtype())
    });
    let mut grads = vec![gx];
    if let Some(w) = weight {
        let gw = ctx
            .needs(grads.len())
            .then(|| (&g * &xhat).sum_to(w.shape()).to_dtype(w.dtype()));
        grads.push(gw);
    }
    if has_bias {
        let normalized = &x.shape()[x.dim() - dims.len()..];
        let gb = ctx
            .needs(grads.len())
            .then(|| g.sum_to(normalized).to_dtype(x.dtype()));
        grads.push(gb);
    }
    grads
}

/// Group normalisation, as `F.group_norm`: the channels of `input` (`[N, C, ..]`) split into
/// `num_groups` groups, each normalised over its channels and positions per sample; then a
/// per-channel `weight` and `bias` (`[C]`).
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// let x = tensor!([[[1.0], [3.0], [4.0], [8.0]]]);
/// let y = F::group_norm(&x, 2, None, None, 0.0);
/// assert_eq!(y.to_vec::<f32>(), vec![-1.0, 1.0, -1.0, 1.0]);
/// ```
#[track_caller]
pub fn group_norm(
    input: &Tensor,
    num_groups: usize,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Tensor {
    or_panic(try_group_norm(input, num_groups, weight, bias, eps))
}

/// [`group_norm`] returning an error instead of panicking.
///
/// ```
/// use firebrand::{nn::functional as F, DType, Tensor};
/// let x = Tensor::zeros([2, 6, 3], DType::F32);
/// assert!(F::try_group_norm(&x, 4, None, None, 1e-5).is_err());
/// ```
pub fn try_group_norm(
    input: &Tensor,
    num_groups: usize,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Result<Tensor> {
    const OP: &str = "group_norm";
    require_float(OP, input)?;
    if input.dim() < 2 {
        return Err(Error::msg(format!(
            "{OP}: expected an input of at least 2 dims [N, C, ..], got shape {:?}",
            input.shape()
        )));
    }
    let (n, channels) = (input.shape()[0], input.shape()[1]);
    if num_groups == 0 || channels % num_groups != 0 {
        return Err(Error::msg(format!(
            "{OP}: expected the number of channels {channels} to be divisible by num_groups \
             {num_groups}"
        )));
    }
    check_shape(OP, "weight", weight, &[channels])?;
    check_shape(OP, "bias", bias, &[channels])?;
    let grouped = input.reshape([n as isize, num_groups as isize, -1]);
    let mean = grouped.mean_dim(-1isize, true);
    let var = grouped.var_dim(-1isize, false, true);
    let y = normalize(&grouped, &mean, &var, eps).reshape(input.shape());
    Ok(affine(
        y,
        weight,
        bias,
        &channel_shape(channels, input.dim()),
    ))
}
