//! View ops (reshape, view, flatten, transpose, t, permute, squeeze, unsqueeze, expand,
//! broadcast_to, narrow, select, chunk, split, flip): values, shared storage, strides,
//! non-contiguous bases and errors; cat/stack; contiguous(); Display.

use firebrand::autograd::{gradcheck, gradgradcheck};
use firebrand::{DType, Tensor, tensor};

/// 0..n as F64 in `shape`.
fn iota(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::arange(0.0, n as f64, 1.0, DType::F64).reshape(shape)
}

fn f64s(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>()
}

/// Asserts that writing through `view` shows in `base` (they share storage).
#[track_caller]
fn assert_shares(base: &Tensor, view: &Tensor) {
    let before = f64s(base);
    view.fill_(-7.0);
    let after = f64s(base);
    assert_ne!(
        before, after,
        "a write through the view must show in the base"
    );
    assert!(f64s(view).iter().all(|&v| v == -7.0));
}

// ----- reshape / view / flatten ----------------------------------------------------------------

#[test]
fn reshape_values_inference_and_sharing() {
    let a = iota(&[2, 3]);
    let r = a.reshape([3, -1]);
    assert_eq!(r.shape(), &[3, 2]);
    assert_eq!(r.strides(), &[2, 1]);
    assert_eq!(f64s(&r), f64s(&a));
    assert_eq!(a.reshape([-1]).shape(), &[6]);
    assert_eq!(a.reshape([1, 2, 1, 3]).shape(), &[1, 2, 1, 3]);
    assert_eq!(Tensor::scalar(5.0f32).reshape([1, 1]).shape(), &[1, 1]);
    assert_eq!(
        Tensor::zeros([0, 4], DType::F32).reshape([-1, 2]).shape(),
        &[0, 2]
    );
    assert_shares(&a, &a.reshape([6]).narrow(0, 2, 2));
    assert_eq!(f64s(&a), vec![0.0, 1.0, -7.0, -7.0, 4.0, 5.0]);
}

