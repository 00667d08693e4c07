//! Matrix-multiply kernels: the `gemm` crate for f32, f64 and f16, a plain triple loop for
//! integers. Operands are read through their strides (row and column strides go to gemm as they
//! are), so transposed, narrowed and broadcast inputs are never copied.

use crate::dtype::Element;
use crate::layout::Layout;
use crate::storage::StorageElement;
use crate::tensor::Tensor;
use gemm::Parallelism;
use half::f16;
use rayon::prelude::*;
use std::any::TypeId;
use std::mem::MaybeUninit;

/// Products with fewer multiply-adds than this run on one thread: below it, waking the
/// thread pool costs more than it saves (a 64x64 product is 262k multiply-adds).
const PARALLEL_FLOPS: usize = 1 << 21;

/// Where one matrix of a batch starts, and how to step through it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MatrixView {
    offset: usize,
    row_stride: isize,
    col_stride: isize,
}

/// The sizes of one batched product `[batch, m, k] @ [batch, k, n]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dims {
    m: usize,
    n: usize,
    k: usize,
}

impl Dims {
    fn flops(self) -> usize {
        self.m.saturating_mul(self.n).saturating_mul(self.k)
    }
}

/// An element type with a matrix-multiply kernel.
pub(crate) trait MatmulElement: StorageElement {
    /// Writes `a @ b` into every element of `dst` (row-major, `m x n`, not read), reading `a`
    /// and `b` through their views.
    fn product(
        dst: &mut [MaybeUninit<Self>],
        a: (&[Self], MatrixView),
        b: (&[Self], MatrixView),
        d: Dims,
        par: Parallelism,
    );
}

/// Calls `gemm::gemm` for one product (`dst := a @ b`; gemm writes every element of `dst`
/// and, with `read_dst` false, reads none).
fn gemm_product<T: StorageElement>(
    dst: &mut [MaybeUninit<T>],
    (a, va): (&[T], MatrixView),
    (b, vb): (&[T], MatrixView),
    d: Dims,
    par: Parallelism,
) {
    assert_eq!(
        dst.len(),
        d.m * d.n,
        "matmul kernel: destination of the wrong length"
    );
    assert!(view_fits(a.len(), va, d.m, d.k) && view_fits(b.len(), vb, d.k, d.n));
    // SAFETY: `view_fits` checked that every element the views address lies inside `a` and
    // `b`; `dst` is an exclusively borrowed row-major `m x n` buffer (checked above) that
    // aliases neither input. With `read_dst` false gemm never reads `dst` (its alpha is set to
    // zero, and every kernel stores `beta * acc`, or zeros when k is 0), so `dst` may be
    // uninitialised. `T` is f32, f64 or f16 (the only implementors of `MatmulElement` that
    // call this), which gemm supports.
    unsafe {
        call_gemm(
            dst.as_mut_ptr().cast::<T>(),
            (a, va),
            (b, vb),
            d,
            false,
            par,
        )
    }
}

/// `gemm::gemm` for a row-major `m x n` destination: `dst := a @ b`, or `dst += a @ b` when
/// `read_dst`. A transposed `b` is first copied row-major when [`copy_right_first`] says so.
///
/// # Safety
/// `dst` must be valid for writes of `m * n` elements (and for reads when `read_dst`) and
/// alias neither operand; every element the views address must lie inside `a` and `b`
/// ([`view_fits`]); `T` must be f32, f64 or f16.
unsafe fn call_gemm<T: StorageElement>(
    dst: *mut T,
    (a, va): (&[T], MatrixView),
    (b, vb): (&[T], MatrixView),
    d: Dims,
    read_dst: bool,
    par: Parallelism,
) {
    let copied = copy_right_first(vb, d).then(|| {
        let threaded = !matches!(par, Parallelism::None);
        transposed_copy(b, vb, [d.k, d.n], threaded)
    });
    let (b, vb) = match &copied {
        Some(c) => (&c[..], Read::AsIs(&c[..]).view(d.k, d.n).1),
        None => (b, vb),
    };
    let alpha = if read_dst { T::one() } else { T::zero() };
    // SAFETY: the caller's contract above is gemm's: valid, non-aliasing pointers for the
    // given sizes and strides, and an element type gemm supports. A copied `b` is a row-major
    // `k x n` buffer of its own, which the row-major view addresses exactly.
    unsafe {
        gemm::gemm(
            d.m,
            d.n,
            d.k,
            dst,
            1,
            d.n as isize,
            read_dst,
            a.as_ptr().add(va.offset),
            va.col_stride,
            va.row_stride,
            b.as_ptr().add(vb.offset),
            vb.col_stride,
            vb.row_stride,
            alpha,
            T::one(),
            false,
            false,
            false,
            par,
        );
    }
    if let Some(c) = copied {
        super::pool::recycle(T::into_storage(c));
    }
}

