//! Losses, as `torch.nn.functional`: cross entropy, negative log likelihood, mean squared and
//! absolute errors, smooth L1 / Huber, binary cross entropy (on probabilities and on logits)
//! and KL divergence.
//!
//! Every loss comes in two spellings. The short one takes PyTorch's default arguments
//! (`reduction="mean"` and no class weights): `F::mse_loss(&input, &target)`. The `_with` one
//! takes the options: a [`Reduction`] for the plain losses (`F::mse_loss_with(&a, &b,
//! Reduction::Sum)`), an options struct for the losses with more knobs
//! ([`CrossEntropyOptions`], [`NllLossOptions`], [`BceOptions`], [`BceWithLogitsOptions`]), whose
//! `Default` is PyTorch's defaults. Each has a `try_` twin returning [`Result`].
//!
//! All losses are composed from differentiable tensor ops, so their gradients (and
//! gradients of gradients) come from autograd. Those on logits go through the fused, stable
//! `log_softmax` or through `softplus`, so inputs of magnitude 1e4 give finite losses and
//! gradients.

use crate::autograd::{Record, no_grad};
use crate::backend::cpu::{contiguous_data, rows};
use crate::dtype::DType;
use crate::error::{Error, Result, or_panic};
use crate::storage::StorageElement;
use crate::tensor::Tensor;

/// How a loss reduces its per-element values, as PyTorch's `reduction` string.
///
/// ```
/// use firebrand::nn::functional::{self as F, Reduction};
/// let (a, b) = (firebrand::tensor!([1.0, 3.0]), firebrand::tensor!([0.0, 0.0]));
/// assert_eq!(Reduction::default(), Reduction::Mean);
/// assert_eq!(F::mse_loss_with(&a, &b, Reduction::Sum).item::<f32>(), 10.0);
/// assert_eq!(F::mse_loss_with(&a, &b, Reduction::None).to_vec::<f32>(), vec![1.0, 9.0]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// Per-element losses, in the input's shape (`"none"`).
    None,
    /// The mean (`"mean"`, the default); weighted losses divide by the total weight.
    #[default]
    Mean,
    /// The sum (`"sum"`).
    Sum,
    /// The sum divided by the batch size (`"batchmean"`): [`kl_div_with`] only.
    BatchMean,
}

/// The plain reductions: `None`, `Mean` or `Sum` of `loss` (`BatchMean` is refused).
fn reduce(op: &str, loss: Tensor, reduction: Reduction) -> Result<Tensor> {
    match reduction {
        Reduction::None => Ok(loss),
        Reduction::Mean => Ok(loss.mean()),
        Reduction::Sum => Ok(loss.sum()),
        Reduction::BatchMean => Err(Error::msg(format!(
            "{op}: reduction BatchMean is only for kl_div; use Mean, Sum or None"
        ))),
    }
}

fn require_float(op: &str, name: &str, t: &Tensor) -> Result<()> {
    if !t.dtype().is_float() {
        return Err(Error::msg(format!(
            "{op}: expected a float {name}, got {}; convert it with to_dtype(DType::F32)",
            t.dtype()
        )));
    }
    Ok(())
}

fn require_same_shape(op: &str, input: &Tensor, target: &Tensor) -> Result<()> {
    if input.shape() != target.shape() {
        return Err(Error::msg(format!(
            "{op}: target shape {:?} differs from input shape {:?}; they must be equal",
            target.shape(),
            input.shape()
        )));
    }
    Ok(())
}

/// Options of [`cross_entropy_with`]; `Default` is PyTorch's defaults.
///
/// ```
/// let o = firebrand::nn::functional::CrossEntropyOptions::default();
/// assert_eq!((o.ignore_index, o.label_smoothing), (-100, 0.0));
/// ```
#[derive(Clone, Debug)]
pub struct CrossEntropyOptions {
    /// A weight per class, shape `[C]`.
    pub weight: Option<Tensor>,
    /// Targets equal to this class index add nothing (class-index targets only).
    pub ignore_index: i64,
    /// In `[0, 1]`: the target becomes `(1 - s) * target + s / C`.
    pub label_smoothing: f64,
    /// How the per-sample losses are reduced.
    pub reduction: Reduction,
}

impl Default for CrossEntropyOptions {
    fn default() -> Self {
        CrossEntropyOptions {
            weight: None,
            ignore_index: -100,
            label_smoothing: 0.0,
            reduction: Reduction::Mean,
        }
    }
}

/// Options of [`nll_loss_with`]; `Default` is PyTorch's defaults.
///
/// ```
/// assert_eq!(firebrand::nn::functional::NllLossOptions::default().ignore_index, -100);
/// ```
#[derive(Clone, Debug)]
pub struct NllLossOptions {
    /// A weight per class, shape `[C]`.
    pub weight: Option<Tensor>,
    /// Targets equal to this class index add nothing.
    pub ignore_index: i64,
    /// How the per-sample losses are reduced.
    pub reduction: Reduction,
}

impl Default for NllLossOptions {
    fn default() -> Self {
        NllLossOptions {
            weight: None,
            ignore_index: -100,
            reduction: Reduction::Mean,
        }
    }
}

