//! Indexing: NumPy-style `.i(...)` views, and the gathering ops index_select, gather, scatter,
//! scatter_add and repeat, each with its derivative.
//!
//! `.i(...)` takes one item or a tuple of up to six: an integer selects an entry and drops the
//! dim, a range (or a stepped [`Slice`]) narrows it, [`NewAxis`] inserts a size-1 dim and
//! [`Ellipsis`] stands for as many full slices as the tensor has dims left. The result is a
//! view built from `select`, `narrow`, `slice_step` and `unsqueeze`, so autograd and in-place
//! writes go through it.

use crate::autograd::{Record, no_grad};
use crate::backend::cpu;
use crate::dtype::DType;
use crate::error::{Error, Result, or_panic};
use crate::layout::Layout;
use crate::ops::binary::same_device;
use crate::ops::shape_ops::{Transform, embed};
use crate::shape::{IntoShape, normalize_dim};
use crate::tensor::Tensor;
use std::ops::{Range, RangeFrom, RangeFull, RangeInclusive, RangeTo, RangeToInclusive};
use std::sync::Arc;

// ----- index items ---------------------------------------------------------------------------

/// Inserts a size-1 dim where it stands in an index (NumPy's `np.newaxis`, PyTorch's `None`).
///
/// ```
/// use firebrand::{tensor, NewAxis};
/// let a = tensor!([1, 2, 3]);
/// assert_eq!(a.i((NewAxis, ..)).shape(), &[1, 3]);
/// assert_eq!(a.i((.., NewAxis)).shape(), &[3, 1]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewAxis;

/// Stands for as many full slices (`..`) as the dims the rest of an index leaves (Python's
/// `...`). At most one per index.
///
/// ```
/// use firebrand::{Ellipsis, Tensor, DType};
/// let a = Tensor::zeros([2, 3, 4, 5], DType::F32);
/// assert_eq!(a.i((Ellipsis, 0)).shape(), &[2, 3, 4]);
/// assert_eq!(a.i((1, Ellipsis, 2..4)).shape(), &[3, 4, 2]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ellipsis;

/// A Python slice `start:end:step`: either bound may be open, negative bounds count from the
/// end, and bounds past either end are clamped, as Python's are. The step must be positive
/// (as in PyTorch; use `flip` to reverse).
///
/// Build one from a range and set its step: `Slice::from(1..).step(2)` is Python's `1::2`,
/// `Slice::all().step(3)` is `::3`, `Slice::new(0, -1, 2)` is `0:-1:2`.
///
/// ```
/// use firebrand::{tensor, Slice};
/// let a = tensor!([0, 1, 2, 3, 4, 5, 6]);
/// assert_eq!(a.i(Slice::from(1..).step(2)).to_vec::<i64>(), vec![1, 3, 5]);
/// assert_eq!(a.i(Slice::all().step(3)).to_vec::<i64>(), vec![0, 3, 6]);
/// assert_eq!(a.i(Slice::new(0, -1, 2)).to_vec::<i64>(), vec![0, 2, 4]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slice {
    /// The first entry (`None`: from the start).
    pub start: Option<isize>,
    /// One past the last entry (`None`: to the end).
    pub end: Option<isize>,
    /// The distance between taken entries (must be positive).
    pub step: isize,
}

impl Slice {
    /// `start:end:step` with both bounds given.
    ///
    /// ```
    /// let s = firebrand::Slice::new(1, -1, 2);
    /// assert_eq!((s.start, s.end, s.step), (Some(1), Some(-1), 2));
    /// ```
    pub fn new(start: isize, end: isize, step: isize) -> Slice {
        Slice {
            start: Some(start),
            end: Some(end),
            step,
        }
    }

    /// The whole dim (`:`).
    ///
    /// ```
    /// let a = firebrand::tensor!([1, 2, 3]);
    /// assert_eq!(a.i(firebrand::Slice::all()).to_vec::<i64>(), vec![1, 2, 3]);
    /// ```
    pub fn all() -> Slice {
        Slice {
            start: None,
            end: None,
            step: 1,
        }
    }

