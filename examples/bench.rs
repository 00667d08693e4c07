//! The benchmark suite: times a fixed set of cases (ops, layers, training steps) on the CPU.
//!
//! ```text
//! cargo run --release --example bench                          # every case, a table
//! cargo run --release --example bench -- --cases add_f32_1M,matmul_f32_256
//! cargo run --release --example bench -- --json > firebrand.jsonl
//! cargo run --release --example bench -- --quick               # fewer samples
//! ```
//!
//! Each case is set up once (inputs drawn with a fixed seed), then run repeatedly: a warm-up
//! that also finds how many iterations make one timed sample last at least 0.2 s, then a
//! number of samples (7, or 3 with `--quick`). The reported times are per iteration: the
//! median and the minimum over the samples. `tools/bench_torch.py` runs the same cases in
//! PyTorch and `tools/compare.py` sets the two side by side (see docs/PERFORMANCE.md).

use firebrand::nn::{self, Module, functional as F};
use firebrand::optim::{Adam, Optimizer, SGD};
use firebrand::{DType, Device, Tensor};
use std::hint::black_box;
use std::time::{Duration, Instant};

const USAGE: &str =
    "usage: bench [--cases a,b,c] [--device cpu|cuda] [--json] [--quick] [--no-cache] [--no-huge-pages]
             [--caller-sleeps] [--list]

  --cases   comma-separated case names (default: all; --list prints them)
  --device  cpu (default) or cuda
  --json    one JSON line per case instead of a table
  --quick   3 timed samples per case instead of 7
  --no-cache  turn the CPU buffer cache off (memory::set_cpu_cache_limit(0)), to measure it
  --no-huge-pages  fresh large buffers without transparent huge pages
                   (memory::set_cpu_huge_pages(false)), to measure them
  --caller-sleeps  keep the main thread out of rayon's pool, so it sleeps while the workers
                   run each op (threads::set_main_thread_joins_pool(false)), to measure that
  --list    print the case names and exit";

/// The shortest time one timed sample (a batch of iterations) may take.
const MIN_SAMPLE: Duration = Duration::from_millis(200);

/// One iteration of a case: set up by the case function, run many times by the timer.
type Iteration = Box<dyn FnMut()>;

