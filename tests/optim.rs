//! firebrand::optim against PyTorch: tests/golden/optim.json (written by tools/gen_optim.py)
//! holds parameter trajectories of every optimizer under several options, learning-rate
//! sequences of every scheduler, and gradient clipping results. Also: state_dict round
//! trips, mismatched states, and the optimizers' contract (skipping `None` grads, in place).

use firebrand::optim::{
    Adagrad, Adam, AdamW, Anneal, CosineAnnealingLR, ExponentialLR, LinearLR, LrScheduler,
    MultiStepLR, OneCycleLR, OneCycleOptions, Optimizer, OptimizerState, RMSprop, SGD, StepLR,
    clip_grad_norm_, clip_grad_value_, try_clip_grad_norm_,
};
use firebrand::{DType, Tensor};
use serde_json::Value;

mod common;
use common::tensor_from;
use std::sync::OnceLock;

fn golden() -> &'static Value {
    static GOLDEN: OnceLock<Value> = OnceLock::new();
    GOLDEN.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/optim.json");
        let text = std::fs::read_to_string(path).expect("tests/golden/optim.json");
        serde_json::from_str(&text).expect("valid JSON")
    })
}

fn cases(kind: &str) -> &'static [Value] {
    golden()[kind].as_array().unwrap()
}

fn case(kind: &str, name: &str) -> &'static Value {
    cases(kind)
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} case {name}"))
}

/// Tolerance for values of `dtype`: relative to the magnitude, with a floor of 1.
fn tolerance(dtype: DType) -> f64 {
    if dtype == DType::F64 { 1e-9 } else { 2e-5 }
}

#[track_caller]
fn assert_close(got: &Tensor, expected: &Tensor, what: &str) {
    assert_eq!(got.shape(), expected.shape(), "{what}: shape");
    assert_eq!(got.dtype(), expected.dtype(), "{what}: dtype");
    let tol = tolerance(expected.dtype());
    let (g, e) = (got.to_vec::<f64>(), expected.to_vec::<f64>());
    for (k, (a, b)) in g.iter().zip(&e).enumerate() {
        assert!(
            (a - b).abs() <= tol * b.abs().max(1.0),
            "{what}: element {k}: got {a}, PyTorch {b}\n got {g:?}\nwant {e:?}"
        );
    }
}

#[track_caller]
fn assert_close_f64(got: f64, expected: f64, what: &str) {
    assert!(
        (got - expected).abs() <= 1e-12 * expected.abs().max(1.0),
        "{what}: got {got}, PyTorch {expected}"
    );
}

// ----- optimizers -------------------------------------------------------------------------

fn opt_f64(options: &Value, key: &str) -> Option<f64> {
    options.get(key).map(|v| v.as_f64().unwrap())
}

fn opt_bool(options: &Value, key: &str) -> Option<bool> {
    options.get(key).map(|v| v.as_bool().unwrap())
}

