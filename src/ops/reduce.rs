//! Reductions: over every element (0-d result) or over dims (negative dims, keepdim).

use crate::autograd::Record;
use crate::backend::cpu::{
    self, contiguous_data,
    reduce::{lane_arg_extreme, lane_fold, lane_sum, scan_lanes},
    rows,
};
use crate::dtype::{DType, Element};
use crate::error::{Error, Result, or_panic};
use crate::shape::{Dims, normalize_dim, normalize_dims};
use crate::storage::StorageElement;
use crate::tensor::Tensor;
use half::{bf16, f16};

/// The shape after reducing `dims` (sorted) of `shape`.
pub(crate) fn reduced_shape(shape: &[usize], dims: &[usize], keepdim: bool) -> Vec<usize> {
    let mut out = Vec::with_capacity(shape.len());
    for (d, &s) in shape.iter().enumerate() {
        if !dims.contains(&d) {
            out.push(s);
        } else if keepdim {
            out.push(1);
        }
    }
    out
}

/// A gradient of a reduced result given back the reduced dims as size 1, so it broadcasts
/// against the input.
pub(crate) fn unsqueeze_reduced(g: &Tensor, dims: &[usize], keepdim: bool) -> Tensor {
    if keepdim {
        return g.clone();
    }
    dims.iter().fold(g.clone(), |t, &d| t.unsqueeze(d as isize))
}

/// Runs `f` on each lane of the reduced dims; returns the values in the kept dims' shape.
pub(crate) fn reduce_with<T, U>(
    x: &Tensor,
    dims: &[usize],
    keepdim: bool,
    f: impl Fn(&cpu::reduce::Lane<T>) -> U + Sync + Send,
) -> Tensor
where
    T: StorageElement,
    U: StorageElement,
{
    let guard = x.storage_cell().read();
    let out = cpu::reduce::reduce_lanes(guard.cpu().typed::<T>(), x.layout(), dims, f);
    Tensor::from_cpu(
        U::into_storage(out),
        &reduced_shape(x.shape(), dims, keepdim),
    )
}

/// The dtype a sum or product returns: integers and bool widen to I64, as in PyTorch.
pub(crate) fn sum_dtype(dtype: DType) -> DType {
    if dtype.is_float() { dtype } else { DType::I64 }
}

/// A float sum over `dims`, each lane added in f64 (`to`) and rounded back (`from`). A
/// contiguous input is summed run by run in memory order ([`cpu::reduce::sum_runs`]); a
/// strided one, or one reduced whole (one long lane), lane by lane.
fn float_sum<T: StorageElement>(
    x: &Tensor,
    dims: &[usize],
    keepdim: bool,
    to: impl cpu::reduce::Widen<T>,
    from: impl Fn(f64) -> T + Send + Sync,
) -> Tensor {
    let runs = cpu::reduce::merged_runs(x.shape(), dims);
    let mixed = runs.iter().any(|r| r.reduced) && runs.iter().any(|r| !r.reduced);
    if !(mixed && x.is_contiguous() && x.numel() > 0) {
        return reduce_with(x, dims, keepdim, |l| from(lane_sum(l, to)));
    }
    let sums = contiguous_data(x, |src| cpu::reduce::sum_runs(src, &runs, to, from));
    Tensor::from_cpu(
        T::into_storage(sums),
        &reduced_shape(x.shape(), dims, keepdim),
    )
}

fn sum_forward(x: &Tensor, dims: &[usize], keepdim: bool) -> Tensor {
    match x.dtype() {
        DType::F32 => float_sum(x, dims, keepdim, cpu::reduce::F32Lanes, |s| s as f32),
        DType::F64 => float_sum(x, dims, keepdim, |v: f64| v, |s| s),
        DType::F16 => float_sum(x, dims, keepdim, |v: f16| v.to_f64(), f16::from_f64),
        DType::BF16 => float_sum(x, dims, keepdim, |v: bf16| v.to_f64(), bf16::from_f64),
        other => crate::with_dtype!(other, T => reduce_with(x, dims, keepdim, |l| {
            let mut acc = 0i64;
            l.for_each(|v: T| acc = acc.wrapping_add(v.to_i64()));
            acc
        })),
    }
}

impl Tensor {
    /// The sum of every element, as a 0-d tensor (integers sum to I64).
    ///
    /// ```
    /// assert_eq!(firebrand::tensor!([[1, 2], [3, 4]]).sum().item::<i64>(), 10);
    /// ```
    pub fn sum(&self) -> Tensor {
        self.sum_over((0..self.dim()).collect(), false, "SumBackward0")
    }

