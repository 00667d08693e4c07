#!/usr/bin/env python3
"""Write the fixtures of tests/io.rs (tests/fixtures/io/) with torch, safetensors and NumPy,
and check files that firebrand wrote.

    python tools/gen_io_fixtures.py                  # rewrite tests/fixtures/io/*
    python tools/gen_io_fixtures.py --check DIR      # read back what `cargo test --test io`
                                                     # wrote to DIR (target/io-python-check)

The fixtures are small files written by the reference implementations
(`safetensors.torch.save_file`, `np.save`, `np.lib.format.write_array`, `np.savez`,
`np.savez_compressed`) plus `expected.json`, which lists for each file the name, dtype, shape
and row-major values of every array in it. The Rust test loads each file with firebrand and
compares with expected.json.

--check DIR reads the files the Rust test `python_readback_files_are_written` wrote with
firebrand (one safetensors file, one .npy per array, one .npz) and compares them with the same
expected values, using safetensors/NumPy only; it exits non-zero on any mismatch.
"""

import argparse
import json
import pathlib
import sys

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file as torch_load_safetensors
from safetensors.torch import save_file

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "io"

TORCH = {
    "bool": torch.bool, "u8": torch.uint8, "i8": torch.int8, "i32": torch.int32,
    "i64": torch.int64, "f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32,
    "f64": torch.float64,
}
NUMPY = {
    "bool": np.bool_, "u8": np.uint8, "i8": np.int8, "i32": np.int32, "i64": np.int64,
    "f16": np.float16, "f32": np.float32, "f64": np.float64,
}


def values_for(dtype, n):
    """Deterministic values exactly representable in every dtype of their kind."""
    k = np.arange(n)
    if dtype == "bool":
        return [bool(v) for v in (k % 3 == 1)]
    if dtype == "u8":
        return [int(v) for v in (k * 37 + 200) % 256]
    if dtype in ("i8", "i32", "i64"):
        big = {"i8": 0, "i32": 2_000_000_000, "i64": 9_000_000_000_000_000_000}[dtype]
        vals = [int(v) for v in (k * 29 % 100 - 50)]
        if n > 1:
            vals[-1] = big if big else 127
            vals[0] = -big - 1 if big else -128
        return vals
    return [float(v) for v in (k * 0.75 - 2.5)]


# name -> (dtype, shape) of the arrays in the safetensors fixture
ST_ARRAYS = {f"t_{d}": (d, [2, 3]) for d in TORCH}
ST_ARRAYS.update({"scalar_f32": ("f32", []), "empty_i64": ("i64", [0, 4]),
                  "layer.0.weight": ("f32", [3, 1, 2])})


def entry(name, dtype, shape):
    n = int(np.prod(shape, dtype=np.int64)) if shape else 1
    return {"name": name, "dtype": dtype, "shape": shape, "values": values_for(dtype, n)}


def torch_tensor(e):
    t = torch.tensor(e["values"], dtype=torch.float64 if e["dtype"] in ("f16", "bf16", "f32", "f64") else None)
    return t.to(TORCH[e["dtype"]]).reshape(e["shape"])


def numpy_array(e):
    return np.array(e["values"], dtype=NUMPY[e["dtype"]]).reshape(e["shape"])


