//! Neural-network building blocks: the [`Module`] trait, layers, [`functional`] ops and
//! [`init`]ialisers, as PyTorch's `torch.nn`.
//!
//! A model is a plain struct: `#[derive(Module)]` finds its parameters (fields of type
//! [`Tensor`]) and sub-modules (fields that are layers), and the user writes `forward`.
//!
//! ```
//! use firebrand::nn::{self, Module};
//! use firebrand::{DType, Tensor};
//!
//! #[derive(Module)]
//! struct Mlp {
//!     fc1: nn::Linear,
//!     fc2: nn::Linear,
//! }
//!
//! impl Module for Mlp {
//!     fn forward(&self, x: &Tensor) -> Tensor {
//!         self.fc2.forward(&self.fc1.forward(x).relu())
//!     }
//! }
//!
//! let model = Mlp { fc1: nn::Linear::new(4, 8, true), fc2: nn::Linear::new(8, 2, true) };
//! let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
//! assert_eq!(names, ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
//! assert_eq!(model.forward(&Tensor::ones([3, 4], DType::F32)).shape(), &[3, 2]);
//! ```

// Layers, one file per family; each file's public items are re-exported here.
mod activation;
mod attention;
mod container;
mod conv;
mod dropout;
mod embedding;
pub mod functional;
pub mod init;
mod linear;
mod norm;
mod pool;

pub use activation::*;
pub use attention::*;
pub use container::*;
pub use conv::*;
pub use dropout::*;
pub use embedding::*;
pub use firebrand_derive::Module;
pub use linear::*;
pub use norm::*;
pub use pool::*;

use crate::autograd::no_grad;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Named tensors in a module's order, as PyTorch's `state_dict()` (an ordered dict).
pub type StateDict = Vec<(String, Tensor)>;

/// Receives the tensors of a module tree, each with its dotted name (`layers.0.weight`).
pub trait Visitor {
    /// A trainable parameter.
    fn parameter(&mut self, name: &str, tensor: &Tensor);
    /// A buffer: state saved in the state dict but not trained (BatchNorm's running mean).
    fn buffer(&mut self, name: &str, tensor: &Tensor);
}

/// The structure of a module: which tensors it holds, and its train/eval switch.
/// `#[derive(Module)]` writes this for a struct; layers implement it by hand.
///
/// ```
/// use firebrand::nn::{self, Module, Visit};
/// let lin = nn::Linear::new(2, 3, false);
/// let mut names = Vec::new();
/// struct Names<'a>(&'a mut Vec<String>);
/// impl nn::Visitor for Names<'_> {
///     fn parameter(&mut self, name: &str, _: &firebrand::Tensor) { self.0.push(name.into()) }
///     fn buffer(&mut self, _: &str, _: &firebrand::Tensor) {}
/// }
/// lin.visit("fc", &mut Names(&mut names));
/// assert_eq!(names, ["fc.weight"]);
/// ```
pub trait Visit {
    /// Calls `visitor` with each tensor this value holds, named under `prefix`.
    fn visit(&self, prefix: &str, visitor: &mut dyn Visitor);

    /// Switches training mode (dropout, batch statistics) here and in every sub-module.
    fn set_training(&mut self, _training: bool) {}
}

