//! Parameter initialisation, as `torch.nn.init`: each function fills a tensor in place (under
//! `no_grad`, so it works on parameters that require grad) from the global generator
//! ([`crate::manual_seed`]) and returns it.
//!
//! ```
//! use firebrand::nn::init;
//! use firebrand::{DType, Tensor};
//! firebrand::manual_seed(0);
//! let w = Tensor::zeros([64, 32], DType::F32);
//! init::kaiming_uniform_(&w, 5f64.sqrt());
//! let bound = 1.0 / 32f32.sqrt();
//! assert!(w.to_vec::<f32>().iter().all(|v| v.abs() <= bound));
//! ```

use crate::autograd::no_grad;
use crate::dtype::DType;
use crate::error::{Error, Result, or_panic};
use crate::tensor::Tensor;

/// `(fan_in, fan_out)` of a weight: `[out, in, k..]` has fan_in `in * prod(k)` and fan_out
/// `out * prod(k)`, as PyTorch's `_calculate_fan_in_and_fan_out`.
///
/// ```
/// let w = firebrand::Tensor::zeros([8, 4, 3, 3], firebrand::DType::F32);
/// assert_eq!(firebrand::nn::init::fans(&w), (36, 72));
/// ```
#[track_caller]
pub fn fans(tensor: &Tensor) -> (usize, usize) {
    or_panic(try_fans(tensor))
}

/// [`fans`] returning an error for tensors of fewer than two dims.
///
/// ```
/// assert!(firebrand::nn::init::try_fans(&firebrand::tensor!([1.0])).is_err());
/// ```
pub fn try_fans(tensor: &Tensor) -> Result<(usize, usize)> {
    if tensor.dim() < 2 {
        return Err(Error::msg(format!(
            "init: fan in and fan out need a tensor of at least 2 dims, but got shape {:?}",
            tensor.shape()
        )));
    }
    let receptive: usize = tensor.shape()[2..].iter().product();
    Ok((tensor.shape()[1] * receptive, tensor.shape()[0] * receptive))
}

/// The recommended gain for a nonlinearity (`"linear"`, `"conv2d"`, `"sigmoid"`, `"tanh"`,
/// `"relu"`, `"leaky_relu"` with slope `param`, `"selu"`), as `torch.nn.init.calculate_gain`.
///
/// ```
/// assert_eq!(firebrand::nn::init::calculate_gain("relu", 0.0), 2f64.sqrt());
/// ```
#[track_caller]
pub fn calculate_gain(nonlinearity: &str, param: f64) -> f64 {
    match nonlinearity {
        "linear" | "conv1d" | "conv2d" | "conv3d" | "sigmoid" | "conv_transpose1d"
        | "conv_transpose2d" => 1.0,
        "tanh" => 5.0 / 3.0,
        "relu" => 2f64.sqrt(),
        "leaky_relu" => (2.0 / (1.0 + param * param)).sqrt(),
        "selu" => 0.75,
        other => panic!(
            "calculate_gain: unknown nonlinearity {other:?}; expected linear, conv2d, sigmoid, \
             tanh, relu, leaky_relu or selu"
        ),
    }
}

/// Copies `values` (any dtype, same shape) into `tensor` without recording.
fn fill_with(tensor: &Tensor, values: Tensor) -> Tensor {
    no_grad(|| tensor.copy_(&values));
    tensor.clone()
}

/// Samples with the tensor's shape in f64 (cast on copy), so every float dtype draws the same
/// stream.
fn uniform_values(tensor: &Tensor, low: f64, high: f64) -> Tensor {
    Tensor::rand(tensor.shape(), DType::F64) * (high - low) + low
}

/// Fills with samples from U(low, high).
///
/// ```
/// let t = firebrand::Tensor::zeros([100], firebrand::DType::F32);
/// firebrand::nn::init::uniform_(&t, -2.0, -1.0);
/// assert!(t.to_vec::<f32>().iter().all(|v| (-2.0..=-1.0).contains(v)));
/// ```
pub fn uniform_(tensor: &Tensor, low: f64, high: f64) -> Tensor {
    fill_with(tensor, uniform_values(tensor, low, high))
}

/// Fills with samples from N(mean, std²).
///
/// ```
/// let t = firebrand::Tensor::zeros([10000], firebrand::DType::F64);
/// firebrand::nn::init::normal_(&t, 3.0, 0.5);
/// assert!((t.mean().item::<f64>() - 3.0).abs() < 0.05);
/// ```
pub fn normal_(tensor: &Tensor, mean: f64, std: f64) -> Tensor {
    fill_with(
        tensor,
        Tensor::randn(tensor.shape(), DType::F64) * std + mean,
    )
}

/// Fills with `value`.
///
/// ```
/// let t = firebrand::Tensor::zeros([2], firebrand::DType::F32);
/// assert_eq!(firebrand::nn::init::constant_(&t, 0.5).to_vec::<f32>(), vec![0.5, 0.5]);
/// ```
pub fn constant_(tensor: &Tensor, value: f64) -> Tensor {
    no_grad(|| tensor.fill_(value));
    tensor.clone()
}

/// Fills with zeros.
///
/// ```
/// let t = firebrand::Tensor::ones([2], firebrand::DType::F32);
/// assert_eq!(firebrand::nn::init::zeros_(&t).to_vec::<f32>(), vec![0.0, 0.0]);
/// ```
pub fn zeros_(tensor: &Tensor) -> Tensor {
    constant_(tensor, 0.0)
}

/// Fills with ones.
///
/// ```
/// let t = firebrand::Tensor::zeros([2], firebrand::DType::F32);
/// assert_eq!(firebrand::nn::init::ones_(&t).to_vec::<f32>(), vec![1.0, 1.0]);
/// ```
pub fn ones_(tensor: &Tensor) -> Tensor {
    constant_(tensor, 1.0)
}

