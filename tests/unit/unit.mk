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

# The estimator of sampled traces (analyzer/estimate.c) against the recorder's sampler
# (recorder/sample.c): both sides of the sampling in one test.
$(T)/test_estimate: tests/unit/test_estimate.c analyzer/estimate.c recorder/sample.c recorder/prim.c \
		analyzer/estimate.h recorder/sample.h $(UNIT_DEPS)
	@mkdir -p $(T)
	$(CC) $(UNIT_CFLAGS) -Ianalyzer -Irecorder $(filter %.c,$^) -o $@ -lm
UNITS += $(T)/test_estimate

# ---- analyzer/ ----
# Each test links the sanitized analyzer library (build/san/libleakanalyze.a, the commands left
# out), plus the sources in ANA_UNIT_SRCS_<name>.

ANA_UNITS := test_sym test_replay test_growth test_suppress test_stackkey test_limit test_text \
             test_gate test_json test_symstack test_profile test_export test_lifetime
ANA_UNIT_SRCS_test_replay := common/tf_enc.c
ANA_UNIT_SRCS_test_symstack := common/tf_enc.c
ANA_UNIT_SRCS_test_profile := common/tf_enc.c

$(T)/libsym_inline.so: tests/progs/sym_inline.c
	@mkdir -p $(T)
	$(CC) $(CSTD) $(WARN) -O2 -g -fPIC -shared $< -o $@
$(T)/test_sym: $(T)/libsym_inline.so
UNIT_ARGS_test_sym := $(T)/libsym_inline.so

$(ANA_UNITS:%=$(T)/%): $(T)/%: tests/unit/%.c $(ANA_SAN_LIB) $(wildcard analyzer/*.h) \
		tests/unit/frames.h tests/unit/minitrace.h $(wildcard common/*.c) $(UNIT_DEPS)
	@mkdir -p $(T)
	$(CC) $(UNIT_CFLAGS) -Ianalyzer $< $(ANA_UNIT_SRCS_$*) $(ANA_SAN_LIB) -o $@ $(ANA_LIBS)
UNITS += $(ANA_UNITS:%=$(T)/%)
