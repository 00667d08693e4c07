//! Reduction kernels: every output element reduces one "lane" (the elements that share its
//! kept indices). Lanes are contiguous slices when the layout allows, strided walks otherwise.

use super::strided::{Walk, PARALLEL_THRESHOLD};
use crate::layout::Layout;
use rayon::prelude::*;

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
        let idx: Vec<usize> = (0..layout.ndim()).filter(|d| dims.contains(d) != keep).collect();
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
    let mut out = vec![A::default(); n_out];
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

/// Sum of a slice with pairwise blocks: error grows as log(n), as PyTorch's cascade sum.
pub(crate) fn pairwise_sum<T: Copy>(s: &[T], to: impl Fn(T) -> f64 + Copy) -> f64 {
    const BLOCK: usize = 256;
    if s.len() <= BLOCK {
        let mut acc = [0.0f64; 8];
        let chunks = s.chunks_exact(8);
        let rest = chunks.remainder();
        for c in chunks {
            for k in 0..8 {
                acc[k] += to(c[k]);
            }
        }
        let tail: f64 = rest.iter().map(|&x| to(x)).sum();
        return acc.iter().sum::<f64>() + tail;
    }
    let mid = (s.len() / 2).next_multiple_of(8);
    pairwise_sum(&s[..mid], to) + pairwise_sum(&s[mid..], to)
}

/// Sum of one lane, accumulated in f64.
pub(crate) fn lane_sum<T: Copy>(lane: &Lane<T>, to: impl Fn(T) -> f64 + Copy) -> f64 {
    match lane.as_slice() {
        Some(s) => pairwise_sum(s, to),
        None => {
            let mut acc = 0.0;
            lane.for_each(|x| acc += to(x));
            acc
        }
    }
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
    fn pairwise_sum_stays_accurate_in_f32_range() {
        let v = vec![1.0f32; (1 << 24) + 3];
        assert_eq!(pairwise_sum(&v, |x| x as f64), ((1 << 24) + 3) as f64);
    }
}