/// Whether gemm should get a transposed right operand `b` (rows one element apart, columns
/// further: `x @ w.t()` in `linear`, a gradient's `dy @ b.t()`) copied row-major first.
///
/// gemm's AVX-512 kernels, chosen at run time on CPUs that have them, pack such an operand by
/// gathering one element at a time from rows that are often a power of two apart, which
/// thrashes the L1 cache: `[64, 512] @ [512, 512]^T` ran 2-3x slower than with the operand
/// copied first, and 1.2-3.5x slower than gemm's AVX2 kernels (docs/PERFORMANCE.md, session
/// 11). The copy costs one pass over `b`, so small products and single rows are left alone.
fn copy_right_first(vb: MatrixView, d: Dims) -> bool {
    vb.row_stride == 1 && vb.col_stride > 1 && d.m >= 2 && d.n >= 32 && d.k >= 128 && {
        #[cfg(target_arch = "x86_64")]
        let avx512 = std::arch::is_x86_feature_detected!("avx512f");
        #[cfg(not(target_arch = "x86_64"))]
        let avx512 = false;
        avx512
    }
}

/// The transpose of a row-major `rows x cols` matrix, as a new row-major `cols x rows` one.
pub(crate) fn transpose<T: StorageElement>(data: &[T], [rows, cols]: [usize; 2]) -> Vec<T> {
    let view = MatrixView {
        offset: 0,
        row_stride: 1,
        col_stride: cols.max(1) as isize,
    };
    transposed_copy(data, view, [cols, rows], false)
}

/// Whether a product `[m, k] @ [k, n]` whose right operand is a transposed row-major matrix
/// gets that operand copied row-major first ([`copy_right_first`]).
pub(crate) fn copies_transposed_right([m, k, n]: [usize; 3]) -> bool {
    let view = Read::<f32>::Transposed(&[]).view(k, n).1;
    copy_right_first(view, Dims { m, n, k })
}

/// The side of the square tiles [`transposed_copy`] moves at a time.
const TILE: usize = 16;

/// A `k x n` view with unit row stride (a transposed row-major matrix: column `j` is the run
/// `b[offset + j * col_stride..][..k]`) copied into a new row-major `k x n` buffer, on rayon's
/// threads when `threaded`.
///
/// Tile by tile: [`TILE`] column runs are read whole into a small tile, then written out as
/// rows, so each source cache line is read once, however far apart the runs lie.
fn transposed_copy<T: StorageElement>(
    b: &[T],
    vb: MatrixView,
    [k, n]: [usize; 2],
    threaded: bool,
) -> Vec<T> {
    assert!(vb.row_stride == 1 && vb.col_stride > 0 && view_fits(b.len(), vb, k, n));
    let column = |j: usize| &b[vb.offset + j * vb.col_stride as usize..][..k];
    let rows_from = |first: usize, rows: &mut [MaybeUninit<T>]| {
        let count = rows.len() / n;
        let mut tile = [[T::default(); TILE]; TILE];
        let done = vector_columns(&b[vb.offset + first..], vb.col_stride as usize, n, rows);
        for j0 in (done..n).step_by(TILE) {
            let width = TILE.min(n - j0);
            for (t, j) in tile.iter_mut().zip(j0..j0 + width) {
                let run = &column(j)[first..first + count];
                match <&[T; TILE]>::try_from(run) {
                    Ok(whole) => *t = *whole, // a fixed-size copy, not a call to memmove
                    Err(_) => t[..count].copy_from_slice(run),
                }
            }
            for (p, row) in rows.chunks_exact_mut(n).enumerate() {
                for (d, t) in row[j0..j0 + width].iter_mut().zip(&tile) {
                    d.write(t[p]);
                }
            }
        }
    };
    let fill = |out: &mut [MaybeUninit<T>]| {
        if n == 0 {
            return;
        }
        let block = |(i, rows): (usize, &mut [MaybeUninit<T>])| rows_from(i * TILE, rows);
        match threaded {
            true => out.par_chunks_mut(TILE * n).enumerate().for_each(block),
            false => out.chunks_mut(TILE * n).enumerate().for_each(block),
        }
    };
    // SAFETY: the buffer is `k` rows of `n`; the tasks take whole blocks of `TILE` rows, and
    // each block writes every element of its rows (all `n` columns, tile by tile).
    unsafe { super::pool::written(k * n, fill) }
}