/// The optimizer a fixture case names, built with its options through the builder setters.
fn make_optimizer(kind: &str, params: Vec<Tensor>, o: &Value) -> Box<dyn Optimizer> {
    let lr = opt_f64(o, "lr").unwrap();
    let betas = o
        .get("betas")
        .map(|b| (b[0].as_f64().unwrap(), b[1].as_f64().unwrap()));
    let maximize = opt_bool(o, "maximize").unwrap_or(false);
    match kind {
        "SGD" => {
            let mut s = SGD::new(params, lr).maximize(maximize);
            if let Some(v) = opt_f64(o, "momentum") {
                s = s.momentum(v);
            }
            if let Some(v) = opt_f64(o, "dampening") {
                s = s.dampening(v);
            }
            if let Some(v) = opt_f64(o, "weight_decay") {
                s = s.weight_decay(v);
            }
            if let Some(v) = opt_bool(o, "nesterov") {
                s = s.nesterov(v);
            }
            Box::new(s)
        }
        "Adam" | "AdamW" => {
            macro_rules! adam {
                ($ty:ident) => {{
                    let mut a = $ty::new(params, lr).maximize(maximize);
                    if let Some((b1, b2)) = betas {
                        a = a.betas(b1, b2);
                    }
                    if let Some(v) = opt_f64(o, "eps") {
                        a = a.eps(v);
                    }
                    if let Some(v) = opt_f64(o, "weight_decay") {
                        a = a.weight_decay(v);
                    }
                    if let Some(v) = opt_bool(o, "amsgrad") {
                        a = a.amsgrad(v);
                    }
                    Box::new(a) as Box<dyn Optimizer>
                }};
            }
            if kind == "Adam" {
                adam!(Adam)
            } else {
                adam!(AdamW)
            }
        }
        "RMSprop" => {
            let mut r = RMSprop::new(params, lr).maximize(maximize);
            if let Some(v) = opt_f64(o, "alpha") {
                r = r.alpha(v);
            }
            if let Some(v) = opt_f64(o, "eps") {
                r = r.eps(v);
            }
            if let Some(v) = opt_f64(o, "weight_decay") {
                r = r.weight_decay(v);
            }
            if let Some(v) = opt_f64(o, "momentum") {
                r = r.momentum(v);
            }
            if let Some(v) = opt_bool(o, "centered") {
                r = r.centered(v);
            }
            Box::new(r)
        }
        "Adagrad" => {
            let mut a = Adagrad::new(params, lr).maximize(maximize);
            if let Some(v) = opt_f64(o, "lr_decay") {
                a = a.lr_decay(v);
            }
            if let Some(v) = opt_f64(o, "weight_decay") {
                a = a.weight_decay(v);
            }
            if let Some(v) = opt_f64(o, "initial_accumulator_value") {
                a = a.initial_accumulator_value(v);
            }
            if let Some(v) = opt_f64(o, "eps") {
                a = a.eps(v);
            }
            Box::new(a)
        }
        other => panic!("unknown optimizer {other}"),
    }
}

/// sum(c * (p0 - t)^2) + sum(p1^4) / 4, as tools/gen_optim.py's quadratic_loss.
fn quadratic_loss(params: &[Tensor]) -> Tensor {
    let dtype = params[0].dtype();
    let c: Vec<f64> = (1..7).map(|k| k as f64 * 0.5).collect();
    let t: Vec<f64> = (0..6).map(|k| -1.0 + 0.4 * k as f64).collect();
    let c = Tensor::from_vec(c, [3, 2]).to_dtype(dtype);
    let t = Tensor::from_vec(t, [3, 2]).to_dtype(dtype);
    let d = &params[0] - &t;
    (&c * &d * &d).sum() + params[1].powf(4.0).sum() * 0.25
}

fn initial_params(case: &Value) -> Vec<Tensor> {
    case["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| tensor_from(p).requires_grad_(true))
        .collect()
}

/// Gives the parameters the gradients of step `step` of `case` (explicit, or from the loss).
fn set_grads(case: &Value, step: usize, params: &[Tensor]) {
    if case.get("loss").is_some() {
        quadratic_loss(params).backward();
        return;
    }
    for (p, g) in params.iter().zip(case["grads"][step].as_array().unwrap()) {
        p.set_grad((!g.is_null()).then(|| tensor_from(g)));
    }
}

fn steps(case: &Value) -> usize {
    case["expected"].as_array().unwrap().len()
}

/// Runs steps `range` of `case` on `opt` over `params`, checking every step against PyTorch.
fn run_steps(
    case: &Value,
    opt: &mut dyn Optimizer,
    params: &[Tensor],
    range: std::ops::Range<usize>,
) {
    let name = case["name"].as_str().unwrap();
    for step in range {
        opt.zero_grad();
        set_grads(case, step, params);
        opt.step();
        for (i, (p, e)) in params
            .iter()
            .zip(case["expected"][step].as_array().unwrap())
            .enumerate()
        {
            assert_close(p, &tensor_from(e), &format!("{name} step {step} param {i}"));
        }
    }
}

fn new_optimizer(case: &Value, params: &[Tensor]) -> Box<dyn Optimizer> {
    make_optimizer(
        case["optimizer"].as_str().unwrap(),
        params.to_vec(),
        &case["options"],
    )
}

#[test]
fn optimizers_match_pytorch() {
    for case in cases("optimizers") {
        let params = initial_params(case);
        let mut opt = new_optimizer(case, &params);
        run_steps(case, opt.as_mut(), &params, 0..steps(case));
    }
}

#[test]
fn every_optimizer_and_option_is_covered() {
    let all = cases("optimizers");
    for kind in ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"] {
        assert!(
            all.iter().filter(|c| c["optimizer"] == kind).count() >= 3,
            "{kind}"
        );
        assert!(
            all.iter()
                .any(|c| c["optimizer"] == kind && c["params"][0]["dtype"] == "f32"),
            "{kind} has an f32 case"
        );
    }
}

