//! Reductions: max/min (all and per dim), argmax/argmin, prod, var/std, logsumexp,
//! softmax/log_softmax, norm, cumsum. Values worked by hand, strided inputs, every dtype,
//! gradchecks and errors. PyTorch's own results (tests/golden/reduce.json) are checked by
//! tests/golden.rs.

use firebrand::autograd::{gradcheck, gradgradcheck};
use firebrand::{DType, Tensor, tensor};

fn f64s(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>()
}

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            (x.is_nan() && y.is_nan()) || x == y || (x - y).abs() <= tol * (1.0 + y.abs())
        })
}

#[track_caller]
fn assert_close(t: &Tensor, want: &[f64], tol: f64) {
    let got = f64s(t);
    assert!(close(&got, want, tol), "got {got:?}, want {want:?}");
}

fn leaf(data: Vec<f64>, shape: &[usize]) -> Tensor {
    Tensor::from_vec(data, shape).requires_grad_(true)
}

const FLOATS: [DType; 4] = [DType::F16, DType::BF16, DType::F32, DType::F64];

// ----- max / min over everything ----------------------------------------------------------------

#[test]
fn max_min_all_by_hand_in_every_dtype() {
    for dt in DType::ALL {
        let a = tensor!([[1, 0, 1], [1, 1, 0]]).to_dtype(dt);
        let (mx, mn) = (a.max(), a.min());
        assert_eq!((mx.dtype(), mx.shape()), (dt, &[][..]), "{dt}");
        assert_eq!((mx.item::<f64>(), mn.item::<f64>()), (1.0, 0.0), "{dt}");
    }
    for dt in [
        DType::F16,
        DType::BF16,
        DType::F32,
        DType::F64,
        DType::I8,
        DType::I32,
        DType::I64,
    ] {
        let a = tensor!([[3, -7, 2], [5, 0, -1]]).to_dtype(dt);
        assert_eq!(
            (a.max().item::<f64>(), a.min().item::<f64>()),
            (5.0, -7.0),
            "{dt}"
        );
    }
    assert_eq!(tensor!([[9u8, 200], [3, 4]]).max().item::<u8>(), 200);
}

#[test]
fn max_min_all_read_strided_views() {
    let a = Tensor::arange(0.0, 12.0, 1.0, DType::F32).reshape([3, 4]);
    let v = a.t().narrow(0, 1, 2); // rows 1..3 of the transpose: columns 1 and 2
    assert_eq!(v.max().item::<f32>(), 10.0);
    assert_eq!(v.min().item::<f32>(), 1.0);
    assert_eq!(a.flip(1).max().item::<f32>(), 11.0);
}

#[test]
fn max_propagates_nan() {
    assert!(tensor!([1.0, f32::NAN, 3.0]).max().item::<f32>().is_nan());
    assert!(tensor!([1.0, f32::NAN, 3.0]).min().item::<f32>().is_nan());
}

#[test]
fn max_gradient_is_split_evenly_among_ties() {
    let x = leaf(vec![1.0, 4.0, 4.0, 2.0, 4.0, 0.0], &[2, 3]);
    x.max().backward();
    assert_close(
        &x.grad().unwrap(),
        &[0.0, 1.0 / 3.0, 1.0 / 3.0, 0.0, 1.0 / 3.0, 0.0],
        1e-15,
    );
    let y = leaf(vec![1.0, -4.0, -4.0], &[3]);
    (y.min() * 2.0).backward();
    assert_close(&y.grad().unwrap(), &[0.0, 1.0, 1.0], 1e-15);
    assert_eq!(y.min().grad_fn_name().as_deref(), Some("MinBackward1"));
}

#[test]
fn max_min_all_gradcheck() {
    let x = leaf(vec![0.3, -1.2, 2.5, 0.7, 1.1, -0.4], &[2, 3]);
    gradcheck(|xs| xs[0].max(), &[&x]).unwrap();
    gradcheck(|xs| xs[0].t().min(), &[&x]).unwrap();
    gradgradcheck(|xs| xs[0].max() * xs[0].sum(), &[&x]).unwrap();
}

#[test]
#[should_panic(expected = "max(): Expected reduction dim to be specified for input.numel() == 0")]
fn max_of_empty_panics() {
    Tensor::zeros([2, 0], DType::F32).max();
}

