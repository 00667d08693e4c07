//! Elementwise, conversion and creation ops: values worked by hand, non-contiguous inputs,
//! every dtype PyTorch allows, broadcasting, type promotion, in-place writes through views,
//! gradients, and error messages.

use firebrand::autograd::{gradcheck, gradgradcheck};
use firebrand::{DType, Device, Tensor, tensor};
use std::f64::consts::{E, FRAC_PI_2, FRAC_PI_3, FRAC_PI_4, FRAC_PI_6, LN_2, PI};

const FLOATS: [DType; 4] = [DType::F16, DType::BF16, DType::F32, DType::F64];
const INTS: [DType; 4] = [DType::I8, DType::I32, DType::I64, DType::U8];
/// Asserts `got` equals `want` elementwise within `tol` (relative above 1), NaN matching NaN
/// and infinities matching exactly.
#[track_caller]
fn assert_close(got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "lengths differ: {got:?} vs {want:?}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let ok = if w.is_nan() {
            g.is_nan()
        } else if w.is_infinite() {
            g == w
        } else {
            (g - w).abs() <= tol * w.abs().max(1.0)
        };
        assert!(
            ok,
            "element {i}: got {g}, want {w} (tol {tol}); got {got:?}, want {want:?}"
        );
    }
}

/// The tolerance that fits a dtype's precision.
fn tol(dtype: DType) -> f64 {
    match dtype {
        DType::F16 => 2e-3,
        DType::BF16 => 1e-2,
        DType::F32 => 1e-6,
        _ => 1e-12,
    }
}

fn f64s(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>()
}

fn vec64(v: &[f64]) -> Tensor {
    Tensor::from_slice(v, [v.len()])
}

/// A [2, 3] base whose transpose is the [3, 2] non-contiguous input of the dtype tests.
fn transposed(values: [f64; 6], dtype: DType) -> Tensor {
    let t = Tensor::from_vec(values.to_vec(), [2, 3])
        .to_dtype(dtype)
        .t();
    assert!(!t.is_contiguous());
    t
}

/// The values of `transposed(values, _)` in row-major order.
fn transposed_order(values: [f64; 6]) -> Vec<f64> {
    vec![
        values[0], values[3], values[1], values[4], values[2], values[5],
    ]
}

// ----- unary ops -------------------------------------------------------------------------------

type UnaryFn = fn(&Tensor) -> Tensor;

/// (name, op, input, expected) with outputs worked out by hand.
fn hand_cases() -> Vec<(&'static str, UnaryFn, Vec<f64>, Vec<f64>)> {
    let ln3 = 3f64.ln();
    vec![
        (
            "abs",
            |x| x.abs(),
            vec![-1.5, 0.0, 2.0],
            vec![1.5, 0.0, 2.0],
        ),
        (
            "neg",
            |x| x.neg(),
            vec![-1.5, 0.0, 2.0],
            vec![1.5, 0.0, -2.0],
        ),
        (
            "exp",
            |x| x.exp(),
            vec![0.0, 1.0, -1.0, LN_2],
            vec![1.0, E, 1.0 / E, 2.0],
        ),
        (
            "log",
            |x| x.log(),
            vec![1.0, E, 0.5, 0.0, -1.0],
            vec![0.0, 1.0, -LN_2, f64::NEG_INFINITY, f64::NAN],
        ),
        (
            "log1p",
            |x| x.log1p(),
            vec![0.0, E - 1.0, -1.0],
            vec![0.0, 1.0, f64::NEG_INFINITY],
        ),
        (
            "expm1",
            |x| x.expm1(),
            vec![0.0, LN_2, 1e-10],
            vec![0.0, 1.0, 1e-10],
        ),
        (
            "sqrt",
            |x| x.sqrt(),
            vec![4.0, 2.25, 0.0, -1.0],
            vec![2.0, 1.5, 0.0, f64::NAN],
        ),
        (
            "rsqrt",
            |x| x.rsqrt(),
            vec![4.0, 0.25, 0.0],
            vec![0.5, 2.0, f64::INFINITY],
        ),
        (
            "sin",
            |x| x.sin(),
            vec![0.0, FRAC_PI_2, FRAC_PI_6, -FRAC_PI_2],
            vec![0.0, 1.0, 0.5, -1.0],
        ),
        (
            "cos",
            |x| x.cos(),
            vec![0.0, PI, FRAC_PI_3],
            vec![1.0, -1.0, 0.5],
        ),
        (
            "tan",
            |x| x.tan(),
            vec![0.0, FRAC_PI_4, -FRAC_PI_4],
            vec![0.0, 1.0, -1.0],
        ),
        // tanh(ln 3) = (9 - 1) / (9 + 1)
        (
            "tanh",
            |x| x.tanh(),
            vec![0.0, ln3, -ln3],
            vec![0.0, 0.8, -0.8],
        ),
        // sigmoid(ln 3) = 1 / (1 + 1/3)
        (
            "sigmoid",
            |x| x.sigmoid(),
            vec![0.0, ln3, -ln3],
            vec![0.5, 0.75, 0.25],
        ),
        (
            "relu",
            |x| x.relu(),
            vec![-1.0, 0.0, 2.5],
            vec![0.0, 0.0, 2.5],
        ),
        // Phi(1) = 0.841344746..., from a normal table
        (
            "gelu",
            |x| x.gelu(),
            vec![0.0, 1.0, -1.0],
            vec![0.0, 0.8413447460685429, -0.15865525393145707],
        ),
        // 0.5 (1 + tanh(sqrt(2/pi) (1 + 0.044715)))
        (
            "gelu_tanh",
            |x| x.gelu_tanh(),
            vec![0.0, 1.0, -1.0],
            vec![0.0, 0.8411919906082768, -0.15880800939172324],
        ),
        (
            "silu",
            |x| x.silu(),
            vec![0.0, ln3, -ln3],
            vec![0.0, 0.75 * ln3, -0.25 * ln3],
        ),
        // ln(1 + e^0) = ln 2, ln(1 + 3) = 2 ln 2, linear above the threshold 20
        (
            "softplus",
            |x| x.softplus(),
            vec![0.0, ln3, 30.0],
            vec![LN_2, 2.0 * LN_2, 30.0],
        ),
        (
            "erf",
            |x| x.erf(),
            vec![0.0, 1.0, -1.0],
            vec![0.0, 0.8427007929497149, -0.8427007929497149],
        ),
        (
            "floor",
            |x| x.floor(),
            vec![-1.5, 1.5, 2.0, -0.2],
            vec![-2.0, 1.0, 2.0, -1.0],
        ),
        (
            "ceil",
            |x| x.ceil(),
            vec![-1.5, 1.5, 2.0, 0.2],
            vec![-1.0, 2.0, 2.0, 1.0],
        ),
        (
            "round",
            |x| x.round(),
            vec![0.5, 1.5, 2.5, -0.5, -1.5, 1.4, -2.6],
            vec![0.0, 2.0, 2.0, 0.0, -2.0, 1.0, -3.0],
        ),
        (
            "sign",
            |x| x.sign(),
            vec![-3.0, 0.0, 2.0, -0.1],
            vec![-1.0, 0.0, 1.0, -1.0],
        ),
        (
            "reciprocal",
            |x| x.reciprocal(),
            vec![4.0, -0.5, 0.0],
            vec![0.25, -2.0, f64::INFINITY],
        ),
        (
            "square",
            |x| x.square(),
            vec![-3.0, 1.5, 0.0],
            vec![9.0, 2.25, 0.0],
        ),
        (
            "leaky_relu",
            |x| x.leaky_relu(0.1),
            vec![-2.0, 3.0, 0.0],
            vec![-0.2, 3.0, 0.0],
        ),
        // elu(-ln 2) = e^(-ln 2) - 1 = -0.5
        (
            "elu",
            |x| x.elu(1.0),
            vec![-LN_2, 2.0, 0.0],
            vec![-0.5, 2.0, 0.0],
        ),
        (
            "elu_alpha2",
            |x| x.elu(2.0),
            vec![-LN_2, 2.0],
            vec![-1.0, 2.0],
        ),
        (
            "powf2",
            |x| x.powf(2.0),
            vec![-3.0, 0.5, 0.0],
            vec![9.0, 0.25, 0.0],
        ),
        (
            "powf_half",
            |x| x.powf(0.5),
            vec![4.0, 2.25],
            vec![2.0, 1.5],
        ),
        (
            "powf_neg",
            |x| x.powf(-1.0),
            vec![4.0, -0.5],
            vec![0.25, -2.0],
        ),
        ("powf0", |x| x.powf(0.0), vec![0.0, 5.0], vec![1.0, 1.0]),
        (
            "clamp",
            |x| x.clamp(Some(0.0), Some(1.0)),
            vec![-2.0, 0.5, 3.0],
            vec![0.0, 0.5, 1.0],
        ),
        (
            "clamp_min",
            |x| x.clamp(Some(0.0), None),
            vec![-2.0, 0.5, 3.0],
            vec![0.0, 0.5, 3.0],
        ),
        (
            "clamp_max",
            |x| x.clamp(None, Some(1.0)),
            vec![-2.0, 0.5, 3.0],
            vec![-2.0, 0.5, 1.0],
        ),
        // min > max: every element becomes max, as in PyTorch
        (
            "clamp_crossed",
            |x| x.clamp(Some(2.0), Some(1.0)),
            vec![-2.0, 1.5, 3.0],
            vec![1.0, 1.0, 1.0],
        ),
    ]
}