/// The first `n / 8 * 8` columns of one block of [`TILE`] rows of [`transposed_copy`], for
/// 4-byte elements on a CPU with AVX2, by 8x8 transposes in AVX registers (the scalar tiles
/// move one element per load and store, and took 4-8x as long as a copy of the same bytes);
/// `runs` starts at the block's first element of column 0, column `j` at `runs[j * ld..]`.
/// Returns how many columns it wrote: 0 where it does not apply.
fn vector_columns<T: Copy>(runs: &[T], ld: usize, n: usize, rows: &mut [MaybeUninit<T>]) -> usize {
    let columns = n / 8 * 8;
    let fits = columns == 0 || (columns - 1) * ld + TILE <= runs.len();
    #[cfg(target_arch = "x86_64")]
    if size_of::<T>() == 4 && super::math::has_avx2_fma() && fits && rows.len() == TILE * n {
        // SAFETY: the CPU has AVX2 (checked). The reads are runs `j * ld .. j * ld + TILE` for
        // `j < columns`, inside `runs` (`fits`); the writes are columns `< n` of `TILE` rows
        // of `n` (`rows.len()`). A transpose moves 4-byte elements as bits, whatever their type.
        unsafe {
            let (src, dst) = (runs.as_ptr().cast::<f32>(), rows.as_mut_ptr().cast::<f32>());
            avx_columns(src, ld, dst, [n, columns]);
        }
        return columns;
    }
    let _ = (runs, ld, rows, fits);
    0
}

/// [`vector_columns`]' loop: for each group of 8 runs, two 8x8 transposes (rows 0-7 and 8-15).
/// (Asking for the runs two groups ahead with `_mm_prefetch` changed nothing measurable on
/// `linear`: 0.98-1.04 of the time without, five alternated rounds.)
///
/// # Safety
/// The CPU must have AVX2; `src[j * ld..][..TILE]` must be readable for `j < columns` and
/// `dst` writable as `TILE` rows of `n`, with `columns <= n` a multiple of 8.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx_columns(src: *const f32, ld: usize, dst: *mut f32, [n, columns]: [usize; 2]) {
    for j in (0..columns).step_by(8) {
        for p in [0, 8] {
            // SAFETY: rows `p..p + 8` of runs `j..j + 8`, and columns `j..j + 8` of rows
            // `p..p + 8`: inside both buffers by the caller's contract.
            unsafe { transpose_8x8(src.add(j * ld + p), ld, dst.add(p * n + j), n) };
        }
    }
}

