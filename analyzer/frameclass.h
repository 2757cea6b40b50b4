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
/* 1 when an allocation made with this frame on its stack is memory the C, C++ or Rust runtime
 * owns and keeps for the life of the process (the dynamic loader's TLS blocks, stdio buffers, the
 * C++ emergency exception pool, Rust std's thread and I/O internals, ...). */
int frameclass_is_runtime(const sym_frame *f);
/* 1 when the frame is part of the C runtime's start-up (_start, __libc_start_main*,
 * start_thread, clone, clone3, ...; a frame without a function in libc, libpthread or the
 * dynamic loader). */
int frameclass_is_startup(const sym_frame *f);
/* Returns how many of the n frames (innermost first) are left once the start-up frames at the
 * outer end are cut off: all n when nothing else is left. */
size_t frameclass_trim_startup(const sym_frame *frames, size_t n);

#endif
