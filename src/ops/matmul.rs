//! Linear algebra: matmul (torch.matmul semantics), mm, bmm, dot, outer.
//!
//! Every product goes through one differentiable core, [`product`]: operands of at least two
//! dims with broadcast batch dims. `matmul` adds and removes the size-1 dims of its 1-D cases
//! with differentiable views around it, so each regime's derivative comes from the core's.

use crate::autograd::{Record, no_grad};
use crate::backend::cpu::matmul::batched_matmul;
use crate::dtype::DType;
use crate::error::{Error, Result, or_panic};
use crate::layout::Layout;
use crate::ops::binary::same_device;
use crate::shape::broadcast_shapes;
use crate::tensor::Tensor;
use half::f16;

/// Checks that `a` and `b` can be multiplied at all: one device, one dtype, not bool.
fn check_dtypes(op: &str, a: &Tensor, b: &Tensor) -> Result<()> {
    same_device(op, a, b)?;
    if a.dtype() != b.dtype() {
        return Err(Error::msg(format!(
            "{op}: expected both operands to have the same dtype, but got {} and {}; \
             convert one with to_dtype",
            a.dtype(),
            b.dtype()
        )));
    }
    if a.dtype() == DType::Bool {
        return Err(Error::msg(format!(
            "{op}: not supported for bool tensors; convert with to_dtype first"
        )));
    }
    Ok(())
}

/// The error for inner sizes that differ: `matmul: shapes [2, 3] and [4, 5] cannot be
/// multiplied (3 != 4)`.
fn cannot_multiply(op: &str, a: &Tensor, b: &Tensor, ka: usize, kb: usize) -> Error {
    Error::msg(format!(
        "{op}: shapes {:?} and {:?} cannot be multiplied ({ka} != {kb})",
        a.shape(),
        b.shape()
    ))
}

/// The error for an operand with the wrong number of dims.
fn wrong_dims(op: &str, expected: &str, a: &Tensor, b: &Tensor) -> Error {
    Error::msg(format!(
        "{op}: expected {expected}, but got shapes {:?} and {:?}",
        a.shape(),
        b.shape()
    ))
}

/// `a @ b` without autograd for operands of at least two dims and equal inner sizes; batch dims
/// broadcast.
fn forward(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if let Some(out) = folded_forward(a, b) {
        return Ok(out);
    }
    let (na, nb) = (a.dim(), b.dim());
    let batch = broadcast_shapes("matmul", &a.shape()[..na - 2], &b.shape()[..nb - 2])?;
    let with_batch = |t: &Tensor, nd: usize| {
        let shape = [&batch[..], &t.shape()[nd - 2..]].concat();
        t.broadcast_view(&shape)
    };
    let (a, b) = (with_batch(a, na), with_batch(b, nb));
    Ok(match a.dtype() {
        DType::F32 => batched_matmul::<f32>(&a, &b),
        DType::F64 => batched_matmul::<f64>(&a, &b),
        DType::F16 => batched_matmul::<f16>(&a, &b),
        DType::BF16 => no_grad(|| {
            let f = |t: &Tensor| t.to_dtype(DType::F32);
            batched_matmul::<f32>(&f(&a), &f(&b)).to_dtype(DType::BF16)
        }),
        DType::U8 => batched_matmul::<u8>(&a, &b),
        DType::I8 => batched_matmul::<i8>(&a, &b),
        DType::I32 => batched_matmul::<i32>(&a, &b),
        DType::I64 => batched_matmul::<i64>(&a, &b),
        DType::Bool => unreachable!("bool refused by check_dtypes"),
    })
}

/// `[batch.., m, k] @ [k, n]` as one `[batch * m, k] @ [k, n]` product, when `a`'s leading
/// dims merge into one without a copy (one large product runs faster than many small ones).
fn folded_forward(a: &Tensor, b: &Tensor) -> Option<Tensor> {
    if b.dim() != 2 || a.dim() <= 2 {
        return None;
    }
    let k = a.shape()[a.dim() - 1];
    let rows = a.numel().checked_div(k)?;
    let flat = a.layout().reshape_view(&[rows, k])?;
    let out = forward(&a.with_layout(flat), b).ok()?;
    let mut shape = a.shape().to_vec();
    *shape.last_mut()? = b.shape()[1];
    Some(out.with_layout(Layout::contiguous(&shape)))
}

