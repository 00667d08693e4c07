//! Optimizers, learning-rate schedulers and gradient clipping, as `torch.optim`.
//!
//! Every optimizer follows the formulas of PyTorch's single-tensor implementation
//! (`foreach=False`) and updates its parameters in place under [`no_grad`](crate::no_grad).
//! Parameters whose gradient is `None` are skipped, as in PyTorch.
//!
//! ```
//! use firebrand::optim::{Optimizer, SGD};
//! use firebrand::{tensor, Tensor};
//!
//! let w = tensor!([1.0, -2.0]).requires_grad_(true);
//! let mut opt = SGD::new(vec![w.clone()], 0.1).momentum(0.9);
//! for _ in 0..3 {
//!     opt.zero_grad();
//!     (&w * &w).sum().backward(); // d/dw = 2w
//!     opt.step();
//! }
//! assert!(w.abs().max().item::<f32>() < 2.0);
//! ```

mod adagrad;
mod adam;
mod clip;
mod fused;
mod rmsprop;
mod scheduler;
mod sgd;
mod state;

pub use adagrad::Adagrad;
pub use adam::{Adam, AdamW};
pub use clip::{clip_grad_norm_, clip_grad_value_, try_clip_grad_norm_};
pub use rmsprop::RMSprop;
pub use scheduler::{
    Anneal, CosineAnnealingLR, ExponentialLR, LinearLR, LrScheduler, MultiStepLR, OneCycleLR,
    OneCycleOptions, StepLR,
};
pub use sgd::SGD;
pub use state::OptimizerState;

use crate::Result;
use crate::tensor::Tensor;

/// What every optimizer offers: a step, clearing gradients, the learning rate (for
/// schedulers) and its state as named tensors (for checkpoints). Object safe, so schedulers
/// and training loops can take `&mut dyn Optimizer`.
///
/// ```
/// use firebrand::optim::{Adam, Optimizer};
/// let p = firebrand::tensor!([1.0]).requires_grad_(true);
/// let mut opt: Box<dyn Optimizer> = Box::new(Adam::new(vec![p], 1e-3));
/// opt.set_lr(0.5);
/// assert_eq!(opt.lr(), 0.5);
/// ```
pub trait Optimizer {
    /// Updates every parameter that has a gradient, in place.
    fn step(&mut self);

    /// The parameters this optimizer updates.
    fn params(&self) -> &[Tensor];

    /// The learning rate.
    fn lr(&self) -> f64;

    /// Replaces the learning rate (what schedulers do).
    fn set_lr(&mut self, lr: f64);

    /// The momentum a scheduler such as [`OneCycleLR`] may cycle: `momentum` for SGD and
    /// RMSprop, `beta1` for Adam and AdamW, `None` where there is none (Adagrad).
    fn current_momentum(&self) -> Option<f64> {
        None
    }

    /// Replaces the momentum (or Adam's `beta1`); ignored by optimizers without one.
    fn set_momentum(&mut self, _momentum: f64) {}

    /// Sets every parameter's gradient to `None` (PyTorch's default `set_to_none=True`).
    fn zero_grad(&mut self) {
        for p in self.params() {
            p.zero_grad();
        }
    }

    /// A snapshot of the per-parameter state and the hyper-parameters, as named tensors
    /// (`"state.0.exp_avg"`, `"state.0.step"`, `"param_groups.0.lr"`, ...).
    fn state_dict(&self) -> OptimizerState;

    /// Restores a snapshot taken by [`Optimizer::state_dict`] of the same kind of optimizer
    /// over parameters of the same shapes; on a mismatch returns an error and changes nothing.
    fn load_state_dict(&mut self, state: &OptimizerState) -> Result<()>;
}

/// `start + weight * (end - start)`, computed as PyTorch's `lerp_` does (from the nearer
/// end, for accuracy).
fn lerp(start: &Tensor, end: &Tensor, weight: f64) -> Tensor {
    if weight < 0.5 {
        start + &((end - start) * weight)
    } else {
        end - &((end - start) * (1.0 - weight))
    }
}
