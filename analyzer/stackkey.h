/*
 * stackkey: the key of a stack, its symbolic identity across builds (prefix stackkey_).
 *
 * The key of a stack is the chain of its frames as the report shows them (allocator frames
 * folded, inlined frames included), innermost first, each frame reduced to its function name:
 * no address, no line, no Rust hash suffix (sym removes it) and no compiler clone suffix
 * (.constprop.N, .isra.N, .part.N, .cold, .lto_priv.N, .llvm.N, " [clone ...]").  A frame
 * without a function reads as its module's base name followed by "?".  Two adjacent equal
 * frames count once (recursion depth is data, not identity), and the C runtime's start-up
 * frames at the outer end (_start, __libc_start_main*, start_thread, clone, clone3) are left
 * out, so the same program gives the same keys when rebuilt, when code moves within its files,
 * with or without frame pointers, and on another C library version.  With STACKKEY_MATCH_LINES each
 * frame also carries its source file's base name and line.  Keys are text: frames joined by
 * ';', with '\', ';' and control bytes escaped (\\, \;, \xHH).  Key sets (keyset.h) merge a
 * trace's stacks by key.
 */
#ifndef LEAKREC_STACKKEY_H
#define LEAKREC_STACKKEY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sym.h"

enum {
	STACKKEY_OK = 0,
	STACKKEY_ENOMEM = -1, /* out of memory */
};

/* Returns a static description of an STACKKEY_E* code. */
const char *stackkey_strerror(int err);

/* How frames are compared. */
enum stackkey_match {
	STACKKEY_MATCH_FUNCTIONS = 0, /* function names only */
	STACKKEY_MATCH_LINES = 1,     /* function name, source file base name and line */
};

/* Builds the key of a stack (n frames, innermost first, borrowed).  Returns 0 and *key, a
 * NUL-terminated string the caller frees (its length in *len), or STACKKEY_ENOMEM. */
int stackkey_key(const sym_frame *frames, size_t n, enum stackkey_match match, char **key, size_t *len);

#endif
