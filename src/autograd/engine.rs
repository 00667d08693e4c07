//! The backward engine: Kahn's topological order over the nodes reachable from the roots,
//! gradients summed per node before it runs, no recursion.

use super::mode::{NoGradGuard, set_grad_enabled};
use super::{BackwardCtx, Edge, Hook, Node, edge_of};
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use rustc_hash::FxHashMap as HashMap;
use smallvec::SmallVec;
use std::sync::Arc;

/// Identity of a graph vertex: the address of a node or of a leaf tensor.
fn key(edge: &Edge) -> usize {
    match edge {
        Edge::Leaf(t) => Arc::as_ptr(&t.0) as usize,
        Edge::Node(n) => Arc::as_ptr(n) as usize,
    }
}

/// Restores the caller's grad mode when the engine returns or unwinds.
struct ModeRestore(bool);
impl Drop for ModeRestore {
    fn drop(&mut self) {
        set_grad_enabled(self.0);
    }
}

/// Where the engine sends the gradients that reach leaves (and captured non-leaves).
enum Sink<'a> {
    /// `backward()`: accumulate into every leaf's `.grad`.
    Accumulate,
    /// `autograd::grad`: collect the gradients of these inputs only.
    Capture {
        keys: &'a [Option<usize>],
        found: Vec<Option<Tensor>>,
    },
}

/// Runs backward from `roots` (each with the gradient of its output).
fn run(roots: Vec<(Tensor, Tensor)>, sink: &mut Sink, create_graph: bool) -> Result<()> {
    let _restore = ModeRestore(set_grad_enabled(create_graph));
    let mut root_edges = Vec::new();
    for (t, g) in roots {
        let edge = edge_of(&t).ok_or_else(|| {
            Error::msg(
                "backward: element 0 of tensors does not require grad and does not have a \
                 grad_fn; call requires_grad_(true) on an input before computing it",
            )
        })?;
        root_edges.push((edge, g));
    }
    let mut deps = count_dependencies(root_edges.iter().map(|(e, _)| e.clone()));
    let mut buffers: HashMap<usize, Tensor> = HashMap::default();
    buffers.reserve(deps.len());
    let mut ready: Vec<Edge> = Vec::new();
    for (edge, g) in root_edges {
        let k = key(&edge);
        let is_new = !buffers.contains_key(&k);
        add_to(&mut buffers, k, g);
        if is_new && deps.get(&k) == Some(&0) {
            ready.push(edge);
        }
    }
    while let Some(edge) = ready.pop() {
        let grad = buffers.remove(&key(&edge));
        match edge {
            Edge::Leaf(t) => {
                if let Some(g) = grad {
                    deliver_to_leaf(&t, g, sink, create_graph);
                }
            }
            Edge::Node(node) => {
                let grads = match grad {
                    Some(g) => run_node(&node, g, sink, create_graph)?,
                    None => vec![None; node.edges.len()],
                };
                for (child, g) in node.edges.iter().zip(grads) {
                    let Some(child) = child else { continue };
                    let k = key(child);
                    if let Some(g) = g {
                        add_to(&mut buffers, k, g);
                    }
                    let d = deps.get_mut(&k).expect("every child was counted");
                    *d -= 1;
                    if *d == 0 {
                        ready.push(child.clone());
                    }
                }
            }
        }
    }
    Ok(())
}

/// For every vertex reachable from the roots, how many edges point at it.
fn count_dependencies(roots: impl Iterator<Item = Edge>) -> HashMap<usize, usize> {
    let mut deps = HashMap::default();
    let mut stack = Vec::new();
    for e in roots {
        if deps.insert(key(&e), 0).is_none() {
            stack.push(e);
        }
    }
    while let Some(e) = stack.pop() {
        let Edge::Node(n) = e else { continue };
        for child in n.edges.iter().flatten() {
            let entry = deps.entry(key(child)).or_insert(0);
            *entry += 1;
            if *entry == 1 {
                stack.push(child.clone());
            }
        }
    }
    deps
}

