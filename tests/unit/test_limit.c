/*
 * test_limit: sizes and the limits of the CI gates (analyzer/limit.c): size and limit parsing,
 * limit crossing (exact at the limit whatever binary floating point makes of a percentage),
 * formatting.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "limit.h"

static void test_strerror(void)
{
	CHECK(strcmp(limit_strerror(LIMIT_OK), "success") == 0, "%s", limit_strerror(LIMIT_OK));
	CHECK(strcmp(limit_strerror(LIMIT_EINVAL), "invalid value") == 0, "%s",
	      limit_strerror(LIMIT_EINVAL));
	CHECK(strcmp(limit_strerror(42), "unknown error") == 0, "%s", limit_strerror(42));
}

static void test_parse_size(void)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		/* plain numbers are bytes */
		{"0", 0},
		{"4096", 4096},
		{"007", 7},
		{"18446744073709551615", UINT64_MAX},
		/* B */
		{"512B", 512},
		{"512b", 512},
		/* powers of 1024, case-insensitive */
		{"10K", 10240},
		{"10k", 10240},
		{"10KiB", 10240},
		{"10kib", 10240},
		{"10KIB", 10240},
		{"3M", 3145728},
		{"3MiB", 3145728},
		{"2G", 2147483648ULL},
		{"2GiB", 2147483648ULL},
		{"1T", 1099511627776ULL},
		{"1TiB", 1099511627776ULL},
		/* powers of 1000 */
		{"5MB", 5000000},
		{"5mb", 5000000},
		{"10Kb", 10000},
		{"10KB", 10000},
		{"2GB", 2000000000ULL},
		{"1TB", 1000000000000ULL},
		/* fractions of the unit, rounded down to whole bytes */
		{"1.5MiB", 1572864},
		{"1.5M", 1572864},
		{"1.5MB", 1500000},
		{"0.5K", 512},
		{"1.1K", 1126},         /* 1126.4 */
		{"2.25GiB", 2415919104ULL},
		{"0.001KB", 1},
		{"0.0009KB", 0},         /* 0.9 bytes */
		{"1.5", 1},              /* a fraction of a byte */
		{"1.9B", 1},
		{"1.123456789999K", 1150}, /* 9 fraction digits count: 1024 + 126.419... */
		{"0.000000001T", 1099},  /* 1099.5 */
		/* the largest amounts */
		{"16777215T", 18446742974197923840ULL},
		{"16777215.5T", 18446743523953737728ULL},
		{"18446744073709551.615KB", UINT64_MAX},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint64_t v = 12345;
		int rc = limit_parse_size(good[i].s, &v);
		CHECK(rc == 0, "'%s': rc %d", good[i].s, rc);
		CHECK(v == good[i].v, "'%s': %" PRIu64 ", expected %" PRIu64, good[i].s, v, good[i].v);
	}
	static const char *const bad[] = {
		"", "K", "MiB", "-1", "+1", " 1", "1 ", "1 K", "1K ", "1.", ".5", "1..5", "1.5.5",
		"10X", "10Ki", "10KiBs", "10KK", "10e3", "0x10", "1,5M", "10%", "1E", "1PiB", "1MIBB",
		/* more than 2^64-1 bytes */
		"18446744073709551616", "99999999999999999999999", "16777216T", "17179869184G",
		"17179869184GiB", "18446744073709551.616KB", "18446744073709552K",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v = 12345;
		int rc = limit_parse_size(bad[i], &v);
		CHECK(rc == LIMIT_EINVAL, "'%s': rc %d (value %" PRIu64 "), expected LIMIT_EINVAL", bad[i],
		      rc, v);
	}
}