/// Kaiming (He) uniform with fan_in and `leaky_relu` slope `a`: U(-b, b) with
/// `b = gain * sqrt(3 / fan_in)`. PyTorch's Linear and Conv layers use `a = sqrt(5)`, which
/// gives `b = 1 / sqrt(fan_in)`.
///
/// ```
/// let w = firebrand::Tensor::zeros([10, 16], firebrand::DType::F64);
/// firebrand::nn::init::kaiming_uniform_(&w, 0.0);
/// let bound = (6.0f64 / 16.0).sqrt();
/// assert!(w.to_vec::<f64>().iter().all(|v| v.abs() <= bound));
/// ```
#[track_caller]
pub fn kaiming_uniform_(tensor: &Tensor, a: f64) -> Tensor {
    let (fan_in, _) = fans(tensor);
    let bound = calculate_gain("leaky_relu", a) * (3.0 / fan_in as f64).sqrt();
    uniform_(tensor, -bound, bound)
}

/// Kaiming (He) normal with fan_in and `leaky_relu` slope `a`: N(0, (gain / sqrt(fan_in))²).
///
/// ```
/// let w = firebrand::Tensor::zeros([200, 50], firebrand::DType::F64);
/// firebrand::nn::init::kaiming_normal_(&w, 0.0);
/// assert!((w.std_dim([0, 1], true, false).item::<f64>() - 0.2).abs() < 0.01);
/// ```
#[track_caller]
pub fn kaiming_normal_(tensor: &Tensor, a: f64) -> Tensor {
    let (fan_in, _) = fans(tensor);
    let std = calculate_gain("leaky_relu", a) / (fan_in as f64).sqrt();
    normal_(tensor, 0.0, std)
}

/// Xavier (Glorot) uniform: U(-b, b) with `b = gain * sqrt(6 / (fan_in + fan_out))`.
///
/// ```
/// let w = firebrand::Tensor::zeros([3, 5], firebrand::DType::F64);
/// firebrand::nn::init::xavier_uniform_(&w, 1.0);
/// assert!(w.to_vec::<f64>().iter().all(|v| v.abs() <= (6.0f64 / 8.0).sqrt()));
/// ```
#[track_caller]
pub fn xavier_uniform_(tensor: &Tensor, gain: f64) -> Tensor {
    let (fan_in, fan_out) = fans(tensor);
    let bound = gain * (6.0 / (fan_in + fan_out) as f64).sqrt();
    uniform_(tensor, -bound, bound)
}

/// Xavier (Glorot) normal: N(0, (gain * sqrt(2 / (fan_in + fan_out)))²).
///
/// ```
/// let w = firebrand::Tensor::zeros([100, 100], firebrand::DType::F64);
/// firebrand::nn::init::xavier_normal_(&w, 1.0);
/// assert!((w.std_dim([0, 1], true, false).item::<f64>() - 0.1).abs() < 0.01);
/// ```
#[track_caller]
pub fn xavier_normal_(tensor: &Tensor, gain: f64) -> Tensor {
    let (fan_in, fan_out) = fans(tensor);
    let std = gain * (2.0 / (fan_in + fan_out) as f64).sqrt();
    normal_(tensor, 0.0, std)
}

/// A (semi-)orthogonal matrix times `gain`, as `torch.nn.init.orthogonal_`: the tensor is
/// viewed as `[rows, cols]` (trailing dims flattened) and its rows (or columns, whichever are
/// fewer) come out orthonormal. Built by Gram-Schmidt on normal samples, in f64.
///
/// ```
/// let w = firebrand::Tensor::zeros([3, 5], firebrand::DType::F64);
/// firebrand::nn::init::orthogonal_(&w, 1.0);
/// let eye = w.matmul(&w.t()).to_vec::<f64>();
/// for (i, v) in eye.iter().enumerate() {
///     let expected = if i % 4 == 0 { 1.0 } else { 0.0 };
///     assert!((v - expected).abs() < 1e-9);
/// }
/// ```
#[track_caller]
pub fn orthogonal_(tensor: &Tensor, gain: f64) -> Tensor {
    assert!(
        tensor.dim() >= 2,
        "orthogonal_: expected a tensor of at least 2 dims, but got shape {:?}",
        tensor.shape()
    );
    let rows = tensor.shape()[0];
    let cols = tensor.numel() / rows.max(1);
    // Orthonormalise the longer side's vectors: k vectors of length n.
    let (k, n) = (rows.min(cols), rows.max(cols));
    let mut basis = Tensor::randn([k, n], DType::F64).to_vec::<f64>();
    gram_schmidt(&mut basis, k, n);
    let q = Tensor::from_vec(basis, [k, n]) * gain;
    let q = if rows < cols { q } else { q.t() };
    fill_with(tensor, q.reshape(tensor.shape()))
}

/// Orthonormalises the `k` rows of length `n` in `m` (modified Gram-Schmidt); a row that
/// comes out (numerically) dependent is replaced by a unit vector.
fn gram_schmidt(m: &mut [f64], k: usize, n: usize) {
    for i in 0..k {
        for j in 0..i {
            let dot: f64 = (0..n).map(|c| m[i * n + c] * m[j * n + c]).sum();
            for c in 0..n {
                m[i * n + c] -= dot * m[j * n + c];
            }
        }
        let norm = (0..n).map(|c| m[i * n + c].powi(2)).sum::<f64>().sqrt();
        for c in 0..n {
            m[i * n + c] = if norm > 1e-12 {
                m[i * n + c] / norm
            } else {
                0.0
            };
        }
    }
}