#[test]
fn min_of_empty_is_an_error() {
    let err = Tensor::zeros([0], DType::I64)
        .try_min()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("min()") && err.contains("numel() == 0"),
        "{err}"
    );
}

// ----- max_dim / min_dim / argmax / argmin ------------------------------------------------------

#[test]
fn max_dim_values_and_first_index_among_ties() {
    let a = tensor!([[1.0, 5.0, 5.0], [4.0, 2.0, 4.0]]);
    let (v, i) = a.max_dim(1, false);
    assert_eq!(v.to_vec::<f32>(), vec![5.0, 4.0]);
    assert_eq!((i.dtype(), i.to_vec::<i64>()), (DType::I64, vec![1, 0]));
    let (v, i) = a.min_dim(0, true);
    assert_eq!(v.shape(), &[1, 3]);
    assert_eq!(v.to_vec::<f32>(), vec![1.0, 2.0, 4.0]);
    assert_eq!(i.to_vec::<i64>(), vec![0, 1, 1]);
    let (v, i) = a.max_dim(-2, false);
    assert_eq!(v.to_vec::<f32>(), vec![4.0, 5.0, 5.0]);
    assert_eq!(i.to_vec::<i64>(), vec![1, 0, 0]);
}

#[test]
fn max_dim_of_a_transposed_3d_view() {
    // x[i, j, k] = 100i + 10j + k, viewed as [k, j, i]: the max over j is at j = 2.
    let x = Tensor::from_vec(
        (0..24)
            .map(|n| (100 * (n / 12) + 10 * (n / 4 % 3) + n % 4) as i64)
            .collect(),
        [2, 3, 4],
    );
    let v = x.permute([2, 1, 0]);
    let (vals, idx) = v.max_dim(1, false);
    assert_eq!(vals.shape(), &[4, 2]);
    assert_eq!(
        vals.to_vec::<i64>(),
        vec![20, 120, 21, 121, 22, 122, 23, 123]
    );
    assert_eq!(idx.to_vec::<i64>(), vec![2; 8]);
    assert_eq!(
        v.argmin(-1, false).to_vec::<i64>(),
        vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    );
    assert_eq!(v.argmax(0, true).shape(), &[1, 3, 2]);
    assert_eq!(v.argmax(0, true).to_vec::<i64>(), vec![3; 6]);
}

#[test]
fn arg_reductions_in_every_dtype() {
    for dt in DType::ALL {
        let a = tensor!([[0, 1, 1], [1, 0, 0]]).to_dtype(dt);
        assert_eq!(a.argmax(1, false).to_vec::<i64>(), vec![1, 0], "{dt}");
        assert_eq!(a.argmin(1, false).to_vec::<i64>(), vec![0, 1], "{dt}");
        let (v, i) = a.max_dim(0, false);
        assert_eq!(v.dtype(), dt);
        assert_eq!(v.to_vec::<f64>(), vec![1.0, 1.0, 1.0], "{dt}");
        assert_eq!(i.to_vec::<i64>(), vec![1, 0, 0], "{dt}");
        let (v, i) = a.min_dim(0, false);
        assert_eq!(v.to_vec::<f64>(), vec![0.0, 0.0, 0.0], "{dt}");
        assert_eq!(i.to_vec::<i64>(), vec![0, 1, 1], "{dt}");
    }
}

#[test]
fn arg_reductions_of_a_0d_tensor() {
    let s = Tensor::scalar(2.5f64);
    let (v, i) = s.max_dim(0, false);
    assert_eq!(
        (v.shape(), v.item::<f64>(), i.item::<i64>()),
        (&[][..], 2.5, 0)
    );
    assert_eq!(s.argmin(-1, true).item::<i64>(), 0);
}

#[test]
fn max_dim_gradient_goes_to_the_first_max_only() {
    let x = leaf(vec![1.0, 5.0, 5.0, 4.0, 2.0, 4.0], &[2, 3]);
    let (v, _) = x.max_dim(1, false);
    assert_eq!(v.grad_fn_name().as_deref(), Some("MaxBackward0"));
    (v * tensor!([2.0f64, 3.0])).sum().backward();
    assert_eq!(f64s(&x.grad().unwrap()), vec![0.0, 2.0, 0.0, 3.0, 0.0, 0.0]);
    let y = leaf(vec![1.0, 5.0, 5.0, 4.0, 2.0, 4.0], &[2, 3]);
    y.min_dim(0, true).0.sum().backward();
    assert_eq!(f64s(&y.grad().unwrap()), vec![1.0, 0.0, 0.0, 0.0, 1.0, 1.0]);
}

