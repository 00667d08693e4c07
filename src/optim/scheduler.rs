//! Learning-rate schedulers, as `torch.optim.lr_scheduler`: each one sets the optimizer's
//! learning rate when made (its value for epoch 0) and again at every [`LrScheduler::step`],
//! using PyTorch's recursive (chainable) formulas so the values match PyTorch's.

use super::Optimizer;
use crate::error::{Error, Result, or_panic};
use std::f64::consts::PI;

/// A learning-rate schedule driving an optimizer. Call [`LrScheduler::step`] once per epoch
/// (or per batch, for [`OneCycleLR`]), after the optimizer's step.
///
/// ```
/// use firebrand::optim::{LrScheduler, Optimizer, SGD, StepLR};
/// let mut opt = SGD::new(vec![], 1.0);
/// let mut sched = StepLR::new(&mut opt, 2, 0.5);
/// let mut lrs = vec![sched.get_last_lr()];
/// for _ in 0..4 {
///     opt.step();
///     sched.step(&mut opt);
///     lrs.push(sched.get_last_lr());
/// }
/// assert_eq!(lrs, vec![1.0, 1.0, 0.5, 0.5, 0.25]);
/// ```
pub trait LrScheduler {
    /// Advances one epoch and sets the optimizer's learning rate.
    fn step(&mut self, opt: &mut dyn Optimizer);

    /// The learning rate set by the last step (or by construction).
    fn get_last_lr(&self) -> f64;

    /// The number of steps taken (PyTorch's `last_epoch`; 0 right after construction).
    fn last_epoch(&self) -> usize;
}

/// What every scheduler tracks: the learning rate it started from, the epoch and the last
/// learning rate it set.
#[derive(Clone, Debug)]
struct Progress {
    base_lr: f64,
    epoch: usize,
    last_lr: f64,
}

impl Progress {
    fn start(opt: &mut dyn Optimizer, first_lr: impl FnOnce(f64) -> f64) -> Progress {
        let base_lr = opt.lr();
        let lr = first_lr(base_lr);
        opt.set_lr(lr);
        Progress {
            base_lr,
            epoch: 0,
            last_lr: lr,
        }
    }

    /// Moves to the next epoch and sets `next(epoch, current lr)` as the learning rate.
    fn advance(&mut self, opt: &mut dyn Optimizer, next: impl FnOnce(usize, f64) -> f64) {
        self.epoch += 1;
        let lr = next(self.epoch, opt.lr());
        opt.set_lr(lr);
        self.last_lr = lr;
    }
}

/// The trait's accessors, from a scheduler's `progress` field.
macro_rules! progress_accessors {
    () => {
        fn get_last_lr(&self) -> f64 {
            self.progress.last_lr
        }

        fn last_epoch(&self) -> usize {
            self.progress.epoch
        }
    };
}

fn invalid(message: String) -> Error {
    Error::msg(message)
}

/// Multiplies the learning rate by `gamma` every `step_size` epochs.
///
/// ```
/// use firebrand::optim::{LrScheduler, SGD, StepLR};
/// let mut opt = SGD::new(vec![], 0.1);
/// let mut sched = StepLR::new(&mut opt, 3, 0.1);
/// for _ in 0..3 {
///     sched.step(&mut opt);
/// }
/// assert!((sched.get_last_lr() - 0.01).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
pub struct StepLR {
    step_size: usize,
    gamma: f64,
    progress: Progress,
}

impl StepLR {
    /// A step schedule over `opt`'s current learning rate (PyTorch's default gamma is 0.1).
    /// Panics when `step_size` is 0 (see [`StepLR::try_new`]).
    ///
    /// ```
    /// let mut opt = firebrand::optim::SGD::new(vec![], 0.1);
    /// let sched = firebrand::optim::StepLR::new(&mut opt, 10, 0.1);
    /// ```
    #[track_caller]
    pub fn new(opt: &mut dyn Optimizer, step_size: usize, gamma: f64) -> StepLR {
        or_panic(StepLR::try_new(opt, step_size, gamma))
    }