    /// The sum over `dims`; `keepdim` keeps them as size 1.
    ///
    /// ```
    /// let a = firebrand::tensor!([[1.0, 2.0], [3.0, 4.0]]);
    /// assert_eq!(a.sum_dim(0, false).to_vec::<f32>(), vec![4.0, 6.0]);
    /// assert_eq!(a.sum_dim(-1, true).shape(), &[2, 1]);
    /// ```
    #[track_caller]
    pub fn sum_dim(&self, dims: impl Dims, keepdim: bool) -> Tensor {
        or_panic(self.try_sum_dim(dims, keepdim))
    }

    /// [`Tensor::sum_dim`] returning an error instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::tensor!([1.0]).try_sum_dim(3, false).is_err());
    /// ```
    pub fn try_sum_dim(&self, dims: impl Dims, keepdim: bool) -> Result<Tensor> {
        let dims = normalize_dims("sum_dim", &dims.to_dims(), self.dim())?;
        Ok(self.sum_over(dims, keepdim, "SumBackward1"))
    }

    /// The sum over normalised `dims`, recorded under `name` (PyTorch names the all-element
    /// sum `SumBackward0` and the sum over dims `SumBackward1`).
    fn sum_over(&self, dims: Vec<usize>, keepdim: bool, name: &'static str) -> Tensor {
        let x = self.to_dtype(sum_dtype(self.dtype()));
        let out = sum_forward(&x, &dims, keepdim);
        let shape = self.shape().to_vec();
        Record::new(name, &[self]).finish(out, move |ctx| {
            vec![Some(
                unsqueeze_reduced(ctx.grad(), &dims, keepdim).expand(&shape),
            )]
        })
    }

    /// The mean of every element (float tensors only), as a 0-d tensor.
    ///
    /// ```
    /// assert_eq!(firebrand::tensor!([1.0, 2.0, 6.0]).mean().item::<f32>(), 3.0);
    /// ```
    #[track_caller]
    pub fn mean(&self) -> Tensor {
        or_panic(self.try_mean_over(Vec::new(), false, "MeanBackward0"))
    }

    /// The mean over `dims`.
    ///
    /// ```
    /// let a = firebrand::tensor!([[1.0, 2.0], [3.0, 4.0]]);
    /// assert_eq!(a.mean_dim([0, 1], false).item::<f32>(), 2.5);
    /// ```
    #[track_caller]
    pub fn mean_dim(&self, dims: impl Dims, keepdim: bool) -> Tensor {
        or_panic(self.try_mean_dim(dims, keepdim))
    }

    /// [`Tensor::mean_dim`] returning an error (integer input, bad dims).
    ///
    /// ```
    /// assert!(firebrand::tensor!([1, 2]).try_mean_dim(0, false).is_err());
    /// ```
    pub fn try_mean_dim(&self, dims: impl Dims, keepdim: bool) -> Result<Tensor> {
        self.try_mean_over(dims.to_dims(), keepdim, "MeanBackward1")
    }

    /// The float check every mean shares.
    fn require_float_mean(&self) -> Result<()> {
        if !self.dtype().is_float() {
            return Err(crate::Error::msg(format!(
                "mean: could not infer output dtype: the input is {}; mean needs a float \
                 tensor (use to_dtype(DType::F32))",
                self.dtype()
            )));
        }
        Ok(())
    }

    /// The mean over `dims` (empty: every dim), recorded under `name`.
    fn try_mean_over(&self, dims: Vec<isize>, keepdim: bool, name: &'static str) -> Result<Tensor> {
        self.require_float_mean()?;
        let dims = normalize_dims("mean_dim", &dims, self.dim())?;
        let count = dims.iter().map(|&i| self.shape()[i]).product::<usize>() as f64;
        let out = crate::autograd::no_grad(|| self.sum_over(dims.clone(), keepdim, "") / count);
        let shape = self.shape().to_vec();
        Ok(Record::new(name, &[self]).finish(out, move |ctx| {
            let g = unsqueeze_reduced(ctx.grad(), &dims, keepdim).expand(&shape);
            vec![Some(g / count)]
        }))
    }

    /// Sums broadcast dims away so the result has `shape` (the inverse of broadcasting; used
    /// by the derivatives of broadcasting ops).
    ///
    /// ```
    /// let g = firebrand::Tensor::ones([4, 2, 3], firebrand::DType::F32);
    /// assert_eq!(g.sum_to(&[2, 1]).to_vec::<f32>(), vec![12.0, 12.0]);
    /// ```
    #[track_caller]
    pub fn sum_to(&self, shape: &[usize]) -> Tensor {
        if self.shape() == shape {
            return self.clone();
        }
        let lead = self.dim() - shape.len();
        let mut dims: Vec<isize> = (0..lead as isize).collect();
        for (i, &s) in shape.iter().enumerate() {
            if s == 1 && self.shape()[lead + i] != 1 {
                dims.push((lead + i) as isize);
            }
        }
        let summed = if dims.is_empty() {
            self.clone()
        } else {
            self.sum_dim(dims, true)
        };
        summed.reshape(shape)
    }
}