#[test]
fn max_dim_min_dim_gradcheck() {
    let x = leaf(
        vec![
            0.3, -1.2, 2.5, 0.7, 1.1, -0.4, 0.9, 1.8, -2.0, 0.1, 0.5, -0.6,
        ],
        &[2, 3, 2],
    );
    gradcheck(|xs| xs[0].max_dim(1, false).0, &[&x]).unwrap();
    gradcheck(|xs| xs[0].min_dim(-1, true).0, &[&x]).unwrap();
    gradcheck(|xs| xs[0].transpose(0, 2).max_dim(0, false).0, &[&x]).unwrap();
    gradgradcheck(
        |xs| xs[0].max_dim(1, false).0 * xs[0].sum_dim(1, false),
        &[&x],
    )
    .unwrap();
}

#[test]
#[should_panic(expected = "max(): Expected reduction dim 1 to have non-zero size")]
fn max_dim_over_an_empty_dim_panics() {
    Tensor::zeros([2, 0], DType::F32).max_dim(1, false);
}

#[test]
fn arg_reductions_refuse_empty_lanes_and_bad_dims() {
    let e = Tensor::zeros([3, 0], DType::F32);
    let msg = e.try_argmax(-1, false).unwrap_err().to_string();
    assert!(
        msg.contains("argmax(): Expected reduction dim 1 to have non-zero size"),
        "{msg}"
    );
    assert!(e.try_argmin(1, true).is_err());
    assert!(e.try_min_dim(1, true).is_err());
    // Reducing the non-empty dim of an empty tensor is fine: the result is empty.
    assert_eq!(e.try_argmax(0, false).unwrap().shape(), &[0]);
    let msg = tensor!([1.0, 2.0])
        .try_max_dim(2, false)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("out of range"), "{msg}");
}

#[test]
#[should_panic(expected = "dimension -3 is out of range")]
fn argmax_with_a_bad_dim_panics() {
    tensor!([[1.0]]).argmax(-3, false);
}

// ----- prod -------------------------------------------------------------------------------------

#[test]
fn prod_by_hand_and_integer_dtypes_widen_to_i64() {
    assert_eq!(tensor!([[1.0, 2.0], [3.0, 4.0]]).prod().item::<f32>(), 24.0);
    for dt in [DType::I8, DType::I32, DType::I64, DType::U8] {
        let p = tensor!([[2, 3], [4, 5]]).to_dtype(dt).prod();
        assert_eq!((p.dtype(), p.item::<i64>()), (DType::I64, 120), "{dt}");
        let p = tensor!([[2, 3], [4, 5]]).to_dtype(dt).prod_dim(0, false);
        assert_eq!(
            (p.dtype(), p.to_vec::<i64>()),
            (DType::I64, vec![8, 15]),
            "{dt}"
        );
    }
    // 100^4 overflows i8 and i32 in the input dtype but not in I64.
    assert_eq!(
        tensor!([100, 100, 100, 100])
            .to_dtype(DType::I8)
            .prod()
            .item::<i64>(),
        100_000_000
    );
    let b = tensor!([true, true, false]).prod();
    assert_eq!((b.dtype(), b.item::<i64>()), (DType::I64, 0));
    for dt in FLOATS {
        let p = tensor!([0.5, -2.0, 3.0]).to_dtype(dt).prod();
        assert_eq!((p.dtype(), p.item::<f64>()), (dt, -3.0), "{dt}");
    }
    assert_eq!(Tensor::zeros([0], DType::F32).prod().item::<f32>(), 1.0);
}

#[test]
fn prod_dim_strided_keepdim_and_multiple_dims() {
    let a = Tensor::arange(1.0, 7.0, 1.0, DType::F64).reshape([2, 3]); // [[1,2,3],[4,5,6]]
    assert_eq!(
        a.t().prod_dim(1, false).to_vec::<f64>(),
        vec![4.0, 10.0, 18.0]
    );
    assert_eq!(a.prod_dim(-1, true).shape(), &[2, 1]);
    assert_eq!(a.prod_dim(-1, true).to_vec::<f64>(), vec![6.0, 120.0]);
    assert_eq!(
        a.reshape([1, 2, 3]).prod_dim([0, 2], false).to_vec::<f64>(),
        vec![6.0, 120.0]
    );
}

