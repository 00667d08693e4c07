//! The nn layers (BatchNorm1d/2d, LayerNorm, GroupNorm, Dropout, Embedding,
//! MultiheadAttention) against PyTorch's (tests/golden/nn_layers.json, written by
//! tools/gen_nn_layers.py): output, input and parameter gradients, and the state dict (running
//! statistics, num_batches_tracked) after a forward pass; plus train/eval switching.

use firebrand::nn::{
    self, BatchNorm1d, BatchNorm2d, Dropout, Embedding, GroupNorm, LayerNorm, Module,
    MultiheadAttention,
};
use firebrand::{DType, Tensor, tensor};
use serde_json::Value;

mod common;
use common::tensor_from;

fn assert_close(what: &str, got: &Tensor, want: &Tensor) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    assert_eq!(got.dtype(), want.dtype(), "{what}: dtype");
    let g = got.to_dtype(DType::F64).to_vec::<f64>();
    let w = want.to_dtype(DType::F64).to_vec::<f64>();
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        assert!(
            (a - b).abs() <= 1e-10 + 1e-9 * b.abs(),
            "{what}: element {i}: got {a}, PyTorch {b}"
        );
    }
}

fn usize_of(c: &Value, key: &str) -> usize {
    c[key].as_u64().unwrap() as usize
}

fn build(layer: &str, c: &Value) -> Box<dyn Module> {
    let f64_ = DType::F64;
    match layer {
        "BatchNorm1d" => Box::new(BatchNorm1d::with_options(
            usize_of(c, "num_features"),
            1e-5,
            0.1,
            true,
            f64_,
        )),
        "BatchNorm2d" => Box::new(BatchNorm2d::with_options(
            usize_of(c, "num_features"),
            1e-5,
            0.1,
            true,
            f64_,
        )),
        "LayerNorm" => {
            let shape: Vec<usize> = c["normalized_shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap() as usize)
                .collect();
            Box::new(LayerNorm::with_options(&shape, 1e-5, true, f64_))
        }
        "GroupNorm" => Box::new(GroupNorm::with_options(
            usize_of(c, "num_groups"),
            usize_of(c, "num_channels"),
            1e-5,
            true,
            f64_,
        )),
        "MultiheadAttention" => Box::new(MultiheadAttention::with_options(
            usize_of(c, "embed_dim"),
            usize_of(c, "num_heads"),
            0.0,
            f64_,
        )),
        other => panic!("no layer {other}"),
    }
}

fn state_of(v: &Value) -> Vec<(String, Tensor)> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, t)| (k.clone(), tensor_from(t)))
        .collect()
}

#[test]
fn layers_match_pytorch() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/nn_layers.json"
    ))
    .unwrap();
    let root: Value = serde_json::from_str(&text).unwrap();
    for case in root["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let layer = case["layer"].as_str().unwrap();
        let mut module = build(layer, &case["config"]);
        module
            .load_state_dict(&state_of(&case["state"]), true)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        if case["training"].as_bool().unwrap() {
            module.train();
        } else {
            module.eval();
        }
        let x = tensor_from(&case["input"]).requires_grad_(true);
        let out = if case.get("kv").is_some() {
            let mha = MultiheadAttention::with_options(6, 3, 0.0, DType::F64);
            mha.load_state_dict(&module.state_dict(), true).unwrap();
            let kv = tensor_from(&case["kv"]);
            let out = mha.forward_qkv(&x, &kv, &kv, Some(&tensor_from(&case["attn_mask"])));
            module = Box::new(mha);
            out
        } else {
            module.forward(&x)
        };
        assert_close(
            &format!("{name}: output"),
            &out,
            &tensor_from(&case["output"]),
        );
        (&out * &tensor_from(&case["grad_output"])).sum().backward();
        assert_close(
            &format!("{name}: input grad"),
            &x.grad().unwrap(),
            &tensor_from(&case["input_grad"]),
        );
        for (pname, p) in module.named_parameters() {
            let want = tensor_from(&case["param_grads"][&pname]);
            let got = p
                .grad()
                .unwrap_or_else(|| panic!("{name}: no grad for {pname}"));
            assert_close(&format!("{name}: grad of {pname}"), &got, &want);
        }
        let after = state_of(&case["state_after"]);
        let own = module.state_dict();
        assert_eq!(own.len(), after.len(), "{name}: state dict size");
        for (k, got) in &own {
            let (_, want) = after
                .iter()
                .find(|(n, _)| n == k)
                .unwrap_or_else(|| panic!("{name}: PyTorch has no state {k}"));
            assert_close(&format!("{name}: state {k}"), got, want);
        }
    }
}

