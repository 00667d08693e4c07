//! Views and shape ops: reshape/view, transpose, permute, squeeze/unsqueeze, expand, narrow,
//! select, flatten, chunk, split, flip. Views never copy: they make a new layout on the same
//! storage. Slicing views share one derivative, [`embed`], which is itself differentiable.

use crate::autograd::Record;
use crate::backend::cpu;
use crate::error::{Error, Result, or_panic};
use crate::layout::Layout;
use crate::shape::{Dims, IntoShape, broadcast_shapes, infer_reshape, normalize_dim};
use crate::tensor::Tensor;
use std::sync::Arc;

/// A layout change that picks a subset of elements (narrow, select, stepped slice).
pub(crate) type Transform = Arc<dyn Fn(&Layout) -> Layout + Send + Sync>;

impl Tensor {
    /// A view with `layout`, recorded as `name` with a derivative that embeds the gradient
    /// back into zeros of the input's shape.
    pub(crate) fn slice_view(&self, name: &'static str, transform: Transform) -> Tensor {
        let out = self.with_layout(transform(self.layout()));
        let shape = self.shape().to_vec();
        Record::new(name, &[self]).finish(out, move |ctx| {
            vec![Some(embed(ctx.grad(), &shape, transform.clone()))]
        })
    }

    /// A view of the same elements with another layout (no autograd record).
    pub(crate) fn broadcast_view(&self, shape: &[usize]) -> Tensor {
        if self.shape() == shape {
            return self.clone();
        }
        self.with_layout(self.layout().broadcast_to(shape))
    }
}

/// Zeros of `shape` with `g` written where `transform` picks: the derivative of a slicing
/// view. Its own derivative is the view again.
pub(crate) fn embed(g: &Tensor, shape: &[usize], transform: Transform) -> Tensor {
    let out = Tensor::zeros(shape, g.dtype());
    let target = out.with_layout(transform(out.layout()));
    crate::with_dtype!(g.dtype(), T => cpu::update(&target, g, |_: T, v: T| v));
    Record::new("EmbedBackward", &[g]).finish(out, move |ctx| {
        vec![Some(
            ctx.grad().slice_view("SliceBackward0", transform.clone()),
        )]
    })
}

impl Tensor {
    /// The same elements with another shape (one size may be -1): a view when the strides
    /// allow, a copy otherwise.
    ///
    /// ```
    /// let a = firebrand::tensor!([[1, 2, 3], [4, 5, 6]]);
    /// assert_eq!(a.reshape([3, -1]).shape(), &[3, 2]);
    /// assert_eq!(a.t().reshape([-1]).to_vec::<i64>(), vec![1, 4, 2, 5, 3, 6]);
    /// ```
    #[track_caller]
    pub fn reshape(&self, shape: impl IntoShape) -> Tensor {
        or_panic(self.try_reshape(shape))
    }

    /// [`Tensor::reshape`] returning an error instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::tensor!([1, 2, 3]).try_reshape([2, -1]).is_err());
    /// ```
    pub fn try_reshape(&self, shape: impl IntoShape) -> Result<Tensor> {
        let new_shape = infer_reshape("reshape", self.shape(), &shape.to_sizes())?;
        let source = match self.layout().reshape_view(&new_shape) {
            Some(_) => self.clone(),
            None => self.contiguous_copy(),
        };
        let layout = source
            .layout()
            .reshape_view(&new_shape)
            .expect("contiguous reshapes");
        Ok(source.recorded_reshape(layout))
    }

    fn recorded_reshape(&self, layout: Layout) -> Tensor {
        let out = self.with_layout(layout);
        let shape = self.shape().to_vec();
        Record::new("ViewBackward0", &[self]).finish(out, move |ctx| {
            vec![Some(ctx.grad().reshape(shape.as_slice()))]
        })
    }

    /// Like [`Tensor::reshape`] but never copies: an error when the strides do not allow a view.
    ///
    /// ```
    /// let a = firebrand::tensor!([[1, 2], [3, 4]]);
    /// assert_eq!(a.view([4]).shape(), &[4]);
    /// assert!(a.t().try_view([4]).is_err());
    /// ```
    #[track_caller]
    pub fn view(&self, shape: impl IntoShape) -> Tensor {
        or_panic(self.try_view(shape))
    }

