# tests/growth.mk: the growth module's unit test (issue 6, tests/unit/test_growth.c); included by
# tests/tests.mk before its `test` rule, so appending to UNITS makes `make test` build and run it.
# The test program tests/progs/growth_server.c is built by the pattern rule of tests.mk.

$(T)/test_growth: tests/unit/test_growth.c analyzer/growth.c analyzer/replay.c analyzer/util.c \
		$(COMMON_SRCS) analyzer/growth.h analyzer/replay.h analyzer/util.h common/tf.h \
		tests/unit/check.h
	@mkdir -p $(T)
	$(CC) $(UNIT_CFLAGS) tests/unit/test_growth.c analyzer/growth.c analyzer/replay.c \
	  analyzer/util.c $(COMMON_SRCS) -o $@ $(ZSTD_LIBS) -lm

UNITS += $(T)/test_growth
