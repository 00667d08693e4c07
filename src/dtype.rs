//! Element types: [`DType`], the [`Element`] trait that ties a Rust type to its dtype, and
//! PyTorch's type-promotion rules (`torch.promote_types`, `torch.result_type`).

use half::{bf16, f16};
use std::fmt;

/// The element type of a tensor, as PyTorch's `torch.dtype`.
///
/// ```
/// use firebrand::{DType, Tensor};
/// let t = Tensor::zeros([2], DType::BF16);
/// assert_eq!(t.dtype(), DType::BF16);
/// assert!(DType::F16.is_float() && !DType::I64.is_float());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// Boolean (`torch.bool`).
    Bool,
    /// Unsigned 8-bit integer (`torch.uint8`).
    U8,
    /// Signed 8-bit integer (`torch.int8`).
    I8,
    /// Signed 32-bit integer (`torch.int32`).
    I32,
    /// Signed 64-bit integer (`torch.int64`), the default integer dtype.
    I64,
    /// IEEE half precision (`torch.float16`).
    F16,
    /// Brain floating point (`torch.bfloat16`).
    BF16,
    /// Single precision (`torch.float32`), the default float dtype.
    F32,
    /// Double precision (`torch.float64`).
    F64,
}

/// Every dtype, in promotion order.
pub const ALL_DTYPES: [DType; 9] = [
    DType::Bool,
    DType::U8,
    DType::I8,
    DType::I32,
    DType::I64,
    DType::F16,
    DType::BF16,
    DType::F32,
    DType::F64,
];

/// The three kinds that PyTorch's promotion compares: bool < integer < float.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Category {
    Bool,
    Int,
    Float,
}

impl DType {
    /// Every dtype, in promotion order (bool, integers, floats).
    ///
    /// ```
    /// assert_eq!(firebrand::DType::ALL.len(), 9);
    /// assert!(firebrand::DType::ALL.iter().filter(|d| d.is_float()).count() == 4);
    /// ```
    pub const ALL: [DType; 9] = ALL_DTYPES;

    /// True for F16, BF16, F32 and F64.
    ///
    /// ```
    /// assert!(firebrand::DType::BF16.is_float());
    /// ```
    pub fn is_float(self) -> bool {
        matches!(self, DType::F16 | DType::BF16 | DType::F32 | DType::F64)
    }

    /// True for the integer dtypes (not Bool).
    ///
    /// ```
    /// assert!(firebrand::DType::U8.is_int() && !firebrand::DType::Bool.is_int());
    /// ```
    pub fn is_int(self) -> bool {
        matches!(self, DType::U8 | DType::I8 | DType::I32 | DType::I64)
    }

    /// Bytes per element.
    ///
    /// ```
    /// assert_eq!(firebrand::DType::BF16.size_in_bytes(), 2);
    /// ```
    pub fn size_in_bytes(self) -> usize {
        match self {
            DType::Bool | DType::U8 | DType::I8 => 1,
            DType::F16 | DType::BF16 => 2,
            DType::I32 | DType::F32 => 4,
            DType::I64 | DType::F64 => 8,
        }
    }

