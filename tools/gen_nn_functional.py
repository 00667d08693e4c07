#!/usr/bin/env python3
"""Write tests/golden/nn_functional.json: PyTorch outputs and input gradients of the nn
functional ops (losses, normalisation, embedding, one_hot, pad, attention) for
tests/nn_functional.rs.

    /work/venv-torch/bin/python tools/gen_nn_functional.py

Each case: "name", "op" (the firebrand function), "args" (non-tensor arguments, keyed by
the Rust parameter names), "inputs" (name -> tensor), "grad" (names of the inputs whose
gradient is recorded), "grad_output" (the weights g of sum(output * g), whose gradient is
recorded), "outputs" (name -> tensor: "out", and for batch_norm the updated running stats)
and "grads" (name -> tensor). Tensors are {"dtype", "shape", "data"} as tools/gen_golden.py.
Every case is generated in f64 and in f32 from the same values (seeded per case name).
"""

import json
import math
import pathlib
import zlib

import numpy as np
import torch
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "golden" / "nn_functional.json"
SEED = 20261123
DT = {"f32": torch.float32, "f64": torch.float64}


def enc_float(v):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def encode(t):
    t = t.detach().contiguous().reshape(-1)
    if t.dtype.is_floating_point:
        name = {torch.float32: "f32", torch.float64: "f64"}[t.dtype]
        data = [enc_float(v) for v in t.to(torch.float64).tolist()]
    elif t.dtype == torch.bool:
        name, data = "bool", [bool(v) for v in t.tolist()]
    else:
        name, data = "i64", [int(v) for v in t.tolist()]
    return name, data


def enc(t):
    name, data = encode(t)
    return {"dtype": name, "shape": list(t.shape), "data": data}


REDUCTION = {"None": "none", "Mean": "mean", "Sum": "sum", "BatchMean": "batchmean"}


def run(op, a, x):
    """Runs firebrand op `op` with args `a` on inputs `x` in PyTorch; returns the outputs."""
    red = REDUCTION[a.get("reduction", "Mean")]
    if op == "cross_entropy":
        return {"out": F.cross_entropy(
            x["input"], x["target"], weight=x.get("weight"),
            ignore_index=a.get("ignore_index", -100),
            label_smoothing=a.get("label_smoothing", 0.0), reduction=red)}
    if op == "nll_loss":
        return {"out": F.nll_loss(x["input"], x["target"], weight=x.get("weight"),
                                  ignore_index=a.get("ignore_index", -100), reduction=red)}
    if op in ("mse_loss", "l1_loss"):
        return {"out": getattr(F, op)(x["input"], x["target"], reduction=red)}
    if op == "smooth_l1_loss":
        return {"out": F.smooth_l1_loss(x["input"], x["target"], beta=a["beta"], reduction=red)}
    if op == "huber_loss":
        return {"out": F.huber_loss(x["input"], x["target"], delta=a["delta"], reduction=red)}
    if op == "binary_cross_entropy":
        return {"out": F.binary_cross_entropy(x["input"], x["target"], weight=x.get("weight"),
                                              reduction=red)}
    if op == "binary_cross_entropy_with_logits":
        return {"out": F.binary_cross_entropy_with_logits(
            x["input"], x["target"], weight=x.get("weight"), pos_weight=x.get("pos_weight"),
            reduction=red)}
    if op == "kl_div":
        return {"out": F.kl_div(x["input"], x["target"], reduction=red,
                                log_target=a.get("log_target", False))}
    if op == "batch_norm":
        rm = x["running_mean"].detach().clone() if "running_mean" in x else None
        rv = x["running_var"].detach().clone() if "running_var" in x else None
        out = F.batch_norm(x["input"], rm, rv, weight=x.get("weight"), bias=x.get("bias"),
                           training=a["training"], momentum=a["momentum"], eps=a["eps"])
        res = {"out": out}
        if rm is not None:
            res["running_mean"], res["running_var"] = rm, rv
        return res
    if op == "layer_norm":
        return {"out": F.layer_norm(x["input"], a["normalized_shape"], weight=x.get("weight"),
                                    bias=x.get("bias"), eps=a["eps"])}
    if op == "group_norm":
        return {"out": F.group_norm(x["input"], a["num_groups"], weight=x.get("weight"),
                                    bias=x.get("bias"), eps=a["eps"])}
    if op == "embedding":
        return {"out": F.embedding(x["indices"], x["weight"])}
    if op == "one_hot":
        return {"out": F.one_hot(x["indices"], a["num_classes"])}
    if op == "pad":
        mode = a["mode"]
        if mode == "Constant":
            out = F.pad(x["input"], a["pads"], mode="constant", value=a["value"])
        else:
            out = F.pad(x["input"], a["pads"], mode=mode.lower())
        return {"out": out}
    if op == "scaled_dot_product_attention":
        return {"out": F.scaled_dot_product_attention(
            x["q"], x["k"], x["v"], attn_mask=x.get("attn_mask"), dropout_p=0.0,
            is_causal=a.get("is_causal", False), scale=a.get("scale"))}
    raise KeyError(op)


