//! Reduction kernels: every output element reduces one "lane" (the elements that share its
//! kept indices). Lanes are contiguous slices when the layout allows, strided walks otherwise.

use super::math::Real;
use super::strided::{PARALLEL_THRESHOLD, Walk};
use crate::layout::Layout;
use crate::storage::StorageElement;
use rayon::prelude::*;
use smallvec::SmallVec;

/// The elements one output element reduces over.
pub(crate) struct Lane<'a, T> {
    data: &'a [T],
    walk: &'a Walk<1>,
    base: isize,
}

impl<T: Copy> Lane<'_, T> {
    /// The number of elements.
    pub(crate) fn len(&self) -> usize {
        self.walk.numel()
    }

    /// The lane as one slice, when its elements are dense and in order.
    pub(crate) fn as_slice(&self) -> Option<&[T]> {
        if self.len() == 0 {
            return Some(&[]);
        }
        let dense = self.walk.shape.len() <= 1 && self.walk.inner_strides()[0] == 1;
        dense.then(|| &self.data[self.base as usize..self.base as usize + self.len()])
    }

    /// Visits the elements in row-major order of the reduced dims.
    pub(crate) fn for_each(&self, mut f: impl FnMut(T)) {
        if let Some(s) = self.as_slice() {
            return s.iter().for_each(|&x| f(x));
        }
        let [st] = self.walk.inner_strides();
        self.walk.for_each_run(0, self.len(), |[o], n| {
            let o = o + self.base - self.walk.base[0];
            for i in 0..n as isize {
                f(self.data[(o + i * st) as usize]);
            }
        });
    }
}

/// Splits `layout` into the kept dims (in order) and the reduced `dims` (sorted).
fn split_layout(layout: &Layout, dims: &[usize]) -> (Layout, Layout) {
    let pick = |keep: bool| {
        let idx: Vec<usize> = (0..layout.ndim())
            .filter(|d| dims.contains(d) != keep)
            .collect();
        Layout::new(
            idx.iter().map(|&d| layout.shape()[d]).collect(),
            idx.iter().map(|&d| layout.strides()[d]).collect(),
            layout.offset(),
        )
    };
    (pick(true), pick(false))
}

/// Reduces `dims` of the strided `src`: `f` turns each lane into one output value. The output
/// is in row-major order of the kept dims.
pub(crate) fn reduce_lanes<T, A>(
    src: &[T],
    layout: &Layout,
    dims: &[usize],
    f: impl Fn(&Lane<T>) -> A + Sync + Send,
) -> Vec<A>
where
    T: Copy + Sync,
    A: Copy + Send + Default,
{
    let (kept, reduced) = split_layout(layout, dims);
    let lane_walk = Walk::new([&reduced]);
    let kept_walk = Walk::new([&kept]);
    let n_out = kept.numel();
    let [ks] = kept_walk.inner_strides();
    let mut out = vec![A::default(); n_out]; // outputs are small, and may be pairs
    let fill = |start: usize, chunk: &mut [A]| {
        let mut pos = 0;
        kept_walk.for_each_run(start, chunk.len(), |[o], n| {
            for i in 0..n {
                let base = o + i as isize * ks;
                let lane = Lane {
                    data: src,
                    walk: &lane_walk,
                    base,
                };
                chunk[pos + i] = f(&lane);
            }
            pos += n;
        });
    };
    let work = n_out.saturating_mul(reduced.numel().max(1));
    if work >= PARALLEL_THRESHOLD && n_out > 1 {
        let per = (n_out / (4 * rayon::current_num_threads())).max(1);
        out.par_chunks_mut(per)
            .enumerate()
            .for_each(|(i, c)| fill(i * per, c));
    } else {
        fill(0, &mut out);
    }
    out
}

/// Elements summed in one block of [`pairwise_sum`] (a multiple of [`LANES`]).
const BLOCK: usize = 512;
/// Independent accumulators of a block.
const LANES: usize = 16;

/// How a sum reads its elements: each widened to f64 ([`Widen::one`]), and a whole slice
/// summed ([`Widen::sum_slice`]: by default pairwise over blocks of [`BLOCK`] elements, each in
/// [`LANES`] f64 accumulators). Every `Fn(T) -> f64` closure is one; [`F32Lanes`] sums f32
/// slices in f32 lanes.
pub(crate) trait Widen<T: Copy>: Copy + Send + Sync {
    /// One element, widened.
    fn one(self, x: T) -> f64;

