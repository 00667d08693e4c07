//! Conversions and copies: `to_dtype`, `contiguous`, `deep_clone`, and the in-place family
//! (`add_`, `mul_`, `copy_`, `fill_`, ...) that writes through views and bumps the version.

use crate::autograd::{Record, is_grad_enabled};
use crate::backend::cpu;
use crate::dtype::{DType, Element};
use crate::error::{Error, Result, or_panic};
use crate::ops::binary::{AddOp, BinaryOp, DivOp, MulOp, SubOp};
use crate::shape::broadcast_shapes;
use crate::tensor::Tensor;

impl Tensor {
    /// The tensor converted to `dtype` (the same tensor when it already is).
    ///
    /// ```
    /// use firebrand::{tensor, DType};
    /// let a = tensor!([1.7, -1.7]).to_dtype(DType::I32);
    /// assert_eq!(a.to_vec::<i32>(), vec![1, -1]);
    /// ```
    pub fn to_dtype(&self, dtype: DType) -> Tensor {
        if dtype == self.dtype() {
            return self.clone();
        }
        let out = crate::with_dtype!(self.dtype(), S => crate::with_dtype!(dtype, T => {
            cpu::map(self, |x: S| T::cast_from(x))
        }));
        if !dtype.is_float() || !self.dtype().is_float() {
            return out;
        }
        let from = self.dtype();
        Record::new("ToCopyBackward0", &[self])
            .finish(out, move |ctx| vec![Some(ctx.grad().to_dtype(from))])
    }

    /// The tensor itself when contiguous, otherwise a contiguous copy.
    ///
    /// ```
    /// let a = firebrand::tensor!([[1, 2], [3, 4]]).t();
    /// assert!(a.contiguous().is_contiguous());
    /// assert_eq!(a.contiguous().to_vec::<i64>(), vec![1, 3, 2, 4]);
    /// ```
    pub fn contiguous(&self) -> Tensor {
        if self.is_contiguous() {
            self.clone()
        } else {
            self.contiguous_copy()
        }
    }

    /// A copy of the data in new contiguous storage (PyTorch's `x.clone()`; Rust's `clone()`
    /// only copies the handle). Gradients flow through it.
    ///
    /// ```
    /// let a = firebrand::tensor!([1.0, 2.0]);
    /// let b = a.deep_clone();
    /// b.add_(&firebrand::tensor!([1.0]));
    /// assert_eq!(a.to_vec::<f32>(), vec![1.0, 2.0]);
    /// ```
    pub fn deep_clone(&self) -> Tensor {
        self.contiguous_copy()
    }

    /// A contiguous copy that records `CloneBackward0`.
    pub(crate) fn contiguous_copy(&self) -> Tensor {
        let out = crate::with_dtype!(self.dtype(), T => cpu::map(self, |x: T| x));
        Record::new("CloneBackward0", &[self]).finish(out, |ctx| vec![Some(ctx.grad().clone())])
    }

    // ----- in place ------------------------------------------------------------------------

    /// Writes `op(self, src)` into this tensor's storage, after the checks every in-place op
    /// shares; with autograd on, the result's history replaces this tensor's.
    fn update_in_place<O: BinaryOp>(
        &self,
        op_name: &'static str,
        src: &Tensor,
        op: O,
    ) -> Result<()> {
        crate::ops::binary::same_device(op_name, self, src)?;
        let shape = broadcast_shapes(op_name, self.shape(), src.shape())?;
        if shape != self.shape() {
            return Err(Error::msg(format!(
                "{op_name}: the result of shape {shape:?} cannot be written into a tensor of \
                 shape {:?} in place; use the out-of-place form",
                self.shape()
            )));
        }
        let dtype = crate::ops::binary::result_dtype::<O>(self, src);
        if dtype.is_float() && !self.dtype().is_float() {
            return Err(Error::msg(format!(
                "{op_name}: result type {dtype} can't be cast to the desired output type {}",
                self.dtype()
            )));
        }
        let recording = is_grad_enabled() && (self.tracks_grad() || src.tracks_grad());
        if !recording {
            if dtype == self.dtype() {
                return crate::ops::binary::apply_in_place(self, src, &op);
            }
            let value = crate::autograd::no_grad(|| crate::ops::binary::apply(self, src, op))?;
            self.write_from(&value);
            return Ok(());
        }
        self.check_in_place_autograd(op_name)?;
        // Compute out of place from a copy (so saved values stay intact), write the data,
        // and take over the new history.
        let before = self.contiguous_copy();
        let value = crate::ops::binary::apply(&before, src, op)?.to_dtype(self.dtype());
        crate::autograd::no_grad(|| self.write_from(&value));
        let node = value.meta().grad_fn.clone();
        self.meta().grad_fn = node;
        self.set_tracks_grad(true);
        Ok(())
    }

