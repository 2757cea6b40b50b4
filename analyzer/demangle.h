/*
 * demangle: C++ and Rust symbol names for people (prefix demangle_), through libiberty.
 */
#ifndef LEAKREC_DEMANGLE_H
#define LEAKREC_DEMANGLE_H

/* Demangles a C++ or Rust (legacy or v0) symbol.  Returns a malloc'ed string the caller frees, or
 * NULL when `name` is not mangled.  Rust legacy hash suffixes (::h0123456789abcdef) are removed. */
char *demangle_symbol(const char *name);

#endif