/// Writes the transpose of the 8x8 block whose row `i` is `src[i * ld..][..8]` to the rows
/// `dst[i * ld_dst..][..8]`: unpacks pair rows, shuffles pair those, and 128-bit permutes
/// swap the halves (24 shuffles for 64 elements).
///
/// # Safety
/// The CPU must have AVX2; the 8 source and 8 destination rows must be readable and writable.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn transpose_8x8(src: *const f32, ld: usize, dst: *mut f32, ld_dst: usize) {
    use std::arch::x86_64::*;
    // SAFETY: the caller guarantees the 8 rows of 8 at `src` and at `dst`.
    let r: [__m256; 8] = std::array::from_fn(|i| unsafe { _mm256_loadu_ps(src.add(i * ld)) });
    let lo = |a, b| _mm256_unpacklo_ps(a, b);
    let hi = |a, b| _mm256_unpackhi_ps(a, b);
    let t = [
        lo(r[0], r[1]),
        hi(r[0], r[1]),
        lo(r[2], r[3]),
        hi(r[2], r[3]),
        lo(r[4], r[5]),
        hi(r[4], r[5]),
        lo(r[6], r[7]),
        hi(r[6], r[7]),
    ];
    let even = |a, b| _mm256_shuffle_ps::<0x44>(a, b);
    let odd = |a, b| _mm256_shuffle_ps::<0xEE>(a, b);
    let u = [
        even(t[0], t[2]),
        odd(t[0], t[2]),
        even(t[1], t[3]),
        odd(t[1], t[3]),
        even(t[4], t[6]),
        odd(t[4], t[6]),
        even(t[5], t[7]),
        odd(t[5], t[7]),
    ];
    for i in 0..4 {
        let low = _mm256_permute2f128_ps::<0x20>(u[i], u[i + 4]);
        let high = _mm256_permute2f128_ps::<0x31>(u[i], u[i + 4]);
        // SAFETY: rows `i` and `i + 4` of the destination block.
        unsafe {
            _mm256_storeu_ps(dst.add(i * ld_dst), low);
            _mm256_storeu_ps(dst.add((i + 4) * ld_dst), high);
        }
    }
}

/// Whether every element of a `rows x cols` view lies inside a buffer of `len` elements.
fn view_fits(len: usize, v: MatrixView, rows: usize, cols: usize) -> bool {
    if rows == 0 || cols == 0 {
        return v.offset <= len;
    }
    let reach = |stride: isize, count: usize| stride * (count as isize - 1);
    let (r, c) = (reach(v.row_stride, rows), reach(v.col_stride, cols));
    let lo = v.offset as isize + r.min(0) + c.min(0);
    let hi = v.offset as isize + r.max(0) + c.max(0);
    lo >= 0 && (hi as usize) < len
}

macro_rules! gemm_element {
    ($($t:ty),*) => {$(
        impl MatmulElement for $t {
            fn product(dst: &mut [MaybeUninit<Self>], a: (&[Self], MatrixView), b: (&[Self], MatrixView), d: Dims, par: Parallelism) {
                gemm_product(dst, a, b, d, par);
            }
        }
    )*};
}
gemm_element!(f32, f64, f16);

/// The integer product: each row of `dst` accumulates `a[i, p] * b[p, :]` in wrapping i64,
/// which wraps to the same value as arithmetic in the narrow type.
fn int_product<T: Element>(
    dst: &mut [MaybeUninit<T>],
    (a, va): (&[T], MatrixView),
    (b, vb): (&[T], MatrixView),
    d: Dims,
) {
    let at = |s: &[T], v: MatrixView, r: usize, c: usize| {
        s[(v.offset as isize + r as isize * v.row_stride + c as isize * v.col_stride) as usize]
            .to_i64()
    };
    let mut acc = vec![0i64; d.n];
    for (i, row) in dst.chunks_mut(d.n.max(1)).enumerate().take(d.m) {
        acc.iter_mut().for_each(|x| *x = 0);
        for p in 0..d.k {
            let x = at(a, va, i, p);
            for (j, s) in acc.iter_mut().enumerate() {
                *s = s.wrapping_add(x.wrapping_mul(at(b, vb, p, j)));
            }
        }
        for (o, &s) in row.iter_mut().zip(&acc) {
            o.write(T::from_i64(s));
        }
    }
}

macro_rules! int_element {
    ($($t:ty),*) => {$(
        impl MatmulElement for $t {
            fn product(dst: &mut [MaybeUninit<Self>], a: (&[Self], MatrixView), b: (&[Self], MatrixView), d: Dims, _: Parallelism) {
                int_product(dst, a, b, d);
            }
        }
    )*};
}
int_element!(u8, i8, i32, i64);