def generate():
    OUT.mkdir(parents=True, exist_ok=True)
    expected = {}

    st = [entry(k, d, s) for k, (d, s) in sorted(ST_ARRAYS.items())]
    save_file({e["name"]: torch_tensor(e) for e in st}, OUT / "torch_all_dtypes.safetensors",
              metadata={"format": "pt", "made_by": "gen_io_fixtures.py"})
    expected["torch_all_dtypes.safetensors"] = st
    # no metadata, so the file is fully determined: firebrand must write the same bytes
    plain = [entry(k, d, s) for k, d, s in sorted([("b_f32", "f32", [2]), ("a_i64", "i64", [3]),
                                                   ("c_bf16", "bf16", [2, 1]), ("d_bool", "bool", [3])])]
    save_file({e["name"]: torch_tensor(e) for e in plain}, OUT / "torch_no_metadata.safetensors")
    expected["torch_no_metadata.safetensors"] = plain
    save_file({"ok": torch.zeros(2), "weird": torch.tensor([1, 2, 3]).to(torch.uint16)},
              OUT / "unsupported_u16.safetensors")
    save_file({"f8": torch.zeros(4, dtype=torch.float8_e4m3fn)}, OUT / "unsupported_f8.safetensors")

    # .npy files: one array each, C order unless the name says fortran
    npy = {
        "c_f4.npy": entry("", "f32", [2, 3]),
        "c_f8.npy": entry("", "f64", [4]),
        "c_f2.npy": entry("", "f16", [3, 2]),
        "c_i1.npy": entry("", "i8", [5]),
        "c_u1.npy": entry("", "u8", [2, 2]),
        "c_i4.npy": entry("", "i32", [2, 2]),
        "c_i8.npy": entry("", "i64", [3]),
        "c_b1.npy": entry("", "bool", [2, 3]),
        "scalar_0d.npy": entry("", "f64", []),
        "empty.npy": entry("", "f32", [0, 3]),
        "fortran_f4.npy": entry("", "f32", [3, 4]),
        "fortran_i8_3d.npy": entry("", "i64", [2, 3, 2]),
        "v2_f4.npy": entry("", "f32", [2, 2]),
        "v3_i4.npy": entry("", "i32", [3]),
        "big_endian_i4.npy": entry("", "i32", [4]),
        "big_endian_f8.npy": entry("", "f64", [2, 2]),
    }
    for fname, e in npy.items():
        a = numpy_array(e)
        path = OUT / fname
        if fname.startswith("fortran"):
            np.save(path, np.asfortranarray(a))
        elif fname.startswith("v2") or fname.startswith("v3"):
            version = (2, 0) if fname.startswith("v2") else (3, 0)
            with open(path, "wb") as f:
                np.lib.format.write_array(f, a, version=version)
        elif fname.startswith("big_endian"):
            np.save(path, a.astype(a.dtype.newbyteorder(">")))
        else:
            np.save(path, a)
        expected[fname] = [e]

    npz = [entry("weights", "f32", [2, 2]), entry("labels", "i64", [3]), entry("mask", "bool", [4]),
           entry("scale", "f64", [])]
    arrays = {e["name"]: numpy_array(e) for e in npz}
    np.savez(OUT / "savez.npz", **arrays)
    np.savez_compressed(OUT / "savez_compressed.npz", **arrays)
    expected["savez.npz"] = npz
    expected["savez_compressed.npz"] = npz

    with open(OUT / "expected.json", "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {len(list(OUT.iterdir()))} files, {total} bytes, to {OUT}")


def same(got, e, where):
    want = numpy_array(e) if e["dtype"] != "bf16" else None
    if e["dtype"] == "bf16":
        ok = list(got.shape) == e["shape"] and got.dtype == torch.bfloat16 and \
            got.to(torch.float64).flatten().tolist() == e["values"]
    else:
        ok = got.dtype == want.dtype and list(got.shape) == e["shape"] and np.array_equal(got, want)
    if not ok:
        print(f"MISMATCH {where}: got {got!r}, want {e}")
    return ok


def check(dirname):
    d = pathlib.Path(dirname)
    expected = json.load(open(OUT / "expected.json"))
    ok = True
    n = 0
    st = expected["torch_all_dtypes.safetensors"]
    loaded = torch_load_safetensors(d / "all_dtypes.safetensors")
    ok &= sorted(loaded) == sorted(e["name"] for e in st)
    for e in st:
        t = loaded[e["name"]]
        ok &= same(t if e["dtype"] == "bf16" else t.numpy(), e, f"all_dtypes.safetensors:{e['name']}")
        n += 1
    with safe_open(d / "all_dtypes.safetensors", framework="np") as f:  # numpy lacks bf16
        for e in st:
            if e["dtype"] != "bf16":
                ok &= same(f.get_tensor(e["name"]), e, f"all_dtypes.safetensors (numpy):{e['name']}")
    for fname, (e,) in ((k, v) for k, v in expected.items() if k.endswith(".npy")):
        a = np.load(d / fname)
        ok &= same(a, e, fname)
        # our header must be byte-identical to what np.save writes for the same array
        ours = (d / fname).read_bytes()
        ref = pathlib.Path(d / "numpy_resave.npy")
        np.save(ref, numpy_array(e).copy(order="C"))  # ascontiguousarray makes 0-d 1-d
        if ours != ref.read_bytes():
            print(f"MISMATCH {fname}: bytes differ from np.save of the same array")
            ok = False
        n += 1
    ref.unlink()
    with np.load(d / "arrays.npz") as z:
        npz = expected["savez.npz"]
        ok &= list(z.keys()) == [e["name"] for e in npz]
        for e in npz:
            ok &= same(z[e["name"]], e, f"arrays.npz:{e['name']}")
            n += 1
    print(("OK" if ok else "FAILED") + f": checked {n} arrays written by firebrand in {d}")
    return ok


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", metavar="DIR", help="read back the files firebrand wrote to DIR")
    args = p.parse_args()
    if args.check:
        sys.exit(0 if check(args.check) else 1)
    generate()


if __name__ == "__main__":
    main()
