//! Creation ops: ranges, identity, and seeded random tensors.

use crate::dtype::{DType, Element};
use crate::error::{Error, Result, or_panic};
use crate::shape::{IntoShape, checked_numel, checked_shape};
use crate::storage::StorageElement;
use crate::tensor::Tensor;
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use std::sync::Mutex;

/// The default seed, so that programs that never call `manual_seed` are reproducible too.
const DEFAULT_SEED: u64 = 67_280_421_310_721;

static GENERATOR: Mutex<Option<ChaCha8Rng>> = Mutex::new(None);

/// Seeds the global generator: every later `rand`/`randn`/`randint` (and random
/// initialisation) gives the same numbers on every run.
///
/// ```
/// use firebrand::{manual_seed, DType, Tensor};
/// manual_seed(7);
/// let a = Tensor::randn([3], DType::F32).to_vec::<f32>();
/// manual_seed(7);
/// assert_eq!(Tensor::randn([3], DType::F32).to_vec::<f32>(), a);
/// ```
pub fn manual_seed(seed: u64) {
    *GENERATOR.lock().unwrap_or_else(|e| e.into_inner()) = Some(ChaCha8Rng::seed_from_u64(seed));
}

/// Runs `f` with the global generator.
fn with_rng<R>(f: impl FnOnce(&mut ChaCha8Rng) -> R) -> R {
    let mut guard = GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
    f(guard.get_or_insert_with(|| ChaCha8Rng::seed_from_u64(DEFAULT_SEED)))
}