#[test]
fn unary_hand_worked_values_f64() {
    for (name, op, input, want) in hand_cases() {
        let y = op(&vec64(&input));
        assert_eq!(y.dtype(), DType::F64, "{name}");
        assert_eq!(y.shape(), &[input.len()], "{name}");
        let got = f64s(&y);
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            let ok = if w.is_nan() {
                g.is_nan()
            } else if w.is_infinite() {
                g == w
            } else {
                (g - w).abs() < 1e-12
            };
            assert!(ok, "{name}({}) = {g}, want {w}", input[i]);
        }
    }
}

#[test]
fn unary_nan_propagates() {
    let nan = vec64(&[f64::NAN]);
    let ops: Vec<(&str, UnaryFn)> = vec![
        ("relu", |x| x.relu()),
        ("clamp", |x| x.clamp(Some(0.0), Some(1.0))),
        ("sign", |x| x.sign()),
        ("abs", |x| x.abs()),
        ("sigmoid", |x| x.sigmoid()),
    ];
    for (name, op) in ops {
        assert!(op(&nan).item::<f64>().is_nan(), "{name}(NaN) must be NaN");
    }
}

/// (name, op, reference in f64, inputs inside the domain) for the dtype sweep.
/// (name, op, reference in f64, inputs inside the domain).
type ReferenceCase = (&'static str, UnaryFn, fn(f64) -> f64, [f64; 6]);
/// (name, op, reference in f64).
type FloatCase = (&'static str, UnaryFn, fn(f64) -> f64);
/// (name, op, reference on integers).
type IntCase = (&'static str, UnaryFn, fn(i64) -> i64);

fn reference_cases() -> Vec<ReferenceCase> {
    let mixed = [-1.5, -0.25, 0.0, 0.5, 1.25, 2.0];
    let positive = [0.25, 0.5, 1.0, 1.5, 2.0, 4.0];
    let phi = |x: f64| 0.5 * (1.0 + libm_erf(x / std::f64::consts::SQRT_2));
    let _ = phi;
    vec![
        ("abs", |x| x.abs(), f64::abs, mixed),
        ("neg", |x| x.neg(), |v| -v, mixed),
        ("exp", |x| x.exp(), f64::exp, mixed),
        ("log", |x| x.log(), f64::ln, positive),
        ("log1p", |x| x.log1p(), f64::ln_1p, positive),
        ("expm1", |x| x.expm1(), f64::exp_m1, mixed),
        ("sqrt", |x| x.sqrt(), f64::sqrt, positive),
        ("rsqrt", |x| x.rsqrt(), |v| 1.0 / v.sqrt(), positive),
        ("sin", |x| x.sin(), f64::sin, mixed),
        ("cos", |x| x.cos(), f64::cos, mixed),
        ("tan", |x| x.tan(), f64::tan, mixed),
        ("tanh", |x| x.tanh(), f64::tanh, mixed),
        (
            "sigmoid",
            |x| x.sigmoid(),
            |v| 1.0 / (1.0 + (-v).exp()),
            mixed,
        ),
        ("relu", |x| x.relu(), |v| v.max(0.0), mixed),
        (
            "gelu",
            |x| x.gelu(),
            |v| v * 0.5 * (1.0 + libm_erf(v / std::f64::consts::SQRT_2)),
            mixed,
        ),
        (
            "gelu_tanh",
            |x| x.gelu_tanh(),
            |v| 0.5 * v * (1.0 + ((2.0 / PI).sqrt() * (v + 0.044715 * v.powi(3))).tanh()),
            mixed,
        ),
        ("silu", |x| x.silu(), |v| v / (1.0 + (-v).exp()), mixed),
        (
            "softplus",
            |x| x.softplus(),
            |v| (1.0 + v.exp()).ln(),
            mixed,
        ),
        ("erf", |x| x.erf(), libm_erf, mixed),
        ("floor", |x| x.floor(), f64::floor, mixed),
        ("ceil", |x| x.ceil(), f64::ceil, mixed),
        ("round", |x| x.round(), f64::round_ties_even, mixed),
        (
            "sign",
            |x| x.sign(),
            |v| if v == 0.0 { 0.0 } else { v.signum() },
            mixed,
        ),
        ("reciprocal", |x| x.reciprocal(), |v| 1.0 / v, positive),
        ("square", |x| x.square(), |v| v * v, mixed),
        (
            "leaky_relu",
            |x| x.leaky_relu(0.01),
            |v| if v > 0.0 { v } else { 0.01 * v },
            mixed,
        ),
        (
            "elu",
            |x| x.elu(1.0),
            |v| if v > 0.0 { v } else { v.exp_m1() },
            mixed,
        ),
        ("powf", |x| x.powf(3.0), |v| v.powi(3), mixed),
        (
            "clamp",
            |x| x.clamp(Some(-0.5), Some(1.0)),
            |v| v.clamp(-0.5, 1.0),
            mixed,
        ),
    ]
}

/// erf by its Maclaurin series (converges fast for |x| <= 3): independent of the library.
fn libm_erf(x: f64) -> f64 {
    let mut sum = 0.0;
    let mut term = x;
    let mut n = 0.0;
    while term.abs() > 1e-18 {
        sum += term / (2.0 * n + 1.0);
        n += 1.0;
        term *= -x * x / n;
    }
    sum * 2.0 / PI.sqrt()
}

#[test]
fn erf_reference_matches_table() {
    assert!((libm_erf(1.0) - 0.8427007929497149).abs() < 1e-15);
    assert!((libm_erf(0.5) - 0.5204998778130465).abs() < 1e-15);
}

#[test]
fn unary_every_float_dtype_on_transposed_input() {
    for (name, op, reference, values) in reference_cases() {
        for dtype in FLOATS {
            let x = transposed(values, dtype);
            let y = op(&x);
            assert_eq!(y.dtype(), dtype, "{name} on {dtype:?}");
            assert_eq!(y.shape(), &[3, 2], "{name} on {dtype:?}");
            // The reference sees the input as rounded to the dtype.
            let want: Vec<f64> = f64s(&x).into_iter().map(reference).collect();
            assert_close(&f64s(&y), &want, tol(dtype));
        }
        let _ = transposed_order(values);
    }
}

#[test]
fn unary_on_narrowed_and_flipped_views() {
    let base = Tensor::arange(-3.0, 9.0, 1.0, DType::F64).reshape([3, 4]);
    let view = base.narrow(1, 1, 2).flip([0]);
    let got = f64s(&view.square());
    assert_eq!(got, vec![36.0, 49.0, 4.0, 9.0, 4.0, 1.0]);
    let got = f64s(&view.abs());
    assert_eq!(got, vec![6.0, 7.0, 2.0, 3.0, 2.0, 1.0]);
}

#[test]
fn unary_float_functions_turn_ints_and_bool_into_f32() {
    let float_fns: Vec<FloatCase> = vec![
        ("exp", |x| x.exp(), f64::exp),
        ("log", |x| x.log(), f64::ln),
        ("log1p", |x| x.log1p(), f64::ln_1p),
        ("expm1", |x| x.expm1(), f64::exp_m1),
        ("sqrt", |x| x.sqrt(), f64::sqrt),
        ("rsqrt", |x| x.rsqrt(), |v| 1.0 / v.sqrt()),
        ("sin", |x| x.sin(), f64::sin),
        ("cos", |x| x.cos(), f64::cos),
        ("tan", |x| x.tan(), f64::tan),
        ("tanh", |x| x.tanh(), f64::tanh),
        ("sigmoid", |x| x.sigmoid(), |v| 1.0 / (1.0 + (-v).exp())),
        (
            "gelu",
            |x| x.gelu(),
            |v| v * 0.5 * (1.0 + libm_erf(v / std::f64::consts::SQRT_2)),
        ),
        ("silu", |x| x.silu(), |v| v / (1.0 + (-v).exp())),
        ("softplus", |x| x.softplus(), |v| (1.0 + v.exp()).ln()),
        // The series reference only converges for |x| <= 3; erf(x >= 4) is 1 within 2e-8.
        (
            "erf",
            |x| x.erf(),
            |v| if v >= 4.0 { 1.0 } else { libm_erf(v) },
        ),
        ("reciprocal", |x| x.reciprocal(), |v| 1.0 / v),
        ("powf", |x| x.powf(2.0), |v| v * v),
    ];
    let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    for (name, op, reference) in &float_fns {
        for dtype in INTS {
            let x = transposed(values, dtype);
            let y = op(&x);
            assert_eq!(y.dtype(), DType::F32, "{name} on {dtype:?}");
            let want: Vec<f64> = transposed_order(values)
                .into_iter()
                .map(*reference)
                .collect();
            assert_close(&f64s(&y), &want, 1e-6);
        }
        let b = op(&tensor!([true, false]));
        assert_eq!(b.dtype(), DType::F32, "{name} on Bool");
        assert_close(&f64s(&b), &[reference(1.0), reference(0.0)], 1e-6);
    }
}

#[test]
fn unary_integer_ops_keep_the_dtype() {
    let values = [-3.0, -1.0, 0.0, 1.0, 2.0, 5.0];
    let keep: Vec<IntCase> = vec![
        ("abs", |x| x.abs(), |v| v.abs()),
        ("neg", |x| x.neg(), |v| -v),
        ("square", |x| x.square(), |v| v * v),
        ("sign", |x| x.sign(), |v| v.signum()),
        ("relu", |x| x.relu(), |v| v.max(0)),
        (
            "clamp",
            |x| x.clamp(Some(-1.0), Some(2.0)),
            |v| v.clamp(-1, 2),
        ),
        ("floor", |x| x.floor(), |v| v),
        ("ceil", |x| x.ceil(), |v| v),
        ("round", |x| x.round(), |v| v),
    ];
    for (name, op, reference) in &keep {
        for dtype in [DType::I8, DType::I32, DType::I64] {
            let x = transposed(values, dtype);
            let y = op(&x);
            assert_eq!(y.dtype(), dtype, "{name} on {dtype:?}");
            let want: Vec<i64> = transposed_order(values)
                .into_iter()
                .map(|v| reference(v as i64))
                .collect();
            assert_eq!(y.to_vec::<i64>(), want, "{name} on {dtype:?}");
        }
    }
}

#[test]
fn unary_u8_wraps_like_pytorch() {
    let x = Tensor::from_vec(vec![0u8, 1, 200, 16], [4]);
    assert_eq!(x.neg().to_vec::<u8>(), vec![0, 255, 56, 240]);
    assert_eq!(x.square().to_vec::<u8>(), vec![0, 1, 64, 0]); // 200^2 = 40000 = 156 * 256 + 64
    assert_eq!(x.abs().to_vec::<u8>(), vec![0, 1, 200, 16]);
    assert_eq!(x.sign().to_vec::<u8>(), vec![0, 1, 1, 1]);
    assert_eq!(
        x.clamp(Some(2.0), Some(100.0)).to_vec::<u8>(),
        vec![2, 2, 100, 16]
    );
    assert_eq!(
        Tensor::from_vec(vec![-128i8], [1]).abs().to_vec::<i8>(),
        vec![-128]
    );
}

#[test]
#[should_panic(expected = "neg: not supported for bool tensors")]
fn neg_of_bool_panics() {
    tensor!([true, false]).neg();
}

#[test]
fn bool_refused_by_integer_keeping_ops() {
    let b = tensor!([true, false]);
    for (name, r) in [
        ("abs", b.try_abs()),
        ("neg", b.try_neg()),
        ("relu", b.try_relu()),
    ] {
        let err = r.unwrap_err().to_string();
        assert!(err.contains(name) && err.contains("bool"), "{err}");
    }
    assert!(b.try_clamp(Some(0.0), None).is_err());
}

#[test]
#[should_panic(expected = "clamp: at least one of 'min' or 'max' must not be None")]
fn clamp_without_bounds_panics() {
    tensor!([1.0]).clamp(None, None);
}

#[test]
fn unary_on_empty_and_zero_dim() {
    let empty = Tensor::zeros([0, 3], DType::F32);
    assert_eq!(empty.exp().shape(), &[0, 3]);
    let s = Tensor::scalar(4.0f64);
    let r = s.sqrt();
    assert_eq!(r.dim(), 0);
    assert_eq!(r.item::<f64>(), 2.0);
}

#[test]
fn unary_large_input_takes_the_parallel_path() {
    let n = 1 << 17;
    let x = Tensor::arange(0.0, n as f64, 1.0, DType::F64)
        .reshape([256, -1])
        .t();
    let y = x.square();
    let got = y.to_vec::<f64>();
    let cols = n / 256;
    for (k, g) in got.iter().enumerate().step_by(997) {
        let (i, j) = (k / 256, k % 256);
        let v = (j * cols + i) as f64;
        assert_eq!(*g, v * v);
    }
}

// ----- gradients of unary ops ------------------------------------------------------------------

fn grad_input(values: &[f64]) -> Tensor {
    Tensor::from_slice(values, [2, values.len() / 2])
        .t()
        .requires_grad_(true)
}

#[test]
fn unary_gradcheck_all_differentiable_ops() {
    let away_from_kinks = [-1.3, -0.6, 0.4, 0.7, 1.1, 2.2];
    let positive = [0.3, 0.6, 0.9, 1.4, 2.1, 3.0];
    let cases: Vec<(&str, UnaryFn, [f64; 6])> = vec![
        ("abs", |x| x.abs(), away_from_kinks),
        ("neg", |x| x.neg(), away_from_kinks),
        ("exp", |x| x.exp(), away_from_kinks),
        ("log", |x| x.log(), positive),
        ("log1p", |x| x.log1p(), positive),
        ("expm1", |x| x.expm1(), away_from_kinks),
        ("sqrt", |x| x.sqrt(), positive),
        ("rsqrt", |x| x.rsqrt(), positive),
        ("sin", |x| x.sin(), away_from_kinks),
        ("cos", |x| x.cos(), away_from_kinks),
        ("tan", |x| x.tan(), [-1.0, -0.6, 0.4, 0.7, 1.1, 0.2]),
        ("tanh", |x| x.tanh(), away_from_kinks),
        ("sigmoid", |x| x.sigmoid(), away_from_kinks),
        ("relu", |x| x.relu(), away_from_kinks),
        ("gelu", |x| x.gelu(), away_from_kinks),
        ("gelu_tanh", |x| x.gelu_tanh(), away_from_kinks),
        ("silu", |x| x.silu(), away_from_kinks),
        ("softplus", |x| x.softplus(), away_from_kinks),
        ("erf", |x| x.erf(), away_from_kinks),
        ("floor", |x| x.floor(), away_from_kinks),
        ("ceil", |x| x.ceil(), away_from_kinks),
        ("round", |x| x.round(), [-1.3, -0.7, 0.4, 0.8, 1.1, 2.2]),
        ("sign", |x| x.sign(), away_from_kinks),
        ("reciprocal", |x| x.reciprocal(), positive),
        ("square", |x| x.square(), away_from_kinks),
        ("leaky_relu", |x| x.leaky_relu(0.2), away_from_kinks),
        ("elu", |x| x.elu(1.5), away_from_kinks),
        ("powf", |x| x.powf(3.0), away_from_kinks),
        ("powf_frac", |x| x.powf(1.5), positive),
        ("powf0", |x| x.powf(0.0), positive),
        ("clamp", |x| x.clamp(Some(-1.0), Some(1.0)), away_from_kinks),
    ];
    for (name, op, values) in cases {
        let x = grad_input(&values);
        let r = gradcheck(|xs| op(&xs[0]), &[&x]);
        assert!(r.is_ok(), "gradcheck {name}: {r:?}");
    }
}

#[test]
fn unary_gradgradcheck_smooth_ops() {
    let values = [-1.3, -0.6, 0.4, 0.7, 1.1, 2.2];
    let cases: Vec<(&str, UnaryFn)> = vec![
        ("exp", |x| x.exp()),
        ("sin", |x| x.sin()),
        ("tanh", |x| x.tanh()),
        ("sigmoid", |x| x.sigmoid()),
        ("gelu", |x| x.gelu()),
        ("silu", |x| x.silu()),
        ("softplus", |x| x.softplus()),
        ("erf", |x| x.erf()),
        ("square", |x| x.square()),
        ("powf", |x| x.powf(3.0)),
    ];
    for (name, op) in cases {
        let x = grad_input(&values);
        let r = gradgradcheck(|xs| op(&xs[0]), &[&x]);
        assert!(r.is_ok(), "gradgradcheck {name}: {r:?}");
    }
}

#[test]
fn unary_grad_fn_names_follow_pytorch() {
    let x = tensor!([1.0, 2.0]).requires_grad_(true);
    assert_eq!(x.exp().grad_fn_name().as_deref(), Some("ExpBackward0"));
    assert_eq!(
        x.sigmoid().grad_fn_name().as_deref(),
        Some("SigmoidBackward0")
    );
    assert_eq!(
        x.clamp(Some(0.0), None).grad_fn_name().as_deref(),
        Some("ClampBackward1")
    );
    assert_eq!(tensor!([1, 2]).abs().grad_fn_name(), None);
}

// ----- binary ops ------------------------------------------------------------------------------

type BinaryFn = fn(&Tensor, &Tensor) -> Tensor;

#[test]
fn binary_hand_worked_values() {
    let a = vec64(&[6.0, -3.0, 2.0, 0.5]);
    let b = vec64(&[4.0, 2.0, -2.0, 0.5]);
    let cases: Vec<(&str, BinaryFn, Vec<f64>)> = vec![
        ("add", |a, b| a.add(b), vec![10.0, -1.0, 0.0, 1.0]),
        ("sub", |a, b| a.sub(b), vec![2.0, -5.0, 4.0, 0.0]),
        ("mul", |a, b| a.mul(b), vec![24.0, -6.0, -4.0, 0.25]),
        ("div", |a, b| a.div(b), vec![1.5, -1.5, -1.0, 1.0]),
        (
            "pow",
            |a, b| a.pow(b),
            vec![1296.0, 9.0, 0.25, 0.5f64.sqrt()],
        ),
        ("maximum", |a, b| a.maximum(b), vec![6.0, 2.0, 2.0, 0.5]),
        ("minimum", |a, b| a.minimum(b), vec![4.0, -3.0, -2.0, 0.5]),
    ];
    for (name, op, want) in cases {
        let y = op(&a, &b);
        assert_eq!(y.dtype(), DType::F64, "{name}");
        assert_close(&f64s(&y), &want, 1e-15);
    }
}

#[test]
fn comparisons_hand_worked_values() {
    let a = tensor!([1.0, 2.0, 3.0]);
    let b = tensor!([2.0, 2.0, 2.0]);
    let cases: Vec<(&str, BinaryFn, Vec<bool>)> = vec![
        ("eq", |a, b| a.eq(b), vec![false, true, false]),
        ("ne", |a, b| a.ne(b), vec![true, false, true]),
        ("lt", |a, b| a.lt(b), vec![true, false, false]),
        ("le", |a, b| a.le(b), vec![true, true, false]),
        ("gt", |a, b| a.gt(b), vec![false, false, true]),
        ("ge", |a, b| a.ge(b), vec![false, true, true]),
    ];
    for (name, op, want) in cases {
        let y = op(&a, &b);
        assert_eq!(y.dtype(), DType::Bool, "{name}");
        assert_eq!(y.to_vec::<bool>(), want, "{name}");
    }
    assert_eq!(a.gt_scalar(1.5).to_vec::<bool>(), vec![false, true, true]);
    assert_eq!(a.eq_scalar(3.0).to_vec::<bool>(), vec![false, false, true]);
    let nan = vec64(&[f64::NAN]);
    assert_eq!(nan.eq(&nan).to_vec::<bool>(), vec![false]);
    assert_eq!(nan.ne(&nan).to_vec::<bool>(), vec![true]);
}

#[test]
fn comparisons_promote_before_comparing() {
    // 1.5 > 1 in float, although truncating 1.5 to an integer would give 1 > 1 == false.
    let f = tensor!([1.5, 0.5]);
    let i = tensor!([1, 1]);
    assert_eq!(f.gt(&i).to_vec::<bool>(), vec![true, false]);
    assert_eq!(i.lt_scalar(1.5).to_vec::<bool>(), vec![true, true]);
    assert_eq!(
        tensor!([true, false]).eq(&tensor!([1, 1])).to_vec::<bool>(),
        vec![true, false]
    );
}

#[test]
fn maximum_and_minimum_propagate_nan() {
    let a = vec64(&[f64::NAN, 1.0]);
    let b = vec64(&[1.0, f64::NAN]);
    assert!(f64s(&a.maximum(&b)).iter().all(|v| v.is_nan()));
    assert!(f64s(&a.minimum(&b)).iter().all(|v| v.is_nan()));
}

#[test]
fn binary_every_dtype_on_transposed_operands() {
    let va = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let vb = [1.0, 1.0, 2.0, 3.0, 1.0, 2.0]; // <= va, so U8 differences do not wrap
    let (ea, eb) = (transposed_order(va), transposed_order(vb));
    for dtype in DType::ALL {
        let (a, b) = (transposed(va, dtype), transposed(vb, dtype));
        let ar = f64s(&a);
        let br = f64s(&b);
        if dtype == DType::Bool {
            // Bool: add is `or`, mul is `and`; sub is refused.
            assert_eq!(a.add(&b).dtype(), DType::Bool);
            assert_eq!(a.mul(&b).to_vec::<bool>(), vec![true; 6]);
            assert!(a.try_sub(&b).is_err());
            assert_eq!(a.div(&b).dtype(), DType::F32);
            continue;
        }
        let expect = |f: fn(f64, f64) -> f64| -> Vec<f64> {
            ar.iter().zip(&br).map(|(x, y)| f(*x, *y)).collect()
        };
        assert_eq!(ar, ea);
        assert_eq!(br, eb);
        let t = tol(dtype).max(1e-6);
        let add = a.add(&b);
        assert_eq!(add.dtype(), dtype);
        assert_close(&f64s(&add), &expect(|x, y| x + y), t);
        assert_close(&f64s(&a.sub(&b)), &expect(|x, y| x - y), t);
        assert_close(&f64s(&a.mul(&b)), &expect(|x, y| x * y), t);
        assert_close(&f64s(&a.pow(&b)), &expect(f64::powf), t);
        assert_close(&f64s(&a.maximum(&b)), &expect(f64::max), t);
        assert_close(&f64s(&a.minimum(&b)), &expect(f64::min), t);
        let div = a.div(&b);
        assert_eq!(
            div.dtype(),
            if dtype.is_float() { dtype } else { DType::F32 }
        );
        assert_close(&f64s(&div), &expect(|x, y| x / y), tol(div.dtype()));
        assert_eq!(
            a.lt(&b).to_vec::<bool>(),
            ar.iter().zip(&br).map(|(x, y)| x < y).collect::<Vec<_>>()
        );
        assert_eq!(
            a.eq(&b).to_vec::<bool>(),
            ar.iter().zip(&br).map(|(x, y)| x == y).collect::<Vec<_>>()
        );
    }
}

#[test]
fn integer_arithmetic_wraps() {
    let a = Tensor::from_vec(vec![250u8, 3], [2]);
    let b = Tensor::from_vec(vec![10u8, 5], [2]);
    assert_eq!(a.add(&b).to_vec::<u8>(), vec![4, 8]);
    assert_eq!(b.sub(&a).to_vec::<u8>(), vec![16, 2]);
    let i = Tensor::from_vec(vec![i8::MAX], [1]);
    assert_eq!(
        i.add(&Tensor::from_vec(vec![1i8], [1])).to_vec::<i8>(),
        vec![i8::MIN]
    );
    assert_eq!(
        tensor!([2, 3]).pow(&tensor!([10, 2])).to_vec::<i64>(),
        vec![1024, 9]
    );
}

#[test]
fn broadcasting_shapes() {
    // [2, 3] + [3]
    let a = tensor!([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    let b = tensor!([10.0, 20.0, 30.0]);
    assert_eq!(
        (&a + &b).to_vec::<f32>(),
        vec![11.0, 22.0, 33.0, 14.0, 25.0, 36.0]
    );
    assert_eq!(
        (&b - &a).to_vec::<f32>(),
        vec![9.0, 18.0, 27.0, 6.0, 15.0, 24.0]
    );

    // [4, 1, 3] * [2, 1] -> [4, 2, 3]
    let x = Tensor::arange(0.0, 12.0, 1.0, DType::F64).reshape([4, 1, 3]);
    let y = Tensor::from_vec(vec![1.0, -1.0], [2, 1]);
    let z = x.mul(&y);
    assert_eq!(z.shape(), &[4, 2, 3]);
    let got = f64s(&z);
    for i in 0..4 {
        for j in 0..2 {
            for k in 0..3 {
                let want = (i * 3 + k) as f64 * if j == 0 { 1.0 } else { -1.0 };
                assert_eq!(got[(i * 2 + j) * 3 + k], want);
            }
        }
    }

    // 0-d operands on either side, and 0-d with 0-d
    let s = Tensor::scalar(2.0f32);
    assert_eq!(
        a.mul(&s).to_vec::<f32>(),
        vec![2.0, 4.0, 6.0, 8.0, 10.0, 12.0]
    );
    assert_eq!(s.sub(&b).to_vec::<f32>(), vec![-8.0, -18.0, -28.0]);
    let ss = s.add(&Tensor::scalar(3.0f32));
    assert_eq!((ss.dim(), ss.item::<f32>()), (0, 5.0));

    // a size-0 dim broadcasts against 1
    let e = Tensor::zeros([0, 1], DType::F32).add(&Tensor::ones([3], DType::F32));
    assert_eq!(e.shape(), &[0, 3]);

    // comparisons broadcast too
    let c = tensor!([[1], [3]]).gt(&tensor!([0, 2, 4]));
    assert_eq!(c.shape(), &[2, 3]);
    assert_eq!(
        c.to_vec::<bool>(),
        vec![true, false, false, true, true, false]
    );
}

#[test]
fn broadcasting_with_non_contiguous_operands() {
    let m = Tensor::arange(0.0, 6.0, 1.0, DType::F32)
        .reshape([2, 3])
        .t(); // [3, 2]
    let row = Tensor::from_vec(vec![100.0f32, 200.0, 300.0, 400.0], [4]).narrow(0, 1, 2); // [200, 300]
    let got = (&m + &row).to_vec::<f32>();
    assert_eq!(got, vec![200.0, 303.0, 201.0, 304.0, 202.0, 305.0]);
    let col = tensor!([1.0, 2.0, 3.0]).flip([0]).unsqueeze(1); // [[3], [2], [1]]
    assert_eq!(
        (&m * &col).to_vec::<f32>(),
        vec![0.0, 9.0, 2.0, 8.0, 2.0, 5.0]
    );
}

#[test]
fn type_promotion() {
    let i64t = tensor!([1, 2]);
    let f32t = tensor!([0.5, 0.25]);
    assert_eq!(i64t.add(&f32t).dtype(), DType::F32);
    assert_eq!(i64t.add(&f32t).to_vec::<f32>(), vec![1.5, 2.25]);

    let b = tensor!([true, false]);
    let i32t = Tensor::from_vec(vec![5i32, 6], [2]);
    let s = b.add(&i32t);
    assert_eq!(s.dtype(), DType::I32);
    assert_eq!(s.to_vec::<i32>(), vec![6, 6]);

    let q = i32t.div(&Tensor::from_vec(vec![2i32, 4], [2]));
    assert_eq!(q.dtype(), DType::F32);
    assert_eq!(q.to_vec::<f32>(), vec![2.5, 1.5]);

    let h = Tensor::from_vec(vec![half::f16::from_f32(1.5)], [1]);
    assert_eq!((&h * 2.0).dtype(), DType::F16);
    assert_eq!((&h * 2.0).item::<f32>(), 3.0);
    assert_eq!((2.0 * &h).dtype(), DType::F16);

    // A 0-d tensor of a higher kind wins; one of the same kind does not.
    let z64 = Tensor::scalar(0.5f64);
    assert_eq!(i64t.add(&z64).dtype(), DType::F64);
    assert_eq!(i64t.add(&z64).to_vec::<f64>(), vec![1.5, 2.5]);
    let f = Tensor::ones([2, 3], DType::F32);
    assert_eq!(f.add(&z64).dtype(), DType::F32);
    assert_eq!(i64t.add(&Tensor::scalar(7i32)).dtype(), DType::I64);
    assert_eq!(
        Tensor::from_vec(vec![1u8], [1])
            .add(&Tensor::from_vec(vec![1i8], [1]))
            .dtype(),
        DType::I32
    );
    assert_eq!(
        Tensor::ones([1], DType::F16)
            .add(&Tensor::ones([1], DType::BF16))
            .dtype(),
        DType::F32
    );

    // A float number with an integer tensor gives the default float dtype.
    assert_eq!((&i64t + 0.5).dtype(), DType::F32);
    assert_eq!((&i64t + 0.5).to_vec::<f32>(), vec![1.5, 2.5]);
    // Comparisons of mixed dtypes return Bool.
    assert_eq!(i64t.lt(&f32t).dtype(), DType::Bool);
}

#[test]
fn operators_on_tensors_references_and_numbers() {
    let x = tensor!([1.0, 2.0, 3.0]);
    let y = 3.0 * &x * &x - 4.0 * &x + 5.0;
    assert_eq!(y.to_vec::<f32>(), vec![4.0, 9.0, 20.0]);
    let a = tensor!([6.0, 8.0]);
    let b = tensor!([2.0, 4.0]);
    assert_eq!((&a + &b).to_vec::<f32>(), vec![8.0, 12.0]);
    assert_eq!((a.clone() - &b).to_vec::<f32>(), vec![4.0, 4.0]);
    assert_eq!((&a * b.clone()).to_vec::<f32>(), vec![12.0, 32.0]);
    assert_eq!((a.clone() / b.clone()).to_vec::<f32>(), vec![3.0, 2.0]);
    assert_eq!((&a / 2.0).to_vec::<f32>(), vec![3.0, 4.0]);
    assert_eq!((24.0 / &a).to_vec::<f32>(), vec![4.0, 3.0]);
    assert_eq!((10.0 - &a).to_vec::<f32>(), vec![4.0, 2.0]);
    assert_eq!((1.0 + a.clone()).to_vec::<f32>(), vec![7.0, 9.0]);
    assert_eq!((a.clone() * 0.5).to_vec::<f32>(), vec![3.0, 4.0]);
    assert_eq!((-&a).to_vec::<f32>(), vec![-6.0, -8.0]);
    assert_eq!((-a.clone()).to_vec::<f32>(), vec![-6.0, -8.0]);
    assert_eq!((-tensor!([1, -2])).to_vec::<i64>(), vec![-1, 2]);
    // An integer tensor divided by a number is float.
    assert_eq!((tensor!([3, 4]) / 2.0).to_vec::<f32>(), vec![1.5, 2.0]);
}

#[test]
fn scalar_methods() {
    let a = tensor!([1.0, 4.0]);
    assert_eq!(a.add_scalar(1.0).to_vec::<f32>(), vec![2.0, 5.0]);
    assert_eq!(a.sub_scalar(1.0).to_vec::<f32>(), vec![0.0, 3.0]);
    assert_eq!(a.mul_scalar(3.0).to_vec::<f32>(), vec![3.0, 12.0]);
    assert_eq!(a.div_scalar(2.0).to_vec::<f32>(), vec![0.5, 2.0]);
    assert_eq!(a.pow_scalar(0.5).to_vec::<f32>(), vec![1.0, 2.0]);
    assert_eq!(a.maximum_scalar(2.0).to_vec::<f32>(), vec![2.0, 4.0]);
    assert_eq!(a.minimum_scalar(2.0).to_vec::<f32>(), vec![1.0, 2.0]);
}

#[test]
fn binary_gradcheck_with_broadcasting() {
    let a = Tensor::from_vec(vec![0.5, 1.2, -0.7, 2.0, 1.5, -1.1], [2, 3]).requires_grad_(true);
    let b = Tensor::from_vec(vec![0.9, -1.3, 1.7], [3]).requires_grad_(true);
    let pa = Tensor::from_vec(vec![0.5, 1.2, 0.7, 2.0, 1.5, 1.1], [3, 2])
        .t()
        .requires_grad_(true);
    let cases: Vec<(&str, BinaryFn)> = vec![
        ("add", |a, b| a.add(b)),
        ("sub", |a, b| a.sub(b)),
        ("mul", |a, b| a.mul(b)),
        ("div", |a, b| a.div(b)),
        ("maximum", |a, b| a.maximum(b)),
        ("minimum", |a, b| a.minimum(b)),
    ];
    for (name, op) in &cases {
        let r = gradcheck(|xs| op(&xs[0], &xs[1]), &[&a, &b]);
        assert!(r.is_ok(), "gradcheck {name}: {r:?}");
        let r = gradgradcheck(|xs| op(&xs[0], &xs[1]), &[&a, &b]);
        assert!(r.is_ok(), "gradgradcheck {name}: {r:?}");
    }
    let r = gradcheck(|xs| xs[0].pow(&xs[1]), &[&pa, &b]);
    assert!(r.is_ok(), "gradcheck pow: {r:?}");
    let s = Tensor::scalar(1.3f64).requires_grad_(true);
    let r = gradcheck(|xs| &xs[0] * &xs[1] + &xs[1], &[&pa, &s]);
    assert!(r.is_ok(), "gradcheck 0-d: {r:?}");
}

#[test]
fn operator_polynomial_gradient() {
    let x = Tensor::from_vec(vec![-1.0, 0.5, 2.0], [3]).requires_grad_(true);
    (3.0 * &x * &x - 4.0 * &x + 5.0).sum().backward();
    assert_eq!(f64s(&x.grad().unwrap()), vec![-10.0, -1.0, 8.0]);
}

#[test]
fn mixed_dtype_gradient_comes_back_in_the_input_dtype() {
    let a = Tensor::ones([2], DType::F32).requires_grad_(true);
    let b = Tensor::ones([2], DType::F64).requires_grad_(true);
    (&a * &b).sum().backward();
    assert_eq!(a.grad().unwrap().dtype(), DType::F32);
    assert_eq!(b.grad().unwrap().dtype(), DType::F64);
}

#[test]
#[should_panic(expected = "add: shapes [2, 3] and [2] cannot be broadcast together")]
fn add_shape_mismatch_names_both_shapes() {
    let _ = Tensor::zeros([2, 3], DType::F32) + Tensor::zeros([2], DType::F32);
}

#[test]
fn try_forms_return_errors() {
    let a = Tensor::zeros([2, 3], DType::F32);
    let b = Tensor::zeros([4], DType::F32);
    for r in [
        a.try_add(&b),
        a.try_sub(&b),
        a.try_mul(&b),
        a.try_div(&b),
        a.try_pow(&b),
        a.try_maximum(&b),
        a.try_minimum(&b),
        a.try_eq(&b),
        a.try_lt(&b),
    ] {
        let msg = r.unwrap_err().to_string();
        assert!(msg.contains("[2, 3]") && msg.contains("[4]"), "{msg}");
    }
    let msg = a.try_mul(&b).unwrap_err().to_string();
    assert!(msg.starts_with("mul:"), "{msg}");
}

#[test]
#[should_panic(expected = "sub: not supported for bool tensors")]
fn bool_subtraction_panics() {
    let _ = tensor!([true]) - tensor!([false]);
}

#[test]
fn device_mismatch_and_missing_device_are_errors() {
    let a = tensor!([1.0]);
    match a.to_device(&Device::Cuda(0)) {
        Ok(g) => {
            let msg = a.try_add(&g).unwrap_err().to_string();
            assert!(msg.contains("same device"), "{msg}");
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

// ----- where_, masked_fill ---------------------------------------------------------------------

#[test]
fn where_picks_and_broadcasts() {
    let cond = tensor!([[true, false, true], [false, true, false]]);
    let a = tensor!([1.0, 2.0, 3.0]);
    let b = Tensor::scalar(-1.0f32);
    let y = Tensor::where_(&cond, &a, &b);
    assert_eq!(y.shape(), &[2, 3]);
    assert_eq!(y.to_vec::<f32>(), vec![1.0, -1.0, 3.0, -1.0, 2.0, -1.0]);
    // promotion: i64 and f64 -> f64; a transposed condition
    let y = Tensor::where_(
        &cond.t(),
        &tensor!([[10], [20], [30]]),
        &Tensor::zeros([3, 2], DType::F64),
    );
    assert_eq!(y.dtype(), DType::F64);
    assert_eq!(f64s(&y), vec![10.0, 0.0, 0.0, 20.0, 30.0, 0.0]);
    // condition from a comparison
    let x = tensor!([-2.0, 3.0]);
    assert_eq!(
        Tensor::where_(&x.gt_scalar(0.0), &x, &Tensor::zeros_like(&x)).to_vec::<f32>(),
        vec![0.0, 3.0]
    );
}

#[test]
fn where_gradcheck() {
    let cond = tensor!([[true, false, true], [false, true, true]]);
    let a = Tensor::from_vec(vec![0.5, 1.5, -0.5, 2.0, 1.0, 0.3], [2, 3]).requires_grad_(true);
    let b = Tensor::from_vec(vec![0.1, 0.2, 0.3], [3]).requires_grad_(true);
    assert!(gradcheck(|xs| Tensor::where_(&cond, &xs[0], &xs[1]), &[&a, &b]).is_ok());
}

#[test]
#[should_panic(expected = "where_: the condition must be a Bool tensor")]
fn where_requires_bool_condition() {
    Tensor::where_(&tensor!([1, 0]), &tensor!([1.0, 2.0]), &tensor!([3.0, 4.0]));
}

#[test]
fn try_where_reports_shape_mismatch() {
    let msg = Tensor::try_where(
        &tensor!([true, false]),
        &tensor!([1.0, 2.0, 3.0]),
        &tensor!([1.0]),
    )
    .unwrap_err()
    .to_string();
    assert!(msg.contains("[2]") && msg.contains("[3]"), "{msg}");
}

#[test]
fn masked_fill_values_dtypes_and_views() {
    let x = tensor!([[1.0, 2.0], [3.0, 4.0]]);
    let mask = tensor!([true, false]);
    assert_eq!(
        x.masked_fill(&mask, -1.0).to_vec::<f32>(),
        vec![-1.0, 2.0, -1.0, 4.0]
    );
    assert_eq!(
        x.t().masked_fill(&mask, 0.0).to_vec::<f32>(),
        vec![0.0, 3.0, 0.0, 4.0]
    );
    let i = tensor!([5, 6, 7]);
    let y = i.masked_fill(&tensor!([false, true, false]), 2.9);
    assert_eq!(y.dtype(), DType::I64);
    assert_eq!(y.to_vec::<i64>(), vec![5, 2, 7]);
    // the input is unchanged
    assert_eq!(x.to_vec::<f32>(), vec![1.0, 2.0, 3.0, 4.0]);
    let a = Tensor::from_vec(vec![0.5, 1.5, -0.5, 2.0], [2, 2]).requires_grad_(true);
    assert!(gradcheck(|xs| xs[0].masked_fill(&mask, 3.0), &[&a]).is_ok());
}

#[test]
fn masked_fill_errors() {
    let x = tensor!([1.0, 2.0]);
    let msg = x
        .try_masked_fill(&tensor!([1, 0]), 0.0)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("Bool"), "{msg}");
    let msg = x
        .try_masked_fill(&tensor!([[true, false], [true, true]]), 0.0)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("[2, 2]") && msg.contains("[2]"), "{msg}");
}

// ----- in place --------------------------------------------------------------------------------

#[test]
fn in_place_arithmetic_through_a_select_view() {
    let x = Tensor::arange(0.0, 9.0, 1.0, DType::F32).reshape([3, 3]);
    let r = x.select(0, 2).mul_(&tensor!([2.0]));
    assert_eq!(r.to_vec::<f32>(), vec![12.0, 14.0, 16.0]);
    assert_eq!(
        x.to_vec::<f32>(),
        vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 12.0, 14.0, 16.0]
    );
    x.select(1, 0).add_(&tensor!([100.0, 200.0, 300.0]));
    assert_eq!(
        x.to_vec::<f32>(),
        vec![100.0, 1.0, 2.0, 203.0, 4.0, 5.0, 312.0, 14.0, 16.0]
    );
    x.narrow(1, 1, 2).sub_(&tensor!([1.0, 2.0]));
    assert_eq!(
        x.to_vec::<f32>(),
        vec![100.0, 0.0, 0.0, 203.0, 3.0, 3.0, 312.0, 13.0, 14.0]
    );
    x.t().select(0, 0).div_(&Tensor::scalar(4.0f32));
    assert_eq!(
        x.to_vec::<f32>(),
        vec![25.0, 0.0, 0.0, 50.75, 3.0, 3.0, 78.0, 13.0, 14.0]
    );
}

#[test]
fn copy_into_a_narrowed_slice() {
    let x = Tensor::zeros([4, 2], DType::F64);
    let y = tensor!([[1.0, 2.0], [3.0, 4.0]]); // F32 source converts
    x.narrow(0, 1, 2).copy_(&y);
    assert_eq!(f64s(&x), vec![0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 0.0, 0.0]);
    // broadcasting source, transposed destination
    x.t().narrow(1, 3, 1).copy_(&tensor!([[7.0], [8.0]]));
    assert_eq!(f64s(&x), vec![0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 7.0, 8.0]);
    // float into int truncates toward zero
    let i = Tensor::zeros([2], DType::I32);
    i.copy_(&tensor!([2.9, -2.9]));
    assert_eq!(i.to_vec::<i32>(), vec![2, -2]);
}

#[test]
fn fill_zero_and_clamp_in_place_through_views() {
    let x = Tensor::arange(1.0, 7.0, 1.0, DType::I64).reshape([2, 3]);
    x.t().select(0, 1).fill_(9.0);
    assert_eq!(x.to_vec::<i64>(), vec![1, 9, 3, 4, 9, 6]);
    x.narrow(0, 1, 1).zero_();
    assert_eq!(x.to_vec::<i64>(), vec![1, 9, 3, 0, 0, 0]);
    x.select(0, 0).clamp_(Some(2.0), Some(5.0));
    assert_eq!(x.to_vec::<i64>(), vec![2, 5, 3, 0, 0, 0]);
    let f = tensor!([[-1.0, 0.5], [2.0, 3.0]]);
    f.flip([1]).clamp_(None, Some(1.0));
    assert_eq!(f.to_vec::<f32>(), vec![-1.0, 0.5, 1.0, 1.0]);
    let b = Tensor::zeros([3], DType::Bool);
    b.narrow(0, 1, 1).fill_(1.0);
    assert_eq!(b.to_vec::<bool>(), vec![false, true, false]);
}

#[test]
fn in_place_with_aliased_operands_reads_the_original_values() {
    let x = tensor!([[1.0, 2.0], [3.0, 4.0]]);
    x.add_(&x.t());
    assert_eq!(x.to_vec::<f32>(), vec![2.0, 5.0, 5.0, 8.0]);
    let y = tensor!([[1.0, 2.0], [3.0, 4.0]]);
    y.copy_(&y.t());
    assert_eq!(y.to_vec::<f32>(), vec![1.0, 3.0, 2.0, 4.0]);
    let z = tensor!([1, 2, 3, 4]);
    z.copy_(&z.flip([0]));
    assert_eq!(z.to_vec::<i64>(), vec![4, 3, 2, 1]);
    let w = tensor!([1.0, 2.0, 3.0]);
    w.narrow(0, 1, 2).mul_(&w.narrow(0, 0, 2));
    assert_eq!(w.to_vec::<f32>(), vec![1.0, 2.0, 6.0]);
    let v = tensor!([2.0, 3.0]);
    v.mul_(&v);
    assert_eq!(v.to_vec::<f32>(), vec![4.0, 9.0]);
}

#[test]
fn in_place_keeps_the_destination_dtype() {
    let x = Tensor::ones([2], DType::F16);
    x.add_(&Tensor::ones([2], DType::F64));
    assert_eq!(x.dtype(), DType::F16);
    assert_eq!(x.to_vec::<f32>(), vec![2.0, 2.0]);
    let i = tensor!([1, 2]);
    i.mul_(&Tensor::from_vec(vec![3i32, 4], [2]));
    assert_eq!(i.to_vec::<i64>(), vec![3, 8]);
}

#[test]
#[should_panic(expected = "can't be cast to the desired output type")]
fn in_place_float_into_int_panics() {
    tensor!([1, 2]).add_(&tensor!([0.5, 0.5]));
}

#[test]
fn in_place_errors_on_the_try_form() {
    let x = Tensor::zeros([2], DType::F32);
    let msg = x
        .try_add_(&Tensor::zeros([3, 2], DType::F32))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("add_") && msg.contains("[3, 2]") && msg.contains("[2]"),
        "{msg}"
    );
    let msg = x
        .try_copy_(&tensor!([1.0, 2.0, 3.0]))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("copy_"), "{msg}");
}

#[test]
#[should_panic(
    expected = "a leaf tensor that requires grad is being used in an in-place operation"
)]
fn in_place_on_a_leaf_that_requires_grad_panics() {
    let x = tensor!([1.0]).requires_grad_(true);
    x.mul_(&tensor!([2.0]));
}

#[test]
fn in_place_under_no_grad_updates_a_leaf() {
    let x = tensor!([1.0, 2.0]).requires_grad_(true);
    firebrand::no_grad(|| x.mul_(&tensor!([3.0])));
    assert_eq!(x.to_vec::<f32>(), vec![3.0, 6.0]);
    assert!(x.requires_grad());
}

#[test]
fn in_place_on_a_non_leaf_is_differentiable() {
    let a = Tensor::from_vec(vec![1.0, 2.0], [2]).requires_grad_(true);
    let y = &a * 2.0;
    y.mul_(&Tensor::from_vec(vec![3.0, 5.0], [2]));
    y.sum().backward();
    assert_eq!(f64s(&a.grad().unwrap()), vec![6.0, 10.0]);
}

// ----- conversions -----------------------------------------------------------------------------

#[test]
fn to_dtype_between_every_pair() {
    // values every dtype holds exactly
    let values = [0.0, 1.0, 2.0, 5.0, 100.0, 3.0];
    for from in DType::ALL {
        for to in DType::ALL {
            let x = transposed(values, from);
            let y = x.to_dtype(to);
            assert_eq!(y.dtype(), to);
            assert_eq!(y.shape(), &[3, 2]);
            let want: Vec<f64> = transposed_order(values)
                .into_iter()
                .map(|v| {
                    if from == DType::Bool || to == DType::Bool {
                        (v != 0.0) as u8 as f64
                    } else {
                        v
                    }
                })
                .collect();
            assert_eq!(f64s(&y), want, "{from:?} -> {to:?}");
        }
    }
}

#[test]
fn to_dtype_truncates_rounds_and_tests_nonzero() {
    let x = Tensor::from_vec(vec![1.7, -1.7, 0.0, -0.0, 0.25, 300.5], [6]);
    assert_eq!(
        x.to_dtype(DType::I64).to_vec::<i64>(),
        vec![1, -1, 0, 0, 0, 300]
    );
    assert_eq!(
        x.to_dtype(DType::I32).to_vec::<i32>(),
        vec![1, -1, 0, 0, 0, 300]
    );
    assert_eq!(
        x.to_dtype(DType::Bool).to_vec::<bool>(),
        vec![true, true, false, false, true, true]
    );
    // f16 (11-bit mantissa) holds 300.5 exactly; bf16 (8 bits) rounds it to 300
    assert_eq!(x.to_dtype(DType::F16).to_vec::<f64>()[5], 300.5);
    assert_eq!(x.to_dtype(DType::BF16).to_vec::<f64>()[5], 300.0);
    assert_eq!(x.to_dtype(DType::F16).to_vec::<f64>()[4], 0.25);
    // NaN is true, as in PyTorch
    assert!(vec64(&[f64::NAN]).to_dtype(DType::Bool).item::<bool>());
    // integer narrowing wraps
    let big = Tensor::from_vec(vec![300i64, -1, 128], [3]);
    assert_eq!(big.to_dtype(DType::U8).to_vec::<u8>(), vec![44, 255, 128]);
    assert_eq!(big.to_dtype(DType::I8).to_vec::<i8>(), vec![44, -1, -128]);
    // i64 values above 2^53 convert exactly between integer dtypes
    let exact = Tensor::from_vec(vec![(1i64 << 53) + 1], [1]);
    assert_eq!(exact.to_dtype(DType::I64).item::<i64>(), (1 << 53) + 1);
    assert_eq!(exact.to_vec::<i64>(), vec![(1 << 53) + 1]);
}

#[test]
fn negative_floats_to_unsigned_wrap_as_in_pytorch() {
    // torch.tensor([-1.0, -2.5]).to(torch.uint8) == tensor([255, 254])
    let x = tensor!([-1.0, -2.5, 3.9]);
    assert_eq!(x.to_dtype(DType::U8).to_vec::<u8>(), vec![255, 254, 3]);
    assert_eq!(
        tensor!([200.0]).to_dtype(DType::I8).to_vec::<i8>(),
        vec![-56]
    );
}

#[test]
fn to_dtype_same_dtype_shares_storage_and_gradient_flows_back() {
    let x = tensor!([1.0, 2.0]);
    let y = x.to_dtype(DType::F32);
    y.add_(&tensor!([1.0]));
    assert_eq!(x.to_vec::<f32>(), vec![2.0, 3.0]);
    let a = Tensor::from_vec(vec![0.5, 1.5], [2]).requires_grad_(true);
    let b = a.to_dtype(DType::F32);
    assert_eq!(b.grad_fn_name().as_deref(), Some("ToCopyBackward0"));
    (b * 2.0).sum().backward();
    let g = a.grad().unwrap();
    assert_eq!(g.dtype(), DType::F64);
    assert_eq!(f64s(&g), vec![2.0, 2.0]);
}

#[test]
fn to_vec_and_item_convert() {
    let x = tensor!([[1.5, -2.5], [3.0, 0.0]]);
    assert_eq!(x.to_vec::<f64>(), vec![1.5, -2.5, 3.0, 0.0]);
    assert_eq!(x.to_vec::<i64>(), vec![1, -2, 3, 0]);
    assert_eq!(x.to_vec::<bool>(), vec![true, true, true, false]);
    assert_eq!(x.t().to_vec::<f32>(), vec![1.5, 3.0, -2.5, 0.0]);
    assert_eq!(x.select(0, 1).select(0, 0).item::<f64>(), 3.0);
    assert_eq!(tensor!([[7]]).item::<u8>(), 7);
    assert_eq!(tensor!(true).item::<i32>(), 1);
    assert_eq!(Tensor::scalar(half::bf16::from_f32(2.5)).item::<f32>(), 2.5);
    let msg = x.try_item::<f32>().unwrap_err().to_string();
    assert!(
        msg.contains("4 elements") && msg.contains("[2, 2]"),
        "{msg}"
    );
}

#[test]
#[should_panic(expected = "item: a tensor with 2 elements")]
fn item_of_two_elements_panics() {
    tensor!([1, 2]).item::<i64>();
}

#[test]
fn contiguous_and_deep_clone() {
    let x = tensor!([[1, 2], [3, 4]]);
    let same = x.contiguous();
    same.add_(&tensor!([10]));
    assert_eq!(x.to_vec::<i64>(), vec![11, 12, 13, 14]);
    let c = x.t().contiguous();
    assert!(c.is_contiguous());
    assert_eq!(c.strides(), &[2, 1]);
    c.zero_();
    assert_eq!(x.to_vec::<i64>(), vec![11, 12, 13, 14]);
    let d = x.deep_clone();
    d.zero_();
    assert_eq!(x.to_vec::<i64>(), vec![11, 12, 13, 14]);
}

// ----- creation --------------------------------------------------------------------------------

#[test]
fn tensor_literals_of_each_kind() {
    let f = tensor!([[1.0, -2.0, 3.5], [4.0, 5.0, -6.25]]);
    assert_eq!((f.dtype(), f.shape()), (DType::F32, &[2usize, 3][..]));
    assert_eq!(f.to_vec::<f32>(), vec![1.0, -2.0, 3.5, 4.0, 5.0, -6.25]);
    let i = tensor!([-1, 0, 7]);
    assert_eq!((i.dtype(), i.to_vec::<i64>()), (DType::I64, vec![-1, 0, 7]));
    let b = tensor!([[true, false]]);
    assert_eq!((b.dtype(), b.shape()), (DType::Bool, &[1usize, 2][..]));
    let cube = tensor!([[[1, 2], [3, 4]], [[-5, 6], [7, -8]]]);
    assert_eq!(cube.shape(), &[2, 2, 2]);
    assert_eq!(cube.strides(), &[4, 2, 1]);
    assert_eq!(cube.to_vec::<i64>(), vec![1, 2, 3, 4, -5, 6, 7, -8]);
    let s = tensor!(-2.5);
    assert_eq!((s.dim(), s.item::<f32>()), (0, -2.5));
    assert_eq!(tensor!([-3.0f64]).dtype(), DType::F32);
}

#[test]
fn from_vec_slice_and_scalar_of_every_element_type() {
    assert_eq!(Tensor::from_vec(vec![1.0f64, 2.0], [2]).dtype(), DType::F64);
    assert_eq!(Tensor::from_vec(vec![1.0f32], [1]).dtype(), DType::F32);
    assert_eq!(
        Tensor::from_vec(vec![half::f16::ONE], [1]).dtype(),
        DType::F16
    );
    assert_eq!(
        Tensor::from_vec(vec![half::bf16::ONE], [1]).dtype(),
        DType::BF16
    );
    assert_eq!(Tensor::from_vec(vec![1i8], [1]).dtype(), DType::I8);
    assert_eq!(Tensor::from_vec(vec![1i32], [1]).dtype(), DType::I32);
    assert_eq!(Tensor::from_vec(vec![1i64], [1]).dtype(), DType::I64);
    assert_eq!(Tensor::from_vec(vec![1u8], [1]).dtype(), DType::U8);
    assert_eq!(Tensor::from_vec(vec![true], [1]).dtype(), DType::Bool);
    let t = Tensor::from_slice(&[1i32, 2, 3, 4, 5, 6], [3, 2]);
    assert_eq!(t.shape(), &[3, 2]);
    assert_eq!(Tensor::from_vec(Vec::<f32>::new(), [0, 4]).shape(), &[0, 4]);
    assert_eq!(Tensor::scalar(7u8).shape(), &[] as &[usize]);
}

#[test]
fn try_from_vec_errors() {
    let msg = Tensor::try_from_vec(vec![1u8; 5], [2, 3])
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("5 elements") && msg.contains("[2, 3]"),
        "{msg}"
    );
    assert!(Tensor::try_from_vec(vec![1.0f32; 6], [-2, 3]).is_err());
    let msg = Tensor::try_from_vec(vec![0u8; 0], [usize::MAX, 2])
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("more elements than memory can address"),
        "{msg}"
    );
}

