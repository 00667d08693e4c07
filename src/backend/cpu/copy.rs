//! Copies between layouts and dtypes.

use super::elementwise::unary_map;
use crate::layout::Layout;

/// The elements of the strided `src` in row-major order, converted by `f`.
pub(crate) fn gather_map<S, T>(
    src: &[S],
    layout: &Layout,
    f: impl Fn(S) -> T + Sync + Send,
) -> Vec<T>
where
    S: Copy + Sync,
    T: Copy + Send + Default,
{
    unary_map(src, layout, f)
}
