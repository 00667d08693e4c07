//! Helpers shared by the test binaries that read PyTorch fixtures (`mod common;` in each).
//! Each binary uses a part of them, hence `dead_code` is allowed.
#![allow(dead_code)]

use firebrand::{DType, Tensor};
use serde_json::Value;

/// A fixture float: a JSON number, or one of the strings "nan", "inf", "-inf".
pub fn parse_float(v: &Value) -> f64 {
    match v {
        Value::String(s) => match s.as_str() {
            "nan" => f64::NAN,
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            other => panic!("bad float {other}"),
        },
        Value::Bool(b) => *b as u8 as f64,
        other => other.as_f64().expect("a number"),
    }
}

/// A fixture tensor `{"dtype", "shape", "data"}` (data flat, row-major), any dtype.
pub fn tensor_from(v: &Value) -> Tensor {
    let dtype = DType::from_name(v["dtype"].as_str().unwrap()).expect("known dtype");
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data = v["data"].as_array().unwrap();
    match dtype {
        DType::Bool => Tensor::from_vec(
            data.iter()
                .map(|x| x.as_bool().unwrap())
                .collect::<Vec<_>>(),
            shape,
        ),
        d if d.is_int() => Tensor::from_vec(
            data.iter().map(|x| x.as_i64().unwrap()).collect::<Vec<_>>(),
            shape,
        )
        .to_dtype(d),
        d => Tensor::from_vec(data.iter().map(parse_float).collect::<Vec<_>>(), shape).to_dtype(d),
    }
}
