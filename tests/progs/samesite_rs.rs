// samesite_rs.rs: the Rust form of samesite.c: 40 allocations of 1,000 B made at 40 call sites
// that print the same (one macro expanded 40 times on one line), 5 ms apart, all leaked: a store
// that grows steadily.  Built with rustc -O (debug info on).
use std::time::Duration;

macro_rules! step {
    ($store:ident) => {
        $store.push(Box::leak(vec![1u8; 1000].into_boxed_slice()) as &[u8]);
        std::thread::sleep(Duration::from_millis(5));
    };
}

#[inline(never)]
fn store_grow(store: &mut Vec<&'static [u8]>) {
    step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store); step!(store);
}

fn main() {
    let mut store = Vec::with_capacity(40);
    store_grow(&mut store);
    std::process::exit(if store.len() == 40 { 0 } else { 1 });
}