/// Cross entropy between logits `input` and `target`, as `F.cross_entropy` with its
/// defaults. `input` is `[N, C]`, `[N, C, d1, ..]` or unbatched `[C]`. `target` is either
/// class indices (I64 or I32, shape `[N]` / `[N, d1, ..]` / `[]`) or class probabilities
/// (float, `input`'s shape). Computed as `log_softmax` then a gather (for `[N, C]` f32/f64
/// logits and class indices, as `logsumexp` minus the target's logit in one fused pass),
/// stable for any logits.
///
/// ```
/// use firebrand::nn::functional as F;
/// use firebrand::tensor;
/// let logits = tensor!([[0.0, 0.0], [1000.0, 0.0]]);
/// let loss = F::cross_entropy(&logits, &tensor!([0, 0]));
/// assert!((loss.item::<f32>() - 2f32.ln() / 2.0).abs() < 1e-6);
/// ```
#[track_caller]
pub fn cross_entropy(input: &Tensor, target: &Tensor) -> Tensor {
    or_panic(try_cross_entropy(input, target))
}

/// [`cross_entropy`] returning an error instead of panicking.
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// let err = F::try_cross_entropy(&tensor!([[0.0, 0.0]]), &tensor!([2])).unwrap_err();
/// assert!(err.to_string().contains("out of bounds"));
/// ```
pub fn try_cross_entropy(input: &Tensor, target: &Tensor) -> Result<Tensor> {
    try_cross_entropy_with(input, target, &CrossEntropyOptions::default())
}

/// [`cross_entropy`] with class weights, `ignore_index`, label smoothing and a reduction.
///
/// ```
/// use firebrand::nn::functional::{self as F, CrossEntropyOptions, Reduction};
/// use firebrand::tensor;
/// let opts = CrossEntropyOptions { reduction: Reduction::None, ignore_index: 1, ..Default::default() };
/// let loss = F::cross_entropy_with(&tensor!([[0.0, 0.0], [0.0, 0.0]]), &tensor!([0, 1]), &opts);
/// assert_eq!(loss.to_vec::<f32>(), vec![2f32.ln(), 0.0]);
/// ```
#[track_caller]
pub fn cross_entropy_with(input: &Tensor, target: &Tensor, opts: &CrossEntropyOptions) -> Tensor {
    or_panic(try_cross_entropy_with(input, target, opts))
}

/// [`cross_entropy_with`] returning an error instead of panicking.
///
/// ```
/// use firebrand::nn::functional::{self as F, CrossEntropyOptions};
/// use firebrand::tensor;
/// let opts = CrossEntropyOptions { label_smoothing: 2.0, ..Default::default() };
/// assert!(F::try_cross_entropy_with(&tensor!([[0.0, 1.0]]), &tensor!([0]), &opts).is_err());
/// ```
pub fn try_cross_entropy_with(
    input: &Tensor,
    target: &Tensor,
    opts: &CrossEntropyOptions,
) -> Result<Tensor> {
    const OP: &str = "cross_entropy";
    require_float(OP, "input", input)?;
    if input.dim() == 0 {
        return Err(Error::msg(
            "cross_entropy: input must have a class dim ([C], [N, C] or [N, C, d1, ..]), got a 0-d tensor",
        ));
    }
    if !(0.0..=1.0).contains(&opts.label_smoothing) {
        return Err(Error::msg(format!(
            "cross_entropy: label_smoothing must be in [0, 1], got {}",
            opts.label_smoothing
        )));
    }
    if let Some(loss) = fused_cross_entropy(input, target, opts)? {
        return Ok(loss);
    }
    let class_dim = class_dim(input);
    let log_probs = input.try_log_softmax(class_dim as isize)?;
    if target.dtype().is_float() {
        probability_cross_entropy(&log_probs, target, class_dim, opts)
    } else {
        index_cross_entropy(&log_probs, target, class_dim, opts)
    }
}

/// Cross entropy by the fused row kernel, for the common case: `[N, C]` f32 or f64 logits,
/// class-index targets none of which is `ignore_index`, no class weights, no label
/// smoothing; `None` otherwise. Each row's loss `logsumexp(x) - x[target]` is computed without
/// materialising the log-probabilities; its derivative is `softmax(x) - one_hot(target)`
/// scaled by the incoming gradient, in differentiable ops (so twice differentiable).
fn fused_cross_entropy(
    input: &Tensor,
    target: &Tensor,
    opts: &CrossEntropyOptions,
) -> Result<Option<Tensor>> {
    const OP: &str = "cross_entropy";
    let fits = input.dim() == 2
        && matches!(input.dtype(), DType::F32 | DType::F64)
        && !target.dtype().is_float()
        && opts.weight.is_none()
        && opts.label_smoothing == 0.0;
    if !fits {
        return Ok(None);
    }
    let (targets, any_ignored) = checked_targets(OP, input, target, opts.ignore_index)?;
    if any_ignored {
        return Ok(None);
    }
    let losses = no_grad(|| cross_entropy_rows(&input.contiguous(), &targets));
    let (x, classes) = (input.clone(), input.shape()[1] as i64);
    let count = targets.len();
    let target = Tensor::from_vec(targets, [count]);
    let losses = Record::new("CrossEntropyLossBackward0", &[input])
        .save(&[input])
        .finish(losses, move |ctx| {
            let one_hot =
                no_grad(|| super::embedding::one_hot(&target, classes)).to_dtype(x.dtype());
            vec![Some((x.softmax(1) - one_hot) * ctx.grad().unsqueeze(1))]
        });
    reduce(OP, losses, opts.reduction).map(Some)
}