#[test]
fn the_update_is_in_place_on_the_given_parameters() {
    let p = Tensor::from_vec(vec![1.0f64, 2.0], [2]).requires_grad_(true);
    let alias = p.clone();
    let mut opt = SGD::new(vec![p.clone()], 0.5);
    p.set_grad(Some(Tensor::from_vec(vec![1.0f64, -1.0], [2])));
    opt.step();
    assert_eq!(alias.to_vec::<f64>(), vec![0.5, 2.5]);
    assert!(
        p.is_leaf() && p.requires_grad(),
        "still a leaf that requires grad"
    );
    assert!(p.grad().is_some(), "step leaves the gradient alone");
    opt.zero_grad();
    assert!(p.grad().is_none(), "zero_grad sets the gradient to None");
}

#[test]
fn training_a_linear_model_reduces_the_loss() {
    use firebrand::nn::{Linear, Module};
    firebrand::manual_seed(7);
    let model = Linear::new(3, 1, true);
    let x = Tensor::randn([16, 3], DType::F32);
    let w = Tensor::from_vec(vec![1.0f32, -2.0, 0.5], [3, 1]);
    let y = x.matmul(&w) + 0.3;
    let loss_of = |m: &Linear| {
        let d = m.forward(&x) - &y;
        (&d * &d).mean()
    };
    let before = loss_of(&model).item::<f32>();
    let mut opt = AdamW::new(model.parameters(), 0.05);
    for _ in 0..200 {
        opt.zero_grad();
        loss_of(&model).backward();
        opt.step();
    }
    let after = loss_of(&model).item::<f32>();
    assert!(after < before * 0.1, "loss {before} -> {after}");
}

#[test]
#[should_panic(expected = "Nesterov")]
fn nesterov_without_momentum_panics() {
    let p = Tensor::from_vec(vec![1.0f64], [1]).requires_grad_(true);
    p.set_grad(Some(Tensor::from_vec(vec![1.0f64], [1])));
    SGD::new(vec![p], 0.1).nesterov(true).step();
}

// ----- state_dict ------------------------------------------------------------------------------

#[test]
fn state_dict_round_trip_continues_like_an_uninterrupted_run() {
    for name in [
        "sgd_momentum_dampening",
        "sgd_momentum_none_grads",
        "adam_amsgrad",
        "adam_none_grads",
        "adamw_wd",
        "rmsprop_centered_momentum",
        "rmsprop_f32",
        "adagrad_options",
        "adam_quadratic",
    ] {
        let case = case("optimizers", name);
        let params = initial_params(case);
        let mut first = new_optimizer(case, &params);
        run_steps(case, first.as_mut(), &params, 0..2);
        let saved = first.state_dict();
        // Keep stepping the first optimizer: the snapshot must not change with it.
        let before: Vec<Vec<f64>> = saved
            .tensors()
            .iter()
            .map(|(_, t)| t.to_vec::<f64>())
            .collect();
        run_steps(case, first.as_mut(), &params, 2..3);
        let after: Vec<Vec<f64>> = saved
            .tensors()
            .iter()
            .map(|(_, t)| t.to_vec::<f64>())
            .collect();
        assert_eq!(before, after, "{name}: state_dict is a snapshot");
        // A fresh optimizer (with other options) over fresh parameters at the step-2 values.
        let resumed: Vec<Tensor> = case["expected"][1]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| tensor_from(p).requires_grad_(true))
            .collect();
        let mut second = new_optimizer(case, &resumed);
        second.set_lr(123.0);
        second
            .load_state_dict(&saved)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            second.lr(),
            first.lr(),
            "{name}: the learning rate comes back"
        );
        run_steps(case, second.as_mut(), &resumed, 2..steps(case));
    }
}