    /// The same bounds with step `step`.
    ///
    /// ```
    /// let a = firebrand::tensor!([1, 2, 3, 4]);
    /// assert_eq!(a.i(firebrand::Slice::from(..3).step(2)).to_vec::<i64>(), vec![1, 3]);
    /// ```
    pub fn step(self, step: isize) -> Slice {
        Slice { step, ..self }
    }

    /// (first entry, number of entries) on a dim of `size`, clamped as Python clamps.
    fn resolve(&self, size: usize) -> (usize, usize) {
        let n = size as isize;
        let clamp = |v: isize| if v < 0 { (v + n).max(0) } else { v.min(n) };
        let start = self.start.map_or(0, clamp);
        let end = self.end.map_or(n, clamp);
        let len = if end > start {
            (end - start + self.step - 1) / self.step
        } else {
            0
        };
        (start as usize, len as usize)
    }
}

/// One item of an index: what `.i(...)` does to one dim (or, for `NewAxis` and `Ellipsis`, to
/// the dims around it). Integers, ranges, [`Slice`], [`NewAxis`] and [`Ellipsis`] convert into
/// it; a `Vec<IndexItem>` is an index built at run time.
///
/// ```
/// use firebrand::{IndexItem, Tensor, DType};
/// let a = Tensor::zeros([4, 5, 6], DType::F32);
/// let index = vec![IndexItem::Select(-1), IndexItem::from(1..3), IndexItem::NewAxis];
/// assert_eq!(a.i(index).shape(), &[2, 1, 6]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexItem {
    /// Takes one entry and drops the dim; negative counts from the end.
    Select(isize),
    /// Keeps the entries a slice picks.
    Slice(Slice),
    /// Inserts a size-1 dim.
    NewAxis,
    /// As many full slices as needed.
    Ellipsis,
}

impl From<Slice> for IndexItem {
    fn from(s: Slice) -> IndexItem {
        IndexItem::Slice(s)
    }
}

impl From<NewAxis> for IndexItem {
    fn from(_: NewAxis) -> IndexItem {
        IndexItem::NewAxis
    }
}

impl From<Ellipsis> for IndexItem {
    fn from(_: Ellipsis) -> IndexItem {
        IndexItem::Ellipsis
    }
}

impl From<RangeFull> for Slice {
    fn from(_: RangeFull) -> Slice {
        Slice::all()
    }
}

impl From<RangeFull> for IndexItem {
    fn from(r: RangeFull) -> IndexItem {
        IndexItem::Slice(r.into())
    }
}

/// An index value as `isize`, saturating (a `usize` past `isize::MAX` is past any end anyway).
fn to_isize<T: TryInto<isize>>(v: T, positive: bool) -> isize {
    v.try_into()
        .unwrap_or(if positive { isize::MAX } else { isize::MIN })
}

/// The exclusive end for an inclusive one: `..=-1` runs to the end.
fn inclusive_end(end: isize) -> Option<isize> {
    if end == -1 {
        None
    } else {
        Some(end.saturating_add(1))
    }
}

macro_rules! int_index_items {
    (@ranges $t:ty: $($r:ident)*) => {$(
        impl From<$r<$t>> for IndexItem {
            fn from(r: $r<$t>) -> IndexItem {
                IndexItem::Slice(r.into())
            }
        }
    )*};
    ($($t:ty),*) => {$(
        impl From<$t> for IndexItem {
            fn from(i: $t) -> IndexItem {
                IndexItem::Select(to_isize(i, i > 0 as $t))
            }
        }
        impl From<Range<$t>> for Slice {
            fn from(r: Range<$t>) -> Slice {
                Slice {
                    start: Some(to_isize(r.start, r.start > 0 as $t)),
                    end: Some(to_isize(r.end, r.end > 0 as $t)),
                    step: 1,
                }
            }
        }
        impl From<RangeFrom<$t>> for Slice {
            fn from(r: RangeFrom<$t>) -> Slice {
                Slice { start: Some(to_isize(r.start, r.start > 0 as $t)), end: None, step: 1 }
            }
        }
        impl From<RangeTo<$t>> for Slice {
            fn from(r: RangeTo<$t>) -> Slice {
                Slice { start: None, end: Some(to_isize(r.end, r.end > 0 as $t)), step: 1 }
            }
        }
        impl From<RangeInclusive<$t>> for Slice {
            fn from(r: RangeInclusive<$t>) -> Slice {
                let (start, end) = (*r.start(), *r.end());
                Slice {
                    start: Some(to_isize(start, start > 0 as $t)),
                    end: inclusive_end(to_isize(end, end > 0 as $t)),
                    step: 1,
                }
            }
        }
        impl From<RangeToInclusive<$t>> for Slice {
            fn from(r: RangeToInclusive<$t>) -> Slice {
                Slice { start: None, end: inclusive_end(to_isize(r.end, r.end > 0 as $t)), step: 1 }
            }
        }
        int_index_items!(@ranges $t: Range RangeFrom RangeTo RangeInclusive RangeToInclusive);
    )*};
}
int_index_items!(usize, isize, i32, i64);

