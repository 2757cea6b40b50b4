# tests/unwind.mk: the programs of the fast unwinder's tests (tests/e2e/test_unwind.py): the same
# stack shapes compiled several ways, so that every kind of CFI the compilers emit is met.
# Included at the end of tests/tests.mk (before its `test` rule): every program is added to
# PROGS.  The explicit rules here take precedence over the pattern rules of tests.mk, which
# would otherwise build tests/progs/unwind_*.c with PROG_CFLAGS.
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
test: $(UNWIND_PROGS)