CASES = []


def case(name, op, args, make, grad):
    """make(r) -> dict of numpy arrays / ("i", array) for integer, ("b", array) for bool."""
    CASES.append((name, op, args, make, grad))


def u(r, shape, lo=-2.0, hi=2.0):
    return r.uniform(lo, hi, size=shape)


def ints(r, shape, lo, hi):
    return ("i", r.integers(lo, hi, size=shape))


def probs(r, shape, axis):
    z = r.uniform(-2, 2, size=shape)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


# --- losses ---------------------------------------------------------------------------------
case("ce_basic", "cross_entropy", {}, lambda r: {
    "input": u(r, (4, 5)), "target": ints(r, (4,), 0, 5)}, ["input"])
case("ce_spatial", "cross_entropy", {}, lambda r: {
    "input": u(r, (2, 3, 4)), "target": ints(r, (2, 4), 0, 3)}, ["input"])
case("ce_unbatched", "cross_entropy", {}, lambda r: {
    "input": u(r, (5,)), "target": ("i", np.array(3))}, ["input"])
case("ce_weight", "cross_entropy", {}, lambda r: {
    "input": u(r, (4, 3)), "target": ints(r, (4,), 0, 3),
    "weight": r.uniform(0.5, 2, size=(3,))}, ["input"])
case("ce_ignore_default", "cross_entropy", {}, lambda r: {
    "input": u(r, (4, 3)), "target": ("i", np.array([0, -100, 2, 1]))}, ["input"])
case("ce_ignore_weight_sum", "cross_entropy", {"ignore_index": 1, "reduction": "Sum"},
     lambda r: {"input": u(r, (5, 3)), "target": ("i", np.array([0, 1, 2, 1, 0])),
                "weight": r.uniform(0.5, 2, size=(3,))}, ["input"])
case("ce_none", "cross_entropy", {"reduction": "None"}, lambda r: {
    "input": u(r, (3, 4)), "target": ints(r, (3,), 0, 4)}, ["input"])
case("ce_smoothing", "cross_entropy", {"label_smoothing": 0.1}, lambda r: {
    "input": u(r, (4, 5)), "target": ints(r, (4,), 0, 5)}, ["input"])
case("ce_smoothing_weight_ignore", "cross_entropy", {"label_smoothing": 0.2, "ignore_index": 2},
     lambda r: {"input": u(r, (2, 3, 3)), "target": ("i", np.array([[0, 2, 1], [2, 1, 0]])),
                "weight": r.uniform(0.5, 2, size=(3,))}, ["input"])
case("ce_smoothing_sum_ignore", "cross_entropy",
     {"label_smoothing": 0.3, "reduction": "Sum"},
     lambda r: {"input": u(r, (4, 3)), "target": ("i", np.array([0, -100, 2, 1]))}, ["input"])
case("ce_smoothing_mean_ignore", "cross_entropy", {"label_smoothing": 0.3},
     lambda r: {"input": u(r, (4, 3)), "target": ("i", np.array([0, -100, 2, 1]))}, ["input"])
