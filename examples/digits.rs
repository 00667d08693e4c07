//! Trains a small convolutional network to recognise handwritten digits, end to end.
//!
//! ```text
//! cargo run --release --example digits                       # the bundled 8x8 digits
//! cargo run --release --example digits -- --epochs 5 --lr 2e-3
//! cargo run --release --example digits -- --data-dir ~/mnist # real MNIST IDX files
//! cargo run --release --example digits -- --eval digits.safetensors
//! ```
//!
//! The bundled set (1,797 images, 8x8 pixels) is split 80/20 with a seed; the network is
//! conv 1->32 k3 p1, relu, conv 32->64 k3 p1, relu, max-pool 2, flatten, linear ->128, relu,
//! linear 128->10, trained with cross-entropy and Adam (the learning rate annealed on a cosine). It saves `digits.safetensors`, prints a
//! confusion matrix of the test set and draws a few test digits with their predicted labels.

use firebrand::data::{DataLoader, Dataset, Subset, random_split, read_idx};
use firebrand::nn::{self, Module, functional as F};
use firebrand::optim::{Adam, CosineAnnealingLR, LrScheduler, Optimizer};
use firebrand::{DType, Device, Tensor, no_grad};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::time::Instant;

/// Command-line options, with the defaults `--help` prints.
struct Args {
    epochs: usize,
    batch_size: usize,
    lr: f64,
    seed: u64,
    device: String,
    data_dir: Option<PathBuf>,
    eval: Option<PathBuf>,
    out: PathBuf,
}

const USAGE: &str = "usage: digits [--epochs N] [--batch-size N] [--lr F] [--seed N] \
[--device cpu|cuda] [--data-dir DIR] [--eval CHECKPOINT] [--out FILE]

  --epochs      passes over the training set (default 15)
  --batch-size  samples per step (default 32)
  --lr          Adam learning rate (default 0.002)
  --seed        seed for the split, the initial weights and the shuffling (default 0)
  --device      cpu or cuda (default cpu)
  --data-dir    a folder with MNIST's IDX files (train-images-idx3-ubyte, ...) instead of
                the bundled 8x8 digits
  --eval        load a checkpoint and only evaluate it on the test split
  --out         where to save the trained weights (default digits.safetensors)";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        epochs: 15,
        batch_size: 32,
        lr: 2e-3,
        seed: 0,
        device: "cpu".into(),
        data_dir: None,
        eval: None,
        out: PathBuf::from("digits.safetensors"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}\n{USAGE}");
        match flag.as_str() {
            "--epochs" => args.epochs = value.parse().map_err(|e| bad(&e))?,
            "--batch-size" => args.batch_size = value.parse().map_err(|e| bad(&e))?,
            "--lr" => args.lr = value.parse().map_err(|e| bad(&e))?,
            "--seed" => args.seed = value.parse().map_err(|e| bad(&e))?,
            "--device" => args.device = value,
            "--data-dir" => args.data_dir = Some(value.into()),
            "--eval" => args.eval = Some(value.into()),
            "--out" => args.out = value.into(),
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    if args.batch_size == 0 {
        return Err(format!("--batch-size must be at least 1\n{USAGE}"));
    }
    Ok(args)
}

/// The network: two convolutions, a max-pool and two linear layers. Public so that
/// tests/digits_training.rs can train this very network.
#[derive(nn::Module)]
pub struct DigitsNet {
    conv1: nn::Conv2d,
    conv2: nn::Conv2d,
    fc1: nn::Linear,
    fc2: nn::Linear,
}

impl DigitsNet {
    /// A network for single-channel images of `side` x `side` pixels (`side` even).
    pub fn new(side: usize) -> DigitsNet {
        let pooled = side / 2;
        DigitsNet {
            conv1: nn::Conv2d::new(1, 32, 3).padding(1),
            conv2: nn::Conv2d::new(32, 64, 3).padding(1),
            fc1: nn::Linear::new(64 * pooled * pooled, 128, true),
            fc2: nn::Linear::new(128, 10, true),
        }
    }
}

