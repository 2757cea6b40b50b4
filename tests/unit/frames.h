/*
 * frames.h: synthetic frames for the analyzer's unit tests (stack keys, text, gates).
 */
#ifndef LEAKREC_TEST_FRAMES_H
#define LEAKREC_TEST_FRAMES_H

#include <string.h>

#include "sym.h"

#define APP "/usr/bin/app"
#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A frame: function (NULL: unknown), source file and line, module path; its address and module
 * offset follow from the line. */
static inline sym_frame fr(const char *function, const char *file, unsigned line,
			   const char *module)
{
	sym_frame f;
	memset(&f, 0, sizeof(f));
	f.function = function;
	f.file = file;
	f.line = line;
	f.module = module;
	f.address = 0x401000 + line;
	f.module_offset = 0x1000 + line;
	return f;
}

#endif
