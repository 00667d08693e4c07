#!/usr/bin/env python3
"""Generate the unit tests of src/display.rs from real PyTorch output.

Each case builds a tensor in PyTorch, takes ``repr(tensor)`` as the expected text, and emits
a Rust test that feeds the same values, shape and suffixes to ``display::format_tensor``.

Usage (needs torch; install it in a venv outside the repo):

    python3 tools/gen_display_cases.py                       # print the Rust tests
    python3 tools/gen_display_cases.py --write src/display.rs  # replace the generated block

``--write`` replaces the lines between the ``// BEGIN GENERATED CASES`` and
``// END GENERATED CASES`` markers inside the file's ``mod tests``. Run ``rustfmt`` after.

The suffixes handed to the Rust side are the ones PyTorch's ``_str_intern`` appends (device,
dtype, grad_fn / requires_grad); ``size=(..)`` of an empty tensor is left out, since
``format_tensor`` adds it itself. Small tensors pass their values as literals; big ones give a
Rust expression that computes the very same values (``big=``).
"""

import argparse
import math
import sys

import torch

BEGIN = "    // BEGIN GENERATED CASES"
END = "    // END GENERATED CASES"
DEFAULT_DEVICE = torch._C._get_default_device


def nan_grid():
    """A 2-D tensor mixing sci-mode values with nan and inf."""
    return torch.tensor([[1e-5, float("nan")], [float("inf"), 2.0]])


