//! Golden tests: every case in tests/golden/*.json (written by PyTorch 2.15 through
//! tools/gen_golden.py) is run through firebrand: outputs (dtype, shape, values) and, where
//! the fixture has them, the gradients of sum(output * grad_output) with respect to each
//! input. Each case also runs again on non-contiguous copies of its inputs.

use firebrand::nn::functional as F;
use firebrand::{DType, Tensor};
use serde_json::Value;

mod common;
use common::{parse_float, tensor_from};

/// One fixture case, decoded.
struct Case {
    name: String,
    op: String,
    args: Value,
    inputs: Vec<Tensor>,
    outputs: Vec<Tensor>,
    grad_outputs: Option<Vec<Option<Tensor>>>,
    grads: Option<Vec<Option<Tensor>>>,
}

fn tensors_from(v: &Value) -> Vec<Tensor> {
    match v {
        Value::Array(items) => items.iter().map(tensor_from).collect(),
        single => vec![tensor_from(single)],
    }
}

fn optional_tensors(v: &Value) -> Vec<Option<Tensor>> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|x| (!x.is_null()).then(|| tensor_from(x)))
            .collect(),
        single => vec![Some(tensor_from(single))],
    }
}

fn load(family: &str) -> Vec<Case> {
    let path = format!("{}/tests/golden/{family}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture file");
    let root: Value = serde_json::from_str(&text).expect("valid JSON");
    root["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().unwrap().to_string(),
            op: c["op"].as_str().unwrap().to_string(),
            args: c["args"].clone(),
            inputs: tensors_from(&c["inputs"]),
            outputs: tensors_from(&c["output"]),
            grad_outputs: c.get("grad_output").map(optional_tensors),
            grads: c.get("grads").map(optional_tensors),
        })
        .collect()
}

// ----- argument access ----------------------------------------------------------------------

fn int(args: &Value, key: &str) -> isize {
    args[key].as_i64().unwrap_or_else(|| panic!("arg {key}")) as isize
}

fn boolean(args: &Value, key: &str) -> bool {
    args[key].as_bool().unwrap_or_else(|| panic!("arg {key}"))
}

fn float(args: &Value, key: &str) -> f64 {
    parse_float(&args[key])
}

fn opt_float(args: &Value, key: &str) -> Option<f64> {
    (!args[key].is_null()).then(|| parse_float(&args[key]))
}

fn ints(args: &Value, key: &str) -> Vec<isize> {
    args[key]
        .as_array()
        .unwrap_or_else(|| panic!("arg {key}"))
        .iter()
        .map(|d| d.as_i64().unwrap() as isize)
        .collect()
}

// ----- dispatch -------------------------------------------------------------------------------

fn run_unary(op: &str, a: &Value, x: &Tensor) -> Tensor {
    match op {
        "abs" => x.abs(),
        "neg" => x.neg(),
        "exp" => x.exp(),
        "log" => x.log(),
        "log1p" => x.log1p(),
        "expm1" => x.expm1(),
        "sqrt" => x.sqrt(),
        "rsqrt" => x.rsqrt(),
        "sin" => x.sin(),
        "cos" => x.cos(),
        "tan" => x.tan(),
        "tanh" => x.tanh(),
        "sigmoid" => x.sigmoid(),
        "relu" => x.relu(),
        "gelu" => x.gelu(),
        "gelu_tanh" => x.gelu_tanh(),
        "silu" => x.silu(),
        "softplus" => x.softplus(),
        "erf" => x.erf(),
        "floor" => x.floor(),
        "ceil" => x.ceil(),
        "round" => x.round(),
        "sign" => x.sign(),
        "reciprocal" => x.reciprocal(),
        "square" => x.square(),
        "leaky_relu" => x.leaky_relu(float(a, "negative_slope")),
        "elu" => x.elu(float(a, "alpha")),
        "powf" => x.powf(float(a, "exponent")),
        "clamp" => x.clamp(opt_float(a, "min"), opt_float(a, "max")),
        other => panic!("unknown unary op {other}"),
    }
}

fn run_binary(op: &str, a: &Value, x: &[Tensor]) -> Tensor {
    match op {
        "add" => x[0].add(&x[1]),
        "sub" => x[0].sub(&x[1]),
        "mul" => x[0].mul(&x[1]),
        "div" => x[0].div(&x[1]),
        "pow" => x[0].pow(&x[1]),
        "maximum" => x[0].maximum(&x[1]),
        "minimum" => x[0].minimum(&x[1]),
        "eq" => x[0].eq(&x[1]),
        "ne" => x[0].ne(&x[1]),
        "lt" => x[0].lt(&x[1]),
        "le" => x[0].le(&x[1]),
        "gt" => x[0].gt(&x[1]),
        "ge" => x[0].ge(&x[1]),
        "where_" => Tensor::where_(&x[0], &x[1], &x[2]),
        "masked_fill" => x[0].masked_fill(&x[1], float(a, "value")),
        other => panic!("unknown binary op {other}"),
    }
}

