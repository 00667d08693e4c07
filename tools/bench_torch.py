"""The benchmark suite of examples/bench.rs, run in PyTorch (CPU).

    ../venv-torch/bin/python tools/bench_torch.py --json > pytorch.jsonl
    ../venv-torch/bin/python tools/bench_torch.py --cases add_f32_1M,matmul_f32_256
    ../venv-torch/bin/python tools/bench_torch.py --threads 2 --quick

Same cases, same shapes, same timing rule as the Rust suite: a warm-up that doubles the
number of iterations until one batch lasts at least 0.2 s, then 7 timed batches (3 with
--quick); the median and the minimum per-iteration time in microseconds. With --json it
prints one line per case: {"case": ..., "median_us": ..., "min_us": ..., "impl": "pytorch"}.
"""

import argparse
import json
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MIN_SAMPLE_S = 0.2
M = 1 << 20


# ---- matmul family ----


def square_matmul(n):
    a, b = torch.randn(n, n), torch.randn(n, n)
    return lambda: a @ b


def bmm_f32_64x128x128():
    a, b = torch.randn(64, 128, 128), torch.randn(64, 128, 128)
    return lambda: torch.bmm(a, b)


def linear_f32_b256_1024x1024():
    x, w, b = torch.randn(256, 1024), torch.randn(1024, 1024), torch.randn(1024)
    return lambda: F.linear(x, w, b)


# ---- elementwise ----


def add(n):
    a, b = torch.randn(n), torch.randn(n)
    return lambda: a + b


def add_bcast_row_f32_4096x4096():
    a, b = torch.randn(4096, 4096), torch.randn(4096)
    return lambda: a + b


def add_transposed_f32_4096x4096():
    a, b = torch.randn(4096, 4096), torch.randn(4096, 4096)
    return lambda: a + b.t()


def unary(f):
    def setup():
        x = torch.randn(16 * M)
        return lambda: f(x)

    return setup


# ---- reductions and normalisation ----


def sum_f32_16m():
    x = torch.randn(16 * M)
    return lambda: x.sum()


def sum_dim1_f32_4096x4096():
    x = torch.randn(4096, 4096)
    return lambda: x.sum(1)


def softmax_dim1_f32_4096x4096():
    x = torch.randn(4096, 4096)
    return lambda: F.softmax(x, 1)


def layernorm_f32_4096x1024():
    x, w, b = torch.randn(4096, 1024), torch.randn(1024), torch.randn(1024)
    return lambda: F.layer_norm(x, [1024], w, b, 1e-5)


def cross_entropy_f32_b4096_c1000():
    logits = torch.randn(4096, 1000)
    target = torch.randint(0, 1000, (4096,), dtype=torch.int64)
    return lambda: F.cross_entropy(logits, target)


# ---- convolution and pooling ----


def conv_inputs():
    return torch.randn(32, 64, 32, 32), torch.randn(64, 64, 3, 3), torch.randn(64)


def conv2d_fwd_f32_b32_c64_32x32_k3():
    x, w, b = conv_inputs()
    return lambda: F.conv2d(x, w, b, 1, 1, 1, 1)


def conv2d_fwd_bwd_f32_b32_c64_32x32_k3():
    """Forward, then output.sum().backward() into the input and the weight; the gradients
    are cleared each iteration, as in the Rust case."""
    x, w, b = conv_inputs()
    x.requires_grad_(True)
    w.requires_grad_(True)

    def step():
        x.grad = None
        w.grad = None
        F.conv2d(x, w, b, 1, 1, 1, 1).sum().backward()

    return step


def maxpool2d_f32_b32_c64_32x32_k2():
    x = torch.randn(32, 64, 32, 32)
    return lambda: F.max_pool2d(x, 2)


# ---- per-op overhead ----


def tiny_add_f32_10():
    a, b = torch.randn(10), torch.randn(10)
    return lambda: a + b


def tiny_chain_backward_f32_10():
    """100 ops cycling through multiply, add and tanh on 10-element tensors that require
    grad, then sum().backward()."""
    x, w, c = (torch.randn(10).requires_grad_(True) for _ in range(3))

    def step():
        x.grad = w.grad = c.grad = None
        y = x
        for i in range(100):
            if i % 3 == 0:
                y = y * w
            elif i % 3 == 1:
                y = y + c
            else:
                y = torch.tanh(y)
        y.sum().backward()

    return step


