/*
 * test_tf.c: unit tests of the trace format codec: varints at their limits, every record type
 * encoded and decoded back, event deltas, encoder overflow, and every truncation of a payload
 * failing cleanly (run under ASan/UBSan by make test).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tf_enc.h"
#include "tf_reader.h"

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
	tf_enc_events w;
	tf_enc_events_begin(&w, &e, 1000, 0, 40);
	/* kind, func, inplace, time, tid, id, size, stack */
	tf_event evs[4] = {
		{TF_EV_ALLOC, TF_FN_MALLOC, 0, 1000, 1234, 40, 16, 7},
		{TF_EV_FREE, TF_FN_FREE, 0, 1005, 1234, 40, 0, 0},
		{TF_EV_RFREE, TF_FN_REALLOC, 0, 1010, 1234, 12, 0, 0},
		{TF_EV_RALLOC, TF_FN_REALLOC, 1, 1020, 1234, 41, 4096, 7},
	};
	for (int i = 0; i < 4; i++)
		tf_enc_events_add(&w, &evs[i]);
	tf_enc_events_end(&w);
	tf_enc_sync(&e, 2000);
	tf_enc_rss(&e, 2001, 1 << 20);
	tf_enc_mark(&e, 2002, 1234, "warm", 4);
	tf_enc_thread(&e, 1234, "worker", 6);
	tf_end end = {.time_ns = 3000, .allocs = 2, .frees = 2, .events = 4, .stacks = 1, .modules = 1, .threads = 1};
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
		rc = tf_dec_record(&rec);
		if (rc)
			return rc;
		if (type == TF_REC_EVENTS) {
			tf_event ev;
			int k = 0;
			while ((rc = tf_dec_events_next(&rec.u.events, &ev)) > 0) {
				if (verify && k == 3)
					CHECK(ev.kind == TF_EV_RALLOC && ev.id == 41 && ev.inplace == 1 &&
						      ev.size == 4096 && ev.stack == 7 &&
						      ev.time_ns == 1020,
					      "4th event");
				if (verify && k == 1)
					CHECK(ev.kind == TF_EV_FREE && ev.id == 40 && ev.tid == 1234 &&
						      ev.time_ns == 1005,
					      "2nd event");
				k++;
			}
			if (rc < 0)
				return rc;
			if (verify)
				CHECK(k == 4, "4 events, got %d", k);
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
	/* the sample rate and the attached flag: additions at the end of the payload, each absent
	 * when it and every later one are 0 (an attached full trace writes sample_rate 0) */
	static const struct {
		uint64_t rate;
		uint32_t attached;
		uint64_t extra; /* payload bytes beyond a header with neither */
	} hcases[] = {{0, 0, 0}, {524288, 0, 3}, {0, 1, 2}, {524288, 1, 4}};
	uint64_t full_len = 0;
	for (size_t c = 0; c < sizeof(hcases) / sizeof(hcases[0]); c++) {
		static const char av[] = "a";
		tf_header hs = {.pid = 1, .exe = "x", .exe_len = 1, .argv = av, .argv_len = 2,
				.argc = 1, .sample_rate = hcases[c].rate, .attached = hcases[c].attached};
		tf_enc_init(&e, buf, sizeof(buf));
		tf_enc_header(&e, &hs);
		tf_dec d = {buf, buf + e.len};
		uint64_t type = 0, len = 0;
		CHECK(tf_dec_u(&d, &type) == 0 && tf_dec_u(&d, &len) == 0, "header framing");
		tf_record rec;
		memset(&rec, 0, sizeof(rec));
		rec.type = (unsigned)type;
		rec.payload = d.p;
		rec.len = (size_t)len;
		rec.u.header.sample_rate = 77; /* the decoder must set them either way */
		rec.u.header.attached = 77;
		CHECK(tf_dec_record(&rec) == 0 && rec.u.header.sample_rate == hs.sample_rate &&
			      rec.u.header.attached == hs.attached,
		      "case %zu: decoded sample_rate %" PRIu64 ", attached %u", c,
		      rec.u.header.sample_rate, rec.u.header.attached);
		if (c == 0)
			full_len = len; /* a header of neither, as older traces have */
		else /* 524288 is a 3-byte varint, 0 and 1 one byte each */
			CHECK(len == full_len + hcases[c].extra, "case %zu: header of %" PRIu64
			      " bytes, plain %" PRIu64, c, len, full_len);
	}
	/* a field after attached (a later addition) is ignored; an attached value beyond 32 bits
	 * is corrupt */
	for (int later = 0; later < 2; later++) {
		tf_enc_init(&e, buf, sizeof(buf));
		tf_enc_begin_record(&e, TF_REC_HEADER);
		tf_enc_bytes(&e, TF_MAGIC, TF_MAGIC_LEN);
		tf_enc_u(&e, TF_VERSION);
		for (int k = 0; k < 6; k++) /* pid, ppid, clock_origin_ns, realtime_ns, max_depth */
			tf_enc_u(&e, k == 5 ? 0 : 1); /* ... and an empty exe */
		tf_enc_u(&e, 0);                 /* argc */
		tf_enc_u(&e, 0);                 /* argv: none */
		tf_enc_u(&e, 0);                 /* sample_rate */
		tf_enc_u(&e, later ? 1 : (uint64_t)1 << 32);
		if (later)
			tf_enc_u(&e, 12345);
		tf_enc_end_record(&e);
		CHECK(walk(buf, e.len, 0) == (later ? 1 : TF_ECORRUPT), "attached, later %d", later);
	}
	CHECK(strcmp(tf_func_name(TF_FN_POSIX_MEMALIGN), "posix_memalign") == 0, "func names");
	CHECK(strcmp(tf_func_name(99), "?") == 0, "func out of range");
}

