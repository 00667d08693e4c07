//! Indexing: `.i(...)` views, index_select, gather, scatter, scatter_add, repeat.
//! Values worked by hand, non-contiguous inputs, every dtype, gradchecks and errors. PyTorch's
//! own results for these ops are checked by tests/golden.rs (index.json, shape.json).

use firebrand::autograd::{gradcheck, gradgradcheck};
use firebrand::{DType, Ellipsis, IndexItem, NewAxis, Slice, Tensor, tensor};

/// 0, 1, 2, ... in `shape` (I64).
fn iota(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n as i64).collect::<Vec<_>>(), shape)
}

/// Small values every dtype holds exactly (bool: odd -> true).
fn small(shape: &[usize], dtype: DType) -> Tensor {
    iota(shape).to_dtype(dtype)
}

fn f64s(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>()
}

fn i64s(t: &Tensor) -> Vec<i64> {
    t.to_vec::<i64>()
}

/// The expected values of `small` for these iota positions, in `dtype`.
fn expect_in(dtype: DType, positions: &[i64]) -> Vec<f64> {
    positions
        .iter()
        .map(|&p| {
            if dtype == DType::Bool {
                (p != 0) as i64 as f64
            } else {
                p as f64
            }
        })
        .collect()
}

fn randn_f64(shape: &[usize]) -> Tensor {
    Tensor::randn(shape, DType::F64).requires_grad_(true)
}

// ----- .i(...) -----------------------------------------------------------------------------

#[test]
fn i_integers_select_and_drop_the_dim() {
    let a = iota(&[2, 3, 4]);
    assert_eq!(a.i(1).shape(), &[3, 4]);
    assert_eq!(i64s(&a.i(1)), (12..24).collect::<Vec<_>>());
    assert_eq!(i64s(&a.i((1, 2))), vec![20, 21, 22, 23]);
    let corner = a.i((1, 2, 3));
    assert_eq!(corner.dim(), 0);
    assert_eq!(corner.item::<i64>(), 23);
    // negative integers count from the end; every integer type works
    assert_eq!(a.i((-1, -3, -4)).item::<i64>(), 12);
    assert_eq!(a.i((1usize, 0isize, 2i64)).item::<i64>(), 14);
    assert_eq!(a.i((0i32, -1i64)).shape(), &[4]);
    assert_eq!(i64s(&a.i((0i32, -1i64))), vec![8, 9, 10, 11]);
}

#[test]
#[allow(clippy::reversed_empty_ranges)] // empty ranges are the point: Python slices them to nothing
fn i_ranges_narrow_like_python_slices() {
    let a = iota(&[2, 3, 4]);
    // a[:, 1:3, 0] = [[4, 8], [16, 20]]
    let v = a.i((.., 1..3, 0));
    assert_eq!(v.shape(), &[2, 2]);
    assert_eq!(i64s(&v), vec![4, 8, 16, 20]);
    let row = iota(&[6]);
    assert_eq!(i64s(&row.i(..2)), vec![0, 1]);
    assert_eq!(i64s(&row.i(4..)), vec![4, 5]);
    assert_eq!(i64s(&row.i(..=2)), vec![0, 1, 2]);
    assert_eq!(i64s(&row.i(1..=3)), vec![1, 2, 3]);
    assert_eq!(i64s(&row.i(-2..)), vec![4, 5]);
    assert_eq!(i64s(&row.i(..-4)), vec![0, 1]);
    assert_eq!(i64s(&row.i(-3..-1)), vec![3, 4]);
    assert_eq!(i64s(&row.i(-3..=-1)), vec![3, 4, 5]);
    assert_eq!(i64s(&row.i(..=-2)), vec![0, 1, 2, 3, 4]);
    assert_eq!(i64s(&row.i(2usize..4usize)), vec![2, 3]);
    assert_eq!(i64s(&row.i(2isize..4isize)), vec![2, 3]);
    assert_eq!(i64s(&row.i(2i64..)), vec![2, 3, 4, 5]);
    // clamped at both ends, and empty when start >= end
    assert_eq!(i64s(&row.i(3..100)), vec![3, 4, 5]);
    assert_eq!(i64s(&row.i(-100..2)), vec![0, 1]);
    assert_eq!(row.i(5..2).shape(), &[0]);
    assert_eq!(row.i(10..).shape(), &[0]);
    assert_eq!(iota(&[2, 3]).i((1..-5, ..)).shape(), &[0, 3]);
    // a full range is the same view
    assert_eq!(i64s(&row.i(..)), (0..6).collect::<Vec<_>>());
}

