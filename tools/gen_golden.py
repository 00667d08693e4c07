#!/usr/bin/env python3
"""Write firebrand's golden-test fixtures (tests/golden/*.json) with PyTorch.

    python tools/gen_golden.py            # regenerate every fixture file
    python tools/gen_golden.py --check    # validate the files; recompute them with torch

Each case names a firebrand op ("op", the method name from DESIGN.md section 4) and its
arguments ("args", keyed by the Rust parameter names); the script runs exactly that op in
PyTorch through the OPS table below, so the recorded op/args are what produced the output.
The format and the op vocabulary are documented in tools/README.md; VOCAB below is the
machine-readable copy that --check enforces.

Random values come from a NumPy generator seeded per case (from SEED and the case's name),
so adding or removing a case never changes the values of another.
"""

import argparse
import json
import math
import pathlib
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F

SEED = 20240611
ROOT = pathlib.Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"

DTYPES = {
    "f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32, "f64": torch.float64,
    "i8": torch.int8, "i32": torch.int32, "i64": torch.int64, "u8": torch.uint8, "bool": torch.bool,
}
DTYPE_NAME = {v: k for k, v in DTYPES.items()}
FLOATS = {"f16", "bf16", "f32", "f64"}
INTS = {"i8", "i32", "i64", "u8"}
NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


# ---------------------------------------------------------------------------------------------
# Tensor encoding
# ---------------------------------------------------------------------------------------------

def enc_float(v):
    """A float as JSON: non-finite values become the strings "nan", "inf", "-inf"."""
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def dec_float(v):
    return NONFINITE[v] if isinstance(v, str) else float(v)


def encode(t):
    """{"dtype", "shape", "data"}: data flat, row-major. Float data is the exact value of each
    element (f16/bf16/f32 widened to f64, which is exact, then written shortest-round-trip)."""
    t = t.detach()
    name = DTYPE_NAME[t.dtype]  # KeyError on a dtype firebrand lacks (e.g. i16): fail loudly
    flat = t.contiguous().reshape(-1)
    if name in FLOATS:
        data = [enc_float(v) for v in flat.to(torch.float64).tolist()]
    elif name == "bool":
        data = [bool(v) for v in flat.tolist()]
    else:
        data = [int(v) for v in flat.tolist()]
    return {"dtype": name, "shape": list(t.shape), "data": data}


def decode(d):
    dt = DTYPES[d["dtype"]]
    if d["dtype"] in FLOATS:
        t = torch.tensor([dec_float(v) for v in d["data"]], dtype=torch.float64).to(dt)
    elif d["dtype"] == "bool":
        t = torch.tensor(d["data"], dtype=torch.bool)
    else:
        t = torch.tensor(d["data"], dtype=torch.int64).to(dt)
    return t.reshape(d["shape"])


# ---------------------------------------------------------------------------------------------
# Input makers (r is a numpy Generator)
# ---------------------------------------------------------------------------------------------

def T(values, dt="f64"):
    """A tensor from literal values."""
    arr = np.asarray(values, dtype=np.float64 if dt in FLOATS else None)
    if dt == "bool":
        return torch.from_numpy(np.asarray(values, dtype=bool))
    if dt in INTS:
        return torch.from_numpy(np.asarray(values, dtype=np.int64)).to(DTYPES[dt])
    return torch.from_numpy(arr).to(DTYPES[dt])


def U(r, shape, dt="f64", lo=-2.0, hi=2.0):
    """Uniform floats in [lo, hi) (continuous, so no ties in practice)."""
    return T(r.uniform(lo, hi, size=shape), dt)


def A(r, shape, dt="f64", lo=0.2, hi=2.0):
    """Floats with |x| in [lo, hi) and a random sign: away from 0 (kinks, poles)."""
    mag = r.uniform(lo, hi, size=shape)
    sign = np.where(r.random(size=shape) < 0.5, -1.0, 1.0)
    return T(mag * sign, dt)


def I(r, shape, dt="i64", lo=-5, hi=6):
    """Integers in [lo, hi)."""
    return T(r.integers(lo, hi, size=shape), dt)


def Bm(r, shape, p=0.5):
    """A random bool mask."""
    return T(r.random(size=shape) < p, "bool")


def G(r, shape, dt="f64"):
    """A random gradient (standard normal, drawn in f64 and rounded to dt)."""
    return T(r.standard_normal(size=shape), dt)


# ---------------------------------------------------------------------------------------------
# The op table: op name -> fn(args, *inputs). VOCAB: op name -> its args keys, per family.
# ---------------------------------------------------------------------------------------------

def _opt(v):
    return None if v is None else dec_float(v) if isinstance(v, (str, float)) else v


def _scalar(v):
    return dec_float(v) if isinstance(v, (str, float)) else v


def _prod_dims(x, dims, keepdim):
    # torch.prod takes one dim; reduce the dims one by one, highest first
    nd = max(x.dim(), 1)
    for d in sorted((d % nd for d in dims), reverse=True):
        x = torch.prod(x, dim=d, keepdim=keepdim)
    return x


OPS = {
    # unary
    "abs": lambda a, x: torch.abs(x),
    "neg": lambda a, x: torch.neg(x),
    "exp": lambda a, x: torch.exp(x),
    "log": lambda a, x: torch.log(x),
    "log1p": lambda a, x: torch.log1p(x),
    "expm1": lambda a, x: torch.expm1(x),
    "sqrt": lambda a, x: torch.sqrt(x),
    "rsqrt": lambda a, x: torch.rsqrt(x),
    "sin": lambda a, x: torch.sin(x),
    "cos": lambda a, x: torch.cos(x),
    "tan": lambda a, x: torch.tan(x),
    "tanh": lambda a, x: torch.tanh(x),
    "sigmoid": lambda a, x: torch.sigmoid(x),
    "relu": lambda a, x: torch.relu(x),
    "gelu": lambda a, x: F.gelu(x),
    "gelu_tanh": lambda a, x: F.gelu(x, approximate="tanh"),
    "silu": lambda a, x: F.silu(x),
    "softplus": lambda a, x: F.softplus(x),
    "erf": lambda a, x: torch.erf(x),
    "floor": lambda a, x: torch.floor(x),
    "ceil": lambda a, x: torch.ceil(x),
    "round": lambda a, x: torch.round(x),
    "sign": lambda a, x: torch.sign(x),
    "reciprocal": lambda a, x: torch.reciprocal(x),
    "square": lambda a, x: torch.square(x),
    "leaky_relu": lambda a, x: F.leaky_relu(x, a["negative_slope"]),
    "elu": lambda a, x: F.elu(x, a["alpha"]),
    "powf": lambda a, x: torch.pow(x, a["exponent"]),
    "clamp": lambda a, x: torch.clamp(x, min=_opt(a["min"]), max=_opt(a["max"])),
    # binary
    "add": lambda a, x, y: torch.add(x, y),
    "sub": lambda a, x, y: torch.sub(x, y),
    "mul": lambda a, x, y: torch.mul(x, y),
    "div": lambda a, x, y: torch.div(x, y),
    "pow": lambda a, x, y: torch.pow(x, y),
    "maximum": lambda a, x, y: torch.maximum(x, y),
    "minimum": lambda a, x, y: torch.minimum(x, y),
    "eq": lambda a, x, y: torch.eq(x, y),
    "ne": lambda a, x, y: torch.ne(x, y),
    "lt": lambda a, x, y: torch.lt(x, y),
    "le": lambda a, x, y: torch.le(x, y),
    "gt": lambda a, x, y: torch.gt(x, y),
    "ge": lambda a, x, y: torch.ge(x, y),
    "where_": lambda a, c, x, y: torch.where(c, x, y),
    "masked_fill": lambda a, x, m: x.masked_fill(m, _scalar(a["value"])),
    # reduce
    "sum": lambda a, x: torch.sum(x),
    "mean": lambda a, x: torch.mean(x),
    "max": lambda a, x: torch.max(x),
    "min": lambda a, x: torch.min(x),
    "prod": lambda a, x: torch.prod(x),
    "sum_dim": lambda a, x: torch.sum(x, dim=a["dims"], keepdim=a["keepdim"]),
    "mean_dim": lambda a, x: torch.mean(x, dim=a["dims"], keepdim=a["keepdim"]),
    "prod_dim": lambda a, x: _prod_dims(x, a["dims"], a["keepdim"]),
    "max_dim": lambda a, x: tuple(torch.max(x, dim=a["dim"], keepdim=a["keepdim"])),
    "min_dim": lambda a, x: tuple(torch.min(x, dim=a["dim"], keepdim=a["keepdim"])),
    "argmax": lambda a, x: torch.argmax(x, dim=a["dim"], keepdim=a["keepdim"]),
    "argmin": lambda a, x: torch.argmin(x, dim=a["dim"], keepdim=a["keepdim"]),
    "var_dim": lambda a, x: torch.var(x, dim=a["dims"], correction=1 if a["unbiased"] else 0,
                                      keepdim=a["keepdim"]),
    "std_dim": lambda a, x: torch.std(x, dim=a["dims"], correction=1 if a["unbiased"] else 0,
                                      keepdim=a["keepdim"]),
    "logsumexp": lambda a, x: torch.logsumexp(x, dim=a["dims"], keepdim=a["keepdim"]),
    "softmax": lambda a, x: torch.softmax(x, dim=a["dim"]),
    "log_softmax": lambda a, x: torch.log_softmax(x, dim=a["dim"]),
    "norm": lambda a, x: torch.linalg.vector_norm(x),
    "cumsum": lambda a, x: torch.cumsum(x, dim=a["dim"]),
    # shape
    "reshape": lambda a, x: x.reshape(a["shape"]),
    "transpose": lambda a, x: x.transpose(a["dim0"], a["dim1"]),
    "t": lambda a, x: x.t(),
    "permute": lambda a, x: x.permute(a["dims"]),
    "squeeze": lambda a, x: x.squeeze(a["dim"]),
    "unsqueeze": lambda a, x: x.unsqueeze(a["dim"]),
    "expand": lambda a, x: x.expand(a["shape"]),
    "narrow": lambda a, x: x.narrow(a["dim"], a["start"], a["length"]),
    "select": lambda a, x: x.select(a["dim"], a["index"]),
    "flatten": lambda a, x: x.flatten(a["start_dim"], a["end_dim"]),
    "flip": lambda a, x: x.flip(a["dims"]),
    "repeat": lambda a, x: x.repeat(a["repeats"]),
    "cat": lambda a, *xs: torch.cat(xs, dim=a["dim"]),
    "stack": lambda a, *xs: torch.stack(xs, dim=a["dim"]),
    "chunk": lambda a, x: tuple(x.chunk(a["chunks"], a["dim"])),
    "split": lambda a, x: tuple(x.split(a["split_size"], a["dim"])),
    "contiguous": lambda a, x: x.transpose(a["dim0"], a["dim1"]).contiguous(),
    # index
    "index_select": lambda a, x, i: torch.index_select(x, a["dim"], i),
    "gather": lambda a, x, i: torch.gather(x, a["dim"], i),
    "scatter": lambda a, x, i, s: torch.scatter(x, a["dim"], i, s),
    "scatter_add": lambda a, x, i, s: torch.scatter_add(x, a["dim"], i, s),
    # matmul
    "matmul": lambda a, x, y: torch.matmul(x, y),
    "mm": lambda a, x, y: torch.mm(x, y),
    "bmm": lambda a, x, y: torch.bmm(x, y),
    "dot": lambda a, x, y: torch.dot(x, y),
    "outer": lambda a, x, y: torch.outer(x, y),
    # conv (nn.functional; a stride of 0 in pooling means PyTorch's stride=None)
    "conv2d": lambda a, x, w, *b: F.conv2d(x, w, b[0] if b else None, a["stride"],
                                           a["padding"], a["dilation"], a["groups"]),
    "conv1d": lambda a, x, w, *b: F.conv1d(x, w, b[0] if b else None, a["stride"],
                                           a["padding"], a["dilation"], a["groups"]),
    "conv_transpose2d": lambda a, x, w, *b: F.conv_transpose2d(
        x, w, b[0] if b else None, a["stride"], a["padding"], a["output_padding"], a["groups"],
        a["dilation"]),
    "unfold": lambda a, x: F.unfold(x, a["kernel_size"], a["dilation"], a["padding"],
                                    a["stride"]),
    "fold": lambda a, x: F.fold(x, a["output_size"], a["kernel_size"], a["dilation"],
                                a["padding"], a["stride"]),
    "max_pool2d_with_indices": lambda a, x: F.max_pool2d(
        x, a["kernel_size"], a["stride"] or None, a["padding"], a["dilation"], a["ceil_mode"],
        return_indices=True),
    "avg_pool2d": lambda a, x: F.avg_pool2d(
        x, a["kernel_size"], a["stride"] or None, a["padding"], a["ceil_mode"],
        a["count_include_pad"], a["divisor_override"]),
    "adaptive_avg_pool2d": lambda a, x: F.adaptive_avg_pool2d(x, a["output_size"]),
}

