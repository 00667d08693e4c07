//! Adagrad: per-coordinate learning rates from the accumulated squared gradients.

use super::state::{self, Config, Slot};
use super::{Optimizer, OptimizerState};
use crate::Result;
use crate::tensor::Tensor;

#[derive(Clone, Debug)]
struct AdagradConfig {
    lr: f64,
    lr_decay: f64,
    weight_decay: f64,
    initial_accumulator_value: f64,
    eps: f64,
    maximize: bool,
}

impl Config for AdagradConfig {
    const OPTIMIZER: &'static str = "Adagrad";
    const WITH_STEP: bool = true;

    fn hyper(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("lr", self.lr),
            ("lr_decay", self.lr_decay),
            ("weight_decay", self.weight_decay),
            ("initial_accumulator_value", self.initial_accumulator_value),
            ("eps", self.eps),
            ("maximize", self.maximize as u8 as f64),
        ]
    }

    fn set_hyper(&mut self, v: &[f64]) {
        (self.lr, self.lr_decay, self.weight_decay) = (v[0], v[1], v[2]);
        (self.initial_accumulator_value, self.eps) = (v[3], v[4]);
        self.maximize = v[5] != 0.0;
    }

    fn buffers(&self) -> Vec<&'static str> {
        vec!["sum"]
    }
}

/// Adagrad (`torch.optim.Adagrad`): divides each coordinate's step by the root of the sum
/// of its squared gradients so far.
///
/// ```text
/// g = grad + weight_decay * p
/// clr = lr / (1 + (t - 1) * lr_decay)
/// sum = sum + g^2
/// p = p - clr * g / (sqrt(sum) + eps)
/// ```
///
/// ```
/// use firebrand::optim::{Adagrad, Optimizer};
/// let p = firebrand::Tensor::from_slice(&[1.0f64], [1]).requires_grad_(true);
/// let mut opt = Adagrad::new(vec![p.clone()], 0.1);
/// p.set_grad(Some(firebrand::Tensor::from_slice(&[2.0f64], [1])));
/// opt.step();
/// // sum = 4, so the step is 0.1 * 2 / (2 + 1e-10)
/// assert!((p.item::<f64>() - 0.9).abs() < 1e-9);
/// ```
pub struct Adagrad {
    params: Vec<Tensor>,
    slots: Vec<Option<Slot>>,
    config: AdagradConfig,
}

impl Adagrad {
    /// Adagrad over `params` with learning rate `lr` (PyTorch's default is 1e-2) and
    /// PyTorch's defaults for the rest: no lr decay, no weight decay, accumulators starting
    /// at 0, eps 1e-10.
    ///
    /// ```
    /// use firebrand::nn::Module;
    /// let lin = firebrand::nn::Linear::new(4, 2, true);
    /// let opt = firebrand::optim::Adagrad::new(lin.parameters(), 1e-2);
    /// ```
    pub fn new(params: Vec<Tensor>, lr: f64) -> Adagrad {
        let config = AdagradConfig {
            lr,
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
            maximize: false,
        };
        let slots = vec![None; params.len()];
        Adagrad {
            params,
            slots,
            config,
        }
    }

    /// Sets the learning-rate decay per step (default 0).
    ///
    /// ```
    /// let opt = firebrand::optim::Adagrad::new(vec![], 1e-2).lr_decay(1e-3);
    /// ```
    pub fn lr_decay(mut self, lr_decay: f64) -> Adagrad {
        self.config.lr_decay = lr_decay;
        self
    }

    /// Sets the L2 penalty added to the gradient (default 0).
    ///
    /// ```
    /// let opt = firebrand::optim::Adagrad::new(vec![], 1e-2).weight_decay(1e-4);
    /// ```
    pub fn weight_decay(mut self, weight_decay: f64) -> Adagrad {
        self.config.weight_decay = weight_decay;
        self
    }

    /// Sets the value the squared-gradient sums start from (default 0).
    ///
    /// ```
    /// let opt = firebrand::optim::Adagrad::new(vec![], 1e-2).initial_accumulator_value(0.1);
    /// ```
    pub fn initial_accumulator_value(mut self, value: f64) -> Adagrad {
        self.config.initial_accumulator_value = value;
        self
    }

    /// Sets the term added to the denominator for stability (default 1e-10).
    ///
    /// ```
    /// let opt = firebrand::optim::Adagrad::new(vec![], 1e-2).eps(1e-8);
    /// ```
    pub fn eps(mut self, eps: f64) -> Adagrad {
        self.config.eps = eps;
        self
    }

    /// Maximizes the objective instead of minimizing it (default off).
    ///
    /// ```
    /// let opt = firebrand::optim::Adagrad::new(vec![], 1e-2).maximize(true);
    /// ```
    pub fn maximize(mut self, maximize: bool) -> Adagrad {
        self.config.maximize = maximize;
        self
    }
}

/// One parameter's Adagrad update (PyTorch's `_single_tensor_adagrad`).
fn update(c: &AdagradConfig, param: &Tensor, grad: Tensor, slot: &mut Slot) {
    let mut g = if c.maximize { -&grad } else { grad };
    slot.step += 1.0;
    if c.weight_decay != 0.0 {
        g = &g + &(param * c.weight_decay);
    }
    let clr = c.lr / (1.0 + (slot.step - 1.0) * c.lr_decay);
    let sum = slot.get("sum") + &(&g * &g);
    let std = sum.sqrt() + c.eps;
    param.add_(&((&g / &std) * -clr));
    slot.set("sum", sum);
}

impl Optimizer for Adagrad {
    fn step(&mut self) {
        let c = &self.config;
        let init = c.initial_accumulator_value;
        state::step_each(
            &self.params,
            &mut self.slots,
            |p| Slot::filled(p, &["sum"], init),
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

    fn state_dict(&self) -> OptimizerState {
        state::save_state(&self.config, &self.slots)
    }

    fn load_state_dict(&mut self, state: &OptimizerState) -> Result<()> {
        let (config, slots) = state::load_state(&self.config, &self.params, state)?;
        (self.config, self.slots) = (config, slots);
        Ok(())
    }
}
