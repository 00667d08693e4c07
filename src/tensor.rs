//! The [`Tensor`] handle: metadata, constructors and accessors. Kernels live in `backend/`,
//! ops in `ops/`.

use crate::autograd::AutogradMeta;
use crate::device::Device;
use crate::dtype::{DType, Element};
use crate::error::{Error, Result, or_panic};
use crate::layout::Layout;
use crate::shape::{IntoShape, checked_numel, checked_shape};
use crate::storage::{CpuStorage, Storage, StorageCell, StorageElement};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// An N-dimensional strided array of one dtype on one device, with autograd metadata.
///
/// A `Tensor` is a cheap handle: `clone()` shares the data, as a Python reference does. Views
/// (`transpose`, `narrow`, `reshape` of a contiguous tensor, ...) share the storage too.
///
/// ```
/// use firebrand::{tensor, DType, Tensor};
/// let a = tensor!([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
/// let b = Tensor::ones([3], DType::F32);
/// let c = &a + &b;
/// assert_eq!(c.to_vec::<f32>(), vec![2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
/// assert_eq!(c.shape(), &[2, 3]);
/// ```
#[derive(Clone)]
pub struct Tensor(pub(crate) Arc<TensorImpl>);

/// The shared state behind a [`Tensor`] handle.
pub(crate) struct TensorImpl {
    pub(crate) storage: Arc<StorageCell>,
    pub(crate) layout: Layout,
    pub(crate) dtype: DType,
    pub(crate) device: Device,
    /// True when this tensor is a view of another's storage (set by view ops).
    pub(crate) is_view: bool,
    /// Fast check for "requires grad or has a grad_fn", so ops skip the lock when false.
    pub(crate) tracks_grad: AtomicBool,
    pub(crate) meta: Mutex<AutogradMeta>,
}

impl Tensor {
    // ----- internal construction -------------------------------------------------------------

    /// A tensor over `storage`, laid out as `layout`, with no autograd history.
    pub(crate) fn from_parts(
        storage: Arc<StorageCell>,
        layout: Layout,
        dtype: DType,
        device: Device,
        is_view: bool,
    ) -> Tensor {
        crate::backend::cpu::threads::join_pool_if_main();
        Tensor(Arc::new(TensorImpl {
            storage,
            layout,
            dtype,
            device,
            is_view,
            tracks_grad: AtomicBool::new(false),
            meta: Mutex::new(AutogradMeta::default()),
        }))
    }

    /// A contiguous tensor over a fresh host buffer.
    pub(crate) fn from_cpu(storage: CpuStorage, shape: &[usize]) -> Tensor {
        debug_assert_eq!(storage.len(), crate::shape::numel(shape));
        let dtype = storage.dtype();
        let cell = Arc::new(StorageCell::new(Storage::Cpu(storage)));
        Tensor::from_parts(cell, Layout::contiguous(shape), dtype, Device::Cpu, false)
    }

    /// A view sharing this tensor's storage with another layout (no autograd edge; view ops add
    /// theirs).
    pub(crate) fn with_layout(&self, layout: Layout) -> Tensor {
        let (dtype, device) = (self.dtype(), self.device());
        Tensor::from_parts(self.0.storage.clone(), layout, dtype, device, true)
    }

    /// The layout (shape, strides, offset).
    pub fn layout(&self) -> &Layout {
        &self.0.layout
    }

    pub(crate) fn storage_cell(&self) -> &Arc<StorageCell> {
        &self.0.storage
    }

    pub(crate) fn meta(&self) -> MutexGuard<'_, AutogradMeta> {
        self.0.meta.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn tracks_grad(&self) -> bool {
        self.0.tracks_grad.load(Ordering::Relaxed)
    }

    pub(crate) fn set_tracks_grad(&self, on: bool) {
        self.0.tracks_grad.store(on, Ordering::Relaxed)
    }