#[test]
fn reshape_of_a_transposed_tensor_copies() {
    let a = iota(&[2, 3]);
    let r = a.t().reshape([6]);
    assert_eq!(f64s(&r), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    r.fill_(9.0);
    assert_eq!(
        f64s(&a),
        vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
        "a copy must not write back"
    );
    // splitting one dim of a transposed tensor is still a view
    let v = iota(&[4, 3]).t().reshape([3, 2, 2]);
    assert_eq!(v.strides(), &[1, 6, 3]);
}

#[test]
fn reshape_errors() {
    let a = iota(&[2, 3]);
    let msg = a.try_reshape([4, -1]).unwrap_err().to_string();
    assert!(msg.contains("reshape"), "{msg}");
    assert!(
        a.try_reshape([-1, -1])
            .unwrap_err()
            .to_string()
            .contains("only one dimension can be inferred")
    );
    assert!(a.try_reshape([5]).is_err());
    assert!(a.try_reshape([-2, 3]).is_err());
}

#[test]
#[should_panic(expected = "reshape")]
fn reshape_wrong_numel_panics() {
    iota(&[2, 3]).reshape([7]);
}

#[test]
fn view_shares_or_refuses() {
    let a = iota(&[2, 3]);
    let v = a.view([3, 2]);
    assert_shares(&a, &v.select(0, 0));
    assert_eq!(f64s(&a), vec![-7.0, -7.0, 2.0, 3.0, 4.0, 5.0]);
    let msg = a.t().try_view([6]).unwrap_err().to_string();
    assert!(msg.contains("view") && msg.contains("reshape"), "{msg}");
    assert!(a.try_view([4]).is_err());
}

#[test]
#[should_panic(expected = "use reshape(...) instead")]
fn view_of_non_viewable_panics() {
    iota(&[2, 3]).t().view([-1]);
}

#[test]
fn flatten_ranges() {
    let a = iota(&[2, 3, 4]);
    assert_eq!(a.flatten(0, -1).shape(), &[24]);
    assert_eq!(a.flatten(1, 2).shape(), &[2, 12]);
    assert_eq!(a.flatten(0, 1).shape(), &[6, 4]);
    assert_eq!(a.flatten(1, 1).shape(), &[2, 3, 4]);
    assert_eq!(Tensor::scalar(1.0f32).flatten(0, -1).shape(), &[1]);
    let f = a.transpose(0, 2).flatten(0, -1);
    assert_eq!(&f64s(&f)[..4], &[0.0, 12.0, 4.0, 16.0]);
    assert!(
        a.try_flatten(2, 1)
            .unwrap_err()
            .to_string()
            .contains("flatten")
    );
    assert!(a.try_flatten(0, 3).is_err());
}

// ----- transpose / t / permute -----------------------------------------------------------------

#[test]
fn transpose_and_t() {
    let a = iota(&[2, 3, 4]);
    let t = a.transpose(0, 2);
    assert_eq!(t.shape(), &[4, 3, 2]);
    assert_eq!(t.strides(), &[1, 4, 12]);
    assert!(!t.is_contiguous());
    assert_eq!(&f64s(&t)[..4], &[0.0, 12.0, 4.0, 16.0]);
    assert_eq!(a.transpose(-1, -3).shape(), &[4, 3, 2]);
    assert_eq!(a.transpose(1, 1).strides(), a.strides());
    let m = iota(&[2, 3]);
    assert_eq!(f64s(&m.t()), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    assert_eq!(m.t().t().strides(), &[3, 1]);
    assert_eq!(tensor!([1, 2, 3]).t().shape(), &[3]);
    assert_shares(&m, &m.t().select(0, 1));
    assert_eq!(f64s(&m), vec![0.0, -7.0, 2.0, 3.0, -7.0, 5.0]);
    let msg = a.try_transpose(0, 3).unwrap_err().to_string();
    assert!(msg.contains("transpose"), "{msg}");
}

#[test]
#[should_panic(expected = "t: expects a tensor with <= 2 dimensions")]
fn t_of_3d_panics() {
    iota(&[2, 2, 2]).t();
}

#[test]
fn permute_values_strides_and_errors() {
    let a = iota(&[2, 3, 4]);
    let p = a.permute([2, 0, 1]);
    assert_eq!(p.shape(), &[4, 2, 3]);
    assert_eq!(p.strides(), &[1, 12, 4]);
    let v = f64s(&p);
    // p[i, j, k] = a[j, k, i] = 12 j + 4 k + i
    for i in 0..4 {
        for j in 0..2 {
            for k in 0..3 {
                assert_eq!(v[i * 6 + j * 3 + k], (12 * j + 4 * k + i) as f64);
            }
        }
    }
    assert_eq!(a.permute([-1, 0, 1]).shape(), &[4, 2, 3]);
    assert!(
        a.try_permute([0, 1])
            .unwrap_err()
            .to_string()
            .contains("permute")
    );
    assert!(
        a.try_permute([0, 0, 1])
            .unwrap_err()
            .to_string()
            .contains("repeats")
    );
    assert!(a.try_permute([0, 1, 3]).is_err());
    assert_shares(&a, &p.select(0, 3));
}

// ----- squeeze / unsqueeze ---------------------------------------------------------------------

#[test]
fn squeeze_and_unsqueeze() {
    let a = iota(&[2, 1, 3, 1]);
    assert_eq!(a.squeeze(1).shape(), &[2, 3, 1]);
    assert_eq!(a.squeeze(-1).shape(), &[2, 1, 3]);
    assert_eq!(a.squeeze(0).shape(), &[2, 1, 3, 1]);
    assert_eq!(a.squeeze_all().shape(), &[2, 3]);
    assert_eq!(Tensor::ones([1, 1], DType::F32).squeeze_all().dim(), 0);
    let b = iota(&[2, 3]);
    assert_eq!(b.unsqueeze(0).shape(), &[1, 2, 3]);
    assert_eq!(b.unsqueeze(2).shape(), &[2, 3, 1]);
    assert_eq!(b.unsqueeze(-1).shape(), &[2, 3, 1]);
    assert_eq!(b.unsqueeze(-3).shape(), &[1, 2, 3]);
    assert_eq!(b.unsqueeze(1).shape(), &[2, 1, 3]);
    assert_eq!(f64s(&b.t().unsqueeze(1)), f64s(&b.t()));
    assert_eq!(Tensor::scalar(2.0f32).unsqueeze(0).shape(), &[1]);
    assert_shares(&b, &b.unsqueeze(0).squeeze(0).select(1, 2));
    assert_eq!(f64s(&b), vec![0.0, 1.0, -7.0, 3.0, 4.0, -7.0]);
}

#[test]
#[should_panic(expected = "unsqueeze")]
fn unsqueeze_out_of_range_panics() {
    iota(&[2, 3]).unsqueeze(3);
}

#[test]
#[should_panic(expected = "squeeze")]
fn squeeze_out_of_range_panics() {
    iota(&[2, 3]).squeeze(-3);
}

// ----- expand / broadcast_to -------------------------------------------------------------------

#[test]
fn expand_and_broadcast_to() {
    let a = tensor!([[1], [2]]);
    let e = a.expand([2, 3]);
    assert_eq!(e.to_vec::<i64>(), vec![1, 1, 1, 2, 2, 2]);
    assert_eq!(e.strides(), &[1, 0]);
    let e = a.expand([4, -1, 2]);
    assert_eq!(e.shape(), &[4, 2, 2]);
    assert_eq!(e.strides(), &[0, 1, 0]);
    let b = tensor!([1, 2, 3]).broadcast_to([2, 3]);
    assert_eq!(b.to_vec::<i64>(), vec![1, 2, 3, 1, 2, 3]);
    assert_eq!(b.strides(), &[0, 1]);
    // expand of a transposed base
    let t = iota(&[1, 3]).t().expand([3, 2]);
    assert_eq!(f64s(&t), vec![0.0, 0.0, 1.0, 1.0, 2.0, 2.0]);
    // writing through one broadcast element writes the shared base element
    let base = tensor!([1.0, 2.0]);
    base.expand([3, 2]).select(0, 1).select(0, 0).fill_(5.0);
    assert_eq!(base.to_vec::<f32>(), vec![5.0, 2.0]);
    let s = Tensor::scalar(4.0f32).expand([2, 2]);
    assert_eq!(s.to_vec::<f32>(), vec![4.0; 4]);
}

#[test]
fn expand_and_broadcast_to_errors() {
    let a = tensor!([1, 2]);
    let msg = a.try_expand([3]).unwrap_err().to_string();
    assert!(
        msg.contains("expand") && msg.contains("non-singleton"),
        "{msg}"
    );
    assert!(a.try_expand(Vec::<isize>::new()).is_err());
    assert!(a.try_expand([-2, 2]).is_err());
    let msg = tensor!([1, 2, 3])
        .try_broadcast_to([2])
        .unwrap_err()
        .to_string();
    assert!(msg.contains("broadcast_to"), "{msg}");
    assert!(tensor!([[1], [2]]).try_broadcast_to([3, 1]).is_err());
}

#[test]
#[should_panic(expected = "expand: the expanded size 3 must match the existing size 2")]
fn expand_non_singleton_panics() {
    tensor!([1, 2]).expand([2, 3]);
}

// ----- narrow / select / chunk / split / flip --------------------------------------------------

#[test]
fn narrow_values_strides_sharing_errors() {
    let a = iota(&[3, 4]);
    let n = a.narrow(1, 1, 2);
    assert_eq!(n.shape(), &[3, 2]);
    assert_eq!(n.strides(), &[4, 1]);
    assert_eq!(f64s(&n), vec![1.0, 2.0, 5.0, 6.0, 9.0, 10.0]);
    assert_eq!(f64s(&a.narrow(0, -1, 1)), vec![8.0, 9.0, 10.0, 11.0]);
    assert_eq!(a.narrow(1, 4, 0).shape(), &[3, 0]);
    assert_eq!(f64s(&a.t().narrow(0, 3, 1)), vec![3.0, 7.0, 11.0]);
    assert_shares(&a, &n.narrow(0, 1, 1));
    assert_eq!(f64s(&a)[4..8], [4.0, -7.0, -7.0, 7.0]);
    let msg = a.try_narrow(1, 3, 2).unwrap_err().to_string();
    assert!(msg.contains("narrow") && msg.contains("exceeds"), "{msg}");
    assert!(a.try_narrow(2, 0, 1).is_err());
    assert!(a.try_narrow(0, -4, 1).is_err());
}

#[test]
fn select_values_sharing_errors() {
    let a = iota(&[2, 3, 4]);
    let s = a.select(1, 2);
    assert_eq!(s.shape(), &[2, 4]);
    assert_eq!(s.strides(), &[12, 1]);
    assert_eq!(f64s(&s), vec![8.0, 9.0, 10.0, 11.0, 20.0, 21.0, 22.0, 23.0]);
    assert_eq!(
        f64s(&a.select(-1, -1)),
        vec![3.0, 7.0, 11.0, 15.0, 19.0, 23.0]
    );
    assert_eq!(a.select(0, 0).select(0, 0).select(0, 0).dim(), 0);
    assert_shares(&a, &a.select(2, 0));
    let msg = a.try_select(1, 3).unwrap_err().to_string();
    assert!(
        msg.contains("select") && msg.contains("out of range"),
        "{msg}"
    );
    assert!(a.try_select(1, -4).is_err());
    assert!(Tensor::scalar(1.0f32).try_select(0, 0).is_err());
}

#[test]
#[should_panic(expected = "select: index 5 is out of range for dim 0 of size 2")]
fn select_out_of_range_panics() {
    iota(&[2, 3]).select(0, 5);
}

#[test]
fn chunk_and_split() {
    let a = iota(&[5, 2]);
    let parts = a.split(2, 0);
    assert_eq!(
        parts.iter().map(|p| p.shape()[0]).collect::<Vec<_>>(),
        vec![2, 2, 1]
    );
    assert_eq!(f64s(&parts[2]), vec![8.0, 9.0]);
    let chunks = a.chunk(3, 0);
    assert_eq!(
        chunks.iter().map(|p| p.shape()[0]).collect::<Vec<_>>(),
        vec![2, 2, 1]
    );
    let cols = a.chunk(2, -1);
    assert_eq!(cols.len(), 2);
    assert_eq!(f64s(&cols[1]), vec![1.0, 3.0, 5.0, 7.0, 9.0]);
    // chunk(4) of 6 gives 3 chunks of 2, as PyTorch
    assert_eq!(tensor!([1, 2, 3, 4, 5, 6]).chunk(4, 0).len(), 3);
    assert_eq!(tensor!([1, 2]).chunk(5, 0).len(), 2);
    // of a transposed base
    let t = iota(&[2, 4]).t().split(3, 0);
    assert_eq!(f64s(&t[1]), vec![3.0, 7.0]);
    assert_shares(&a, &chunks[1]);
    assert_eq!(f64s(&a)[4..6], [-7.0, -7.0]);
}

#[test]
#[should_panic(expected = "chunk: chunks must be greater than 0")]
fn chunk_zero_panics() {
    iota(&[2]).chunk(0, 0);
}

#[test]
#[should_panic(expected = "split: split_size must be greater than 0")]
fn split_zero_panics() {
    iota(&[2]).split(0, 0);
}

#[test]
fn flip_values_strides_and_sharing() {
    let a = iota(&[2, 3]);
    let f = a.flip([1]);
    assert_eq!(f64s(&f), vec![2.0, 1.0, 0.0, 5.0, 4.0, 3.0]);
    assert_eq!(f.strides(), &[3, -1]);
    assert_eq!(f64s(&a.flip([0, 1])), vec![5.0, 4.0, 3.0, 2.0, 1.0, 0.0]);
    assert_eq!(f64s(&a.flip([-2])), vec![3.0, 4.0, 5.0, 0.0, 1.0, 2.0]);
    assert_eq!(f64s(&a.t().flip([0])), vec![2.0, 5.0, 1.0, 4.0, 0.0, 3.0]);
    assert_eq!(f64s(&f.flip([1])), f64s(&a));
    assert_eq!(f64s(&f.contiguous()), vec![2.0, 1.0, 0.0, 5.0, 4.0, 3.0]);
    assert_shares(&a, &f.select(1, 0));
    assert_eq!(f64s(&a), vec![0.0, 1.0, -7.0, 3.0, 4.0, -7.0]);
    assert!(a.try_flip([2]).is_err());
}

// ----- gradients of views ----------------------------------------------------------------------

#[test]
fn view_ops_gradcheck() {
    let x = Tensor::from_vec((0..24).map(|v| v as f64 * 0.1 - 1.0).collect(), [2, 3, 4])
        .requires_grad_(true);
    type Op = fn(&Tensor) -> Tensor;
    let cases: Vec<(&str, Op)> = vec![
        ("reshape", |x| x.reshape([4, -1]) * 1.5),
        ("view", |x| x.view([6, 4]).square()),
        ("flatten", |x| x.flatten(1, 2).square()),
        ("transpose", |x| x.transpose(0, 2).square()),
        ("permute", |x| x.permute([1, 2, 0]).square()),
        ("squeeze", |x| x.unsqueeze(1).squeeze(1).square()),
        ("expand", |x| {
            x.select(2, 1).unsqueeze(0).expand([3, 2, 3]).square()
        }),
        ("broadcast_to", |x| {
            x.narrow(1, 0, 1).broadcast_to([2, 2, 3, 4]).square()
        }),
        ("narrow", |x| x.narrow(2, 1, 2).square()),
        ("select", |x| x.select(1, -1).square()),
        ("flip", |x| x.flip([0, 2]).square()),
        ("chunk", |x| x.chunk(2, 2)[1].square()),
        ("split", |x| x.split(2, 1)[1].square()),
    ];
    for (name, op) in cases {
        let r = gradcheck(|xs| op(&xs[0]), &[&x]);
        assert!(r.is_ok(), "gradcheck {name}: {r:?}");
    }
    assert!(gradgradcheck(|xs| xs[0].transpose(0, 1).narrow(0, 1, 2).square(), &[&x]).is_ok());
}

#[test]
fn view_grad_fn_names() {
    let x = iota(&[2, 3]).requires_grad_(true);
    assert_eq!(x.t().grad_fn_name().as_deref(), Some("TransposeBackward0"));
    assert_eq!(
        x.narrow(0, 0, 1).grad_fn_name().as_deref(),
        Some("SliceBackward0") // PyTorch records narrow as a slice
    );
    assert_eq!(
        x.select(0, 0).grad_fn_name().as_deref(),
        Some("SelectBackward0")
    );
    assert_eq!(
        x.expand([2, 2, 3]).grad_fn_name().as_deref(),
        Some("ExpandBackward0")
    );
    assert_eq!(
        x.reshape([6]).grad_fn_name().as_deref(),
        Some("ViewBackward0")
    );
}

// ----- cat / stack -----------------------------------------------------------------------------

#[test]
fn cat_values_promotion_and_views() {
    let a = tensor!([[1, 2]]);
    let b = tensor!([[3, 4], [5, 6]]);
    let c = Tensor::cat(&[&a, &b], 0);
    assert_eq!((c.shape(), c.dtype()), (&[3usize, 2][..], DType::I64));
    assert_eq!(c.to_vec::<i64>(), vec![1, 2, 3, 4, 5, 6]);
    let d = Tensor::cat(&[&b, &b.t()], -1);
    assert_eq!(d.to_vec::<i64>(), vec![3, 4, 3, 5, 5, 6, 4, 6]);
    let p = Tensor::cat(&[&tensor!([1, 2]), &tensor!([0.5]), &tensor!([true])], 0);
    assert_eq!(p.dtype(), DType::F32);
    assert_eq!(p.to_vec::<f32>(), vec![1.0, 2.0, 0.5, 1.0]);
    let e = Tensor::cat(&[&Tensor::zeros([0, 2], DType::I64), &a], 0);
    assert_eq!(e.to_vec::<i64>(), vec![1, 2]);
    // the result is a fresh tensor
    c.fill_(0.0);
    assert_eq!(a.to_vec::<i64>(), vec![1, 2]);
}

#[test]
fn cat_and_stack_errors() {
    let msg = Tensor::try_cat(&[&tensor!([[1, 2]]), &tensor!([[3]])], 0)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("cat") && msg.contains("[1, 2]") && msg.contains("[1, 1]"),
        "{msg}"
    );
    assert!(
        Tensor::try_cat(&[], 0)
            .unwrap_err()
            .to_string()
            .contains("non-empty")
    );
    assert!(Tensor::try_cat(&[&tensor!([1])], 1).is_err());
    assert!(Tensor::try_cat(&[&tensor!([1]), &tensor!([[1]])], 0).is_err());
    let msg = Tensor::try_stack(&[&tensor!([1, 2]), &tensor!([3])], 0)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("stack") && msg.contains("[2]") && msg.contains("[1]"),
        "{msg}"
    );
    assert!(Tensor::try_stack(&[], 0).is_err());
    assert!(Tensor::try_stack(&[&tensor!([1])], 2).is_err());
}

