//! The functional forms of the layers and losses, as `torch.nn.functional` (imported as `F`).
//! Each op lives in its family's file under `ops/` (checks, dispatch, derivative); this module
//! gathers them under one name.
//!
//! ```
//! use firebrand::nn::functional as F;
//! use firebrand::tensor;
//! let x = tensor!([[1.0, -2.0]]);
//! assert_eq!(F::relu(&x).to_vec::<f32>(), vec![1.0, 0.0]);
//! ```

pub use crate::ops::activation::*;
pub use crate::ops::attention::*;
pub use crate::ops::conv::*;
pub use crate::ops::dropout::*;
pub use crate::ops::embedding::*;
pub use crate::ops::loss::*;
pub use crate::ops::matmul::{linear, try_linear};
pub use crate::ops::norm::*;
pub use crate::ops::pad::*;
pub use crate::ops::pool::*;
