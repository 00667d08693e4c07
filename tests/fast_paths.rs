//! The CPU fast paths of issue 5 checked against plain definitions: max pooling whose windows
//! lie inside the input (values only without autograd, the 2x2 stride-2 row kernel), the
//! block-tree pairwise sum, the allocation-free binary op path and inline layouts.

use firebrand::autograd::{gradcheck, gradgradcheck};
use firebrand::nn::functional as F;
use firebrand::{DType, Tensor, tensor};

/// Max pooling by its definition (no padding): per plane, the first largest value of each
/// window in row-major order, a NaN winning; and its index in the plane.
fn max_pool_reference(
    x: &[f64],
    planes: usize,
    [h, w]: [usize; 2],
    k: [usize; 2],
    s: [usize; 2],
    d: [usize; 2],
) -> (Vec<f64>, Vec<i64>) {
    let out = |a: usize, n: usize| (n - d[a] * (k[a] - 1) - 1) / s[a] + 1;
    let (oh, ow) = (out(0, h), out(1, w));
    let (mut values, mut indices) = (vec![], vec![]);
    for p in 0..planes {
        for y in 0..oh {
            for z in 0..ow {
                let mut best: Option<(f64, usize)> = None;
                for ki in 0..k[0] {
                    for kj in 0..k[1] {
                        let at = (y * s[0] + ki * d[0]) * w + z * s[1] + kj * d[1];
                        let v = x[p * h * w + at];
                        let take = match best {
                            None => true,
                            Some((b, _)) if b.is_nan() => false,
                            Some((b, _)) => v.is_nan() || v > b,
                        };
                        if take {
                            best = Some((v, at));
                        }
                    }
                }
                let (v, at) = best.unwrap();
                values.push(v);
                indices.push(at as i64);
            }
        }
    }
    (values, indices)
}

fn same_values(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
}

/// Random values with ties (few distinct values) and some NaN.
fn tied_input(shape: &[usize], seed: u64) -> Tensor {
    firebrand::manual_seed(seed);
    let x = Tensor::randint(0, 4, shape, DType::F64);
    let nan_mask = Tensor::rand(shape, DType::F64).lt_scalar(0.03);
    x.masked_fill(&nan_mask, f64::NAN)
}

#[test]
fn max_pool2d_2x2_stride_2_by_hand() {
    // Ties keep the first in window order; a NaN wins; an odd width drops the last column.
    let x = tensor!([[
        [1.0, 3.0, 3.0, 0.0, 9.0],
        [2.0, 3.0, -1.0, 7.0, 9.0],
        [f64::NAN, 0.0, -5.0, -5.0, 9.0],
        [4.0, 8.0, -5.0, -6.0, 9.0]
    ]]);
    let (y, idx) = F::max_pool2d_with_indices(&x, 2, 0, 0, 1, false);
    let v = y.to_vec::<f64>();
    assert_eq!(y.shape(), &[1, 2, 2]);
    assert_eq!((v[0], v[1], v[3]), (3.0, 7.0, -5.0));
    assert!(v[2].is_nan());
    assert_eq!(idx.to_vec::<i64>(), vec![1, 8, 10, 12]);
    let values_only = F::max_pool2d(&x, 2, 0, 0, 1, false).to_vec::<f64>();
    assert!(same_values(&values_only, &v));
}

/// Input size, kernel, stride and dilation of one pooling case.
type Geometry = ([usize; 2], [usize; 2], [usize; 2], [usize; 2]);

#[test]
fn max_pool2d_inside_windows_match_the_definition() {
    // (input, kernel, stride, dilation): 2x2/2 with even and odd sizes, other strides and
    // kernels, dilation, ragged planes; every window inside (the fast path).
    let cases: [Geometry; 6] = [
        ([8, 8], [2, 2], [2, 2], [1, 1]),
        ([7, 9], [2, 2], [2, 2], [1, 1]),
        ([9, 10], [3, 3], [2, 2], [1, 1]),
        ([6, 11], [2, 3], [1, 2], [1, 1]),
        ([9, 9], [3, 2], [2, 1], [2, 3]),
        ([5, 33], [1, 4], [1, 4], [1, 1]),
    ];
    for (case, &(hw, k, s, d)) in cases.iter().enumerate() {
        let x = tied_input(&[3, 5, hw[0], hw[1]], case as u64);
        let want = max_pool_reference(&x.to_vec::<f64>(), 15, hw, k, s, d);
        for dtype in [DType::F32, DType::F64, DType::F16, DType::BF16] {
            let xd = x.to_dtype(dtype);
            let (v, i) = F::max_pool2d_with_indices(&xd, k, s, 0, d, false);
            let v = v.to_vec::<f64>();
            assert!(same_values(&v, &want.0), "case {case} {dtype:?} values");
            assert_eq!(i.to_vec::<i64>(), want.1, "case {case} {dtype:?} indices");
            let values_only = F::max_pool2d(&xd, k, s, 0, d, false).to_vec::<f64>();
            assert!(same_values(&values_only, &v), "case {case} {dtype:?}");
        }
    }
}

