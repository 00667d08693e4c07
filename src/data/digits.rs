//! The handwritten-digits data set bundled with firebrand (UCI ML optical recognition of
//! handwritten digits, the copy scikit-learn ships: 1,797 images of 8x8 pixels in 0..=16).
//! Attribution: data/digits.README.rst.

use super::TensorDataset;
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use std::io::Read;

/// The gzipped CSV: one image per line, 64 pixel values then the label.
const DIGITS_CSV_GZ: &[u8] = include_bytes!("../../data/digits.csv.gz");

/// The bundled digits as a dataset of (image `[1, 8, 8]` F32 scaled to [0, 1], label I64).
///
/// ```
/// use firebrand::data::{digits, Dataset};
/// let ds = digits().unwrap();
/// assert_eq!(ds.len(), 1797);
/// let sample = ds.get(0);
/// assert_eq!(sample[0].shape(), &[1, 8, 8]);
/// assert_eq!(sample[1].item::<i64>(), 0);
/// ```
pub fn digits() -> Result<TensorDataset> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(DIGITS_CSV_GZ)
        .read_to_string(&mut text)
        .map_err(|e| Error::Format(format!("digits: the bundled data is corrupt: {e}")))?;
    parse_csv(&text)
}

/// Parses "p0,...,p63,label" lines.
fn parse_csv(text: &str) -> Result<TensorDataset> {
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for (n, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let values: Vec<f32> = line
            .split(',')
            .map(|v| v.trim().parse::<f32>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| Error::Format(format!("digits: line {}: {e}", n + 1)))?;
        if values.len() != 65 {
            return Err(Error::Format(format!(
                "digits: line {} has {} values, expected 65",
                n + 1,
                values.len()
            )));
        }
        pixels.extend(values[..64].iter().map(|v| v / 16.0));
        labels.push(values[64] as i64);
    }
    let n = labels.len();
    let images = Tensor::from_vec(pixels, [n, 1, 8, 8]);
    TensorDataset::try_new(vec![images, Tensor::from_vec(labels, [n])])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_line_is_an_error() {
        assert!(parse_csv("1,2,3\n").is_err());
        assert!(parse_csv(&format!("{}x\n", "0,".repeat(64))).is_err());
    }
}