// ----- helpers of the reductions below ---------------------------------------------------------

/// Refuses a non-float input for an op whose result is fractional (mean, var, softmax, ...).
fn require_float(op: &str, x: &Tensor) -> Result<()> {
    if x.dtype().is_float() {
        return Ok(());
    }
    Err(Error::msg(format!(
        "{op}: expected a floating point tensor, got {} (convert first with to_dtype(DType::F32))",
        x.dtype()
    )))
}

/// The dims of `x` as the isize list the public reductions take.
fn as_isize(dims: &[usize]) -> Vec<isize> {
    dims.iter().map(|&d| d as isize).collect()
}

/// The dims a single-dim reduction reduces: none for a 0-d tensor (its one element is the lane).
fn single_dim(op: &str, x: &Tensor, dim: isize) -> Result<Vec<usize>> {
    let d = normalize_dim(op, dim, x.dim())?;
    Ok(if x.dim() == 0 { vec![] } else { vec![d] })
}

/// PyTorch refuses max/min/argmax over an empty lane (there is no identity to return).
fn require_nonempty_dim(op: &str, x: &Tensor, dims: &[usize]) -> Result<()> {
    match dims.iter().find(|&&d| x.shape()[d] == 0) {
        Some(d) => Err(Error::msg(format!(
            "{op}(): Expected reduction dim {d} to have non-zero size (input shape {:?})",
            x.shape()
        ))),
        None => Ok(()),
    }
}

/// The values and I64 indices of the first max (or min) of each lane over `dims`.
fn arg_extreme(x: &Tensor, dims: &[usize], keepdim: bool, want_max: bool) -> (Tensor, Tensor) {
    let shape = reduced_shape(x.shape(), dims, keepdim);
    crate::with_dtype!(x.dtype(), T => {
        let guard = x.storage_cell().read();
        let pairs = cpu::reduce::reduce_lanes(guard.cpu().typed::<T>(), x.layout(), dims, |l| {
            lane_arg_extreme(l, want_max)
        });
        let (values, indices): (Vec<T>, Vec<i64>) = pairs.into_iter().unzip();
        (
            Tensor::from_cpu(T::into_storage(values), &shape),
            Tensor::from_cpu(i64::into_storage(indices), &shape),
        )
    })
}

/// The float dtype half-precision inputs are widened to for an accurate composite (var, std).
fn accumulate_dtype(dtype: DType) -> DType {
    match dtype {
        DType::F16 | DType::BF16 => DType::F32,
        other => other,
    }
}

/// A one-hot Bool mask of `shape` that is true at `index` (I64, size 1 along `dim`) along `dim`.
fn one_hot_along(shape: &[usize], dims: &[usize], index: &Tensor) -> Tensor {
    let Some(&d) = dims.first() else {
        return Tensor::full((), 1.0, DType::Bool);
    };
    let mut pos_shape = vec![1usize; shape.len()];
    pos_shape[d] = shape[d];
    let positions = Tensor::arange(0.0, shape[d] as f64, 1.0, DType::I64).reshape(&pos_shape);
    positions.eq(index)
}

/// The product over `dims` (integers give I64); `name` is the grad_fn's name.
fn prod_over(x: &Tensor, name: &'static str, dims: Vec<usize>, keepdim: bool) -> Tensor {
    let input = x.to_dtype(sum_dtype(x.dtype()));
    let out = match input.dtype() {
        DType::I64 => reduce_with(&input, &dims, keepdim, |l| {
            lane_fold(l, 1i64, |a, v: i64| a.wrapping_mul(v))
        }),
        float => {
            crate::with_dtype!(float, T => reduce_with(&input, &dims, keepdim, |l: &cpu::reduce::Lane<T>| {
                T::from_f64(lane_fold(l, 1.0f64, |a, v: T| a * v.to_f64()))
            }))
        }
    };
    let saved = x.clone();
    Record::new(name, &[x]).save(&[x]).finish(out, move |ctx| {
        vec![Some(prod_backward(&saved, ctx.grad(), &dims, keepdim))]
    })
}

