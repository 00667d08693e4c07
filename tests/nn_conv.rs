//! Convolution and pooling: values worked by hand, non-contiguous inputs, gradcheck and
//! gradgradcheck in f64, dtypes, errors, and the layers. PyTorch's values for many argument
//! combinations are in tests/golden/conv.json (run by tests/golden.rs).

use firebrand::autograd::{self, gradcheck, gradgradcheck};
use firebrand::nn::{self, Module, functional as F};
use firebrand::{DType, Tensor, tensor};

fn randn(shape: &[usize]) -> Tensor {
    Tensor::randn(shape, DType::F64)
}

fn leaf(shape: &[usize]) -> Tensor {
    randn(shape).requires_grad_(true)
}

fn assert_close(actual: &Tensor, expected: &Tensor, tol: f64) {
    assert_eq!(actual.shape(), expected.shape());
    let (a, e) = (actual.to_vec::<f64>(), expected.to_vec::<f64>());
    for (i, (x, y)) in a.iter().zip(&e).enumerate() {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "element {i}: {x} != {y}"
        );
    }
}

/// A direct (seven nested loops) 2-D convolution, the definition the im2col path must match.
fn conv2d_reference(x: &Tensor, w: &Tensor, stride: usize, pad: usize, dil: usize) -> Tensor {
    let (xs, ws) = (x.shape().to_vec(), w.shape().to_vec());
    let (n, c, h, wd) = (xs[0], xs[1], xs[2], xs[3]);
    let (o, kh, kw) = (ws[0], ws[2], ws[3]);
    let oh = (h + 2 * pad - dil * (kh - 1) - 1) / stride + 1;
    let ow = (wd + 2 * pad - dil * (kw - 1) - 1) / stride + 1;
    let (xv, wv) = (x.to_vec::<f64>(), w.to_vec::<f64>());
    let mut out = vec![0.0; n * o * oh * ow];
    for b in 0..n {
        for oc in 0..o {
            for y in 0..oh {
                for z in 0..ow {
                    let mut acc = 0.0;
                    for ic in 0..c {
                        for i in 0..kh {
                            for j in 0..kw {
                                let iy = (y * stride + i * dil) as isize - pad as isize;
                                let ix = (z * stride + j * dil) as isize - pad as isize;
                                if iy < 0 || ix < 0 || iy >= h as isize || ix >= wd as isize {
                                    continue;
                                }
                                let xi = ((b * c + ic) * h + iy as usize) * wd + ix as usize;
                                acc += xv[xi] * wv[((oc * c + ic) * kh + i) * kw + j];
                            }
                        }
                    }
                    out[((b * o + oc) * oh + y) * ow + z] = acc;
                }
            }
        }
    }
    Tensor::from_vec(out, [n, o, oh, ow])
}

#[test]
fn conv2d_matches_direct_loops() {
    firebrand::manual_seed(1);
    for (stride, pad, dil) in [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 1, 2)] {
        let x = randn(&[2, 3, 9, 8]);
        let w = randn(&[4, 3, 3, 2]);
        let got = F::conv2d(&x, &w, None, stride, pad, dil, 1);
        assert_close(&got, &conv2d_reference(&x, &w, stride, pad, dil), 1e-12);
    }
}

#[test]
fn conv2d_by_hand_with_bias() {
    let x = tensor!([[[[1.0, 2.0], [3.0, 4.0]]]]);
    let w = tensor!([[[[1.0, 1.0], [1.0, 1.0]]], [[[0.0, 0.0], [0.0, 2.0]]]]);
    let y = F::conv2d(&x, &w, Some(&tensor!([0.5, -1.0])), 1, 1, 1, 1);
    assert_eq!(y.shape(), &[1, 2, 3, 3]);
    let expected = [
        1.5, 3.5, 2.5, 4.5, 10.5, 6.5, 3.5, 7.5, 4.5, // all-ones kernel + 0.5
        1.0, 3.0, -1.0, 5.0, 7.0, -1.0, -1.0, -1.0, -1.0, // 2 * bottom-right tap - 1
    ];
    assert_eq!(y.to_vec::<f32>(), expected);
}

