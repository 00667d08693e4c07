//! Whether the main thread joins rayon's global pool (`firebrand::threads`), checked in fresh
//! processes: rayon's global pool is built once per process, and libtest runs tests on threads
//! not named "main", so this file has its own `main` (`harness = false` in Cargo.toml). Run bare,
//! it is a libtest-mimic harness (libtest's flags, output and `--list` for cargo-nextest) whose
//! every test runs one scenario in a child process: itself, with FIREBRAND_POOL_SCENARIO set.

use firebrand::{DType, Tensor, threads};
use libtest_mimic::{Arguments, Failed, Trial};
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

const SCENARIO_VAR: &str = "FIREBRAND_POOL_SCENARIO";

type Scenario = (&'static str, fn());

const SCENARIOS: [Scenario; 5] = [
    ("main_thread_joins_the_pool", main_thread_joins_the_pool),
    (
        "rayon_num_threads_sets_the_pool_size",
        rayon_num_threads_sets_the_pool_size,
    ),
    ("opting_out_keeps_rayons_pool", opting_out_keeps_rayons_pool),
    (
        "a_pool_built_first_is_left_alone",
        a_pool_built_first_is_left_alone,
    ),
    (
        "another_threads_first_tensor_does_not_join",
        another_threads_first_tensor_does_not_join,
    ),
];

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// A 2^20-element add (large enough to run on the pool) and a 256x256 matmul, checked against
/// values worked out in plain Rust.
fn check_parallel_ops() {
    let n = 1 << 20;
    let a = Tensor::arange(0.0, n as f64, 1.0, DType::F32);
    let b = Tensor::full([n], 0.5, DType::F32);
    let sum = (&a + &b).to_vec::<f32>();
    assert!(sum.iter().enumerate().all(|(i, &v)| v == i as f32 + 0.5));
    let m = Tensor::arange(0.0, 65536.0, 1.0, DType::F32).reshape([256, 256]);
    let eye = Tensor::eye(256, DType::F32);
    assert_eq!(m.matmul(&eye).to_vec::<f32>(), m.to_vec::<f32>());
}

fn main_thread_joins_the_pool() {
    // Asking for the thread count first must not keep the main thread out.
    assert_eq!(threads::num_threads(), cores());
    let _first = Tensor::zeros([1], DType::F32);
    if cores() < 2 {
        assert!(
            !threads::main_thread_in_pool(),
            "one core: the pool stays rayon's"
        );
        println!("one core here: checked that the main thread did not join");
        return;
    }
    assert!(threads::main_thread_in_pool());
    assert_eq!(rayon::current_thread_index(), Some(0));
    assert_eq!(threads::num_threads(), cores());
    check_parallel_ops();
    // Ops from another thread are injected into the pool and still work.
    std::thread::spawn(check_parallel_ops).join().unwrap();
    // A job spawned from the main thread runs on another member while the main thread blocks.
    let (tx, rx) = mpsc::channel();
    rayon::spawn(move || tx.send(rayon::current_thread_index()).unwrap());
    let ran_on = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("spawned job never ran");
    assert!(matches!(ran_on, Some(i) if i > 0), "ran on {ran_on:?}");
}

fn rayon_num_threads_sets_the_pool_size() {
    // Run with RAYON_NUM_THREADS=3 (see `run_in_child`), as rayon's own pool would honour it.
    let _first = Tensor::zeros([1], DType::F32);
    assert!(threads::main_thread_in_pool());
    assert_eq!(rayon::current_thread_index(), Some(0));
    assert_eq!(threads::num_threads(), 3);
    check_parallel_ops();
}

fn opting_out_keeps_rayons_pool() {
    threads::set_main_thread_joins_pool(false);
    check_parallel_ops();
    assert!(!threads::main_thread_in_pool());
    assert_eq!(rayon::current_thread_index(), None);
    // Too late to change anything once the main thread has made a tensor.
    threads::set_main_thread_joins_pool(true);
    check_parallel_ops();
    assert!(!threads::main_thread_in_pool());
}

fn a_pool_built_first_is_left_alone() {
    rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build_global()
        .unwrap();
    check_parallel_ops();
    assert!(!threads::main_thread_in_pool());
    assert_eq!(rayon::current_thread_index(), None);
    assert_eq!(threads::num_threads(), 3);
}

fn another_threads_first_tensor_does_not_join() {
    // A data-loading thread makes the process's first tensors; running its op builds rayon's
    // default pool, so the main thread cannot join it later.
    std::thread::Builder::new()
        .name("loader".into())
        .spawn(|| {
            check_parallel_ops();
            assert_eq!(rayon::current_thread_index(), None);
        })
        .unwrap()
        .join()
        .unwrap();
    assert!(!threads::main_thread_in_pool());
    check_parallel_ops();
    assert!(!threads::main_thread_in_pool());
    assert_eq!(rayon::current_thread_index(), None);
}

/// Runs one scenario in a child process; its output comes back in the error when it fails.
fn run_in_child(name: &str) -> Result<(), Failed> {
    let exe = std::env::current_exe().expect("own path");
    let mut child = Command::new(exe);
    child
        .env(SCENARIO_VAR, name)
        .env_remove("RAYON_NUM_THREADS");
    if name == "rayon_num_threads_sets_the_pool_size" {
        child.env("RAYON_NUM_THREADS", "3");
    }
    let out = child.output().expect("start a child process");
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
    .into())
}

fn main() {
    if let Ok(name) = std::env::var(SCENARIO_VAR) {
        let (_, scenario) = SCENARIOS
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no scenario named {name}"));
        scenario();
        return;
    }
    let trials = SCENARIOS
        .iter()
        .map(|&(name, _)| Trial::test(name, move || run_in_child(name)))
        .collect();
    libtest_mimic::run(&Arguments::from_args(), trials).exit();
}
