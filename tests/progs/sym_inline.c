/*
 * sym_inline: a shared object for tests/unit/test_sym.c.  Built with -O2 -g, so the static
 * inline helper make_node() is inlined into sym_inline_caller().  sym_inline_alloc() stands in
 * for malloc and records its return address, i.e. the call site inside the inlined helper.
 * test_sym checks the lines marked "sym-inline:" below; keep the markers on the call lines.
 */
#include <stdlib.h>
#include <string.h>

void *sym_inline_alloc(size_t n);
void *sym_inline_caller(size_t n);

void *sym_inline_last_ra; /* return address of the last sym_inline_alloc call */

__attribute__((noinline)) void *sym_inline_alloc(size_t n)
{
	sym_inline_last_ra = __builtin_return_address(0);
	return malloc(n);
}

static inline char *make_node(size_t n)
{
	char *p = sym_inline_alloc(n); /* sym-inline: alloc */
	if (p)
		memset(p, 0x5a, n);
	return p;
}

__attribute__((noinline)) void *sym_inline_caller(size_t n)
{
	char *p = make_node(n + 1); /* sym-inline: call */
	if (p)
		p[n] = 0;
	return p;
}
