//! Convolution and pooling kernels over contiguous `[N, C, H, W]` buffers: im2col (unfold),
//! col2im (fold), and max pooling with argmax indices. The ops in `ops/conv.rs` and
//! `ops/pool.rs` check the arguments and build the geometry; every index below stays inside
//! its buffer for a geometry they accepted (Rust's bounds checks remain as a second guard).

use super::matmul::{
    MatmulElement, Read, copies_transposed_right, product_add, product_rows, transpose,
};
use super::{Slot, contiguous_data, conv_direct, put_all};
use crate::dtype::Element;
use crate::storage::StorageElement;
use crate::tensor::Tensor;
use rayon::prelude::*;
use std::mem::MaybeUninit;
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

    /// The output positions `lo..hi` along `axis` whose kernel offset `k` reads inside the
    /// input (not padding), for a stride of 1 (where they form one run).
    fn inside(&self, axis: usize, k: usize) -> (usize, usize) {
        debug_assert_eq!(self.stride[axis], 1);
        let shift = k * self.dilation[axis];
        let lo = self.padding[axis].saturating_sub(shift);
        let hi = (self.input[axis] + self.padding[axis])
            .saturating_sub(shift)
            .min(self.output[axis]);
        (lo.min(hi), hi)
    }

    /// The input coordinate along `axis` read by output position `o` at kernel offset `k`, or
    /// None where the window reads padding.
    fn source(&self, axis: usize, o: usize, k: usize) -> Option<usize> {
        let pos = o * self.stride[axis] + k * self.dilation[axis];
        pos.checked_sub(self.padding[axis])
            .filter(|&p| p < self.input[axis])
    }
}

/// im2col: `[planes, H, W]` (contiguous) to `[planes, kh * kw, oh * ow]`, zeros where a window
/// reads padding. With `planes = N * C` the result reshapes to PyTorch's unfold layout
/// `[N, C * kh * kw, L]` without a copy. The output is written once, without zeroing it first.
pub(crate) fn unfold<T: StorageElement>(input: &Tensor, g: &Window2d) -> Tensor {
    contiguous_data::<T, _>(input, |x| {
        let plane_out = g.kernel_len() * g.output_len();
        let fill = |out: &mut [MaybeUninit<T>]| {
            if g.input_len() == 0 {
                write_all(out, T::default()); // every window reads padding
            } else if plane_out > 0 {
                out.par_chunks_mut(plane_out)
                    .zip(x.par_chunks(g.input_len().max(1)))
                    .for_each(|(cols, plane)| unfold_plane(plane, cols, g));
            }
        };
        // SAFETY: every element is written: all zeros for empty input planes, else the
        // `planes` chunks of `plane_out` elements pair up with the `planes` input planes (the
        // input holds `planes * H * W` elements) and `unfold_plane` writes all of its chunk.
        let out = unsafe { super::pool::written(g.planes * plane_out, fill) };
        Tensor::from_cpu(
            T::into_storage(out),
            &[g.planes, g.kernel_len(), g.output_len()],
        )
    })
}

/// A 2-D convolution with one group of the contiguous `[N, C, H, W]` input, the weight and
/// bias given side by side as a row-major `[O, C * kh * kw + 1]` matrix (each row a filter,
/// the bias last). Returns the contiguous `[N, O, oh * ow]` output.
///
/// Each sample is unfolded into a workspace `[C * kh * kw + 1, oh * ow]` whose last row holds
/// ones, and one product writes the sample's output, bias included. The workspace is reused,
/// so the columns are still in cache when the product reads them: unfolding the whole batch
/// first and multiplying after read 75 MB of columns back from memory on
/// `conv2d_fwd_f32_b32_c64_32x32_k3` (40% of its time under perf, unfold and gemm's packing).
pub(crate) fn conv2d<T: MatmulElement + Slot<T>>(
    input: &Tensor,
    weight_bias: &[T],
    [samples, channels, out_channels]: [usize; 3],
    g: &Window2d,
) -> Tensor {
    let (len, rows) = (g.output_len(), channels * g.kernel_len() + 1);
    assert_eq!(
        weight_bias.len(),
        out_channels * rows,
        "conv2d: weight and bias"
    );
    contiguous_data::<T, _>(input, |x| {
        let sample_in = channels * g.input_len();
        let sample_out = out_channels * len;
        assert_eq!(
            x.len(),
            samples * sample_in,
            "conv2d: input of the wrong length"
        );
        let threads = rayon::current_num_threads();
        let per_task = samples.div_ceil(threads).max(1);
        let task = |first: usize, out: &mut [MaybeUninit<T>]| {
            let mut columns = super::pool::filled(rows * len, T::one());
            for (i, dst) in out.chunks_exact_mut(sample_out).enumerate() {
                let sample = &x[(first + i) * sample_in..][..sample_in];
                unfold_sample(sample, &mut columns[..(rows - 1) * len], g);
                let dims = [out_channels, rows, len];
                product_rows(dst, weight_bias, &columns, dims, samples < threads);
            }
            super::pool::recycle(T::into_storage(columns));
        };
        let fill = |out: &mut [MaybeUninit<T>]| {
            if sample_out > 0 {
                out.par_chunks_mut(per_task * sample_out)
                    .enumerate()
                    .for_each(|(t, out)| task(t * per_task, out));
            }
        };
        // SAFETY: the output holds `samples` chunks of `sample_out` elements; the tasks split
        // it into whole chunks, and each chunk is written whole by `product_rows` (`m * n`
        // elements, zeros when k is 0). With `sample_out` zero there is nothing to write.
        let out = unsafe { super::pool::written(samples * sample_out, fill) };
        Tensor::from_cpu(T::into_storage(out), &[samples, out_channels, len])
    })
}

