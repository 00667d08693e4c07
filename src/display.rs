//! PyTorch-style tensor printing.
//!
//! This module reproduces, character for character, what `repr(tensor)` prints in PyTorch
//! (`torch/_tensor_str.py`) with the default print options: `precision=4`, `threshold=1000`,
//! `edgeitems=3`, `linewidth=80`, `sci_mode=None`.
//!
//! It knows nothing about the rest of the crate: the caller hands over the values (already
//! converted from the tensor's dtype, in row-major order), the shape, and the suffixes to
//! append (`dtype=...`, `device=...`, `requires_grad=True`, `grad_fn=<...>`).
//!
//! The rules, in PyTorch's own order:
//!
//! - A single formatter is built for the whole tensor (from the printed elements only when the
//!   tensor is summarised) and fixes one column width, so every element is right-aligned.
//! - Floats print in *int mode* (`1.`, `-2.`) when every nonzero finite value is an integer,
//!   otherwise with 4 decimals; scientific notation (`1.0000e-05`) is chosen when the ratio of
//!   the largest to the smallest nonzero finite magnitude exceeds 1000, the largest exceeds
//!   1e8, or the smallest is below 1e-4. The width only counts nonzero finite values, so `nan`,
//!   `inf` and zeros never widen a column (and may stick out of it).
//! - Tensors of more than 1000 elements are summarised with `...`, keeping 3 items at each end
//!   of every dimension longer than 6.
//! - 1-D rows wrap to fit 80 columns; nested rows are indented under their opening bracket, and
//!   3-D and higher blocks are separated by blank lines.
//! - Suffixes go on the last line unless they would pass 80 columns, then on a new line indented
//!   under the data. PyTorch counts the last line two columns too long, so a line that would end
//!   at exactly column 80 (closing parenthesis included) already wraps.

/// Digits after the decimal point (PyTorch's `precision`).
const PRECISION: usize = 4;
/// Tensors with more elements than this are summarised (PyTorch's `threshold`).
const THRESHOLD: usize = 1000;
/// Items kept at each end of a summarised dimension (PyTorch's `edgeitems`).
const EDGEITEMS: usize = 3;
/// Target line width (PyTorch's `linewidth`).
const LINEWIDTH: usize = 80;
/// What every tensor's text starts with; its length is the base indentation.
const PREFIX: &str = "tensor(";

/// Values to print, already converted from the tensor's dtype, in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PrintValues {
    /// Floating-point dtypes (f16, bf16 and f32 values widened exactly to f64).
    Float(Vec<f64>),
    /// Integer dtypes (unsigned values must fit in i64).
    Int(Vec<i64>),
    /// The bool dtype.
    Bool(Vec<bool>),
}

impl PrintValues {
    /// Number of values held.
    fn len(&self) -> usize {
        match self {
            PrintValues::Float(v) => v.len(),
            PrintValues::Int(v) => v.len(),
            PrintValues::Bool(v) => v.len(),
        }
    }
}

/// Formats like PyTorch: `tensor([[1., 2.],\n        [3., 4.]])`, with `suffixes` (already
/// formatted, e.g. "dtype=f64", "device='cuda:0'", "requires_grad=True", "grad_fn=<AddBackward0>")
/// appended as `, dtype=f64` exactly where PyTorch puts them (after the data, and for an empty
/// tensor of more than one dim after `size=(0, 3)`).
///
/// PyTorch lists a `device=` suffix before `size=`, so the size goes after any leading
/// suffixes that start with `device=` and before the rest.
///
/// # Panics
///
/// Panics if the number of values differs from the product of `shape`.
pub(crate) fn format_tensor(values: &PrintValues, shape: &[usize], suffixes: &[String]) -> String {
    let numel: usize = shape.iter().product();
    assert_eq!(
        values.len(),
        numel,
        "display: {} values for shape {shape:?}",
        values.len()
    );
    let indent = PREFIX.len();
    if numel == 0 {
        let suffixes = with_size_suffix(shape, suffixes);
        return add_suffixes(format!("{PREFIX}[]"), &suffixes, indent);
    }
    let body = tensor_str(values, shape, indent);
    add_suffixes(format!("{PREFIX}{body}"), suffixes, indent)
}

/// The suffixes of an empty tensor: `size=(..)` is added unless the tensor is 1-D, placed
/// after any leading `device=` suffixes as PyTorch orders them.
fn with_size_suffix(shape: &[usize], suffixes: &[String]) -> Vec<String> {
    let mut all = suffixes.to_vec();
    if shape.len() != 1 {
        let at = suffixes
            .iter()
            .take_while(|s| s.starts_with("device="))
            .count();
        all.insert(at, format!("size={}", python_tuple(shape)));
    }
    all
}

/// Writes a shape the way Python writes a tuple: `(0, 3)`, `(0,)`, `()`.
fn python_tuple(shape: &[usize]) -> String {
    let items: Vec<String> = shape.iter().map(usize::to_string).collect();
    match items.len() {
        1 => format!("({},)", items[0]),
        _ => format!("({})", items.join(", ")),
    }
}

/// Appends the suffixes (PyTorch's `_add_suffixes`): each goes after `, ` on the current line,
/// or after `,\n` and `indent` spaces when the line would pass the line width.
fn add_suffixes(text: String, suffixes: &[String], indent: usize) -> String {
    // PyTorch's `len(s) - s.rfind("\n") + 1` counts two more than the last line's length
    // (`rfind` gives -1 when there is no newline); the quirk is kept on purpose.
    let mut last_line_len = match text.rfind('\n') {
        Some(pos) => text.len() - pos + 1,
        None => text.len() + 2,
    };
    let mut out = text;
    for suffix in suffixes {
        if last_line_len + suffix.len() + 2 > LINEWIDTH {
            out.push_str(",\n");
            out.push_str(&" ".repeat(indent));
            last_line_len = indent + suffix.len();
        } else {
            out.push_str(", ");
            last_line_len += suffix.len() + 2;
        }
        out.push_str(suffix);
    }
    out.push(')');
    out
}