VOCAB = {
    "unary": {
        **{op: [] for op in ["abs", "neg", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin",
                             "cos", "tan", "tanh", "sigmoid", "relu", "gelu", "gelu_tanh", "silu",
                             "softplus", "erf", "floor", "ceil", "round", "sign", "reciprocal",
                             "square"]},
        "leaky_relu": ["negative_slope"], "elu": ["alpha"], "powf": ["exponent"],
        "clamp": ["min", "max"],
    },
    "binary": {
        **{op: [] for op in ["add", "sub", "mul", "div", "pow", "maximum", "minimum",
                             "eq", "ne", "lt", "le", "gt", "ge", "where_"]},
        "masked_fill": ["value"],
    },
    "reduce": {
        **{op: [] for op in ["sum", "mean", "max", "min", "prod", "norm"]},
        "sum_dim": ["dims", "keepdim"], "mean_dim": ["dims", "keepdim"],
        "prod_dim": ["dims", "keepdim"],
        "max_dim": ["dim", "keepdim"], "min_dim": ["dim", "keepdim"],
        "argmax": ["dim", "keepdim"], "argmin": ["dim", "keepdim"],
        "var_dim": ["dims", "unbiased", "keepdim"], "std_dim": ["dims", "unbiased", "keepdim"],
        "logsumexp": ["dims", "keepdim"], "softmax": ["dim"], "log_softmax": ["dim"],
        "cumsum": ["dim"],
    },
    "shape": {
        "reshape": ["shape"], "transpose": ["dim0", "dim1"], "t": [], "permute": ["dims"],
        "squeeze": ["dim"], "unsqueeze": ["dim"], "expand": ["shape"],
        "narrow": ["dim", "start", "length"], "select": ["dim", "index"],
        "flatten": ["start_dim", "end_dim"], "flip": ["dims"], "repeat": ["repeats"],
        "cat": ["dim"], "stack": ["dim"], "chunk": ["chunks", "dim"],
        "split": ["split_size", "dim"], "contiguous": ["dim0", "dim1"],
    },
    "index": {"index_select": ["dim"], "gather": ["dim"], "scatter": ["dim"],
              "scatter_add": ["dim"]},
    "matmul": {op: [] for op in ["matmul", "mm", "bmm", "dot", "outer"]},
    "conv": {
        "conv2d": ["stride", "padding", "dilation", "groups"],
        "conv1d": ["stride", "padding", "dilation", "groups"],
        "conv_transpose2d": ["stride", "padding", "output_padding", "groups", "dilation"],
        "unfold": ["kernel_size", "dilation", "padding", "stride"],
        "fold": ["output_size", "kernel_size", "dilation", "padding", "stride"],
        "max_pool2d_with_indices": ["kernel_size", "stride", "padding", "dilation", "ceil_mode"],
        "avg_pool2d": ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                       "divisor_override"],
        "adaptive_avg_pool2d": ["output_size"],
    },
}

# Ops with no derivative: comparisons and index-valued results. Every other op gets grads
# (floor/ceil/round/sign included: PyTorch's gradient there is zero, and firebrand should agree).
NOT_DIFFERENTIABLE = {"eq", "ne", "lt", "le", "gt", "ge", "argmax", "argmin"}


# ---------------------------------------------------------------------------------------------
# Case builder
# ---------------------------------------------------------------------------------------------

def run_op(op, args, inputs):
    return OPS[op](args, *inputs)


class Family:
    def __init__(self, name, grad_dtypes=("f64",)):
        """grad_dtypes: the float dtypes whose cases get grads (all float inputs of one of
        them); f64 only by default."""
        self.name = name
        self.grad_dtypes = set(grad_dtypes)
        self.cases = []
        self.names = set()

    def add(self, name, op, args, make_inputs, grad=True):
        """One case: make_inputs(rng) -> list of input tensors. Grads are recorded when grad is
        true, the op is differentiable, every float input has one dtype of the family's
        grad_dtypes (f64 unless the family says otherwise) and some output is float."""
        assert name not in self.names, f"duplicate case name {name}"
        assert op in VOCAB[self.name], f"{op} is not in the {self.name} vocabulary"
        assert sorted(args) == sorted(VOCAB[self.name][op]), f"{name}: args {sorted(args)}"
        self.names.add(name)
        r = np.random.default_rng([SEED, zlib.crc32(f"{self.name}/{name}".encode())])
        inputs = make_inputs(r)
        case = {"name": name, "op": op, "args": args, "inputs": [encode(t) for t in inputs]}

        float_dts = [DTYPE_NAME[t.dtype] for t in inputs if t.is_floating_point()]
        want_grad = (grad and op not in NOT_DIFFERENTIABLE and float_dts
                     and len(set(float_dts)) == 1 and float_dts[0] in self.grad_dtypes)
        leaves = [t.detach().clone().requires_grad_(bool(want_grad and t.is_floating_point()))
                  for t in inputs]
        with torch.set_grad_enabled(bool(want_grad)):
            out = run_op(op, args, leaves)
        multi = isinstance(out, tuple)
        outs = list(out) if multi else [out]
        case["output"] = [encode(o) for o in outs] if multi else encode(out)

        if want_grad and any(o.is_floating_point() for o in outs):
            gos = [G(r, tuple(o.shape), DTYPE_NAME[o.dtype]) if o.is_floating_point() else None
                   for o in outs]
            pairs = [(o, g) for o, g in zip(outs, gos) if g is not None]
            wrt = [t for t in leaves if t.requires_grad]
            gs = torch.autograd.grad([o for o, _ in pairs], wrt, [g for _, g in pairs],
                                     allow_unused=True)
            gs = iter(gs)
            grads = []
            for t in leaves:
                if t.requires_grad:
                    g = next(gs)
                    grads.append(encode(torch.zeros_like(t) if g is None else g))
                else:
                    grads.append(None)
            case["grad_output"] = ([None if g is None else encode(g) for g in gos] if multi
                                   else encode(gos[0]))
            case["grads"] = grads
        self.cases.append(case)


# ---------------------------------------------------------------------------------------------
# Families
# ---------------------------------------------------------------------------------------------