# ---- training steps ----


def train_step(model, opt, inputs, target):
    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(inputs), target)
        loss.backward()
        opt.step()

    return step


def mlp_train_step_f32_b64():
    model = nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    target = torch.randint(0, 10, (64,), dtype=torch.int64)
    return train_step(model, opt, torch.randn(64, 784), target)


def cnn_train_step_digits_b64():
    """The network of examples/digits.rs, for 8x8 single-channel images."""
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 4 * 4, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    target = torch.randint(0, 10, (64,), dtype=torch.int64)
    return train_step(model, opt, torch.rand(64, 1, 8, 8), target)


CASES = {
    "matmul_f32_64": lambda: square_matmul(64),
    "matmul_f32_256": lambda: square_matmul(256),
    "matmul_f32_1024": lambda: square_matmul(1024),
    "matmul_f32_2048": lambda: square_matmul(2048),
    "bmm_f32_64x128x128": bmm_f32_64x128x128,
    "linear_f32_b256_1024x1024": linear_f32_b256_1024x1024,
    "add_f32_1M": lambda: add(M),
    "add_f32_16M": lambda: add(16 * M),
    "add_bcast_row_f32_4096x4096": add_bcast_row_f32_4096x4096,
    "add_transposed_f32_4096x4096": add_transposed_f32_4096x4096,
    "exp_f32_16M": unary(torch.exp),
    "gelu_f32_16M": unary(F.gelu),
    "relu_f32_16M": unary(torch.relu),
    "sum_f32_16M": sum_f32_16m,
    "sum_dim1_f32_4096x4096": sum_dim1_f32_4096x4096,
    "softmax_dim1_f32_4096x4096": softmax_dim1_f32_4096x4096,
    "layernorm_f32_4096x1024": layernorm_f32_4096x1024,
    "cross_entropy_f32_b4096_c1000": cross_entropy_f32_b4096_c1000,
    "conv2d_fwd_f32_b32_c64_32x32_k3": conv2d_fwd_f32_b32_c64_32x32_k3,
    "conv2d_fwd_bwd_f32_b32_c64_32x32_k3": conv2d_fwd_bwd_f32_b32_c64_32x32_k3,
    "maxpool2d_f32_b32_c64_32x32_k2": maxpool2d_f32_b32_c64_32x32_k2,
    "tiny_add_f32_10": tiny_add_f32_10,
    "tiny_chain_backward_f32_10": tiny_chain_backward_f32_10,
    "mlp_train_step_f32_b64": mlp_train_step_f32_b64,
    "cnn_train_step_digits_b64": cnn_train_step_digits_b64,
}


# ---- timing ----


def time_batch(iteration, n):
    start = time.perf_counter()
    for _ in range(n):
        iteration()
    return time.perf_counter() - start


def measure(iteration, samples):
    """(median_us, min_us, iters_per_sample): warm up while doubling the batch until one
    batch lasts MIN_SAMPLE_S, then time `samples` batches of that size."""
    n = 1
    while time_batch(iteration, n) < MIN_SAMPLE_S:
        n *= 2
    per_iter = sorted(time_batch(iteration, n) * 1e6 / n for _ in range(samples))
    return per_iter[len(per_iter) // 2], per_iter[0], n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", help="comma-separated case names (default: all)")
    parser.add_argument("--json", action="store_true", help="one JSON line per case")
    parser.add_argument("--quick", action="store_true", help="3 samples instead of 7")
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count(),
        help="torch.set_num_threads (default: the CPU count, as rayon uses)",
    )
    args = parser.parse_args()
    names = [n for n in (args.cases or "").split(",") if n] or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; known: {', '.join(CASES)}")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    samples = 3 if args.quick else 7
    if not args.json:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
        print(f"{'case':<38} {'median µs':>14} {'min µs':>14} {'iters':>10}")
    for name in names:
        median_us, min_us, iters = measure(CASES[name](), samples)
        if args.json:
            line = {"case": name, "median_us": round(median_us, 3),
                    "min_us": round(min_us, 3), "impl": "pytorch"}
            print(json.dumps(line), flush=True)
        else:
            print(f"{name:<38} {median_us:>14.2f} {min_us:>14.2f} {iters:>10}", flush=True)


if __name__ == "__main__":
    main()