    fn check_in_place_autograd(&self, op: &str) -> Result<()> {
        if self.is_leaf() && self.requires_grad() {
            return Err(Error::msg(format!(
                "{op}: a leaf tensor that requires grad is being used in an in-place operation; \
                 wrap the update in no_grad(|| ...)"
            )));
        }
        if self.0.is_view {
            return Err(Error::msg(format!(
                "{op}: in-place operations on a view are not recorded by autograd yet; \
                 use the out-of-place op, or do it under no_grad"
            )));
        }
        Ok(())
    }

    /// Copies `value` (same shape) into this tensor's elements, converting the dtype.
    fn write_from(&self, value: &Tensor) {
        let value = value.broadcast_view(self.shape());
        crate::with_dtype!(self.dtype(), T => crate::with_dtype!(value.dtype(), S => {
            cpu::update(self, &value, |_: T, s: S| T::cast_from(s))
        }));
    }

    /// Adds `other` (broadcast) into this tensor in place; returns the same tensor.
    ///
    /// ```
    /// let x = firebrand::tensor!([[1.0, 2.0], [3.0, 4.0]]);
    /// x.narrow(0, 1, 1).add_(&firebrand::tensor!([10.0]));
    /// assert_eq!(x.to_vec::<f32>(), vec![1.0, 2.0, 13.0, 14.0]);
    /// ```
    #[track_caller]
    pub fn add_(&self, other: &Tensor) -> Tensor {
        or_panic(self.try_add_(other))
    }

    /// [`Tensor::add_`] returning an error instead of panicking.
    ///
    /// ```
    /// let x = firebrand::tensor!([1.0]);
    /// assert!(x.try_add_(&firebrand::tensor!([1.0, 2.0])).is_err());
    /// ```
    pub fn try_add_(&self, other: &Tensor) -> Result<Tensor> {
        self.update_in_place("add_", other, AddOp)?;
        Ok(self.clone())
    }

    /// Subtracts `other` in place.
    ///
    /// ```
    /// let x = firebrand::tensor!([5, 6]);
    /// x.sub_(&firebrand::tensor!([1]));
    /// assert_eq!(x.to_vec::<i64>(), vec![4, 5]);
    /// ```
    #[track_caller]
    pub fn sub_(&self, other: &Tensor) -> Tensor {
        or_panic(self.try_sub_(other))
    }

    /// [`Tensor::sub_`] returning an error instead of panicking.
    ///
    /// ```
    /// let x = firebrand::tensor!([1.0, 2.0]);
    /// assert!(x.try_sub_(&firebrand::tensor!([1.0, 2.0, 3.0])).is_err());
    /// ```
    pub fn try_sub_(&self, other: &Tensor) -> Result<Tensor> {
        self.update_in_place("sub_", other, SubOp)?;
        Ok(self.clone())
    }

    /// Multiplies by `other` in place.
    ///
    /// ```
    /// use firebrand::{tensor, Tensor};
    /// let x = tensor!([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    /// x.select(0, 2).mul_(&Tensor::scalar(2.0f32));
    /// assert_eq!(x.to_vec::<f32>(), vec![1.0, 2.0, 3.0, 4.0, 10.0, 12.0]);
    /// ```
    #[track_caller]
    pub fn mul_(&self, other: &Tensor) -> Tensor {
        or_panic(self.try_mul_(other))
    }

    /// [`Tensor::mul_`] returning an error instead of panicking.
    ///
    /// ```
    /// let x = firebrand::tensor!([1.0, 2.0]);
    /// assert!(x.try_mul_(&firebrand::tensor!([1.0, 2.0, 3.0])).is_err());
    /// ```
    pub fn try_mul_(&self, other: &Tensor) -> Result<Tensor> {
        self.update_in_place("mul_", other, MulOp)?;
        Ok(self.clone())
    }

