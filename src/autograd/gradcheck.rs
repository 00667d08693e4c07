//! gradcheck and gradgradcheck: analytic gradients against central finite differences in f64,
//! with PyTorch's default tolerances.

use super::engine::try_grad;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Step and tolerances; the defaults are PyTorch's (`eps=1e-6, atol=1e-5, rtol=1e-3`).
///
/// ```
/// let o = firebrand::autograd::GradcheckOptions::default();
/// assert_eq!((o.eps, o.atol, o.rtol), (1e-6, 1e-5, 1e-3));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct GradcheckOptions {
    /// Finite-difference step.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance (of the numerical value).
    pub rtol: f64,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
        }
    }
}

/// Checks the analytic Jacobian of `f` at `inputs` against finite differences. Inputs that
/// require grad must be F64; the others are passed through unchanged. The error names the
/// input, the output element and the input element that disagree.
///
/// ```
/// use firebrand::{autograd::gradcheck, DType, Tensor};
/// let x = Tensor::randn([2, 3], DType::F64).requires_grad_(true);
/// gradcheck(|xs| xs[0].tanh() * &xs[0], &[&x]).unwrap();
/// ```
pub fn gradcheck<F>(f: F, inputs: &[&Tensor]) -> Result<()>
where
    F: Fn(&[Tensor]) -> Tensor,
{
    gradcheck_with(f, inputs, GradcheckOptions::default())
}

/// [`gradcheck`] with chosen step and tolerances.
///
/// ```
/// use firebrand::autograd::{gradcheck_with, GradcheckOptions};
/// let x = firebrand::Tensor::from_vec(vec![0.5f64, 2.0], [2]).requires_grad_(true);
/// gradcheck_with(|xs| xs[0].exp(), &[&x], GradcheckOptions::default()).unwrap();
/// ```
pub fn gradcheck_with<F>(f: F, inputs: &[&Tensor], opts: GradcheckOptions) -> Result<()>
where
    F: Fn(&[Tensor]) -> Tensor,
{
    let owned: Vec<Tensor> = inputs.iter().map(|t| (*t).clone()).collect();
    let wrt: Vec<usize> = (0..owned.len())
        .filter(|&i| owned[i].requires_grad())
        .collect();
    for &i in &wrt {
        if owned[i].dtype() != DType::F64 {
            return Err(Error::msg(format!(
                "gradcheck: input {i} is {}; gradcheck needs F64 inputs for accurate finite \
                 differences (use to_dtype(DType::F64))",
                owned[i].dtype()
            )));
        }
    }
    let out = f(&owned);
    let n_out = out.numel();
    for &i in &wrt {
        let numerical = numerical_jacobian(&f, &owned, i, n_out, opts.eps)?;
        let analytical = analytical_jacobian(&out, &owned[i], n_out)?;
        compare(i, &owned[i], &numerical, &analytical, opts)?;
    }
    Ok(())
}

/// Column j of the result is d out / d input[i][j], by central differences.
fn numerical_jacobian<F>(
    f: &F,
    inputs: &[Tensor],
    i: usize,
    n_out: usize,
    eps: f64,
) -> Result<Vec<Vec<f64>>>
where
    F: Fn(&[Tensor]) -> Tensor,
{
    let base = inputs[i].to_vec::<f64>();
    let shape = inputs[i].shape().to_vec();
    // Fresh leaves with the same requires_grad flags: the function may itself need the graph
    // (gradgradcheck's inner function calls autograd::grad).
    let eval = |values: Vec<f64>| -> Vec<f64> {
        let mut xs: Vec<Tensor> = inputs
            .iter()
            .map(|t| t.detach().requires_grad_(t.requires_grad()))
            .collect();
        xs[i] = Tensor::from_vec(values, shape.as_slice()).requires_grad_(true);
        f(&xs).to_dtype(DType::F64).to_vec::<f64>()
    };
    let mut columns = Vec::with_capacity(base.len());
    for j in 0..base.len() {
        let mut plus = base.clone();
        plus[j] += eps;
        let mut minus = base.clone();
        minus[j] -= eps;
        let (fp, fm) = (eval(plus), eval(minus));
        if fp.len() != n_out {
            return Err(Error::msg("gradcheck: the function's output size changed"));
        }
        columns.push(
            fp.iter()
                .zip(&fm)
                .map(|(a, b)| (a - b) / (2.0 * eps))
                .collect(),
        );
    }
    Ok(columns)
}