def unary_cases():
    fam = Family("unary")
    pos = lambda r, s, dt: U(r, s, dt, 0.3, 3.0)
    any_ = lambda r, s, dt: U(r, s, dt, -2.0, 2.0)
    away = lambda r, s, dt: A(r, s, dt, 0.2, 2.0)
    # (suffix, op, args, input maker)
    table = [
        ("", "abs", {}, away), ("", "neg", {}, any_), ("", "exp", {}, any_),
        ("", "log", {}, pos), ("", "log1p", {}, lambda r, s, dt: U(r, s, dt, -0.5, 2.0)),
        ("", "expm1", {}, any_), ("", "sqrt", {}, pos), ("", "rsqrt", {}, pos),
        ("", "sin", {}, lambda r, s, dt: U(r, s, dt, -3.0, 3.0)),
        ("", "cos", {}, lambda r, s, dt: U(r, s, dt, -3.0, 3.0)),
        ("", "tan", {}, lambda r, s, dt: U(r, s, dt, -1.2, 1.2)),
        ("", "tanh", {}, any_), ("", "sigmoid", {}, lambda r, s, dt: U(r, s, dt, -4.0, 4.0)),
        ("", "relu", {}, away), ("", "gelu", {}, lambda r, s, dt: U(r, s, dt, -3.0, 3.0)),
        ("", "gelu_tanh", {}, lambda r, s, dt: U(r, s, dt, -3.0, 3.0)),
        ("", "silu", {}, lambda r, s, dt: U(r, s, dt, -3.0, 3.0)),
        ("", "softplus", {}, lambda r, s, dt: U(r, s, dt, -3.0, 3.0)),
        ("", "erf", {}, any_),
        ("", "floor", {}, lambda r, s, dt: U(r, s, dt, -3.0, 3.0)),
        ("", "ceil", {}, lambda r, s, dt: U(r, s, dt, -3.0, 3.0)),
        ("", "round", {}, lambda r, s, dt: U(r, s, dt, -3.0, 3.0)),
        ("", "sign", {}, away), ("", "reciprocal", {}, away), ("", "square", {}, any_),
        ("_s0.01", "leaky_relu", {"negative_slope": 0.01}, away),
        ("_s0.2", "leaky_relu", {"negative_slope": 0.2}, away),
        ("_a1", "elu", {"alpha": 1.0}, away),
        ("_a0.5", "elu", {"alpha": 0.5}, away),
        ("_e2", "powf", {"exponent": 2.0}, any_),
        ("_e3", "powf", {"exponent": 3.0}, any_),
        ("_e0.5", "powf", {"exponent": 0.5}, pos),
        ("_e2.5", "powf", {"exponent": 2.5}, pos),
        ("_e-1.5", "powf", {"exponent": -1.5}, pos),
        ("_e0", "powf", {"exponent": 0.0}, any_),
        # bounds chosen so no generated value sits on a bound (see the _at_bounds case)
        ("_both", "clamp", {"min": -0.5, "max": 0.7}, any_),
        ("_max", "clamp", {"min": None, "max": 0.3}, any_),
        ("_min", "clamp", {"min": -0.2, "max": None}, any_),
    ]
    for suffix, op, args, mk in table:
        fam.add(f"{op}{suffix}_f64", op, args, lambda r: [mk(r, (3, 4), "f64")])
        fam.add(f"{op}{suffix}_f32", op, args, lambda r: [mk(r, (2, 3, 4), "f32")])

    # other shapes: 0-d, 1-D, larger 3-D
    fam.add("exp_f64_0d", "exp", {}, lambda r: [U(r, (), "f64")])
    fam.add("sigmoid_f64_0d", "sigmoid", {}, lambda r: [U(r, (), "f64")])
    fam.add("tanh_f64_1d", "tanh", {}, lambda r: [U(r, (7,), "f64")])
    fam.add("gelu_f64_3d", "gelu", {}, lambda r: [U(r, (2, 3, 5), "f64", -3, 3)])
    fam.add("log_f32_1d", "log", {}, lambda r: [U(r, (9,), "f32", 0.1, 10.0)])

    # deliberate kinks at exactly 0 / on the clamp bounds (PyTorch's choice of subgradient)
    k = [-1.5, -0.0, 0.0, 0.5, 2.0]
    fam.add("relu_f64_at0", "relu", {}, lambda r: [T(k)])
    fam.add("abs_f64_at0", "abs", {}, lambda r: [T(k)])
    fam.add("leaky_relu_f64_at0", "leaky_relu", {"negative_slope": 0.1}, lambda r: [T(k)])
    fam.add("elu_f64_at0", "elu", {"alpha": 0.5}, lambda r: [T(k)])
    fam.add("clamp_f64_at_bounds", "clamp", {"min": -0.5, "max": 0.5},
            lambda r: [T([-1.0, -0.5, -0.25, 0.0, 0.5, 1.0])])
    fam.add("clamp_f64_min_gt_max", "clamp", {"min": 1.0, "max": 0.5},
            lambda r: [T([-1.0, 0.75, 2.0])])
    fam.add("round_f64_half_even", "round", {},
            lambda r: [T([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49, -0.51])])
    fam.add("round_f32_half_even", "round", {},
            lambda r: [T([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49, -0.51], "f32")])
    fam.add("softplus_f64_threshold", "softplus", {},
            lambda r: [T([-30.0, -1.0, 19.5, 20.0, 20.5, 25.0])])
    fam.add("sqrt_f64_at0", "sqrt", {}, lambda r: [T([0.0, 0.25, 4.0])])

    # special values (no grads)
    sp = [math.nan, math.inf, -math.inf, -0.0, 0.0, 1.0, -1.0]
    for op in ["exp", "log", "sqrt", "relu", "abs", "neg", "sigmoid", "tanh", "floor",
               "reciprocal", "square", "expm1", "log1p", "rsqrt"]:
        fam.add(f"{op}_f32_special", op, {}, lambda r: [T(sp, "f32")], grad=False)
    fam.add("exp_f64_special", "exp", {}, lambda r: [T(sp)], grad=False)
    fam.add("log_f64_special", "log", {}, lambda r: [T(sp)], grad=False)
    fam.add("clamp_f32_special", "clamp", {"min": -0.5, "max": 0.5}, lambda r: [T(sp, "f32")],
            grad=False)
    fam.add("exp_f32_overflow", "exp", {}, lambda r: [T([88.0, 89.0, -104.0, -110.0], "f32")])

    # integer dtypes: ops that keep the dtype
    for dt in ["i64", "i32", "i8"]:
        fam.add(f"abs_{dt}", "abs", {}, lambda r: [I(r, (3, 4), dt, -9, 10)])
        fam.add(f"neg_{dt}", "neg", {}, lambda r: [I(r, (3, 4), dt, -9, 10)])
        fam.add(f"sign_{dt}", "sign", {}, lambda r: [I(r, (3, 4), dt, -3, 4)])
        fam.add(f"square_{dt}", "square", {}, lambda r: [I(r, (3, 4), dt, -9, 10)])
    fam.add("abs_u8", "abs", {}, lambda r: [I(r, (6,), "u8", 0, 250)])
    fam.add("relu_i64", "relu", {}, lambda r: [I(r, (3, 4), "i64", -9, 10)])
    fam.add("floor_i64", "floor", {}, lambda r: [I(r, (5,), "i64", -9, 10)])
    fam.add("round_i32", "round", {}, lambda r: [I(r, (5,), "i32", -9, 10)])
    fam.add("clamp_i64", "clamp", {"min": -2, "max": 3}, lambda r: [I(r, (3, 4), "i64", -6, 7)])
    fam.add("clamp_i32_max", "clamp", {"min": None, "max": 0},
            lambda r: [I(r, (3, 4), "i32", -6, 7)])
    # integer input, float op: PyTorch computes in (and returns) the default float dtype, f32
    fam.add("exp_i64", "exp", {}, lambda r: [I(r, (5,), "i64", -3, 4)])
    fam.add("sqrt_i32", "sqrt", {}, lambda r: [I(r, (5,), "i32", 0, 10)])
    fam.add("sigmoid_i64", "sigmoid", {}, lambda r: [I(r, (5,), "i64", -3, 4)])
    fam.add("sin_bool", "sin", {}, lambda r: [Bm(r, (5,))])
    fam.add("powf_i64_e2", "powf", {"exponent": 2.0}, lambda r: [I(r, (5,), "i64", -4, 5)])

    # half precision: PyTorch computes each element in f32 and rounds the result to f16/bf16
    for dt in ["f16", "bf16"]:
        for op in ["exp", "sigmoid", "tanh", "gelu", "sqrt", "relu", "neg", "log"]:
            mk = (lambda r, s, d: U(r, s, d, 0.3, 3.0)) if op in ("sqrt", "log") else any_
            fam.add(f"{op}_{dt}", op, {}, lambda r: [mk(r, (3, 4), dt)])
    return fam