#[test]
fn prod_gradient_is_exact_with_zeros() {
    let x = leaf(vec![2.0, 0.0, 3.0, 4.0], &[4]);
    x.prod().backward();
    assert_eq!(f64s(&x.grad().unwrap()), vec![0.0, 24.0, 0.0, 0.0]);
    let y = leaf(vec![2.0, 0.0, 3.0, 0.0], &[4]);
    y.prod().backward();
    assert_eq!(f64s(&y.grad().unwrap()), vec![0.0; 4]);
    let z = leaf(vec![1.0, 2.0, 3.0, 0.0, 5.0, 6.0], &[2, 3]);
    z.prod_dim(1, false).sum().backward();
    assert_eq!(
        f64s(&z.grad().unwrap()),
        vec![6.0, 3.0, 2.0, 30.0, 0.0, 0.0]
    );
}

#[test]
fn prod_gradcheck() {
    let x = leaf(vec![0.3, -1.2, 2.5, 0.7, 1.1, -0.4], &[2, 3]);
    gradcheck(|xs| xs[0].prod(), &[&x]).unwrap();
    gradcheck(|xs| xs[0].t().prod_dim(0, true), &[&x]).unwrap();
    gradgradcheck(|xs| xs[0].prod_dim(1, false), &[&x]).unwrap();
    let z = leaf(vec![0.3, 0.0, 2.5, 0.7, 1.1, -0.4], &[2, 3]);
    gradcheck(|xs| xs[0].prod_dim(1, false), &[&z]).unwrap();
    gradcheck(|xs| xs[0].prod(), &[&z]).unwrap();
}

#[test]
#[should_panic(expected = "prod_dim: dimension 2 is out of range")]
fn prod_dim_bad_dim_panics() {
    tensor!([[1.0]]).prod_dim(2, false);
}

// ----- var / std --------------------------------------------------------------------------------

#[test]
fn var_std_by_hand() {
    // Rows [1, 2, 3, 6]: mean 3, squared deviations 4 + 1 + 0 + 9 = 14.
    let a = tensor!([[1.0, 2.0, 3.0, 6.0], [2.0, 2.0, 2.0, 2.0]]).to_dtype(DType::F64);
    assert_close(&a.var_dim(1, true, false), &[14.0 / 3.0, 0.0], 1e-15);
    assert_close(&a.var_dim(-1, false, true), &[3.5, 0.0], 1e-15);
    assert_eq!(a.var_dim(-1, false, true).shape(), &[2, 1]);
    assert_close(&a.std_dim(1, false, false), &[3.5f64.sqrt(), 0.0], 1e-15);
    assert_close(&a.var(false), &[14.0 / 8.0 + 0.25], 1e-15); // mean 2.5: (14 + 4*1)/8 ... by parts
    // All eight: mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 12.25 + 4 * 0.25 = 16.
    assert_close(&a.std(true), &[(16.0f64 / 7.0).sqrt()], 1e-15);
    assert_close(&a.var_dim([0, 1], true, false), &[16.0 / 7.0], 1e-15);
}

#[test]
fn var_std_of_strided_input_and_every_float_dtype() {
    let a = tensor!([[1.0, 2.0], [3.0, 2.0], [5.0, 2.0]]); // columns [1, 3, 5] and [2, 2, 2]
    for dt in FLOATS {
        let t = a.to_dtype(dt).t();
        let v = t.var_dim(1, true, false);
        assert_eq!(v.dtype(), dt);
        assert_close(&v, &[4.0, 0.0], 1e-6);
        assert_close(&t.std_dim(-1, true, false), &[2.0, 0.0], 1e-6);
    }
}

#[test]
fn var_of_one_element_is_nan_when_unbiased() {
    assert!(tensor!([3.0]).var(true).item::<f32>().is_nan());
    assert_eq!(tensor!([3.0]).var(false).item::<f32>(), 0.0);
}

#[test]
fn var_std_gradcheck() {
    let x = leaf(vec![0.3, -1.2, 2.5, 0.7, 1.1, -0.4], &[2, 3]);
    gradcheck(|xs| xs[0].var_dim(1, true, false), &[&x]).unwrap();
    gradcheck(|xs| xs[0].t().var_dim(-1, false, true), &[&x]).unwrap();
    gradcheck(|xs| xs[0].std_dim([0, 1], true, false), &[&x]).unwrap();
    gradcheck(|xs| xs[0].std(false), &[&x]).unwrap();
    gradgradcheck(|xs| xs[0].var(true), &[&x]).unwrap();
}