static void test_parse_limit(void)
{
	static const struct {
		const char *s;
		double value;
	} pct[] = {
		{"10%", 10.0}, {"0%", 0.0}, {"0.5%", 0.5}, {"150%", 150.0}, {"12.25%", 12.25},
		{"007%", 7.0},
	};
	for (int sizes = 0; sizes <= 1; sizes++) {
		for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++) {
			limit l;
			memset(&l, 0xab, sizeof(l));
			int rc = limit_parse(pct[i].s, sizes, &l);
			CHECK(rc == 0, "'%s' sizes %d: rc %d", pct[i].s, sizes, rc);
			CHECK(l.percent == 1, "'%s': percent %d", pct[i].s, l.percent);
			CHECK(l.value == pct[i].value, "'%s': value %g", pct[i].s, l.value);
			CHECK(l.amount == 0, "'%s': amount %" PRIu64, pct[i].s, l.amount);
		}
	}
	/* with sizes: a size */
	static const struct {
		const char *s;
		uint64_t amount;
	} sz[] = {{"10K", 10240}, {"1.5MiB", 1572864}, {"5MB", 5000000}, {"4096", 4096},
		  {"0", 0}};
	for (size_t i = 0; i < sizeof(sz) / sizeof(sz[0]); i++) {
		limit l;
		memset(&l, 0xab, sizeof(l));
		int rc = limit_parse(sz[i].s, 1, &l);
		CHECK(rc == 0, "'%s': rc %d", sz[i].s, rc);
		CHECK(l.percent == 0, "'%s': percent %d", sz[i].s, l.percent);
		CHECK(l.amount == sz[i].amount, "'%s': amount %" PRIu64, sz[i].s, l.amount);
	}
	/* without sizes: a plain count */
	static const struct {
		const char *s;
		uint64_t amount;
	} cnt[] = {{"500", 500}, {"0", 0}, {"18446744073709551615", UINT64_MAX}};
	for (size_t i = 0; i < sizeof(cnt) / sizeof(cnt[0]); i++) {
		limit l;
		memset(&l, 0xab, sizeof(l));
		int rc = limit_parse(cnt[i].s, 0, &l);
		CHECK(rc == 0, "'%s': rc %d", cnt[i].s, rc);
		CHECK(l.percent == 0, "'%s': percent %d", cnt[i].s, l.percent);
		CHECK(l.amount == cnt[i].amount, "'%s': amount %" PRIu64, cnt[i].s, l.amount);
	}
	static const struct {
		const char *s;
		int sizes;
	} bad[] = {
		{"%", 0}, {"%", 1}, {"-5%", 0}, {"5%%", 0}, {"5 %", 0}, {" 5%", 0}, {".5%", 0},
		{"5.%", 0}, {"abc%", 1}, {"1e2%", 0}, {"10%x", 1}, {"5K%", 1}, {"", 0}, {"", 1},
		{"1.5", 0}, {"10K", 0}, {"-1", 0}, {"10X", 1}, {"18446744073709551616", 0},
		{"18446744073709551616%", 0},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		limit l;
		int rc = limit_parse(bad[i].s, bad[i].sizes, &l);
		CHECK(rc == LIMIT_EINVAL, "'%s' sizes %d: rc %d, expected LIMIT_EINVAL", bad[i].s,
		      bad[i].sizes, rc);
	}
}