/// `prefix.name`, or `name` at the root.
///
/// ```
/// assert_eq!(firebrand::nn::join_name("", "fc"), "fc");
/// assert_eq!(firebrand::nn::join_name("net.0", "weight"), "net.0.weight");
/// ```
pub fn join_name(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// A tensor field is a parameter.
impl Visit for Tensor {
    fn visit(&self, prefix: &str, visitor: &mut dyn Visitor) {
        visitor.parameter(prefix, self);
    }
}

impl<T: Visit> Visit for Option<T> {
    fn visit(&self, prefix: &str, visitor: &mut dyn Visitor) {
        if let Some(inner) = self {
            inner.visit(prefix, visitor);
        }
    }
    fn set_training(&mut self, training: bool) {
        if let Some(inner) = self {
            inner.set_training(training);
        }
    }
}

/// Elements are named by their index: `layers.0`, `layers.1`, ...
impl<T: Visit> Visit for Vec<T> {
    fn visit(&self, prefix: &str, visitor: &mut dyn Visitor) {
        for (i, item) in self.iter().enumerate() {
            item.visit(&join_name(prefix, &i.to_string()), visitor);
        }
    }
    fn set_training(&mut self, training: bool) {
        self.iter_mut().for_each(|m| m.set_training(training));
    }
}

impl<T: Visit + ?Sized> Visit for Box<T> {
    fn visit(&self, prefix: &str, visitor: &mut dyn Visitor) {
        (**self).visit(prefix, visitor);
    }
    fn set_training(&mut self, training: bool) {
        (**self).set_training(training);
    }
}

macro_rules! holds_no_tensors {
    ($($t:ty),*) => {$(
        /// Plain data holds no tensors.
        impl Visit for $t {
            fn visit(&self, _: &str, _: &mut dyn Visitor) {}
        }
    )*};
}
holds_no_tensors!(
    bool, usize, isize, u8, u16, u32, u64, i8, i16, i32, i64, f32, f64, String
);

/// Collects named tensors of one kind, or of both.
struct Collect {
    parameters: bool,
    buffers: bool,
    out: StateDict,
}

impl Visitor for Collect {
    fn parameter(&mut self, name: &str, tensor: &Tensor) {
        if self.parameters {
            self.out.push((name.to_string(), tensor.clone()));
        }
    }
    fn buffer(&mut self, name: &str, tensor: &Tensor) {
        if self.buffers {
            self.out.push((name.to_string(), tensor.clone()));
        }
    }
}

fn collect<M: Visit + ?Sized>(module: &M, parameters: bool, buffers: bool) -> StateDict {
    let mut c = Collect {
        parameters,
        buffers,
        out: Vec::new(),
    };
    module.visit("", &mut c);
    c.out
}

/// A layer or model: a [`forward`](Module::forward) computation over parameters found by
/// [`Visit`]. Everything else (parameters, state dicts, train/eval) comes with the trait.
///
/// ```
/// use firebrand::nn::{self, Module};
/// use firebrand::{tensor, DType, Tensor};
/// let mut lin = nn::Linear::new(3, 2, true);
/// assert_eq!(lin.parameters().len(), 2);
/// assert_eq!(lin.num_parameters(), 8);
/// let state = lin.state_dict();
/// let other = nn::Linear::new(3, 2, true);
/// other.load_state_dict(&state, true).unwrap();
/// let x = tensor!([[1.0, 2.0, 3.0]]);
/// assert_eq!(other.forward(&x).to_vec::<f32>(), lin.forward(&x).to_vec::<f32>());
/// lin.eval();
/// ```
pub trait Module: Visit + Send + Sync {
    /// The layer's computation.
    fn forward(&self, input: &Tensor) -> Tensor;

    /// The trainable parameters, in declaration order.
    fn parameters(&self) -> Vec<Tensor> {
        collect(self, true, false)
            .into_iter()
            .map(|(_, t)| t)
            .collect()
    }

    /// The trainable parameters with PyTorch's dotted names (`features.0.weight`).
    fn named_parameters(&self) -> StateDict {
        collect(self, true, false)
    }

    /// The buffers (state that is saved but not trained) with their dotted names.
    fn named_buffers(&self) -> StateDict {
        collect(self, false, true)
    }

    /// The number of scalars in all parameters.
    fn num_parameters(&self) -> usize {
        self.parameters().iter().map(Tensor::numel).sum()
    }

    /// Parameters and buffers by name, sharing storage with the module (save with
    /// [`crate::io::save_safetensors`]).
    fn state_dict(&self) -> StateDict {
        collect(self, true, true)
    }

    /// Copies `state` into this module's parameters and buffers. With `strict`, every name
    /// must match both ways; shapes and dtypes must always match. On any mismatch nothing is
    /// copied and the error lists every problem.
    fn load_state_dict(&self, state: &[(String, Tensor)], strict: bool) -> Result<()> {
        let own = self.state_dict();
        let problems = state_dict_problems(&own, state, strict);
        if !problems.is_empty() {
            return Err(Error::msg(format!(
                "load_state_dict: {}",
                problems.join("; ")
            )));
        }
        no_grad(|| {
            for (name, target) in &own {
                if let Some((_, source)) = state.iter().find(|(n, _)| n == name) {
                    target.copy_(source);
                }
            }
        });
        Ok(())
    }

    /// Training mode (dropout active, batch norm uses batch statistics): PyTorch's `train()`.
    fn train(&mut self) {
        self.set_training(true);
    }

    /// Evaluation mode: PyTorch's `eval()`.
    fn eval(&mut self) {
        self.set_training(false);
    }

    /// Clears every parameter's gradient.
    fn zero_grad(&self) {
        self.parameters().iter().for_each(Tensor::zero_grad);
    }
}

/// Everything wrong with loading `given` into a module whose own state is `own`.
fn state_dict_problems(
    own: &[(String, Tensor)],
    given: &[(String, Tensor)],
    strict: bool,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, target) in own {
        match given.iter().find(|(n, _)| n == name) {
            None if strict => problems.push(format!("missing key {name:?}")),
            None => {}
            Some((_, source)) if source.shape() != target.shape() => problems.push(format!(
                "size mismatch for {name:?}: the file has {:?}, the model {:?}",
                source.shape(),
                target.shape()
            )),
            Some((_, source)) if source.dtype() != target.dtype() => problems.push(format!(
                "dtype mismatch for {name:?}: the file has {}, the model {}; convert with to_dtype",
                source.dtype(),
                target.dtype()
            )),
            Some(_) => {}
        }
    }
    if strict {
        for (name, _) in given {
            if !own.iter().any(|(n, _)| n == name) {
                problems.push(format!("unexpected key {name:?}"));
            }
        }
    }
    problems
}

impl<M: Module + ?Sized> Module for Box<M> {
    fn forward(&self, input: &Tensor) -> Tensor {
        (**self).forward(input)
    }
}
