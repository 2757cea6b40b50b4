// plumbing_rs.rs: leaks made through std's containers, whose allocations pass through many frames
// of library plumbing (hashbrown, RawVec, fmt, to_vec) before they reach malloc.  Built twice, at
// opt-level 0 and 3 (both with debug info), for the folding and the diff-key tests.  Prints
// "expect FUNCTION ALLOCATIONS BYTES" for every leak, sizes from the capacities std chose.
use std::collections::HashMap;
use std::hint::black_box;
use std::mem::forget;

#[inline(never)]
fn grow_map(n: u64) -> (usize, usize) {
    let mut m: HashMap<u64, u64> = HashMap::new();
    for i in 0..n {
        m.insert(i, i * 7);
    }
    // hashbrown keeps one allocation: buckets (16 B each) + control bytes (buckets + 16)
    let buckets = (m.capacity() * 8 / 7).next_power_of_two();
    forget(black_box(m));
    (1, buckets * 16 + buckets + 16)
}

#[inline(never)]
fn with_capacity_vec(n: usize) -> (usize, usize) {
    let v: Vec<u32> = Vec::with_capacity(n);
    let bytes = v.capacity() * 4;
    forget(black_box(v));
    (1, bytes)
}

#[inline(never)]
fn with_capacity_string(n: usize) -> (usize, usize) {
    let s = String::with_capacity(n);
    let bytes = s.capacity();
    forget(black_box(s));
    (1, bytes)
}

#[inline(never)]
fn copy_slice(src: &[u8]) -> (usize, usize) {
    let v = src.to_vec();
    let bytes = v.capacity();
    forget(black_box(v));
    (1, bytes)
}

#[inline(never)]
fn format_text(k: u64) -> (usize, usize) {
    let s = format!("entry {} of {}", k, k * 1000);
    let bytes = s.capacity();
    forget(black_box(s));
    (1, bytes)
}

#[inline(never)]
fn push_grow(n: u32) -> (usize, usize) {
    let mut v = Vec::new();
    for i in 0..n {
        v.push(i as u64);
    }
    let bytes = v.capacity() * 8;
    forget(black_box(v));
    (1, bytes)
}

fn main() {
    let src = vec![3u8; 300];
    let got = [
        ("grow_map", grow_map(1000)),
        ("with_capacity_vec", with_capacity_vec(250)),
        ("with_capacity_string", with_capacity_string(77)),
        ("copy_slice", copy_slice(&src)),
        ("format_text", format_text(424242)),
        ("push_grow", push_grow(100)),
    ];
    let mut out = String::new();
    for (name, (n, bytes)) in got.iter() {
        out.push_str(&format!("expect {} {} {}\n", name, n, bytes));
    }
    print!("{}", out);
}