/* Ticks of 2^shift ns after the base, rounded down; threads through the move-to-front slots;
 * allocation numbers and back references. */
static void test_ticks_threads_ids(void)
{
	static uint8_t buf[4096];
	tf_enc e;
	tf_enc_init(&e, buf, sizeof(buf));
	tf_enc_events w;
	tf_enc_events_begin(&w, &e, 1000, 6, 100);
	/* kind, func, inplace, time, tid, id, size, stack */
	tf_event in[8] = {
		{TF_EV_ALLOC, TF_FN_MEMALIGN, 0, 1000 + 63, 11, 100, 5, 1},   /* tick 0, id 100 */
		{TF_EV_ALLOC, TF_FN_MALLOC, 0, 1000 + 64 * 5 + 1, 22, 101, 8, 2}, /* tick 5 */
		{TF_EV_FREE, TF_FN_FREE, 0, 900, 33, 100, 0, 0},  /* before base: clamped to tick 5 */
		{TF_EV_FREE, TF_FN_IMPLICIT, 0, 2000, 44, 7, 0, 0}, /* a 4th thread: 11 leaves */
		{TF_EV_ALLOC, TF_FN_CALLOC, 0, 2000, 11, 102, 9, 3},
		{TF_EV_ALLOC, TF_FN_CALLOC, 0, 2000, 44, 103, 9, 3},
		{TF_EV_RFREE, TF_FN_REALLOC, 0, 2001, 22, 101, 0, 0},
		{TF_EV_RALLOC, TF_FN_REALLOC, 0, 2002, 22, 104, 80, 2},
	};
	for (int i = 0; i < 8; i++)
		tf_enc_events_add(&w, &in[i]);
	CHECK(tf_enc_events_end(&w) == 0, "encoded");
	tf_record rec;
	memset(&rec, 0, sizeof(rec));
	tf_dec d = {buf, buf + e.len};
	uint64_t type = 0, len = 0;
	CHECK(tf_dec_u(&d, &type) == 0 && tf_dec_u(&d, &len) == 0 && type == TF_REC_EVENTS, "record");
	rec.type = TF_REC_EVENTS;
	rec.payload = d.p;
	rec.len = (size_t)len;
	CHECK(tf_dec_record(&rec) == 0 && rec.u.events.shift == 6 && rec.u.events.base_time == 1000 &&
		      rec.u.events.next_id == 100,
	      "header");
	tf_event out;
	const uint64_t want_t[8] = {1000, 1320, 1320, 1960, 1960, 1960, 1960, 1960};
	for (int i = 0; i < 8; i++) {
		CHECK(tf_dec_events_next(&rec.u.events, &out) == 1, "event %d", i);
		CHECK(out.time_ns == want_t[i] && out.id == in[i].id && out.tid == in[i].tid &&
			      out.kind == in[i].kind && out.func == in[i].func &&
			      out.size == in[i].size && out.stack == in[i].stack,
		      "event %d: t=%llu id=%llu tid=%llu", i, (unsigned long long)out.time_ns,
		      (unsigned long long)out.id, (unsigned long long)out.tid);
	}
	CHECK(tf_dec_events_next(&rec.u.events, &out) == 0, "end of record");
	/* A free that names an allocation not yet made (back 0) is corrupt. */
	/* base 0, shift 0, first_id 5, 1 event; columns: op, tid, dt, size, stack lo/hi, back
	 * lo/hi, inplace */
	uint8_t bad[] = {0, 0, 5, 1, 1, 1 | (3 << 6), 1, 9, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0};
	tf_record r2;
	memset(&r2, 0, sizeof(r2));
	r2.type = TF_REC_EVENTS;
	r2.payload = bad;
	r2.len = sizeof(bad);
	CHECK(tf_dec_record(&r2) == 0 && tf_dec_events_next(&r2.u.events, &out) == TF_ECORRUPT, "back 0");
}

