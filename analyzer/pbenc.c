/*
 * pbenc.c: the Protocol Buffers encoder (see pbenc.h).  A varint is 7 bits a byte, least
 * significant first, the high bit set on every byte but the last; a field starts with the key
 * (field number << 3 | wire type) as a varint.
 */
#include "pbenc.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

enum { WIRE_VARINT = 0, WIRE_LEN = 2 };

void pbenc_init(pbenc *b) { memset(b, 0, sizeof(*b)); }

void pbenc_release(pbenc *b)
{
	free(b->buf);
	pbenc_init(b);
}

void pbenc_reset(pbenc *b) { b->len = 0; }

int pbenc_error(const pbenc *b) { return b->err; }

/* Makes room for n more bytes; returns 0, or -1 (remembered) when memory ran out. */
static int room(pbenc *b, size_t n)
{
	if (b->err)
		return -1;
	if (n > SIZE_MAX - b->len || util_grow((void **)&b->buf, &b->cap, b->len + n, 1)) {
		b->err = PBENC_ENOMEM;
		return -1;
	}
	return 0;
}

static void put_varint(pbenc *b, uint64_t v)
{
	if (room(b, 10))
		return;
	while (v >= 0x80) {
		b->buf[b->len++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b->buf[b->len++] = (uint8_t)v;
}

static void put_key(pbenc *b, unsigned field, unsigned wire)
{
	put_varint(b, (uint64_t)field << 3 | wire);
}

void pbenc_uint(pbenc *b, unsigned field, uint64_t v)
{
	if (!v)
		return;
	put_key(b, field, WIRE_VARINT);
	put_varint(b, v);
}

void pbenc_int(pbenc *b, unsigned field, int64_t v) { pbenc_uint(b, field, (uint64_t)v); }

void pbenc_bytes(pbenc *b, unsigned field, const void *p, size_t n)
{
	put_key(b, field, WIRE_LEN);
	put_varint(b, n);
	if (n && !room(b, n)) {
		memcpy(b->buf + b->len, p, n);
		b->len += n;
	}
}

void pbenc_message(pbenc *b, unsigned field, const pbenc *msg)
{
	if (msg->err) {
		b->err = msg->err;
		return;
	}
	pbenc_bytes(b, field, msg->buf, msg->len);
}

void pbenc_packed(pbenc *b, unsigned field, const uint64_t *v, size_t n)
{
	if (!n)
		return;
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t x = v[i];
		do {
			len++;
			x >>= 7;
		} while (x);
	}
	put_key(b, field, WIRE_LEN);
	put_varint(b, len);
	for (size_t i = 0; i < n; i++)
		put_varint(b, v[i]);
}