/// [`conv2d`] of f32: the direct kernel of `conv_direct` where it applies (stride 1 on a CPU
/// with AVX-512F), else unfolding and gemm.
pub(crate) fn conv2d_f32(
    input: &Tensor,
    weight_bias: &[f32],
    dims: [usize; 3],
    g: &Window2d,
) -> Tensor {
    match conv_direct::applies(g) {
        true => conv_direct::conv2d(input, weight_bias, dims, g),
        false => conv2d(input, weight_bias, dims, g),
    }
}

/// [`conv2d_backward`] of f32: the input's gradient from the direct kernel of `conv_direct`
/// where it applies, the rest from [`conv2d_backward`].
pub(crate) fn conv2d_backward_f32(
    input: &Tensor,
    weight: &[f32],
    grad: &Tensor,
    dims: [usize; 3],
    g: &Window2d,
    [need_input, need_weight]: [bool; 2],
) -> (Option<Tensor>, Option<Tensor>) {
    let direct = need_input
        .then(|| conv_direct::input_grad(grad, weight, dims, g))
        .flatten();
    let needs = [need_input && direct.is_none(), need_weight];
    let (grad_input, grad_weight) = match needs {
        [false, false] => (None, None),
        _ => conv2d_backward(input, weight, grad, dims, g, needs),
    };
    (direct.or(grad_input), grad_weight)
}