/// The per-row cross entropy of the contiguous `[N, C]` logits `x` against `targets`.
fn cross_entropy_rows(x: &Tensor, targets: &[i64]) -> Tensor {
    let classes = x.shape()[1];
    let storage = match x.dtype() {
        DType::F32 => contiguous_data::<f32, _>(x, |s| {
            f32::into_storage(rows::cross_entropy_rows(s, classes, targets))
        }),
        DType::F64 => contiguous_data::<f64, _>(x, |s| {
            f64::into_storage(rows::cross_entropy_rows(s, classes, targets))
        }),
        other => unreachable!("fused cross_entropy of {other}: refused by fused_cross_entropy"),
    };
    Tensor::from_cpu(storage, &[targets.len()])
}

/// The class dim: 0 for an unbatched `[C]` input, else 1.
fn class_dim(input: &Tensor) -> usize {
    usize::from(input.dim() > 1)
}

/// Cross entropy with class-index targets: NLL of the log-probabilities, plus the smoothing
/// term `-sum_c w_c log p_c / C` when `label_smoothing > 0` (PyTorch's formula).
fn index_cross_entropy(
    log_probs: &Tensor,
    target: &Tensor,
    class_dim: usize,
    opts: &CrossEntropyOptions,
) -> Result<Tensor> {
    let nll_opts = NllLossOptions {
        weight: opts.weight.clone(),
        ignore_index: opts.ignore_index,
        reduction: opts.reduction,
    };
    let nll = nll("cross_entropy", log_probs, target, &nll_opts)?;
    let s = opts.label_smoothing;
    if s == 0.0 {
        return Ok(nll);
    }
    let classes = log_probs.shape()[class_dim];
    let weight_shape = class_broadcast_shape(log_probs, class_dim);
    let weighted = match &opts.weight {
        Some(w) => log_probs * &w.reshape(weight_shape.as_slice()),
        None => log_probs.clone(),
    };
    let kept = target.ne_scalar(opts.ignore_index as f64);
    let smooth = weighted
        .sum_dim(class_dim as isize, false)
        .neg()
        .masked_fill(&kept.logical_not(), 0.0);
    let smooth = match opts.reduction {
        Reduction::Mean => {
            let total = match &opts.weight {
                Some(w) => picked_weights(w, target, &kept).sum(),
                None => kept.to_dtype(smooth.dtype()).sum(),
            };
            smooth.sum() / total
        }
        other => reduce("cross_entropy", smooth, other)?,
    };
    Ok(nll * (1.0 - s) + smooth * (s / classes as f64))
}

/// `[1, C, 1, ..]`: the shape a per-class weight takes to broadcast against `t`.
fn class_broadcast_shape(t: &Tensor, class_dim: usize) -> Vec<usize> {
    let mut shape = vec![1; t.dim()];
    shape[class_dim] = t.shape()[class_dim];
    shape
}

/// `weight[target]` where `kept`, 0 elsewhere, in `target`'s shape.
fn picked_weights(weight: &Tensor, target: &Tensor, kept: &Tensor) -> Tensor {
    let safe = target.masked_fill(&kept.logical_not(), 0.0);
    let picked = weight
        .index_select(0, &safe.reshape([-1]))
        .reshape(target.shape());
    picked.masked_fill(&kept.logical_not(), 0.0)
}

/// Cross entropy with probability targets: `-sum_c w_c t_c log p_c` per sample, the mean
/// dividing by the number of samples.
fn probability_cross_entropy(
    log_probs: &Tensor,
    target: &Tensor,
    class_dim: usize,
    opts: &CrossEntropyOptions,
) -> Result<Tensor> {
    const OP: &str = "cross_entropy";
    require_same_shape(OP, log_probs, target)?;
    let classes = log_probs.shape()[class_dim];
    let s = opts.label_smoothing;
    let target = if s > 0.0 {
        target * (1.0 - s) + s / classes as f64
    } else {
        target.clone()
    };
    let mut per_class = log_probs * &target;
    if let Some(w) = &opts.weight {
        check_class_weight(OP, w, classes)?;
        per_class = per_class * w.reshape(class_broadcast_shape(log_probs, class_dim).as_slice());
    }
    let loss = per_class.sum_dim(class_dim as isize, false).neg();
    reduce(OP, loss, opts.reduction)
}

fn check_class_weight(op: &str, weight: &Tensor, classes: usize) -> Result<()> {
    if weight.shape() != [classes] {
        return Err(Error::msg(format!(
            "{op}: weight must have one entry per class, shape [{classes}], got {:?}",
            weight.shape()
        )));
    }
    Ok(())
}

