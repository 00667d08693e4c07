//! Containers and shape layers: Sequential, Flatten, Identity.

use crate::nn::{Module, Visit, Visitor, join_name};
use crate::tensor::Tensor;

/// Layers applied one after another, as `torch.nn.Sequential`; their parameters are named by
/// position (`0.weight`, `2.bias`).
///
/// ```
/// use firebrand::nn::{self, Module};
/// use firebrand::{DType, Tensor};
/// let net = nn::Sequential::new()
///     .append(nn::Linear::new(4, 8, true))
///     .append(nn::Relu)
///     .append(nn::Linear::new(8, 2, true));
/// assert_eq!(net.len(), 3);
/// assert_eq!(net.named_parameters()[2].0, "2.weight");
/// assert_eq!(net.forward(&Tensor::ones([5, 4], DType::F32)).shape(), &[5, 2]);
/// ```
#[derive(Default)]
pub struct Sequential {
    layers: Vec<Box<dyn Module>>,
}

impl Sequential {
    /// An empty sequence (it returns its input).
    pub fn new() -> Sequential {
        Sequential::default()
    }

    /// This sequence with `layer` appended.
    pub fn append<M: Module + 'static>(mut self, layer: M) -> Sequential {
        self.layers.push(Box::new(layer));
        self
    }

    /// Appends `layer`.
    ///
    /// ```
    /// let mut net = firebrand::nn::Sequential::new();
    /// net.push(firebrand::nn::Relu);
    /// assert!(!net.is_empty());
    /// ```
    pub fn push<M: Module + 'static>(&mut self, layer: M) {
        self.layers.push(Box::new(layer));
    }

    /// The number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// True when there are no layers.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// Layer `index`.
    ///
    /// ```
    /// use firebrand::nn::{self, Module};
    /// let net = nn::Sequential::new().append(nn::Linear::new(2, 3, false));
    /// assert_eq!(net.layer(0).parameters()[0].shape(), &[3, 2]);
    /// ```
    pub fn layer(&self, index: usize) -> &dyn Module {
        self.layers[index].as_ref()
    }
}

impl Visit for Sequential {
    fn visit(&self, prefix: &str, visitor: &mut dyn Visitor) {
        for (i, layer) in self.layers.iter().enumerate() {
            layer.visit(&join_name(prefix, &i.to_string()), visitor);
        }
    }
    fn set_training(&mut self, training: bool) {
        self.layers
            .iter_mut()
            .for_each(|l| l.set_training(training));
    }
}

impl Module for Sequential {
    #[track_caller]
    fn forward(&self, input: &Tensor) -> Tensor {
        self.layers
            .iter()
            .fold(input.clone(), |x, layer| layer.forward(&x))
    }
}

/// Flattens dims `start_dim..=end_dim` into one, as `torch.nn.Flatten` (default `1..=-1`:
/// everything but the batch dim).
///
/// ```
/// use firebrand::nn::{Flatten, Module};
/// use firebrand::{DType, Tensor};
/// let y = Flatten::new().forward(&Tensor::zeros([8, 3, 4, 4], DType::F32));
/// assert_eq!(y.shape(), &[8, 48]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Flatten {
    /// The first dim flattened.
    pub start_dim: isize,
    /// The last dim flattened (inclusive; negative counts from the end).
    pub end_dim: isize,
}

impl Flatten {
    /// Flattens everything but the first (batch) dim.
    pub fn new() -> Flatten {
        Flatten {
            start_dim: 1,
            end_dim: -1,
        }
    }
}

impl Default for Flatten {
    fn default() -> Flatten {
        Flatten::new()
    }
}

impl Visit for Flatten {
    fn visit(&self, _: &str, _: &mut dyn Visitor) {}
}

impl Module for Flatten {
    #[track_caller]
    fn forward(&self, input: &Tensor) -> Tensor {
        input.flatten(self.start_dim, self.end_dim)
    }
}

/// Returns its input, as `torch.nn.Identity`.
///
/// ```
/// use firebrand::nn::{Identity, Module};
/// let x = firebrand::tensor!([1.0]);
/// assert_eq!(Identity.forward(&x).to_vec::<f32>(), vec![1.0]);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Identity;

impl Visit for Identity {
    fn visit(&self, _: &str, _: &mut dyn Visitor) {}
}

impl Module for Identity {
    fn forward(&self, input: &Tensor) -> Tensor {
        input.clone()
    }
}