#[test]
#[should_panic(expected = "from_vec: 3 elements cannot fill shape [2, 2]")]
fn from_vec_size_mismatch_panics() {
    Tensor::from_vec(vec![1.0f32; 3], [2, 2]);
}

#[test]
fn zeros_ones_full_and_like() {
    for dtype in DType::ALL {
        let z = Tensor::zeros([2, 3], dtype);
        assert_eq!((z.dtype(), z.shape()), (dtype, &[2usize, 3][..]));
        assert_eq!(f64s(&z), vec![0.0; 6]);
        assert_eq!(f64s(&Tensor::ones([2], dtype)), vec![1.0; 2]);
        let like = Tensor::ones_like(&z.t());
        assert_eq!((like.dtype(), like.shape()), (dtype, &[3usize, 2][..]));
        assert_eq!(f64s(&Tensor::zeros_like(&like)), vec![0.0; 6]);
    }
    assert_eq!(f64s(&Tensor::full([2, 2], 7.0, DType::F64)), vec![7.0; 4]);
    assert_eq!(
        Tensor::full([2], -2.7, DType::I32).to_vec::<i32>(),
        vec![-2, -2]
    );
    assert_eq!(
        Tensor::full([1], 0.5, DType::Bool).to_vec::<bool>(),
        vec![true]
    );
    let like = Tensor::full_like(&tensor!([1, 2, 3]), 4.0);
    assert_eq!(
        (like.dtype(), like.to_vec::<i64>()),
        (DType::I64, vec![4, 4, 4])
    );
    assert_eq!(Tensor::zeros((), DType::F32).dim(), 0);
}