    /// The short name used in messages and printing: `f32`, `i64`, `bool`, ...
    ///
    /// ```
    /// assert_eq!(firebrand::DType::F64.name(), "f64");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "u8",
            DType::I8 => "i8",
            DType::I32 => "i32",
            DType::I64 => "i64",
            DType::F16 => "f16",
            DType::BF16 => "bf16",
            DType::F32 => "f32",
            DType::F64 => "f64",
        }
    }

    /// Parses a short name (`"f32"`, `"bf16"`, `"bool"`, ...).
    ///
    /// ```
    /// assert_eq!(firebrand::DType::from_name("i8"), Some(firebrand::DType::I8));
    /// ```
    pub fn from_name(name: &str) -> Option<DType> {
        ALL_DTYPES.into_iter().find(|d| d.name() == name)
    }

    pub(crate) fn category(self) -> Category {
        if self == DType::Bool {
            Category::Bool
        } else if self.is_float() {
            Category::Float
        } else {
            Category::Int
        }
    }

    /// The float dtype an integer or bool tensor turns into for ops such as `sqrt` or true
    /// division: the dtype itself when it is a float, F32 (the default float dtype) otherwise.
    ///
    /// ```
    /// use firebrand::DType;
    /// assert_eq!(DType::I64.to_float(), DType::F32);
    /// assert_eq!(DType::F16.to_float(), DType::F16);
    /// ```
    pub fn to_float(self) -> DType {
        if self.is_float() { self } else { DType::F32 }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `torch.promote_types`: the smallest dtype both `a` and `b` convert to without losing their
/// kind. PyTorch promotes (U8, I8) to int16, which firebrand lacks; it gives I32 there.
///
/// ```
/// use firebrand::{promote_types, DType};
/// assert_eq!(promote_types(DType::I64, DType::F16), DType::F16);
/// assert_eq!(promote_types(DType::F16, DType::BF16), DType::F32);
/// assert_eq!(promote_types(DType::Bool, DType::U8), DType::U8);
/// ```
pub fn promote_types(a: DType, b: DType) -> DType {
    use DType::*;
    if a == b {
        return a;
    }
    match (a.category(), b.category()) {
        (Category::Float, Category::Float) => match (a, b) {
            (F16, BF16) | (BF16, F16) => F32,
            _ => a.max(b),
        },
        (Category::Float, _) => a,
        (_, Category::Float) => b,
        (Category::Bool, _) => b,
        (_, Category::Bool) => a,
        _ => match (a, b) {
            (U8, I8) | (I8, U8) => I32,
            _ => a.max(b),
        },
    }
}

/// How strongly an operand's dtype counts in `torch.result_type`: tensors with dimensions
/// outrank 0-d tensors, which outrank plain Rust numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Priority {
    Dimensioned,
    ZeroDim,
    Scalar,
}

/// PyTorch's `combine_categories`: a lower tier only matters when it is of a higher kind.
fn combine_categories(higher: Option<DType>, lower: Option<DType>) -> Option<DType> {
    match (higher, lower) {
        (None, l) => l,
        (h, None) => h,
        (Some(h), Some(l)) => {
            if h.is_float() {
                Some(h)
            } else if h == DType::Bool || l.is_float() {
                Some(promote_types(h, l))
            } else {
                Some(h)
            }
        }
    }
}

/// `torch.result_type` over operands given as (dtype, priority).
pub(crate) fn result_type(operands: &[(DType, Priority)]) -> DType {
    let tier = |p: Priority| {
        operands
            .iter()
            .filter(|(_, q)| *q == p)
            .map(|(d, _)| *d)
            .reduce(promote_types)
    };
    let scalars = tier(Priority::Scalar);
    let zero_dim = tier(Priority::ZeroDim);
    let dimensioned = tier(Priority::Dimensioned);
    combine_categories(dimensioned, combine_categories(zero_dim, scalars))
        .expect("result_type needs at least one operand")
}

/// A Rust type that is the element of some [`DType`]: f16, bf16, f32, f64, i8, i32, i64, u8,
/// bool. Conversions go through `f64` (or `i64` between integers, so large integers stay exact).
///
/// ```
/// use firebrand::{DType, Element};
/// assert_eq!(<f32 as Element>::DTYPE, DType::F32);
/// assert_eq!(<i32 as Element>::from_f64(2.9), 2);
/// ```
pub trait Element: Copy + Send + Sync + 'static + fmt::Debug + PartialOrd + Default {
    /// The dtype of this Rust type.
    const DTYPE: DType;
    /// The value as f64 (true is 1).
    fn to_f64(self) -> f64;
    /// Converts from f64 as PyTorch's casts do: truncation toward zero for integers,
    /// `v != 0` for bool.
    fn from_f64(v: f64) -> Self;
    /// The value as i64 (floats truncate toward zero).
    fn to_i64(self) -> i64;
    /// Converts from i64 (wrapping for narrow integers, as C casts do).
    fn from_i64(v: i64) -> Self;
    /// Zero of this type.
    fn zero() -> Self {
        Self::from_i64(0)
    }
    /// One of this type.
    fn one() -> Self {
        Self::from_i64(1)
    }
    /// Converts from another element type, exact where both are integers.
    fn cast_from<S: Element>(v: S) -> Self {
        if Self::DTYPE.is_float() || S::DTYPE.is_float() {
            Self::from_f64(v.to_f64())
        } else {
            Self::from_i64(v.to_i64())
        }
    }
}

macro_rules! impl_int_element {
    ($t:ty, $d:ident) => {
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            /// Truncates toward zero, then wraps to the width as PyTorch's casts do on
            /// x86 (`-1.0` to U8 is 255); Rust's saturating `as` would give 0.
            #[inline]
            fn from_f64(v: f64) -> Self {
                (v as i64) as $t
            }
            #[inline]
            fn to_i64(self) -> i64 {
                self as i64
            }
            #[inline]
            fn from_i64(v: i64) -> Self {
                v as $t
            }
        }
    };
}
impl_int_element!(u8, U8);
impl_int_element!(i8, I8);
impl_int_element!(i32, I32);
impl_int_element!(i64, I64);

