//! Activations as layers (`nn::Relu`), for use in [`Sequential`](crate::nn::Sequential).
//! Each calls the op of the same name in [`functional`](crate::nn::functional).

use crate::nn::{Module, Visit, Visitor, functional as F};
use crate::tensor::Tensor;

macro_rules! activation_layer {
    ($($layer:ident => $op:ident: $doc:literal;)*) => {$(
        #[doc = $doc]
        ///
        /// ```
        /// use firebrand::nn::{self, Module};
        #[doc = concat!("let y = nn::", stringify!($layer), ".forward(&firebrand::tensor!([0.0, 1.0]));")]
        #[doc = concat!("assert_eq!(y.to_vec::<f32>(), firebrand::tensor!([0.0, 1.0]).", stringify!($op), "().to_vec::<f32>());")]
        /// ```
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $layer;

        impl Visit for $layer {
            fn visit(&self, _: &str, _: &mut dyn Visitor) {}
        }

        impl Module for $layer {
            #[track_caller]
            fn forward(&self, input: &Tensor) -> Tensor {
                F::$op(input)
            }
        }
    )*};
}

activation_layer! {
    Relu => relu: "`max(x, 0)`, as `torch.nn.ReLU`.";
    Sigmoid => sigmoid: "The logistic function, as `torch.nn.Sigmoid`.";
    Tanh => tanh: "The hyperbolic tangent, as `torch.nn.Tanh`.";
    Gelu => gelu: "GELU (erf form), as `torch.nn.GELU`.";
    Silu => silu: "`x * sigmoid(x)`, as `torch.nn.SiLU`.";
    Softplus => softplus: "`log(1 + exp(x))`, as `torch.nn.Softplus` (beta 1).";
}

/// `x` where positive, `negative_slope * x` elsewhere, as `torch.nn.LeakyReLU` (default 0.01).
///
/// ```
/// use firebrand::nn::{LeakyRelu, Module};
/// let y = LeakyRelu::new(0.5).forward(&firebrand::tensor!([-2.0, 2.0]));
/// assert_eq!(y.to_vec::<f32>(), vec![-1.0, 2.0]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct LeakyRelu {
    /// The slope below zero.
    pub negative_slope: f64,
}

impl LeakyRelu {
    /// A leaky ReLU with the given slope below zero.
    pub fn new(negative_slope: f64) -> LeakyRelu {
        LeakyRelu { negative_slope }
    }
}

impl Default for LeakyRelu {
    fn default() -> LeakyRelu {
        LeakyRelu::new(0.01)
    }
}

/// `x` where positive, `alpha * (exp(x) - 1)` elsewhere, as `torch.nn.ELU` (default 1).
///
/// ```
/// use firebrand::nn::{Elu, Module};
/// let y = Elu::default().forward(&firebrand::tensor!([0.0, 2.0]));
/// assert_eq!(y.to_vec::<f32>(), vec![0.0, 2.0]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Elu {
    /// The scale of the negative part.
    pub alpha: f64,
}

impl Default for Elu {
    fn default() -> Elu {
        Elu { alpha: 1.0 }
    }
}

/// Softmax along `dim`, as `torch.nn.Softmax(dim)`.
///
/// ```
/// use firebrand::nn::{Module, Softmax};
/// let y = Softmax { dim: -1 }.forward(&firebrand::tensor!([[1.0, 1.0]]));
/// assert_eq!(y.to_vec::<f32>(), vec![0.5, 0.5]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Softmax {
    /// The dim that sums to one.
    pub dim: isize,
}

/// Log-softmax along `dim`, as `torch.nn.LogSoftmax(dim)`.
///
/// ```
/// use firebrand::nn::{LogSoftmax, Module};
/// let y = LogSoftmax { dim: 1 }.forward(&firebrand::tensor!([[1.0, 1.0]]));
/// assert!((y.to_vec::<f32>()[0] + 2f32.ln()).abs() < 1e-6);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct LogSoftmax {
    /// The dim normalised over.
    pub dim: isize,
}

macro_rules! configured_activation {
    ($($layer:ident => |$s:ident, $x:ident| $body:expr;)*) => {$(
        impl Visit for $layer {
            fn visit(&self, _: &str, _: &mut dyn Visitor) {}
        }
        impl Module for $layer {
            #[track_caller]
            fn forward(&self, $x: &Tensor) -> Tensor {
                let $s = self;
                $body
            }
        }
    )*};
}

configured_activation! {
    LeakyRelu => |s, x| F::leaky_relu(x, s.negative_slope);
    Elu => |s, x| F::elu(x, s.alpha);
    Softmax => |s, x| F::softmax(x, s.dim);
    LogSoftmax => |s, x| F::log_softmax(x, s.dim);
}