    /// [`StepLR::new`] returning an error when `step_size` is 0.
    ///
    /// ```
    /// let mut opt = firebrand::optim::SGD::new(vec![], 0.1);
    /// assert!(firebrand::optim::StepLR::try_new(&mut opt, 0, 0.1).is_err());
    /// ```
    pub fn try_new(opt: &mut dyn Optimizer, step_size: usize, gamma: f64) -> Result<StepLR> {
        if step_size == 0 {
            return Err(invalid(
                "StepLR: step_size must be at least 1, got 0".to_string(),
            ));
        }
        let progress = Progress::start(opt, |lr| lr);
        Ok(StepLR {
            step_size,
            gamma,
            progress,
        })
    }
}

impl LrScheduler for StepLR {
    fn step(&mut self, opt: &mut dyn Optimizer) {
        let (size, gamma) = (self.step_size, self.gamma);
        self.progress.advance(
            opt,
            |epoch, lr| {
                if epoch % size == 0 { lr * gamma } else { lr }
            },
        );
    }

    progress_accessors!();
}

/// Multiplies the learning rate by `gamma` at each milestone epoch (a milestone listed
/// twice multiplies by `gamma` twice).
///
/// ```
/// use firebrand::optim::{LrScheduler, MultiStepLR, SGD};
/// let mut opt = SGD::new(vec![], 1.0);
/// let mut sched = MultiStepLR::new(&mut opt, &[1, 3], 0.5);
/// let lrs: Vec<f64> = (0..4).map(|_| { sched.step(&mut opt); sched.get_last_lr() }).collect();
/// assert_eq!(lrs, vec![0.5, 0.5, 0.25, 0.25]);
/// ```
#[derive(Clone, Debug)]
pub struct MultiStepLR {
    milestones: Vec<usize>,
    gamma: f64,
    progress: Progress,
}

impl MultiStepLR {
    /// A milestone schedule over `opt`'s current learning rate.
    ///
    /// ```
    /// let mut opt = firebrand::optim::SGD::new(vec![], 0.1);
    /// let sched = firebrand::optim::MultiStepLR::new(&mut opt, &[30, 80], 0.1);
    /// ```
    pub fn new(opt: &mut dyn Optimizer, milestones: &[usize], gamma: f64) -> MultiStepLR {
        let progress = Progress::start(opt, |lr| lr);
        MultiStepLR {
            milestones: milestones.to_vec(),
            gamma,
            progress,
        }
    }
}

impl LrScheduler for MultiStepLR {
    fn step(&mut self, opt: &mut dyn Optimizer) {
        let (milestones, gamma) = (&self.milestones, self.gamma);
        self.progress.advance(opt, |epoch, lr| {
            let hits = milestones.iter().filter(|&&m| m == epoch).count();
            if hits == 0 {
                lr
            } else {
                lr * gamma.powf(hits as f64)
            }
        });
    }

    progress_accessors!();
}

/// Multiplies the learning rate by `gamma` every epoch.
///
/// ```
/// use firebrand::optim::{ExponentialLR, LrScheduler, SGD};
/// let mut opt = SGD::new(vec![], 1.0);
/// let mut sched = ExponentialLR::new(&mut opt, 0.5);
/// sched.step(&mut opt);
/// sched.step(&mut opt);
/// assert_eq!(sched.get_last_lr(), 0.25);
/// ```
#[derive(Clone, Debug)]
pub struct ExponentialLR {
    gamma: f64,
    progress: Progress,
}

impl ExponentialLR {
    /// An exponential decay of `opt`'s current learning rate.
    ///
    /// ```
    /// let mut opt = firebrand::optim::SGD::new(vec![], 0.1);
    /// let sched = firebrand::optim::ExponentialLR::new(&mut opt, 0.95);
    /// ```
    pub fn new(opt: &mut dyn Optimizer, gamma: f64) -> ExponentialLR {
        let progress = Progress::start(opt, |lr| lr);
        ExponentialLR { gamma, progress }
    }
}