/// The bracketed data of a non-empty tensor (PyTorch's `_tensor_str`).
fn tensor_str(values: &PrintValues, shape: &[usize], indent: usize) -> String {
    let summarize = shape.iter().product::<usize>() > THRESHOLD;
    let printed = printed_indices(shape, summarize);
    let printer = Printer {
        values,
        formatter: Formatter::new(values, &printed),
        summarize,
    };
    printer.block(0, shape, indent)
}

/// The positions kept along a dimension of `len` items; `None` marks the `...` gap.
fn kept_positions(len: usize, summarize: bool) -> Vec<Option<usize>> {
    if summarize && len > 2 * EDGEITEMS {
        let head = (0..EDGEITEMS).map(Some);
        let tail = (len - EDGEITEMS..len).map(Some);
        head.chain(std::iter::once(None)).chain(tail).collect()
    } else {
        (0..len).map(Some).collect()
    }
}

/// Row-major flat indices of the elements that get printed (PyTorch's
/// `get_summarized_data`); all of them when the tensor is not summarised.
fn printed_indices(shape: &[usize], summarize: bool) -> Vec<usize> {
    let mut flat = vec![0];
    for &len in shape {
        let kept: Vec<usize> = kept_positions(len, summarize)
            .into_iter()
            .flatten()
            .collect();
        flat = flat
            .iter()
            .flat_map(|&base| kept.iter().map(move |&i| base * len + i))
            .collect();
    }
    flat
}

/// Walks the tensor and lays out its elements with one shared formatter.
struct Printer<'a> {
    /// All values of the tensor, row-major.
    values: &'a PrintValues,
    /// The formatter that fixes the mode and column width for every element.
    formatter: Formatter,
    /// Whether long dimensions are cut down to their edges with `...`.
    summarize: bool,
}

impl Printer<'_> {
    /// The sub-tensor starting at flat index `offset` with the given `shape`, its continuation
    /// lines indented by `indent` + 1 (PyTorch's `_tensor_str_with_formatter`).
    fn block(&self, offset: usize, shape: &[usize], indent: usize) -> String {
        match shape {
            [] => self.formatter.format(self.values, offset),
            [len] => self.row(offset, *len, indent),
            [len, inner @ ..] => {
                let stride: usize = inner.iter().product();
                let slices: Vec<String> = kept_positions(*len, self.summarize)
                    .into_iter()
                    .map(|pos| match pos {
                        Some(i) => self.block(offset + i * stride, inner, indent + 1),
                        None => "...".to_string(),
                    })
                    .collect();
                let sep = format!(
                    ",{}{}",
                    "\n".repeat(shape.len() - 1),
                    " ".repeat(indent + 1)
                );
                format!("[{}]", slices.join(&sep))
            }
        }
    }

    /// A 1-D row of `len` elements starting at `offset`, wrapped so that each line holds as
    /// many `width + 2` wide elements as fit in the line width (PyTorch's `_vector_str`).
    fn row(&self, offset: usize, len: usize, indent: usize) -> String {
        let element_len = self.formatter.width + 2;
        let per_line = (LINEWIDTH.saturating_sub(indent) / element_len).max(1);
        let items: Vec<String> = kept_positions(len, self.summarize)
            .into_iter()
            .map(|pos| match pos {
                Some(i) => self.formatter.format(self.values, offset + i),
                None => " ...".to_string(),
            })
            .collect();
        let lines: Vec<String> = items.chunks(per_line).map(|line| line.join(", ")).collect();
        format!(
            "[{}]",
            lines.join(&format!(",\n{}", " ".repeat(indent + 1)))
        )
    }
}

/// How floating-point elements are written.
#[derive(Debug, Clone, Copy, PartialEq)]
enum FloatMode {
    /// Every nonzero finite value is an integer: `3.`, `-1.`.
    Int,
    /// Fixed point with `PRECISION` decimals: `0.5000`.
    Fixed,
    /// Scientific notation with `PRECISION` decimals: `1.0000e-05`.
    Sci,
}

/// The element formatter shared by a whole tensor (PyTorch's `_Formatter`).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Formatter {
    /// The float notation; `None` for integer and bool tensors.
    mode: Option<FloatMode>,
    /// Column width every element is right-aligned to (at least 1).
    width: usize,
}

impl Formatter {
    /// Builds the formatter from the elements at the flat indices `printed`.
    fn new(values: &PrintValues, printed: &[usize]) -> Formatter {
        match values {
            PrintValues::Float(v) => Formatter::for_floats(printed.iter().map(|&i| v[i])),
            PrintValues::Int(v) => Formatter::plain(printed.iter().map(|&i| v[i].to_string())),
            PrintValues::Bool(v) => Formatter::plain(printed.iter().map(|&i| bool_str(v[i]))),
        }
    }

    /// An integer or bool formatter: the width of the widest element text.
    fn plain<S: AsRef<str>>(texts: impl Iterator<Item = S>) -> Formatter {
        let width = texts.map(|s| s.as_ref().len()).fold(1, usize::max);
        Formatter { mode: None, width }
    }

    /// A float formatter: picks the mode and width from the nonzero finite values only.
    fn for_floats(values: impl Iterator<Item = f64>) -> Formatter {
        let nonzero: Vec<f64> = values.filter(|v| v.is_finite() && *v != 0.0).collect();
        let mode = float_mode(&nonzero);
        let width = nonzero
            .iter()
            .map(|&v| float_str(v, mode).len())
            .fold(1, usize::max);
        Formatter {
            mode: Some(mode),
            width,
        }
    }

    /// The element at flat index `index`, right-aligned to the column width.
    fn format(&self, values: &PrintValues, index: usize) -> String {
        let text = match (values, self.mode) {
            (PrintValues::Float(v), mode) => float_str(v[index], mode.unwrap_or(FloatMode::Int)),
            (PrintValues::Int(v), _) => v[index].to_string(),
            (PrintValues::Bool(v), _) => bool_str(v[index]).to_string(),
        };
        format!("{text:>width$}", width = self.width)
    }
}

/// Chooses the float notation from the nonzero finite values (int mode when there are none).
fn float_mode(nonzero: &[f64]) -> FloatMode {
    if nonzero.is_empty() {
        return FloatMode::Int;
    }
    let abs = nonzero.iter().map(|v| v.abs());
    let max = abs.clone().fold(f64::MIN, f64::max);
    let min = abs.fold(f64::MAX, f64::min);
    if max / min > 1000.0 || max > 1.0e8 || min < 1.0e-4 {
        FloatMode::Sci
    } else if nonzero.iter().all(|v| v.ceil() == *v) {
        FloatMode::Int
    } else {
        FloatMode::Fixed
    }
}