#[test]
#[should_panic(expected = "var: expected a floating point tensor, got i64")]
fn var_of_integers_panics() {
    tensor!([1, 2, 3]).var(true);
}

#[test]
fn std_of_integers_and_bad_dims_are_errors() {
    let msg = tensor!([1, 2])
        .try_std_dim(0, true, false)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("std") && msg.contains("to_dtype"), "{msg}");
    assert!(
        tensor!([1.0, 2.0])
            .try_var_dim([0, 0], true, false)
            .is_err()
    );
}

// ----- logsumexp --------------------------------------------------------------------------------

#[test]
fn logsumexp_by_hand_and_stable_for_large_inputs() {
    let a = Tensor::from_vec(
        vec![0.0f64, 0.0, 1.0, 2.0f64.ln(), 3.0f64.ln(), 1e4],
        [2, 3],
    );
    let want0 = (2.0 + 1f64.exp()).ln();
    let y = a.logsumexp(1, false);
    assert_close(&y, &[want0, 1e4], 1e-15);
    assert_close(
        &a.logsumexp(0, true),
        &[3f64.ln(), (1.0 + 3.0f64).ln(), 1e4], // ln(e^0 + e^ln2), ln(1 + 3), 1e4
        1e-15,
    );
    let big = tensor!([1e4, 1e4, -1e4]);
    assert_close(&big.logsumexp(0, false), &[1e4 + 2f64.ln()], 1e-7);
    let neg = tensor!([f32::NEG_INFINITY, f32::NEG_INFINITY]);
    assert_eq!(neg.logsumexp(0, false).item::<f32>(), f32::NEG_INFINITY);
    assert_eq!(
        Tensor::zeros([0], DType::F32)
            .logsumexp(0, false)
            .item::<f32>(),
        f32::NEG_INFINITY
    );
}

#[test]
fn logsumexp_of_strided_input_multiple_dims_and_float_dtypes() {
    for dt in FLOATS {
        let a = Tensor::zeros([2, 3, 4], dt);
        let y = a.transpose(0, 2).logsumexp([0, -1], false); // 8 zeros per lane: log(8)
        assert_eq!((y.dtype(), y.shape()), (dt, &[3][..]));
        assert_close(&y, &[8f64.ln(); 3], 4e-3);
    }
}

#[test]
fn logsumexp_gradcheck() {
    let x = leaf(vec![0.3, -1.2, 2.5, 0.7, 1.1, -0.4], &[2, 3]);
    gradcheck(|xs| xs[0].logsumexp(1, false), &[&x]).unwrap();
    gradcheck(|xs| xs[0].t().logsumexp([0, 1], true), &[&x]).unwrap();
    gradgradcheck(|xs| xs[0].logsumexp(-1, false), &[&x]).unwrap();
}

#[test]
#[should_panic(expected = "logsumexp: expected a floating point tensor")]
fn logsumexp_of_integers_panics() {
    tensor!([1, 2]).logsumexp(0, false);
}

// ----- softmax / log_softmax --------------------------------------------------------------------

#[test]
fn softmax_by_hand() {
    let x = Tensor::from_vec(vec![0.0f64, 2f64.ln(), 0.0, 0.0], [2, 2]);
    assert_close(&x.softmax(-1), &[1.0 / 3.0, 2.0 / 3.0, 0.5, 0.5], 1e-15);
    assert_close(&x.softmax(0), &[0.5, 2.0 / 3.0, 0.5, 1.0 / 3.0], 1e-15);
    let l = x.log_softmax(1);
    assert_close(
        &l,
        &[
            -(3f64.ln()),
            (2.0f64 / 3.0).ln(),
            -(2f64.ln()),
            -(2f64.ln()),
        ],
        1e-15,
    );
}

#[test]
fn softmax_is_stable_at_magnitude_1e4() {
    // F64, so that 1e4 - ln 2 is represented closely enough for the 1e-6 checks below.
    let x = tensor!([[1e4, 1e4], [-1e4, -1e4]]).to_dtype(DType::F64)
        - Tensor::from_vec(vec![0.0, 2f64.ln(), 0.0, 0.0], [2, 2]);
    assert_close(&x.softmax(1), &[2.0 / 3.0, 1.0 / 3.0, 0.5, 0.5], 1e-6);
    assert_close(
        &x.log_softmax(1),
        &[-(1.5f64.ln()), -(3f64.ln()), -(2f64.ln()), -(2f64.ln())],
        1e-5,
    );
    assert_close(&x.softmax(0), &[1.0, 1.0, 0.0, 0.0], 0.0);
    assert_close(&x.log_softmax(0), &[0.0, 0.0, -2e4, -2e4 + 2f64.ln()], 1e-6);
}

