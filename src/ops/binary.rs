//! Binary elementwise ops with broadcasting and PyTorch's type promotion: arithmetic,
//! comparisons, `where_`, `masked_fill`, and the operators `+ - * /` on tensors and numbers.

use crate::autograd::{BackwardCtx, Record};
use crate::backend::cpu;
use crate::dtype::{DType, Element, Priority, result_type};
use crate::error::{Error, Result, or_panic};
use crate::shape::broadcast_shapes;
use crate::tensor::Tensor;
use half::{bf16, f16};

/// What a binary op computes in, and returns.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Promote {
    /// The promoted dtype (`torch.result_type`).
    Common,
    /// The promoted dtype, but integers become F32 (true division).
    Float,
}

/// One binary arithmetic op.
pub(crate) trait BinaryOp: Clone + Send + Sync + 'static {
    const NAME: &'static str;
    const GRAD_NAME: &'static str;
    const PROMOTE: Promote;
    fn f32(&self, a: f32, b: f32) -> f32;
    fn f64(&self, a: f64, b: f64) -> f64;
    /// Integer form (wrapping); `None` when the op has no integer meaning here.
    fn int(&self, a: i64, b: i64) -> Option<i64>;
    /// Bool form (`add` is `or`, `mul` is `and`); `None` refuses bool.
    fn bool(&self, _a: bool, _b: bool) -> Option<bool> {
        None
    }
    /// Gradients for (a, b) before reduction to their shapes.
    fn derivative(&self, a: &Tensor, b: &Tensor, ctx: &BackwardCtx) -> [Option<Tensor>; 2];
}

/// The priority a tensor's dtype has in `torch.result_type`.
pub(crate) fn priority(t: &Tensor) -> Priority {
    if t.dim() == 0 {
        Priority::ZeroDim
    } else {
        Priority::Dimensioned
    }
}

/// Checks that `a` and `b` are on one device.
pub(crate) fn same_device(op: &str, a: &Tensor, b: &Tensor) -> Result<()> {
    if a.device() != b.device() {
        return Err(Error::msg(format!(
            "{op}: expected all tensors to be on the same device, but found {} and {}; \
             move one with to_device",
            a.device(),
            b.device()
        )));
    }
    Ok(())
}

/// Both operands cast to `dtype` and broadcast to one shape (views, no copies of equal shapes).
pub(crate) fn prepare(op: &str, a: &Tensor, b: &Tensor, dtype: DType) -> Result<(Tensor, Tensor)> {
    same_device(op, a, b)?;
    if a.shape() == b.shape() && a.dtype() == dtype && b.dtype() == dtype {
        // Nothing to cast or broadcast (the common case): no new layout, no allocation.
        return Ok((a.clone(), b.clone()));
    }
    let shape = broadcast_shapes(op, a.shape(), b.shape())?;
    let cast = |t: &Tensor| crate::autograd::no_grad(|| t.to_dtype(dtype));
    let (a, b) = (cast(a), cast(b));
    Ok((a.broadcast_view(&shape), b.broadcast_view(&shape)))
}

/// Applies `op` with broadcasting, promotion, and its autograd record.
pub(crate) fn apply<O: BinaryOp>(a: &Tensor, b: &Tensor, op: O) -> Result<Tensor> {
    let dtype = result_dtype::<O>(a, b);
    let (ca, cb) = prepare(O::NAME, a, b, dtype)?;
    let out = forward(&ca, &cb, &op, dtype)?;
    if !dtype.is_float() || !Record::is_needed(&[a, b]) {
        return Ok(out);
    }
    let (sa, sb) = (a.clone(), b.clone());
    let saved: &[&Tensor] = if derivative_reads_inputs(O::NAME) {
        &[a, b]
    } else {
        &[]
    };
    Ok(Record::new(O::GRAD_NAME, &[a, b])
        .save(saved)
        .finish(out, move |ctx| {
            let [ga, gb] = op.derivative(&sa, &sb, ctx);
            vec![
                ga.map(|g| reduce_grad(&g, &sa)),
                gb.map(|g| reduce_grad(&g, &sb)),
            ]
        }))
}

