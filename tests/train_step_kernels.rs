//! The fused kernels of a training step: SGD and Adam updating a parameter and its state in
//! one pass, and cross entropy as `logsumexp` minus the target's logit. The fused paths run
//! on contiguous f32/f64 tensors; the composed formulas still run on strided parameters and
//! half precision, so each fused result is checked against the composed one on the same
//! values (a transposed copy of the parameter), against values worked by hand, and, for cross
//! entropy, by gradcheck and gradgradcheck in f64. PyTorch's own optimizer trajectories are
//! checked by tests/optim.rs.

use firebrand::autograd::{gradcheck, gradgradcheck};
use firebrand::nn::functional as F;
use firebrand::optim::{Adam, AdamW, Optimizer, SGD};
use firebrand::{DType, Tensor, tensor};

/// Deterministic values in about [-2, 2].
fn wavy(n: usize, seed: f64) -> Vec<f64> {
    (0..n)
        .map(|i| ((i as f64 + seed) * 0.618_033_988_7).sin() * 2.0)
        .collect()
}

/// A `[rows, cols]` parameter of dtype `dt`: contiguous, or a transposed (strided) view of the
/// same values, which the fused kernels refuse.
fn param(rows: usize, cols: usize, dt: DType, strided: bool) -> Tensor {
    let t = Tensor::from_vec(wavy(rows * cols, 0.5), [rows, cols]).to_dtype(dt);
    let t = if strided { t.t().contiguous().t() } else { t };
    assert_eq!(t.is_contiguous(), !strided);
    t.requires_grad_(true)
}

/// Runs `steps` steps of the optimizer made by `make` on `p` with gradients `g_k = f(p) + k`
/// (a gradient depending on the parameter, so a wrong update changes every later step).
fn run(p: &Tensor, make: &dyn Fn(Vec<Tensor>) -> Box<dyn Optimizer>, steps: usize) -> Vec<f64> {
    let mut opt = make(vec![p.clone()]);
    for k in 0..steps {
        opt.zero_grad();
        let shift = Tensor::full_like(p, k as f64 * 0.25);
        let grad = firebrand::no_grad(|| (p.tanh() * 3.0 + &shift).contiguous());
        p.set_grad(Some(grad));
        opt.step();
    }
    p.to_vec::<f64>()
}

/// The fused update (contiguous parameter) equals the composed one (strided parameter)
/// exactly, in f32 and f64.
#[track_caller]
fn assert_fused_matches_composed(make: &dyn Fn(Vec<Tensor>) -> Box<dyn Optimizer>) {
    for dt in [DType::F32, DType::F64] {
        let fused = run(&param(3, 5, dt, false), make, 4);
        let composed = run(&param(3, 5, dt, true), make, 4);
        assert_eq!(fused, composed, "{dt}");
        assert!(fused != wavy(15, 0.5), "{dt}: the parameter moved");
    }
}

#[test]
fn fused_sgd_matches_the_composed_formulas_for_every_option() {
    assert_fused_matches_composed(&|p| Box::new(SGD::new(p, 0.1)));
    assert_fused_matches_composed(&|p| Box::new(SGD::new(p, 0.1).momentum(0.9)));
    assert_fused_matches_composed(&|p| {
        Box::new(
            SGD::new(p, 0.1)
                .momentum(0.9)
                .nesterov(true)
                .weight_decay(0.01),
        )
    });
    assert_fused_matches_composed(&|p| {
        Box::new(
            SGD::new(p, 0.05)
                .momentum(0.5)
                .dampening(0.3)
                .maximize(true),
        )
    });
    assert_fused_matches_composed(&|p| Box::new(SGD::new(p, 0.1).weight_decay(0.1)));
}

#[test]
fn fused_adam_matches_the_composed_formulas_for_every_option() {
    assert_fused_matches_composed(&|p| Box::new(Adam::new(p, 1e-2)));
    assert_fused_matches_composed(&|p| Box::new(Adam::new(p, 1e-2).amsgrad(true)));
    assert_fused_matches_composed(&|p| {
        Box::new(Adam::new(p, 1e-2).weight_decay(0.1).maximize(true))
    });
    // beta1 above 0.5: the running mean's lerp is taken from the other end.
    assert_fused_matches_composed(&|p| Box::new(Adam::new(p, 1e-2).betas(0.3, 0.9).eps(1e-3)));
    assert_fused_matches_composed(&|p| {
        Box::new(AdamW::new(p, 1e-2).weight_decay(0.05).amsgrad(true))
    });
}

