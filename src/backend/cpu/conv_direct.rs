//! Direct 2-D convolution of f32 for stride 1 on CPUs with AVX-512F: no im2col columns and no
//! gemm packing.
//!
//! Each sample is copied once into a zero-bordered scratch, one padded plane `[Hp, Wp]` per
//! channel (`Hp = H + 2 ph`, `Wp = W + 2 pw`). With stride 1, output position `(y, x)` reads,
//! at kernel offset `(i, j)`, the padded element `(y + i dh, x + j dw)`: flat index
//! `q + i dh Wp + j dw` where `q = y Wp + x`. So for every channel and kernel offset, sixteen
//! consecutive positions `q` read sixteen consecutive floats: one unaligned vector load. A tile
//! of four such vectors (64 positions) times six output channels is accumulated in 24 registers
//! over all `C * kh * kw` products, with the weights broadcast from a copy packed per block of
//! six channels, and written out once, bias included. Positions with `x >= ow` lie between two
//! output rows; vectors start on valid positions, and what they compute past a row's end is
//! dropped.
//!
//! The gradient with respect to the input is the same kernel run on the output's gradient with
//! the filters flipped and transposed ([`input_grad`]).

use super::contiguous_data;
use super::conv::Window2d;
use super::math::has_avx512;
use crate::storage::StorageElement;
use crate::tensor::Tensor;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Vectors of positions per tile.
const VECTORS: usize = 4;
/// Positions per vector (f32 lanes of an AVX-512 register).
const LANES: usize = 16;
/// Output channels per tile.
const CHANNELS: usize = 6;

/// Whether [`conv2d`] computes convolutions with window `g`: stride 1, on a CPU with AVX-512
/// (`math::has_avx512`, which includes the AVX-512F the kernels are compiled for),
/// for outputs whose rows fill at least three quarters of the lanes of the kernel's tiles.
///
/// Small planes fill few: an 8x8 output padded to 10 wide takes six vectors, two tiles of four,
/// so half of the lanes compute nothing, and the digits CNN's training step took 8.4 ms against
/// 7.3-7.6 ms with unfolding and gemm (`bench --cases cnn_train_step_digits_b64`).
pub(crate) fn applies(g: &Window2d) -> bool {
    can_run(g) && lane_use(g) >= 0.75
}

/// Whether the kernel can compute window `g` at all: stride 1, on a CPU with AVX-512F.
fn can_run(g: &Window2d) -> bool {
    g.stride == [1, 1] && has_avx512()
}

/// The share of the lanes of a stride-1 convolution's tiles that land on output positions.
fn lane_use(g: &Window2d) -> f64 {
    let wp = g.input[1] + 2 * g.padding[1];
    let vectors = vector_starts(g.output, wp).len();
    let lanes = vectors.div_ceil(VECTORS) * VECTORS * LANES;
    (g.output[0] * g.output[1]) as f64 / lanes.max(1) as f64
}

/// A one-group 2-D convolution of the contiguous `[N, C, H, W]` f32 input, with the weight and
/// bias given side by side as a row-major `[O, C * kh * kw + 1]` matrix (each row a filter, the
/// bias last), as `super::conv::conv2d` takes them. Returns the contiguous `[N, O, oh * ow]`
/// output. For stride 1 on a CPU with AVX-512F; [`applies`] says where it is the faster choice.
pub(crate) fn conv2d(
    input: &Tensor,
    weight_bias: &[f32],
    [samples, channels, out_channels]: [usize; 3],
    g: &Window2d,
) -> Tensor {
    assert!(can_run(g), "direct conv2d: needs stride 1 and AVX-512F");
    let plan = Plan::new(weight_bias, [channels, out_channels], g);
    contiguous_data::<f32, _>(input, |x| {
        let sample_out = out_channels * plan.output_len();
        assert_eq!(x.len(), samples * plan.sample_len(), "direct conv2d: input");
        // SAFETY: `Plan::run` writes every element: it splits each of the `samples` chunks of
        // `sample_out` into blocks of up to 6 channels and hands each to `Plan::block`, which
        // stores every output position of each of its channels (the vector starts cover all of
        // them, see `vector_starts`).
        let out = unsafe { super::pool::written(samples * sample_out, |o| plan.run(x, o)) };
        Tensor::from_cpu(
            f32::into_storage(out),
            &[samples, out_channels, plan.output_len()],
        )
    })
}