/// False for ops whose derivative uses only the inputs' shapes and dtypes (add, sub), so
/// changing an input in place afterwards does not invalidate the graph (as in PyTorch).
fn derivative_reads_inputs(op: &str) -> bool {
    !matches!(op, "add" | "sub")
}

/// A gradient brought back to an input's shape (summing broadcast dims) and dtype.
pub(crate) fn reduce_grad(g: &Tensor, input: &Tensor) -> Tensor {
    let g = g.sum_to(input.shape());
    if g.dtype() == input.dtype() {
        g
    } else {
        g.to_dtype(input.dtype())
    }
}

fn forward<O: BinaryOp>(a: &Tensor, b: &Tensor, op: &O, dtype: DType) -> Result<Tensor> {
    check_dtype(op, dtype)?;
    Ok(match dtype {
        DType::F32 => cpu::zip(a, b, |x: f32, y: f32| op.f32(x, y)),
        DType::F64 => cpu::zip(a, b, |x: f64, y: f64| op.f64(x, y)),
        DType::F16 => cpu::zip(a, b, |x: f16, y: f16| {
            f16::from_f32(op.f32(x.to_f32(), y.to_f32()))
        }),
        DType::BF16 => cpu::zip(a, b, |x: bf16, y: bf16| {
            bf16::from_f32(op.f32(x.to_f32(), y.to_f32()))
        }),
        DType::Bool => cpu::zip(a, b, |x: bool, y: bool| op.bool(x, y).unwrap_or_default()),
        _ => crate::with_dtype!(dtype, T => cpu::zip(a, b, |x: T, y: T| {
            T::from_i64(op.int(x.to_i64(), y.to_i64()).unwrap_or_default())
        })),
    })
}

/// `dst = op(dst, src)` written straight into `dst`'s buffer, with no temporary: the path of
/// `add_`, `sub_`, `mul_` and `div_` when autograd does not record. The caller has checked
/// that `src` broadcasts to `dst` and that the op's result dtype is `dst`'s.
pub(crate) fn apply_in_place<O: BinaryOp>(dst: &Tensor, src: &Tensor, op: &O) -> Result<()> {
    let dtype = dst.dtype();
    check_dtype(op, dtype)?;
    let src = crate::autograd::no_grad(|| src.to_dtype(dtype)).broadcast_view(dst.shape());
    match dtype {
        DType::F32 => cpu::update(dst, &src, |x: f32, y: f32| op.f32(x, y)),
        DType::F64 => cpu::update(dst, &src, |x: f64, y: f64| op.f64(x, y)),
        DType::F16 => cpu::update(dst, &src, |x: f16, y: f16| {
            f16::from_f32(op.f32(x.to_f32(), y.to_f32()))
        }),
        DType::BF16 => cpu::update(dst, &src, |x: bf16, y: bf16| {
            bf16::from_f32(op.f32(x.to_f32(), y.to_f32()))
        }),
        DType::Bool => cpu::update(dst, &src, |x: bool, y: bool| {
            op.bool(x, y).unwrap_or_default()
        }),
        _ => crate::with_dtype!(dtype, T => cpu::update(dst, &src, |x: T, y: T| {
            T::from_i64(op.int(x.to_i64(), y.to_i64()).unwrap_or_default())
        })),
    }
    Ok(())
}

/// The result dtype `op` gives for operands `a` and `b` (`torch.result_type`, then true
/// division's promotion of integers to F32).
pub(crate) fn result_dtype<O: BinaryOp>(a: &Tensor, b: &Tensor) -> DType {
    let dtype = result_type(&[(a.dtype(), priority(a)), (b.dtype(), priority(b))]);
    match O::PROMOTE {
        Promote::Float => dtype.to_float(),
        Promote::Common => dtype,
    }
}

