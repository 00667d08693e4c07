//! The graph is freed when its tensors are dropped: a training-like loop leaks no storage.
//!
//! This binary holds one test only, because the live-storage counter counts every thread of
//! the process and other tests running beside it would make it move.

use firebrand::autograd::live_storage_count;
use firebrand::{DType, Tensor, no_grad};

/// One step of a tiny linear model `pred = sum(x * w, 1) + b` with mean squared error and SGD.
fn train_step(x: &Tensor, y: &Tensor, w: &Tensor, b: &Tensor, lr: f64) -> f64 {
    let pred = (x * w).sum_dim(1, false) + b;
    let loss = (&pred - y).square().mean();
    loss.backward();
    no_grad(|| {
        w.sub_(&(w.grad().unwrap() * lr));
        b.sub_(&(b.grad().unwrap() * lr));
    });
    w.zero_grad();
    b.zero_grad();
    loss.item::<f64>()
}

#[test]
fn training_loop_frees_its_graphs() {
    let start = live_storage_count();
    {
        firebrand::manual_seed(7);
        let x = Tensor::randn([8, 4], DType::F32);
        let true_w = Tensor::from_vec(vec![1.0f32, -2.0, 0.5, 3.0], [4]);
        let y = (&x * &true_w).sum_dim(1, false) + 0.25;
        let w = Tensor::zeros([4], DType::F32).requires_grad_(true);
        let b = Tensor::zeros([1], DType::F32).requires_grad_(true);
        let first_loss = train_step(&x, &y, &w, &b, 0.05);
        let steady = live_storage_count();
        let mut loss = first_loss;
        for i in 0..10_000 {
            loss = train_step(&x, &y, &w, &b, 0.05);
            if i % 1000 == 0 {
                assert_eq!(
                    live_storage_count(),
                    steady,
                    "storage grew by iteration {i}"
                );
            }
        }
        assert_eq!(
            live_storage_count(),
            steady,
            "storage grew over 10,000 iterations"
        );
        assert!(
            loss < 1e-6 && loss < first_loss,
            "the model learned: {first_loss} -> {loss}"
        );
        assert!((b.item::<f64>() - 0.25).abs() < 1e-3);
    }
    assert_eq!(
        live_storage_count(),
        start,
        "every storage was freed at the end"
    );
}