#[test]
fn softmax_of_strided_views_matches_the_contiguous_copy() {
    let x = Tensor::from_vec(
        (0..24).map(|v| (v as f64 * 0.37).sin() * 3.0).collect(),
        [2, 3, 4],
    );
    for dim in [-1, 0, 1] {
        let v = x.transpose(1, 2);
        let c = v.contiguous();
        assert_close(&v.softmax(dim), &f64s(&c.softmax(dim)), 1e-15);
        assert_close(&v.log_softmax(dim), &f64s(&c.log_softmax(dim)), 1e-15);
    }
    // Each softmax lane sums to one.
    assert_close(&x.softmax(1).sum_dim(1, false), &[1.0; 8], 1e-15);
}

#[test]
fn softmax_in_every_float_dtype() {
    for dt in FLOATS {
        let x = tensor!([[1.0, 1.0, 1.0, 1.0]]).to_dtype(dt);
        let y = x.softmax(-1);
        assert_eq!(y.dtype(), dt);
        assert_close(&y, &[0.25; 4], 0.0);
        assert_close(&x.log_softmax(-1), &[-(4f64.ln()); 4], 4e-3);
        assert_close(&x.t().softmax(0), &[0.25; 4], 0.0);
    }
    assert_eq!(Tensor::scalar(3.0f32).softmax(0).item::<f32>(), 1.0);
}

#[test]
fn softmax_log_softmax_gradcheck() {
    let x = leaf(
        vec![
            0.3, -1.2, 2.5, 0.7, 1.1, -0.4, 0.9, 1.8, -2.0, 0.1, 0.5, -0.6,
        ],
        &[2, 3, 2],
    );
    for dim in [-1, 0, 1] {
        gradcheck(|xs| xs[0].softmax(dim), &[&x]).unwrap();
        gradcheck(|xs| xs[0].log_softmax(dim), &[&x]).unwrap();
    }
    gradcheck(|xs| xs[0].transpose(0, 2).softmax(-1), &[&x]).unwrap();
    gradgradcheck(|xs| xs[0].softmax(-1), &[&x]).unwrap();
    gradgradcheck(|xs| xs[0].log_softmax(1), &[&x]).unwrap();
    assert_eq!(
        x.softmax(0).grad_fn_name().as_deref(),
        Some("SoftmaxBackward0")
    );
}

#[test]
#[should_panic(expected = "softmax: expected a floating point tensor, got i64")]
fn softmax_of_integers_panics() {
    tensor!([1, 2]).softmax(0);
}

#[test]
fn log_softmax_errors() {
    assert!(tensor!([1, 2]).try_log_softmax(0).is_err());
    let msg = tensor!([[1.0]]).try_log_softmax(2).unwrap_err().to_string();
    assert!(
        msg.contains("log_softmax") && msg.contains("out of range"),
        "{msg}"
    );
}

// ----- norm -------------------------------------------------------------------------------------

#[test]
fn norm_by_hand_in_float_dtypes_and_strided() {
    for dt in FLOATS {
        let a = tensor!([[3.0, 0.0], [0.0, -4.0]]).to_dtype(dt);
        let n = a.t().norm();
        assert_eq!((n.dtype(), n.shape(), n.item::<f64>()), (dt, &[][..], 5.0));
    }
    // Squares of 1e20 overflow f32 but the f64 accumulator holds them.
    assert_eq!(tensor!([3e20, 4e20]).norm().item::<f32>(), 5e20);
}

#[test]
fn norm_gradient_is_x_over_norm_and_zero_at_zero() {
    let x = leaf(vec![3.0, -4.0], &[2]);
    x.norm().backward();
    assert_close(&x.grad().unwrap(), &[0.6, -0.8], 1e-15);
    let z = leaf(vec![0.0; 3], &[3]);
    z.norm().backward();
    assert_eq!(f64s(&z.grad().unwrap()), vec![0.0; 3]);
    let y = leaf(vec![0.3, -1.2, 2.5, 0.7, 1.1, -0.4], &[2, 3]);
    gradcheck(|xs| xs[0].t().norm(), &[&y]).unwrap();
    gradgradcheck(|xs| xs[0].norm(), &[&y]).unwrap();
}