#[test]
#[should_panic(expected = "cat: sizes of tensors must match except in dimension 0")]
fn cat_mismatch_panics() {
    Tensor::cat(&[&tensor!([[1, 2]]), &tensor!([[3, 4, 5]])], 0);
}

#[test]
fn stack_values_and_dims() {
    let a = tensor!([1, 2]);
    let b = tensor!([3, 4]);
    let s0 = Tensor::stack(&[&a, &b], 0);
    assert_eq!(
        (s0.shape(), s0.to_vec::<i64>()),
        (&[2usize, 2][..], vec![1, 2, 3, 4])
    );
    let s1 = Tensor::stack(&[&a, &b], 1);
    assert_eq!(s1.to_vec::<i64>(), vec![1, 3, 2, 4]);
    let sm = Tensor::stack(&[&a, &b, &a], -1);
    assert_eq!(sm.shape(), &[2, 3]);
    let m = iota(&[2, 2]);
    let st = Tensor::stack(&[&m, &m.t()], 0);
    assert_eq!(f64s(&st), vec![0.0, 1.0, 2.0, 3.0, 0.0, 2.0, 1.0, 3.0]);
    let p = Tensor::stack(&[&a, &tensor!([0.5, 1.5])], 0);
    assert_eq!(p.dtype(), DType::F32);
}

