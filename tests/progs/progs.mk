# tests/progs/progs.mk: the programs the end-to-end tests record (tests/e2e), never sanitized;
# included by tests/tests.mk before its `test` rule.  Every program is added to PROGS, which the
# `test` rule depends on.

PROG_CFLAGS := -std=gnu11 -g -O0 -fno-omit-frame-pointer -pthread
PROGS_C := $(wildcard tests/progs/*.c)
PROGS   += $(patsubst tests/progs/%.c,$(T)/%,$(filter-out tests/progs/sym_%.c,$(PROGS_C)))
$(T)/%: tests/progs/%.c
	@mkdir -p $(T)
	$(CC) $(PROG_CFLAGS) -Irecorder $< -o $@
$(T)/%: tests/progs/%.cc
	@mkdir -p $(T)
	$(CXX) -std=c++17 -g -O0 -fno-omit-frame-pointer -pthread $< -o $@

# Programs that need other flags than PROG_CFLAGS.
$(T)/export_names: tests/progs/export_names.c
	@mkdir -p $(T)
	$(CC) -std=gnu11 -O0 -fno-omit-frame-pointer $< -o $@
$(T)/inline: tests/progs/inline.c
	@mkdir -p $(T)
	$(CC) -std=gnu11 -g -O2 $< -o $@
PROGS += $(T)/leaks_cpp
RUSTC ?= rustc
$(T)/leaks_rs: tests/progs/leaks_rs.rs
	@mkdir -p $(T)
	$(RUSTC) -g -C opt-level=0 -o $@ $<
PROGS += $(T)/leaks_rs
$(T)/reach_rs: tests/progs/reach_rs.rs
	@mkdir -p $(T)
	$(RUSTC) -g -C opt-level=0 -o $@ $<
PROGS += $(T)/reach_rs $(T)/reach_cpp

# ---- the builds of diffprog ----

# The builds of tests/progs/diffprog.c that the `leakanalyze diff` tests (tests/e2e/test_diff.py)
# compare:
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

# ---- robustness ----

# Programs of the robustness tests (tests/e2e/test_robust.py): the plain tests/progs/robust_*.c
# programs are built by the pattern rule above; here are the ones that need other flags.

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

# ---- the unwinder ----

# The programs of the fast unwinder's tests (tests/e2e/test_unwind.py): the same stack shapes
# compiled several ways, so that every kind of CFI the compilers emit is met.  These explicit
# rules take precedence over the pattern rules above, which would build tests/progs/unwind_*.c
# with PROG_CFLAGS.
#
#   unwind_shapes        -O0 -fno-omit-frame-pointer       (the base: CFA = RBP + 16)
#   unwind_shapes_O2     -O2 -fomit-frame-pointer          (CFA = RSP + n, cold parts)
#   unwind_shapes_Os     -Os -fomit-frame-pointer          (no function alignment)
#   unwind_shapes_O3     -O3 -fomit-frame-pointer          (inlining)
#   unwind_shapes_clash  -O2 -fomit-frame-pointer -fstack-clash-protection
#   unwind_threads       -O0 with frame pointers, unwind_threads_O2 -O2 without
#   unwind_signal        -O2 -fomit-frame-pointer
#   unwind_reuse         -O2 -fomit-frame-pointer, unwind_reuse_O0 -O0 with frame pointers
#   unwind_msabi         -O2 -fomit-frame-pointer (ms_abi functions: CFI for XMM registers)
#   unwind_cfi           -O0 with frame pointers, unwind_cfi_O2 -O2 without (assembly CFI)
#   unwind_dso           -O2 -fomit-frame-pointer, with libuwdso.so (linked, PLT) and
#                        libuwplug_a.so / libuwplug_b.so (dlopen'ed), found next to it; run
#                        as `unwind_dso` and `unwind_dso reload`
#   unwind_cpp           -O0 with frame pointers, unwind_cpp_O2 -O2
#   unwind_rs            rustc opt-level 2, unwind_rs_O0 opt-level 0 (when rustc is installed)

UW_HDR    := tests/progs/unwind_common.h
UW_CFLAGS := -std=gnu11 -g -pthread -Wall -Wextra
UW_FP     := -O0 -fno-omit-frame-pointer
UW_NOFP   := -O2 -fomit-frame-pointer

$(T)/unwind_shapes: tests/progs/unwind_shapes.c $(UW_HDR)
	@mkdir -p $(T)
	$(CC) $(UW_CFLAGS) $(UW_FP) $< -o $@
$(T)/unwind_shapes_O2: tests/progs/unwind_shapes.c $(UW_HDR)
	@mkdir -p $(T)
	$(CC) $(UW_CFLAGS) $(UW_NOFP) $< -o $@
$(T)/unwind_shapes_Os: tests/progs/unwind_shapes.c $(UW_HDR)
	@mkdir -p $(T)
	$(CC) $(UW_CFLAGS) -Os -fomit-frame-pointer $< -o $@
$(T)/unwind_shapes_O3: tests/progs/unwind_shapes.c $(UW_HDR)
	@mkdir -p $(T)
	$(CC) $(UW_CFLAGS) -O3 -fomit-frame-pointer $< -o $@
$(T)/unwind_shapes_clash: tests/progs/unwind_shapes.c $(UW_HDR)
	@mkdir -p $(T)
	$(CC) $(UW_CFLAGS) $(UW_NOFP) -fstack-clash-protection $< -o $@

$(T)/unwind_threads: tests/progs/unwind_threads.c $(UW_HDR)
	@mkdir -p $(T)
	$(CC) $(UW_CFLAGS) $(UW_FP) $< -o $@
$(T)/unwind_threads_O2: tests/progs/unwind_threads.c $(UW_HDR)
	@mkdir -p $(T)
	$(CC) $(UW_CFLAGS) $(UW_NOFP) $< -o $@

$(T)/unwind_signal: tests/progs/unwind_signal.c $(UW_HDR)
	@mkdir -p $(T)
	$(CC) $(UW_CFLAGS) $(UW_NOFP) $< -o $@

$(T)/unwind_reuse: tests/progs/unwind_reuse.c $(UW_HDR)
	@mkdir -p $(T)
	$(CC) $(UW_CFLAGS) $(UW_NOFP) $< -o $@
$(T)/unwind_reuse_O0: tests/progs/unwind_reuse.c $(UW_HDR)
	@mkdir -p $(T)
	$(CC) $(UW_CFLAGS) $(UW_FP) $< -o $@

$(T)/unwind_msabi: tests/progs/unwind_msabi.c $(UW_HDR)
	@mkdir -p $(T)
	$(CC) $(UW_CFLAGS) $(UW_NOFP) $< -o $@

$(T)/unwind_cfi: tests/progs/unwind_cfi.c $(UW_HDR)
	@mkdir -p $(T)
	$(CC) $(UW_CFLAGS) $(UW_FP) $< -o $@
$(T)/unwind_cfi_O2: tests/progs/unwind_cfi.c $(UW_HDR)
	@mkdir -p $(T)
	$(CC) $(UW_CFLAGS) $(UW_NOFP) $< -o $@

# One source, three roles (see the top of tests/progs/unwind_dso.c).
$(T)/libuwdso.so: tests/progs/unwind_dso.c
	@mkdir -p $(T)
	$(CC) $(UW_CFLAGS) $(UW_NOFP) -fPIC -shared -DUW_LIB $< -o $@
$(T)/libuwplug_%.so: tests/progs/unwind_dso.c
	@mkdir -p $(T)
	$(CC) $(UW_CFLAGS) $(UW_NOFP) -fPIC -shared -DUW_PLUG=$* $< -o $@
$(T)/unwind_dso: tests/progs/unwind_dso.c $(UW_HDR) $(T)/libuwdso.so $(T)/libuwplug_a.so \
		$(T)/libuwplug_b.so
	@mkdir -p $(T)
	$(CC) $(UW_CFLAGS) $(UW_NOFP) $< -o $@ -L$(T) -luwdso -Wl,-rpath,'$$ORIGIN' -ldl

$(T)/unwind_cpp: tests/progs/unwind_cpp.cc $(UW_HDR)
	@mkdir -p $(T)
	$(CXX) -std=c++17 -g -pthread -Wall -Wextra $(UW_FP) $< -o $@
$(T)/unwind_cpp_O2: tests/progs/unwind_cpp.cc $(UW_HDR)
	@mkdir -p $(T)
	$(CXX) -std=c++17 -g -pthread -Wall -Wextra -O2 $< -o $@

UNWIND_PROGS := $(addprefix $(T)/,unwind_shapes unwind_shapes_O2 unwind_shapes_Os unwind_shapes_O3 \
	unwind_shapes_clash unwind_threads unwind_threads_O2 unwind_signal unwind_reuse \
	unwind_reuse_O0 unwind_msabi unwind_cfi unwind_cfi_O2 libuwdso.so libuwplug_a.so \
	libuwplug_b.so unwind_dso unwind_cpp unwind_cpp_O2)

# Rust: only where rustc is installed (the test skips the Rust programs otherwise).  The two
# builds of one crate run one after the other (they would share intermediate file names).
ifneq ($(shell command -v $(RUSTC) 2>/dev/null),)
$(T)/unwind_rs: tests/progs/unwind_rs.rs
	@mkdir -p $(T)
	env -u MAKEFLAGS $(RUSTC) -g -C opt-level=2 -o $@ $<
$(T)/unwind_rs_O0: tests/progs/unwind_rs.rs | $(T)/unwind_rs
	@mkdir -p $(T)
	env -u MAKEFLAGS $(RUSTC) -g -C opt-level=0 -o $@ $<
UNWIND_PROGS += $(T)/unwind_rs $(T)/unwind_rs_O0
endif

PROGS += $(UNWIND_PROGS)

# ---- programs we did not tune for: start-up, daemons, signals, merged stacks, runtime memory,
# library plumbing, teardowns (tests/e2e/test_programs.py) ----

# libstartup.so allocates from its constructor and a static initializer; startup links it.
$(T)/libstartup.so: tests/progs/startup_lib.cc
	@mkdir -p $(T)
	$(CXX) -std=c++17 -g -O0 -fno-omit-frame-pointer -fPIC -shared $< -o $@
$(T)/startup: tests/progs/startup.cc $(T)/libstartup.so
	@mkdir -p $(T)
	$(CXX) -std=c++17 -g -O0 -fno-omit-frame-pointer $< -o $@ -L$(T) -lstartup -Wl,-rpath,'$$ORIGIN'
# plumbing_cpp at -O0 and -O2 (one source, the diff keys must match)
$(T)/plumbing_cpp_O0: tests/progs/plumbing_cpp.cc
	@mkdir -p $(T)
	$(CXX) -std=c++17 -g -O0 $< -o $@
$(T)/plumbing_cpp_O2: tests/progs/plumbing_cpp.cc
	@mkdir -p $(T)
	$(CXX) -std=c++17 -g -O2 $< -o $@
PROGRAMS_PROGS := $(T)/startup $(T)/libstartup.so $(T)/plumbing_cpp_O0 $(T)/plumbing_cpp_O2
# Rust: only where rustc is installed (the tests fail, saying so, otherwise)
ifneq ($(shell command -v $(RUSTC) 2>/dev/null),)
$(T)/owned_rs: tests/progs/owned_rs.rs
	@mkdir -p $(T)
	env -u MAKEFLAGS -u MFLAGS $(RUSTC) -g -C opt-level=0 -o $@ $<
$(T)/samesite_rs: tests/progs/samesite_rs.rs | $(T)/owned_rs
	@mkdir -p $(T)
	env -u MAKEFLAGS -u MFLAGS $(RUSTC) -g -C opt-level=3 -o $@ $<
$(T)/plumbing_rs_O0: tests/progs/plumbing_rs.rs | $(T)/samesite_rs
	@mkdir -p $(T)
	env -u MAKEFLAGS -u MFLAGS $(RUSTC) -g -C opt-level=0 -o $@ $<
$(T)/plumbing_rs_O3: tests/progs/plumbing_rs.rs | $(T)/plumbing_rs_O0
	@mkdir -p $(T)
	env -u MAKEFLAGS -u MFLAGS $(RUSTC) -g -C opt-level=3 -o $@ $<
PROGRAMS_PROGS += $(T)/owned_rs $(T)/samesite_rs $(T)/plumbing_rs_O0 $(T)/plumbing_rs_O3
endif
PROGS += $(PROGRAMS_PROGS)


# reach.c without debug info: a C main without a source file is still the program's.
$(T)/reach_nog: tests/progs/reach.c
	@mkdir -p $(T)
	$(CC) -std=gnu11 -O0 -fno-omit-frame-pointer -pthread $< -o $@
PROGS += $(T)/reach_nog

# ---- attaching to running processes (tests/e2e/test_attach.py) ----

# The plain tests/progs/attach_*.c programs are built by the pattern rule above; here the library
# attach_dl dlopens (found next to it), the static build of attach_sleep (only where the C
# library's static archive is installed: the test fails, saying so, otherwise) and the Rust service
# (only where rustc is installed: the same).
$(T)/libattach_dl.so: tests/progs/attach_dl.c
	@mkdir -p $(T)
	$(CC) -std=gnu11 -g -O0 -fno-omit-frame-pointer -fPIC -shared -DATTACH_DL_LIB $< -o $@
$(T)/attach_dl: $(T)/libattach_dl.so
ATTACH_PROGS := $(T)/libattach_dl.so
ifneq ($(ROBUST_LIBC_A),libc.a)
$(T)/attach_sleep.static: tests/progs/attach_sleep.c
	@mkdir -p $(T)
	$(CC) -std=gnu11 -g -O0 -static $< -o $@
ATTACH_PROGS += $(T)/attach_sleep.static
endif
ifneq ($(shell command -v $(RUSTC) 2>/dev/null),)
$(T)/attach_svc_rs: tests/progs/attach_svc_rs.rs
	@mkdir -p $(T)
	env -u MAKEFLAGS -u MFLAGS $(RUSTC) -g -C opt-level=0 -o $@ $<
ATTACH_PROGS += $(T)/attach_svc_rs
endif
PROGS += $(ATTACH_PROGS)
