//! Convolution and pooling kernels over contiguous `[N, C, H, W]` buffers: im2col (unfold),
//! col2im (fold), and max pooling with argmax indices. The ops in `ops/conv.rs` and
//! `ops/pool.rs` check the arguments and build the geometry; every index below stays inside
//! its buffer for a geometry they accepted (Rust's bounds checks remain as a second guard).

use crate::storage::StorageElement;
use crate::tensor::Tensor;
use rayon::prelude::*;
use std::ops::Add;

/// The sliding-window geometry of one 2-D convolution or pooling: the input planes, the
/// window, and the output size (computed by the caller, so ceil-mode pooling fits too).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Window2d {
    /// Batch size times channels: the number of planes.
    pub planes: usize,
    /// Input height and width.
    pub input: [usize; 2],
    /// Kernel height and width.
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    /// Zeros (or -inf for max pooling) added before the first row and column.
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
    /// Output height and width.
    pub output: [usize; 2],
}

impl Window2d {
    fn input_len(&self) -> usize {
        self.input[0] * self.input[1]
    }

    fn output_len(&self) -> usize {
        self.output[0] * self.output[1]
    }

    fn kernel_len(&self) -> usize {
        self.kernel[0] * self.kernel[1]
    }

    /// The input coordinate along `axis` read by output position `o` at kernel offset `k`, or
    /// None where the window reads padding.
    fn source(&self, axis: usize, o: usize, k: usize) -> Option<usize> {
        let pos = o * self.stride[axis] + k * self.dilation[axis];
        pos.checked_sub(self.padding[axis])
            .filter(|&p| p < self.input[axis])
    }
}

/// The elements of a contiguous CPU tensor (its own span of the buffer).
fn contiguous_data<T: StorageElement>(t: &Tensor, f: impl FnOnce(&[T]) -> Tensor) -> Tensor {
    debug_assert!(t.is_contiguous());
    let guard = t.storage_cell().read();
    let start = t.layout().offset();
    f(&guard.cpu().typed::<T>()[start..start + t.numel()])
}

/// im2col: `[planes, H, W]` (contiguous) to `[planes, kh * kw, oh * ow]`, zeros where a window
/// reads padding. With `planes = N * C` the result reshapes to PyTorch's unfold layout
/// `[N, C * kh * kw, L]` without a copy.
pub(crate) fn unfold<T: StorageElement>(input: &Tensor, g: &Window2d) -> Tensor {
    contiguous_data::<T>(input, |x| {
        let plane_out = g.kernel_len() * g.output_len();
        let mut out = vec![T::default(); g.planes * plane_out];
        if plane_out > 0 {
            out.par_chunks_mut(plane_out)
                .zip(x.par_chunks(g.input_len().max(1)))
                .for_each(|(cols, plane)| unfold_plane(plane, cols, g));
        }
        Tensor::from_cpu(
            T::into_storage(out),
            &[g.planes, g.kernel_len(), g.output_len()],
        )
    })
}

fn unfold_plane<T: StorageElement>(plane: &[T], cols: &mut [T], g: &Window2d) {
    let [oh, ow] = g.output;
    for ki in 0..g.kernel[0] {
        for kj in 0..g.kernel[1] {
            let row = &mut cols[(ki * g.kernel[1] + kj) * oh * ow..][..oh * ow];
            for y in 0..oh {
                let Some(iy) = g.source(0, y, ki) else {
                    continue;
                };
                let out_row = &mut row[y * ow..][..ow];
                let in_row = &plane[iy * g.input[1]..][..g.input[1]];
                for (x, v) in out_row.iter_mut().enumerate() {
                    if let Some(ix) = g.source(1, x, kj) {
                        *v = in_row[ix];
                    }
                }
            }
        }
    }
}

/// col2im: `[planes, kh * kw, oh * ow]` (contiguous) to `[planes, H, W]`, each column value
/// added to the input position it was read from (values read from padding are dropped).
/// The adjoint of [`unfold`].
pub(crate) fn fold<T: StorageElement + Add<Output = T>>(cols: &Tensor, g: &Window2d) -> Tensor {
    contiguous_data::<T>(cols, |c| {
        let plane_in = g.kernel_len() * g.output_len();
        let mut out = vec![T::default(); g.planes * g.input_len()];
        if g.input_len() > 0 {
            out.par_chunks_mut(g.input_len())
                .zip(c.par_chunks(plane_in.max(1)))
                .for_each(|(plane, cols)| fold_plane(cols, plane, g));
        }
        Tensor::from_cpu(T::into_storage(out), &[g.planes, g.input[0], g.input[1]])
    })
}

fn fold_plane<T: StorageElement + Add<Output = T>>(cols: &[T], plane: &mut [T], g: &Window2d) {
    let [oh, ow] = g.output;
    for ki in 0..g.kernel[0] {
        for kj in 0..g.kernel[1] {
            let row = &cols[(ki * g.kernel[1] + kj) * oh * ow..][..oh * ow];
            for y in 0..oh {
                let Some(iy) = g.source(0, y, ki) else {
                    continue;
                };
                let in_row = &mut plane[iy * g.input[1]..][..g.input[1]];
                for (x, &v) in row[y * ow..][..ow].iter().enumerate() {
                    if let Some(ix) = g.source(1, x, kj) {
                        in_row[ix] = in_row[ix] + v;
                    }
                }
            }
        }
    }
}

/// Max pooling: for each plane and output position, the index (into the plane's `H * W`) of
/// the window's largest value; the first among ties, and a NaN wins (as PyTorch). Windows lie
/// at least partly inside the input (the caller checks padding <= kernel / 2).
pub(crate) fn max_pool_indices<T: StorageElement>(input: &Tensor, g: &Window2d) -> Tensor {
    contiguous_data::<T>(input, |x| {
        let mut out = vec![0i64; g.planes * g.output_len()];
        if g.output_len() > 0 {
            out.par_chunks_mut(g.output_len())
                .zip(x.par_chunks(g.input_len().max(1)))
                .for_each(|(idx, plane)| max_pool_plane(plane, idx, g));
        }
        Tensor::from_cpu(
            i64::into_storage(out),
            &[g.planes, g.output[0], g.output[1]],
        )
    })
}

fn max_pool_plane<T: StorageElement>(plane: &[T], idx: &mut [i64], g: &Window2d) {
    let [oh, ow] = g.output;
    for y in 0..oh {
        for x in 0..ow {
            let mut best: Option<(usize, T)> = None;
            for ki in 0..g.kernel[0] {
                let Some(iy) = g.source(0, y, ki) else {
                    continue;
                };
                for kj in 0..g.kernel[1] {
                    let Some(ix) = g.source(1, x, kj) else {
                        continue;
                    };
                    let at = iy * g.input[1] + ix;
                    let v = plane[at];
                    let better = match best {
                        None => true,
                        Some((_, b)) => v > b || (is_nan(v) && !is_nan(b)),
                    };
                    if better {
                        best = Some((at, v));
                    }
                }
            }
            idx[y * ow + x] = best.map_or(0, |(at, _)| at as i64);
        }
    }
}

/// NaN test for any element type (only floats have NaN: it alone differs from itself).
#[allow(clippy::eq_op)]
fn is_nan<T: PartialOrd>(v: T) -> bool {
    v != v
}
