//! The benchmark suite of examples/bench.rs, run in candle 0.11 on its CPU backend.
//!
//! ```text
//! cd tools/bench_candle
//! cargo run --release -- --json > candle.jsonl
//! cargo run --release -- --cases add_f32_1M,matmul_f32_256
//! python3 ../compare.py firebrand.jsonl pytorch.jsonl candle.jsonl
//! ```
//!
//! Same cases, same shapes, same timing rule as the firebrand suite: a warm-up that doubles
//! the number of iterations until one batch lasts at least 0.2 s, then 7 timed batches (3
//! with `--quick`); the median and the minimum per-iteration time in microseconds. With
//! `--json` it prints one line per case:
//! `{"case": ..., "median_us": ..., "min_us": ..., "impl": "candle"}`.
//!
//! Where candle lacks what a case needs, the case is written the way a candle user would:
//! - `mlp_train_step_f32_b64`: candle's SGD has no momentum, so the momentum buffers are
//!   updated here with tensor ops (`buf = 0.9 * buf + g; p -= lr * buf`, PyTorch's rule).
//! - `cnn_train_step_digits_b64`: Adam is candle's AdamW with weight decay 0.
//! - Gradients are not accumulated into leaves in candle (`backward` returns a fresh
//!   `GradStore`), which is what firebrand's `zero_grad` each iteration amounts to.
//!
//! This crate is its own workspace, so the library's `cargo build` and `cargo test` never
//! build candle.

use candle_core::{D, DType, Device, Module, Result, Tensor, Var};
use candle_nn::{Optimizer, VarBuilder, VarMap};
use std::hint::black_box;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: bench_candle [--cases a,b,c] [--json] [--quick] [--list]";

/// The shortest time one timed sample (a batch of iterations) may take.
const MIN_SAMPLE: Duration = Duration::from_millis(200);

/// One iteration of a case: set up by the case function, run many times by the timer.
type Iteration = Box<dyn FnMut() -> Result<()>>;