macro_rules! impl_float_element {
    ($t:ty, $d:ident, $from64:expr, $to64:expr) => {
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            #[inline]
            fn to_f64(self) -> f64 {
                $to64(self)
            }
            #[inline]
            fn from_f64(v: f64) -> Self {
                $from64(v)
            }
            #[inline]
            fn to_i64(self) -> i64 {
                self.to_f64() as i64
            }
            #[inline]
            fn from_i64(v: i64) -> Self {
                Self::from_f64(v as f64)
            }
        }
    };
}
impl_float_element!(f32, F32, |v: f64| v as f32, |x: f32| x as f64);
impl_float_element!(f64, F64, |v: f64| v, |x: f64| x);
impl_float_element!(f16, F16, f16::from_f64, f16::to_f64);
impl_float_element!(bf16, BF16, bf16::from_f64, bf16::to_f64);

impl Element for bool {
    const DTYPE: DType = DType::Bool;
    #[inline]
    fn to_f64(self) -> f64 {
        self as u8 as f64
    }
    #[inline]
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    #[inline]
    fn to_i64(self) -> i64 {
        self as i64
    }
    #[inline]
    fn from_i64(v: i64) -> Self {
        v != 0
    }
}

/// Runs `$body` with the type alias `$T` bound to the Rust element type of `$dtype`.
///
/// `with_dtype!(t.dtype(), T => t.to_vec::<T>().len())` expands to a `match` over every dtype.
#[macro_export]
#[doc(hidden)]
macro_rules! with_dtype {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::DType::Bool => {
                type $T = bool;
                $body
            }
            $crate::DType::U8 => {
                type $T = u8;
                $body
            }
            $crate::DType::I8 => {
                type $T = i8;
                $body
            }
            $crate::DType::I32 => {
                type $T = i32;
                $body
            }
            $crate::DType::I64 => {
                type $T = i64;
                $body
            }
            $crate::DType::F16 => {
                type $T = $crate::half::f16;
                $body
            }
            $crate::DType::BF16 => {
                type $T = $crate::half::bf16;
                $body
            }
            $crate::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::DType::F64 => {
                type $T = f64;
                $body
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use DType::*;

    #[test]
    fn promote_types_matches_torch_table() {
        assert_eq!(promote_types(Bool, Bool), Bool);
        assert_eq!(promote_types(Bool, I8), I8);
        assert_eq!(promote_types(U8, I8), I32);
        assert_eq!(promote_types(I32, I64), I64);
        assert_eq!(promote_types(I64, F16), F16);
        assert_eq!(promote_types(BF16, F16), F32);
        assert_eq!(promote_types(F32, F64), F64);
        assert_eq!(promote_types(F16, F32), F32);
        for a in ALL_DTYPES {
            for b in ALL_DTYPES {
                assert_eq!(promote_types(a, b), promote_types(b, a), "{a} {b}");
            }
        }
    }

    #[test]
    fn result_type_lets_scalars_and_zero_dim_tensors_count_only_by_kind() {
        use Priority::*;
        assert_eq!(result_type(&[(F16, Dimensioned), (F32, Scalar)]), F16);
        assert_eq!(result_type(&[(I64, Dimensioned), (F32, Scalar)]), F32);
        assert_eq!(result_type(&[(I32, Dimensioned), (I64, ZeroDim)]), I32);
        assert_eq!(result_type(&[(F32, Dimensioned), (F64, ZeroDim)]), F32);
        assert_eq!(result_type(&[(I32, Dimensioned), (F64, ZeroDim)]), F64);
        assert_eq!(result_type(&[(Bool, Dimensioned), (I64, Scalar)]), I64);
        assert_eq!(result_type(&[(I64, ZeroDim), (F32, ZeroDim)]), F32);
    }

    #[test]
    fn casts_truncate_and_keep_large_integers_exact() {
        assert_eq!(i64::cast_from(-2.7f32), -2);
        assert_eq!(i64::cast_from((1i64 << 60) + 1), (1i64 << 60) + 1);
        assert!(bool::cast_from(0.5f64));
        assert_eq!(f16::cast_from(3i32), f16::from_f32(3.0));
        assert_eq!(u8::cast_from(-1i64), 255);
    }
}
