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

/* What is wrong with a module's file on this machine. */
typedef enum sym_problem {
	SYM_PROBLEM_NONE = 0,
	SYM_PROBLEM_MISSING,    /* no file at the recorded path: moved or deleted since recording */
	SYM_PROBLEM_UNREADABLE, /* the file cannot be opened (sym_note.err) */
	SYM_PROBLEM_NOT_ELF,    /* not an ELF file libdwfl reads */
	SYM_PROBLEM_REBUILT,    /* its build-id differs from the recorded one */
	SYM_PROBLEM_NO_DEBUG,   /* usable but without DWARF here or on the debuginfod servers:
				 * functions from its symbol table, no file:line */
} sym_problem;

/* A module file with a problem.  Every string is owned by the context (valid until sym_free). */
typedef struct sym_note {
	const char *path;           /* as recorded */
	const char *build_id;       /* the recorded build-id in hex, "" when none */
	const char *found_build_id; /* SYM_PROBLEM_REBUILT: the file's build-id in hex, or "" */
	sym_problem problem;
	int err;                    /* SYM_PROBLEM_MISSING, _UNREADABLE: the errno of open */
} sym_note;

/* The number of files with a note, and note i of them (borrowed, valid until the next
 * sym_add_module or sym_free; NULL when i is out of range), in the order the modules were added.
 * A file is looked at when the first address in it is resolved: the notes name the files of the
 * frames resolved so far, so a module no stack runs through (the recorder's own library and its
 * dependencies) never has one.  A path that is not a file (the vDSO) has none. */
size_t sym_note_count(const sym_ctx *s);
const sym_note *sym_note_at(const sym_ctx *s, size_t i);
/* The JSON name of a problem: "missing", "unreadable", "not_elf", "rebuilt", "no_debug_info". */
const char *sym_problem_name(sym_problem p);

/* Resolves `addr` (a call-site address, already adjusted by -1) of a stack captured in `epoch`.
 * Returns the number of frames (>= 1) and points *frames at an array owned by the context, valid
 * until sym_free; or a negative SYM_E* code. */
int sym_resolve(sym_ctx *s, uint64_t epoch, uint64_t addr, const sym_frame **frames);

#endif