impl LrScheduler for ExponentialLR {
    fn step(&mut self, opt: &mut dyn Optimizer) {
        let gamma = self.gamma;
        self.progress.advance(opt, |_, lr| lr * gamma);
    }

    progress_accessors!();
}

/// Anneals the learning rate from its initial value to `eta_min` along a half cosine over
/// `t_max` epochs (and back up over the next `t_max`, as PyTorch's recursive form does):
/// `eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / t_max)) / 2`.
///
/// ```
/// use firebrand::optim::{CosineAnnealingLR, LrScheduler, SGD};
/// let mut opt = SGD::new(vec![], 1.0);
/// let mut sched = CosineAnnealingLR::new(&mut opt, 4, 0.0);
/// sched.step(&mut opt);
/// sched.step(&mut opt);
/// assert!((sched.get_last_lr() - 0.5).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
pub struct CosineAnnealingLR {
    t_max: usize,
    eta_min: f64,
    progress: Progress,
}

impl CosineAnnealingLR {
    /// A cosine schedule from `opt`'s current learning rate down to `eta_min` (PyTorch's
    /// default 0) in `t_max` epochs. Panics when `t_max` is 0 (see
    /// [`CosineAnnealingLR::try_new`]).
    ///
    /// ```
    /// let mut opt = firebrand::optim::SGD::new(vec![], 0.1);
    /// let sched = firebrand::optim::CosineAnnealingLR::new(&mut opt, 100, 0.0);
    /// ```
    #[track_caller]
    pub fn new(opt: &mut dyn Optimizer, t_max: usize, eta_min: f64) -> CosineAnnealingLR {
        or_panic(CosineAnnealingLR::try_new(opt, t_max, eta_min))
    }

    /// [`CosineAnnealingLR::new`] returning an error when `t_max` is 0.
    ///
    /// ```
    /// let mut opt = firebrand::optim::SGD::new(vec![], 0.1);
    /// assert!(firebrand::optim::CosineAnnealingLR::try_new(&mut opt, 0, 0.0).is_err());
    /// ```
    pub fn try_new(
        opt: &mut dyn Optimizer,
        t_max: usize,
        eta_min: f64,
    ) -> Result<CosineAnnealingLR> {
        if t_max == 0 {
            return Err(invalid(
                "CosineAnnealingLR: t_max must be at least 1, got 0".to_string(),
            ));
        }
        let progress = Progress::start(opt, |lr| lr);
        Ok(CosineAnnealingLR {
            t_max,
            eta_min,
            progress,
        })
    }
}

impl LrScheduler for CosineAnnealingLR {
    fn step(&mut self, opt: &mut dyn Optimizer) {
        let (t_max, eta_min, base) = (self.t_max as f64, self.eta_min, self.progress.base_lr);
        let period = 2 * self.t_max as i64;
        self.progress.advance(opt, |epoch, lr| {
            let e = epoch as f64;
            if (epoch as i64 - 1 - self.t_max as i64).rem_euclid(period) == 0 {
                lr + (base - eta_min) * (1.0 - (PI / t_max).cos()) / 2.0
            } else {
                (1.0 + (PI * e / t_max).cos()) / (1.0 + (PI * (e - 1.0) / t_max).cos())
                    * (lr - eta_min)
                    + eta_min
            }
        });
    }

    progress_accessors!();
}

/// Scales the learning rate by a factor going linearly from `start_factor` to `end_factor`
/// over `total_iters` epochs (a warm-up, with PyTorch's defaults 1/3, 1 and 5).
///
/// ```
/// use firebrand::optim::{LinearLR, LrScheduler, SGD};
/// let mut opt = SGD::new(vec![], 1.0);
/// let mut sched = LinearLR::new(&mut opt, 0.5, 1.0, 2);
/// assert_eq!(sched.get_last_lr(), 0.5);
/// sched.step(&mut opt);
/// assert_eq!(sched.get_last_lr(), 0.75);
/// sched.step(&mut opt);
/// assert!((sched.get_last_lr() - 1.0).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
pub struct LinearLR {
    start_factor: f64,
    end_factor: f64,
    total_iters: usize,
    progress: Progress,
}

