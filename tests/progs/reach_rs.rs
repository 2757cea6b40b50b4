// reach_rs.rs: Rust structures for the leak-kind tests (tests/e2e/test_reach.py).
//   rc_cycle   two Rc<RefCell<_>> nodes pointing at each other: one definitely lost, one indirectly
//   arc_cycle  three Arc<Mutex<_>> nodes in a ring: one definitely lost, two indirectly
//   keep_leak  Box::leak kept in a static: reachable (1234 bytes)
//   forget     mem::forget of a String: definitely lost (1321 bytes)
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Mutex};

struct RcNode {
    next: Option<Rc<RefCell<RcNode>>>,
    pad: [u8; 1500],
}

struct ArcNode {
    next: Option<Arc<Mutex<ArcNode>>>,
    pad: [u8; 1700],
}

static KEEP: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());

#[inline(never)]
fn rc_cycle() {
    let a = Rc::new(RefCell::new(RcNode { next: None, pad: [1; 1500] }));
    let b = Rc::new(RefCell::new(RcNode { next: Some(a.clone()), pad: [2; 1500] }));
    a.borrow_mut().next = Some(b.clone());
    std::hint::black_box(a.borrow().pad[0] + b.borrow().pad[0]);
}

#[inline(never)]
fn arc_cycle() {
    let a = Arc::new(Mutex::new(ArcNode { next: None, pad: [1; 1700] }));
    let b = Arc::new(Mutex::new(ArcNode { next: Some(a.clone()), pad: [2; 1700] }));
    let c = Arc::new(Mutex::new(ArcNode { next: Some(b.clone()), pad: [3; 1700] }));
    a.lock().unwrap().next = Some(c.clone());
    std::hint::black_box(a.lock().unwrap().pad[0] + c.lock().unwrap().pad[0]);
}

#[inline(never)]
fn keep_leak() {
    let b: &'static mut [u8] = Box::leak(vec![7u8; 1234].into_boxed_slice());
    KEEP.store(b.as_mut_ptr(), Ordering::SeqCst);
}

#[inline(never)]
fn forget() {
    let s = String::from_utf8(vec![b'x'; 1321]).unwrap();
    std::mem::forget(s);
}

// Overwrites the dead stack where copies of the pointers above could be left.
#[inline(never)]
fn scrub() {
    let junk = [0u8; 16384];
    std::hint::black_box(&junk);
}

fn main() {
    rc_cycle();
    arc_cycle();
    keep_leak();
    forget();
    scrub();
}