/// The gradient of a one-group 2-D convolution with respect to its input, `[N, C, H, W]`, from
/// the output's gradient `grad` (contiguous `[N, O, oh * ow]`) and the row-major filters
/// `weight` (`[O, C * kh * kw]`), or None where the direct kernel does not apply to it (see
/// [`transposed_window`] and [`applies`]).
pub(crate) fn input_grad(
    grad: &Tensor,
    weight: &[f32],
    dims: [usize; 3],
    g: &Window2d,
) -> Option<Tensor> {
    let transposed = transposed_window(g, dims[0] * dims[2])?;
    applies(&transposed).then(|| transposed_conv(grad, weight, dims, g, &transposed))
}

/// The window of the input's gradient as a convolution of the output's gradient (`planes` of
/// them): padded by `dilation * (kernel - 1) - padding`, with the input's size as its output.
/// None for an empty kernel or padding beyond `dilation * (kernel - 1)`.
fn transposed_window(g: &Window2d, planes: usize) -> Option<Window2d> {
    if g.kernel.contains(&0) {
        return None;
    }
    let reach = |axis: usize| g.dilation[axis] * (g.kernel[axis] - 1);
    let padding = [
        reach(0).checked_sub(g.padding[0])?,
        reach(1).checked_sub(g.padding[1])?,
    ];
    Some(Window2d {
        planes,
        input: g.output,
        padding,
        output: g.input,
        ..*g
    })
}

/// The input's gradient (see [`input_grad`]): the convolution of `grad` over the window
/// `transposed` with the filters flipped in space and input and output channels swapped.
fn transposed_conv(
    grad: &Tensor,
    weight: &[f32],
    [samples, channels, out_channels]: [usize; 3],
    g: &Window2d,
    transposed: &Window2d,
) -> Tensor {
    let flipped = flipped_filters(weight, [channels, out_channels], g.kernel);
    let dims = [samples, out_channels, channels];
    let gx = conv2d(grad, &flipped, dims, transposed);
    gx.reshape([samples, channels, g.input[0], g.input[1]])
}

/// The filters of the input's gradient: row-major `[C, O * kh * kw + 1]` (zero bias last) with
/// `flipped[c][o][i][j] = weight[o][c][kh - 1 - i][kw - 1 - j]`.
fn flipped_filters(
    weight: &[f32],
    [channels, out_channels]: [usize; 2],
    kernel: [usize; 2],
) -> Vec<f32> {
    let [kh, kw] = kernel;
    let at =
        |o: usize, c: usize, i: usize, j: usize| weight[((o * channels + c) * kh + i) * kw + j];
    let row = out_channels * kh * kw + 1;
    let mut flipped = vec![0.0; channels * row];
    for (c, dst) in flipped.chunks_exact_mut(row).enumerate() {
        for o in 0..out_channels {
            for i in 0..kh {
                for j in 0..kw {
                    dst[(o * kh + i) * kw + j] = at(o, c, kh - 1 - i, kw - 1 - j);
                }
            }
        }
    }
    flipped
}

