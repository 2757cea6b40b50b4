// owned_rs.rs: memory the Rust runtime keeps for itself against memory std functions hand to the
// program (the truth the runtime-ownership tests check).  Each leak_* function leaks what a std
// call returned to it; the program prints "expect FUNCTION ALLOCATIONS BYTES" for each, from the
// capacities std chose.  Run as `owned_rs FILE`: FILE is read with read_to_string.
// Runtime-owned (not leaks): stdout's buffer (println!), the main thread's bookkeeping, and the
// bookkeeping of a thread still running at exit.
use std::mem::forget;

#[inline(never)]
fn leak_cwd() -> (usize, usize) {
    let p = std::env::current_dir().unwrap();
    let cap = p.capacity();
    forget(p);
    (1, cap)
}

#[inline(never)]
fn leak_var() -> (usize, usize) {
    let v = std::env::var("LEAKREC_TEST_VAR").unwrap();
    let cap = v.capacity();
    forget(v);
    (1, cap)
}

#[inline(never)]
fn leak_read(path: &str) -> (usize, usize) {
    let s = std::fs::read_to_string(path).unwrap();
    let cap = s.capacity();
    forget(s);
    (1, cap)
}

#[inline(never)]
fn leak_format(a: u64, b: &str) -> (usize, usize) {
    let s = format!("{}-{}-{}", a, b, a * 3);
    let cap = s.capacity();
    forget(s);
    (1, cap)
}

#[inline(never)]
fn leak_args() -> (usize, usize) {
    let v: Vec<String> = std::env::args().collect();
    let mut bytes = v.capacity() * std::mem::size_of::<String>();
    let mut n = if v.capacity() > 0 { 1 } else { 0 };
    for s in &v {
        if s.capacity() > 0 {
            bytes += s.capacity();
            n += 1;
        }
    }
    forget(v);
    (n, bytes)
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: owned_rs FILE");
    // A thread that is still blocked when main returns: its bookkeeping is the runtime's.
    std::thread::spawn(|| loop {
        std::thread::park();
    });
    let got = [
        ("leak_cwd", leak_cwd()),
        ("leak_var", leak_var()),
        ("leak_read", leak_read(&path)),
        ("leak_format", leak_format(123456789, "abcdefghij")),
        ("leak_args", leak_args()),
    ];
    for (name, (n, bytes)) in got.iter() {
        println!("expect {} {} {}", name, n, bytes);
    }
}