/// The differentiable core: `a @ b` for operands of at least two dims whose inner sizes agree,
/// batch dims broadcast, recorded as `grad_name`.
fn product(a: &Tensor, b: &Tensor, grad_name: &'static str) -> Result<Tensor> {
    let out = forward(a, b)?;
    if !out.dtype().is_float() {
        return Ok(out);
    }
    let (sa, sb) = (a.clone(), b.clone());
    Ok(Record::new(grad_name, &[a, b])
        .save(&[a, b])
        .finish(out, move |ctx| {
            let g = ctx.grad();
            let grad_a = ctx
                .needs(0)
                .then(|| product_like(&sa, g, &sb.mt()).sum_to(sa.shape()));
            let grad_b = ctx
                .needs(1)
                .then(|| product_like(&sb, &sa.mt(), g).sum_to(sb.shape()));
            vec![grad_a, grad_b]
        }))
}

/// `x @ y`, laid out in memory like `operand` (whose gradient it is): when `operand` is a
/// transposed view (its columns contiguous, as `weight.t()` in [`linear`]), the product is
/// computed as `(y^T @ x^T)^T`, so that the gradient reaching the untransposed tensor is
/// contiguous and its `.grad` needs no transposing copy (16% of the MLP training step under
/// perf before).
fn product_like(operand: &Tensor, x: &Tensor, y: &Tensor) -> Tensor {
    if is_column_major(operand) {
        y.mt().matmul(&x.mt()).mt()
    } else {
        x.matmul(y)
    }
}

/// Whether the last two dims of `t` are stored column by column (a transposed matrix).
fn is_column_major(t: &Tensor) -> bool {
    let nd = t.dim();
    nd >= 2 && t.shape()[nd - 1] > 1 && t.shape()[nd - 2] > 1 && t.strides()[nd - 2] == 1
}

impl Tensor {
    /// The last two dims swapped (a view).
    fn mt(&self) -> Tensor {
        self.transpose(-2, -1)
    }

    /// Matrix product with `torch.matmul` semantics: 1-D · 1-D is a 0-d dot product; a 1-D
    /// first operand is a row (`[k] @ [k, n] -> [n]`), a 1-D second operand a column
    /// (`[m, k] @ [k] -> [m]`); more dims are batches of matrices whose batch dims broadcast
    /// (`[2, 1, 3, 4] @ [5, 4, 2] -> [2, 5, 3, 2]`). Both operands must have one dtype (any but
    /// Bool; integers multiply with wrapping, as PyTorch's CPU kernels).
    ///
    /// ```
    /// use firebrand::tensor;
    /// let a = tensor!([[1.0, 2.0], [3.0, 4.0]]);
    /// let b = tensor!([[5.0, 6.0], [7.0, 8.0]]);
    /// assert_eq!(a.matmul(&b).to_vec::<f32>(), vec![19.0, 22.0, 43.0, 50.0]);
    /// assert_eq!(a.matmul(&tensor!([1.0, 1.0])).to_vec::<f32>(), vec![3.0, 7.0]);
    /// ```
    #[track_caller]
    pub fn matmul(&self, other: &Tensor) -> Tensor {
        or_panic(self.try_matmul(other))
    }

    /// [`Tensor::matmul`] returning an error instead of panicking.
    ///
    /// ```
    /// use firebrand::{DType, Tensor};
    /// let err = Tensor::zeros([2, 3], DType::F32).try_matmul(&Tensor::zeros([4, 5], DType::F32));
    /// assert_eq!(
    ///     err.unwrap_err().to_string(),
    ///     "matmul: shapes [2, 3] and [4, 5] cannot be multiplied (3 != 4)"
    /// );
    /// ```
    pub fn try_matmul(&self, other: &Tensor) -> Result<Tensor> {
        let (a, b) = (self, other);
        check_dtypes("matmul", a, b)?;
        if a.dim() == 0 || b.dim() == 0 {
            return Err(Error::msg(format!(
                "matmul: both arguments to matmul need to be at least 1D, but they are {}D and \
                 {}D; use mul for a product with a scalar",
                a.dim(),
                b.dim()
            )));
        }
        let ka = a.shape()[a.dim() - 1];
        let kb = b.shape()[b.dim().saturating_sub(2)];
        if ka != kb {
            return Err(cannot_multiply("matmul", a, b, ka, kb));
        }
        let grad_name = if a.dim() <= 2 && b.dim() <= 2 {
            "MmBackward0"
        } else {
            "BmmBackward0"
        };
        match (a.dim(), b.dim()) {
            (1, 1) => a.try_dot(b),
            (1, _) => Ok(product(&a.unsqueeze(0), b, grad_name)?.squeeze(-2)),
            (_, 1) => Ok(product(a, &b.unsqueeze(1), grad_name)?.squeeze(-1)),
            _ => product(a, b, grad_name),
        }
    }

