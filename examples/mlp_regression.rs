//! Fits y = sin(3x) from noisy samples with a small MLP and plots the training to a PNG.
//!
//! ```text
//! cargo run --release --example mlp_regression                  # writes mlp_regression.png
//! cargo run --release --example mlp_regression -- --epochs 500 --lr 3e-3 --seed 1 --out fit.png
//! ```
//!
//! 256 points x uniform in [-2, 2], y = sin(3x) + noise (standard deviation 0.1), all drawn
//! from `--seed`. The network is Linear 1->64, Tanh, Linear 64->64, Tanh, Linear 64->1,
//! trained on the mean squared error with Adam in shuffled batches of 32, the learning rate
//! annealed to zero on a cosine. The picture has
//! two panels: the loss on a log scale (every step, and the whole set after each epoch), and
//! the data with the network's prediction. The text is drawn with the DejaVu Sans subset in
//! assets/fonts, so no system font is needed.

use firebrand::data::{DataLoader, TensorDataset};
use firebrand::nn::{self, Module, functional as F};
use firebrand::optim::{Adam, CosineAnnealingLR, LrScheduler, Optimizer};
use firebrand::{DType, Tensor, no_grad};
use plotters::prelude::*;
use std::error::Error;
use std::path::{Path, PathBuf};

/// The plot's size in pixels.
pub const PLOT_SIZE: (u32, u32) = (1200, 480);

/// The font of the plot's text: DejaVu Sans cut to ASCII (licence in assets/fonts).
const FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-subset.ttf");

/// Command-line options, with the defaults `--help` prints.
struct Args {
    epochs: usize,
    lr: f64,
    seed: u64,
    out: PathBuf,
}

const USAGE: &str = "usage: mlp_regression [--epochs N] [--lr F] [--seed N] [--out FILE]

  --epochs  passes over the 256 samples, 8 steps each (default 300)
  --lr      Adam's initial learning rate, annealed to 0 on a cosine (default 0.01)
  --seed    seed for the data, the initial weights and the shuffling (default 0)
  --out     where to write the plot (default mlp_regression.png)";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        epochs: 300,
        lr: 1e-2,
        seed: 0,
        out: PathBuf::from("mlp_regression.png"),
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
            "--lr" => args.lr = value.parse().map_err(|e| bad(&e))?,
            "--seed" => args.seed = value.parse().map_err(|e| bad(&e))?,
            "--out" => args.out = value.into(),
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    if args.epochs == 0 {
        return Err(format!("--epochs must be at least 1\n{USAGE}"));
    }
    Ok(args)
}

/// The function the network learns.
pub fn target(x: f64) -> f64 {
    (3.0 * x).sin()
}

/// `n` samples `x` uniform in [-2, 2] and `y = target(x) + noise * N(0, 1)`, both `[n, 1]` F32,
/// drawn from the global generator (seed it first with `firebrand::manual_seed`).
pub fn make_data(n: usize, noise: f64) -> (Tensor, Tensor) {
    let x = Tensor::rand([n, 1], DType::F32) * 4.0 - 2.0;
    let y = (&x * 3.0).sin() + Tensor::randn([n, 1], DType::F32) * noise;
    (x, y)
}

/// A multi-layer perceptron 1 -> hidden -> hidden -> 1 with Tanh between the layers.
pub fn mlp(hidden: usize) -> nn::Sequential {
    nn::Sequential::new()
        .append(nn::Linear::new(1, hidden, true))
        .append(nn::Tanh)
        .append(nn::Linear::new(hidden, hidden, true))
        .append(nn::Tanh)
        .append(nn::Linear::new(hidden, 1, true))
}

/// The losses of a training run: one per optimizer step, and the loss on the whole training
/// set after each epoch.
#[derive(Default)]
pub struct History {
    pub step_losses: Vec<f64>,
    pub epoch_losses: Vec<f64>,
}

/// Trains `model` on `(x, y)` for `epochs` passes in shuffled batches of `batch_size` with
/// Adam, its learning rate falling from `lr` to zero along a half cosine over the run, calling
/// `on_epoch(epoch, loss)` after each epoch (numbered from 1).
pub fn train(
    model: &nn::Sequential,
    (x, y): (&Tensor, &Tensor),
    epochs: usize,
    batch_size: usize,
    lr: f64,
    seed: u64,
    mut on_epoch: impl FnMut(usize, f64),
) -> History {
    let loader =
        DataLoader::new(TensorDataset::new(vec![x.clone(), y.clone()]), batch_size).shuffle(seed);
    let mut opt = Adam::new(model.parameters(), lr);
    let mut schedule = CosineAnnealingLR::new(&mut opt, epochs * loader.len(), 0.0);
    let mut history = History::default();
    for epoch in 1..=epochs {
        for batch in loader.iter() {
            let loss = F::mse_loss(&model.forward(&batch[0]), &batch[1]);
            opt.zero_grad();
            loss.backward();
            opt.step();
            schedule.step(&mut opt);
            history.step_losses.push(loss.item::<f64>());
        }
        let loss = no_grad(|| F::mse_loss(&model.forward(x), y)).item::<f64>();
        history.epoch_losses.push(loss);
        on_epoch(epoch, loss);
    }
    history
}

