//! Fused optimizer updates: one pass over a parameter, its gradient and its state buffers,
//! writing the parameter and the buffers in place. Each element goes through exactly the
//! operations (and roundings) of the optimizer's single-tensor formulas in `crate::optim`,
//! written as one loop instead of a temporary tensor per operation.

use super::math::Real;

/// The float types the fused updates run on (f32 and f64): the row kernels' [`Real`] (which
/// brings `from_f64` and `+ - *`) with the division, negation and square root the formulas
/// need.
pub(crate) trait OptimFloat:
    Real + std::ops::Div<Output = Self> + std::ops::Neg<Output = Self>
{
    fn sqrt(self) -> Self;
}

impl OptimFloat for f32 {
    fn sqrt(self) -> f32 {
        f32::sqrt(self)
    }
}

impl OptimFloat for f64 {
    fn sqrt(self) -> f64 {
        f64::sqrt(self)
    }
}

/// NaN test (only a NaN differs from itself).
#[allow(clippy::eq_op)]
#[inline(always)]
fn is_nan<F: OptimFloat>(v: F) -> bool {
    v != v
}

/// SGD's options for one step, as `crate::optim::SGD` keeps them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SgdHyper {
    pub(crate) lr: f64,
    pub(crate) momentum: f64,
    pub(crate) dampening: f64,
    pub(crate) weight_decay: f64,
    pub(crate) nesterov: bool,
    pub(crate) maximize: bool,
    /// The momentum buffer is being created: it takes the gradient as it is.
    pub(crate) first: bool,
}

/// SGD scalars converted once to the element type.
struct SgdCoefficients<F> {
    neg_lr: F,
    momentum: F,
    keep: F,
    weight_decay: F,
}

/// The descent direction of one element: the (negated when maximizing) gradient plus the
/// weight decay, then the momentum buffer's update.
#[inline(always)]
fn sgd_direction<F: OptimFloat>(
    h: &SgdHyper,
    c: &SgdCoefficients<F>,
    p: F,
    g: F,
    buf: Option<&mut F>,
) -> F {
    let mut d = if h.maximize { -g } else { g };
    if h.weight_decay != 0.0 {
        d = d + p * c.weight_decay;
    }
    let Some(buf) = buf else { return d };
    *buf = if h.first {
        d
    } else if h.dampening == 0.0 {
        *buf * c.momentum + d
    } else {
        *buf * c.momentum + d * c.keep
    };
    if h.nesterov {
        d + *buf * c.momentum
    } else {
        *buf
    }
}

/// One SGD step in place: `param -= lr * direction`, the momentum buffer (when given, of
/// `param`'s length) updated on the way. `grad` has `param`'s length.
pub(crate) fn sgd_step<F: OptimFloat>(
    param: &mut [F],
    grad: &[F],
    momentum_buffer: Option<&mut [F]>,
    h: &SgdHyper,
) {
    let c = SgdCoefficients {
        neg_lr: F::from_f64(-h.lr),
        momentum: F::from_f64(h.momentum),
        keep: F::from_f64(1.0 - h.dampening),
        weight_decay: F::from_f64(h.weight_decay),
    };
    match momentum_buffer {
        Some(bufs) => {
            for ((p, &g), b) in param.iter_mut().zip(grad).zip(bufs) {
                *p = *p + sgd_direction(h, &c, *p, g, Some(b)) * c.neg_lr;
            }
        }
        None => {
            for (p, &g) in param.iter_mut().zip(grad) {
                *p = *p + sgd_direction(h, &c, *p, g, None) * c.neg_lr;
            }
        }
    }
}

/// Adam's (and AdamW's) options for one step; `step` is the step count after this step.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AdamHyper {
    pub(crate) lr: f64,
    pub(crate) beta1: f64,
    pub(crate) beta2: f64,
    pub(crate) eps: f64,
    pub(crate) weight_decay: f64,
    pub(crate) decoupled_weight_decay: bool,
    pub(crate) maximize: bool,
    pub(crate) step: f64,
}