#[test]
fn max_pool2d_windows_past_the_edge_take_the_general_path() {
    // ceil_mode: the last window of a 5-wide row starts at 4 and reads one column only.
    let x = tensor!([[[[1.0, 2.0, 3.0, 4.0, 5.0], [6.0, 7.0, 8.0, 9.0, 10.0]]]]);
    let (y, idx) = F::max_pool2d_with_indices(&x, 2, 2, 0, 1, true);
    assert_eq!(y.to_vec::<f32>(), vec![7.0, 9.0, 10.0]);
    assert_eq!(idx.to_vec::<i64>(), vec![6, 8, 9]);
    let y = F::max_pool2d(&x, 2, 2, 0, 1, true);
    assert_eq!(y.to_vec::<f32>(), vec![7.0, 9.0, 10.0]);
}

#[test]
fn max_pool2d_non_contiguous_and_many_planes() {
    // Enough planes for several threaded tasks; a channels-last view is not contiguous.
    let x = tied_input(&[4, 37, 10, 12], 7);
    let nhwc = x.permute([0, 2, 3, 1]).contiguous().permute([0, 3, 1, 2]);
    assert!(!nhwc.is_contiguous());
    let want = max_pool_reference(&x.to_vec::<f64>(), 4 * 37, [10, 12], [2, 2], [2, 2], [1, 1]);
    let got = F::max_pool2d(&nhwc, 2, 0, 0, 1, false);
    assert_eq!(got.shape(), &[4, 37, 5, 6]);
    assert!(same_values(&got.to_vec::<f64>(), &want.0));
    let (_, idx) = F::max_pool2d_with_indices(&nhwc, 2, 0, 0, 1, false);
    assert_eq!(idx.to_vec::<i64>(), want.1);
}