/// One float in the given notation, unpadded; non-finite values print as Python does
/// (`nan`, `inf`, `-inf`, with no `.` in int mode).
fn float_str(v: f64, mode: FloatMode) -> String {
    if v.is_nan() {
        return "nan".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    match mode {
        FloatMode::Int => format!("{v:.0}."),
        FloatMode::Fixed => format!("{v:.PRECISION$}"),
        FloatMode::Sci => sci_str(v),
    }
}

/// Scientific notation as Python's `{:.4e}` writes it: the exponent always has a sign and at
/// least two digits (`1.0000e-05`, `1.2346e+08`), unlike Rust's `1.0000e-5`.
fn sci_str(v: f64) -> String {
    let rust = format!("{v:.PRECISION$e}");
    let (mantissa, exp) = rust.split_once('e').expect("`{:e}` output has an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` exponent is an integer");
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
}

/// A bool as Python writes it.
fn bool_str(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// The suffixes PyTorch prints after the data: device, dtype (when not a default), and the
/// autograd state.
fn suffixes(t: &crate::Tensor) -> Vec<String> {
    use crate::DType;
    let mut out = Vec::new();
    if t.device() != crate::Device::Cpu {
        out.push(format!("device='{}'", t.device()));
    }
    let default = match t.dtype() {
        DType::F32 => true,
        DType::I64 | DType::Bool => t.numel() > 0,
        _ => false,
    };
    if !default {
        out.push(format!("dtype={}", t.dtype()));
    }
    if let Some(name) = t.grad_fn_name() {
        out.push(format!("grad_fn=<{name}>"));
    } else if t.requires_grad() {
        out.push("requires_grad=True".to_string());
    }
    out
}

/// The values of `t` in the form the formatter reads.
fn print_values(t: &crate::Tensor) -> PrintValues {
    let dtype = t.dtype();
    if dtype.is_float() {
        PrintValues::Float(t.to_vec::<f64>())
    } else if dtype == crate::DType::Bool {
        PrintValues::Bool(t.to_vec::<bool>())
    } else {
        PrintValues::Int(t.to_vec::<i64>())
    }
}

/// Prints as PyTorch's `repr`: `tensor([[1., 2.],\n        [3., 4.]])`.
///
/// ```
/// let a = firebrand::tensor!([[1.0, 2.0], [3.0, 4.0]]);
/// assert_eq!(a.to_string(), "tensor([[1., 2.],\n        [3., 4.]])");
/// let b = firebrand::tensor!([0.5, 1.0]).to_dtype(firebrand::DType::F64);
/// assert_eq!(b.to_string(), "tensor([0.5000, 1.0000], dtype=f64)");
/// ```
impl std::fmt::Display for crate::Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = format_tensor(&print_values(self), self.shape(), &suffixes(self));
        f.write_str(&text)
    }
}

#[cfg(test)]
mod tests {
    //! Expected strings are PyTorch's own `repr` output; regenerate them with
    //! `python3 tools/gen_display_cases.py --write src/display.rs && rustfmt src/display.rs`.

    use super::*;

    /// Formats `values` and compares with PyTorch's text.
    fn check(values: PrintValues, shape: &[usize], suffixes: &[&str], expected: &str) {
        let suffixes: Vec<String> = suffixes.iter().map(|s| s.to_string()).collect();
        assert_eq!(format_tensor(&values, shape, &suffixes), expected);
    }

    // BEGIN GENERATED CASES
    // Generated by tools/gen_display_cases.py from torch 2.15.0+cu132.

    /// `torch.tensor([1., 2., 3.])`
    #[test]
    fn f32_int_mode() {
        check(
            PrintValues::Float(vec![1.0, 2.0, 3.0]),
            &[3],
            &[],
            r"tensor([1., 2., 3.])",
        );
    }

    /// `torch.tensor([-1., 20., -300.])`
    #[test]
    fn f32_int_mode_negative() {
        check(
            PrintValues::Float(vec![-1.0, 20.0, -300.0]),
            &[3],
            &[],
            r"tensor([  -1.,   20., -300.])",
        );
    }