    /// [`Tensor::view`] returning an error instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::tensor!([1, 2]).try_view([3]).is_err());
    /// ```
    pub fn try_view(&self, shape: impl IntoShape) -> Result<Tensor> {
        let new_shape = infer_reshape("view", self.shape(), &shape.to_sizes())?;
        let layout = self.layout().reshape_view(&new_shape).ok_or_else(|| {
            Error::msg(format!(
                "view: size {new_shape:?} is not compatible with the input's shape {:?} and \
                 strides {:?} (at least one dim spans two contiguous subspaces); use \
                 reshape(...) instead",
                self.shape(),
                self.strides()
            ))
        })?;
        Ok(self.recorded_reshape(layout))
    }

    /// Dims `start..=end` merged into one.
    ///
    /// ```
    /// let a = firebrand::Tensor::zeros([2, 3, 4], firebrand::DType::F32);
    /// assert_eq!(a.flatten(1, -1).shape(), &[2, 12]);
    /// assert_eq!(a.flatten(0, -1).shape(), &[24]);
    /// ```
    #[track_caller]
    pub fn flatten(&self, start_dim: isize, end_dim: isize) -> Tensor {
        or_panic(self.try_flatten(start_dim, end_dim))
    }

    /// [`Tensor::flatten`] returning an error instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::tensor!([[1]]).try_flatten(1, 0).is_err());
    /// ```
    pub fn try_flatten(&self, start_dim: isize, end_dim: isize) -> Result<Tensor> {
        if self.dim() == 0 {
            return self.try_reshape([1]);
        }
        let s = normalize_dim("flatten", start_dim, self.dim())?;
        let e = normalize_dim("flatten", end_dim, self.dim())?;
        if s > e {
            return Err(Error::msg(format!(
                "flatten: start_dim ({start_dim}) cannot come after end_dim ({end_dim})"
            )));
        }
        let shape = self.shape();
        let mut new: Vec<usize> = shape[..s].to_vec();
        new.push(shape[s..=e].iter().product());
        new.extend_from_slice(&shape[e + 1..]);
        self.try_reshape(new)
    }

    /// Swaps two dims (a view).
    ///
    /// ```
    /// let a = firebrand::Tensor::zeros([2, 3, 4], firebrand::DType::F32);
    /// assert_eq!(a.transpose(0, -1).shape(), &[4, 3, 2]);
    /// ```
    #[track_caller]
    pub fn transpose(&self, dim0: isize, dim1: isize) -> Tensor {
        or_panic(self.try_transpose(dim0, dim1))
    }

    /// [`Tensor::transpose`] returning an error instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::tensor!([[1]]).try_transpose(0, 2).is_err());
    /// ```
    pub fn try_transpose(&self, dim0: isize, dim1: isize) -> Result<Tensor> {
        let a = normalize_dim("transpose", dim0, self.dim())?;
        let b = normalize_dim("transpose", dim1, self.dim())?;
        if self.dim() == 0 {
            return Ok(self.clone());
        }
        let out = self.with_layout(self.layout().transpose(a, b));
        Ok(
            Record::new("TransposeBackward0", &[self]).finish(out, move |ctx| {
                vec![Some(ctx.grad().transpose(a as isize, b as isize))]
            }),
        )
    }

    /// The transpose of a matrix; a 0-d or 1-d tensor is returned as is.
    ///
    /// ```
    /// let a = firebrand::tensor!([[1, 2, 3]]);
    /// assert_eq!(a.t().shape(), &[3, 1]);
    /// ```
    #[track_caller]
    pub fn t(&self) -> Tensor {
        assert!(
            self.dim() <= 2,
            "t: expects a tensor with <= 2 dimensions, but self is {}D; use transpose(d0, d1)",
            self.dim()
        );
        if self.dim() < 2 {
            self.clone()
        } else {
            self.transpose(0, 1)
        }
    }

    /// Reorders the dims: dim `i` of the result is dim `dims[i]` of this tensor (a view).
    ///
    /// ```
    /// let a = firebrand::Tensor::zeros([2, 3, 4], firebrand::DType::F32);
    /// assert_eq!(a.permute([2, 0, 1]).shape(), &[4, 2, 3]);
    /// ```
    #[track_caller]
    pub fn permute(&self, dims: impl Dims) -> Tensor {
        or_panic(self.try_permute(dims))
    }

