/*
 * tf.c: what both sides of the trace format share (see tf.h): error strings, function names,
 * varints.  Nothing here allocates or calls stdio.
 */
#include "tf.h"


#include <string.h>

const char *tf_strerror(int err)
{
	switch (err) {
	case TF_OK: return "success";
	case TF_EIO: return "input/output error";
	case TF_ETRUNC: return "truncated";
	case TF_ECORRUPT: return "corrupt data";
	case TF_EMAGIC: return "not a leakrec trace";
	case TF_EVERSION: return "written by a newer leakrec (unknown format version)";
	case TF_ENOMEM: return "out of memory";
	case TF_ESPACE: return "buffer too small";
	case TF_EEMPTY: return "empty file";
	}
	return "unknown error";
}

const char *tf_func_name(unsigned fn)
{
	static const char *const names[TF_FN_COUNT] = {
		"malloc", "calloc", "realloc", "reallocarray", "posix_memalign",
		"aligned_alloc", "memalign", "valloc", "pvalloc", "free", "implicit",
	};
	return fn < TF_FN_COUNT ? names[fn] : "?";
}

size_t tf_put_uvarint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

const char *tf_reach_kind_name(unsigned kind)
{
	static const char *const names[TF_REACH_KINDS] = {
		"?", "definitely_lost", "indirectly_lost", "possibly_lost", "reachable",
	};
	return kind < TF_REACH_KINDS ? names[kind] : "?";
}