/* REACH and REACH_BLOCKS: a round trip, then the checks on numbers and kinds. */
static void test_reach_records(void)
{
	static uint8_t buf[4096];
	struct blk {
		uint64_t ptr, size, id;
		uint32_t kind, pad;
	} b[4] = {{0, 0, 3, TF_REACH_DEFINITELY_LOST, 0},
		  {0, 0, 7, TF_REACH_REACHABLE, 0},
		  {0, 0, 8, TF_REACH_POSSIBLY_LOST, 0},
		  {0, 0, 1000000, TF_REACH_INDIRECTLY_LOST, 0}};
	tf_enc e;
	tf_enc_init(&e, buf, sizeof(buf));
	tf_reach r = {1, 5000, 4096, 2048, 3, 2, "x", 1};
	tf_enc_reach(&e, &r);
	size_t first = e.len;
	tf_enc_reach_blocks(&e, &b[0].id, &b[0].kind, sizeof(b[0]), 4);
	CHECK(!e.overflow, "encoded");
	tf_record rec;
	memset(&rec, 0, sizeof(rec));
	tf_dec d = {buf, buf + first};
	uint64_t type = 0, len = 0;
	CHECK(tf_dec_u(&d, &type) == 0 && tf_dec_u(&d, &len) == 0 && type == TF_REC_REACH, "type");
	rec.type = (unsigned)type;
	rec.payload = d.p;
	rec.len = (size_t)len;
	CHECK(tf_dec_record(&rec) == 0 && rec.u.reach.scanned == 1 && rec.u.reach.scan_ns == 5000 &&
		      rec.u.reach.threads_stopped == 2 && rec.u.reach.note_len == 1,
	      "reach");
	d = (tf_dec){buf + first, buf + e.len};
	CHECK(tf_dec_u(&d, &type) == 0 && tf_dec_u(&d, &len) == 0 && type == TF_REC_REACH_BLOCKS,
	      "type 12");
	rec.type = (unsigned)type;
	rec.payload = d.p;
	rec.len = (size_t)len;
	CHECK(tf_dec_record(&rec) == 0 && rec.u.reach_blocks.count == 4, "reach_blocks");
	tf_reach_blocks it = rec.u.reach_blocks;
	uint64_t id;
	unsigned kind;
	for (int i = 0; i < 4; i++)
		CHECK(tf_dec_reach_next(&it, &id, &kind) == 1 && id == b[i].id && kind == b[i].kind,
		      "block %d", i);
	CHECK(tf_dec_reach_next(&it, &id, &kind) == 0, "end");
	/* a kind out of range, a repeated number, a count beyond the payload */
	uint8_t *kinds = buf + (rec.payload - buf) + 1; /* the record's kind bytes, in buf */
	kinds[1] = 9;
	it = rec.u.reach_blocks;
	CHECK(tf_dec_reach_next(&it, &id, &kind) == 1 && tf_dec_reach_next(&it, &id, &kind) ==
							      TF_ECORRUPT,
	      "bad kind");
	kinds[1] = TF_REACH_REACHABLE;
	b[1].id = 3;
	tf_enc_init(&e, buf, sizeof(buf));
	tf_enc_reach_blocks(&e, &b[0].id, &b[0].kind, sizeof(b[0]), 2);
	d = (tf_dec){buf, buf + e.len};
	CHECK(tf_dec_u(&d, &type) == 0 && tf_dec_u(&d, &len) == 0, "header 2");
	rec.type = (unsigned)type;
	rec.payload = d.p;
	rec.len = (size_t)len;
	CHECK(tf_dec_record(&rec) == 0, "decoded 2");
	it = rec.u.reach_blocks;
	CHECK(tf_dec_reach_next(&it, &id, &kind) == 1 && tf_dec_reach_next(&it, &id, &kind) ==
							      TF_ECORRUPT,
	      "repeated number");
	rec.len = 2; /* count 2, one kind byte */
	CHECK(tf_dec_record(&rec) == TF_ECORRUPT, "count beyond the payload");
}

int main(void)
{
	test_reach_records();
	test_ticks_threads_ids();
	test_varints();
	test_round_trip();
	test_overflow();
	test_header_checks();
	return check_summary();
}