/// The gradients of a one-group 2-D convolution (see [`conv2d`]) with respect to its input and
/// its weight, each only when asked for: `[N, C, H, W]` and `[O, C * kh * kw]`, contiguous.
///
/// `grad` is the output's gradient `[N, O, oh * ow]` and `weight` the row-major
/// `[O, C * kh * kw]` filters. Sample by sample, in a workspace `[C * kh * kw, oh * ow]` that is
/// reused (so it stays in cache): the weight's gradient accumulates `grad_s @ unfold(x_s)^T`
/// (or, for large products, its transpose `unfold(x_s) @ grad_s^T`, transposed back at the end)
/// in a matrix per task (summed at the end), and the input's gradient is
/// `fold(weight^T @ grad_s)`. The batch's columns are never stored whole, as they are when the
/// same gradients are built from the differentiable unfold, fold and matmul.
pub(crate) fn conv2d_backward<T: StorageElement + Slot<T> + Add<Output = T> + Element>(
    input: &Tensor,
    weight: &[T],
    grad: &Tensor,
    [samples, channels, out_channels]: [usize; 3],
    g: &Window2d,
    [need_input, need_weight]: [bool; 2],
) -> (Option<Tensor>, Option<Tensor>) {
    let (len, rows) = (g.output_len(), channels * g.kernel_len());
    assert_eq!(weight.len(), out_channels * rows, "conv2d backward: weight");
    let sample_in = channels * g.input_len();
    let threads = rayon::current_num_threads();
    let per_task = samples.div_ceil(threads).max(1);
    let tasks = samples.div_ceil(per_task);
    let products = |x: &[T], dy: &[T]| {
        assert_eq!(x.len(), samples * sample_in, "conv2d backward: input");
        assert_eq!(
            dy.len(),
            samples * out_channels * len,
            "conv2d backward: grad"
        );
        let mut grad_input = need_input.then(|| super::pool::filled(x.len(), T::default()));
        let parts: Vec<Option<&mut [T]>> = match grad_input.as_mut() {
            Some(gx) => gx.chunks_mut(per_task * sample_in).map(Some).collect(),
            None => (0..tasks).map(|_| None).collect(),
        };
        let sample = SampleGrads {
            weight,
            g,
            dims: [out_channels, rows, len],
            sample_in,
            need_weight,
            transposed_weight_grad: copies_transposed_right([out_channels, len, rows]),
            threaded: samples < threads,
        };
        let grad_weight = parts
            .into_par_iter()
            .enumerate()
            .map(|(t, part)| {
                let first = t * per_task;
                let count = per_task.min(samples - first);
                let x = &x[first * sample_in..][..count * sample_in];
                let dy = &dy[first * out_channels * len..][..count * out_channels * len];
                sample.task(x, dy, part)
            })
            .reduce_with(|a, b| Some(add_matrices(a?, b?)))
            .flatten()
            .map(|gw| match sample.transposed_weight_grad {
                true => transpose(&gw, [rows, out_channels]),
                false => gw,
            })
            .or_else(|| need_weight.then(|| vec![T::default(); out_channels * rows]));
        (grad_input, grad_weight)
    };
    let (gx, gw) = match input.shares_storage(grad) {
        false => contiguous_data(input, |x| contiguous_data(grad, |dy| products(x, dy))),
        true => {
            let x = contiguous_data(input, <[T]>::to_vec);
            contiguous_data(grad, |dy| products(&x, dy))
        }
    };
    let gx = gx.map(|gx| {
        let shape = [samples, channels, g.input[0], g.input[1]];
        Tensor::from_cpu(T::into_storage(gx), &shape)
    });
    let gw = gw.map(|gw| Tensor::from_cpu(T::into_storage(gw), &[out_channels, rows]));
    (gx, gw)
}

/// What every task of [`conv2d_backward`] shares: the filters, the window, the product sizes
/// `[O, C * kh * kw, oh * ow]`, and whether gemm may use its own threads (fewer samples than
/// threads).
struct SampleGrads<'a, T> {
    weight: &'a [T],
    g: &'a Window2d,
    dims: [usize; 3],
    sample_in: usize,
    need_weight: bool,
    /// Whether the weight's gradient is accumulated transposed (see [`SampleGrads::task`]).
    transposed_weight_grad: bool,
    threaded: bool,
}

impl<T: StorageElement + Slot<T> + Add<Output = T> + Element> SampleGrads<'_, T> {
    /// The weight's gradient of one sample (`grad_s @ unfold(x_s)^T`, or its transpose when
    /// `transposed_weight_grad`) written into `gw`, or added to it when `accumulate`.
    fn add_weight_grad(&self, gw: &mut [T], columns: &[T], dy: &[T], accumulate: bool) {
        let [o, rows, len] = self.dims;
        let ([a, b], dims) = match self.transposed_weight_grad {
            // `unfold(x_s) @ dy_s^T` ([C * kh * kw, O]): gemm reads the small `dy_s` transposed
            // instead of copying the whole columns row-major each sample.
            true => ([Read::AsIs(columns), Read::Transposed(dy)], [rows, len, o]),
            false => ([Read::AsIs(dy), Read::Transposed(columns)], [o, len, rows]),
        };
        product_add(gw, a, b, dims, accumulate, self.threaded);
    }

    /// The gradients of a run of samples `x` (`[count, C, H, W]`) with output gradients `dy`:
    /// the input's written into `grad_input` (zeros on entry) when given, and the weight's
    /// summed over the run and returned when asked for: `[O, C * kh * kw]`, or its transpose
    /// when `transposed_weight_grad` (where gemm would copy `grad_s @ unfold(x_s)^T`'s
    /// transposed columns, a large operand, every sample).
    fn task(&self, x: &[T], dy: &[T], mut grad_input: Option<&mut [T]>) -> Option<Vec<T>> {
        let [o, rows, len] = self.dims;
        let mut columns = super::pool::filled(rows * len, T::default());
        let mut grad_weight = self
            .need_weight
            .then(|| super::pool::filled(o * rows, T::default()));
        let samples = x
            .chunks_exact(self.sample_in.max(1))
            .zip(dy.chunks_exact((o * len).max(1)));
        for (i, (x, dy)) in samples.enumerate() {
            if let Some(gw) = grad_weight.as_mut() {
                unfold_sample(x, &mut columns, self.g);
                self.add_weight_grad(gw, &columns, dy, i > 0);
            }
            if let Some(gx) = grad_input.as_deref_mut() {
                let (a, b) = (Read::Transposed(self.weight), Read::AsIs(dy));
                product_add(&mut columns, a, b, [rows, o, len], false, self.threaded);
                let gx = &mut gx[i * self.sample_in..][..self.sample_in];
                fold_sample(&columns, gx, self.g);
            }
        }
        super::pool::recycle(T::into_storage(columns));
        grad_weight
    }
}