    /// Product of two matrices (2-D only; use [`Tensor::matmul`] for vectors and batches).
    ///
    /// ```
    /// use firebrand::tensor;
    /// let a = tensor!([[1.0, 2.0, 3.0]]);
    /// let b = tensor!([[1.0], [0.0], [-1.0]]);
    /// assert_eq!(a.mm(&b).to_vec::<f32>(), vec![-2.0]);
    /// ```
    #[track_caller]
    pub fn mm(&self, other: &Tensor) -> Tensor {
        or_panic(self.try_mm(other))
    }

    /// [`Tensor::mm`] returning an error instead of panicking.
    ///
    /// ```
    /// use firebrand::{DType, Tensor};
    /// assert!(Tensor::zeros([3], DType::F32).try_mm(&Tensor::zeros([3, 2], DType::F32)).is_err());
    /// ```
    pub fn try_mm(&self, other: &Tensor) -> Result<Tensor> {
        check_dtypes("mm", self, other)?;
        if self.dim() != 2 || other.dim() != 2 {
            return Err(wrong_dims(
                "mm",
                "two 2-D matrices (use matmul for other shapes)",
                self,
                other,
            ));
        }
        let (ka, kb) = (self.shape()[1], other.shape()[0]);
        if ka != kb {
            return Err(Error::msg(format!(
                "mm: mat1 and mat2 shapes cannot be multiplied ({}x{} and {}x{})",
                self.shape()[0],
                ka,
                kb,
                other.shape()[1]
            )));
        }
        product(self, other, "MmBackward0")
    }

    /// Batched matrix product: `[b, m, k] @ [b, k, n] -> [b, m, n]`, equal batch sizes (no
    /// broadcasting; use [`Tensor::matmul`] for that).
    ///
    /// ```
    /// use firebrand::{DType, Tensor};
    /// let a = Tensor::ones([2, 1, 3], DType::F64);
    /// let b = Tensor::ones([2, 3, 4], DType::F64);
    /// let c = a.bmm(&b);
    /// assert_eq!(c.shape(), &[2, 1, 4]);
    /// assert_eq!(c.to_vec::<f64>(), vec![3.0; 8]);
    /// ```
    #[track_caller]
    pub fn bmm(&self, other: &Tensor) -> Tensor {
        or_panic(self.try_bmm(other))
    }

    /// [`Tensor::bmm`] returning an error instead of panicking.
    ///
    /// ```
    /// use firebrand::{DType, Tensor};
    /// let a = Tensor::ones([2, 1, 3], DType::F32);
    /// assert!(a.try_bmm(&Tensor::ones([3, 3, 4], DType::F32)).is_err());
    /// ```
    pub fn try_bmm(&self, other: &Tensor) -> Result<Tensor> {
        check_dtypes("bmm", self, other)?;
        if self.dim() != 3 || other.dim() != 3 {
            return Err(wrong_dims(
                "bmm",
                "two 3-D tensors (batches of matrices)",
                self,
                other,
            ));
        }
        let (sa, sb) = (self.shape(), other.shape());
        if sa[0] != sb[0] || sa[2] != sb[1] {
            return Err(Error::msg(format!(
                "bmm: expected size for first two dimensions of batch2 tensor to be: [{}, {}] \
                 but got: [{}, {}] (batch1 has shape {sa:?}, batch2 {sb:?})",
                sa[0], sa[2], sb[0], sb[1]
            )));
        }
        product(self, other, "BmmBackward0")
    }

    /// Dot product of two 1-D tensors of equal length: a 0-d tensor.
    ///
    /// ```
    /// use firebrand::tensor;
    /// let d = tensor!([1.0, 2.0, 3.0]).dot(&tensor!([4.0, 5.0, 6.0]));
    /// assert_eq!(d.shape(), &[] as &[usize]);
    /// assert_eq!(d.item::<f32>(), 32.0);
    /// ```
    #[track_caller]
    pub fn dot(&self, other: &Tensor) -> Tensor {
        or_panic(self.try_dot(other))
    }