/// Refuses a dtype the op has no meaning for (bool for `sub`, integers for some ops).
fn check_dtype<O: BinaryOp>(op: &O, dtype: DType) -> Result<()> {
    let refused = match dtype {
        DType::Bool => op.bool(false, false).is_none(),
        d if d.is_float() => false,
        _ => op.int(1, 1).is_none(),
    };
    if !refused {
        return Ok(());
    }
    let what = if dtype == DType::Bool {
        "bool tensors".to_string()
    } else {
        format!("integer tensors ({dtype})")
    };
    Err(Error::msg(format!(
        "{}: not supported for {what}; convert with to_dtype first",
        O::NAME
    )))
}

/// Defines a binary arithmetic op struct.
macro_rules! binary_op {
    (
        $ty:ident, $name:literal, $grad:literal, $promote:ident,
        |$a:ident, $b:ident| $f:expr,
        int |$ai:ident, $bi:ident| $fi:expr,
        bool |$ab:ident, $bb:ident| $fb:expr,
        d |$da:ident, $db:ident, $ctx:ident| $d:expr
    ) => {
        #[derive(Clone, Copy)]
        pub(crate) struct $ty;
        impl BinaryOp for $ty {
            const NAME: &'static str = $name;
            const GRAD_NAME: &'static str = $grad;
            const PROMOTE: Promote = Promote::$promote;
            #[inline]
            fn f32(&self, $a: f32, $b: f32) -> f32 {
                $f
            }
            #[inline]
            fn f64(&self, $a: f64, $b: f64) -> f64 {
                $f
            }
            #[inline]
            #[allow(unused_variables)]
            fn int(&self, $ai: i64, $bi: i64) -> Option<i64> {
                $fi
            }
            #[inline]
            #[allow(unused_variables)]
            fn bool(&self, $ab: bool, $bb: bool) -> Option<bool> {
                $fb
            }
            #[allow(unused_variables)]
            fn derivative(
                &self,
                $da: &Tensor,
                $db: &Tensor,
                $ctx: &BackwardCtx,
            ) -> [Option<Tensor>; 2] {
                $d
            }
        }
    };
}

binary_op!(
    AddOp,
    "add",
    "AddBackward0",
    Common,
    |a, b| a + b,
    int | a,
    b | Some(a.wrapping_add(b)),
    bool | a,
    b | Some(a || b),
    d | a,
    b,
    c | [Some(c.grad().clone()), Some(c.grad().clone())]
);
binary_op!(
    SubOp,
    "sub",
    "SubBackward0",
    Common,
    |a, b| a - b,
    int | a,
    b | Some(a.wrapping_sub(b)),
    bool | a,
    b | None,
    d | a,
    b,
    c | [Some(c.grad().clone()), Some(-c.grad())]
);
binary_op!(
    MulOp,
    "mul",
    "MulBackward0",
    Common,
    |a, b| a * b,
    int | a,
    b | Some(a.wrapping_mul(b)),
    bool | a,
    b | Some(a && b),
    d | a,
    b,
    c | [
        c.needs(0).then(|| c.grad() * b),
        c.needs(1).then(|| c.grad() * a),
    ]
);
binary_op!(
    DivOp,
    "div",
    "DivBackward0",
    Float,
    |a, b| a / b,
    int | a,
    b | None,
    bool | a,
    b | None,
    d | a,
    b,
    c | [
        c.needs(0).then(|| c.grad() / b),
        c.needs(1).then(|| -(c.grad() * a / &b.square())),
    ]
);
binary_op!(
    PowOp,
    "pow",
    "PowBackward1",
    Common,
    |a, b| a.powf(b),
    int | a,
    b | int_pow(a, b),
    bool | a,
    b | None,
    d | a,
    b,
    c | [
        c.needs(0).then(|| {
            // b * a^(b-1), with 0 where b == 0 (PyTorch's masking).
            let d = b * &a.pow(&(b - 1.0));
            c.grad() * &d.masked_fill(&b.eq_scalar(0.0), 0.0)
        }),
        c.needs(1).then(|| {
            // a^b * ln(a), with 0 where a == 0 and b >= 0.
            let d = a.pow(b) * a.log();
            let at_zero = a.eq_scalar(0.0).logical_and(&b.ge_scalar(0.0));
            c.grad() * &d.masked_fill(&at_zero, 0.0)
        }),
    ]
);
binary_op!(
    MaximumOp,
    "maximum",
    "MaximumBackward0",
    Common,
    |a, b| if a.is_nan() || b.is_nan() {
        a + b
    } else if a > b {
        a
    } else {
        b
    },
    int | a,
    b | Some(a.max(b)),
    bool | a,
    b | Some(a || b),
    d | a,
    b,
    c | extremum_grads(a, b, c, true)
);
binary_op!(
    MinimumOp,
    "minimum",
    "MinimumBackward0",
    Common,
    |a, b| if a.is_nan() || b.is_nan() {
        a + b
    } else if a < b {
        a
    } else {
        b
    },
    int | a,
    b | Some(a.min(b)),
    bool | a,
    b | Some(a && b),
    d | a,
    b,
    c | extremum_grads(a, b, c, false)
);

