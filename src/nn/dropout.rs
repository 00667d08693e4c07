//! The dropout layer.

use crate::nn::{Module, Visit, Visitor, functional as F};
use crate::tensor::Tensor;

/// Zeroes elements with probability `p` in training mode, scaling the rest by `1 / (1 - p)`;
/// the identity in evaluation mode, as `torch.nn.Dropout` (default `p = 0.5`).
///
/// ```
/// use firebrand::nn::{Dropout, Module};
/// use firebrand::{DType, Tensor};
/// let mut drop = Dropout::new(0.5);
/// let x = Tensor::ones([8], DType::F32);
/// assert!(drop.forward(&x).to_vec::<f32>().iter().all(|&v| v == 0.0 || v == 2.0));
/// drop.eval();
/// assert_eq!(drop.forward(&x).to_vec::<f32>(), vec![1.0; 8]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Dropout {
    /// The probability of zeroing an element.
    pub p: f64,
    /// Training mode (dropout active).
    pub training: bool,
}

impl Dropout {
    /// A dropout layer in training mode.
    pub fn new(p: f64) -> Dropout {
        Dropout { p, training: true }
    }
}

impl Default for Dropout {
    fn default() -> Dropout {
        Dropout::new(0.5)
    }
}

impl Visit for Dropout {
    fn visit(&self, _: &str, _: &mut dyn Visitor) {}
    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
}

impl Module for Dropout {
    #[track_caller]
    fn forward(&self, input: &Tensor) -> Tensor {
        F::dropout(input, self.p, self.training)
    }
}