#[test]
fn overflowing_or_negative_shapes_are_errors() {
    let msg = Tensor::try_full([usize::MAX, 2], 0.0, DType::F32)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("full") && msg.contains("more elements"),
        "{msg}"
    );
    assert!(Tensor::try_full([1usize << 40, 1 << 40], 0.0, DType::U8).is_err());
    let msg = Tensor::try_full([2, -3], 0.0, DType::F32)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("negative size -3"), "{msg}");
    assert!(Tensor::try_rand([usize::MAX, 3], DType::F32).is_err());
    assert!(Tensor::try_randn([usize::MAX, 3], DType::F32).is_err());
    assert!(Tensor::try_randint(0, 2, [usize::MAX, 3], DType::I64).is_err());
}

#[test]
#[should_panic(expected = "more elements than memory can address")]
fn zeros_with_an_overflowing_shape_panics() {
    Tensor::zeros([usize::MAX, usize::MAX], DType::F32);
}

#[test]
fn arange_integer_and_float_steps() {
    assert_eq!(
        Tensor::arange(0.0, 5.0, 1.0, DType::I64).to_vec::<i64>(),
        vec![0, 1, 2, 3, 4]
    );
    assert_eq!(
        Tensor::arange(0.0, 5.0, 2.0, DType::I32).to_vec::<i32>(),
        vec![0, 2, 4]
    );
    assert_eq!(
        Tensor::arange(5.0, 0.0, -2.0, DType::I64).to_vec::<i64>(),
        vec![5, 3, 1]
    );
    let f = Tensor::arange(0.0, 1.0, 0.25, DType::F32);
    assert_eq!(f.to_vec::<f32>(), vec![0.0, 0.25, 0.5, 0.75]);
    // ceil((1 - 0) / 0.3) = 4 elements
    assert_close(
        &f64s(&Tensor::arange(0.0, 1.0, 0.3, DType::F64)),
        &[0.0, 0.3, 0.6, 0.9],
        1e-15,
    );
    assert_eq!(
        Tensor::arange(-1.5, 1.0, 1.0, DType::F64).to_vec::<f64>(),
        vec![-1.5, -0.5, 0.5]
    );
    assert_eq!(Tensor::arange(2.0, 2.0, 1.0, DType::F32).shape(), &[0]);
}