#[test]
fn conv2d_groups_are_independent_convolutions() {
    firebrand::manual_seed(2);
    let x = randn(&[2, 4, 5, 5]);
    let w = randn(&[6, 2, 3, 3]);
    let grouped = F::conv2d(&x, &w, None, 1, 1, 1, 2);
    let halves: Vec<Tensor> = (0..2)
        .map(|g| {
            let xg = x.narrow(1, 2 * g, 2);
            let wg = w.narrow(0, 3 * g, 3);
            F::conv2d(&xg, &wg, None, 1, 1, 1, 1)
        })
        .collect();
    assert_close(&grouped, &Tensor::cat(&[&halves[0], &halves[1]], 1), 1e-12);
}

#[test]
fn conv2d_reads_non_contiguous_inputs() {
    firebrand::manual_seed(3);
    let x = randn(&[2, 3, 6, 7]);
    let w = randn(&[4, 3, 3, 3]);
    // the same values through a transposed view and a narrowed view
    let xt = x.transpose(2, 3).deep_clone().transpose(2, 3);
    assert!(!xt.is_contiguous());
    let wide = randn(&[4, 5, 3, 3]);
    wide.narrow(1, 1, 3).copy_(&w);
    let wn = wide.narrow(1, 1, 3);
    assert!(!wn.is_contiguous());
    let expected = F::conv2d(&x, &w, None, 1, 1, 1, 1);
    assert_close(&F::conv2d(&xt, &wn, None, 1, 1, 1, 1), &expected, 1e-12);
}

#[test]
fn conv2d_every_float_dtype() {
    firebrand::manual_seed(4);
    let x = randn(&[1, 2, 5, 5]);
    let w = randn(&[3, 2, 3, 3]);
    let reference = F::conv2d(&x, &w, None, 1, 1, 1, 1);
    for (dtype, tol) in [(DType::F32, 1e-5), (DType::F16, 2e-2), (DType::BF16, 1e-1)] {
        let y = F::conv2d(&x.to_dtype(dtype), &w.to_dtype(dtype), None, 1, 1, 1, 1);
        assert_eq!(y.dtype(), dtype);
        assert_close(&y.to_dtype(DType::F64), &reference, tol);
    }
}

/// Gradcheck and gradgradcheck of `f` at `inputs`.
fn check_both(f: impl Fn(&[Tensor]) -> Tensor + Copy, inputs: &[&Tensor]) {
    gradcheck(f, inputs).unwrap();
    gradgradcheck(f, inputs).unwrap();
}

#[test]
fn conv2d_gradcheck_and_gradgradcheck() {
    firebrand::manual_seed(5);
    let (x, w, b) = (leaf(&[2, 2, 5, 4]), leaf(&[4, 1, 3, 2]), leaf(&[4]));
    let f = |t: &[Tensor]| F::conv2d(&t[0], &t[1], Some(&t[2]), [2, 1], 1, [1, 2], 2);
    check_both(f, &[&x, &w, &b]);
}

#[test]
fn one_group_conv2d_gradcheck_with_and_without_bias() {
    // One group runs the fused kernel, recorded as one node whose derivative is built from
    // unfold, fold and matmul: check it, and its own derivative, with and without a bias.
    firebrand::manual_seed(6);
    let (x, w, b) = (leaf(&[3, 2, 5, 4]), leaf(&[3, 2, 3, 2]), leaf(&[3]));
    let with_bias = |t: &[Tensor]| F::conv2d(&t[0], &t[1], Some(&t[2]), [2, 1], 1, [1, 2], 1);
    check_both(with_bias, &[&x, &w, &b]);
    let without = |t: &[Tensor]| F::conv2d(&t[0], &t[1], None, 1, [0, 1], 1, 1);
    check_both(without, &[&x, &w]);
    let y = F::conv2d(&x, &w, Some(&b), 1, 1, 1, 1);
    assert_eq!(y.grad_fn_name().as_deref(), Some("ConvolutionBackward0"));
}

