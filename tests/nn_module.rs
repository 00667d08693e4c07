//! The Module trait and #[derive(Module)]: parameter discovery and names, buffers, skipped
//! fields, train/eval, state dicts with strict checking, and the initialisers.

use firebrand::nn::{self, Module, Visit, init};
use firebrand::{DType, Tensor};

/// A layer with a buffer and a training flag, written by hand.
struct Counter {
    scale: Tensor,
    calls: Tensor,
    training: bool,
}

impl Visit for Counter {
    fn visit(&self, prefix: &str, visitor: &mut dyn nn::Visitor) {
        visitor.parameter(&nn::join_name(prefix, "scale"), &self.scale);
        visitor.buffer(&nn::join_name(prefix, "calls"), &self.calls);
    }
    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
}

impl Module for Counter {
    fn forward(&self, x: &Tensor) -> Tensor {
        x * &self.scale
    }
}

fn counter() -> Counter {
    Counter {
        scale: Tensor::ones([1], DType::F32).requires_grad_(true),
        calls: Tensor::zeros([1], DType::I64),
        training: true,
    }
}

#[derive(Module)]
struct Net {
    blocks: Vec<nn::Linear>,
    head: Option<nn::Linear>,
    counter: Counter,
    gain: Tensor,
    #[module(buffer)]
    mask: Tensor,
    #[module(skip)]
    name: &'static str,
    depth: usize,
}

impl Module for Net {
    fn forward(&self, x: &Tensor) -> Tensor {
        let x = self
            .blocks
            .iter()
            .fold(x.clone(), |x, b| b.forward(&x).relu());
        let x = self.head.as_ref().map_or(x.clone(), |h| h.forward(&x));
        self.counter.forward(&x) * &self.gain * &self.mask
    }
}

fn net() -> Net {
    Net {
        blocks: vec![nn::Linear::new(3, 4, true), nn::Linear::new(4, 4, false)],
        head: Some(nn::Linear::new(4, 2, true)),
        counter: counter(),
        gain: Tensor::ones([2], DType::F32).requires_grad_(true),
        mask: Tensor::ones([2], DType::F32),
        name: "net",
        depth: 2,
    }
}

fn names(state: &[(String, Tensor)]) -> Vec<&str> {
    state.iter().map(|(n, _)| n.as_str()).collect()
}

#[test]
fn derive_finds_parameters_in_field_order_with_dotted_names() {
    let m = net();
    assert_eq!(
        names(&m.named_parameters()),
        [
            "blocks.0.weight",
            "blocks.0.bias",
            "blocks.1.weight",
            "head.weight",
            "head.bias",
            "counter.scale",
            "gain"
        ]
    );
    assert_eq!(names(&m.named_buffers()), ["counter.calls", "mask"]);
    assert_eq!(m.state_dict().len(), 9);
    assert_eq!(m.num_parameters(), 12 + 4 + 16 + 8 + 2 + 1 + 2);
    assert_eq!((m.name, m.depth), ("net", 2));
}

#[test]
fn train_and_eval_reach_every_sub_module() {
    let mut m = net();
    m.eval();
    assert!(!m.counter.training);
    m.train();
    assert!(m.counter.training);
}

#[test]
fn parameters_share_storage_and_receive_gradients() {
    let m = net();
    m.forward(&Tensor::ones([5, 3], DType::F32))
        .sum()
        .backward();
    for (name, p) in m.named_parameters() {
        assert!(p.grad().is_some(), "{name} has no gradient");
    }
    m.zero_grad();
    assert!(
        m.parameters()
            .iter()
            .all(|p| p.grad().is_none_or(|g| g.abs().sum().item::<f64>() == 0.0))
    );
}

#[test]
fn load_state_dict_copies_values_into_the_same_tensors() {
    let (a, b) = (net(), net());
    let x = Tensor::randn([2, 3], DType::F32);
    assert_ne!(a.forward(&x).to_vec::<f32>(), b.forward(&x).to_vec::<f32>());
    let weight_before = b.blocks[0].weight.clone();
    b.load_state_dict(&a.state_dict(), true).unwrap();
    assert_eq!(a.forward(&x).to_vec::<f32>(), b.forward(&x).to_vec::<f32>());
    // the parameter is updated in place: handles held elsewhere (an optimizer's) see it
    assert_eq!(
        weight_before.to_vec::<f32>(),
        a.blocks[0].weight.to_vec::<f32>()
    );
    assert!(b.blocks[0].weight.requires_grad());
}