#[test]
#[should_panic(expected = "norm: expected a floating point tensor")]
fn norm_of_integers_panics() {
    tensor!([3, 4]).norm();
}

// ----- cumsum -----------------------------------------------------------------------------------

#[test]
fn cumsum_by_hand_in_every_dtype() {
    for dt in DType::ALL {
        let a = tensor!([[1, 0, 1], [1, 1, 0]]).to_dtype(dt);
        let want = if dt.is_float() { dt } else { DType::I64 };
        let c = a.cumsum(1);
        assert_eq!(c.dtype(), want, "{dt}");
        assert_eq!(
            c.to_vec::<f64>(),
            vec![1.0, 1.0, 2.0, 1.0, 2.0, 2.0],
            "{dt}"
        );
        assert_eq!(
            a.cumsum(-2).to_vec::<f64>(),
            vec![1.0, 0.0, 1.0, 2.0, 1.0, 1.0],
            "{dt}"
        );
    }
    // 100 + 100 overflows i8; the I64 result does not.
    assert_eq!(
        tensor!([100, 100])
            .to_dtype(DType::I8)
            .cumsum(0)
            .to_vec::<i64>(),
        vec![100, 200]
    );
}

#[test]
fn cumsum_of_strided_views() {
    let a = Tensor::arange(1.0, 7.0, 1.0, DType::F32).reshape([2, 3]); // [[1,2,3],[4,5,6]]
    let t = a.t(); // [[1,4],[2,5],[3,6]]
    assert_eq!(
        t.cumsum(0).to_vec::<f32>(),
        vec![1.0, 4.0, 3.0, 9.0, 6.0, 15.0]
    );
    assert_eq!(
        t.cumsum(1).to_vec::<f32>(),
        vec![1.0, 5.0, 2.0, 7.0, 3.0, 9.0]
    );
    assert_eq!(
        a.flip(1).cumsum(1).to_vec::<f32>(),
        vec![3.0, 5.0, 6.0, 6.0, 11.0, 15.0]
    );
    assert_eq!(Tensor::scalar(2i32).cumsum(0).item::<i64>(), 2);
    assert_eq!(Tensor::zeros([0, 3], DType::F32).cumsum(1).shape(), &[0, 3]);
}

#[test]
fn cumsum_gradcheck() {
    let x = leaf(vec![0.3, -1.2, 2.5, 0.7, 1.1, -0.4], &[2, 3]);
    x.cumsum(1).sum().backward();
    assert_eq!(f64s(&x.grad().unwrap()), vec![3.0, 2.0, 1.0, 3.0, 2.0, 1.0]);
    gradcheck(|xs| xs[0].cumsum(0), &[&x]).unwrap();
    gradcheck(|xs| xs[0].t().cumsum(-1), &[&x]).unwrap();
    gradgradcheck(|xs| xs[0].cumsum(1) * &xs[0], &[&x]).unwrap();
}

#[test]
#[should_panic(expected = "cumsum: dimension 2 is out of range")]
fn cumsum_bad_dim_panics() {
    tensor!([[1.0]]).cumsum(2);
}

#[test]
fn cumsum_bad_dim_is_an_error() {
    assert!(tensor!([1.0]).try_cumsum(-2).is_err());
}

// ----- accuracy over 2^24 elements --------------------------------------------------------------

#[test]
fn f32_reductions_stay_accurate_over_2_pow_24_elements() {
    let n = (1usize << 24) + 16;
    let ones = Tensor::ones([n], DType::F32);
    assert_eq!(ones.sum().item::<f32>(), n as f32);
    assert_eq!(ones.mean().item::<f32>(), 1.0);
    assert_eq!(ones.norm().item::<f64>(), (n as f64).sqrt() as f32 as f64);
    // ln(n * e^1) = 1 + ln(n).
    assert_close(&ones.logsumexp(0, false), &[1.0 + (n as f64).ln()], 1e-6);
    assert_close(&ones.var(false), &[0.0], 0.0);
    let c = ones.cumsum(0);
    assert_eq!(c.narrow(0, n as isize - 1, 1).item::<f32>(), n as f32);
}

