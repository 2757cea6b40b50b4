# tests/robust.mk: programs of the robustness tests (issue 5, tests/e2e/test_robust.py); included at
# the end of tests/tests.mk.  The plain tests/progs/robust_*.c programs are built by the pattern
# rule of tests.mk; here are the ones that need other flags (added to PROGS, which the `test` rule,
# read after this file, depends on).

ROBUST_PROGS := $(T)/robust_end_cpp $(T)/librobust_a.so $(T)/librobust_b.so

# The two libraries of robust_dl: one source, the same code, distinct function names.
$(T)/librobust_%.so: tests/progs/robust_dl.c
	@mkdir -p $(T)
	$(CC) -std=gnu11 -g -O0 -fno-omit-frame-pointer -fPIC -shared -DROBUST_LIB=$* $< -o $@

# A static build of robust_static, only where the C library's static archive is installed (the
# test skips otherwise).
ROBUST_LIBC_A := $(shell $(CC) -print-file-name=libc.a 2>/dev/null)
ifneq ($(ROBUST_LIBC_A),libc.a)
$(T)/robust_static.static: tests/progs/robust_static.c
	@mkdir -p $(T)
	$(CC) -std=gnu11 -g -O0 -static $< -o $@
ROBUST_PROGS += $(T)/robust_static.static
endif

PROGS += $(ROBUST_PROGS)