#[test]
fn max_pool2d_fast_path_gradients() {
    firebrand::manual_seed(3);
    let x = Tensor::randn([2, 3, 6, 8], DType::F64).requires_grad_(true);
    gradcheck(|t| F::max_pool2d(&t[0], 2, 0, 0, 1, false), &[&x]).unwrap();
    gradgradcheck(
        |t| F::max_pool2d(&t[0], [3, 2], [1, 2], 0, [1, 2], false),
        &[&x],
    )
    .unwrap();
    // Under grad mode the values are recorded; under no_grad they are not, and agree.
    let y = F::max_pool2d(&x, 2, 0, 0, 1, false);
    assert!(y.requires_grad());
    let z = firebrand::no_grad(|| F::max_pool2d(&x, 2, 0, 0, 1, false));
    assert!(!z.requires_grad());
    assert_eq!(y.to_vec::<f64>(), z.to_vec::<f64>());
    // The gradient lands on the argmax of each window.
    let x = tensor!([[[[1.0, 5.0, 0.0, 0.0], [2.0, 3.0, 0.0, 4.0]]]]).requires_grad_(true);
    F::max_pool2d(&x, 2, 0, 0, 1, false).sum().backward();
    let g = x.grad().unwrap().to_vec::<f32>();
    assert_eq!(g, vec![0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
}

#[test]
fn sums_of_ragged_lengths_are_exact_for_integers() {
    // Small integers sum exactly in f64 accumulation: any block-tree order gives the same.
    for n in [
        0usize, 1, 15, 16, 17, 511, 512, 513, 1025, 4097, 65_537, 262_145, 300_007,
    ] {
        let data: Vec<f64> = (0..n).map(|i| ((i * 7919) % 13) as f64 - 6.0).collect();
        let want: f64 = data.iter().sum();
        let x = Tensor::from_vec(data, [n]);
        for dtype in [DType::F32, DType::F64, DType::F16, DType::BF16] {
            let got = x.to_dtype(dtype).sum().to_dtype(DType::F64).item::<f64>();
            let exact = dtype == DType::F32 || dtype == DType::F64 || want.abs() <= 256.0;
            assert!(!exact || got == want, "n = {n} {dtype:?}: {got} != {want}");
        }
    }
}

#[test]
fn long_sums_stay_accurate_in_f32() {
    // 2^24 + 3 ones: a float accumulator would stop at 2^24; the exact sum rounds to the
    // nearest f32, 2^24 + 4.
    let n = (1usize << 24) + 3;
    let x = Tensor::ones([n], DType::F32);
    assert_eq!(x.sum().item::<f32>(), n as f32);
    assert_eq!(n as f32, 16_777_220.0);
    // 0.1 a million times: a naive f32 loop is off by about 1e-2 relative.
    let x = Tensor::full([1 << 20], 0.1, DType::F32);
    let got = x.sum().item::<f64>();
    let want = (1u64 << 20) as f64 * 0.1f32 as f64;
    assert!((got - want).abs() <= want * 1e-7, "{got} != {want}");
}

#[test]
fn sum_dim_rows_and_strided_columns() {
    let (rows, cols) = (37usize, 1029usize);
    let data: Vec<f64> = (0..rows * cols).map(|i| (i % 11) as f64).collect();
    let x = Tensor::from_vec(data.clone(), [rows, cols]).to_dtype(DType::F32);
    let row_sums: Vec<f64> = (0..rows)
        .map(|r| data[r * cols..(r + 1) * cols].iter().sum())
        .collect();
    assert_eq!(x.sum_dim(1, false).to_vec::<f64>(), row_sums);
    // The transpose reduces over a strided dim (no slice fast path).
    let t = x.t();
    assert!(!t.is_contiguous());
    assert_eq!(t.sum_dim(0, false).to_vec::<f64>(), row_sums);
    let col_sums: Vec<f64> = (0..cols)
        .map(|c| (0..rows).map(|r| data[r * cols + c]).sum())
        .collect();
    assert_eq!(t.sum_dim(1, false).to_vec::<f64>(), col_sums);
}

#[test]
fn binary_ops_with_equal_shapes_and_dtypes_still_record_and_promote() {
    let a = tensor!([1.0, 2.0, 3.0]).requires_grad_(true);
    let b = tensor!([10.0, 20.0, 30.0]);
    let c = &a * &b;
    assert_eq!(c.to_vec::<f32>(), vec![10.0, 40.0, 90.0]);
    c.sum().backward();
    assert_eq!(a.grad().unwrap().to_vec::<f32>(), vec![10.0, 20.0, 30.0]);
    // Same shape, other dtype: promoted (F32 + F64 is F64); broadcast still works.
    let d = &b + &Tensor::from_vec(vec![0.5f64, 0.5, 0.5], [3]);
    assert_eq!(d.dtype(), DType::F64);
    assert_eq!(d.to_vec::<f64>(), vec![10.5, 20.5, 30.5]);
    let e = &tensor!([[1.0], [2.0]]) + &b;
    assert_eq!(e.shape(), &[2, 3]);
    assert_eq!(e.to_vec::<f32>(), vec![11.0, 21.0, 31.0, 12.0, 22.0, 32.0]);
    // A non-contiguous operand of the same shape.
    let m = tensor!([[1.0, 2.0], [3.0, 4.0]]);
    assert_eq!((&m + &m.t()).to_vec::<f32>(), vec![2.0, 5.0, 5.0, 8.0]);
}

#[test]
fn layouts_of_more_dims_than_held_inline() {
    // 8 dims: the shape and strides spill to the heap; views and reductions still work.
    let x = Tensor::arange(0.0, 256.0, 1.0, DType::F64).reshape([2; 8]);
    assert_eq!(x.shape(), &[2; 8]);
    assert_eq!(x.strides(), &[128, 64, 32, 16, 8, 4, 2, 1]);
    let t = x.transpose(0, 7);
    assert_eq!(t.strides()[0], 1);
    assert_eq!(t.contiguous().reshape([256]).to_vec::<f64>()[1], 128.0);
    let s = (&x + &t).sum_dim([1, 2, 3, 4, 5, 6], false);
    assert_eq!(s.shape(), &[2, 2]);
    assert_eq!(s.sum().item::<f64>(), 2.0 * (0..256).sum::<i32>() as f64);
}