def mid_spike(n, spike, dtype):
    """arange(n) with one huge value in the middle, which summarisation hides."""
    t = torch.arange(n, dtype=dtype)
    t[n // 2] = spike
    return t


def grad_tensor():
    """A tensor with a grad_fn."""
    return torch.tensor([1.0, 2.0], requires_grad=True) * 2


# (name, python expression building the tensor, optional Rust expression for the values,
#  whether to print as if the default device were CUDA so that `device='cpu'` is shown)
CASES = [
    ("f32_int_mode", "torch.tensor([1., 2., 3.])", None),
    ("f32_int_mode_negative", "torch.tensor([-1., 20., -300.])", None),
    ("f32_int_mode_2d", "torch.tensor([[1., 2.], [3., 4.]])", None),
    ("f32_int_mode_1e8_boundary", "torch.tensor([1e8, 2e5])", None),
    ("f32_fractional", "torch.tensor([0.5, 0.25, 0.1])", None),
    ("f32_fractional_negative_2d", "torch.tensor([[-1.5, 2.25], [3.125, -4.0625]])", None),
    ("f64_round_half_even", "torch.tensor([0.03125, 1.03125], dtype=torch.float64)", None),
    ("f64_fractional_dtype_suffix", "torch.tensor([0.123456789, -2.5], dtype=torch.float64)", None),
    ("f16_fractional", "torch.tensor([0.1, 0.2, -0.3], dtype=torch.float16)", None),
    ("bf16_int_mode", "torch.tensor([1., 2.], dtype=torch.bfloat16)", None),
    ("sci_small", "torch.tensor([1e-5, 1.])", None),
    ("sci_large", "torch.tensor([1.23456e8, 2.0])", None),
    ("sci_ratio_int_mode", "torch.tensor([1., 1001.])", None),
    ("sci_three_digit_exponent", "torch.tensor([1e-100, 1e100], dtype=torch.float64)", None),
    ("sci_negative_2d", "torch.tensor([[-1e-5, 3e3], [2.5, -7e9]])", None),
    ("nan_inf_fractional", "torch.tensor([float('nan'), float('inf'), -float('inf'), 1.5])", None),
    ("nan_inf_int_mode", "torch.tensor([float('nan'), 1., -float('inf'), 100.])", None),
    ("nan_inf_only", "torch.tensor([float('nan'), float('inf'), 0.])", None),
    ("nan_inf_sci_2d", "nan_grid()", None),
    ("all_zeros", "torch.zeros(2, 3)", None),
    ("negative_zero_int_mode", "torch.tensor([-0., 0.])", None),
    ("negative_zero_fractional", "torch.tensor([-0., 1.5])", None),
    ("negative_zero_sci", "torch.tensor([-0., 1e-5])", None),
    ("int64", "torch.tensor([1, -20, 300])", None),
    ("int64_2d_negative", "torch.tensor([[-1, 20], [300, -4000]])", None),
    ("int32_dtype_suffix", "torch.tensor([5, -6], dtype=torch.int32)", None),
    ("uint8_dtype_suffix", "torch.tensor([0, 255], dtype=torch.uint8)", None),
    ("bool_1d", "torch.tensor([True, False, True])", None),
    ("bool_2d", "torch.tensor([[True], [False]])", None),
    ("scalar_f32_fractional", "torch.tensor(3.5)", None),
    ("scalar_f32_int_mode", "torch.tensor(-2.)", None),
    ("scalar_f32_sci", "torch.tensor(1e-5)", None),
    ("scalar_nan", "torch.tensor(float('nan'))", None),
    ("scalar_negative_zero", "torch.tensor(-0.)", None),
    ("scalar_f64", "torch.tensor(2., dtype=torch.float64)", None),
    ("scalar_int", "torch.tensor(7)", None),
    ("scalar_int16", "torch.tensor(-7, dtype=torch.int16)", None),
    ("scalar_bool", "torch.tensor(True)", None),
    ("empty_1d", "torch.zeros(0)", None),
    ("empty_1d_f64", "torch.zeros(0, dtype=torch.float64)", None),
    ("empty_1d_int64", "torch.zeros(0, dtype=torch.int64)", None),
    ("empty_2d", "torch.zeros(0, 3)", None),
    ("empty_2d_int64", "torch.zeros(0, 3, dtype=torch.int64)", None),
    ("empty_3d_bool", "torch.zeros(2, 0, 4, dtype=torch.bool)", None),
    ("empty_requires_grad", "torch.zeros(2, 0, requires_grad=True)", None),
    ("nested_3d", "torch.arange(24.).reshape(2, 3, 4)", None),
    ("nested_4d_int", "torch.arange(16).reshape(2, 2, 2, 2)", None),
    ("nested_3d_fractional", "torch.arange(12.).reshape(3, 2, 2) / 4", None),
    ("wrap_1d_int_mode", "torch.arange(30.)", None),
    ("wrap_1d_fractional", "torch.linspace(0, 1, 25)", None),
    ("wrap_1d_int64", "torch.arange(40) * 1000", None),
    (
        "wrap_2d_rows",
        "torch.arange(40.).reshape(2, 20) / 7",
        "(0..40u8).map(|i| f64::from(f32::from(i) / 7.0)).collect()",
    ),
    (
        "wrap_3d_rows",
        "torch.arange(60.).reshape(2, 2, 15) / 7",
        "(0..60u8).map(|i| f64::from(f32::from(i) / 7.0)).collect()",
    ),
    ("wrap_1d_bool", "torch.arange(30) % 3 == 0", None),
    (
        "summarized_2d_100x100",
        "torch.arange(10000, dtype=torch.float32).reshape(100, 100) / 3",
        "(0..10000u16).map(|i| f64::from(f32::from(i) / 3.0)).collect()",
    ),
    (
        "summarized_2d_100x100_int_mode",
        "torch.arange(10000.).reshape(100, 100)",
        "(0..10000).map(f64::from).collect()",
    ),
    (
        "summarized_1d_2000_int64",
        "torch.arange(2000)",
        "(0..2000).collect()",
    ),
    (
        "summarized_1d_2000_fractional",
        "torch.arange(2000, dtype=torch.float64) / 8",
        "(0..2000).map(|i| f64::from(i) / 8.0).collect()",
    ),
    (
        "summarized_1d_width_from_edges_only",
        "mid_spike(2000, 1e10, torch.float32)",
        "(0..2000).map(|i| if i == 1000 { 1e10 } else { f64::from(i) }).collect()",
    ),
    (
        "summarized_1d_int_width_from_edges_only",
        "mid_spike(2000, 10**12, torch.int64)",
        "(0..2000).map(|i| if i == 1000 { 1_000_000_000_000 } else { i }).collect()",
    ),
    (
        "summarized_3d",
        "torch.arange(2000.).reshape(10, 10, 20)",
        "(0..2000).map(f64::from).collect()",
    ),
    (
        "summarized_tall_2d_short_rows",
        "torch.arange(2002).reshape(1001, 2) % 2 == 1",
        "(0..2002).map(|i| i % 2 == 1).collect()",
    ),
    ("suffix_requires_grad", "torch.tensor([1., 2.], requires_grad=True)", None),
    ("suffix_grad_fn", "grad_tensor()", None),
    ("suffix_f64_requires_grad", "torch.tensor([[1.5], [2.]], dtype=torch.float64, requires_grad=True)", None),
    ("suffix_fits_at_column_79", "torch.full((7,), 1000., requires_grad=True)", None),
    ("suffix_wraps_at_column_80", "torch.ones(13, requires_grad=True)", None),
    (
        "suffix_wraps_after_long_row",
        "torch.arange(9, dtype=torch.float64) / 3",
        "(0..9u8).map(|i| f64::from(i) / 3.0).collect()",
    ),
    (
        "suffix_two_wrapped",
        "torch.arange(9, dtype=torch.float64).requires_grad_() / 3",
        "(0..9u8).map(|i| f64::from(i) / 3.0).collect()",
    ),
    (
        "suffix_after_multiline",
        "torch.arange(40., dtype=torch.float64).reshape(2, 20) / 7",
        "(0..40u8).map(|i| f64::from(i) / 7.0).collect()",
    ),
    ("device_suffix", "torch.tensor([1., 2.], requires_grad=True)", None, True),
    ("device_suffix_empty", "torch.zeros(0, 3, dtype=torch.int64)", None, True),
]


def rust_float(x):
    """A Rust f64 expression with exactly the value of Python float `x`."""
    if math.isnan(x):
        return "f64::NAN"
    if math.isinf(x):
        return "f64::INFINITY" if x > 0 else "f64::NEG_INFINITY"
    text = repr(x)
    return text if any(c in text for c in ".en") else text + ".0"


def rust_values(t, big):
    """The `PrintValues` expression for tensor `t`."""
    flat = t.detach().reshape(-1)
    if t.dtype == torch.bool:
        variant, items = "Bool", ["true" if v else "false" for v in flat.tolist()]
    elif t.dtype.is_floating_point:
        variant, items = "Float", [rust_float(v) for v in flat.double().tolist()]
    else:
        variant, items = "Int", [str(v) for v in flat.tolist()]
    if big is not None:
        return f"PrintValues::{variant}({big})"
    return f"PrintValues::{variant}(vec![{', '.join(items)}])"


def suffixes_of(t, show_device):
    """The suffixes PyTorch's `_str_intern` appends, except the empty tensor's `size=`."""
    out = [f"device='{t.device}'"] if show_device else []
    if t.numel() == 0:
        if t.dtype != torch.get_default_dtype():
            out.append(f"dtype={t.dtype}")
    elif t.dtype not in (torch.get_default_dtype(), torch.int64, torch.bool):
        out.append(f"dtype={t.dtype}")
    if t.grad_fn is not None:
        out.append(f"grad_fn=<{type(t.grad_fn).__name__}>")
    elif t.requires_grad:
        out.append("requires_grad=True")
    return out


def torch_repr(t, show_device):
    """PyTorch's own text; with `show_device`, as if the default device were CUDA."""
    torch._C._get_default_device = (lambda: "cuda") if show_device else DEFAULT_DEVICE
    try:
        return repr(t)
    finally:
        torch._C._get_default_device = DEFAULT_DEVICE


def rust_test(name, expr, big=None, show_device=False):
    """One `#[test]` function for a case."""
    t = eval(expr)  # noqa: S307 - the expressions are the constants above
    expected = torch_repr(t, show_device)
    assert '"' not in expected, expected
    shape = ", ".join(str(d) for d in t.shape)
    suffixes = ", ".join(f'"{s}"' for s in suffixes_of(t, show_device))
    return (
        f"    /// `{expr}`\n"
        f"    #[test]\n"
        f"    fn {name}() {{\n"
        f"        check(\n"
        f"            {rust_values(t, big)},\n"
        f"            &[{shape}],\n"
        f"            &[{suffixes}],\n"
        f'            r"{expected}",\n'
        f"        );\n"
        f"    }}\n"
    )


def generated_block():
    """All tests, between the markers."""
    tests = "\n".join(rust_test(*case) for case in CASES)
    header = "    // Generated by tools/gen_display_cases.py from torch " + torch.__version__ + ".\n"
    return f"{BEGIN}\n{header}\n{tests}{END}\n"


def write_into(path, block):
    """Replace the generated block of `path` with `block`."""
    text = open(path, encoding="utf-8").read()
    start = text.index(BEGIN)
    end = text.index(END) + len(END) + 1
    with open(path, "w", encoding="utf-8") as f:
        f.write(text[:start] + block + text[end:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", metavar="PATH", help="replace the generated block in PATH")
    args = parser.parse_args()
    block = generated_block()
    if args.write:
        write_into(args.write, block)
    else:
        sys.stdout.write(block)


if __name__ == "__main__":
    main()
