//! The newcomer's first run: make a tensor, apply an op, take a gradient, pick a device.
//!
//! ```text
//! cargo run --release --example quickstart
//! ```

use firebrand::{DType, Device, Tensor, no_grad, tensor};

fn main() {
    section("1. A tensor and an elementwise op");
    let x = tensor!([[0.0, 0.5, 1.0], [1.5, 2.0, 2.5]]);
    println!("x = {x}");
    println!("x.shape() = {:?}, x.dtype() = {:?}", x.shape(), x.dtype());
    println!("x.sin() = {}", x.sin());

    section("2. Autograd: one gradient-descent step on f(w) = sum((w - 3)^2)");
    let w = Tensor::from_vec(vec![0.0f64, 1.0, 5.0], [3]).requires_grad_(true);
    let loss = (&w - 3.0).square().sum();
    loss.backward();
    let grad = w
        .grad()
        .expect("w requires grad, so backward fills w.grad()");
    println!("w       = {w}");
    println!("loss    = {loss}");
    println!("dloss/dw = {grad}   (2 * (w - 3))");
    let learning_rate = 0.25;
    let stepped = no_grad(|| &w - &(&grad * learning_rate));
    let new_loss = (&stepped - 3.0).square().sum();
    println!("after one step with lr = {learning_rate}: w = {stepped}, loss = {new_loss}");

    section("3. Devices");
    let device = Device::cuda_if_available(0);
    if device.is_cuda() {
        println!("found a CUDA GPU: moving x to {device}");
    } else {
        println!("no CUDA GPU found (or built without the `cuda` feature): staying on the CPU");
    }
    let on_device = x
        .to_device(&device)
        .expect("cuda_if_available returns a usable device");
    let y = on_device.sin().sum_dim(1, false);
    println!("x.sin().sum_dim(1) on {} = {y}", y.device());

    section("4. Random numbers are seeded and reproducible");
    firebrand::manual_seed(0);
    println!("randn([2, 3]) = {}", Tensor::randn([2, 3], DType::F32));
}

/// Prints a section heading.
fn section(title: &str) {
    println!("\n== {title} ==");
}
