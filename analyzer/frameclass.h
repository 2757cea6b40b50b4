/*
 * frameclass: which frames are allocator plumbing, runtime-owned or the C runtime's start-up
 * (prefix frameclass_).  The policy every output shares: the stack model folds allocator frames
 * and counts runtime-owned memory apart, stack keys and one-line stacks drop start-up frames.
 */
#ifndef LEAKREC_FRAMECLASS_H
#define LEAKREC_FRAMECLASS_H

#include <stddef.h>

#include "sym.h"

/* 1 when the frame is allocator plumbing above the user's call (operator new, __rust_alloc,
 * alloc::alloc::*, alloc::raw_vec::*, std::allocator<...>::allocate, the malloc family itself,
 * ...): such frames are folded out of a stack unless --show-alloc-frames. */
int frameclass_is_alloc(const sym_frame *f);
/* 1 when this frame allocates memory the C, C++ or Rust runtime keeps for itself (the dynamic
 * loader's TLS blocks, stdio buffers, the C++ emergency exception pool, Rust std's thread and I/O
 * internals, ...), when it comes before the program's own frames (frameclass_stack_is_runtime). */
int frameclass_is_runtime(const sym_frame *f);
/* 1 when the frame is part of the C or Rust runtime's start-up (_start, __libc_start_main*,
 * start_thread, clone, clone3, ...; a frame without a function in libc, libpthread or the
 * dynamic loader; the C main of a Rust program, std::rt::lang_start*, the catch_unwind and
 * FnOnce::call_once shims, a thread's start path). */
int frameclass_is_startup(const sym_frame *f);
/* 1 when the frame is the program's own code: in a module outside the system's library folders
 * (/lib, /usr/lib ...), not allocator plumbing or start-up, not a library namespace (std::,
 * core::, alloc::, hashbrown::, __gnu_cxx:: ...) and not from a library's source (system
 * headers, the Rust standard library, crates from a cargo registry).  A frame without a function
 * in such a module is the program's. */
int frameclass_is_program(const sym_frame *f);
/* 1 when the file and line of this frame would help a reader: the program's own frames and the
 * named functions of other libraries (libjq's jv_parse, Python's PyList_New); not start-up,
 * allocator plumbing, runtime-owned frames or a standard library's internals (std::, core::,
 * __gnu_cxx:: ..., a system library's code without a name).  Decides the no-debug-info hint. */
int frameclass_wants_lines(const sym_frame *f);
/* 1 when a stack (n frames, innermost first, allocator frames included or not) holds memory the
 * runtime keeps for itself: a runtime frame (frameclass_is_runtime) comes before the first frame
 * of the program's own, or the stack has no frame of the program's own and runs through a system
 * library (a runtime's own initializer).  Memory a std function returns to the program's code
 * (current_dir, env::var, format! ...) is the program's. */
int frameclass_stack_is_runtime(const sym_frame *frames, size_t n);
/* Returns how many of the n frames (innermost first) are left once the start-up frames at the
 * outer end are cut off: all n when nothing else is left. */
size_t frameclass_trim_startup(const sym_frame *frames, size_t n);

#endif