    /// The sum of a slice (inlined into [`pairwise_sum`]'s ISA dispatch).
    #[inline(always)]
    fn sum_slice(self, s: &[T]) -> f64 {
        pairwise_sum_inline(s, |x| self.one(x))
    }
}

impl<T: Copy, F: Fn(T) -> f64 + Copy + Send + Sync> Widen<T> for F {
    #[inline(always)]
    fn one(self, x: T) -> f64 {
        self(x)
    }
}

/// f32 elements summed in f32 lanes ([`blocked_lane_sum`]): each block of [`LANE_BLOCK`]
/// elements in [`F32_LANES`] f32 accumulators (four AVX registers), each adding 8 elements;
/// each block's accumulators are then added into as many f64 ones, summed at the end. (Those
/// f64 running sums of at most n / 256 block sums err by about n / 256 f64 ulps, 2^-37
/// relative for 2^24 elements, far under f32's 2^-24.)
///
/// Widening every element to f64 (`vcvtps2pd` on each) and reducing each block to one f64
/// made a sum over 2^24 floats about a fifth slower (docs/PERFORMANCE.md, session 9).
#[derive(Clone, Copy)]
pub(crate) struct F32Lanes;

/// The f32 accumulators of [`F32Lanes`].
const F32_LANES: usize = 32;

/// The elements of one block of [`blocked_lane_sum`]: 8 additions per accumulator. With 16 a
/// million additions of 0.1 erred by 2 f32 ulps (PyTorch's result), past the 1e-7 that
/// tests/fast_paths.rs allows; with 8 it is 1 ulp, and the sum barely slower.
const LANE_BLOCK: usize = 8 * F32_LANES;

impl Widen<f32> for F32Lanes {
    #[inline(always)]
    fn one(self, x: f32) -> f64 {
        x as f64
    }

    #[inline(always)]
    fn sum_slice(self, s: &[f32]) -> f64 {
        blocked_lane_sum(s, |x| x)
    }
}

/// The sum of `map(x)` over a slice, in [`F32_LANES`] accumulators of `F` a block of
/// [`LANE_BLOCK`] elements at a time (8 additions each), each block's accumulators then added
/// into as many f64 ones, summed at the end: [`F32Lanes`]' sum, and the row statistics of
/// softmax and layer norm. In f32 a block errs by at most 8 ulps of its largest partial sum
/// (PyTorch's cascade sum, also f32, adds 16 before moving up a level), with no widening per
/// element; in f64 it is f64 throughout.
#[inline(always)]
pub(crate) fn blocked_lane_sum<F: Real>(s: &[F], map: impl Fn(F) -> F) -> f64 {
    let mut wide = [0.0f64; F32_LANES];
    let blocks = s.chunks_exact(LANE_BLOCK);
    let rest = blocks.remainder();
    for block in blocks {
        let mut acc = [F::ZERO; F32_LANES];
        for c in block.chunks_exact(F32_LANES) {
            for k in 0..F32_LANES {
                acc[k] = acc[k] + map(c[k]);
            }
        }
        for k in 0..F32_LANES {
            wide[k] += acc[k].to_f64();
        }
    }
    wide.iter().sum::<f64>() + block_sum(rest, |x| map(x).to_f64())
}

/// Sum of a slice as `to` sums it ([`Widen::sum_slice`]), compiled for AVX2 when the CPU has
/// it. For a closure, pairwise blocks: error grows as log(n), as PyTorch's cascade sum; the
/// slice is cut into blocks of [`BLOCK`] elements, whose sums are added as a balanced binary
/// tree. For [`F32Lanes`], f32 lanes carried into f64 ones.
pub(crate) fn pairwise_sum<T: Copy>(s: &[T], to: impl Widen<T>) -> f64 {
    super::math::with_isa!(|I| to.sum_slice(s))
}

/// The sum of one block (at most [`BLOCK`] elements): [`LANES`] independent f64 accumulators,
/// so the loop vectorises and is not held back by the latency of one addition chain.
#[inline(always)]
fn block_sum<T: Copy>(s: &[T], to: impl Fn(T) -> f64 + Copy) -> f64 {
    let mut acc = [0.0f64; LANES];
    let chunks = s.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..LANES {
            acc[k] += to(c[k]);
        }
    }
    let tail: f64 = rest.iter().map(|&x| to(x)).sum();
    acc.iter().sum::<f64>() + tail
}

