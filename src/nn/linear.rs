//! The fully connected layer.

use crate::dtype::DType;
use crate::nn::{Module, init};
use crate::tensor::Tensor;

/// `y = x @ weight^T + bias`, as `torch.nn.Linear`. Weight `[out, in]` and bias `[out]` start
/// as PyTorch's: kaiming_uniform with `a = sqrt(5)` (U(±1/sqrt(in))) and U(±1/sqrt(in)).
///
/// ```
/// use firebrand::nn::{Linear, Module};
/// use firebrand::{DType, Tensor};
/// let fc = Linear::new(784, 10, true);
/// assert_eq!(fc.weight.shape(), &[10, 784]);
/// assert_eq!(fc.forward(&Tensor::zeros([32, 784], DType::F32)).shape(), &[32, 10]);
/// ```
#[derive(Module)]
pub struct Linear {
    /// `[out_features, in_features]`.
    pub weight: Tensor,
    /// `[out_features]`, when the layer has one.
    pub bias: Option<Tensor>,
}

impl Linear {
    /// A layer from `in_features` to `out_features` in F32.
    pub fn new(in_features: usize, out_features: usize, bias: bool) -> Linear {
        Linear::with_dtype(in_features, out_features, bias, DType::F32)
    }

    /// A layer with parameters of a float `dtype`.
    ///
    /// ```
    /// let fc = firebrand::nn::Linear::with_dtype(3, 2, false, firebrand::DType::F64);
    /// assert_eq!(fc.weight.dtype(), firebrand::DType::F64);
    /// ```
    pub fn with_dtype(in_features: usize, out_features: usize, bias: bool, dtype: DType) -> Linear {
        let weight = Tensor::zeros([out_features, in_features], dtype);
        init::kaiming_uniform_(&weight, 5f64.sqrt());
        let bias = bias.then(|| {
            let bound = 1.0 / (in_features.max(1) as f64).sqrt();
            init::uniform_(&Tensor::zeros([out_features], dtype), -bound, bound)
        });
        Linear {
            weight: weight.requires_grad_(true),
            bias: bias.map(|b| b.requires_grad_(true)),
        }
    }
}

impl Module for Linear {
    #[track_caller]
    fn forward(&self, input: &Tensor) -> Tensor {
        crate::nn::functional::linear(input, &self.weight, self.bias.as_ref())
    }
}
