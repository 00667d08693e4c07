//! Stochastic gradient descent, with momentum, Nesterov momentum and weight decay.

use super::fused;
use super::state::{self, Config, Slot};
use super::{Optimizer, OptimizerState};
use crate::Result;
use crate::backend::cpu::optim::SgdHyper;
use crate::no_grad;
use crate::tensor::Tensor;

#[derive(Clone, Debug)]
struct SgdConfig {
    lr: f64,
    momentum: f64,
    dampening: f64,
    weight_decay: f64,
    nesterov: bool,
    maximize: bool,
}

impl Config for SgdConfig {
    const OPTIMIZER: &'static str = "SGD";
    const WITH_STEP: bool = false;

    fn hyper(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("lr", self.lr),
            ("momentum", self.momentum),
            ("dampening", self.dampening),
            ("weight_decay", self.weight_decay),
            ("nesterov", self.nesterov as u8 as f64),
            ("maximize", self.maximize as u8 as f64),
        ]
    }

    fn set_hyper(&mut self, v: &[f64]) {
        (self.lr, self.momentum, self.dampening, self.weight_decay) = (v[0], v[1], v[2], v[3]);
        (self.nesterov, self.maximize) = (v[4] != 0.0, v[5] != 0.0);
    }

    fn buffers(&self) -> Vec<&'static str> {
        if self.momentum != 0.0 {
            vec!["momentum_buffer"]
        } else {
            vec![]
        }
    }
}

/// Stochastic gradient descent (`torch.optim.SGD`), optionally with momentum, Nesterov
/// momentum, dampening and L2 weight decay:
///
/// ```text
/// g = grad + weight_decay * p
/// buf = g                                   (first step)
/// buf = momentum * buf + (1 - dampening) * g (later steps)
/// g = g + momentum * buf  (nesterov)   or   g = buf
/// p = p - lr * g
/// ```
///
/// ```
/// use firebrand::optim::{Optimizer, SGD};
/// let p = firebrand::Tensor::from_slice(&[1.0f64, 2.0], [2]).requires_grad_(true);
/// let mut opt = SGD::new(vec![p.clone()], 0.1).momentum(0.9).nesterov(true).weight_decay(1e-4);
/// p.set_grad(Some(firebrand::Tensor::from_slice(&[1.0f64, -1.0], [2])));
/// opt.step();
/// // g = 1 + 1e-4 = 1.0001; buf = g; update = g + 0.9 * buf = 1.9 * 1.0001
/// assert!((p.to_vec::<f64>()[0] - (1.0 - 0.1 * 1.9 * 1.0001)).abs() < 1e-12);
/// ```
#[allow(clippy::upper_case_acronyms)] // PyTorch's name, kept by the API contract
pub struct SGD {
    params: Vec<Tensor>,
    slots: Vec<Option<Slot>>,
    config: SgdConfig,
}

impl SGD {
    /// SGD over `params` with learning rate `lr` and PyTorch's defaults for the rest (no
    /// momentum, dampening 0, no weight decay, no Nesterov).
    ///
    /// ```
    /// let lin = firebrand::nn::Linear::new(4, 2, true);
    /// use firebrand::nn::Module;
    /// let opt = firebrand::optim::SGD::new(lin.parameters(), 0.01);
    /// ```
    pub fn new(params: Vec<Tensor>, lr: f64) -> SGD {
        let slots = vec![None; params.len()];
        let config = SgdConfig {
            lr,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            maximize: false,
        };
        SGD {
            params,
            slots,
            config,
        }
    }

    /// Sets the momentum factor (default 0).
    ///
    /// ```
    /// use firebrand::optim::{Optimizer, SGD};
    /// let opt = SGD::new(vec![], 0.1).momentum(0.9);
    /// assert_eq!(opt.current_momentum(), Some(0.9));
    /// ```
    pub fn momentum(mut self, momentum: f64) -> SGD {
        self.config.momentum = momentum;
        self
    }

    /// Sets the dampening of the momentum (default 0).
    ///
    /// ```
    /// let opt = firebrand::optim::SGD::new(vec![], 0.1).momentum(0.9).dampening(0.1);
    /// ```
    pub fn dampening(mut self, dampening: f64) -> SGD {
        self.config.dampening = dampening;
        self
    }

    /// Sets the L2 penalty added to the gradient (default 0).
    ///
    /// ```
    /// let opt = firebrand::optim::SGD::new(vec![], 0.1).weight_decay(1e-4);
    /// ```
    pub fn weight_decay(mut self, weight_decay: f64) -> SGD {
        self.config.weight_decay = weight_decay;
        self
    }