/// Everything `.i(...)` accepts: one item (an integer, a range, a [`Slice`], [`NewAxis`],
/// [`Ellipsis`]), a tuple of up to six items, or a `Vec<IndexItem>`.
///
/// ```
/// use firebrand::{tensor, NewAxis};
/// let a = tensor!([[1, 2, 3], [4, 5, 6]]);
/// assert_eq!(a.i(1).to_vec::<i64>(), vec![4, 5, 6]);
/// assert_eq!(a.i((.., -1)).to_vec::<i64>(), vec![3, 6]);
/// assert_eq!(a.i((0, 1..)).to_vec::<i64>(), vec![2, 3]);
/// assert_eq!(a.i((NewAxis, 1, ..=1)).shape(), &[1, 2]);
/// ```
pub trait TensorIndex {
    /// The items, left to right.
    fn into_items(self) -> Vec<IndexItem>;
}

impl TensorIndex for Vec<IndexItem> {
    fn into_items(self) -> Vec<IndexItem> {
        self
    }
}

impl TensorIndex for &[IndexItem] {
    fn into_items(self) -> Vec<IndexItem> {
        self.to_vec()
    }
}

macro_rules! single_item_index {
    ($($t:ty),*) => {$(
        impl TensorIndex for $t {
            fn into_items(self) -> Vec<IndexItem> {
                vec![self.into()]
            }
        }
    )*};
}
single_item_index!(IndexItem, Slice, NewAxis, Ellipsis, RangeFull);
macro_rules! single_int_index {
    ($($t:ty),*) => {$(
        single_item_index!($t, Range<$t>, RangeFrom<$t>, RangeTo<$t>, RangeInclusive<$t>,
            RangeToInclusive<$t>);
    )*};
}
single_int_index!(usize, isize, i32, i64);

macro_rules! tuple_index {
    ($($name:ident)+) => {
        impl<$($name: Into<IndexItem>),+> TensorIndex for ($($name,)+) {
            #[allow(non_snake_case)]
            fn into_items(self) -> Vec<IndexItem> {
                let ($($name,)+) = self;
                vec![$($name.into()),+]
            }
        }
    };
}
tuple_index!(A);
tuple_index!(A B);
tuple_index!(A B C);
tuple_index!(A B C D);
tuple_index!(A B C D E);
tuple_index!(A B C D E F);

impl Tensor {
    /// NumPy-style indexing, returning a view: integers select (and drop the dim; negative
    /// counts from the end), ranges narrow (open, inclusive and negative bounds as in Python,
    /// clamped at the ends), [`Slice`] adds a step, [`NewAxis`] inserts a size-1 dim and
    /// [`Ellipsis`] fills in full slices. Dims the index does not reach are kept whole.
    ///
    /// ```
    /// use firebrand::{tensor, Ellipsis, NewAxis, Slice};
    /// let a = tensor!([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]);
    /// assert_eq!(a.i((.., 1..3)).to_vec::<i64>(), vec![2, 3, 6, 7, 10, 11]);
    /// assert_eq!(a.i((-1, ..)).to_vec::<i64>(), vec![9, 10, 11, 12]);
    /// assert_eq!(a.i((Ellipsis, 0)).to_vec::<i64>(), vec![1, 5, 9]);
    /// assert_eq!(a.i((1.., Slice::all().step(2))).to_vec::<i64>(), vec![5, 7, 9, 11]);
    /// assert_eq!(a.i((NewAxis, -2..)).shape(), &[1, 2, 4]);
    /// // a view: writing through it changes `a`
    /// a.i((0, ..)).fill_(0.0);
    /// assert_eq!(a.i(0).to_vec::<i64>(), vec![0, 0, 0, 0]);
    /// ```
    #[track_caller]
    pub fn i(&self, index: impl TensorIndex) -> Tensor {
        or_panic(self.try_i(index))
    }

