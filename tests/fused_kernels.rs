//! The fused CPU kernels: softmax / log-softmax rows, layer norm, cross entropy on top of
//! them, the vectorisable f32 `exp` and GELU, and the threaded sums. Values worked by hand,
//! non-contiguous inputs, every float dtype, inputs large enough to run on several threads,
//! large logits, and gradcheck / gradgradcheck in f64. PyTorch's own results for these ops are
//! checked by tests/golden.rs and tests/nn_functional.rs.

use firebrand::autograd::{gradcheck, gradgradcheck};
use firebrand::nn::functional as F;
use firebrand::{DType, Tensor, tensor};

#[track_caller]
fn assert_close(got: &Tensor, want: &[f64], atol: f64, rtol: f64) {
    let got = got.to_vec::<f64>();
    assert_eq!(got.len(), want.len(), "length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let ok = (g.is_nan() && w.is_nan()) || g == w || (g - w).abs() <= atol + rtol * w.abs();
        assert!(ok, "element {i}: got {g}, want {w}");
    }
}

/// Deterministic values in about [-4, 4] (no generator, so a failure reproduces anywhere).
fn wavy(n: usize, seed: f64) -> Vec<f64> {
    (0..n)
        .map(|i| ((i as f64 + seed) * 0.618_033_988_7).sin() * 4.0)
        .collect()
}