    /// Turns on Nesterov momentum (default off; needs momentum > 0 and dampening 0).
    ///
    /// ```
    /// let opt = firebrand::optim::SGD::new(vec![], 0.1).momentum(0.9).nesterov(true);
    /// ```
    pub fn nesterov(mut self, nesterov: bool) -> SGD {
        self.config.nesterov = nesterov;
        self
    }

    /// Maximizes the objective instead of minimizing it (default off).
    ///
    /// ```
    /// let opt = firebrand::optim::SGD::new(vec![], 0.1).maximize(true);
    /// ```
    pub fn maximize(mut self, maximize: bool) -> SGD {
        self.config.maximize = maximize;
        self
    }

    #[track_caller]
    fn check_options(&self) {
        let c = &self.config;
        assert!(
            !c.nesterov || (c.momentum > 0.0 && c.dampening == 0.0),
            "SGD: Nesterov momentum requires a momentum and zero dampening (momentum {}, \
             dampening {}); set .momentum(m) with m > 0 and .dampening(0.0)",
            c.momentum,
            c.dampening
        );
    }

    fn update(config: &SgdConfig, param: &Tensor, grad: Tensor, slot: &mut Option<Slot>) {
        if SGD::fused_update(config, param, &grad, slot) {
            return;
        }
        let c = config;
        let mut d = if c.maximize { -&grad } else { grad };
        if c.weight_decay != 0.0 {
            d = &d + &(param * c.weight_decay);
        }
        if c.momentum != 0.0 {
            let buf = match slot {
                None => {
                    let buf = d.contiguous_copy();
                    *slot = Some(Slot::with("momentum_buffer", buf.clone()));
                    buf
                }
                Some(s) => {
                    let decayed = s.get("momentum_buffer") * c.momentum;
                    let buf = if c.dampening == 0.0 {
                        &decayed + &d
                    } else {
                        &decayed + &(&d * (1.0 - c.dampening))
                    };
                    s.set("momentum_buffer", buf.clone());
                    buf
                }
            };
            d = if c.nesterov {
                &d + &(&buf * c.momentum)
            } else {
                buf
            };
        }
        param.add_(&(&d * -c.lr));
    }

    /// [`SGD::update`] by the fused kernel, in one pass; false (nothing written) where the
    /// tensors do not fit it ([`fused::fusable`]), and the composed formulas run instead.
    fn fused_update(c: &SgdConfig, param: &Tensor, grad: &Tensor, slot: &mut Option<Slot>) -> bool {
        let mut hyper = SgdHyper {
            lr: c.lr,
            momentum: c.momentum,
            dampening: c.dampening,
            weight_decay: c.weight_decay,
            nesterov: c.nesterov,
            maximize: c.maximize,
            first: false,
        };
        if c.momentum == 0.0 {
            return fused::sgd_(param, grad, None, &hyper);
        }
        if let Some(s) = slot {
            return fused::sgd_(param, grad, Some(s.get("momentum_buffer")), &hyper);
        }
        hyper.first = true;
        let buf = Tensor::zeros_like(param);
        let done = fused::sgd_(param, grad, Some(&buf), &hyper);
        if done {
            *slot = Some(Slot::with("momentum_buffer", buf));
        }
        done
    }
}

impl Optimizer for SGD {
    #[track_caller]
    fn step(&mut self) {
        self.check_options();
        no_grad(|| {
            for (param, slot) in self.params.iter().zip(&mut self.slots) {
                if let Some(grad) = param.grad() {
                    SGD::update(&self.config, param, grad, slot);
                }
            }
        })
    }

    fn params(&self) -> &[Tensor] {
        &self.params
    }

    fn lr(&self) -> f64 {
        self.config.lr
    }

    fn set_lr(&mut self, lr: f64) {
        self.config.lr = lr;
    }

    fn current_momentum(&self) -> Option<f64> {
        Some(self.config.momentum)
    }

    fn set_momentum(&mut self, momentum: f64) {
        self.config.momentum = momentum;
    }

    fn state_dict(&self) -> OptimizerState {
        state::save_state(&self.config, &self.slots)
    }

    fn load_state_dict(&mut self, state: &OptimizerState) -> Result<()> {
        let (config, slots) = state::load_state(&self.config, &self.params, state)?;
        (self.config, self.slots) = (config, slots);
        Ok(())
    }
}