#[test]
fn sgd_momentum_by_hand() {
    // lr 0.5, momentum 0.5: buf = g = 2, p = 1 - 1 = 0; then buf = 1 + 2 = 3, p = -1.5.
    for dt in [DType::F32, DType::F64] {
        let p = tensor!([1.0]).to_dtype(dt).requires_grad_(true);
        let mut opt = SGD::new(vec![p.clone()], 0.5).momentum(0.5);
        for want in [0.0, -1.5] {
            p.set_grad(Some(tensor!([2.0]).to_dtype(dt)));
            opt.step();
            assert_eq!(p.to_vec::<f64>(), vec![want], "{dt}");
        }
        let state = opt.state_dict();
        let buf = state.get("state.0.momentum_buffer").unwrap();
        assert_eq!(buf.to_vec::<f64>(), vec![3.0]);
    }
}

#[test]
fn adam_first_step_by_hand_and_the_state_it_keeps() {
    // Step 1: the bias-corrected m / sqrt(v) is sign(g), so each parameter moves by lr.
    let p = tensor!([1.0, -1.0])
        .to_dtype(DType::F64)
        .requires_grad_(true);
    let mut opt = Adam::new(vec![p.clone()], 0.1);
    p.set_grad(Some(tensor!([3.0, -0.5]).to_dtype(DType::F64)));
    opt.step();
    let got = p.to_vec::<f64>();
    assert!(
        (got[0] - 0.9).abs() < 1e-8 && (got[1] + 0.9).abs() < 1e-8,
        "{got:?}"
    );
    let state = opt.state_dict();
    assert_eq!(state.get("state.0.step").unwrap().item::<f64>(), 1.0);
    let m = state.get("state.0.exp_avg").unwrap().to_vec::<f64>();
    assert!(
        (m[0] - 0.3).abs() < 1e-15 && (m[1] + 0.05).abs() < 1e-15,
        "{m:?}"
    );
}

#[test]
fn half_precision_and_shared_buffers_take_the_composed_path() {
    for dt in [DType::F16, DType::BF16] {
        let make =
            |p: Vec<Tensor>| -> Box<dyn Optimizer> { Box::new(SGD::new(p, 0.1).momentum(0.9)) };
        let half = run(&param(2, 3, dt, false), &make, 3);
        let full = run(&param(2, 3, DType::F32, false), &make, 3);
        for (h, f) in half.iter().zip(&full) {
            assert!((h - f).abs() < 5e-2, "{dt}: {h} vs {f}");
        }
    }
    // A gradient that is the parameter's own buffer: the fused kernel refuses it.
    let p = tensor!([1.0, 2.0]).requires_grad_(true);
    let mut opt = SGD::new(vec![p.clone()], 0.5).momentum(0.9);
    p.set_grad(Some(p.detach()));
    opt.step();
    assert_eq!(p.to_vec::<f32>(), vec![0.5, 1.0]);
}

// ----- cross entropy ----------------------------------------------------------------------------

/// Cross entropy as `-log_softmax` gathered at the target, in ops the fused path does not use.
fn composed_cross_entropy(x: &Tensor, target: &Tensor) -> Tensor {
    let picked = x.log_softmax(1).gather(1, &target.unsqueeze(1)).squeeze(1);
    -picked
}

fn per_row(x: &Tensor, target: &Tensor) -> Tensor {
    let opts = F::CrossEntropyOptions {
        reduction: F::Reduction::None,
        ..Default::default()
    };
    F::cross_entropy_with(x, target, &opts)
}