/// `a + b`, element by element, in `a`'s buffer.
fn add_matrices<T: Copy + Add<Output = T>>(mut a: Vec<T>, b: Vec<T>) -> Vec<T> {
    a.iter_mut().zip(&b).for_each(|(x, &y)| *x = *x + y);
    a
}

/// col2im of one sample: `columns` (`[C * kh * kw, oh * ow]`) added into `grad` (`[C, H, W]`).
fn fold_sample<T: StorageElement + Add<Output = T>>(columns: &[T], grad: &mut [T], g: &Window2d) {
    let plane_cols = g.kernel_len() * g.output_len();
    if g.input_len() == 0 || plane_cols == 0 {
        return;
    }
    for (cols, plane) in columns
        .chunks_exact(plane_cols)
        .zip(grad.chunks_exact_mut(g.input_len()))
    {
        fold_plane(cols, plane, g);
    }
}

/// im2col of one sample `[C, H, W]` into `columns` (`[C * kh * kw, oh * ow]`).
fn unfold_sample<T: StorageElement + Slot<T>>(sample: &[T], columns: &mut [T], g: &Window2d) {
    if g.input_len() == 0 {
        write_all(columns, T::default()); // every window reads padding
        return;
    }
    let plane_out = g.kernel_len() * g.output_len();
    for (cols, plane) in columns
        .chunks_exact_mut(plane_out)
        .zip(sample.chunks_exact(g.input_len()))
    {
        unfold_plane(plane, cols, g);
    }
}

/// Writes every element of one plane's `[kh * kw, oh * ow]` columns: each output row gets,
/// for every position, the input element its window reads or zero where it reads padding.
fn unfold_plane<T: StorageElement, S: Slot<T>>(plane: &[T], cols: &mut [S], g: &Window2d) {
    let [oh, ow] = g.output;
    for ki in 0..g.kernel[0] {
        for kj in 0..g.kernel[1] {
            let row = &mut cols[(ki * g.kernel[1] + kj) * oh * ow..][..oh * ow];
            for (y, out_row) in row.chunks_exact_mut(ow.max(1)).enumerate() {
                match g.source(0, y, ki) {
                    Some(iy) => unfold_row(&plane[iy * g.input[1]..][..g.input[1]], out_row, g, kj),
                    None => write_all(out_row, T::default()),
                }
            }
        }
    }
}

/// One output row of im2col at kernel column `kj`, read from input row `in_row`.
fn unfold_row<T: StorageElement, S: Slot<T>>(
    in_row: &[T],
    out_row: &mut [S],
    g: &Window2d,
    kj: usize,
) {
    if g.stride[1] == 1 {
        // The columns inside the input form one run: zeros, the run copied whole, zeros.
        let (lo, hi) = g.inside(1, kj);
        write_all(&mut out_row[..lo], T::default());
        if lo < hi {
            let first = g.source(1, lo, kj).expect("inside() is inside");
            put_all(
                &mut out_row[lo..hi],
                in_row[first..first + hi - lo].iter().copied(),
            );
        }
        write_all(&mut out_row[hi.max(lo)..], T::default());
        return;
    }
    for (x, d) in out_row.iter_mut().enumerate() {
        d.put(g.source(1, x, kj).map_or(T::default(), |ix| in_row[ix]));
    }
}

/// Writes `value` into every element of `dst`.
fn write_all<T: Copy, S: Slot<T>>(dst: &mut [S], value: T) {
    for d in dst {
        d.put(value);
    }
}

