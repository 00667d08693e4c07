//! Joining tensors: `cat` and `stack`.

use crate::autograd::Record;
use crate::backend::cpu;
use crate::dtype::{DType, Element, result_type};
use crate::error::{Error, Result, or_panic};
use crate::shape::normalize_dim;
use crate::tensor::Tensor;

impl Tensor {
    /// Joins tensors along an existing dim; all other sizes must match. Dtypes promote.
    ///
    /// ```
    /// use firebrand::{tensor, Tensor};
    /// let c = Tensor::cat(&[&tensor!([[1, 2]]), &tensor!([[3, 4], [5, 6]])], 0);
    /// assert_eq!(c.shape(), &[3, 2]);
    /// ```
    #[track_caller]
    pub fn cat(tensors: &[&Tensor], dim: isize) -> Tensor {
        or_panic(Tensor::try_cat(tensors, dim))
    }

    /// [`Tensor::cat`] returning an error instead of panicking.
    ///
    /// ```
    /// use firebrand::{tensor, Tensor};
    /// assert!(Tensor::try_cat(&[&tensor!([[1, 2]]), &tensor!([[3]])], 0).is_err());
    /// ```
    pub fn try_cat(tensors: &[&Tensor], dim: isize) -> Result<Tensor> {
        let first = tensors
            .first()
            .ok_or_else(|| Error::msg("cat: expected a non-empty list of tensors"))?;
        let d = normalize_dim("cat", dim, first.dim())?;
        let mut shape = first.shape().to_vec();
        shape[d] = 0;
        for (i, t) in tensors.iter().enumerate() {
            crate::ops::binary::same_device("cat", first, t)?;
            let compatible = t.dim() == first.dim()
                && (0..t.dim()).all(|k| k == d || t.shape()[k] == first.shape()[k]);
            if !compatible {
                return Err(Error::msg(format!(
                    "cat: sizes of tensors must match except in dimension {d}; tensor 0 has \
                     shape {:?} but tensor {i} has shape {:?}",
                    first.shape(),
                    t.shape()
                )));
            }
            shape[d] += t.shape()[d];
        }
        let dtype = tensors
            .iter()
            .map(|t| t.dtype())
            .reduce(|a, b| {
                result_type(&[
                    (a, crate::dtype::Priority::Dimensioned),
                    (b, crate::dtype::Priority::Dimensioned),
                ])
            })
            .unwrap_or(DType::F32);
        let out = Tensor::zeros(shape.as_slice(), dtype);
        let mut start = 0;
        let mut spans = Vec::with_capacity(tensors.len());
        for t in tensors {
            let len = t.shape()[d];
            let target = out.with_layout(out.layout().narrow(d, start, len));
            crate::with_dtype!(dtype, T => crate::with_dtype!(t.dtype(), S => {
                cpu::update(&target, t, |_: T, v: S| T::cast_from(v))
            }));
            spans.push((start, len, t.dtype()));
            start += len;
        }
        if !dtype.is_float() {
            return Ok(out);
        }
        Ok(
            Record::new("CatBackward0", tensors).finish(out, move |ctx| {
                spans
                    .iter()
                    .map(|&(s, len, from)| {
                        let g = ctx.grad().narrow(d as isize, s as isize, len);
                        Some(if from.is_float() { g.to_dtype(from) } else { g })
                    })
                    .collect()
            }),
        )
    }

    /// Joins tensors of one shape along a new dim.
    ///
    /// ```
    /// use firebrand::{tensor, Tensor};
    /// let s = Tensor::stack(&[&tensor!([1, 2]), &tensor!([3, 4])], 1);
    /// assert_eq!(s.to_vec::<i64>(), vec![1, 3, 2, 4]);
    /// ```
    #[track_caller]
    pub fn stack(tensors: &[&Tensor], dim: isize) -> Tensor {
        or_panic(Tensor::try_stack(tensors, dim))
    }

    /// [`Tensor::stack`] returning an error instead of panicking.
    ///
    /// ```
    /// use firebrand::{tensor, Tensor};
    /// assert!(Tensor::try_stack(&[&tensor!([1, 2]), &tensor!([3])], 0).is_err());
    /// ```
    pub fn try_stack(tensors: &[&Tensor], dim: isize) -> Result<Tensor> {
        let first = tensors
            .first()
            .ok_or_else(|| Error::msg("stack: expected a non-empty list of tensors"))?;
        let d = normalize_dim("stack", dim, first.dim() + 1)?;
        if let Some(bad) = tensors.iter().find(|t| t.shape() != first.shape()) {
            return Err(Error::msg(format!(
                "stack: expects each tensor to be equal size, but got {:?} and {:?}",
                first.shape(),
                bad.shape()
            )));
        }
        let parts: Vec<Tensor> = tensors.iter().map(|t| t.unsqueeze(d as isize)).collect();
        Tensor::try_cat(&parts.iter().collect::<Vec<_>>(), d as isize)
    }
}
