/*
 * test_tf.c: unit tests of the trace format codec: varints at their limits, every record type
 * encoded and decoded back, event deltas, encoder overflow, and every truncation of a payload
 * failing cleanly (run under ASan/UBSan by make test).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tf.h"

static void test_varints(void)
{
	const uint64_t vals[] = {0, 1, 127, 128, 255, 16383, 16384, UINT32_MAX, (uint64_t)1 << 63,
				 UINT64_MAX};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		uint8_t buf[10];
		size_t n = tf_put_uvarint(buf, vals[i]);
		tf_dec d = {buf, buf + n};
		uint64_t v = 0;
		CHECK(tf_dec_u(&d, &v) == 0 && v == vals[i] && d.p == buf + n, "value %llu",
		      (unsigned long long)vals[i]);
		/* every shorter prefix is truncated */
		for (size_t k = 0; k < n; k++) {
			tf_dec t = {buf, buf + k};
			CHECK(tf_dec_u(&t, &v) == TF_ETRUNC, "prefix %zu of %llu", k,
			      (unsigned long long)vals[i]);
		}
	}
	const int64_t svals[] = {0, -1, 1, INT64_MIN, INT64_MAX, -64, 64};
	for (size_t i = 0; i < sizeof(svals) / sizeof(svals[0]); i++)
		CHECK(tf_unzigzag(tf_zigzag(svals[i])) == svals[i], "zigzag %lld",
		      (long long)svals[i]);
	/* 11-byte varint and an overlong 10th byte are corrupt */
	uint8_t bad[11];
	memset(bad, 0xff, sizeof(bad));
	tf_dec d = {bad, bad + sizeof(bad)};
	uint64_t v;
	CHECK(tf_dec_u(&d, &v) == TF_ECORRUPT, "overlong varint");
}

/* Encodes one of each record into buf; returns its length. */
static size_t encode_all(uint8_t *buf, size_t cap)
{
	tf_enc e;
	tf_enc_init(&e, buf, cap);
	static const char argv[] = "prog\0-x\0";
	tf_header h = {.pid = 42, .ppid = 1, .clock_origin_ns = 123456789, .realtime_ns = 99,
		       .max_depth = 128, .exe = "/bin/prog", .exe_len = 9, .argv = argv,
		       .argv_len = 8, .argc = 2};
	tf_enc_header(&e, &h);
	static tf_module m;
	m.id = 3;
	m.epoch = 1;
	m.bias = 0x7f0000000000;
	m.path = "/lib/libx.so";
	m.path_len = 12;
	m.build_id_len = 20;
	memset(m.build_id, 0xab, 20);
	m.nseg = 2;
	m.seg[0] = (tf_segment){0, 0x1000, 0, 5};
	m.seg[1] = (tf_segment){0x2000, 0x500, 0x2000, 6};
	tf_enc_module(&e, &m);
	tf_enc_module_unload(&e, 3, 2);
	uint64_t frames[3] = {0x401000, 0x400ff0, 0x7f0000001234};
	tf_enc_stack(&e, 7, 1, frames, 3);
	tf_evenc w;
	tf_evenc_begin(&w, &e, 1234, 1000, 0);
	tf_event evs[4] = {
		{TF_EV_ALLOC, TF_FN_MALLOC, 1000, 0x5000, 16, 7},
		{TF_EV_FREE, TF_FN_FREE, 1005, 0x5000, 0, 0},
		{TF_EV_RFREE, TF_FN_REALLOC, 1010, 0x4000, 0, 0},
		{TF_EV_RALLOC, TF_FN_REALLOC, 1020, 0x9000, 4096, 7},
	};
	for (int i = 0; i < 4; i++)
		tf_evenc_add(&w, &evs[i]);
	tf_evenc_end(&w);
	tf_enc_sync(&e, 2000);
	tf_enc_rss(&e, 2001, 1 << 20);
	tf_enc_mark(&e, 2002, 1234, "warm", 4);
	tf_enc_thread(&e, 1234, "worker", 6);
	tf_end end = {3000, 2, 2, 4, 0, 1, 1, 1};
	tf_enc_end(&e, &end);
	CHECK(!e.overflow, "no overflow");
	return e.len;
}