    /// Divides by `other` in place (float tensors only).
    ///
    /// ```
    /// let x = firebrand::tensor!([2.0, 4.0]);
    /// x.div_(&firebrand::tensor!([2.0]));
    /// assert_eq!(x.to_vec::<f32>(), vec![1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn div_(&self, other: &Tensor) -> Tensor {
        or_panic(self.try_div_(other))
    }

    /// [`Tensor::div_`] returning an error instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::tensor!([4, 6]).try_div_(&firebrand::tensor!([2, 3])).is_err());
    /// ```
    pub fn try_div_(&self, other: &Tensor) -> Result<Tensor> {
        self.update_in_place("div_", other, DivOp)?;
        Ok(self.clone())
    }

    /// Copies `src` (broadcast, any dtype) into this tensor: slice assignment through a view.
    ///
    /// ```
    /// let x = firebrand::Tensor::zeros([3, 2], firebrand::DType::F32);
    /// x.narrow(0, 1, 2).copy_(&firebrand::tensor!([[1.0, 2.0], [3.0, 4.0]]));
    /// assert_eq!(x.to_vec::<f32>(), vec![0.0, 0.0, 1.0, 2.0, 3.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn copy_(&self, src: &Tensor) -> Tensor {
        or_panic(self.try_copy_(src));
        self.clone()
    }

    /// [`Tensor::copy_`] returning an error instead of panicking.
    ///
    /// ```
    /// let x = firebrand::Tensor::zeros([2], firebrand::DType::F32);
    /// assert!(x.try_copy_(&firebrand::tensor!([1.0, 2.0, 3.0])).is_err());
    /// ```
    pub fn try_copy_(&self, src: &Tensor) -> Result<Tensor> {
        let to = self.dtype();
        crate::ops::binary::same_device("copy_", self, src)?;
        let shape = broadcast_shapes("copy_", self.shape(), src.shape())?;
        if shape != self.shape() {
            return Err(Error::msg(format!(
                "copy_: a source of shape {:?} cannot be copied into shape {:?}",
                src.shape(),
                self.shape()
            )));
        }
        if is_grad_enabled() && (self.tracks_grad() || src.tracks_grad()) {
            self.check_in_place_autograd("copy_")?;
            let value = src
                .to_dtype(to)
                .broadcast_to(self.shape())
                .contiguous_copy();
            crate::autograd::no_grad(|| self.write_from(&value));
            let node = value.meta().grad_fn.clone();
            self.meta().grad_fn = node;
            self.set_tracks_grad(true);
        } else {
            self.write_from(src);
        }
        Ok(self.clone())
    }

    /// Sets every element to `value`.
    ///
    /// ```
    /// let x = firebrand::tensor!([1, 2, 3]);
    /// x.fill_(7.0);
    /// assert_eq!(x.to_vec::<i64>(), vec![7, 7, 7]);
    /// ```
    #[track_caller]
    pub fn fill_(&self, value: f64) -> Tensor {
        self.copy_(&Tensor::full((), value, self.dtype()))
    }

    /// Sets every element to zero.
    ///
    /// ```
    /// let x = firebrand::tensor!([1.5, 2.5]);
    /// x.zero_();
    /// assert_eq!(x.to_vec::<f32>(), vec![0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn zero_(&self) -> Tensor {
        self.fill_(0.0)
    }

    /// Clamps in place.
    ///
    /// ```
    /// let x = firebrand::tensor!([-1.0, 0.5, 2.0]);
    /// x.clamp_(Some(0.0), Some(1.0));
    /// assert_eq!(x.to_vec::<f32>(), vec![0.0, 0.5, 1.0]);
    /// ```
    #[track_caller]
    pub fn clamp_(&self, min: Option<f64>, max: Option<f64>) -> Tensor {
        let clamped = or_panic(self.try_clamp(min, max));
        self.copy_(&clamped)
    }

    /// Multiplies by a number in place.
    ///
    /// ```
    /// let x = firebrand::tensor!([1.0, 2.0]);
    /// x.mul_scalar_(3.0);
    /// assert_eq!(x.to_vec::<f32>(), vec![3.0, 6.0]);
    /// ```
    #[track_caller]
    pub fn mul_scalar_(&self, value: f64) -> Tensor {
        self.mul_(&crate::ops::binary::scalar_operand(self, value))
    }

    /// Adds a number in place.
    ///
    /// ```
    /// let x = firebrand::tensor!([1.0, 2.0]);
    /// x.add_scalar_(0.5);
    /// assert_eq!(x.to_vec::<f32>(), vec![1.5, 2.5]);
    /// ```
    #[track_caller]
    pub fn add_scalar_(&self, value: f64) -> Tensor {
        self.add_(&crate::ops::binary::scalar_operand(self, value))
    }
}