    /// [`Tensor::i`] returning an error instead of panicking (an index out of range, too many
    /// indices, a second ellipsis, a step that is not positive).
    ///
    /// ```
    /// let a = firebrand::tensor!([[1, 2, 3], [4, 5, 6]]);
    /// let err = a.try_i((.., 3)).unwrap_err();
    /// assert!(err.to_string().contains("index 3 is out of bounds for dimension 1 with size 3"));
    /// assert!(a.try_i((0, 0, 0)).is_err());
    /// ```
    pub fn try_i(&self, index: impl TensorIndex) -> Result<Tensor> {
        let items = index.into_items();
        let spread = self.ellipsis_width(&items)?;
        let mut out = self.clone();
        let mut pos = 0; // the dim of `out` the next item applies to
        let mut dim = 0; // the dim of `self` it applies to (for messages)
        for item in items {
            match item {
                IndexItem::Select(i) => {
                    let at = self.resolve_select(i, dim)?;
                    out = out.select(pos as isize, at as isize);
                    dim += 1;
                }
                IndexItem::Slice(s) => {
                    out = slice_dim(&out, pos, s)?;
                    (pos, dim) = (pos + 1, dim + 1);
                }
                IndexItem::NewAxis => {
                    out = out.unsqueeze(pos as isize);
                    pos += 1;
                }
                IndexItem::Ellipsis => (pos, dim) = (pos + spread, dim + spread),
            }
        }
        Ok(out)
    }

    /// The number of dims an ellipsis in `items` stands for; checks the item count.
    fn ellipsis_width(&self, items: &[IndexItem]) -> Result<usize> {
        let ellipses = items.iter().filter(|i| **i == IndexItem::Ellipsis).count();
        if ellipses > 1 {
            return Err(Error::msg(
                "i: an index can only have a single ellipsis (Ellipsis); drop the extra ones",
            ));
        }
        let used = items
            .iter()
            .filter(|i| matches!(i, IndexItem::Select(_) | IndexItem::Slice(_)))
            .count();
        if used > self.dim() {
            return Err(Error::msg(format!(
                "i: too many indices for tensor of dimension {} (shape {:?}): {used} integers \
                 or ranges were given",
                self.dim(),
                self.shape()
            )));
        }
        Ok(self.dim() - used)
    }

    /// Entry `index` of dim `dim` of this tensor, resolved from the end when negative.
    fn resolve_select(&self, index: isize, dim: usize) -> Result<usize> {
        let size = self.shape()[dim];
        let at = if index < 0 {
            index.checked_add(size as isize)
        } else {
            Some(index)
        };
        match at {
            Some(at) if at >= 0 && (at as usize) < size => Ok(at as usize),
            _ => Err(Error::msg(format!(
                "i: index {index} is out of bounds for dimension {dim} with size {size} \
                 (shape {:?}); valid indices are {} to {}",
                self.shape(),
                -(size as isize),
                size as isize - 1
            ))),
        }
    }
}

/// `t` with dim `pos` cut down to what `s` picks (the tensor itself for a full slice).
fn slice_dim(t: &Tensor, pos: usize, s: Slice) -> Result<Tensor> {
    if s.step <= 0 {
        return Err(Error::msg(format!(
            "i: slice step must be greater than zero, got {}; to reverse a dim use flip",
            s.step
        )));
    }
    let size = t.shape()[pos];
    let (start, len) = s.resolve(size);
    Ok(match s.step {
        _ if start == 0 && len == size => t.clone(),
        1 => t.narrow(pos as isize, start as isize, len),
        step => t.slice_step(pos, start, len, step as usize),
    })
}

// ----- index tensors -------------------------------------------------------------------------