#[test]
fn one_group_conv2d_matches_direct_loops_for_every_batch_split() {
    // Batches of 1 (one sample, the product on all threads), 5 (split unevenly over the
    // threads) and 8, with a bias, against the definition plus the bias by hand.
    firebrand::manual_seed(7);
    let w = randn(&[4, 3, 3, 3]);
    let b = tensor!([0.5, -1.0, 2.0, 0.0]).to_dtype(DType::F64);
    for n in [1, 5, 8] {
        let x = randn(&[n, 3, 7, 6]);
        let got = F::conv2d(&x, &w, Some(&b), [1, 2], 1, 1, 1);
        // stride [1, 2]: columns 0, 2 and 4 of the stride-1 result
        let full = conv2d_reference(&x, &w, 1, 1, 1);
        let every_second: Vec<Tensor> = (0..3).map(|j| full.narrow(3, 2 * j, 1)).collect();
        let every_second: Vec<&Tensor> = every_second.iter().collect();
        let want = Tensor::cat(&every_second, 3) + b.reshape([1, 4, 1, 1]);
        assert_close(&got, &want, 1e-12);
    }
}

/// The gradients of a one-group `conv2d` (input, weight, bias; `None` where not asked for)
/// for the output gradient `dy`, from a backward pass that records a graph or not.
fn conv2d_grads(
    [x, w, b]: [&Tensor; 3],
    dy: &Tensor,
    [stride, padding, dilation]: [[usize; 2]; 3],
    create_graph: bool,
) -> Vec<Option<Tensor>> {
    let y = F::conv2d(x, w, Some(b), stride, padding, dilation, 1);
    autograd::grad(&[&y], &[x, w, b], Some(&[dy]), create_graph)
}

#[test]
fn one_group_conv2d_backward_kernel_matches_the_composed_derivative() {
    // A backward pass that records no graph runs the sample-by-sample kernel; with
    // create_graph the same gradients come from the differentiable unfold, fold and matmul.
    // Batches of 0, 1 (gemm on all threads), 3, 5 (split unevenly) and 8; strides, padding and
    // dilation per axis; a transposed (non-contiguous) input and output gradient; f64 and f32.
    firebrand::manual_seed(9);
    let cases = [
        (1, [3, 4, 7, 6], [1, 1], [1, 1], [1, 1]),
        (5, [2, 3, 6, 7], [2, 1], [1, 0], [1, 2]),
        (8, [3, 2, 5, 5], [1, 2], [0, 2], [2, 1]),
        (0, [2, 3, 4, 4], [1, 1], [1, 1], [1, 1]),
        // 36 columns and 33 filters over 14 x 13 outputs: on a CPU with AVX-512, products
        // large enough for the weight's gradient to be summed transposed, and for gemm to get
        // the output gradient copied row-major first.
        (3, [6, 33, 14, 12], [1, 1], [1, 1], [1, 1]),
    ];
    for (dtype, tol) in [(DType::F64, 1e-12), (DType::F32, 1e-5)] {
        for (n, [c, o, h, wd], stride, padding, dilation) in cases {
            let x = randn(&[n, c, wd, h]).transpose(2, 3).to_dtype(dtype);
            let x = x.requires_grad_(true);
            let w = randn(&[o, c, 3, 2]).to_dtype(dtype).requires_grad_(true);
            let b = randn(&[o]).to_dtype(dtype).requires_grad_(true);
            let args = [stride, padding, dilation];
            let y_shape = F::conv2d(&x, &w, None, stride, padding, dilation, 1)
                .shape()
                .to_vec();
            let [yn, yc, yh, yw] = [y_shape[0], y_shape[1], y_shape[2], y_shape[3]];
            let dy = randn(&[yn, yc, yw, yh]).to_dtype(dtype).transpose(2, 3);
            let fused = conv2d_grads([&x, &w, &b], &dy, args, false);
            let composed = conv2d_grads([&x, &w, &b], &dy, args, true);
            for (f, c) in fused.iter().zip(&composed) {
                let (f, c) = (f.as_ref().unwrap(), c.as_ref().unwrap());
                assert_close(&f.to_dtype(DType::F64), &c.to_dtype(DType::F64), tol);
            }
        }
    }
}