/// Everything one convolution's tiles share: the geometry, the read offsets, where each vector
/// of positions starts, and the packed filters.
struct Plan {
    channels: usize,
    out_channels: usize,
    input: [usize; 2],
    padding: [usize; 2],
    /// Padded plane height and width `[Hp, Wp]`.
    padded: [usize; 2],
    output: [usize; 2],
    /// Where each product `(c, i, j)` reads, relative to a position's flat index in the padded
    /// sample, in the filters' order.
    offsets: Vec<usize>,
    /// The largest of `offsets`.
    reach: usize,
    /// The first padded position of each vector.
    starts: Vec<usize>,
    /// The filters per block of [`CHANNELS`] output channels: `[k][width]` for each block.
    weights: Vec<f32>,
    bias: Vec<f32>,
}

impl Plan {
    fn new(weight_bias: &[f32], [channels, out_channels]: [usize; 2], g: &Window2d) -> Plan {
        let padded = [0, 1].map(|a| g.input[a] + 2 * g.padding[a]);
        let reach = |a: usize| g.dilation[a] * g.kernel[a].saturating_sub(1);
        let full = [0, 1].map(|a| padded[a].saturating_sub(reach(a)));
        assert_eq!(
            g.output, full,
            "direct conv2d: output size of a stride-1 window"
        );
        let plane = padded[0] * padded[1];
        let mut offsets = Vec::with_capacity(channels * g.kernel[0] * g.kernel[1]);
        for c in 0..channels {
            for i in 0..g.kernel[0] {
                for j in 0..g.kernel[1] {
                    offsets.push(c * plane + i * g.dilation[0] * padded[1] + j * g.dilation[1]);
                }
            }
        }
        let (weights, bias) = pack_filters(weight_bias, out_channels, offsets.len());
        Plan {
            channels,
            out_channels,
            input: g.input,
            padding: g.padding,
            padded,
            output: g.output,
            reach: offsets.iter().copied().max().unwrap_or(0),
            offsets,
            starts: vector_starts(g.output, padded[1]),
            weights,
            bias,
        }
    }

    fn sample_len(&self) -> usize {
        self.channels * self.input[0] * self.input[1]
    }

    fn output_len(&self) -> usize {
        self.output[0] * self.output[1]
    }

    /// Length of a padded sample, with room for the last vector's lanes past the end.
    fn scratch_len(&self) -> usize {
        self.channels * self.padded[0] * self.padded[1] + LANES
    }

    /// Writes the whole output `[N, O, oh * ow]` of the samples `x`: whole samples per task
    /// when there are at least as many samples as threads, else one sample at a time with its
    /// channel blocks spread over the threads.
    fn run(&self, x: &[f32], out: &mut [MaybeUninit<f32>]) {
        let sample_out = self.out_channels * self.output_len();
        if sample_out == 0 {
            return;
        }
        let samples = out.len() / sample_out;
        let threads = rayon::current_num_threads();
        let sample = |s: usize| &x[s * self.sample_len()..][..self.sample_len()];
        if samples >= threads {
            let per_task = samples.div_ceil(threads);
            out.par_chunks_mut(per_task * sample_out)
                .enumerate()
                .for_each(|(t, out)| {
                    let mut padded = super::pool::filled(self.scratch_len(), 0.0f32);
                    for (i, out) in out.chunks_exact_mut(sample_out).enumerate() {
                        self.pad(sample(t * per_task + i), &mut padded);
                        for (b, out) in out.chunks_mut(CHANNELS * self.output_len()).enumerate() {
                            self.block(b, &padded, out);
                        }
                    }
                    super::pool::recycle(f32::into_storage(padded));
                });
            return;
        }
        let mut padded = super::pool::filled(self.scratch_len(), 0.0f32);
        for (s, out) in out.chunks_exact_mut(sample_out).enumerate() {
            self.pad(sample(s), &mut padded);
            out.par_chunks_mut(CHANNELS * self.output_len())
                .enumerate()
                .for_each(|(b, out)| self.block(b, &padded, out));
        }
        super::pool::recycle(f32::into_storage(padded));
    }

