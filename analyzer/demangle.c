/*
 * demangle.c: symbol demangling (see demangle.h).  A _Z symbol is tried as legacy Rust first when
 * it ends in a Rust hash segment, then as C++; Rust hashes are stripped from the result.
 */
#include "demangle.h"

#include <libiberty/demangle.h>
#include <string.h>

#include "util.h"

static int is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Removes every Rust legacy hash segment "::h<16 hex>" that ends a path, in place. */
static void strip_rust_hash(char *s)
{
	char *w = s;
	for (const char *r = s; *r;) {
		if (r[0] == ':' && r[1] == ':' && r[2] == 'h') {
			int k = 0;
			while (k < 16 && is_hex(r[3 + k]))
				k++;
			if (k == 16 && !util_is_ident(r[19])) {
				r += 19;
				continue;
			}
		}
		*w++ = *r++;
	}
	*w = '\0';
}

/* A legacy Rust symbol: _ZN ... 17h<16 hex>E, possibly followed by a ".llvm.*"-like suffix. */
static int looks_rust_legacy(const char *name)
{
	if (strncmp(name, "_ZN", 3) != 0)
		return 0;
	const char *p = strstr(name, "17h");
	for (; p; p = strstr(p + 1, "17h")) {
		int k = 0;
		while (k < 16 && is_hex(p[3 + k]))
			k++;
		if (k == 16 && p[19] == 'E' && (p[20] == '\0' || p[20] == '.'))
			return 1;
	}
	return 0;
}

char *demangle_symbol(const char *name)
{
	if (!name)
		return NULL;
	char *out = NULL;
	if (strncmp(name, "_R", 2) == 0) {
		out = cplus_demangle(name, DMGL_RUST);
	} else if (strncmp(name, "_Z", 2) == 0) {
		if (looks_rust_legacy(name))
			out = cplus_demangle(name, DMGL_RUST);
		if (!out)
			out = cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI);
	}
	if (out)
		strip_rust_hash(out);
	return out;
}
