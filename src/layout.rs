//! [`Layout`]: shape, signed strides and an element offset into a storage. Every view op
//! (transpose, narrow, expand, flip, ...) is a function from one layout to another; no data
//! moves.

use crate::shape::numel;
use smallvec::SmallVec;

/// Dims held inline up to this many (every tensor of the usual ranks): making a layout then
/// allocates nothing.
const INLINE_DIMS: usize = 6;

/// Sizes of a layout, inline for up to [`INLINE_DIMS`] dims.
type Sizes = SmallVec<[usize; INLINE_DIMS]>;
/// Strides of a layout, inline for up to [`INLINE_DIMS`] dims.
type Strides = SmallVec<[isize; INLINE_DIMS]>;

/// Row-major strides of `shape`, inline (as [`crate::shape::contiguous_strides`], without allocating).
fn inline_contiguous_strides(shape: &[usize]) -> Strides {
    let mut strides = Strides::from_elem(0, shape.len());
    let mut acc = 1isize;
    for i in (0..shape.len()).rev() {
        strides[i] = acc;
        acc *= shape[i].max(1) as isize;
    }
    strides
}

/// Where a tensor's elements sit in its storage: element `[i0, i1, ..]` is at
/// `offset + i0 * strides[0] + i1 * strides[1] + ..`.
///
/// ```
/// use firebrand::tensor;
/// let a = tensor!([[1, 2, 3], [4, 5, 6]]);
/// let t = a.t();
/// assert_eq!(t.strides(), &[1, 3]);
/// assert!(!t.is_contiguous());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    shape: Sizes,
    strides: Strides,
    offset: usize,
}

impl Layout {
    /// A row-major layout for `shape`, starting at element 0.
    pub fn contiguous(shape: &[usize]) -> Layout {
        Layout {
            shape: Sizes::from_slice(shape),
            strides: inline_contiguous_strides(shape),
            offset: 0,
        }
    }

    /// A layout from its parts (the caller guarantees it stays inside the storage).
    pub(crate) fn new(shape: Vec<usize>, strides: Vec<isize>, offset: usize) -> Layout {
        debug_assert_eq!(shape.len(), strides.len());
        Layout {
            shape: Sizes::from_vec(shape),
            strides: Strides::from_vec(strides),
            offset,
        }
    }

    /// The sizes.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The strides, in elements; negative after a flip, zero along expanded dims.
    pub fn strides(&self) -> &[isize] {
        &self.strides
    }

    /// The storage index of element `[0, 0, ..]`.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The number of dims.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// The number of elements.
    pub fn numel(&self) -> usize {
        numel(&self.shape)
    }

    /// True when the elements are row-major and dense (size-1 dims may have any stride).
    pub fn is_contiguous(&self) -> bool {
        if self.numel() == 0 {
            return true;
        }
        let mut expected = 1isize;
        for (&d, &s) in self.shape.iter().zip(&self.strides).rev() {
            if d != 1 && s != expected {
                return false;
            }
            expected *= d as isize;
        }
        true
    }

    /// Swaps dims `a` and `b`.
    pub(crate) fn transpose(&self, a: usize, b: usize) -> Layout {
        let mut l = self.clone();
        l.shape.swap(a, b);
        l.strides.swap(a, b);
        l
    }

    /// Reorders dims: dim `i` of the result is dim `perm[i]` of this layout.
    pub(crate) fn permute(&self, perm: &[usize]) -> Layout {
        Layout {
            shape: perm.iter().map(|&p| self.shape[p]).collect(),
            strides: perm.iter().map(|&p| self.strides[p]).collect(),
            offset: self.offset,
        }
    }

    /// Keeps `len` entries of `dim` starting at `start`.
    pub(crate) fn narrow(&self, dim: usize, start: usize, len: usize) -> Layout {
        let mut l = self.clone();
        if len > 0 {
            l.offset = (self.offset as isize + start as isize * self.strides[dim]) as usize;
        }
        l.shape[dim] = len;
        l
    }

    /// Takes every `step`-th entry of `dim` from `start`, `len` entries in all.
    pub(crate) fn slice_step(&self, dim: usize, start: usize, len: usize, step: usize) -> Layout {
        let mut l = self.narrow(dim, start, len);
        l.strides[dim] *= step as isize;
        l
    }

    /// Drops `dim`, fixing it at `index`.
    pub(crate) fn select(&self, dim: usize, index: usize) -> Layout {
        let mut l = self.narrow(dim, index, 1);
        l.shape.remove(dim);
        l.strides.remove(dim);
        l
    }

    /// Inserts a size-1 dim at `dim`.
    pub(crate) fn unsqueeze(&self, dim: usize) -> Layout {
        let mut l = self.clone();
        let stride = if dim < self.ndim() {
            self.strides[dim] * self.shape[dim] as isize
        } else {
            1
        };
        l.shape.insert(dim, 1);
        l.strides.insert(dim, stride);
        l
    }

    /// Removes `dim` when its size is 1 (otherwise returns the layout unchanged).
    pub(crate) fn squeeze(&self, dim: usize) -> Layout {
        let mut l = self.clone();
        if self.shape.get(dim) == Some(&1) {
            l.shape.remove(dim);
            l.strides.remove(dim);
        }
        l
    }

    /// Reverses the order of `dim` (a negative stride).
    pub(crate) fn flip(&self, dim: usize) -> Layout {
        let mut l = self.clone();
        if self.shape[dim] > 0 {
            l.offset = (self.offset as isize + (self.shape[dim] as isize - 1) * self.strides[dim])
                as usize;
        }
        l.strides[dim] = -self.strides[dim];
        l
    }