    /// [`Tensor::permute`] returning an error instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::tensor!([[1]]).try_permute([0, 0]).is_err());
    /// ```
    pub fn try_permute(&self, dims: impl Dims) -> Result<Tensor> {
        let given = dims.to_dims();
        if given.len() != self.dim() {
            return Err(Error::msg(format!(
                "permute: the number of dims {} does not match the tensor's {} dims (shape {:?})",
                given.len(),
                self.dim(),
                self.shape()
            )));
        }
        let mut perm = Vec::with_capacity(given.len());
        for &d in &given {
            let d = normalize_dim("permute", d, self.dim())?;
            if perm.contains(&d) {
                return Err(Error::msg(format!("permute: dim {d} repeats in {given:?}")));
            }
            perm.push(d);
        }
        let mut inverse = vec![0isize; perm.len()];
        for (i, &p) in perm.iter().enumerate() {
            inverse[p] = i as isize;
        }
        let out = self.with_layout(self.layout().permute(&perm));
        Ok(
            Record::new("PermuteBackward0", &[self]).finish(out, move |ctx| {
                vec![Some(ctx.grad().permute(inverse.as_slice()))]
            }),
        )
    }

    /// Removes dim `dim` if its size is 1 (otherwise returns the tensor unchanged).
    ///
    /// ```
    /// let a = firebrand::Tensor::zeros([2, 1, 3], firebrand::DType::F32);
    /// assert_eq!(a.squeeze(1).shape(), &[2, 3]);
    /// assert_eq!(a.squeeze(0).shape(), &[2, 1, 3]);
    /// ```
    #[track_caller]
    pub fn squeeze(&self, dim: isize) -> Tensor {
        let d = or_panic(normalize_dim("squeeze", dim, self.dim()));
        self.reshape_like_view(self.layout().squeeze(d))
    }

    /// Removes every size-1 dim.
    ///
    /// ```
    /// let a = firebrand::Tensor::zeros([1, 2, 1], firebrand::DType::F32);
    /// assert_eq!(a.squeeze_all().shape(), &[2]);
    /// ```
    pub fn squeeze_all(&self) -> Tensor {
        let mut layout = self.layout().clone();
        for d in (0..self.dim()).rev() {
            layout = layout.squeeze(d);
        }
        self.reshape_like_view(layout)
    }

    /// Inserts a size-1 dim at `dim` (which may be `dim()`; negative counts from the end of the
    /// result).
    ///
    /// ```
    /// let a = firebrand::tensor!([1, 2, 3]);
    /// assert_eq!(a.unsqueeze(0).shape(), &[1, 3]);
    /// assert_eq!(a.unsqueeze(-1).shape(), &[3, 1]);
    /// ```
    #[track_caller]
    pub fn unsqueeze(&self, dim: isize) -> Tensor {
        let d = or_panic(normalize_dim("unsqueeze", dim, self.dim() + 1));
        self.reshape_like_view(self.layout().unsqueeze(d))
    }

    /// A view whose derivative is a reshape back (squeeze, unsqueeze).
    fn reshape_like_view(&self, layout: Layout) -> Tensor {
        if layout == *self.layout() {
            return self.clone();
        }
        self.recorded_reshape(layout)
    }

    /// Repeats size-1 dims (and adds leading dims) without copying; -1 keeps a size.
    ///
    /// ```
    /// let a = firebrand::tensor!([[1], [2]]);
    /// let e = a.expand([2, 3]);
    /// assert_eq!(e.to_vec::<i64>(), vec![1, 1, 1, 2, 2, 2]);
    /// assert_eq!(e.strides(), &[1, 0]);
    /// ```
    #[track_caller]
    pub fn expand(&self, shape: impl IntoShape) -> Tensor {
        or_panic(self.try_expand(shape))
    }