/// A case: its name and the function that sets it up.
type Case = (&'static str, fn() -> Iteration);

/// Every case, by name, in the order they run.
const CASES: &[Case] = &[
    ("matmul_f32_64", matmul_f32_64),
    ("matmul_f32_256", matmul_f32_256),
    ("matmul_f32_1024", matmul_f32_1024),
    ("matmul_f32_2048", matmul_f32_2048),
    ("bmm_f32_64x128x128", bmm_f32_64x128x128),
    ("linear_f32_b256_1024x1024", linear_f32_b256_1024x1024),
    ("add_f32_1M", add_f32_1m),
    ("add_f32_16M", add_f32_16m),
    ("add_bcast_row_f32_4096x4096", add_bcast_row_f32_4096x4096),
    ("add_transposed_f32_4096x4096", add_transposed_f32_4096x4096),
    ("exp_f32_16M", exp_f32_16m),
    ("gelu_f32_16M", gelu_f32_16m),
    ("relu_f32_16M", relu_f32_16m),
    ("sum_f32_16M", sum_f32_16m),
    ("sum_dim1_f32_4096x4096", sum_dim1_f32_4096x4096),
    ("softmax_dim1_f32_4096x4096", softmax_dim1_f32_4096x4096),
    ("layernorm_f32_4096x1024", layernorm_f32_4096x1024),
    (
        "cross_entropy_f32_b4096_c1000",
        cross_entropy_f32_b4096_c1000,
    ),
    (
        "conv2d_fwd_f32_b32_c64_32x32_k3",
        conv2d_fwd_f32_b32_c64_32x32_k3,
    ),
    (
        "conv2d_fwd_bwd_f32_b32_c64_32x32_k3",
        conv2d_fwd_bwd_f32_b32_c64_32x32_k3,
    ),
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

fn randn(shape: &[usize]) -> Tensor {
    Tensor::randn(shape, DType::F32)
}

/// An iteration that evaluates `f` and throws the result away (after `black_box`).
fn each(mut f: impl FnMut() -> Tensor + 'static) -> Iteration {
    Box::new(move || {
        black_box(f());
    })
}

// ---- matmul family ----

fn square_matmul(n: usize) -> Iteration {
    let (a, b) = (randn(&[n, n]), randn(&[n, n]));
    each(move || a.matmul(&b))
}

fn matmul_f32_64() -> Iteration {
    square_matmul(64)
}

fn matmul_f32_256() -> Iteration {
    square_matmul(256)
}

fn matmul_f32_1024() -> Iteration {
    square_matmul(1024)
}

fn matmul_f32_2048() -> Iteration {
    square_matmul(2048)
}

fn bmm_f32_64x128x128() -> Iteration {
    let (a, b) = (randn(&[64, 128, 128]), randn(&[64, 128, 128]));
    each(move || a.bmm(&b))
}

fn linear_f32_b256_1024x1024() -> Iteration {
    let (x, w, b) = (randn(&[256, 1024]), randn(&[1024, 1024]), randn(&[1024]));
    each(move || F::linear(&x, &w, Some(&b)))
}

// ---- elementwise ----

fn add_f32_1m() -> Iteration {
    let (a, b) = (randn(&[M]), randn(&[M]));
    each(move || &a + &b)
}

fn add_f32_16m() -> Iteration {
    let (a, b) = (randn(&[16 * M]), randn(&[16 * M]));
    each(move || &a + &b)
}

fn add_bcast_row_f32_4096x4096() -> Iteration {
    let (a, b) = (randn(&[4096, 4096]), randn(&[4096]));
    each(move || &a + &b)
}

fn add_transposed_f32_4096x4096() -> Iteration {
    let (a, b) = (randn(&[4096, 4096]), randn(&[4096, 4096]));
    each(move || &a + &b.t())
}

fn exp_f32_16m() -> Iteration {
    let x = randn(&[16 * M]);
    each(move || x.exp())
}

fn gelu_f32_16m() -> Iteration {
    let x = randn(&[16 * M]);
    each(move || F::gelu(&x))
}

fn relu_f32_16m() -> Iteration {
    let x = randn(&[16 * M]);
    each(move || x.relu())
}

// ---- reductions and normalisation ----

fn sum_f32_16m() -> Iteration {
    let x = randn(&[16 * M]);
    each(move || x.sum())
}

fn sum_dim1_f32_4096x4096() -> Iteration {
    let x = randn(&[4096, 4096]);
    each(move || x.sum_dim(1isize, false))
}

fn softmax_dim1_f32_4096x4096() -> Iteration {
    let x = randn(&[4096, 4096]);
    each(move || F::softmax(&x, 1))
}

fn layernorm_f32_4096x1024() -> Iteration {
    let (x, w, b) = (randn(&[4096, 1024]), randn(&[1024]), randn(&[1024]));
    each(move || F::layer_norm(&x, &[1024], Some(&w), Some(&b), 1e-5))
}

fn cross_entropy_f32_b4096_c1000() -> Iteration {
    let logits = randn(&[4096, 1000]);
    let target = Tensor::randint(0, 1000, [4096], DType::I64);
    each(move || F::cross_entropy(&logits, &target))
}

// ---- convolution and pooling ----

/// Input `[32, 64, 32, 32]`, weight `[64, 64, 3, 3]`, bias `[64]`.
fn conv_inputs() -> (Tensor, Tensor, Tensor) {
    (
        randn(&[32, 64, 32, 32]),
        randn(&[64, 64, 3, 3]),
        randn(&[64]),
    )
}

fn conv2d_fwd_f32_b32_c64_32x32_k3() -> Iteration {
    let (x, w, b) = conv_inputs();
    each(move || F::conv2d(&x, &w, Some(&b), 1, 1, 1, 1))
}

/// Forward, then `output.sum().backward()` into the input and the weight (the bias needs
/// no gradient); the gradients are cleared each iteration, so nothing accumulates.
fn conv2d_fwd_bwd_f32_b32_c64_32x32_k3() -> Iteration {
    let (x, w, b) = conv_inputs();
    let (x, w) = (x.requires_grad_(true), w.requires_grad_(true));
    Box::new(move || {
        x.zero_grad();
        w.zero_grad();
        F::conv2d(&x, &w, Some(&b), 1, 1, 1, 1).sum().backward();
        black_box((x.grad(), w.grad()));
    })
}

fn maxpool2d_f32_b32_c64_32x32_k2() -> Iteration {
    let x = randn(&[32, 64, 32, 32]);
    each(move || F::max_pool2d(&x, 2, 0, 0, 1, false))
}

// ---- per-op overhead ----

fn tiny_add_f32_10() -> Iteration {
    let (a, b) = (randn(&[10]), randn(&[10]));
    each(move || &a + &b)
}

/// 100 ops cycling through multiply, add and tanh on 10-element tensors that require grad,
/// then `sum().backward()`: one iteration is the forward and the backward.
fn tiny_chain_backward_f32_10() -> Iteration {
    let x = randn(&[10]).requires_grad_(true);
    let w = randn(&[10]).requires_grad_(true);
    let c = randn(&[10]).requires_grad_(true);
    Box::new(move || {
        for leaf in [&x, &w, &c] {
            leaf.zero_grad();
        }
        let mut y = x.clone();
        for i in 0..100 {
            y = match i % 3 {
                0 => &y * &w,
                1 => &y + &c,
                _ => y.tanh(),
            };
        }
        y.sum().backward();
        black_box(x.grad());
    })
}

// ---- training steps ----

/// One optimiser step of `model` on a fixed batch: zero_grad, forward, cross-entropy,
/// backward, step.
fn train_step(
    model: impl Module + 'static,
    mut opt: impl Optimizer + 'static,
    input: Tensor,
    target: Tensor,
) -> Iteration {
    Box::new(move || {
        opt.zero_grad();
        let loss = F::cross_entropy(&model.forward(&input), &target);
        loss.backward();
        opt.step();
        black_box(loss);
    })
}

fn mlp_train_step_f32_b64() -> Iteration {
    let model = nn::Sequential::new()
        .append(nn::Linear::new(784, 512, true))
        .append(nn::Relu)
        .append(nn::Linear::new(512, 512, true))
        .append(nn::Relu)
        .append(nn::Linear::new(512, 10, true));
    let opt = SGD::new(model.parameters(), 0.01).momentum(0.9);
    let target = Tensor::randint(0, 10, [64], DType::I64);
    train_step(model, opt, randn(&[64, 784]), target)
}

/// The network of examples/digits.rs, for 8x8 single-channel images.
#[derive(nn::Module)]
struct DigitsNet {
    conv1: nn::Conv2d,
    conv2: nn::Conv2d,
    fc1: nn::Linear,
    fc2: nn::Linear,
}

impl Module for DigitsNet {
    fn forward(&self, x: &Tensor) -> Tensor {
        let x = self.conv1.forward(x).relu();
        let x = self.conv2.forward(&x).relu();
        let x = F::max_pool2d(&x, 2, 0, 0, 1, false).flatten(1, -1);
        self.fc2.forward(&self.fc1.forward(&x).relu())
    }
}

fn cnn_train_step_digits_b64() -> Iteration {
    let model = DigitsNet {
        conv1: nn::Conv2d::new(1, 32, 3).padding(1),
        conv2: nn::Conv2d::new(32, 64, 3).padding(1),
        fc1: nn::Linear::new(64 * 4 * 4, 128, true),
        fc2: nn::Linear::new(128, 10, true),
    };
    let opt = Adam::new(model.parameters(), 1e-3);
    let input = Tensor::rand([64, 1, 8, 8], DType::F32);
    let target = Tensor::randint(0, 10, [64], DType::I64);
    train_step(model, opt, input, target)
}

// ---- timing ----

/// Per-iteration times of one case, in microseconds.
struct Timing {
    median_us: f64,
    min_us: f64,
    iters_per_sample: u64,
}

/// Runs `iteration` `n` times and returns the elapsed time.
fn time_batch(iteration: &mut Iteration, n: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        iteration();
    }
    start.elapsed()
}

/// Warms up while doubling the batch until one batch lasts at least [`MIN_SAMPLE`], then
/// times `samples` batches of that size.
fn measure(iteration: &mut Iteration, samples: usize) -> Timing {
    let mut n = 1;
    while time_batch(iteration, n) < MIN_SAMPLE {
        n *= 2;
    }
    let mut per_iter: Vec<f64> = (0..samples)
        .map(|_| time_batch(iteration, n).as_secs_f64() * 1e6 / n as f64)
        .collect();
    per_iter.sort_by(f64::total_cmp);
    Timing {
        median_us: per_iter[per_iter.len() / 2],
        min_us: per_iter[0],
        iters_per_sample: n,
    }
}

// ---- command line ----

struct Args {
    cases: Vec<Case>,
    device: Device,
    json: bool,
    samples: usize,
    no_cache: bool,
    no_huge_pages: bool,
    caller_sleeps: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        cases: CASES.to_vec(),
        device: Device::Cpu,
        json: false,
        samples: 7,
        no_cache: false,
        no_huge_pages: false,
        caller_sleeps: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            "--list" => {
                CASES.iter().for_each(|(name, _)| println!("{name}"));
                std::process::exit(0);
            }
            "--json" => args.json = true,
            "--quick" => args.samples = 3,
            "--no-cache" => args.no_cache = true,
            "--no-huge-pages" => args.no_huge_pages = true,
            "--caller-sleeps" => args.caller_sleeps = true,
            "--cases" => args.cases = select_cases(&it.next().unwrap_or_default())?,
            "--device" => {
                let value = it.next().unwrap_or_default();
                args.device = value
                    .parse()
                    .map_err(|e| format!("--device {value}: {e}\n{USAGE}"))?;
            }
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    Ok(args)
}

/// The cases named in a comma-separated list, in the list's order.
fn select_cases(list: &str) -> Result<Vec<Case>, String> {
    list.split(',')
        .filter(|name| !name.is_empty())
        .map(|name| {
            CASES
                .iter()
                .find(|(known, _)| *known == name)
                .copied()
                .ok_or_else(|| format!("unknown case {name:?} (--list prints the names)"))
        })
        .collect()
}

fn main() {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("bench: {e}");
        std::process::exit(2);
    });
    // Before the first tensor, which is when the main thread joins the pool.
    firebrand::threads::set_main_thread_joins_pool(!args.caller_sleeps);
    if args.device != Device::Cpu {
        // Fails with a clear message until the CUDA backend lands.
        if let Err(e) = Tensor::zeros([1], DType::F32).to_device(&args.device) {
            eprintln!("bench: --device {}: {e}", args.device);
            std::process::exit(1);
        }
    }
    firebrand::manual_seed(0);
    let mut label = String::from("firebrand");
    if args.no_cache {
        firebrand::memory::set_cpu_cache_limit(0);
        label += "-nocache";
    }
    if args.no_huge_pages {
        firebrand::memory::set_cpu_huge_pages(false);
        label += "-nohuge";
    }
    if args.caller_sleeps {
        label += "-callersleeps";
    }
    if !args.json {
        println!("{} threads", firebrand::threads::num_threads());
        println!(
            "{:<38} {:>14} {:>14} {:>10}",
            "case", "median µs", "min µs", "iters"
        );
    }
    for (name, setup) in &args.cases {
        let mut iteration = setup();
        let t = measure(&mut iteration, args.samples);
        if args.json {
            println!(
                "{{\"case\": \"{name}\", \"median_us\": {:.3}, \"min_us\": {:.3}, \"impl\": \"{label}\"}}",
                t.median_us, t.min_us
            );
        } else {
            println!(
                "{name:<38} {:>14.2} {:>14.2} {:>10}",
                t.median_us, t.min_us, t.iters_per_sample
            );
        }
    }
}