/// The index as I64 (I32 is converted), or an error naming `op` for any other dtype.
fn index_as_i64(op: &str, self_: &Tensor, index: &Tensor) -> Result<Tensor> {
    same_device(op, self_, index)?;
    match index.dtype() {
        DType::I64 => Ok(index.clone()),
        DType::I32 => Ok(index.to_dtype(DType::I64)),
        other => Err(Error::msg(format!(
            "{op}(): expected dtype int64 (or int32) for index, got {other}; convert it with \
             to_dtype(DType::I64)"
        ))),
    }
}

/// Checks every value of the I64 `index` lies in `0..size`.
fn check_in_range(op: &str, index: &Tensor, dim: usize, size: usize) -> Result<()> {
    let Some((lo, hi)) = cpu::index::index_bounds(index) else {
        return Ok(());
    };
    let bad = if lo < 0 {
        lo
    } else if hi >= size as i64 {
        hi
    } else {
        return Ok(());
    };
    Err(Error::msg(format!(
        "{op}(): index {bad} is out of bounds for dimension {dim} with size {size}; indices \
         must lie in 0..{size} (negative indices are not accepted)"
    )))
}

/// Checks that `index` has `self_`'s number of dims and is no larger off `dim`.
fn check_index_shape(op: &str, self_: &Tensor, index: &Tensor, dim: usize) -> Result<()> {
    if index.dim() != self_.dim() {
        return Err(Error::msg(format!(
            "{op}(): index tensor must have the same number of dimensions as self: index has \
             shape {:?}, self {:?}",
            index.shape(),
            self_.shape()
        )));
    }
    let larger = (0..self_.dim()).find(|&d| d != dim && index.shape()[d] > self_.shape()[d]);
    if let Some(d) = larger {
        return Err(Error::msg(format!(
            "{op}(): size does not match at dimension {d}: expected index {:?} to be no \
             larger than self {:?} apart from dimension {dim}",
            index.shape(),
            self_.shape()
        )));
    }
    Ok(())
}

/// For a 0-d `self_`: runs `op` on a 1-element view and gives the result `out_shape`.
fn on_scalar(
    self_: &Tensor,
    out_shape: &[usize],
    op: impl FnOnce(&Tensor) -> Result<Tensor>,
) -> Result<Tensor> {
    let out = op(&self_.reshape([1]))?;
    out.try_reshape(out_shape)
}

/// A layout change that narrows every dim to the leading `shape` corner.
fn corner(shape: Vec<usize>) -> Transform {
    Arc::new(move |l: &Layout| (0..shape.len()).fold(l.clone(), |l, d| l.narrow(d, 0, shape[d])))
}

impl Tensor {
    /// The entries `index` (a 1-D, or 0-d, I64 or I32 tensor; repeats allowed) of `dim`, in
    /// that order, as a new tensor. Each index must lie in `0..size(dim)`.
    ///
    /// ```
    /// let a = firebrand::tensor!([[1, 2, 3], [4, 5, 6]]);
    /// let idx = firebrand::tensor!([2, 0, 2]);
    /// assert_eq!(a.index_select(1, &idx).to_vec::<i64>(), vec![3, 1, 3, 6, 4, 6]);
    /// assert_eq!(a.index_select(0, &firebrand::tensor!([1])).shape(), &[1, 3]);
    /// ```
    #[track_caller]
    pub fn index_select(&self, dim: isize, index: &Tensor) -> Tensor {
        or_panic(self.try_index_select(dim, index))
    }

    /// [`Tensor::index_select`] returning an error instead of panicking.
    ///
    /// ```
    /// let a = firebrand::tensor!([1.0, 2.0]);
    /// let err = a.try_index_select(0, &firebrand::tensor!([2])).unwrap_err();
    /// assert!(err.to_string().contains("index 2 is out of bounds for dimension 0 with size 2"));
    /// ```
    pub fn try_index_select(&self, dim: isize, index: &Tensor) -> Result<Tensor> {
        const OP: &str = "index_select";
        let d = normalize_dim(OP, dim, self.dim())?;
        if index.dim() > 1 {
            return Err(Error::msg(format!(
                "index_select(): index is supposed to be a vector (0-d or 1-d), got shape {:?}; \
                 flatten it with reshape([-1])",
                index.shape()
            )));
        }
        if self.dim() == 0 {
            if index.numel() != 1 {
                return Err(Error::msg(format!(
                    "index_select(): index to a 0-d tensor can have only 1 value, got {}",
                    index.numel()
                )));
            }
            return on_scalar(self, &[], |x| x.try_index_select(0, index));
        }
        let idx = no_grad(|| index_as_i64(OP, self, index).map(|i| i.reshape([-1]).contiguous()))?;
        check_in_range(OP, &idx, d, self.shape()[d])?;
        let out =
            crate::with_dtype!(self.dtype(), T => cpu::index::index_select::<T>(self, d, &idx));
        let (shape, saved) = (self.shape().to_vec(), idx.clone());
        Ok(Record::new("IndexSelectBackward0", &[self])
            .save(&[&idx])
            .finish(out, move |ctx| {
                vec![Some(index_select_backward(ctx.grad(), &shape, d, &saved))]
            }))
    }

