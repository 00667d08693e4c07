//! The nn functional ops (losses, normalisation, embedding, one_hot, dropout, pad, attention)
//! against PyTorch fixtures (tests/golden/nn_functional.json, written by
//! tools/gen_nn_functional.py), plus gradchecks, non-contiguous inputs, large-logit
//! stability and misuse errors.

use std::collections::BTreeMap;

use firebrand::autograd::gradcheck;
use firebrand::nn::functional::{
    self as F, BceOptions, BceWithLogitsOptions, CrossEntropyOptions, NllLossOptions, PadMode,
    Reduction,
};
use firebrand::{DType, Tensor, no_grad, tensor};
use serde_json::Value;

mod common;
use common::tensor_from;

type Inputs = BTreeMap<String, Tensor>;

/// A named function of the test's inputs.
type NamedFn<'a> = (&'a str, Box<dyn Fn(&[Tensor]) -> Tensor + 'a>);

fn named(v: &Value) -> Inputs {
    v.as_object()
        .map(|m| m.iter().map(|(k, t)| (k.clone(), tensor_from(t))).collect())
        .unwrap_or_default()
}

fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/nn_functional.json"
    ))
    .expect("fixture file");
    let root: Value = serde_json::from_str(&text).unwrap();
    root["cases"].as_array().unwrap().clone()
}

fn reduction(a: &Value) -> Reduction {
    match a["reduction"].as_str().unwrap_or("Mean") {
        "None" => Reduction::None,
        "Mean" => Reduction::Mean,
        "Sum" => Reduction::Sum,
        "BatchMean" => Reduction::BatchMean,
        other => panic!("bad reduction {other}"),
    }
}

fn f(a: &Value, key: &str) -> f64 {
    a[key].as_f64().unwrap()
}

/// Runs the firebrand op of a fixture case; returns its named outputs.
fn run(op: &str, a: &Value, x: &Inputs) -> Vec<(String, Tensor)> {
    let t = |k: &str| &x[k];
    let o = |k: &str| x.get(k).cloned();
    let out = match op {
        "cross_entropy" => {
            let opts = CrossEntropyOptions {
                weight: o("weight"),
                ignore_index: a["ignore_index"].as_i64().unwrap_or(-100),
                label_smoothing: a["label_smoothing"].as_f64().unwrap_or(0.0),
                reduction: reduction(a),
            };
            F::cross_entropy_with(t("input"), t("target"), &opts)
        }
        "nll_loss" => {
            let opts = NllLossOptions {
                weight: o("weight"),
                ignore_index: a["ignore_index"].as_i64().unwrap_or(-100),
                reduction: reduction(a),
            };
            F::nll_loss_with(t("input"), t("target"), &opts)
        }
        "mse_loss" => F::mse_loss_with(t("input"), t("target"), reduction(a)),
        "l1_loss" => F::l1_loss_with(t("input"), t("target"), reduction(a)),
        "smooth_l1_loss" => {
            F::smooth_l1_loss_with(t("input"), t("target"), f(a, "beta"), reduction(a))
        }
        "huber_loss" => F::huber_loss_with(t("input"), t("target"), f(a, "delta"), reduction(a)),
        "binary_cross_entropy" => {
            let opts = BceOptions {
                weight: o("weight"),
                reduction: reduction(a),
            };
            F::binary_cross_entropy_with(t("input"), t("target"), &opts)
        }
        "binary_cross_entropy_with_logits" => {
            let opts = BceWithLogitsOptions {
                weight: o("weight"),
                pos_weight: o("pos_weight"),
                reduction: reduction(a),
            };
            F::binary_cross_entropy_with_logits_with(t("input"), t("target"), &opts)
        }
        "kl_div" => F::kl_div_with(
            t("input"),
            t("target"),
            reduction(a),
            a["log_target"].as_bool().unwrap(),
        ),
        "batch_norm" => {
            let rm = x.get("running_mean").map(Tensor::deep_clone);
            let rv = x.get("running_var").map(Tensor::deep_clone);
            let y = F::batch_norm(
                t("input"),
                rm.as_ref(),
                rv.as_ref(),
                x.get("weight"),
                x.get("bias"),
                a["training"].as_bool().unwrap(),
                f(a, "momentum"),
                f(a, "eps"),
            );
            let mut outs = vec![("out".to_string(), y)];
            if let (Some(rm), Some(rv)) = (rm, rv) {
                outs.push(("running_mean".into(), rm));
                outs.push(("running_var".into(), rv));
            }
            return outs;
        }
        "layer_norm" => {
            let shape: Vec<usize> = a["normalized_shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap() as usize)
                .collect();
            F::layer_norm(
                t("input"),
                &shape,
                x.get("weight"),
                x.get("bias"),
                f(a, "eps"),
            )
        }
        "group_norm" => F::group_norm(
            t("input"),
            a["num_groups"].as_u64().unwrap() as usize,
            x.get("weight"),
            x.get("bias"),
            f(a, "eps"),
        ),
        "embedding" => F::embedding(t("indices"), t("weight")),
        "one_hot" => F::one_hot(t("indices"), a["num_classes"].as_i64().unwrap()),
        "pad" => {
            let pads: Vec<i64> = a["pads"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_i64().unwrap())
                .collect();
            let mode = match a["mode"].as_str().unwrap() {
                "Constant" => PadMode::Constant(f(a, "value")),
                "Reflect" => PadMode::Reflect,
                "Replicate" => PadMode::Replicate,
                "Circular" => PadMode::Circular,
                other => panic!("bad mode {other}"),
            };
            F::pad(t("input"), &pads, mode)
        }
        "scaled_dot_product_attention" => F::scaled_dot_product_attention(
            t("q"),
            t("k"),
            t("v"),
            x.get("attn_mask"),
            0.0,
            a["is_causal"].as_bool().unwrap_or(false),
            a["scale"].as_f64(),
        ),
        other => panic!("no runner for {other}"),
    };
    vec![("out".to_string(), out)]
}

/// Asserts `got` matches `want` in dtype, shape and values (relative tolerance for f32).
fn assert_close(what: &str, got: &Tensor, want: &Tensor) {
    assert_eq!(got.dtype(), want.dtype(), "{what}: dtype");
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    let (atol, rtol) = match want.dtype() {
        DType::F64 => (1e-10, 1e-9),
        _ => (1e-5, 2e-4),
    };
    let g = got.to_dtype(DType::F64).to_vec::<f64>();
    let w = want.to_dtype(DType::F64).to_vec::<f64>();
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        assert!(
            (a - b).abs() <= atol + rtol * b.abs() || (a.is_nan() && b.is_nan()),
            "{what}: element {i}: got {a}, PyTorch {b}\n got  {g:?}\n want {w:?}"
        );
    }
}