fn run_reduce(op: &str, a: &Value, x: &Tensor) -> Vec<Tensor> {
    let one = |t: Tensor| vec![t];
    match op {
        "sum" => one(x.sum()),
        "mean" => one(x.mean()),
        "max" => one(x.max()),
        "min" => one(x.min()),
        "prod" => one(x.prod()),
        "norm" => one(x.norm()),
        "sum_dim" => one(x.sum_dim(ints(a, "dims"), boolean(a, "keepdim"))),
        "mean_dim" => one(x.mean_dim(ints(a, "dims"), boolean(a, "keepdim"))),
        "prod_dim" => one(x.prod_dim(ints(a, "dims"), boolean(a, "keepdim"))),
        "max_dim" => {
            let (v, i) = x.max_dim(int(a, "dim"), boolean(a, "keepdim"));
            vec![v, i]
        }
        "min_dim" => {
            let (v, i) = x.min_dim(int(a, "dim"), boolean(a, "keepdim"));
            vec![v, i]
        }
        "argmax" => one(x.argmax(int(a, "dim"), boolean(a, "keepdim"))),
        "argmin" => one(x.argmin(int(a, "dim"), boolean(a, "keepdim"))),
        "var_dim" => one(x.var_dim(
            ints(a, "dims"),
            boolean(a, "unbiased"),
            boolean(a, "keepdim"),
        )),
        "std_dim" => one(x.std_dim(
            ints(a, "dims"),
            boolean(a, "unbiased"),
            boolean(a, "keepdim"),
        )),
        "logsumexp" => one(x.logsumexp(ints(a, "dims"), boolean(a, "keepdim"))),
        "softmax" => one(x.softmax(int(a, "dim"))),
        "log_softmax" => one(x.log_softmax(int(a, "dim"))),
        "cumsum" => one(x.cumsum(int(a, "dim"))),
        other => panic!("unknown reduce op {other}"),
    }
}

fn run_shape(op: &str, a: &Value, x: &[Tensor]) -> Vec<Tensor> {
    let one = |t: Tensor| vec![t];
    let refs: Vec<&Tensor> = x.iter().collect();
    let t = &x[0];
    match op {
        "reshape" => one(t.reshape(ints(a, "shape"))),
        "transpose" => one(t.transpose(int(a, "dim0"), int(a, "dim1"))),
        "t" => one(t.t()),
        "permute" => one(t.permute(ints(a, "dims"))),
        "squeeze" => one(t.squeeze(int(a, "dim"))),
        "unsqueeze" => one(t.unsqueeze(int(a, "dim"))),
        "expand" => one(t.expand(ints(a, "shape"))),
        "narrow" => one(t.narrow(int(a, "dim"), int(a, "start"), int(a, "length") as usize)),
        "select" => one(t.select(int(a, "dim"), int(a, "index"))),
        "flatten" => one(t.flatten(int(a, "start_dim"), int(a, "end_dim"))),
        "flip" => one(t.flip(ints(a, "dims"))),
        "repeat" => one(t.repeat(ints(a, "repeats"))),
        "cat" => one(Tensor::cat(&refs, int(a, "dim"))),
        "stack" => one(Tensor::stack(&refs, int(a, "dim"))),
        "chunk" => t.chunk(int(a, "chunks") as usize, int(a, "dim")),
        "split" => t.split(int(a, "split_size") as usize, int(a, "dim")),
        "contiguous" => {
            let c = t.transpose(int(a, "dim0"), int(a, "dim1")).contiguous();
            assert!(
                c.is_contiguous(),
                "contiguous() must give a contiguous tensor"
            );
            one(c)
        }
        other => panic!("unknown shape op {other}"),
    }
}

fn run_index(op: &str, a: &Value, x: &[Tensor]) -> Tensor {
    let dim = int(a, "dim");
    match op {
        "index_select" => x[0].index_select(dim, &x[1]),
        "gather" => x[0].gather(dim, &x[1]),
        "scatter" => x[0].scatter(dim, &x[1], &x[2]),
        "scatter_add" => x[0].scatter_add(dim, &x[1], &x[2]),
        other => panic!("unknown index op {other}"),
    }
}

fn run_matmul(op: &str, x: &[Tensor]) -> Tensor {
    match op {
        "matmul" => x[0].matmul(&x[1]),
        "mm" => x[0].mm(&x[1]),
        "bmm" => x[0].bmm(&x[1]),
        "dot" => x[0].dot(&x[1]),
        "outer" => x[0].outer(&x[1]),
        other => panic!("unknown matmul op {other}"),
    }
}

