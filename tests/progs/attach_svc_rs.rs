// attach_svc_rs.rs: the Rust twin of attach_svc.c (std threads, std only), for `leakrec -p`
// (tests/e2e/test_attach.py).  The same protocol on stdin:
//
//   'c'  leak_block() leaks LEAK_SIZE bytes (Box::leak), release_startup_block() drops one of the
//        NSTART boxes of STARTUP_SIZE bytes made by startup_pool(), append_record() pushes a
//        NODE_SIZE-byte node on a linked list; answers "ack N"
//   'p'  / 'r'  pause / resume the churn threads (no block held while paused): "paused", "resumed"
//   EOF  stop the threads, check everything, print "checksum S errors E", exit EXIT_STATUS
//
// NCHURN churn threads allocate, fill, check and drop one Vec at a time (churn_step); a grower
// thread adds a GROW_SIZE-byte node to its linked list every GROW_US microseconds (grow_step), kept
// until exit.  Lists are linked (no Vec that grows by realloc), so that a command made while
// attached frees exactly one block allocated before: the start-up box it drops.
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

const LEAK_SIZE: usize = 1536;
const STARTUP_SIZE: usize = 96;
const NSTART: usize = 4096;
const NODE_SIZE: usize = 48;
const GROW_SIZE: usize = 4000;
const GROW_US: u64 = 5000;
const NCHURN: usize = 3;
const EXIT_STATUS: i32 = 9;

struct Node {
    next: Option<Box<Node>>,
    n: u64,
    pad: [u8; NODE_SIZE - 16],
}

struct Big {
    next: Option<Box<Big>>,
    n: u64,
    pad: [u8; GROW_SIZE - 16],
}

struct Gate {
    paused: bool,
    parked: usize,
}

struct Shared {
    stop: AtomicBool,
    errors: AtomicU64,
    gate: Mutex<Gate>,
    cv: Condvar,
}

fn rng(s: &mut u64) -> u64 {
    let mut x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    x.wrapping_mul(0x2545f4914f6cdd1d)
}

#[inline(never)]
fn startup_pool() -> Vec<Option<Box<[u8; STARTUP_SIZE]>>> {
    let mut v = Vec::with_capacity(NSTART);
    for i in 0..NSTART {
        v.push(Some(Box::new([i as u8; STARTUP_SIZE])));
    }
    v
}

#[inline(never)]
fn leak_block(n: u64) -> &'static mut [u8] {
    Box::leak(vec![(n * 7 + 1) as u8; LEAK_SIZE].into_boxed_slice())
}

#[inline(never)]
fn release_startup_block(pool: &mut [Option<Box<[u8; STARTUP_SIZE]>>], n: u64, sh: &Shared) {
    if let Some(slot) = pool.get_mut(n as usize) {
        if let Some(b) = slot.take() {
            if b.iter().any(|&x| x != n as u8) {
                sh.errors.fetch_add(1, Ordering::Relaxed);
            }
            drop(b);
        }
    }
}

#[inline(never)]
fn append_record(list: &mut Option<Box<Node>>, n: u64) {
    let next = list.take();
    *list = Some(Box::new(Node { next, n, pad: [n as u8; NODE_SIZE - 16] }));
}

#[inline(never)]
fn churn_step(s: &mut u64, sh: &Shared) {
    let r = rng(s);
    let n = 16 + (r % 1000) as usize;
    let v = (r >> 32) as u8;
    let b = vec![v; n];
    if b[0] != v || b[n - 1] != v || b[n / 2] != v {
        sh.errors.fetch_add(1, Ordering::Relaxed);
    }
    drop(b);
    // some work between calls
    let mut k = 0u32;
    while std::hint::black_box(k) < 6000 {
        k += 1;
    }
}

fn churn_gate(sh: &Shared) -> bool {
    let mut g = sh.gate.lock().unwrap();
    while g.paused && !sh.stop.load(Ordering::SeqCst) {
        g.parked += 1;
        sh.cv.notify_all();
        g = sh.cv.wait(g).unwrap();
        g.parked -= 1;
    }
    !sh.stop.load(Ordering::SeqCst)
}

