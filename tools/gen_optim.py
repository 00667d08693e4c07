#!/usr/bin/env python3
"""Write tests/golden/optim.json: PyTorch's values for firebrand::optim's tests.

    /work/venv-torch/bin/python tools/gen_optim.py

Three kinds of case:
  * "optimizers": fixed f64 (or f32) initial parameters, then ~5 steps. Each step's gradients
    are either given explicitly ("grads", a list per step, `null` where a parameter has no
    gradient that step) or come from the fixed loss below ("loss": "quadratic"). "expected"
    holds every parameter's value after each step. Options are keyed by the Rust builder
    names (lr, momentum, dampening, nesterov, weight_decay, betas, eps, amsgrad, alpha,
    centered, lr_decay, initial_accumulator_value, maximize). Every optimizer runs the
    single-tensor implementation (foreach=False), whose formulas firebrand follows.
  * "schedulers": the learning rate after construction and after each of ~20 scheduler
    steps (optimizer.step() before each scheduler.step(), as PyTorch asks), plus the
    momentum (SGD) / beta1 (Adam) sequence where the scheduler cycles it.
  * "clip": clip_grad_norm_ / clip_grad_value_ on fixed gradients: the returned total norm
    and the gradients afterwards.

Tensors are {"dtype", "shape", "data"} with the data flattened in row-major order.
Random values come from a NumPy generator seeded per case name.
"""

import json
import pathlib
import zlib

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "golden" / "optim.json"
SEED = 20251123
SHAPES = [(3, 2), (4,)]


def rng_for(name):
    return np.random.default_rng([SEED, zlib.crc32(name.encode())])