fn add_to(buffers: &mut HashMap<usize, Tensor>, k: usize, g: Tensor) {
    let sum = match buffers.remove(&k) {
        Some(prev) => prev.add(&g),
        None => g,
    };
    buffers.insert(k, sum);
}

fn apply_hooks(hooks: Vec<Hook>, g: Tensor) -> Tensor {
    hooks.iter().fold(g, |g, h| h(&g).unwrap_or(g))
}

fn cloned_hooks(hooks: &[Hook]) -> Vec<Hook> {
    hooks.to_vec()
}

/// Runs one node: its hooks, retain_grad, capture, version checks, then its backward function.
fn run_node(
    node: &Arc<Node>,
    grad: Tensor,
    sink: &mut Sink,
    create_graph: bool,
) -> Result<Vec<Option<Tensor>>> {
    let hooks = cloned_hooks(&node.hooks.lock().unwrap_or_else(|e| e.into_inner()));
    let grad = apply_hooks(hooks, grad);
    let retained = node
        .retained
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .and_then(|w| w.upgrade());
    if let (Some(t), Sink::Accumulate) = (retained, &*sink) {
        accumulate(&Tensor(t), &grad, create_graph);
    }
    if let Sink::Capture { keys, found } = sink {
        let k = Arc::as_ptr(node) as usize;
        for (i, want) in keys.iter().enumerate() {
            if *want == Some(k) {
                found[i] = Some(add_opt(found[i].take(), &grad));
            }
        }
    }
    check_versions(node)?;
    let needs: SmallVec<[bool; 4]> = node.edges.iter().map(Option::is_some).collect();
    let output = node.output.as_ref().map(|o| {
        if create_graph {
            reattach(o, node)
        } else {
            o.clone()
        }
    });
    let ctx = BackwardCtx {
        grad: &grad,
        output,
        needs: &needs,
    };
    let backward = node
        .backward
        .as_ref()
        .expect("a live node has its function");
    let grads = backward(&ctx);
    debug_assert_eq!(grads.len(), node.edges.len(), "{}", node.name);
    Ok(grads)
}

/// A handle on a saved output that is part of the graph again (for grad of grad).
fn reattach(output: &Tensor, node: &Arc<Node>) -> Tensor {
    let t = output.with_layout(output.layout().clone());
    t.meta().grad_fn = Some(node.clone());
    t.set_tracks_grad(true);
    t
}

fn check_versions(node: &Node) -> Result<()> {
    for saved in &node.saved_versions {
        if let Err(now) = saved.check() {
            return Err(Error::msg(format!(
                "one of the variables needed for gradient computation has been modified by an \
                 inplace operation: [{}], saved by {}, is at version {now}; expected version \
                 {} instead. Hint: clone() the tensor before changing it in place, or \
                 change it out of place",
                saved.describe(),
                node.name,
                saved.version()
            )));
        }
    }
    Ok(())
}

fn add_opt(prev: Option<Tensor>, g: &Tensor) -> Tensor {
    match prev {
        Some(p) => p.add(g),
        None => g.clone(),
    }
}

fn deliver_to_leaf(t: &Tensor, g: Tensor, sink: &mut Sink, create_graph: bool) {
    let hooks = cloned_hooks(&t.meta().hooks);
    let g = apply_hooks(hooks, g);
    match sink {
        Sink::Accumulate => accumulate(t, &g, create_graph),
        Sink::Capture { keys, found } => {
            let k = Arc::as_ptr(&t.0) as usize;
            for (i, want) in keys.iter().enumerate() {
                if *want == Some(k) {
                    found[i] = Some(add_opt(found[i].take(), &g));
                }
            }
        }
    }
}

/// Adds `g` into `t.grad`, never writing into a gradient tensor in place (it may be shared).
fn accumulate(t: &Tensor, g: &Tensor, create_graph: bool) {
    let g = if create_graph { g.clone() } else { g.detach() };
    let previous = t.meta().grad.take();
    let sum = match previous {
        Some(p) => p.add(&g),
        None if Arc::strong_count(g.storage_cell()) > 1 || !g.is_contiguous() => {
            let _ng = (!create_graph).then(NoGradGuard::new);
            g.contiguous_copy()
        }
        None => g,
    };
    t.meta().grad = Some(sum);
}