    /// For each element of `index` (an I64 or I32 tensor with as many dims as this one), the
    /// entry it names along `dim`: `out[i][j] = self[index[i][j]][j]` for `dim = 0`,
    /// `self[i][index[i][j]]` for `dim = 1`. The result has `index`'s shape; off `dim`, `index`
    /// may be smaller than this tensor but not larger.
    ///
    /// ```
    /// let a = firebrand::tensor!([[1, 2], [3, 4]]);
    /// let idx = firebrand::tensor!([[0, 0], [1, 0]]);
    /// assert_eq!(a.gather(1, &idx).to_vec::<i64>(), vec![1, 1, 4, 3]);
    /// assert_eq!(a.gather(0, &idx).to_vec::<i64>(), vec![1, 2, 3, 2]);
    /// ```
    #[track_caller]
    pub fn gather(&self, dim: isize, index: &Tensor) -> Tensor {
        or_panic(self.try_gather(dim, index))
    }

    /// [`Tensor::gather`] returning an error instead of panicking.
    ///
    /// ```
    /// let a = firebrand::tensor!([[1, 2], [3, 4]]);
    /// assert!(a.try_gather(1, &firebrand::tensor!([[2]])).is_err());
    /// assert!(a.try_gather(1, &firebrand::tensor!([0])).is_err());
    /// ```
    pub fn try_gather(&self, dim: isize, index: &Tensor) -> Result<Tensor> {
        const OP: &str = "gather";
        let d = normalize_dim(OP, dim, self.dim())?;
        if self.dim() == 0 && index.dim() <= 1 {
            let flat = index.reshape([-1]);
            return on_scalar(self, index.shape(), |x| x.try_gather(0, &flat));
        }
        let idx = no_grad(|| index_as_i64(OP, self, index))?;
        check_index_shape(OP, self, &idx, d)?;
        check_in_range(OP, &idx, d, self.shape()[d])?;
        let out = crate::with_dtype!(self.dtype(), T => cpu::index::gather::<T>(self, d, &idx));
        let (shape, saved) = (self.shape().to_vec(), idx.clone());
        Ok(Record::new("GatherBackward0", &[self])
            .save(&[&idx])
            .finish(out, move |ctx| {
                let g = ctx.grad();
                let zeros = Tensor::zeros(shape.as_slice(), g.dtype());
                vec![Some(zeros.scatter_add(d as isize, &saved, g))]
            }))
    }