    /// True when both handles share one storage buffer.
    pub(crate) fn shares_storage(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0.storage, &other.0.storage)
    }

    // ----- public constructors ---------------------------------------------------------------

    /// A tensor from a vector in row-major order; the dtype comes from `T`.
    /// Panics when `data.len()` does not match the shape (see [`Tensor::try_from_vec`]).
    ///
    /// ```
    /// let t = firebrand::Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], [2, 2]);
    /// assert_eq!(t.dtype(), firebrand::DType::F64);
    /// ```
    #[track_caller]
    pub fn from_vec<T: StorageElement>(data: Vec<T>, shape: impl IntoShape) -> Tensor {
        or_panic(Tensor::try_from_vec(data, shape))
    }

    /// [`Tensor::from_vec`] that returns an error on a size mismatch or an invalid shape.
    ///
    /// ```
    /// use firebrand::Tensor;
    /// assert!(Tensor::try_from_vec(vec![1u8; 6], [2, 3]).is_ok());
    /// assert!(Tensor::try_from_vec(vec![1u8; 5], [2, 3]).is_err());
    /// ```
    pub fn try_from_vec<T: StorageElement>(data: Vec<T>, shape: impl IntoShape) -> Result<Tensor> {
        let shape = checked_shape("from_vec", &shape.to_sizes())?;
        let n = checked_numel("from_vec", &shape)?;
        if data.len() != n {
            return Err(Error::msg(format!(
                "from_vec: {} elements cannot fill shape {shape:?} ({n} elements); \
                 pass a vector of {n} elements or change the shape",
                data.len()
            )));
        }
        Ok(Tensor::from_cpu(T::into_storage(data), &shape))
    }

    /// A tensor copied from a slice in row-major order.
    ///
    /// ```
    /// let t = firebrand::Tensor::from_slice(&[1i64, 2, 3], [3]);
    /// assert_eq!(t.to_vec::<i64>(), vec![1, 2, 3]);
    /// ```
    #[track_caller]
    pub fn from_slice<T: StorageElement>(data: &[T], shape: impl IntoShape) -> Tensor {
        Tensor::from_vec(data.to_vec(), shape)
    }

    /// A 0-d tensor holding `value`.
    ///
    /// ```
    /// let s = firebrand::Tensor::scalar(3.5f32);
    /// assert_eq!(s.dim(), 0);
    /// assert_eq!(s.item::<f32>(), 3.5);
    /// ```
    pub fn scalar<T: StorageElement>(value: T) -> Tensor {
        Tensor::from_cpu(T::into_storage(vec![value]), &[])
    }

    /// A tensor of `shape` filled with `value` converted to `dtype`.
    ///
    /// ```
    /// use firebrand::{DType, Tensor};
    /// let t = Tensor::full([2, 3], 7.0, DType::F64);
    /// assert_eq!(t.sum().item::<f64>(), 42.0);
    /// ```
    #[track_caller]
    pub fn full(shape: impl IntoShape, value: f64, dtype: DType) -> Tensor {
        or_panic(Tensor::try_full(shape, value, dtype))
    }

    /// [`Tensor::full`] that returns an error for a negative or overflowing shape.
    ///
    /// ```
    /// use firebrand::{DType, Tensor};
    /// assert!(Tensor::try_full([usize::MAX, 2], 0.0, DType::F32).is_err());
    /// ```
    pub fn try_full(shape: impl IntoShape, value: f64, dtype: DType) -> Result<Tensor> {
        let shape = checked_shape("full", &shape.to_sizes())?;
        let n = checked_numel("full", &shape)?;
        let storage = crate::with_dtype!(dtype, T => T::into_storage(crate::backend::cpu::pool::filled(n, T::from_f64(value))));
        Ok(Tensor::from_cpu(storage, &shape))
    }

    /// Zeros of `shape` and `dtype`.
    ///
    /// ```
    /// use firebrand::{DType, Tensor};
    /// assert_eq!(Tensor::zeros([2, 2], DType::I32).to_vec::<i32>(), vec![0; 4]);
    /// ```
    #[track_caller]
    pub fn zeros(shape: impl IntoShape, dtype: DType) -> Tensor {
        Tensor::full(shape, 0.0, dtype)
    }

    /// Ones of `shape` and `dtype`.
    ///
    /// ```
    /// use firebrand::{DType, Tensor};
    /// assert_eq!(Tensor::ones([3], DType::Bool).to_vec::<bool>(), vec![true; 3]);
    /// ```
    #[track_caller]
    pub fn ones(shape: impl IntoShape, dtype: DType) -> Tensor {
        Tensor::full(shape, 1.0, dtype)
    }

    /// Zeros with the shape, dtype and device of `other`.
    ///
    /// ```
    /// let a = firebrand::tensor!([1.5, 2.5]);
    /// assert_eq!(firebrand::Tensor::zeros_like(&a).to_vec::<f32>(), vec![0.0, 0.0]);
    /// ```
    pub fn zeros_like(other: &Tensor) -> Tensor {
        Tensor::full_like(other, 0.0)
    }

    /// Ones with the shape, dtype and device of `other`.
    ///
    /// ```
    /// let a = firebrand::tensor!([1, 2]);
    /// assert_eq!(firebrand::Tensor::ones_like(&a).to_vec::<i64>(), vec![1, 1]);
    /// ```
    pub fn ones_like(other: &Tensor) -> Tensor {
        Tensor::full_like(other, 1.0)
    }

    /// `value` with the shape, dtype and device of `other`.
    ///
    /// ```
    /// let a = firebrand::tensor!([1.0, 2.0]);
    /// assert_eq!(firebrand::Tensor::full_like(&a, 1.5).to_vec::<f32>(), vec![1.5, 1.5]);
    /// ```
    pub fn full_like(other: &Tensor, value: f64) -> Tensor {
        let t = Tensor::full(other.shape(), value, other.dtype());
        or_panic(t.to_device(&other.device()))
    }

    // ----- accessors -------------------------------------------------------------------------

    /// The sizes of the dims.
    ///
    /// ```
    /// assert_eq!(firebrand::tensor!([[1, 2, 3]]).shape(), &[1, 3]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        self.0.layout.shape()
    }

    /// The number of dims (`ndim` in PyTorch).
    ///
    /// ```
    /// assert_eq!(firebrand::tensor!([[1, 2, 3]]).dim(), 2);
    /// ```
    pub fn dim(&self) -> usize {
        self.0.layout.ndim()
    }

    /// The number of elements.
    ///
    /// ```
    /// assert_eq!(firebrand::tensor!([[1, 2, 3]]).numel(), 3);
    /// ```
    pub fn numel(&self) -> usize {
        self.0.layout.numel()
    }

    /// The element type.
    ///
    /// ```
    /// assert_eq!(firebrand::tensor!([true]).dtype(), firebrand::DType::Bool);
    /// ```
    pub fn dtype(&self) -> DType {
        self.0.dtype
    }

    /// The device holding the data.
    ///
    /// ```
    /// assert_eq!(firebrand::tensor!([1.0]).device(), firebrand::Device::Cpu);
    /// ```
    pub fn device(&self) -> Device {
        self.0.device
    }

    /// The strides, in elements.
    ///
    /// ```
    /// assert_eq!(firebrand::tensor!([[1, 2, 3]]).strides(), &[3, 1]);
    /// ```
    pub fn strides(&self) -> &[isize] {
        self.0.layout.strides()
    }

    /// The size of dim `dim` (negative counts from the end).
    ///
    /// ```
    /// assert_eq!(firebrand::tensor!([[1, 2, 3]]).size(-1), 3);
    /// ```
    #[track_caller]
    pub fn size(&self, dim: isize) -> usize {
        let d = or_panic(crate::shape::normalize_dim("size", dim, self.dim()));
        self.shape()[d]
    }

    /// True when the elements are dense and row-major.
    ///
    /// ```
    /// let a = firebrand::tensor!([[1, 2], [3, 4]]);
    /// assert!(a.is_contiguous() && !a.t().is_contiguous());
    /// ```
    pub fn is_contiguous(&self) -> bool {
        self.0.layout.is_contiguous()
    }

    // ----- extraction ------------------------------------------------------------------------

    /// The elements in row-major order, converted to `T`.
    ///
    /// ```
    /// let a = firebrand::tensor!([[1, 2], [3, 4]]);
    /// assert_eq!(a.t().to_vec::<f32>(), vec![1.0, 3.0, 2.0, 4.0]);
    /// ```
    pub fn to_vec<T: StorageElement>(&self) -> Vec<T> {
        let host = or_panic(self.to_device(&Device::Cpu));
        let guard = host.0.storage.read();
        let storage = guard.cpu();
        crate::with_dtype!(self.dtype(), S => {
            crate::backend::cpu::elementwise::unary_map(storage.typed::<S>(), host.layout(), T::cast_from)
        })
    }

    /// The one element of a one-element tensor, converted to `T`.
    ///
    /// ```
    /// assert_eq!(firebrand::tensor!([[2.5]]).item::<f64>(), 2.5);
    /// ```
    #[track_caller]
    pub fn item<T: StorageElement>(&self) -> T {
        or_panic(self.try_item())
    }

    /// [`Tensor::item`] that returns an error when the tensor has more or fewer than one element.
    ///
    /// ```
    /// assert!(firebrand::tensor!([1, 2]).try_item::<i64>().is_err());
    /// ```
    pub fn try_item<T: StorageElement>(&self) -> Result<T> {
        if self.numel() != 1 {
            return Err(Error::msg(format!(
                "item: a tensor with {} elements (shape {:?}) cannot be converted to a scalar; \
                 only one-element tensors can",
                self.numel(),
                self.shape()
            )));
        }
        Ok(self.to_vec::<T>()[0])
    }

    /// Moves (copies) the tensor to `device`. Returns an error when the device is unavailable.
    /// Moving to the device a tensor is already on returns the same tensor.
    ///
    /// ```
    /// use firebrand::{tensor, Device};
    /// let a = tensor!([1.0, 2.0]);
    /// assert_eq!(a.to_device(&Device::Cpu).unwrap().device(), Device::Cpu);
    /// ```
    pub fn to_device(&self, device: &Device) -> Result<Tensor> {
        if *device == self.device() {
            return Ok(self.clone());
        }
        match device {
            Device::Cpu => unreachable!("a non-CPU tensor cannot exist without a device backend"),
            Device::Cuda(i) => Err(crate::backend::cuda_unavailable(*i)),
        }
    }
}

