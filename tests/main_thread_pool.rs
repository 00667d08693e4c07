//! Whether the main thread joins rayon's global pool (`firebrand::threads`), checked in fresh
//! processes: rayon's global pool is built once per process, and libtest runs tests on threads
//! not named "main", so this file has its own `main` (`harness = false` in Cargo.toml). Run bare,
//! it runs each scenario in a child process (itself, with FIREBRAND_POOL_SCENARIO set) and
//! reports like libtest; `--list` prints the scenarios for cargo-nextest.

use firebrand::{DType, Tensor, threads};
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

/// Runs one scenario in a child process; true when it passed.
fn run_in_child(name: &str) -> bool {
    let exe = std::env::current_exe().expect("own path");
    let mut child = Command::new(exe);
    child
        .env(SCENARIO_VAR, name)
        .env_remove("RAYON_NUM_THREADS");
    if name == "rayon_num_threads_sets_the_pool_size" {
        child.env("RAYON_NUM_THREADS", "3");
    }
    let out = child.output().expect("start a child process");
    let passed = out.status.success();
    if !passed {
        eprintln!("---- {name} ----");
        eprintln!("{}", String::from_utf8_lossy(&out.stdout));
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    }
    passed
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        if !args.iter().any(|a| a == "--ignored") {
            for (name, _) in SCENARIOS {
                println!("{name}: test");
            }
        }
        return;
    }
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let chosen: Vec<&str> = SCENARIOS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())))
        .collect();
    println!("\nrunning {} tests", chosen.len());
    let failed: Vec<&str> = chosen
        .iter()
        .copied()
        .filter(|name| {
            let passed = run_in_child(name);
            println!("test {name} ... {}", if passed { "ok" } else { "FAILED" });
            !passed
        })
        .collect();
    let passed = chosen.len() - failed.len();
    if failed.is_empty() {
        println!("\ntest result: ok. {passed} passed; 0 failed\n");
    } else {
        println!(
            "\ntest result: FAILED. {passed} passed; {} failed: {failed:?}\n",
            failed.len()
        );
        std::process::exit(1);
    }
}