/// Adam's state buffers of one parameter, each of the parameter's length.
pub(crate) struct AdamBuffers<'a, F> {
    pub(crate) exp_avg: &'a mut [F],
    pub(crate) exp_avg_sq: &'a mut [F],
    /// AMSGrad's running maximum of `exp_avg_sq`, when AMSGrad is on.
    pub(crate) max_exp_avg_sq: Option<&'a mut [F]>,
}

/// Adam scalars converted once to the element type.
struct AdamCoefficients<F> {
    decay_factor: F,
    weight_decay: F,
    lerp_weight: F,
    lerp_from_end: bool,
    beta2: F,
    one_minus_beta2: F,
    bias_correction2_sqrt: F,
    eps: F,
    neg_step_size: F,
}

impl<F: OptimFloat> AdamCoefficients<F> {
    fn new(h: &AdamHyper) -> Self {
        let weight = 1.0 - h.beta1;
        let bias_correction1 = 1.0 - h.beta1.powf(h.step);
        AdamCoefficients {
            decay_factor: F::from_f64(1.0 - h.lr * h.weight_decay),
            weight_decay: F::from_f64(h.weight_decay),
            // `lerp` from the nearer end, as crate::optim's lerp (and PyTorch's lerp_).
            lerp_weight: F::from_f64(if weight < 0.5 { weight } else { 1.0 - weight }),
            lerp_from_end: weight >= 0.5,
            beta2: F::from_f64(h.beta2),
            one_minus_beta2: F::from_f64(1.0 - h.beta2),
            bias_correction2_sqrt: F::from_f64((1.0 - h.beta2.powf(h.step)).sqrt()),
            eps: F::from_f64(h.eps),
            neg_step_size: F::from_f64(-(h.lr / bias_correction1)),
        }
    }
}

/// `max(a, b)`, NaN when either is NaN (as `Tensor::maximum`).
#[inline(always)]
fn nan_max<F: OptimFloat>(a: F, b: F) -> F {
    if is_nan(a) || is_nan(b) {
        if is_nan(a) { a } else { b }
    } else if b > a {
        b
    } else {
        a
    }
}

/// One element of Adam: updates the moments (and AMSGrad's maximum) and returns the new
/// parameter value.
#[inline(always)]
fn adam_element<F: OptimFloat>(
    h: &AdamHyper,
    c: &AdamCoefficients<F>,
    mut p: F,
    g: F,
    (m, v, vmax): (&mut F, &mut F, Option<&mut F>),
) -> F {
    let mut g = if h.maximize { -g } else { g };
    if h.weight_decay != 0.0 {
        if h.decoupled_weight_decay {
            p = p * c.decay_factor;
        } else {
            g = g + p * c.weight_decay;
        }
    }
    *m = if c.lerp_from_end {
        g - (g - *m) * c.lerp_weight
    } else {
        *m + (g - *m) * c.lerp_weight
    };
    *v = *v * c.beta2 + (g * c.one_minus_beta2) * g;
    let second = match vmax {
        Some(vmax) => {
            *vmax = nan_max(*vmax, *v);
            *vmax
        }
        None => *v,
    };
    let denom = second.sqrt() / c.bias_correction2_sqrt + c.eps;
    p + (*m / denom) * c.neg_step_size
}