#[test]
fn state_dict_names_follow_pytorch() {
    let case = case("optimizers", "adam_amsgrad");
    let params = initial_params(case);
    let mut opt = new_optimizer(case, &params);
    run_steps(case, opt.as_mut(), &params, 0..1);
    let state = opt.state_dict();
    for name in [
        "state.0.step",
        "state.0.exp_avg",
        "state.0.exp_avg_sq",
        "state.0.max_exp_avg_sq",
        "state.1.exp_avg",
        "param_groups.0.lr",
        "param_groups.0.beta1",
        "param_groups.0.amsgrad",
        "param_groups.0.params",
    ] {
        assert!(state.get(name).is_some(), "missing {name}");
    }
    assert_eq!(state.get("state.0.step").unwrap().item::<f64>(), 1.0);
    assert_eq!(state.get("state.1.exp_avg").unwrap().shape(), &[4]);
    assert_eq!(
        state.get("param_groups.0.amsgrad").unwrap().item::<f64>(),
        1.0
    );
}

fn stepped_adam() -> (Vec<Tensor>, OptimizerState) {
    let case = case("optimizers", "adam_lr_betas");
    let params = initial_params(case);
    let mut opt = new_optimizer(case, &params);
    run_steps(case, opt.as_mut(), &params, 0..2);
    (params, opt.state_dict())
}