/// The derivative of a product, exact when the input holds zeros: where a lane has no zero,
/// `prod / x`; where it has one, the product of the others at the zero and 0 elsewhere; where
/// it has more, 0.
fn prod_backward(x: &Tensor, g: &Tensor, dims: &[usize], keepdim: bool) -> Tensor {
    let g = unsqueeze_reduced(g, dims, keepdim);
    let zero = x.eq_scalar(0.0);
    let zeros_in_lane = zero.sum_dim(as_isize(dims), true);
    let x_safe = x.masked_fill(&zero, 1.0);
    let others = prod_over(&x_safe, "ProdBackward1", dims.to_vec(), true);
    let no_zero = &others / &x_safe;
    let nothing = Tensor::zeros((), x.dtype());
    let one_zero = Tensor::where_(&zero, &others, &nothing);
    let per_element = Tensor::where_(
        &zeros_in_lane.eq_scalar(0.0),
        &no_zero,
        &Tensor::where_(&zeros_in_lane.eq_scalar(1.0), &one_zero, &nothing),
    );
    g * per_element
}

/// Softmax or log-softmax along `d` without recording: one fused pass per row when `d` is the
/// contiguous last dim, else the per-lane logsumexp (in f64) and one elementwise pass.
fn softmax_forward(x: &Tensor, d: usize, log: bool) -> Tensor {
    crate::autograd::no_grad(|| {
        if x.dim() == 0 {
            return softmax_forward(&x.reshape([1]), 0, log).reshape(());
        }
        let last = x.dim() - 1;
        if d != last || !x.is_contiguous() {
            // One kernel for every case, so every layout rounds alike: move the dim last.
            let (d, l) = (d as isize, last as isize);
            let moved = x.transpose(d, l).contiguous();
            return softmax_forward(&moved, last, log)
                .transpose(d, l)
                .contiguous();
        }
        let row = x.shape()[d];
        let storage = match x.dtype() {
            DType::F32 => {
                contiguous_data::<f32, _>(x, |s| f32::into_storage(rows::softmax_rows(s, row, log)))
            }
            DType::F64 => {
                contiguous_data::<f64, _>(x, |s| f64::into_storage(rows::softmax_rows(s, row, log)))
            }
            DType::F16 => contiguous_data::<f16, _>(x, |s| {
                f16::into_storage(rows::softmax_rows_half(s, row, log))
            }),
            DType::BF16 => contiguous_data::<bf16, _>(x, |s| {
                bf16::into_storage(rows::softmax_rows_half(s, row, log))
            }),
            other => unreachable!("softmax of {other}: refused by require_float"),
        };
        Tensor::from_cpu(storage, x.shape())
    })
}

/// `logsumexp` over the last dim of a contiguous f32 or f64 tensor by the row kernel; `None`
/// for the other cases (the per-lane reduction handles them).
fn logsumexp_rows(x: &Tensor, dims: &[usize], keepdim: bool) -> Option<Tensor> {
    if x.dim() == 0 || dims != [x.dim() - 1] || !x.is_contiguous() || x.numel() == 0 {
        return None;
    }
    let row = x.shape()[x.dim() - 1];
    let storage = match x.dtype() {
        DType::F32 => {
            contiguous_data::<f32, _>(x, |s| f32::into_storage(rows::logsumexp_rows(s, row)))
        }
        DType::F64 => {
            contiguous_data::<f64, _>(x, |s| f64::into_storage(rows::logsumexp_rows(s, row)))
        }
        _ => return None,
    };
    Some(Tensor::from_cpu(
        storage,
        &reduced_shape(x.shape(), dims, keepdim),
    ))
}

impl Tensor {
    /// The largest element, as a 0-d tensor of the input's dtype (NaN if any element is NaN).
    /// Its gradient is split evenly among tied elements, as in PyTorch.
    ///
    /// ```
    /// assert_eq!(firebrand::tensor!([[1, 7], [3, 4]]).max().item::<i64>(), 7);
    /// ```
    #[track_caller]
    pub fn max(&self) -> Tensor {
        or_panic(self.try_max())
    }

    /// [`Tensor::max`] returning an error (empty input) instead of panicking.
    ///
    /// ```
    /// let empty = firebrand::Tensor::zeros([0], firebrand::DType::F32);
    /// assert!(empty.try_max().is_err());
    /// ```
    pub fn try_max(&self) -> Result<Tensor> {
        self.extreme_all("max", "MaxBackward1", true)
    }

    /// The smallest element, as a 0-d tensor (gradient split evenly among ties).
    ///
    /// ```
    /// assert_eq!(firebrand::tensor!([2.0, -1.0, 5.0]).min().item::<f32>(), -1.0);
    /// ```
    #[track_caller]
    pub fn min(&self) -> Tensor {
        or_panic(self.try_min())
    }