def binary_cases():
    fam = Family("binary")
    shapes = {"same": [(3, 4), (3, 4)], "bc_row": [(2, 3), (3,)], "bc_3d": [(4, 1, 3), (2, 1)],
              "bc_col": [(3, 1), (1, 4)], "scalar_rhs": [(2, 3), ()], "scalar_lhs": [(), (2, 3)],
              "scalar_both": [(), ()]}

    def mk(op, sa, sb, dt):
        def make(r):
            if op == "pow":
                return [U(r, sa, dt, 0.5, 2.0), U(r, sb, dt, -2.0, 2.0)]
            if op == "div":
                return [U(r, sa, dt), A(r, sb, dt, 0.5, 2.0)]
            return [U(r, sa, dt), U(r, sb, dt)]
        return make

    for op in ["add", "sub", "mul", "div", "pow", "maximum", "minimum"]:
        for tag in ["same", "bc_row", "bc_3d", "scalar_rhs", "scalar_lhs"]:
            fam.add(f"{op}_f64_{tag}", op, {}, mk(op, *shapes[tag], "f64"))
        for tag in ["same", "bc_3d"]:
            fam.add(f"{op}_f32_{tag}", op, {}, mk(op, *shapes[tag], "f32"))
    fam.add("add_f64_bc_col", "add", {}, mk("add", *shapes["bc_col"], "f64"))
    fam.add("mul_f64_bc_col", "mul", {}, mk("mul", *shapes["bc_col"], "f64"))
    fam.add("mul_f64_scalar_both", "mul", {}, mk("mul", *shapes["scalar_both"], "f64"))
    fam.add("div_f32_bc_row", "div", {}, mk("div", *shapes["bc_row"], "f32"))
    fam.add("sub_f64_bc_4d", "sub", {}, lambda r: [U(r, (2, 1, 3, 1)), U(r, (4, 1, 5))])

    # ties: maximum/minimum split the gradient evenly between equal operands
    tie = lambda r: [T([1.0, 2.0, -3.0, 0.5]), T([1.0, 1.0, -3.0, 0.7])]
    fam.add("maximum_f64_ties", "maximum", {}, tie)
    fam.add("minimum_f64_ties", "minimum", {}, tie)
    nan2 = lambda r: [T([math.nan, 1.0, 2.0, math.nan], "f32"),
                      T([1.0, math.nan, 0.5, math.nan], "f32")]
    fam.add("maximum_f32_nan", "maximum", {}, nan2, grad=False)
    fam.add("minimum_f32_nan", "minimum", {}, nan2, grad=False)
    fam.add("div_f32_by_zero", "div", {},
            lambda r: [T([1.0, -1.0, 0.0, 2.0], "f32"), T([0.0, 0.0, 0.0, -0.0], "f32")],
            grad=False)
    fam.add("pow_f64_int_exponents", "pow", {},
            lambda r: [T([-2.0, -1.5, 0.5, 3.0]), T([2.0, 3.0, 0.0, -1.0])], grad=False)

    # integer arithmetic
    for dt in ["i64", "i32", "i8"]:
        for op in ["add", "sub", "mul", "maximum", "minimum"]:
            fam.add(f"{op}_{dt}", op, {}, lambda r: [I(r, (3, 4), dt, -9, 10),
                                                      I(r, (4,), dt, -9, 10)])
    fam.add("add_u8", "add", {}, lambda r: [I(r, (3, 4), "u8", 0, 100), I(r, (4,), "u8", 0, 100)])
    fam.add("mul_u8", "mul", {}, lambda r: [I(r, (6,), "u8", 0, 15), I(r, (6,), "u8", 0, 15)])
    # i32 / i32 is true division: the result is f32
    fam.add("div_i32", "div", {}, lambda r: [I(r, (3, 4), "i32", -9, 10),
                                             T([[1, -2, 3, 4], [5, 7, -3, 2], [1, 1, 6, -4]], "i32")])
    fam.add("div_i64", "div", {}, lambda r: [I(r, (5,), "i64", -9, 10), T([2, -3, 4, 7, 1], "i64")])
    fam.add("div_i64_by_zero", "div", {}, lambda r: [T([1, -1, 0], "i64"), T([0, 0, 0], "i64")])
    fam.add("pow_i64", "pow", {}, lambda r: [I(r, (5,), "i64", -3, 4), T([0, 1, 2, 3, 4], "i64")])
    fam.add("pow_i32_bc", "pow", {}, lambda r: [I(r, (2, 3), "i32", -3, 4), T([2, 0, 3], "i32")])

    # type promotion (torch.result_type)
    P = [
        ("add_i64_f32", "add", lambda r: [I(r, (2, 3), "i64"), U(r, (2, 3), "f32")]),     # f32
        ("add_f32_i64", "add", lambda r: [U(r, (2, 3), "f32"), I(r, (3,), "i64")]),       # f32
        ("mul_i32_f64", "mul", lambda r: [I(r, (2, 3), "i32"), U(r, (2, 3), "f64")]),     # f64
        ("add_bool_i32", "add", lambda r: [Bm(r, (2, 3)), I(r, (2, 3), "i32")]),          # i32
        ("mul_bool_f32", "mul", lambda r: [Bm(r, (2, 3)), U(r, (2, 3), "f32")]),          # f32
        ("add_i32_i64", "add", lambda r: [I(r, (2, 3), "i32"), I(r, (2, 3), "i64")]),     # i64
        ("add_i8_i32", "add", lambda r: [I(r, (2, 3), "i8"), I(r, (3,), "i32")]),         # i32
        ("mul_u8_i64", "mul", lambda r: [I(r, (2, 3), "u8", 0, 9), I(r, (2, 3), "i64")]), # i64
        ("add_f16_f32", "add", lambda r: [U(r, (2, 3), "f16"), U(r, (2, 3), "f32")]),     # f32
        ("add_bf16_f16", "add", lambda r: [U(r, (2, 3), "bf16"), U(r, (2, 3), "f16")]),   # f32
        ("add_f32_f64", "add", lambda r: [U(r, (2, 3), "f32"), U(r, (2, 3), "f64")]),     # f64
        ("mul_f16_i64", "mul", lambda r: [U(r, (2, 3), "f16"), I(r, (2, 3), "i64")]),     # f16
        ("sub_bf16_i32", "sub", lambda r: [U(r, (2, 3), "bf16"), I(r, (3,), "i32")]),     # bf16
        ("div_i64_f16", "div", lambda r: [I(r, (4,), "i64"), A(r, (4,), "f16", 0.5, 2)]), # f16
        ("maximum_i32_f32", "maximum", lambda r: [I(r, (4,), "i32"), U(r, (4,), "f32")]),  # f32
        # a 0-d tensor of the same category does not widen a dimensioned one ...
        ("add_f32_0d_f64", "add", lambda r: [U(r, (2, 3), "f32"), U(r, (), "f64")]),      # f32
        ("mul_f16_0d_f64", "mul", lambda r: [U(r, (2, 3), "f16"), U(r, (), "f64")]),      # f16
        ("add_i32_0d_i64", "add", lambda r: [I(r, (2, 3), "i32"), I(r, (), "i64")]),      # i32
        # ... but a 0-d tensor of a higher category does, with its own dtype
        ("add_i64_0d_f64", "add", lambda r: [I(r, (2, 3), "i64"), U(r, (), "f64")]),      # f64
        ("add_i32_0d_f32", "add", lambda r: [I(r, (2, 3), "i32"), U(r, (), "f32")]),      # f32
        ("add_0d_f64_f32", "add", lambda r: [U(r, (), "f64"), U(r, (2, 3), "f32")]),      # f32
        ("add_0d_f64_0d_f32", "add", lambda r: [U(r, (), "f64"), U(r, (), "f32")]),       # f64
    ]
    for name, op, make in P:
        fam.add(name, op, {}, make)
    fam.add("add_f64_i64_grad", "add", {}, lambda r: [U(r, (2, 3)), I(r, (3,), "i64")])
    fam.add("mul_bool_f64_grad", "mul", {}, lambda r: [Bm(r, (2, 3)), U(r, (2, 3))])

    # half precision arithmetic: PyTorch computes in f32 and rounds once
    for dt in ["f16", "bf16"]:
        fam.add(f"add_{dt}", "add", {}, lambda r: [U(r, (3, 4), dt), U(r, (3, 4), dt)])
        fam.add(f"sub_{dt}_bc", "sub", {}, lambda r: [U(r, (3, 4), dt), U(r, (4,), dt)])
        fam.add(f"mul_{dt}", "mul", {}, lambda r: [U(r, (3, 4), dt), U(r, (3, 4), dt)])
        fam.add(f"div_{dt}", "div", {}, lambda r: [U(r, (3, 4), dt), A(r, (3, 4), dt, 0.5, 2)])
        fam.add(f"maximum_{dt}", "maximum", {}, lambda r: [U(r, (3, 4), dt), U(r, (3, 4), dt)])
        fam.add(f"pow_{dt}", "pow", {}, lambda r: [U(r, (3, 4), dt, 0.5, 2), U(r, (3, 4), dt)])

    # comparisons (-> bool); inputs share some values so eq/le/ge see equality
    def cmp_inputs(dt, sa, sb):
        def make(r):
            if dt in FLOATS:
                a, b = U(r, sa, dt), U(r, sb, dt)
            else:
                a, b = I(r, sa, dt, -3, 4), I(r, sb, dt, -3, 4)
            if sa == sb:
                eqm = T(r.random(size=sa) < 0.4, "bool")
                b = torch.where(eqm, a, b)
            return [a, b]
        return make
    for op in ["eq", "ne", "lt", "le", "gt", "ge"]:
        fam.add(f"{op}_f64", op, {}, cmp_inputs("f64", (3, 4), (3, 4)))
        fam.add(f"{op}_f32_bc", op, {}, cmp_inputs("f32", (2, 3, 4), (3, 1)))
        fam.add(f"{op}_i64", op, {}, cmp_inputs("i64", (3, 4), (3, 4)))
        fam.add(f"{op}_i32_f32", op, {},
                lambda r: [I(r, (5,), "i32", -2, 3), T([-2.0, -0.5, 0.0, 1.0, 2.5], "f32")])
    fam.add("eq_bool", "eq", {}, lambda r: [Bm(r, (6,)), Bm(r, (6,))])
    fam.add("lt_u8_i8", "lt", {}, lambda r: [I(r, (6,), "u8", 0, 5), I(r, (6,), "i8", -3, 4)])
    fam.add("eq_f32_nan", "eq", {}, lambda r: [T([math.nan, 1.0, math.inf], "f32"),
                                               T([math.nan, 1.0, math.inf], "f32")])
    fam.add("ne_f32_nan", "ne", {}, lambda r: [T([math.nan, 1.0, math.inf], "f32"),
                                               T([math.nan, 1.0, math.inf], "f32")])
    fam.add("lt_f16", "lt", {}, cmp_inputs("f16", (3, 4), (3, 4)))

    # where_(cond, a, b)
    fam.add("where__f64", "where_", {}, lambda r: [Bm(r, (3, 4)), U(r, (3, 4)), U(r, (3, 4))])
    fam.add("where__f64_bc", "where_", {}, lambda r: [Bm(r, (4,)), U(r, (3, 4)), U(r, ())])
    fam.add("where__f64_bc_cond", "where_", {},
            lambda r: [Bm(r, (2, 3, 1)), U(r, (3, 4)), U(r, (1, 4))])
    fam.add("where__f32", "where_", {}, lambda r: [Bm(r, (3, 4)), U(r, (3, 4), "f32"),
                                                   U(r, (3, 4), "f32")])
    fam.add("where__i64", "where_", {}, lambda r: [Bm(r, (3, 4)), I(r, (3, 4)), I(r, (4,))])
    fam.add("where__i64_f32", "where_", {}, lambda r: [Bm(r, (5,)), I(r, (5,)),
                                                       U(r, (5,), "f32")])
    # masked_fill(a, mask; value)
    fam.add("masked_fill_f64", "masked_fill", {"value": 0.0},
            lambda r: [U(r, (3, 4)), Bm(r, (3, 4))])
    fam.add("masked_fill_f64_bc", "masked_fill", {"value": -1.5},
            lambda r: [U(r, (2, 3, 4)), Bm(r, (3, 1))])
    fam.add("masked_fill_f32", "masked_fill", {"value": 2.5},
            lambda r: [U(r, (3, 4), "f32"), Bm(r, (4,))])
    fam.add("masked_fill_f32_neginf", "masked_fill", {"value": "-inf"},
            lambda r: [U(r, (3, 4), "f32"), Bm(r, (3, 4))])
    fam.add("masked_fill_i64", "masked_fill", {"value": 7},
            lambda r: [I(r, (3, 4)), Bm(r, (3, 4))])
    fam.add("masked_fill_bf16", "masked_fill", {"value": 0.1},
            lambda r: [U(r, (3, 4), "bf16"), Bm(r, (3, 4))])
    return fam