case("ce_smoothing_none", "cross_entropy", {"label_smoothing": 0.3, "reduction": "None"},
     lambda r: {"input": u(r, (4, 3)), "target": ("i", np.array([0, -100, 2, 1]))}, ["input"])
case("ce_probs", "cross_entropy", {}, lambda r: {
    "input": u(r, (3, 4)), "target": probs(r, (3, 4), 1)}, ["input", "target"])
case("ce_probs_spatial_weight_smooth", "cross_entropy", {"label_smoothing": 0.1},
     lambda r: {"input": u(r, (2, 3, 2)), "target": probs(r, (2, 3, 2), 1),
                "weight": r.uniform(0.5, 2, size=(3,))}, ["input", "target", "weight"])
case("ce_probs_sum", "cross_entropy", {"reduction": "Sum"}, lambda r: {
    "input": u(r, (3, 4)), "target": probs(r, (3, 4), 1)}, ["input"])
case("ce_large_logits", "cross_entropy", {}, lambda r: {
    "input": u(r, (4, 5), -1e4, 1e4), "target": ints(r, (4,), 0, 5)}, ["input"])
case("nll_basic", "nll_loss", {}, lambda r: {
    "input": u(r, (4, 5)), "target": ints(r, (4,), 0, 5)}, ["input"])
case("nll_weight_ignore", "nll_loss", {"ignore_index": 0}, lambda r: {
    "input": u(r, (5, 3)), "target": ("i", np.array([0, 1, 2, 0, 2])),
    "weight": r.uniform(0.5, 2, size=(3,))}, ["input"])
case("nll_spatial_none", "nll_loss", {"reduction": "None"}, lambda r: {
    "input": u(r, (2, 3, 2, 2)), "target": ints(r, (2, 2, 2), 0, 3)}, ["input"])
case("nll_sum", "nll_loss", {"reduction": "Sum"}, lambda r: {
    "input": u(r, (3, 4)), "target": ints(r, (3,), 0, 4)}, ["input"])
for red in ["Mean", "Sum", "None"]:
    for op in ["mse_loss", "l1_loss"]:
        case(f"{op}_{red}", op, {"reduction": red}, lambda r: {
            "input": u(r, (3, 4)), "target": u(r, (3, 4))}, ["input", "target"])
case("mse_loss_broadcast", "mse_loss", {"reduction": "Mean"}, lambda r: {
    "input": u(r, (3, 4)), "target": u(r, (4,))}, ["input", "target"])
for beta in [1.0, 0.5, 0.0]:
    case(f"smooth_l1_beta{beta}", "smooth_l1_loss", {"beta": beta, "reduction": "Mean"},
         lambda r: {"input": u(r, (3, 4)), "target": u(r, (3, 4))}, ["input", "target"])
case("smooth_l1_none", "smooth_l1_loss", {"beta": 1.5, "reduction": "None"},
     lambda r: {"input": u(r, (3, 4)), "target": u(r, (3, 4))}, ["input"])
for delta in [1.0, 2.0]:
    case(f"huber_delta{delta}", "huber_loss", {"delta": delta, "reduction": "Mean"},
         lambda r: {"input": u(r, (3, 4)), "target": u(r, (3, 4))}, ["input", "target"])
case("huber_sum", "huber_loss", {"delta": 0.7, "reduction": "Sum"},
     lambda r: {"input": u(r, (3, 4)), "target": u(r, (3, 4))}, ["input"])
case("bce_basic", "binary_cross_entropy", {}, lambda r: {
    "input": r.uniform(0.05, 0.95, size=(3, 4)), "target": r.uniform(0, 1, size=(3, 4))},
     ["input", "target"])
case("bce_weight_sum", "binary_cross_entropy", {"reduction": "Sum"}, lambda r: {
    "input": r.uniform(0.05, 0.95, size=(3, 4)), "target": r.uniform(0, 1, size=(3, 4)),
    "weight": r.uniform(0.5, 2, size=(4,))}, ["input"])