#[test]
fn f32_conv2d_on_wide_planes_matches_the_definition_and_the_composed_derivative() {
    // Stride 1 with outputs 16 and more wide: on a CPU with AVX-512F the direct kernel
    // (backend/cpu/conv_direct.rs) computes the output and the input's gradient. A transposed
    // (non-contiguous) input; seven filters (blocks of six and one); padding, dilation, none.
    firebrand::manual_seed(12);
    for (pad, dil) in [(1, 1), (2, 2), (0, 1)] {
        let x = randn(&[2, 3, 20, 18]).transpose(2, 3);
        let (w, b) = (randn(&[7, 3, 3, 3]), randn(&[7]));
        let f32_leaf = |t: &Tensor| t.to_dtype(DType::F32).requires_grad_(true);
        let (x32, w32, b32) = (f32_leaf(&x), f32_leaf(&w), f32_leaf(&b));
        let y = F::conv2d(&x32, &w32, Some(&b32), 1, pad, dil, 1);
        let want = conv2d_reference(&x, &w, 1, pad, dil) + b.reshape([1, 7, 1, 1]);
        assert_close(&y.to_dtype(DType::F64), &want, 1e-5);

        let dy = randn(y.shape()).to_dtype(DType::F32);
        let args = [[1, 1], [pad, pad], [dil, dil]];
        let fused = conv2d_grads([&x32, &w32, &b32], &dy, args, false);
        let composed = conv2d_grads([&x32, &w32, &b32], &dy, args, true);
        for (f, c) in fused.iter().zip(&composed) {
            let (f, c) = (f.as_ref().unwrap(), c.as_ref().unwrap());
            assert_close(&f.to_dtype(DType::F64), &c.to_dtype(DType::F64), 1e-5);
        }
    }
}

#[test]
fn one_group_conv2d_backward_kernel_computes_only_what_is_asked() {
    // Only the input, then only the weight, requires grad: the other gradient is not made,
    // and the one that is agrees with the composed derivative.
    firebrand::manual_seed(10);
    let (x, w) = (randn(&[3, 2, 5, 5]), randn(&[4, 2, 3, 3]));
    let dy = randn(&[3, 4, 5, 5]);
    for input_grad in [true, false] {
        let (x, w) = (
            x.detach().requires_grad_(input_grad),
            w.detach().requires_grad_(!input_grad),
        );
        let wanted = if input_grad { &x } else { &w };
        let grads = |create_graph| {
            let y = F::conv2d(&x, &w, None, 1, 1, 1, 1);
            autograd::grad(&[&y], &[wanted], Some(&[&dy]), create_graph)[0]
                .clone()
                .unwrap()
        };
        assert_close(&grads(false), &grads(true), 1e-12);
        let y = F::conv2d(&x, &w, None, 1, 1, 1, 1);
        y.backward_with(&dy);
        assert_eq!(
            (x.grad().is_some(), w.grad().is_some()),
            (input_grad, !input_grad)
        );
    }
}

#[test]
fn one_group_conv2d_of_zero_channels_is_the_bias() {
    // No input channels: every output is its channel's bias (the sum over no products is 0).
    let x = Tensor::zeros([2, 0, 4, 4], DType::F32);
    let w = Tensor::zeros([3, 0, 3, 3], DType::F32);
    let y = F::conv2d(&x, &w, Some(&tensor!([1.0, -2.0, 0.5])), 1, 0, 1, 1);
    assert_eq!(y.shape(), &[2, 3, 2, 2]);
    let per_sample: Vec<f32> = [1.0f32, -2.0, 0.5].iter().flat_map(|&b| [b; 4]).collect();
    assert_eq!(y.to_vec::<f32>(), [per_sample.clone(), per_sample].concat());
}

#[test]
fn conv1d_and_conv_transpose2d_gradcheck() {
    firebrand::manual_seed(6);
    let (x, w) = (leaf(&[2, 2, 7]), leaf(&[3, 2, 3]));
    gradcheck(|t| F::conv1d(&t[0], &t[1], None, 2, 1, 1, 1), &[&x, &w]).unwrap();
    let (x, w, b) = (leaf(&[1, 4, 3, 3]), leaf(&[4, 1, 2, 3]), leaf(&[2]));
    let f = |t: &[Tensor]| F::conv_transpose2d(&t[0], &t[1], Some(&t[2]), 2, [0, 1], 1, 2, 1);
    gradcheck(f, &[&x, &w, &b]).unwrap();
    gradgradcheck(f, &[&x, &w, &b]).unwrap();
}