#[test]
fn i_stepped_slices_use_strides() {
    let row = iota(&[7]);
    let s = row.i(Slice::from(1..).step(2));
    assert_eq!(i64s(&s), vec![1, 3, 5]);
    assert_eq!(s.strides(), &[2]);
    assert_eq!(i64s(&row.i(Slice::all().step(3))), vec![0, 3, 6]);
    assert_eq!(i64s(&row.i(Slice::new(0, -1, 2))), vec![0, 2, 4]);
    assert_eq!(i64s(&row.i(Slice::new(-3, 100, 2))), vec![4, 6]);
    assert_eq!(i64s(&row.i(Slice::from(..=4).step(4))), vec![0, 4]);
    assert_eq!(row.i(Slice::new(5, 1, 2)).shape(), &[0]);
    // a[::2, 1::2] of a 4x4 grid
    let a = iota(&[4, 4]);
    let v = a.i((Slice::all().step(2), Slice::from(1..).step(2)));
    assert_eq!(i64s(&v), vec![1, 3, 9, 11]);
    assert_eq!(v.strides(), &[8, 2]);
}

#[test]
fn i_newaxis_and_ellipsis_reshape_the_view() {
    let a = iota(&[2, 3]);
    assert_eq!(a.i(NewAxis).shape(), &[1, 2, 3]);
    assert_eq!(a.i((.., NewAxis)).shape(), &[2, 1, 3]);
    assert_eq!(a.i((Ellipsis, NewAxis)).shape(), &[2, 3, 1]);
    assert_eq!(a.i((NewAxis, Ellipsis, NewAxis)).shape(), &[1, 2, 3, 1]);
    // y[..., None, 1:] in PyTorch: [2, 1, 2]
    let v = a.i((Ellipsis, NewAxis, 1..));
    assert_eq!(v.shape(), &[2, 1, 2]);
    assert_eq!(i64s(&v), vec![1, 2, 4, 5]);
    assert_eq!(a.i((1, Ellipsis, 2)).item::<i64>(), 5);
    assert_eq!(a.i(Ellipsis).shape(), &[2, 3]);
    let b = iota(&[2, 3, 4, 5]);
    assert_eq!(b.i((Ellipsis, 0)).shape(), &[2, 3, 4]);
    assert_eq!(b.i((1, Ellipsis, 2..4)).shape(), &[3, 4, 2]);
    assert_eq!(i64s(&b.i((1, Ellipsis, 4))), i64s(&b.i((1, .., .., 4))));
    // an ellipsis on a 0-d tensor stands for nothing
    assert_eq!(Tensor::scalar(3i64).i(Ellipsis).item::<i64>(), 3);
    assert_eq!(Tensor::scalar(3i64).i(NewAxis).shape(), &[1]);
}

#[test]
fn i_takes_tuples_of_up_to_six_items_and_runtime_lists() {
    let a = iota(&[2, 3, 4, 5, 6]);
    let v = a.i((1, NewAxis, 1..3, .., -1, Slice::all().step(5)));
    assert_eq!(v.shape(), &[1, 2, 4, 2]);
    // element [0, j, k, m] = a[1, 1 + j, k, 4, 5 * m]
    let expect: Vec<i64> = (0..2)
        .flat_map(|j| (0..4).flat_map(move |k| (0..2).map(move |m| (j, k, m))))
        .map(|(j, k, m)| ((((3 + 1 + j) * 4 + k) * 5 + 4) * 6 + 5 * m) as i64)
        .collect();
    assert_eq!(i64s(&v), expect);
    assert_eq!(a.i((1,)).shape(), &[3, 4, 5, 6]);
    let items = vec![
        IndexItem::Select(-1),
        IndexItem::from(1..3),
        IndexItem::NewAxis,
    ];
    assert_eq!(a.i(items.clone()).shape(), &[2, 1, 4, 5, 6]);
    assert_eq!(a.i(items.as_slice()).shape(), &[2, 1, 4, 5, 6]);
}

#[test]
fn i_views_a_non_contiguous_input() {
    let a = iota(&[3, 4]).t(); // [[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]
    assert_eq!(i64s(&a.i(1)), vec![1, 5, 9]);
    assert_eq!(i64s(&a.i((.., -1))), vec![8, 9, 10, 11]);
    assert_eq!(i64s(&a.i((1..3, 1..))), vec![5, 9, 6, 10]);
    assert_eq!(i64s(&a.i((Slice::all().step(2), 0))), vec![0, 2]);
    let flipped = iota(&[5]).flip([0]);
    assert_eq!(i64s(&flipped.i(1..4)), vec![3, 2, 1]);
    assert_eq!(i64s(&flipped.i(Slice::all().step(2))), vec![4, 2, 0]);
}