/// The views of every matrix of a batched operand of shape `[batch.., rows, cols]`, in
/// row-major batch order.
fn matrix_views(layout: &Layout) -> Vec<MatrixView> {
    let nd = layout.ndim();
    let (shape, strides) = (layout.shape(), layout.strides());
    let (row_stride, col_stride) = (strides[nd - 2], strides[nd - 1]);
    let mut offsets = vec![layout.offset() as isize];
    for (&size, &stride) in shape[..nd - 2].iter().zip(&strides[..nd - 2]) {
        offsets = offsets
            .iter()
            .flat_map(|&o| (0..size).map(move |i| o + i as isize * stride))
            .collect();
    }
    offsets
        .into_iter()
        .map(|o| MatrixView {
            offset: o as usize,
            row_stride,
            col_stride,
        })
        .collect()
}

/// `a @ b` for CPU tensors of element `T` with shapes `[batch.., m, k]` and `[batch.., k, n]`
/// (equal batch dims, already broadcast; any strides). Returns a new contiguous
/// `[batch.., m, n]` tensor.
pub(crate) fn batched_matmul<T: MatmulElement>(a: &Tensor, b: &Tensor) -> Tensor {
    let nd = a.dim();
    let d = Dims {
        m: a.shape()[nd - 2],
        k: a.shape()[nd - 1],
        n: b.shape()[nd - 1],
    };
    let mut shape = a.shape().to_vec();
    shape[nd - 1] = d.n;
    let len: usize = shape.iter().product();
    if len == 0 {
        return Tensor::from_cpu(T::into_storage(Vec::new()), &shape);
    }
    let ga = a.storage_cell().read();
    let gb = (!a.shares_storage(b)).then(|| b.storage_cell().read());
    let sb = gb.as_deref().unwrap_or(&*ga);
    let (da, db) = (ga.cpu().typed::<T>(), sb.cpu().typed::<T>());
    let (views_a, views_b) = (matrix_views(a.layout()), matrix_views(b.layout()));
    let fill = |out: &mut [MaybeUninit<T>]| run_batches(out, (da, &views_a), (db, &views_b), d);
    // SAFETY: the buffer holds `len / (m * n)` matrices, one per view (as many views as batch
    // elements), and `run_batches` hands each matrix to one product, which writes all its
    // `m * n` elements (`MatmulElement::product`'s contract; zeros when k is 0).
    let out = unsafe { super::pool::written(len, fill) };
    Tensor::from_cpu(T::into_storage(out), &shape)
}

/// `dst := a @ b` for row-major, contiguous `a` (`m x k`) and `b` (`k x n`), writing every
/// element of `dst` (`m x n`); split over gemm's threads when `threaded` and the product is
/// large enough to pay for waking them.
pub(crate) fn product_rows<T: MatmulElement>(
    dst: &mut [MaybeUninit<T>],
    a: &[T],
    b: &[T],
    [m, k, n]: [usize; 3],
    threaded: bool,
) {
    let d = Dims { m, n, k };
    let (a, b) = (Read::AsIs(a).view(m, k), Read::AsIs(b).view(k, n));
    T::product(dst, a, b, d, parallelism(threaded, d));
}