case("bce_none", "binary_cross_entropy", {"reduction": "None"}, lambda r: {
    "input": r.uniform(0.05, 0.95, size=(5,)), "target": r.uniform(0, 1, size=(5,))},
     ["input"])
case("bcel_basic", "binary_cross_entropy_with_logits", {}, lambda r: {
    "input": u(r, (3, 4), -4, 4), "target": r.uniform(0, 1, size=(3, 4))}, ["input", "target"])
case("bcel_weight_pos", "binary_cross_entropy_with_logits", {}, lambda r: {
    "input": u(r, (3, 4), -4, 4), "target": r.uniform(0, 1, size=(3, 4)),
    "weight": r.uniform(0.5, 2, size=(3, 1)), "pos_weight": r.uniform(0.5, 3, size=(4,))},
     ["input", "target"])
case("bcel_pos_none", "binary_cross_entropy_with_logits", {"reduction": "None"}, lambda r: {
    "input": u(r, (2, 3), -4, 4), "target": r.uniform(0, 1, size=(2, 3)),
    "pos_weight": r.uniform(0.5, 3, size=(3,))}, ["input"])
case("bcel_large", "binary_cross_entropy_with_logits", {"reduction": "Sum"}, lambda r: {
    "input": u(r, (2, 4), -1e4, 1e4), "target": ("f", np.array([[0, 1, 1, 0], [1, 0, 1, 0.5]]))},
     ["input"])
for red in ["Mean", "Sum", "None", "BatchMean"]:
    case(f"kl_div_{red}", "kl_div", {"reduction": red, "log_target": False}, lambda r: {
        "input": np.log(probs(r, (3, 4), 1)),
        "target": ("f", np.concatenate([probs(r, (3, 3), 1) * 0.9, np.zeros((3, 1))], 1))},
         ["input"])
case("kl_div_log_target", "kl_div", {"reduction": "BatchMean", "log_target": True}, lambda r: {
    "input": np.log(probs(r, (3, 4), 1)), "target": np.log(probs(r, (3, 4), 1))},
     ["input", "target"])

# --- normalisation --------------------------------------------------------------------------
for shape in [(4, 3), (3, 2, 5), (2, 3, 2, 2)]:
    c = shape[1]
    tag = "x".join(map(str, shape))
    case(f"bn_train_{tag}", "batch_norm", {"training": True, "momentum": 0.1, "eps": 1e-5},
         lambda r, shape=shape, c=c: {
             "input": u(r, shape), "running_mean": u(r, (c,)),
             "running_var": r.uniform(0.5, 2, size=(c,)), "weight": u(r, (c,)),
             "bias": u(r, (c,))}, ["input", "weight", "bias"])
case("bn_eval", "batch_norm", {"training": False, "momentum": 0.1, "eps": 1e-3}, lambda r: {
    "input": u(r, (2, 3, 4)), "running_mean": u(r, (3,)),
    "running_var": r.uniform(0.5, 2, size=(3,)), "weight": u(r, (3,)), "bias": u(r, (3,))},
     ["input", "weight", "bias"])
case("bn_train_no_stats", "batch_norm", {"training": True, "momentum": 0.3, "eps": 1e-5},
     lambda r: {"input": u(r, (3, 2, 2))}, ["input"])
case("ln_last", "layer_norm", {"normalized_shape": [4], "eps": 1e-5}, lambda r: {
    "input": u(r, (2, 3, 4)), "weight": u(r, (4,)), "bias": u(r, (4,))},
     ["input", "weight", "bias"])
case("ln_two_dims", "layer_norm", {"normalized_shape": [3, 4], "eps": 1e-5}, lambda r: {
    "input": u(r, (2, 3, 4))}, ["input"])
case("gn_basic", "group_norm", {"num_groups": 2, "eps": 1e-5}, lambda r: {
    "input": u(r, (2, 4, 3)), "weight": u(r, (4,)), "bias": u(r, (4,))},
     ["input", "weight", "bias"])
