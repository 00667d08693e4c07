//! Row kernels over the contiguous last dim: softmax, log-softmax, logsumexp and layer norm.
//! Each row is read from memory once and written once: the statistics pass and the writing
//! pass run on the row while it sits in cache. Blocks of rows run on rayon's threads when the
//! work is large; each block is compiled for AVX2 + FMA when the CPU has them
//! ([`super::math::with_isa`]). f32 runs in f32 with the vectorisable `exp` of [`super::math`]
//! (sums in f64); f64 in f64; f16 and bf16 through an f32 copy of each row.

use super::math::{Isa, Real, with_isa};
use super::pool;
use super::reduce::blocked_lane_sum;
use super::strided::PARALLEL_THRESHOLD;
use super::{Slot, put_all};
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Calls `block(src_rows, dst_rows)` on blocks of whole rows (`row_len` elements
/// in `src`, `dst_len` in `dst`), on several threads when the work is large.
fn for_each_block<S: Sync, D: Send>(
    src: &[S],
    dst: &mut [D],
    row_len: usize,
    dst_len: usize,
    block: impl Fn(&[S], &mut [D]) + Sync,
) {
    let rows = src.len().checked_div(row_len).unwrap_or(0);
    if rows == 0 || dst_len == 0 {
        return;
    }
    let per = block_rows(src.len(), rows, row_len);
    if per == rows {
        return block(src, dst);
    }
    src.par_chunks(per * row_len)
        .zip(dst.par_chunks_mut(per * dst_len))
        .for_each(|(s, d)| block(s, d));
}

/// The largest element of a row, ignoring NaN (a NaN reaches the result through the sum).
#[inline(always)]
fn row_max<F: Real>(x: &[F]) -> F {
    let mut acc = [F::NEG_INFINITY; 8];
    let chunks = x.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..8 {
            acc[k] = if c[k] > acc[k] { c[k] } else { acc[k] };
        }
    }
    let fold = |m: F, &v: &F| if v > m { v } else { m };
    let m = acc.iter().fold(F::NEG_INFINITY, fold);
    rest.iter().fold(m, fold)
}

/// The sum of a row (f32 lanes for f32, widened per block: [`blocked_lane_sum`]).
#[inline(always)]
fn row_sum<F: Real>(x: &[F]) -> f64 {
    blocked_lane_sum(x, |v| v)
}

/// The sum of `(x - mean)^2` over a row, as [`row_sum`].
#[inline(always)]
fn row_centered_squares<F: Real>(x: &[F], mean: F) -> f64 {
    blocked_lane_sum(x, |v| (v - mean) * (v - mean))
}

/// `exp(x - max)` into `y`; returns the max and the sum of the exponentials.
#[inline(always)]
fn shifted_exp<F: Real, I: Isa>(x: &[F], y: &mut [F]) -> (F, f64) {
    let max = row_max(x);
    for (y, &v) in y.iter_mut().zip(x) {
        *y = (v - max).exp_with::<I>();
    }
    (max, row_sum(y))
}

/// Softmax (or log-softmax when `log`) of one row into `y`. The row's max is subtracted
/// first, so large inputs do not overflow; a NaN makes the whole row NaN, as does an infinite
/// max (`inf - inf`), as in PyTorch.
#[inline(always)]
fn softmax_row<F: Real, I: Isa>(x: &[F], y: &mut [F], log: bool) {
    let (max, sum) = shifted_exp::<F, I>(x, y);
    if log {
        let log_sum = F::from_f64(sum.ln());
        for (y, &v) in y.iter_mut().zip(x) {
            *y = (v - max) - log_sum;
        }
    } else {
        let inv = F::from_f64(1.0 / sum);
        for y in y.iter_mut() {
            *y = *y * inv;
        }
    }
}