    /// [`Tensor::min`] returning an error (empty input) instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::Tensor::zeros([2, 0], firebrand::DType::I64).try_min().is_err());
    /// ```
    pub fn try_min(&self) -> Result<Tensor> {
        self.extreme_all("min", "MinBackward1", false)
    }

    fn extreme_all(&self, op: &str, name: &'static str, want_max: bool) -> Result<Tensor> {
        if self.numel() == 0 {
            return Err(Error::msg(format!(
                "{op}(): Expected reduction dim to be specified for input.numel() == 0 \
                 (input shape {:?}). Specify the reduction dim with {op}_dim(dim, keepdim).",
                self.shape()
            )));
        }
        let dims: Vec<usize> = (0..self.dim()).collect();
        let (out, _) = arg_extreme(self, &dims, false, want_max);
        let x = self.clone();
        Ok(Record::new(name, &[self])
            .save(&[self])
            .save_output()
            .finish(out, move |ctx| {
                let ties = x.eq(ctx.output());
                let share = ctx.grad() / &ties.sum();
                vec![Some(Tensor::where_(
                    &ties,
                    &share,
                    &Tensor::zeros((), share.dtype()),
                ))]
            }))
    }

    /// The max along `dim` and the I64 index of the first max in each lane.
    ///
    /// ```
    /// let a = firebrand::tensor!([[1.0, 5.0, 5.0], [4.0, 2.0, 0.0]]);
    /// let (values, indices) = a.max_dim(1, false);
    /// assert_eq!(values.to_vec::<f32>(), vec![5.0, 4.0]);
    /// assert_eq!(indices.to_vec::<i64>(), vec![1, 0]);
    /// ```
    #[track_caller]
    pub fn max_dim(&self, dim: isize, keepdim: bool) -> (Tensor, Tensor) {
        or_panic(self.try_max_dim(dim, keepdim))
    }

    /// [`Tensor::max_dim`] returning an error (bad dim, empty lane) instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::tensor!([1.0, 2.0]).try_max_dim(1, false).is_err());
    /// ```
    pub fn try_max_dim(&self, dim: isize, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.extreme_dim("max", "MaxBackward0", dim, keepdim, true)
    }

    /// The min along `dim` and the I64 index of the first min in each lane.
    ///
    /// ```
    /// let (values, indices) = firebrand::tensor!([[3, 1, 1]]).min_dim(-1, true);
    /// assert_eq!(values.to_vec::<i64>(), vec![1]);
    /// assert_eq!(indices.shape(), &[1, 1]);
    /// assert_eq!(indices.to_vec::<i64>(), vec![1]);
    /// ```
    #[track_caller]
    pub fn min_dim(&self, dim: isize, keepdim: bool) -> (Tensor, Tensor) {
        or_panic(self.try_min_dim(dim, keepdim))
    }

    /// [`Tensor::min_dim`] returning an error (bad dim, empty lane) instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::Tensor::zeros([2, 0], firebrand::DType::F32).try_min_dim(1, false).is_err());
    /// ```
    pub fn try_min_dim(&self, dim: isize, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.extreme_dim("min", "MinBackward0", dim, keepdim, false)
    }

    fn extreme_dim(
        &self,
        op: &str,
        name: &'static str,
        dim: isize,
        keepdim: bool,
        want_max: bool,
    ) -> Result<(Tensor, Tensor)> {
        let dims = single_dim(op, self, dim)?;
        require_nonempty_dim(op, self, &dims)?;
        let (values, indices) = arg_extreme(self, &dims, keepdim, want_max);
        let (shape, idx) = (self.shape().to_vec(), indices.clone());
        let values = Record::new(name, &[self]).finish(values, move |ctx| {
            let g = unsqueeze_reduced(ctx.grad(), &dims, keepdim);
            let hit = one_hot_along(&shape, &dims, &unsqueeze_reduced(&idx, &dims, keepdim));
            let zero = Tensor::zeros((), g.dtype());
            vec![Some(Tensor::where_(&hit, &g, &zero).expand(&shape))]
        });
        Ok((values, indices))
    }

    /// The I64 index of the first max along `dim` (not differentiable).
    ///
    /// ```
    /// let a = firebrand::tensor!([[1.0, 9.0], [8.0, 2.0]]);
    /// assert_eq!(a.argmax(1, false).to_vec::<i64>(), vec![1, 0]);
    /// assert_eq!(a.argmax(0, true).shape(), &[1, 2]);
    /// ```
    #[track_caller]
    pub fn argmax(&self, dim: isize, keepdim: bool) -> Tensor {
        or_panic(self.try_argmax(dim, keepdim))
    }