/// A case: its name and the function that sets it up.
type Case = (&'static str, fn() -> Result<Iteration>);

const CASES: &[Case] = &[
    ("matmul_f32_64", || square_matmul(64)),
    ("matmul_f32_256", || square_matmul(256)),
    ("matmul_f32_1024", || square_matmul(1024)),
    ("matmul_f32_2048", || square_matmul(2048)),
    ("bmm_f32_64x128x128", bmm_f32_64x128x128),
    ("linear_f32_b256_1024x1024", linear_f32_b256_1024x1024),
    ("add_f32_1M", || add(M)),
    ("add_f32_16M", || add(16 * M)),
    ("add_bcast_row_f32_4096x4096", add_bcast_row_f32_4096x4096),
    ("add_transposed_f32_4096x4096", add_transposed_f32_4096x4096),
    ("exp_f32_16M", || unary(Tensor::exp)),
    ("gelu_f32_16M", || unary(Tensor::gelu_erf)),
    ("relu_f32_16M", || unary(Tensor::relu)),
    ("sum_f32_16M", || unary(Tensor::sum_all)),
    ("sum_dim1_f32_4096x4096", sum_dim1_f32_4096x4096),
    ("softmax_dim1_f32_4096x4096", softmax_dim1_f32_4096x4096),
    ("layernorm_f32_4096x1024", layernorm_f32_4096x1024),
    (
        "cross_entropy_f32_b4096_c1000",
        cross_entropy_f32_b4096_c1000,
    ),
    ("conv2d_fwd_f32_b32_c64_32x32_k3", conv2d_fwd),
    ("conv2d_fwd_bwd_f32_b32_c64_32x32_k3", conv2d_fwd_bwd),
    (
        "maxpool2d_f32_b32_c64_32x32_k2",
        maxpool2d_f32_b32_c64_32x32_k2,
    ),
    ("tiny_add_f32_10", tiny_add_f32_10),
    ("tiny_chain_backward_f32_10", tiny_chain_backward_f32_10),
    ("mlp_train_step_f32_b64", mlp_train_step_f32_b64),
    ("cnn_train_step_digits_b64", cnn_train_step_digits_b64),
];

const M: usize = 1 << 20;
const CPU: Device = Device::Cpu;

fn randn<S: Into<candle_core::Shape>>(shape: S) -> Result<Tensor> {
    Tensor::randn(0f32, 1f32, shape, &CPU)
}

/// Class indices in `0..classes`, as the u32 tensor candle's losses take.
fn targets(n: usize, classes: u32) -> Result<Tensor> {
    let t = Tensor::rand(0f32, classes as f32, n, &CPU)?.floor()?;
    t.clamp(0f32, (classes - 1) as f32)?.to_dtype(DType::U32)
}

/// An iteration that evaluates `f` and throws the result away (after `black_box`).
fn each(mut f: impl FnMut() -> Result<Tensor> + 'static) -> Result<Iteration> {
    Ok(Box::new(move || {
        black_box(f()?);
        Ok(())
    }))
}

// ---- matmul family ----

fn square_matmul(n: usize) -> Result<Iteration> {
    let (a, b) = (randn((n, n))?, randn((n, n))?);
    each(move || a.matmul(&b))
}

fn bmm_f32_64x128x128() -> Result<Iteration> {
    let (a, b) = (randn((64, 128, 128))?, randn((64, 128, 128))?);
    each(move || a.matmul(&b))
}

fn linear_f32_b256_1024x1024() -> Result<Iteration> {
    let (x, w, b) = (randn((256, 1024))?, randn((1024, 1024))?, randn(1024)?);
    let linear = candle_nn::Linear::new(w, Some(b));
    each(move || linear.forward(&x))
}

// ---- elementwise ----

fn add(n: usize) -> Result<Iteration> {
    let (a, b) = (randn(n)?, randn(n)?);
    each(move || &a + &b)
}

fn add_bcast_row_f32_4096x4096() -> Result<Iteration> {
    let (a, b) = (randn((4096, 4096))?, randn(4096)?);
    each(move || a.broadcast_add(&b))
}

fn add_transposed_f32_4096x4096() -> Result<Iteration> {
    let (a, b) = (randn((4096, 4096))?, randn((4096, 4096))?);
    each(move || &a + &b.t()?)
}

/// `op` applied to 2^24 standard-normal elements.
fn unary(op: fn(&Tensor) -> Result<Tensor>) -> Result<Iteration> {
    let x = randn(16 * M)?;
    each(move || op(&x))
}

// ---- reductions and normalisation ----

fn sum_dim1_f32_4096x4096() -> Result<Iteration> {
    let x = randn((4096, 4096))?;
    each(move || x.sum(1))
}

fn softmax_dim1_f32_4096x4096() -> Result<Iteration> {
    let x = randn((4096, 4096))?;
    each(move || candle_nn::ops::softmax(&x, 1))
}

fn layernorm_f32_4096x1024() -> Result<Iteration> {
    let (x, w, b) = (randn((4096, 1024))?, randn(1024)?, randn(1024)?);
    each(move || candle_nn::ops::layer_norm(&x, &w, &b, 1e-5))
}

fn cross_entropy_f32_b4096_c1000() -> Result<Iteration> {
    let (logits, target) = (randn((4096, 1000))?, targets(4096, 1000)?);
    each(move || candle_nn::loss::cross_entropy(&logits, &target))
}

// ---- convolution and pooling ----

/// Input `[32, 64, 32, 32]`, weight `[64, 64, 3, 3]`, bias `[64]` as `[1, 64, 1, 1]`.
fn conv_inputs() -> Result<(Tensor, Tensor, Tensor)> {
    Ok((
        randn((32, 64, 32, 32))?,
        randn((64, 64, 3, 3))?,
        randn((1, 64, 1, 1))?,
    ))
}

fn conv2d(x: &Tensor, w: &Tensor, b: &Tensor) -> Result<Tensor> {
    x.conv2d(w, 1, 1, 1, 1)?.broadcast_add(b)
}

fn conv2d_fwd() -> Result<Iteration> {
    let (x, w, b) = conv_inputs()?;
    each(move || conv2d(&x, &w, &b))
}

/// Forward, then `output.sum().backward()` into the input and the weight.
fn conv2d_fwd_bwd() -> Result<Iteration> {
    let (x, w, b) = conv_inputs()?;
    let (x, w) = (Var::from_tensor(&x)?, Var::from_tensor(&w)?);
    Ok(Box::new(move || {
        let grads = conv2d(&x, &w, &b)?.sum_all()?.backward()?;
        black_box((grads.get(&x), grads.get(&w)));
        Ok(())
    }))
}

fn maxpool2d_f32_b32_c64_32x32_k2() -> Result<Iteration> {
    let x = randn((32, 64, 32, 32))?;
    each(move || x.max_pool2d(2))
}

// ---- per-op overhead ----

fn tiny_add_f32_10() -> Result<Iteration> {
    let (a, b) = (randn(10)?, randn(10)?);
    each(move || &a + &b)
}

/// 100 ops cycling through multiply, add and tanh on 10-element tensors that require grad,
/// then `sum().backward()`: one iteration is the forward and the backward.
fn tiny_chain_backward_f32_10() -> Result<Iteration> {
    let x = Var::from_tensor(&randn(10)?)?;
    let w = Var::from_tensor(&randn(10)?)?;
    let c = Var::from_tensor(&randn(10)?)?;
    Ok(Box::new(move || {
        let mut y = x.as_tensor().clone();
        for i in 0..100 {
            y = match i % 3 {
                0 => (&y * w.as_tensor())?,
                1 => (&y + c.as_tensor())?,
                _ => y.tanh()?,
            };
        }
        let grads = y.sum_all()?.backward()?;
        black_box(grads.get(&x));
        Ok(())
    }))
}

// ---- training steps ----

/// SGD with momentum (PyTorch's rule, dampening 0): candle's own SGD has none.
struct MomentumSgd {
    params: Vec<(Var, Var)>,
    lr: f64,
    momentum: f64,
}

impl MomentumSgd {
    fn new(vars: Vec<Var>, lr: f64, momentum: f64) -> Result<Self> {
        let params = vars
            .into_iter()
            .map(|v| {
                let buf = Var::zeros(v.shape(), v.dtype(), &CPU)?;
                Ok((v, buf))
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            params,
            lr,
            momentum,
        })
    }

    fn step(&self, grads: &candle_core::backprop::GradStore) -> Result<()> {
        for (param, buf) in &self.params {
            if let Some(g) = grads.get(param) {
                let next = ((buf.as_tensor() * self.momentum)? + g)?;
                param.set(&(param.as_tensor() - (&next * self.lr)?)?)?;
                buf.set(&next)?;
            }
        }
        Ok(())
    }
}

fn mlp_train_step_f32_b64() -> Result<Iteration> {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &CPU);
    let model = candle_nn::seq()
        .add(candle_nn::linear(784, 512, vb.pp("fc1"))?)
        .add(candle_nn::Activation::Relu)
        .add(candle_nn::linear(512, 512, vb.pp("fc2"))?)
        .add(candle_nn::Activation::Relu)
        .add(candle_nn::linear(512, 10, vb.pp("fc3"))?);
    let opt = MomentumSgd::new(varmap.all_vars(), 0.01, 0.9)?;
    let (input, target) = (randn((64, 784))?, targets(64, 10)?);
    Ok(Box::new(move || {
        let loss = candle_nn::loss::cross_entropy(&model.forward(&input)?, &target)?;
        opt.step(&loss.backward()?)?;
        black_box(loss);
        Ok(())
    }))
}

