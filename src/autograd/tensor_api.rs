//! The autograd methods of [`Tensor`]: requires_grad, grad, backward, hooks, detach.

use super::Hook;
use super::engine::{self, implicit_grad};
use crate::error::{Error, Result, or_panic};
use crate::tensor::Tensor;
use std::sync::Arc;

impl Tensor {
    /// Sets whether this leaf records operations for autograd, and returns the tensor (a handle
    /// on the same data), so it chains after a constructor. Only float tensors can require grad.
    ///
    /// ```
    /// use firebrand::{DType, Tensor};
    /// let x = Tensor::randn([3], DType::F64).requires_grad_(true);
    /// assert!(x.requires_grad() && x.is_leaf());
    /// ```
    #[track_caller]
    pub fn requires_grad_(&self, requires_grad: bool) -> Tensor {
        or_panic(self.try_requires_grad_(requires_grad))
    }

    /// [`Tensor::requires_grad_`] returning an error for a non-float tensor or a non-leaf.
    ///
    /// ```
    /// assert!(firebrand::tensor!([1, 2]).try_requires_grad_(true).is_err());
    /// ```
    pub fn try_requires_grad_(&self, requires_grad: bool) -> Result<Tensor> {
        if requires_grad && !self.dtype().is_float() {
            return Err(Error::msg(format!(
                "requires_grad_: only tensors of floating point dtype can require gradients, \
                 but this tensor is {}; convert it with to_dtype(DType::F32) first",
                self.dtype()
            )));
        }
        let mut meta = self.meta();
        if meta.grad_fn.is_some() && !requires_grad {
            return Err(Error::msg(
                "requires_grad_: you can only change requires_grad flags of leaf tensors; \
                 use detach() to get a tensor that does not require grad",
            ));
        }
        meta.requires_grad = requires_grad;
        let tracks = requires_grad || meta.grad_fn.is_some();
        drop(meta);
        self.set_tracks_grad(tracks);
        Ok(self.clone())
    }

    /// True when gradients flow to this tensor: a leaf that requires grad, or the result of an
    /// op on one.
    ///
    /// ```
    /// let x = firebrand::tensor!([1.0]).requires_grad_(true);
    /// assert!((&x * 2.0).requires_grad());
    /// ```
    pub fn requires_grad(&self) -> bool {
        self.tracks_grad()
    }

    /// True for tensors not made by a recorded op (PyTorch's `is_leaf`).
    ///
    /// ```
    /// let x = firebrand::tensor!([1.0]).requires_grad_(true);
    /// assert!(x.is_leaf() && !(&x + 1.0).is_leaf());
    /// ```
    pub fn is_leaf(&self) -> bool {
        self.meta().grad_fn.is_none()
    }

    /// The accumulated gradient, after `backward()`.
    ///
    /// ```
    /// let x = firebrand::tensor!([2.0]).requires_grad_(true);
    /// (&x * &x).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![4.0]);
    /// ```
    pub fn grad(&self) -> Option<Tensor> {
        self.meta().grad.clone()
    }

    /// Replaces the stored gradient (optimizers and gradient clipping use this).
    ///
    /// ```
    /// let x = firebrand::tensor!([2.0]).requires_grad_(true);
    /// x.set_grad(Some(firebrand::tensor!([5.0])));
    /// assert_eq!(x.grad().unwrap().item::<f32>(), 5.0);
    /// ```
    pub fn set_grad(&self, grad: Option<Tensor>) {
        self.meta().grad = grad;
    }

    /// Clears the gradient (sets it to `None`, as PyTorch's default `set_to_none=True`).
    ///
    /// ```
    /// let x = firebrand::tensor!([2.0]).requires_grad_(true);
    /// (&x * 3.0).sum().backward();
    /// x.zero_grad();
    /// assert!(x.grad().is_none());
    /// ```
    pub fn zero_grad(&self) {
        self.set_grad(None);
    }

    /// The name of the op that made this tensor (`"MulBackward0"`, ...), `None` for a leaf.
    ///
    /// ```
    /// let x = firebrand::tensor!([2.0]).requires_grad_(true);
    /// assert_eq!((&x * &x).grad_fn_name().as_deref(), Some("MulBackward0"));
    /// ```
    pub fn grad_fn_name(&self) -> Option<String> {
        self.meta().grad_fn.as_ref().map(|n| n.name().to_string())
    }