/* Walks the records in buf; returns the number decoded, or a negative code. */
static int walk(const uint8_t *buf, size_t len, int verify)
{
	tf_dec d = {buf, buf + len};
	int n = 0;
	while (d.p < d.end) {
		uint64_t type, plen;
		int rc = tf_dec_u(&d, &type);
		if (!rc)
			rc = tf_dec_u(&d, &plen);
		if (rc)
			return rc;
		if (plen > (uint64_t)(d.end - d.p))
			return TF_ETRUNC;
		static tf_record rec;
		memset(&rec, 0, sizeof(rec));
		rec.type = (unsigned)type;
		rec.payload = d.p;
		rec.len = (size_t)plen;
		rc = tf_decode(&rec);
		if (rc)
			return rc;
		if (type == TF_REC_EVENTS) {
			tf_event ev;
			int k = 0;
			while ((rc = tf_events_next(&rec.u.events, &ev)) > 0) {
				if (verify && k == 3)
					CHECK(ev.kind == TF_EV_RALLOC && ev.ptr == 0x9000 &&
						      ev.size == 4096 && ev.stack == 7 &&
						      ev.time_ns == 1020,
					      "4th event");
				if (verify && k == 1)
					CHECK(ev.kind == TF_EV_FREE && ev.ptr == 0x5000 &&
						      ev.time_ns == 1005,
					      "2nd event");
				k++;
			}
			if (rc < 0)
				return rc;
			if (verify)
				CHECK(k == 4 && rec.u.events.tid == 1234, "4 events, got %d", k);
		}
		if (verify) {
			switch (type) {
			case TF_REC_HEADER:
				CHECK(rec.u.header.pid == 42 && rec.u.header.argc == 2 &&
					      rec.u.header.exe_len == 9 &&
					      memcmp(rec.u.header.exe, "/bin/prog", 9) == 0 &&
					      rec.u.header.clock_origin_ns == 123456789,
				      "header");
				break;
			case TF_REC_MODULE_LOAD:
				CHECK(rec.u.module.id == 3 && rec.u.module.nseg == 2 &&
					      rec.u.module.seg[1].vaddr == 0x2000 &&
					      rec.u.module.build_id_len == 20 &&
					      rec.u.module.bias == 0x7f0000000000,
				      "module");
				break;
			case TF_REC_STACK:
				CHECK(rec.u.stack.id == 7 && rec.u.stack.nframes == 3 &&
					      rec.u.stack.frames[2] == 0x7f0000001234 &&
					      rec.u.stack.frames[1] == 0x400ff0,
				      "stack");
				break;
			case TF_REC_END:
				CHECK(rec.u.end.events == 4 && rec.u.end.time_ns == 3000, "end");
				break;
			case TF_REC_MARK:
				CHECK(rec.u.mark.label_len == 4 && rec.u.mark.tid == 1234, "mark");
				break;
			}
		}
		d.p += plen;
		n++;
	}
	return n;
}

static void test_round_trip(void)
{
	uint8_t buf[4096];
	size_t len = encode_all(buf, sizeof(buf));
	CHECK(walk(buf, len, 1) == 10, "10 records");
	/* Every cut of the stream fails cleanly or yields fewer records. */
	for (size_t k = 0; k < len; k++) {
		uint8_t *cut = malloc(k ? k : 1);
		memcpy(cut, buf, k);
		int rc = walk(cut, k, 0);
		CHECK(rc < 10, "cut at %zu gave %d", k, rc);
		free(cut);
	}
	/* Every single-byte flip must not crash (ASan checks the reads). */
	for (size_t k = 0; k < len; k++) {
		uint8_t *c = malloc(len);
		memcpy(c, buf, len);
		c[k] ^= 0x5a;
		(void)walk(c, len, 0);
		free(c);
	}
}

static void test_overflow(void)
{
	uint8_t buf[4096];
	size_t full = encode_all(buf, sizeof(buf));
	/* With every smaller buffer the encoder never writes past cap and rolls back. */
	for (size_t cap = 0; cap < full; cap += 7) {
		uint8_t *small = malloc(cap ? cap : 1);
		tf_enc e;
		tf_enc_init(&e, small, cap);
		tf_enc_sync(&e, 5);
		CHECK(e.len <= cap, "len %zu cap %zu", e.len, cap);
		free(small);
	}
	tf_enc e;
	uint8_t two[2];
	tf_enc_init(&e, two, sizeof(two));
	tf_enc_begin_record(&e, TF_REC_SYNC);
	tf_enc_u(&e, 1);
	CHECK(tf_enc_end_record(&e) == TF_ESPACE && e.len == 0, "rollback");
}

