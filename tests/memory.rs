//! The CPU buffer cache (`firebrand::memory`): large freed buffers are reused, never leak old
//! values, respect the limit, and small ones are left to the allocator.

use firebrand::nn::functional as F;
use firebrand::{DType, Tensor, memory};
use std::sync::Mutex;

/// The cache is one per process: tests that read its counters run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn a_dropped_large_buffer_serves_the_next_output_of_its_size() {
    let _g = serial();
    // 1_000_003 f64 (about 8 MB): a size no other test here uses.
    let n = 1_000_003;
    let x = Tensor::full([n], 3.0, DType::F64);
    drop(x);
    let before = memory::cpu_cache_stats();
    assert!(before.cached_bytes >= n * 8, "{before:?}");
    let y = Tensor::arange(0.0, n as f64, 1.0, DType::F64);
    let z = &y + &y; // one of these two outputs takes the cached buffer
    let after = memory::cpu_cache_stats();
    assert!(after.hits > before.hits, "{before:?} -> {after:?}");
    // No stale 3.0 shows through.
    let v = z.to_vec::<f64>();
    assert_eq!((v[0], v[1], v[n - 1]), (0.0, 2.0, 2.0 * (n - 1) as f64));
    assert!(v.iter().enumerate().all(|(i, &e)| e == 2.0 * i as f64));
}

#[test]
fn reused_buffers_hold_exactly_the_new_values_for_every_kernel_shape() {
    let _g = serial();
    let n = 700;
    // Fill the cache with buffers full of NaN of the sizes the ops below ask for.
    for _ in 0..3 {
        drop(Tensor::full([n, n], f64::NAN, DType::F32));
    }
    let a = Tensor::arange(0.0, (n * n) as f64, 1.0, DType::F32).reshape([n, n]);
    let t = a.t() + &a; // strided walk
    let e = a.sqrt(); // contiguous map
    let w = Tensor::where_(&a.gt_scalar(10.0), &a, &Tensor::scalar(0.0f32)); // ternary
    let tv = t.to_vec::<f32>();
    let (ev, wv) = (e.to_vec::<f32>(), w.to_vec::<f32>());
    for i in [0, 1, n + 2, n * n / 2, n * n - 1] {
        let (r, c) = (i / n, i % n);
        assert_eq!(tv[i], (i + c * n + r) as f32);
        assert_eq!(ev[i], (i as f32).sqrt());
        assert_eq!(wv[i], if i > 10 { i as f32 } else { 0.0 });
    }
    assert!(tv.iter().chain(&ev).chain(&wv).all(|x| !x.is_nan()));
}

#[test]
fn matmul_outputs_never_show_a_reused_buffers_old_values() {
    let _g = serial();
    // Cached buffers of the output sizes below, full of values no product here gives.
    for (dtype, junk) in [
        (DType::F32, f64::NAN),
        (DType::F64, f64::NAN),
        (DType::I64, -7.0),
    ] {
        for _ in 0..3 {
            drop(Tensor::full([256, 256], junk, dtype));
        }
    }
    let empty_inner =
        Tensor::ones([256, 0], DType::F32).matmul(&Tensor::ones([0, 256], DType::F32));
    assert!(empty_inner.to_vec::<f32>().iter().all(|&x| x == 0.0));
    // A batch of 4 spread over the threads, and one product on gemm's threads.
    let ones = Tensor::ones([4, 64, 32], DType::F64);
    let batched = ones.matmul(&Tensor::ones([4, 32, 256], DType::F64));
    assert!(batched.to_vec::<f64>().iter().all(|&x| x == 32.0));
    let single = Tensor::ones([256, 300], DType::F32).matmul(&Tensor::ones([300, 256], DType::F32));
    assert!(single.to_vec::<f32>().iter().all(|&x| x == 300.0));
    let ints = Tensor::ones([256, 3], DType::I64).matmul(&Tensor::ones([3, 256], DType::I64));
    assert!(ints.to_vec::<i64>().iter().all(|&x| x == 3));
}