#[test]
fn i_works_for_every_dtype_and_shares_storage() {
    for dtype in DType::ALL {
        let a = small(&[3, 4], dtype);
        let v = a.i((1.., Slice::from(1..).step(2)));
        assert_eq!(v.dtype(), dtype);
        assert_eq!(f64s(&v), expect_in(dtype, &[5, 7, 9, 11]), "{dtype}");
        assert_eq!(f64s(&a.i((-1, 2))), expect_in(dtype, &[10]), "{dtype}");
    }
}

#[test]
fn i_is_differentiable() {
    let x = randn_f64(&[3, 4]);
    gradcheck(|xs| xs[0].i((1.., Slice::all().step(2))), &[&x]).unwrap();
    gradcheck(|xs| xs[0].i((-1, NewAxis, Ellipsis)), &[&x]).unwrap();
    gradgradcheck(|xs| xs[0].i((..2, 1..3)) * xs[0].i((1.., ..2)), &[&x]).unwrap();
    // the gradient lands where the elements came from
    let y = Tensor::zeros([2, 3], DType::F64).requires_grad_(true);
    y.i((1, 1..)).sum().backward();
    assert_eq!(f64s(&y.grad().unwrap()), vec![0.0, 0.0, 0.0, 0.0, 1.0, 1.0]);
}

#[test]
fn in_place_writes_go_through_index_views() {
    let x = tensor!([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]);
    x.i((2, ..)).mul_(&Tensor::scalar(2.0f32));
    assert_eq!(
        x.to_vec::<f32>(),
        vec![1.0, 2.0, 3.0, 4.0, 10.0, 12.0, 7.0, 8.0]
    );
    let y = tensor!([[-1.0, -2.0], [-3.0, -4.0]]);
    x.narrow(0, 1, 2).copy_(&y);
    assert_eq!(
        x.to_vec::<f32>(),
        vec![1.0, 2.0, -1.0, -2.0, -3.0, -4.0, 7.0, 8.0]
    );
    x.i((Slice::all().step(3), 1)).fill_(0.0);
    assert_eq!(
        x.to_vec::<f32>(),
        vec![1.0, 0.0, -1.0, -2.0, -3.0, -4.0, 7.0, 0.0]
    );
    x.i((.., 0)).add_(&tensor!([10.0, 20.0, 30.0, 40.0]));
    assert_eq!(
        x.to_vec::<f32>(),
        vec![11.0, 0.0, 19.0, -2.0, 27.0, -4.0, 47.0, 0.0]
    );
}

#[test]
#[should_panic(expected = "index 3 is out of bounds for dimension 1 with size 3")]
fn i_panics_on_an_index_out_of_range() {
    iota(&[2, 3]).i((.., 3));
}

#[test]
#[should_panic(expected = "index -3 is out of bounds for dimension 0 with size 2")]
fn i_panics_on_a_negative_index_out_of_range() {
    iota(&[2, 3]).i(-3);
}

#[test]
#[should_panic(expected = "too many indices for tensor of dimension 2")]
fn i_panics_on_too_many_indices() {
    iota(&[2, 3]).i((0, .., 1));
}

#[test]
fn try_i_reports_errors() {
    let a = iota(&[2, 3]);
    let msg = |r: firebrand::Result<Tensor>| r.unwrap_err().to_string();
    assert!(msg(a.try_i((1, 5))).contains("index 5 is out of bounds for dimension 1 with size 3"));
    assert!(msg(a.try_i((.., .., 0))).contains("too many indices"));
    assert!(msg(a.try_i((Ellipsis, 0, Ellipsis))).contains("single ellipsis"));
    assert!(msg(a.try_i(Slice::all().step(0))).contains("step must be greater than zero"));
    assert!(msg(a.try_i(Slice::new(0, 2, -1))).contains("flip"));
    assert!(msg(Tensor::scalar(1.0f32).try_i(0)).contains("dimension 0"));
    assert!(a.try_i((NewAxis, 1, NewAxis, -1)).is_ok());
}

// ----- index_select ------------------------------------------------------------------------

