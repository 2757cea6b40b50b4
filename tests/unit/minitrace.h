/*
 * minitrace.h: small hand-made traces for the analyzer's unit tests (the stack model, the
 * profile): a header, one EVENTS record of one thread, one zstd frame in a temporary file.
 */
#ifndef LEAKREC_TEST_MINITRACE_H
#define LEAKREC_TEST_MINITRACE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "tf_enc.h"

/* Compresses raw[0..len) into one frame and writes it to a new file named after the template
 * path.  Returns 0 or -1. */
static inline int save(const uint8_t *raw, size_t len, char *path)
{
	size_t bound = ZSTD_compressBound(len);
	void *z = malloc(bound);
	size_t n = z ? ZSTD_compress(z, bound, raw, len, 3) : 0;
	int fd = mkstemp(path);
	int ok = fd >= 0 && z && !ZSTD_isError(n) && write(fd, z, n) == (ssize_t)n;
	if (fd >= 0)
		close(fd);
	free(z);
	return ok ? 0 : -1;
}

/* An event of a test trace: kind, allocation number, size and stack (allocations). */
typedef struct tev {
	uint8_t kind;
	uint64_t id, size, stack;
} tev;

/* One EVENTS record of n events of one thread, 10 ns apart from 1000 ns; with last_implicit the
 * last event is an implicit free.  Returns 0 or -1. */
static inline int put_events(tf_enc *e, const tev *evs, size_t n, int last_implicit)
{
	tf_enc_events w;
	tf_enc_events_begin(&w, e, 1000, 0, 0);
	for (size_t i = 0; i < n; i++) {
		unsigned func = evs[i].kind != TF_EV_FREE     ? TF_FN_MALLOC
			       : last_implicit && i + 1 == n ? TF_FN_IMPLICIT
							       : TF_FN_FREE;
		tf_event ev = {evs[i].kind, (uint8_t)func, 0, 1000 + 10 * i, 1, evs[i].id, evs[i].size,
			       evs[i].stack};
		tf_enc_events_add(&w, &ev);
	}
	return tf_enc_events_end(&w) ? -1 : 0;
}

/* A header: pid 7, /usr/bin/prog, argv ["./prog"]. */
static inline void put_header(tf_enc *e)
{
	static const char argv[] = "./prog\0";
	tf_header h;
	memset(&h, 0, sizeof(h));
	h.pid = 7;
	h.exe = "/usr/bin/prog";
	h.exe_len = strlen(h.exe);
	h.argv = argv;
	h.argv_len = sizeof(argv) - 1;
	h.argc = 1;
	tf_enc_header(e, &h);
}

#endif