/// col2im: `[planes, kh * kw, oh * ow]` (contiguous) to `[planes, H, W]`, each column value
/// added to the input position it was read from (values read from padding are dropped).
/// The adjoint of [`unfold`].
pub(crate) fn fold<T: StorageElement + Add<Output = T>>(cols: &Tensor, g: &Window2d) -> Tensor {
    contiguous_data::<T, _>(cols, |c| {
        let plane_in = g.kernel_len() * g.output_len();
        let mut out = super::pool::filled(g.planes * g.input_len(), T::default());
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
                if g.stride[1] == 1 {
                    let (lo, hi) = g.inside(1, kj);
                    if lo < hi {
                        let first = g.source(1, lo, kj).expect("inside() is inside");
                        let src = &row[y * ow + lo..y * ow + hi];
                        let dst = &mut in_row[first..first + hi - lo];
                        dst.iter_mut().zip(src).for_each(|(d, &v)| *d = *d + v);
                    }
                    continue;
                }
                for (x, &v) in row[y * ow..][..ow].iter().enumerate() {
                    if let Some(ix) = g.source(1, x, kj) {
                        in_row[ix] = in_row[ix] + v;
                    }
                }
            }
        }
    }
}

/// Max pooling: for each plane and output position, the window's largest value and, when
/// `with_indices`, its index into the plane's `H * W`; the first among ties, and a NaN wins (as
/// PyTorch). Windows lie at least partly inside the input (the caller checks padding <=
/// kernel / 2). Returns `(values, indices)`, both `[planes, oh, ow]`.
pub(crate) fn max_pool<T: StorageElement>(
    input: &Tensor,
    g: &Window2d,
    with_indices: bool,
) -> (Tensor, Option<Tensor>) {
    contiguous_data::<T, _>(input, |x| {
        let n_out = g.planes * g.output_len();
        let mut values = super::pool::filled(n_out, T::default());
        let mut indices = with_indices.then(|| super::pool::filled(n_out, 0i64));
        if g.output_len() > 0 {
            let taps = (!g.reads_inside_only()).then(|| WindowTaps::new(g));
            let pool_plane = |plane: &[T], v: &mut [T], i: Option<&mut [i64]>| match &taps {
                None => max_pool_plane_inside(plane, v, i, g),
                Some(taps) => max_pool_plane(plane, v, i, taps, g),
            };
            // Tasks of a few planes each: a plane alone is too little work for a thread.
            let min_planes = (MAX_POOL_TASK / g.input_len().max(1)).max(1);
            let planes = x.par_chunks(g.input_len().max(1)).with_min_len(min_planes);
            let out = values.par_chunks_mut(g.output_len());
            match indices.as_mut() {
                Some(indices) => out
                    .zip(indices.par_chunks_mut(g.output_len()))
                    .zip(planes)
                    .for_each(|((v, i), plane)| pool_plane(plane, v, Some(i))),
                None => out
                    .zip(planes)
                    .for_each(|(v, plane)| pool_plane(plane, v, None)),
            }
        }
        let shape = [g.planes, g.output[0], g.output[1]];
        (
            Tensor::from_cpu(T::into_storage(values), &shape),
            indices.map(|i| Tensor::from_cpu(i64::into_storage(i), &shape)),
        )
    })
}

/// Input elements per max-pooling task (whole planes are grouped up to about this many).
const MAX_POOL_TASK: usize = 1 << 14;

impl Window2d {
    /// True when no window reads padding or past the input's end (no padding, and the last
    /// window of each axis ends inside), so every tap of every window is a valid index.
    fn reads_inside_only(&self) -> bool {
        (0..2).all(|a| {
            self.padding[a] == 0
                && (self.output[a] - 1) * self.stride[a] + (self.kernel[a] - 1) * self.dilation[a]
                    < self.input[a]
        })
    }
}

/// True when `v` replaces `best` as a window's maximum: larger, or the first NaN (comparisons
/// with NaN are false, so a NaN best is never replaced).
#[inline(always)]
fn beats<T: PartialOrd + Copy>(v: T, best: T) -> bool {
    v > best || (is_nan(v) && !is_nan(best))
}

/// The larger of `best` and `v` by [`beats`] (`best` on ties), written as a select so that
/// loops of it vectorise.
#[inline(always)]
fn pick<T: PartialOrd + Copy>(best: T, v: T) -> T {
    if beats(v, best) { v } else { best }
}