/// [`pairwise_sum`] without the ISA dispatch (to be inlined into it): block sums are combined
/// as they come, `levels[d]` holding the sum of a complete subtree at depth `d`; two subtrees
/// of one size merge whenever the count of finished blocks is even at that level.
#[inline(always)]
fn pairwise_sum_inline<T: Copy>(s: &[T], to: impl Fn(T) -> f64 + Copy) -> f64 {
    let mut levels = [0.0f64; usize::BITS as usize];
    let mut depth = 0;
    for (k, block) in s.chunks(BLOCK).enumerate() {
        let mut sum = block_sum(block, to);
        let mut done = k + 1;
        while done % 2 == 0 {
            depth -= 1;
            sum += levels[depth];
            done /= 2;
        }
        levels[depth] = sum;
        depth += 1;
    }
    levels[..depth].iter().rev().sum()
}

/// Elements per task of a threaded sum: a power of two times [`BLOCK`], so the split is the
/// pairwise tree's.
const SUM_TASK: usize = 1 << 16;

/// [`pairwise_sum`] on several threads for a long slice: each task sums a power-of-two
/// block pairwise, then the blocks' sums are summed pairwise (the error still grows as log n).
pub(crate) fn threaded_pairwise_sum<T: Copy + Sync>(s: &[T], to: impl Widen<T>) -> f64 {
    if s.len() < 4 * SUM_TASK {
        return pairwise_sum(s, to);
    }
    let partial: Vec<f64> = s
        .par_chunks(SUM_TASK)
        .map(|c| pairwise_sum(c, to))
        .collect();
    pairwise_sum(&partial, |x| x)
}

/// Sum of one lane as `to` sums it, the result in f64 (on several threads when it is one long
/// slice; a strided lane is added element by element in f64).
pub(crate) fn lane_sum<T: Copy + Sync>(lane: &Lane<T>, to: impl Widen<T>) -> f64 {
    match lane.as_slice() {
        Some(s) => threaded_pairwise_sum(s, to),
        None => {
            let mut acc = 0.0;
            lane.for_each(|x| acc += to.one(x));
            acc
        }
    }
}

/// A run of adjacent dims of a contiguous tensor, merged: its element count, and whether a
/// sum reduces it. Runs alternate (two adjacent runs of one kind merge into one).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Run {
    pub(crate) len: usize,
    pub(crate) reduced: bool,
}

/// The merged runs of a shape: inline for up to four, so a sum allocates nothing for them.
pub(crate) type Runs = SmallVec<[Run; 4]>;

/// The runs of `shape` when `dims` are reduced: size-1 dims are dropped (they change no
/// address) and neighbours of one kind merged. `[N, C, H, W]` over `[0, 2, 3]` gives
/// `[N reduced, C kept, H * W reduced]`.
pub(crate) fn merged_runs(shape: &[usize], dims: &[usize]) -> Runs {
    let mut runs = Runs::new();
    for (d, &len) in shape.iter().enumerate().filter(|&(_, &len)| len != 1) {
        let reduced = dims.contains(&d);
        match runs.last_mut() {
            Some(last) if last.reduced == reduced => last.len *= len,
            _ => runs.push(Run { len, reduced }),
        }
    }
    runs
}

/// Sums over the reduced runs of the row-major `src` (laid out as `runs`, which must hold at
/// least one kept and one reduced run and no empty one), in the order of the kept runs. The
/// innermost reduced run goes first, each step reading memory in order: a trailing run is
/// summed row by row (pairwise), one followed by a kept run is added row after row into that
/// run's columns. Partial sums stay in f64 until `from` rounds the result (written by the
/// last step straight into a buffer from the cache), so the order changes only f64
/// roundings. A strided walk of the same sum (the lane reduction) steps over the skipped
/// runs element by element: the bias gradient of a convolution, over `[N, C, H * W]`'s
/// dims 0 and 2, was 8.7% of a CNN training step that way.
pub(crate) fn sum_runs<T, U>(
    src: &[T],
    runs: &[Run],
    to: impl Widen<T>,
    from: impl Fn(f64) -> U + Sync,
) -> Vec<U>
where
    T: Copy + Sync,
    U: StorageElement,
{
    debug_assert!(runs.iter().any(|r| r.reduced) && runs.iter().any(|r| !r.reduced));
    let (step, mut left) = innermost_step(runs);
    if left.iter().all(|r| !r.reduced) {
        return step.sum(src, to, &from);
    }
    let mut sums: Vec<f64> = step.sum(src, to, |x| x);
    loop {
        let (step, next) = innermost_step(&left);
        if next.iter().all(|r| !r.reduced) {
            return step.sum(&sums, |x| x, &from);
        }
        sums = step.sum(&sums, |x| x, |x| x);
        left = next;
    }
}

