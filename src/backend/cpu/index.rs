//! Indexing kernels: gather (and index_select, a gather with a broadcast index), scatter and
//! scatter-add. Index tensors are I64 and already checked in range by the caller, so every
//! access below stays inside its buffer; Rust's bounds checks remain as a second guard.

use super::elementwise::fill_runs;
use super::strided::{PARALLEL_THRESHOLD, Walk};
use crate::dtype::Element;
use crate::layout::Layout;
use crate::shape::contiguous_strides;
use crate::storage::StorageElement;
use crate::tensor::Tensor;
use rayon::prelude::*;

/// The smallest and largest value of an I64 tensor; `None` when it is empty.
pub(crate) fn index_bounds(idx: &Tensor) -> Option<(i64, i64)> {
    if idx.numel() == 0 {
        return None;
    }
    let guard = idx.storage_cell().read();
    let data = guard.cpu().typed::<i64>();
    let walk = Walk::new([idx.layout()]);
    let [st] = walk.inner_strides();
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    walk.for_each_run(0, walk.numel(), |[o], n| {
        for i in 0..n as isize {
            let v = data[(o + i * st) as usize];
            lo = lo.min(v);
            hi = hi.max(v);
        }
    });
    Some((lo, hi))
}

/// `idx` itself, or a copy when it shares a buffer with `other` (one thread must not hold two
/// read guards on one lock: a waiting writer would deadlock it).
fn own_index(idx: &Tensor, other: &Tensor) -> Tensor {
    if idx.shares_storage(other) {
        crate::autograd::no_grad(|| idx.contiguous_copy())
    } else {
        idx.clone()
    }
}

/// `src`'s layout seen with `shape` (the index's), the stride of `dim` zeroed: the walk then
/// gives each element's storage position before the index moves it along `dim`.
fn along_index(layout: &Layout, shape: &[usize], dim: usize) -> Layout {
    let mut strides = layout.strides().to_vec();
    strides[dim] = 0;
    Layout::new(shape.to_vec(), strides, layout.offset())
}

/// `out[p] = src[p with p[dim] replaced by idx[p]]`, over the shape of `idx` (I64, every value
/// in `0..src.shape()[dim]`, other dims no larger than `src`'s).
pub(crate) fn gather<T: StorageElement>(src: &Tensor, dim: usize, idx: &Tensor) -> Tensor {
    let idx = own_index(idx, src);
    let (gs, gi) = (src.storage_cell().read(), idx.storage_cell().read());
    let out = gather_kernel(
        gs.cpu().typed::<T>(),
        src.layout(),
        dim,
        gi.cpu().typed::<i64>(),
        idx.layout(),
    );
    Tensor::from_cpu(T::into_storage(out), idx.shape())
}

fn gather_kernel<T: crate::storage::StorageElement>(
    src: &[T],
    ls: &Layout,
    dim: usize,
    idx: &[i64],
    li: &Layout,
) -> Vec<T> {
    let step = ls.strides()[dim];
    let walk = Walk::new([&along_index(ls, li.shape(), dim), li]);
    let [ss, si] = walk.inner_strides();
    let mut out = super::pool::filled(li.numel(), T::default());
    fill_runs(&walk, &mut out, |run, [os, oi]| {
        for (i, o) in run.iter_mut().enumerate() {
            let i = i as isize;
            let at = os + i * ss + idx[(oi + i * si) as usize] as isize * step;
            *o = src[at as usize];
        }
    });
    out
}

/// Entries `idx` (I64, 1-D, in range) of `dim` of `src`, in a new contiguous tensor.
pub(crate) fn index_select<T: StorageElement>(src: &Tensor, dim: usize, idx: &Tensor) -> Tensor {
    let mut shape = src.shape().to_vec();
    shape[dim] = idx.numel();
    if !src.is_contiguous() {
        let mut view = vec![1usize; shape.len()];
        view[dim] = idx.numel();
        let wide = idx.with_layout(idx.layout().reshape_view(&view).expect("a 1-D index"));
        let wide = wide.with_layout(wide.layout().broadcast_to(&shape));
        return gather::<T>(src, dim, &wide);
    }
    let idx = own_index(idx, src);
    let (gs, gi) = (src.storage_cell().read(), idx.storage_cell().read());
    let indices =
        crate::backend::cpu::elementwise::unary_map(gi.cpu().typed::<i64>(), idx.layout(), |v| v);
    let src_data = &gs.cpu().typed::<T>()[src.layout().offset()..];
    let out = select_rows(src_data, src.shape(), dim, &indices);
    Tensor::from_cpu(T::into_storage(out), &shape)
}

