//! RMSprop, optionally centered and with momentum.

use super::state::{self, Config, Slot};
use super::{Optimizer, OptimizerState, lerp};
use crate::Result;
use crate::tensor::Tensor;

#[derive(Clone, Debug)]
struct RmspropConfig {
    lr: f64,
    alpha: f64,
    eps: f64,
    weight_decay: f64,
    momentum: f64,
    centered: bool,
    maximize: bool,
}

impl Config for RmspropConfig {
    const OPTIMIZER: &'static str = "RMSprop";
    const WITH_STEP: bool = true;

    fn hyper(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("lr", self.lr),
            ("alpha", self.alpha),
            ("eps", self.eps),
            ("weight_decay", self.weight_decay),
            ("momentum", self.momentum),
            ("centered", self.centered as u8 as f64),
            ("maximize", self.maximize as u8 as f64),
        ]
    }

    fn set_hyper(&mut self, v: &[f64]) {
        (
            self.lr,
            self.alpha,
            self.eps,
            self.weight_decay,
            self.momentum,
        ) = (v[0], v[1], v[2], v[3], v[4]);
        (self.centered, self.maximize) = (v[5] != 0.0, v[6] != 0.0);
    }

    fn buffers(&self) -> Vec<&'static str> {
        let mut names = vec!["square_avg"];
        if self.momentum > 0.0 {
            names.push("momentum_buffer");
        }
        if self.centered {
            names.push("grad_avg");
        }
        names
    }
}

/// RMSprop (`torch.optim.RMSprop`): divides the gradient by the root of a running average
/// of its square; `centered` subtracts the squared running mean of the gradient first.
///
/// ```text
/// g = grad + weight_decay * p
/// v = alpha * v + (1 - alpha) * g^2
/// avg = sqrt(v - mean_g^2) (centered, mean_g = running mean of g) or sqrt(v)
/// buf = momentum * buf + g / (avg + eps); p = p - lr * buf   (momentum > 0)
/// p = p - lr * g / (avg + eps)                                (otherwise)
/// ```
///
/// ```
/// use firebrand::optim::{Optimizer, RMSprop};
/// let p = firebrand::Tensor::from_slice(&[1.0f64], [1]).requires_grad_(true);
/// let mut opt = RMSprop::new(vec![p.clone()], 0.01);
/// p.set_grad(Some(firebrand::Tensor::from_slice(&[2.0f64], [1])));
/// opt.step();
/// // v = 0.01 * 4, so the step is 0.01 * 2 / (0.2 + 1e-8)
/// assert!((p.item::<f64>() - (1.0 - 0.01 * 2.0 / (0.2 + 1e-8))).abs() < 1e-12);
/// ```
pub struct RMSprop {
    params: Vec<Tensor>,
    slots: Vec<Option<Slot>>,
    config: RmspropConfig,
}

impl RMSprop {
    /// RMSprop over `params` with learning rate `lr` (PyTorch's default is 1e-2) and
    /// PyTorch's defaults for the rest: alpha 0.99, eps 1e-8, no weight decay, no momentum,
    /// not centered.
    ///
    /// ```
    /// use firebrand::nn::Module;
    /// let lin = firebrand::nn::Linear::new(4, 2, true);
    /// let opt = firebrand::optim::RMSprop::new(lin.parameters(), 1e-2);
    /// ```
    pub fn new(params: Vec<Tensor>, lr: f64) -> RMSprop {
        let config = RmspropConfig {
            lr,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
            maximize: false,
        };
        let slots = vec![None; params.len()];
        RMSprop {
            params,
            slots,
            config,
        }
    }

    /// Sets the smoothing constant of the squared-gradient average (default 0.99).
    ///
    /// ```
    /// let opt = firebrand::optim::RMSprop::new(vec![], 1e-2).alpha(0.9);
    /// ```
    pub fn alpha(mut self, alpha: f64) -> RMSprop {
        self.config.alpha = alpha;
        self
    }

    /// Sets the term added to the denominator for stability (default 1e-8).
    ///
    /// ```
    /// let opt = firebrand::optim::RMSprop::new(vec![], 1e-2).eps(1e-6);
    /// ```
    pub fn eps(mut self, eps: f64) -> RMSprop {
        self.config.eps = eps;
        self
    }

    /// Sets the L2 penalty added to the gradient (default 0).
    ///
    /// ```
    /// let opt = firebrand::optim::RMSprop::new(vec![], 1e-2).weight_decay(1e-4);
    /// ```
    pub fn weight_decay(mut self, weight_decay: f64) -> RMSprop {
        self.config.weight_decay = weight_decay;
        self
    }

    /// Sets the momentum factor (default 0).
    ///
    /// ```
    /// let opt = firebrand::optim::RMSprop::new(vec![], 1e-2).momentum(0.9);
    /// ```
    pub fn momentum(mut self, momentum: f64) -> RMSprop {
        self.config.momentum = momentum;
        self
    }

    /// Normalizes by an estimate of the gradient's variance instead of its second moment
    /// (default off).
    ///
    /// ```
    /// let opt = firebrand::optim::RMSprop::new(vec![], 1e-2).centered(true);
    /// ```
    pub fn centered(mut self, centered: bool) -> RMSprop {
        self.config.centered = centered;
        self
    }

    /// Maximizes the objective instead of minimizing it (default off).
    ///
    /// ```
    /// let opt = firebrand::optim::RMSprop::new(vec![], 1e-2).maximize(true);
    /// ```
    pub fn maximize(mut self, maximize: bool) -> RMSprop {
        self.config.maximize = maximize;
        self
    }
}

/// One parameter's RMSprop update (PyTorch's `_single_tensor_rmsprop`).
fn update(c: &RmspropConfig, param: &Tensor, grad: Tensor, slot: &mut Slot) {
    let mut g = if c.maximize { -&grad } else { grad };
    slot.step += 1.0;
    if c.weight_decay != 0.0 {
        g = &g + &(param * c.weight_decay);
    }
    let square_avg = slot.get("square_avg") * c.alpha + &(&g * (1.0 - c.alpha)) * &g;
    let avg = if c.centered {
        let grad_avg = lerp(slot.get("grad_avg"), &g, 1.0 - c.alpha);
        let avg = (&square_avg - &(&grad_avg * &grad_avg)).sqrt();
        slot.set("grad_avg", grad_avg);
        avg
    } else {
        square_avg.sqrt()
    } + c.eps;
    slot.set("square_avg", square_avg);
    if c.momentum > 0.0 {
        let buf = slot.get("momentum_buffer") * c.momentum + &g / &avg;
        param.add_(&(&buf * -c.lr));
        slot.set("momentum_buffer", buf);
    } else {
        param.add_(&((&g / &avg) * -c.lr));
    }
}

impl Optimizer for RMSprop {
    fn step(&mut self) {
        let c = &self.config;
        state::step_each(
            &self.params,
            &mut self.slots,
            |p| Slot::filled(p, &c.buffers(), 0.0),
            |p, g, slot| update(c, p, g, slot),
        );
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