case("gn_4d", "group_norm", {"num_groups": 3, "eps": 1e-5}, lambda r: {
    "input": u(r, (2, 6, 2, 2))}, ["input"])

# --- embedding, one_hot, pad, attention -----------------------------------------------------
case("embedding", "embedding", {}, lambda r: {
    "indices": ("i", np.array([[0, 2, 0], [4, 1, 2]])), "weight": u(r, (5, 3))}, ["weight"])
case("one_hot_infer", "one_hot", {"num_classes": -1}, lambda r: {
    "indices": ("i", np.array([[0, 3], [1, 1]]))}, [])
case("one_hot_given", "one_hot", {"num_classes": 5}, lambda r: {
    "indices": ("i", np.array([4, 0, 2]))}, [])
for mode, pads in [("Constant", [1, 2]), ("Constant", [2, -1, 1, 0]), ("Reflect", [2, 1, 1, 1]),
                   ("Replicate", [1, 2, 2, 0]), ("Circular", [1, 2, 0, 1])]:
    args = {"pads": pads, "mode": mode, "value": 1.5}
    case(f"pad_{mode}_{'_'.join(map(str, pads)).replace('-', 'm')}", "pad", args,
         lambda r: {"input": u(r, (2, 3, 4))}, ["input"])
case("sdpa_basic", "scaled_dot_product_attention", {}, lambda r: {
    "q": u(r, (2, 3, 4)), "k": u(r, (2, 5, 4)), "v": u(r, (2, 5, 2))}, ["q", "k", "v"])
case("sdpa_causal_scale", "scaled_dot_product_attention", {"is_causal": True, "scale": 0.7},
     lambda r: {"q": u(r, (2, 2, 3, 4)), "k": u(r, (2, 2, 3, 4)), "v": u(r, (2, 2, 3, 2))},
     ["q", "k", "v"])
case("sdpa_bool_mask", "scaled_dot_product_attention", {}, lambda r: {
    "q": u(r, (3, 4)), "k": u(r, (5, 4)), "v": u(r, (5, 2)),
    "attn_mask": ("b", np.array([[1, 0, 1, 1, 0], [0, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool))},
     ["q", "k", "v"])
case("sdpa_float_mask", "scaled_dot_product_attention", {}, lambda r: {
    "q": u(r, (2, 3, 4)), "k": u(r, (2, 5, 4)), "v": u(r, (2, 5, 2)),
    "attn_mask": u(r, (3, 5))}, ["q", "k", "v", "attn_mask"])


def to_torch(v, dt):
    if isinstance(v, tuple):
        kind, arr = v
        if kind == "i":
            return torch.from_numpy(np.asarray(arr, dtype=np.int64))
        if kind == "b":
            return torch.from_numpy(np.asarray(arr, dtype=bool))
        return torch.from_numpy(np.asarray(arr, dtype=np.float64)).to(dt)
    return torch.from_numpy(np.asarray(v, dtype=np.float64)).to(dt)


def build(name, op, args, make, grad, dtname):
    r = np.random.default_rng([SEED, zlib.crc32(name.encode())])
    raw = make(r)
    dt = DT[dtname]
    x = {k: to_torch(v, dt) for k, v in raw.items()}
    for k in grad:
        x[k].requires_grad_(True)
    outs = run(op, args, x)
    out = outs["out"]
    res = {"name": f"{name}_{dtname}", "op": op, "args": args,
           "inputs": {k: enc(v) for k, v in x.items()}, "grad": grad,
           "outputs": {k: enc(v) for k, v in outs.items()}}
    if grad:
        g = torch.from_numpy(r.uniform(-1, 1, size=tuple(out.shape))).to(out.dtype)
        gs = torch.autograd.grad((out * g).sum(), [x[k] for k in grad])
        res["grad_output"] = enc(g)
        res["grads"] = {k: enc(v) for k, v in zip(grad, gs)}
    return res


def main():
    cases = [build(*c, dtname) for c in CASES for dtname in ["f64", "f32"]]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"generator": "tools/gen_nn_functional.py",
                               "torch": torch.__version__, "cases": cases}) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