/// The negative log likelihood of class-index `target` under log-probabilities `input`, as
/// `F.nll_loss` with its defaults. Shapes as [`cross_entropy`].
///
/// ```
/// use firebrand::nn::functional as F;
/// use firebrand::tensor;
/// let logp = tensor!([[-1.0, -2.0], [-3.0, -4.0]]);
/// assert_eq!(F::nll_loss(&logp, &tensor!([1, 0])).item::<f32>(), 2.5);
/// ```
#[track_caller]
pub fn nll_loss(input: &Tensor, target: &Tensor) -> Tensor {
    or_panic(try_nll_loss(input, target))
}

/// [`nll_loss`] returning an error instead of panicking.
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// assert!(F::try_nll_loss(&tensor!([[-1.0, -2.0]]), &tensor!([0.0])).is_err());
/// ```
pub fn try_nll_loss(input: &Tensor, target: &Tensor) -> Result<Tensor> {
    try_nll_loss_with(input, target, &NllLossOptions::default())
}

/// [`nll_loss`] with class weights, `ignore_index` and a reduction. The mean divides by the
/// sum of the weights of the targets not ignored.
///
/// ```
/// use firebrand::nn::functional::{self as F, NllLossOptions};
/// use firebrand::tensor;
/// let opts = NllLossOptions { weight: Some(tensor!([1.0, 3.0])), ..Default::default() };
/// let loss = F::nll_loss_with(&tensor!([[-1.0, -2.0], [-3.0, -4.0]]), &tensor!([1, 0]), &opts);
/// assert_eq!(loss.item::<f32>(), (3.0 * 2.0 + 3.0) / 4.0);
/// ```
#[track_caller]
pub fn nll_loss_with(input: &Tensor, target: &Tensor, opts: &NllLossOptions) -> Tensor {
    or_panic(try_nll_loss_with(input, target, opts))
}

/// [`nll_loss_with`] returning an error instead of panicking.
///
/// ```
/// use firebrand::nn::functional::{self as F, NllLossOptions};
/// use firebrand::tensor;
/// let opts = NllLossOptions { weight: Some(tensor!([1.0])), ..Default::default() };
/// assert!(F::try_nll_loss_with(&tensor!([[-1.0, -2.0]]), &tensor!([0]), &opts).is_err());
/// ```
pub fn try_nll_loss_with(input: &Tensor, target: &Tensor, opts: &NllLossOptions) -> Result<Tensor> {
    require_float("nll_loss", "input", input)?;
    if input.dim() == 0 {
        return Err(Error::msg(
            "nll_loss: input must have a class dim ([C], [N, C] or [N, C, d1, ..]), got a 0-d tensor",
        ));
    }
    nll("nll_loss", input, target, opts)
}

/// Checks `target` against `input` and returns whether any target equals `ignore_index`.
fn check_targets(op: &str, input: &Tensor, target: &Tensor, ignore_index: i64) -> Result<bool> {
    checked_targets(op, input, target, ignore_index).map(|(_, any_ignored)| any_ignored)
}

/// Checks `target` against `input` and returns its class indices and whether any equals
/// `ignore_index`.
fn checked_targets(
    op: &str,
    input: &Tensor,
    target: &Tensor,
    ignore_index: i64,
) -> Result<(Vec<i64>, bool)> {
    if !matches!(target.dtype(), DType::I64 | DType::I32) {
        return Err(Error::msg(format!(
            "{op}: class-index targets must be I64 (or I32), got {}; for class probabilities \
             pass a float target of the input's shape",
            target.dtype()
        )));
    }
    let cd = class_dim(input);
    let mut expected = input.shape().to_vec();
    expected.remove(cd);
    if target.shape() != expected.as_slice() {
        return Err(Error::msg(format!(
            "{op}: expected a target of shape {expected:?} for an input of shape {:?} \
             (the input without its class dim {cd}), got {:?}",
            input.shape(),
            target.shape()
        )));
    }
    let classes = input.shape()[cd] as i64;
    let mut any_ignored = false;
    let indices = no_grad(|| target.to_dtype(DType::I64).to_vec::<i64>());
    for &t in &indices {
        if t == ignore_index {
            any_ignored = true;
        } else if !(0..classes).contains(&t) {
            return Err(Error::msg(format!(
                "{op}: target {t} is out of bounds for {classes} classes (expected 0..{classes} \
                 or ignore_index {ignore_index})"
            )));
        }
    }
    Ok((indices, any_ignored))
}

/// The NLL core shared by `nll_loss` and `cross_entropy`: gathers `-input[target]` along the
/// class dim, weights it, and reduces. The common case (no weight, nothing ignored) is one
/// gather and a mean.
fn nll(op: &str, input: &Tensor, target: &Tensor, opts: &NllLossOptions) -> Result<Tensor> {
    let any_ignored = check_targets(op, input, target, opts.ignore_index)?;
    let cd = class_dim(input);
    if let Some(w) = &opts.weight {
        check_class_weight(op, w, input.shape()[cd])?;
    }
    let target = target.to_dtype(DType::I64);
    let kept = target.ne_scalar(opts.ignore_index as f64);
    let safe = if any_ignored {
        target.masked_fill(&kept.logical_not(), 0.0)
    } else {
        target.clone()
    };
    let picked = input
        .gather(cd as isize, &safe.unsqueeze(cd as isize))
        .squeeze(cd as isize)
        .neg();
    let weights = match &opts.weight {
        Some(w) => Some(picked_weights(&w.to_dtype(input.dtype()), &target, &kept)),
        None if any_ignored => Some(kept.to_dtype(input.dtype())),
        None => None,
    };
    let Some(weights) = weights else {
        return reduce(op, picked, opts.reduction);
    };
    let loss = picked * &weights;
    match opts.reduction {
        Reduction::Mean => Ok(loss.sum() / weights.sum()),
        other => reduce(op, loss, other),
    }
}