/// The softmax (or log-softmax) of each row of `x` in f64, by the definition.
fn softmax_rows_f64(x: &[f64], row: usize, log: bool) -> Vec<f64> {
    x.chunks(row)
        .flat_map(|r| {
            let max = r.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = r.iter().map(|v| (v - max).exp()).sum();
            r.iter()
                .map(move |v| {
                    if log {
                        v - max - sum.ln()
                    } else {
                        (v - max).exp() / sum
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

// ----- softmax / log_softmax ------------------------------------------------------------------

#[test]
fn softmax_and_log_softmax_by_hand() {
    // e^1 : e^2 : e^3 over their sum 30.19287485.
    let soft = [
        0.090_030_573_170_380_5,
        0.244_728_471_054_797_6,
        0.665_240_955_774_821_9,
    ];
    let log = [
        -2.407_605_964_444_38,
        -1.407_605_964_444_38,
        -0.407_605_964_444_380,
    ];
    for dt in [DType::F32, DType::F64] {
        let x = tensor!([[1.0, 2.0, 3.0]]).to_dtype(dt);
        let tol = if dt == DType::F32 { 2e-7 } else { 1e-15 };
        assert_close(&x.softmax(1), &soft, 0.0, tol);
        assert_close(&x.log_softmax(-1), &log, 0.0, tol);
        assert_close(&F::softmax(&x.t(), 0), &soft, 0.0, tol);
    }
}

#[test]
fn softmax_is_stable_for_logits_of_1e4() {
    let x = tensor!([[1e4, 9999.0, -1e4], [-1e4, -1e4, -1e4]]);
    // e^0 : e^-1 : 0, then a uniform row.
    let p = 1.0 / (1.0 + (-1f64).exp());
    assert_close(
        &x.softmax(1),
        &[p, 1.0 - p, 0.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0],
        0.0,
        2e-7,
    );
    let lse = (1.0 + (-1f64).exp()).ln();
    let want = [
        -lse,
        -1.0 - lse,
        -2e4 - lse,
        -(3f64.ln()),
        -(3f64.ln()),
        -(3f64.ln()),
    ];
    assert_close(&x.log_softmax(1), &want, 0.0, 2e-7);
    let y = x.to_dtype(DType::F64).log_softmax(1);
    assert_close(&y, &want, 0.0, 1e-15);
}

#[test]
fn softmax_rows_across_threads_match_the_definition() {
    // 300 rows of 517: above the size at which rows run on several threads; 517 is odd.
    let (rows, len) = (300, 517);
    let data = wavy(rows * len, 0.5);
    let x32 = Tensor::from_vec(data.clone(), [rows, len]).to_dtype(DType::F32);
    let x64 = Tensor::from_vec(data.clone(), [rows, len]);
    for log in [false, true] {
        let exact = softmax_rows_f64(&x32.to_vec::<f64>(), len, log);
        let f = |t: &Tensor| if log { t.log_softmax(1) } else { t.softmax(1) };
        assert_close(&f(&x32), &exact, 1e-7, 4e-7);
        assert_close(&f(&x64), &softmax_rows_f64(&data, len, log), 1e-15, 1e-14);
    }
}

#[test]
fn softmax_of_views_equals_softmax_of_copies() {
    let x = Tensor::from_vec(wavy(40 * 600, 1.5), [40, 600]).to_dtype(DType::F32);
    for dim in [0isize, 1] {
        let t = x.t();
        assert!(!t.is_contiguous());
        let (a, b) = (t.softmax(dim), t.contiguous().softmax(dim));
        assert_eq!(a.to_vec::<f32>(), b.to_vec::<f32>());
        let (a, b) = (t.log_softmax(dim), t.contiguous().log_softmax(dim));
        assert_eq!(a.to_vec::<f32>(), b.to_vec::<f32>());
    }
    let narrow = x.narrow(1, 3, 200);
    let want = softmax_rows_f64(&narrow.to_vec::<f64>(), 200, false);
    assert_close(&narrow.softmax(-1), &want, 1e-7, 4e-7);
    // A 3-d input along its middle dim.
    let x3 = x.reshape([40, 20, 30]);
    let moved = x3.transpose(1, 2).contiguous();
    let want = moved.softmax(2).transpose(1, 2).contiguous();
    assert_eq!(x3.softmax(1).to_vec::<f32>(), want.to_vec::<f32>());
}

#[test]
fn softmax_in_half_precision_rounds_the_f32_result_once() {
    let x = Tensor::from_vec(wavy(6 * 50, 2.5), [6, 50]);
    for dt in [DType::F16, DType::BF16] {
        let xh = x.to_dtype(dt);
        for log in [false, true] {
            let f = |t: &Tensor| if log { t.log_softmax(1) } else { t.softmax(1) };
            let exact = f(&xh.to_dtype(DType::F64))
                .to_dtype(dt)
                .to_dtype(DType::F64);
            let got = f(&xh);
            assert_eq!(got.dtype(), dt);
            // One rounding of a value within 1e-6 of the exact one: at most one half-ulp step.
            let tol = if dt == DType::F16 { 1e-3 } else { 8e-3 };
            assert_close(&got, &exact.to_vec::<f64>(), 1e-6, tol);
        }
    }
}

#[test]
fn softmax_and_log_softmax_gradcheck_and_gradgradcheck() {
    let base = Tensor::from_vec(wavy(24, 0.25), [4, 6]);
    let x = base.t().contiguous().t().requires_grad_(true); // a transposed layout
    for dim in [0isize, 1, -1] {
        gradcheck(|xs| xs[0].softmax(dim), &[&x]).unwrap();
        gradcheck(|xs| xs[0].log_softmax(dim), &[&x]).unwrap();
        gradgradcheck(|xs| xs[0].softmax(dim), &[&x]).unwrap();
        gradgradcheck(|xs| xs[0].log_softmax(dim), &[&x]).unwrap();
    }
    assert_eq!(
        x.log_softmax(1).grad_fn_name().as_deref(),
        Some("LogSoftmaxBackward0")
    );
}

// ----- layer norm -------------------------------------------------------------------------------

#[test]
fn layer_norm_by_hand_with_weight_and_bias() {
    // Rows [1, 3] and [0, 10] normalise to [-1, 1]; weight [2, -1], bias [0.5, 0.25].
    for dt in [DType::F32, DType::F64, DType::F16, DType::BF16] {
        let x = tensor!([[1.0, 3.0], [0.0, 10.0]]).to_dtype(dt);
        let (w, b) = (
            tensor!([2.0, -1.0]).to_dtype(dt),
            tensor!([0.5, 0.25]).to_dtype(dt),
        );
        let y = F::layer_norm(&x, &[2], Some(&w), Some(&b), 0.0);
        assert_eq!(y.dtype(), dt);
        assert_close(&y, &[-1.5, -0.75, -1.5, -0.75], 0.0, 0.0);
    }
    // Over the last two dims: mean 3.5, variance 35 / 12 for 1..=6.
    let x = Tensor::arange(1.0, 7.0, 1.0, DType::F64).reshape([1, 2, 3]);
    let s = (35.0f64 / 12.0 + 1e-5).sqrt();
    let want: Vec<f64> = (1..=6).map(|v| (v as f64 - 3.5) / s).collect();
    assert_close(
        &F::layer_norm(&x, &[2, 3], None, None, 1e-5),
        &want,
        0.0,
        1e-14,
    );
}

#[test]
fn layer_norm_matches_the_composition_on_views_and_across_threads() {
    let (rows, len) = (96, 1000);
    let data = wavy(rows * len, 3.5);
    let x64 = Tensor::from_vec(data, [len, rows]).t(); // [rows, len], transposed storage
    let w = Tensor::from_vec(wavy(len, 9.0), [len]);
    let b = Tensor::from_vec(wavy(len, 11.0), [len]);
    let mean = x64.mean_dim(-1isize, true);
    let var = x64.var_dim(-1isize, false, true);
    let want = ((&x64 - &mean) * (var + 1e-5).rsqrt() * &w + &b).to_vec::<f64>();
    let y = F::layer_norm(&x64, &[len], Some(&w), Some(&b), 1e-5);
    assert_close(&y, &want, 1e-12, 1e-12);
    let (x32, w32, b32) = (
        x64.to_dtype(DType::F32),
        w.to_dtype(DType::F32),
        b.to_dtype(DType::F32),
    );
    let y32 = F::layer_norm(&x32, &[len], Some(&w32), Some(&b32), 1e-5);
    assert_close(&y32, &want, 2e-6, 2e-6);
}

#[test]
fn layer_norm_gradients_match_the_composition() {
    let x = Tensor::from_vec(wavy(3 * 5 * 4, 0.75), [3, 5, 4]).requires_grad_(true);
    let w = Tensor::from_vec(wavy(4, 5.0), [4]).requires_grad_(true);
    let b = Tensor::from_vec(wavy(4, 7.0), [4]).requires_grad_(true);
    let g = Tensor::from_vec(wavy(60, 13.0), [3, 5, 4]);
    let grads = |y: Tensor| {
        for t in [&x, &w, &b] {
            t.zero_grad();
        }
        y.backward_with(&g);
        [&x, &w, &b].map(|t| t.grad().unwrap().to_vec::<f64>())
    };
    let fused = grads(F::layer_norm(&x, &[4], Some(&w), Some(&b), 1e-5));
    let mean = x.mean_dim(-1isize, true);
    let var = x.var_dim(-1isize, false, true);
    let composed = grads((&x - &mean) * (var + 1e-5).rsqrt() * &w + &b);
    for (f, c) in fused.iter().zip(&composed) {
        assert_close(&Tensor::from_vec(f.clone(), [f.len()]), c, 1e-12, 1e-10);
    }
    let y = F::layer_norm(&x, &[4], Some(&w), Some(&b), 1e-5);
    assert_eq!(
        y.grad_fn_name().as_deref(),
        Some("NativeLayerNormBackward0")
    );
}

#[test]
fn layer_norm_gradcheck_and_gradgradcheck() {
    let x = Tensor::from_vec(wavy(2 * 3 * 4, 0.3), [2, 4, 3]).transpose(1, 2); // [2, 3, 4]
    let x = x.requires_grad_(true);
    let w = Tensor::from_vec(wavy(4, 2.0), [4]).requires_grad_(true);
    let b = Tensor::from_vec(wavy(4, 4.0), [4]).requires_grad_(true);
    let full = |xs: &[Tensor]| F::layer_norm(&xs[0], &[4], Some(&xs[1]), Some(&xs[2]), 1e-5);
    gradcheck(full, &[&x, &w, &b]).unwrap();
    gradgradcheck(full, &[&x, &w, &b]).unwrap();
    let bare = |xs: &[Tensor]| F::layer_norm(&xs[0], &[3, 4], None, None, 1e-5);
    gradcheck(bare, &[&x]).unwrap();
    gradgradcheck(bare, &[&x]).unwrap();
    let weight_only = |xs: &[Tensor]| F::layer_norm(&xs[0], &[4], Some(&xs[1]), None, 0.0);
    gradgradcheck(weight_only, &[&x, &w]).unwrap();
}

// ----- cross entropy ----------------------------------------------------------------------------

#[test]
fn cross_entropy_rides_on_log_softmax() {
    let logits = tensor!([[1.0, 2.0, 3.0], [1e4, -1e4, 0.0]]);
    let target = tensor!([2, 1]);
    // -log_softmax: 0.40760596 and 2e4.
    let losses = F::cross_entropy_with(
        &logits,
        &target,
        &F::CrossEntropyOptions {
            reduction: F::Reduction::None,
            ..Default::default()
        },
    );
    assert_close(&losses, &[0.407_605_964_444_380, 2e4], 0.0, 2e-7);
    let mean = F::cross_entropy(&logits, &target);
    assert_close(&mean, &[(0.407_605_964_444_380 + 2e4) / 2.0], 0.0, 2e-7);
    let x = Tensor::from_vec(wavy(12, 0.1), [3, 4]).requires_grad_(true);
    let t = tensor!([3, 0, 2]);
    gradgradcheck(|xs| F::cross_entropy(&xs[0], &t), &[&x]).unwrap();
}

// ----- exp, GELU --------------------------------------------------------------------------------

#[test]
fn exp_and_gelu_in_f32_match_f64_over_a_wide_range() {
    // Every 7th of 200001 points in [-120, 120], as a strided (non-contiguous) view.
    let data: Vec<f64> = (0..200_001).map(|i| -120.0 + i as f64 * 1.2e-3).collect();
    let x = Tensor::from_vec(data, [200_001]).to_dtype(DType::F32);
    let x = x.narrow(0, 1, 199_997).reshape([28_571, 7]).select(1, 3);
    let x64 = x.to_dtype(DType::F64);
    let (e, e64) = (x.exp().to_vec::<f64>(), x64.exp().to_vec::<f64>());
    for (i, (&g, &w)) in e.iter().zip(&e64).enumerate() {
        let w32 = w as f32 as f64;
        // Within 1 ulp (relative 1.2e-7), or one subnormal step, or exact after rounding.
        let ok = (g - w).abs() <= 1.2e-7 * w.abs() + 1.5e-45 || g == w32;
        assert!(ok, "exp at {i}: {g} vs {w}");
    }
    let (y, y64) = (F::gelu(&x).to_vec::<f64>(), F::gelu(&x64).to_vec::<f64>());
    for (i, (&g, &w)) in y.iter().zip(&y64).enumerate() {
        assert!(
            (g - w).abs() <= 1e-6 * w.abs() + 6e-8,
            "gelu at {i}: {g} vs {w}"
        );
    }
    let special = tensor!([0.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN]);
    assert_close(
        &special.exp(),
        &[1.0, f64::INFINITY, 0.0, f64::NAN],
        0.0,
        0.0,
    );
    assert_close(
        &F::gelu(&special),
        &[0.0, f64::INFINITY, f64::NAN, f64::NAN],
        0.0,
        0.0,
    );
    assert_close(&special.erf(), &[0.0, 1.0, -1.0, f64::NAN], 0.0, 0.0);
}

#[test]
fn gelu_gradient_in_f32_matches_f64() {
    let data = wavy(1000, 0.9);
    let x64 = Tensor::from_vec(data, [1000]).requires_grad_(true);
    let x32 = x64.detach().to_dtype(DType::F32).requires_grad_(true);
    F::gelu(&x64).sum().backward();
    F::gelu(&x32).sum().backward();
    assert_close(
        &x32.grad().unwrap(),
        &x64.grad().unwrap().to_vec::<f64>(),
        1e-6,
        1e-6,
    );
}

// ----- sums -------------------------------------------------------------------------------------

#[test]
fn sum_of_many_ones_is_exact_on_several_threads() {
    // A running f32 sum stalls at 2^24; 2^24 + 3 rounds to 2^24 + 4 in f32.
    let ones = Tensor::ones([(1 << 24) + 3], DType::F32);
    assert_eq!(ones.sum().item::<f64>(), ((1u64 << 24) + 4) as f64);
    assert_eq!(
        ones.to_dtype(DType::F64).sum().item::<f64>(),
        ((1u64 << 24) + 3) as f64
    );
}

#[test]
fn threaded_sums_are_exact_on_integers() {
    // 0 + 1 + .. + (2^21 - 1) = 2^20 (2^21 - 1): exact in f32.
    let n = 1usize << 21;
    let x = Tensor::arange(0.0, n as f64, 1.0, DType::F32);
    assert_eq!(x.sum().item::<f64>(), (n * (n - 1) / 2) as f64);
    let rows = x.reshape([64, -1]);
    let len = n / 64;
    let want: Vec<f64> = (0..64)
        .map(|r| (r * len * len + len * (len - 1) / 2) as f64)
        .collect();
    assert_eq!(rows.sum_dim(1isize, false).to_vec::<f64>(), want);
    // A transposed view reduces the same lanes.
    assert_eq!(rows.t().sum_dim(0isize, false).to_vec::<f64>(), want);
}