/// The sums over `dims` of the row-major `data` of `shape`, one element at a time: the
/// reference the run-by-run kernel must agree with.
fn sums_by_index(data: &[f64], shape: &[usize], dims: &[usize]) -> Vec<f64> {
    let kept: Vec<usize> = (0..shape.len()).filter(|d| !dims.contains(d)).collect();
    let mut out = vec![0.0; kept.iter().map(|&d| shape[d]).product()];
    for (i, &v) in data.iter().enumerate() {
        let mut rest = i;
        let mut index = vec![0; shape.len()];
        for d in (0..shape.len()).rev() {
            index[d] = rest % shape[d];
            rest /= shape[d];
        }
        let o = kept.iter().fold(0, |o, &d| o * shape[d] + index[d]);
        out[o] += v;
    }
    out
}

/// Sums over any dims of a contiguous tensor run in memory order, innermost reduced run
/// first (`sum_runs`): leading dims (a column sum), trailing dims (row sums), a middle dim,
/// dims 0 and 2 of `[N, C, L]` (a bias gradient), alternating patterns, size-1 dims in
/// between; threaded or not, in every float dtype, with keepdim. Each must give each sum as
/// an element-by-element walk does, and still carry the gradient.
#[test]
fn sums_over_any_dims_of_a_contiguous_tensor_match_an_element_walk() {
    for (shape, dims) in [
        (vec![3usize, 4], vec![0usize]),
        (vec![2, 3, 5], vec![0, 1]),
        (vec![300, 700], vec![0]), // 210k elements, 700 columns: threaded blocks
        (vec![4, 5, 6], vec![1]),
        (vec![4, 5, 6], vec![0, 2]),
        (vec![64, 32, 40], vec![0, 2]), // threaded, [N, C, L]'s bias gradient
        (vec![40, 30, 50], vec![1]),    // threaded column sums per block
        (vec![2, 3, 4, 5], vec![1, 3]),
        (vec![2, 3, 4, 5], vec![0, 2]),
        (vec![3, 1, 4, 2], vec![0, 1, 3]), // a size-1 dim between reduced ones
        (vec![3, 4, 1], vec![0]),
        (vec![5, 2, 3, 4], vec![1, 2]),
    ] {
        let numel: usize = shape.iter().product();
        // Exactly representable values in every float dtype (multiples of 1/8 in
        // [-31.75, 31.75]), centred so the long sums stay inside f16's range.
        let data: Vec<f64> = (0..numel)
            .map(|i| (((i * 37) % 509) as f64 - 254.0) / 8.0)
            .collect();
        let want = sums_by_index(&data, &shape, &dims);
        let kept_shape: Vec<usize> = (0..shape.len())
            .filter(|d| !dims.contains(d))
            .map(|d| shape[d])
            .collect();
        for dtype in FLOATS {
            let x = Tensor::from_vec(data.clone(), &shape).to_dtype(dtype);
            let got = x.sum_dim(dims.clone(), false);
            assert_eq!(got.shape(), &kept_shape[..], "{shape:?} over {dims:?}");
            let tol = if matches!(dtype, DType::F16 | DType::BF16) {
                1e-2
            } else {
                0.0
            };
            assert_close(&got.to_dtype(DType::F64), &want, tol);
            let kept = x.sum_dim(dims.clone(), true);
            assert!(dims.iter().all(|&d| kept.shape()[d] == 1));
            assert_close(&kept.to_dtype(DType::F64), &want, tol);
        }
    }
    // A view that is not contiguous takes the lane walk and agrees.
    let x = Tensor::from_vec((0..24).map(f64::from).collect(), [4, 6]);
    let t = x.t().contiguous().t(); // same values, column-major
    assert_eq!(
        t.sum_dim(0, false).to_vec::<f64>(),
        x.sum_dim(0, false).to_vec::<f64>()
    );
    assert_eq!(
        x.sum_dim(0, false).to_vec::<f64>(),
        vec![36.0, 40.0, 44.0, 48.0, 52.0, 56.0]
    );
    let w = leaf((0..12).map(f64::from).collect(), &[3, 4]);
    gradcheck(|xs| xs[0].sum_dim(0, false).square().sum(), &[&w]).unwrap();
    let w = leaf((0..24).map(f64::from).collect(), &[2, 3, 4]);
    gradcheck(|xs| xs[0].sum_dim([0, 2], false).square().sum(), &[&w]).unwrap();
}