static void test_header_checks(void)
{
	uint8_t buf[256];
	tf_enc e;
	tf_enc_init(&e, buf, sizeof(buf));
	tf_header h = {.pid = 1, .exe = "x", .exe_len = 1, .argv = "a", .argv_len = 1, .argc = 1};
	tf_enc_header(&e, &h);
	/* argv "a" without its NUL does not match argc: corrupt */
	CHECK(walk(buf, e.len, 0) == TF_ECORRUPT, "argv without NUL");
	tf_enc_init(&e, buf, sizeof(buf));
	tf_enc_begin_record(&e, TF_REC_HEADER);
	tf_enc_bytes(&e, "NOTATRAC", 8);
	tf_enc_end_record(&e);
	CHECK(walk(buf, e.len, 0) == TF_EMAGIC, "bad magic");
	tf_enc_init(&e, buf, sizeof(buf));
	tf_enc_begin_record(&e, TF_REC_HEADER);
	tf_enc_bytes(&e, TF_MAGIC, TF_MAGIC_LEN);
	tf_enc_u(&e, TF_VERSION + 1);
	tf_enc_end_record(&e);
	CHECK(walk(buf, e.len, 0) == TF_EVERSION, "newer version");
	CHECK(strcmp(tf_func_name(TF_FN_POSIX_MEMALIGN), "posix_memalign") == 0, "func names");
	CHECK(strcmp(tf_func_name(99), "?") == 0, "func out of range");
}

/* Ticks of 2^shift ns after the base, rounded down; pointers with low bits set survive. */
static void test_ticks_and_low_bits(void)
{
	uint8_t buf[256];
	tf_enc e;
	tf_enc_init(&e, buf, sizeof(buf));
	tf_evenc w;
	tf_evenc_begin(&w, &e, 7, 1000, 6);
	tf_event in[3] = {
		{TF_EV_ALLOC, TF_FN_MEMALIGN, 1000 + 63, 0x7f0000001001, 5, 1}, /* tick 0 */
		{TF_EV_FREE, TF_FN_FREE, 1000 + 64 * 5 + 1, 0x7f0000001001, 0, 0}, /* tick 5 */
		{TF_EV_ALLOC, TF_FN_MALLOC, 900, 0x10, 8, 2}, /* before base: clamped to tick 5 */
	};
	for (int i = 0; i < 3; i++)
		tf_evenc_add(&w, &in[i]);
	CHECK(tf_evenc_end(&w) == 0, "encoded");
	tf_record rec;
	memset(&rec, 0, sizeof(rec));
	tf_dec d = {buf, buf + e.len};
	uint64_t type = 0, len = 0;
	CHECK(tf_dec_u(&d, &type) == 0 && tf_dec_u(&d, &len) == 0 && type == TF_REC_EVENTS, "record");
	rec.type = TF_REC_EVENTS;
	rec.payload = d.p;
	rec.len = (size_t)len;
	CHECK(tf_decode(&rec) == 0 && rec.u.events.shift == 6 && rec.u.events.base_time == 1000,
	      "header");
	tf_event out;
	const uint64_t want_t[3] = {1000, 1000 + 64 * 5, 1000 + 64 * 5};
	for (int i = 0; i < 3; i++) {
		CHECK(tf_events_next(&rec.u.events, &out) == 1, "event %d", i);
		CHECK(out.time_ns == want_t[i] && out.ptr == in[i].ptr && out.kind == in[i].kind &&
			      out.func == in[i].func && out.size == in[i].size,
		      "event %d: t=%llu ptr=%llx", i, (unsigned long long)out.time_ns,
		      (unsigned long long)out.ptr);
	}
	CHECK(tf_events_next(&rec.u.events, &out) == 0, "end of record");
}

int main(void)
{
	test_ticks_and_low_bits();
	test_varints();
	test_round_trip();
	test_overflow();
	test_header_checks();
	return check_summary();
}
