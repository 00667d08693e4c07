//! Reductions: over every element (0-d result) or over dims (negative dims, keepdim).

use crate::autograd::Record;
use crate::backend::cpu::{self, reduce::lane_sum};
use crate::dtype::{DType, Element};
use crate::error::{or_panic, Result};
use crate::shape::{normalize_dims, Dims};
use crate::storage::StorageElement;
use crate::tensor::Tensor;

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
pub(crate) fn reduce_with<T, U>(x: &Tensor, dims: &[usize], keepdim: bool, f: impl Fn(&cpu::reduce::Lane<T>) -> U + Sync + Send) -> Tensor
where
    T: StorageElement,
    U: StorageElement,
{
    let guard = x.storage_cell().read();
    let out = cpu::reduce::reduce_lanes(guard.cpu().typed::<T>(), x.layout(), dims, f);
    Tensor::from_cpu(U::into_storage(out), &reduced_shape(x.shape(), dims, keepdim))
}

/// The dtype a sum or product returns: integers and bool widen to I64, as in PyTorch.
pub(crate) fn sum_dtype(dtype: DType) -> DType {
    if dtype.is_float() {
        dtype
    } else {
        DType::I64
    }
}

fn sum_forward(x: &Tensor, dims: &[usize], keepdim: bool) -> Tensor {
    match x.dtype() {
        DType::F32 => reduce_with(x, dims, keepdim, |l| lane_sum(l, |v: f32| v as f64) as f32),
        DType::F64 => reduce_with(x, dims, keepdim, |l| lane_sum(l, |v: f64| v)),
        DType::F16 => reduce_with(x, dims, keepdim, |l| half::f16::from_f64(lane_sum(l, |v: half::f16| v.to_f64()))),
        DType::BF16 => reduce_with(x, dims, keepdim, |l| half::bf16::from_f64(lane_sum(l, |v: half::bf16| v.to_f64()))),
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
        or_panic(self.try_sum_dim(Vec::<isize>::new(), false))
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
        let x = self.to_dtype(sum_dtype(self.dtype()));
        let out = sum_forward(&x, &dims, keepdim);
        let shape = self.shape().to_vec();
        Ok(Record::new("SumBackward1", &[self]).finish(out, move |ctx| {
            vec![Some(unsqueeze_reduced(ctx.grad(), &dims, keepdim).expand(&shape))]
        }))
    }

    /// The mean of every element (float tensors only), as a 0-d tensor.
    ///
    /// ```
    /// assert_eq!(firebrand::tensor!([1.0, 2.0, 6.0]).mean().item::<f32>(), 3.0);
    /// ```
    #[track_caller]
    pub fn mean(&self) -> Tensor {
        or_panic(self.try_mean_dim(Vec::<isize>::new(), false))
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
        if !self.dtype().is_float() {
            return Err(crate::Error::msg(format!(
                "mean: could not infer output dtype: the input is {}; mean needs a float \
                 tensor (use to_dtype(DType::F32))",
                self.dtype()
            )));
        }
        let d = normalize_dims("mean_dim", &dims.to_dims(), self.dim())?;
        let count: usize = d.iter().map(|&i| self.shape()[i]).product();
        let total = self.try_sum_dim(d.iter().map(|&i| i as isize).collect::<Vec<_>>(), keepdim)?;
        Ok(total / count as f64)
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