    /// [`Tensor::argmax`] returning an error (bad dim, empty lane) instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::tensor!([1.0]).try_argmax(2, false).is_err());
    /// ```
    pub fn try_argmax(&self, dim: isize, keepdim: bool) -> Result<Tensor> {
        let dims = single_dim("argmax", self, dim)?;
        require_nonempty_dim("argmax", self, &dims)?;
        Ok(arg_extreme(self, &dims, keepdim, true).1)
    }

    /// The I64 index of the first min along `dim` (not differentiable).
    ///
    /// ```
    /// assert_eq!(firebrand::tensor!([4, 2, 2, 7]).argmin(0, false).item::<i64>(), 1);
    /// ```
    #[track_caller]
    pub fn argmin(&self, dim: isize, keepdim: bool) -> Tensor {
        or_panic(self.try_argmin(dim, keepdim))
    }

    /// [`Tensor::argmin`] returning an error (bad dim, empty lane) instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::Tensor::zeros([0], firebrand::DType::F32).try_argmin(0, false).is_err());
    /// ```
    pub fn try_argmin(&self, dim: isize, keepdim: bool) -> Result<Tensor> {
        let dims = single_dim("argmin", self, dim)?;
        require_nonempty_dim("argmin", self, &dims)?;
        Ok(arg_extreme(self, &dims, keepdim, false).1)
    }

    /// The product of every element as a 0-d tensor (integers and bool give I64). The gradient
    /// is exact when elements are zero.
    ///
    /// ```
    /// assert_eq!(firebrand::tensor!([[1, 2], [3, 4]]).prod().item::<i64>(), 24);
    /// ```
    pub fn prod(&self) -> Tensor {
        prod_over(self, "ProdBackward0", (0..self.dim()).collect(), false)
    }

    /// The product over `dims` (one dim or a list; empty means all).
    ///
    /// ```
    /// let a = firebrand::tensor!([[1.0, 2.0], [3.0, 4.0]]);
    /// assert_eq!(a.prod_dim(0, false).to_vec::<f32>(), vec![3.0, 8.0]);
    /// assert_eq!(a.prod_dim(-1, true).shape(), &[2, 1]);
    /// ```
    #[track_caller]
    pub fn prod_dim(&self, dims: impl Dims, keepdim: bool) -> Tensor {
        or_panic(self.try_prod_dim(dims, keepdim))
    }

    /// [`Tensor::prod_dim`] returning an error (bad dim) instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::tensor!([1.0]).try_prod_dim(-2, false).is_err());
    /// ```
    pub fn try_prod_dim(&self, dims: impl Dims, keepdim: bool) -> Result<Tensor> {
        let dims = normalize_dims("prod_dim", &dims.to_dims(), self.dim())?;
        Ok(prod_over(self, "ProdBackward1", dims, keepdim))
    }