/// Integer power: refuses negative exponents, as PyTorch.
fn int_pow(a: i64, b: i64) -> Option<i64> {
    if b < 0 {
        // 1 and -1 have integer powers; PyTorch errors for other bases. We give 0, as C's
        // integer division would, since the kernel cannot fail per element.
        return Some(match a {
            1 => 1,
            -1 => {
                if b % 2 == 0 {
                    1
                } else {
                    -1
                }
            }
            _ => 0,
        });
    }
    Some(a.wrapping_pow(b.min(u32::MAX as i64) as u32))
}

/// maximum/minimum: the gradient goes to the winner, split in half on ties.
fn extremum_grads(a: &Tensor, b: &Tensor, c: &BackwardCtx, max: bool) -> [Option<Tensor>; 2] {
    let g = c.grad();
    let half = Tensor::where_(&a.eq(b), &(g * 0.5), g);
    let (a_loses, b_loses) = if max {
        (a.lt(b), a.gt(b))
    } else {
        (a.gt(b), a.lt(b))
    };
    [
        c.needs(0).then(|| half.masked_fill(&a_loses, 0.0)),
        c.needs(1).then(|| half.masked_fill(&b_loses, 0.0)),
    ]
}

/// A comparison: both operands promoted to one dtype, the result Bool.
#[derive(Clone, Copy)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn name(self) -> &'static str {
        match self {
            Cmp::Eq => "eq",
            Cmp::Ne => "ne",
            Cmp::Lt => "lt",
            Cmp::Le => "le",
            Cmp::Gt => "gt",
            Cmp::Ge => "ge",
        }
    }

    #[inline]
    fn test<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
        }
    }
}

fn compare(a: &Tensor, b: &Tensor, cmp: Cmp) -> Result<Tensor> {
    let dtype = result_type(&[(a.dtype(), priority(a)), (b.dtype(), priority(b))]);
    let (a, b) = prepare(cmp.name(), a, b, dtype)?;
    Ok(crate::with_dtype!(dtype, T => cpu::zip(&a, &b, |x: T, y: T| cmp.test(x, y))))
}

/// The 0-d tensor a Rust number becomes next to `t`, in the dtype PyTorch's promotion gives.
pub(crate) fn scalar_operand(t: &Tensor, value: f64) -> Tensor {
    let dtype = result_type(&[(t.dtype(), priority(t)), (DType::F32, Priority::Scalar)]);
    Tensor::full((), value, dtype)
}