#[test]
fn conv_transpose2d_is_the_adjoint_of_conv2d() {
    // <conv2d(x, w), y> == <x, conv_transpose2d(y, w)> for matching stride and padding
    firebrand::manual_seed(7);
    let x = randn(&[2, 3, 7, 6]);
    let w = randn(&[4, 3, 3, 3]);
    let y = F::conv2d(&x, &w, None, 2, 1, 1, 1);
    let probe = randn(y.shape());
    let left = (&y * &probe).sum().item::<f64>();
    let back = F::conv_transpose2d(&probe, &w, None, 2, 1, [0, 1], 1, 1);
    assert_eq!(back.shape(), x.shape());
    let right = (&x * &back).sum().item::<f64>();
    assert!((left - right).abs() < 1e-9 * left.abs().max(1.0));
}

#[test]
fn unfold_and_fold_are_adjoint_and_differentiable() {
    firebrand::manual_seed(8);
    let x = leaf(&[1, 2, 4, 5]);
    let cols = F::unfold(&x, [2, 3], 1, 1, [1, 2]);
    let probe = randn(cols.shape());
    let left = (&cols * &probe).sum().item::<f64>();
    let right = (&x * F::fold(&probe, [4, 5], [2, 3], 1, 1, [1, 2]))
        .sum()
        .item::<f64>();
    assert!((left - right).abs() < 1e-9);
    gradgradcheck(|t| F::unfold(&t[0], [2, 3], 1, 1, [1, 2]), &[&x]).unwrap();
    let c = leaf(&[1, 8, 12]);
    gradcheck(|t| F::fold(&t[0], [4, 5], 2, 1, 0, 1), &[&c]).unwrap();
}

#[test]
fn max_pool2d_by_hand_with_indices_and_ties() {
    let x = tensor!([[[
        [1.0, 3.0, 3.0, 0.0],
        [2.0, 3.0, -1.0, 7.0],
        [0.0, 0.0, 0.0, 0.0]
    ]]]);
    let (y, idx) = F::max_pool2d_with_indices(&x, 2, 0, 0, 1, true);
    assert_eq!(y.shape(), &[1, 1, 2, 2]);
    assert_eq!(y.to_vec::<f32>(), vec![3.0, 7.0, 0.0, 0.0]);
    // the first of the tied 3s, in row-major window order
    assert_eq!(idx.to_vec::<i64>(), vec![1, 7, 8, 10]);
}

#[test]
fn max_pool2d_gradient_goes_to_the_argmax() {
    let x = tensor!([[[[1.0, 5.0], [2.0, 3.0]]]]).requires_grad_(true);
    F::max_pool2d(&x, 2, 0, 0, 1, false).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 1.0, 0.0, 0.0]);
}

#[test]
fn pooling_gradcheck_and_non_contiguous() {
    firebrand::manual_seed(9);
    let x = leaf(&[2, 2, 7, 6]);
    gradgradcheck(|t| F::max_pool2d(&t[0], 3, 2, 1, 1, true), &[&x]).unwrap();
    gradgradcheck(|t| F::avg_pool2d(&t[0], 3, 2, 1, true, false, None), &[&x]).unwrap();
    gradcheck(|t| F::adaptive_avg_pool2d(&t[0], [3, 4]), &[&x]).unwrap();
    let xt = x.detach().transpose(2, 3).deep_clone().transpose(2, 3);
    assert!(!xt.is_contiguous());
    let same = |f: &dyn Fn(&Tensor) -> Tensor| assert_close(&f(&xt), &f(&x.detach()), 0.0);
    same(&|t| F::max_pool2d(t, 2, 0, 0, 1, false));
    same(&|t| F::avg_pool2d(t, 2, 1, 1, false, true, None));
    same(&|t| F::adaptive_avg_pool2d(t, 2));
}

#[test]
fn avg_pool2d_by_hand_with_padding_counts() {
    let x = tensor!([[[[1.0, 2.0], [3.0, 4.0]]]]);
    let counted = F::avg_pool2d(&x, 2, 1, 1, false, true, None);
    assert_eq!(counted.to_vec::<f32>()[..3], [0.25, 0.75, 0.5]);
    let uncounted = F::avg_pool2d(&x, 2, 1, 1, false, false, None);
    assert_eq!(uncounted.to_vec::<f32>()[..3], [1.0, 1.5, 2.0]);
    let divided = F::avg_pool2d(&x, 2, 0, 0, false, true, Some(5));
    assert_eq!(divided.to_vec::<f32>(), vec![2.0]);
}