impl Module for DigitsNet {
    fn forward(&self, x: &Tensor) -> Tensor {
        let x = self.conv1.forward(x).relu();
        let x = self.conv2.forward(&x).relu();
        let x = F::max_pool2d(&x, 2, 2, 0, 1, false).flatten(1, -1);
        self.fc2.forward(&self.fc1.forward(&x).relu())
    }
}

/// Train and test sets of (image `[1, side, side]` F32 in [0, 1], label I64), and `side`.
fn load_data(args: &Args) -> firebrand::Result<(Subset, Subset, usize)> {
    match &args.data_dir {
        None => {
            let all = firebrand::data::digits()?;
            let test = all.len() / 5;
            let mut parts = random_split(all.clone(), &[all.len() - test, test], args.seed);
            let test = parts.pop().expect("a test part");
            let train = parts.pop().expect("a training part");
            Ok((train, test, 8))
        }
        Some(dir) => {
            let set = |images: &str, labels: &str| -> firebrand::Result<Subset> {
                let x = read_idx(dir.join(images))?;
                let y = read_idx(dir.join(labels))?.to_dtype(DType::I64);
                let n = x.shape()[0];
                let x = x.to_dtype(DType::F32).unsqueeze(1) / 255.0;
                let ds = firebrand::data::TensorDataset::try_new(vec![x, y])?;
                Ok(Subset::new(ds, (0..n).collect()))
            };
            let train = set("train-images-idx3-ubyte", "train-labels-idx1-ubyte")?;
            let test = set("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")?;
            let side = train.get(0)[0].shape()[1];
            Ok((train, test, side))
        }
    }
}

/// Trains for `args.epochs`, showing a progress bar with the running loss and accuracy.
fn train(model: &DigitsNet, train_set: Subset, test_set: &Subset, args: &Args) {
    let loader = DataLoader::new(train_set, args.batch_size).shuffle(args.seed);
    let mut opt = Adam::new(model.parameters(), args.lr);
    // The learning rate falls along a half cosine to zero over the whole run, step by step.
    let mut schedule = CosineAnnealingLR::new(&mut opt, args.epochs * loader.len(), 0.0);
    let bar = ProgressBar::new((args.epochs * loader.len()) as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} steps {elapsed_precise} {msg}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    for epoch in 1..=args.epochs {
        bar.set_prefix(format!("epoch {epoch:>2}/{}", args.epochs));
        let (mut loss_sum, mut correct, mut seen) = (0.0, 0, 0);
        for batch in loader.iter() {
            let (images, labels) = (&batch[0], &batch[1]);
            let logits = model.forward(images);
            let loss = F::cross_entropy(&logits, labels);
            opt.zero_grad();
            loss.backward();
            opt.step();
            schedule.step(&mut opt);
            loss_sum += loss.item::<f64>() * labels.numel() as f64;
            correct += count_correct(&logits, labels);
            seen += labels.numel();
            bar.set_message(format!(
                "loss {:.4} train acc {:.1}%",
                loss_sum / seen as f64,
                100.0 * correct as f64 / seen as f64
            ));
            bar.inc(1);
        }
        let (acc, _) = evaluate(model, test_set);
        let line = format!(
            "epoch {epoch:>2}: train loss {:.4}, train acc {:.1}%, test acc {:.2}%",
            loss_sum / seen as f64,
            100.0 * correct as f64 / seen as f64,
            100.0 * acc
        );
        // A bar that is not drawn (output not a terminal) drops its println: print directly.
        if bar.is_hidden() {
            println!("{line}");
        } else {
            bar.println(line);
        }
    }
    bar.finish_and_clear();
}

/// How many rows of `logits` have their largest value at the label.
fn count_correct(logits: &Tensor, labels: &Tensor) -> usize {
    let predicted = logits.detach().argmax(1, false);
    predicted
        .eq(labels)
        .to_vec::<bool>()
        .iter()
        .filter(|&&ok| ok)
        .count()
}