    /// Copies one sample `[C, H, W]` inside the zero borders of `padded` (whose borders are
    /// never written, so they stay zero from one sample to the next).
    fn pad(&self, x: &[f32], padded: &mut [f32]) {
        let ([h, w], [ph, pw], [hp, wp]) = (self.input, self.padding, self.padded);
        if h * w == 0 {
            return;
        }
        for (c, plane) in x.chunks_exact(h * w).enumerate() {
            for (y, row) in plane.chunks_exact(w).enumerate() {
                padded[(c * hp + y + ph) * wp + pw..][..w].copy_from_slice(row);
            }
        }
    }

    /// The output channels of block `b` (`out`: `[width, oh * ow]`) from the padded sample.
    fn block(&self, b: usize, padded: &[f32], out: &mut [MaybeUninit<f32>]) {
        let k = self.offsets.len();
        let first = b * CHANNELS;
        let width = CHANNELS.min(self.out_channels - first);
        let weights = &self.weights[first * k..][..width * k];
        let bias = &self.bias[first..first + width];
        let mut lanes = [[0.0f32; LANES]; VECTORS * CHANNELS];
        for group in self.starts.chunks(VECTORS) {
            let mut starts = [group[group.len() - 1]; VECTORS];
            starts[..group.len()].copy_from_slice(group);
            self.tile(padded, starts, weights, bias, &mut lanes);
            for (j, out) in out.chunks_exact_mut(self.output_len()).enumerate() {
                for (i, &start) in group.iter().enumerate() {
                    self.store(&lanes[j * VECTORS + i], start, out);
                }
            }
        }
    }

    /// One tile: `lanes[j * VECTORS + i][l]` gets output channel `j` of the block (weights
    /// `[k][width]`, bias `[width]`) at padded position `starts[i] + l`.
    fn tile(
        &self,
        padded: &[f32],
        starts: [usize; VECTORS],
        weights: &[f32],
        bias: &[f32],
        lanes: &mut [[f32; LANES]; VECTORS * CHANNELS],
    ) {
        let last = starts.iter().copied().max().unwrap_or(0);
        assert!(
            last + self.reach + LANES <= padded.len(),
            "direct conv2d: a vector reads past the padded sample"
        );
        assert_eq!(
            weights.len(),
            self.offsets.len() * bias.len(),
            "direct conv2d: weights"
        );
        assert!(has_avx512(), "direct conv2d: needs AVX-512F");
        #[cfg(target_arch = "x86_64")]
        {
            let (x, w, off) = (padded.as_ptr(), weights.as_ptr(), &self.offsets[..]);
            // SAFETY: the CPU has AVX-512F (asserted above). Every load reads the 16 floats at
            // `start + offset` for a start in `starts` and an offset in `offsets`, which end at
            // most at `last + reach + LANES <= padded.len()` (asserted above); the weights read
            // are `offsets.len() * width` floats, which is `weights.len()` (asserted above).
            unsafe {
                match bias.len() {
                    6 => kernel::tile::<6>(x, starts, off, w, bias, lanes),
                    5 => kernel::tile::<5>(x, starts, off, w, bias, lanes),
                    4 => kernel::tile::<4>(x, starts, off, w, bias, lanes),
                    3 => kernel::tile::<3>(x, starts, off, w, bias, lanes),
                    2 => kernel::tile::<2>(x, starts, off, w, bias, lanes),
                    _ => kernel::tile::<1>(x, starts, off, w, bias, lanes),
                }
            }
        }
    }

    /// Writes the lanes of one vector that land on output positions into `out` (one channel,
    /// `[oh * ow]`): from the vector's start to its row's end, then from the start of each
    /// following row the vector reaches.
    fn store(&self, lanes: &[f32; LANES], start: usize, out: &mut [MaybeUninit<f32>]) {
        let ([oh, ow], wp) = (self.output, self.padded[1]);
        let (mut row, mut x, mut lane) = (start / wp, start % wp, 0);
        while lane < LANES && row < oh {
            if x < ow {
                let n = (ow - x).min(LANES - lane);
                let dst = &mut out[row * ow + x..][..n];
                dst.iter_mut().zip(&lanes[lane..]).for_each(|(d, &v)| {
                    d.write(v);
                });
            }
            lane += wp - x;
            (row, x) = (row + 1, 0);
        }
    }
}