#[test]
fn index_select_picks_rows_in_order_with_repeats() {
    let a = iota(&[3, 4]);
    let rows = a.index_select(0, &tensor!([2, 0, 2]));
    assert_eq!(rows.shape(), &[3, 4]);
    assert_eq!(i64s(&rows), vec![8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11]);
    let cols = a.index_select(-1, &tensor!([3, 1]));
    assert_eq!(i64s(&cols), vec![3, 1, 7, 5, 11, 9]);
    let b = iota(&[2, 3, 2]);
    assert_eq!(i64s(&b.index_select(1, &tensor!([1]))), vec![2, 3, 8, 9]);
    // an empty index gives an empty dim, a 0-d index a dim of size 1
    assert_eq!(
        a.index_select(0, &Tensor::zeros([0], DType::I64)).shape(),
        &[0, 4]
    );
    assert_eq!(
        i64s(&a.index_select(1, &Tensor::scalar(2i64))),
        vec![2, 6, 10]
    );
    assert_eq!(a.index_select(1, &Tensor::scalar(2i64)).shape(), &[3, 1]);
    // a 0-d input takes a 1-element index and stays 0-d
    assert_eq!(
        Tensor::scalar(5.0f32)
            .index_select(0, &tensor!([0]))
            .shape(),
        &[] as &[usize]
    );
}

#[test]
fn index_select_accepts_i32_and_non_contiguous_operands() {
    let a = iota(&[3, 4]);
    let idx32 = Tensor::from_vec(vec![1i32, 0], [2]);
    assert_eq!(
        i64s(&a.index_select(0, &idx32)),
        vec![4, 5, 6, 7, 0, 1, 2, 3]
    );
    // transposed input: rows of a.t() are columns of a
    let t = a.t();
    assert_eq!(
        i64s(&t.index_select(0, &tensor!([3, 0]))),
        vec![3, 7, 11, 0, 4, 8]
    );
    assert_eq!(i64s(&t.index_select(1, &tensor!([2]))), vec![8, 9, 10, 11]);
    // a strided (every other element) and a flipped index
    let idx = tensor!([2, 9, 0, 9, 1]).i(Slice::all().step(2));
    assert_eq!(
        i64s(&a.index_select(0, &idx)),
        i64s(&a.index_select(0, &tensor!([2, 0, 1])))
    );
    let flipped = tensor!([0, 2]).flip([0]);
    assert_eq!(i64s(&a.index_select(1, &flipped)), vec![2, 0, 6, 4, 10, 8]);
}

#[test]
fn index_select_works_for_every_dtype() {
    for dtype in DType::ALL {
        let a = small(&[3, 2], dtype);
        let out = a.index_select(0, &tensor!([2, 0]));
        assert_eq!(out.dtype(), dtype);
        assert_eq!(f64s(&out), expect_in(dtype, &[4, 5, 0, 1]), "{dtype}");
        let strided = a.t().index_select(1, &tensor!([1, 1]));
        assert_eq!(f64s(&strided), expect_in(dtype, &[2, 2, 3, 3]), "{dtype}");
    }
}

#[test]
fn index_select_gradient_adds_up_repeated_rows() {
    let x = Tensor::zeros([3, 2], DType::F64).requires_grad_(true);
    let y = x.index_select(0, &tensor!([2, 0, 2]));
    assert_eq!(y.grad_fn_name().as_deref(), Some("IndexSelectBackward0"));
    y.backward_with(&Tensor::from_vec(
        vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0],
        [3, 2],
    ));
    assert_eq!(f64s(&x.grad().unwrap()), vec![3.0, 4.0, 0.0, 0.0, 6.0, 8.0]);
    let x = randn_f64(&[4, 3]);
    let idx = tensor!([3, 1, 3]);
    gradcheck(|xs| xs[0].index_select(0, &idx), &[&x]).unwrap();
    gradcheck(|xs| xs[0].t().index_select(1, &idx.i(1..)), &[&x]).unwrap();
    gradgradcheck(|xs| xs[0].index_select(1, &tensor!([2, 0])).square(), &[&x]).unwrap();
}

#[test]
#[should_panic(expected = "index_select(): index 4 is out of bounds for dimension 1 with size 4")]
fn index_select_panics_on_an_index_out_of_range() {
    iota(&[3, 4]).index_select(1, &tensor!([0, 4]));
}

#[test]
fn try_index_select_reports_errors() {
    let a = iota(&[3, 4]);
    let msg = |r: firebrand::Result<Tensor>| r.unwrap_err().to_string();
    assert!(msg(a.try_index_select(0, &tensor!([-1]))).contains("index -1 is out of bounds"));
    assert!(msg(a.try_index_select(0, &tensor!([[0]]))).contains("supposed to be a vector"));
    assert!(msg(a.try_index_select(0, &tensor!([0.0]))).contains("int64"));
    assert!(msg(a.try_index_select(2, &tensor!([0]))).contains("out of range"));
    assert!(
        msg(Tensor::scalar(1i64).try_index_select(0, &tensor!([0, 0]))).contains("only 1 value")
    );
}

