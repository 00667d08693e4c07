//! # firebrand
//!
//! A PyTorch-style tensor library: N-dimensional strided tensors of one dtype with NumPy's
//! breadth of API, reverse-mode automatic differentiation on a dynamic graph, and the
//! deep-learning operations to train a network end to end.
//!
//! ```
//! use firebrand::{tensor, DType, Tensor};
//!
//! let x = Tensor::randn([3], DType::F64).requires_grad_(true);
//! let y = (3.0 * &x * &x - 4.0 * &x + 5.0).sum();
//! y.backward();
//! // dy/dx = 6x - 4
//! let expected = (&x.detach() * 6.0 - 4.0).to_vec::<f64>();
//! let got = x.grad().unwrap().to_vec::<f64>();
//! assert!(got.iter().zip(&expected).all(|(g, e)| (g - e).abs() < 1e-12));
//! let a = tensor!([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
//! assert_eq!(a.sum_dim(1, false).to_vec::<f32>(), vec![6.0, 15.0]);
//! ```

// Lets `#[derive(Module)]`'s `::firebrand::..` paths resolve inside this crate too.
extern crate self as firebrand;

pub mod autograd;
mod backend;
pub mod data;
mod device;
mod display;
mod dtype;
mod error;
pub mod io;
mod layout;
pub mod memory;
pub mod nn;
mod ops;
pub mod optim;
mod shape;
mod storage;
mod tensor;
pub mod threads;

pub use autograd::{NoGradGuard, no_grad};
pub use device::Device;
pub use dtype::{DType, Element, promote_types};
pub use error::{Error, Result};
pub use layout::Layout;
pub use ops::creation::manual_seed;
pub use ops::index::{Ellipsis, IndexItem, NewAxis, Slice, TensorIndex};
pub use shape::{Dims, IntoShape, IntoSpatial};
pub use storage::{CpuStorage, StorageElement};
pub use tensor::Tensor;

#[doc(hidden)]
pub use half;
#[doc(hidden)]
pub use tensor::__literal;