#[test]
fn fused_cross_entropy_by_hand_in_every_float_dtype() {
    // Row [0, 0]: log 2; row [ln 3, 0] against class 1: log 4.
    let x = Tensor::from_vec(vec![0.0, 0.0, 3f64.ln(), 0.0], [2, 2]);
    let tolerances = [
        (DType::F64, 1e-15),
        (DType::F32, 1e-6),
        (DType::F16, 3e-3),
        (DType::BF16, 2e-2),
    ];
    for (dt, tol) in tolerances {
        let loss = per_row(&x.to_dtype(dt), &tensor!([1, 1]));
        assert_eq!(loss.dtype(), dt);
        let got = loss.to_vec::<f64>();
        assert!((got[0] - 2f64.ln()).abs() < tol, "{dt} {got:?}");
        assert!((got[1] - 4f64.ln()).abs() < tol, "{dt} {got:?}");
    }
    // Sum and mean; I32 targets.
    let sum = F::cross_entropy_with(
        &x,
        &tensor!([1, 1]).to_dtype(DType::I32),
        &F::CrossEntropyOptions {
            reduction: F::Reduction::Sum,
            ..Default::default()
        },
    );
    assert!((sum.item::<f64>() - 8f64.ln()).abs() < 1e-6);
    let mean = F::cross_entropy(&x, &tensor!([1, 1]));
    assert!((mean.item::<f64>() - 8f64.ln() / 2.0).abs() < 1e-6);
}

#[test]
fn fused_cross_entropy_keeps_small_losses_of_large_logits() {
    // -log_softmax at the max of [1e4, 1e4 - 20] is log(1 + e^-20), about 2.06e-9.
    let x = tensor!([[1e4, 9980.0]]);
    let loss = per_row(&x, &tensor!([0])).item::<f64>();
    assert!((loss - (-20f64).exp()).abs() < 1e-12, "{loss}");
}

#[test]
fn fused_cross_entropy_matches_the_composition_on_views_and_across_threads() {
    // 600 x 97 crosses the threading threshold; the logits are a transposed view.
    let (rows, classes) = (600, 97);
    let x = Tensor::from_vec(wavy(rows * classes, 1.5), [classes, rows]).t();
    let target = Tensor::from_vec(
        (0..rows as i64)
            .map(|r| (r * 31) % classes as i64)
            .collect(),
        [rows],
    );
    for dt in [DType::F32, DType::F64] {
        let x = x.to_dtype(dt);
        let want = composed_cross_entropy(&x.to_dtype(DType::F64), &target).to_vec::<f64>();
        let got = per_row(&x, &target).to_vec::<f64>();
        let tol = if dt == DType::F64 { 1e-13 } else { 2e-6 };
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() <= tol * (1.0 + w.abs()), "{dt}: {g} vs {w}");
        }
    }
}

#[test]
fn fused_cross_entropy_gradients_match_the_composition() {
    let x = Tensor::from_vec(wavy(5 * 7, 2.5), [5, 7]).requires_grad_(true);
    let target = tensor!([0, 6, 3, 3, 1]);
    let g = Tensor::from_vec(wavy(5, 4.0), [5]);
    let grad_of = |loss: Tensor| {
        x.zero_grad();
        loss.backward_with(&g);
        x.grad().unwrap().to_vec::<f64>()
    };
    let fused = grad_of(per_row(&x, &target));
    let composed = grad_of(composed_cross_entropy(&x, &target));
    for (f, c) in fused.iter().zip(&composed) {
        assert!((f - c).abs() < 1e-6, "{f} vs {c}");
    }
    let x64 = x.detach().to_dtype(DType::F64).requires_grad_(true);
    let mean = |xs: &[Tensor]| F::cross_entropy(&xs[0], &target);
    gradcheck(mean, &[&x64]).unwrap();
    gradgradcheck(mean, &[&x64]).unwrap();
    let none = |xs: &[Tensor]| per_row(&xs[0], &target);
    gradcheck(none, &[&x64]).unwrap();
    gradgradcheck(none, &[&x64]).unwrap();
}

#[test]
fn ignored_targets_and_bad_targets_still_behave() {
    // A target equal to ignore_index falls back to the general path: that row adds nothing.
    let x = tensor!([[0.0, 0.0], [5.0, 1.0]]);
    let loss = F::cross_entropy(&x, &tensor!([1, -100]));
    assert!((loss.item::<f64>() - 2f64.ln()).abs() < 1e-6);
    let err = F::try_cross_entropy(&x, &tensor!([0, 2])).unwrap_err();
    assert!(err.to_string().contains("out of bounds"), "{err}");
}
