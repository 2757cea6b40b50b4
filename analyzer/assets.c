/*
 * assets.c: the files of analyzer/web/ as strings (see assets.h), included by the assembler
 * (.incbin, paths relative to the top of the tree, where make runs) so that the browser code
 * stays in files of its own, readable and checked as such.  Each gets a NUL byte after it.
 */
#include "assets.h"

#define ASSET(name, file)                                                                          \
	".globl " #name "\n"                                                                       \
	".type " #name ", @object\n"                                                               \
	".balign 16\n" #name ":\n"                                                                 \
	".incbin \"analyzer/web/" file "\"\n"                                                      \
	".byte 0\n"                                                                                \
	".size " #name ", . - " #name "\n"

__asm__(".section .rodata\n"
	ASSET(assets_report_css, "report.css")
	ASSET(assets_report_js, "report.js")
	ASSET(assets_flame_svg_js, "flame.js")
	".previous\n");
