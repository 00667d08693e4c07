//! Activations in functional form (`F::relu(&x)`), as `torch.nn.functional`. Each is the
//! tensor method of the same name, whose checks and derivative live in `ops/unary.rs` and
//! `ops/reduce.rs`; this file gives them PyTorch's free-function spelling.

use crate::tensor::Tensor;

macro_rules! functional_unary {
    ($($name:ident: $doc:literal, $input:literal => $expected:literal;)*) => {$(
        #[doc = $doc]
        ///
        /// ```
        /// use firebrand::nn::functional as F;
        /// use firebrand::tensor;
        #[doc = concat!("let y = F::", stringify!($name), "(&tensor!(", $input, "));")]
        #[doc = concat!("let expected: Vec<f32> = vec!", $expected, ";")]
        /// let got = y.to_vec::<f32>();
        /// assert!(got.iter().zip(&expected).all(|(g, e)| (g - e).abs() < 1e-4));
        /// ```
        #[track_caller]
        pub fn $name(input: &Tensor) -> Tensor {
            input.$name()
        }
    )*};
}

functional_unary! {
    relu: "`max(x, 0)`, elementwise.", "[-1.0, 2.0]" => "[0.0, 2.0]";
    sigmoid: "`1 / (1 + exp(-x))`, elementwise.", "[0.0]" => "[0.5]";
    tanh: "The hyperbolic tangent, elementwise.", "[0.0, 1.0]" => "[0.0, 0.7616]";
    gelu: "GELU in its exact (erf) form, elementwise.", "[1.0]" => "[0.8413]";
    silu: "`x * sigmoid(x)` (swish), elementwise.", "[1.0]" => "[0.7311]";
    softplus: "`log(1 + exp(x))`, elementwise.", "[0.0]" => "[0.6931]";
}

/// `x` where positive, `negative_slope * x` elsewhere.
///
/// ```
/// use firebrand::nn::functional as F;
/// use firebrand::tensor;
/// assert_eq!(F::leaky_relu(&tensor!([-2.0, 3.0]), 0.5).to_vec::<f32>(), vec![-1.0, 3.0]);
/// ```
#[track_caller]
pub fn leaky_relu(input: &Tensor, negative_slope: f64) -> Tensor {
    input.leaky_relu(negative_slope)
}

/// `x` where positive, `alpha * (exp(x) - 1)` elsewhere.
///
/// ```
/// use firebrand::nn::functional as F;
/// use firebrand::tensor;
/// assert_eq!(F::elu(&tensor!([0.0, 3.0]), 1.0).to_vec::<f32>(), vec![0.0, 3.0]);
/// ```
#[track_caller]
pub fn elu(input: &Tensor, alpha: f64) -> Tensor {
    input.elu(alpha)
}

/// Softmax along `dim`: each slice sums to 1.
///
/// ```
/// use firebrand::nn::functional as F;
/// use firebrand::tensor;
/// let p = F::softmax(&tensor!([[0.0, 0.0]]), -1);
/// assert_eq!(p.to_vec::<f32>(), vec![0.5, 0.5]);
/// ```
#[track_caller]
pub fn softmax(input: &Tensor, dim: isize) -> Tensor {
    input.softmax(dim)
}

/// `log(softmax(x))` along `dim`, computed stably in one pass.
///
/// ```
/// use firebrand::nn::functional as F;
/// use firebrand::tensor;
/// let p = F::log_softmax(&tensor!([[0.0, 0.0]]), 1);
/// assert!((p.to_vec::<f32>()[0] + 2f32.ln()).abs() < 1e-6);
/// ```
#[track_caller]
pub fn log_softmax(input: &Tensor, dim: isize) -> Tensor {
    input.log_softmax(dim)
}
