//! Elementwise kernels over strided inputs: a contiguous fast path the compiler vectorises,
//! a strided path that walks runs along the innermost dim, and threads above a size threshold.

use super::pool;
use super::strided::{PARALLEL_THRESHOLD, Walk};
use crate::layout::Layout;
use crate::storage::StorageElement;
use rayon::prelude::*;

/// Fills the contiguous `out` (of the walk's shape) run by run; `run(out_run, offsets)` writes
/// one run. Splits the work across threads when it is large.
pub(crate) fn fill_runs<const N: usize, U: Send>(
    walk: &Walk<N>,
    out: &mut [U],
    run: impl Fn(&mut [U], [isize; N]) + Sync,
) {
    let fill_chunk = |start: usize, chunk: &mut [U]| {
        let mut pos = 0;
        walk.for_each_run(start, chunk.len(), |offs, n| {
            run(&mut chunk[pos..pos + n], offs);
            pos += n;
        });
    };
    if out.len() >= PARALLEL_THRESHOLD {
        out.par_chunks_mut(PARALLEL_THRESHOLD / 2)
            .enumerate()
            .for_each(|(i, chunk)| fill_chunk(i * (PARALLEL_THRESHOLD / 2), chunk));
    } else {
        fill_chunk(0, out);
    }
}

/// Rows and columns of one tile when an operand reads across rows (a transposed view).
const TILE: usize = 64;

/// True when walking row by row would touch a new cache line per element: some operand moves
/// along the innermost dim with a stride other than 0 or 1, and the last two dims are at least
/// a tile each.
fn wants_tiles<const N: usize>(walk: &Walk<N>) -> bool {
    let nd = walk.shape.len();
    nd >= 2
        && walk.shape[nd - 1] >= TILE
        && walk.shape[nd - 2] >= TILE
        && walk.strides[nd - 1].iter().any(|s| s.abs() > 1)
}

/// Fills the contiguous `out` (of the walk's shape) tile by tile over the last two dims, so a
/// transposed operand is read a few cache lines at a time; `elem(offsets)` makes one element
/// from the operands' storage indices. Bands of `TILE` rows run on threads.
fn fill_tiled<const N: usize, U: Send>(
    walk: &Walk<N>,
    out: &mut [U],
    elem: impl Fn([isize; N]) -> U + Sync,
) {
    let nd = walk.shape.len();
    let (rows, cols) = (walk.shape[nd - 2], walk.shape[nd - 1]);
    let (row_step, col_step) = (walk.strides[nd - 2], walk.strides[nd - 1]);
    let at = |base: [isize; N], i: usize, j: usize| -> [isize; N] {
        std::array::from_fn(|k| base[k] + i as isize * row_step[k] + j as isize * col_step[k])
    };
    let fill_band = |slice_start: usize, first_row: usize, band: &mut [U]| {
        let mut base = walk.base;
        walk.for_each_run(slice_start, 1, |offsets, _| base = offsets);
        let band_rows = band.len() / cols;
        for j0 in (0..cols).step_by(TILE) {
            let j1 = (j0 + TILE).min(cols);
            for r in 0..band_rows {
                let row = &mut band[r * cols + j0..r * cols + j1];
                for (j, o) in (j0..j1).zip(row) {
                    *o = elem(at(base, first_row + r, j));
                }
            }
        }
    };
    let plane = rows * cols;
    if out.len() < PARALLEL_THRESHOLD {
        for (slice, p) in out.chunks_mut(plane).enumerate() {
            for (b, band) in p.chunks_mut(TILE * cols).enumerate() {
                fill_band(slice * plane, b * TILE, band);
            }
        }
        return;
    }
    out.par_chunks_mut(plane)
        .enumerate()
        .for_each(|(slice, p)| {
            p.par_chunks_mut(TILE * cols)
                .enumerate()
                .for_each(|(b, band)| fill_band(slice * plane, b * TILE, band));
        });
}