/// A convolution or pooling size: one number for both spatial dims, or a list of two.
fn spatial(args: &Value, key: &str) -> [usize; 2] {
    match &args[key] {
        Value::Array(v) => [0, 1].map(|i| v[i].as_u64().expect("a size") as usize),
        v => [v.as_u64().expect("a size") as usize; 2],
    }
}

fn run_conv(op: &str, a: &Value, x: &[Tensor]) -> Vec<Tensor> {
    let size = |key| spatial(a, key);
    let groups = || a["groups"].as_u64().expect("groups") as usize;
    let flag = |key: &str| a[key].as_bool().expect("a bool");
    let bias = x.get(2);
    vec![match op {
        "conv2d" => F::conv2d(
            &x[0],
            &x[1],
            bias,
            size("stride"),
            size("padding"),
            size("dilation"),
            groups(),
        ),
        "conv1d" => {
            let one = |key| size(key)[0];
            F::conv1d(
                &x[0],
                &x[1],
                bias,
                one("stride"),
                one("padding"),
                one("dilation"),
                groups(),
            )
        }
        "conv_transpose2d" => F::conv_transpose2d(
            &x[0],
            &x[1],
            bias,
            size("stride"),
            size("padding"),
            size("output_padding"),
            groups(),
            size("dilation"),
        ),
        "unfold" => F::unfold(
            &x[0],
            size("kernel_size"),
            size("dilation"),
            size("padding"),
            size("stride"),
        ),
        "fold" => F::fold(
            &x[0],
            size("output_size"),
            size("kernel_size"),
            size("dilation"),
            size("padding"),
            size("stride"),
        ),
        "max_pool2d_with_indices" => {
            let (values, indices) = F::max_pool2d_with_indices(
                &x[0],
                size("kernel_size"),
                size("stride"),
                size("padding"),
                size("dilation"),
                flag("ceil_mode"),
            );
            return vec![values, indices];
        }
        "avg_pool2d" => F::avg_pool2d(
            &x[0],
            size("kernel_size"),
            size("stride"),
            size("padding"),
            flag("ceil_mode"),
            flag("count_include_pad"),
            a["divisor_override"].as_u64().map(|d| d as usize),
        ),
        "adaptive_avg_pool2d" => F::adaptive_avg_pool2d(&x[0], size("output_size")),
        other => panic!("unknown conv op {other}"),
    }]
}

fn run(family: &str, case: &Case, inputs: &[Tensor]) -> Vec<Tensor> {
    let (op, a) = (case.op.as_str(), &case.args);
    match family {
        "unary" => vec![run_unary(op, a, &inputs[0])],
        "binary" => vec![run_binary(op, a, inputs)],
        "reduce" => run_reduce(op, a, &inputs[0]),
        "shape" => run_shape(op, a, inputs),
        "index" => vec![run_index(op, a, inputs)],
        "matmul" => vec![run_matmul(op, inputs)],
        "conv" => run_conv(op, a, inputs),
        other => panic!("unknown family {other}"),
    }
}

// ----- comparison -----------------------------------------------------------------------------

/// (absolute, relative) tolerance for a dtype, for outputs and gradients alike. For the f32
/// gradients in conv.json (sums of up to ~100 products of magnitude ~2), PyTorch's own f32
/// results differ from the exact (f64) ones by at most 0.1 of the F32 tolerance, and ours
/// from PyTorch's by at most 0.14 of it.
fn tolerance(dtype: DType) -> (f64, f64) {
    match dtype {
        DType::F64 => (1e-10, 1e-9),
        DType::F32 => (1e-5, 1e-5),
        DType::F16 => (2e-3, 2e-3),
        DType::BF16 => (1.6e-2, 1.6e-2),
        _ => (0.0, 0.0),
    }
}

fn close(a: f64, e: f64, (atol, rtol): (f64, f64)) -> bool {
    if a.is_nan() || e.is_nan() {
        return a.is_nan() && e.is_nan();
    }
    if a.is_infinite() || e.is_infinite() {
        return a == e;
    }
    (a - e).abs() <= atol + rtol * e.abs()
}

/// Compares one tensor; returns a description of the first difference.
fn compare(what: &str, actual: &Tensor, expected: &Tensor) -> Result<(), String> {
    if actual.dtype() != expected.dtype() {
        return Err(format!(
            "{what}: dtype {} != expected {}",
            actual.dtype(),
            expected.dtype()
        ));
    }
    if actual.shape() != expected.shape() {
        return Err(format!(
            "{what}: shape {:?} != expected {:?}",
            actual.shape(),
            expected.shape()
        ));
    }
    let tol = tolerance(expected.dtype());
    let (a, e) = (actual.to_vec::<f64>(), expected.to_vec::<f64>());
    if expected.dtype().is_int() {
        let (ai, ei) = (actual.to_vec::<i64>(), expected.to_vec::<i64>());
        if let Some(i) = (0..ai.len()).find(|&i| ai[i] != ei[i]) {
            return Err(format!(
                "{what}: element {i}: {} != expected {}",
                ai[i], ei[i]
            ));
        }
        return Ok(());
    }
    match (0..a.len()).find(|&i| !close(a[i], e[i], tol)) {
        Some(i) => Err(format!(
            "{what}: element {i}: {} != expected {}",
            a[i], e[i]
        )),
        None => Ok(()),
    }
}

