// unwind_rs.rs: Rust allocations for the fast unwinder's tests (tests/e2e/test_unwind.py).  Rust
// code reaches malloc through __rust_alloc and the alloc crate's generic plumbing (RawVec, Box),
// inlined to various depths; closures and iterator adapters add frames named by the compiler;
// a panic unwinds through frames whose Drop implementations allocate (landing pads), and
// catch_unwind stops it.  The fast unwinder must give libunwind's stacks in all of them and must
// not disturb the panic.  Shapes:
//   leak_box      Box::leak of a 700-byte array, from main
//   make_vec      Vec::with_capacity called from a closure mapped over an iterator
//   fold_leak     called from inside Iterator::fold / filter adapters
//   rec_leak      the bottom of a 60-frame recursion
//   dog_leak / cat_leak   called from trait methods through Vec<Box<dyn Speak>> (virtual calls)
//   drop_leak     Drop::drop of values dropped while a panic unwinds, caught by catch_unwind
//   thread_leak   inside a spawned thread
// Built twice by tests/unwind.mk: unwind_rs (opt-level 2, no frame pointers) and unwind_rs_O0.
// Prints "expect FUNCTION ALLOCATIONS BYTES" lines (sorted by name); exits 0.
use std::panic;
use std::sync::atomic::{AtomicU64, Ordering};

const NAMES: [&str; 8] = [
    "leak_box", "make_vec", "fold_leak", "rec_leak", "dog_leak", "cat_leak", "drop_leak",
    "thread_leak",
];
static ALLOCS: [AtomicU64; 8] = [
    AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0),
    AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0),
];
static BYTES: [AtomicU64; 8] = [
    AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0),
    AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0),
];

// Leaks a vector's buffer where the optimiser cannot remove it (an allocation only forgotten
// would be elided at opt-level 2).
fn keep<T: 'static>(v: Vec<T>) {
    let leaked: &'static mut [T] = v.leak();
    std::hint::black_box(leaked.as_mut_ptr());
}

// Counts a leaked block under NAMES[i] (no allocation).
fn count(i: usize, bytes: usize) {
    ALLOCS[i].fetch_add(1, Ordering::Relaxed);
    BYTES[i].fetch_add(bytes as u64, Ordering::Relaxed);
}

#[inline(never)]
fn leak_box() -> &'static mut [u8; 700] {
    count(0, 700);
    std::hint::black_box(Box::leak(Box::new([7u8; 700])))
}

#[inline(never)]
fn make_vec(i: usize) -> usize {
    let v: Vec<u8> = Vec::with_capacity(710 + i);
    let cap = v.capacity();
    count(1, cap);
    keep(v);
    cap
}

#[inline(never)]
fn fold_leak(acc: usize, x: usize) -> usize {
    let s = String::with_capacity(730 + x % 3);
    count(2, s.capacity());
    let n = s.capacity();
    keep(s.into_bytes());
    acc + n
}

#[inline(never)]
fn rec_leak(n: u32) -> usize {
    if n == 0 {
        let v = vec![1u64; 90]; // 720 bytes
        count(3, 720);
        let len = v.len();
        keep(v);
        return len;
    }
    let r = rec_leak(n - 1);
    std::hint::black_box(r) + 1
}

trait Speak {
    fn speak(&self) -> usize;
}
struct Dog;
struct Cat;
impl Speak for Dog {
    #[inline(never)]
    fn speak(&self) -> usize {
        dog_leak()
    }
}
impl Speak for Cat {
    #[inline(never)]
    fn speak(&self) -> usize {
        cat_leak()
    }
}

#[inline(never)]
fn dog_leak() -> usize {
    let mut s = String::with_capacity(741);
    s.push_str("woof");
    count(4, s.capacity());
    let n = s.capacity();
    keep(s.into_bytes());
    n
}

#[inline(never)]
fn cat_leak() -> usize {
    let b: Box<[u16]> = vec![3u16; 375].into_boxed_slice(); // 750 bytes
    count(5, 750);
    let n = b.len();
    std::hint::black_box(Box::leak(b).as_mut_ptr());
    n
}

struct Noisy(u32);
impl Drop for Noisy {
    fn drop(&mut self) {
        drop_leak(self.0);
    }
}

#[inline(never)]
fn drop_leak(k: u32) {
    let v: Vec<u8> = Vec::with_capacity(760 + k as usize);
    count(6, v.capacity());
    keep(v);
}

#[inline(never)]
fn panic_deep(n: u32) -> u32 {
    let _guard = Noisy(n);
    let _tmp = vec![0u8; 100]; // freed while unwinding
    if n == 0 {
        panic!("deep panic at level {}", n);
    }
    let r = panic_deep(n - 1);
    std::hint::black_box(r) + 1
}

#[inline(never)]
fn thread_leak() -> usize {
    let v: Vec<u32> = Vec::with_capacity(200); // 800 bytes
    count(7, 800);
    let c = v.capacity();
    keep(v);
    c
}

fn main() {
    panic::set_hook(Box::new(|_| {})); // no message on stderr for the expected panic

    let b = leak_box();
    b[0] = 1;

    let caps: Vec<usize> = (0..5).map(|i| make_vec(i)).collect();
    let total = (0..10usize).filter(|x| x % 2 == 1).fold(0, |acc, x| fold_leak(acc, x));

    let r = rec_leak(60);

    let animals: Vec<Box<dyn Speak>> = vec![Box::new(Dog), Box::new(Cat), Box::new(Dog)];
    let spoken: usize = animals.iter().map(|a| a.speak()).sum();

    let result = panic::catch_unwind(|| panic_deep(8));
    let panicked = result.is_err();

    let t = std::thread::spawn(thread_leak);
    let tc = t.join().unwrap();

    println!(
        "caps {:?} total {} rec {} spoken {} panicked {} thread {}",
        caps, total, r, spoken, panicked, tc
    );
    let mut order: Vec<usize> = (0..NAMES.len()).collect();
    order.sort_by_key(|&i| NAMES[i]);
    for i in order {
        println!(
            "expect {} {} {}",
            NAMES[i],
            ALLOCS[i].load(Ordering::Relaxed),
            BYTES[i].load(Ordering::Relaxed)
        );
    }
}
