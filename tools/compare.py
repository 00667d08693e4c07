"""Sets two benchmark runs side by side as a markdown table, with the issue's targets.

    python3 tools/compare.py firebrand.jsonl pytorch.jsonl
    python3 tools/compare.py firebrand.jsonl pytorch.jsonl candle.jsonl

Each file holds the JSON lines of `cargo run --release --example bench -- --json` or
`tools/bench_torch.py --json`. The ratio is the first file's median over the second's
(firebrand / PyTorch when given in that order); a case meets its target when the ratio is at
most the target. Cases present in only one file are listed with a blank for the other; a
case present several times in one file (runs appended) counts its lowest median. A third
file (tools/bench_candle's output) adds its times and the ratio of the first file's median
over its own: the issue asks firebrand to be faster than candle on every case (ratio < 1).
Needs only the standard library.
"""

import json
import sys

# The largest acceptable ratio firebrand / PyTorch, by case-name prefix (first match wins).
TARGETS = [
    ("tiny_chain_backward", 0.15),
    ("tiny_add", 0.1),
    ("maxpool", 0.25),
    ("add_f32_16M", 0.5),
    ("add_bcast_row", 0.5),
    ("add_transposed", 0.5),
    ("exp_", 0.5),
    ("gelu_", 0.5),
    ("relu_", 0.5),
    ("softmax", 0.5),
    ("cnn_train_step", 0.5),
    ("matmul", 1.0),
    ("bmm", 1.0),
    ("linear", 1.0),
    ("add_f32_1M", 1.0),
    ("sum", 1.0),
    ("layernorm", 1.0),
    ("cross_entropy", 1.0),
    ("conv", 1.0),
    ("mlp", 1.0),
]


def target_for(case):
    return next((t for prefix, t in TARGETS if case.startswith(prefix)), None)


def load(path):
    """{case: record} from a file of JSON lines, ignoring blank and non-JSON lines. A case
    that appears more than once (several runs appended to one file) keeps its fastest run."""
    runs = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                record = json.loads(line)
                best = runs.get(record["case"])
                if best is None or record["median_us"] < best["median_us"]:
                    runs[record["case"]] = record
    return runs


def fmt_us(record):
    if record is None:
        return ""
    us = record["median_us"]
    return f"{us:.3f}" if us < 10 else f"{us:.1f}" if us < 1000 else f"{us:,.0f}"


def vs_third(case, a, c):
    """The cells comparing the first run with a third (candle): its time, the ratio, and
    whether the first run is faster."""
    if not (a and c):
        return [fmt_us(c), "", ""], ""
    ratio = a["median_us"] / c["median_us"]
    verdict = "faster" if ratio < 1 else "**slower**"
    return [fmt_us(c), f"{ratio:.2f}", verdict], verdict


def row(case, a, b):
    target = target_for(case)
    ratio = a["median_us"] / b["median_us"] if a and b else None
    if ratio is None or target is None:
        verdict = ""
    else:
        verdict = "met" if ratio <= target else "**not met**"
    cells = [
        case,
        fmt_us(a),
        fmt_us(b),
        "" if ratio is None else f"{ratio:.2f}",
        "" if target is None else f"<= {target:g}",
        verdict,
    ]
    return cells, verdict


def name_of(runs, fallback):
    return next(iter(runs.values()), {}).get("impl", fallback)


def main(argv):
    if len(argv) not in (3, 4):
        sys.exit(f"usage: {argv[0]} FIREBRAND.jsonl PYTORCH.jsonl [CANDLE.jsonl]")
    a, b = load(argv[1]), load(argv[2])
    c = load(argv[3]) if len(argv) == 4 else None
    name_a, name_b = name_of(a, "a"), name_of(b, "b")
    cases = list(a) + [k for k in b if k not in a]
    header = f"| case | {name_a} µs | {name_b} µs | ratio | target | |"
    rule = "|---|--:|--:|--:|--:|---|"
    if c is not None:
        cases += [k for k in c if k not in cases]
        name_c = name_of(c, "c")
        header += f" {name_c} µs | {name_a} / {name_c} | |"
        rule += "--:|--:|---|"
    print(header)
    print(rule)
    verdicts, versus = [], []
    for case in cases:
        cells, verdict = row(case, a.get(case), b.get(case))
        verdicts.append(verdict)
        if c is not None:
            more, faster = vs_third(case, a.get(case), c.get(case))
            cells += more
            versus.append(faster)
        print("| " + " | ".join(cells) + " |")
    met = verdicts.count("met")
    judged = met + verdicts.count("**not met**")
    print(f"\n{met} of {judged} targets met.")
    if c is not None:
        faster = versus.count("faster")
        compared = faster + versus.count("**slower**")
        print(f"Faster than {name_c} on {faster} of {compared} cases.")


if __name__ == "__main__":
    main(sys.argv)
