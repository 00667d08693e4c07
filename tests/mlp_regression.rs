//! The mlp_regression example's pieces work: a short training run makes the loss fall by a
//! large factor, and the plot is a PNG of the promised size with the curves drawn in it.
//! (The full run is `cargo run --release --example mlp_regression`.)

#[allow(dead_code)]
#[path = "../examples/mlp_regression.rs"]
mod mlp_example;

use firebrand::nn::{Module, functional as F};
use firebrand::no_grad;
use mlp_example::{PLOT_SIZE, make_data, mlp, plot, train};

fn full_loss(
    model: &firebrand::nn::Sequential,
    x: &firebrand::Tensor,
    y: &firebrand::Tensor,
) -> f64 {
    no_grad(|| F::mse_loss(&model.forward(x), y)).item::<f64>()
}

#[test]
fn training_lowers_the_loss_and_plots_it() {
    firebrand::manual_seed(0);
    let (x, y) = make_data(128, 0.05);
    assert_eq!(x.shape(), &[128, 1]);
    let (xs, ys) = (x.to_vec::<f32>(), y.to_vec::<f32>());
    assert!(xs.iter().all(|v| (-2.0..=2.0).contains(v)));
    let noise: Vec<f64> = xs
        .iter()
        .zip(&ys)
        .map(|(&a, &b)| b as f64 - mlp_example::target(a as f64))
        .collect();
    let noise_rms = (noise.iter().map(|n| n * n).sum::<f64>() / 128.0).sqrt();
    assert!((0.03..0.08).contains(&noise_rms), "noise rms {noise_rms}");

    let model = mlp(32);
    let before = full_loss(&model, &x, &y);
    let mut seen = Vec::new();
    let history = train(&model, (&x, &y), 150, 32, 1e-2, 0, |e, l| seen.push((e, l)));
    assert_eq!(history.step_losses.len(), 150 * 4);
    assert_eq!(history.epoch_losses.len(), 150);
    assert_eq!(seen.len(), 150);
    assert_eq!(seen[149], (150, history.epoch_losses[149]));
    let after = full_loss(&model, &x, &y);
    assert!((after - history.epoch_losses[149]).abs() < 1e-9);
    assert!(
        after < before / 20.0,
        "the loss fell only from {before} to {after}"
    );

    let path = std::env::temp_dir().join(format!(
        "firebrand_test_mlp_regression_{}.png",
        std::process::id()
    ));
    plot(&path, &history, &model, (&x, &y)).expect("the plot is written");
    let bytes = std::fs::read(&path).expect("the PNG exists");
    std::fs::remove_file(&path).ok();
    check_png(&bytes);
}

/// The PNG signature, an IHDR of `PLOT_SIZE`, and pixels of the drawn curves.
fn check_png(bytes: &[u8]) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[8..16], b"\x00\x00\x00\x0dIHDR", "IHDR first");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    assert_eq!((be(16), be(20)), PLOT_SIZE, "width and height in IHDR");

    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .expect("a readable PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a sane size")];
    let info = reader.next_frame(&mut pixels).expect("the image data");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let count = |rgb: [u8; 3]| pixels.chunks_exact(3).filter(|p| *p == rgb).count();
    let total = pixels.len() / 3;
    assert!(
        count([255, 255, 255]) > total / 2,
        "mostly white background"
    );
    assert!(count([255, 0, 0]) > 300, "the prediction, drawn in red");
    assert!(
        count([0, 0, 255]) > 300,
        "the per-epoch loss, drawn in blue"
    );
    assert!(count([0, 0, 0]) > 1000, "axes and text, drawn in black");
}
