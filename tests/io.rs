//! Tests of firebrand::io: safetensors, .npy and .npz round trips for every dtype; fixtures
//! written by torch/safetensors/NumPy (tests/fixtures/io/, made by tools/gen_io_fixtures.py)
//! that must load with their exact values; byte-level agreement with np.save; atomic saves;
//! and corrupt, truncated or lying files, which must give a clear Err and never panic.

use firebrand::io;
use firebrand::{DType, Error, Tensor};
use proptest::prelude::*;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

// ----- helpers ---------------------------------------------------------------------------------

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/io")
        .join(name)
}

fn expected() -> Value {
    let text = std::fs::read_to_string(fixture("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A fresh, empty directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("io-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn dir_listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A 2x3 tensor of `dtype` with values that each dtype represents exactly.
fn sample(dtype: DType) -> Tensor {
    match dtype {
        DType::Bool => Tensor::from_vec(vec![true, false, false, true, true, false], [2, 3]),
        d if d.is_float() => {
            Tensor::from_vec(vec![-3.0f64, -1.5, 0.0, 0.25, 1.0, 100.0], [2, 3]).to_dtype(d)
        }
        d => Tensor::from_vec(vec![-3i64, -1, 0, 7, 100, 127], [2, 3]).to_dtype(d),
    }
}

/// Same dtype, shape and values (NaN equal to NaN; integers compared exactly).
fn assert_same(got: &Tensor, want: &Tensor, what: &str) {
    assert_eq!(got.dtype(), want.dtype(), "{what}: dtype");
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    if want.dtype().is_float() {
        let (g, w) = (got.to_vec::<f64>(), want.to_vec::<f64>());
        let same = g
            .iter()
            .zip(&w)
            .all(|(a, b)| a == b || (a.is_nan() && b.is_nan()));
        assert!(same, "{what}: values {g:?} != {w:?}");
    } else {
        assert_eq!(got.to_vec::<i64>(), want.to_vec::<i64>(), "{what}: values");
    }
}

/// The tensor an expected.json entry describes, built from its JSON values.
fn tensor_from_json(e: &Value) -> Tensor {
    let dtype = DType::from_name(e["dtype"].as_str().unwrap()).unwrap();
    let shape: Vec<usize> = e["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let values = e["values"].as_array().unwrap();
    match dtype {
        DType::Bool => {
            Tensor::from_vec(values.iter().map(|v| v.as_bool().unwrap()).collect(), shape)
        }
        d if d.is_float() => {
            let v: Vec<f64> = values.iter().map(|v| v.as_f64().unwrap()).collect();
            Tensor::from_vec(v, shape).to_dtype(d)
        }
        d => {
            let v: Vec<i64> = values.iter().map(|v| v.as_i64().unwrap()).collect();
            Tensor::from_vec(v, shape).to_dtype(d)
        }
    }
}

fn entries(file: &str) -> Vec<Value> {
    expected()[file].as_array().unwrap().clone()
}

fn err_text(r: firebrand::Result<impl std::fmt::Debug>) -> String {
    r.expect_err("expected an error").to_string()
}

fn is_format_err<T>(r: &firebrand::Result<T>) -> bool {
    matches!(r, Err(Error::Format(_)))
}

/// Every dtype's sample, plus a transposed (non-contiguous) view, a 0-d and an empty tensor.
fn all_dtype_tensors() -> Vec<(String, Tensor)> {
    let mut named: Vec<(String, Tensor)> = DType::ALL
        .iter()
        .map(|&d| (format!("t_{d}"), sample(d)))
        .collect();
    named.extend(
        DType::ALL
            .iter()
            .map(|&d| (format!("t_{d}_transposed"), sample(d).t())),
    );
    named.push(("scalar".into(), Tensor::scalar(2.5f64)));
    named.push(("empty".into(), Tensor::zeros([0, 3], DType::I32)));
    let odd = Tensor::from_vec(vec![f32::NAN, f32::INFINITY, -0.0, f32::MIN_POSITIVE], [4]);
    named.push(("special_f32".into(), odd));
    named.push((
        "i64_extremes".into(),
        Tensor::from_vec(vec![i64::MIN, i64::MAX], [2]),
    ));
    named
}

// ----- safetensors -----------------------------------------------------------------------------

#[test]
fn safetensors_round_trip_every_dtype_and_layout() {
    let named = all_dtype_tensors();
    assert!(
        !named
            .iter()
            .find(|(n, _)| n == "t_f32_transposed")
            .unwrap()
            .1
            .is_contiguous()
    );
    let path = scratch("st_round_trip").join("model.safetensors");
    io::save_safetensors(&named, &path).unwrap();
    let loaded = io::load_safetensors(&path).unwrap();
    let mut want = named.clone();
    want.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(loaded.len(), want.len());
    for ((gn, got), (wn, w)) in loaded.iter().zip(&want) {
        assert_eq!(gn, wn, "sorted by name");
        assert_same(got, w, gn);
        assert!(got.is_contiguous());
    }
    // in memory too
    let bytes = io::to_safetensors_bytes(&named).unwrap();
    assert_eq!(bytes, std::fs::read(&path).unwrap());
    assert_eq!(
        io::from_safetensors_bytes(&bytes).unwrap().len(),
        named.len()
    );
}

#[test]
fn safetensors_metadata_round_trips() {
    let meta = HashMap::from([
        ("format".to_string(), "pt".to_string()),
        ("step".into(), "7".into()),
    ]);
    let path = scratch("st_meta").join("m.safetensors");
    io::save_safetensors_with_metadata(&[("w".into(), sample(DType::F32))], &meta, &path).unwrap();
    let (tensors, back) = io::load_safetensors_with_metadata(&path).unwrap();
    assert_eq!(back, meta);
    assert_same(&tensors[0].1, &sample(DType::F32), "w");
}

#[test]
fn safetensors_written_by_torch_load_with_exact_values() {
    let path = fixture("torch_all_dtypes.safetensors");
    let (loaded, meta) = io::load_safetensors_with_metadata(&path).unwrap();
    assert_eq!(meta["format"], "pt");
    assert_eq!(meta["made_by"], "gen_io_fixtures.py");
    let want = entries("torch_all_dtypes.safetensors");
    assert_eq!(loaded.len(), want.len());
    for ((name, got), e) in loaded.iter().zip(&want) {
        assert_eq!(
            name,
            e["name"].as_str().unwrap(),
            "sorted by name like expected.json"
        );
        assert_same(got, &tensor_from_json(e), name);
    }
}

#[test]
fn safetensors_bytes_equal_torch_save_file_bytes() {
    // without metadata a safetensors file is fully determined by its tensors
    let file = std::fs::read(fixture("torch_no_metadata.safetensors")).unwrap();
    let loaded = io::from_safetensors_bytes(&file).unwrap();
    let want = entries("torch_no_metadata.safetensors");
    assert_eq!(loaded.len(), want.len());
    for ((name, got), e) in loaded.iter().zip(&want) {
        assert_eq!(name, e["name"].as_str().unwrap());
        assert_same(got, &tensor_from_json(e), name);
    }
    let mut shuffled = loaded.clone();
    shuffled.reverse();
    assert_eq!(io::to_safetensors_bytes(&shuffled).unwrap(), file);
}

#[test]
fn safetensors_with_unsupported_dtypes_name_tensor_and_dtype() {
    let msg = err_text(io::load_safetensors(fixture("unsupported_u16.safetensors")));
    assert!(msg.contains("\"weird\"") && msg.contains("U16"), "{msg}");
    assert!(msg.contains("unsupported_u16.safetensors"), "{msg}");
    let msg = err_text(io::load_safetensors(fixture("unsupported_f8.safetensors")));
    assert!(msg.contains("\"f8\"") && msg.contains("F8_E4M3"), "{msg}");
}

#[test]
fn safetensors_rejects_duplicate_and_reserved_names() {
    let t = sample(DType::F32);
    let msg = err_text(io::to_safetensors_bytes(&[
        ("a".into(), t.clone()),
        ("a".into(), t.clone()),
    ]));
    assert!(msg.contains("\"a\" appears twice"), "{msg}");
    let msg = err_text(io::to_safetensors_bytes(&[("__metadata__".into(), t)]));
    assert!(msg.contains("reserves"), "{msg}");
}

/// A safetensors file from a header string and data bytes.
fn st_file(header: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header);
    out.extend_from_slice(data);
    out
}

#[test]
fn safetensors_corrupt_files_are_clear_errors() {
    let f32_header = |dtype: &str, shape: &str, end: usize| {
        format!(r#"{{"a":{{"dtype":"{dtype}","shape":{shape},"data_offsets":[0,{end}]}}}}"#)
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty file", vec![], "8-byte"),
        ("cut inside the length", vec![5, 0, 0], "8-byte"),
        (
            "header length past the end",
            {
                let mut b = 1000u64.to_le_bytes().to_vec();
                b.extend_from_slice(b"{}");
                b
            },
            "header length says 1000",
        ),
        (
            "absurd header length",
            u64::MAX.to_le_bytes().to_vec(),
            "header length",
        ),
        (
            "non-UTF-8 header",
            st_file(&[0xff, 0xfe, 0xfd, 0xfc], &[]),
            "UTF-8",
        ),
        ("not JSON", st_file(b"{\"a\": nope}", &[]), "JSON"),
        (
            "offsets past the end",
            st_file(f32_header("F32", "[2]", 8).as_bytes(), &[0; 4]),
            "not a valid safetensors",
        ),
        (
            "shape disagrees with bytes",
            st_file(f32_header("F32", "[3]", 8).as_bytes(), &[0; 8]),
            "not a valid safetensors",
        ),
        (
            "shape product overflows",
            st_file(
                f32_header("F32", "[4611686018427387904,8]", 8).as_bytes(),
                &[0; 8],
            ),
            "overflow",
        ),
        (
            "unknown dtype",
            st_file(f32_header("Q7", "[2]", 8).as_bytes(), &[0; 8]),
            "Q7",
        ),
        (
            "trailing bytes",
            st_file(f32_header("F32", "[2]", 8).as_bytes(), &[0; 12]),
            "not a valid safetensors",
        ),
    ];
    for (what, bytes, needle) in cases {
        let r = io::from_safetensors_bytes(&bytes);
        assert!(is_format_err(&r), "{what}: {r:?}");
        let msg = err_text(r);
        assert!(msg.contains(needle), "{what}: {msg:?} lacks {needle:?}");
    }
}

#[test]
fn safetensors_load_errors_name_the_file() {
    let dir = scratch("st_errors");
    let path = dir.join("broken.safetensors");
    std::fs::write(&path, st_file(b"{\"a\":", &[])).unwrap();
    let msg = err_text(io::load_safetensors(&path));
    assert!(
        msg.contains("broken.safetensors") && msg.contains("JSON"),
        "{msg}"
    );
    let missing = dir.join("missing.safetensors");
    let r = io::load_safetensors(&missing);
    assert!(matches!(r, Err(Error::Io(_))));
    assert!(err_text(r).contains("missing.safetensors"));
}

// ----- atomic saves ----------------------------------------------------------------------------

#[test]
fn failed_write_midway_leaves_old_file_and_no_temp() {
    let dir = scratch("atomic_midway");
    let path = dir.join("model.safetensors");
    io::save_safetensors(&[("w".into(), sample(DType::F32))], &path).unwrap();
    let before = std::fs::read(&path).unwrap();
    let r = io::write_atomic(&path, |w| {
        w.write_all(&[1; 100_000])?; // more than the buffer: reaches the temporary file
        Err(Error::msg("simulated failure midway"))
    });
    assert!(err_text(r).contains("simulated failure"));
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(dir_listing(&dir), ["model.safetensors"]);
}

#[test]
fn failed_npz_save_keeps_old_file() {
    // the second array fails validation (bf16) after the first was streamed to the temp file
    let dir = scratch("atomic_npz");
    let path = dir.join("arrays.npz");
    io::write_npz(&[("a".into(), sample(DType::I64))], &path).unwrap();
    let before = std::fs::read(&path).unwrap();
    let bad = [
        ("big".into(), Tensor::zeros([100_000], DType::F32)),
        ("b".into(), sample(DType::BF16)),
    ];
    let msg = err_text(io::write_npz(&bad, &path));
    assert!(msg.contains("bfloat16") && msg.contains("\"b\""), "{msg}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(dir_listing(&dir), ["arrays.npz"]);
}

#[test]
fn failed_rename_leaves_no_temp() {
    let dir = scratch("atomic_rename");
    let target = dir.join("taken");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), b"x").unwrap();
    let r = io::save_safetensors(&[("w".into(), sample(DType::F32))], &target);
    assert!(matches!(r, Err(Error::Io(_))), "{r:?}");
    assert_eq!(dir_listing(&dir), ["taken"]);
    assert_eq!(dir_listing(&target), ["keep"]);
    let r = io::write_npy(&sample(DType::F32), dir.join("no/such/dir/x.npy"));
    assert!(matches!(r, Err(Error::Io(_))), "{r:?}");
}

#[test]
fn save_replaces_existing_file() {
    let dir = scratch("atomic_replace");
    let path = dir.join("x.npy");
    io::write_npy(&sample(DType::F32), &path).unwrap();
    io::write_npy(&sample(DType::I8), &path).unwrap();
    assert_same(
        &io::read_npy(&path).unwrap(),
        &sample(DType::I8),
        "replaced",
    );
    assert_eq!(dir_listing(&dir), ["x.npy"]);
}

// ----- npy -------------------------------------------------------------------------------------

#[test]
fn npy_round_trip_every_numpy_dtype_and_layout() {
    let dir = scratch("npy_round_trip");
    for (name, t) in all_dtype_tensors() {
        if t.dtype() == DType::BF16 {
            continue;
        }
        let path = dir.join(format!("{name}.npy"));
        io::write_npy(&t, &path).unwrap();
        assert_same(&io::read_npy(&path).unwrap(), &t, &name);
        assert_same(
            &io::from_npy_bytes(&io::to_npy_bytes(&t).unwrap()).unwrap(),
            &t,
            &name,
        );
    }
}

#[test]
fn npy_bf16_is_a_clear_error() {
    let msg = err_text(io::write_npy(
        &sample(DType::BF16),
        scratch("npy_bf16").join("x.npy"),
    ));
    assert!(
        msg.contains("bfloat16") && msg.contains("to_dtype(DType::F32)"),
        "{msg}"
    );
    assert!(dir_listing(&scratch("npy_bf16")).is_empty());
}

#[test]
fn npy_written_by_numpy_load_with_exact_values() {
    let all = expected();
    let mut count = 0;
    for (file, arrays) in all.as_object().unwrap() {
        if !file.ends_with(".npy") {
            continue;
        }
        let got = io::read_npy(fixture(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let want = tensor_from_json(&arrays[0]);
        assert_same(&got, &want, file);
        count += 1;
    }
    assert_eq!(count, 16, "every .npy fixture");
}

#[test]
fn npy_fortran_order_fixture_is_the_logical_array() {
    // np.asfortranarray(np.arange(12).reshape(3, 4) * 0.75 - 2.5): stored column by column
    let bytes = std::fs::read(fixture("fortran_f4.npy")).unwrap();
    let header = String::from_utf8_lossy(&bytes[10..128]);
    assert!(header.contains("'fortran_order': True"), "{header}");
    let t = io::read_npy(fixture("fortran_f4.npy")).unwrap();
    assert_eq!(t.shape(), &[3, 4]);
    assert_eq!(t.to_vec::<f32>()[..5], [-2.5, -1.75, -1.0, -0.25, 0.5]);
}

#[test]
fn npy_bytes_equal_numpy_save_bytes() {
    // np.save of a C-order little-endian array: our header and data must match byte for byte
    for file in [
        "c_f4.npy",
        "c_f8.npy",
        "c_f2.npy",
        "c_i1.npy",
        "c_u1.npy",
        "c_i4.npy",
        "c_i8.npy",
        "c_b1.npy",
        "scalar_0d.npy",
        "empty.npy",
    ] {
        let want = tensor_from_json(&entries(file)[0]);
        let ours = io::to_npy_bytes(&want).unwrap();
        assert_eq!(ours, std::fs::read(fixture(file)).unwrap(), "{file}");
    }
}

#[test]
fn npy_header_is_padded_to_64_bytes() {
    for shape in [
        vec![],
        vec![1usize],
        vec![12345678901, 0],
        vec![2, 3, 4, 5, 6, 7, 8, 9],
    ] {
        let bytes = io::to_npy_bytes(&Tensor::zeros(shape.clone(), DType::F32)).unwrap();
        assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0, "{shape:?}");
        assert_eq!(bytes[9 + header_len], b'\n', "{shape:?}");
        assert_same(
            &io::from_npy_bytes(&bytes).unwrap(),
            &Tensor::zeros(shape.clone(), DType::F32),
            "zeros",
        );
    }
}

/// A .npy file from a header dict and data bytes (version 1.0, unpadded).
fn npy_file(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.extend_from_slice(data);
    out
}

#[test]
fn npy_corrupt_files_are_clear_errors() {
    let dict = |descr: &str, shape: &str| {
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}\n")
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", vec![], "not a .npy file"),
        (
            "bad magic",
            b"\x93NUMPZ\x01\x00\x00\x00".to_vec(),
            "not a .npy file",
        ),
        (
            "unknown version",
            b"\x93NUMPY\x09\x00\x00\x00".to_vec(),
            "version 9.0",
        ),
        (
            "cut in the length",
            b"\x93NUMPY\x02\x00\x10".to_vec(),
            "truncated",
        ),
        (
            "header past the end",
            b"\x93NUMPY\x01\x00\xff\x00{}".to_vec(),
            "header length says 255",
        ),
        (
            "non-UTF-8 header",
            {
                let mut b = npy_file("{'descr': 'X", &[]);
                *b.last_mut().unwrap() = 0xff;
                b
            },
            "UTF-8",
        ),
        (
            "missing shape",
            npy_file("{'descr': '<f4', 'fortran_order': False}", &[]),
            "lacks the key 'shape'",
        ),
        (
            "missing descr",
            npy_file("{'fortran_order': False, 'shape': ()}", &[0; 4]),
            "lacks the key 'descr'",
        ),
        (
            "shape not a tuple",
            npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': 3}", &[]),
            "malformed",
        ),
        (
            "fortran_order not a bool",
            npy_file("{'descr': '<f4', 'fortran_order': 0, 'shape': ()}", &[]),
            "malformed",
        ),
        (
            "negative dimension",
            npy_file(&dict("<f4", "(-2,)"), &[]),
            "dimension",
        ),
        (
            "unclosed string",
            npy_file("{'descr: '<f4'", &[]),
            "malformed",
        ),
        (
            "unclosed dict",
            npy_file("{'descr': '<f4', ", &[]),
            "malformed",
        ),
        (
            "text after the dict",
            npy_file(
                "{'descr': '<f4', 'fortran_order': False, 'shape': ()} x",
                &[0; 4],
            ),
            "after the dict",
        ),
        ("not a dict", npy_file("['descr']", &[]), "malformed"),
        (
            "unsupported dtype",
            npy_file(&dict("<u2", "(2,)"), &[0; 4]),
            "'<u2' is not supported",
        ),
        (
            "object dtype",
            npy_file(&dict("|O", "(1,)"), &[0; 8]),
            "'|O' is not supported",
        ),
        (
            "structured dtype",
            npy_file(
                "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}",
                &[0; 4],
            ),
            "structured",
        ),
        (
            "shape product overflows",
            npy_file(
                &dict("<f8", "(4611686018427387904, 4611686018427387904)"),
                &[0; 8],
            ),
            "more bytes than memory",
        ),
        (
            "dimension too large for usize",
            npy_file(&dict("<f8", "(99999999999999999999999,)"), &[0; 8]),
            "dimension",
        ),
        (
            "data too short",
            npy_file(&dict("<f4", "(3,)"), &[0; 8]),
            "needs 12 bytes of data but there are 8",
        ),
        (
            "data too long",
            npy_file(&dict("<f4", "(1,)"), &[0; 8]),
            "needs 4 bytes of data but there are 8",
        ),
        (
            "empty shape too large to lay out",
            npy_file(&dict("<f4", "(0, 4294967296, 4294967296)"), &[]),
            "more bytes than memory",
        ),
        (
            "huge shape, tiny file",
            npy_file(&dict("<f4", "(1000000000000,)"), &[0; 4]),
            "needs 4000000000000 bytes",
        ),
    ];
    for (what, bytes, needle) in cases {
        let r = io::from_npy_bytes(&bytes);
        assert!(is_format_err(&r), "{what}: {r:?}");
        let msg = err_text(r);
        assert!(msg.contains(needle), "{what}: {msg:?} lacks {needle:?}");
    }
}

#[test]
fn npy_load_errors_name_the_file() {
    let path = scratch("npy_errors").join("bad.npy");
    std::fs::write(&path, npy_file("{'descr': '<f4'", &[])).unwrap();
    let msg = err_text(io::read_npy(&path));
    assert!(
        msg.contains("bad.npy") && msg.contains("malformed .npy header"),
        "{msg}"
    );
}

// ----- npz -------------------------------------------------------------------------------------

#[test]
fn npz_written_by_numpy_load_with_exact_values() {
    for file in ["savez.npz", "savez_compressed.npz"] {
        let got = io::read_npz(fixture(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let want = entries(file);
        assert_eq!(got.len(), want.len(), "{file}");
        for ((name, t), e) in got.iter().zip(&want) {
            assert_eq!(name, e["name"].as_str().unwrap(), "{file}: archive order");
            assert_same(t, &tensor_from_json(e), &format!("{file}:{name}"));
        }
    }
}

#[test]
fn npz_round_trip_keeps_order_and_values() {
    let named: Vec<(String, Tensor)> = all_dtype_tensors()
        .into_iter()
        .filter(|(_, t)| t.dtype() != DType::BF16)
        .collect();
    let path = scratch("npz_round_trip").join("a.npz");
    io::write_npz(&named, &path).unwrap();
    let loaded = io::read_npz(&path).unwrap();
    assert_eq!(loaded.len(), named.len());
    for ((gn, got), (wn, want)) in loaded.iter().zip(&named) {
        assert_eq!(gn, wn);
        assert_same(got, want, gn);
    }
    assert_eq!(
        io::to_npz_bytes(&named).unwrap(),
        std::fs::read(&path).unwrap()
    );
    assert!(io::to_npz_bytes(&[]).is_ok_and(|b| io::from_npz_bytes(&b).unwrap().is_empty()));
}

#[test]
fn npz_rejects_duplicate_names() {
    let t = sample(DType::F32);
    let msg = err_text(io::to_npz_bytes(&[
        ("x".into(), t.clone()),
        ("x".into(), t),
    ]));
    assert!(msg.contains("\"x\" appears twice"), "{msg}");
}

#[test]
fn npz_corrupt_archives_are_clear_errors() {
    let good = io::to_npz_bytes(&[("w".into(), sample(DType::F32))]).unwrap();
    let data_at = good.windows(6).position(|w| w == b"\x93NUMPY").unwrap();
    let mut flipped = good.clone();
    flipped[data_at + 150] ^= 1; // inside the array data
    let mut bad_method = good.clone();
    let central = good.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    bad_method[central + 10] = 12; // bzip2
    let mut other_entry = good.clone();
    let name_at = good.windows(5).rposition(|w| w == b"w.npy").unwrap();
    other_entry[name_at + 2..name_at + 5].copy_from_slice(b"txt");
    let mut bad_dir = good.clone();
    let n = bad_dir.len();
    bad_dir[n - 6..n - 2].copy_from_slice(&(u32::MAX - 1).to_le_bytes()); // directory offset
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", vec![], "not a zip archive"),
        (
            "npy, not npz",
            io::to_npy_bytes(&sample(DType::F32)).unwrap(),
            "not a zip archive",
        ),
        (
            "truncated",
            good[..good.len() - 30].to_vec(),
            "not a zip archive",
        ),
        (
            "cut before the directory",
            good[..central].to_vec(),
            "not a zip archive",
        ),
        ("flipped data bit", flipped, "CRC-32"),
        ("unknown compression", bad_method, "compression method 12"),
        ("non-npy entry", other_entry, "\"w.txt\" is not a .npy"),
        (
            "directory offset past the end",
            bad_dir,
            "central directory",
        ),
    ];
    for (what, bytes, needle) in cases {
        let r = io::from_npz_bytes(&bytes);
        assert!(is_format_err(&r), "{what}: {r:?}");
        let msg = err_text(r);
        assert!(msg.contains(needle), "{what}: {msg:?} lacks {needle:?}");
    }
    let path = scratch("npz_errors").join("cut.npz");
    std::fs::write(&path, &good[..40]).unwrap();
    assert!(err_text(io::read_npz(&path)).contains("cut.npz"));
}

#[test]
fn npz_corrupt_deflate_stream_is_an_error() {
    let good = std::fs::read(fixture("savez_compressed.npz")).unwrap();
    let start = good.windows(10).position(|w| w == b"weights.np").unwrap() + 30;
    let mut bad = good.clone();
    for b in &mut bad[start..start + 40] {
        *b = 0xff;
    }
    let r = io::from_npz_bytes(&bad);
    assert!(is_format_err(&r), "{r:?}");
}

// ----- files for Python to read back -----------------------------------------------------------

/// Writes, with firebrand, the arrays of expected.json to target/tmp/io-python-check, which
/// `tools/gen_io_fixtures.py --check target/tmp/io-python-check` reads with torch/NumPy.
#[test]
fn python_readback_files_are_written() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("io-python-check");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let all = expected();
    let st: Vec<(String, Tensor)> = entries("torch_all_dtypes.safetensors")
        .iter()
        .map(|e| (e["name"].as_str().unwrap().to_string(), tensor_from_json(e)))
        .collect();
    io::save_safetensors(&st, dir.join("all_dtypes.safetensors")).unwrap();
    for (file, arrays) in all.as_object().unwrap() {
        if file.ends_with(".npy") {
            io::write_npy(&tensor_from_json(&arrays[0]), dir.join(file)).unwrap();
        }
    }
    let npz: Vec<(String, Tensor)> = entries("savez.npz")
        .iter()
        .map(|e| (e["name"].as_str().unwrap().to_string(), tensor_from_json(e)))
        .collect();
    io::write_npz(&npz, dir.join("arrays.npz")).unwrap();
    assert_eq!(dir_listing(&dir).len(), 16 + 2);
}

// ----- fuzz-style: no input makes a loader panic -----------------------------------------------

fn valid_files() -> Vec<Vec<u8>> {
    let named: Vec<(String, Tensor)> = vec![
        ("a".into(), sample(DType::F32)),
        ("b".into(), sample(DType::I64).t()),
        ("c".into(), Tensor::scalar(true)),
    ];
    let mut files = vec![
        io::to_safetensors_bytes(&named).unwrap(),
        io::to_npy_bytes(&named[1].1).unwrap(),
        io::to_npz_bytes(&named).unwrap(),
    ];
    for f in [
        "torch_all_dtypes.safetensors",
        "fortran_i8_3d.npy",
        "v2_f4.npy",
        "savez.npz",
        "savez_compressed.npz",
    ] {
        files.push(std::fs::read(fixture(f)).unwrap());
    }
    files
}

fn load_every_way(bytes: &[u8]) {
    let _ = io::from_safetensors_bytes(bytes);
    let _ = io::from_npy_bytes(bytes);
    let _ = io::from_npz_bytes(bytes);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        load_every_way(&bytes);
    }

    #[test]
    fn mutated_valid_files_never_panic(
        which in 0usize..8,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let files = valid_files();
        let mut bytes = files[which % files.len()].clone();
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        load_every_way(&bytes);
    }

    #[test]
    fn mutated_headers_never_panic(
        which in 0usize..8,
        at in 0usize..160,
        values in proptest::collection::vec(prop_oneof![Just(b'9'), Just(b'('), Just(b','), Just(b'\''), Just(b'"'), Just(b'['), Just(b'{'), Just(0xffu8), any::<u8>()], 1..4),
    ) {
        // edits concentrated on the header, where parsers do the most work
        let files = valid_files();
        let mut bytes = files[which % files.len()].clone();
        for (k, v) in values.into_iter().enumerate() {
            if let Some(b) = bytes.get_mut(at + k) {
                *b = v;
            }
        }
        load_every_way(&bytes);
    }
}

#[test]
fn npz_entries_sharing_data_are_rejected() {
    // three directory records pointing at one entry: a small file must not expand quadratically
    let good = io::to_npz_bytes(&[("w".into(), sample(DType::F32))]).unwrap();
    let central = good.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    let end = good.len() - 22;
    let record = &good[central..end];
    let mut bytes = good[..end].to_vec();
    bytes.extend_from_slice(record);
    bytes.extend_from_slice(record);
    let mut eocd = good[end..].to_vec();
    eocd[8..10].copy_from_slice(&3u16.to_le_bytes());
    eocd[10..12].copy_from_slice(&3u16.to_le_bytes());
    eocd[12..16].copy_from_slice(&(3 * record.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&eocd);
    let msg = err_text(io::from_npz_bytes(&bytes));
    assert!(msg.contains("add up to more than the file"), "{msg}");
}

// ----- inputs cargo-fuzz found (fuzz/README.md) ------------------------------------------------

/// Every file in tests/fixtures/io/fuzz/ is an input that once made a loader panic, abort or
/// allocate without bound; named `<target>-<kind>-<hash>`, it goes to that target's loader and
/// must now be a clear `Err`.
#[test]
fn fuzz_regressions_are_errors() {
    let dir = fixture("fuzz");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let result = match name.split('-').next().unwrap() {
            "idx" => firebrand::data::read_idx(&path).map(|_| ()),
            "npy" => io::from_npy_bytes(&bytes).map(|_| ()),
            "npz" => io::from_npz_bytes(&bytes).map(|_| ()),
            "safetensors" => io::from_safetensors_bytes(&bytes).map(|_| ()),
            other => panic!("{name}: unknown fuzz target {other}"),
        };
        let err = result
            .err()
            .unwrap_or_else(|| panic!("{name} loads, but it is corrupt"));
        assert!(!err.to_string().is_empty(), "{name}: an empty message");
        count += 1;
    }
    assert!(count >= 1, "no regression inputs in {}", dir.display());
}

/// The first of them: an IDX file of f64 with dims [0x180002, 0x3ff80000, 0, 0xc1000000, 0]
/// and no data. No elements, but row-major strides past isize::MAX: the loader multiplied
/// them with overflow (a panic in debug builds) instead of returning an error.
#[test]
fn idx_with_overflowing_strides_is_a_clear_error() {
    let path = fixture("fuzz/idx-crash-5bf4a140");
    let err = firebrand::data::read_idx(&path).unwrap_err().to_string();
    assert!(err.contains("idx-crash-5bf4a140"), "names the file: {err}");
    assert!(err.contains("strides overflow"), "{err}");
}