#[test]
fn cat_and_stack_gradcheck() {
    let a = Tensor::from_vec(vec![0.1, 0.2, 0.3, 0.4], [2, 2]).requires_grad_(true);
    let b = Tensor::from_vec(vec![0.5, 0.6], [1, 2]).requires_grad_(true);
    assert!(gradcheck(|xs| Tensor::cat(&[&xs[0], &xs[1]], 0).square(), &[&a, &b]).is_ok());
    assert!(gradcheck(|xs| Tensor::stack(&[&xs[0], &xs[0].t()], 1).square(), &[&a]).is_ok());
}

// ----- contiguous ------------------------------------------------------------------------------

#[test]
fn contiguous_copies_only_when_needed() {
    let a = iota(&[2, 3]);
    let same = a.contiguous();
    same.select(0, 0).fill_(1.0);
    assert_eq!(
        f64s(&a)[..3],
        [1.0, 1.0, 1.0],
        "contiguous() of a contiguous tensor shares it"
    );
    let narrow_rows = a.narrow(0, 1, 1);
    assert!(narrow_rows.is_contiguous());
    let shared = narrow_rows.contiguous();
    shared.fill_(2.0);
    assert_eq!(f64s(&a)[3..], [2.0, 2.0, 2.0]);
    for view in [a.t(), a.narrow(1, 0, 2), a.flip([1]), a.expand([2, 2, 3])] {
        assert!(!view.is_contiguous());
        let c = view.contiguous();
        assert!(c.is_contiguous());
        assert_eq!(f64s(&c), f64s(&view));
        let before = f64s(&a);
        c.fill_(-1.0);
        assert_eq!(f64s(&a), before, "a copy must not write back");
    }
}

// ----- Display ---------------------------------------------------------------------------------

#[test]
fn display_matches_pytorch() {
    let a = tensor!([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    assert_eq!(
        format!("{a}"),
        "tensor([[1., 2., 3.],\n        [4., 5., 6.]])"
    );
    assert_eq!(format!("{}", tensor!([1, -2, 3])), "tensor([ 1, -2,  3])");
    assert_eq!(
        format!("{}", tensor!([true, false])),
        "tensor([ True, False])"
    );
    assert_eq!(format!("{}", tensor!(2.5)), "tensor(2.5000)");
    let d = Tensor::from_vec(vec![1.5f64, 2.0], [2]);
    assert_eq!(
        format!("{d}"),
        // firebrand names the dtype its own way (PyTorch: dtype=torch.float64).
        "tensor([1.5000, 2.0000], dtype=f64)"
    );
    // a view prints its own elements
    assert_eq!(format!("{}", a.t().narrow(0, 1, 1)), "tensor([[2., 5.]])");
    println!("{a}");
}