// ----- gather --------------------------------------------------------------------------------

#[test]
fn gather_follows_the_index_along_dim() {
    let a = tensor!([[1, 2], [3, 4]]);
    let idx = tensor!([[0, 0], [1, 0]]);
    assert_eq!(i64s(&a.gather(1, &idx)), vec![1, 1, 4, 3]);
    assert_eq!(i64s(&a.gather(0, &idx)), vec![1, 2, 3, 2]);
    // the index may be smaller off `dim` and longer along it
    let b = iota(&[3, 4]);
    let out = b.gather(1, &tensor!([[3, 3, 0, 1, 2], [1, 1, 1, 1, 1]]));
    assert_eq!(out.shape(), &[2, 5]);
    assert_eq!(i64s(&out), vec![3, 3, 0, 1, 2, 5, 5, 5, 5, 5]);
    let c = iota(&[2, 3, 2]);
    let out = c.gather(-1, &tensor!([[[1], [0], [1]]]));
    assert_eq!(out.shape(), &[1, 3, 1]);
    assert_eq!(i64s(&out), vec![1, 2, 5]);
    let empty = b.gather(0, &Tensor::zeros([0, 4], DType::I64));
    assert_eq!(empty.shape(), &[0, 4]);
    assert_eq!(
        Tensor::scalar(7i64)
            .gather(0, &Tensor::scalar(0i64))
            .item::<i64>(),
        7
    );
}

#[test]
fn gather_walks_non_contiguous_operands() {
    let a = iota(&[3, 4]).t(); // [[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]
    let idx = tensor!([[2, 0], [1, 1]]);
    assert_eq!(i64s(&a.gather(1, &idx)), vec![8, 0, 5, 5]);
    assert_eq!(i64s(&a.gather(0, &idx)), vec![2, 4, 1, 5]);
    let idx_t = tensor!([[2, 1], [0, 1]]).t(); // [[2, 0], [1, 1]] again, transposed
    assert_eq!(i64s(&a.gather(1, &idx_t)), vec![8, 0, 5, 5]);
    // a broadcast index (stride 0) and a flipped source
    let wide = tensor!([[1], [0]]).expand([2, 3]);
    assert_eq!(i64s(&a.gather(0, &wide)), vec![1, 5, 9, 0, 4, 8]);
    let f = iota(&[2, 3]).flip([1]); // [[2, 1, 0], [5, 4, 3]]
    assert_eq!(i64s(&f.gather(1, &tensor!([[0], [2]]))), vec![2, 3]);
    let idx32 = Tensor::from_vec(vec![1i32, 0], [1, 2]);
    assert_eq!(i64s(&iota(&[2, 2]).gather(0, &idx32)), vec![2, 1]);
}

#[test]
fn gather_works_for_every_dtype() {
    for dtype in DType::ALL {
        let a = small(&[2, 3], dtype);
        let out = a.gather(1, &tensor!([[2, 0], [1, 1]]));
        assert_eq!(out.dtype(), dtype);
        assert_eq!(f64s(&out), expect_in(dtype, &[2, 0, 4, 4]), "{dtype}");
    }
}

#[test]
fn gather_gradient_scatters_back_with_repeats() {
    let x = Tensor::zeros([2, 3], DType::F64).requires_grad_(true);
    let y = x.gather(1, &tensor!([[2, 2], [0, 1]]));
    assert_eq!(y.grad_fn_name().as_deref(), Some("GatherBackward0"));
    y.backward_with(&Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], [2, 2]));
    assert_eq!(f64s(&x.grad().unwrap()), vec![0.0, 0.0, 3.0, 3.0, 4.0, 0.0]);
    let x = randn_f64(&[3, 4]);
    let idx = tensor!([[3, 0, 0], [1, 2, 3]]);
    gradcheck(|xs| xs[0].gather(1, &idx), &[&x]).unwrap();
    gradcheck(|xs| xs[0].t().gather(0, &idx.t()), &[&x]).unwrap();
    gradgradcheck(
        |xs| xs[0].gather(0, &tensor!([[2, 0, 1, 2]])).square(),
        &[&x],
    )
    .unwrap();
}