/// Draws the loss curves and the fit side by side into a `PLOT_SIZE` PNG at `path`.
pub fn plot(
    path: &Path,
    history: &History,
    model: &nn::Sequential,
    (x, y): (&Tensor, &Tensor),
) -> Result<(), Box<dyn Error>> {
    plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| "the bundled font assets/fonts/DejaVuSans-subset.ttf is not a valid font")?;
    let (width, height) = PLOT_SIZE;
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, PLOT_SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let panels = root.split_evenly((1, 2));
        draw_losses(&panels[0], history)?;
        draw_fit(&panels[1], model, (x, y))?;
        root.present()?;
    }
    write_png(path, &rgb, PLOT_SIZE)
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

/// The loss of every step (light) and of the whole set after each epoch (dark), log scale.
fn draw_losses(area: &Area, history: &History) -> Result<(), Box<dyn Error>> {
    let steps = history.step_losses.len().max(1);
    let per_epoch = steps as f64 / history.epoch_losses.len().max(1) as f64;
    let all = history.step_losses.iter().chain(&history.epoch_losses);
    let low = all
        .clone()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .max(1e-12);
    let high = all
        .copied()
        .fold(f64::NEG_INFINITY, f64::max)
        .max(low * 10.0);
    let mut chart = ChartBuilder::on(area)
        .caption("training loss (mean squared error)", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..steps as f64, (low * 0.8..high * 1.25).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("step")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_desc("loss")
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()?;
    let light = RGBColor(150, 180, 230);
    chart
        .draw_series(LineSeries::new(
            history
                .step_losses
                .iter()
                .enumerate()
                .map(|(i, &l)| (i as f64, l)),
            &light,
        ))?
        .label("each step (one batch)")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], light));
    chart
        .draw_series(LineSeries::new(
            history
                .epoch_losses
                .iter()
                .enumerate()
                .map(|(e, &l)| ((e + 1) as f64 * per_epoch, l)),
            BLUE.stroke_width(2),
        ))?
        .label("whole set, after each epoch")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// The samples, the true function and the network's prediction over [-2, 2].
fn draw_fit(
    area: &Area,
    model: &nn::Sequential,
    (x, y): (&Tensor, &Tensor),
) -> Result<(), Box<dyn Error>> {
    let grid = Tensor::linspace(-2.0, 2.0, 400, DType::F32).unsqueeze(1);
    let predicted = no_grad(|| model.forward(&grid)).to_vec::<f32>();
    let grid = grid.to_vec::<f32>();
    let mut chart = ChartBuilder::on(area)
        .caption("fit of y = sin(3x) + noise", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(-2.1f64..2.1, -1.6f64..1.6)?;
    chart.configure_mesh().x_desc("x").y_desc("y").draw()?;
    let samples = x.to_vec::<f32>().into_iter().zip(y.to_vec::<f32>());
    chart
        .draw_series(samples.map(|(a, b)| Circle::new((a as f64, b as f64), 2, BLACK.mix(0.5))))?
        .label("samples")
        .legend(|(x, y)| Circle::new((x + 10, y), 3, BLACK.mix(0.5).filled()));
    chart
        .draw_series(LineSeries::new(
            grid.iter().map(|&g| (g as f64, target(g as f64))),
            &GREEN,
        ))?
        .label("sin(3x)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREEN));
    chart
        .draw_series(LineSeries::new(
            grid.iter()
                .zip(&predicted)
                .map(|(&g, &p)| (g as f64, p as f64)),
            RED.stroke_width(2),
        ))?
        .label("network")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// Writes 8-bit RGB pixels as a PNG file.
fn write_png(path: &Path, rgb: &[u8], (width, height): (u32, u32)) -> Result<(), Box<dyn Error>> {
    let file = std::fs::File::create(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(())
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    firebrand::manual_seed(args.seed);
    let (x, y) = make_data(256, 0.1);
    let model = mlp(64);
    println!(
        "fitting sin(3x) from 256 noisy samples with a 1-64-64-1 MLP ({} parameters)",
        model.num_parameters()
    );
    let every = (args.epochs / 10).max(1);
    let history = train(
        &model,
        (&x, &y),
        args.epochs,
        32,
        args.lr,
        args.seed,
        |e, loss| {
            if e == 1 || e % every == 0 || e == args.epochs {
                println!("epoch {e:>4}: loss {loss:.5}");
            }
        },
    );
    plot(&args.out, &history, &model, (&x, &y))?;
    println!("wrote {}", args.out.display());
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
        eprintln!("mlp_regression: {e}");
        std::process::exit(1);
    }
}