#[test]
fn batch_norm_layer_switches_between_batch_and_running_stats() {
    let mut bn = BatchNorm1d::new(2);
    let x = tensor!([[1.0, 2.0], [3.0, 6.0]]);
    let train_out = bn.forward(&x).to_vec::<f32>();
    assert!((train_out[0] + 1.0).abs() < 1e-3);
    assert_eq!(bn.running_mean.to_vec::<f32>(), vec![0.2, 0.4]);
    assert_eq!(bn.num_batches_tracked.item::<i64>(), 1);
    bn.eval();
    let eval_out = bn.forward(&x).to_vec::<f32>();
    let rv = bn.running_var.to_vec::<f32>();
    assert!((eval_out[0] - (1.0 - 0.2) / (rv[0] + 1e-5).sqrt()).abs() < 1e-5);
    assert_eq!(
        bn.num_batches_tracked.item::<i64>(),
        1,
        "eval does not count"
    );
    let names: Vec<String> = bn.named_buffers().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["running_mean", "running_var", "num_batches_tracked"]
    );
}

#[test]
fn eval_reaches_layers_inside_containers() {
    let mut model = nn::Sequential::new()
        .append(nn::Linear::new(4, 4, true))
        .append(BatchNorm1d::new(4))
        .append(Dropout::new(0.5));
    model.eval();
    let x = Tensor::ones([2, 4], DType::F32);
    let a = model.forward(&x).to_vec::<f32>();
    let b = model.forward(&x).to_vec::<f32>();
    assert_eq!(a, b, "no dropout, running stats in eval");
    let names: Vec<String> = model.state_dict().into_iter().map(|(n, _)| n).collect();
    assert!(names.contains(&"1.running_var".to_string()), "{names:?}");
}

#[test]
fn embedding_layer_starts_standard_normal_and_trains_its_rows() {
    firebrand::manual_seed(3);
    let emb = Embedding::new(1000, 8);
    let w = emb.weight.to_vec::<f32>();
    let mean = w.iter().sum::<f32>() / w.len() as f32;
    let var = w.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / w.len() as f32;
    assert!(
        mean.abs() < 0.05 && (var - 1.0).abs() < 0.05,
        "{mean} {var}"
    );
    emb.forward(&tensor!([5, 5])).sum().backward();
    let g = emb.weight.grad().unwrap();
    assert_eq!(g.sum().item::<f32>(), 16.0);
    assert_eq!(g.narrow(0, 5, 1).to_vec::<f32>(), vec![2.0; 8]);
}

#[test]
fn multihead_attention_unbatched_equals_batched() {
    let mha = MultiheadAttention::new(6, 2);
    let x = Tensor::randn([4, 6], DType::F32);
    let a = mha.forward(&x).to_vec::<f32>();
    let b = mha.forward(&x.unsqueeze(0)).squeeze(0).to_vec::<f32>();
    assert_eq!(a, b);
}

#[test]
#[should_panic(expected = "BatchNorm2d: expected a 4-D [N, C, H, W] input")]
fn batch_norm_2d_rejects_2d_input() {
    BatchNorm2d::new(3).forward(&Tensor::zeros([2, 3], DType::F32));
}
