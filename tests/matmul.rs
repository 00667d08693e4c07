//! Linear algebra: matmul in every shape regime, mm, bmm, dot, outer; strided inputs, dtypes,
//! derivatives (gradcheck in F64) and errors. PyTorch's own results (tests/golden/matmul.json)
//! are checked by tests/golden.rs.

use firebrand::autograd::{gradcheck, gradgradcheck};
use firebrand::{DType, Tensor, tensor};
use half::{bf16, f16};

/// `[0, 1, 2, ...]` reshaped, as F64, shifted so values are small and of both signs.
fn ramp(shape: &[usize], shift: f64) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|i| i as f64 * 0.5 - shift).collect();
    Tensor::from_vec(v, shape.to_vec())
}

/// Reference product of row-major `[m, k]` and `[k, n]` data, written out by hand.
fn naive(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
    let mut out = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            out[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
        }
    }
    out
}

fn assert_close(got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "lengths differ");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * (1.0 + w.abs()),
            "at {i}: got {g}, want {w}"
        );
    }
}

fn values(t: &Tensor) -> Vec<f64> {
    t.to_dtype(DType::F64).to_vec::<f64>()
}

// ---------------------------------------------------------------- values worked by hand

#[test]
fn mm_of_two_by_three_and_three_by_two_by_hand() {
    // [[1,2,3],[4,5,6]] @ [[7,8],[9,10],[11,12]]:
    // 1*7+2*9+3*11 = 58, 1*8+2*10+3*12 = 64, 4*7+5*9+6*11 = 139, 4*8+5*10+6*12 = 154
    let a = tensor!([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    let b = tensor!([[7.0, 8.0], [9.0, 10.0], [11.0, 12.0]]);
    let c = a.matmul(&b);
    assert_eq!(c.shape(), &[2, 2]);
    assert_eq!(c.to_vec::<f32>(), vec![58.0, 64.0, 139.0, 154.0]);
    assert_eq!(a.mm(&b).to_vec::<f32>(), vec![58.0, 64.0, 139.0, 154.0]);
}

#[test]
fn one_d_times_one_d_is_a_zero_dim_dot() {
    // 1*4 + 2*(-5) + 3*6 = 12
    let c = tensor!([1.0, 2.0, 3.0]).matmul(&tensor!([4.0, -5.0, 6.0]));
    assert_eq!(c.shape(), &[] as &[usize]);
    assert_eq!(c.item::<f32>(), 12.0);
}

#[test]
fn one_d_times_two_d_treats_the_vector_as_a_row() {
    // [1, 2] @ [[1, 2, 3], [4, 5, 6]] = [9, 12, 15]
    let c = tensor!([1.0, 2.0]).matmul(&tensor!([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]));
    assert_eq!(c.shape(), &[3]);
    assert_eq!(c.to_vec::<f32>(), vec![9.0, 12.0, 15.0]);
}

#[test]
fn two_d_times_one_d_treats_the_vector_as_a_column() {
    // [[1, 2, 3], [4, 5, 6]] @ [1, 0, -1] = [-2, -2]
    let c = tensor!([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).matmul(&tensor!([1.0, 0.0, -1.0]));
    assert_eq!(c.shape(), &[2]);
    assert_eq!(c.to_vec::<f32>(), vec![-2.0, -2.0]);
}

#[test]
fn batched_matmul_multiplies_each_pair_by_hand() {
    // batch 0: I @ B0 = B0; batch 1: 2I @ B1 = 2 B1
    let a = tensor!([[[1.0, 0.0], [0.0, 1.0]], [[2.0, 0.0], [0.0, 2.0]]]);
    let b = tensor!([[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]);
    let c = a.bmm(&b);
    assert_eq!(c.shape(), &[2, 2, 2]);
    assert_eq!(
        c.to_vec::<f32>(),
        vec![1.0, 2.0, 3.0, 4.0, 10.0, 12.0, 14.0, 16.0]
    );
    assert_eq!(a.matmul(&b).to_vec::<f32>(), c.to_vec::<f32>());
}

#[test]
fn dot_and_outer_by_hand() {
    let d = tensor!([1.0, 2.0, 3.0]).dot(&tensor!([4.0, 5.0, 6.0]));
    assert_eq!(d.shape(), &[] as &[usize]);
    assert_eq!(d.item::<f32>(), 32.0);
    let o = tensor!([1.0, -2.0]).outer(&tensor!([3.0, 4.0, 5.0]));
    assert_eq!(o.shape(), &[2, 3]);
    assert_eq!(o.to_vec::<f32>(), vec![3.0, 4.0, 5.0, -6.0, -8.0, -10.0]);
}

#[test]
fn empty_inner_size_gives_zeros_and_empty_outer_sizes_give_empty_results() {
    let c = Tensor::ones([2, 0], DType::F32).matmul(&Tensor::ones([0, 3], DType::F32));
    assert_eq!(c.shape(), &[2, 3]);
    assert_eq!(c.to_vec::<f32>(), vec![0.0; 6]);
    let e = Tensor::ones([0, 4], DType::F64).matmul(&Tensor::ones([4, 3], DType::F64));
    assert_eq!(e.shape(), &[0, 3]);
    let d = Tensor::ones([0], DType::I64).dot(&Tensor::ones([0], DType::I64));
    assert_eq!(d.item::<i64>(), 0);
}

// ---------------------------------------------------------------- shape regimes

/// Checks `a @ b` (both at least 2-D with broadcast batches) against [`naive`] per matrix.
fn check_against_naive(a: &Tensor, b: &Tensor) {
    let c = a.matmul(b);
    let (na, nb) = (a.dim(), b.dim());
    let (m, k, n) = (a.shape()[na - 2], a.shape()[na - 1], b.shape()[nb - 1]);
    let batch = c.shape()[..c.dim() - 2].to_vec();
    let full = |t: &Tensor, r: usize, s: usize| {
        let shape: Vec<usize> = batch.iter().copied().chain([r, s]).collect();
        values(&t.expand(shape).contiguous())
    };
    let (av, bv) = (full(a, m, k), full(b, k, n));
    let count: usize = batch.iter().product();
    let want: Vec<f64> = (0..count)
        .flat_map(|i| {
            naive(
                &av[i * m * k..][..m * k],
                &bv[i * k * n..][..k * n],
                m,
                k,
                n,
            )
        })
        .collect();
    assert_close(&values(&c), &want, 1e-5);
}

#[test]
fn broadcast_batch_dims_follow_torch_matmul() {
    let a = ramp(&[2, 1, 3, 4], 2.0);
    let b = ramp(&[5, 4, 2], 9.0);
    assert_eq!(a.matmul(&b).shape(), &[2, 5, 3, 2]);
    check_against_naive(&a, &b);
    check_against_naive(&ramp(&[1, 3, 4], 1.0), &ramp(&[3, 4, 2], 4.0));
    check_against_naive(&ramp(&[3, 4], 1.0), &ramp(&[2, 4, 5], 4.0));
    check_against_naive(&ramp(&[2, 3, 4], 1.0), &ramp(&[4, 5], 4.0));
}

#[test]
fn one_d_operands_with_batches_add_and_drop_their_unit_dim() {
    let v = tensor!([1.0, 2.0]);
    let m = ramp(&[3, 2, 4], 0.0).to_dtype(DType::F32);
    let left = v.matmul(&m);
    assert_eq!(left.shape(), &[3, 4]);
    assert_eq!(
        left.to_vec::<f32>(),
        v.unsqueeze(0).matmul(&m).squeeze(1).to_vec::<f32>()
    );
    let mt = m.transpose(1, 2);
    let right = mt.matmul(&v);
    assert_eq!(right.shape(), &[3, 4]);
    assert_eq!(right.to_vec::<f32>(), left.to_vec::<f32>());
}

// ---------------------------------------------------------------- strided inputs

#[test]
fn transposed_operands_are_read_through_their_strides() {
    let a = ramp(&[4, 3], 2.0); // a.t() is [3, 4], column-major
    let b = ramp(&[5, 4], 3.0); // b.t() is [4, 5]
    let (at, bt) = (a.t(), b.t());
    assert!(!at.is_contiguous() && !bt.is_contiguous());
    let want = naive(
        &values(&at.contiguous()),
        &values(&bt.contiguous()),
        3,
        4,
        5,
    );
    assert_close(&values(&at.matmul(&bt)), &want, 1e-12);
    assert_close(&values(&at.mm(&bt)), &want, 1e-12);
}

#[test]
fn narrowed_and_flipped_operands_give_the_copied_result() {
    let a = ramp(&[5, 6], 4.0).narrow(1, 1, 4).narrow(0, 1, 3); // [3, 4] inside [5, 6]
    let b = ramp(&[4, 7], 1.0).flip([0]).narrow(1, 2, 3); // negative row stride
    let want = naive(&values(&a.contiguous()), &values(&b.contiguous()), 3, 4, 3);
    assert_close(&values(&a.matmul(&b)), &want, 1e-12);
}

#[test]
fn expanded_batch_dims_are_not_copied_into_wrong_results() {
    let a = ramp(&[1, 2, 3], 1.0).expand([4, 2, 3]); // batch stride 0
    let b = ramp(&[4, 3, 2], 5.0).transpose(1, 2).transpose(1, 2);
    check_against_naive(&a, &b);
    let c = a.bmm(&b);
    assert_eq!(c.shape(), &[4, 2, 2]);
    let c0 = values(&c.select(0, 0));
    let want0 = naive(
        &values(&a.select(0, 0).contiguous()),
        &values(&b.select(0, 0).contiguous()),
        2,
        3,
        2,
    );
    assert_close(&c0, &want0, 1e-12);
}

#[test]
fn transposed_batches_of_a_four_d_tensor_are_multiplied() {
    let a = ramp(&[3, 2, 4, 5], 7.0).permute([1, 0, 3, 2]); // [2, 3, 5, 4], scattered strides
    let b = ramp(&[4, 2], 1.0);
    check_against_naive(&a, &b);
    check_against_naive(&a, &ramp(&[3, 4, 2], 1.0));
}

#[test]
fn dot_reads_strided_vectors() {
    let a = ramp(&[3, 4], 1.0);
    let col = a.select(1, 2); // stride 4
    let row = a.select(0, 1).narrow(0, 1, 3);
    let want: f64 = values(&col)
        .iter()
        .zip(values(&row))
        .map(|(x, y)| x * y)
        .sum();
    assert_eq!(col.dot(&row).item::<f64>(), want);
    assert_eq!(col.matmul(&row).item::<f64>(), want);
}

// ---------------------------------------------------------------- sizes that take the threaded paths

#[test]
fn a_large_product_matches_the_naive_one() {
    // 150 * 120 * 130 multiply-adds: above the single-thread threshold.
    let (m, k, n) = (150, 120, 130);
    let a = Tensor::randn([m, k], DType::F64);
    let b = Tensor::randn([n, k], DType::F64).t();
    let want = naive(&values(&a), &values(&b.contiguous()), m, k, n);
    assert_close(&values(&a.matmul(&b)), &want, 1e-12);
    let a32 = a.to_dtype(DType::F32);
    assert_close(&values(&a32.matmul(&b.to_dtype(DType::F32))), &want, 1e-4);
}

#[test]
fn many_small_products_split_over_threads_match_the_naive_ones() {
    let a = Tensor::randn([600, 16, 16], DType::F64);
    let b = Tensor::randn([600, 16, 16], DType::F64).transpose(1, 2);
    check_against_naive(&a, &b);
}

#[test]
fn a_batch_folded_into_rows_matches_the_naive_one() {
    let a = Tensor::randn([3, 50, 40], DType::F64);
    check_against_naive(&a, &Tensor::randn([40, 30], DType::F64));
    check_against_naive(&a.narrow(2, 5, 30), &Tensor::randn([30, 30], DType::F64));
}

// ---------------------------------------------------------------- dtypes

fn small_ints(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<i64> = (0..n as i64).map(|i| (i * 7) % 5 - 2).collect();
    Tensor::from_vec(v, shape.to_vec())
}

#[test]
fn every_float_dtype_multiplies_exactly_on_small_integers() {
    let (a, b) = (small_ints(&[3, 5]), small_ints(&[5, 4]));
    let want = naive(&values(&a), &values(&b), 3, 5, 4);
    for dtype in [DType::F16, DType::BF16, DType::F32, DType::F64] {
        let c = a.to_dtype(dtype).matmul(&b.to_dtype(dtype));
        assert_eq!(c.dtype(), dtype);
        assert_eq!(values(&c), want, "{dtype}");
    }
}

#[test]
fn half_precision_results_are_rounded_once() {
    // 1 + 2^-11 is not an f16, nor 1 + 2^-8 a bf16; each product sums to it and rounds to even.
    let a = Tensor::from_vec(
        vec![f16::from_f32(1.0), f16::from_f32(1.0 / 2048.0)],
        [1, 2],
    );
    let b = Tensor::from_vec(vec![f16::from_f32(1.0), f16::from_f32(3.0)], [2, 1]);
    assert_eq!(
        a.matmul(&b).item::<f16>(),
        f16::from_f32(1.0 + 3.0 / 2048.0)
    );
    let a = Tensor::from_vec(
        vec![bf16::from_f32(1.0), bf16::from_f32(1.0 / 256.0)],
        [1, 2],
    );
    let b = Tensor::from_vec(vec![bf16::from_f32(1.0), bf16::from_f32(3.0)], [2, 1]);
    assert_eq!(
        a.matmul(&b).item::<bf16>(),
        bf16::from_f32(1.0 + 4.0 / 256.0)
    );
}

#[test]
fn every_integer_dtype_multiplies_and_wraps_as_pytorch() {
    let (a, b) = (small_ints(&[2, 3, 4]), small_ints(&[4, 2]));
    for dtype in [DType::I8, DType::I32, DType::I64] {
        let c = a.to_dtype(dtype).matmul(&b.to_dtype(dtype));
        assert_eq!(c.dtype(), dtype);
        assert_eq!(c.shape(), &[2, 3, 2]);
        let want: Vec<f64> = (0..2)
            .flat_map(|i| naive(&values(&a.select(0, i)), &values(&b), 3, 4, 2))
            .collect();
        assert_eq!(values(&c), want, "{dtype}");
    }
    // 100 * 2 + 100 * 1 = 300 wraps to 44 in i8 and u8 (300 - 256).
    let a = Tensor::from_vec(vec![100i8, 100], [1, 2]);
    let b = Tensor::from_vec(vec![2i8, 1], [2, 1]);
    assert_eq!(a.matmul(&b).to_vec::<i8>(), vec![44]);
    let a = Tensor::from_vec(vec![100u8, 100], [2]);
    assert_eq!(a.dot(&Tensor::from_vec(vec![2u8, 1], [2])).item::<u8>(), 44);
}

#[test]
fn outer_promotes_like_mul() {
    let o = tensor!([1, 2]).outer(&tensor!([0.5, 1.5]));
    assert_eq!(o.dtype(), DType::F32);
    assert_eq!(o.to_vec::<f32>(), vec![0.5, 1.5, 1.0, 3.0]);
}

// ---------------------------------------------------------------- derivatives

fn f64_input(shape: &[usize]) -> Tensor {
    Tensor::randn(shape.to_vec(), DType::F64).requires_grad_(true)
}

fn check_both(f: impl Fn(&[Tensor]) -> Tensor + Copy, a: &Tensor, b: &Tensor) {
    gradcheck(f, &[a, b]).unwrap();
    gradgradcheck(f, &[a, b]).unwrap();
}

#[test]
fn matmul_gradients_in_every_regime() {
    let mm = |xs: &[Tensor]| xs[0].matmul(&xs[1]);
    let cases: [(&[usize], &[usize]); 9] = [
        (&[4], &[4]),
        (&[3], &[3, 2]),
        (&[2, 3], &[3]),
        (&[2, 3], &[3, 4]),
        (&[2, 3, 4], &[2, 4, 2]),
        (&[2, 1, 3, 2], &[4, 2, 2]),
        (&[3, 2], &[2, 2, 3]),
        (&[2, 2, 3], &[3]),
        (&[3], &[2, 3, 2]),
    ];
    for (sa, sb) in cases {
        check_both(mm, &f64_input(sa), &f64_input(sb));
    }
}

#[test]
fn matmul_gradient_of_transposed_and_folded_inputs() {
    let a = f64_input(&[4, 3]);
    let b = f64_input(&[2, 4]);
    check_both(|xs| xs[0].t().matmul(&xs[1].t()), &a, &b);
    check_both(
        |xs| {
            xs[0]
                .t()
                .unsqueeze(0)
                .expand([2, 3, 4])
                .matmul(&xs[1].t().unsqueeze(0))
        },
        &a,
        &b,
    );
}

#[test]
fn the_gradient_of_a_transposed_weight_arrives_contiguous_and_by_hand() {
    // y = x @ w^T (as in linear): d sum(y * c) / dw = c^T @ x, reached through w.t()'s
    // transposed view; it is computed in w's own layout, so w.grad needs no transposing copy.
    let x = tensor!([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).to_dtype(DType::F64);
    let w = tensor!([[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]])
        .to_dtype(DType::F64)
        .requires_grad_(true);
    let c = tensor!([[1.0, -2.0], [0.5, 3.0]]).to_dtype(DType::F64);
    (x.matmul(&w.t()) * &c).sum().backward();
    let grad = w.grad().unwrap();
    assert!(grad.is_contiguous(), "strides {:?}", grad.strides());
    // c^T @ x: row 0 = 1 * [1, 2, 3] + 0.5 * [4, 5, 6]; row 1 = -2 * [1, 2, 3] + 3 * [4, 5, 6].
    assert_eq!(grad.to_vec::<f64>(), vec![3.0, 4.5, 6.0, 10.0, 11.0, 12.0]);
    // A batched, column-major first operand: grad a^T = (b @ g^T)^T per batch, summed.
    let a = tensor!([[1.0, 2.0], [3.0, 4.0]])
        .to_dtype(DType::F64)
        .requires_grad_(true);
    let b = tensor!([[1.0, 1.0], [0.0, 3.0]]).to_dtype(DType::F64);
    a.t()
        .unsqueeze(0)
        .expand([3, 2, 2])
        .matmul(&b)
        .sum()
        .backward();
    // d/d(a^T) = 3 * ones @ b^T = [[6, 9], [6, 9]] (b's row sums 2 and 3); a's is its transpose.
    assert_eq!(a.grad().unwrap().to_vec::<f64>(), vec![6.0, 6.0, 9.0, 9.0]);
}

#[test]
fn mm_bmm_dot_outer_gradients() {
    check_both(
        |xs| xs[0].mm(&xs[1]),
        &f64_input(&[2, 3]),
        &f64_input(&[3, 4]),
    );
    check_both(
        |xs| xs[0].bmm(&xs[1]),
        &f64_input(&[2, 2, 3]),
        &f64_input(&[2, 3, 2]),
    );
    check_both(|xs| xs[0].dot(&xs[1]), &f64_input(&[5]), &f64_input(&[5]));
    check_both(|xs| xs[0].outer(&xs[1]), &f64_input(&[3]), &f64_input(&[2]));
}

#[test]
fn matmul_gradient_by_hand_and_only_for_inputs_that_need_it() {
    // d/dA sum(A @ B) = ones @ B^T: each row of grad A holds the row sums of B.
    let a = tensor!([[1.0, 2.0], [3.0, 4.0]])
        .to_dtype(DType::F64)
        .requires_grad_(true);
    let b = tensor!([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).to_dtype(DType::F64);
    a.matmul(&b).sum().backward();
    assert_eq!(
        a.grad().unwrap().to_vec::<f64>(),
        vec![6.0, 15.0, 6.0, 15.0]
    );
    assert!(b.grad().is_none());
}

#[test]
fn grad_fn_names_follow_pytorch() {
    let a = f64_input(&[2, 3]);
    let b = f64_input(&[3, 2]);
    assert_eq!(a.mm(&b).grad_fn_name().as_deref(), Some("MmBackward0"));
    assert_eq!(a.matmul(&b).grad_fn_name().as_deref(), Some("MmBackward0"));
    let v = f64_input(&[3]);
    assert_eq!(v.dot(&v).grad_fn_name().as_deref(), Some("DotBackward0"));
    let c = f64_input(&[2, 2, 3]);
    assert_eq!(
        c.bmm(&f64_input(&[2, 3, 2])).grad_fn_name().as_deref(),
        Some("BmmBackward0")
    );
    assert_eq!(v.outer(&v).grad_fn_name().as_deref(), Some("MulBackward0"));
}

#[test]
fn integer_products_record_no_graph() {
    let c = small_ints(&[2, 2]).matmul(&small_ints(&[2, 2]));
    assert!(c.grad_fn_name().is_none());
}

// ---------------------------------------------------------------- errors

#[test]
#[should_panic(expected = "matmul: shapes [2, 3] and [4, 5] cannot be multiplied (3 != 4)")]
fn matmul_refuses_mismatched_inner_sizes() {
    Tensor::zeros([2, 3], DType::F32).matmul(&Tensor::zeros([4, 5], DType::F32));
}

#[test]
fn try_matmul_explains_each_refusal() {
    let z = |s: &[usize], d: DType| Tensor::zeros(s.to_vec(), d);
    let err = |r: firebrand::Result<Tensor>| r.unwrap_err().to_string();
    let e = err(z(&[2, 3], DType::F32).try_matmul(&z(&[4, 5], DType::F32)));
    assert_eq!(
        e,
        "matmul: shapes [2, 3] and [4, 5] cannot be multiplied (3 != 4)"
    );
    let e = err(z(&[3], DType::F32).try_matmul(&z(&[4], DType::F32)));
    assert_eq!(
        e,
        "matmul: shapes [3] and [4] cannot be multiplied (3 != 4)"
    );
    let e = err(z(&[2, 3], DType::F32).try_matmul(&z(&[2], DType::F32)));
    assert!(e.contains("(3 != 2)"), "{e}");
    let e = err(z(&[2, 2, 3], DType::F32).try_matmul(&z(&[3, 3, 1], DType::F32)));
    assert!(
        e.starts_with("matmul: shapes [2] and [3] cannot be broadcast"),
        "{e}"
    );
    let e = err(z(&[], DType::F32).try_matmul(&z(&[3], DType::F32)));
    assert!(e.contains("at least 1D, but they are 0D and 1D"), "{e}");
    let e = err(z(&[2, 2], DType::F32).try_matmul(&z(&[2, 2], DType::F64)));
    assert!(e.contains("same dtype") && e.contains("to_dtype"), "{e}");
    let e = err(z(&[2, 2], DType::Bool).try_matmul(&z(&[2, 2], DType::Bool)));
    assert!(e.contains("bool"), "{e}");
}

#[test]
#[should_panic(expected = "mm: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)")]
fn mm_refuses_mismatched_inner_sizes() {
    Tensor::zeros([2, 3], DType::F32).mm(&Tensor::zeros([4, 5], DType::F32));
}

#[test]
#[should_panic(expected = "mm: expected two 2-D matrices")]
fn mm_refuses_vectors() {
    Tensor::zeros([3], DType::F32).mm(&Tensor::zeros([3, 2], DType::F32));
}

#[test]
fn try_mm_and_try_bmm_refuse_wrong_shapes() {
    let z = |s: &[usize]| Tensor::zeros(s.to_vec(), DType::F64);
    assert!(z(&[2, 3, 4]).try_mm(&z(&[4, 2])).is_err());
    let e = z(&[2, 3, 4])
        .try_bmm(&z(&[3, 4, 5]))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("bmm: expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [3, 4]"), "{e}");
    let e = z(&[2, 3, 4]).try_bmm(&z(&[4, 5])).unwrap_err().to_string();
    assert!(e.contains("3-D"), "{e}");
    assert!(z(&[2, 3, 4]).try_bmm(&z(&[2, 5, 5])).is_err());
}

#[test]
#[should_panic(expected = "bmm: expected size for first two dimensions of batch2 tensor")]
fn bmm_refuses_unequal_batches() {
    Tensor::zeros([2, 3, 4], DType::F32).bmm(&Tensor::zeros([1, 4, 5], DType::F32));
}

#[test]
#[should_panic(expected = "dot: inconsistent tensor size")]
fn dot_refuses_unequal_lengths() {
    tensor!([1.0, 2.0]).dot(&tensor!([1.0, 2.0, 3.0]));
}

#[test]
fn try_dot_and_try_outer_refuse_matrices() {
    let m = Tensor::zeros([2, 2], DType::F32);
    let v = Tensor::zeros([2], DType::F32);
    let e = m.try_dot(&v).unwrap_err().to_string();
    assert!(
        e.contains("dot: 1D tensors expected, but got 2D and 1D"),
        "{e}"
    );
    let e = v.try_outer(&m).unwrap_err().to_string();
    assert!(e.contains("outer: expected 1-D tensors"), "{e}");
}

#[test]
#[should_panic(expected = "outer: expected 1-D tensors")]
fn outer_refuses_matrices() {
    Tensor::zeros([2, 2], DType::F32).outer(&Tensor::zeros([2], DType::F32));
}

#[test]
#[should_panic(expected = "dot: not supported for bool tensors")]
fn dot_refuses_bool() {
    tensor!([true]).dot(&tensor!([true]));
}