#[test]
fn arange_errors() {
    for (start, end, step) in [
        (0.0, 5.0, 0.0),
        (0.0, 5.0, -1.0),
        (5.0, 0.0, 1.0),
        (0.0, 1.0, f64::NAN),
    ] {
        let msg = Tensor::try_arange(start, end, step, DType::F32)
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("arange:"), "{msg}");
    }
    assert!(Tensor::try_arange(0.0, 1e300, 1e-300, DType::F32).is_err());
}

#[test]
fn linspace_and_eye() {
    assert_eq!(
        Tensor::linspace(0.0, 1.0, 5, DType::F32).to_vec::<f32>(),
        vec![0.0, 0.25, 0.5, 0.75, 1.0]
    );
    assert_eq!(
        Tensor::linspace(-1.0, 1.0, 3, DType::F64).to_vec::<f64>(),
        vec![-1.0, 0.0, 1.0]
    );
    assert_eq!(
        Tensor::linspace(2.0, 2.0, 1, DType::F64).to_vec::<f64>(),
        vec![2.0]
    );
    assert_eq!(Tensor::linspace(0.0, 1.0, 0, DType::F64).shape(), &[0]);
    assert_eq!(
        Tensor::linspace(10.0, 0.0, 3, DType::I64).to_vec::<i64>(),
        vec![10, 5, 0]
    );
    // the end is exact even when the step is not representable
    let l = Tensor::linspace(0.0, 0.3, 7, DType::F64).to_vec::<f64>();
    assert_eq!(*l.last().unwrap(), 0.3);
    assert_eq!(
        Tensor::eye(3, DType::F32).to_vec::<f32>(),
        vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    );
    assert_eq!(
        Tensor::eye(2, DType::Bool).to_vec::<bool>(),
        vec![true, false, false, true]
    );
    assert_eq!(Tensor::eye(0, DType::F32).shape(), &[0, 0]);
}