/// Max pooling of one plane whose windows all lie inside it (see
/// [`Window2d::reads_inside_only`]): each output row is built tap by tap over whole rows,
/// in the windows' row-major order, so the first maximum wins as in [`max_pool_plane`].
fn max_pool_plane_inside<T: StorageElement>(
    plane: &[T],
    values: &mut [T],
    mut indices: Option<&mut [i64]>,
    g: &Window2d,
) {
    let (w, [oh, ow]) = (g.input[1], g.output);
    let rows = |y: usize, ki: usize| (y * g.stride[0] + ki * g.dilation[0]) * w;
    for y in 0..oh {
        let out = &mut values[y * ow..][..ow];
        let idx = indices.as_deref_mut().map(|i| &mut i[y * ow..][..ow]);
        if g.kernel == [2, 2] && g.stride == [2, 2] && g.dilation == [1, 1] {
            let (top, bottom) = (rows(y, 0), rows(y, 1));
            max_pool_row_2x2(&plane[top..][..w], &plane[bottom..][..w], out, idx, top);
            continue;
        }
        match idx {
            Some(idx) => {
                for ki in 0..g.kernel[0] {
                    let start = rows(y, ki);
                    let row = &plane[start..][..w];
                    for kj in 0..g.kernel[1] {
                        let first = kj * g.dilation[1];
                        for (x, (o, i)) in out.iter_mut().zip(idx.iter_mut()).enumerate() {
                            let at = first + x * g.stride[1];
                            if (ki, kj) == (0, 0) || beats(row[at], *o) {
                                (*o, *i) = (row[at], (start + at) as i64);
                            }
                        }
                    }
                }
            }
            None => {
                for ki in 0..g.kernel[0] {
                    let row = &plane[rows(y, ki)..][..w];
                    for kj in 0..g.kernel[1] {
                        let first = kj * g.dilation[1];
                        let taps = row[first..].iter().step_by(g.stride[1]);
                        if (ki, kj) == (0, 0) {
                            out.iter_mut().zip(taps).for_each(|(o, &v)| *o = v);
                        } else {
                            out.iter_mut()
                                .zip(taps)
                                .for_each(|(o, &v)| *o = pick(*o, v));
                        }
                    }
                }
            }
        }
    }
}

/// One output row of 2x2, stride 2 pooling from input rows `top` and `bottom` (the first
/// starting at plane index `start`): the common case, in one pass per row.
#[inline(always)]
fn max_pool_row_2x2<T: StorageElement>(
    top: &[T],
    bottom: &[T],
    out: &mut [T],
    idx: Option<&mut [i64]>,
    start: usize,
) {
    let windows = top.chunks_exact(2).zip(bottom.chunks_exact(2));
    match idx {
        None => {
            for (o, (a, b)) in out.iter_mut().zip(windows) {
                *o = pick(pick(pick(a[0], a[1]), b[0]), b[1]);
            }
        }
        Some(idx) => {
            let w = top.len();
            for (x, ((o, i), (a, b))) in out.iter_mut().zip(idx).zip(windows).enumerate() {
                let at = start + 2 * x;
                let mut best = (a[0], at);
                for (v, at) in [(a[1], at + 1), (b[0], at + w), (b[1], at + w + 1)] {
                    if beats(v, best.0) {
                        best = (v, at);
                    }
                }
                (*o, *i) = (best.0, best.1 as i64);
            }
        }
    }
}

/// For each output row (and column), the input rows (columns) its window reads, padding left
/// out: computed once per call instead of per element.
struct WindowTaps {
    rows: Vec<Vec<usize>>,
    cols: Vec<Vec<usize>>,
}

impl WindowTaps {
    fn new(g: &Window2d) -> WindowTaps {
        let axis = |a: usize| -> Vec<Vec<usize>> {
            (0..g.output[a])
                .map(|o| (0..g.kernel[a]).filter_map(|k| g.source(a, o, k)).collect())
                .collect()
        };
        WindowTaps {
            rows: axis(0),
            cols: axis(1),
        }
    }
}

fn max_pool_plane<T: StorageElement>(
    plane: &[T],
    values: &mut [T],
    mut indices: Option<&mut [i64]>,
    taps: &WindowTaps,
    g: &Window2d,
) {
    let (w, ow) = (g.input[1], g.output[1]);
    for (y, rows) in taps.rows.iter().enumerate() {
        for (x, cols) in taps.cols.iter().enumerate() {
            let mut best_at = rows[0] * w + cols[0];
            let mut best = plane[best_at];
            for &iy in rows {
                for &ix in cols {
                    let at = iy * w + ix;
                    if beats(plane[at], best) {
                        (best, best_at) = (plane[at], at);
                    }
                }
            }
            values[y * ow + x] = best;
            if let Some(indices) = indices.as_deref_mut() {
                indices[y * ow + x] = best_at as i64;
            }
        }
    }
}

/// NaN test for any element type (only floats have NaN: it alone differs from itself).
#[allow(clippy::eq_op)]
#[inline(always)]
fn is_nan<T: PartialOrd>(v: T) -> bool {
    v != v
}