/// The filters of `weight_bias` (`[O, k + 1]`, bias last) packed per block of [`CHANNELS`]
/// output channels, `[k][width]` each, so a tile reads its weights in order; and the biases.
fn pack_filters(weight_bias: &[f32], out_channels: usize, k: usize) -> (Vec<f32>, Vec<f32>) {
    assert_eq!(
        weight_bias.len(),
        out_channels * (k + 1),
        "direct conv2d: weight and bias"
    );
    let mut weights = Vec::with_capacity(out_channels * k);
    for first in (0..out_channels).step_by(CHANNELS) {
        let block = first..(first + CHANNELS).min(out_channels);
        for p in 0..k {
            weights.extend(block.clone().map(|o| weight_bias[o * (k + 1) + p]));
        }
    }
    let bias = (0..out_channels)
        .map(|o| weight_bias[o * (k + 1) + k])
        .collect();
    (weights, bias)
}

/// The first padded position of each vector of [`LANES`] positions, for an output of
/// `[oh, ow]` in planes `wp` wide: each starts at the first output position the vectors before
/// it did not cover, so together they cover every output position once.
fn vector_starts([oh, ow]: [usize; 2], wp: usize) -> Vec<usize> {
    let mut starts = Vec::new();
    if oh * ow == 0 {
        return starts;
    }
    let end = (oh - 1) * wp + ow;
    let mut q = 0;
    while q < end {
        if q % wp < ow {
            starts.push(q);
            q += LANES;
        } else {
            q = (q / wp + 1) * wp;
        }
    }
    starts
}

#[cfg(target_arch = "x86_64")]
mod kernel {
    use super::{CHANNELS, LANES, VECTORS};
    use std::arch::x86_64::*;