/// A row-major matrix buffer as an operand of [`product_add`]: read as stored, or transposed
/// (a stored `[k, m]` matrix read as `[m, k]`, through its strides, without a copy).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Read<'a, T> {
    AsIs(&'a [T]),
    Transposed(&'a [T]),
}

impl<'a, T> Read<'a, T> {
    /// The buffer and the view reading it as a `rows x cols` matrix.
    fn view(self, rows: usize, cols: usize) -> (&'a [T], MatrixView) {
        let (data, row_stride, col_stride) = match self {
            Read::AsIs(data) => (data, cols, 1),
            Read::Transposed(data) => (data, 1, rows),
        };
        let view = MatrixView {
            offset: 0,
            row_stride: row_stride as isize,
            col_stride: col_stride as isize,
        };
        (data, view)
    }
}

/// `dst := a @ b`, or `dst += a @ b` when `accumulate`, for a row-major `m x n` destination and
/// operands read as `m x k` and `k x n`; split over gemm's threads when `threaded` and the
/// product is large enough. For the float types gemm supports (f32, f64, f16).
pub(crate) fn product_add<T: StorageElement>(
    dst: &mut [T],
    a: Read<'_, T>,
    b: Read<'_, T>,
    [m, k, n]: [usize; 3],
    accumulate: bool,
    threaded: bool,
) {
    assert!(
        [
            TypeId::of::<f32>(),
            TypeId::of::<f64>(),
            TypeId::of::<f16>()
        ]
        .contains(&TypeId::of::<T>()),
        "product_add: gemm does not multiply {}",
        std::any::type_name::<T>()
    );
    let d = Dims { m, n, k };
    let ((a, va), (b, vb)) = (a.view(m, k), b.view(k, n));
    assert_eq!(
        dst.len(),
        m * n,
        "product_add: destination of the wrong length"
    );
    assert!(view_fits(a.len(), va, m, k) && view_fits(b.len(), vb, k, n));
    let par = parallelism(threaded, d);
    // SAFETY: `view_fits` checked that every element the views address lies inside `a` and
    // `b`; `dst` is an exclusively borrowed, initialised row-major `m x n` buffer (checked
    // above) that aliases neither input, so gemm may read it (`read_dst` = `accumulate`) and
    // write it. `T` is f32, f64 or f16 (asserted above), which gemm supports.
    unsafe { call_gemm(dst.as_mut_ptr(), (a, va), (b, vb), d, accumulate, par) }
}

/// gemm's threads for one product when `threaded` and the product is large enough to pay for
/// waking them, else none.
fn parallelism(threaded: bool, d: Dims) -> Parallelism {
    match threaded && d.flops() >= PARALLEL_FLOPS {
        true => Parallelism::Rayon(rayon::current_num_threads()),
        false => Parallelism::None,
    }
}

/// Whether a batch of `products` is better spread over `threads` threads one whole product
/// each than run one product at a time on all threads: yes when every thread gets about the
/// same number of products (gemm's own threads split one product and then wait for each
/// other, which costs most when `m` is small, as in a convolution's `[O, C*k*k] @ [C*k*k, L]`).
fn spread_products(products: usize, threads: usize) -> bool {
    products >= threads && (products.is_multiple_of(threads) || products >= 4 * threads)
}

/// Runs every product of a batch: spread over rayon's threads one product each when the batch
/// divides well among them or the products are small, else one after another with gemm's own
/// threads.
fn run_batches<T: MatmulElement>(
    out: &mut [MaybeUninit<T>],
    (a, va): (&[T], &[MatrixView]),
    (b, vb): (&[T], &[MatrixView]),
    d: Dims,
) {
    let chunk = d.m * d.n;
    let per_product = d.flops();
    let threads = rayon::current_num_threads();
    let jobs = out.chunks_mut(chunk).zip(va.iter().zip(vb));
    if per_product >= PARALLEL_FLOPS && !spread_products(va.len(), threads) {
        let par = Parallelism::Rayon(threads);
        jobs.for_each(|(dst, (&x, &y))| T::product(dst, (a, x), (b, y), d, par));
    } else if per_product.saturating_mul(va.len()) >= PARALLEL_FLOPS {
        out.par_chunks_mut(chunk)
            .zip(va.par_iter().zip(vb))
            .for_each(|(dst, (&x, &y))| T::product(dst, (a, x), (b, y), d, Parallelism::None));
    } else {
        jobs.for_each(|(dst, (&x, &y))| T::product(dst, (a, x), (b, y), d, Parallelism::None));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_spread_over_threads_only_when_they_divide_well() {
        assert!(spread_products(32, 2) && spread_products(64, 8) && spread_products(33, 8));
        assert!(!spread_products(1, 2) && !spread_products(3, 2) && !spread_products(12, 8));
        assert!(spread_products(3, 1));
    }

    #[test]
    fn view_fits_checks_both_ends_with_negative_strides() {
        let v = MatrixView {
            offset: 5,
            row_stride: -3,
            col_stride: 1,
        };
        assert!(view_fits(8, v, 2, 3));
        assert!(!view_fits(7, v, 2, 3));
        assert!(!view_fits(8, v, 3, 3));
    }

    #[test]
    fn matrix_views_step_through_batch_strides() {
        let l = Layout::new(vec![2, 3, 4, 5], vec![0, 20, 1, 4], 7);
        let offsets: Vec<usize> = matrix_views(&l).iter().map(|v| v.offset).collect();
        assert_eq!(offsets, vec![7, 27, 47, 7, 27, 47]);
        assert_eq!(
            (
                matrix_views(&l)[0].row_stride,
                matrix_views(&l)[0].col_stride
            ),
            (1, 4)
        );
    }

    #[test]
    fn gemm_reads_a_flipped_operand_through_its_negative_stride() {
        // a = [[1, 2], [3, 4]] stored upside down: rows start at 2 and step back by 2.
        let a = [3.0f64, 4.0, 1.0, 2.0];
        let b = [1.0f64, 0.0, 0.0, 1.0];
        let va = MatrixView {
            offset: 2,
            row_stride: -2,
            col_stride: 1,
        };
        let vb = MatrixView {
            offset: 0,
            row_stride: 2,
            col_stride: 1,
        };
        let mut dst = [MaybeUninit::new(f64::NAN); 4];
        f64::product(
            &mut dst,
            (&a, va),
            (&b, vb),
            Dims { m: 2, n: 2, k: 2 },
            Parallelism::None,
        );
        // SAFETY: the product wrote every element (each starts as an initialised NaN anyway).
        let dst = dst.map(|d| unsafe { d.assume_init() });
        assert_eq!(dst, [1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn product_add_reads_transposed_operands_and_accumulates() {
        // a stored [[1, 2, 3], [4, 5, 6]] read transposed as 3x2; b = [[1, 0], [0, 2]].
        let a = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [1.0f32, 0.0, 0.0, 2.0];
        let mut dst = [f32::NAN; 6];
        product_add(
            &mut dst,
            Read::Transposed(&a),
            Read::AsIs(&b),
            [3, 2, 2],
            false,
            false,
        );
        assert_eq!(dst, [1.0, 8.0, 2.0, 10.0, 3.0, 12.0]);
        // added on top: c stored [[1, 1], [0, 1]], read transposed as [[1, 0], [1, 1]]
        let c = [1.0f32, 1.0, 0.0, 1.0];
        let (a, c) = (Read::Transposed(&a[..]), Read::Transposed(&c[..]));
        product_add(&mut dst, a, c, [3, 2, 2], true, false);
        assert_eq!(dst, [6.0, 12.0, 9.0, 15.0, 12.0, 18.0]);
    }

    /// `w` (`n x ld`, row-major) read from `offset` as the `k x n` matrix `w[.., ..k]^T`.
    fn transposed_view(offset: usize, ld: usize) -> MatrixView {
        MatrixView {
            offset,
            row_stride: 1,
            col_stride: ld as isize,
        }
    }

    #[test]
    fn transposed_copy_turns_column_runs_into_rows() {
        // k and n are not multiples of the tile; the runs are 150 apart, 131 long, from 3.
        let (k, n, ld) = (131, 37, 150);
        let w: Vec<f32> = (0..3 + n * ld).map(|i| i as f32).collect();
        for threaded in [false, true] {
            let copy = transposed_copy(&w, transposed_view(3, ld), [k, n], threaded);
            assert_eq!(copy.len(), k * n);
            for p in 0..k {
                for j in 0..n {
                    assert_eq!(copy[p * n + j], w[3 + j * ld + p], "at ({p}, {j})");
                }
            }
        }
    }

    #[test]
    fn vector_columns_move_the_bits_of_any_four_byte_type() {
        // f32 NaNs with payloads, as u32: the 8x8 transposes must move bits, not values.
        let (n, ld) = (19, 21);
        let runs: Vec<u32> = (0..(n - 1) * ld + TILE)
            .map(|i| 0x7fc0_0001 + i as u32)
            .collect();
        let mut rows = vec![MaybeUninit::new(0u32); TILE * n];
        let done = vector_columns(&runs, ld, n, &mut rows);
        let vectors = cfg!(target_arch = "x86_64") && crate::backend::cpu::math::has_avx2_fma();
        assert_eq!(done, if vectors { 16 } else { 0 });
        for (idx, x) in rows.iter().enumerate() {
            let (p, j) = (idx / n, idx % n);
            // SAFETY: every element starts initialised (0).
            let x = unsafe { x.assume_init() };
            let want = if j < done { runs[j * ld + p] } else { 0 };
            assert_eq!(x, want, "at ({p}, {j})");
        }
        // A block short of `TILE` rows, or 8-byte elements, are left to the scalar tiles.
        let mut short = vec![MaybeUninit::new(0u32); (TILE - 1) * n];
        assert_eq!(vector_columns(&runs, ld, n, &mut short), 0);
        let wide = vec![0u64; runs.len()];
        let mut rows = vec![MaybeUninit::new(0u64); TILE * n];
        assert_eq!(vector_columns(&wide, ld, n, &mut rows), 0);
    }

    #[test]
    fn transpose_swaps_rows_and_columns() {
        let m = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(transpose(&m, [2, 3]), [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        assert_eq!(transpose(&m, [6, 1]), m);
        assert!(transpose::<f32>(&[], [0, 3]).is_empty());
        assert!(transpose::<f32>(&[], [3, 0]).is_empty());
    }

    #[test]
    fn products_with_a_transposed_right_operand_match_the_plain_sum() {
        // Large enough for `copy_right_first` on a CPU with AVX-512; gemm reads b itself
        // otherwise. Both must give the plain sum.
        let (m, k, n, ld) = (5, 140, 40, 144);
        assert!(!copy_right_first(
            transposed_view(0, ld),
            Dims { m: 1, n, k }
        ));
        let a: Vec<f64> = (0..m * k).map(|i| ((i * 7) % 11) as f64 - 5.0).collect();
        let w: Vec<f64> = (0..n * ld).map(|i| ((i * 5) % 13) as f64 - 6.0).collect();
        let expect = |i: usize, j: usize| (0..k).map(|p| a[i * k + p] * w[j * ld + p]).sum::<f64>();
        let mut dst = vec![MaybeUninit::new(f64::NAN); m * n];
        let va = Read::AsIs(&a[..]).view(m, k).1;
        let d = Dims { m, n, k };
        f64::product(
            &mut dst,
            (&a, va),
            (&w, transposed_view(0, ld)),
            d,
            Parallelism::None,
        );
        for (idx, x) in dst.iter().enumerate() {
            // SAFETY: the product wrote every element (each starts as an initialised NaN).
            let x: f64 = unsafe { x.assume_init() };
            assert_eq!(x, expect(idx / n, idx % n), "at {idx}");
        }
        // Accumulating on top, from a tightly packed w (ld = k), on gemm's threads.
        let w: Vec<f64> = (0..n)
            .flat_map(|j| w[j * ld..][..k].iter().copied())
            .collect();
        let mut acc = vec![1.0f64; m * n];
        let (ra, rb) = (Read::AsIs(&a[..]), Read::Transposed(&w[..]));
        product_add(&mut acc, ra, rb, [m, k, n], true, true);
        for (idx, &x) in acc.iter().enumerate() {
            assert_eq!(x, 1.0 + expect(idx / n, idx % n), "at {idx}");
        }
    }

    #[test]
    #[should_panic(expected = "product_add: gemm does not multiply i32")]
    fn product_add_refuses_integers() {
        let mut dst = [0i32];
        product_add(
            &mut dst,
            Read::AsIs(&[1]),
            Read::AsIs(&[1]),
            [1, 1, 1],
            false,
            false,
        );
    }
}
