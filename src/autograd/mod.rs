//! Reverse-mode automatic differentiation on a graph recorded while the program runs.
//!
//! Each differentiable op, when grad mode is on and an input requires grad, gives its output a
//! [`Node`]: a backward function written with firebrand's own ops (so it runs on any device and
//! is itself differentiable), edges to its inputs, and the versions of the tensors it saved.
//! [`backward`](crate::Tensor::backward) walks the graph in topological order without recursion.

mod engine;
mod gradcheck;
mod mode;
mod tensor_api;

pub use engine::{grad, try_grad};
pub use gradcheck::{GradcheckOptions, gradcheck, gradcheck_with, gradgradcheck};
pub use mode::{EnableGradGuard, NoGradGuard, enable_grad, is_grad_enabled, no_grad};

/// The number of tensor storages alive in the whole process: a leak detector for tests (it
/// counts every thread's tensors, so compare it only where no other thread makes tensors).
///
/// ```
/// use firebrand::{autograd::live_storage_count, DType, Tensor};
/// let x = Tensor::zeros([2], DType::F32);
/// assert!(live_storage_count() >= 1);
/// drop(x);
/// ```
#[doc(hidden)]
pub fn live_storage_count() -> usize {
    crate::storage::live_storage_count()
}

use crate::dtype::DType;
use crate::storage::StorageCell;
use crate::tensor::{Tensor, TensorImpl};
use smallvec::SmallVec;
use std::sync::{Arc, Mutex, Weak};

/// A function that can read, or replace, a gradient as it flows backward.
pub(crate) type Hook = Arc<dyn Fn(&Tensor) -> Option<Tensor> + Send + Sync>;

/// The autograd state of one tensor.
#[derive(Default)]
pub(crate) struct AutogradMeta {
    pub(crate) requires_grad: bool,
    pub(crate) grad_fn: Option<Arc<Node>>,
    pub(crate) grad: Option<Tensor>,
    /// Hooks of a leaf (a non-leaf keeps its hooks on its node).
    pub(crate) hooks: Vec<Hook>,
}

/// Where a gradient goes: a leaf's `.grad`, or the node that made an input.
#[derive(Clone)]
pub(crate) enum Edge {
    Leaf(Tensor),
    Node(Arc<Node>),
}

/// What a backward function is given.
pub struct BackwardCtx<'a> {
    grad: &'a Tensor,
    output: Option<Tensor>,
    needs: &'a [bool],
}

impl BackwardCtx<'_> {
    /// The gradient of the loss with respect to this node's output.
    pub fn grad(&self) -> &Tensor {
        self.grad
    }

    /// The node's output (saved with `save_output`); part of the graph when create_graph is on.
    pub fn output(&self) -> &Tensor {
        self.output
            .as_ref()
            .expect("internal: this backward function did not save its output")
    }

    /// Whether input `i` needs a gradient (so a formula can skip work).
    pub fn needs(&self, i: usize) -> bool {
        self.needs[i]
    }
}

type BackwardFn = Box<dyn Fn(&BackwardCtx) -> Vec<Option<Tensor>> + Send + Sync>;

/// A node's edges, inline for the usual one or two inputs (no allocation of their own).
type Edges = SmallVec<[Option<Edge>; 2]>;

/// A tensor a backward function saved, as it was when saved: its buffer's version, checked
/// before the function runs, and its dtype and shape for the error message. (The message
/// is written only on error: formatting it for every recorded op was about 3% of a chain of
/// small ops.)
pub(crate) struct SavedVersion {
    cell: Arc<StorageCell>,
    version: u64,
    dtype: DType,
    shape: SmallVec<[usize; 4]>,
}

impl SavedVersion {
    fn of(t: &Tensor) -> SavedVersion {
        SavedVersion {
            cell: t.storage_cell().clone(),
            version: t.storage_cell().version(),
            dtype: t.dtype(),
            shape: SmallVec::from_slice(t.shape()),
        }
    }

    /// `Err(version now)` when the buffer was changed in place since it was saved.
    pub(crate) fn check(&self) -> std::result::Result<(), u64> {
        let now = self.cell.version();
        if now == self.version {
            Ok(())
        } else {
            Err(now)
        }
    }

    /// The version at save time.
    pub(crate) fn version(&self) -> u64 {
        self.version
    }

    /// The tensor as the error message names it, e.g. `f32 [2, 3]`.
    pub(crate) fn describe(&self) -> String {
        format!("{} {:?}", self.dtype, &self.shape[..])
    }
}

/// One recorded op in the graph (PyTorch's `grad_fn`).
pub struct Node {
    name: &'static str,
    edges: Edges,
    backward: Option<BackwardFn>,
    saved_versions: SmallVec<[SavedVersion; 2]>,
    output: Option<Tensor>,
    pub(crate) hooks: Mutex<Vec<Hook>>,
    pub(crate) retained: Mutex<Option<Weak<TensorImpl>>>,
}

