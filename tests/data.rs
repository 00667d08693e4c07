//! Data loading: the bundled digits, TensorDataset, DataLoader, IDX files.

use firebrand::data::{
    DataLoader, Dataset, TensorDataset, digits, random_split, read_idx, try_random_split,
};
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

#[test]
fn idx_empty_shape_too_big_to_lay_out_is_an_error() {
    // dims [0, 2^32-1, 2^32-1, 2^32-1]: no elements, but strides past isize::MAX
    let mut bytes = vec![0, 0, 8, 4, 0, 0, 0, 0];
    bytes.extend([0xff; 12]);
    let path = temp_path("empty-huge-idx4-ubyte");
    std::fs::write(&path, &bytes).unwrap();
    let err = read_idx(&path).unwrap_err().to_string();
    assert!(err.contains("memory"), "{err}");
}

// ----- random_split ---------------------------------------------------------------------------

fn split_indices(n: i64, lengths: &[usize], seed: u64) -> Vec<Vec<usize>> {
    random_split(numbered(n), lengths, seed)
        .iter()
        .map(|part| part.indices().to_vec())
        .collect()
}

#[test]
fn random_split_honours_lengths_and_partitions_the_dataset() {
    let parts = random_split(numbered(100), &[60, 30, 10], 3);
    let lengths: Vec<usize> = parts.iter().map(Dataset::len).collect();
    assert_eq!(lengths, vec![60, 30, 10]);
    let mut all: Vec<usize> = parts.iter().flat_map(|p| p.indices().to_vec()).collect();
    assert_ne!(all, (0..100).collect::<Vec<_>>(), "the order is shuffled");
    all.sort_unstable();
    assert_eq!(
        all,
        (0..100).collect::<Vec<_>>(),
        "disjoint parts that cover the dataset"
    );
    for part in &parts {
        for (i, &index) in part.indices().iter().enumerate() {
            let sample = part.get(i);
            assert_eq!(sample[0].item::<i64>(), index as i64);
            assert_eq!(sample[1].to_vec::<f32>(), vec![index as f32]);
        }
    }
    let batch = parts[1].get_batch(&[2, 0]);
    let expected: Vec<i64> = [2, 0]
        .iter()
        .map(|&i| parts[1].indices()[i] as i64)
        .collect();
    assert_eq!(batch[0].to_vec::<i64>(), expected);
}

#[test]
fn random_split_is_determined_by_its_seed() {
    assert_eq!(
        split_indices(100, &[80, 20], 42),
        split_indices(100, &[80, 20], 42)
    );
    let splits: Vec<Vec<Vec<usize>>> = (0..6).map(|s| split_indices(100, &[80, 20], s)).collect();
    for a in 0..splits.len() {
        for b in a + 1..splits.len() {
            assert_ne!(
                splits[a][1], splits[b][1],
                "seeds {a} and {b} give the same test part"
            );
        }
    }
}

#[test]
fn random_split_allows_empty_parts() {
    let parts = split_indices(5, &[0, 5, 0], 1);
    assert!(parts[0].is_empty() && parts[2].is_empty());
    let mut middle = parts[1].clone();
    middle.sort_unstable();
    assert_eq!(middle, vec![0, 1, 2, 3, 4]);
    assert!(
        random_split(numbered(0), &[0, 0], 9)
            .iter()
            .all(|p| p.is_empty())
    );
}

#[test]
fn try_random_split_rejects_lengths_that_do_not_sum_to_the_size() {
    for lengths in [&[50, 40][..], &[60, 50], &[], &[101]] {
        let err = try_random_split(numbered(100), lengths, 0)
            .err()
            .unwrap_or_else(|| panic!("lengths {lengths:?} were accepted for 100 samples"))
            .to_string();
        assert!(
            err.contains("random_split") && err.contains("100 samples"),
            "unclear message: {err}"
        );
        assert!(err.contains(&format!("{lengths:?}")), "{err}");
    }
    // lengths whose sum overflows are an error too, not a panic
    let err = try_random_split(numbered(3), &[usize::MAX, 4], 0).err();
    assert!(err.is_some_and(|e| e.to_string().contains("random_split")));
}

#[test]
#[should_panic(
    expected = "random_split: lengths [2, 2] add up to 4, but the dataset has 3 samples"
)]
fn random_split_panics_with_the_reason() {
    random_split(numbered(3), &[2, 2], 0);
}