impl LinearLR {
    /// A linear ramp of `opt`'s learning rate. Panics unless `0 < start_factor <= 1`,
    /// `0 <= end_factor <= 1` and `total_iters >= 1` (see [`LinearLR::try_new`]).
    ///
    /// ```
    /// let mut opt = firebrand::optim::SGD::new(vec![], 0.1);
    /// let sched = firebrand::optim::LinearLR::new(&mut opt, 1.0 / 3.0, 1.0, 5);
    /// ```
    #[track_caller]
    pub fn new(
        opt: &mut dyn Optimizer,
        start_factor: f64,
        end_factor: f64,
        total_iters: usize,
    ) -> LinearLR {
        or_panic(LinearLR::try_new(
            opt,
            start_factor,
            end_factor,
            total_iters,
        ))
    }

    /// [`LinearLR::new`] returning an error for factors out of range or `total_iters` 0.
    ///
    /// ```
    /// let mut opt = firebrand::optim::SGD::new(vec![], 0.1);
    /// assert!(firebrand::optim::LinearLR::try_new(&mut opt, 0.0, 1.0, 5).is_err());
    /// ```
    pub fn try_new(
        opt: &mut dyn Optimizer,
        start_factor: f64,
        end_factor: f64,
        total_iters: usize,
    ) -> Result<LinearLR> {
        if !(start_factor > 0.0 && start_factor <= 1.0) {
            return Err(invalid(format!(
                "LinearLR: start_factor must be in (0, 1], got {start_factor}"
            )));
        }
        if !(0.0..=1.0).contains(&end_factor) {
            return Err(invalid(format!(
                "LinearLR: end_factor must be in [0, 1], got {end_factor}"
            )));
        }
        if total_iters == 0 {
            return Err(invalid(
                "LinearLR: total_iters must be at least 1, got 0".to_string(),
            ));
        }
        let progress = Progress::start(opt, |lr| lr * start_factor);
        Ok(LinearLR {
            start_factor,
            end_factor,
            total_iters,
            progress,
        })
    }
}

impl LrScheduler for LinearLR {
    fn step(&mut self, opt: &mut dyn Optimizer) {
        let (start, end, total) = (self.start_factor, self.end_factor, self.total_iters);
        self.progress.advance(opt, |epoch, lr| {
            if epoch > total {
                return lr;
            }
            let ramp = total as f64 * start + (epoch as f64 - 1.0) * (end - start);
            lr * (1.0 + (end - start) / ramp)
        });
    }

    progress_accessors!();
}

/// How [`OneCycleLR`] moves between its phase end points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anneal {
    /// Half a cosine (PyTorch's default `"cos"`).
    Cos,
    /// A straight line (`"linear"`).
    Linear,
}

impl Anneal {
    fn between(self, start: f64, end: f64, pct: f64) -> f64 {
        match self {
            Anneal::Cos => end + (start - end) / 2.0 * ((PI * pct).cos() + 1.0),
            Anneal::Linear => (end - start) * pct + start,
        }
    }
}

/// The options of [`OneCycleLR`], with PyTorch's defaults from [`Default`].
///
/// ```
/// let o = firebrand::optim::OneCycleOptions { pct_start: 0.25, ..Default::default() };
/// assert_eq!(o.div_factor, 25.0);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct OneCycleOptions {
    /// The fraction of the steps spent raising the learning rate (0.3).
    pub pct_start: f64,
    /// The shape of each phase ([`Anneal::Cos`]).
    pub anneal_strategy: Anneal,
    /// Whether the momentum (Adam's beta1) cycles inversely to the learning rate (true).
    pub cycle_momentum: bool,
    /// The lowest momentum (0.85).
    pub base_momentum: f64,
    /// The highest momentum (0.95).
    pub max_momentum: f64,
    /// The initial learning rate is `max_lr / div_factor` (25).
    pub div_factor: f64,
    /// The final learning rate is the initial one `/ final_div_factor` (1e4).
    pub final_div_factor: f64,
    /// Three phases (up, down to the initial rate, then down to the minimum) instead of two
    /// (false).
    pub three_phase: bool,
}