/// The contiguous fast path of index_select: whole rows of the dims after `dim` are copied.
fn select_rows<T: crate::storage::StorageElement>(
    src: &[T],
    shape: &[usize],
    dim: usize,
    indices: &[i64],
) -> Vec<T> {
    let inner: usize = shape[dim + 1..].iter().product();
    let outer: usize = shape[..dim].iter().product();
    let (size, k) = (shape[dim], indices.len());
    let mut out = super::pool::filled(outer * k * inner, T::default());
    if inner == 0 {
        return out;
    }
    let copy_row = |r: usize, row: &mut [T]| {
        let (o, j) = (r / k, r % k);
        let start = (o * size + indices[j] as usize) * inner;
        row.copy_from_slice(&src[start..start + inner]);
    };
    if out.len() >= PARALLEL_THRESHOLD {
        let rows_per_task = (PARALLEL_THRESHOLD / 2 / inner).max(1);
        out.par_chunks_mut(inner)
            .with_min_len(rows_per_task)
            .enumerate()
            .for_each(|(r, row)| copy_row(r, row));
    } else {
        out.chunks_mut(inner)
            .enumerate()
            .for_each(|(r, row)| copy_row(r, row));
    }
    out
}

/// A copy of `dst` with `src[p]` written (or added, when `accumulate`) at `p` with `p[dim]`
/// replaced by `idx[p]`, for every `p` in the shape of `idx` (I64, values in
/// `0..dst.shape()[dim]`, no larger than `src` in any dim, nor than `dst` off `dim`).
pub(crate) fn scatter<T: StorageElement>(
    dst: &Tensor,
    dim: usize,
    idx: &Tensor,
    src: &Tensor,
    accumulate: bool,
) -> Tensor {
    let out = crate::autograd::no_grad(|| dst.contiguous_copy());
    let idx = own_index(idx, src);
    {
        let (gs, gi) = (src.storage_cell().read(), idx.storage_cell().read());
        let mut go = out.storage_cell().write();
        let out_layout = Layout::new(dst.shape().to_vec(), contiguous_strides(dst.shape()), 0);
        scatter_kernel(
            go.cpu_mut().typed_mut::<T>(),
            &out_layout,
            dim,
            (gi.cpu().typed::<i64>(), idx.layout()),
            (gs.cpu().typed::<T>(), src.layout()),
            accumulate,
        );
    }
    out
}

fn scatter_kernel<T: Element>(
    out: &mut [T],
    lo: &Layout,
    dim: usize,
    (idx, li): (&[i64], &Layout),
    (src, ls): (&[T], &Layout),
    accumulate: bool,
) {
    let shape = li.shape();
    let step = lo.strides()[dim];
    let lo = along_index(lo, shape, dim);
    let ls = Layout::new(shape.to_vec(), ls.strides().to_vec(), ls.offset());
    let walk = Walk::new([&lo, li, &ls]);
    let [so, si, ss] = walk.inner_strides();
    walk.for_each_run(0, walk.numel(), |[oo, oi, os], n| {
        for i in 0..n as isize {
            let at = (oo + i * so + idx[(oi + i * si) as usize] as isize * step) as usize;
            let v = src[(os + i * ss) as usize];
            out[at] = if accumulate { add(out[at], v) } else { v };
        }
    });
}

/// `a + b` in the element type: wrapping for integers (as PyTorch), logical or for bool.
#[inline]
fn add<T: Element>(a: T, b: T) -> T {
    if T::DTYPE.is_float() {
        T::from_f64(a.to_f64() + b.to_f64())
    } else {
        T::from_i64(a.to_i64().wrapping_add(b.to_i64()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gather_walks_a_transposed_source() {
        // src [[0, 1, 2], [3, 4, 5]] seen transposed: [[0, 3], [1, 4], [2, 5]]
        let src: Vec<i32> = (0..6).collect();
        let ls = Layout::contiguous(&[2, 3]).transpose(0, 1);
        let li = Layout::contiguous(&[3, 1]);
        assert_eq!(gather_kernel(&src, &ls, 1, &[1, 0, 1], &li), vec![3, 1, 5]);
    }

    #[test]
    fn select_rows_copies_whole_rows() {
        let src: Vec<u8> = (0..6).collect(); // [[0, 1], [2, 3], [4, 5]]
        assert_eq!(
            select_rows(&src, &[3, 2], 0, &[2, 0, 2]),
            vec![4, 5, 0, 1, 4, 5]
        );
        assert_eq!(select_rows(&src, &[3, 2], 1, &[1]), vec![1, 3, 5]);
    }

    #[test]
    fn scatter_kernel_accumulates_repeats() {
        let mut out = vec![0i64; 3];
        let l = Layout::contiguous(&[3]);
        let li = Layout::contiguous(&[4]);
        scatter_kernel(
            &mut out,
            &l,
            0,
            (&[0, 2, 0, 0], &li),
            (&[1, 2, 3, 4], &li),
            true,
        );
        assert_eq!(out, vec![8, 0, 2]);
        assert!(add(true, true));
        assert_eq!(add(i8::MAX, 1i8), i8::MIN);
    }
}