    /// `torch.tensor([[1., 2.], [3., 4.]])`
    #[test]
    fn f32_int_mode_2d() {
        check(
            PrintValues::Float(vec![1.0, 2.0, 3.0, 4.0]),
            &[2, 2],
            &[],
            r"tensor([[1., 2.],
        [3., 4.]])",
        );
    }

    /// `torch.tensor([1e8, 2e5])`
    #[test]
    fn f32_int_mode_1e8_boundary() {
        check(
            PrintValues::Float(vec![100000000.0, 200000.0]),
            &[2],
            &[],
            r"tensor([100000000.,    200000.])",
        );
    }

    /// `torch.tensor([0.5, 0.25, 0.1])`
    #[test]
    fn f32_fractional() {
        check(
            PrintValues::Float(vec![0.5, 0.25, 0.10000000149011612]),
            &[3],
            &[],
            r"tensor([0.5000, 0.2500, 0.1000])",
        );
    }

    /// `torch.tensor([[-1.5, 2.25], [3.125, -4.0625]])`
    #[test]
    fn f32_fractional_negative_2d() {
        check(
            PrintValues::Float(vec![-1.5, 2.25, 3.125, -4.0625]),
            &[2, 2],
            &[],
            r"tensor([[-1.5000,  2.2500],
        [ 3.1250, -4.0625]])",
        );
    }

    /// `torch.tensor([0.03125, 1.03125], dtype=torch.float64)`
    #[test]
    fn f64_round_half_even() {
        check(
            PrintValues::Float(vec![0.03125, 1.03125]),
            &[2],
            &["dtype=torch.float64"],
            r"tensor([0.0312, 1.0312], dtype=torch.float64)",
        );
    }

    /// `torch.tensor([0.123456789, -2.5], dtype=torch.float64)`
    #[test]
    fn f64_fractional_dtype_suffix() {
        check(
            PrintValues::Float(vec![0.123456789, -2.5]),
            &[2],
            &["dtype=torch.float64"],
            r"tensor([ 0.1235, -2.5000], dtype=torch.float64)",
        );
    }

    /// `torch.tensor([0.1, 0.2, -0.3], dtype=torch.float16)`
    #[test]
    fn f16_fractional() {
        check(
            PrintValues::Float(vec![0.0999755859375, 0.199951171875, -0.300048828125]),
            &[3],
            &["dtype=torch.float16"],
            r"tensor([ 0.1000,  0.2000, -0.3000], dtype=torch.float16)",
        );
    }

    /// `torch.tensor([1., 2.], dtype=torch.bfloat16)`
    #[test]
    fn bf16_int_mode() {
        check(
            PrintValues::Float(vec![1.0, 2.0]),
            &[2],
            &["dtype=torch.bfloat16"],
            r"tensor([1., 2.], dtype=torch.bfloat16)",
        );
    }

    /// `torch.tensor([1e-5, 1.])`
    #[test]
    fn sci_small() {
        check(
            PrintValues::Float(vec![9.999999747378752e-06, 1.0]),
            &[2],
            &[],
            r"tensor([1.0000e-05, 1.0000e+00])",
        );
    }

    /// `torch.tensor([1.23456e8, 2.0])`
    #[test]
    fn sci_large() {
        check(
            PrintValues::Float(vec![123456000.0, 2.0]),
            &[2],
            &[],
            r"tensor([1.2346e+08, 2.0000e+00])",
        );
    }

    /// `torch.tensor([1., 1001.])`
    #[test]
    fn sci_ratio_int_mode() {
        check(
            PrintValues::Float(vec![1.0, 1001.0]),
            &[2],
            &[],
            r"tensor([1.0000e+00, 1.0010e+03])",
        );
    }

    /// `torch.tensor([1e-100, 1e100], dtype=torch.float64)`
    #[test]
    fn sci_three_digit_exponent() {
        check(
            PrintValues::Float(vec![1e-100, 1e+100]),
            &[2],
            &["dtype=torch.float64"],
            r"tensor([1.0000e-100, 1.0000e+100], dtype=torch.float64)",
        );
    }

    /// `torch.tensor([[-1e-5, 3e3], [2.5, -7e9]])`
    #[test]
    fn sci_negative_2d() {
        check(
            PrintValues::Float(vec![-9.999999747378752e-06, 3000.0, 2.5, -7000000000.0]),
            &[2, 2],
            &[],
            r"tensor([[-1.0000e-05,  3.0000e+03],
        [ 2.5000e+00, -7.0000e+09]])",
        );
    }

    /// `torch.tensor([float('nan'), float('inf'), -float('inf'), 1.5])`
    #[test]
    fn nan_inf_fractional() {
        check(
            PrintValues::Float(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1.5]),
            &[4],
            &[],
            r"tensor([   nan,    inf,   -inf, 1.5000])",
        );
    }

    /// `torch.tensor([float('nan'), 1., -float('inf'), 100.])`
    #[test]
    fn nan_inf_int_mode() {
        check(
            PrintValues::Float(vec![f64::NAN, 1.0, f64::NEG_INFINITY, 100.0]),
            &[4],
            &[],
            r"tensor([ nan,   1., -inf, 100.])",
        );
    }

    /// `torch.tensor([float('nan'), float('inf'), 0.])`
    #[test]
    fn nan_inf_only() {
        check(
            PrintValues::Float(vec![f64::NAN, f64::INFINITY, 0.0]),
            &[3],
            &[],
            r"tensor([nan, inf, 0.])",
        );
    }

    /// `nan_grid()`
    #[test]
    fn nan_inf_sci_2d() {
        check(
            PrintValues::Float(vec![9.999999747378752e-06, f64::NAN, f64::INFINITY, 2.0]),
            &[2, 2],
            &[],
            r"tensor([[1.0000e-05,        nan],
        [       inf, 2.0000e+00]])",
        );
    }

    /// `torch.zeros(2, 3)`
    #[test]
    fn all_zeros() {
        check(
            PrintValues::Float(vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
            &[2, 3],
            &[],
            r"tensor([[0., 0., 0.],
        [0., 0., 0.]])",
        );
    }

    /// `torch.tensor([-0., 0.])`
    #[test]
    fn negative_zero_int_mode() {
        check(
            PrintValues::Float(vec![-0.0, 0.0]),
            &[2],
            &[],
            r"tensor([-0., 0.])",
        );
    }

    /// `torch.tensor([-0., 1.5])`
    #[test]
    fn negative_zero_fractional() {
        check(
            PrintValues::Float(vec![-0.0, 1.5]),
            &[2],
            &[],
            r"tensor([-0.0000, 1.5000])",
        );
    }

    /// `torch.tensor([-0., 1e-5])`
    #[test]
    fn negative_zero_sci() {
        check(
            PrintValues::Float(vec![-0.0, 9.999999747378752e-06]),
            &[2],
            &[],
            r"tensor([-0.0000e+00, 1.0000e-05])",
        );
    }

    /// `torch.tensor([1, -20, 300])`
    #[test]
    fn int64() {
        check(
            PrintValues::Int(vec![1, -20, 300]),
            &[3],
            &[],
            r"tensor([  1, -20, 300])",
        );
    }

    /// `torch.tensor([[-1, 20], [300, -4000]])`
    #[test]
    fn int64_2d_negative() {
        check(
            PrintValues::Int(vec![-1, 20, 300, -4000]),
            &[2, 2],
            &[],
            r"tensor([[   -1,    20],
        [  300, -4000]])",
        );
    }

    /// `torch.tensor([5, -6], dtype=torch.int32)`
    #[test]
    fn int32_dtype_suffix() {
        check(
            PrintValues::Int(vec![5, -6]),
            &[2],
            &["dtype=torch.int32"],
            r"tensor([ 5, -6], dtype=torch.int32)",
        );
    }

    /// `torch.tensor([0, 255], dtype=torch.uint8)`
    #[test]
    fn uint8_dtype_suffix() {
        check(
            PrintValues::Int(vec![0, 255]),
            &[2],
            &["dtype=torch.uint8"],
            r"tensor([  0, 255], dtype=torch.uint8)",
        );
    }

    /// `torch.tensor([True, False, True])`
    #[test]
    fn bool_1d() {
        check(
            PrintValues::Bool(vec![true, false, true]),
            &[3],
            &[],
            r"tensor([ True, False,  True])",
        );
    }

    /// `torch.tensor([[True], [False]])`
    #[test]
    fn bool_2d() {
        check(
            PrintValues::Bool(vec![true, false]),
            &[2, 1],
            &[],
            r"tensor([[ True],
        [False]])",
        );
    }

    /// `torch.tensor(3.5)`
    #[test]
    fn scalar_f32_fractional() {
        check(PrintValues::Float(vec![3.5]), &[], &[], r"tensor(3.5000)");
    }

    /// `torch.tensor(-2.)`
    #[test]
    fn scalar_f32_int_mode() {
        check(PrintValues::Float(vec![-2.0]), &[], &[], r"tensor(-2.)");
    }

    /// `torch.tensor(1e-5)`
    #[test]
    fn scalar_f32_sci() {
        check(
            PrintValues::Float(vec![9.999999747378752e-06]),
            &[],
            &[],
            r"tensor(1.0000e-05)",
        );
    }

    /// `torch.tensor(float('nan'))`
    #[test]
    fn scalar_nan() {
        check(PrintValues::Float(vec![f64::NAN]), &[], &[], r"tensor(nan)");
    }

    /// `torch.tensor(-0.)`
    #[test]
    fn scalar_negative_zero() {
        check(PrintValues::Float(vec![-0.0]), &[], &[], r"tensor(-0.)");
    }

    /// `torch.tensor(2., dtype=torch.float64)`
    #[test]
    fn scalar_f64() {
        check(
            PrintValues::Float(vec![2.0]),
            &[],
            &["dtype=torch.float64"],
            r"tensor(2., dtype=torch.float64)",
        );
    }

    /// `torch.tensor(7)`
    #[test]
    fn scalar_int() {
        check(PrintValues::Int(vec![7]), &[], &[], r"tensor(7)");
    }

    /// `torch.tensor(-7, dtype=torch.int16)`
    #[test]
    fn scalar_int16() {
        check(
            PrintValues::Int(vec![-7]),
            &[],
            &["dtype=torch.int16"],
            r"tensor(-7, dtype=torch.int16)",
        );
    }

    /// `torch.tensor(True)`
    #[test]
    fn scalar_bool() {
        check(PrintValues::Bool(vec![true]), &[], &[], r"tensor(True)");
    }

    /// `torch.zeros(0)`
    #[test]
    fn empty_1d() {
        check(PrintValues::Float(vec![]), &[0], &[], r"tensor([])");
    }

    /// `torch.zeros(0, dtype=torch.float64)`
    #[test]
    fn empty_1d_f64() {
        check(
            PrintValues::Float(vec![]),
            &[0],
            &["dtype=torch.float64"],
            r"tensor([], dtype=torch.float64)",
        );
    }

    /// `torch.zeros(0, dtype=torch.int64)`
    #[test]
    fn empty_1d_int64() {
        check(
            PrintValues::Int(vec![]),
            &[0],
            &["dtype=torch.int64"],
            r"tensor([], dtype=torch.int64)",
        );
    }

    /// `torch.zeros(0, 3)`
    #[test]
    fn empty_2d() {
        check(
            PrintValues::Float(vec![]),
            &[0, 3],
            &[],
            r"tensor([], size=(0, 3))",
        );
    }

    /// `torch.zeros(0, 3, dtype=torch.int64)`
    #[test]
    fn empty_2d_int64() {
        check(
            PrintValues::Int(vec![]),
            &[0, 3],
            &["dtype=torch.int64"],
            r"tensor([], size=(0, 3), dtype=torch.int64)",
        );
    }

    /// `torch.zeros(2, 0, 4, dtype=torch.bool)`
    #[test]
    fn empty_3d_bool() {
        check(
            PrintValues::Bool(vec![]),
            &[2, 0, 4],
            &["dtype=torch.bool"],
            r"tensor([], size=(2, 0, 4), dtype=torch.bool)",
        );
    }

    /// `torch.zeros(2, 0, requires_grad=True)`
    #[test]
    fn empty_requires_grad() {
        check(
            PrintValues::Float(vec![]),
            &[2, 0],
            &["requires_grad=True"],
            r"tensor([], size=(2, 0), requires_grad=True)",
        );
    }

    /// `torch.arange(24.).reshape(2, 3, 4)`
    #[test]
    fn nested_3d() {
        check(
            PrintValues::Float(vec![
                0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0,
                15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0,
            ]),
            &[2, 3, 4],
            &[],
            r"tensor([[[ 0.,  1.,  2.,  3.],
         [ 4.,  5.,  6.,  7.],
         [ 8.,  9., 10., 11.]],

        [[12., 13., 14., 15.],
         [16., 17., 18., 19.],
         [20., 21., 22., 23.]]])",
        );
    }

    /// `torch.arange(16).reshape(2, 2, 2, 2)`
    #[test]
    fn nested_4d_int() {
        check(
            PrintValues::Int(vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]),
            &[2, 2, 2, 2],
            &[],
            r"tensor([[[[ 0,  1],
          [ 2,  3]],

         [[ 4,  5],
          [ 6,  7]]],


        [[[ 8,  9],
          [10, 11]],

         [[12, 13],
          [14, 15]]]])",
        );
    }

    /// `torch.arange(12.).reshape(3, 2, 2) / 4`
    #[test]
    fn nested_3d_fractional() {
        check(
            PrintValues::Float(vec![
                0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 2.75,
            ]),
            &[3, 2, 2],
            &[],
            r"tensor([[[0.0000, 0.2500],
         [0.5000, 0.7500]],

        [[1.0000, 1.2500],
         [1.5000, 1.7500]],

        [[2.0000, 2.2500],
         [2.5000, 2.7500]]])",
        );
    }

    /// `torch.arange(30.)`
    #[test]
    fn wrap_1d_int_mode() {
        check(
            PrintValues::Float(vec![
                0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0,
                15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0,
                29.0,
            ]),
            &[30],
            &[],
            r"tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,
        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,
        28., 29.])",
        );
    }

    /// `torch.linspace(0, 1, 25)`
    #[test]
    fn wrap_1d_fractional() {
        check(
            PrintValues::Float(vec![
                0.0,
                0.0416666679084301,
                0.0833333358168602,
                0.125,
                0.1666666716337204,
                0.2083333432674408,
                0.25,
                0.2916666865348816,
                0.3333333432674408,
                0.375,
                0.4166666865348816,
                0.4583333432674408,
                0.5,
                0.5416666269302368,
                0.5833333134651184,
                0.625,
                0.6666666269302368,
                0.7083333134651184,
                0.75,
                0.7916666865348816,
                0.8333333134651184,
                0.875,
                0.9166666865348816,
                0.9583333134651184,
                1.0,
            ]),
            &[25],
            &[],
            r"tensor([0.0000, 0.0417, 0.0833, 0.1250, 0.1667, 0.2083, 0.2500, 0.2917, 0.3333,
        0.3750, 0.4167, 0.4583, 0.5000, 0.5417, 0.5833, 0.6250, 0.6667, 0.7083,
        0.7500, 0.7917, 0.8333, 0.8750, 0.9167, 0.9583, 1.0000])",
        );
    }

    /// `torch.arange(40) * 1000`
    #[test]
    fn wrap_1d_int64() {
        check(
            PrintValues::Int(vec![
                0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 11000, 12000,
                13000, 14000, 15000, 16000, 17000, 18000, 19000, 20000, 21000, 22000, 23000, 24000,
                25000, 26000, 27000, 28000, 29000, 30000, 31000, 32000, 33000, 34000, 35000, 36000,
                37000, 38000, 39000,
            ]),
            &[40],
            &[],
            r"tensor([    0,  1000,  2000,  3000,  4000,  5000,  6000,  7000,  8000,  9000,
        10000, 11000, 12000, 13000, 14000, 15000, 16000, 17000, 18000, 19000,
        20000, 21000, 22000, 23000, 24000, 25000, 26000, 27000, 28000, 29000,
        30000, 31000, 32000, 33000, 34000, 35000, 36000, 37000, 38000, 39000])",
        );
    }

    /// `torch.arange(40.).reshape(2, 20) / 7`
    #[test]
    fn wrap_2d_rows() {
        check(
            PrintValues::Float((0..40u8).map(|i| f64::from(f32::from(i) / 7.0)).collect()),
            &[2, 20],
            &[],
            r"tensor([[0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,
         1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,
         2.5714, 2.7143],
        [2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143, 3.8571, 4.0000,
         4.1429, 4.2857, 4.4286, 4.5714, 4.7143, 4.8571, 5.0000, 5.1429, 5.2857,
         5.4286, 5.5714]])",
        );
    }

    /// `torch.arange(60.).reshape(2, 2, 15) / 7`
    #[test]
    fn wrap_3d_rows() {
        check(
            PrintValues::Float((0..60u8).map(|i| f64::from(f32::from(i) / 7.0)).collect()),
            &[2, 2, 15],
            &[],
            r"tensor([[[0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000,
          1.1429, 1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000],
         [2.1429, 2.2857, 2.4286, 2.5714, 2.7143, 2.8571, 3.0000, 3.1429,
          3.2857, 3.4286, 3.5714, 3.7143, 3.8571, 4.0000, 4.1429]],

        [[4.2857, 4.4286, 4.5714, 4.7143, 4.8571, 5.0000, 5.1429, 5.2857,
          5.4286, 5.5714, 5.7143, 5.8571, 6.0000, 6.1429, 6.2857],
         [6.4286, 6.5714, 6.7143, 6.8571, 7.0000, 7.1429, 7.2857, 7.4286,
          7.5714, 7.7143, 7.8571, 8.0000, 8.1429, 8.2857, 8.4286]]])",
        );
    }

    /// `torch.arange(30) % 3 == 0`
    #[test]
    fn wrap_1d_bool() {
        check(
            PrintValues::Bool(vec![
                true, false, false, true, false, false, true, false, false, true, false, false,
                true, false, false, true, false, false, true, false, false, true, false, false,
                true, false, false, true, false, false,
            ]),
            &[30],
            &[],
            r"tensor([ True, False, False,  True, False, False,  True, False, False,  True,
        False, False,  True, False, False,  True, False, False,  True, False,
        False,  True, False, False,  True, False, False,  True, False, False])",
        );
    }

    /// `torch.arange(10000, dtype=torch.float32).reshape(100, 100) / 3`
    #[test]
    fn summarized_2d_100x100() {
        check(
            PrintValues::Float(
                (0..10000u16)
                    .map(|i| f64::from(f32::from(i) / 3.0))
                    .collect(),
            ),
            &[100, 100],
            &[],
            r"tensor([[0.0000e+00, 3.3333e-01, 6.6667e-01,  ..., 3.2333e+01, 3.2667e+01,
         3.3000e+01],
        [3.3333e+01, 3.3667e+01, 3.4000e+01,  ..., 6.5667e+01, 6.6000e+01,
         6.6333e+01],
        [6.6667e+01, 6.7000e+01, 6.7333e+01,  ..., 9.9000e+01, 9.9333e+01,
         9.9667e+01],
        ...,
        [3.2333e+03, 3.2337e+03, 3.2340e+03,  ..., 3.2657e+03, 3.2660e+03,
         3.2663e+03],
        [3.2667e+03, 3.2670e+03, 3.2673e+03,  ..., 3.2990e+03, 3.2993e+03,
         3.2997e+03],
        [3.3000e+03, 3.3003e+03, 3.3007e+03,  ..., 3.3323e+03, 3.3327e+03,
         3.3330e+03]])",
        );
    }

    /// `torch.arange(10000.).reshape(100, 100)`
    #[test]
    fn summarized_2d_100x100_int_mode() {
        check(
            PrintValues::Float((0..10000).map(f64::from).collect()),
            &[100, 100],
            &[],
            r"tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 9.7000e+01, 9.8000e+01,
         9.9000e+01],
        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.9700e+02, 1.9800e+02,
         1.9900e+02],
        [2.0000e+02, 2.0100e+02, 2.0200e+02,  ..., 2.9700e+02, 2.9800e+02,
         2.9900e+02],
        ...,
        [9.7000e+03, 9.7010e+03, 9.7020e+03,  ..., 9.7970e+03, 9.7980e+03,
         9.7990e+03],
        [9.8000e+03, 9.8010e+03, 9.8020e+03,  ..., 9.8970e+03, 9.8980e+03,
         9.8990e+03],
        [9.9000e+03, 9.9010e+03, 9.9020e+03,  ..., 9.9970e+03, 9.9980e+03,
         9.9990e+03]])",
        );
    }

    /// `torch.arange(2000)`
    #[test]
    fn summarized_1d_2000_int64() {
        check(
            PrintValues::Int((0..2000).collect()),
            &[2000],
            &[],
            r"tensor([   0,    1,    2,  ..., 1997, 1998, 1999])",
        );
    }

    /// `torch.arange(2000, dtype=torch.float64) / 8`
    #[test]
    fn summarized_1d_2000_fractional() {
        check(
            PrintValues::Float((0..2000).map(|i| f64::from(i) / 8.0).collect()),
            &[2000],
            &["dtype=torch.float64"],
            r"tensor([0.0000e+00, 1.2500e-01, 2.5000e-01,  ..., 2.4962e+02, 2.4975e+02,
        2.4988e+02], dtype=torch.float64)",
        );
    }

    /// `mid_spike(2000, 1e10, torch.float32)`
    #[test]
    fn summarized_1d_width_from_edges_only() {
        check(
            PrintValues::Float(
                (0..2000)
                    .map(|i| if i == 1000 { 1e10 } else { f64::from(i) })
                    .collect(),
            ),
            &[2000],
            &[],
            r"tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,
        1.9990e+03])",
        );
    }

    /// `mid_spike(2000, 10**12, torch.int64)`
    #[test]
    fn summarized_1d_int_width_from_edges_only() {
        check(
            PrintValues::Int(
                (0..2000)
                    .map(|i| if i == 1000 { 1_000_000_000_000 } else { i })
                    .collect(),
            ),
            &[2000],
            &[],
            r"tensor([   0,    1,    2,  ..., 1997, 1998, 1999])",
        );
    }

    /// `torch.arange(2000.).reshape(10, 10, 20)`
    #[test]
    fn summarized_3d() {
        check(
            PrintValues::Float((0..2000).map(f64::from).collect()),
            &[10, 10, 20],
            &[],
            r"tensor([[[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.7000e+01,
          1.8000e+01, 1.9000e+01],
         [2.0000e+01, 2.1000e+01, 2.2000e+01,  ..., 3.7000e+01,
          3.8000e+01, 3.9000e+01],
         [4.0000e+01, 4.1000e+01, 4.2000e+01,  ..., 5.7000e+01,
          5.8000e+01, 5.9000e+01],
         ...,
         [1.4000e+02, 1.4100e+02, 1.4200e+02,  ..., 1.5700e+02,
          1.5800e+02, 1.5900e+02],
         [1.6000e+02, 1.6100e+02, 1.6200e+02,  ..., 1.7700e+02,
          1.7800e+02, 1.7900e+02],
         [1.8000e+02, 1.8100e+02, 1.8200e+02,  ..., 1.9700e+02,
          1.9800e+02, 1.9900e+02]],

        [[2.0000e+02, 2.0100e+02, 2.0200e+02,  ..., 2.1700e+02,
          2.1800e+02, 2.1900e+02],
         [2.2000e+02, 2.2100e+02, 2.2200e+02,  ..., 2.3700e+02,
          2.3800e+02, 2.3900e+02],
         [2.4000e+02, 2.4100e+02, 2.4200e+02,  ..., 2.5700e+02,
          2.5800e+02, 2.5900e+02],
         ...,
         [3.4000e+02, 3.4100e+02, 3.4200e+02,  ..., 3.5700e+02,
          3.5800e+02, 3.5900e+02],
         [3.6000e+02, 3.6100e+02, 3.6200e+02,  ..., 3.7700e+02,
          3.7800e+02, 3.7900e+02],
         [3.8000e+02, 3.8100e+02, 3.8200e+02,  ..., 3.9700e+02,
          3.9800e+02, 3.9900e+02]],

        [[4.0000e+02, 4.0100e+02, 4.0200e+02,  ..., 4.1700e+02,
          4.1800e+02, 4.1900e+02],
         [4.2000e+02, 4.2100e+02, 4.2200e+02,  ..., 4.3700e+02,
          4.3800e+02, 4.3900e+02],
         [4.4000e+02, 4.4100e+02, 4.4200e+02,  ..., 4.5700e+02,
          4.5800e+02, 4.5900e+02],
         ...,
         [5.4000e+02, 5.4100e+02, 5.4200e+02,  ..., 5.5700e+02,
          5.5800e+02, 5.5900e+02],
         [5.6000e+02, 5.6100e+02, 5.6200e+02,  ..., 5.7700e+02,
          5.7800e+02, 5.7900e+02],
         [5.8000e+02, 5.8100e+02, 5.8200e+02,  ..., 5.9700e+02,
          5.9800e+02, 5.9900e+02]],

        ...,

        [[1.4000e+03, 1.4010e+03, 1.4020e+03,  ..., 1.4170e+03,
          1.4180e+03, 1.4190e+03],
         [1.4200e+03, 1.4210e+03, 1.4220e+03,  ..., 1.4370e+03,
          1.4380e+03, 1.4390e+03],
         [1.4400e+03, 1.4410e+03, 1.4420e+03,  ..., 1.4570e+03,
          1.4580e+03, 1.4590e+03],
         ...,
         [1.5400e+03, 1.5410e+03, 1.5420e+03,  ..., 1.5570e+03,
          1.5580e+03, 1.5590e+03],
         [1.5600e+03, 1.5610e+03, 1.5620e+03,  ..., 1.5770e+03,
          1.5780e+03, 1.5790e+03],
         [1.5800e+03, 1.5810e+03, 1.5820e+03,  ..., 1.5970e+03,
          1.5980e+03, 1.5990e+03]],

        [[1.6000e+03, 1.6010e+03, 1.6020e+03,  ..., 1.6170e+03,
          1.6180e+03, 1.6190e+03],
         [1.6200e+03, 1.6210e+03, 1.6220e+03,  ..., 1.6370e+03,
          1.6380e+03, 1.6390e+03],
         [1.6400e+03, 1.6410e+03, 1.6420e+03,  ..., 1.6570e+03,
          1.6580e+03, 1.6590e+03],
         ...,
         [1.7400e+03, 1.7410e+03, 1.7420e+03,  ..., 1.7570e+03,
          1.7580e+03, 1.7590e+03],
         [1.7600e+03, 1.7610e+03, 1.7620e+03,  ..., 1.7770e+03,
          1.7780e+03, 1.7790e+03],
         [1.7800e+03, 1.7810e+03, 1.7820e+03,  ..., 1.7970e+03,
          1.7980e+03, 1.7990e+03]],

        [[1.8000e+03, 1.8010e+03, 1.8020e+03,  ..., 1.8170e+03,
          1.8180e+03, 1.8190e+03],
         [1.8200e+03, 1.8210e+03, 1.8220e+03,  ..., 1.8370e+03,
          1.8380e+03, 1.8390e+03],
         [1.8400e+03, 1.8410e+03, 1.8420e+03,  ..., 1.8570e+03,
          1.8580e+03, 1.8590e+03],
         ...,
         [1.9400e+03, 1.9410e+03, 1.9420e+03,  ..., 1.9570e+03,
          1.9580e+03, 1.9590e+03],
         [1.9600e+03, 1.9610e+03, 1.9620e+03,  ..., 1.9770e+03,
          1.9780e+03, 1.9790e+03],
         [1.9800e+03, 1.9810e+03, 1.9820e+03,  ..., 1.9970e+03,
          1.9980e+03, 1.9990e+03]]])",
        );
    }

    /// `torch.arange(2002).reshape(1001, 2) % 2 == 1`
    #[test]
    fn summarized_tall_2d_short_rows() {
        check(
            PrintValues::Bool((0..2002).map(|i| i % 2 == 1).collect()),
            &[1001, 2],
            &[],
            r"tensor([[False,  True],
        [False,  True],
        [False,  True],
        ...,
        [False,  True],
        [False,  True],
        [False,  True]])",
        );
    }

    /// `torch.tensor([1., 2.], requires_grad=True)`
    #[test]
    fn suffix_requires_grad() {
        check(
            PrintValues::Float(vec![1.0, 2.0]),
            &[2],
            &["requires_grad=True"],
            r"tensor([1., 2.], requires_grad=True)",
        );
    }

    /// `grad_tensor()`
    #[test]
    fn suffix_grad_fn() {
        check(
            PrintValues::Float(vec![2.0, 4.0]),
            &[2],
            &["grad_fn=<MulBackward0>"],
            r"tensor([2., 4.], grad_fn=<MulBackward0>)",
        );
    }

    /// `torch.tensor([[1.5], [2.]], dtype=torch.float64, requires_grad=True)`
    #[test]
    fn suffix_f64_requires_grad() {
        check(
            PrintValues::Float(vec![1.5, 2.0]),
            &[2, 1],
            &["dtype=torch.float64", "requires_grad=True"],
            r"tensor([[1.5000],
        [2.0000]], dtype=torch.float64, requires_grad=True)",
        );
    }

    /// `torch.full((7,), 1000., requires_grad=True)`
    #[test]
    fn suffix_fits_at_column_79() {
        check(
            PrintValues::Float(vec![1000.0, 1000.0, 1000.0, 1000.0, 1000.0, 1000.0, 1000.0]),
            &[7],
            &["requires_grad=True"],
            r"tensor([1000., 1000., 1000., 1000., 1000., 1000., 1000.], requires_grad=True)",
        );
    }

    /// `torch.ones(13, requires_grad=True)`
    #[test]
    fn suffix_wraps_at_column_80() {
        check(
            PrintValues::Float(vec![
                1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0,
            ]),
            &[13],
            &["requires_grad=True"],
            r"tensor([1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.],
       requires_grad=True)",
        );
    }

    /// `torch.arange(9, dtype=torch.float64) / 3`
    #[test]
    fn suffix_wraps_after_long_row() {
        check(
            PrintValues::Float((0..9u8).map(|i| f64::from(i) / 3.0).collect()),
            &[9],
            &["dtype=torch.float64"],
            r"tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667],
       dtype=torch.float64)",
        );
    }

    /// `torch.arange(9, dtype=torch.float64).requires_grad_() / 3`
    #[test]
    fn suffix_two_wrapped() {
        check(
            PrintValues::Float((0..9u8).map(|i| f64::from(i) / 3.0).collect()),
            &[9],
            &["dtype=torch.float64", "grad_fn=<DivBackward0>"],
            r"tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667],
       dtype=torch.float64, grad_fn=<DivBackward0>)",
        );
    }

    /// `torch.arange(40., dtype=torch.float64).reshape(2, 20) / 7`
    #[test]
    fn suffix_after_multiline() {
        check(
            PrintValues::Float((0..40u8).map(|i| f64::from(i) / 7.0).collect()),
            &[2, 20],
            &["dtype=torch.float64"],
            r"tensor([[0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,
         1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,
         2.5714, 2.7143],
        [2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143, 3.8571, 4.0000,
         4.1429, 4.2857, 4.4286, 4.5714, 4.7143, 4.8571, 5.0000, 5.1429, 5.2857,
         5.4286, 5.5714]], dtype=torch.float64)",
        );
    }

    /// `torch.tensor([1., 2.], requires_grad=True)`
    #[test]
    fn device_suffix() {
        check(
            PrintValues::Float(vec![1.0, 2.0]),
            &[2],
            &["device='cpu'", "requires_grad=True"],
            r"tensor([1., 2.], device='cpu', requires_grad=True)",
        );
    }

    /// `torch.zeros(0, 3, dtype=torch.int64)`
    #[test]
    fn device_suffix_empty() {
        check(
            PrintValues::Int(vec![]),
            &[0, 3],
            &["device='cpu'", "dtype=torch.int64"],
            r"tensor([], device='cpu', size=(0, 3), dtype=torch.int64)",
        );
    }
    // END GENERATED CASES
}
