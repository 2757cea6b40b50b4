// leaks_rs.rs: Rust leaks at known call sites (built with rustc -g, std only).
//   make_rc_cycle: 5 x two Rc<RefCell<Node>> pointing at each other (an Rc cycle): 10 allocations
//   leak_box:      3 x Box::leak of a 1,000-byte boxed slice = 3,000 bytes
// Prints the truth the test checks ("expect FUNCTION ALLOCATIONS BYTES"), sizes from the compiler.
use std::cell::RefCell;
use std::rc::Rc;

struct Node {
    next: Option<Rc<RefCell<Node>>>,
    payload: [u8; 100],
}

#[inline(never)]
fn make_rc_cycle() {
    let a = Rc::new(RefCell::new(Node { next: None, payload: [1; 100] }));
    let b = Rc::new(RefCell::new(Node { next: None, payload: [2; 100] }));
    a.borrow_mut().next = Some(b.clone());
    b.borrow_mut().next = Some(a.clone());
    let _ = a.borrow().payload[0] + b.borrow().payload[0];
}

#[inline(never)]
fn leak_box() -> &'static mut [u8] {
    Box::leak(vec![7u8; 1000].into_boxed_slice())
}

fn main() {
    for _ in 0..5 {
        make_rc_cycle();
    }
    let mut total = 0usize;
    for _ in 0..3 {
        total += leak_box().len();
    }
    // RcBox<T> is #[repr(C)] { strong: Cell<usize>, weak: Cell<usize>, value: T }.
    let word = std::mem::size_of::<usize>();
    let inner = std::mem::size_of::<RefCell<Node>>();
    let align = std::mem::align_of::<RefCell<Node>>().max(word);
    let rcbox = (2 * word + inner + align - 1) / align * align;
    println!("expect make_rc_cycle 10 {}", 10 * rcbox);
    println!("expect leak_box 3 {}", total);
}