    /// [`Tensor::expand`] returning an error instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::tensor!([1, 2]).try_expand([3]).is_err());
    /// ```
    pub fn try_expand(&self, shape: impl IntoShape) -> Result<Tensor> {
        let sizes = shape.to_sizes();
        if sizes.len() < self.dim() {
            return Err(Error::msg(format!(
                "expand: the number of sizes {} must be >= the tensor's dims {} (shape {:?})",
                sizes.len(),
                self.dim(),
                self.shape()
            )));
        }
        let lead = sizes.len() - self.dim();
        let mut target = Vec::with_capacity(sizes.len());
        for (i, &s) in sizes.iter().enumerate() {
            let own = (i >= lead).then(|| self.shape()[i - lead]);
            target.push(match (s, own) {
                (-1, Some(o)) => o,
                (s, _) if s < 0 => {
                    return Err(Error::msg(format!(
                        "expand: invalid size {s} at dim {i} of {sizes:?}"
                    )));
                }
                (s, Some(o)) if o != 1 && o != s as usize => {
                    return Err(Error::msg(format!(
                        "expand: the expanded size {s} must match the existing size {o} at \
                         non-singleton dim {i}; target {sizes:?}, tensor shape {:?}",
                        self.shape()
                    )));
                }
                (s, _) => s as usize,
            });
        }
        if target == self.shape() {
            return Ok(self.clone());
        }
        let out = self.with_layout(self.layout().broadcast_to(&target));
        let shape = self.shape().to_vec();
        Ok(Record::new("ExpandBackward0", &[self])
            .finish(out, move |ctx| vec![Some(ctx.grad().sum_to(&shape))]))
    }

    /// Broadcasts to `shape` by NumPy's rules (a view).
    ///
    /// ```
    /// let a = firebrand::tensor!([1, 2, 3]);
    /// assert_eq!(a.broadcast_to([2, 3]).shape(), &[2, 3]);
    /// ```
    #[track_caller]
    pub fn broadcast_to(&self, shape: impl IntoShape) -> Tensor {
        or_panic(self.try_broadcast_to(shape))
    }

    /// [`Tensor::broadcast_to`] returning an error instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::tensor!([1, 2, 3]).try_broadcast_to([2]).is_err());
    /// ```
    pub fn try_broadcast_to(&self, shape: impl IntoShape) -> Result<Tensor> {
        let target = crate::shape::checked_shape("broadcast_to", &shape.to_sizes())?;
        let b = broadcast_shapes("broadcast_to", self.shape(), &target)?;
        if b != target {
            return Err(Error::msg(format!(
                "broadcast_to: shape {:?} cannot be broadcast to {target:?}",
                self.shape()
            )));
        }
        self.try_expand(target)
    }

    /// `length` entries of `dim` from `start` (a view; `start` may be negative).
    ///
    /// ```
    /// let a = firebrand::tensor!([[1, 2, 3], [4, 5, 6]]);
    /// assert_eq!(a.narrow(1, 1, 2).to_vec::<i64>(), vec![2, 3, 5, 6]);
    /// ```
    #[track_caller]
    pub fn narrow(&self, dim: isize, start: isize, length: usize) -> Tensor {
        or_panic(self.try_narrow(dim, start, length))
    }

    /// [`Tensor::narrow`] returning an error instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::tensor!([1, 2, 3]).try_narrow(0, 2, 2).is_err());
    /// ```
    pub fn try_narrow(&self, dim: isize, start: isize, length: usize) -> Result<Tensor> {
        let d = normalize_dim("narrow", dim, self.dim())?;
        let size = self.shape()[d];
        let s = if start < 0 {
            start + size as isize
        } else {
            start
        };
        if s < 0 || s as usize + length > size {
            return Err(Error::msg(format!(
                "narrow: start ({start}) + length ({length}) exceeds dimension size ({size}) of \
                 dim {dim} (shape {:?})",
                self.shape()
            )));
        }
        let s = s as usize;
        Ok(self.slice_view(
            "SliceBackward0",
            Arc::new(move |l: &Layout| l.narrow(d, s, length)),
        ))
    }

    /// Entry `index` of `dim`, removing the dim (a view; a negative index counts from the end).
    ///
    /// ```
    /// let a = firebrand::tensor!([[1, 2, 3], [4, 5, 6]]);
    /// assert_eq!(a.select(1, -1).to_vec::<i64>(), vec![3, 6]);
    /// ```
    #[track_caller]
    pub fn select(&self, dim: isize, index: isize) -> Tensor {
        or_panic(self.try_select(dim, index))
    }

