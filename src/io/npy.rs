//! NumPy's `.npy` format: a magic string, a version, a Python-literal header dict
//! (`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`) and the raw data.
//! Versions 1.0, 2.0 and 3.0 are read; 1.0 is written (2.0 when the header needs it), with a
//! header byte-identical to `np.save`'s.

use super::atomic::{io_error, write_atomic};
use super::raw::{tensor_from_bytes, tensor_to_le_bytes};
use crate::{DType, Error, Result, Tensor};
use std::path::Path;

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// NumPy pads the header so the data starts at a multiple of 64 bytes.
const ARRAY_ALIGN: usize = 64;
/// NumPy leaves room after the header so the first axis can grow to this many digits.
const GROWTH_AXIS_MAX_DIGITS: usize = 21;

/// What a `.npy` header says about its array.
#[derive(Debug)]
struct Header {
    dtype: DType,
    big_endian: bool,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// Reads a `.npy` file written by `np.save` (any of the dtypes `<f2 <f4 <f8 |i1 <i4 <i8 |u1
/// |b1`, big-endian ones converted, C or Fortran order, 0-d arrays). A truncated, corrupt or
/// unsupported file is an `Err` naming the file and the problem.
///
/// ```
/// use firebrand::{io, tensor};
/// let path = std::env::temp_dir().join("firebrand_doc_read.npy");
/// io::write_npy(&tensor!([[1i64, 2], [3, 4]]), &path).unwrap();
/// let t = io::read_npy(&path).unwrap();
/// assert_eq!(t.shape(), &[2, 2]);
/// assert_eq!(t.to_vec::<i64>(), vec![1, 2, 3, 4]);
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn read_npy(path: impl AsRef<Path>) -> Result<Tensor> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
    parse_npy(&bytes).map_err(|m| Error::Format(format!("{}: {m}", path.display())))
}

/// Reads a tensor from the bytes of a `.npy` file held in memory (see [`read_npy`]).
///
/// ```
/// let err = firebrand::io::from_npy_bytes(b"PK\x03\x04").unwrap_err();
/// assert!(err.to_string().contains("not a .npy file"));
/// ```
pub fn from_npy_bytes(bytes: &[u8]) -> Result<Tensor> {
    parse_npy(bytes).map_err(|m| Error::Format(format!("npy bytes: {m}")))
}

/// Writes a tensor as a `.npy` file that `np.load` reads: C order, little-endian, its logical
/// values whatever its strides. The save is atomic. BF16 has no NumPy dtype and is an `Err`:
/// convert with `t.to_dtype(DType::F32)` first.
///
/// ```
/// use firebrand::{io, tensor, DType};
/// let path = std::env::temp_dir().join("firebrand_doc_write.npy");
/// io::write_npy(&tensor!([[1.0f32, 2.0], [3.0, 4.0]]).t(), &path).unwrap();
/// assert_eq!(io::read_npy(&path).unwrap().to_vec::<f32>(), vec![1.0, 3.0, 2.0, 4.0]);
/// assert!(io::write_npy(&tensor!([1.0]).to_dtype(DType::BF16), &path).is_err());
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn write_npy(tensor: &Tensor, path: impl AsRef<Path>) -> Result<()> {
    let bytes = to_npy_bytes(tensor)?;
    write_atomic(path, |w| Ok(w.write_all(&bytes)?))
}

/// The bytes of a `.npy` file holding the tensor (see [`write_npy`]).
///
/// ```
/// let bytes = firebrand::io::to_npy_bytes(&firebrand::tensor!([1u8, 2])).unwrap();
/// assert!(bytes.starts_with(b"\x93NUMPY\x01\x00"));
/// assert_eq!(bytes.len(), 128 + 2);
/// ```
pub fn to_npy_bytes(tensor: &Tensor) -> Result<Vec<u8>> {
    let mut out = npy_header(npy_descr(tensor.dtype())?, tensor.shape());
    out.extend_from_slice(&tensor_to_le_bytes(tensor));
    Ok(out)
}

/// NumPy's `dtype.str` for a dtype; BF16 has none.
fn npy_descr(dtype: DType) -> Result<&'static str> {
    Ok(match dtype {
        DType::Bool => "|b1",
        DType::U8 => "|u1",
        DType::I8 => "|i1",
        DType::I32 => "<i4",
        DType::I64 => "<i8",
        DType::F16 => "<f2",
        DType::F32 => "<f4",
        DType::F64 => "<f8",
        DType::BF16 => {
            return Err(Error::msg(
                "write_npy: NumPy has no bfloat16 dtype, so a BF16 tensor cannot be written to \
                 .npy/.npz; convert it first with t.to_dtype(DType::F32) (exact), or use \
                 save_safetensors, which keeps BF16",
            ));
        }
    })
}

/// Python's `repr` of a shape tuple: `()`, `(3,)`, `(2, 3)`.
fn shape_repr(shape: &[usize]) -> String {
    match shape {
        [] => "()".to_string(),
        [n] => format!("({n},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
            format!("({})", dims.join(", "))
        }
    }
}