/// The network of examples/digits.rs, for 8x8 single-channel images.
struct DigitsNet {
    conv1: candle_nn::Conv2d,
    conv2: candle_nn::Conv2d,
    fc1: candle_nn::Linear,
    fc2: candle_nn::Linear,
}

impl DigitsNet {
    fn new(vb: VarBuilder) -> Result<Self> {
        let same = candle_nn::Conv2dConfig {
            padding: 1,
            ..Default::default()
        };
        Ok(Self {
            conv1: candle_nn::conv2d(1, 32, 3, same, vb.pp("conv1"))?,
            conv2: candle_nn::conv2d(32, 64, 3, same, vb.pp("conv2"))?,
            fc1: candle_nn::linear(64 * 4 * 4, 128, vb.pp("fc1"))?,
            fc2: candle_nn::linear(128, 10, vb.pp("fc2"))?,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let x = self.conv1.forward(x)?.relu()?;
        let x = self.conv2.forward(&x)?.relu()?;
        let x = x.max_pool2d(2)?.flatten(1, D::Minus1)?;
        self.fc2.forward(&self.fc1.forward(&x)?.relu()?)
    }
}

fn cnn_train_step_digits_b64() -> Result<Iteration> {
    let varmap = VarMap::new();
    let model = DigitsNet::new(VarBuilder::from_varmap(&varmap, DType::F32, &CPU))?;
    let adam = candle_nn::ParamsAdamW {
        lr: 1e-3,
        weight_decay: 0.0,
        ..Default::default()
    };
    let mut opt = candle_nn::AdamW::new(varmap.all_vars(), adam)?;
    let input = Tensor::rand(0f32, 1f32, (64, 1, 8, 8), &CPU)?;
    let target = targets(64, 10)?;
    Ok(Box::new(move || {
        let loss = candle_nn::loss::cross_entropy(&model.forward(&input)?, &target)?;
        opt.backward_step(&loss)?;
        black_box(loss);
        Ok(())
    }))
}

// ---- timing ----

/// Runs `iteration` `n` times and returns the elapsed time.
fn time_batch(iteration: &mut Iteration, n: u64) -> Result<Duration> {
    let start = Instant::now();
    for _ in 0..n {
        iteration()?;
    }
    Ok(start.elapsed())
}

/// Warms up while doubling the batch until one batch lasts at least [`MIN_SAMPLE`], then
/// times `samples` batches of that size: (median, min) microseconds per iteration.
fn measure(iteration: &mut Iteration, samples: usize) -> Result<(f64, f64)> {
    let mut n = 1;
    while time_batch(iteration, n)? < MIN_SAMPLE {
        n *= 2;
    }
    let mut per_iter = (0..samples)
        .map(|_| Ok(time_batch(iteration, n)?.as_secs_f64() * 1e6 / n as f64))
        .collect::<Result<Vec<f64>>>()?;
    per_iter.sort_by(f64::total_cmp);
    Ok((per_iter[per_iter.len() / 2], per_iter[0]))
}

fn main() -> Result<()> {
    let (mut cases, mut json, mut samples) = (CASES.to_vec(), false, 7);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--json" => json = true,
            "--quick" => samples = 3,
            "--list" => {
                CASES.iter().for_each(|(name, _)| println!("{name}"));
                return Ok(());
            }
            "--cases" => {
                let wanted = args.next().unwrap_or_default();
                cases = wanted
                    .split(',')
                    .map(|name| CASES.iter().find(|(n, _)| *n == name).copied())
                    .collect::<Option<_>>()
                    .unwrap_or_else(|| panic!("unknown case in {wanted}; --list prints them"));
            }
            _ => panic!("unknown flag {flag}\n{USAGE}"),
        }
    }
    for (name, setup) in cases {
        let (median, min) = measure(&mut setup()?, samples)?;
        if json {
            println!(
                "{{\"case\": \"{name}\", \"median_us\": {median:.3}, \"min_us\": {min:.3}, \"impl\": \"candle\"}}"
            );
        } else {
            println!("{name:40} median {median:12.3} us   min {min:12.3} us");
        }
    }
    Ok(())
}
