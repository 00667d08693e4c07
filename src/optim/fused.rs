//! The fused, single-pass updates of SGD and Adam: where a parameter, its gradient and its
//! state buffers are contiguous f32 or f64 tensors of one shape, each in its own buffer, one
//! kernel ([`crate::backend::cpu::optim`]) reads them once and writes the parameter and the
//! buffers in place, with the same per-element arithmetic as the composed formulas (which
//! still serve every other case: half precision, strided or shared buffers).

use crate::backend::cpu::optim::{self as kernels, AdamBuffers, AdamHyper, OptimFloat, SgdHyper};
use crate::dtype::DType;
use crate::storage::{Storage, StorageElement};
use crate::tensor::Tensor;

/// True when the fused kernels can update `param` alongside `others`: f32 or f64, all
/// contiguous, of one dtype and shape, and no two sharing a buffer (each is locked once).
pub(crate) fn fusable(param: &Tensor, others: &[&Tensor]) -> bool {
    let fits =
        |t: &Tensor| t.dtype() == param.dtype() && t.shape() == param.shape() && t.is_contiguous();
    let all: Vec<&Tensor> = std::iter::once(param)
        .chain(others.iter().copied())
        .collect();
    let distinct = all
        .iter()
        .enumerate()
        .all(|(i, a)| all[i + 1..].iter().all(|b| !a.shares_storage(b)));
    matches!(param.dtype(), DType::F32 | DType::F64) && all.iter().all(|t| fits(t)) && distinct
}

/// The elements of the contiguous `t` in its storage.
fn elements<'a, F: StorageElement>(storage: &'a Storage, t: &Tensor) -> &'a [F] {
    &storage.cpu().typed::<F>()[t.layout().offset()..][..t.numel()]
}

/// The elements of the contiguous `t` in its storage, to write.
fn elements_mut<'a, F: StorageElement>(storage: &'a mut Storage, t: &Tensor) -> &'a mut [F] {
    &mut storage.cpu_mut().typed_mut::<F>()[t.layout().offset()..][..t.numel()]
}

/// One SGD step on `param` in place (and on `momentum_buffer` when given); false, with
/// nothing written, when the tensors do not fit the fused kernel ([`fusable`]).
pub(crate) fn sgd_(
    param: &Tensor,
    grad: &Tensor,
    momentum_buffer: Option<&Tensor>,
    h: &SgdHyper,
) -> bool {
    let others: Vec<&Tensor> = std::iter::once(grad).chain(momentum_buffer).collect();
    if !fusable(param, &others) {
        return false;
    }
    match param.dtype() {
        DType::F32 => sgd_typed::<f32>(param, grad, momentum_buffer, h),
        DType::F64 => sgd_typed::<f64>(param, grad, momentum_buffer, h),
        other => unreachable!("fused SGD of {other}: refused by fusable"),
    }
    true
}

fn sgd_typed<F: OptimFloat>(
    param: &Tensor,
    grad: &Tensor,
    momentum_buffer: Option<&Tensor>,
    h: &SgdHyper,
) {
    let grad_guard = grad.storage_cell().read();
    let mut param_guard = param.storage_cell().write();
    let mut buf_guard = momentum_buffer.map(|b| (b.storage_cell().write(), b));
    let buf = buf_guard
        .as_mut()
        .map(|(guard, b)| elements_mut::<F>(guard, b));
    kernels::sgd_step(
        elements_mut::<F>(&mut param_guard, param),
        elements::<F>(&grad_guard, grad),
        buf,
        h,
    );
}

/// Adam's state tensors of one parameter.
pub(crate) struct AdamState<'a> {
    pub(crate) exp_avg: &'a Tensor,
    pub(crate) exp_avg_sq: &'a Tensor,
    pub(crate) max_exp_avg_sq: Option<&'a Tensor>,
}

/// One Adam (or AdamW) step on `param` and its state in place; false, with nothing
/// written, when the tensors do not fit the fused kernel ([`fusable`]).
pub(crate) fn adam_(param: &Tensor, grad: &Tensor, state: &AdamState, h: &AdamHyper) -> bool {
    let others: Vec<&Tensor> = [Some(grad), Some(state.exp_avg), Some(state.exp_avg_sq)]
        .into_iter()
        .chain([state.max_exp_avg_sq])
        .flatten()
        .collect();
    if !fusable(param, &others) {
        return false;
    }
    match param.dtype() {
        DType::F32 => adam_typed::<f32>(param, grad, state, h),
        DType::F64 => adam_typed::<f64>(param, grad, state, h),
        other => unreachable!("fused Adam of {other}: refused by fusable"),
    }
    true
}

fn adam_typed<F: OptimFloat>(param: &Tensor, grad: &Tensor, state: &AdamState, h: &AdamHyper) {
    let grad_guard = grad.storage_cell().read();
    let mut param_guard = param.storage_cell().write();
    let mut m_guard = state.exp_avg.storage_cell().write();
    let mut v_guard = state.exp_avg_sq.storage_cell().write();
    let mut max_guard = state.max_exp_avg_sq.map(|t| (t.storage_cell().write(), t));
    let buffers = AdamBuffers {
        exp_avg: elements_mut::<F>(&mut m_guard, state.exp_avg),
        exp_avg_sq: elements_mut::<F>(&mut v_guard, state.exp_avg_sq),
        max_exp_avg_sq: max_guard
            .as_mut()
            .map(|(guard, t)| elements_mut::<F>(guard, t)),
    };
    kernels::adam_step(
        elements_mut::<F>(&mut param_guard, param),
        elements::<F>(&grad_guard, grad),
        buffers,
        h,
    );
}