#[test]
#[should_panic(expected = "gather(): index 3 is out of bounds for dimension 1 with size 3")]
fn gather_panics_on_an_index_out_of_range() {
    iota(&[2, 3]).gather(1, &tensor!([[3]]));
}

#[test]
fn try_gather_reports_errors() {
    let a = iota(&[2, 3]);
    let msg = |r: firebrand::Result<Tensor>| r.unwrap_err().to_string();
    assert!(msg(a.try_gather(0, &tensor!([1]))).contains("same number of dimensions"));
    assert!(
        msg(a.try_gather(0, &tensor!([[0, 0, 0, 0]])))
            .contains("size does not match at dimension 1")
    );
    assert!(msg(a.try_gather(1, &tensor!([[-1]]))).contains("index -1 is out of bounds"));
    assert!(msg(a.try_gather(1, &tensor!([[true]]))).contains("int64"));
    assert!(msg(a.try_gather(-3, &tensor!([[0]]))).contains("out of range"));
}

// ----- scatter and scatter_add --------------------------------------------------------------

#[test]
fn scatter_writes_src_where_the_index_points() {
    let x = Tensor::zeros([2, 3], DType::F32);
    let idx = tensor!([[2, 0], [1, 2]]);
    let src = tensor!([[1.0, 2.0], [3.0, 4.0]]);
    let out = x.scatter(1, &idx, &src);
    assert_eq!(out.to_vec::<f32>(), vec![2.0, 0.0, 1.0, 0.0, 3.0, 4.0]);
    assert_eq!(x.to_vec::<f32>(), vec![0.0; 6], "scatter is out of place");
    // dim 0: out[idx[i][j]][j] = src[i][j]; src may be larger than the index
    let y = iota(&[3, 2]);
    let out = y.scatter(
        0,
        &tensor!([[2, 0]]),
        &tensor!([[-1, -2, -9], [-9, -9, -9]]),
    );
    assert_eq!(i64s(&out), vec![0, -2, 2, 3, -1, 5]);
    // a 0-d tensor with 0-d index and src
    let s = Tensor::scalar(1.0f64).scatter(0, &Tensor::scalar(0i64), &Tensor::scalar(2.0f64));
    assert_eq!(s.item::<f64>(), 2.0);
}

#[test]
fn scatter_add_adds_up_repeats() {
    let x = Tensor::ones([3], DType::F32);
    let out = x.scatter_add(0, &tensor!([0, 2, 0]), &tensor!([1.0, 2.0, 3.0]));
    assert_eq!(out.to_vec::<f32>(), vec![5.0, 1.0, 3.0]);
    let y = iota(&[2, 3]);
    let idx = tensor!([[0, 0, 1], [2, 2, 2]]);
    let out = y.scatter_add(1, &idx, &tensor!([[10, 20, 30], [1, 1, 1]]));
    assert_eq!(i64s(&out), vec![30, 31, 2, 3, 4, 8]);
    // integer sums wrap, bool sums are a logical or (as in PyTorch)
    let b = Tensor::from_vec(vec![true, false], [2]);
    let out = b.scatter_add(
        0,
        &tensor!([0, 0]),
        &Tensor::from_vec(vec![true, true], [2]),
    );
    assert_eq!(out.to_vec::<bool>(), vec![true, false]);
    let i8s = Tensor::from_vec(vec![127i8], [1]);
    let out = i8s.scatter_add(0, &tensor!([0]), &Tensor::from_vec(vec![1i8], [1]));
    assert_eq!(out.to_vec::<i8>(), vec![-128]);
}

#[test]
fn scatter_walks_non_contiguous_operands() {
    let base = iota(&[3, 2]).t(); // [[0, 2, 4], [1, 3, 5]]
    let src = tensor!([[10, 30], [20, 40]]).t(); // [[10, 20], [30, 40]]
    let idx = tensor!([[1, 2], [0, 0]]);
    assert_eq!(
        i64s(&base.scatter(1, &idx, &src)),
        vec![0, 10, 20, 40, 3, 5]
    );
    assert_eq!(
        i64s(&base.scatter_add(1, &idx, &src)),
        vec![0, 12, 24, 71, 3, 5]
    );
    let wide = tensor!([[1], [0]]).expand([2, 3]);
    let out = Tensor::zeros([2, 3], DType::I64).scatter_add(0, &wide, &iota(&[2, 3]));
    assert_eq!(i64s(&out), vec![3, 4, 5, 0, 1, 2]);
    let idx32 = Tensor::from_vec(vec![2i32, 2], [2]);
    let out = Tensor::zeros([3], DType::F64).scatter_add(
        0,
        &idx32,
        &tensor!([1.5, 2.0]).to_dtype(DType::F64),
    );
    assert_eq!(f64s(&out), vec![0.0, 0.0, 3.5]);
}

