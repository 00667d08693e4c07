//! Adam and AdamW (Adam with decoupled weight decay), with the AMSGrad variant.

use super::fused;
use super::state::{self, Config, Slot};
use super::{Optimizer, OptimizerState, lerp};
use crate::Result;
use crate::backend::cpu::optim::AdamHyper;
use crate::tensor::Tensor;

#[derive(Clone, Debug)]
struct AdamConfig {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
    maximize: bool,
    decoupled_weight_decay: bool,
}

impl Config for AdamConfig {
    const OPTIMIZER: &'static str = "Adam";
    const WITH_STEP: bool = true;

    fn hyper(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("lr", self.lr),
            ("beta1", self.beta1),
            ("beta2", self.beta2),
            ("eps", self.eps),
            ("weight_decay", self.weight_decay),
            ("amsgrad", self.amsgrad as u8 as f64),
            ("maximize", self.maximize as u8 as f64),
            (
                "decoupled_weight_decay",
                self.decoupled_weight_decay as u8 as f64,
            ),
        ]
    }

    fn set_hyper(&mut self, v: &[f64]) {
        (self.lr, self.beta1, self.beta2, self.eps, self.weight_decay) =
            (v[0], v[1], v[2], v[3], v[4]);
        self.amsgrad = v[5] != 0.0;
        self.maximize = v[6] != 0.0;
        self.decoupled_weight_decay = v[7] != 0.0;
    }

    fn buffers(&self) -> Vec<&'static str> {
        if self.amsgrad {
            vec!["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
        } else {
            vec!["exp_avg", "exp_avg_sq"]
        }
    }
}

/// The parameters, state and options Adam and AdamW share.
struct AdamCore {
    params: Vec<Tensor>,
    slots: Vec<Option<Slot>>,
    config: AdamConfig,
}

impl AdamCore {
    fn new(params: Vec<Tensor>, lr: f64, weight_decay: f64, decoupled: bool) -> AdamCore {
        let config = AdamConfig {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay,
            amsgrad: false,
            maximize: false,
            decoupled_weight_decay: decoupled,
        };
        let slots = vec![None; params.len()];
        AdamCore {
            params,
            slots,
            config,
        }
    }

    fn step(&mut self) {
        let c = &self.config;
        state::step_each(
            &self.params,
            &mut self.slots,
            |p| Slot::filled(p, &c.buffers(), 0.0),
            |p, g, slot| update(c, p, g, slot),
        );
    }
}

/// One parameter's Adam update (PyTorch's `_single_tensor_adam`).
fn update(c: &AdamConfig, param: &Tensor, grad: Tensor, slot: &mut Slot) {
    if fused_update(c, param, &grad, slot) {
        return;
    }
    let mut g = if c.maximize { -&grad } else { grad };
    slot.step += 1.0;
    if c.weight_decay != 0.0 {
        if c.decoupled_weight_decay {
            param.mul_scalar_(1.0 - c.lr * c.weight_decay);
        } else {
            g = &g + &(param * c.weight_decay);
        }
    }
    let exp_avg = lerp(slot.get("exp_avg"), &g, 1.0 - c.beta1);
    let exp_avg_sq = slot.get("exp_avg_sq") * c.beta2 + &(&g * (1.0 - c.beta2)) * &g;
    let bias_correction1 = 1.0 - c.beta1.powf(slot.step);
    let bias_correction2_sqrt = (1.0 - c.beta2.powf(slot.step)).sqrt();
    let step_size = c.lr / bias_correction1;
    let second = if c.amsgrad {
        let max = slot.get("max_exp_avg_sq").maximum(&exp_avg_sq);
        slot.set("max_exp_avg_sq", max.clone());
        max
    } else {
        exp_avg_sq.clone()
    };
    let denom = second.sqrt() / bias_correction2_sqrt + c.eps;
    param.add_(&((&exp_avg / &denom) * -step_size));
    slot.set("exp_avg", exp_avg);
    slot.set("exp_avg_sq", exp_avg_sq);
}

/// [`update`] by the fused kernel, in one pass; false (nothing written) where the tensors do
/// not fit it ([`fused::fusable`]), and the composed formulas run instead.
fn fused_update(c: &AdamConfig, param: &Tensor, grad: &Tensor, slot: &mut Slot) -> bool {
    let hyper = AdamHyper {
        lr: c.lr,
        beta1: c.beta1,
        beta2: c.beta2,
        eps: c.eps,
        weight_decay: c.weight_decay,
        decoupled_weight_decay: c.decoupled_weight_decay,
        maximize: c.maximize,
        step: slot.step + 1.0,
    };
    let state = fused::AdamState {
        exp_avg: slot.get("exp_avg"),
        exp_avg_sq: slot.get("exp_avg_sq"),
        max_exp_avg_sq: c.amsgrad.then(|| slot.get("max_exp_avg_sq")),
    };
    let done = fused::adam_(param, grad, &state, &hyper);
    if done {
        slot.step += 1.0;
    }
    done
}

