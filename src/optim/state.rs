//! Per-parameter optimizer state, and its form as named tensors for checkpoints.

use crate::error::{Error, Result};
use crate::tensor::Tensor;
use crate::{DType, no_grad};

/// An optimizer's state as named tensors, ready to be saved (with safetensors, say) and
/// loaded back with [`Optimizer::load_state_dict`](super::Optimizer::load_state_dict).
///
/// Names follow PyTorch's `state_dict()` layout, flattened: `"state.<i>.<buffer>"` for the
/// buffers of parameter `i` (`"state.0.exp_avg"`, `"state.0.step"`) and
/// `"param_groups.0.<name>"` for the hyper-parameters (0-d f64 tensors; booleans as 0 or 1),
/// with `"param_groups.0.params"` the parameter indices.
///
/// ```
/// use firebrand::optim::{Adam, Optimizer};
/// let p = firebrand::tensor!([1.0, 2.0]).requires_grad_(true);
/// let mut opt = Adam::new(vec![p.clone()], 0.1);
/// p.set_grad(Some(firebrand::tensor!([0.5, -0.5])));
/// opt.step();
/// let state = opt.state_dict();
/// assert_eq!(state.get("state.0.step").unwrap().item::<f64>(), 1.0);
/// assert_eq!(state.get("state.0.exp_avg").unwrap().shape(), &[2]);
/// assert_eq!(state.get("param_groups.0.lr").unwrap().item::<f64>(), 0.1);
/// ```
#[derive(Clone, Debug, Default)]
pub struct OptimizerState {
    tensors: Vec<(String, Tensor)>,
}

impl OptimizerState {
    /// A state from named tensors (for instance as read back from a file).
    ///
    /// ```
    /// let s = firebrand::optim::OptimizerState::new(vec![]);
    /// assert!(s.is_empty());
    /// ```
    pub fn new(tensors: Vec<(String, Tensor)>) -> OptimizerState {
        OptimizerState { tensors }
    }

    /// The named tensors, in a stable order.
    ///
    /// ```
    /// use firebrand::optim::{Optimizer, SGD};
    /// let opt = SGD::new(vec![firebrand::tensor!([1.0]).requires_grad_(true)], 0.1);
    /// assert!(opt.state_dict().tensors().iter().any(|(n, _)| n == "param_groups.0.lr"));
    /// ```
    pub fn tensors(&self) -> &[(String, Tensor)] {
        &self.tensors
    }

    /// The named tensors, taken out.
    ///
    /// ```
    /// use firebrand::optim::{Optimizer, SGD};
    /// let opt = SGD::new(vec![firebrand::tensor!([1.0]).requires_grad_(true)], 0.1);
    /// let named = opt.state_dict().into_tensors();
    /// assert!(!named.is_empty());
    /// ```
    pub fn into_tensors(self) -> Vec<(String, Tensor)> {
        self.tensors
    }

    /// The tensor of the given name.
    ///
    /// ```
    /// use firebrand::optim::{Optimizer, SGD};
    /// let opt = SGD::new(vec![firebrand::tensor!([1.0]).requires_grad_(true)], 0.1).momentum(0.9);
    /// assert_eq!(opt.state_dict().get("param_groups.0.momentum").unwrap().item::<f64>(), 0.9);
    /// ```
    pub fn get(&self, name: &str) -> Option<&Tensor> {
        self.tensors.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }

    /// The number of named tensors.
    ///
    /// ```
    /// assert_eq!(firebrand::optim::OptimizerState::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    /// True when there are no tensors.
    ///
    /// ```
    /// assert!(firebrand::optim::OptimizerState::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }
}

impl From<Vec<(String, Tensor)>> for OptimizerState {
    fn from(tensors: Vec<(String, Tensor)>) -> Self {
        OptimizerState::new(tensors)
    }
}

/// One optimizer step under `no_grad`: `update(param, grad, slot)` for every parameter that has
/// a gradient, its slot made by `new_slot` at its first step (parameters without a gradient
/// are skipped, as PyTorch does).
pub(crate) fn step_each(
    params: &[Tensor],
    slots: &mut [Option<Slot>],
    new_slot: impl Fn(&Tensor) -> Slot,
    mut update: impl FnMut(&Tensor, Tensor, &mut Slot),
) {
    no_grad(|| {
        for (param, slot) in params.iter().zip(slots) {
            if let Some(grad) = param.grad() {
                update(param, grad, slot.get_or_insert_with(|| new_slot(param)));
            }
        }
    })
}

