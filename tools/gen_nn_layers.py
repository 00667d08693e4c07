#!/usr/bin/env python3
"""Write tests/golden/nn_layers.json: PyTorch layers' outputs, gradients and state after a
forward pass, for tests/nn_layers.rs.

    /work/venv-torch/bin/python tools/gen_nn_layers.py

Each case: "layer" (the firebrand layer), "config", "state" (the layer's state_dict before the
forward pass, by PyTorch name), "input", "training", "output", "grad_output", "input_grad",
"param_grads" (name -> tensor) and "state_after" (the state_dict after the pass). Tensors as in
tools/gen_golden.py; f64 throughout so the comparison is tight.
"""

import json
import pathlib

import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "golden" / "nn_layers.json"


def enc(t):
    t = t.detach()
    if t.dtype == torch.int64:
        return {"dtype": "i64", "shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()]}
    if t.dtype == torch.bool:
        return {"dtype": "bool", "shape": list(t.shape), "data": [bool(v) for v in t.reshape(-1).tolist()]}
    return {"dtype": "f64", "shape": list(t.shape),
            "data": t.to(torch.float64).reshape(-1).tolist()}


def perturbed(module, g):
    """Moves every float parameter and buffer away from its init so the test sees them."""
    with torch.no_grad():
        for name, t in list(module.named_parameters()) + list(module.named_buffers()):
            if t.dtype.is_floating_point:
                t.add_(torch.rand(t.shape, generator=g, dtype=t.dtype) * 0.5)


def case(name, layer, config, module, x, training, g, forward=None, extra=None):
    module = module.double()
    perturbed(module, g)
    module.train(training)
    state = {k: enc(v) for k, v in module.state_dict().items()}
    x = x.double().requires_grad_(True)
    out = forward(module, x) if forward else module(x)
    go = torch.rand(out.shape, generator=g, dtype=torch.float64) - 0.5
    (out * go).sum().backward()
    res = {"name": name, "layer": layer, "config": config, "state": state, "input": enc(x),
           "training": training, "output": enc(out), "grad_output": enc(go),
           "input_grad": enc(x.grad),
           "param_grads": {k: enc(p.grad) for k, p in module.named_parameters()},
           "state_after": {k: enc(v) for k, v in module.state_dict().items()}}
    if extra:
        res.update(extra)
    return res


def main():
    g = torch.Generator().manual_seed(1123)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)
    nn = torch.nn
    cases = [
        case("bn1d_train", "BatchNorm1d", {"num_features": 3}, nn.BatchNorm1d(3), r(4, 3), True, g),
        case("bn1d_3d_train", "BatchNorm1d", {"num_features": 2}, nn.BatchNorm1d(2), r(3, 2, 5), True, g),
        case("bn2d_train", "BatchNorm2d", {"num_features": 3}, nn.BatchNorm2d(3), r(2, 3, 4, 4), True, g),
        case("bn2d_eval", "BatchNorm2d", {"num_features": 3}, nn.BatchNorm2d(3), r(2, 3, 2, 2), False, g),
        case("layernorm", "LayerNorm", {"normalized_shape": [2, 4]}, nn.LayerNorm([2, 4]), r(3, 2, 4), True, g),
        case("groupnorm", "GroupNorm", {"num_groups": 2, "num_channels": 4}, nn.GroupNorm(2, 4), r(2, 4, 3), True, g),
        case("mha_self", "MultiheadAttention", {"embed_dim": 8, "num_heads": 2},
             nn.MultiheadAttention(8, 2, batch_first=True), r(2, 5, 8), True, g,
             forward=lambda m, x: m(x, x, x, need_weights=False)[0]),
    ]
    mask = torch.tensor([[False, True, False, False], [False, False, True, True], [True, False, False, False]])
    kv = r(2, 4, 6)
    cases.append(case("mha_cross_mask", "MultiheadAttention", {"embed_dim": 6, "num_heads": 3},
                      nn.MultiheadAttention(6, 3, batch_first=True), r(2, 3, 6), True, g,
                      forward=lambda m, x: m(x, kv, kv, attn_mask=mask, need_weights=False)[0],
                      extra={"kv": enc(kv), "attn_mask": enc(mask)}))
    OUT.write_text(json.dumps({"generator": "tools/gen_nn_layers.py", "torch": torch.__version__,
                               "cases": cases}) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