/// Test accuracy and the predicted label of every test sample, in the set's order.
fn evaluate(model: &DigitsNet, test_set: &Subset) -> (f64, Vec<i64>) {
    let all: Vec<usize> = (0..test_set.len()).collect();
    let batch = test_set.get_batch(&all);
    let logits = no_grad(|| model.forward(&batch[0]));
    let correct = count_correct(&logits, &batch[1]);
    (
        correct as f64 / test_set.len().max(1) as f64,
        logits.argmax(1, false).to_vec::<i64>(),
    )
}

/// A 10x10 table: row = true label, column = predicted label.
fn confusion_matrix(labels: &[i64], predicted: &[i64]) -> String {
    let mut counts = [[0usize; 10]; 10];
    for (&t, &p) in labels.iter().zip(predicted) {
        counts[t as usize][p as usize] += 1;
    }
    let mut out = String::from("true\\pred");
    (0..10).for_each(|p| out += &format!("{p:>5}"));
    for (t, row) in counts.iter().enumerate() {
        out += &format!("\n{t:>9}");
        row.iter().for_each(|c| out += &format!("{c:>5}"));
    }
    out
}

/// An image `[1, h, w]` in [0, 1] drawn with shading characters, one line per pixel row.
fn draw_digit(image: &Tensor) -> Vec<String> {
    const SHADES: &[char] = &[' ', '.', ':', '-', '=', '+', '*', '#', '%', '@'];
    let (h, w) = (image.shape()[1], image.shape()[2]);
    let px = image.to_vec::<f32>();
    (0..h)
        .map(|r| {
            (0..w)
                .flat_map(|c| {
                    let v = px[r * w + c].clamp(0.0, 1.0);
                    let ch = SHADES[(v * (SHADES.len() - 1) as f32).round() as usize];
                    [ch, ch]
                })
                .collect()
        })
        .collect()
}

/// Draws the first `count` test digits side by side with their predicted and true labels.
fn show_digits(test_set: &Subset, predicted: &[i64], count: usize) {
    let samples: Vec<Vec<Tensor>> = (0..count.min(test_set.len()))
        .map(|i| test_set.get(i))
        .collect();
    let drawings: Vec<Vec<String>> = samples.iter().map(|s| draw_digit(&s[0])).collect();
    let width = drawings.first().map_or(0, |d| d[0].chars().count());
    let captions: Vec<String> = samples
        .iter()
        .enumerate()
        .map(|(i, s)| {
            format!(
                "{:<width$}",
                format!("pred {} (true {})", predicted[i], s[1].item::<i64>())
            )
        })
        .collect();
    println!("{}", captions.join("  "));
    for row in 0..drawings.first().map_or(0, Vec::len) {
        let line: Vec<&str> = drawings.iter().map(|d| d[row].as_str()).collect();
        println!("{}", line.join("  "));
    }
}

fn run(args: &Args) -> firebrand::Result<()> {
    let device: Device = args.device.parse()?;
    if device != Device::Cpu {
        // Fails with a clear message until the CUDA backend lands.
        Tensor::zeros([1], DType::F32).to_device(&device)?;
    }
    firebrand::manual_seed(args.seed);
    let (train_set, test_set, side) = load_data(args)?;
    let model = DigitsNet::new(side);
    println!(
        "{} training and {} test images of {side}x{side} pixels; {} parameters",
        train_set.len(),
        test_set.len(),
        model.num_parameters()
    );
    if let Some(path) = &args.eval {
        model.load_state_dict(&firebrand::io::load_safetensors(path)?, true)?;
        println!("loaded {}", path.display());
    } else {
        let start = Instant::now();
        train(&model, train_set, &test_set, args);
        println!("trained in {:.1} s", start.elapsed().as_secs_f64());
        firebrand::io::save_safetensors(&model.state_dict(), &args.out)?;
        println!("saved {}", args.out.display());
    }
    let (acc, predicted) = evaluate(&model, &test_set);
    println!("test accuracy: {:.2}%\n", 100.0 * acc);
    let labels: Vec<i64> = (0..test_set.len())
        .map(|i| test_set.get(i)[1].item::<i64>())
        .collect();
    println!("{}\n", confusion_matrix(&labels, &predicted));
    show_digits(&test_set, &predicted, 6);
    Ok(())
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("digits: {e}");
        std::process::exit(1);
    }
}