fn load_error(opt: &mut dyn Optimizer, state: OptimizerState) -> String {
    match opt.load_state_dict(&state) {
        Ok(()) => panic!("loading a mismatched state succeeded"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn mismatched_states_are_rejected_with_a_message() {
    let (params, state) = stepped_adam();
    let fresh = |shapes: &[&[usize]]| -> Vec<Tensor> {
        shapes
            .iter()
            .map(|s| Tensor::zeros(s.to_vec(), DType::F64).requires_grad_(true))
            .collect()
    };
    // Too few parameters.
    let mut adam = Adam::new(fresh(&[&[3, 2]]), 0.1);
    assert!(load_error(&mut adam, state.clone()).contains("2 parameters"));
    // Wrong shape.
    let mut adam = Adam::new(fresh(&[&[3, 2], &[5]]), 0.1);
    let msg = load_error(&mut adam, state.clone());
    assert!(msg.contains("shape") && msg.contains("state.1"), "{msg}");
    // Another kind of optimizer.
    let mut sgd = SGD::new(params.clone(), 0.1).momentum(0.9);
    assert!(load_error(&mut sgd, state.clone()).contains("different kind of optimizer"));
    // A buffer missing.
    let mut named = state.clone().into_tensors();
    named.retain(|(n, _)| n != "state.1.exp_avg_sq");
    let mut adam = Adam::new(params.clone(), 0.1);
    assert!(load_error(&mut adam, named.into()).contains("state.1.exp_avg_sq is missing"));
    // An amsgrad state into a plain Adam is fine (the options come with it), but a plain
    // state claiming amsgrad lacks max_exp_avg_sq.
    let mut named = state.clone().into_tensors();
    for (n, t) in named.iter_mut() {
        if n == "param_groups.0.amsgrad" {
            *t = Tensor::scalar(1.0f64);
        }
    }
    let mut adam = Adam::new(params.clone(), 0.1);
    assert!(load_error(&mut adam, named.into()).contains("max_exp_avg_sq"));
    // An unknown entry.
    let mut named = state.clone().into_tensors();
    named.push(("state.0.bogus".into(), Tensor::zeros([3, 2], DType::F64)));
    let mut adam = Adam::new(params.clone(), 0.1);
    assert!(load_error(&mut adam, named.into()).contains("state.0.bogus"));
    // A failed load changes nothing.
    let mut adam = Adam::new(params.clone(), 0.25);
    let _ = adam.load_state_dict(&OptimizerState::default());
    assert_eq!(adam.lr(), 0.25);
    assert!(adam.state_dict().get("state.0.step").is_none());
    // And the good state loads.
    let mut adam = Adam::new(params, 0.1);
    adam.load_state_dict(&state).unwrap();
}

// ----- schedulers ------------------------------------------------------------------------------

fn arg_f64(args: &Value, key: &str, default: f64) -> f64 {
    args.get(key).map_or(default, |v| v.as_f64().unwrap())
}

fn arg_usize(args: &Value, key: &str) -> usize {
    args[key].as_u64().unwrap() as usize
}

fn make_scheduler(case: &Value, opt: &mut dyn Optimizer) -> Box<dyn LrScheduler> {
    let a = &case["args"];
    match case["scheduler"].as_str().unwrap() {
        "StepLR" => Box::new(StepLR::new(
            opt,
            arg_usize(a, "step_size"),
            arg_f64(a, "gamma", 0.1),
        )),
        "MultiStepLR" => {
            let milestones: Vec<usize> = a["milestones"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_u64().unwrap() as usize)
                .collect();
            Box::new(MultiStepLR::new(opt, &milestones, arg_f64(a, "gamma", 0.1)))
        }
        "ExponentialLR" => Box::new(ExponentialLR::new(opt, arg_f64(a, "gamma", 0.0))),
        "CosineAnnealingLR" => Box::new(CosineAnnealingLR::new(
            opt,
            arg_usize(a, "T_max"),
            arg_f64(a, "eta_min", 0.0),
        )),
        "LinearLR" => Box::new(LinearLR::new(
            opt,
            arg_f64(a, "start_factor", 1.0 / 3.0),
            arg_f64(a, "end_factor", 1.0),
            a.get("total_iters")
                .map_or(5, |v| v.as_u64().unwrap() as usize),
        )),
        "OneCycleLR" => {
            let d = OneCycleOptions::default();
            let options = OneCycleOptions {
                pct_start: arg_f64(a, "pct_start", d.pct_start),
                anneal_strategy: match a.get("anneal_strategy").and_then(|s| s.as_str()) {
                    Some("linear") => Anneal::Linear,
                    _ => Anneal::Cos,
                },
                cycle_momentum: a.get("cycle_momentum").is_none_or(|v| v.as_bool().unwrap()),
                base_momentum: arg_f64(a, "base_momentum", d.base_momentum),
                max_momentum: arg_f64(a, "max_momentum", d.max_momentum),
                div_factor: arg_f64(a, "div_factor", d.div_factor),
                final_div_factor: arg_f64(a, "final_div_factor", d.final_div_factor),
                three_phase: a.get("three_phase").is_some_and(|v| v.as_bool().unwrap()),
            };
            let max_lr = arg_f64(a, "max_lr", 0.0);
            Box::new(OneCycleLR::with_options(
                opt,
                max_lr,
                arg_usize(a, "total_steps"),
                options,
            ))
        }
        other => panic!("unknown scheduler {other}"),
    }
}

#[test]
fn schedulers_match_pytorch() {
    for case in cases("schedulers") {
        let name = case["name"].as_str().unwrap();
        let p = Tensor::zeros([2], DType::F64).requires_grad_(true);
        let base_lr = case["base_lr"].as_f64().unwrap();
        let mut opt: Box<dyn Optimizer> = match case["optimizer"].as_str().unwrap() {
            "SGD" => Box::new(SGD::new(vec![p.clone()], base_lr).momentum(0.9)),
            _ => Box::new(Adam::new(vec![p.clone()], base_lr)),
        };
        let mut sched = make_scheduler(case, opt.as_mut());
        let lrs = case["lrs"].as_array().unwrap();
        let moms = case["momentums"].as_array().unwrap();
        for (k, (lr, mom)) in lrs.iter().zip(moms).enumerate() {
            if k > 0 {
                p.set_grad(Some(Tensor::ones([2], DType::F64)));
                opt.step();
                sched.step(opt.as_mut());
            }
            let what = format!("{name} epoch {k}");
            assert_eq!(sched.last_epoch(), k, "{what}");
            assert_close_f64(
                sched.get_last_lr(),
                lr.as_f64().unwrap(),
                &format!("{what} lr"),
            );
            assert_close_f64(
                opt.lr(),
                lr.as_f64().unwrap(),
                &format!("{what} optimizer lr"),
            );
            let m = opt.current_momentum().unwrap();
            assert_close_f64(m, mom.as_f64().unwrap(), &format!("{what} momentum"));
        }
    }
}

#[test]
#[should_panic(expected = "total_steps")]
fn one_cycle_past_its_end_panics() {
    let mut opt = SGD::new(vec![], 0.1).momentum(0.9);
    let mut sched = OneCycleLR::new(&mut opt, 1.0, 3);
    for _ in 0..4 {
        sched.step(&mut opt);
    }
}

#[test]
fn bad_scheduler_arguments_are_errors() {
    let mut opt = SGD::new(vec![], 0.1);
    assert!(StepLR::try_new(&mut opt, 0, 0.1).is_err());
    assert!(CosineAnnealingLR::try_new(&mut opt, 0, 0.0).is_err());
    assert!(LinearLR::try_new(&mut opt, 1.5, 1.0, 5).is_err());
    assert!(LinearLR::try_new(&mut opt, 0.5, -1.0, 5).is_err());
    let msg =
        OneCycleLR::try_with_options(&mut Adagrad::new(vec![], 0.1), 1.0, 10, Default::default())
            .unwrap_err()
            .to_string();
    assert!(msg.contains("cycle_momentum"), "{msg}");
    assert_eq!(
        opt.lr(),
        0.1,
        "failed constructions leave the optimizer alone"
    );
}

// ----- gradient clipping -----------------------------------------------------------------------

#[test]
fn clipping_matches_pytorch() {
    for case in cases("clip") {
        let name = case["name"].as_str().unwrap();
        let params: Vec<Tensor> = case["grads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                let g = tensor_from(g);
                let p = Tensor::zeros_like(&g).requires_grad_(true);
                p.set_grad(Some(g));
                p
            })
            .collect();
        if case["kind"] == "norm" {
            let norm_type = match &case["norm_type"] {
                Value::String(s) if s == "inf" => f64::INFINITY,
                v => v.as_f64().unwrap(),
            };
            let total = clip_grad_norm_(&params, case["max_norm"].as_f64().unwrap(), norm_type);
            let expected = case["total_norm"].as_f64().unwrap();
            let tol = tolerance(params[0].dtype());
            assert!(
                (total - expected).abs() <= tol * expected,
                "{name}: total norm {total}, PyTorch {expected}"
            );
        } else {
            clip_grad_value_(&params, case["clip_value"].as_f64().unwrap());
        }
        for (i, (p, e)) in params
            .iter()
            .zip(case["clipped"].as_array().unwrap())
            .enumerate()
        {
            assert_close(
                &p.grad().unwrap(),
                &tensor_from(e),
                &format!("{name} grad {i}"),
            );
        }
    }
}

#[test]
fn clipping_skips_missing_grads_and_rejects_bad_norms() {
    let a = Tensor::zeros([2], DType::F64).requires_grad_(true);
    let b = Tensor::zeros([2], DType::F64).requires_grad_(true);
    a.set_grad(Some(Tensor::from_vec(vec![6.0f64, 8.0], [2])));
    let total = clip_grad_norm_(&[a.clone(), b.clone()], 5.0, 2.0);
    assert_eq!(total, 10.0);
    assert!(b.grad().is_none());
    let g = a.grad().unwrap().to_vec::<f64>();
    assert!(
        (g[0] - 3.0).abs() < 1e-5 && (g[1] - 4.0).abs() < 1e-5,
        "{g:?}"
    );
    assert_eq!(
        clip_grad_norm_(std::slice::from_ref(&b), 1.0, 2.0),
        0.0,
        "no gradients at all"
    );
    assert!(try_clip_grad_norm_(std::slice::from_ref(&a), 1.0, -1.0).is_err());
    assert!(try_clip_grad_norm_(&[a], 1.0, f64::NAN).is_err());
}
