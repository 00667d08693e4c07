//! Storage: the flat buffer that all views of a tensor share. [`CpuStorage`] is one `Vec` per
//! dtype; [`Storage`] adds the device; [`StorageCell`] adds the lock that lets in-place ops
//! write through views, and the version counter autograd checks.

use crate::dtype::{DType, Element};
use half::{bf16, f16};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Host memory of one dtype.
#[derive(Clone, Debug)]
pub enum CpuStorage {
    /// `bool` elements.
    Bool(Vec<bool>),
    /// `u8` elements.
    U8(Vec<u8>),
    /// `i8` elements.
    I8(Vec<i8>),
    /// `i32` elements.
    I32(Vec<i32>),
    /// `i64` elements.
    I64(Vec<i64>),
    /// `f16` elements.
    F16(Vec<f16>),
    /// `bf16` elements.
    BF16(Vec<bf16>),
    /// `f32` elements.
    F32(Vec<f32>),
    /// `f64` elements.
    F64(Vec<f64>),
}

/// Gives typed access to a [`CpuStorage`] of the matching variant.
pub trait StorageElement: Element {
    /// Wraps a vector in its storage variant.
    fn into_storage(v: Vec<Self>) -> CpuStorage;
    /// The elements, when the storage holds this type.
    fn slice(s: &CpuStorage) -> Option<&[Self]>;
    /// The elements, mutably, when the storage holds this type.
    fn slice_mut(s: &mut CpuStorage) -> Option<&mut [Self]>;
    /// The vector back out of its storage variant, when the storage holds this type.
    fn from_storage(s: CpuStorage) -> Option<Vec<Self>>;
}

macro_rules! impl_storage_element {
    ($t:ty, $v:ident) => {
        impl StorageElement for $t {
            fn into_storage(v: Vec<Self>) -> CpuStorage {
                CpuStorage::$v(v)
            }
            fn slice(s: &CpuStorage) -> Option<&[Self]> {
                match s {
                    CpuStorage::$v(v) => Some(v),
                    _ => None,
                }
            }
            fn slice_mut(s: &mut CpuStorage) -> Option<&mut [Self]> {
                match s {
                    CpuStorage::$v(v) => Some(v),
                    _ => None,
                }
            }
            fn from_storage(s: CpuStorage) -> Option<Vec<Self>> {
                match s {
                    CpuStorage::$v(v) => Some(v),
                    _ => None,
                }
            }
        }
    };
}
impl_storage_element!(bool, Bool);
impl_storage_element!(u8, U8);
impl_storage_element!(i8, I8);
impl_storage_element!(i32, I32);
impl_storage_element!(i64, I64);
impl_storage_element!(f16, F16);
impl_storage_element!(bf16, BF16);
impl_storage_element!(f32, F32);
impl_storage_element!(f64, F64);

impl CpuStorage {
    /// The dtype of the elements.
    pub fn dtype(&self) -> DType {
        match self {
            CpuStorage::Bool(_) => DType::Bool,
            CpuStorage::U8(_) => DType::U8,
            CpuStorage::I8(_) => DType::I8,
            CpuStorage::I32(_) => DType::I32,
            CpuStorage::I64(_) => DType::I64,
            CpuStorage::F16(_) => DType::F16,
            CpuStorage::BF16(_) => DType::BF16,
            CpuStorage::F32(_) => DType::F32,
            CpuStorage::F64(_) => DType::F64,
        }
    }

    /// The number of elements held.
    pub fn len(&self) -> usize {
        crate::with_dtype!(self.dtype(), T => self.typed::<T>().len())
    }

    /// How many elements the buffer has room for (its allocation).
    pub(crate) fn capacity(&self) -> usize {
        match self {
            CpuStorage::Bool(v) => v.capacity(),
            CpuStorage::U8(v) => v.capacity(),
            CpuStorage::I8(v) => v.capacity(),
            CpuStorage::I32(v) => v.capacity(),
            CpuStorage::I64(v) => v.capacity(),
            CpuStorage::F16(v) => v.capacity(),
            CpuStorage::BF16(v) => v.capacity(),
            CpuStorage::F32(v) => v.capacity(),
            CpuStorage::F64(v) => v.capacity(),
        }
    }

    /// True when no element is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements as `&[T]`; panics if `T` is not the storage's type (a bug in firebrand).
    pub(crate) fn typed<T: StorageElement>(&self) -> &[T] {
        T::slice(self).unwrap_or_else(|| {
            panic!(
                "internal: storage holds {} but {} was asked",
                self.dtype(),
                T::DTYPE
            )
        })
    }

    /// The elements as `&mut [T]`; panics if `T` is not the storage's type.
    pub(crate) fn typed_mut<T: StorageElement>(&mut self) -> &mut [T] {
        let dtype = self.dtype();
        T::slice_mut(self)
            .unwrap_or_else(|| panic!("internal: storage holds {dtype} but {} was asked", T::DTYPE))
    }
}

/// A buffer on some device.
#[derive(Debug)]
pub enum Storage {
    /// Host memory.
    Cpu(CpuStorage),
}

impl Storage {
    /// The host buffer; panics for device storage (callers dispatch on the device first).
    pub(crate) fn cpu(&self) -> &CpuStorage {
        match self {
            Storage::Cpu(s) => s,
        }
    }

    /// The host buffer, mutably.
    pub(crate) fn cpu_mut(&mut self) -> &mut CpuStorage {
        match self {
            Storage::Cpu(s) => s,
        }
    }
}

/// A storage shared by every view of a tensor, with the version counter that in-place ops bump
/// so autograd can tell that a tensor it saved has changed since.
#[derive(Debug)]
pub(crate) struct StorageCell {
    data: RwLock<Storage>,
    version: AtomicU64,
}

impl StorageCell {
    pub(crate) fn new(storage: Storage) -> StorageCell {
        LIVE_STORAGES.fetch_add(1, Ordering::Relaxed);
        StorageCell {
            data: RwLock::new(storage),
            version: AtomicU64::new(0),
        }
    }

    /// Shared access for reading.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Storage> {
        self.data.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Exclusive access for an in-place write; bumps the version.
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Storage> {
        self.version.fetch_add(1, Ordering::Relaxed);
        self.data.write().unwrap_or_else(|e| e.into_inner())
    }

    /// How many in-place writes this storage has seen.
    pub(crate) fn version(&self) -> u64 {
        self.version.load(Ordering::Relaxed)
    }
}

/// How many [`StorageCell`]s exist right now, over all threads (a leak detector for tests).
static LIVE_STORAGES: AtomicUsize = AtomicUsize::new(0);

impl Drop for StorageCell {
    /// Hands a host buffer back to the CPU buffer cache, which keeps large ones for reuse.
    fn drop(&mut self) {
        LIVE_STORAGES.fetch_sub(1, Ordering::Relaxed);
        let data = self.data.get_mut().unwrap_or_else(|e| e.into_inner());
        let Storage::Cpu(cpu) = std::mem::replace(data, Storage::Cpu(CpuStorage::Bool(Vec::new())));
        crate::backend::cpu::pool::recycle(cpu);
    }
}

/// The number of tensor storages alive in the process (all threads).
pub(crate) fn live_storage_count() -> usize {
    LIVE_STORAGES.load(Ordering::Relaxed)
}