/// The magic string, version, length and padded header dict, as NumPy's `_write_array_header`
/// writes them.
fn npy_header(descr: &str, shape: &[usize]) -> Vec<u8> {
    let mut dict = format!(
        "{{'descr': '{descr}', 'fortran_order': False, 'shape': {}, }}",
        shape_repr(shape)
    );
    if let Some(first) = shape.first() {
        let digits = first.to_string().len();
        dict.push_str(&" ".repeat(GROWTH_AXIS_MAX_DIGITS.saturating_sub(digits)));
    }
    let with_newline = dict.len() + 1;
    let pad_after = |prefix: usize| ARRAY_ALIGN - (prefix + with_newline) % ARRAY_ALIGN;
    // version 1.0 stores the header length in 2 bytes; 2.0 in 4
    let (major, pad) = match pad_after(MAGIC.len() + 4) {
        pad if with_newline + pad <= usize::from(u16::MAX) => (1u8, pad),
        _ => (2, pad_after(MAGIC.len() + 6)),
    };
    let header_len = with_newline + pad;
    let prefix = MAGIC.len() + if major == 1 { 4 } else { 6 };
    let mut out = Vec::with_capacity(prefix + header_len);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[major, 0]);
    if major == 1 {
        out.extend_from_slice(&(header_len as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header_len as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out.resize(out.len() + pad, b' ');
    out.push(b'\n');
    out
}

pub(crate) fn parse_npy(bytes: &[u8]) -> std::result::Result<Tensor, String> {
    let (header, data) = split_header(bytes)?;
    let header = parse_header(header)?;
    if !header.fortran_order || header.shape.len() < 2 {
        return tensor_from_bytes(header.dtype, &header.shape, data, header.big_endian);
    }
    // Fortran order is C order of the reversed shape; reversing the axes gives the array.
    let reversed: Vec<usize> = header.shape.iter().rev().copied().collect();
    let t = tensor_from_bytes(header.dtype, &reversed, data, header.big_endian)?;
    let axes: Vec<usize> = (0..reversed.len()).rev().collect();
    Ok(t.try_permute(axes).map_err(|e| e.to_string())?.contiguous())
}

/// Splits a `.npy` file into its header text and its data, checking the magic and lengths.
fn split_header(bytes: &[u8]) -> std::result::Result<(&str, &[u8]), String> {
    if bytes.len() < 8 || &bytes[..6] != MAGIC {
        return Err("not a .npy file: it does not start with \\x93NUMPY".into());
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let len_bytes = match (major, minor) {
        (1, 0) => 2,
        (2, 0) | (3, 0) => 4,
        _ => {
            return Err(format!(
                "npy format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are)"
            ));
        }
    };
    let start = 8 + len_bytes;
    let Some(len_field) = bytes.get(8..start) else {
        return Err(format!(
            "truncated .npy file: {} bytes, cut inside the header length",
            bytes.len()
        ));
    };
    let header_len = len_field
        .iter()
        .rev()
        .fold(0usize, |n, &b| (n << 8) | b as usize);
    let available = bytes.len() - start;
    if header_len > available {
        return Err(format!(
            "corrupt or truncated .npy file: the header length says {header_len} bytes but \
             only {available} follow"
        ));
    }
    let (header, data) = bytes[start..].split_at(header_len);
    let text = std::str::from_utf8(header)
        .map_err(|e| format!("the .npy header is not valid text (UTF-8): {e}"))?;
    Ok((text, data))
}

/// Parses the header dict and checks that it names a supported dtype, an order and a shape.
fn parse_header(text: &str) -> std::result::Result<Header, String> {
    let bad = |m: String| format!("malformed .npy header {:?}: {m}", truncate(text));
    let entries = DictParser {
        s: text.as_bytes(),
        pos: 0,
    }
    .parse()
    .map_err(bad)?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    for (key, value) in entries {
        match (key.as_str(), value) {
            ("descr", Value::Str(s)) => descr = Some(s),
            ("fortran_order", Value::Bool(b)) => fortran = Some(b),
            ("shape", Value::Tuple(dims)) => shape = Some(dims),
            ("descr", Value::List) => {
                return Err("structured arrays (a list 'descr') are not supported".into());
            }
            ("descr" | "fortran_order" | "shape", v) => {
                return Err(bad(format!("'{key}' has the wrong kind of value: {v:?}")));
            }
            _ => {}
        }
    }
    let missing = |k: &str| bad(format!("it lacks the key '{k}'"));
    let descr = descr.ok_or_else(|| missing("descr"))?;
    let (dtype, big_endian) = parse_descr(&descr)?;
    Ok(Header {
        dtype,
        big_endian,
        fortran_order: fortran.ok_or_else(|| missing("fortran_order"))?,
        shape: shape.ok_or_else(|| missing("shape"))?,
    })
}

/// The first 200 characters of a header, for messages.
fn truncate(text: &str) -> String {
    text.chars().take(200).collect()
}

/// A NumPy dtype string (`'<f4'`, `'|b1'`, `'>i8'`) as a dtype and whether it is big-endian.
fn parse_descr(descr: &str) -> std::result::Result<(DType, bool), String> {
    let (big_endian, code) = match descr.as_bytes().first() {
        Some(b'<' | b'|' | b'=') => (false, &descr[1..]),
        Some(b'>') => (true, &descr[1..]),
        _ => (false, descr),
    };
    let dtype = match code {
        "b1" | "?" => DType::Bool,
        "u1" => DType::U8,
        "i1" => DType::I8,
        "i4" => DType::I32,
        "i8" => DType::I64,
        "f2" => DType::F16,
        "f4" => DType::F32,
        "f8" => DType::F64,
        _ => {
            return Err(format!(
                "NumPy dtype '{descr}' is not supported; firebrand reads f2, f4, f8, i1, i4, \
                 i8, u1 and b1 (convert in NumPy first, e.g. a.astype(np.float32))"
            ));
        }
    };
    Ok((dtype, big_endian))
}

/// A value in a `.npy` header dict.
#[derive(Debug)]
enum Value {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
    /// A list (a structured dtype's descr); its contents are skipped.
    List,
}

/// Parses the Python dict literal of a `.npy` header: string keys; string, `True`/`False`,
/// integer-tuple or list values.
struct DictParser<'a> {
    s: &'a [u8],
    pos: usize,
}

type Parse<T> = std::result::Result<T, String>;

impl DictParser<'_> {
    fn parse(mut self) -> Parse<Vec<(String, Value)>> {
        self.expect(b'{')?;
        let mut entries = Vec::new();
        loop {
            if self.eat(b'}') {
                break;
            }
            let key = self.string()?;
            self.expect(b':')?;
            entries.push((key, self.value()?));
            if !self.eat(b',') {
                self.expect(b'}')?;
                break;
            }
        }
        self.skip_space();
        if self.pos != self.s.len() {
            return Err(format!(
                "unexpected text after the dict at byte {}",
                self.pos
            ));
        }
        Ok(entries)
    }

    fn skip_space(&mut self) {
        while self.s.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
    }

    /// Skips spaces, then consumes `c` if it is next.
    fn eat(&mut self, c: u8) -> bool {
        self.skip_space();
        let found = self.s.get(self.pos) == Some(&c);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect(&mut self, c: u8) -> Parse<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected '{}' at byte {}", c as char, self.pos))
        }
    }

    fn value(&mut self) -> Parse<Value> {
        self.skip_space();
        let rest = &self.s[self.pos..];
        if rest.starts_with(b"True") || rest.starts_with(b"False") {
            let b = rest.starts_with(b"True");
            self.pos += if b { 4 } else { 5 };
            return Ok(Value::Bool(b));
        }
        match rest.first() {
            Some(b'\'' | b'"') => Ok(Value::Str(self.string()?)),
            Some(b'(') => Ok(Value::Tuple(self.tuple()?)),
            Some(b'[') => {
                self.skip_brackets()?;
                Ok(Value::List)
            }
            _ => Err(format!("unexpected value at byte {}", self.pos)),
        }
    }

    /// Skips a bracketed list, nested brackets and quoted strings included.
    fn skip_brackets(&mut self) -> Parse<()> {
        let mut depth = 0usize;
        let mut quote = None;
        while let Some(&c) = self.s.get(self.pos) {
            self.pos += 1;
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, b'\'' | b'"') => quote = Some(c),
                (None, b'[' | b'(') => depth += 1,
                (None, b']' | b')') => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
        Err("a list is not closed".into())
    }

    /// A quoted string without escapes (dtype strings and keys have none).
    fn string(&mut self) -> Parse<String> {
        self.skip_space();
        let quote = match self.s.get(self.pos) {
            Some(&q @ (b'\'' | b'"')) => q,
            _ => return Err(format!("expected a quoted string at byte {}", self.pos)),
        };
        let start = self.pos + 1;
        let len = self.s[start..]
            .iter()
            .position(|&c| c == quote)
            .ok_or("a string is not closed")?;
        self.pos = start + len + 1;
        String::from_utf8(self.s[start..start + len].to_vec()).map_err(|e| e.to_string())
    }

    /// A tuple of non-negative integers, such as `()`, `(3,)` or `(2, 3)`.
    fn tuple(&mut self) -> Parse<Vec<usize>> {
        self.expect(b'(')?;
        let mut dims = Vec::new();
        loop {
            if self.eat(b')') {
                return Ok(dims);
            }
            dims.push(self.integer()?);
            if !self.eat(b',') {
                self.expect(b')')?;
                return Ok(dims);
            }
        }
    }

    fn integer(&mut self) -> Parse<usize> {
        self.skip_space();
        let start = self.pos;
        while self.s.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        let digits = std::str::from_utf8(&self.s[start..self.pos]).map_err(|e| e.to_string())?;
        let n = digits.parse::<usize>().map_err(|_| {
            format!("expected a dimension (a non-negative integer) at byte {start}")
        })?;
        if self.s.get(self.pos) == Some(&b'L') {
            self.pos += 1; // Python 2 long suffix
        }
        Ok(n)
    }
}
