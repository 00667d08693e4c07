//! CPU kernels: strided walking, elementwise maps, copies, reductions.

pub(crate) mod conv;
pub(crate) mod conv_direct;
pub(crate) mod elementwise;
pub(crate) mod index;
pub(crate) mod math;
pub(crate) mod matmul;
pub(crate) mod optim;
pub(crate) mod pool;
pub(crate) mod reduce;
pub(crate) mod rows;
pub(crate) mod strided;
pub(crate) mod threads;

use crate::storage::StorageElement;
use crate::tensor::Tensor;
use half::{bf16, f16};
use std::mem::MaybeUninit;

/// A place a kernel writes one value into: a plain element (a scratch buffer that is reused)
/// or one not yet initialised (an output written without zeroing it first).
pub(crate) trait Slot<T> {
    fn put(&mut self, value: T);
}

impl<T> Slot<T> for MaybeUninit<T> {
    #[inline(always)]
    fn put(&mut self, value: T) {
        self.write(value);
    }
}

macro_rules! plain_slot {
    ($($t:ty),*) => {$(
        impl Slot<$t> for $t {
            #[inline(always)]
            fn put(&mut self, value: $t) {
                *self = value;
            }
        }
    )*};
}
plain_slot!(f16, bf16, f32, f64);

/// Writes `values` into `slots`, one each, in order.
#[inline(always)]
pub(crate) fn put_all<T, S: Slot<T>>(slots: &mut [S], values: impl Iterator<Item = T>) {
    for (slot, value) in slots.iter_mut().zip(values) {
        slot.put(value);
    }
}

/// Runs `f` on the elements of the contiguous CPU tensor `t` (its own span of the buffer,
/// read-locked for the call): the one place a row or plane kernel's input slice is cut.
pub(crate) fn contiguous_data<T: StorageElement, R>(t: &Tensor, f: impl FnOnce(&[T]) -> R) -> R {
    assert!(
        t.is_contiguous(),
        "internal: contiguous_data of a strided view"
    );
    let guard = t.storage_cell().read();
    let start = t.layout().offset();
    f(&guard.cpu().typed::<T>()[start..start + t.numel()])
}

/// A new contiguous tensor holding `f` of each element of `x` (a CPU tensor of element `T`).
pub(crate) fn map<T, U>(x: &Tensor, f: impl Fn(T) -> U + Sync + Send) -> Tensor
where
    T: StorageElement,
    U: StorageElement,
{
    let guard = x.storage_cell().read();
    let out = elementwise::unary_map(guard.cpu().typed::<T>(), x.layout(), f);
    Tensor::from_cpu(U::into_storage(out), x.shape())
}

/// A new contiguous tensor holding `f(a, b)` elementwise; `a` and `b` have one shape (views
/// already broadcast).
pub(crate) fn zip<A, B, U>(a: &Tensor, b: &Tensor, f: impl Fn(A, B) -> U + Sync + Send) -> Tensor
where
    A: StorageElement,
    B: StorageElement,
    U: StorageElement,
{
    let ga = a.storage_cell().read();
    let same = a.shares_storage(b);
    let gb = (!same).then(|| b.storage_cell().read());
    let sb = gb.as_deref().unwrap_or(&*ga);
    let out = elementwise::binary_map(
        ga.cpu().typed::<A>(),
        a.layout(),
        sb.cpu().typed::<B>(),
        b.layout(),
        f,
    );
    Tensor::from_cpu(U::into_storage(out), a.shape())
}

/// `f(c, a, b)` elementwise over three tensors of one shape.
pub(crate) fn zip3<C, A, B, U>(
    c: &Tensor,
    a: &Tensor,
    b: &Tensor,
    f: impl Fn(C, A, B) -> U + Sync + Send,
) -> Tensor
where
    C: StorageElement,
    A: StorageElement,
    B: StorageElement,
    U: StorageElement,
{
    // One thread must not take two read guards on one lock (a waiting writer would deadlock
    // it), so operands sharing a buffer are copied first.
    let own = |t: &Tensor, others: &[&Tensor]| {
        if others.iter().any(|o| o.shares_storage(t)) {
            crate::autograd::no_grad(|| t.contiguous_copy())
        } else {
            t.clone()
        }
    };
    let a = own(a, &[c]);
    let b = own(b, &[c, &a]);
    let (gc, ga, gb) = (
        c.storage_cell().read(),
        a.storage_cell().read(),
        b.storage_cell().read(),
    );
    let out = elementwise::ternary_map(
        (gc.cpu().typed::<C>(), c.layout()),
        (ga.cpu().typed::<A>(), a.layout()),
        (gb.cpu().typed::<B>(), b.layout()),
        f,
    );
    Tensor::from_cpu(U::into_storage(out), c.shape())
}

/// In place: `dst[i] = f(dst[i], src[i])`, `src` already broadcast to `dst`'s shape. When the
/// two share a buffer, `src` is copied first so the write never reads half-updated data.
pub(crate) fn update<T, S>(dst: &Tensor, src: &Tensor, f: impl Fn(T, S) -> T + Sync + Send)
where
    T: StorageElement,
    S: StorageElement,
{
    let src = if dst.shares_storage(src) {
        crate::autograd::no_grad(|| src.contiguous_copy())
    } else {
        src.clone()
    };
    let gs = src.storage_cell().read();
    let mut gd = dst.storage_cell().write();
    elementwise::update_strided(
        gd.cpu_mut().typed_mut::<T>(),
        dst.layout(),
        gs.cpu().typed::<S>(),
        src.layout(),
        f,
    );
}
