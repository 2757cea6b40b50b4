# tests/tests.mk: test programs, unit tests and end-to-end tests; included by the Makefile.
#
# make test builds a second leakanalyze under ASan/UBSan (build/san/leakanalyze) and runs every
# unit test (tests/unit, sanitized) and the end-to-end tests (tests/e2e/run.py), which record
# programs from tests/progs with the real recorder and check the analysis against exact figures.

SAN       := address,undefined
SAN_CFLAGS := -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all -pthread
T         := $(B)/tests

# ---- sanitized analyzer ----
ANA_SAN_OBJS := $(patsubst %.c,$(B)/san/%.o,$(ANA_SRCS))
$(B)/san/analyzer/%.o: analyzer/%.c $(B)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN_CFLAGS) $(PKG_CFLAGS) -Icommon -Ianalyzer $(DEPFLAGS) -c $< -o $@
$(B)/san/common/%.o: common/%.c $(B)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN_CFLAGS) $(PKG_CFLAGS) -Icommon $(DEPFLAGS) -c $< -o $@
$(B)/san/leakanalyze: $(ANA_SAN_OBJS)
	$(CC) $(SAN_CFLAGS) -o $@ $(ANA_SAN_OBJS) $(DW_LIBS) $(ZSTD_LIBS) -liberty -lm

# ---- test programs (recorded by the e2e tests; plain builds, never sanitized) ----
PROG_CFLAGS := -std=gnu11 -g -O0 -fno-omit-frame-pointer -pthread
PROGS_C := $(wildcard tests/progs/*.c)
PROGS   := $(patsubst tests/progs/%.c,$(T)/%,$(filter-out tests/progs/sym_%.c,$(PROGS_C)))
$(T)/%: tests/progs/%.c
	@mkdir -p $(T)
	$(CC) $(PROG_CFLAGS) -Irecorder $< -o $@
$(T)/%: tests/progs/%.cc
	@mkdir -p $(T)
	$(CXX) -std=c++17 -g -O0 -fno-omit-frame-pointer -pthread $< -o $@

# ---- unit tests (sanitized) ----
UNIT_CFLAGS := $(CSTD) $(WARN) -g -O1 $(SAN_CFLAGS) $(PKG_CFLAGS) -Icommon -Ianalyzer -Itests/unit
$(T)/test_tf: tests/unit/test_tf.c $(COMMON_SRCS) common/tf_enc.c $(wildcard common/*.h) tests/unit/check.h
	@mkdir -p $(T)
	$(CC) $(UNIT_CFLAGS) tests/unit/test_tf.c $(COMMON_SRCS) common/tf_enc.c -o $@ $(ZSTD_LIBS)

$(T)/libsym_inline.so: tests/progs/sym_inline.c
	@mkdir -p $(T)
	$(CC) $(CSTD) $(WARN) -O2 -g -fPIC -shared $< -o $@
$(T)/test_sym: tests/unit/test_sym.c analyzer/sym.c analyzer/sym.h common/tf.c $(T)/libsym_inline.so
	@mkdir -p $(T)
	$(CC) $(UNIT_CFLAGS) tests/unit/test_sym.c analyzer/sym.c common/tf.c -o $@ $(DW_LIBS) -liberty

$(T)/test_replay: tests/unit/test_replay.c analyzer/replay.c analyzer/util.c $(COMMON_SRCS) \
		common/tf_enc.c analyzer/replay.h analyzer/util.h $(wildcard common/*.h)
	@mkdir -p $(T)
	$(CC) $(UNIT_CFLAGS) tests/unit/test_replay.c analyzer/replay.c analyzer/util.c $(COMMON_SRCS) \
	  common/tf_enc.c -o $@ $(ZSTD_LIBS)

# The recorder's live map is plain C with no sanitizer conflict: tested under ASan/UBSan here
# (the preload library itself is never sanitized).
$(T)/test_livemap: tests/unit/test_livemap.c recorder/livemap.c recorder/prim.c recorder/livemap.h
	@mkdir -p $(T)
	$(CC) $(UNIT_CFLAGS) -Irecorder tests/unit/test_livemap.c recorder/livemap.c recorder/prim.c -o $@

UNITS := $(T)/test_tf $(T)/test_sym $(T)/test_replay $(T)/test_livemap


# Programs that need other flags than PROG_CFLAGS.
$(T)/inline: tests/progs/inline.c
	@mkdir -p $(T)
	$(CC) -std=gnu11 -g -O2 $< -o $@
PROGS += $(T)/leaks_cpp
RUSTC ?= rustc
$(T)/leaks_rs: tests/progs/leaks_rs.rs
	@mkdir -p $(T)
	$(RUSTC) -g -C opt-level=0 -o $@ $<
PROGS += $(T)/leaks_rs
-include tests/diff.mk
-include tests/robust.mk
-include tests/growth.mk
-include tests/unwind.mk
-include tests/unit/units2.mk

# Last, so that PROGS and UNITS hold what every file above added (prerequisites are expanded
# when the rule is read).
test: all $(B)/san/leakanalyze $(PROGS) $(UNITS)
	python3 tests/e2e/run.py --build $(B) --unit "$(T)/test_tf" --unit "$(T)/test_sym $(T)/libsym_inline.so" \
	  $(addprefix --unit ,$(filter-out $(T)/test_tf $(T)/test_sym,$(UNITS)))