    /// A tensor sharing this one's data but cut from the graph (never requires grad).
    ///
    /// ```
    /// let x = firebrand::tensor!([2.0]).requires_grad_(true);
    /// let d = (&x * 2.0).detach();
    /// assert!(!d.requires_grad() && d.is_leaf());
    /// ```
    pub fn detach(&self) -> Tensor {
        let storage = self.storage_cell().clone();
        let (dtype, device) = (self.dtype(), self.device());
        Tensor::from_parts(
            storage,
            self.layout().clone(),
            dtype,
            device,
            self.0.is_view,
        )
    }

    /// Keeps the gradient of this non-leaf tensor in `.grad()` after `backward()`.
    ///
    /// ```
    /// let x = firebrand::tensor!([2.0]).requires_grad_(true);
    /// let y = &x * 3.0;
    /// y.retain_grad();
    /// (&y * &y).sum().backward();
    /// assert_eq!(y.grad().unwrap().item::<f32>(), 12.0);
    /// ```
    pub fn retain_grad(&self) {
        let node = self.meta().grad_fn.clone();
        if let Some(node) = node {
            *node.retained.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(Arc::downgrade(&self.0));
        }
    }

    /// Registers a function called with this tensor's gradient during backward; returning
    /// `Some(g)` replaces the gradient.
    ///
    /// ```
    /// let x = firebrand::tensor!([1.0]).requires_grad_(true);
    /// x.register_hook(|g| Some(g * 10.0));
    /// (&x * 2.0).sum().backward();
    /// assert_eq!(x.grad().unwrap().item::<f32>(), 20.0);
    /// ```
    #[track_caller]
    pub fn register_hook<F>(&self, hook: F)
    where
        F: Fn(&Tensor) -> Option<Tensor> + Send + Sync + 'static,
    {
        assert!(
            self.requires_grad(),
            "register_hook: cannot register a hook on a tensor that doesn't require gradient"
        );
        let hook: Hook = Arc::new(hook);
        let node = self.meta().grad_fn.clone();
        match node {
            Some(n) => n.hooks.lock().unwrap_or_else(|e| e.into_inner()).push(hook),
            None => self.meta().hooks.push(hook),
        }
    }

    /// Computes the gradient of this one-element tensor with respect to every leaf that
    /// requires grad, adding it to their `.grad()`.
    ///
    /// ```
    /// let x = firebrand::tensor!([1.0, 2.0]).requires_grad_(true);
    /// (&x * &x).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![2.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn backward(&self) {
        or_panic(self.try_backward())
    }

    /// [`Tensor::backward`] returning an error (non-scalar output, no graph, a saved tensor
    /// changed in place).
    ///
    /// ```
    /// assert!(firebrand::tensor!([1.0, 2.0]).try_backward().is_err());
    /// ```
    pub fn try_backward(&self) -> Result<()> {
        let g = implicit_grad("backward", self)?;
        engine::backward(self, g, false)
    }

    /// Backward from a tensor of any shape, given the gradient of the loss with respect to it.
    ///
    /// ```
    /// let x = firebrand::tensor!([1.0, 2.0]).requires_grad_(true);
    /// let y = &x * 3.0;
    /// y.backward_with(&firebrand::tensor!([1.0, 10.0]));
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![3.0, 30.0]);
    /// ```
    #[track_caller]
    pub fn backward_with(&self, grad_output: &Tensor) {
        or_panic(self.try_backward_with(grad_output, false))
    }

    /// Backward from any shape; with `create_graph` the gradients are themselves differentiable.
    ///
    /// ```
    /// let x = firebrand::tensor!([3.0]).requires_grad_(true);
    /// let y = &x * &x;
    /// y.try_backward_with(&firebrand::tensor!([1.0]), true).unwrap();
    /// assert!(x.grad().unwrap().requires_grad());
    /// ```
    pub fn try_backward_with(&self, grad_output: &Tensor, create_graph: bool) -> Result<()> {
        if grad_output.shape() != self.shape() {
            return Err(Error::msg(format!(
                "backward_with: the gradient has shape {:?} but the output has shape {:?}; \
                 pass a gradient of the output's shape",
                grad_output.shape(),
                self.shape()
            )));
        }
        engine::backward(self, grad_output.clone(), create_graph)
    }
}