/// One step of [`sum_runs`]: the rows of a trailing reduced run, or the columns of a
/// reduced run followed by a kept one.
enum Step {
    Rows { len: usize },
    Columns { rows: usize, cols: usize },
}

impl Step {
    /// The step's sums of `src`, each rounded by `emit`, in row-major order of what is kept.
    fn sum<T: Copy + Sync, V: StorageElement>(
        &self,
        src: &[T],
        to: impl Widen<T>,
        emit: impl Fn(f64) -> V + Sync,
    ) -> Vec<V> {
        match *self {
            Step::Rows { len } => row_sums(src, len, to, emit),
            Step::Columns { rows, cols } => column_sums(src, rows, cols, to, emit),
        }
    }
}

/// The step that sums the innermost reduced run of `runs` away, and the runs left.
fn innermost_step(runs: &[Run]) -> (Step, Runs) {
    let last = runs.len() - 1;
    let mut left = Runs::from_slice(runs);
    if runs[last].reduced {
        left.pop();
        return (
            Step::Rows {
                len: runs[last].len,
            },
            left,
        );
    }
    let (rows, cols) = (runs[last - 1].len, runs[last].len);
    left.remove(last - 1);
    if last >= 2 {
        let kept = left.remove(last - 1);
        left[last - 2].len *= kept.len; // two kept runs now meet
    }
    (Step::Columns { rows, cols }, left)
}

/// `emit` of the pairwise sum of each `len`-element row of `src`.
fn row_sums<T: Copy + Sync, V: StorageElement>(
    src: &[T],
    len: usize,
    to: impl Widen<T>,
    emit: impl Fn(f64) -> V + Sync,
) -> Vec<V> {
    let rows = src.chunks_exact(len);
    let mut out = super::pool::with_capacity(rows.len());
    if rows.len() < 4 * rayon::current_num_threads() {
        out.extend(rows.map(|r| emit(threaded_pairwise_sum(r, to))));
    } else if src.len() < PARALLEL_THRESHOLD {
        out.extend(rows.map(|r| emit(pairwise_sum(r, to))));
    } else {
        src.par_chunks_exact(len)
            .with_min_len(PARALLEL_THRESHOLD / len)
            .map(|r| emit(pairwise_sum(r, to)))
            .collect_into_vec(&mut out);
    }
    out
}

/// `emit` of the column sums of each `[rows, cols]` block of `src`, `out[b, j]` the sum of
/// `x[b, i, j]` over `i`, added in f64 from the first row down, a block of columns at a time
/// (in a stack buffer) so whole rows are read. Blocks (and blocks of columns) run on rayon's
/// threads when the work is large.
fn column_sums<T: Copy + Sync, V: StorageElement>(
    src: &[T],
    rows: usize,
    cols: usize,
    to: impl Widen<T>,
    emit: impl Fn(f64) -> V + Sync,
) -> Vec<V> {
    const COLS: usize = 256;
    let columns = |block: &[T], start: usize, out: &mut [V]| {
        let mut acc = [0.0f64; COLS];
        let (acc, end) = (&mut acc[..out.len()], start + out.len());
        for row in block.chunks_exact(cols) {
            for (a, &v) in acc.iter_mut().zip(&row[start..end]) {
                *a += to.one(v);
            }
        }
        for (o, &a) in out.iter_mut().zip(acc.iter()) {
            *o = emit(a);
        }
    };
    let mut out = super::pool::filled(src.len() / rows, V::default());
    if src.len() < PARALLEL_THRESHOLD {
        for (block, out) in src.chunks_exact(rows * cols).zip(out.chunks_mut(cols)) {
            for (i, o) in out.chunks_mut(COLS).enumerate() {
                columns(block, i * COLS, o);
            }
        }
        return out;
    }
    src.par_chunks_exact(rows * cols)
        .zip(out.par_chunks_mut(cols))
        .with_min_len(PARALLEL_THRESHOLD / (rows * cols))
        .for_each(|(block, out)| {
            out.par_chunks_mut(COLS)
                .enumerate()
                .for_each(|(i, o)| columns(block, i * COLS, o))
        });
    out
}