#[test]
fn random_op_errors() {
    let msg = Tensor::try_rand([2], DType::I64).unwrap_err().to_string();
    assert!(
        msg.contains("rand") && msg.contains("floating point"),
        "{msg}"
    );
    assert!(Tensor::try_randn([2], DType::Bool).is_err());
    let msg = Tensor::try_randint(3, 3, [2], DType::I64)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("low < high"), "{msg}");
}

#[test]
#[should_panic(expected = "randint: expects low < high, got low=5 and high=1")]
fn randint_empty_range_panics() {
    Tensor::randint(5, 1, [2], DType::I64);
}

#[test]
fn in_place_refuses_what_the_op_refuses_and_keeps_bool_logic() {
    let msg = tensor!([4, 6])
        .try_div_(&tensor!([2, 3]))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("div_") && msg.contains("can't be cast"),
        "{msg}"
    );
    let b = Tensor::from_vec(vec![true, false, false], [3]);
    b.add_(&Tensor::from_vec(vec![false, false, true], [3]));
    assert_eq!(b.to_vec::<bool>(), vec![true, false, true]);
    let msg = b.try_sub_(&b.clone()).map(|_| ()).unwrap_err().to_string();
    assert!(msg.contains("sub") && msg.contains("bool"), "{msg}");
}

#[test]
fn in_place_on_large_contiguous_and_transposed_tensors() {
    // Past the threaded size: 300 x 300 = 90_000 elements.
    let n = 300;
    let a = Tensor::arange(0.0, (n * n) as f64, 1.0, DType::F64).reshape([n, n]);
    let expected: Vec<f64> = (0..n * n)
        .map(|i| {
            let (r, c) = (i / n, i % n);
            (i as f64 + (c * n + r) as f64) * 0.5
        })
        .collect();
    let b = a.t().contiguous();
    let x = a.contiguous();
    x.add_(&b).mul_scalar_(0.5);
    assert_eq!(x.to_vec::<f64>(), expected);
    // The same through a transposed destination: (a^T + a)^T / 2 is the same symmetric sum.
    let y = a.contiguous();
    y.t().add_(&a).div_(&Tensor::scalar(2.0f64));
    assert_eq!(y.to_vec::<f64>(), expected);
}