/// How many of the `k x k` taps of every window of an `h x w` plane (stride `s`, padding `p`)
/// read inside it, counted one by one.
fn taps_inside(h: usize, w: usize, k: usize, s: usize, p: usize) -> usize {
    let out = |n: usize| (n + 2 * p - k) / s + 1;
    let inside = |o: usize, t: usize, n: usize| (o * s + t).checked_sub(p).is_some_and(|i| i < n);
    let mut count = 0;
    for (oy, ox, ty, tx) in (0..out(h)).flat_map(|oy| {
        (0..out(w))
            .flat_map(move |ox| (0..k).flat_map(move |ty| (0..k).map(move |tx| (oy, ox, ty, tx))))
    }) {
        count += usize::from(inside(oy, ty, h) && inside(ox, tx, w));
    }
    count
}

#[test]
fn unfold_writes_zeros_for_padding_into_reused_buffers() {
    let _g = serial();
    for (stride, padding) in [(1, 2), (2, 1)] {
        let x = Tensor::ones([2, 3, 80, 72], DType::F32);
        let len = F::unfold(&x, 3, 1, padding, stride).numel();
        for _ in 0..3 {
            drop(Tensor::full([len], f64::NAN, DType::F32)); // NaN buffers of that size
        }
        let cols = F::unfold(&x, 3, 1, padding, stride).to_vec::<f32>();
        assert!(
            cols.iter().all(|&v| v == 0.0 || v == 1.0),
            "stride {stride}"
        );
        let ones = cols.iter().filter(|&&v| v == 1.0).count();
        assert_eq!(ones, 2 * 3 * taps_inside(80, 72, 3, stride, padding));
    }
}

#[test]
fn the_limit_bounds_the_cache_and_emptying_frees_it() {
    let _g = serial();
    let old = memory::cpu_cache_limit();
    memory::set_cpu_cache_limit(0);
    drop(Tensor::ones([1 << 20], DType::F32));
    assert_eq!(
        memory::cpu_cache_stats().cached_bytes,
        0,
        "limit 0 caches nothing"
    );

    memory::set_cpu_cache_limit(9 << 20);
    for _ in 0..4 {
        // Four live 4 MiB tensors, then all dropped: only two fit under 9 MiB.
        let live: Vec<Tensor> = (0..4)
            .map(|_| Tensor::ones([1 << 20], DType::F32))
            .collect();
        drop(live);
    }
    let s = memory::cpu_cache_stats();
    assert!(s.cached_bytes <= 9 << 20, "{s:?}");
    assert_eq!(s.cached_blocks, 2, "{s:?}");

    memory::empty_cpu_cache();
    let s = memory::cpu_cache_stats();
    assert_eq!((s.cached_bytes, s.cached_blocks), (0, 0));
    memory::set_cpu_cache_limit(old);
}

#[test]
fn small_buffers_are_left_to_the_allocator() {
    let _g = serial();
    memory::empty_cpu_cache();
    drop(Tensor::ones([1000], DType::F32)); // 4 KB
    drop(Tensor::ones([60_000], DType::U8)); // 60 KB
    assert_eq!(memory::cpu_cache_stats().cached_blocks, 0);
}

#[test]
fn buffers_freed_on_one_thread_serve_another() {
    let _g = serial();
    memory::empty_cpu_cache();
    let n = 333_333; // i64, about 2.7 MB
    std::thread::spawn(move || drop(Tensor::full([n], 5.0, DType::I64)))
        .join()
        .unwrap();
    let before = memory::cpu_cache_stats();
    assert_eq!(before.cached_blocks, 1);
    let x = std::thread::spawn(move || Tensor::zeros([n], DType::I64))
        .join()
        .unwrap();
    let after = memory::cpu_cache_stats();
    assert_eq!(after.hits, before.hits + 1);
    assert!(x.to_vec::<i64>().iter().all(|&v| v == 0));
}