/// Backward from one root: accumulates into the `.grad` of every leaf that requires grad.
pub(crate) fn backward(root: &Tensor, grad: Tensor, create_graph: bool) -> Result<()> {
    run(
        vec![(root.clone(), grad)],
        &mut Sink::Accumulate,
        create_graph,
    )
}

/// Computes and returns the gradients of `outputs` with respect to `inputs`, without touching
/// any `.grad`. `grad_outputs` defaults to ones for one-element outputs. With `create_graph`,
/// the results are part of the graph, so they can be differentiated again.
///
/// Returns `None` for an input that the outputs do not depend on.
///
/// ```
/// use firebrand::{autograd, DType, Tensor};
/// let x = Tensor::from_vec(vec![3.0f64], [1]).requires_grad_(true);
/// let y = (&x * &x * &x).sum(); // x^3
/// let dy = autograd::grad(&[&y], &[&x], None, true)[0].clone().unwrap(); // 3x^2 = 27
/// let d2y = autograd::grad(&[&dy.sum()], &[&x], None, false)[0].clone().unwrap(); // 6x = 18
/// assert_eq!(dy.to_vec::<f64>(), vec![27.0]);
/// assert_eq!(d2y.to_vec::<f64>(), vec![18.0]);
/// ```
#[track_caller]
pub fn grad(
    outputs: &[&Tensor],
    inputs: &[&Tensor],
    grad_outputs: Option<&[&Tensor]>,
    create_graph: bool,
) -> Vec<Option<Tensor>> {
    crate::error::or_panic(try_grad(outputs, inputs, grad_outputs, create_graph))
}

/// [`grad`] returning an error instead of panicking.
///
/// ```
/// use firebrand::{autograd, tensor};
/// let x = tensor!([1.0, 2.0]);
/// assert!(autograd::try_grad(&[&x.sum()], &[&x], None, false).is_err());
/// ```
pub fn try_grad(
    outputs: &[&Tensor],
    inputs: &[&Tensor],
    grad_outputs: Option<&[&Tensor]>,
    create_graph: bool,
) -> Result<Vec<Option<Tensor>>> {
    let mut roots = Vec::with_capacity(outputs.len());
    for (i, out) in outputs.iter().enumerate() {
        let g = match grad_outputs {
            Some(gs) => gs[i].clone(),
            None => implicit_grad("grad", out)?,
        };
        roots.push(((*out).clone(), g));
    }
    let keys: Vec<Option<usize>> = inputs
        .iter()
        .map(|t| {
            edge_of(t).map(|e| match e {
                Edge::Leaf(l) => Arc::as_ptr(&l.0) as usize,
                Edge::Node(n) => Arc::as_ptr(&n) as usize,
            })
        })
        .collect();
    if let Some(i) = keys.iter().position(Option::is_none) {
        return Err(Error::msg(format!(
            "grad: input {i} does not require grad; call requires_grad_(true) on it before \
             computing the outputs"
        )));
    }
    let mut sink = Sink::Capture {
        keys: &keys,
        found: vec![None; inputs.len()],
    };
    run(roots, &mut sink, create_graph)?;
    let Sink::Capture { found, .. } = sink else {
        unreachable!()
    };
    Ok(found)
}

/// The gradient `backward()` starts from: ones for a one-element output, an error otherwise.
pub(crate) fn implicit_grad(op: &str, out: &Tensor) -> Result<Tensor> {
    if out.numel() != 1 {
        return Err(Error::msg(format!(
            "{op}: grad can be implicitly created only for scalar outputs, but the output has \
             shape {:?}; use backward_with(&grad_output) with a gradient of that shape",
            out.shape()
        )));
    }
    Ok(Tensor::ones_like(out))
}