/// One Adam (or AdamW) step in place over `param` and its buffers; `grad` has `param`'s
/// length.
pub(crate) fn adam_step<F: OptimFloat>(
    param: &mut [F],
    grad: &[F],
    buffers: AdamBuffers<'_, F>,
    h: &AdamHyper,
) {
    let c = AdamCoefficients::new(h);
    let moments = param.iter_mut().zip(grad).zip(
        buffers
            .exp_avg
            .iter_mut()
            .zip(buffers.exp_avg_sq.iter_mut()),
    );
    match buffers.max_exp_avg_sq {
        Some(maxima) => {
            for (((p, &g), (m, v)), vmax) in moments.zip(maxima) {
                *p = adam_element(h, &c, *p, g, (m, v, Some(vmax)));
            }
        }
        None => {
            for ((p, &g), (m, v)) in moments {
                *p = adam_element(h, &c, *p, g, (m, v, None));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sgd(momentum: f64, nesterov: bool, first: bool) -> SgdHyper {
        SgdHyper {
            lr: 0.5,
            momentum,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov,
            maximize: false,
            first,
        }
    }

    #[test]
    fn sgd_step_by_hand() {
        // No momentum: p - lr * g.
        let mut p = [1.0f64, 2.0];
        sgd_step(&mut p, &[2.0, -4.0], None, &sgd(0.0, false, false));
        assert_eq!(p, [0.0, 4.0]);
        // Momentum, first step: buf = g; p -= lr * buf.
        let (mut p, mut buf) = ([1.0f32], [0.0f32]);
        sgd_step(&mut p, &[2.0], Some(&mut buf), &sgd(0.5, false, true));
        assert_eq!((p, buf), ([0.0], [2.0]));
        // Later step: buf = 0.5 * 2 + 2 = 3; p = 0 - 0.5 * 3.
        sgd_step(&mut p, &[2.0], Some(&mut buf), &sgd(0.5, false, false));
        assert_eq!((p, buf), ([-1.5], [3.0]));
        // Nesterov: buf = 0.5 * 3 + 2 = 3.5; direction = 2 + 0.5 * 3.5 = 3.75.
        sgd_step(&mut p, &[2.0], Some(&mut buf), &sgd(0.5, true, false));
        assert_eq!((p, buf), ([-1.5 - 0.5 * 3.75], [3.5]));
    }

    #[test]
    fn sgd_step_weight_decay_dampening_and_maximize() {
        let h = SgdHyper {
            lr: 1.0,
            momentum: 0.5,
            dampening: 0.5,
            weight_decay: 0.25,
            nesterov: false,
            maximize: true,
            first: false,
        };
        // d = -g + 0.25 p = -2 + 1 = -1; buf = 0.5 * 4 + 0.5 * (-1) = 1.5; p = 4 - 1 * 1.5.
        let (mut p, mut buf) = ([4.0f64], [4.0f64]);
        sgd_step(&mut p, &[2.0], Some(&mut buf), &h);
        assert_eq!((p, buf), ([4.0 - 1.5], [1.5]));
    }

    fn adam(step: f64) -> AdamHyper {
        AdamHyper {
            lr: 0.1,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled_weight_decay: false,
            maximize: false,
            step,
        }
    }

    #[test]
    fn adam_first_step_moves_each_parameter_by_lr() {
        // Step 1: m = 0.1 g, v = 0.001 g^2; the bias corrections make m / sqrt(v) = sign(g).
        let (mut p, mut m, mut v) = ([1.0f64, -1.0], [0.0; 2], [0.0; 2]);
        let buffers = AdamBuffers {
            exp_avg: &mut m,
            exp_avg_sq: &mut v,
            max_exp_avg_sq: None,
        };
        adam_step(&mut p, &[3.0, -0.5], buffers, &adam(1.0));
        assert!(
            (p[0] - 0.9).abs() < 1e-8 && (p[1] + 0.9).abs() < 1e-8,
            "{p:?}"
        );
        assert!((m[0] - 0.3).abs() < 1e-15 && (v[1] - 0.00025).abs() < 1e-15);
    }

    #[test]
    fn adam_amsgrad_keeps_the_maximum_and_adamw_decays() {
        let (mut p, mut m, mut v, mut vmax) = ([2.0f32], [0.0f32], [1.0f32], [5.0f32]);
        let mut h = adam(1.0);
        (h.weight_decay, h.decoupled_weight_decay) = (0.5, true);
        let buffers = AdamBuffers {
            exp_avg: &mut m,
            exp_avg_sq: &mut v,
            max_exp_avg_sq: Some(&mut vmax),
        };
        adam_step(&mut p, &[0.0], buffers, &h);
        // g = 0: m stays 0, so only the decay moves p: 2 * (1 - 0.1 * 0.5).
        assert_eq!((p[0], m[0], vmax[0]), (1.9, 0.0, 5.0));
        assert_eq!(v[0], 0.999);
        assert!(nan_max(f32::NAN, 1.0).is_nan() && nan_max(1.0, f32::NAN).is_nan());
    }
}