impl Default for OneCycleOptions {
    fn default() -> Self {
        OneCycleOptions {
            pct_start: 0.3,
            anneal_strategy: Anneal::Cos,
            cycle_momentum: true,
            base_momentum: 0.85,
            max_momentum: 0.95,
            div_factor: 25.0,
            final_div_factor: 1e4,
            three_phase: false,
        }
    }
}

/// One phase of the cycle: it ends at `end_step` and moves from the first learning rate
/// (momentum) to the second.
#[derive(Clone, Copy, Debug)]
struct Phase {
    end_step: f64,
    lr: (f64, f64),
    momentum: (f64, f64),
}

/// The 1cycle policy: the learning rate rises from `max_lr / div_factor` to `max_lr`, then
/// falls far below the start, over `total_steps` steps (one per batch); the momentum moves
/// the opposite way. Stepping past `total_steps` panics, as in PyTorch.
///
/// ```
/// use firebrand::optim::{LrScheduler, OneCycleLR, SGD};
/// let mut opt = SGD::new(vec![], 0.1);
/// let mut sched = OneCycleLR::new(&mut opt, 1.0, 10);
/// assert!((sched.get_last_lr() - 0.04).abs() < 1e-12);
/// for _ in 0..2 {
///     sched.step(&mut opt); // the peak is at step 0.3 * 10 - 1 = 2
/// }
/// assert!((sched.get_last_lr() - 1.0).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
pub struct OneCycleLR {
    total_steps: usize,
    phases: Vec<Phase>,
    options: OneCycleOptions,
    progress: Progress,
}

impl OneCycleLR {
    /// A 1cycle schedule peaking at `max_lr`, over `total_steps` steps, with the default
    /// [`OneCycleOptions`]. Panics as [`OneCycleLR::try_with_options`] errs.
    ///
    /// ```
    /// let mut opt = firebrand::optim::AdamW::new(vec![], 1e-3);
    /// let sched = firebrand::optim::OneCycleLR::new(&mut opt, 1e-2, 1000);
    /// ```
    #[track_caller]
    pub fn new(opt: &mut dyn Optimizer, max_lr: f64, total_steps: usize) -> OneCycleLR {
        OneCycleLR::with_options(opt, max_lr, total_steps, OneCycleOptions::default())
    }

    /// A 1cycle schedule with the given options.
    ///
    /// ```
    /// use firebrand::optim::{OneCycleLR, OneCycleOptions, SGD};
    /// let mut opt = SGD::new(vec![], 0.1).momentum(0.9);
    /// let options = OneCycleOptions { three_phase: true, ..Default::default() };
    /// let sched = OneCycleLR::with_options(&mut opt, 0.5, 100, options);
    /// ```
    #[track_caller]
    pub fn with_options(
        opt: &mut dyn Optimizer,
        max_lr: f64,
        total_steps: usize,
        options: OneCycleOptions,
    ) -> OneCycleLR {
        or_panic(OneCycleLR::try_with_options(
            opt,
            max_lr,
            total_steps,
            options,
        ))
    }

    /// [`OneCycleLR::with_options`] returning an error when `total_steps` is 0, `pct_start`
    /// is outside [0, 1], or momentum cycling is asked of an optimizer without momentum.
    ///
    /// ```
    /// use firebrand::optim::{Adagrad, OneCycleLR, OneCycleOptions};
    /// let mut opt = Adagrad::new(vec![], 0.1);
    /// assert!(OneCycleLR::try_with_options(&mut opt, 1.0, 10, OneCycleOptions::default()).is_err());
    /// ```
    pub fn try_with_options(
        opt: &mut dyn Optimizer,
        max_lr: f64,
        total_steps: usize,
        options: OneCycleOptions,
    ) -> Result<OneCycleLR> {
        check_one_cycle(opt, total_steps, &options)?;
        let phases = one_cycle_phases(max_lr, total_steps, &options);
        if options.cycle_momentum {
            opt.set_momentum(options.max_momentum);
        }
        let mut sched = OneCycleLR {
            total_steps,
            phases,
            options,
            progress: Progress {
                base_lr: max_lr / options.div_factor,
                epoch: 0,
                last_lr: 0.0,
            },
        };
        let lr = sched.apply(opt, 0);
        sched.progress.last_lr = lr;
        Ok(sched)
    }