    /// The variance over `dims` (an empty list means all), divided by `N - 1` when `unbiased`
    /// (Bessel's correction) and by `N` otherwise. Float input only.
    ///
    /// ```
    /// let a = firebrand::tensor!([[1.0, 3.0], [2.0, 2.0]]);
    /// assert_eq!(a.var_dim(1, true, false).to_vec::<f32>(), vec![2.0, 0.0]);
    /// assert_eq!(a.var_dim(1, false, true).to_vec::<f32>(), vec![1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn var_dim(&self, dims: impl Dims, unbiased: bool, keepdim: bool) -> Tensor {
        or_panic(self.try_var_dim(dims, unbiased, keepdim))
    }

    /// [`Tensor::var_dim`] returning an error (integer input, bad dims) instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::tensor!([1, 2]).try_var_dim(0, true, false).is_err());
    /// ```
    pub fn try_var_dim(&self, dims: impl Dims, unbiased: bool, keepdim: bool) -> Result<Tensor> {
        require_float("var", self)?;
        let dims = normalize_dims("var_dim", &dims.to_dims(), self.dim())?;
        let count: usize = dims.iter().map(|&d| self.shape()[d]).product();
        let divisor = if unbiased {
            count as f64 - 1.0
        } else {
            count as f64
        };
        let x = self.to_dtype(accumulate_dtype(self.dtype()));
        let centered = &x - &x.mean_dim(as_isize(&dims), true);
        let squares = (&centered * &centered).sum_dim(as_isize(&dims), keepdim);
        Ok((squares / divisor.max(0.0)).to_dtype(self.dtype()))
    }

    /// The variance of every element (0-d); see [`Tensor::var_dim`].
    ///
    /// ```
    /// assert_eq!(firebrand::tensor!([1.0, 2.0, 3.0, 4.0]).var(true).item::<f64>(), (5.0f32 / 3.0) as f64);
    /// ```
    #[track_caller]
    pub fn var(&self, unbiased: bool) -> Tensor {
        or_panic(self.try_var_dim(Vec::<isize>::new(), unbiased, false))
    }

    /// The standard deviation over `dims`: the square root of [`Tensor::var_dim`].
    ///
    /// ```
    /// let a = firebrand::tensor!([[1.0, 3.0], [2.0, 2.0]]);
    /// assert_eq!(a.std_dim(-1, false, false).to_vec::<f32>(), vec![1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn std_dim(&self, dims: impl Dims, unbiased: bool, keepdim: bool) -> Tensor {
        or_panic(self.try_std_dim(dims, unbiased, keepdim))
    }

    /// [`Tensor::std_dim`] returning an error (integer input, bad dims) instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::tensor!([1.0]).try_std_dim(1, true, false).is_err());
    /// ```
    pub fn try_std_dim(&self, dims: impl Dims, unbiased: bool, keepdim: bool) -> Result<Tensor> {
        require_float("std", self)?;
        let dims = normalize_dims("std_dim", &dims.to_dims(), self.dim())?;
        let x = self.to_dtype(accumulate_dtype(self.dtype()));
        let var = x.try_var_dim(as_isize(&dims), unbiased, keepdim)?;
        Ok(var.sqrt().to_dtype(self.dtype()))
    }

    /// The standard deviation of every element (0-d); see [`Tensor::std_dim`].
    ///
    /// ```
    /// assert_eq!(firebrand::tensor!([2.0, 4.0]).std(false).item::<f32>(), 1.0);
    /// ```
    #[track_caller]
    pub fn std(&self, unbiased: bool) -> Tensor {
        or_panic(self.try_std_dim(Vec::<isize>::new(), unbiased, false))
    }

    /// `log(sum(exp(x)))` over `dims`, computed stably (shifted by each lane's max, in f64).
    ///
    /// ```
    /// let a = firebrand::tensor!([[1e4, 1e4], [0.0, f64::NEG_INFINITY]]);
    /// let y = a.to_dtype(firebrand::DType::F64).logsumexp(1, false).to_vec::<f64>();
    /// assert!((y[0] - (1e4 + 2f64.ln())).abs() < 1e-9 && y[1] == 0.0);
    /// ```
    #[track_caller]
    pub fn logsumexp(&self, dims: impl Dims, keepdim: bool) -> Tensor {
        or_panic(self.try_logsumexp(dims, keepdim))
    }

    /// [`Tensor::logsumexp`] returning an error (integer input, bad dims) instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::tensor!([1, 2]).try_logsumexp(0, false).is_err());
    /// ```
    pub fn try_logsumexp(&self, dims: impl Dims, keepdim: bool) -> Result<Tensor> {
        require_float("logsumexp", self)?;
        let dims = normalize_dims("logsumexp", &dims.to_dims(), self.dim())?;
        let out = logsumexp_rows(self, &dims, keepdim).unwrap_or_else(|| {
            crate::with_dtype!(self.dtype(), T => reduce_with(self, &dims, keepdim, |l: &cpu::reduce::Lane<T>| {
                T::from_f64(cpu::reduce::lane_logsumexp(l, |v: T| v.to_f64()))
            }))
        });
        let x = self.clone();
        Ok(Record::new("LogsumexpBackward0", &[self])
            .save(&[self])
            .save_output()
            .finish(out, move |ctx| {
                let g = unsqueeze_reduced(ctx.grad(), &dims, keepdim);
                let out = unsqueeze_reduced(ctx.output(), &dims, keepdim);
                vec![Some(g * (&x - &out).exp())]
            }))
    }

    /// Softmax along `dim`: `exp(x) / sum(exp(x))`, fused and stable for large inputs.
    ///
    /// ```
    /// let y = firebrand::tensor!([[0.0, 0.0], [1e4, -1e4]]).softmax(-1);
    /// assert_eq!(y.to_vec::<f32>(), vec![0.5, 0.5, 1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn softmax(&self, dim: isize) -> Tensor {
        or_panic(self.try_softmax(dim))
    }

    /// [`Tensor::softmax`] returning an error (integer input, bad dim) instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::tensor!([1, 2]).try_softmax(0).is_err());
    /// ```
    pub fn try_softmax(&self, dim: isize) -> Result<Tensor> {
        require_float("softmax", self)?;
        let d = normalize_dim("softmax", dim, self.dim())?;
        let out = softmax_forward(self, d, false);
        let d = d as isize;
        Ok(Record::new("SoftmaxBackward0", &[self])
            .save_output()
            .finish(out, move |ctx| {
                let (g, y) = (ctx.grad(), ctx.output());
                let gy = g * y;
                vec![Some(&gy - y * gy.sum_dim(d, true))]
            }))
    }

    /// Log-softmax along `dim`: `x - logsumexp(x)`, fused and stable for large inputs.
    ///
    /// ```
    /// let y = firebrand::Tensor::from_vec(vec![0.0f64, 0.0], [2]).log_softmax(0).to_vec::<f64>();
    /// assert_eq!(y, vec![-2f64.ln(), -2f64.ln()]);
    /// ```
    #[track_caller]
    pub fn log_softmax(&self, dim: isize) -> Tensor {
        or_panic(self.try_log_softmax(dim))
    }

    /// [`Tensor::log_softmax`] returning an error (integer input, bad dim) instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::tensor!([1.0]).try_log_softmax(1).is_err());
    /// ```
    pub fn try_log_softmax(&self, dim: isize) -> Result<Tensor> {
        require_float("log_softmax", self)?;
        let d = normalize_dim("log_softmax", dim, self.dim())?;
        let out = softmax_forward(self, d, true);
        let d = d as isize;
        Ok(Record::new("LogSoftmaxBackward0", &[self])
            .save_output()
            .finish(out, move |ctx| {
                let (g, y) = (ctx.grad(), ctx.output());
                vec![Some(g - y.exp() * g.sum_dim(d, true))]
            }))
    }

    /// The 2-norm of every element, `sqrt(sum(x^2))`, as a 0-d tensor (float input only). Its
    /// gradient is `x / norm`, and 0 at the zero vector.
    ///
    /// ```
    /// assert_eq!(firebrand::tensor!([[3.0, 0.0], [0.0, -4.0]]).norm().item::<f32>(), 5.0);
    /// ```
    #[track_caller]
    pub fn norm(&self) -> Tensor {
        or_panic(self.try_norm())
    }

    /// [`Tensor::norm`] returning an error (integer input) instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::tensor!([3, 4]).try_norm().is_err());
    /// ```
    pub fn try_norm(&self) -> Result<Tensor> {
        require_float("norm", self)?;
        let dims: Vec<usize> = (0..self.dim()).collect();
        let out = crate::with_dtype!(self.dtype(), T => reduce_with(self, &dims, false, |l: &cpu::reduce::Lane<T>| {
            T::from_f64(lane_sum(l, |v: T| v.to_f64() * v.to_f64()).sqrt())
        }));
        let x = self.clone();
        Ok(Record::new("LinalgVectorNormBackward0", &[self])
            .save(&[self])
            .save_output()
            .finish(out, move |ctx| {
                let norm = ctx.output();
                let safe = norm.masked_fill(&norm.eq_scalar(0.0), 1.0);
                vec![Some(&x * (ctx.grad() / safe))]
            }))
    }

    /// The running sum along `dim` (integers and bool give I64; floats accumulate in f64).
    ///
    /// ```
    /// let a = firebrand::tensor!([[1, 2, 3], [4, 5, 6]]);
    /// assert_eq!(a.cumsum(1).to_vec::<i64>(), vec![1, 3, 6, 4, 9, 15]);
    /// assert_eq!(a.cumsum(0).to_vec::<i64>(), vec![1, 2, 3, 5, 7, 9]);
    /// ```
    #[track_caller]
    pub fn cumsum(&self, dim: isize) -> Tensor {
        or_panic(self.try_cumsum(dim))
    }

    /// [`Tensor::cumsum`] returning an error (bad dim) instead of panicking.
    ///
    /// ```
    /// assert!(firebrand::tensor!([1.0, 2.0]).try_cumsum(1).is_err());
    /// ```
    pub fn try_cumsum(&self, dim: isize) -> Result<Tensor> {
        let d = normalize_dim("cumsum", dim, self.dim())?;
        let x = self.to_dtype(sum_dtype(self.dtype()));
        let out = {
            let guard = x.storage_cell().read();
            let (storage, layout) = (guard.cpu(), x.layout());
            if x.dtype().is_float() {
                crate::with_dtype!(x.dtype(), T => T::into_storage(scan_lanes(
                    storage.typed::<T>(), layout, d, 0.0f64, |a, v: T| a + v.to_f64(), T::from_f64,
                )))
            } else {
                i64::into_storage(scan_lanes(
                    storage.typed::<i64>(),
                    layout,
                    d,
                    0i64,
                    |a, v| a.wrapping_add(v),
                    |a| a,
                ))
            }
        };
        let out = Tensor::from_cpu(out, self.shape());
        let d = d as isize;
        Ok(
            Record::new("CumsumBackward0", &[self]).finish(out, move |ctx| {
                vec![Some(ctx.grad().flip(d).cumsum(d).flip(d))]
            }),
        )
    }
}