// Compile-time proof that tensors can cross threads.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Tensor>();
};

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// Builds a tensor from a nested array literal: float literals give F32, integer literals
/// I64, bool literals Bool, and `u8`/`i8`-suffixed literals U8/I8. A jagged literal does not
/// compile (Rust arrays cannot be ragged).
///
/// ```
/// use firebrand::{tensor, DType};
/// let a = tensor!([[1.0, -2.0], [3.0, 4.0]]);
/// assert_eq!((a.shape(), a.dtype()), (&[2usize, 2][..], DType::F32));
/// assert_eq!(tensor!([1, -2, 3]).dtype(), DType::I64);
/// assert_eq!(tensor!(5).dim(), 0);
/// assert_eq!(tensor!([[true], [false]]).shape(), &[2, 1]);
/// assert_eq!(tensor!([200u8, 3]).dtype(), DType::U8);
/// ```
#[macro_export]
macro_rules! tensor {
    ($lit:expr) => {
        $crate::__literal::build($lit)
    };
}

/// Support code for `tensor!`; not public API.
#[doc(hidden)]
pub mod __literal {
    use super::Tensor;

    /// The three kinds of number a literal can hold.
    pub enum Values {
        Float(Vec<f32>),
        Int(Vec<i64>),
        Bool(Vec<bool>),
        U8(Vec<u8>),
        I8(Vec<i8>),
    }