/// Softmax (or log-softmax when `log`) of every row of `row_len` elements of the contiguous
/// `src`, as a new buffer.
pub(crate) fn softmax_rows<F: Real>(src: &[F], row_len: usize, log: bool) -> Vec<F> {
    let mut out = pool::filled(src.len(), F::ZERO);
    for_each_block(src, &mut out, row_len, row_len, |s, d| {
        with_isa!(|I| {
            for (x, y) in s.chunks_exact(row_len).zip(d.chunks_exact_mut(row_len)) {
                softmax_row::<F, I>(x, y, log);
            }
        })
    });
    out
}

/// `log(sum(exp(x)))` of every row of `row_len` elements of the contiguous `src`. An
/// infinite max is not subtracted, so a row of `-inf` gives `-inf` and a `+inf` gives `+inf`.
pub(crate) fn logsumexp_rows<F: Real>(src: &[F], row_len: usize) -> Vec<F> {
    let rows = src.len().checked_div(row_len).unwrap_or(0);
    let mut out = pool::filled(rows, F::ZERO);
    for_each_block(src, &mut out, row_len, 1, |s, d| {
        let mut scratch = vec![F::ZERO; row_len];
        with_isa!(|I| {
            for (x, y) in s.chunks_exact(row_len).zip(d.iter_mut()) {
                let max = row_max(x);
                let shift = if max.to_f64().is_finite() {
                    max
                } else {
                    F::ZERO
                };
                for (e, &v) in scratch.iter_mut().zip(x) {
                    *e = (v - shift).exp_with::<I>();
                }
                *y = F::from_f64(shift.to_f64() + row_sum(&scratch).ln());
            }
        })
    });
    out
}

/// The cross entropy of one row of logits against class `target`: `logsumexp(x) - x[target]`,
/// both relative to the row's max and their difference taken in f64, so large logits lose no
/// precision (as `-log_softmax(x)[target]`). `scratch` holds the row's exponentials.
#[inline(always)]
fn cross_entropy_row<F: Real, I: Isa>(x: &[F], target: usize, scratch: &mut [F]) -> F {
    let (max, sum) = shifted_exp::<F, I>(x, scratch);
    F::from_f64(sum.ln() - (x[target] - max).to_f64())
}

/// The cross entropy of every row of `row_len` logits of the contiguous `src` against its
/// class index in `targets` (one per row, each in `0..row_len`): one read of the logits and
/// no output of their size.
pub(crate) fn cross_entropy_rows<F: Real>(src: &[F], row_len: usize, targets: &[i64]) -> Vec<F> {
    let rows = targets.len();
    let mut out = pool::filled(rows, F::ZERO);
    if rows == 0 || row_len == 0 {
        return out;
    }
    let block = |x: &[F], t: &[i64], y: &mut [F]| {
        let mut scratch = vec![F::ZERO; row_len];
        with_isa!(|I| {
            for ((x, &t), y) in x.chunks_exact(row_len).zip(t).zip(y.iter_mut()) {
                *y = cross_entropy_row::<F, I>(x, t as usize, &mut scratch);
            }
        })
    };
    let per = block_rows(src.len(), rows, row_len);
    if per == rows {
        block(src, targets, &mut out);
    } else {
        src.par_chunks(per * row_len)
            .zip(targets.par_chunks(per))
            .zip(out.par_chunks_mut(per))
            .for_each(|((x, t), y)| block(x, t, y));
    }
    out
}

/// Conversions between a storage type and the f32 a half-precision row is computed in.
pub(crate) trait ViaF32: Copy + Send + Sync + crate::storage::StorageElement {
    fn to_f32(self) -> f32;
    fn from_f32(v: f32) -> Self;
}
impl ViaF32 for half::f16 {
    fn to_f32(self) -> f32 {
        half::f16::to_f32(self)
    }
    fn from_f32(v: f32) -> Self {
        half::f16::from_f32(v)
    }
}
impl ViaF32 for half::bf16 {
    fn to_f32(self) -> f32 {
        half::bf16::to_f32(self)
    }
    fn from_f32(v: f32) -> Self {
        half::bf16::from_f32(v)
    }
}

