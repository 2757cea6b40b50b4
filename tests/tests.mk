# tests/tests.mk: test programs, unit tests and end-to-end tests; included by the Makefile.
#
# make test builds a second leakanalyze under ASan/UBSan (build/san/leakanalyze) and runs every
# unit test (tests/unit, sanitized) and the end-to-end tests (tests/e2e/run.py), which record
# programs from tests/progs with the real recorder and check the analysis against exact figures.

SAN       := address,undefined
SAN_CFLAGS := -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all -pthread
T         := $(B)/tests
PROGS     :=
UNITS     :=

# ---- sanitized analyzer: its library (which the unit tests link) and the commands ----
ANA_SAN_LIB_OBJS := $(patsubst %.c,$(B)/san/%.o,$(ANA_LIB_SRCS))
ANA_SAN_CMD_OBJS := $(patsubst %.c,$(B)/san/%.o,$(ANA_CMD_SRCS))
ANA_SAN_LIB      := $(B)/san/libleakanalyze.a
$(B)/san/analyzer/%.o: analyzer/%.c $(B)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN_CFLAGS) $(PKG_CFLAGS) -Icommon -Ianalyzer $(DEPFLAGS) -c $< -o $@
$(B)/san/common/%.o: common/%.c $(B)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN_CFLAGS) $(PKG_CFLAGS) -Icommon $(DEPFLAGS) -c $< -o $@
$(ANA_SAN_LIB): $(ANA_SAN_LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $(ANA_SAN_LIB_OBJS)
$(B)/san/leakanalyze: $(ANA_SAN_CMD_OBJS) $(ANA_SAN_LIB)
	$(CC) $(SAN_CFLAGS) -o $@ $(ANA_SAN_CMD_OBJS) $(ANA_SAN_LIB) $(ANA_LIBS)

include tests/progs/progs.mk
include tests/unit/unit.mk

# Last, so that PROGS and UNITS hold what every file above added (prerequisites are expanded
# when the rule is read).
test: all $(B)/san/leakanalyze $(PROGS) $(UNITS)
	python3 tests/e2e/run.py --build $(B) $(foreach u,$(UNITS),--unit "$(u) $(UNIT_ARGS_$(notdir $(u)))")


# The screenshots of docs/leakanalyze-html.md (docs/img/), taken by the HTML tests in a real
# browser.
docs-img: all $(B)/san/leakanalyze $(PROGS) bench-progs
	LEAKREC_DOCS_IMG=1 python3 tests/e2e/run.py --build $(B) -k test_html_screenshots

.PHONY: docs-img
