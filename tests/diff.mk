# tests/diff.mk: the builds of tests/progs/diffprog.c that the `leakanalyze diff` tests
# (tests/e2e/test_diff.py) compare; included at the end of tests/tests.mk.
#
#   diffprog        -O2 -g with frame pointers: the base
#   diffprog_extra  the same with -DEXTRA_LEAK: one more leak, 4321 bytes in extra_leak()
#   diffprog_moved  a copy of the source with comment lines inserted before every function
#                   (3 more before each one than before the previous), built without frame
#                   pointers: every line and address moves, nothing else changes

DIFF_CFLAGS := -std=gnu11 -g -O2

$(T)/diffprog: tests/progs/diffprog.c
	@mkdir -p $(T)
	$(CC) $(DIFF_CFLAGS) -fno-omit-frame-pointer $< -o $@

$(T)/diffprog_extra: tests/progs/diffprog.c
	@mkdir -p $(T)
	$(CC) $(DIFF_CFLAGS) -fno-omit-frame-pointer -DEXTRA_LEAK $< -o $@

$(T)/diffprog_moved.c: tests/progs/diffprog.c
	@mkdir -p $(T)
	awk '/^(__attribute__|static inline|int main)/ { n += 3; for (i = 0; i < n; i++) print "/* moved */" } { print }' $< > $@

$(T)/diffprog_moved: $(T)/diffprog_moved.c
	$(CC) $(DIFF_CFLAGS) -fomit-frame-pointer $< -o $@

DIFF_PROGS := $(T)/diffprog $(T)/diffprog_extra $(T)/diffprog_moved
PROGS += $(DIFF_PROGS)
# PROGS is expanded where the test rule is read, before this file: name them here as well.
test: $(DIFF_PROGS)