    /// `lanes[j * VECTORS + i]` := `bias[j] + sum over p of weights[p * N + j] * x[starts[i] +
    /// offsets[p] ..][..16]`, in 4 x N accumulator registers.
    ///
    /// # Safety
    /// The CPU has AVX-512F; `x` is valid for reads of 16 floats at `start + offset` for every
    /// start and offset given; `weights` is valid for `offsets.len() * N` floats.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn tile<const N: usize>(
        x: *const f32,
        starts: [usize; VECTORS],
        offsets: &[usize],
        weights: *const f32,
        bias: &[f32],
        lanes: &mut [[f32; LANES]; VECTORS * CHANNELS],
    ) {
        let mut acc = [[_mm512_setzero_ps(); N]; VECTORS];
        for row in acc.iter_mut() {
            for (a, &b) in row.iter_mut().zip(bias) {
                *a = _mm512_set1_ps(b);
            }
        }
        let mut w = weights;
        for &offset in offsets {
            // SAFETY: within the reads the caller guarantees (see above).
            let a = starts.map(|s| unsafe { _mm512_loadu_ps(x.add(s + offset)) });
            for j in 0..N {
                // SAFETY: `w` walks `weights` N floats per offset.
                let b = _mm512_set1_ps(unsafe { *w.add(j) });
                for (row, &a) in acc.iter_mut().zip(&a) {
                    row[j] = _mm512_fmadd_ps(a, b, row[j]);
                }
            }
            // SAFETY: at most one past the end of `weights` after the last offset.
            w = unsafe { w.add(N) };
        }
        for (i, row) in acc.iter().enumerate() {
            for (j, &a) in row.iter().enumerate() {
                // SAFETY: `lanes` rows hold 16 floats each.
                unsafe { _mm512_storeu_ps(lanes[j * VECTORS + i].as_mut_ptr(), a) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DType;

    /// Whether the CPU runs the kernel; a test that needs it says it skipped otherwise.
    fn runs_here(test: &str) -> bool {
        let runs = has_avx512();
        if !runs {
            eprintln!("{test}: skipped, this CPU has no AVX-512F");
        }
        runs
    }

    /// The stride-1 window of a convolution of `[n, c, h, w]` with kernel `kernel`.
    fn window(
        [n, c, h, w]: [usize; 4],
        kernel: [usize; 2],
        padding: [usize; 2],
        dilation: [usize; 2],
    ) -> Window2d {
        let out = |a: usize, size: usize| size + 2 * padding[a] - dilation[a] * (kernel[a] - 1);
        Window2d {
            planes: n * c,
            input: [h, w],
            kernel,
            stride: [1, 1],
            padding,
            dilation,
            output: [out(0, h), out(1, w)],
        }
    }

    fn random(shape: &[usize]) -> Tensor {
        Tensor::randn(shape, DType::F32)
    }

    fn assert_close(got: &[f32], want: &[f32], what: &str) {
        assert_eq!(got.len(), want.len(), "{what}: length");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g - w).abs() <= 1e-5 * (1.0 + w.abs()),
                "{what}: element {i}: {g} != {w}"
            );
        }
    }

    #[test]
    fn a_convolution_worked_by_hand() {
        if !runs_here("a_convolution_worked_by_hand") {
            return;
        }
        // x = [[1, 2], [3, 4]], a 2x2 filter of ones and bias 0.5, padding 1: every output is
        // the sum of the window's inside elements plus 0.5.
        let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], [1, 1, 2, 2]);
        let weight_bias = [1.0, 1.0, 1.0, 1.0, 0.5];
        let g = window([1, 1, 2, 2], [2, 2], [1, 1], [1, 1]);
        let y = conv2d(&x, &weight_bias, [1, 1, 1], &g);
        let want = [1.0, 3.0, 2.0, 4.0, 10.0, 6.0, 3.0, 7.0, 4.0].map(|v: f32| v + 0.5);
        assert_eq!(y.shape(), &[1, 1, 9]);
        assert_eq!(y.to_vec::<f32>(), want);
    }

    #[test]
    fn vector_starts_cover_every_output_position_once() {
        for ([oh, ow], wp) in [
            ([8, 8], 10),
            ([32, 32], 34),
            ([3, 5], 5),
            ([5, 3], 7),
            ([1, 40], 42),
        ] {
            let mut covered = vec![0; oh * ow];
            for start in vector_starts([oh, ow], wp) {
                assert!(
                    start % wp < ow,
                    "{oh}x{ow} in {wp}: start {start} is between rows"
                );
                for q in start..start + LANES {
                    if q % wp < ow && q / wp < oh {
                        covered[q / wp * ow + q % wp] += 1;
                    }
                }
            }
            assert!(
                covered.iter().all(|&n| n == 1),
                "{oh}x{ow} in {wp}: {covered:?}"
            );
        }
        assert!(vector_starts([0, 4], 6).is_empty());
    }

    #[test]
    fn lane_use_sends_small_planes_to_unfolding() {
        // 32x32 outputs fill every lane; 8x8 (padded to 10) fill half of them.
        let wide = window([1, 1, 32, 32], [3, 3], [1, 1], [1, 1]);
        let small = window([1, 1, 8, 8], [3, 3], [1, 1], [1, 1]);
        assert_eq!(lane_use(&wide), 1.0);
        assert_eq!(lane_use(&small), 0.5);
        assert_eq!(applies(&wide), has_avx512());
        assert!(!applies(&small));
        assert!(!applies(&Window2d {
            stride: [2, 1],
            ..wide
        }));
    }

    type Case = ([usize; 4], [usize; 3], [usize; 2], [usize; 2]);

    /// Shapes `[n, c, h, w]`, filters `[o, kh, kw]`, padding and dilation: output channel
    /// blocks of 1 to 6, rows shorter and longer than a vector, vectors spanning rows, one
    /// sample (blocks on all threads) and several (samples per thread); the last pads a 1x1
    /// filter, which the input's gradient cannot take as a convolution.
    const CASES: [Case; 7] = [
        ([1, 1, 2, 2], [1, 2, 2], [1, 1], [1, 1]),
        ([3, 2, 5, 7], [7, 3, 3], [1, 1], [1, 1]),
        ([1, 3, 9, 20], [13, 3, 2], [2, 0], [1, 1]),
        ([4, 2, 11, 6], [5, 3, 3], [2, 2], [2, 2]),
        ([2, 4, 6, 35], [6, 1, 5], [0, 2], [1, 1]),
        ([5, 1, 4, 4], [2, 1, 1], [0, 0], [1, 1]),
        ([2, 3, 4, 5], [4, 1, 1], [1, 1], [1, 1]),
    ];

    /// Each of [`CASES`]: a random input, its window, the sizes `[n, c, o]` and the filters'
    /// length `c * kh * kw`.
    fn cases() -> impl Iterator<Item = (Tensor, Window2d, [usize; 3], usize)> {
        CASES
            .into_iter()
            .map(|([n, c, h, w], [o, kh, kw], padding, dilation)| {
                let x = random(&[n, c, h, w]);
                let g = window([n, c, h, w], [kh, kw], padding, dilation);
                (x, g, [n, c, o], c * kh * kw)
            })
    }

    #[test]
    fn direct_conv2d_matches_unfolding_and_gemm() {
        if !runs_here("direct_conv2d_matches_unfolding_and_gemm") {
            return;
        }
        crate::manual_seed(3);
        for (x, g, [n, c, o], k) in cases() {
            let weight_bias = random(&[o, k + 1]).to_vec::<f32>();
            let got = conv2d(&x, &weight_bias, [n, c, o], &g).to_vec::<f32>();
            let want = super::super::conv::conv2d(&x, &weight_bias, [n, c, o], &g);
            assert_close(&got, &want.to_vec::<f32>(), &format!("{g:?}"));
        }
    }

    #[test]
    fn transposed_conv_is_the_input_gradient() {
        if !runs_here("transposed_conv_is_the_input_gradient") {
            return;
        }
        crate::manual_seed(4);
        for (x, g, [n, c, o], k) in cases() {
            let weight = random(&[o, k]).to_vec::<f32>();
            let grad = random(&[n, o, g.output[0] * g.output[1]]);
            let Some(transposed) = transposed_window(&g, n * o) else {
                let reach = |a: usize| g.dilation[a] * (g.kernel[a] - 1);
                assert!(g.padding[0] > reach(0) || g.padding[1] > reach(1));
                continue;
            };
            let got = transposed_conv(&grad, &weight, [n, c, o], &g, &transposed);
            let needs = [true, false];
            let (want, _) =
                super::super::conv::conv2d_backward(&x, &weight, &grad, [n, c, o], &g, needs);
            assert_eq!(got.shape(), x.shape());
            assert_close(
                &got.to_vec::<f32>(),
                &want.unwrap().to_vec::<f32>(),
                &format!("{g:?}"),
            );
        }
    }

    #[test]
    fn flipped_filters_swap_channels_and_turn_the_kernel_around() {
        // weight [O = 2, C = 1, 1, 2]: filter 0 is [1, 2], filter 1 is [3, 4]. The input's
        // gradient filter for channel 0 reads output channel 0 then 1, each reversed.
        let flipped = flipped_filters(&[1.0, 2.0, 3.0, 4.0], [1, 2], [1, 2]);
        assert_eq!(flipped, vec![2.0, 1.0, 4.0, 3.0, 0.0]);
    }
}