/// The public methods of a binary op: the panicking form, its `try_` twin and the form with a
/// number; `$run` is the dispatch (`apply` for arithmetic, `compare` for comparisons).
macro_rules! binary_methods {
    ($run:ident; $($(#[$doc:meta])* $name:ident, $try_name:ident, $scalar:ident, $op:expr;)*) => {
        impl Tensor {
            $(
                $(#[$doc])*
                #[track_caller]
                pub fn $name(&self, other: &Tensor) -> Tensor {
                    or_panic(self.$try_name(other))
                }

                #[doc = concat!("[`Tensor::", stringify!($name), "`] returning an error instead of panicking.")]
                pub fn $try_name(&self, other: &Tensor) -> Result<Tensor> {
                    $run(self, other, $op)
                }

                #[doc = concat!("[`Tensor::", stringify!($name), "`] with a number (which does not widen the tensor's dtype).")]
                #[track_caller]
                pub fn $scalar(&self, value: f64) -> Tensor {
                    or_panic($run(self, &scalar_operand(self, value), $op))
                }
            )*
        }
    };
}

binary_methods! {
    apply;
    /// Elementwise sum with broadcasting.
    /// ```
    /// let a = firebrand::tensor!([[1.0, 2.0], [3.0, 4.0]]);
    /// assert_eq!(a.add(&firebrand::tensor!([10.0, 20.0])).to_vec::<f32>(), vec![11.0, 22.0, 13.0, 24.0]);
    /// ```
    add, try_add, add_scalar, AddOp;
    /// Elementwise difference with broadcasting.
    /// ```
    /// assert_eq!(firebrand::tensor!([3, 4]).sub(&firebrand::tensor!([1, 1])).to_vec::<i64>(), vec![2, 3]);
    /// ```
    sub, try_sub, sub_scalar, SubOp;
    /// Elementwise product with broadcasting.
    /// ```
    /// assert_eq!(firebrand::tensor!([2.0, 3.0]).mul(&firebrand::tensor!([4.0])).to_vec::<f32>(), vec![8.0, 12.0]);
    /// ```
    mul, try_mul, mul_scalar, MulOp;
    /// True division with broadcasting (integers give F32).
    /// ```
    /// assert_eq!(firebrand::tensor!([1, 3]).div(&firebrand::tensor!([2])).to_vec::<f32>(), vec![0.5, 1.5]);
    /// ```
    div, try_div, div_scalar, DivOp;
    /// Elementwise power with broadcasting.
    /// ```
    /// assert_eq!(firebrand::tensor!([2.0, 3.0]).pow(&firebrand::tensor!([3.0, 2.0])).to_vec::<f32>(), vec![8.0, 9.0]);
    /// ```
    pow, try_pow, pow_scalar, PowOp;
    /// Elementwise maximum (NaN propagates).
    /// ```
    /// assert_eq!(firebrand::tensor!([1, 5]).maximum(&firebrand::tensor!([3, 2])).to_vec::<i64>(), vec![3, 5]);
    /// ```
    maximum, try_maximum, maximum_scalar, MaximumOp;
    /// Elementwise minimum (NaN propagates).
    /// ```
    /// assert_eq!(firebrand::tensor!([1, 5]).minimum(&firebrand::tensor!([3, 2])).to_vec::<i64>(), vec![1, 2]);
    /// ```
    minimum, try_minimum, minimum_scalar, MinimumOp;
}

binary_methods! {
    compare;
    /// `self == other` elementwise, as a Bool tensor.
    /// ```
    /// assert_eq!(firebrand::tensor!([1, 2]).eq(&firebrand::tensor!([1, 3])).to_vec::<bool>(), vec![true, false]);
    /// ```
    eq, try_eq, eq_scalar, Cmp::Eq;
    /// `self != other` elementwise.
    /// ```
    /// assert_eq!(firebrand::tensor!([1, 2]).ne(&firebrand::tensor!([1, 3])).to_vec::<bool>(), vec![false, true]);
    /// ```
    ne, try_ne, ne_scalar, Cmp::Ne;
    /// `self < other` elementwise.
    /// ```
    /// assert_eq!(firebrand::tensor!([1.0, 2.0]).lt(&firebrand::tensor!([2.0])).to_vec::<bool>(), vec![true, false]);
    /// ```
    lt, try_lt, lt_scalar, Cmp::Lt;
    /// `self <= other` elementwise.
    /// ```
    /// assert_eq!(firebrand::tensor!([1.0, 2.0]).le(&firebrand::tensor!([1.0])).to_vec::<bool>(), vec![true, false]);
    /// ```
    le, try_le, le_scalar, Cmp::Le;
    /// `self > other` elementwise.
    /// ```
    /// assert_eq!(firebrand::tensor!([1.0, 2.0]).gt(&firebrand::tensor!([1.0])).to_vec::<bool>(), vec![false, true]);
    /// ```
    gt, try_gt, gt_scalar, Cmp::Gt;
    /// `self >= other` elementwise.
    /// ```
    /// assert_eq!(firebrand::tensor!([1.0, 2.0]).ge(&firebrand::tensor!([2.0])).to_vec::<bool>(), vec![false, true]);
    /// ```
    ge, try_ge, ge_scalar, Cmp::Ge;
}

impl Tensor {
    /// Elementwise logical and of two tensors (any dtype; nonzero is true).
    ///
    /// ```
    /// let a = firebrand::tensor!([true, true]);
    /// assert_eq!(a.logical_and(&firebrand::tensor!([true, false])).to_vec::<bool>(), vec![true, false]);
    /// ```
    #[track_caller]
    pub fn logical_and(&self, other: &Tensor) -> Tensor {
        let (a, b) = or_panic(prepare("logical_and", self, other, DType::Bool));
        cpu::zip(&a, &b, |x: bool, y: bool| x && y)
    }

    /// Elementwise logical not (nonzero is true).
    ///
    /// ```
    /// assert_eq!(firebrand::tensor!([1, 0]).logical_not().to_vec::<bool>(), vec![false, true]);
    /// ```
    pub fn logical_not(&self) -> Tensor {
        let b = crate::autograd::no_grad(|| self.to_dtype(DType::Bool));
        cpu::map(&b, |x: bool| !x)
    }

    /// Picks `a` where `cond` is true and `b` elsewhere, broadcasting all three.
    ///
    /// ```
    /// use firebrand::{tensor, Tensor};
    /// let c = tensor!([true, false]);
    /// let y = Tensor::where_(&c, &tensor!([1.0, 2.0]), &tensor!([9.0]));
    /// assert_eq!(y.to_vec::<f32>(), vec![1.0, 9.0]);
    /// ```
    #[track_caller]
    pub fn where_(cond: &Tensor, a: &Tensor, b: &Tensor) -> Tensor {
        or_panic(Tensor::try_where(cond, a, b))
    }

    /// [`Tensor::where_`] returning an error instead of panicking.
    ///
    /// ```
    /// use firebrand::{tensor, Tensor};
    /// assert!(Tensor::try_where(&tensor!([true]), &tensor!([1.0, 2.0]), &tensor!([1.0, 2.0, 3.0])).is_err());
    /// ```
    pub fn try_where(cond: &Tensor, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        if cond.dtype() != DType::Bool {
            return Err(Error::msg(format!(
                "where_: the condition must be a Bool tensor, got {}; compare first (e.g. x.gt(&y))",
                cond.dtype()
            )));
        }
        let dtype = result_type(&[(a.dtype(), priority(a)), (b.dtype(), priority(b))]);
        same_device("where_", cond, a)?;
        let ab = broadcast_shapes("where_", a.shape(), b.shape())?;
        let shape = broadcast_shapes("where_", cond.shape(), &ab)?;
        let (ca, cb) = prepare("where_", a, b, dtype)?;
        let (c, ca, cb) = (
            cond.broadcast_view(&shape),
            ca.broadcast_view(&shape),
            cb.broadcast_view(&shape),
        );
        let out = crate::with_dtype!(dtype, T => cpu::zip3(&c, &ca, &cb, |m: bool, x: T, y: T| if m { x } else { y }));
        if !dtype.is_float() {
            return Ok(out);
        }
        let (sc, sa, sb) = (cond.clone(), a.clone(), b.clone());
        Ok(
            Record::new("WhereBackward0", &[a, b]).finish(out, move |ctx| {
                let g = ctx.grad();
                let zero = Tensor::zeros_like(g);
                vec![
                    ctx.needs(0)
                        .then(|| reduce_grad(&Tensor::where_(&sc, g, &zero), &sa)),
                    ctx.needs(1)
                        .then(|| reduce_grad(&Tensor::where_(&sc, &zero, g), &sb)),
                ]
            }),
        )
    }

    /// `value` where `mask` is true (mask broadcasts to this tensor's shape).
    ///
    /// ```
    /// let a = firebrand::tensor!([1.0, 2.0, 3.0]);
    /// let y = a.masked_fill(&firebrand::tensor!([false, true, false]), 0.0);
    /// assert_eq!(y.to_vec::<f32>(), vec![1.0, 0.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn masked_fill(&self, mask: &Tensor, value: f64) -> Tensor {
        or_panic(self.try_masked_fill(mask, value))
    }

    /// [`Tensor::masked_fill`] returning an error instead of panicking.
    ///
    /// ```
    /// let a = firebrand::tensor!([1.0, 2.0]);
    /// assert!(a.try_masked_fill(&firebrand::tensor!([1, 0]), 0.0).is_err());
    /// ```
    pub fn try_masked_fill(&self, mask: &Tensor, value: f64) -> Result<Tensor> {
        if mask.dtype() != DType::Bool {
            return Err(Error::msg(format!(
                "masked_fill: the mask must be a Bool tensor, got {}",
                mask.dtype()
            )));
        }
        let shape = broadcast_shapes("masked_fill", self.shape(), mask.shape())?;
        if shape != self.shape() {
            return Err(Error::msg(format!(
                "masked_fill: the mask of shape {:?} must broadcast to the tensor's shape {:?}",
                mask.shape(),
                self.shape()
            )));
        }
        let fill = Tensor::full((), value, self.dtype());
        let m = mask.broadcast_view(&shape);
        let f = fill.broadcast_view(&shape);
        let out = crate::with_dtype!(self.dtype(), T => cpu::zip3(&m, &f, self, |m: bool, v: T, x: T| if m { v } else { x }));
        if !self.dtype().is_float() {
            return Ok(out);
        }
        let sm = mask.clone();
        Ok(Record::new("MaskedFillBackward0", &[self])
            .finish(out, move |ctx| vec![Some(ctx.grad().masked_fill(&sm, 0.0))]))
    }
}

// ----- operators -------------------------------------------------------------------------------

macro_rules! operator {
    ($trait:ident, $method:ident, $tensor_fn:ident, $scalar_fn:ident, $rev:expr) => {
        impl std::ops::$trait<&Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                Tensor::$tensor_fn(&self, rhs)
            }
        }
        impl std::ops::$trait<Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                Tensor::$tensor_fn(&self, &rhs)
            }
        }
        impl std::ops::$trait<&Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                Tensor::$tensor_fn(&self, rhs)
            }
        }
        impl std::ops::$trait<Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                Tensor::$tensor_fn(&self, &rhs)
            }
        }
        impl std::ops::$trait<f64> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: f64) -> Tensor {
                Tensor::$scalar_fn(&self, rhs)
            }
        }
        impl std::ops::$trait<f64> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: f64) -> Tensor {
                Tensor::$scalar_fn(&self, rhs)
            }
        }
        impl std::ops::$trait<&Tensor> for f64 {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                let lhs = scalar_operand(rhs, self);
                #[allow(clippy::redundant_closure_call)]
                ($rev)(&lhs, rhs)
            }
        }
        impl std::ops::$trait<Tensor> for f64 {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                std::ops::$trait::$method(self, &rhs)
            }
        }
    };
}

operator!(Add, add, add, add_scalar, |l: &Tensor, r: &Tensor| l.add(r));
operator!(Sub, sub, sub, sub_scalar, |l: &Tensor, r: &Tensor| l.sub(r));
operator!(Mul, mul, mul, mul_scalar, |l: &Tensor, r: &Tensor| l.mul(r));
operator!(Div, div, div, div_scalar, |l: &Tensor, r: &Tensor| l.div(r));

impl std::ops::Neg for &Tensor {
    type Output = Tensor;
    #[track_caller]
    fn neg(self) -> Tensor {
        Tensor::neg(self)
    }
}

impl std::ops::Neg for Tensor {
    type Output = Tensor;
    #[track_caller]
    fn neg(self) -> Tensor {
        Tensor::neg(&self)
    }
}