def enc(t):
    t = t.detach()
    name = {torch.float64: "f64", torch.float32: "f32"}[t.dtype]
    return {"dtype": name, "shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def quadratic_loss(params):
    """sum(c * (p0 - t)^2) + sum(p1^4) / 4 with fixed c, t (the Rust test builds the same)."""
    p0, p1 = params
    dtype = p0.dtype
    c = torch.arange(1, 7, dtype=dtype).reshape(3, 2) * 0.5
    t = torch.linspace(-1.0, 1.0, 6, dtype=dtype).reshape(3, 2)
    return (c * (p0 - t) ** 2).sum() + (p1**4).sum() * 0.25


def make_optimizer(kind, params, opts):
    o = dict(opts)
    lr = o.pop("lr")
    if "betas" in o:
        o["betas"] = tuple(o["betas"])
    cls = {
        "SGD": torch.optim.SGD,
        "Adam": torch.optim.Adam,
        "AdamW": torch.optim.AdamW,
        "RMSprop": torch.optim.RMSprop,
        "Adagrad": torch.optim.Adagrad,
    }[kind]
    return cls(params, lr=lr, foreach=False, **o)


def optimizer_case(name, kind, opts, steps=5, dtype=torch.float64, mode="random", none_at=None):
    rng = rng_for(name)
    params = [torch.tensor(rng.normal(size=s), dtype=dtype).requires_grad_(True) for s in SHAPES]
    init = [enc(p) for p in params]
    opt = make_optimizer(kind, params, opts)
    grads_out, expected = [], []
    for step in range(steps):
        opt.zero_grad()
        if mode == "quadratic":
            quadratic_loss(params).backward()
        else:
            row = []
            for i, (p, s) in enumerate(zip(params, SHAPES)):
                if none_at is not None and (step, i) in none_at:
                    row.append(None)
                    continue
                g = torch.tensor(rng.normal(size=s), dtype=dtype)
                p.grad = g.clone()
                row.append(enc(g))
            grads_out.append(row)
        opt.step()
        expected.append([enc(p) for p in params])
    case = {"name": name, "optimizer": kind, "options": opts, "params": init, "expected": expected}
    if mode == "quadratic":
        case["loss"] = "quadratic"
    else:
        case["grads"] = grads_out
    return case


def optimizer_cases():
    none = {(1, 1), (2, 0)}  # parameter 1 has no grad at step 1, parameter 0 none at step 2
    c = []
    add = lambda *a, **k: c.append(optimizer_case(*a, **k))
    add("sgd_plain", "SGD", {"lr": 0.1})
    add("sgd_momentum", "SGD", {"lr": 0.1, "momentum": 0.9})
    add("sgd_momentum_dampening", "SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3})
    add("sgd_nesterov_wd", "SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-2})
    add("sgd_wd_maximize", "SGD", {"lr": 0.1, "weight_decay": 0.1, "maximize": True})
    add("sgd_momentum_none_grads", "SGD", {"lr": 0.1, "momentum": 0.9}, none_at=none)
    add("sgd_quadratic", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, steps=8, mode="quadratic")
    add("sgd_f32", "SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-2}, dtype=torch.float32)
    add("adam_default", "Adam", {"lr": 1e-3})
    add("adam_lr_betas", "Adam", {"lr": 0.1, "betas": [0.8, 0.99], "eps": 1e-6})
    add("adam_wd", "Adam", {"lr": 0.05, "weight_decay": 0.1})
    add("adam_amsgrad", "Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 1e-2})
    add("adam_maximize", "Adam", {"lr": 0.05, "maximize": True})
    add("adam_none_grads", "Adam", {"lr": 0.05}, none_at=none)
    add("adam_quadratic", "Adam", {"lr": 0.1}, steps=8, mode="quadratic")
    add("adam_f32", "Adam", {"lr": 0.05, "amsgrad": True}, dtype=torch.float32)
    add("adamw_default", "AdamW", {"lr": 1e-3})
    add("adamw_wd", "AdamW", {"lr": 0.05, "weight_decay": 0.1, "betas": [0.85, 0.995]})
    add("adamw_amsgrad", "AdamW", {"lr": 0.05, "weight_decay": 0.05, "amsgrad": True})
    add("adamw_f32", "AdamW", {"lr": 0.05, "weight_decay": 0.1}, dtype=torch.float32)
    add("adamw_quadratic", "AdamW", {"lr": 0.1, "weight_decay": 0.1}, steps=8, mode="quadratic")
    add("rmsprop_default", "RMSprop", {"lr": 1e-2})
    add("rmsprop_momentum", "RMSprop", {"lr": 1e-2, "momentum": 0.9, "alpha": 0.9})
    add("rmsprop_centered", "RMSprop", {"lr": 1e-2, "centered": True, "weight_decay": 0.1, "eps": 1e-6})
    add("rmsprop_centered_momentum", "RMSprop", {"lr": 5e-3, "centered": True, "momentum": 0.5})
    add("rmsprop_none_grads", "RMSprop", {"lr": 1e-2, "momentum": 0.9}, none_at=none)
    add("rmsprop_f32", "RMSprop", {"lr": 1e-2, "centered": True}, dtype=torch.float32)
    add("adagrad_default", "Adagrad", {"lr": 1e-2})
    add("adagrad_options", "Adagrad",
        {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-8})
    add("adagrad_maximize_none", "Adagrad", {"lr": 0.1, "maximize": True}, none_at=none)
    add("adagrad_f32", "Adagrad", {"lr": 0.1, "lr_decay": 0.01}, dtype=torch.float32)
    return c


def scheduler_case(name, kind, args, optimizer="SGD", base_lr=0.1, steps=20):
    p = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = (torch.optim.SGD([p], lr=base_lr, momentum=0.9) if optimizer == "SGD"
           else torch.optim.Adam([p], lr=base_lr))
    a = dict(args)
    sched = {
        "StepLR": torch.optim.lr_scheduler.StepLR,
        "MultiStepLR": torch.optim.lr_scheduler.MultiStepLR,
        "ExponentialLR": torch.optim.lr_scheduler.ExponentialLR,
        "CosineAnnealingLR": torch.optim.lr_scheduler.CosineAnnealingLR,
        "LinearLR": torch.optim.lr_scheduler.LinearLR,
        "OneCycleLR": torch.optim.lr_scheduler.OneCycleLR,
    }[kind](opt, **a)

    def momentum():
        g = opt.param_groups[0]
        return g["momentum"] if "momentum" in g else g["betas"][0]

    lrs, moms = [sched.get_last_lr()[0]], [momentum()]
    for _ in range(steps):
        p.grad = torch.ones_like(p)
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
        moms.append(momentum())
    return {"name": name, "scheduler": kind, "args": args, "optimizer": optimizer,
            "base_lr": base_lr, "lrs": lrs, "momentums": moms}


def scheduler_cases():
    c = []
    add = lambda *a, **k: c.append(scheduler_case(*a, **k))
    add("step", "StepLR", {"step_size": 3})
    add("step_gamma", "StepLR", {"step_size": 5, "gamma": 0.5})
    add("multistep", "MultiStepLR", {"milestones": [2, 5, 5, 11], "gamma": 0.3})
    add("exponential", "ExponentialLR", {"gamma": 0.9})
    add("cosine", "CosineAnnealingLR", {"T_max": 10})
    add("cosine_eta_min", "CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}, steps=30)
    add("linear", "LinearLR", {})
    add("linear_args", "LinearLR", {"start_factor": 0.5, "end_factor": 0.1, "total_iters": 8})
    add("onecycle", "OneCycleLR", {"max_lr": 1.0, "total_steps": 20}, steps=19)
    add("onecycle_adam", "OneCycleLR", {"max_lr": 0.01, "total_steps": 25}, optimizer="Adam", steps=24)
    add("onecycle_options", "OneCycleLR",
        {"max_lr": 0.5, "total_steps": 30, "pct_start": 0.25, "div_factor": 10.0,
         "final_div_factor": 100.0, "three_phase": True, "anneal_strategy": "linear",
         "base_momentum": 0.8, "max_momentum": 0.9}, steps=29)
    add("onecycle_no_momentum", "OneCycleLR",
        {"max_lr": 0.3, "total_steps": 12, "cycle_momentum": False}, steps=11)
    return c


def clip_case(name, kind, arg, norm_type=2.0, dtype=torch.float64):
    rng = rng_for(name)
    grads = [torch.tensor(rng.normal(size=s), dtype=dtype) for s in SHAPES]
    params = [torch.zeros(s, dtype=dtype, requires_grad=True) for s in SHAPES]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    case = {"name": name, "kind": kind, "grads": [enc(g) for g in grads]}
    if kind == "norm":
        total = torch.nn.utils.clip_grad_norm_(params, arg, norm_type=norm_type, foreach=False)
        case.update(max_norm=arg, norm_type=norm_type if norm_type != float("inf") else "inf",
                    total_norm=float(total))
    else:
        torch.nn.utils.clip_grad_value_(params, arg, foreach=False)
        case.update(clip_value=arg)
    case["clipped"] = [enc(p.grad) for p in params]
    return case


def clip_cases():
    return [
        clip_case("norm2_clips", "norm", 1.0),
        clip_case("norm2_no_clip", "norm", 100.0),
        clip_case("norm1", "norm", 2.0, norm_type=1.0),
        clip_case("norm3", "norm", 0.5, norm_type=3.0),
        clip_case("norm_inf", "norm", 0.7, norm_type=float("inf")),
        clip_case("norm2_f32", "norm", 1.0, dtype=torch.float32),
        clip_case("value", "value", 0.5),
        clip_case("value_f32", "value", 0.25, dtype=torch.float32),
    ]


def main():
    torch.set_default_dtype(torch.float64)
    data = {"torch_version": torch.__version__, "optimizers": optimizer_cases(),
            "schedulers": scheduler_cases(), "clip": clip_cases()}
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