/// The state of one parameter: its step count and named buffers (momentum, moments, ...).
#[derive(Clone)]
pub(crate) struct Slot {
    pub(crate) step: f64,
    buffers: Vec<(&'static str, Tensor)>,
}

impl Slot {
    /// Step 0 and each named buffer filled with `value`, shaped like `param`.
    pub(crate) fn filled(param: &Tensor, names: &[&'static str], value: f64) -> Slot {
        let buffers = names
            .iter()
            .map(|&n| (n, Tensor::full_like(param, value)))
            .collect();
        Slot { step: 0.0, buffers }
    }

    /// Step 0 and one buffer holding `value`.
    pub(crate) fn with(name: &'static str, value: Tensor) -> Slot {
        Slot {
            step: 0.0,
            buffers: vec![(name, value)],
        }
    }

    pub(crate) fn get(&self, name: &str) -> &Tensor {
        let found = self.buffers.iter().find(|(n, _)| *n == name);
        &found
            .unwrap_or_else(|| panic!("optimizer state has no buffer {name}"))
            .1
    }

    pub(crate) fn set(&mut self, name: &'static str, value: Tensor) {
        match self.buffers.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = value,
            None => self.buffers.push((name, value)),
        }
    }
}

/// An optimizer's hyper-parameters, and how its state is laid out.
pub(crate) trait Config: Clone {
    /// The optimizer's name, for messages.
    const OPTIMIZER: &'static str;
    /// Whether each parameter keeps a step count.
    const WITH_STEP: bool;
    /// The hyper-parameters by name, in a fixed order (booleans as 0 or 1).
    fn hyper(&self) -> Vec<(&'static str, f64)>;
    /// Takes the hyper-parameters back, in the order of [`Config::hyper`].
    fn set_hyper(&mut self, values: &[f64]);
    /// The buffers every parameter with state keeps under these options.
    fn buffers(&self) -> Vec<&'static str>;
}

/// A snapshot of an optimizer with options `config` and per-parameter `slots`.
pub(crate) fn save_state<C: Config>(config: &C, slots: &[Option<Slot>]) -> OptimizerState {
    save(C::WITH_STEP, &config.hyper(), slots)
}

/// The options and slots stored in `state`, checked against `config`'s kind and `params`;
/// the caller commits them only when both are read without error.
pub(crate) fn load_state<C: Config>(
    config: &C,
    params: &[Tensor],
    state: &OptimizerState,
) -> Result<(C, Vec<Option<Slot>>)> {
    let names: Vec<&'static str> = config.hyper().iter().map(|(n, _)| *n).collect();
    let values = load_hyper(C::OPTIMIZER, &names, params.len(), state)?;
    let mut loaded = config.clone();
    loaded.set_hyper(&values);
    let slots = load_slots(C::OPTIMIZER, C::WITH_STEP, params, &loaded.buffers(), state)?;
    Ok((loaded, slots))
}

fn scalar(value: f64) -> Tensor {
    Tensor::scalar(value)
}

fn snapshot(t: &Tensor) -> Tensor {
    no_grad(|| t.detach().contiguous_copy())
}

/// The named tensors of `slots` (one per parameter) and the hyper-parameters.
fn save(with_step: bool, hyper: &[(&'static str, f64)], slots: &[Option<Slot>]) -> OptimizerState {
    let mut tensors = Vec::new();
    for (i, slot) in slots.iter().enumerate() {
        let Some(slot) = slot else { continue };
        if with_step {
            tensors.push((format!("state.{i}.step"), scalar(slot.step)));
        }
        for (name, t) in &slot.buffers {
            tensors.push((format!("state.{i}.{name}"), snapshot(t)));
        }
    }
    for (name, value) in hyper {
        tensors.push((format!("param_groups.0.{name}"), scalar(*value)));
    }
    let indices: Vec<i64> = (0..slots.len() as i64).collect();
    let count = indices.len();
    tensors.push((
        "param_groups.0.params".into(),
        Tensor::from_vec(indices, [count]),
    ));
    OptimizerState::new(tensors)
}

fn one_number(optimizer: &str, name: &str, t: &Tensor) -> Result<f64> {
    if t.numel() != 1 || !(t.dtype().is_float() || t.dtype().is_int() || t.dtype() == DType::Bool) {
        return Err(Error::msg(format!(
            "{optimizer}.load_state_dict: {name} must hold one number, but has shape {:?} \
             and dtype {}",
            t.shape(),
            t.dtype()
        )));
    }
    Ok(t.item::<f64>())
}

/// The hyper-parameters `names`, in that order, read from `state`; checks the
/// parameter count and that no unknown group entry is present.
fn load_hyper(
    opt: &str,
    names: &[&str],
    n_params: usize,
    state: &OptimizerState,
) -> Result<Vec<f64>> {
    let count = state.get("param_groups.0.params").ok_or_else(|| {
        Error::msg(format!(
            "{opt}.load_state_dict: the state has no param_groups.0.params entry; pass a \
             state made by Optimizer::state_dict"
        ))
    })?;
    if count.numel() != n_params {
        return Err(Error::msg(format!(
            "{opt}.load_state_dict: the state is for {} parameters but this optimizer has \
             {n_params}; build the optimizer over the same parameters",
            count.numel()
        )));
    }
    for (name, _) in state.tensors() {
        if let Some(key) = name.strip_prefix("param_groups.0.")
            && key != "params"
            && !names.contains(&key)
        {
            return Err(Error::msg(format!(
                "{opt}.load_state_dict: unknown hyper-parameter {name}; was the state saved \
                 by a different kind of optimizer?"
            )));
        }
    }
    names
        .iter()
        .map(|name| {
            let key = format!("param_groups.0.{name}");
            let t = state.get(&key).ok_or_else(|| {
                Error::msg(format!(
                    "{opt}.load_state_dict: the state lacks {key}; was it saved by a \
                     different kind of optimizer?"
                ))
            })?;
            one_number(opt, &key, t)
        })
        .collect()
}

/// Splits `"state.<i>.<name>"` into its index and name.
fn parse_state_key(key: &str) -> Option<(usize, &str)> {
    let rest = key.strip_prefix("state.")?;
    let (index, name) = rest.split_once('.')?;
    Some((index.parse().ok()?, name))
}

/// The per-parameter slots stored in `state`, checked against `params` (count, shapes) and
/// the `buffers` every saved parameter must have; buffers are copied to each parameter's
/// dtype and device.
fn load_slots(
    opt: &str,
    with_step: bool,
    params: &[Tensor],
    buffers: &[&'static str],
    state: &OptimizerState,
) -> Result<Vec<Option<Slot>>> {
    let mut slots: Vec<Option<Slot>> = vec![None; params.len()];
    for (key, t) in state.tensors() {
        if key.starts_with("param_groups.0.") {
            continue;
        }
        let (i, name) = parse_state_key(key)
            .ok_or_else(|| Error::msg(format!("{opt}.load_state_dict: unexpected entry {key}")))?;
        let param = params.get(i).ok_or_else(|| {
            Error::msg(format!(
                "{opt}.load_state_dict: {key} refers to parameter {i}, but there are only {}",
                params.len()
            ))
        })?;
        let slot = slots[i].get_or_insert(Slot {
            step: f64::NAN,
            buffers: Vec::new(),
        });
        if name == "step" && with_step {
            slot.step = one_number(opt, key, t)?;
            continue;
        }
        let Some(&name) = buffers.iter().find(|b| **b == name) else {
            return Err(Error::msg(format!(
                "{opt}.load_state_dict: unexpected state entry {key} (expected buffers {buffers:?}); \
                 was it saved with different options?"
            )));
        };
        if t.shape() != param.shape() {
            return Err(Error::msg(format!(
                "{opt}.load_state_dict: {key} has shape {:?} but parameter {i} has shape {:?}",
                t.shape(),
                param.shape()
            )));
        }
        let copy = no_grad(|| t.to_dtype(param.dtype()).to_device(&param.device()))?;
        slot.set(name, snapshot(&copy));
    }
    for (i, slot) in slots.iter_mut().enumerate() {
        let Some(slot) = slot else { continue };
        if !with_step {
            slot.step = 0.0;
        }
        if slot.step.is_nan() {
            return Err(Error::msg(format!(
                "{opt}.load_state_dict: state.{i}.step is missing"
            )));
        }
        if let Some(missing) = buffers
            .iter()
            .find(|b| !slot.buffers.iter().any(|(n, _)| n == *b))
        {
            return Err(Error::msg(format!(
                "{opt}.load_state_dict: state.{i}.{missing} is missing; was the state saved \
                 with different options?"
            )));
        }
    }
    Ok(slots)
}
