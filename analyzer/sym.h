/*
 * sym: symbolization of recorded instruction addresses at analysis time.
 *
 * The analyzer feeds in the module records of a trace (path, build-id, load bias, segments, the
 * stack epoch from which each is loaded and the one from which it is gone), then asks for the
 * frames of an address captured in a given epoch.  Symbols come from elfutils (libdwfl/libdw,
 * libelf): function, source file and line, and the chain of inlined functions at that address.
 * A module whose file is missing or whose build-id differs from the recorded one is never
 * symbolized: its frames read "[unknown]" with the module name and offset.  Names are demangled
 * (C++, Rust legacy and v0: demangle.h).  Debug info missing on the machine may come from
 * debuginfod servers (sym_set_fetch, symfetch.h).  Results are cached per (epoch, address).  Which frames
 * are allocator plumbing or runtime-owned is frameclass.h's business.
 */
#ifndef LEAKREC_SYM_H
#define LEAKREC_SYM_H

#include <stdint.h>

#include "tf.h"

enum {
	SYM_OK = 0,
	SYM_ENOMEM = -1,
	SYM_EINVAL = -2, /* bad argument (unknown module id, ...) */
};

/* Returns a static description of a SYM_E* code. */
const char *sym_strerror(int err);

/* One frame of a resolved address.  An address inside inlined code resolves to several frames:
 * the innermost inlined function first (inlined = 1), the physical function last (inlined = 0). */
typedef struct sym_frame {
	const char *function; /* demangled, Rust hash suffix removed; NULL when unknown */
	const char *file;     /* source file, NULL when unknown */
	unsigned line;        /* 0 when unknown */
	const char *module;   /* path of the module as recorded; "[unknown]" outside every module */
	uint64_t address;     /* the address asked for */
	uint64_t module_offset; /* address relative to the module's load bias */
	int inlined;
	int module_missing;   /* the module file is missing or its build-id does not match */
} sym_frame;

typedef struct sym_ctx sym_ctx;
struct symfetch;

/* Creates a symbolizer.  Returns 0 and *out, or SYM_ENOMEM.  Free with sym_free. */
int sym_create(sym_ctx **out);
/* Frees everything, including every string handed out. Accepts NULL. */
void sym_free(sym_ctx *s);

/* Lets debug info that is not on the machine come from debuginfod servers, the lookups watched by
 * f (symfetch.h; borrowed, must outlive s; NULL: the default lookup).  Call before the first
 * sym_resolve. */
void sym_set_fetch(sym_ctx *s, struct symfetch *f);

/* Registers a module from a MODULE_LOAD record; the record's strings are copied. */
int sym_add_module(sym_ctx *s, const tf_module *m);
/* Marks module `id` unloaded from stack epoch `epoch` on. */
int sym_unload_module(sym_ctx *s, uint64_t id, uint64_t epoch);

/* Resolves `addr` (a call-site address, already adjusted by -1) of a stack captured in `epoch`.
 * Returns the number of frames (>= 1) and points *frames at an array owned by the context, valid
 * until sym_free; or a negative SYM_E* code. */
int sym_resolve(sym_ctx *s, uint64_t epoch, uint64_t addr, const sym_frame **frames);

#endif