#[test]
fn scatter_and_scatter_add_work_for_every_dtype() {
    for dtype in DType::ALL {
        let x = small(&[2, 3], dtype);
        let src = Tensor::ones([2, 2], dtype);
        let idx = tensor!([[2, 0], [1, 1]]);
        let out = x.scatter(1, &idx, &src);
        assert_eq!(out.dtype(), dtype);
        assert_eq!(f64s(&out), expect_in(dtype, &[1, 1, 1, 3, 1, 5]), "{dtype}");
        let sum = x.scatter_add(1, &idx, &src);
        let expect = if dtype == DType::Bool {
            expect_in(dtype, &[1, 1, 1, 1, 1, 1])
        } else {
            expect_in(dtype, &[1, 1, 3, 3, 6, 5])
        };
        assert_eq!(f64s(&sum), expect, "{dtype}");
    }
}

#[test]
fn scatter_gradients_follow_pytorch() {
    let x = Tensor::ones([2, 3], DType::F64).requires_grad_(true);
    let src = Tensor::ones([2, 2], DType::F64).requires_grad_(true);
    let idx = tensor!([[2, 0], [1, 1]]);
    let y = x.scatter(1, &idx, &src);
    assert_eq!(y.grad_fn_name().as_deref(), Some("ScatterBackward0"));
    let g = Tensor::from_vec((1..=6).map(|v| v as f64).collect(), [2, 3]);
    y.backward_with(&g);
    // self's gradient is zero where src overwrote it; src's is g where it landed
    assert_eq!(f64s(&x.grad().unwrap()), vec![0.0, 2.0, 0.0, 4.0, 0.0, 6.0]);
    assert_eq!(f64s(&src.grad().unwrap()), vec![3.0, 1.0, 5.0, 5.0]);
    let x = randn_f64(&[3, 4]);
    let src = randn_f64(&[2, 4]);
    let idx = tensor!([[2, 0, 1, 2], [0, 1, 2, 1]]); // no place written twice
    gradcheck(|xs| xs[0].scatter(0, &idx, &xs[1]), &[&x, &src]).unwrap();
    gradgradcheck(|xs| xs[0].scatter(0, &idx, &xs[1]).square(), &[&x, &src]).unwrap();
}

#[test]
fn scatter_add_gradients_follow_pytorch() {
    let x = randn_f64(&[3, 4]);
    let src = randn_f64(&[2, 5]);
    let idx = tensor!([[3, 3, 0], [1, 0, 3]]); // repeats add up; src larger than the index
    let y = x.scatter_add(1, &idx, &src);
    assert_eq!(y.grad_fn_name().as_deref(), Some("ScatterAddBackward0"));
    gradcheck(|xs| xs[0].scatter_add(1, &idx, &xs[1]), &[&x, &src]).unwrap();
    gradcheck(
        |xs| xs[0].t().scatter_add(0, &idx.t(), &xs[1].t()),
        &[&x, &src],
    )
    .unwrap();
    gradgradcheck(
        |xs| xs[0].scatter_add(1, &idx, &xs[1]).square(),
        &[&x, &src],
    )
    .unwrap();
    // by hand: the part of src the index does not reach gets a zero gradient
    let src = Tensor::zeros([1, 3], DType::F64).requires_grad_(true);
    let y = Tensor::zeros([1, 2], DType::F64).scatter_add(1, &tensor!([[1, 1]]), &src);
    y.backward_with(&Tensor::from_vec(vec![5.0f64, 7.0], [1, 2]));
    assert_eq!(f64s(&src.grad().unwrap()), vec![7.0, 7.0, 0.0]);
}

#[test]
#[should_panic(expected = "scatter_add(): index 3 is out of bounds for dimension 0 with size 3")]
fn scatter_add_panics_on_an_index_out_of_range() {
    Tensor::zeros([3], DType::F32).scatter_add(0, &tensor!([0, 3]), &tensor!([1.0, 2.0]));
}

#[test]
#[should_panic(expected = "scatter(): expected self.dtype to be equal to src.dtype")]
fn scatter_panics_on_a_dtype_mismatch() {
    Tensor::zeros([3], DType::F32).scatter(0, &tensor!([0]), &tensor!([1]));
}