    /// [`Tensor::select`] returning an error instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::tensor!([1, 2, 3]).try_select(0, 3).is_err());
    /// ```
    pub fn try_select(&self, dim: isize, index: isize) -> Result<Tensor> {
        if self.dim() == 0 {
            return Err(Error::msg("select: cannot select from a 0-d tensor"));
        }
        let d = normalize_dim("select", dim, self.dim())?;
        let size = self.shape()[d];
        let i = if index < 0 {
            index + size as isize
        } else {
            index
        };
        if i < 0 || i as usize >= size {
            return Err(Error::msg(format!(
                "select: index {index} is out of range for dim {dim} of size {size} (shape {:?})",
                self.shape()
            )));
        }
        let i = i as usize;
        Ok(self.slice_view(
            "SelectBackward0",
            Arc::new(move |l: &Layout| l.select(d, i)),
        ))
    }

    /// Every `step`-th entry of `dim` from `start`, `len` entries in all (a view).
    pub(crate) fn slice_step(&self, dim: usize, start: usize, len: usize, step: usize) -> Tensor {
        self.slice_view(
            "SliceBackward0",
            Arc::new(move |l: &Layout| l.slice_step(dim, start, len, step)),
        )
    }

    /// Splits into `chunks` views along `dim`, each of size `ceil(n / chunks)` (the last may be
    /// smaller, and there may be fewer than `chunks`, as in PyTorch).
    ///
    /// ```
    /// let a = firebrand::tensor!([1, 2, 3, 4, 5, 6]);
    /// let parts = a.chunk(4, 0);
    /// assert_eq!(parts.len(), 3);
    /// assert_eq!(parts[2].to_vec::<i64>(), vec![5, 6]);
    /// ```
    #[track_caller]
    pub fn chunk(&self, chunks: usize, dim: isize) -> Vec<Tensor> {
        assert!(chunks > 0, "chunk: chunks must be greater than 0");
        let d = or_panic(normalize_dim("chunk", dim, self.dim()));
        let size = self.shape()[d];
        self.split(size.div_ceil(chunks).max(1), dim)
    }

    /// Splits into views of `split_size` entries along `dim` (the last may be smaller).
    ///
    /// ```
    /// let a = firebrand::tensor!([1, 2, 3, 4, 5]);
    /// let parts = a.split(2, 0);
    /// assert_eq!(parts.iter().map(|p| p.numel()).collect::<Vec<_>>(), vec![2, 2, 1]);
    /// ```
    #[track_caller]
    pub fn split(&self, split_size: usize, dim: isize) -> Vec<Tensor> {
        assert!(split_size > 0, "split: split_size must be greater than 0");
        let d = or_panic(normalize_dim("split", dim, self.dim()));
        let size = self.shape()[d];
        if size == 0 {
            return vec![self.clone()];
        }
        (0..size)
            .step_by(split_size)
            .map(|s| self.narrow(d as isize, s as isize, split_size.min(size - s)))
            .collect()
    }

    /// Reverses the order along `dims` (a view with negative strides).
    ///
    /// ```
    /// let a = firebrand::tensor!([[1, 2], [3, 4]]);
    /// assert_eq!(a.flip([1]).to_vec::<i64>(), vec![2, 1, 4, 3]);
    /// assert_eq!(a.flip([0, 1]).to_vec::<i64>(), vec![4, 3, 2, 1]);
    /// ```
    #[track_caller]
    pub fn flip(&self, dims: impl Dims) -> Tensor {
        or_panic(self.try_flip(dims))
    }

    /// [`Tensor::flip`] returning an error instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::tensor!([1, 2]).try_flip([1]).is_err());
    /// ```
    pub fn try_flip(&self, dims: impl Dims) -> Result<Tensor> {
        let dims = crate::shape::normalize_dims("flip", &dims.to_dims(), self.dim())?;
        let mut layout = self.layout().clone();
        for &d in &dims {
            layout = layout.flip(d);
        }
        let out = self.with_layout(layout);
        let back: Vec<isize> = dims.iter().map(|&d| d as isize).collect();
        Ok(Record::new("FlipBackward0", &[self])
            .finish(out, move |ctx| vec![Some(ctx.grad().flip(back.as_slice()))]))
    }
}