/// `f` applied to every element of the strided `src`, in row-major order.
pub(crate) fn unary_map<T, U>(
    src: &[T],
    layout: &Layout,
    f: impl Fn(T) -> U + Sync + Send,
) -> Vec<U>
where
    T: Copy + Sync,
    U: StorageElement,
{
    let n = layout.numel();
    if n == 0 {
        // An empty view's offset may lie past its (empty) buffer: never slice it.
        return Vec::new();
    }
    if layout.is_contiguous() {
        let s = &src[layout.offset()..layout.offset() + n];
        return if n >= PARALLEL_THRESHOLD {
            let mut out = pool::with_capacity(n);
            s.par_iter().map(|&x| f(x)).collect_into_vec(&mut out);
            out
        } else {
            let mut out = pool::with_capacity(n);
            out.extend(s.iter().map(|&x| f(x)));
            out
        };
    }
    let walk = Walk::new([layout]);
    let [st] = walk.inner_strides();
    let mut out = pool::filled(n, U::default());
    if wants_tiles(&walk) {
        fill_tiled(&walk, &mut out, |[off]| f(src[off as usize]));
        return out;
    }
    fill_runs(&walk, &mut out, |o, [off]| {
        if st == 1 {
            let s = &src[off as usize..off as usize + o.len()];
            o.iter_mut().zip(s).for_each(|(o, &x)| *o = f(x));
        } else {
            for (i, o) in o.iter_mut().enumerate() {
                *o = f(src[(off + i as isize * st) as usize]);
            }
        }
    });
    out
}

/// `f(a, b)` elementwise over two strided inputs already broadcast to one shape.
pub(crate) fn binary_map<A, B, U>(
    a: &[A],
    la: &Layout,
    b: &[B],
    lb: &Layout,
    f: impl Fn(A, B) -> U + Sync + Send,
) -> Vec<U>
where
    A: Copy + Sync,
    B: Copy + Sync,
    U: StorageElement,
{
    let n = la.numel();
    if n == 0 {
        return Vec::new();
    }
    if la.is_contiguous() && lb.is_contiguous() {
        let sa = &a[la.offset()..la.offset() + n];
        let sb = &b[lb.offset()..lb.offset() + n];
        return if n >= PARALLEL_THRESHOLD {
            let mut out = pool::with_capacity(n);
            sa.par_iter()
                .zip(sb)
                .map(|(&x, &y)| f(x, y))
                .collect_into_vec(&mut out);
            out
        } else {
            let mut out = pool::with_capacity(n);
            out.extend(sa.iter().zip(sb).map(|(&x, &y)| f(x, y)));
            out
        };
    }
    let walk = Walk::new([la, lb]);
    let [sa, sb] = walk.inner_strides();
    let mut out = pool::filled(n, U::default());
    if wants_tiles(&walk) {
        fill_tiled(&walk, &mut out, |[oa, ob]| {
            f(a[oa as usize], b[ob as usize])
        });
        return out;
    }
    fill_runs(&walk, &mut out, |o, [oa, ob]| {
        let (oa, ob, len) = (oa as usize, ob as usize, o.len());
        match (sa, sb) {
            (1, 1) => {
                let (x, y) = (&a[oa..oa + len], &b[ob..ob + len]);
                o.iter_mut()
                    .zip(x.iter().zip(y))
                    .for_each(|(o, (&x, &y))| *o = f(x, y));
            }
            (1, 0) => {
                let (x, y) = (&a[oa..oa + len], b[ob]);
                o.iter_mut().zip(x).for_each(|(o, &x)| *o = f(x, y));
            }
            (0, 1) => {
                let (x, y) = (a[oa], &b[ob..ob + len]);
                o.iter_mut().zip(y).for_each(|(o, &y)| *o = f(x, y));
            }
            _ => {
                for (i, o) in o.iter_mut().enumerate() {
                    let i = i as isize;
                    *o = f(
                        a[(oa as isize + i * sa) as usize],
                        b[(ob as isize + i * sb) as usize],
                    );
                }
            }
        }
    });
    out
}