#[test]
fn try_scatter_reports_errors() {
    let x = Tensor::zeros([2, 3], DType::F32);
    let msg = |r: firebrand::Result<Tensor>| r.unwrap_err().to_string();
    let src = Tensor::ones([2, 4], DType::F32);
    assert!(msg(x.try_scatter(0, &tensor!([[-1]]), &src)).contains("index -1 is out of bounds"));
    assert!(msg(x.try_scatter(0, &tensor!([[0, 0, 0, 0]]), &src)).contains("no larger than self"));
    assert!(msg(x.try_scatter(0, &tensor!([[0], [0], [0]]), &src)).contains("no larger than src"));
    assert!(msg(x.try_scatter(0, &tensor!([0]), &src)).contains("same number of dimensions"));
    assert!(msg(x.try_scatter_add(1, &tensor!([[0.5]]), &src)).contains("int64"));
    assert!(
        msg(x.try_scatter_add(1, &tensor!([[0]]), &src.to_dtype(DType::F64))).contains("dtype")
    );
}

// ----- repeat --------------------------------------------------------------------------------

#[test]
fn repeat_tiles_like_pytorch() {
    let a = tensor!([[1, 2], [3, 4]]);
    assert_eq!(i64s(&a.repeat([1, 2])), vec![1, 2, 1, 2, 3, 4, 3, 4]);
    assert_eq!(i64s(&a.repeat([2, 1])), vec![1, 2, 3, 4, 1, 2, 3, 4]);
    let lead = a.repeat([2, 1, 1]);
    assert_eq!(lead.shape(), &[2, 2, 2]);
    assert_eq!(i64s(&lead), vec![1, 2, 3, 4, 1, 2, 3, 4]);
    let row = tensor!([1, 2, 3]);
    assert_eq!(row.repeat([2, 2]).shape(), &[2, 6]);
    assert_eq!(
        i64s(&row.repeat([2, 2])),
        vec![1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]
    );
    assert_eq!(a.repeat([1, 2, 0]).shape(), &[1, 4, 0]);
    assert_eq!(Tensor::scalar(3i64).repeat([2]).to_vec::<i64>(), vec![3, 3]);
    // always a copy: writing to it leaves the input alone
    let same = a.repeat([1, 1]);
    same.fill_(0.0);
    assert_eq!(i64s(&a), vec![1, 2, 3, 4]);
    // non-contiguous input
    assert_eq!(i64s(&a.t().repeat([1, 2])), vec![1, 3, 1, 3, 2, 4, 2, 4]);
    assert_eq!(i64s(&row.flip([0]).repeat([2])), vec![3, 2, 1, 3, 2, 1]);
}

#[test]
fn repeat_works_for_every_dtype() {
    for dtype in DType::ALL {
        let out = small(&[2], dtype).repeat([2, 2]);
        assert_eq!(out.dtype(), dtype);
        assert_eq!(
            f64s(&out),
            expect_in(dtype, &[0, 1, 0, 1, 0, 1, 0, 1]),
            "{dtype}"
        );
    }
}

#[test]
fn repeat_gradient_sums_the_tiles() {
    let x = Tensor::zeros([2], DType::F64).requires_grad_(true);
    let y = x.repeat([2, 2]);
    assert_eq!(y.grad_fn_name().as_deref(), Some("RepeatBackward0"));
    y.backward_with(&Tensor::from_vec(
        (1..=8).map(|v| v as f64).collect(),
        [2, 4],
    ));
    // x[0] is at columns 0 and 2 of both rows: 1 + 3 + 5 + 7
    assert_eq!(f64s(&x.grad().unwrap()), vec![16.0, 20.0]);
    let x = randn_f64(&[2, 3]);
    gradcheck(|xs| xs[0].repeat([2, 1, 3]), &[&x]).unwrap();
    gradcheck(|xs| xs[0].t().repeat([2, 2]), &[&x]).unwrap();
    gradgradcheck(|xs| xs[0].repeat([1, 2]).square(), &[&x]).unwrap();
}

#[test]
#[should_panic(
    expected = "repeat: the number of repeats (1) cannot be smaller than the number of dims"
)]
fn repeat_panics_on_too_few_repeats() {
    tensor!([[1, 2]]).repeat([2]);
}

#[test]
fn try_repeat_reports_errors() {
    let a = tensor!([[1, 2]]);
    assert!(
        a.try_repeat([2])
            .unwrap_err()
            .to_string()
            .contains("cannot be smaller")
    );
    assert!(
        a.try_repeat([1, -2])
            .unwrap_err()
            .to_string()
            .contains("non-negative")
    );
    assert!(a.try_repeat([usize::MAX, 2]).is_err());
}