    /// Sets the learning rate (and momentum) of step `step` and returns the learning rate.
    fn apply(&self, opt: &mut dyn Optimizer, step: usize) -> f64 {
        let step = step as f64;
        let mut start_step = 0.0;
        let last = self.phases.len() - 1;
        for (i, phase) in self.phases.iter().enumerate() {
            if step <= phase.end_step || i == last {
                let pct = (step - start_step) / (phase.end_step - start_step);
                let anneal = self.options.anneal_strategy;
                let lr = anneal.between(phase.lr.0, phase.lr.1, pct);
                if self.options.cycle_momentum {
                    opt.set_momentum(anneal.between(phase.momentum.0, phase.momentum.1, pct));
                }
                opt.set_lr(lr);
                return lr;
            }
            start_step = phase.end_step;
        }
        unreachable!("the last phase always matches")
    }
}

fn check_one_cycle(
    opt: &dyn Optimizer,
    total_steps: usize,
    options: &OneCycleOptions,
) -> Result<()> {
    if total_steps == 0 {
        return Err(invalid(
            "OneCycleLR: total_steps must be at least 1, got 0".to_string(),
        ));
    }
    if !(0.0..=1.0).contains(&options.pct_start) {
        return Err(invalid(format!(
            "OneCycleLR: pct_start must be between 0 and 1, got {}",
            options.pct_start
        )));
    }
    if options.cycle_momentum && opt.current_momentum().is_none() {
        return Err(invalid(
            "OneCycleLR: the optimizer has no momentum (or beta1) to cycle; set \
             cycle_momentum: false in OneCycleOptions"
                .to_string(),
        ));
    }
    Ok(())
}

/// PyTorch's `_schedule_phases` with the learning rates and momenta filled in.
fn one_cycle_phases(max_lr: f64, total_steps: usize, o: &OneCycleOptions) -> Vec<Phase> {
    let initial_lr = max_lr / o.div_factor;
    let min_lr = initial_lr / o.final_div_factor;
    let (base_m, max_m) = (o.base_momentum, o.max_momentum);
    let total = total_steps as f64;
    let up_end = o.pct_start * total - 1.0;
    if o.three_phase {
        vec![
            Phase {
                end_step: up_end,
                lr: (initial_lr, max_lr),
                momentum: (max_m, base_m),
            },
            Phase {
                end_step: 2.0 * o.pct_start * total - 2.0,
                lr: (max_lr, initial_lr),
                momentum: (base_m, max_m),
            },
            Phase {
                end_step: total - 1.0,
                lr: (initial_lr, min_lr),
                momentum: (max_m, max_m),
            },
        ]
    } else {
        vec![
            Phase {
                end_step: up_end,
                lr: (initial_lr, max_lr),
                momentum: (max_m, base_m),
            },
            Phase {
                end_step: total - 1.0,
                lr: (max_lr, min_lr),
                momentum: (base_m, max_m),
            },
        ]
    }
}

impl LrScheduler for OneCycleLR {
    #[track_caller]
    fn step(&mut self, opt: &mut dyn Optimizer) {
        let next = self.progress.epoch + 1;
        assert!(
            next <= self.total_steps,
            "OneCycleLR: tried to step {next} times, but total_steps is {}; make the schedule \
             as long as the training run",
            self.total_steps
        );
        self.progress.epoch = next;
        self.progress.last_lr = self.apply(opt, next);
    }

    progress_accessors!();
}