macro_rules! pointwise_loss {
    ($(#[$doc:meta])* $name:ident, $try_name:ident, $with:ident, $try_with:ident,
     |$d:ident| $body:expr, $example:literal) => {
        $(#[$doc])*
        /// Input and target broadcast; the default reduction is the mean.
        ///
        /// ```
        /// use firebrand::nn::functional as F;
        /// use firebrand::tensor;
        #[doc = concat!("let loss = F::", stringify!($name), "(&tensor!([1.0, -3.0]), &tensor!([0.0, 0.0]));")]
        #[doc = concat!("assert_eq!(loss.item::<f32>(), ", $example, ");")]
        /// ```
        #[track_caller]
        pub fn $name(input: &Tensor, target: &Tensor) -> Tensor {
            or_panic($try_with(input, target, Reduction::Mean))
        }

        #[doc = concat!("[`", stringify!($name), "`] returning an error instead of panicking.")]
        ///
        /// ```
        /// use firebrand::nn::functional as F;
        /// use firebrand::tensor;
        #[doc = concat!("assert!(F::", stringify!($try_name), "(&tensor!([1.0, 2.0]), &tensor!([1.0, 2.0, 3.0])).is_err());")]
        /// ```
        pub fn $try_name(input: &Tensor, target: &Tensor) -> Result<Tensor> {
            $try_with(input, target, Reduction::Mean)
        }

        #[doc = concat!("[`", stringify!($name), "`] with a chosen [`Reduction`].")]
        ///
        /// ```
        /// use firebrand::nn::functional::{self as F, Reduction};
        /// use firebrand::tensor;
        #[doc = concat!("let loss = F::", stringify!($with), "(&tensor!([1.0, -3.0]), &tensor!([0.0, 0.0]), Reduction::Sum);")]
        #[doc = concat!("assert_eq!(loss.item::<f32>(), 2.0 * ", $example, ");")]
        /// ```
        #[track_caller]
        pub fn $with(input: &Tensor, target: &Tensor, reduction: Reduction) -> Tensor {
            or_panic($try_with(input, target, reduction))
        }

        #[doc = concat!("[`", stringify!($with), "`] returning an error instead of panicking.")]
        ///
        /// ```
        /// use firebrand::nn::functional::{self as F, Reduction};
        /// use firebrand::tensor;
        #[doc = concat!("assert!(F::", stringify!($try_with), "(&tensor!([1]), &tensor!([1]), Reduction::Sum).is_err());")]
        /// ```
        pub fn $try_with(input: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
            const OP: &str = stringify!($name);
            require_float(OP, "input", input)?;
            let $d = input.try_sub(target)?;
            reduce(OP, $body, reduction)
        }
    };
}

pointwise_loss!(
    /// The mean squared error `(input - target)^2`, as `F.mse_loss`.
    mse_loss, try_mse_loss, mse_loss_with, try_mse_loss_with,
    |d| d.square(), "5.0"
);

pointwise_loss!(
    /// The mean absolute error `|input - target|`, as `F.l1_loss`.
    l1_loss, try_l1_loss, l1_loss_with, try_l1_loss_with,
    |d| d.abs(), "2.0"
);

/// `0.5 d^2 / beta` where `|d| < beta`, else `|d| - 0.5 beta`, for `d = input - target`: PyTorch's
/// smooth L1 (Huber divided by `beta`; `beta = 0` is L1).
fn smooth_l1(d: &Tensor, beta: f64) -> Tensor {
    let a = d.abs();
    if beta == 0.0 {
        return a;
    }
    let quadratic = d.square() * (0.5 / beta);
    Tensor::where_(&a.lt_scalar(beta), &quadratic, &(&a - 0.5 * beta))
}

/// `0.5 d^2` where `|d| < delta`, else `delta (|d| - 0.5 delta)`.
fn huber(d: &Tensor, delta: f64) -> Tensor {
    let a = d.abs();
    let linear = (&a - 0.5 * delta) * delta;
    Tensor::where_(&a.lt_scalar(delta), &(d.square() * 0.5), &linear)
}

fn check_non_negative(op: &str, name: &str, value: f64) -> Result<()> {
    if value.is_nan() || value < 0.0 {
        return Err(Error::msg(format!(
            "{op}: {name} must be non-negative, got {value}"
        )));
    }
    Ok(())
}

/// Smooth L1 loss, as `F.smooth_l1_loss(input, target, beta=beta)`: quadratic below `beta`,
/// linear above (mean reduction; input and target broadcast).
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// let loss = F::smooth_l1_loss(&tensor!([0.5, 3.0]), &tensor!([0.0, 0.0]), 1.0);
/// assert_eq!(loss.item::<f32>(), (0.125 + 2.5) / 2.0);
/// ```
#[track_caller]
pub fn smooth_l1_loss(input: &Tensor, target: &Tensor, beta: f64) -> Tensor {
    or_panic(try_smooth_l1_loss_with(
        input,
        target,
        beta,
        Reduction::Mean,
    ))
}

/// [`smooth_l1_loss`] with a chosen [`Reduction`].
///
/// ```
/// use firebrand::nn::functional::{self as F, Reduction};
/// use firebrand::tensor;
/// let loss = F::smooth_l1_loss_with(&tensor!([0.5, 3.0]), &tensor!([0.0, 0.0]), 1.0, Reduction::Sum);
/// assert_eq!(loss.item::<f32>(), 2.625);
/// ```
#[track_caller]
pub fn smooth_l1_loss_with(
    input: &Tensor,
    target: &Tensor,
    beta: f64,
    reduction: Reduction,
) -> Tensor {
    or_panic(try_smooth_l1_loss_with(input, target, beta, reduction))
}

/// [`smooth_l1_loss_with`] returning an error (negative beta, shapes) instead of panicking.
///
/// ```
/// use firebrand::nn::functional::{self as F, Reduction};
/// use firebrand::tensor;
/// assert!(F::try_smooth_l1_loss_with(&tensor!([1.0]), &tensor!([0.0]), -1.0, Reduction::Mean).is_err());
/// ```
pub fn try_smooth_l1_loss_with(
    input: &Tensor,
    target: &Tensor,
    beta: f64,
    reduction: Reduction,
) -> Result<Tensor> {
    const OP: &str = "smooth_l1_loss";
    require_float(OP, "input", input)?;
    check_non_negative(OP, "beta", beta)?;
    reduce(OP, smooth_l1(&input.try_sub(target)?, beta), reduction)
}

/// Huber loss, as `F.huber_loss(input, target, delta=delta)`: `0.5 d^2` below `delta`,
/// `delta (|d| - 0.5 delta)` above (mean reduction; input and target broadcast).
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// let loss = F::huber_loss(&tensor!([0.5, 3.0]), &tensor!([0.0, 0.0]), 2.0);
/// assert_eq!(loss.item::<f32>(), (0.125 + 4.0) / 2.0);
/// ```
#[track_caller]
pub fn huber_loss(input: &Tensor, target: &Tensor, delta: f64) -> Tensor {
    or_panic(try_huber_loss_with(input, target, delta, Reduction::Mean))
}

/// [`huber_loss`] with a chosen [`Reduction`].
///
/// ```
/// use firebrand::nn::functional::{self as F, Reduction};
/// use firebrand::tensor;
/// let loss = F::huber_loss_with(&tensor!([0.5, 3.0]), &tensor!([0.0, 0.0]), 2.0, Reduction::None);
/// assert_eq!(loss.to_vec::<f32>(), vec![0.125, 4.0]);
/// ```
#[track_caller]
pub fn huber_loss_with(
    input: &Tensor,
    target: &Tensor,
    delta: f64,
    reduction: Reduction,
) -> Tensor {
    or_panic(try_huber_loss_with(input, target, delta, reduction))
}

/// [`huber_loss_with`] returning an error (negative delta, shapes) instead of panicking.
///
/// ```
/// use firebrand::nn::functional::{self as F, Reduction};
/// use firebrand::tensor;
/// assert!(F::try_huber_loss_with(&tensor!([1.0]), &tensor!([0.0]), -1.0, Reduction::Mean).is_err());
/// ```
pub fn try_huber_loss_with(
    input: &Tensor,
    target: &Tensor,
    delta: f64,
    reduction: Reduction,
) -> Result<Tensor> {
    const OP: &str = "huber_loss";
    require_float(OP, "input", input)?;
    check_non_negative(OP, "delta", delta)?;
    reduce(OP, huber(&input.try_sub(target)?, delta), reduction)
}

/// Options of [`binary_cross_entropy_with`]; `Default` is PyTorch's defaults.
///
/// ```
/// assert!(firebrand::nn::functional::BceOptions::default().weight.is_none());
/// ```
#[derive(Clone, Debug, Default)]
pub struct BceOptions {
    /// A weight per element, broadcast to the input's shape.
    pub weight: Option<Tensor>,
    /// How the per-element losses are reduced.
    pub reduction: Reduction,
}

/// Binary cross entropy `-(t log x + (1 - t) log(1 - x))` of probabilities `input` in
/// `[0, 1]`, as `F.binary_cross_entropy` (each log clamped at -100 as PyTorch; mean reduction).
/// On logits prefer [`binary_cross_entropy_with_logits`], which is stable.
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// let loss = F::binary_cross_entropy(&tensor!([0.5, 1.0]), &tensor!([1.0, 1.0]));
/// assert!((loss.item::<f32>() - 2f32.ln() / 2.0).abs() < 1e-6);
/// ```
#[track_caller]
pub fn binary_cross_entropy(input: &Tensor, target: &Tensor) -> Tensor {
    or_panic(try_binary_cross_entropy_with(
        input,
        target,
        &BceOptions::default(),
    ))
}

/// [`binary_cross_entropy`] returning an error instead of panicking.
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// assert!(F::try_binary_cross_entropy(&tensor!([0.5]), &tensor!([1.0, 0.0])).is_err());
/// ```
pub fn try_binary_cross_entropy(input: &Tensor, target: &Tensor) -> Result<Tensor> {
    try_binary_cross_entropy_with(input, target, &BceOptions::default())
}

/// [`binary_cross_entropy`] with a weight and a reduction.
///
/// ```
/// use firebrand::nn::functional::{self as F, BceOptions, Reduction};
/// use firebrand::tensor;
/// let opts = BceOptions { weight: Some(tensor!([2.0])), reduction: Reduction::Sum };
/// let loss = F::binary_cross_entropy_with(&tensor!([0.5, 0.5]), &tensor!([0.0, 1.0]), &opts);
/// assert!((loss.item::<f32>() - 4.0 * 2f32.ln()).abs() < 1e-5);
/// ```
#[track_caller]
pub fn binary_cross_entropy_with(input: &Tensor, target: &Tensor, opts: &BceOptions) -> Tensor {
    or_panic(try_binary_cross_entropy_with(input, target, opts))
}

/// [`binary_cross_entropy_with`] returning an error instead of panicking.
///
/// ```
/// use firebrand::nn::functional::{self as F, BceOptions};
/// use firebrand::tensor;
/// let opts = BceOptions { weight: Some(tensor!([1.0, 1.0, 1.0])), ..Default::default() };
/// assert!(F::try_binary_cross_entropy_with(&tensor!([0.5, 0.5]), &tensor!([0.0, 1.0]), &opts).is_err());
/// ```
pub fn try_binary_cross_entropy_with(
    input: &Tensor,
    target: &Tensor,
    opts: &BceOptions,
) -> Result<Tensor> {
    const OP: &str = "binary_cross_entropy";
    require_float(OP, "input", input)?;
    require_same_shape(OP, input, target)?;
    let log_x = input.log().clamp(Some(-100.0), None);
    let log_1mx = (1.0 - input).log().clamp(Some(-100.0), None);
    let loss = (target * &log_x + (1.0 - target) * &log_1mx).neg();
    let loss = apply_weight(OP, loss, opts.weight.as_ref())?;
    reduce(OP, loss, opts.reduction)
}

/// `loss * weight`, the weight broadcasting to the loss's shape (and not widening it).
fn apply_weight(op: &str, loss: Tensor, weight: Option<&Tensor>) -> Result<Tensor> {
    let Some(w) = weight else { return Ok(loss) };
    let product = loss.try_mul(w)?;
    if product.shape() != loss.shape() {
        return Err(Error::msg(format!(
            "{op}: weight of shape {:?} does not broadcast to the input's shape {:?}",
            w.shape(),
            loss.shape()
        )));
    }
    Ok(product)
}

/// Options of [`binary_cross_entropy_with_logits_with`]; `Default` is PyTorch's defaults.
///
/// ```
/// assert!(firebrand::nn::functional::BceWithLogitsOptions::default().pos_weight.is_none());
/// ```
#[derive(Clone, Debug, Default)]
pub struct BceWithLogitsOptions {
    /// A weight per element, broadcast to the input's shape.
    pub weight: Option<Tensor>,
    /// A weight of the positive term per class (broadcast along the last dim).
    pub pos_weight: Option<Tensor>,
    /// How the per-element losses are reduced.
    pub reduction: Reduction,
}

/// Binary cross entropy of logits `input` against targets in `[0, 1]`, as
/// `F.binary_cross_entropy_with_logits`: `(1 - t) x + softplus(-x)`, stable for any logit.
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// let loss = F::binary_cross_entropy_with_logits(&tensor!([0.0, 1e4]), &tensor!([1.0, 0.0]));
/// assert!((loss.item::<f32>() - (2f32.ln() + 1e4) / 2.0).abs() < 1e-2);
/// ```
#[track_caller]
pub fn binary_cross_entropy_with_logits(input: &Tensor, target: &Tensor) -> Tensor {
    or_panic(try_binary_cross_entropy_with_logits_with(
        input,
        target,
        &BceWithLogitsOptions::default(),
    ))
}

/// [`binary_cross_entropy_with_logits`] returning an error instead of panicking.
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// assert!(F::try_binary_cross_entropy_with_logits(&tensor!([0.0]), &tensor!([[1.0]])).is_err());
/// ```
pub fn try_binary_cross_entropy_with_logits(input: &Tensor, target: &Tensor) -> Result<Tensor> {
    try_binary_cross_entropy_with_logits_with(input, target, &BceWithLogitsOptions::default())
}

/// [`binary_cross_entropy_with_logits`] with `weight`, `pos_weight` and a reduction:
/// `w ((1 - t) x + (1 + (pw - 1) t) softplus(-x))`.
///
/// ```
/// use firebrand::nn::functional::{self as F, BceWithLogitsOptions};
/// use firebrand::tensor;
/// let opts = BceWithLogitsOptions { pos_weight: Some(tensor!([3.0])), ..Default::default() };
/// let loss = F::binary_cross_entropy_with_logits_with(&tensor!([0.0]), &tensor!([1.0]), &opts);
/// assert!((loss.item::<f32>() - 3.0 * 2f32.ln()).abs() < 1e-6);
/// ```
#[track_caller]
pub fn binary_cross_entropy_with_logits_with(
    input: &Tensor,
    target: &Tensor,
    opts: &BceWithLogitsOptions,
) -> Tensor {
    or_panic(try_binary_cross_entropy_with_logits_with(
        input, target, opts,
    ))
}

/// [`binary_cross_entropy_with_logits_with`] returning an error instead of panicking.
///
/// ```
/// use firebrand::nn::functional::{self as F, BceWithLogitsOptions};
/// use firebrand::tensor;
/// let opts = BceWithLogitsOptions { pos_weight: Some(tensor!([1.0, 2.0, 3.0])), ..Default::default() };
/// assert!(F::try_binary_cross_entropy_with_logits_with(&tensor!([0.0, 0.0]), &tensor!([1.0, 0.0]), &opts).is_err());
/// ```
pub fn try_binary_cross_entropy_with_logits_with(
    input: &Tensor,
    target: &Tensor,
    opts: &BceWithLogitsOptions,
) -> Result<Tensor> {
    const OP: &str = "binary_cross_entropy_with_logits";
    require_float(OP, "input", input)?;
    require_same_shape(OP, input, target)?;
    let softplus_neg = input.neg().softplus();
    let positive = match &opts.pos_weight {
        Some(pw) => {
            let log_weight = target.try_mul(&(pw - 1.0))? + 1.0;
            if log_weight.shape() != input.shape() {
                return Err(Error::msg(format!(
                    "{OP}: pos_weight of shape {:?} does not broadcast to the input's shape {:?}",
                    pw.shape(),
                    input.shape()
                )));
            }
            log_weight * &softplus_neg
        }
        None => softplus_neg,
    };
    let loss = (1.0 - target) * input + positive;
    let loss = apply_weight(OP, loss, opts.weight.as_ref())?;
    reduce(OP, loss, opts.reduction)
}

/// The Kullback-Leibler divergence `t (log t - input)` of a target distribution from
/// log-probabilities `input`, as `F.kl_div` with its defaults (mean over every element,
/// target as probabilities; terms with `t = 0` are 0).
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// let logq = tensor!([[0.5f64.ln(), 0.5f64.ln()]]);
/// assert_eq!(F::kl_div(&logq, &tensor!([[0.5, 0.5]])).item::<f32>(), 0.0);
/// ```
#[track_caller]
pub fn kl_div(input: &Tensor, target: &Tensor) -> Tensor {
    or_panic(try_kl_div_with(input, target, Reduction::Mean, false))
}

/// [`kl_div`] returning an error instead of panicking.
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// assert!(F::try_kl_div(&tensor!([0.0, 0.0]), &tensor!([1.0, 0.0, 0.0])).is_err());
/// ```
pub fn try_kl_div(input: &Tensor, target: &Tensor) -> Result<Tensor> {
    try_kl_div_with(input, target, Reduction::Mean, false)
}

/// [`kl_div`] with a reduction (`BatchMean` is the mathematically right one: the sum over
/// the batch's first dim size) and `log_target` (the target given as log-probabilities).
///
/// ```
/// use firebrand::nn::functional::{self as F, Reduction};
/// use firebrand::tensor;
/// let logq = tensor!([[0.0, 0.0], [0.0, 0.0]]);
/// let t = tensor!([[1.0, 0.0], [1.0, 0.0]]);
/// assert_eq!(F::kl_div_with(&logq, &t, Reduction::BatchMean, false).item::<f32>(), 0.0);
/// ```
#[track_caller]
pub fn kl_div_with(
    input: &Tensor,
    target: &Tensor,
    reduction: Reduction,
    log_target: bool,
) -> Tensor {
    or_panic(try_kl_div_with(input, target, reduction, log_target))
}

/// [`kl_div_with`] returning an error instead of panicking.
///
/// ```
/// use firebrand::nn::functional::{self as F, Reduction};
/// use firebrand::tensor;
/// assert!(F::try_kl_div_with(&tensor!([1]), &tensor!([1]), Reduction::Sum, true).is_err());
/// ```
pub fn try_kl_div_with(
    input: &Tensor,
    target: &Tensor,
    reduction: Reduction,
    log_target: bool,
) -> Result<Tensor> {
    const OP: &str = "kl_div";
    require_float(OP, "input", input)?;
    require_float(OP, "target", target)?;
    let loss = if log_target {
        target.exp() * input.try_sub(target)?.neg()
    } else {
        let positive = target.gt_scalar(0.0);
        let safe = Tensor::where_(&positive, target, &Tensor::ones_like(target));
        let t_log_t = target * &safe.log();
        t_log_t.try_sub(&target.try_mul(input)?)?
    };
    if reduction == Reduction::BatchMean {
        let batch = if input.dim() == 0 {
            1
        } else {
            input.shape()[0]
        };
        return Ok(loss.sum() / batch as f64);
    }
    reduce(OP, loss, reduction)
}