static void test_limit_crossed(void)
{
	limit zero = {0, 0.0, 0}, hundred = {0, 0.0, 100}, ten_pct = {1, 10.0, 0},
		 zero_pct = {1, 0.0, 0};
	/* more than the amount, never equal */
	CHECK(limit_crossed(&zero, 10, 10) == 0, "zero: no change");
	CHECK(limit_crossed(&zero, 10, 11) == 1, "zero: +1");
	CHECK(limit_crossed(&zero, 10, 9) == 0, "zero: shrink");
	CHECK(limit_crossed(&hundred, 10, 110) == 0, "hundred: +100");
	CHECK(limit_crossed(&hundred, 10, 111) == 1, "hundred: +101");
	CHECK(limit_crossed(&hundred, UINT64_MAX, 0) == 0, "hundred: shrink to 0");
	CHECK(limit_crossed(&hundred, 0, UINT64_MAX) == 1, "hundred: huge");
	/* more than the percentage of base */
	CHECK(limit_crossed(&ten_pct, 1000, 1100) == 0, "10%%: exactly 10%%");
	CHECK(limit_crossed(&ten_pct, 1000, 1101) == 1, "10%%: 10.1%%");
	CHECK(limit_crossed(&ten_pct, 1000, 900) == 0, "10%%: shrink");
	CHECK(limit_crossed(&ten_pct, 0, 1) == 1, "10%%: base 0");
	CHECK(limit_crossed(&ten_pct, 0, 0) == 0, "10%%: 0 to 0");
	CHECK(limit_crossed(&zero_pct, 5, 5) == 0, "0%%: no change");
	CHECK(limit_crossed(&zero_pct, 5, 6) == 1, "0%%: +1");

	/* parsed percentages that binary floating point cannot hold exactly: growing by exactly
	 * the limit passes, one more crosses */
	static const struct {
		const char *pct;
		uint64_t base, at_limit;
	} exact[] = {
		{"0.3%", 1000, 1003},
		{"0.7%", 1000, 1007},
		{"2.3%", 1000, 1023},
		{"33.3%", 1000, 1333},
		{"1.15%", 10000, 10115},
		{"0.1%", 1000, 1001},
		{"10%", 1000, 1100},
		{"0.000000001%", 100000000000ULL, 100000000001ULL},
		{"0.123456789%", 100000000000ULL, 100123456789ULL},
		{"50%", 1ULL << 62, (1ULL << 62) + (1ULL << 61)},
		{"100%", UINT64_MAX / 2, UINT64_MAX - 1},
	};
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		limit l;
		int rc = limit_parse(exact[i].pct, 0, &l);
		CHECK(rc == 0, "'%s': rc %d", exact[i].pct, rc);
		CHECK(limit_crossed(&l, exact[i].base, exact[i].at_limit) == 0,
		      "'%s': %" PRIu64 " -> %" PRIu64 " (exactly the limit) crossed", exact[i].pct,
		      exact[i].base, exact[i].at_limit);
		CHECK(limit_crossed(&l, exact[i].base, exact[i].at_limit + 1) == 1,
		      "'%s': %" PRIu64 " -> %" PRIu64 " (over the limit) not crossed",
		      exact[i].pct, exact[i].base, exact[i].at_limit + 1);
	}
	/* an absurd percentage still compares */
	limit huge = {1, 1e12, 0};
	CHECK(limit_crossed(&huge, 1, 10000000001ULL) == 0, "1e12%%: at the limit");
	CHECK(limit_crossed(&huge, 1, 10000000002ULL) == 1, "1e12%%: over the limit");
}

static void test_format(void)
{
	char buf[64];
	limit ten = {1, 10.0, 0}, half = {1, 0.5, 0}, mib = {0, 0.0, 1048576},
		 small = {0, 0.0, 500};
	limit_format(buf, sizeof(buf), &ten, 1);
	CHECK(strcmp(buf, "10%") == 0, "'%s'", buf);
	limit_format(buf, sizeof(buf), &half, 0);
	CHECK(strcmp(buf, "0.5%") == 0, "'%s'", buf);
	limit_format(buf, sizeof(buf), &mib, 1);
	CHECK(strcmp(buf, "1.0 MiB") == 0, "'%s'", buf);
	limit_format(buf, sizeof(buf), &small, 1);
	CHECK(strcmp(buf, "500 B") == 0, "'%s'", buf);
	limit_format(buf, sizeof(buf), &small, 0);
	CHECK(strcmp(buf, "500") == 0, "'%s'", buf);
	limit_format(buf, sizeof(buf), &mib, 0);
	CHECK(strcmp(buf, "1048576") == 0, "'%s'", buf);
}

int main(void)
{
	test_strerror();
	test_parse_size();
	test_parse_limit();
	test_limit_crossed();
	test_format();
	return check_summary();
}