/// Column j of the result is d out / d input[j], one backward pass per output element.
fn analytical_jacobian(out: &Tensor, input: &Tensor, n_out: usize) -> Result<Vec<Vec<f64>>> {
    let mut columns = vec![vec![0.0; n_out]; input.numel()];
    for k in 0..n_out {
        let mut onehot = vec![0.0; n_out];
        onehot[k] = 1.0;
        let g = Tensor::from_vec(onehot, out.shape()).to_dtype(out.dtype());
        let grads = try_grad(&[out], &[input], Some(&[&g]), false)?;
        if let Some(grad) = &grads[0] {
            if grad.shape() != input.shape() {
                return Err(Error::msg(format!(
                    "gradcheck: the gradient has shape {:?} but the input has shape {:?}",
                    grad.shape(),
                    input.shape()
                )));
            }
            for (j, v) in grad.to_vec::<f64>().into_iter().enumerate() {
                columns[j][k] = v;
            }
        }
    }
    Ok(columns)
}

fn compare(
    i: usize,
    input: &Tensor,
    num: &[Vec<f64>],
    ana: &[Vec<f64>],
    o: GradcheckOptions,
) -> Result<()> {
    for (j, (nc, ac)) in num.iter().zip(ana).enumerate() {
        for (k, (&n, &a)) in nc.iter().zip(ac).enumerate() {
            let diff = (a - n).abs();
            if diff.is_nan() || diff > o.atol + o.rtol * n.abs() {
                return Err(Error::msg(format!(
                    "gradcheck: Jacobian mismatch for input {i} (shape {:?}) at input element \
                     {j}, output element {k}: numerical {n:.6e}, analytical {a:.6e}",
                    input.shape()
                )));
            }
        }
    }
    Ok(())
}

/// Checks second derivatives: gradcheck of the map from (inputs, v) to the vector-Jacobian
/// product `v^T J` computed with `create_graph`, for a fixed random `v`.
///
/// ```
/// use firebrand::{autograd::gradgradcheck, DType, Tensor};
/// let x = Tensor::randn([3], DType::F64).requires_grad_(true);
/// gradgradcheck(|xs| xs[0].sin() * &xs[0], &[&x]).unwrap();
/// ```
pub fn gradgradcheck<F>(f: F, inputs: &[&Tensor]) -> Result<()>
where
    F: Fn(&[Tensor]) -> Tensor,
{
    let n = inputs.len();
    let probe = f(&inputs.iter().map(|t| (*t).clone()).collect::<Vec<_>>());
    let v = Tensor::randn(probe.shape(), DType::F64).requires_grad_(true);
    let mut all: Vec<&Tensor> = inputs.to_vec();
    all.push(&v);
    let vjp = |xs: &[Tensor]| -> Tensor {
        let out = f(&xs[..n]);
        let wrt: Vec<&Tensor> = xs[..n].iter().filter(|t| t.requires_grad()).collect();
        let grads = crate::error::or_panic(try_grad(&[&out], &wrt, Some(&[&xs[n]]), true));
        let flat: Vec<Tensor> = grads
            .into_iter()
            .zip(&wrt)
            .map(|(g, x)| g.unwrap_or_else(|| Tensor::zeros_like(x)).reshape([-1]))
            .collect();
        Tensor::cat(&flat.iter().collect::<Vec<_>>(), 0)
    };
    gradcheck(vjp, &all)
}