/// The same values as `t` in a non-contiguous layout (every other element of a wider buffer).
fn non_contiguous(t: &Tensor) -> Tensor {
    if t.dim() == 0 {
        return t.detach();
    }
    Tensor::stack(&[t, t], -1).select(-1, 0)
}

/// Checks outputs and gradients of one case on the given inputs.
fn check_case(
    family: &str,
    case: &Case,
    inputs: Vec<Tensor>,
    with_grads: bool,
) -> Result<(), String> {
    let inputs: Vec<Tensor> = inputs
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let wants = with_grads
                && case
                    .grads
                    .as_ref()
                    .is_some_and(|g| g.get(i).is_some_and(Option::is_some));
            if wants { t.requires_grad_(true) } else { t }
        })
        .collect();
    let outputs = run(family, case, &inputs);
    if outputs.len() != case.outputs.len() {
        return Err(format!(
            "{} outputs, expected {}",
            outputs.len(),
            case.outputs.len()
        ));
    }
    for (k, (a, e)) in outputs.iter().zip(&case.outputs).enumerate() {
        compare(&format!("output {k}"), a, e)?;
    }
    if !with_grads {
        return Ok(());
    }
    let (Some(gos), Some(grads)) = (&case.grad_outputs, &case.grads) else {
        return Ok(());
    };
    let loss = outputs
        .iter()
        .zip(gos)
        .filter_map(|(o, g)| g.as_ref().map(|g| (o * g).sum()))
        .reduce(|a, b| a + b)
        .expect("a float output");
    loss.backward();
    for (i, expected) in grads.iter().enumerate() {
        let Some(expected) = expected else { continue };
        let got = inputs[i]
            .grad()
            .unwrap_or_else(|| Tensor::zeros_like(&inputs[i]));
        compare(&format!("grad of input {i}"), &got, expected)?;
    }
    Ok(())
}

fn check_family(family: &str) {
    let cases = load(family);
    let mut failures = Vec::new();
    for case in &cases {
        let contiguous: Vec<Tensor> = case.inputs.iter().map(Tensor::detach).collect();
        let strided: Vec<Tensor> = case.inputs.iter().map(non_contiguous).collect();
        for (variant, inputs) in [("contiguous", contiguous), ("non-contiguous", strided)] {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                check_case(family, case, inputs, true)
            }));
            let problem = match result {
                Ok(Ok(())) => continue,
                Ok(Err(msg)) => msg,
                Err(panic) => format!(
                    "panicked: {}",
                    panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default()
                ),
            };
            failures.push(format!("{} ({}, {variant}): {problem}", case.name, case.op));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} {family} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(cases.len() >= 20, "too few {family} cases: {}", cases.len());
}

#[test]
fn golden_unary() {
    check_family("unary");
}

#[test]
fn golden_binary() {
    check_family("binary");
}

#[test]
fn golden_reduce() {
    check_family("reduce");
}

#[test]
fn golden_shape() {
    check_family("shape");
}

#[test]
fn golden_index() {
    check_family("index");
}

#[test]
fn golden_matmul() {
    check_family("matmul");
}

#[test]
fn golden_conv() {
    check_family("conv");
}

/// conv.json carries gradients for its f32 cases too (f32 inputs, f32 grad_output and f32
/// grads), so `golden_conv` checks f32 backward passes and not only f64 ones.
#[test]
fn golden_conv_has_f32_gradients() {
    let cases = load("conv");
    let f32_cases: Vec<&Case> = cases
        .iter()
        .filter(|c| c.inputs[0].dtype() == DType::F32)
        .collect();
    assert!(f32_cases.len() >= 30, "{} f32 conv cases", f32_cases.len());
    for case in f32_cases {
        let (Some(gos), Some(grads)) = (&case.grad_outputs, &case.grads) else {
            panic!("{} has no gradients", case.name);
        };
        let float_grads: Vec<&Tensor> = grads.iter().flatten().collect();
        assert!(!float_grads.is_empty(), "{}", case.name);
        for t in gos.iter().flatten().chain(float_grads) {
            assert_eq!(t.dtype(), DType::F32, "{}", case.name);
        }
    }
}