def reduce_cases():
    fam = Family("reduce")
    # all-element reductions -> 0-d
    for op in ["sum", "mean", "max", "min", "prod"]:
        lo, hi = (0.5, 1.5) if op == "prod" else (-2.0, 2.0)
        fam.add(f"{op}_f64", op, {}, lambda r: [U(r, (3, 4), "f64", lo, hi)])
        fam.add(f"{op}_f64_3d", op, {}, lambda r: [U(r, (2, 3, 2), "f64", lo, hi)])
        fam.add(f"{op}_f32", op, {}, lambda r: [U(r, (4, 5), "f32", lo, hi)])
        fam.add(f"{op}_f64_0d", op, {}, lambda r: [U(r, (), "f64", lo, hi)])
    fam.add("sum_f32_long", "sum", {}, lambda r: [U(r, (64,), "f32", 0.0, 1.0)])
    for dt in ["f16", "bf16"]:
        fam.add(f"sum_{dt}", "sum", {}, lambda r: [U(r, (8, 8), dt, 0.0, 2.0)])
        fam.add(f"mean_{dt}", "mean", {}, lambda r: [U(r, (4, 4), dt)])
        fam.add(f"max_{dt}", "max", {}, lambda r: [U(r, (4, 4), dt)])
        fam.add(f"prod_{dt}", "prod", {}, lambda r: [U(r, (6,), dt, 0.5, 1.5)])
        fam.add(f"sum_dim_{dt}", "sum_dim", {"dims": [0], "keepdim": False},
                lambda r: [U(r, (8, 3), dt)])
        fam.add(f"mean_dim_{dt}", "mean_dim", {"dims": [-1], "keepdim": True},
                lambda r: [U(r, (3, 8), dt)])
        fam.add(f"softmax_{dt}", "softmax", {"dim": -1}, lambda r: [U(r, (2, 5), dt)])
    # integer sums/prods widen to i64; max/min keep the dtype
    for dt in ["i64", "i32", "i8", "u8", "bool"]:
        mkint = (lambda r, s: Bm(r, s)) if dt == "bool" else (
            lambda r, s: I(r, s, dt, 0 if dt == "u8" else -5, 6))
        fam.add(f"sum_{dt}", "sum", {}, lambda r: [mkint(r, (3, 4))])
        fam.add(f"prod_{dt}", "prod", {}, lambda r: [mkint(r, (5,))])
        fam.add(f"max_{dt}", "max", {}, lambda r: [mkint(r, (3, 4))])
        fam.add(f"min_{dt}", "min", {}, lambda r: [mkint(r, (3, 4))])
        fam.add(f"cumsum_{dt}", "cumsum", {"dim": 1}, lambda r: [mkint(r, (2, 4))])
        fam.add(f"sum_dim_{dt}", "sum_dim", {"dims": [1], "keepdim": False},
                lambda r: [mkint(r, (3, 4))])
    fam.add("prod_dim_i32", "prod_dim", {"dims": [0], "keepdim": True},
            lambda r: [I(r, (2, 3), "i32", -4, 5)])
    # ties: all-reduce max/min split the gradient evenly among the tied elements
    fam.add("max_f64_ties", "max", {}, lambda r: [T([[1.0, 3.0, -2.0], [3.0, 0.5, 3.0]])])
    fam.add("min_f64_ties", "min", {}, lambda r: [T([[1.0, -2.0, -2.0], [3.0, 0.5, 3.0]])])
    fam.add("max_f32_nan", "max", {}, lambda r: [T([1.0, math.nan, 3.0], "f32")], grad=False)
    fam.add("sum_f32_inf", "sum", {}, lambda r: [T([1.0, math.inf, 3.0], "f32")], grad=False)
    # prod with zeros (the gradient is exact, not prod/x)
    fam.add("prod_f64_one_zero", "prod", {}, lambda r: [T([0.5, 0.0, 2.0, -1.5])])
    fam.add("prod_f64_two_zeros", "prod", {}, lambda r: [T([0.5, 0.0, 2.0, 0.0])])
    fam.add("prod_dim_f64_zeros", "prod_dim", {"dims": [1], "keepdim": False},
            lambda r: [T([[0.5, 0.0, 2.0], [1.5, -1.0, 2.0], [0.0, 0.0, 3.0]])])

    # reductions over dims
    DIMS = [([1], False), ([-1], True), ([0, 2], False), ([-1, -3], True), ([0, 1, 2], False)]
    for op in ["sum_dim", "mean_dim", "prod_dim", "logsumexp"]:
        lo, hi = (0.5, 1.5) if op == "prod_dim" else (-2.0, 2.0)
        for dims, keep in DIMS:
            tag = "_".join(str(d) for d in dims) + ("_keep" if keep else "")
            fam.add(f"{op}_f64_{tag}", op, {"dims": dims, "keepdim": keep},
                    lambda r: [U(r, (2, 3, 4), "f64", lo, hi)])
        fam.add(f"{op}_f32", op, {"dims": [1], "keepdim": False},
                lambda r: [U(r, (4, 5, 3), "f32", lo, hi)])
        fam.add(f"{op}_f32_multi", op, {"dims": [0, -1], "keepdim": True},
                lambda r: [U(r, (4, 5, 3), "f32", lo, hi)])
    fam.add("logsumexp_f32_large", "logsumexp", {"dims": [-1], "keepdim": False},
            lambda r: [T([[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, -1001.0]], "f32")])
    fam.add("logsumexp_f64_neginf", "logsumexp", {"dims": [-1], "keepdim": False},
            lambda r: [T([[-math.inf, 0.0, 1.0], [-math.inf, -math.inf, -math.inf]])],
            grad=False)
    for op in ["var_dim", "std_dim"]:
        for dims, unb, keep in [([1], True, False), ([1], False, False), ([-1], True, True),
                                ([0, 2], True, False), ([0, -1], False, True),
                                ([0, 1, 2], True, False)]:
            tag = "_".join(str(d) for d in dims) + ("_unb" if unb else "_pop") + (
                "_keep" if keep else "")
            fam.add(f"{op}_f64_{tag}", op, {"dims": dims, "unbiased": unb, "keepdim": keep},
                    lambda r: [U(r, (2, 3, 4))])
        fam.add(f"{op}_f32", op, {"dims": [1], "unbiased": True, "keepdim": False},
                lambda r: [U(r, (4, 6), "f32")])
        fam.add(f"{op}_f32_pop", op, {"dims": [0], "unbiased": False, "keepdim": True},
                lambda r: [U(r, (6, 4), "f32")])
    # max_dim/min_dim -> [values, indices]; argmax/argmin -> indices (i64)
    for op in ["max_dim", "min_dim", "argmax", "argmin"]:
        for dim, keep, shape in [(1, False, (3, 4)), (0, True, (3, 4)), (-1, False, (2, 3, 4)),
                                 (1, True, (2, 3, 4))]:
            tag = f"d{dim}" + ("_keep" if keep else "")
            fam.add(f"{op}_f64_{tag}", op, {"dim": dim, "keepdim": keep},
                    lambda r: [U(r, shape)])
        fam.add(f"{op}_f32", op, {"dim": 1, "keepdim": False}, lambda r: [U(r, (4, 6), "f32")])
        fam.add(f"{op}_i64", op, {"dim": 0, "keepdim": False}, lambda r: [I(r, (4, 3), "i64",
                                                                             -50, 50)])
        fam.add(f"{op}_i32", op, {"dim": -1, "keepdim": True}, lambda r: [I(r, (3, 5), "i32",
                                                                             -50, 50)])
        # ties: the index of the first occurrence; max_dim's gradient goes to that index only
        fam.add(f"{op}_f64_ties", op, {"dim": 1, "keepdim": False},
                lambda r: [T([[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 1.0, 5.0], [-1.0, -1.0, -1.0, -1.0]])])
        fam.add(f"{op}_f16", op, {"dim": 0, "keepdim": False}, lambda r: [U(r, (4, 3), "f16")])
    # softmax / log_softmax
    for op in ["softmax", "log_softmax"]:
        for dim, shape in [(-1, (3, 5)), (0, (3, 5)), (1, (2, 3, 4)), (-1, (2, 3, 4)), (0, (6,))]:
            fam.add(f"{op}_f64_d{dim}_{len(shape)}d", op, {"dim": dim},
                    lambda r: [U(r, shape, "f64", -3, 3)])
        fam.add(f"{op}_f32", op, {"dim": -1}, lambda r: [U(r, (4, 7), "f32", -3, 3)])
        fam.add(f"{op}_f32_large", op, {"dim": -1},
                lambda r: [T([[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, -1001.0]], "f32")])
        fam.add(f"{op}_f64_large", op, {"dim": 1},
                lambda r: [T([[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, -1001.0]])])
    # norm (2-norm of all elements -> 0-d)
    fam.add("norm_f64", "norm", {}, lambda r: [U(r, (3, 4))])
    fam.add("norm_f64_1d", "norm", {}, lambda r: [U(r, (5,))])
    fam.add("norm_f64_0d", "norm", {}, lambda r: [T(-1.5)])
    fam.add("norm_f32", "norm", {}, lambda r: [U(r, (4, 5), "f32")])
    fam.add("norm_f32_3d", "norm", {}, lambda r: [U(r, (2, 3, 4), "f32")])
    fam.add("norm_f16", "norm", {}, lambda r: [U(r, (8,), "f16")])
    fam.add("norm_f64_zero", "norm", {}, lambda r: [T([0.0, 0.0, 0.0])])
    # cumsum
    for dim, shape in [(0, (3, 4)), (1, (3, 4)), (-1, (2, 3, 4)), (0, (6,))]:
        fam.add(f"cumsum_f64_d{dim}_{len(shape)}d", "cumsum", {"dim": dim},
                lambda r: [U(r, shape)])
    fam.add("cumsum_f32", "cumsum", {"dim": 1}, lambda r: [U(r, (3, 8), "f32")])
    fam.add("cumsum_f16", "cumsum", {"dim": 0}, lambda r: [U(r, (8,), "f16")])
    return fam