    /// A copy of this tensor with `src`'s elements written where `index` points along `dim`:
    /// `out[index[i][j]][j] = src[i][j]` for `dim = 0` (PyTorch's out-of-place `scatter`).
    /// `src` has this tensor's dtype; `index` (I64 or I32) has its number of dims, is no larger
    /// than `src` in any dim and no larger than this tensor off `dim`. Where two index entries
    /// name one place, the last written wins.
    ///
    /// ```
    /// use firebrand::{tensor, DType, Tensor};
    /// let x = Tensor::zeros([2, 3], DType::F32);
    /// let idx = tensor!([[2, 0], [1, 2]]);
    /// let src = tensor!([[1.0, 2.0], [3.0, 4.0]]);
    /// assert_eq!(x.scatter(1, &idx, &src).to_vec::<f32>(), vec![2.0, 0.0, 1.0, 0.0, 3.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn scatter(&self, dim: isize, index: &Tensor, src: &Tensor) -> Tensor {
        or_panic(self.try_scatter(dim, index, src))
    }

    /// [`Tensor::scatter`] returning an error instead of panicking.
    ///
    /// ```
    /// use firebrand::{tensor, DType, Tensor};
    /// let x = Tensor::zeros([2, 3], DType::F32);
    /// let err = x.try_scatter(0, &tensor!([[1]]), &tensor!([[1]])).unwrap_err();
    /// assert!(err.to_string().contains("dtype"));
    /// ```
    pub fn try_scatter(&self, dim: isize, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        self.scatter_op("scatter", dim, index, src, false)
    }

    /// A copy of this tensor with `src`'s elements added where `index` points along `dim`:
    /// `out[index[i][j]][j] += src[i][j]` for `dim = 0`; repeated indices add up. The same
    /// rules on dtypes and shapes as [`Tensor::scatter`].
    ///
    /// ```
    /// use firebrand::{tensor, DType, Tensor};
    /// let x = Tensor::ones([3], DType::F32);
    /// let out = x.scatter_add(0, &tensor!([0, 2, 0]), &tensor!([1.0, 2.0, 3.0]));
    /// assert_eq!(out.to_vec::<f32>(), vec![5.0, 1.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn scatter_add(&self, dim: isize, index: &Tensor, src: &Tensor) -> Tensor {
        or_panic(self.try_scatter_add(dim, index, src))
    }

    /// [`Tensor::scatter_add`] returning an error instead of panicking.
    ///
    /// ```
    /// use firebrand::{tensor, DType, Tensor};
    /// let x = Tensor::zeros([3], DType::F32);
    /// assert!(x.try_scatter_add(0, &tensor!([3]), &tensor!([1.0])).is_err());
    /// ```
    pub fn try_scatter_add(&self, dim: isize, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        self.scatter_op("scatter_add", dim, index, src, true)
    }

    /// scatter and scatter_add: checks, the kernel, and the derivative.
    fn scatter_op(
        &self,
        op: &'static str,
        dim: isize,
        index: &Tensor,
        src: &Tensor,
        add: bool,
    ) -> Result<Tensor> {
        let d = normalize_dim(op, dim, self.dim())?;
        if self.dim() == 0 && index.dim() <= 1 && src.dim() <= 1 {
            let (flat_idx, flat_src) = (index.reshape([-1]), src.reshape([-1]));
            return on_scalar(self, &[], |x| {
                x.scatter_op(op, 0, &flat_idx, &flat_src, add)
            });
        }
        let idx = no_grad(|| index_as_i64(op, self, index))?;
        check_scatter_args(op, self, &idx, src, d)?;
        let out = crate::with_dtype!(self.dtype(), T => cpu::index::scatter::<T>(self, d, &idx, src, add));
        let name = if add {
            "ScatterAddBackward0"
        } else {
            "ScatterBackward0"
        };
        let (src_shape, idx_) = (src.shape().to_vec(), idx.clone());
        Ok(Record::new(name, &[self, src])
            .save(&[&idx])
            .finish(out, move |ctx| {
                let idx = &idx_;
                let g = ctx.grad();
                let grad_self = (ctx.needs(0)).then(|| match add {
                    true => g.clone(),
                    false => g.scatter(d as isize, idx, &Tensor::zeros(idx.shape(), g.dtype())),
                });
                let grad_src = ctx.needs(1).then(|| {
                    let picked = g.gather(d as isize, idx);
                    match picked.shape() == src_shape.as_slice() {
                        true => picked,
                        false => embed(&picked, &src_shape, corner(idx.shape().to_vec())),
                    }
                });
                vec![grad_self, grad_src]
            }))
    }

    /// This tensor tiled `repeats[i]` times along each dim (a copy). `repeats` may be longer
    /// than the number of dims: the tensor is then treated as having leading dims of size 1, as
    /// in PyTorch.
    ///
    /// ```
    /// let a = firebrand::tensor!([[1, 2], [3, 4]]);
    /// assert_eq!(a.repeat([1, 2]).to_vec::<i64>(), vec![1, 2, 1, 2, 3, 4, 3, 4]);
    /// assert_eq!(a.repeat([2, 1]).to_vec::<i64>(), vec![1, 2, 3, 4, 1, 2, 3, 4]);
    /// assert_eq!(a.repeat([3, 1, 1]).shape(), &[3, 2, 2]);
    /// ```
    #[track_caller]
    pub fn repeat(&self, repeats: impl IntoShape) -> Tensor {
        or_panic(self.try_repeat(repeats))
    }

    /// [`Tensor::repeat`] returning an error instead of panicking.
    ///
    /// ```
    /// let a = firebrand::tensor!([[1, 2], [3, 4]]);
    /// assert!(a.try_repeat([2]).is_err());
    /// assert!(a.try_repeat([2, -1]).is_err());
    /// ```
    pub fn try_repeat(&self, repeats: impl IntoShape) -> Result<Tensor> {
        let reps = repeats.to_sizes();
        if reps.len() < self.dim() {
            return Err(Error::msg(format!(
                "repeat: the number of repeats ({}) cannot be smaller than the number of dims of \
                 the tensor ({}, shape {:?}); give one repeat per dim",
                reps.len(),
                self.dim(),
                self.shape()
            )));
        }
        if let Some(&r) = reps.iter().find(|&&r| r < 0) {
            return Err(Error::msg(format!(
                "repeat: repeats must be non-negative, got {r} in {reps:?}"
            )));
        }
        let lead = reps.len() - self.dim();
        let sizes: Vec<usize> = (0..reps.len())
            .map(|i| if i < lead { 1 } else { self.shape()[i - lead] })
            .collect();
        let tiles: Vec<usize> = reps
            .iter()
            .zip(&sizes)
            .flat_map(|(&r, &s)| [r as usize, s])
            .collect();
        let single: Vec<usize> = sizes.iter().flat_map(|&s| [1, s]).collect();
        let out_shape: Vec<usize> = tiles.chunks(2).map(|p| p[0] * p[1]).collect();
        crate::shape::checked_numel("repeat", &out_shape)?;
        let out = no_grad(|| {
            if out_shape.contains(&0) {
                return Tensor::zeros(out_shape.as_slice(), self.dtype());
            }
            let tiled = self.reshape(single.as_slice()).expand(tiles.as_slice());
            tiled.contiguous_copy().reshape(out_shape.as_slice())
        });
        let shape = self.shape().to_vec();
        Ok(
            Record::new("RepeatBackward0", &[self]).finish(out, move |ctx| {
                let tile_dims: Vec<usize> = (0..tiles.len()).step_by(2).collect();
                let g = ctx
                    .grad()
                    .reshape(tiles.as_slice())
                    .sum_dim(tile_dims, false);
                vec![Some(g.reshape(shape.as_slice()))]
            }),
        )
    }
}

