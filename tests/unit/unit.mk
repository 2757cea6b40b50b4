# tests/unit/unit.mk: one unit test program per module, built with ASan/UBSan, with
# tests/unit/check.h as their one assertion helper; included by tests/tests.mk before its `test`
# rule.  Each test is added to UNITS (UNIT_ARGS_<name>: arguments it is run with); the `test`
# rule hands them to tests/e2e/run.py, which runs them and adds up their counts.

UNIT_CFLAGS := $(CSTD) $(WARN) -g -O1 $(SAN_CFLAGS) $(PKG_CFLAGS) -Icommon -Itests/unit
UNIT_DEPS   := tests/unit/check.h $(wildcard common/*.h)

# ---- common/ ----

$(T)/test_tf: tests/unit/test_tf.c $(COMMON_SRCS) common/tf_enc.c $(UNIT_DEPS)
	@mkdir -p $(T)
	$(CC) $(UNIT_CFLAGS) tests/unit/test_tf.c $(COMMON_SRCS) common/tf_enc.c -o $@ $(ZSTD_LIBS)
UNITS += $(T)/test_tf

# ---- recorder/ ----
# Plain C modules of the recorder with no sanitizer conflict are tested under ASan/UBSan here
# (the preload library itself is never sanitized).  Each test links only the modules it tests:
# the recorder's .c prerequisites of its rule (and the common/ encoder and decoder it names).

define REC_UNIT
	@mkdir -p $(T)
	$(CC) $(UNIT_CFLAGS) -Irecorder $(filter %.c,$^) -o $@
endef

$(T)/test_livemap: tests/unit/test_livemap.c recorder/livemap.c recorder/prim.c recorder/livemap.h \
		$(UNIT_DEPS)
	$(REC_UNIT)
UNITS += $(T)/test_livemap

$(T)/test_stacktab: tests/unit/test_stacktab.c recorder/stacktab.c recorder/prim.c recorder/stacktab.h \
		$(UNIT_DEPS)
	$(REC_UNIT)
UNITS += $(T)/test_stacktab

$(T)/test_ring: tests/unit/test_ring.c recorder/ring.c recorder/prim.c recorder/ring.h $(UNIT_DEPS)
	$(REC_UNIT)
UNITS += $(T)/test_ring

$(T)/test_merge: tests/unit/test_merge.c recorder/merge.c recorder/livemap.c recorder/prim.c \
		common/tf.c common/tf_enc.c common/tf_dec.c recorder/merge.h recorder/livemap.h \
		recorder/ring.h $(UNIT_DEPS)
	$(REC_UNIT)
UNITS += $(T)/test_merge

# ---- analyzer/ ----

$(T)/libsym_inline.so: tests/progs/sym_inline.c
	@mkdir -p $(T)
	$(CC) $(CSTD) $(WARN) -O2 -g -fPIC -shared $< -o $@
$(T)/test_sym: tests/unit/test_sym.c analyzer/sym.c analyzer/sym.h common/tf.c $(T)/libsym_inline.so \
		$(UNIT_DEPS)
	@mkdir -p $(T)
	$(CC) $(UNIT_CFLAGS) -Ianalyzer tests/unit/test_sym.c analyzer/sym.c common/tf.c -o $@ $(DW_LIBS) -liberty
UNITS += $(T)/test_sym
UNIT_ARGS_test_sym := $(T)/libsym_inline.so

$(T)/test_replay: tests/unit/test_replay.c analyzer/replay.c analyzer/util.c $(COMMON_SRCS) \
		common/tf_enc.c analyzer/replay.h analyzer/util.h $(UNIT_DEPS)
	@mkdir -p $(T)
	$(CC) $(UNIT_CFLAGS) -Ianalyzer tests/unit/test_replay.c analyzer/replay.c analyzer/util.c \
	  $(COMMON_SRCS) common/tf_enc.c -o $@ $(ZSTD_LIBS)
UNITS += $(T)/test_replay

$(T)/test_growth: tests/unit/test_growth.c analyzer/growth.c analyzer/replay.c analyzer/util.c \
		$(COMMON_SRCS) analyzer/growth.h analyzer/replay.h analyzer/util.h $(UNIT_DEPS)
	@mkdir -p $(T)
	$(CC) $(UNIT_CFLAGS) -Ianalyzer tests/unit/test_growth.c analyzer/growth.c analyzer/replay.c \
	  analyzer/util.c $(COMMON_SRCS) -o $@ $(ZSTD_LIBS) -lm
UNITS += $(T)/test_growth

$(T)/test_suppress: tests/unit/test_suppress.c analyzer/suppress.c analyzer/util.c \
		analyzer/suppress.h analyzer/util.h analyzer/sym.h $(UNIT_DEPS)
	@mkdir -p $(T)
	$(CC) $(UNIT_CFLAGS) -Ianalyzer tests/unit/test_suppress.c analyzer/suppress.c analyzer/util.c -o $@
UNITS += $(T)/test_suppress

# stackkey.c calls into cli.c (trace loading), report.c and json.c, which need the rest of the
# analyzer: everything but main.c.
UNIT_ANA_SRCS := $(filter-out analyzer/main.c,$(wildcard analyzer/*.c)) $(COMMON_SRCS)
$(T)/test_stackkey: tests/unit/test_stackkey.c $(UNIT_ANA_SRCS) $(wildcard analyzer/*.h) $(UNIT_DEPS)
	@mkdir -p $(T)
	$(CC) $(UNIT_CFLAGS) -Ianalyzer tests/unit/test_stackkey.c $(UNIT_ANA_SRCS) -o $@ \
	  $(DW_LIBS) $(ZSTD_LIBS) -liberty -lm
UNITS += $(T)/test_stackkey