    /// A number or a nested array of numbers; its shape follows from its type.
    pub trait Literal {
        /// Appends the sizes of the nested dims to `shape`.
        fn push_shape(shape: &mut Vec<usize>);
        /// Appends the values in row-major order.
        fn push_values(&self, out: &mut Values);
        /// Empty storage of this literal's kind.
        fn empty_values() -> Values;
    }

    macro_rules! leaf {
        ($t:ty, $variant:ident, $conv:expr) => {
            impl Literal for $t {
                fn push_shape(_: &mut Vec<usize>) {}
                fn push_values(&self, out: &mut Values) {
                    if let Values::$variant(v) = out {
                        v.push($conv(*self));
                    }
                }
                fn empty_values() -> Values {
                    Values::$variant(Vec::new())
                }
            }
        };
    }
    leaf!(f64, Float, |x: f64| x as f32);
    leaf!(f32, Float, |x: f32| x);
    leaf!(i32, Int, |x: i32| x as i64);
    leaf!(i64, Int, |x: i64| x);
    leaf!(bool, Bool, |x: bool| x);
    leaf!(u8, U8, |x: u8| x);
    leaf!(i8, I8, |x: i8| x);

    impl<T: Literal, const N: usize> Literal for [T; N] {
        fn push_shape(shape: &mut Vec<usize>) {
            shape.push(N);
            T::push_shape(shape);
        }
        fn push_values(&self, out: &mut Values) {
            self.iter().for_each(|x| x.push_values(out));
        }
        fn empty_values() -> Values {
            T::empty_values()
        }
    }

    /// Builds the tensor for a literal.
    pub fn build<L: Literal>(lit: L) -> Tensor {
        let mut shape = Vec::new();
        L::push_shape(&mut shape);
        let mut values = L::empty_values();
        lit.push_values(&mut values);
        match values {
            Values::Float(v) => Tensor::from_vec(v, shape),
            Values::Int(v) => Tensor::from_vec(v, shape),
            Values::Bool(v) => Tensor::from_vec(v, shape),
            Values::U8(v) => Tensor::from_vec(v, shape),
            Values::I8(v) => Tensor::from_vec(v, shape),
        }
    }
}