def shape_cases():
    fam = Family("shape")
    S = [
        ("reshape", "_2d", {"shape": [6, 4]}, (2, 3, 4)),
        ("reshape", "_infer", {"shape": [4, -1]}, (2, 3, 4)),
        ("reshape", "_flat", {"shape": [24]}, (2, 3, 4)),
        ("reshape", "_up", {"shape": [2, 1, 3, 2]}, (3, 4)),
        ("reshape", "_to0d", {"shape": []}, (1,)),
        ("reshape", "_from0d", {"shape": [1, 1]}, ()),
        ("transpose", "_01", {"dim0": 0, "dim1": 1}, (3, 4)),
        ("transpose", "_neg", {"dim0": -1, "dim1": 0}, (2, 3, 4)),
        ("transpose", "_same", {"dim0": 1, "dim1": 1}, (2, 3)),
        ("t", "", {}, (3, 4)),
        ("t", "_1d", {}, (5,)),
        ("permute", "_201", {"dims": [2, 0, 1]}, (2, 3, 4)),
        ("permute", "_neg", {"dims": [-1, 0, -2]}, (2, 3, 4)),
        ("permute", "_4d", {"dims": [3, 1, 0, 2]}, (2, 1, 3, 2)),
        ("squeeze", "_1", {"dim": 1}, (3, 1, 4)),
        ("squeeze", "_neg", {"dim": -2}, (3, 1, 4)),
        ("squeeze", "_noop", {"dim": 0}, (3, 1, 4)),
        ("squeeze", "_to0d", {"dim": 0}, (1,)),
        ("unsqueeze", "_0", {"dim": 0}, (3, 4)),
        ("unsqueeze", "_neg", {"dim": -1}, (3, 4)),
        ("unsqueeze", "_mid", {"dim": 1}, (3, 4)),
        ("unsqueeze", "_0d", {"dim": 0}, ()),
        ("expand", "_col", {"shape": [3, 4]}, (3, 1)),
        ("expand", "_new_dims", {"shape": [2, 2, 3]}, (1, 3)),
        ("expand", "_minus1", {"shape": [-1, 4]}, (3, 1)),
        ("expand", "_0d", {"shape": [2, 3]}, ()),
        ("narrow", "_0", {"dim": 0, "start": 1, "length": 2}, (4, 3)),
        ("narrow", "_neg", {"dim": -1, "start": 2, "length": 3}, (2, 3, 5)),
        ("select", "_0", {"dim": 0, "index": 1}, (3, 4)),
        ("select", "_neg_index", {"dim": 1, "index": -1}, (2, 3, 4)),
        ("select", "_1d", {"dim": 0, "index": 2}, (5,)),
        ("flatten", "_all", {"start_dim": 0, "end_dim": -1}, (2, 3, 4)),
        ("flatten", "_mid", {"start_dim": 1, "end_dim": 2}, (2, 3, 4, 2)),
        ("flatten", "_0d", {"start_dim": 0, "end_dim": -1}, ()),
        ("flip", "_0", {"dims": [0]}, (3, 4)),
        ("flip", "_01", {"dims": [0, 1]}, (3, 4)),
        ("flip", "_neg", {"dims": [-1]}, (2, 3, 4)),
        ("repeat", "_2d", {"repeats": [2, 1]}, (2, 3)),
        ("repeat", "_more", {"repeats": [2, 1, 3]}, (2, 3)),
        ("repeat", "_1d", {"repeats": [3]}, (4,)),
        ("chunk", "_even", {"chunks": 2, "dim": 0}, (4, 3)),
        ("chunk", "_uneven", {"chunks": 3, "dim": 1}, (2, 7)),
        ("chunk", "_fewer", {"chunks": 4, "dim": 0}, (6,)),
        ("split", "_0", {"split_size": 2, "dim": 0}, (5, 2)),
        ("split", "_neg", {"split_size": 3, "dim": -1}, (2, 7)),
        ("contiguous", "_t", {"dim0": 0, "dim1": 1}, (3, 4)),
        ("contiguous", "_3d", {"dim0": 0, "dim1": 2}, (2, 3, 4)),
    ]
    for op, suffix, args, shape in S:
        fam.add(f"{op}{suffix}_f64", op, args, lambda r: [U(r, shape)])
    for op, suffix, args, shape in S[::2]:
        fam.add(f"{op}{suffix}_f32", op, args, lambda r: [U(r, shape, "f32")])
    for op, suffix, args, shape in S[1::4]:
        fam.add(f"{op}{suffix}_i64", op, args, lambda r: [I(r, shape, "i64")])
    for op, suffix, args, shape in S[3::6]:
        fam.add(f"{op}{suffix}_bool", op, args, lambda r: [Bm(r, shape)])
    fam.add("transpose_01_bf16", "transpose", {"dim0": 0, "dim1": 1}, lambda r: [U(r, (3, 4), "bf16")])
    # cat / stack: the inputs are the list of tensors
    fam.add("cat_0_f64", "cat", {"dim": 0}, lambda r: [U(r, (2, 3)), U(r, (1, 3)), U(r, (3, 3))])
    fam.add("cat_1_f64", "cat", {"dim": 1}, lambda r: [U(r, (2, 3)), U(r, (2, 1))])
    fam.add("cat_neg_f64", "cat", {"dim": -1}, lambda r: [U(r, (2, 2, 1)), U(r, (2, 2, 3))])
    fam.add("cat_single_f64", "cat", {"dim": 0}, lambda r: [U(r, (2, 3))])
    fam.add("cat_1d_f64", "cat", {"dim": 0}, lambda r: [U(r, (2,)), U(r, (3,))])
    fam.add("cat_0_f32", "cat", {"dim": 0}, lambda r: [U(r, (2, 3), "f32"), U(r, (1, 3), "f32")])
    fam.add("cat_1_i64", "cat", {"dim": 1}, lambda r: [I(r, (2, 3)), I(r, (2, 2))])
    fam.add("cat_0_bool", "cat", {"dim": 0}, lambda r: [Bm(r, (1, 3)), Bm(r, (2, 3))])
    fam.add("cat_promote_i64_f32", "cat", {"dim": 0}, lambda r: [I(r, (2,)), U(r, (3,), "f32")])
    fam.add("stack_0_f64", "stack", {"dim": 0}, lambda r: [U(r, (2, 3)), U(r, (2, 3))])
    fam.add("stack_1_f64", "stack", {"dim": 1}, lambda r: [U(r, (2, 3)), U(r, (2, 3)),
                                                           U(r, (2, 3))])
    fam.add("stack_neg_f64", "stack", {"dim": -1}, lambda r: [U(r, (3,)), U(r, (3,))])
    fam.add("stack_0d_f64", "stack", {"dim": 0}, lambda r: [U(r, ()), U(r, ()), U(r, ())])
    fam.add("stack_2_f32", "stack", {"dim": 2}, lambda r: [U(r, (2, 3), "f32"),
                                                           U(r, (2, 3), "f32")])
    fam.add("stack_0_i32", "stack", {"dim": 0}, lambda r: [I(r, (4,), "i32"), I(r, (4,), "i32")])
    return fam


def index_cases():
    fam = Family("index")
    # index_select(a, idx; dim): idx is 1-D i64, duplicates allowed (their grads accumulate)
    fam.add("index_select_0_f64", "index_select", {"dim": 0},
            lambda r: [U(r, (4, 3)), T([2, 0, 2], "i64")])
    fam.add("index_select_1_f64", "index_select", {"dim": 1},
            lambda r: [U(r, (2, 5)), T([4, 1, 1, 0], "i64")])
    fam.add("index_select_neg_f64", "index_select", {"dim": -1},
            lambda r: [U(r, (2, 3, 4)), T([3, 0], "i64")])
    fam.add("index_select_1d_f64", "index_select", {"dim": 0},
            lambda r: [U(r, (5,)), T([4, 4, 0, 1, 3, 2], "i64")])
    fam.add("index_select_empty_f64", "index_select", {"dim": 0},
            lambda r: [U(r, (3, 2)), T(np.zeros(0, dtype=np.int64), "i64")])
    fam.add("index_select_0_f32", "index_select", {"dim": 0},
            lambda r: [U(r, (4, 3), "f32"), T([3, 1], "i64")])
    fam.add("index_select_1_i64", "index_select", {"dim": 1},
            lambda r: [I(r, (3, 4)), T([0, 3, 3], "i64")])
    fam.add("index_select_0_bool", "index_select", {"dim": 0},
            lambda r: [Bm(r, (3, 2)), T([1, 1, 0], "i64")])
    # gather(a, idx; dim): idx has a's rank, size <= a's in the other dims; repeats allowed
    def gather_inputs(shape, dim, ishape, dt="f64"):
        def make(r):
            a = U(r, shape, dt) if dt in FLOATS else I(r, shape, dt)
            return [a, T(r.integers(0, shape[dim], size=ishape), "i64")]
        return make
    fam.add("gather_0_f64", "gather", {"dim": 0}, gather_inputs((3, 4), 0, (2, 4)))
    fam.add("gather_1_f64", "gather", {"dim": 1}, gather_inputs((3, 4), 1, (3, 6)))
    fam.add("gather_neg_f64", "gather", {"dim": -1}, gather_inputs((2, 3, 4), -1, (2, 2, 3)))
    fam.add("gather_mid_f64", "gather", {"dim": 1}, gather_inputs((2, 3, 4), 1, (1, 5, 2)))
    fam.add("gather_1_f32", "gather", {"dim": 1}, gather_inputs((3, 4), 1, (3, 2), "f32"))
    fam.add("gather_0_i32", "gather", {"dim": 0}, gather_inputs((3, 4), 0, (3, 4), "i32"))
    fam.add("gather_1_i64", "gather", {"dim": 1}, gather_inputs((2, 5), 1, (2, 3), "i64"))
    # scatter(self, idx, src; dim): no two writes to one place (the winner would be unspecified)
    def scatter_inputs(shape, dim, ishape, sshape, unique, dt="f64"):
        def make(r):
            d = dim % len(shape)
            idx = np.zeros(ishape, dtype=np.int64)
            for pos in np.ndindex(*[s for i, s in enumerate(ishape) if i != d]):
                n = ishape[d]
                col = (r.permutation(shape[d])[:n] if unique
                       else r.integers(0, shape[d], size=n))
                sl = list(pos)
                sl.insert(d, slice(None))
                idx[tuple(sl)] = col
            mk = (lambda s: U(r, s, dt)) if dt in FLOATS else (lambda s: I(r, s, dt))
            return [mk(shape), T(idx, "i64"), mk(sshape)]
        return make
    fam.add("scatter_0_f64", "scatter", {"dim": 0}, scatter_inputs((4, 3), 0, (2, 3), (2, 3), True))
    fam.add("scatter_1_f64", "scatter", {"dim": 1}, scatter_inputs((3, 5), 1, (3, 2), (3, 2), True))
    # src may be larger than idx (only its idx-shaped corner is read); PyTorch's backward
    # rejects that shape, so these cases carry no grads
    fam.add("scatter_1_f64_big_src", "scatter", {"dim": 1},
            scatter_inputs((3, 5), 1, (3, 2), (3, 4), True), grad=False)
    fam.add("scatter_neg_f64", "scatter", {"dim": -1},
            scatter_inputs((2, 2, 4), -1, (2, 1, 3), (2, 1, 3), True))
    fam.add("scatter_neg_f64_big_src", "scatter", {"dim": -1},
            scatter_inputs((2, 2, 4), -1, (2, 1, 3), (2, 2, 3), True), grad=False)
    fam.add("scatter_0_f32", "scatter", {"dim": 0},
            scatter_inputs((4, 3), 0, (3, 3), (3, 3), True, "f32"))
    fam.add("scatter_1_i64", "scatter", {"dim": 1},
            scatter_inputs((3, 4), 1, (3, 2), (3, 2), True, "i64"))
    fam.add("scatter_add_0_f64", "scatter_add", {"dim": 0},
            scatter_inputs((3, 4), 0, (5, 4), (5, 4), False))
    fam.add("scatter_add_1_f64", "scatter_add", {"dim": 1},
            scatter_inputs((2, 3), 1, (2, 6), (2, 6), False))
    fam.add("scatter_add_neg_f64", "scatter_add", {"dim": -1},
            scatter_inputs((2, 3, 2), -1, (1, 3, 4), (1, 3, 4), False))
    fam.add("scatter_add_1_f64_big_src", "scatter_add", {"dim": 1},
            scatter_inputs((2, 3), 1, (2, 6), (2, 7), False), grad=False)
    fam.add("scatter_add_neg_f64_big_src", "scatter_add", {"dim": -1},
            scatter_inputs((2, 3, 2), -1, (1, 3, 4), (2, 3, 4), False), grad=False)
    fam.add("scatter_add_0_f32", "scatter_add", {"dim": 0},
            scatter_inputs((3, 4), 0, (6, 4), (6, 4), False, "f32"))
    fam.add("scatter_add_1_i64", "scatter_add", {"dim": 1},
            scatter_inputs((3, 3), 1, (3, 5), (3, 5), False, "i64"))
    fam.add("scatter_add_1_i32", "scatter_add", {"dim": 1},
            scatter_inputs((2, 3), 1, (2, 4), (2, 4), False, "i32"))
    return fam


