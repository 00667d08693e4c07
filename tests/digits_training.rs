//! The digits example's network learns: one short epoch on the bundled digits makes the loss
//! fall and the accuracy rise well above chance. (The full run, to 97%+ test accuracy, is
//! `cargo run --release --example digits`.)

#[allow(dead_code)]
#[path = "../examples/digits.rs"]
mod digits_example;

use digits_example::DigitsNet;
use firebrand::data::{DataLoader, Dataset, digits};
use firebrand::nn::{Module, functional as F};
use firebrand::optim::{Adam, Optimizer};

#[test]
fn one_epoch_of_training_lowers_the_loss() {
    firebrand::manual_seed(0);
    let model = DigitsNet::new(8);
    let data = digits().unwrap();
    assert_eq!(data.len(), 1797);
    let loader = DataLoader::new(data, 32).shuffle(0);
    let mut opt = Adam::new(model.parameters(), 2e-3);
    let mut losses = Vec::new();
    let mut correct = 0;
    for batch in loader.iter() {
        let logits = model.forward(&batch[0]);
        let loss = F::cross_entropy(&logits, &batch[1]);
        opt.zero_grad();
        loss.backward();
        opt.step();
        losses.push(loss.item::<f64>());
        if losses.len() > 40 {
            let predicted = logits.detach().argmax(1, false);
            correct += predicted
                .eq(&batch[1])
                .to_dtype(firebrand::DType::I64)
                .sum()
                .item::<i64>();
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (first, last) = (mean(&losses[..5]), mean(&losses[losses.len() - 5..]));
    // ln(10) = 2.30 is the loss of a uniform guess
    assert!(
        first > 1.8,
        "the first batches should be near chance, loss {first}"
    );
    assert!(last < 0.5 * first, "loss fell only from {first} to {last}");
    let late_samples = 32 * (losses.len() - 41) + 5; // the last batch holds 1797 % 32 = 5
    let accuracy = correct as f64 / late_samples as f64;
    assert!(
        accuracy > 0.6,
        "accuracy late in the epoch is only {accuracy}"
    );
}