    /// Broadcasts to `shape` (already checked compatible): new leading dims and size-1 dims get
    /// stride 0.
    pub(crate) fn broadcast_to(&self, shape: &[usize]) -> Layout {
        let extra = shape.len() - self.ndim();
        let strides = shape
            .iter()
            .enumerate()
            .map(|(i, &d)| {
                if i < extra {
                    0
                } else {
                    let (own, s) = (self.shape[i - extra], self.strides[i - extra]);
                    if own == 1 && d != 1 { 0 } else { s }
                }
            })
            .collect();
        Layout {
            shape: Sizes::from_slice(shape),
            strides,
            offset: self.offset,
        }
    }

    /// The same elements seen with shape `new_shape` without copying, when the strides allow it
    /// (PyTorch's `computeStride`); `None` when a copy is needed.
    pub(crate) fn reshape_view(&self, new_shape: &[usize]) -> Option<Layout> {
        if self.is_contiguous() {
            return Some(Layout {
                shape: Sizes::from_slice(new_shape),
                strides: inline_contiguous_strides(new_shape),
                offset: self.offset,
            });
        }
        let strides = view_strides(&self.shape, &self.strides, new_shape)?;
        Some(Layout {
            shape: Sizes::from_slice(new_shape),
            strides: Strides::from_vec(strides),
            offset: self.offset,
        })
    }

    /// Merges adjacent dims that are laid out as one (and drops size-1 dims), so kernels walk
    /// the fewest, longest runs. Returns (shape, strides) per operand sharing one shape.
    pub(crate) fn coalesce_with(layouts: &[&Layout]) -> (Vec<usize>, Vec<Vec<isize>>) {
        let shape = layouts[0].shape();
        let mut out_shape: Vec<usize> = Vec::with_capacity(shape.len());
        let mut out_strides: Vec<Vec<isize>> = vec![Vec::with_capacity(shape.len()); layouts.len()];
        for (d, &size) in shape.iter().enumerate() {
            if size == 1 {
                continue;
            }
            let mergeable = !out_shape.is_empty()
                && layouts.iter().enumerate().all(|(k, l)| {
                    *out_strides[k].last().unwrap() == l.strides[d] * shape[d] as isize
                });
            if mergeable {
                *out_shape.last_mut().unwrap() *= shape[d];
                for (k, l) in layouts.iter().enumerate() {
                    *out_strides[k].last_mut().unwrap() = l.strides[d];
                }
            } else {
                out_shape.push(shape[d]);
                for (k, l) in layouts.iter().enumerate() {
                    out_strides[k].push(l.strides[d]);
                }
            }
        }
        (out_shape, out_strides)
    }
}

/// PyTorch's `computeStride`: strides for viewing (shape, strides) as `new_shape`, if possible.
fn view_strides(shape: &[usize], strides: &[isize], new_shape: &[usize]) -> Option<Vec<isize>> {
    let mut new_strides = vec![0isize; new_shape.len()];
    let mut view_d = new_shape.len() as isize - 1;
    let mut chunk_base_stride = *strides.last().unwrap_or(&1);
    let mut tensor_numel = 1usize;
    let mut view_numel = 1usize;
    for tensor_d in (0..shape.len()).rev() {
        tensor_numel *= shape[tensor_d];
        let chunk_ends = tensor_d == 0
            || (shape[tensor_d - 1] != 1
                && strides[tensor_d - 1] != tensor_numel as isize * chunk_base_stride);
        if chunk_ends {
            while view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d as usize] == 1) {
                new_strides[view_d as usize] = view_numel as isize * chunk_base_stride;
                view_numel *= new_shape[view_d as usize];
                view_d -= 1;
            }
            if view_numel != tensor_numel {
                return None;
            }
            if tensor_d > 0 {
                chunk_base_stride = strides[tensor_d - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    if view_d != -1 {
        return None;
    }
    Some(new_strides)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_compute_the_expected_strides() {
        let l = Layout::contiguous(&[2, 3, 4]);
        assert_eq!(l.transpose(0, 2).strides(), &[1, 4, 12]);
        assert_eq!(l.narrow(1, 1, 2).offset(), 4);
        assert_eq!(l.select(0, 1).shape(), &[3, 4]);
        assert_eq!(l.select(0, 1).offset(), 12);
        assert_eq!(l.flip(2).strides(), &[12, 4, -1]);
        assert_eq!(l.flip(2).offset(), 3);
        assert_eq!(l.unsqueeze(1).strides(), &[12, 12, 4, 1]);
        let b = Layout::contiguous(&[3, 1]).broadcast_to(&[2, 3, 4]);
        assert_eq!(b.strides(), &[0, 1, 0]);
    }

    #[test]
    fn reshape_views_where_pytorch_does() {
        let t = Layout::contiguous(&[4, 6]).transpose(0, 1); // [6, 4] strides [1, 6]
        assert!(t.reshape_view(&[24]).is_none());
        assert_eq!(t.reshape_view(&[6, 2, 2]).unwrap().strides(), &[1, 12, 6]);
        let n = Layout::contiguous(&[4, 6]).narrow(1, 0, 3); // [4, 3] strides [6, 1]
        assert_eq!(n.reshape_view(&[4, 3, 1]).unwrap().strides(), &[6, 1, 1]);
        assert!(n.reshape_view(&[12]).is_none());
    }

    #[test]
    fn coalescing_merges_dense_dims_only() {
        let c = Layout::contiguous(&[2, 3, 4]);
        let (shape, strides) = Layout::coalesce_with(&[&c]);
        assert_eq!((shape, strides), (vec![24], vec![vec![1]]));
        let t = c.transpose(1, 2);
        let (shape, _) = Layout::coalesce_with(&[&t]);
        assert_eq!(shape, vec![2, 4, 3]);
    }
}