def matmul_cases():
    fam = Family("matmul")
    M = [
        ("1d_1d", (4,), (4,)),
        ("1d_2d", (3,), (3, 5)),
        ("2d_1d", (4, 3), (3,)),
        ("2d_2d", (3, 4), (4, 2)),
        ("3d_3d", (2, 3, 4), (2, 4, 5)),
        ("3d_2d", (2, 3, 4), (4, 2)),
        ("2d_3d", (3, 4), (2, 4, 5)),
        ("1d_3d", (4,), (2, 4, 3)),
        ("3d_1d", (2, 3, 4), (4,)),
        ("bc_4d_3d", (2, 1, 3, 4), (5, 4, 2)),
        ("bc_3d_3d", (1, 3, 4), (3, 4, 2)),
        ("4d_4d", (2, 2, 2, 3), (2, 2, 3, 2)),
        ("k1", (3, 1), (1, 4)),
    ]
    for tag, sa, sb in M:
        fam.add(f"matmul_{tag}_f64", "matmul", {}, lambda r: [U(r, sa), U(r, sb)])
        fam.add(f"matmul_{tag}_f32", "matmul", {}, lambda r: [U(r, sa, "f32"), U(r, sb, "f32")])
    fam.add("matmul_2d_2d_i64", "matmul", {}, lambda r: [I(r, (3, 4)), I(r, (4, 2))])
    fam.add("matmul_3d_3d_i32", "matmul", {}, lambda r: [I(r, (2, 2, 3), "i32"),
                                                         I(r, (2, 3, 2), "i32")])
    fam.add("matmul_2d_2d_f16", "matmul", {}, lambda r: [U(r, (3, 8), "f16"), U(r, (8, 2), "f16")])
    fam.add("matmul_2d_2d_bf16", "matmul", {}, lambda r: [U(r, (3, 8), "bf16"),
                                                          U(r, (8, 2), "bf16")])
    fam.add("matmul_2d_2d_f32_k32", "matmul", {}, lambda r: [U(r, (4, 32), "f32"),
                                                             U(r, (32, 2), "f32")])
    for dt in ["f64", "f32"]:
        fam.add(f"mm_{dt}", "mm", {}, lambda r: [U(r, (3, 4), dt), U(r, (4, 5), dt)])
        fam.add(f"mm_{dt}_col", "mm", {}, lambda r: [U(r, (5, 2), dt), U(r, (2, 1), dt)])
        fam.add(f"bmm_{dt}", "bmm", {}, lambda r: [U(r, (2, 3, 4), dt), U(r, (2, 4, 2), dt)])
        fam.add(f"bmm_{dt}_b1", "bmm", {}, lambda r: [U(r, (1, 2, 3), dt), U(r, (1, 3, 3), dt)])
        fam.add(f"dot_{dt}", "dot", {}, lambda r: [U(r, (5,), dt), U(r, (5,), dt)])
        fam.add(f"dot_{dt}_1", "dot", {}, lambda r: [U(r, (1,), dt), U(r, (1,), dt)])
        fam.add(f"outer_{dt}", "outer", {}, lambda r: [U(r, (3,), dt), U(r, (4,), dt)])
    fam.add("mm_i64", "mm", {}, lambda r: [I(r, (2, 3)), I(r, (3, 2))])
    fam.add("mm_bf16", "mm", {}, lambda r: [U(r, (2, 4), "bf16"), U(r, (4, 3), "bf16")])
    fam.add("bmm_i32", "bmm", {}, lambda r: [I(r, (2, 2, 3), "i32"), I(r, (2, 3, 2), "i32")])
    fam.add("dot_i64", "dot", {}, lambda r: [I(r, (6,)), I(r, (6,))])
    fam.add("dot_f16", "dot", {}, lambda r: [U(r, (8,), "f16"), U(r, (8,), "f16")])
    fam.add("outer_i64", "outer", {}, lambda r: [I(r, (3,)), I(r, (2,))])
    fam.add("outer_i32", "outer", {}, lambda r: [I(r, (3,), "i32"), I(r, (2,), "i32")])
    return fam


def conv_cases():
    fam = Family("conv", grad_dtypes=("f64", "f32"))

    def conv_args(stride=1, padding=0, dilation=1, groups=1):
        return {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}

    # (tag, input shape, weight shape, bias, args)
    C2 = [
        ("basic", (2, 3, 6, 5), (4, 3, 3, 3), True, conv_args()),
        ("pad1", (1, 2, 5, 5), (3, 2, 3, 3), True, conv_args(padding=1)),
        ("stride2", (2, 2, 7, 6), (3, 2, 3, 2), False, conv_args(stride=2, padding=1)),
        ("rect_args", (1, 2, 8, 7), (2, 2, 3, 3), True,
         conv_args(stride=[2, 1], padding=[1, 2], dilation=[1, 2])),
        ("dilation2", (1, 1, 7, 7), (2, 1, 3, 3), True, conv_args(dilation=2)),
        ("groups2", (2, 4, 5, 5), (6, 2, 3, 3), True, conv_args(groups=2, padding=1)),
        ("depthwise", (1, 3, 4, 4), (3, 1, 2, 2), False, conv_args(groups=3)),
        ("k1", (2, 3, 3, 3), (5, 3, 1, 1), True, conv_args()),
        ("unbatched", (2, 4, 4), (3, 2, 3, 3), True, conv_args(padding=1)),
    ]
    for tag, sx, sw, bias, args in C2:
        for dt in ["f64", "f32"]:
            def make(r, sx=sx, sw=sw, bias=bias, dt=dt):
                ins = [U(r, sx, dt), U(r, sw, dt)]
                return ins + ([U(r, (sw[0],), dt)] if bias else [])
            fam.add(f"conv2d_{tag}_{dt}", "conv2d", args, make)
    fam.add("conv2d_basic_f16", "conv2d", conv_args(padding=1),
            lambda r: [U(r, (1, 2, 4, 4), "f16"), U(r, (2, 2, 3, 3), "f16")])
    fam.add("conv2d_basic_bf16", "conv2d", conv_args(),
            lambda r: [U(r, (1, 2, 4, 4), "bf16"), U(r, (2, 2, 3, 3), "bf16")])
    C1 = [
        ("basic", (2, 3, 9), (4, 3, 3), True, conv_args()),
        ("stride_pad_dil", (1, 2, 10), (2, 2, 3), True, conv_args(stride=2, padding=2, dilation=2)),
        ("groups", (2, 4, 6), (2, 2, 2), False, conv_args(groups=2)),
    ]
    for tag, sx, sw, bias, args in C1:
        for dt in ["f64", "f32"]:
            def make(r, sx=sx, sw=sw, bias=bias, dt=dt):
                ins = [U(r, sx, dt), U(r, sw, dt)]
                return ins + ([U(r, (sw[0],), dt)] if bias else [])
            fam.add(f"conv1d_{tag}_{dt}", "conv1d", args, make)
    CT = [
        ("basic", (2, 3, 4, 4), (3, 2, 3, 3), True,
         {"stride": 1, "padding": 0, "output_padding": 0, "groups": 1, "dilation": 1}),
        ("stride2_outpad", (1, 2, 3, 4), (2, 3, 3, 3), True,
         {"stride": 2, "padding": 1, "output_padding": 1, "groups": 1, "dilation": 1}),
        ("groups_dil", (1, 4, 3, 3), (4, 1, 2, 2), False,
         {"stride": [2, 1], "padding": 0, "output_padding": 0, "groups": 2, "dilation": 2}),
    ]
    for tag, sx, sw, bias, args in CT:
        for dt in ["f64", "f32"]:
            def make(r, sx=sx, sw=sw, bias=bias, dt=dt):
                ins = [U(r, sx, dt), U(r, sw, dt)]
                return ins + ([U(r, (sw[1] * args["groups"],), dt)] if bias else [])
            fam.add(f"conv_transpose2d_{tag}_{dt}", "conv_transpose2d", args, make)
    for dt in ["f64", "f32"]:
        fam.add(f"unfold_{dt}", "unfold",
                {"kernel_size": [2, 3], "dilation": 1, "padding": 1, "stride": [1, 2]},
                lambda r, dt=dt: [U(r, (2, 2, 4, 5), dt)])
        fam.add(f"fold_{dt}", "fold",
                {"output_size": [4, 5], "kernel_size": 2, "dilation": 1, "padding": 0,
                 "stride": 1},
                lambda r, dt=dt: [U(r, (2, 8, 12), dt)])

    def pool_args(k, stride=0, padding=0, dilation=1, ceil_mode=False):
        return {"kernel_size": k, "stride": stride, "padding": padding, "dilation": dilation,
                "ceil_mode": ceil_mode}

    MP = [
        ("k2", (2, 3, 6, 6), pool_args(2)),
        ("k3_s2_p1", (1, 2, 7, 6), pool_args(3, stride=2, padding=1)),
        ("ceil", (1, 2, 5, 5), pool_args(2, ceil_mode=True)),
        ("dil2", (1, 1, 7, 7), pool_args(2, stride=1, dilation=2)),
        ("rect", (1, 2, 6, 7), pool_args([2, 3], stride=[2, 1])),
        ("unbatched", (2, 4, 4), pool_args(2)),
    ]
    for tag, sx, args in MP:
        for dt in ["f64", "f32"]:
            fam.add(f"max_pool2d_{tag}_{dt}", "max_pool2d_with_indices", args,
                    lambda r, sx=sx, dt=dt: [U(r, sx, dt)])
    fam.add("max_pool2d_k2_f16", "max_pool2d_with_indices", pool_args(2),
            lambda r: [U(r, (1, 2, 4, 4), "f16")])
    fam.add("max_pool2d_nan_f64", "max_pool2d_with_indices", pool_args(2),
            lambda r: [T([[[[1.0, math.nan], [2.0, 3.0]]]])])

    def avg_args(k, stride=0, padding=0, ceil_mode=False, count_include_pad=True, div=None):
        return {"kernel_size": k, "stride": stride, "padding": padding, "ceil_mode": ceil_mode,
                "count_include_pad": count_include_pad, "divisor_override": div}

    AP = [
        ("k2", (2, 3, 6, 6), avg_args(2)),
        ("k3_s2_p1", (1, 2, 7, 6), avg_args(3, stride=2, padding=1)),
        ("no_pad_count", (1, 2, 7, 6), avg_args(3, stride=2, padding=1, count_include_pad=False)),
        ("ceil", (1, 2, 5, 5), avg_args(2, ceil_mode=True)),
        ("ceil_pad", (1, 1, 6, 6), avg_args(3, stride=2, padding=1, ceil_mode=True)),
        ("divisor", (1, 2, 4, 4), avg_args(2, div=3)),
    ]
    for tag, sx, args in AP:
        for dt in ["f64", "f32"]:
            fam.add(f"avg_pool2d_{tag}_{dt}", "avg_pool2d", args,
                    lambda r, sx=sx, dt=dt: [U(r, sx, dt)])
    for tag, sx, out in [("global", (2, 3, 5, 4), 1), ("divisible", (1, 2, 6, 4), [3, 2]),
                         ("uneven", (1, 2, 5, 7), [3, 4])]:
        for dt in ["f64", "f32"]:
            fam.add(f"adaptive_avg_pool2d_{tag}_{dt}", "adaptive_avg_pool2d",
                    {"output_size": out}, lambda r, sx=sx, dt=dt: [U(r, sx, dt)])
    return fam