/// The first extreme element of a non-empty lane and its index: the largest when `want_max`,
/// else the smallest. A NaN wins (the first one), as PyTorch's max/min propagate NaN.
/// (`v != v` tests for NaN without asking `T` to be a float.)
#[allow(clippy::eq_op)]
pub(crate) fn lane_arg_extreme<T: Copy + PartialOrd>(lane: &Lane<T>, want_max: bool) -> (T, i64) {
    let mut best: Option<(T, i64)> = None;
    let mut i = 0i64;
    lane.for_each(|v| {
        let better = match best {
            None => true,
            Some((b, _)) if b != b => false,
            Some(_) if v != v => true,
            Some((b, _)) => (want_max && v > b) || (!want_max && v < b),
        };
        if better {
            best = Some((v, i));
        }
        i += 1;
    });
    best.expect("internal: arg_extreme of an empty lane")
}

/// Folds one lane into an accumulator (`step(acc, element)`), in row-major order.
pub(crate) fn lane_fold<T: Copy, A>(lane: &Lane<T>, init: A, mut step: impl FnMut(A, T) -> A) -> A {
    let mut acc = Some(init);
    lane.for_each(|v| acc = Some(step(acc.take().expect("accumulator"), v)));
    acc.expect("accumulator")
}

/// `log(sum(exp(x)))` of one lane in f64, shifted by the lane's max so large inputs do not
/// overflow; an infinite max is not shifted (so all `-inf` gives `-inf`, any `+inf` gives `+inf`).
pub(crate) fn lane_logsumexp<T: Copy>(lane: &Lane<T>, to: impl Fn(T) -> f64 + Copy) -> f64 {
    let mut max = f64::NEG_INFINITY;
    lane.for_each(|v| max = max.max(to(v)));
    let shift = if max.is_finite() { max } else { 0.0 };
    let mut sum = 0.0;
    lane.for_each(|v| sum += (to(v) - shift).exp());
    shift + sum.ln()
}