/// The shape, dtype and range checks scatter and scatter_add share.
fn check_scatter_args(
    op: &str,
    self_: &Tensor,
    idx: &Tensor,
    src: &Tensor,
    dim: usize,
) -> Result<()> {
    same_device(op, self_, src)?;
    if src.dtype() != self_.dtype() {
        return Err(Error::msg(format!(
            "{op}(): expected self.dtype to be equal to src.dtype, got {} and {}; convert src \
             with to_dtype",
            self_.dtype(),
            src.dtype()
        )));
    }
    check_index_shape(op, self_, idx, dim)?;
    let src_fits =
        src.dim() == idx.dim() && (0..idx.dim()).all(|d| idx.shape()[d] <= src.shape()[d]);
    if !src_fits {
        return Err(Error::msg(format!(
            "{op}(): expected index {:?} to be no larger than src {:?} in every dimension \
             (and to have as many dims)",
            idx.shape(),
            src.shape()
        )));
    }
    check_in_range(op, idx, dim, self_.shape()[dim])
}

/// The derivative of index_select: the gradient's rows added into zeros of the input's shape
/// at the rows they were taken from.
fn index_select_backward(g: &Tensor, shape: &[usize], dim: usize, idx: &Tensor) -> Tensor {
    let mut along = vec![1usize; shape.len()];
    along[dim] = idx.numel();
    let wide = idx.reshape(along).expand(g.shape());
    Tensor::zeros(shape, g.dtype()).scatter_add(dim as isize, &wide, g)
}