impl Node {
    /// The PyTorch name of the backward function, e.g. `MulBackward0`.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// Records the op that produced `out`: inputs, saved tensors and the derivative.
///
/// ```text
/// Record::new("MulBackward0", &[a, b]).save(&[a, b]).finish(out, move |ctx| ...)
/// ```
pub(crate) struct Record<'a> {
    name: &'static str,
    inputs: &'a [&'a Tensor],
    saved: Vec<&'a Tensor>,
    save_output: bool,
}

impl<'a> Record<'a> {
    /// Starts recording an op named `name` (PyTorch's grad_fn name) over `inputs`.
    pub(crate) fn new(name: &'static str, inputs: &'a [&'a Tensor]) -> Record<'a> {
        Record {
            name,
            inputs,
            saved: Vec::new(),
            save_output: false,
        }
    }

    /// Tensors the backward closure captures: their versions are checked before it runs.
    pub(crate) fn save(mut self, tensors: &[&'a Tensor]) -> Record<'a> {
        self.saved.extend_from_slice(tensors);
        self
    }

    /// The backward function reads the op's output through `ctx.output()`.
    pub(crate) fn save_output(mut self) -> Record<'a> {
        self.save_output = true;
        self
    }

    /// True when the op must be recorded (grad mode on and an input tracks grad).
    pub(crate) fn is_needed(inputs: &[&Tensor]) -> bool {
        is_grad_enabled() && inputs.iter().any(|t| t.tracks_grad())
    }

    /// Attaches the node to `out` when recording is needed; returns `out` either way.
    pub(crate) fn finish<F>(self, out: Tensor, backward: F) -> Tensor
    where
        F: Fn(&BackwardCtx) -> Vec<Option<Tensor>> + Send + Sync + 'static,
    {
        if !Record::is_needed(self.inputs) {
            return out;
        }
        let edges = self.inputs.iter().map(|t| edge_of(t)).collect();
        let mut saved_versions: SmallVec<[SavedVersion; 2]> =
            self.saved.iter().map(|t| SavedVersion::of(t)).collect();
        let output = self.save_output.then(|| {
            saved_versions.push(SavedVersion::of(&out));
            out.detach()
        });
        let node = Arc::new(Node {
            name: self.name,
            edges,
            backward: Some(Box::new(backward)),
            saved_versions,
            output,
            hooks: Mutex::new(Vec::new()),
            retained: Mutex::new(None),
        });
        out.meta().grad_fn = Some(node);
        out.set_tracks_grad(true);
        out
    }
}

/// The edge through which a gradient reaches `t`, if it needs one.
pub(crate) fn edge_of(t: &Tensor) -> Option<Edge> {
    if !t.tracks_grad() {
        return None;
    }
    let meta = t.meta();
    match &meta.grad_fn {
        Some(node) => Some(Edge::Node(node.clone())),
        None if meta.requires_grad => Some(Edge::Leaf(t.clone())),
        None => None,
    }
}

// ----- dropping long graphs without recursion ------------------------------------------------

thread_local! {
    static DROP_QUEUE: std::cell::RefCell<Option<Vec<Arc<Node>>>> =
        const { std::cell::RefCell::new(None) };
}

impl Drop for Node {
    /// Dropping node N drops its edges, which may drop node N-1, and so on: a 100,000-op chain
    /// would overflow the stack. The first drop on a thread becomes a loop that takes over the
    /// edges of every node freed beneath it.
    fn drop(&mut self) {
        // Release the closure (and the tensors it saved) while the edges still hold the nodes
        // those tensors point to, so no node is freed from inside the closure's drop.
        self.backward = None;
        self.output = None;
        // Collected before the queue is borrowed: dropping a leaf edge here may drop a tensor
        // whose own node's drop needs the queue.
        let children: SmallVec<[Arc<Node>; 2]> = self
            .edges
            .drain(..)
            .filter_map(|e| match e {
                Some(Edge::Node(n)) => Some(n),
                _ => None,
            })
            .collect();
        // The children move into the queue (no count changes), to be dropped by its owner.
        let owner = DROP_QUEUE.with(|q| {
            let mut q = q.borrow_mut();
            match q.as_mut() {
                Some(queue) => {
                    queue.extend(children);
                    false
                }
                None => {
                    *q = Some(children.into_vec());
                    true
                }
            }
        });
        if owner {
            loop {
                let next = DROP_QUEUE.with(|q| q.borrow_mut().as_mut().and_then(|v| v.pop()));
                match next {
                    Some(node) => drop(node),
                    None => break,
                }
            }
            DROP_QUEUE.with(|q| *q.borrow_mut() = None);
        }
    }
}
