//! Scalar math written so that loops over slices vectorise: `exp`, `erf` and GELU in f32
//! without calls into libm and without branches (every case is computed, then selected).
//!
//! Each function is generic over an [`Isa`]: the baseline x86-64 build (SSE2, `a * b + c`
//! rounded twice), AVX2 with FMA (`a * b + c` rounded once), or AVX-512 (x86-64-v4: the
//! arithmetic of AVX2 + FMA, bit for bit, in 16-lane vectors with mask registers for the
//! selects). [`with_isa!`] runs a block of code compiled for the widest of them the CPU has:
//! AVX2 + FMA has twice SSE2's vector width and half the instructions of Horner's rule, and
//! AVX-512 ran GELU in half AVX2's time on a Zen 4 (docs/PERFORMANCE.md, session 12).
//!
//! Accuracy, checked against libm over wide ranges in the tests below: `exp_f32` within 1 ulp,
//! `erf_f32` within 1.3 ulp (absolute error under 1e-7), `gelu_f32` within 2 ulp for x >= 0
//! and within 1e-6 relative plus 2e-9 absolute for x < 0 (the tail is computed as
//! `erfc(|z|) / 2`, without the cancellation of `1 + erf(z)`). f64 keeps libm (`f64::exp`, `libm::erf`): see [`Real`].

use super::pool;
use super::strided::PARALLEL_THRESHOLD;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// `1.5 * 2^23`: adding it rounds an f32 of magnitude below 2^22 to an integer (ties to even).
const ROUNDER: f32 = 12_582_912.0;
/// `ln 2` split so `n * LN2_HI` is exact for the `n` exp needs (Cody and Waite).
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// Below this, `exp` is 0 in f32 (half the smallest subnormal); above `EXP_HI`, infinite.
const EXP_LO: f32 = -104.0;
const EXP_HI: f32 = 89.0;

/// How the f32 kernels are compiled: for the baseline target, or for AVX2 and FMA.
pub(crate) trait Isa: Copy + Send + Sync + 'static {
    /// Whether `mul_add` is fused (one rounding).
    const FMA: bool;
}

/// The baseline target (SSE2 on x86-64): `mul_add` is a multiply then an add.
#[derive(Clone, Copy)]
pub(crate) struct Baseline;
impl Isa for Baseline {
    const FMA: bool = false;
}

/// AVX2 and FMA, used through [`with_isa!`] only after checking the CPU has them.
#[derive(Clone, Copy)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) struct Avx2Fma;
impl Isa for Avx2Fma {
    const FMA: bool = true;
}

/// AVX-512 (F, BW, DQ and VL: x86-64-v4) with FMA, used through [`with_isa!`] only after
/// checking the CPU has them. Its arithmetic is [`Avx2Fma`]'s; only the vectors are wider.
#[derive(Clone, Copy)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) struct Avx512;
impl Isa for Avx512 {
    const FMA: bool = true;
}

/// `a * b + c`, fused when the ISA has FMA (without it, `f32::mul_add` would call libm).
#[inline(always)]
pub(crate) fn mul_add<I: Isa>(a: f32, b: f32, c: f32) -> f32 {
    if I::FMA { a.mul_add(b, c) } else { a * b + c }
}