FAMILIES = [unary_cases, binary_cases, reduce_cases, shape_cases, index_cases, matmul_cases,
            conv_cases]


# ---------------------------------------------------------------------------------------------
# Writing and checking
# ---------------------------------------------------------------------------------------------

def dump(doc):
    """JSON with one case per line: small diffs when a case changes."""
    head = json.dumps(doc["torch_version"])
    lines = [json.dumps(c, separators=(",", ":"), allow_nan=False) for c in doc["cases"]]
    return '{"torch_version": ' + head + ', "cases": [\n' + ",\n".join(lines) + "\n]}\n"


def generate():
    GOLDEN.mkdir(parents=True, exist_ok=True)
    version = torch.__version__.split("+")[0]
    total = 0
    for make in FAMILIES:
        fam = make()
        path = GOLDEN / f"{fam.name}.json"
        path.write_text(dump({"torch_version": version, "cases": fam.cases}))
        total += len(fam.cases)
        print(f"{path.relative_to(ROOT)}: {len(fam.cases)} cases, {path.stat().st_size} bytes")
    print(f"total: {total} cases")


def check_tensor(t, where):
    assert isinstance(t, dict) and set(t) == {"dtype", "shape", "data"}, f"{where}: bad tensor"
    assert t["dtype"] in DTYPES, f"{where}: dtype {t['dtype']}"
    assert all(isinstance(s, int) and s >= 0 for s in t["shape"]), f"{where}: shape"
    assert len(t["data"]) == math.prod(t["shape"]), f"{where}: numel"
    for v in t["data"]:
        if t["dtype"] in FLOATS:
            ok = (isinstance(v, (int, float)) and not isinstance(v, bool)) or v in NONFINITE
        elif t["dtype"] == "bool":
            ok = isinstance(v, bool)
        else:
            ok = isinstance(v, int) and not isinstance(v, bool)
        assert ok, f"{where}: value {v!r} for {t['dtype']}"


def same(a, b, exact):
    """a, b torch tensors: same dtype/shape and values (nan == nan)."""
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if not a.is_floating_point():
        return torch.equal(a, b)
    a, b = a.double(), b.double()
    if exact:
        return bool(torch.equal(a.isnan(), b.isnan()) and
                    torch.equal(torch.nan_to_num(a, nan=0.0), torch.nan_to_num(b, nan=0.0)))
    return torch.allclose(a, b, rtol=1e-12, atol=1e-14, equal_nan=True)


def check(recompute=True):
    names, total, problems = set(), 0, []
    with_grads, with_cases = set(), set()
    for make in FAMILIES:
        fam_name = make.__name__.replace("_cases", "")
        path = GOLDEN / f"{fam_name}.json"
        doc = json.loads(path.read_text())
        assert set(doc) == {"torch_version", "cases"}, f"{path}: top-level keys"
        assert isinstance(doc["torch_version"], str)
        for c in doc["cases"]:
            w = f"{fam_name}/{c.get('name')}"
            try:
                keys = set(c)
                assert {"name", "op", "args", "inputs", "output"} <= keys, f"{w}: keys"
                assert keys <= {"name", "op", "args", "inputs", "output", "grad_output",
                                "grads"}, f"{w}: extra keys"
                assert ("grads" in c) == ("grad_output" in c), f"{w}: grads without grad_output"
                assert c["name"] not in names, f"{w}: duplicate name"
                names.add(c["name"])
                with_cases.add(c["op"])
                assert c["op"] in VOCAB[fam_name], f"{w}: op {c['op']} not in vocabulary"
                assert sorted(c["args"]) == sorted(VOCAB[fam_name][c["op"]]), f"{w}: args"
                for i, t in enumerate(c["inputs"]):
                    check_tensor(t, f"{w} input {i}")
                multi = isinstance(c["output"], list)
                outs = c["output"] if multi else [c["output"]]
                for t in outs:
                    check_tensor(t, f"{w} output")
                if "grads" in c:
                    with_grads.add(c["op"])
                    gos = c["grad_output"] if multi else [c["grad_output"]]
                    assert isinstance(gos, list) and len(gos) == len(outs), f"{w}: grad_output"
                    for go, o in zip(gos, outs):
                        if go is not None:
                            check_tensor(go, f"{w} grad_output")
                            assert go["shape"] == o["shape"] and go["dtype"] == o["dtype"], w
                    assert len(c["grads"]) == len(c["inputs"]), f"{w}: grads length"
                    for g, t in zip(c["grads"], c["inputs"]):
                        if g is None:
                            assert t["dtype"] not in FLOATS, f"{w}: null grad for float input"
                        else:
                            check_tensor(g, f"{w} grad")
                            assert g["shape"] == t["shape"] and g["dtype"] == t["dtype"], w
                if recompute:
                    recheck(c, w, multi)
            except AssertionError as e:
                problems.append(str(e))
            total += 1
        print(f"{path.relative_to(ROOT)}: {len(doc['cases'])} cases, torch {doc['torch_version']}")
    for fam in VOCAB.values():
        for op in fam:
            if op not in NOT_DIFFERENTIABLE and op not in with_grads:
                problems.append(f"differentiable op {op} has no case with grads")
            if op not in with_cases:
                problems.append(f"op {op} has no case")
    for p in problems:
        print("FAIL", p)
    print(f"total: {total} cases, {len(problems)} problems")
    return not problems


def recheck(c, w, multi):
    """Run the case again in this torch and compare (outputs exactly, grads to 1e-12)."""
    inputs = [decode(t) for t in c["inputs"]]
    want_grad = "grads" in c
    leaves = [t.clone().requires_grad_(want_grad and t.is_floating_point()) for t in inputs]
    with torch.set_grad_enabled(want_grad):
        out = run_op(c["op"], c["args"], leaves)
    outs = list(out) if multi else [out]
    exp = c["output"] if multi else [c["output"]]
    assert len(outs) == len(exp), f"{w}: output count"
    for o, e in zip(outs, exp):
        assert same(o.detach(), decode(e), exact=True), f"{w}: output differs"
    if want_grad:
        gos = c["grad_output"] if multi else [c["grad_output"]]
        pairs = [(o, decode(g)) for o, g in zip(outs, gos) if g is not None]
        wrt = [t for t in leaves if t.requires_grad]
        gs = iter(torch.autograd.grad([o for o, _ in pairs], wrt, [g for _, g in pairs],
                                      allow_unused=True))
        for t, e in zip(leaves, c["grads"]):
            if t.requires_grad:
                g = next(gs)
                g = torch.zeros_like(t) if g is None else g
                assert same(g, decode(e), exact=False), f"{w}: grad differs"


def main():
    torch.set_num_threads(1)  # one thread: deterministic reduction order
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="validate tests/golden/*.json and recompute every case with torch")
    ap.add_argument("--schema-only", action="store_true",
                    help="with --check: validate the schema only, do not recompute")
    a = ap.parse_args()
    if a.check:
        sys.exit(0 if check(recompute=not a.schema_only) else 1)
    generate()


if __name__ == "__main__":
    main()