#[inline(never)]
fn grow_step(list: &mut Option<Box<Big>>, n: u64) {
    let next = list.take();
    *list = Some(Box::new(Big { next, n, pad: [n as u8; GROW_SIZE - 16] }));
}

fn set_paused(sh: &Shared, p: bool) {
    let mut g = sh.gate.lock().unwrap();
    g.paused = p;
    sh.cv.notify_all();
    while p && g.parked < NCHURN {
        g = sh.cv.wait(g).unwrap();
    }
}

fn main() {
    let sh = Arc::new(Shared {
        stop: AtomicBool::new(false),
        errors: AtomicU64::new(0),
        gate: Mutex::new(Gate { paused: false, parked: 0 }),
        cv: Condvar::new(),
    });
    let mut pool = startup_pool();
    let mut records: Option<Box<Node>> = None;
    let mut leaked: Vec<&'static mut [u8]> = Vec::with_capacity(NSTART);
    let mut threads = Vec::new();
    for i in 0..NCHURN {
        let sh = sh.clone();
        threads.push(thread::spawn(move || {
            let mut s = 0x9e3779b97f4a7c15u64.wrapping_mul(i as u64 + 1) + 1;
            while churn_gate(&sh) {
                for _ in 0..64 {
                    churn_step(&mut s, &sh);
                }
            }
            0u64
        }));
    }
    {
        let sh = sh.clone();
        threads.push(thread::spawn(move || {
            let mut grown: Option<Box<Big>> = None;
            let mut n = 0u64;
            while !sh.stop.load(Ordering::SeqCst) {
                grow_step(&mut grown, n);
                n += 1;
                thread::sleep(Duration::from_micros(GROW_US));
            }
            let mut bad = 0u64;
            while let Some(mut b) = grown {
                bad += (b.pad[0] != b.n as u8) as u64;
                grown = b.next.take();
            }
            bad
        }));
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(out, "ready {}", std::process::id()).unwrap();
    out.flush().unwrap();
    let mut stdin = std::io::stdin().lock();
    let mut n = 0u64;
    let mut c = [0u8; 1];
    loop {
        match stdin.read(&mut c) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                writeln!(out, "EINTR in read").unwrap();
                continue;
            }
            Err(_) => break,
        }
        match c[0] {
            b'c' => {
                if (n as usize) < NSTART {
                    leaked.push(leak_block(n));
                }
                release_startup_block(&mut pool, n, &sh);
                append_record(&mut records, n);
                n += 1;
                writeln!(out, "ack {}", n).unwrap();
            }
            b'p' => {
                set_paused(&sh, true);
                writeln!(out, "paused").unwrap();
            }
            b'r' => {
                set_paused(&sh, false);
                writeln!(out, "resumed").unwrap();
            }
            _ => continue,
        }
        out.flush().unwrap();
    }
    sh.stop.store(true, Ordering::SeqCst);
    set_paused(&sh, false);
    let mut bad = 0u64;
    for t in threads {
        bad += t.join().unwrap();
    }
    let mut sum = n;
    for p in &leaked {
        for k in (0..LEAK_SIZE).step_by(64) {
            sum = sum.wrapping_mul(31).wrapping_add(p[k] as u64);
        }
    }
    let mut e = records.as_deref();
    while let Some(r) = e {
        sum = sum.wrapping_mul(131).wrapping_add(r.n).wrapping_add(r.pad[NODE_SIZE - 17] as u64);
        e = r.next.as_deref();
    }
    for b in pool.iter().flatten() {
        sum = sum.wrapping_mul(7).wrapping_add(b[STARTUP_SIZE - 1] as u64);
    }
    // Drop the list node by node (a recursive drop of a long list could overflow the stack).
    while let Some(mut r) = records {
        records = r.next.take();
    }
    writeln!(out, "checksum {} errors {}", sum, sh.errors.load(Ordering::Relaxed) + bad).unwrap();
    out.flush().unwrap();
    std::process::exit(EXIT_STATUS);
}