/// Whether this CPU has AVX2 and FMA (std caches the answer).
#[inline]
pub(crate) fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether this CPU has the AVX-512 subsets of x86-64-v4 (F, BW, DQ, VL) and FMA (std caches
/// the answers).
#[inline]
pub(crate) fn has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        let v4 = has!("avx512f") && has!("avx512bw") && has!("avx512dq") && has!("avx512vl");
        v4 && has!("avx2") && has!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Runs `f` in a function compiled with AVX2 and FMA enabled: `f` (an `#[inline(always)]`
/// closure) and what it inlines are compiled for them.
///
/// # Safety
/// The CPU must have AVX2 and FMA ([`has_avx2_fma`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn in_avx2_fma<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Runs `f` in a function compiled with AVX-512 (F, BW, DQ, VL), AVX2 and FMA enabled.
///
/// # Safety
/// The CPU must have them ([`has_avx512`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
pub(crate) unsafe fn in_avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// `with_isa!(|I| expr)`: evaluates `expr` with the type `I` naming the ISA it is compiled
/// for: [`Avx512`] (inside [`in_avx512`]) when the CPU has AVX-512, else [`Avx2Fma`] (inside
/// [`in_avx2_fma`]) when it has AVX2 and FMA, else [`Baseline`]. The functions `expr` calls
/// must be `#[inline(always)]` for the wider versions to be compiled for their ISA.
macro_rules! with_isa {
    (|$I:ident| $body:expr) => {{
        #[cfg(target_arch = "x86_64")]
        let (avx512, avx2) = (
            $crate::backend::cpu::math::has_avx512(),
            $crate::backend::cpu::math::has_avx2_fma(),
        );
        #[cfg(not(target_arch = "x86_64"))]
        let (avx512, avx2) = (false, false);
        if avx512 {
            $crate::backend::cpu::math::with_isa!(@wide $I, Avx512, in_avx512, $body)
        } else if avx2 {
            $crate::backend::cpu::math::with_isa!(@wide $I, Avx2Fma, in_avx2_fma, $body)
        } else {
            #[allow(dead_code)]
            type $I = $crate::backend::cpu::math::Baseline;
            $body
        }
    }};
    // One wide ISA: `$body` inside `$enter`, with `$I` naming `$isa`. Expanded only in a branch
    // that has checked the CPU has the ISA's features.
    (@wide $I:ident, $isa:ident, $enter:ident, $body:expr) => {{
        #[cfg(target_arch = "x86_64")]
        {
            #[allow(dead_code)]
            type $I = $crate::backend::cpu::math::$isa;
            // SAFETY: the branch expanding this checked that the CPU has the ISA's features
            // (`has_avx512` or `has_avx2_fma`), which is all that calling a function compiled
            // for them requires.
            unsafe {
                $crate::backend::cpu::math::$enter(
                    #[inline(always)]
                    || $body,
                )
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        unreachable!("AVX2 and AVX-512 are only detected on x86-64")
    }};
}
pub(crate) use with_isa;

/// `2^k` for `k` in `-126..=127`, from its bits.
#[inline(always)]
fn pow2(k: i32) -> f32 {
    f32::from_bits(((k + 127) as u32) << 23)
}

/// `e^x` in f32 within 1 ulp, including subnormal results, `inf`, `-inf` (0) and NaN.
///
/// `x = n ln2 + r` with `|r| <= ln2 / 2`, `e^r` by Cephes' polynomial, then scaled by `2^n` in
/// two halves so `n` from -150 to 128 needs no special case.
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    exp_with::<Baseline>(x)
}

/// [`exp_f32`] for the ISA `I` (with FMA, the reduction and polynomial round less).
#[inline(always)]
pub(crate) fn exp_with<I: Isa>(x: f32) -> f32 {
    // Comparisons are false for NaN, so a NaN passes through the clamps and the arithmetic.
    let x = if x < EXP_LO { EXP_LO } else { x };
    let x = if x > EXP_HI { EXP_HI } else { x };
    let (y, n) = exp_parts::<I>(x);
    let half = n >> 1;
    y * pow2(half) * pow2(n - half)
}

/// [`exp_with`] for `x` in `[-87, 88]`, where `2^n` is a normal float and `e^x` neither
/// overflows nor is subnormal: no clamps, and one scaling instead of two (the same result).
/// Seven fewer vector operations of the ~55 in each GELU.
#[inline(always)]
fn exp_in_normal_range<I: Isa>(x: f32) -> f32 {
    let (y, n) = exp_parts::<I>(x);
    y * pow2(n)
}

/// `e^x` as `y * 2^n`: `n` the nearest integer to `x / ln 2` and `y = e^r` for the rest `r`
/// (`|r| <= ln2 / 2`), by Cephes' polynomial.
#[inline(always)]
fn exp_parts<I: Isa>(x: f32) -> (f32, i32) {
    let shifted = mul_add::<I>(x, std::f32::consts::LOG2_E, ROUNDER);
    let n = shifted - ROUNDER;
    let n_int = shifted.to_bits() as i32 - ROUNDER.to_bits() as i32;
    let r = mul_add::<I>(-n, LN2_LO, mul_add::<I>(-n, LN2_HI, x));
    let p = poly::<I, 6>(&EXP_POLY, r);
    (mul_add::<I>(p, r * r, r) + 1.0, n_int)
}

/// Cephes' polynomial for `(e^r - 1 - r) / r^2` on `|r| <= ln2 / 2`, lowest coefficient first.
const EXP_POLY: [f32; 6] = [
    0.5, // Cephes: 5.0000001201e-1, which is 0.5 in f32
    1.666_666_5e-1,
    4.166_579_6e-2,
    8.333_452e-3,
    1.398_199_9e-3,
    1.987_569_1e-4,
];

/// Below this magnitude erf is `x * P(x^2)`; above, `1 - exp(Q(|x|))`.
const ERF_SPLIT: f32 = 0.921_875;
/// Above this magnitude erf is 1 in f32 (erfc(4) < 2^-26).
const ERF_ONE: f32 = 4.0;
/// `erf(x) / x - 1` near 0 as a polynomial in `x^2` (near-minimax on `[0, ERF_SPLIT]`).
const ERF_SMALL: [f32; 7] = [
    0.128_379_17,
    -0.376_126_35,
    0.112_836_96,
    -0.026_859_4,
    0.005_201_036,
    -0.000_814_273_5,
    8.370_209e-5,
];
/// `ln(erfc(t))` as a polynomial in `t` (near-minimax on `[ERF_SPLIT, ERF_ONE]`).
const ERFC_LOG: [f32; 10] = [
    3.348_063e-4,
    -1.130_315,
    -0.631_638_8,
    -0.110_316_09,
    0.026_602_462,
    -0.004_848_181_3,
    6.244_621_5e-4,
    -5.140_195e-5,
    2.219_233_2e-6,
    -2.732_192e-8,
];

/// Horner's rule, lowest coefficient first.
#[inline(always)]
fn poly<I: Isa, const N: usize>(c: &[f32; N], x: f32) -> f32 {
    let mut acc = c[N - 1];
    for k in (0..N - 1).rev() {
        acc = mul_add::<I>(acc, x, c[k]);
    }
    acc
}

/// `erf(x)` near 0 (`|x| <= ERF_SPLIT`): `x + x R(x^2)`.
#[inline(always)]
fn erf_small<I: Isa>(x: f32) -> f32 {
    mul_add::<I>(x, poly::<I, 7>(&ERF_SMALL, x * x), x)
}

/// `erfc(t)` for `t` in `[ERF_SPLIT, ERF_ONE]` (clamped there), `exp` of a polynomial. On
/// that range `ln(erfc(t))` lies in `[-18.1, -1.5]`, well inside [`exp_in_normal_range`]'s.
#[inline(always)]
fn erfc_mid<I: Isa>(t: f32) -> f32 {
    let t = if t > ERF_ONE { ERF_ONE } else { t };
    let t = if t < ERF_SPLIT { ERF_SPLIT } else { t };
    exp_in_normal_range::<I>(poly::<I, 10>(&ERFC_LOG, t))
}

/// Below this magnitude `x R(x^2)` would be subnormal: erf is `x 2 / sqrt(pi)`, one rounding.
const ERF_TINY: f32 = 1e-30;

/// `erf(x)` in f32 within 1.3 ulp (absolute error under 1e-7); NaN gives NaN.
#[inline(always)]
pub(crate) fn erf_f32(x: f32) -> f32 {
    erf_with::<Baseline>(x)
}

/// [`erf_f32`] for the ISA `I`.
#[inline(always)]
pub(crate) fn erf_with<I: Isa>(x: f32) -> f32 {
    let t = x.abs();
    let far = 1.0 - erfc_mid::<I>(t);
    let far = if t > ERF_ONE { 1.0 } else { far };
    let far = far.copysign(x);
    let near = if t < ERF_TINY {
        x * std::f32::consts::FRAC_2_SQRT_PI
    } else {
        erf_small::<I>(x)
    };
    if t <= ERF_SPLIT { near } else { far }
}

/// The standard normal CDF `(1 + erf(z)) / 2` at `z = x / sqrt(2)`, without the cancellation
/// of `1 + erf` for negative `z` (there it is `erfc(|z|) / 2` directly).
#[inline(always)]
fn normal_cdf<I: Isa>(x: f32) -> f32 {
    let z = x * std::f32::consts::FRAC_1_SQRT_2;
    let t = z.abs();
    let tail = 0.5 * erfc_mid::<I>(t);
    let tail = if t > ERF_ONE { 0.0 } else { tail };
    let far = if z < 0.0 { tail } else { 1.0 - tail };
    let near = mul_add::<I>(0.5, erf_small::<I>(z), 0.5);
    // NaN fails `t <= ERF_SPLIT` and `z < 0`: it reaches `1 - tail`, which is NaN.
    if t <= ERF_SPLIT { near } else { far }
}

/// GELU in its exact form, `x * Phi(x)` (`Phi` the standard normal CDF), in f32.
#[inline(always)]
pub(crate) fn gelu_f32(x: f32) -> f32 {
    gelu_with::<Baseline>(x)
}

/// [`gelu_f32`] for the ISA `I`.
#[inline(always)]
pub(crate) fn gelu_with<I: Isa>(x: f32) -> f32 {
    x * normal_cdf::<I>(x)
}

/// The f32 functions [`map_f32`] applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum F32Fn {
    Exp,
    Erf,
    Gelu,
}

/// `f` of every element of the contiguous `src`, as a new buffer; blocks run on several
/// threads when the input is large, each compiled for AVX2 + FMA when the CPU has them.
///
/// The output is not zeroed first: on `gelu_f32_16M` that single-threaded memset of 64 MB was
/// a pass over memory as long as the function itself.
pub(crate) fn map_f32(src: &[f32], f: F32Fn) -> Vec<f32> {
    let block = |s: &[f32], d: &mut [MaybeUninit<f32>]| with_isa!(|I| map_block::<I>(s, d, f));
    const BLOCK: usize = PARALLEL_THRESHOLD / 2;
    let fill = |out: &mut [MaybeUninit<f32>]| {
        if src.len() >= PARALLEL_THRESHOLD {
            out.par_chunks_mut(BLOCK)
                .zip(src.par_chunks(BLOCK))
                .for_each(|(d, s)| block(s, d));
        } else {
            block(src, out);
        }
    };
    // SAFETY: `out` has `src.len()` elements; the blocks pair up output and input chunks of
    // equal length, and `map_block` writes every element of its chunk.
    unsafe { pool::written(src.len(), fill) }
}

/// One block of [`map_f32`]: a plain loop per function, so each vectorises. Writes every
/// element of `dst` (as long as `src`).
#[inline(always)]
fn map_block<I: Isa>(src: &[f32], dst: &mut [MaybeUninit<f32>], f: F32Fn) {
    match f {
        F32Fn::Exp => {
            for (d, &x) in dst.iter_mut().zip(src) {
                d.write(exp_with::<I>(x));
            }
        }
        F32Fn::Erf => {
            for (d, &x) in dst.iter_mut().zip(src) {
                d.write(erf_with::<I>(x));
            }
        }
        F32Fn::Gelu => {
            for (d, &x) in dst.iter_mut().zip(src) {
                d.write(gelu_with::<I>(x));
            }
        }
    }
}

/// The float types row kernels run in: f32 with the vectorisable `exp` above, f64 with libm's.
/// (Conversions to and from f64 come from [`crate::dtype::Element`].)
pub(crate) trait Real:
    crate::storage::StorageElement
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
{
    const ZERO: Self;
    const NEG_INFINITY: Self;
    /// `e^x`, compiled for the ISA `I`.
    fn exp_with<I: Isa>(self) -> Self;
    /// `self * b + c`, fused when `I` has FMA.
    fn mul_add_with<I: Isa>(self, b: Self, c: Self) -> Self;
}

impl Real for f32 {
    const ZERO: f32 = 0.0;
    const NEG_INFINITY: f32 = f32::NEG_INFINITY;
    #[inline(always)]
    fn exp_with<I: Isa>(self) -> f32 {
        exp_with::<I>(self)
    }
    #[inline(always)]
    fn mul_add_with<I: Isa>(self, b: f32, c: f32) -> f32 {
        mul_add::<I>(self, b, c)
    }
}

impl Real for f64 {
    const ZERO: f64 = 0.0;
    const NEG_INFINITY: f64 = f64::NEG_INFINITY;
    #[inline(always)]
    fn exp_with<I: Isa>(self) -> f64 {
        f64::exp(self)
    }
    #[inline(always)]
    fn mul_add_with<I: Isa>(self, b: f64, c: f64) -> f64 {
        if I::FMA {
            self.mul_add(b, c)
        } else {
            self * b + c
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The distance from `got` to the exact `want` in units of `want`'s last place in f32.
    fn ulps(got: f32, want: f64) -> f64 {
        if got.is_nan() || want.is_nan() {
            return if got.is_nan() && want.is_nan() {
                0.0
            } else {
                f64::INFINITY
            };
        }
        if got.is_infinite() || (want as f32).is_infinite() {
            return if got as f64 == want as f32 as f64 {
                0.0
            } else {
                f64::INFINITY
            };
        }
        let ulp = (want as f32).abs().max(f32::from_bits(1));
        let ulp = (f32::from_bits(ulp.to_bits() + 1) - ulp) as f64;
        (got as f64 - want).abs() / ulp
    }

    /// Every `step`-th f32 bit pattern from `-hi` to `hi`, plus the special values.
    fn samples(hi: f32, step: u32) -> Vec<f32> {
        let mut v: Vec<f32> = (0..hi.to_bits())
            .step_by(step as usize)
            .map(f32::from_bits)
            .flat_map(|x| [x, -x])
            .collect();
        v.extend([
            0.0,
            -0.0,
            f32::MIN_POSITIVE,
            f32::from_bits(1),
            -f32::from_bits(1),
            f32::MAX,
            f32::MIN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
        ]);
        v
    }

    fn worst(f: impl Fn(f32) -> f32, exact: impl Fn(f64) -> f64, xs: &[f32]) -> (f64, f32) {
        xs.iter()
            .map(|&x| (ulps(f(x), exact(x as f64)), x))
            .fold((0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a })
    }

    /// Every check below runs for both ISAs: the fused variant's arithmetic is the same
    /// whether or not this CPU runs it with FMA instructions (`mul_add` is exact either way).
    fn check_exp<I: Isa>() {
        let exp = exp_with::<I>;
        let (err, at) = worst(exp, f64::exp, &samples(f32::INFINITY, 997));
        assert!(err <= 1.0, "exp: {err} ulp at {at}");
        // Hand-checked points: exact results, the overflow and underflow edges, subnormals.
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-0.0), 1.0);
        assert_eq!(exp(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
        assert!(exp(f32::NAN).is_nan());
        let top = exp(88.72283);
        assert!(top.is_finite() && ulps(top, (88.72283f32 as f64).exp()) <= 1.0);
        assert_eq!(exp(88.7229), f32::INFINITY);
        assert_eq!(exp(-103.972_08), f32::from_bits(1));
        assert_eq!(exp(-104.0), 0.0);
        let sub = exp(-100.0);
        assert!(sub > 0.0 && sub < f32::MIN_POSITIVE && ulps(sub, (-100f64).exp()) <= 1.0);
        assert!((exp(1.0) - std::f32::consts::E).abs() <= f32::EPSILON * 3.0);
    }

    #[test]
    fn exp_is_within_one_ulp_of_libm_everywhere() {
        check_exp::<Baseline>();
        check_exp::<Avx2Fma>();
        check_exp::<Avx512>();
    }

    fn check_erf<I: Isa>() {
        let erf = erf_with::<I>;
        let xs = samples(f32::INFINITY, 997);
        let (err, at) = worst(erf, libm::erf, &xs);
        assert!(err <= 1.5, "erf: {err} ulp at {at}");
        let abs = xs
            .iter()
            .filter(|x| !x.is_nan())
            .map(|&x| (erf(x) as f64 - libm::erf(x as f64)).abs())
            .fold(0.0, f64::max);
        assert!(abs < 1e-7, "erf: absolute error {abs}");
        // Dense where the two formulas meet and where erf reaches 1.
        let dense: Vec<f32> = (0..200_000).map(|i| 0.8 + i as f32 * 1.7e-5).collect();
        let (err, at) = worst(erf, libm::erf, &dense);
        assert!(err <= 1.5, "erf: {err} ulp at {at}");
        assert_eq!(erf(0.0).to_bits(), 0.0f32.to_bits());
        assert_eq!(erf(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(erf(f32::INFINITY), 1.0);
        assert_eq!(erf(f32::NEG_INFINITY), -1.0);
        assert_eq!(erf(5.0), 1.0);
        assert!(erf(f32::NAN).is_nan());
        let tiny = f32::from_bits(3);
        assert_eq!(erf(tiny), libm::erff(tiny));
    }

    #[test]
    fn erf_is_within_a_few_ulp_of_libm_everywhere() {
        check_erf::<Baseline>();
        check_erf::<Avx2Fma>();
        check_erf::<Avx512>();
    }

    fn check_gelu<I: Isa>() {
        let gelu = gelu_with::<I>;
        // Phi(x) = erfc(-x / sqrt 2) / 2, exact in f64 on both sides.
        let exact = |x: f64| 0.5 * x * libm::erfc(-x / std::f64::consts::SQRT_2);
        for x in samples(f32::INFINITY, 997) {
            let (got, want) = (gelu(x), exact(x as f64));
            let err = (got as f64 - want).abs();
            // For x < 0, Phi(x) = erfc(|z|) / 2 is computed without cancellation (PyTorch's
            // 1 + erf(z) loses all digits there), but the f32 rounding of ln(erfc) (down to
            // -17) weighs fully: within 1e-6 relative plus 2e-9 absolute (from x = -3 on,
            // GELU is below 4e-3 in size). Below x = -5.65 (erfc(|z|) < 2^-26) GELU is within
            // 5e-8 of 0 and 0 is returned, as PyTorch's 1 + erf(z) in f32 gives.
            let ok = if x < 0.0 {
                err <= 1e-6 * want.abs() + 2e-9 * x.abs().min(1.0) as f64 + 1.5e-45
                    || (x < -5.65 && err < 5e-8)
                    || (got.is_nan() && want.is_nan())
            } else {
                ulps(got, want) <= 2.0
            };
            assert!(ok, "gelu({x}) = {got}, expected {want}");
        }
        assert_eq!(gelu(0.0), 0.0);
        assert_eq!(gelu(f32::INFINITY), f32::INFINITY);
        // -inf * Phi(-inf) = -inf * 0: NaN, as in PyTorch.
        assert!(gelu(f32::NEG_INFINITY).is_nan());
        assert!(gelu(f32::NAN).is_nan());
        // Phi(1) = 0.841344746..., Phi(-1) = 0.158655254...
        assert!((gelu(1.0) - 0.841_344_7).abs() <= 6e-8);
        assert!((gelu(-1.0) + 0.158_655_25).abs() <= 1.5e-8);
    }

    #[test]
    fn gelu_matches_the_f64_formula() {
        check_gelu::<Baseline>();
        check_gelu::<Avx2Fma>();
        check_gelu::<Avx512>();
    }

    /// erfc's exponent stays inside the one-scaling exp's range, where that exp gives
    /// exactly what the clamped, two-scaling one does.
    fn check_erfc_exponent<I: Isa>() {
        let steps = 100_000;
        for k in 0..=steps {
            let t = ERF_SPLIT + (ERF_ONE - ERF_SPLIT) * k as f32 / steps as f32;
            let e = poly::<I, 10>(&ERFC_LOG, t);
            assert!((-18.1..=-1.5).contains(&e), "ln erfc({t}) ~ {e}");
            let (one, two) = (exp_in_normal_range::<I>(e), exp_with::<I>(e));
            assert_eq!(one.to_bits(), two.to_bits(), "e^{e}: {one} != {two}");
        }
        // And the one-scaling exp across its whole range, against the clamped one.
        for x in samples(88.0, 997).into_iter().filter(|x| x.abs() <= 87.0) {
            let (one, two) = (exp_in_normal_range::<I>(x), exp_with::<I>(x));
            assert_eq!(one.to_bits(), two.to_bits(), "e^{x}: {one} != {two}");
        }
    }

    #[test]
    fn erfc_exponents_need_no_clamp_and_one_scaling() {
        check_erfc_exponent::<Baseline>();
        check_erfc_exponent::<Avx2Fma>();
        check_erfc_exponent::<Avx512>();
    }

    #[test]
    fn with_isa_picks_the_widest_isa_the_cpu_has() {
        let picked = with_isa!(|I| std::any::type_name::<I>());
        let want = match (has_avx512(), has_avx2_fma()) {
            (true, _) => std::any::type_name::<Avx512>(),
            (false, true) => std::any::type_name::<Avx2Fma>(),
            (false, false) => std::any::type_name::<Baseline>(),
        };
        assert_eq!(picked, want);
    }

    #[test]
    fn the_dispatched_kernel_computes_what_its_isa_does() {
        // map_f32 runs the AVX-512 or the AVX2 + FMA build when the CPU has one: its results
        // must be those of the fused arithmetic, bit for bit (and the baseline's otherwise).
        let xs: Vec<f32> = (0..100_003)
            .map(|i| (i as f32 * 0.618).sin() * 9.0)
            .collect();
        // (100,003 elements run in parallel blocks, the last one short; 1,000 on one thread)
        for (f, xs) in [F32Fn::Exp, F32Fn::Erf, F32Fn::Gelu]
            .into_iter()
            .flat_map(|f| [(f, &xs[..]), (f, &xs[..1000])])
        {
            let got = map_f32(xs, f);
            let scalar = |x: f32| match (f, has_avx2_fma()) {
                (F32Fn::Exp, true) => exp_with::<Avx2Fma>(x),
                (F32Fn::Erf, true) => erf_with::<Avx2Fma>(x),
                (F32Fn::Gelu, true) => gelu_with::<Avx2Fma>(x),
                (F32Fn::Exp, false) => exp_f32(x),
                (F32Fn::Erf, false) => erf_f32(x),
                (F32Fn::Gelu, false) => gelu_f32(x),
            };
            for (i, (&g, &x)) in got.iter().zip(xs).enumerate() {
                assert_eq!(g.to_bits(), scalar(x).to_bits(), "{f:?} at {i}: x = {x}");
            }
        }
        assert!(map_f32(&[], F32Fn::Exp).is_empty());
    }
}
