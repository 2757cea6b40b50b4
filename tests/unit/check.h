/*
 * check.h: the one assertion helper of the C unit tests (no framework).  Each check is counted;
 * a failed one prints `FAIL file:line: what: details`.  check_summary() prints the last line,
 * `N passed, M failed`, which tests/e2e/run.py reads, and returns the exit status.
 *
 *   EXPECT(cond)                  cond
 *   CHECK(cond, fmt, ...)         cond, with printf-style details shown when it fails
 *   CHECK_MSG(cond, what, detail) cond described by runtime strings (table-driven checks;
 *                                 detail may be NULL)
 *   CHECK_U(what, got, want)      two unsigned 64-bit values are equal
 */
#ifndef LEAKREC_CHECK_H
#define LEAKREC_CHECK_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

static int check_passed, check_failed;

static inline const char *check_str(const char *s) { return s ? s : ""; }

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6), unused))
#endif
static int check_at(int ok, const char *file, int line, const char *what, const char *fmt, ...)
{
	if (ok) {
		check_passed++;
		return 1;
	}
	check_failed++;
	printf("FAIL %s:%d: %s: ", file, line, what);
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return 0;
}

#define EXPECT(cond) check_at(!!(cond), __FILE__, __LINE__, #cond, "%s", "")
#define CHECK(cond, ...) check_at(!!(cond), __FILE__, __LINE__, #cond, __VA_ARGS__)
#define CHECK_MSG(cond, what, detail)                                                              \
	check_at(!!(cond), __FILE__, __LINE__, (what), "%s", check_str(detail))
#define CHECK_U(what, got, want)                                                                   \
	do {                                                                                       \
		uint64_t got_ = (got), want_ = (want);                                             \
		check_at(got_ == want_, __FILE__, __LINE__, (what), "got %" PRIu64 ", want %" PRIu64, \
			 got_, want_);                                                             \
	} while (0)

static inline int check_summary(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