/// The same values in a strided (non-contiguous) layout.
fn non_contiguous(t: &Tensor) -> Tensor {
    let v = Tensor::stack(&[t, t], -1).select(-1, 0);
    assert!(t.numel() <= 1 || !v.is_contiguous());
    v
}

/// Runs one case with its inputs as given or made non-contiguous; checks outputs and grads.
fn check_case(case: &Value, strided: bool) {
    let name = format!(
        "{}{}",
        case["name"].as_str().unwrap(),
        if strided { " (non-contiguous)" } else { "" }
    );
    let grad_names: Vec<String> = case["grad"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    let leaves: Inputs = named(&case["inputs"])
        .into_iter()
        .map(|(k, t)| {
            let wants_grad = grad_names.contains(&k);
            (k, t.requires_grad_(wants_grad))
        })
        .collect();
    let inputs: Inputs = leaves
        .iter()
        .map(|(k, t)| {
            (
                k.clone(),
                if strided {
                    non_contiguous(t)
                } else {
                    t.clone()
                },
            )
        })
        .collect();
    let outs = run(case["op"].as_str().unwrap(), &case["args"], &inputs);
    let want = named(&case["outputs"]);
    for (k, got) in &outs {
        assert_close(&format!("{name}: output {k}"), got, &want[k]);
    }
    if grad_names.is_empty() {
        return;
    }
    let g = tensor_from(&case["grad_output"]);
    (&outs[0].1 * &g).sum().backward();
    let want_grads = named(&case["grads"]);
    for k in &grad_names {
        let got = leaves[k]
            .grad()
            .unwrap_or_else(|| panic!("{name}: no grad for {k}"));
        assert_close(&format!("{name}: grad of {k}"), &got, &want_grads[k]);
    }
}

#[test]
fn golden_outputs_and_gradients_match_pytorch() {
    let cases = cases();
    assert!(cases.len() > 100);
    for case in &cases {
        check_case(case, false);
    }
}

#[test]
fn golden_cases_on_non_contiguous_inputs() {
    for case in &cases() {
        check_case(case, true);
    }
}

#[test]
fn gradcheck_every_op_in_f64() {
    for case in cases()
        .iter()
        .filter(|c| c["name"].as_str().unwrap().ends_with("_f64"))
    {
        let name = case["name"].as_str().unwrap();
        let grad_names: Vec<String> = case["grad"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .collect();
        if grad_names.is_empty() || name.contains("large") {
            continue;
        }
        let inputs = named(&case["inputs"]);
        let keys: Vec<String> = inputs.keys().cloned().collect();
        let tensors: Vec<Tensor> = keys
            .iter()
            .map(|k| inputs[k].clone().requires_grad_(grad_names.contains(k)))
            .collect();
        let refs: Vec<&Tensor> = tensors.iter().collect();
        let op = case["op"].as_str().unwrap();
        let result = gradcheck(
            |xs| {
                let x: Inputs = keys.iter().cloned().zip(xs.iter().cloned()).collect();
                run(op, &case["args"], &x).remove(0).1
            },
            &refs,
        );
        if let Err(e) = result {
            panic!("gradcheck failed for {name}: {e}");
        }
    }
}

fn all_finite(t: &Tensor) -> bool {
    t.to_dtype(DType::F64)
        .to_vec::<f64>()
        .iter()
        .all(|v| v.is_finite())
}

#[test]
fn digits_trainer_cross_entropy_matches_softmax_minus_one_hot() {
    let logits =
        Tensor::from_vec(vec![1.0f32, 2.0, 0.5, -1.0, 0.0, 3.0], [2, 3]).requires_grad_(true);
    let targets = tensor!([1, 2]);
    let loss = F::cross_entropy(&logits, &targets);
    let lse = |r: &[f32]| r.iter().map(|v| v.exp()).sum::<f32>().ln();
    let expected = ((lse(&[1.0, 2.0, 0.5]) - 2.0) + (lse(&[-1.0, 0.0, 3.0]) - 3.0)) / 2.0;
    assert!((loss.item::<f32>() - expected).abs() < 1e-6);
    loss.backward();
    let grad = logits.grad().unwrap().to_vec::<f32>();
    let rows = [[1.0f32, 2.0, 0.5], [-1.0, 0.0, 3.0]];
    let targets = [1, 2];
    for (r, row) in rows.iter().enumerate() {
        let total: f32 = row.iter().map(|v| v.exp()).sum();
        for c in 0..3 {
            let p = row[c].exp() / total;
            let want = (p - if c == targets[r] { 1.0 } else { 0.0 }) / 2.0;
            assert!((grad[r * 3 + c] - want).abs() < 1e-6, "grad[{r}][{c}]");
        }
    }
}

#[test]
fn large_logits_give_finite_losses_and_gradients() {
    let logits = (Tensor::randn([8, 10], DType::F32) * 1e4).requires_grad_(true);
    let targets = Tensor::randint(0, 10, [8], DType::I64);
    let probs = F::softmax(&Tensor::randn([8, 10], DType::F32), 1);
    let bits = Tensor::rand([8, 10], DType::F32)
        .gt_scalar(0.5)
        .to_dtype(DType::F32);
    let losses = [
        F::cross_entropy(&logits, &targets),
        F::cross_entropy(&logits, &probs),
        F::cross_entropy_with(
            &logits,
            &targets,
            &CrossEntropyOptions {
                label_smoothing: 0.1,
                ..Default::default()
            },
        ),
        F::nll_loss(&F::log_softmax(&logits, 1), &targets),
        F::binary_cross_entropy_with_logits(&logits, &bits),
        F::kl_div_with(
            &F::log_softmax(&logits, 1),
            &probs,
            Reduction::BatchMean,
            false,
        ),
        F::scaled_dot_product_attention(&logits, &logits, &logits, None, 0.0, false, None).sum(),
        F::layer_norm(&logits, &[10], None, None, 1e-5).sum(),
        F::batch_norm(&logits, None, None, None, None, true, 0.1, 1e-5).sum(),
    ];
    for (i, loss) in losses.iter().enumerate() {
        assert!(all_finite(loss), "loss {i} is {:?}", loss.to_vec::<f32>());
        logits.zero_grad();
        loss.backward();
        assert!(all_finite(&logits.grad().unwrap()), "gradient of loss {i}");
    }
}

#[test]
fn bce_with_logits_at_extreme_logits_is_exact() {
    let x = tensor!([1e4, -1e4, 1e4, -1e4]);
    let t = tensor!([1.0, 0.0, 0.0, 1.0]);
    let loss = F::binary_cross_entropy_with_logits_with(
        &x,
        &t,
        &BceWithLogitsOptions {
            reduction: Reduction::None,
            ..Default::default()
        },
    );
    assert_eq!(loss.to_vec::<f32>(), vec![0.0, 0.0, 1e4, 1e4]);
}

#[test]
fn losses_work_in_f16_and_bf16() {
    for dtype in [DType::F16, DType::BF16] {
        let x = tensor!([[1.0, 2.0, 0.5]]).to_dtype(dtype);
        let loss = F::cross_entropy(&x, &tensor!([1]));
        assert_eq!(loss.dtype(), dtype);
        let want = 1f32.exp() + 2f32.exp() + 0.5f32.exp();
        assert!((loss.to_dtype(DType::F32).item::<f32>() - (want.ln() - 2.0)).abs() < 2e-2);
        let mse = F::mse_loss(&x, &Tensor::zeros([1, 3], dtype));
        assert!((mse.to_dtype(DType::F32).item::<f32>() - 5.25 / 3.0).abs() < 2e-2);
    }
}

#[test]
fn batch_norm_updates_running_stats_with_unbiased_variance() {
    let x = tensor!([[1.0, 10.0], [3.0, 10.0], [5.0, 16.0]]);
    let rm = Tensor::zeros([2], DType::F32);
    let rv = Tensor::ones([2], DType::F32);
    F::batch_norm(&x, Some(&rm), Some(&rv), None, None, true, 0.5, 1e-5);
    assert_eq!(rm.to_vec::<f32>(), vec![1.5, 6.0]);
    // unbiased variances 4 and 12
    assert_eq!(rv.to_vec::<f32>(), vec![2.5, 6.5]);
    let y = F::batch_norm(&x, Some(&rm), Some(&rv), None, None, false, 0.5, 0.0);
    assert!((y.to_vec::<f32>()[0] - (1.0 - 1.5) / 2.5f32.sqrt()).abs() < 1e-6);
    assert_eq!(
        rm.to_vec::<f32>(),
        vec![1.5, 6.0],
        "eval leaves stats alone"
    );
    assert!(!rm.requires_grad());
}

#[test]
fn dropout_is_seeded_scaled_and_differentiable() {
    let x = Tensor::ones([10000], DType::F64).requires_grad_(true);
    firebrand::manual_seed(7);
    let a = F::dropout(&x, 0.3, true);
    firebrand::manual_seed(7);
    let b = F::dropout(&x, 0.3, true);
    assert_eq!(a.to_vec::<f64>(), b.to_vec::<f64>());
    let v = a.to_vec::<f64>();
    let kept = v.iter().filter(|&&e| e != 0.0).count() as f64 / v.len() as f64;
    assert!((kept - 0.7).abs() < 0.03, "kept fraction {kept}");
    assert!(v.iter().all(|&e| e == 0.0 || (e - 1.0 / 0.7).abs() < 1e-12));
    a.sum().backward();
    assert_eq!(x.grad().unwrap().to_vec::<f64>(), v);
    assert_eq!(F::dropout(&x, 1.0, true).sum().item::<f64>(), 0.0);
    assert_eq!(F::dropout(&x, 0.3, false).to_vec::<f64>(), vec![1.0; 10000]);
}

#[test]
fn embedding_gradient_adds_up_repeated_rows() {
    let w = Tensor::zeros([3, 2], DType::F64).requires_grad_(true);
    F::embedding(&tensor!([[0, 2], [0, 0]]), &w)
        .sum()
        .backward();
    assert_eq!(
        w.grad().unwrap().to_vec::<f64>(),
        vec![3.0, 3.0, 0.0, 0.0, 1.0, 1.0]
    );
}

#[test]
fn cross_entropy_mean_over_all_ignored_is_nan_as_pytorch() {
    let loss = F::cross_entropy(&tensor!([[1.0, 2.0]]), &tensor!([-100]));
    assert!(loss.item::<f32>().is_nan());
}

#[test]
fn misuse_is_reported() {
    let x = Tensor::zeros([2, 3], DType::F32);
    assert!(F::try_cross_entropy(&x, &tensor!([0, 1, 2])).is_err());
    assert!(F::try_cross_entropy(&x, &tensor!([0, 3])).is_err());
    assert!(F::try_cross_entropy(&x, &Tensor::zeros([2, 4], DType::F32)).is_err());
    assert!(F::try_nll_loss(&x, &tensor!([0.0, 1.0])).is_err());
    let bad_weight = NllLossOptions {
        weight: Some(tensor!([1.0, 1.0])),
        ..Default::default()
    };
    assert!(F::try_nll_loss_with(&x, &tensor!([0, 1]), &bad_weight).is_err());
    assert!(F::try_mse_loss(&x, &Tensor::zeros([3, 2], DType::F32)).is_err());
    assert!(F::try_mse_loss_with(&x, &x, Reduction::BatchMean).is_err());
    assert!(F::try_binary_cross_entropy(&x, &Tensor::zeros([3], DType::F32)).is_err());
    assert!(
        F::try_batch_norm(&x, None, None, Some(&tensor!([1.0])), None, true, 0.1, 1e-5).is_err()
    );
    assert!(F::try_batch_norm(&x, None, None, None, None, false, 0.1, 1e-5).is_err());
    assert!(F::try_layer_norm(&x, &[2], None, None, 1e-5).is_err());
    assert!(F::try_group_norm(&Tensor::zeros([2, 3, 2], DType::F32), 2, None, None, 1e-5).is_err());
    assert!(F::try_embedding(&tensor!([3]), &x).is_err());
    assert!(F::try_one_hot(&tensor!([1.0]), 2).is_err());
    assert!(F::try_pad(&x, &[3, 0], PadMode::Reflect).is_err());
    assert!(F::try_pad(&x, &[-4, 0], PadMode::Constant(0.0)).is_err());
    assert!(F::try_dropout(&x, -0.1, true).is_err());
    let q = Tensor::zeros([2, 4], DType::F32);
    assert!(F::try_scaled_dot_product_attention(&q, &x, &x, None, 0.0, false, None).is_err());
    assert!(
        F::try_scaled_dot_product_attention(&q, &q, &q, Some(&tensor!([true])), 0.0, true, None)
            .is_err()
    );
}

#[test]
#[should_panic(expected = "cross_entropy: target 5 is out of bounds for 3 classes")]
fn cross_entropy_panics_on_out_of_range_target() {
    F::cross_entropy(&Tensor::zeros([1, 3], DType::F32), &tensor!([5]));
}

#[test]
#[should_panic(expected = "layer_norm: normalized_shape [5]")]
fn layer_norm_panics_on_wrong_shape() {
    F::layer_norm(&Tensor::zeros([2, 3], DType::F32), &[5], None, None, 1e-5);
}

#[test]
fn no_grad_losses_record_nothing() {
    let x = Tensor::randn([3, 4], DType::F32).requires_grad_(true);
    let loss = no_grad(|| F::cross_entropy(&x, &tensor!([0, 1, 3])));
    assert!(!loss.requires_grad());
}

#[test]
fn composed_derivatives_are_twice_differentiable() {
    use firebrand::autograd::gradgradcheck;
    let x = Tensor::randn([3, 4], DType::F64).requires_grad_(true);
    let t = tensor!([0, 3, 1]);
    let probs = F::softmax(&Tensor::randn([3, 4], DType::F64), 1);
    let cases: Vec<NamedFn> = vec![
        ("cross_entropy", Box::new(|xs| F::cross_entropy(&xs[0], &t))),
        (
            "cross_entropy probs",
            Box::new(|xs| F::cross_entropy(&xs[0], &probs)),
        ),
        (
            "bce_with_logits",
            Box::new(|xs| F::binary_cross_entropy_with_logits(&xs[0], &probs)),
        ),
        (
            "batch_norm",
            Box::new(|xs| F::batch_norm(&xs[0], None, None, None, None, true, 0.1, 1e-5)),
        ),
        (
            "layer_norm",
            Box::new(|xs| F::layer_norm(&xs[0], &[4], None, None, 1e-5)),
        ),
        (
            "sdpa",
            Box::new(|xs| {
                F::scaled_dot_product_attention(&xs[0], &xs[0], &xs[0], None, 0.0, true, None)
            }),
        ),
    ];
    for (name, f) in &cases {
        if let Err(e) = gradgradcheck(f, &[&x]) {
            panic!("gradgradcheck failed for {name}: {e}");
        }
    }
}
