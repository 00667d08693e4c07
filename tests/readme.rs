//! The README's example, copied here so that it cannot rot: if this file stops compiling or
//! passing, update README.md with it. Values are worked by hand in the comments.

use firebrand::{DType, Tensor, autograd, no_grad, tensor};

/// The "A taste" snippet of README.md, verbatim between the markers.
#[test]
fn readme_example_runs() {
    // --- README example start ---
    let x = tensor!([[1.0, 2.0], [3.0, 4.0]]); // F32, shape [2, 2]
    let w = Tensor::from_vec(vec![0.5f32, -1.0], [2]).requires_grad_(true);
    let y = (&x * &w).sum_dim(1, false).tanh(); // broadcasts w over rows
    let loss = y.square().mean();
    loss.backward();
    println!("loss = {loss}, dloss/dw = {}", w.grad().unwrap());
    let w_next = no_grad(|| &w - &(w.grad().unwrap() * 0.1)); // one SGD step
    assert_eq!(w_next.shape(), &[2]);
    assert!(!w_next.requires_grad());
    // --- README example end ---

    // Checked by hand: rows give z = [1*0.5 - 2, 3*0.5 - 4] = [-1.5, -2.5].
    let z = [-1.5f64, -2.5];
    let t: Vec<f64> = z.iter().map(|v| v.tanh()).collect();
    let expected_loss = (t[0] * t[0] + t[1] * t[1]) / 2.0;
    assert!((loss.item::<f64>() - expected_loss).abs() < 1e-6);
    // dloss/dw_j = sum_i t_i * (1 - t_i^2) * x_ij   (mean over 2 rows: 2 t / 2 = t)
    let rows = [[1.0, 2.0], [3.0, 4.0]];
    let g = w.grad().unwrap().to_vec::<f64>();
    for (j, gj) in g.iter().enumerate() {
        let want: f64 = (0..2)
            .map(|i| t[i] * (1.0 - t[i] * t[i]) * rows[i][j])
            .sum();
        assert!((gj - want).abs() < 1e-5, "grad[{j}] = {gj}, want {want}");
    }
}

/// The "Autograd" section of README.md: backward, no_grad and autograd::grad with
/// create_graph for a second derivative.
#[test]
fn readme_autograd_section_runs() {
    // --- README autograd start ---
    let x = Tensor::from_vec(vec![2.0f64], [1]).requires_grad_(true);
    let y = x.powf(3.0).sum(); // y = x^3
    let dy = autograd::grad(&[&y], &[&x], None, true)[0].clone().unwrap(); // 3x^2 = 12
    let d2y = autograd::grad(&[&dy.sum()], &[&x], None, false)[0]
        .clone()
        .unwrap(); // 6x = 12
    let frozen = no_grad(|| &x * 2.0); // not recorded
    // --- README autograd end ---
    assert_eq!(dy.to_vec::<f64>(), vec![12.0]);
    assert_eq!(d2y.to_vec::<f64>(), vec![12.0]);
    assert!(!frozen.requires_grad());
    assert!(frozen.grad_fn_name().is_none());
}

/// The README promises a seeded generator with a stable stream.
#[test]
fn readme_manual_seed_repeats() {
    firebrand::manual_seed(7);
    let a = Tensor::randn([4], DType::F32).to_vec::<f32>();
    firebrand::manual_seed(7);
    let b = Tensor::randn([4], DType::F32).to_vec::<f32>();
    assert_eq!(a, b);
}

/// The "Errors" section of README.md: the `try_` twin returns the message as an `Err`.
#[test]
fn readme_errors_section_runs() {
    // --- README errors start ---
    let a = tensor!([[1.0, 2.0, 3.0]]);
    let b = tensor!([1.0, 2.0]);
    let err = a.try_add(&b).unwrap_err();
    assert!(err.to_string().contains("cannot be broadcast")); // add: shapes [1, 3] and [2] ...
    // --- README errors end ---
    assert!(err.to_string().contains("[1, 3]"), "{err}");
}

/// The panicking form of the same call stops at the caller's line with that message.
#[test]
#[should_panic(expected = "cannot be broadcast")]
fn readme_errors_section_panics() {
    let _ = &tensor!([[1.0, 2.0, 3.0]]) + &tensor!([1.0, 2.0]);
}

/// The "Training a network" section of README.md: derive(Module), a loss, an optimizer and a
/// safetensors round trip. The network must actually learn XOR.
#[test]
fn readme_training_section_runs() -> firebrand::Result<()> {
    // --- README training start ---
    use firebrand::nn::{self, Module, functional as F};
    use firebrand::optim::{Optimizer, SGD};
    use firebrand::{Tensor, tensor};

    #[derive(nn::Module)]
    struct Mlp {
        hidden: nn::Linear,
        out: nn::Linear,
    }

    impl Module for Mlp {
        fn forward(&self, x: &Tensor) -> Tensor {
            self.out.forward(&self.hidden.forward(x).tanh())
        }
    }

    firebrand::manual_seed(0);
    let model = Mlp {
        hidden: nn::Linear::new(2, 8, true),
        out: nn::Linear::new(8, 1, true),
    };
    let x = tensor!([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]);
    let y = tensor!([[0.0], [1.0], [1.0], [0.0]]); // XOR
    let mut opt = SGD::new(model.parameters(), 0.2).momentum(0.9);
    for _ in 0..300 {
        let loss = F::mse_loss(&model.forward(&x), &y);
        opt.zero_grad();
        loss.backward();
        opt.step();
    }
    let path = std::env::temp_dir().join("xor.safetensors");
    firebrand::io::save_safetensors(&model.state_dict(), &path)?;
    model.load_state_dict(&firebrand::io::load_safetensors(&path)?, true)?;
    // --- README training end ---

    let predicted = model.forward(&x).to_vec::<f32>();
    for (p, want) in predicted.iter().zip([0.0, 1.0, 1.0, 0.0]) {
        assert!((p - want).abs() < 0.2, "XOR not learned: {predicted:?}");
    }
    Ok(())
}

/// The code between each pair of `README ... start/end` markers in this file, dedented.
fn marked_snippets(source: &str) -> Vec<(String, String)> {
    let mut snippets = Vec::new();
    let mut current: Option<(String, Vec<&str>)> = None;
    for line in source.lines() {
        let trimmed = line.trim();
        if let Some(name) = trimmed
            .strip_prefix("// --- README ")
            .and_then(|rest| rest.strip_suffix(" start ---"))
        {
            current = Some((name.to_string(), Vec::new()));
        } else if trimmed.starts_with("// --- README ") && trimmed.ends_with(" end ---") {
            let (name, lines) = current
                .take()
                .expect("an end marker follows a start marker");
            let body: Vec<&str> = lines
                .iter()
                .map(|l| l.strip_prefix("    ").unwrap_or(l))
                .collect();
            snippets.push((name, body.join("\n")));
        } else if let Some((_, lines)) = current.as_mut() {
            lines.push(line);
        }
    }
    snippets
}

/// README.md shows exactly the code tested above, so the two cannot drift apart.
#[test]
fn readme_shows_the_tested_snippets() {
    let readme = include_str!("../README.md");
    let snippets = marked_snippets(include_str!("readme.rs"));
    assert_eq!(
        snippets.len(),
        4,
        "expected the taste, autograd, training and errors snippets"
    );
    for (name, code) in snippets {
        assert!(
            readme.contains(&code),
            "README.md no longer shows the '{name}' snippet of tests/readme.rs verbatim:\n{code}"
        );
    }
}