/// An inclusive scan along `dim` of the strided `src` (cumsum): `step` folds each element into
/// the running value, `emit` turns it into an output element. The output is contiguous in
/// `layout`'s shape.
pub(crate) fn scan_lanes<T: Copy, A: Copy, U: crate::storage::StorageElement>(
    src: &[T],
    layout: &Layout,
    dim: usize,
    init: A,
    step: impl Fn(A, T) -> A,
    emit: impl Fn(A) -> U,
) -> Vec<U> {
    if layout.ndim() == 0 {
        return vec![emit(step(init, src[layout.offset()]))];
    }
    let shape = layout.shape();
    let out_strides = crate::shape::contiguous_strides(shape);
    let without = |v: &[isize]| -> Vec<isize> {
        v.iter()
            .enumerate()
            .filter(|&(d, _)| d != dim)
            .map(|(_, &s)| s)
            .collect()
    };
    let kept_shape: Vec<usize> = shape
        .iter()
        .enumerate()
        .filter(|&(d, _)| d != dim)
        .map(|(_, &s)| s)
        .collect();
    let kept_in = Layout::new(
        kept_shape.clone(),
        without(layout.strides()),
        layout.offset(),
    );
    let kept_out = Layout::new(kept_shape, without(&out_strides), 0);
    let (n, s_in, s_out) = (shape[dim], layout.strides()[dim], out_strides[dim]);
    let mut out = super::pool::filled(layout.numel(), U::default());
    if out.is_empty() {
        return out;
    }
    let walk = Walk::new([&kept_in, &kept_out]);
    let [si, so] = walk.inner_strides();
    walk.for_each_run(0, kept_in.numel(), |[oi, oo], len| {
        for j in 0..len as isize {
            let (bi, bo) = (oi + j * si, oo + j * so);
            let mut acc = init;
            for k in 0..n as isize {
                acc = step(acc, src[(bi + k * s_in) as usize]);
                out[(bo + k * s_out) as usize] = emit(acc);
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduces_kept_dims_in_order_over_strided_lanes() {
        let data: Vec<f64> = (0..24).map(|x| x as f64).collect();
        let l = Layout::contiguous(&[2, 3, 4]);
        let sums = reduce_lanes(&data, &l, &[1], |lane| lane_sum(lane, |x| x));
        assert_eq!(sums, vec![12.0, 15.0, 18.0, 21.0, 48.0, 51.0, 54.0, 57.0]);
        let t = l.transpose(0, 2); // [4, 3, 2]
        let sums = reduce_lanes(&data, &t, &[0, 2], |lane| lane_sum(lane, |x| x));
        assert_eq!(sums, vec![60.0, 92.0, 124.0]);
    }

    #[test]
    fn runs_merge_neighbours_and_sum_innermost_first() {
        let run = |len, reduced| Run { len, reduced };
        assert_eq!(
            merged_runs(&[2, 1, 3, 4], &[0, 2, 3]).as_slice(),
            [run(24, true)]
        );
        assert_eq!(
            merged_runs(&[4, 5, 1, 6], &[0, 3]).as_slice(),
            [run(4, true), run(5, false), run(6, true)]
        );
        // [2, 3, 4] over dims 0 and 2: 60 + 32c by hand (see the lane test above).
        let data: Vec<f64> = (0..24).map(|x| x as f64).collect();
        let runs = merged_runs(&[2, 3, 4], &[0, 2]);
        assert_eq!(
            sum_runs(&data, &runs, |x| x, |x| x),
            vec![60.0, 92.0, 124.0]
        );
        // Over dim 1 alone: the column sums of each [3, 4] block.
        let runs = merged_runs(&[2, 3, 4], &[1]);
        let want = [12.0, 15.0, 18.0, 21.0, 48.0, 51.0, 54.0, 57.0];
        assert_eq!(sum_runs(&data, &runs, |x| x, |x| x), want);
    }

    #[test]
    fn pairwise_sum_stays_accurate_in_f32_range() {
        let v = vec![1.0f32; (1 << 24) + 3];
        assert_eq!(pairwise_sum(&v, |x| x as f64), ((1 << 24) + 3) as f64);
    }

    #[test]
    fn f32_lanes_sum_every_element_and_stay_close_to_f64() {
        // 1 + 2 + ... + 1000 = 500500: three blocks of 256 in f32 lanes and a remainder of
        // 232; every partial sum is an integer under 2^24, so f32 holds it exactly.
        let v: Vec<f32> = (1..=1000).map(|i| i as f32).collect();
        assert_eq!(pairwise_sum(&v, F32Lanes), 500_500.0);
        assert_eq!(F32Lanes.sum_slice(&v[..40]), 820.0);
        assert_eq!(F32Lanes.sum_slice(&v[..512]), 131_328.0);
        // Values that do round in f32: within 1e-6 of the sum widened to f64 first, on one
        // thread and on several.
        let v: Vec<f32> = (0u64..(1 << 20) + 5)
            .map(|i| ((i * 7919) % 1000) as f32 * 1e-3 + 0.1)
            .collect();
        for got in [
            pairwise_sum(&v, F32Lanes),
            threaded_pairwise_sum(&v, F32Lanes),
        ] {
            let want = pairwise_sum(&v, |x: f32| x as f64);
            assert!(((got - want) / want).abs() < 1e-6, "{got} vs {want}");
        }
    }

    #[test]
    fn arg_extreme_takes_the_first_tie_and_propagates_nan() {
        let data = [1.0, 3.0, 3.0, f64::NAN, 5.0, f64::NAN];
        let l = Layout::contiguous(&[3]);
        let r = reduce_lanes(&data, &l, &[0], |lane| lane_arg_extreme(lane, true));
        assert_eq!(r, vec![(3.0, 1)]);
        let r = reduce_lanes(&data, &Layout::contiguous(&[6]), &[0], |lane| {
            lane_arg_extreme(lane, false)
        });
        assert!(r[0].0.is_nan() && r[0].1 == 3);
    }

    #[test]
    fn scans_strided_lanes_into_contiguous_output() {
        let data: Vec<i64> = (0..6).collect();
        let t = Layout::contiguous(&[2, 3]).transpose(0, 1); // [[0, 3], [1, 4], [2, 5]]
        assert_eq!(
            scan_lanes(&data, &t, 0, 0i64, |a, v| a + v, |a| a),
            vec![0, 3, 1, 7, 3, 12]
        );
        assert_eq!(
            scan_lanes(&data, &t, 1, 0i64, |a, v| a + v, |a| a),
            vec![0, 3, 1, 5, 2, 7]
        );
    }
}