/// [`softmax_rows`] for f16 and bf16: each row is computed in f32 and rounded once.
pub(crate) fn softmax_rows_half<T: ViaF32>(src: &[T], row_len: usize, log: bool) -> Vec<T> {
    let mut out = pool::filled(src.len(), T::from_f32(0.0));
    for_each_block(src, &mut out, row_len, row_len, |s, d| {
        let (mut x32, mut y32) = (vec![0.0f32; row_len], vec![0.0f32; row_len]);
        with_isa!(|I| {
            for (x, y) in s.chunks_exact(row_len).zip(d.chunks_exact_mut(row_len)) {
                x32.iter_mut().zip(x).for_each(|(a, &b)| *a = b.to_f32());
                softmax_row::<f32, I>(&x32, &mut y32, log);
                y.iter_mut()
                    .zip(&y32)
                    .for_each(|(a, &b)| *a = T::from_f32(b));
            }
        })
    });
    out
}

/// The weight and bias of a layer norm, each optional, of the row's length.
pub(crate) struct Affine<'a, F> {
    pub(crate) weight: Option<&'a [F]>,
    pub(crate) bias: Option<&'a [F]>,
}

impl<F> Affine<'_, F> {
    /// Panics unless the weight and bias (where given) hold `row_len` elements each: the row
    /// kernels write an output element per weight element, and must write every one.
    fn assert_row_len(&self, row_len: usize) {
        for (name, part) in [("weight", self.weight), ("bias", self.bias)] {
            if let Some(part) = part {
                assert_eq!(
                    part.len(),
                    row_len,
                    "layer_norm: {name} has {} elements but rows have {row_len}",
                    part.len()
                );
            }
        }
    }
}

/// Layer norm of one row into `y`, every element written once:
/// `(x - mean) * rstd * weight + bias`. Returns `(mean, rstd)`, where
/// `rstd = 1 / sqrt(var + eps)` with the biased variance (two passes in f64).
#[inline(always)]
fn layer_norm_row<F: Real, I: Isa, S: Slot<F>>(
    x: &[F],
    y: &mut [S],
    affine: &Affine<F>,
    eps: f64,
) -> (F, F) {
    let n = x.len() as f64;
    let mean = F::from_f64(row_sum(x) / n);
    let var = row_centered_squares(x, mean) / n;
    let rstd = F::from_f64(1.0 / (var + eps).sqrt());
    let normalised = x.iter().map(move |&v| (v - mean) * rstd);
    match (affine.weight, affine.bias) {
        (Some(w), Some(b)) => put_all(
            y,
            normalised
                .zip(w.iter().zip(b))
                .map(|(v, (&w, &b))| v.mul_add_with::<I>(w, b)),
        ),
        (Some(w), None) => put_all(y, normalised.zip(w).map(|(v, &w)| v * w)),
        (None, Some(b)) => put_all(y, normalised.zip(b).map(|(v, &b)| v + b)),
        (None, None) => put_all(y, normalised),
    }
    (mean, rstd)
}

/// Layer norm of every row of `row_len` elements of the contiguous `src`: the output, and
/// each row's mean and `rstd` (the statistics the derivative reuses).
pub(crate) fn layer_norm_rows<F: Real>(
    src: &[F],
    row_len: usize,
    affine: &Affine<F>,
    eps: f64,
) -> (Vec<F>, Vec<F>, Vec<F>) {
    affine.assert_row_len(row_len);
    layer_norm_blocks(src, row_len, |x, y, stats| {
        with_isa!(|I| {
            for ((x, y), s) in x
                .chunks_exact(row_len)
                .zip(y.chunks_exact_mut(row_len))
                .zip(stats.chunks_exact_mut(2))
            {
                (s[0], s[1]) = layer_norm_row::<F, I, _>(x, y, affine, eps);
            }
        })
    })
}

