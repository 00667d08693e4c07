//! Grad mode: whether ops record the graph. Per thread, as in PyTorch.

use std::cell::Cell;

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// True when ops on this thread record the graph.
///
/// ```
/// assert!(firebrand::autograd::is_grad_enabled());
/// firebrand::no_grad(|| assert!(!firebrand::autograd::is_grad_enabled()));
/// ```
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

pub(crate) fn set_grad_enabled(on: bool) -> bool {
    GRAD_ENABLED.with(|g| g.replace(on))
}

/// Turns grad mode off until dropped, then restores the previous mode.
///
/// ```
/// use firebrand::{DType, NoGradGuard, Tensor};
/// let w = Tensor::ones([2], DType::F32).requires_grad_(true);
/// {
///     let _g = NoGradGuard::new();
///     assert!(!(&w * 2.0).requires_grad());
/// }
/// assert!((&w * 2.0).requires_grad());
/// ```
pub struct NoGradGuard {
    previous: bool,
}

impl NoGradGuard {
    /// Disables grad mode on this thread.
    pub fn new() -> NoGradGuard {
        NoGradGuard {
            previous: set_grad_enabled(false),
        }
    }
}

impl Default for NoGradGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for NoGradGuard {
    fn drop(&mut self) {
        set_grad_enabled(self.previous);
    }
}

/// Turns grad mode on until dropped (inside `no_grad`, for example).
///
/// ```
/// use firebrand::autograd::{is_grad_enabled, EnableGradGuard};
/// firebrand::no_grad(|| {
///     let _g = EnableGradGuard::new();
///     assert!(is_grad_enabled());
/// });
/// ```
pub struct EnableGradGuard {
    previous: bool,
}

impl EnableGradGuard {
    /// Enables grad mode on this thread.
    pub fn new() -> EnableGradGuard {
        EnableGradGuard {
            previous: set_grad_enabled(true),
        }
    }
}

impl Default for EnableGradGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for EnableGradGuard {
    fn drop(&mut self) {
        set_grad_enabled(self.previous);
    }
}

/// Runs `f` with grad mode off: no graph is recorded and nothing is saved for backward.
///
/// ```
/// use firebrand::{no_grad, DType, Tensor};
/// let w = Tensor::ones([2], DType::F32).requires_grad_(true);
/// let y = no_grad(|| &w * 3.0);
/// assert!(!y.requires_grad());
/// ```
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    let _guard = NoGradGuard::new();
    f()
}

/// Runs `f` with grad mode on.
///
/// ```
/// use firebrand::{autograd::enable_grad, no_grad, DType, Tensor};
/// let w = Tensor::ones([2], DType::F32).requires_grad_(true);
/// let y = no_grad(|| enable_grad(|| &w * 3.0));
/// assert!(y.requires_grad());
/// ```
pub fn enable_grad<R>(f: impl FnOnce() -> R) -> R {
    let _guard = EnableGradGuard::new();
    f()
}
