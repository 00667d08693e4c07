//! Unary elementwise ops. Each op is one small struct holding its name, its scalar function per
//! dtype and its derivative; [`apply`] does the dtype checks, the dispatch and the recording.

use crate::autograd::{BackwardCtx, Record};
use crate::backend::cpu;
use crate::dtype::{DType, Element};
use crate::error::{Error, Result, or_panic};
use crate::storage::StorageElement;
use crate::tensor::Tensor;
use half::{bf16, f16};

/// What a unary op does with integer and bool inputs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Ints {
    /// Computes in the default float dtype (`exp(int)` is F32), as PyTorch.
    ToFloat,
    /// Computes in the integer dtype (`abs`, `neg`, `square`); bool is refused.
    Keep,
    /// The value is its own result (`floor` of an integer).
    Identity,
}

/// One unary elementwise op.
pub(crate) trait UnaryOp: Clone + Send + Sync + 'static {
    /// The public name, used in messages.
    const NAME: &'static str;
    /// PyTorch's grad_fn name.
    const GRAD_NAME: &'static str;
    /// Integer and bool handling.
    const INTS: Ints;
    /// Whether the derivative reads the output (saved then, instead of recomputed).
    const SAVES_OUTPUT: bool = false;
    /// Whether the op is differentiable at all.
    const DIFFERENTIABLE: bool = true;
    /// The vectorised f32 kernel computing the op on contiguous input, if it has one.
    const FAST_F32: Option<cpu::math::F32Fn> = None;
    /// The function in f32 (also used for f16 and bf16).
    fn f32(&self, x: f32) -> f32;
    /// The function in f64.
    fn f64(&self, x: f64) -> f64;
    /// The function on integers (for `Ints::Keep`), wrapping as C does.
    fn int(&self, x: i64) -> i64 {
        x
    }
    /// The gradient with respect to the input `x`, from `ctx.grad()` (and `ctx.output()`).
    fn derivative(&self, x: &Tensor, ctx: &BackwardCtx) -> Tensor;
}

/// Applies `op` to `x`: checks, dispatch by dtype, and the autograd record.
pub(crate) fn apply<O: UnaryOp>(x: &Tensor, op: O) -> Result<Tensor> {
    let out = forward(x, &op)?;
    if !O::DIFFERENTIABLE || !out.dtype().is_float() {
        return Ok(out);
    }
    let inputs = [x];
    let mut record = Record::new(O::GRAD_NAME, &inputs).save(&inputs);
    if O::SAVES_OUTPUT {
        record = record.save_output();
    }
    let saved = x.clone();
    Ok(record.finish(out, move |ctx| vec![Some(op.derivative(&saved, ctx))]))
}

fn forward<O: UnaryOp>(x: &Tensor, op: &O) -> Result<Tensor> {
    Ok(match x.dtype() {
        DType::F32 => match O::FAST_F32 {
            Some(f) => map_f32_kernel(x, f),
            None => cpu::map(x, |v: f32| op.f32(v)),
        },
        DType::F64 => cpu::map(x, |v: f64| op.f64(v)),
        DType::F16 => cpu::map(x, |v: f16| f16::from_f32(op.f32(v.to_f32()))),
        DType::BF16 => cpu::map(x, |v: bf16| bf16::from_f32(op.f32(v.to_f32()))),
        _ => match O::INTS {
            Ints::ToFloat => {
                crate::with_dtype!(x.dtype(), T => cpu::map(x, |v: T| op.f32(v.to_f64() as f32)))
            }
            Ints::Identity => x.contiguous_copy(),
            Ints::Keep if x.dtype() == DType::Bool => {
                return Err(Error::msg(format!(
                    "{}: not supported for bool tensors; convert with to_dtype first",
                    O::NAME
                )));
            }
            Ints::Keep => crate::with_dtype!(x.dtype(), T => {
                cpu::map(x, |v: T| T::from_i64(op.int(v.to_i64())))
            }),
        },
    })
}

