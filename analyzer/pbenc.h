/*
 * pbenc: a small Protocol Buffers encoder (prefix pbenc_), enough for pprof's profile.proto:
 * varint fields (uint64, int64, bool), length-delimited fields (strings, bytes, nested
 * messages) and packed repeated varints, appended to a growing byte buffer.
 *
 * A nested message is encoded into a buffer of its own and appended with pbenc_message, which
 * writes its length first.  A failed allocation is remembered: the buffer stops growing and
 * pbenc_error says so, so a caller checks once at the end.
 */
#ifndef LEAKREC_PBENC_H
#define LEAKREC_PBENC_H

#include <stddef.h>
#include <stdint.h>

enum {
	PBENC_OK = 0,
	PBENC_ENOMEM = -1, /* out of memory */
};

/* A buffer being written.  Plain struct: pbenc_init it, free its memory with pbenc_release. */
typedef struct pbenc {
	uint8_t *buf; /* len bytes of encoded fields (owned) */
	size_t len, cap;
	int err;      /* PBENC_ENOMEM once an allocation failed */
} pbenc;

void pbenc_init(pbenc *b);
void pbenc_release(pbenc *b);
/* Empties the buffer, keeping its memory (and a failure). */
void pbenc_reset(pbenc *b);
/* Returns 0, or PBENC_ENOMEM when an allocation failed since pbenc_init. */
int pbenc_error(const pbenc *b);

/* A varint field (wire type 0).  pbenc_int writes v in two's complement (int64); pbenc_uint
 * and pbenc_int write nothing for 0, proto3's default. */
void pbenc_uint(pbenc *b, unsigned field, uint64_t v);
void pbenc_int(pbenc *b, unsigned field, int64_t v);
/* A length-delimited field (wire type 2) holding the n bytes at p (borrowed; n may be 0). */
void pbenc_bytes(pbenc *b, unsigned field, const void *p, size_t n);
/* A nested message: the content of msg (borrowed) as a length-delimited field. */
void pbenc_message(pbenc *b, unsigned field, const pbenc *msg);
/* A packed repeated varint field of n values (nothing when n is 0). */
void pbenc_packed(pbenc *b, unsigned field, const uint64_t *v, size_t n);

#endif