/// Builder setters and the [`Optimizer`] impl shared by [`Adam`] and [`AdamW`].
macro_rules! adam_family {
    ($name:ident) => {
        impl $name {
            /// Sets the coefficients of the running averages of the gradient and its square
            /// (default `(0.9, 0.999)`).
            ///
            /// ```
            #[doc = concat!("let opt = firebrand::optim::", stringify!($name), "::new(vec![], 1e-3).betas(0.8, 0.99);")]
            /// ```
            pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
                (self.0.config.beta1, self.0.config.beta2) = (beta1, beta2);
                self
            }

            /// Sets the term added to the denominator for stability (default 1e-8).
            ///
            /// ```
            #[doc = concat!("let opt = firebrand::optim::", stringify!($name), "::new(vec![], 1e-3).eps(1e-6);")]
            /// ```
            pub fn eps(mut self, eps: f64) -> Self {
                self.0.config.eps = eps;
                self
            }

            /// Sets the weight decay.
            ///
            /// ```
            #[doc = concat!("let opt = firebrand::optim::", stringify!($name), "::new(vec![], 1e-3).weight_decay(0.05);")]
            /// ```
            pub fn weight_decay(mut self, weight_decay: f64) -> Self {
                self.0.config.weight_decay = weight_decay;
                self
            }

            /// Uses the AMSGrad variant: the maximum of the squared-gradient averages so far
            /// normalizes the step (default off).
            ///
            /// ```
            #[doc = concat!("let opt = firebrand::optim::", stringify!($name), "::new(vec![], 1e-3).amsgrad(true);")]
            /// ```
            pub fn amsgrad(mut self, amsgrad: bool) -> Self {
                self.0.config.amsgrad = amsgrad;
                self
            }

            /// Maximizes the objective instead of minimizing it (default off).
            ///
            /// ```
            #[doc = concat!("let opt = firebrand::optim::", stringify!($name), "::new(vec![], 1e-3).maximize(true);")]
            /// ```
            pub fn maximize(mut self, maximize: bool) -> Self {
                self.0.config.maximize = maximize;
                self
            }
        }

        impl Optimizer for $name {
            fn step(&mut self) {
                self.0.step()
            }

            fn params(&self) -> &[Tensor] {
                &self.0.params
            }

            fn lr(&self) -> f64 {
                self.0.config.lr
            }

            fn set_lr(&mut self, lr: f64) {
                self.0.config.lr = lr;
            }

            fn current_momentum(&self) -> Option<f64> {
                Some(self.0.config.beta1)
            }

            fn set_momentum(&mut self, beta1: f64) {
                self.0.config.beta1 = beta1;
            }

            fn state_dict(&self) -> OptimizerState {
                state::save_state(&self.0.config, &self.0.slots)
            }

            fn load_state_dict(&mut self, state: &OptimizerState) -> Result<()> {
                let core = &mut self.0;
                let (config, slots) = state::load_state(&core.config, &core.params, state)?;
                (core.config, core.slots) = (config, slots);
                Ok(())
            }
        }
    };
}

/// Adam (`torch.optim.Adam`): steps by running averages of the gradient and of its square,
/// bias-corrected; weight decay is added to the gradient (L2 penalty).
///
/// ```text
/// g = grad + weight_decay * p
/// m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2
/// p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
/// ```
///
/// ```
/// use firebrand::optim::{Adam, Optimizer};
/// let p = firebrand::Tensor::from_slice(&[1.0f64, -1.0], [2]).requires_grad_(true);
/// let mut opt = Adam::new(vec![p.clone()], 0.1).betas(0.9, 0.999);
/// p.set_grad(Some(firebrand::Tensor::from_slice(&[3.0f64, -0.5], [2])));
/// opt.step();
/// // The first Adam step moves every coordinate by about lr against its gradient's sign.
/// let v = p.to_vec::<f64>();
/// assert!((v[0] - 0.9).abs() < 1e-6 && (v[1] + 0.9).abs() < 1e-6);
/// ```
pub struct Adam(AdamCore);

impl Adam {
    /// Adam over `params` with learning rate `lr` (PyTorch's default is 1e-3) and PyTorch's
    /// defaults for the rest: betas (0.9, 0.999), eps 1e-8, no weight decay, no AMSGrad.
    ///
    /// ```
    /// use firebrand::nn::Module;
    /// let lin = firebrand::nn::Linear::new(4, 2, true);
    /// let opt = firebrand::optim::Adam::new(lin.parameters(), 1e-3);
    /// ```
    pub fn new(params: Vec<Tensor>, lr: f64) -> Adam {
        Adam(AdamCore::new(params, lr, 0.0, false))
    }
}

/// AdamW (`torch.optim.AdamW`): Adam with decoupled weight decay, which shrinks the
/// parameters directly (`p = p * (1 - lr * weight_decay)`) instead of adding to the
/// gradient. The default weight decay is 1e-2.
///
/// ```
/// use firebrand::optim::{AdamW, Optimizer};
/// let p = firebrand::Tensor::from_slice(&[2.0f64], [1]).requires_grad_(true);
/// let mut opt = AdamW::new(vec![p.clone()], 0.1).weight_decay(0.5);
/// p.set_grad(Some(firebrand::Tensor::from_slice(&[0.0f64], [1])));
/// opt.step();
/// // a zero gradient leaves only the decay: 2 * (1 - 0.1 * 0.5)
/// assert!((p.item::<f64>() - 1.9).abs() < 1e-12);
/// ```
pub struct AdamW(AdamCore);

impl AdamW {
    /// AdamW over `params` with learning rate `lr` and PyTorch's defaults for the rest:
    /// betas (0.9, 0.999), eps 1e-8, weight decay 1e-2, no AMSGrad.
    ///
    /// ```
    /// use firebrand::nn::Module;
    /// let lin = firebrand::nn::Linear::new(4, 2, true);
    /// let opt = firebrand::optim::AdamW::new(lin.parameters(), 1e-3);
    /// ```
    pub fn new(params: Vec<Tensor>, lr: f64) -> AdamW {
        AdamW(AdamCore::new(params, lr, 1e-2, true))
    }
}

adam_family!(Adam);
adam_family!(AdamW);