/// `f(c, a, b)` elementwise over three strided inputs already broadcast to one shape
/// (`where_`).
pub(crate) fn ternary_map<C, A, B, U>(
    c: (&[C], &Layout),
    a: (&[A], &Layout),
    b: (&[B], &Layout),
    f: impl Fn(C, A, B) -> U + Sync + Send,
) -> Vec<U>
where
    C: Copy + Sync,
    A: Copy + Sync,
    B: Copy + Sync,
    U: StorageElement,
{
    if c.1.numel() == 0 {
        return Vec::new();
    }
    let walk = Walk::new([c.1, a.1, b.1]);
    let [sc, sa, sb] = walk.inner_strides();
    let mut out = pool::filled(c.1.numel(), U::default());
    fill_runs(&walk, &mut out, |o, [oc, oa, ob]| {
        for (i, o) in o.iter_mut().enumerate() {
            let i = i as isize;
            *o = f(
                c.0[(oc + i * sc) as usize],
                a.0[(oa + i * sa) as usize],
                b.0[(ob + i * sb) as usize],
            );
        }
    });
    out
}

/// In place: `dst[i] = f(dst[i], src[i])` over a strided destination and a strided source of
/// the same shape (the caller makes sure they do not share a buffer).
pub(crate) fn update_strided<T, S>(
    dst: &mut [T],
    ld: &Layout,
    src: &[S],
    ls: &Layout,
    f: impl Fn(T, S) -> T + Sync + Send,
) where
    T: Copy + Send + Sync,
    S: Copy + Sync,
{
    let n = ld.numel();
    if n == 0 {
        return;
    }
    if ld.is_contiguous() && ls.is_contiguous() {
        let d = &mut dst[ld.offset()..ld.offset() + n];
        let s = &src[ls.offset()..ls.offset() + n];
        if n >= PARALLEL_THRESHOLD {
            d.par_iter_mut().zip(s).for_each(|(d, &s)| *d = f(*d, s));
        } else {
            d.iter_mut().zip(s).for_each(|(d, &s)| *d = f(*d, s));
        }
        return;
    }
    let walk = Walk::new([ld, ls]);
    let [sd, ss] = walk.inner_strides();
    walk.for_each_run(0, n, |[od, os], len| {
        for i in 0..len as isize {
            let di = (od + i * sd) as usize;
            dst[di] = f(dst[di], src[(os + i * ss) as usize]);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Row-major values of a strided view, one element at a time (the reference).
    fn naive(src: &[i64], layout: &Layout) -> Vec<i64> {
        let (shape, strides) = (layout.shape(), layout.strides());
        (0..layout.numel())
            .map(|mut i| {
                let mut off = layout.offset() as isize;
                for d in (0..shape.len()).rev() {
                    off += (i % shape[d]) as isize * strides[d];
                    i /= shape[d];
                }
                src[off as usize]
            })
            .collect()
    }

    #[test]
    fn tiled_walks_match_the_row_major_order() {
        let src: Vec<i64> = (0..4 * 70 * 130).collect();
        // Small (sequential) and large (threaded) transposed views, ragged tile edges.
        for shape in [[1usize, 70, 130], [4, 70, 130]] {
            let n: usize = shape.iter().product();
            let base = Layout::contiguous(&shape);
            let t = base.transpose(1, 2);
            let walk = Walk::new([&t]);
            assert!(wants_tiles(&walk));
            let got = unary_map(&src[..n], &t, |x| x);
            assert_eq!(got, naive(&src[..n], &t));
            let other = Layout::contiguous(&[shape[0], shape[2], shape[1]]);
            let sum = binary_map(&src[..n], &t, &src[..n], &other, |x, y| x * 1000 + y);
            let (nt, no) = (naive(&src[..n], &t), naive(&src[..n], &other));
            let want: Vec<i64> = nt.iter().zip(&no).map(|(x, y)| x * 1000 + y).collect();
            assert_eq!(sum, want);
        }
    }
}