#[test]
fn adaptive_avg_pool2d_uneven_cells() {
    // 3 columns into 2 cells: columns 0..2 and 1..3
    let x = tensor!([[[[1.0, 2.0, 4.0]]]]);
    assert_eq!(
        F::adaptive_avg_pool2d(&x, [1, 2]).to_vec::<f32>(),
        vec![1.5, 3.0]
    );
}

#[test]
fn errors_name_the_op_and_the_fix() {
    let x = Tensor::zeros([1, 3, 4, 4], DType::F32);
    let msg = |r: firebrand::Result<Tensor>| r.unwrap_err().to_string();
    let w = Tensor::zeros([2, 2, 3, 3], DType::F32);
    assert!(
        msg(F::try_conv2d(&x, &w, None, 1, 0, 1, 1))
            .contains("conv2d: input [1, 3, 4, 4] has 3 channels")
    );
    let big = Tensor::zeros([2, 3, 5, 5], DType::F32);
    assert!(msg(F::try_conv2d(&x, &big, None, 1, 0, 1, 1)).contains("larger than the input"));
    assert!(msg(F::try_conv2d(&x, &w.to_dtype(DType::F64), None, 1, 0, 1, 1)).contains("dtype"));
    let w3 = Tensor::zeros([2, 3, 3, 3], DType::F32);
    assert!(msg(F::try_conv2d(&x, &w3, None, 0, 0, 1, 1)).contains("stride"));
    assert!(
        msg(F::try_conv2d(
            &x,
            &w3,
            Some(&Tensor::zeros([3], DType::F32)),
            1,
            0,
            1,
            1
        ))
        .contains("bias")
    );
    assert!(
        msg(F::try_conv2d(
            &x.to_dtype(DType::I64),
            &w3,
            None,
            1,
            0,
            1,
            1
        ))
        .contains("floating point")
    );
    let pool_err = F::try_max_pool2d_with_indices(&x, 2, 0, 2, 1, false).unwrap_err();
    assert!(pool_err.to_string().contains("padding"));
    assert!(msg(F::try_avg_pool2d(&x, 5, 0, 0, false, true, None)).contains("does not fit"));
}

#[test]
#[should_panic(expected = "conv2d")]
fn conv2d_panics_on_misuse() {
    let x = Tensor::zeros([4, 4], DType::F32);
    F::conv2d(
        &x,
        &Tensor::zeros([1, 1, 1, 1], DType::F32),
        None,
        1,
        0,
        1,
        1,
    );
}

#[test]
fn layers_train_and_name_their_parameters() {
    firebrand::manual_seed(10);
    let net = nn::Sequential::new()
        .append(nn::Conv2d::new(1, 4, 3).padding(1))
        .append(nn::Relu)
        .append(nn::MaxPool2d::new(2))
        .append(nn::Flatten::new())
        .append(nn::Linear::new(16, 3, true));
    let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["0.weight", "0.bias", "4.weight", "4.bias"]);
    let x = Tensor::randn([5, 1, 4, 4], DType::F32);
    let y = net.forward(&x);
    assert_eq!(y.shape(), &[5, 3]);
    y.sum().backward();
    assert!(net.parameters().iter().all(|p| p.grad().is_some()));
}

#[test]
fn conv_layer_initialisation_is_pytorchs() {
    firebrand::manual_seed(11);
    let conv = nn::Conv2d::new(8, 16, 3);
    let bound = 1.0 / (8.0f32 * 9.0).sqrt();
    let w = conv.weight.to_vec::<f32>();
    assert!(w.iter().all(|v| v.abs() <= bound));
    // uniform on [-b, b]: the largest magnitude of 1152 samples is close to b
    assert!(w.iter().fold(0f32, |m, v| m.max(v.abs())) > 0.95 * bound);
    let b = conv.bias.as_ref().unwrap().to_vec::<f32>();
    assert!(b.iter().all(|v| v.abs() <= bound));
}
