# tests/unit/units2.mk: unit tests of the CI-gate building blocks (tests/unit/test_suppress.c,
# tests/unit/test_stackkey.c); included by tests/tests.mk before its `test` rule, so appending to
# UNITS makes `make test` build and run them.

$(T)/test_suppress: tests/unit/test_suppress.c analyzer/suppress.c analyzer/util.c \
		analyzer/suppress.h analyzer/util.h analyzer/sym.h common/tf.h tests/unit/check.h
	@mkdir -p $(T)
	$(CC) $(UNIT_CFLAGS) tests/unit/test_suppress.c analyzer/suppress.c analyzer/util.c -o $@

# stackkey.c calls into cli.c (trace loading), report.c and json.c, which need the rest of the
# analyzer: everything but main.c.
UNIT_ANA_SRCS := $(filter-out analyzer/main.c,$(wildcard analyzer/*.c)) $(COMMON_SRCS)
$(T)/test_stackkey: tests/unit/test_stackkey.c $(UNIT_ANA_SRCS) $(wildcard analyzer/*.h) \
		common/tf.h tests/unit/check.h
	@mkdir -p $(T)
	$(CC) $(UNIT_CFLAGS) tests/unit/test_stackkey.c $(UNIT_ANA_SRCS) -o $@ \
	  $(DW_LIBS) $(ZSTD_LIBS) -liberty -lm

UNITS += $(T)/test_suppress $(T)/test_stackkey