/// [`layer_norm_rows`] for f16 and bf16: each row is computed in f32 (the statistics stay
/// f32) and rounded once.
pub(crate) fn layer_norm_rows_half<T: ViaF32>(
    src: &[T],
    row_len: usize,
    affine: &Affine<f32>,
    eps: f64,
) -> (Vec<T>, Vec<f32>, Vec<f32>) {
    affine.assert_row_len(row_len);
    layer_norm_blocks(src, row_len, |x, y, stats| {
        let (mut x32, mut y32) = (vec![0.0f32; row_len], vec![0.0f32; row_len]);
        with_isa!(|I| {
            for ((x, y), s) in x
                .chunks_exact(row_len)
                .zip(y.chunks_exact_mut(row_len))
                .zip(stats.chunks_exact_mut(2))
            {
                x32.iter_mut().zip(x).for_each(|(a, &b)| *a = b.to_f32());
                (s[0], s[1]) = layer_norm_row::<f32, I, f32>(&x32, &mut y32, affine, eps);
                put_all(y, y32.iter().map(|&b| T::from_f32(b)));
            }
        })
    })
}

/// Runs `block(src_rows, out_rows, stats)` over blocks of rows, `stats` holding each row's
/// mean and rstd side by side; returns the output, the means and the rstds. `block` must
/// write every element of its output rows: the output is not zeroed first (a whole pass over
/// memory, 21% of `bench --cases layernorm_f32_4096x1024` under perf).
fn layer_norm_blocks<T, C>(
    src: &[T],
    row_len: usize,
    block: impl Fn(&[T], &mut [MaybeUninit<T>], &mut [C]) + Sync,
) -> (Vec<T>, Vec<C>, Vec<C>)
where
    T: Copy + Default + Send + Sync + crate::storage::StorageElement,
    C: Real,
{
    let rows = src.len().checked_div(row_len).unwrap_or(0);
    assert_eq!(rows * row_len, src.len(), "layer_norm: ragged rows");
    let mut stats = pool::filled(2 * rows, C::ZERO);
    let per = block_rows(src.len(), rows, row_len);
    let fill = |out: &mut [MaybeUninit<T>]| {
        if rows == 0 {
            // No rows (or empty ones): nothing to normalise, and `out` is empty.
        } else if per == rows {
            block(src, out, &mut stats);
        } else {
            src.par_chunks(per * row_len)
                .zip(out.par_chunks_mut(per * row_len))
                .zip(stats.par_chunks_mut(per * 2))
                .for_each(|((x, y), s)| block(x, y, s));
        }
    };
    // SAFETY: `out` holds `rows * row_len == src.len()` elements (asserted above); the chunks
    // above cover it exactly, and each block's `layer_norm_row` calls write every element of
    // their rows (`put_all` over a row's worth of values, the weight and bias being a row long:
    // `Affine::assert_row_len` in both callers), the half path through `put_all` too.
    let out = unsafe { pool::written(src.len(), fill) };
    let (mut mean, mut rstd) = (pool::with_capacity(rows), pool::with_capacity(rows));
    mean.extend(stats.iter().step_by(2));
    rstd.extend(stats.iter().skip(1).step_by(2));
    (out, mean, rstd)
}

