//! Walking strided layouts: the row-major visit of N operands that share one shape, in runs
//! along the innermost dim, from any starting element (so threads can split the work).

/// Elements per task above which kernels split work across threads.
pub(crate) const PARALLEL_THRESHOLD: usize = 1 << 15;

/// N operands' strides for one shape, with adjacent dims merged where every operand allows.
pub(crate) struct Walk<const N: usize> {
    pub(crate) shape: Vec<usize>,
    /// strides[d][k]: stride of operand k along dim d.
    pub(crate) strides: Vec<[isize; N]>,
    /// Storage index of element 0 in each operand.
    pub(crate) base: [isize; N],
}

impl<const N: usize> Walk<N> {
    /// Builds the walk for layouts of one shape (the first layout's shape is used).
    pub(crate) fn new(layouts: [&crate::layout::Layout; N]) -> Walk<N> {
        let (shape, per_operand) = crate::layout::Layout::coalesce_with(&layouts);
        let strides = (0..shape.len())
            .map(|d| std::array::from_fn(|k| per_operand[k][d]))
            .collect();
        Walk {
            shape,
            strides,
            base: std::array::from_fn(|k| layouts[k].offset() as isize),
        }
    }

    /// The number of elements.
    pub(crate) fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// The stride of each operand along the innermost (run) dim.
    pub(crate) fn inner_strides(&self) -> [isize; N] {
        self.strides.last().copied().unwrap_or([1; N])
    }

    /// Calls `f(offsets, len)` for each run of the `count` elements from linear index `start`:
    /// `offsets[k]` is operand k's storage index of the run's first element; along the run,
    /// operand k advances by `inner_strides()[k]`.
    pub(crate) fn for_each_run(
        &self,
        start: usize,
        count: usize,
        mut f: impl FnMut([isize; N], usize),
    ) {
        if count == 0 {
            return;
        }
        let nd = self.shape.len();
        if nd == 0 {
            f(self.base, 1);
            return;
        }
        let mut index = vec![0usize; nd];
        let mut rem = start;
        for d in (0..nd).rev() {
            index[d] = rem % self.shape[d];
            rem /= self.shape[d];
        }
        let mut offsets = self.base;
        for (i, strides) in index.iter().zip(&self.strides) {
            for (o, s) in offsets.iter_mut().zip(strides) {
                *o += *i as isize * s;
            }
        }
        let inner = self.shape[nd - 1];
        let mut left = count;
        loop {
            let run = (inner - index[nd - 1]).min(left);
            f(offsets, run);
            left -= run;
            if left == 0 {
                return;
            }
            // Move to the start of the next run: reset the inner dim, carry into outer dims.
            for (k, o) in offsets.iter_mut().enumerate() {
                *o += (run as isize) * self.strides[nd - 1][k]
                    - (inner as isize) * self.strides[nd - 1][k];
            }
            index[nd - 1] = 0;
            let mut d = nd - 1;
            loop {
                if d == 0 {
                    return;
                }
                d -= 1;
                index[d] += 1;
                for (k, o) in offsets.iter_mut().enumerate() {
                    *o += self.strides[d][k];
                }
                if index[d] < self.shape[d] {
                    break;
                }
                for (k, o) in offsets.iter_mut().enumerate() {
                    *o -= self.shape[d] as isize * self.strides[d][k];
                }
                index[d] = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Layout;

    fn offsets_of(l: &Layout, start: usize, count: usize) -> Vec<isize> {
        let w = Walk::new([l]);
        let s = w.inner_strides()[0];
        let mut v = Vec::new();
        w.for_each_run(start, count, |o, n| {
            v.extend((0..n).map(|i| o[0] + i as isize * s))
        });
        v
    }

    #[test]
    fn walks_transposed_and_flipped_layouts_in_row_major_order() {
        let t = Layout::contiguous(&[2, 3]).transpose(0, 1);
        assert_eq!(offsets_of(&t, 0, 6), vec![0, 3, 1, 4, 2, 5]);
        assert_eq!(offsets_of(&t, 3, 3), vec![4, 2, 5]);
        let f = Layout::contiguous(&[2, 3]).flip(1);
        assert_eq!(offsets_of(&f, 0, 6), vec![2, 1, 0, 5, 4, 3]);
        let b = Layout::contiguous(&[3]).broadcast_to(&[2, 3]);
        assert_eq!(offsets_of(&b, 1, 5), vec![1, 2, 0, 1, 2]);
        let z = Layout::contiguous(&[]);
        assert_eq!(offsets_of(&z, 0, 1), vec![0]);
    }
}