    /// [`Tensor::dot`] returning an error instead of panicking.
    ///
    /// ```
    /// use firebrand::tensor;
    /// assert!(tensor!([1.0, 2.0]).try_dot(&tensor!([1.0, 2.0, 3.0])).is_err());
    /// ```
    pub fn try_dot(&self, other: &Tensor) -> Result<Tensor> {
        let (a, b) = (self, other);
        check_dtypes("dot", a, b)?;
        if a.dim() != 1 || b.dim() != 1 {
            return Err(Error::msg(format!(
                "dot: 1D tensors expected, but got {}D and {}D tensors",
                a.dim(),
                b.dim()
            )));
        }
        if a.numel() != b.numel() {
            return Err(Error::msg(format!(
                "dot: inconsistent tensor size, expected tensor {:?} and src {:?} to have the same \
                 number of elements, but got {} and {} elements respectively",
                a.shape(),
                b.shape(),
                a.numel(),
                b.numel()
            )));
        }
        let out = no_grad(|| forward(&a.unsqueeze(0), &b.unsqueeze(1)))?;
        let out = out.with_layout(Layout::contiguous(&[]));
        if !out.dtype().is_float() {
            return Ok(out);
        }
        let (sa, sb) = (a.clone(), b.clone());
        Ok(Record::new("DotBackward0", &[a, b])
            .save(&[a, b])
            .finish(out, move |ctx| {
                let g = ctx.grad();
                vec![ctx.needs(0).then(|| g * &sb), ctx.needs(1).then(|| g * &sa)]
            }))
    }

    /// Outer product of two 1-D tensors: `out[i, j] = a[i] * b[j]` (dtypes promote as in `mul`).
    ///
    /// ```
    /// use firebrand::tensor;
    /// let o = tensor!([1.0, 2.0]).outer(&tensor!([1.0, 10.0, 100.0]));
    /// assert_eq!(o.shape(), &[2, 3]);
    /// assert_eq!(o.to_vec::<f32>(), vec![1.0, 10.0, 100.0, 2.0, 20.0, 200.0]);
    /// ```
    #[track_caller]
    pub fn outer(&self, other: &Tensor) -> Tensor {
        or_panic(self.try_outer(other))
    }

    /// [`Tensor::outer`] returning an error instead of panicking.
    ///
    /// ```
    /// use firebrand::{DType, Tensor};
    /// assert!(Tensor::ones([2, 2], DType::F32).try_outer(&Tensor::ones([2], DType::F32)).is_err());
    /// ```
    pub fn try_outer(&self, other: &Tensor) -> Result<Tensor> {
        if self.dim() != 1 || other.dim() != 1 {
            return Err(Error::msg(format!(
                "outer: expected 1-D tensors, but got shapes {:?} and {:?}; flatten them first",
                self.shape(),
                other.shape()
            )));
        }
        self.unsqueeze(1).try_mul(&other.unsqueeze(0))
    }
}

/// `input @ weight^T + bias`, PyTorch's `F.linear`: `input` is `[.., in]`, `weight` is
/// `[out, in]`, `bias` is `[out]`; the result is `[.., out]`.
///
/// ```
/// use firebrand::nn::functional as F;
/// use firebrand::tensor;
/// let x = tensor!([[1.0, 2.0]]);
/// let w = tensor!([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]]);
/// let y = F::linear(&x, &w, Some(&tensor!([0.5, 0.5, 0.5])));
/// assert_eq!(y.to_vec::<f32>(), vec![1.5, 3.5, 4.5]);
/// ```
#[track_caller]
pub fn linear(input: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Tensor {
    or_panic(try_linear(input, weight, bias))
}

/// [`linear`] returning an error (mismatched sizes) instead of panicking.
///
/// ```
/// use firebrand::nn::functional as F;
/// use firebrand::tensor;
/// let err = F::try_linear(&tensor!([[1.0, 2.0]]), &tensor!([[1.0, 2.0, 3.0]]), None).unwrap_err();
/// assert!(err.to_string().contains("linear"));
/// ```
pub fn try_linear(input: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
    if weight.dim() != 2 || input.dim() == 0 || input.shape()[input.dim() - 1] != weight.shape()[1]
    {
        return Err(Error::msg(format!(
            "linear: expected input [.., in] and weight [out, in], but got input {:?} and \
             weight {:?}",
            input.shape(),
            weight.shape()
        )));
    }
    let out = input.try_matmul(&weight.t())?;
    match bias {
        Some(b) if b.shape() != [weight.shape()[0]] => Err(Error::msg(format!(
            "linear: expected bias of shape [{}], but got {:?}",
            weight.shape()[0],
            b.shape()
        ))),
        Some(b) => out.try_add(b),
        None => Ok(out),
    }
}
