//! Data loading: the bundled digits, TensorDataset, DataLoader, IDX files.

use firebrand::data::{DataLoader, Dataset, TensorDataset, digits, read_idx};
use firebrand::{DType, Tensor, tensor};
use std::io::Write;

#[test]
fn digits_has_1797_images_of_every_class_scaled_to_unit_range() {
    let ds = digits().unwrap();
    assert_eq!(ds.len(), 1797);
    let [images, labels] = ds.tensors() else {
        panic!("two fields")
    };
    assert_eq!(images.shape(), &[1797, 1, 8, 8]);
    assert_eq!(labels.dtype(), DType::I64);
    let px = images.to_vec::<f32>();
    assert!(px.iter().all(|&v| (0.0..=1.0).contains(&v)));
    assert!(px.contains(&1.0), "16/16 appears");
    let mut counts = [0usize; 10];
    for l in labels.to_vec::<i64>() {
        counts[l as usize] += 1;
    }
    assert!(
        counts.iter().all(|&c| (170..=190).contains(&c)),
        "{counts:?}"
    );
}

fn numbered(n: i64) -> TensorDataset {
    TensorDataset::new(vec![
        Tensor::arange(0.0, n as f64, 1.0, DType::I64),
        Tensor::arange(0.0, n as f64, 1.0, DType::F32).reshape([-1, 1]),
    ])
}

fn epoch(loader: &DataLoader) -> Vec<i64> {
    loader.iter().flat_map(|b| b[0].to_vec::<i64>()).collect()
}

#[test]
fn loader_yields_every_sample_once_in_order_without_shuffle() {
    let loader = DataLoader::new(numbered(10), 3);
    let batches: Vec<Vec<Tensor>> = loader.iter().collect();
    assert_eq!(batches.len(), 4);
    assert_eq!(batches[3][0].to_vec::<i64>(), vec![9]);
    assert_eq!(batches[0][1].shape(), &[3, 1]);
    assert_eq!(epoch(&loader), (0..10).collect::<Vec<_>>());
}

#[test]
fn shuffle_is_a_seeded_permutation_that_changes_each_epoch() {
    let a = DataLoader::new(numbered(50), 8).shuffle(7);
    let b = DataLoader::new(numbered(50), 8).shuffle(7);
    let (a1, a2) = (epoch(&a), epoch(&a));
    assert_eq!(a1, epoch(&b), "same seed, same first epoch");
    assert_eq!(a2, epoch(&b), "same seed, same second epoch");
    assert_ne!(a1, a2, "a new order each epoch");
    assert_ne!(a1, (0..50).collect::<Vec<_>>());
    let mut sorted = a1.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..50).collect::<Vec<_>>());
    let c = DataLoader::new(numbered(50), 8).shuffle(8);
    assert_ne!(epoch(&c), a1, "another seed, another order");
}

#[test]
fn drop_last_drops_the_short_batch() {
    let loader = DataLoader::new(numbered(10), 4).drop_last(true);
    assert_eq!(loader.len(), 2);
    assert!(loader.iter().all(|b| b[0].numel() == 4));
}

#[test]
fn stopping_early_does_not_hang() {
    let loader = DataLoader::new(numbered(1000), 1).prefetch(1);
    let first: Vec<_> = loader.iter().take(2).collect();
    assert_eq!(first.len(), 2);
}

struct Failing;
impl Dataset for Failing {
    fn len(&self) -> usize {
        4
    }
    fn get(&self, index: usize) -> Vec<Tensor> {
        assert!(index < 2, "sample {index} is broken");
        vec![tensor!([1.0])]
    }
}

#[test]
#[should_panic(expected = "is broken")]
fn a_panic_in_the_dataset_reaches_the_caller() {
    let loader = DataLoader::new(Failing, 1);
    for _ in loader.iter() {}
}

#[test]
#[should_panic(expected = "TensorDataset")]
fn tensor_dataset_checks_first_dims() {
    TensorDataset::new(vec![tensor!([1, 2, 3]), tensor!([1, 2])]);
}

fn temp_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("firebrand-data-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn reads_gzipped_idx_images() {
    let mut raw = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2];
    raw.extend(1..=8u8);
    let path = temp_path("images-idx3-ubyte.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&raw).unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let t = read_idx(&path).unwrap();
    assert_eq!((t.shape(), t.dtype()), (&[2usize, 2, 2][..], DType::U8));
    assert_eq!(t.to_vec::<u8>(), (1..=8).collect::<Vec<_>>());
}

#[test]
fn corrupt_idx_files_are_errors() {
    let truncated = temp_path("truncated-idx1-ubyte");
    std::fs::write(&truncated, [0, 0, 8, 1, 0, 0, 0, 5, 1, 2]).unwrap();
    let err = read_idx(&truncated).unwrap_err().to_string();
    assert!(err.contains("needs 5 bytes"), "{err}");
    let bad_gz = temp_path("bad.gz");
    std::fs::write(&bad_gz, [0x1f, 0x8b, 1, 2, 3]).unwrap();
    assert!(read_idx(&bad_gz).is_err());
    assert!(read_idx(temp_path("missing")).is_err());
}
