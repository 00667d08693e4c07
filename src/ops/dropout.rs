//! Dropout, as `torch.nn.functional.dropout`: in training, each element is zeroed with
//! probability `p` and the kept ones scaled by `1 / (1 - p)`, so the expectation is unchanged.
//! The mask comes from [`Tensor::rand`], so [`crate::manual_seed`] makes it reproducible; the
//! gradient is the same mask times the same scale.

use crate::dtype::DType;
use crate::error::{Error, Result, or_panic};
use crate::tensor::Tensor;

/// Zeroes each element with probability `p` and scales the rest by `1 / (1 - p)` when
/// `training`; the input unchanged otherwise (PyTorch's default is `p = 0.5, training = true`).
///
/// ```
/// use firebrand::{nn::functional as F, DType, Tensor};
/// firebrand::manual_seed(0);
/// let x = Tensor::ones([1000], DType::F32);
/// let y = F::dropout(&x, 0.5, true).to_vec::<f32>();
/// assert!(y.iter().all(|&v| v == 0.0 || v == 2.0));
/// assert_eq!(F::dropout(&x, 0.5, false).to_vec::<f32>(), x.to_vec::<f32>());
/// ```
#[track_caller]
pub fn dropout(input: &Tensor, p: f64, training: bool) -> Tensor {
    or_panic(try_dropout(input, p, training))
}

/// [`dropout`] returning an error (`p` outside `[0, 1]`, integer input) instead of panicking.
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// assert!(F::try_dropout(&tensor!([1.0]), 1.5, true).is_err());
/// ```
pub fn try_dropout(input: &Tensor, p: f64, training: bool) -> Result<Tensor> {
    if !(0.0..=1.0).contains(&p) {
        return Err(Error::msg(format!(
            "dropout: probability has to be between 0 and 1, but got {p}"
        )));
    }
    if !input.dtype().is_float() {
        return Err(Error::msg(format!(
            "dropout: expected a float input, got {}; convert it with to_dtype(DType::F32)",
            input.dtype()
        )));
    }
    if !training || p == 0.0 {
        return Ok(input.clone());
    }
    if p == 1.0 {
        return Ok(input * 0.0);
    }
    let mask_dtype = match input.dtype() {
        DType::F64 => DType::F64,
        _ => DType::F32,
    };
    let keep = Tensor::rand(input.shape(), mask_dtype).ge_scalar(p);
    let scale = keep.to_dtype(input.dtype()) * (1.0 / (1.0 - p));
    Ok(input * &scale)
}
