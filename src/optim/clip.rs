//! Gradient clipping: by the total norm of all gradients, or by value.

use crate::error::{Error, Result, or_panic};
use crate::no_grad;
use crate::tensor::Tensor;

/// Scales the gradients of `params` in place so that their total `norm_type`-norm (the norm
/// of all gradients concatenated) is at most `max_norm`, and returns that total norm before
/// clipping, as `torch.nn.utils.clip_grad_norm_`. `norm_type` may be `f64::INFINITY` (the
/// largest absolute value). Parameters without a gradient are skipped. Panics when
/// `norm_type` is not positive (see [`try_clip_grad_norm_`]).
///
/// ```
/// use firebrand::optim::clip_grad_norm_;
/// let p = firebrand::Tensor::from_slice(&[0.0f64, 0.0], [2]).requires_grad_(true);
/// p.set_grad(Some(firebrand::Tensor::from_slice(&[3.0f64, 4.0], [2])));
/// let total = clip_grad_norm_(&[p.clone()], 1.0, 2.0);
/// assert_eq!(total, 5.0);
/// let g = p.grad().unwrap().to_vec::<f64>();
/// assert!((g[0] - 0.6).abs() < 1e-6 && (g[1] - 0.8).abs() < 1e-6);
/// ```
#[track_caller]
pub fn clip_grad_norm_(params: &[Tensor], max_norm: f64, norm_type: f64) -> f64 {
    or_panic(try_clip_grad_norm_(params, max_norm, norm_type))
}

/// [`clip_grad_norm_`] returning an error for a `norm_type` that is not positive (or NaN).
///
/// ```
/// let p = firebrand::tensor!([1.0]).requires_grad_(true);
/// assert!(firebrand::optim::try_clip_grad_norm_(&[p], 1.0, 0.0).is_err());
/// ```
pub fn try_clip_grad_norm_(params: &[Tensor], max_norm: f64, norm_type: f64) -> Result<f64> {
    if norm_type.is_nan() || norm_type <= 0.0 {
        return Err(Error::msg(format!(
            "clip_grad_norm_: norm_type must be positive or f64::INFINITY, got {norm_type}; \
             use 2.0 for the Euclidean norm"
        )));
    }
    let grads: Vec<Tensor> = params.iter().filter_map(Tensor::grad).collect();
    if grads.is_empty() {
        return Ok(0.0);
    }
    let norms: Vec<f64> = no_grad(|| grads.iter().map(|g| grad_norm(g, norm_type)).collect());
    let total = combine_norms(&norms, norm_type);
    let clip_coef = (max_norm / (total + 1e-6)).min(1.0);
    no_grad(|| {
        for g in &grads {
            g.mul_scalar_(clip_coef);
        }
    });
    Ok(total)
}

/// One gradient's `p`-norm.
fn grad_norm(g: &Tensor, p: f64) -> f64 {
    if g.numel() == 0 {
        return 0.0;
    }
    if p == 2.0 {
        g.norm().item::<f64>()
    } else if p == f64::INFINITY {
        g.abs().max().item::<f64>()
    } else if p == 1.0 {
        g.abs().sum().item::<f64>()
    } else {
        g.abs().powf(p).sum().item::<f64>().powf(1.0 / p)
    }
}

/// The `p`-norm of the vector of per-gradient norms (= the norm of all gradients together).
fn combine_norms(norms: &[f64], p: f64) -> f64 {
    if p == f64::INFINITY {
        norms.iter().cloned().fold(0.0, f64::max)
    } else {
        norms.iter().map(|n| n.powf(p)).sum::<f64>().powf(1.0 / p)
    }
}

/// Clamps every gradient of `params` in place into `[-clip_value, clip_value]`, as
/// `torch.nn.utils.clip_grad_value_`. Parameters without a gradient are skipped.
///
/// ```
/// use firebrand::optim::clip_grad_value_;
/// let p = firebrand::tensor!([0.0, 0.0, 0.0]).requires_grad_(true);
/// p.set_grad(Some(firebrand::tensor!([-2.0, 0.25, 3.0])));
/// clip_grad_value_(&[p.clone()], 0.5);
/// assert_eq!(p.grad().unwrap().to_vec::<f32>(), vec![-0.5, 0.25, 0.5]);
/// ```
pub fn clip_grad_value_(params: &[Tensor], clip_value: f64) {
    no_grad(|| {
        for g in params.iter().filter_map(Tensor::grad) {
            g.clamp_(Some(-clip_value), Some(clip_value));
        }
    })
}