/// `f` of every element of the f32 tensor `x` by the vectorised kernel; a view is copied
/// first, so views and copies give the same bits.
fn map_f32_kernel(x: &Tensor, f: cpu::math::F32Fn) -> Tensor {
    let x = crate::autograd::no_grad(|| x.contiguous());
    let out = cpu::contiguous_data::<f32, _>(&x, |src| cpu::math::map_f32(src, f));
    Tensor::from_cpu(f32::into_storage(out), x.shape())
}

/// A mask of `cond` in the dtype of `like` (1 where true, 0 elsewhere).
fn mask_as(cond: Tensor, like: &Tensor) -> Tensor {
    cond.to_dtype(like.dtype())
}

/// Defines a unary op struct without parameters: name, grad name, int policy, function (one
/// expression in `$x`, compiled for f32 and f64), integer function, derivative.
macro_rules! unary_op {
    (
        $(#[$doc:meta])* $ty:ident, $name:literal, $grad:literal, $ints:ident,
        $(saves_output: $saves:literal,)?
        $(differentiable: $diff:literal,)?
        $(fast_f32: $fast:ident,)?
        |$x:ident| $f:expr,
        int |$xi:ident| $fi:expr,
        d |$dx:ident, $ctx:ident| $d:expr
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub(crate) struct $ty;
        impl UnaryOp for $ty {
            const NAME: &'static str = $name;
            const GRAD_NAME: &'static str = $grad;
            const INTS: Ints = Ints::$ints;
            $(const SAVES_OUTPUT: bool = $saves;)?
            $(const DIFFERENTIABLE: bool = $diff;)?
            $(const FAST_F32: Option<cpu::math::F32Fn> = Some(cpu::math::F32Fn::$fast);)?
            #[inline]
            fn f32(&self, $x: f32) -> f32 {
                $f
            }
            #[inline]
            fn f64(&self, $x: f64) -> f64 {
                $f
            }
            #[inline]
            #[allow(unused_variables)]
            fn int(&self, $xi: i64) -> i64 {
                $fi
            }
            #[allow(unused_variables)]
            fn derivative(&self, $dx: &Tensor, $ctx: &BackwardCtx) -> Tensor {
                $d
            }
        }
    };
}

const SQRT_2: f64 = std::f64::consts::SQRT_2;
const FRAC_2_SQRT_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI;
/// sqrt(2 / pi), the constant of the tanh approximation of GELU.
const GELU_K: f64 = 0.797_884_560_802_865_4;

/// exp, erf and GELU in the precision of the argument's type: f32 uses the backend's
/// vectorisable versions (no libm call per element), f64 keeps libm's accuracy.
trait FloatMath {
    fn exp_fn(self) -> Self;
    fn erf_fn(self) -> Self;
    fn gelu_fn(self) -> Self;
}
impl FloatMath for f32 {
    #[inline(always)]
    fn exp_fn(self) -> f32 {
        cpu::math::exp_f32(self)
    }
    #[inline(always)]
    fn erf_fn(self) -> f32 {
        cpu::math::erf_f32(self)
    }
    #[inline(always)]
    fn gelu_fn(self) -> f32 {
        cpu::math::gelu_f32(self)
    }
}
impl FloatMath for f64 {
    fn exp_fn(self) -> f64 {
        self.exp()
    }
    fn erf_fn(self) -> f64 {
        libm::erf(self)
    }
    fn gelu_fn(self) -> f64 {
        0.5 * self * (1.0 + libm::erf(self / SQRT_2))
    }
}

/// The constant `v` in the float type of `like`.
fn cst<T: num_like::Float>(_like: T, v: f64) -> T {
    T::from_f64(v)
}

/// Rounds half to even, as `torch.round`.
trait RoundEven {
    fn round_half_even(self) -> Self;
}
impl RoundEven for f32 {
    fn round_half_even(self) -> f32 {
        self.round_ties_even()
    }
}
impl RoundEven for f64 {
    fn round_half_even(self) -> f64 {
        self.round_ties_even()
    }
}

/// sign as PyTorch: -1, 0 or 1 (0 for zero, NaN for NaN).
fn sign<T: num_like::Float>(x: T) -> T {
    if x > T::ZERO {
        T::ONE
    } else if x < T::ZERO {
        -T::ONE
    } else {
        x
    }
}

/// The little float vocabulary the generic helpers above need.
mod num_like {
    pub trait Float: Copy + PartialOrd + std::ops::Neg<Output = Self> {
        const ZERO: Self;
        const ONE: Self;
        fn from_f64(v: f64) -> Self;
    }
    impl Float for f32 {
        const ZERO: f32 = 0.0;
        const ONE: f32 = 1.0;
        fn from_f64(v: f64) -> f32 {
            v as f32
        }
    }
    impl Float for f64 {
        const ZERO: f64 = 0.0;
        const ONE: f64 = 1.0;
        fn from_f64(v: f64) -> f64 {
            v
        }
    }
}

unary_op!(
    Abs,
    "abs",
    "AbsBackward0",
    Keep,
    |x| x.abs(),
    int | x | x.wrapping_abs(),
    d | x,
    c | c.grad() * &x.sign()
);
unary_op!(
    Neg,
    "neg",
    "NegBackward0",
    Keep,
    |x| -x,
    int | x | x.wrapping_neg(),
    d | x,
    c | -c.grad()
);
unary_op!(Exp, "exp", "ExpBackward0", ToFloat, saves_output: true, fast_f32: Exp,
    |x| x.exp_fn(), int |x| x,
    d |x, c| c.grad() * c.output());
unary_op!(
    Log,
    "log",
    "LogBackward0",
    ToFloat,
    |x| x.ln(),
    int | x | x,
    d | x,
    c | c.grad() / x
);
unary_op!(
    Log1p,
    "log1p",
    "Log1PBackward0",
    ToFloat,
    |x| x.ln_1p(),
    int | x | x,
    d | x,
    c | c.grad() / &(x + 1.0)
);
unary_op!(Expm1, "expm1", "Expm1Backward0", ToFloat, saves_output: true, |x| x.exp_m1(),
    int |x| x, d |x, c| c.grad() * &(c.output() + 1.0));
unary_op!(Sqrt, "sqrt", "SqrtBackward0", ToFloat, saves_output: true, |x| x.sqrt(), int |x| x,
    d |x, c| c.grad() / &(c.output() * 2.0));
unary_op!(Rsqrt, "rsqrt", "RsqrtBackward0", ToFloat, saves_output: true, |x| 1.0 / x.sqrt(),
    int |x| x, d |x, c| c.grad() * &c.output().powf(3.0) * -0.5);
unary_op!(
    Sin,
    "sin",
    "SinBackward0",
    ToFloat,
    |x| x.sin(),
    int | x | x,
    d | x,
    c | c.grad() * &x.cos()
);
unary_op!(
    Cos,
    "cos",
    "CosBackward0",
    ToFloat,
    |x| x.cos(),
    int | x | x,
    d | x,
    c | -(c.grad() * &x.sin())
);
unary_op!(Tan, "tan", "TanBackward0", ToFloat, saves_output: true, |x| x.tan(), int |x| x,
    d |x, c| c.grad() * &(c.output().square() + 1.0));
unary_op!(Tanh, "tanh", "TanhBackward0", ToFloat, saves_output: true, |x| x.tanh(), int |x| x,
    d |x, c| c.grad() * &(1.0 - c.output().square()));
unary_op!(Sigmoid, "sigmoid", "SigmoidBackward0", ToFloat, saves_output: true,
    |x| 1.0 / (1.0 + (-x).exp()), int |x| x,
    d |x, c| c.grad() * &(c.output() * &(1.0 - c.output())));
unary_op!(
    Relu,
    "relu",
    "ReluBackward0",
    Keep,
    |x| if x < 0.0 { 0.0 } else { x },
    int | x | x.max(0),
    d | x,
    c | c.grad() * &mask_as(x.gt_scalar(0.0), x)
);
unary_op!(
    Gelu,
    "gelu",
    "GeluBackward0",
    ToFloat,
    fast_f32: Gelu,
    |x| x.gelu_fn(),
    int | x | x,
    d | x,
    c | {
        let cdf = ((x / SQRT_2).erf() + 1.0) * 0.5;
        let pdf = (x.square() * -0.5).exp() * (FRAC_2_SQRT_PI / SQRT_2 / 2.0);
        c.grad() * &(cdf + x * &pdf)
    }
);
unary_op!(
    GeluTanh,
    "gelu_tanh",
    "GeluBackward0",
    ToFloat,
    |x| 0.5 * x * (1.0 + (cst(x, GELU_K) * (x + 0.044715 * x * x * x)).tanh()),
    int | x | x,
    d | x,
    c | {
        let inner = (x + &(x.powf(3.0) * 0.044715)) * GELU_K;
        let t = inner.tanh();
        let dinner = (x.square() * (3.0 * 0.044715) + 1.0) * GELU_K;
        let dy = (&t + 1.0) * 0.5 + x * &(1.0 - t.square()) * &dinner * 0.5;
        c.grad() * &dy
    }
);
unary_op!(
    Silu,
    "silu",
    "SiluBackward0",
    ToFloat,
    |x| x / (1.0 + (-x).exp()),
    int | x | x,
    d | x,
    c | {
        let s = x.sigmoid();
        c.grad() * &(&s * &(x * &(1.0 - &s) + 1.0))
    }
);
unary_op!(
    Softplus,
    "softplus",
    "SoftplusBackward0",
    ToFloat,
    |x| if x > 20.0 { x } else { x.exp().ln_1p() },
    int | x | x,
    d | x,
    c | {
        let s = x.sigmoid();
        c.grad() * &Tensor::where_(&x.gt_scalar(20.0), &Tensor::ones_like(&s), &s)
    }
);
unary_op!(
    ErfOp,
    "erf",
    "ErfBackward0",
    ToFloat,
    fast_f32: Erf,
    |x| x.erf_fn(),
    int | x | x,
    d | x,
    c | c.grad() * &(x.square() * -1.0).exp() * FRAC_2_SQRT_PI
);
unary_op!(
    Floor,
    "floor",
    "FloorBackward0",
    Identity,
    |x| x.floor(),
    int | x | x,
    d | x,
    c | c.grad() * 0.0
);
unary_op!(
    Ceil,
    "ceil",
    "CeilBackward0",
    Identity,
    |x| x.ceil(),
    int | x | x,
    d | x,
    c | c.grad() * 0.0
);
unary_op!(
    Round,
    "round",
    "RoundBackward0",
    Identity,
    |x| x.round_half_even(),
    int | x | x,
    d | x,
    c | c.grad() * 0.0
);
unary_op!(
    Sign,
    "sign",
    "SignBackward0",
    Keep,
    |x| sign(x),
    int | x | x.signum(),
    d | x,
    c | c.grad() * 0.0
);
unary_op!(Reciprocal, "reciprocal", "ReciprocalBackward0", ToFloat, saves_output: true,
    |x| 1.0 / x, int |x| x, d |x, c| -(c.grad() * &c.output().square()));
unary_op!(
    Square,
    "square",
    "PowBackward0",
    Keep,
    |x| x * x,
    int | x | x.wrapping_mul(x),
    d | x,
    c | c.grad() * x * 2.0
);

/// `leaky_relu(x) = x` for x > 0, `slope * x` otherwise.
#[derive(Clone, Copy)]
pub(crate) struct LeakyRelu(pub f64);
impl UnaryOp for LeakyRelu {
    const NAME: &'static str = "leaky_relu";
    const GRAD_NAME: &'static str = "LeakyReluBackward0";
    const INTS: Ints = Ints::ToFloat;
    fn f32(&self, x: f32) -> f32 {
        if x > 0.0 { x } else { x * self.0 as f32 }
    }
    fn f64(&self, x: f64) -> f64 {
        if x > 0.0 { x } else { x * self.0 }
    }
    fn derivative(&self, x: &Tensor, c: &BackwardCtx) -> Tensor {
        let slope = Tensor::full_like(x, self.0);
        c.grad() * &Tensor::where_(&x.gt_scalar(0.0), &Tensor::ones_like(x), &slope)
    }
}

/// `elu(x) = x` for x > 0, `alpha * (exp(x) - 1)` otherwise.
#[derive(Clone, Copy)]
pub(crate) struct Elu(pub f64);
impl UnaryOp for Elu {
    const NAME: &'static str = "elu";
    const GRAD_NAME: &'static str = "EluBackward0";
    const INTS: Ints = Ints::ToFloat;
    fn f32(&self, x: f32) -> f32 {
        self.f64(x as f64) as f32
    }
    fn f64(&self, x: f64) -> f64 {
        if x > 0.0 { x } else { self.0 * x.exp_m1() }
    }
    fn derivative(&self, x: &Tensor, c: &BackwardCtx) -> Tensor {
        let neg = x.exp() * self.0;
        c.grad() * &Tensor::where_(&x.gt_scalar(0.0), &Tensor::ones_like(x), &neg)
    }
}

/// `x ^ p` for a number `p`.
#[derive(Clone, Copy)]
pub(crate) struct PowScalar(pub f64);
impl UnaryOp for PowScalar {
    const NAME: &'static str = "powf";
    const GRAD_NAME: &'static str = "PowBackward0";
    const INTS: Ints = Ints::ToFloat;
    fn f32(&self, x: f32) -> f32 {
        x.powf(self.0 as f32)
    }
    fn f64(&self, x: f64) -> f64 {
        x.powf(self.0)
    }
    fn derivative(&self, x: &Tensor, c: &BackwardCtx) -> Tensor {
        if self.0 == 0.0 {
            return c.grad() * 0.0;
        }
        c.grad() * &x.powf(self.0 - 1.0) * self.0
    }
}

/// Clamps into `[min, max]` (either bound optional).
#[derive(Clone, Copy)]
pub(crate) struct Clamp(pub Option<f64>, pub Option<f64>);
impl Clamp {
    fn clamp(&self, x: f64) -> f64 {
        // PyTorch: min(max(x, lo), hi), NaN propagates.
        let x = match self.0 {
            Some(lo) if x < lo => lo,
            _ => x,
        };
        match self.1 {
            Some(hi) if x > hi => hi,
            _ => x,
        }
    }
}
impl UnaryOp for Clamp {
    const NAME: &'static str = "clamp";
    const GRAD_NAME: &'static str = "ClampBackward1";
    const INTS: Ints = Ints::Keep;
    fn f32(&self, x: f32) -> f32 {
        self.clamp(x as f64) as f32
    }
    fn f64(&self, x: f64) -> f64 {
        self.clamp(x)
    }
    fn int(&self, x: i64) -> i64 {
        let lo = self.0.map_or(i64::MIN, |v| v.ceil() as i64);
        let hi = self.1.map_or(i64::MAX, |v| v.floor() as i64);
        x.max(lo).min(hi)
    }
    fn derivative(&self, x: &Tensor, c: &BackwardCtx) -> Tensor {
        // PyTorch 2.x: the gradient is zero at a bound as well as beyond it.
        let mut keep = Tensor::ones_like(x);
        if let Some(lo) = self.0 {
            keep = keep * mask_as(x.gt_scalar(lo), x);
        }
        if let Some(hi) = self.1 {
            keep = keep * mask_as(x.lt_scalar(hi), x);
        }
        c.grad() * &keep
    }
}

/// Public methods: one line each, panicking with the op's error; `try_` twins return it.
macro_rules! unary_methods {
    ($($(#[$doc:meta])* $name:ident, $try_name:ident, $op:expr;)*) => {
        impl Tensor {
            $(
                $(#[$doc])*
                #[track_caller]
                pub fn $name(&self) -> Tensor {
                    or_panic(self.$try_name())
                }

                #[doc = concat!("[`Tensor::", stringify!($name), "`] returning an error instead of panicking.")]
                pub fn $try_name(&self) -> Result<Tensor> {
                    apply(self, $op)
                }
            )*
        }
    };
}

unary_methods! {
    /// |x|. ```
    /// assert_eq!(firebrand::tensor!([-1.5, 2.0]).abs().to_vec::<f32>(), vec![1.5, 2.0]);
    /// ```
    abs, try_abs, Abs;
    /// -x. ```
    /// assert_eq!(firebrand::tensor!([1, -2]).neg().to_vec::<i64>(), vec![-1, 2]);
    /// ```
    neg, try_neg, Neg;
    /// e^x (integers become F32). ```
    /// assert_eq!(firebrand::tensor!([0.0]).exp().item::<f32>(), 1.0);
    /// ```
    exp, try_exp, Exp;
    /// Natural log. ```
    /// assert_eq!(firebrand::tensor!([1.0]).log().item::<f32>(), 0.0);
    /// ```
    log, try_log, Log;
    /// ln(1 + x), accurate near 0. ```
    /// assert!((firebrand::tensor!([1e-10f64]).to_dtype(firebrand::DType::F64).log1p().item::<f64>() - 1e-10).abs() < 1e-20);
    /// ```
    log1p, try_log1p, Log1p;
    /// e^x - 1, accurate near 0. ```
    /// assert_eq!(firebrand::tensor!([0.0]).expm1().item::<f32>(), 0.0);
    /// ```
    expm1, try_expm1, Expm1;
    /// Square root. ```
    /// assert_eq!(firebrand::tensor!([4.0]).sqrt().item::<f32>(), 2.0);
    /// ```
    sqrt, try_sqrt, Sqrt;
    /// 1 / sqrt(x). ```
    /// assert_eq!(firebrand::tensor!([4.0]).rsqrt().item::<f32>(), 0.5);
    /// ```
    rsqrt, try_rsqrt, Rsqrt;
    /// Sine. ```
    /// assert_eq!(firebrand::tensor!([0.0]).sin().item::<f32>(), 0.0);
    /// ```
    sin, try_sin, Sin;
    /// Cosine. ```
    /// assert_eq!(firebrand::tensor!([0.0]).cos().item::<f32>(), 1.0);
    /// ```
    cos, try_cos, Cos;
    /// Tangent. ```
    /// assert_eq!(firebrand::tensor!([0.0]).tan().item::<f32>(), 0.0);
    /// ```
    tan, try_tan, Tan;
    /// Hyperbolic tangent. ```
    /// assert_eq!(firebrand::tensor!([0.0]).tanh().item::<f32>(), 0.0);
    /// ```
    tanh, try_tanh, Tanh;
    /// 1 / (1 + e^-x). ```
    /// assert_eq!(firebrand::tensor!([0.0]).sigmoid().item::<f32>(), 0.5);
    /// ```
    sigmoid, try_sigmoid, Sigmoid;
    /// max(x, 0). ```
    /// assert_eq!(firebrand::tensor!([-1.0, 2.0]).relu().to_vec::<f32>(), vec![0.0, 2.0]);
    /// ```
    relu, try_relu, Relu;
    /// GELU, erf form: x * Phi(x). ```
    /// assert!((firebrand::tensor!([1.0]).gelu().item::<f32>() - 0.8413).abs() < 1e-4);
    /// ```
    gelu, try_gelu, Gelu;
    /// GELU, tanh approximation (`approximate='tanh'`). ```
    /// assert!((firebrand::tensor!([1.0]).gelu_tanh().item::<f32>() - 0.8412).abs() < 1e-4);
    /// ```
    gelu_tanh, try_gelu_tanh, GeluTanh;
    /// x * sigmoid(x). ```
    /// assert_eq!(firebrand::tensor!([0.0]).silu().item::<f32>(), 0.0);
    /// ```
    silu, try_silu, Silu;
    /// ln(1 + e^x) (linear above 20, as PyTorch's threshold). ```
    /// assert!((firebrand::tensor!([0.0]).softplus().item::<f32>() - 0.6931).abs() < 1e-4);
    /// ```
    softplus, try_softplus, Softplus;
    /// The error function. ```
    /// assert_eq!(firebrand::tensor!([0.0]).erf().item::<f32>(), 0.0);
    /// ```
    erf, try_erf, ErfOp;
    /// Rounds down. ```
    /// assert_eq!(firebrand::tensor!([-1.5]).floor().item::<f32>(), -2.0);
    /// ```
    floor, try_floor, Floor;
    /// Rounds up. ```
    /// assert_eq!(firebrand::tensor!([-1.5]).ceil().item::<f32>(), -1.0);
    /// ```
    ceil, try_ceil, Ceil;
    /// Rounds half to even. ```
    /// assert_eq!(firebrand::tensor!([0.5, 1.5]).round().to_vec::<f32>(), vec![0.0, 2.0]);
    /// ```
    round, try_round, Round;
    /// -1, 0 or 1. ```
    /// assert_eq!(firebrand::tensor!([-3, 0, 2]).sign().to_vec::<i64>(), vec![-1, 0, 1]);
    /// ```
    sign, try_sign, Sign;
    /// 1 / x. ```
    /// assert_eq!(firebrand::tensor!([4.0]).reciprocal().item::<f32>(), 0.25);
    /// ```
    reciprocal, try_reciprocal, Reciprocal;
    /// x * x. ```
    /// assert_eq!(firebrand::tensor!([3]).square().item::<i64>(), 9);
    /// ```
    square, try_square, Square;
}

impl Tensor {
    /// `x` where positive, `negative_slope * x` elsewhere.
    ///
    /// ```
    /// let y = firebrand::tensor!([-2.0, 3.0]).leaky_relu(0.1);
    /// assert_eq!(y.to_vec::<f32>(), vec![-0.2, 3.0]);
    /// ```
    #[track_caller]
    pub fn leaky_relu(&self, negative_slope: f64) -> Tensor {
        or_panic(apply(self, LeakyRelu(negative_slope)))
    }

    /// `x` where positive, `alpha * (e^x - 1)` elsewhere.
    ///
    /// ```
    /// let y = firebrand::tensor!([0.0, 2.0]).elu(1.0);
    /// assert_eq!(y.to_vec::<f32>(), vec![0.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn elu(&self, alpha: f64) -> Tensor {
        or_panic(apply(self, Elu(alpha)))
    }

    /// Each element raised to the power `exponent`.
    ///
    /// ```
    /// assert_eq!(firebrand::tensor!([2.0, 3.0]).powf(2.0).to_vec::<f32>(), vec![4.0, 9.0]);
    /// ```
    #[track_caller]
    pub fn powf(&self, exponent: f64) -> Tensor {
        or_panic(apply(self, PowScalar(exponent)))
    }

    /// Limits each element to `[min, max]`; `None` leaves that side open.
    ///
    /// ```
    /// let y = firebrand::tensor!([-2.0, 0.5, 3.0]).clamp(Some(0.0), Some(1.0));
    /// assert_eq!(y.to_vec::<f32>(), vec![0.0, 0.5, 1.0]);
    /// ```
    #[track_caller]
    pub fn clamp(&self, min: Option<f64>, max: Option<f64>) -> Tensor {
        or_panic(self.try_clamp(min, max))
    }

    /// [`Tensor::clamp`] returning an error (both bounds missing, or min > max is allowed as in
    /// PyTorch: the result is then `max`).
    ///
    /// ```
    /// assert!(firebrand::tensor!([1.0]).try_clamp(None, None).is_err());
    /// ```
    pub fn try_clamp(&self, min: Option<f64>, max: Option<f64>) -> Result<Tensor> {
        if min.is_none() && max.is_none() {
            return Err(Error::msg(
                "clamp: at least one of 'min' or 'max' must not be None",
            ));
        }
        apply(self, Clamp(min, max))
    }
}