/// Rows per block: all of them when the work is small; else enough rows to amortise a task
/// and enough blocks to balance the threads.
fn block_rows(len: usize, rows: usize, row_len: usize) -> usize {
    if len < PARALLEL_THRESHOLD || rows <= 1 {
        return rows.max(1);
    }
    let balanced = rows.div_ceil(4 * rayon::current_num_threads()).max(1);
    (PARALLEL_THRESHOLD / 4 / row_len).clamp(1, balanced)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_rows_are_stable_for_large_inputs() {
        let x = [1e4f64, 1e4, -1e4, 0.0];
        assert_eq!(softmax_rows(&x, 2, false), vec![0.5, 0.5, 0.0, 1.0]);
        let y = softmax_rows(&x, 2, true);
        assert!((y[0] + std::f64::consts::LN_2).abs() < 1e-12 && y[3] == 0.0);
        let x32 = [1e4f32, 1e4, -1e4, 0.0];
        assert_eq!(softmax_rows(&x32, 2, false), vec![0.5, 0.5, 0.0, 1.0]);
        assert_eq!(softmax_rows(&x32, 2, true)[2], -1e4);
    }

    #[test]
    fn softmax_rows_match_the_f64_formula_on_odd_lengths_and_many_rows() {
        // 37 is not a multiple of the 8 accumulators; 3000 rows cross the thread threshold.
        let (rows, len) = (3000, 37);
        let x32: Vec<f32> = (0..rows * len)
            .map(|i| ((i * 7919) % 1000) as f32 / 37.0 - 13.0)
            .collect();
        let x: Vec<f64> = x32.iter().map(|&v| v as f64).collect();
        for log in [false, true] {
            let (y, y32) = (softmax_rows(&x, len, log), softmax_rows(&x32, len, log));
            for (r, row) in x.chunks(len).enumerate() {
                let max = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let sum: f64 = row.iter().map(|v| (v - max).exp()).sum();
                for (j, v) in row.iter().enumerate() {
                    let want = if log {
                        v - max - sum.ln()
                    } else {
                        (v - max).exp() / sum
                    };
                    let (got, got32) = (y[r * len + j], y32[r * len + j] as f64);
                    assert!(
                        (got - want).abs() <= 1e-15 * (1.0 + want.abs()),
                        "f64 {got} {want}"
                    );
                    assert!(
                        (got32 - want).abs() <= 4e-7 * want.abs() + 1e-7,
                        "f32 {got32} {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn softmax_rows_propagate_nan_and_infinite_maxima() {
        let y = softmax_rows(
            &[f32::NAN, 0.0, f32::INFINITY, 0.0, f32::NEG_INFINITY, 1.0],
            2,
            false,
        );
        assert!(y[..4].iter().all(|v| v.is_nan()));
        assert_eq!(&y[4..], &[0.0, 1.0]);
        let y = softmax_rows(&[f64::NEG_INFINITY; 2], 2, true);
        assert!(y.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn half_rows_compute_in_f32() {
        let x: Vec<half::f16> = [1.0f32, 2.0, 3.0]
            .iter()
            .map(|&v| half::f16::from_f32(v))
            .collect();
        let y = softmax_rows_half(&x, 3, false);
        let want = [0.090_030_57f32, 0.244_728_48, 0.665_240_94];
        for (g, w) in y.iter().zip(want) {
            assert_eq!(*g, half::f16::from_f32(w));
        }
    }

    #[test]
    fn logsumexp_rows_handle_infinities() {
        let x = [
            1e4f32,
            1e4,
            f32::NEG_INFINITY,
            f32::NEG_INFINITY,
            f32::INFINITY,
            0.0,
        ];
        let y = logsumexp_rows(&x, 2);
        assert_eq!(y[0], 1e4 + std::f32::consts::LN_2);
        assert_eq!(y[1], f32::NEG_INFINITY);
        assert_eq!(y[2], f32::INFINITY);
    }

    #[test]
    fn cross_entropy_rows_by_hand_and_for_large_logits() {
        // Row [0, 0]: log 2 for either class; row [ln 3, 0] against class 1: log 4.
        let x = [0.0f64, 0.0, 3f64.ln(), 0.0];
        let y = cross_entropy_rows(&x, 2, &[1, 1]);
        assert!((y[0] - 2f64.ln()).abs() < 1e-15 && (y[1] - 4f64.ln()).abs() < 1e-15);
        // Logits near 1e4 in f32: the loss keeps its small value (no cancellation).
        let y = cross_entropy_rows(&[1e4f32, 1e4 - 20.0], 2, &[0]);
        assert!((y[0] as f64 - (-20f64).exp()).abs() < 1e-12, "{}", y[0]);
        let y = cross_entropy_rows(&[f32::NAN, 0.0], 2, &[1]);
        assert!(y[0].is_nan());
    }

    #[test]
    fn cross_entropy_rows_match_log_softmax_across_threads() {
        let (rows, len) = (700, 97);
        let x: Vec<f32> = (0..rows * len)
            .map(|i| ((i * 7919) % 1000) as f32 / 50.0 - 10.0)
            .collect();
        let targets: Vec<i64> = (0..rows as i64).map(|r| (r * 13) % len as i64).collect();
        let y = cross_entropy_rows(&x, len, &targets);
        let log_probs = softmax_rows(&x, len, true);
        for (r, &t) in targets.iter().enumerate() {
            let want = -log_probs[r * len + t as usize];
            assert!(
                (y[r] - want).abs() <= 2e-6 * (1.0 + want.abs()),
                "{} {want}",
                y[r]
            );
        }
    }

    #[test]
    fn layer_norm_rows_by_hand() {
        // Row [1, 3]: mean 2, variance 1; row [0, 10]: mean 5, variance 25.
        let x = [1.0f64, 3.0, 0.0, 10.0];
        let (y, mean, rstd) = layer_norm_rows(
            &x,
            2,
            &Affine {
                weight: None,
                bias: None,
            },
            0.0,
        );
        assert_eq!(y, vec![-1.0, 1.0, -1.0, 1.0]);
        assert_eq!((mean, rstd), (vec![2.0, 5.0], vec![1.0, 0.2]));
        let (w, b) = ([2.0f32, -1.0], [0.5f32, 0.25]);
        let affine = Affine {
            weight: Some(&w[..]),
            bias: Some(&b[..]),
        };
        let (y, _, _) = layer_norm_rows(&[1.0f32, 3.0, 0.0, 10.0], 2, &affine, 0.0);
        assert_eq!(y, vec![-1.5, -0.75, -1.5, -0.75]);
        let xh: Vec<half::bf16> = x.iter().map(|&v| half::bf16::from_f64(v)).collect();
        let none = Affine {
            weight: None,
            bias: None,
        };
        let (yh, mean, _) = layer_norm_rows_half(&xh, 2, &none, 0.0);
        assert_eq!(yh[3], half::bf16::from_f32(1.0));
        assert_eq!(mean[1], 5.0);
    }

    #[test]
    fn layer_norm_rows_agree_with_two_passes_in_f64_across_threads() {
        let (rows, len) = (500, 129);
        let x: Vec<f32> = (0..rows * len)
            .map(|i| ((i * 31) % 97) as f32 * 0.37 + 1e3)
            .collect();
        let w: Vec<f32> = (0..len).map(|i| 0.5 + i as f32 / len as f32).collect();
        let affine = Affine {
            weight: Some(&w[..]),
            bias: None,
        };
        let (y, means, rstds) = layer_norm_rows(&x, len, &affine, 1e-5);
        for (r, row) in x.chunks(len).enumerate() {
            let mean = row.iter().map(|&v| v as f64).sum::<f64>() / len as f64;
            let var = row.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / len as f64;
            let rstd = 1.0 / (var + 1e-5).sqrt();
            assert!((means[r] as f64 - mean).abs() <= 1e-4);
            assert!((rstds[r] as f64 - rstd).abs() <= 1e-6 * rstd);
            for (j, &v) in row.iter().enumerate() {
                let want = (v as f64 - mean) * rstd * w[j] as f64;
                assert!(
                    (y[r * len + j] as f64 - want).abs() <= 2e-5,
                    "{} {want}",
                    y[r * len + j]
                );
            }
        }
    }
}