#[test]
fn strict_loading_lists_every_problem_and_changes_nothing() {
    let m = net();
    let before = m.blocks[0].weight.to_vec::<f32>();
    let mut state = net().state_dict();
    state.retain(|(n, _)| n != "gain");
    state.push(("extra".into(), Tensor::zeros([1], DType::F32)));
    state[0].1 = Tensor::zeros([9, 9], DType::F32);
    state[1].1 = state[1].1.to_dtype(DType::F64);
    let err = m.load_state_dict(&state, true).unwrap_err().to_string();
    for needle in [
        "missing key \"gain\"",
        "unexpected key \"extra\"",
        "size mismatch for \"blocks.0.weight\"",
        "dtype mismatch for \"blocks.0.bias\"",
    ] {
        assert!(err.contains(needle), "{needle:?} not in {err}");
    }
    assert_eq!(m.blocks[0].weight.to_vec::<f32>(), before);
}

#[test]
fn non_strict_loading_skips_missing_and_unexpected_names() {
    let (a, b) = (net(), net());
    let mut state = a.state_dict();
    state.retain(|(n, _)| n.starts_with("head"));
    state.push(("unknown".into(), Tensor::zeros([1], DType::F32)));
    b.load_state_dict(&state, false).unwrap();
    assert_eq!(
        b.head.as_ref().unwrap().weight.to_vec::<f32>(),
        a.head.as_ref().unwrap().weight.to_vec::<f32>()
    );
    assert_ne!(
        b.blocks[0].weight.to_vec::<f32>(),
        a.blocks[0].weight.to_vec::<f32>()
    );
    // a wrong shape is an error even when not strict
    let bad = vec![("gain".to_string(), Tensor::zeros([3], DType::F32))];
    assert!(b.load_state_dict(&bad, false).is_err());
}

#[test]
fn sequential_is_a_module_of_boxed_layers() {
    let mut seq = nn::Sequential::new()
        .append(nn::Linear::new(2, 2, true))
        .append(nn::Tanh)
        .append(nn::Identity)
        .append(nn::Linear::new(2, 1, false));
    assert_eq!(
        names(&seq.named_parameters()),
        ["0.weight", "0.bias", "3.weight"]
    );
    seq.eval();
    let y = seq.forward(&Tensor::ones([4, 2], DType::F32));
    assert_eq!(y.shape(), &[4, 1]);
    // one layer's output is the next layer's input
    let by_hand = seq.layer(3).forward(
        &seq.layer(0)
            .forward(&Tensor::ones([4, 2], DType::F32))
            .tanh(),
    );
    assert_eq!(y.to_vec::<f32>(), by_hand.to_vec::<f32>());
}

#[test]
fn linear_initialisation_bounds_are_pytorchs() {
    firebrand::manual_seed(3);
    let fc = nn::Linear::new(100, 50, true);
    let bound = 0.1f32;
    let w = fc.weight.to_vec::<f32>();
    assert!(w.iter().all(|v| v.abs() <= bound));
    assert!(w.iter().fold(0f32, |m, v| m.max(v.abs())) > 0.99 * bound);
    let mean = w.iter().sum::<f32>() / w.len() as f32;
    assert!(mean.abs() < 0.005);
    assert!(
        fc.bias
            .unwrap()
            .to_vec::<f32>()
            .iter()
            .all(|v| v.abs() <= bound)
    );
}

#[test]
fn initialisers_fill_in_place_without_recording() {
    firebrand::manual_seed(4);
    let w = Tensor::zeros([64, 32], DType::F64).requires_grad_(true);
    init::xavier_uniform_(&w, 1.0);
    assert!(w.is_leaf() && w.grad_fn_name().is_none());
    let bound = (6.0f64 / 96.0).sqrt();
    assert!(w.to_vec::<f64>().iter().all(|v| v.abs() <= bound));
    init::orthogonal_(&w, 2.0);
    let gram = w.t().matmul(&w).detach().to_vec::<f64>();
    for i in 0..32 {
        for j in 0..32 {
            let expected = if i == j { 4.0 } else { 0.0 };
            assert!((gram[i * 32 + j] - expected).abs() < 1e-9);
        }
    }
    for dtype in [DType::F16, DType::BF16, DType::F32] {
        let t = Tensor::zeros([8, 8], dtype);
        init::kaiming_normal_(&t, 0.0);
        assert_eq!(t.dtype(), dtype);
        assert!(t.abs().sum().item::<f64>() > 0.0);
    }
    let t = Tensor::zeros([4], DType::F32);
    assert!(std::panic::catch_unwind(|| init::kaiming_uniform_(&t, 0.0)).is_err());
}