/// A uniform sample in [0, 1) with 53 random bits.
fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// `n` standard normal samples (Box-Muller).
fn normals(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(n + 1);
    while out.len() < n {
        let u1 = 1.0 - uniform(rng);
        let u2 = uniform(rng);
        let r = (-2.0 * u1.ln()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * u2;
        out.push(r * theta.cos());
        out.push(r * theta.sin());
    }
    out.truncate(n);
    out
}

/// A tensor of `values` converted to `dtype`. An f64 tensor keeps `values`' buffer (no copy);
/// any other dtype is converted into a buffer from the CPU pool (so a large one is reused and,
/// fresh, gets huge pages as every kernel output does).
fn from_f64s(values: Vec<f64>, shape: &[usize], dtype: DType) -> Tensor {
    if dtype == DType::F64 {
        return Tensor::from_vec(values, shape);
    }
    crate::with_dtype!(dtype, T => {
        let mut out = crate::backend::cpu::pool::with_capacity::<T>(values.len());
        out.extend(values.into_iter().map(T::from_f64));
        Tensor::from_vec(out, shape)
    })
}

fn float_only(op: &str, dtype: DType) -> Result<()> {
    if dtype.is_float() {
        Ok(())
    } else {
        Err(Error::msg(format!(
            "{op}: expected a floating point dtype, got {dtype}"
        )))
    }
}

impl Tensor {
    /// Uniform samples in [0, 1) from the global generator (float dtypes).
    ///
    /// ```
    /// let r = firebrand::Tensor::rand([100], firebrand::DType::F64);
    /// assert!(r.to_vec::<f64>().iter().all(|&x| (0.0..1.0).contains(&x)));
    /// ```
    #[track_caller]
    pub fn rand(shape: impl IntoShape, dtype: DType) -> Tensor {
        or_panic(Tensor::try_rand(shape, dtype))
    }

    /// [`Tensor::rand`] returning an error (non-float dtype, bad shape).
    ///
    /// ```
    /// assert!(firebrand::Tensor::try_rand([2], firebrand::DType::I64).is_err());
    /// ```
    pub fn try_rand(shape: impl IntoShape, dtype: DType) -> Result<Tensor> {
        float_only("rand", dtype)?;
        let shape = checked_shape("rand", &shape.to_sizes())?;
        let n = checked_numel("rand", &shape)?;
        let v = with_rng(|rng| (0..n).map(|_| uniform(rng)).collect());
        Ok(from_f64s(v, &shape, dtype))
    }

    /// Standard normal samples from the global generator (float dtypes).
    ///
    /// ```
    /// let r = firebrand::Tensor::randn([1000], firebrand::DType::F64);
    /// assert!(r.mean().item::<f64>().abs() < 0.2);
    /// ```
    #[track_caller]
    pub fn randn(shape: impl IntoShape, dtype: DType) -> Tensor {
        or_panic(Tensor::try_randn(shape, dtype))
    }

    /// [`Tensor::randn`] returning an error (non-float dtype, bad shape).
    ///
    /// ```
    /// assert!(firebrand::Tensor::try_randn([2], firebrand::DType::Bool).is_err());
    /// ```
    pub fn try_randn(shape: impl IntoShape, dtype: DType) -> Result<Tensor> {
        float_only("randn", dtype)?;
        let shape = checked_shape("randn", &shape.to_sizes())?;
        let n = checked_numel("randn", &shape)?;
        let v = with_rng(|rng| normals(rng, n));
        Ok(from_f64s(v, &shape, dtype))
    }

    /// Uniform integers in `[low, high)`.
    ///
    /// ```
    /// use firebrand::{DType, Tensor};
    /// let r = Tensor::randint(0, 10, [50], DType::I64).to_vec::<i64>();
    /// assert!(r.iter().all(|&x| (0..10).contains(&x)));
    /// ```
    #[track_caller]
    pub fn randint(low: i64, high: i64, shape: impl IntoShape, dtype: DType) -> Tensor {
        or_panic(Tensor::try_randint(low, high, shape, dtype))
    }

    /// [`Tensor::randint`] returning an error (empty range, bad shape).
    ///
    /// ```
    /// assert!(firebrand::Tensor::try_randint(5, 5, [2], firebrand::DType::I64).is_err());
    /// ```
    pub fn try_randint(low: i64, high: i64, shape: impl IntoShape, dtype: DType) -> Result<Tensor> {
        if low >= high {
            return Err(Error::msg(format!(
                "randint: expects low < high, got low={low} and high={high}"
            )));
        }
        let shape = checked_shape("randint", &shape.to_sizes())?;
        let n = checked_numel("randint", &shape)?;
        let span = (high - low) as u64;
        let v: Vec<i64> = with_rng(|rng| {
            (0..n)
                .map(|_| low + (rng.next_u64() % span) as i64)
                .collect()
        });
        Ok(
            crate::with_dtype!(dtype, T => Tensor::from_vec(v.into_iter().map(T::from_i64).collect::<Vec<T>>(), shape.as_slice())),
        )
    }

    /// `start, start + step, ...` up to but excluding `end`.
    ///
    /// ```
    /// use firebrand::{DType, Tensor};
    /// assert_eq!(Tensor::arange(0.0, 5.0, 2.0, DType::I64).to_vec::<i64>(), vec![0, 2, 4]);
    /// ```
    #[track_caller]
    pub fn arange(start: f64, end: f64, step: f64, dtype: DType) -> Tensor {
        or_panic(Tensor::try_arange(start, end, step, dtype))
    }

    /// [`Tensor::arange`] returning an error (zero step, step of the wrong sign).
    ///
    /// ```
    /// assert!(firebrand::Tensor::try_arange(0.0, 5.0, -1.0, firebrand::DType::F32).is_err());
    /// ```
    pub fn try_arange(start: f64, end: f64, step: f64, dtype: DType) -> Result<Tensor> {
        if step == 0.0 || !step.is_finite() || (end - start) * step < 0.0 {
            return Err(Error::msg(format!(
                "arange: upper bound and larger bound inconsistent with step sign \
                 (start={start}, end={end}, step={step})"
            )));
        }
        let n = ((end - start) / step).ceil().max(0.0) as usize;
        checked_numel("arange", &[n])?;
        let v = (0..n).map(|i| start + i as f64 * step).collect();
        Ok(from_f64s(v, &[n], dtype))
    }

    /// `steps` evenly spaced values from `start` to `end` inclusive.
    ///
    /// ```
    /// use firebrand::{DType, Tensor};
    /// let t = Tensor::linspace(0.0, 1.0, 5, DType::F32);
    /// assert_eq!(t.to_vec::<f32>(), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    /// ```
    pub fn linspace(start: f64, end: f64, steps: usize, dtype: DType) -> Tensor {
        let step = if steps > 1 {
            (end - start) / (steps - 1) as f64
        } else {
            0.0
        };
        // As PyTorch: the second half is computed from the end, so `end` is exact.
        let half = steps / 2;
        let v = (0..steps)
            .map(|i| {
                if i < half {
                    start + step * i as f64
                } else {
                    end - step * (steps - 1 - i) as f64
                }
            })
            .collect();
        from_f64s(v, &[steps], dtype)
    }

    /// The `n x n` identity matrix.
    ///
    /// ```
    /// use firebrand::{DType, Tensor};
    /// assert_eq!(Tensor::eye(2, DType::I64).to_vec::<i64>(), vec![1, 0, 0, 1]);
    /// ```
    pub fn eye(n: usize, dtype: DType) -> Tensor {
        let v = (0..n * n)
            .map(|i| if i % (n + 1) == 0 { 1.0 } else { 0.0 })
            .collect();
        from_f64s(v, &[n, n], dtype)
    }
}

/// Keeps `StorageElement` in scope for the generic constructors above.
#[allow(dead_code)]
fn _uses<T: StorageElement>() {}
