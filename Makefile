# leakrec: one Makefile, no recursion.
#
#   make            build/leakrec, build/libleakrec.so, build/leakanalyze (on build/libleakanalyze.a)
#   make demo       record the bundled demo program and analyze it
#   make test       unit tests, end-to-end tests (analyzer and tests under ASan/UBSan)
#   make bench      the benchmark against heaptrack (not part of make test)
#   make install PREFIX=/usr/local
#
# SANITIZE=address,undefined builds the analyzer, the common code and the tests with sanitizers;
# the preload library is never sanitized (it runs inside other programs).

CC      ?= cc
SHELL   := /bin/bash
PREFIX  ?= /usr/local
B       := build
SANITIZE ?=
SELFDIR := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
           -Wvla -Wpointer-arith -Wcast-qual -Wundef
CSTD    := -std=c11 -D_GNU_SOURCE
OPT     ?= -O2 -g
DEPFLAGS = -MMD -MP

PKGS        := libunwind libunwind-ptrace libzstd libdw libelf zlib libdebuginfod
DEB_PKGS    := libunwind-dev libzstd-dev libelf-dev libdw-dev libiberty-dev pkg-config zstd \
               zlib1g-dev libdebuginfod-dev
PKG_CFLAGS   = $(shell pkg-config --cflags libzstd libdw libelf zlib libdebuginfod 2>/dev/null)
UNW_CFLAGS   = $(shell pkg-config --cflags libunwind 2>/dev/null)
ZSTD_LIBS    = $(shell pkg-config --libs libzstd 2>/dev/null)
UNW_LIBS     = $(shell pkg-config --libs libunwind 2>/dev/null)
UPT_LIBS     = $(shell pkg-config --libs libunwind-ptrace libelf 2>/dev/null)
DW_LIBS      = $(shell pkg-config --libs libdw libelf libdebuginfod 2>/dev/null)
Z_LIBS       = $(shell pkg-config --libs zlib 2>/dev/null)

SAN_FLAGS := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all,)

# common/: the trace format.  The recorder encodes, the launcher and the analyzer decode.
ENC_SRCS    := common/tf.c common/tf_enc.c common/proto.c
COMMON_SRCS := common/tf.c common/tf_dec.c common/tf_reader.c common/proto.c
# recorder/: the launcher (leakrec.c, with attach.c and inject.c for leakrec -p) and the preload
# library (everything else).
LAUNCHER_SRCS := recorder/leakrec.c recorder/attach.c recorder/inject.c
LIB_SRCS    := $(filter-out $(LAUNCHER_SRCS),$(wildcard recorder/*.c)) $(ENC_SRCS)
# analyzer/: a library (libleakanalyze.a: everything but the commands) and the commands on top
# (main.c, cli.c, cmd_*.c), which the unit tests do not link.
ANA_CMD_SRCS := analyzer/main.c analyzer/cli.c $(wildcard analyzer/cmd_*.c)
ANA_LIB_SRCS := $(filter-out $(ANA_CMD_SRCS),$(wildcard analyzer/*.c)) $(COMMON_SRCS)

LIB_OBJS     := $(patsubst %.c,$(B)/lib/%.o,$(LIB_SRCS))
ANA_LIB_OBJS := $(patsubst %.c,$(B)/ana/%.o,$(ANA_LIB_SRCS))
ANA_CMD_OBJS := $(patsubst %.c,$(B)/ana/%.o,$(ANA_CMD_SRCS))
ANA_LIBS      = $(DW_LIBS) $(ZSTD_LIBS) $(Z_LIBS) -liberty -lm

all: $(B)/leakrec $(B)/libleakrec.so $(B)/leakanalyze

# ---- dependency check: install the Debian packages when root, else say how ----
$(B)/.deps-ok:
	@mkdir -p $(B)
	@missing=""; for p in $(PKGS); do pkg-config --exists $$p 2>/dev/null || missing="$$missing $$p"; done; \
	 [ -f /usr/include/libiberty/demangle.h ] || missing="$$missing libiberty"; \
	 if [ -n "$$missing" ]; then \
	   if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	     echo "installing missing packages:$$missing"; \
	     apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PKGS) >/dev/null || exit 1; \
	   else \
	     echo "missing:$$missing. Run: sudo apt-get install -y $(DEB_PKGS)"; exit 1; \
	   fi; \
	 fi; touch $@

# ---- preload library: never sanitized, hidden visibility, version script ----
# common/ sees only common/: an include of recorder/ or analyzer/ from there does not compile.
LIB_BASE   := $(CSTD) $(WARN) $(OPT) -fPIC -fvisibility=hidden -ftls-model=initial-exec \
              -fno-omit-frame-pointer -pthread $(UNW_CFLAGS) $(PKG_CFLAGS) -Icommon
LIB_CFLAGS := $(LIB_BASE) -Irecorder
$(B)/lib/recorder/%.o: recorder/%.c $(B)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) $(DEPFLAGS) -c $< -o $@
$(B)/lib/common/%.o: common/%.c $(B)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(LIB_BASE) $(DEPFLAGS) -c $< -o $@

$(B)/libleakrec.so: $(LIB_OBJS) recorder/exports.map
	$(CC) -shared -o $@ $(LIB_OBJS) -Wl,--version-script=recorder/exports.map -Wl,-z,now \
	  -Wl,-z,nodelete -pthread $(UNW_LIBS) $(ZSTD_LIBS) -ldl

# The launcher reads the trace at the end to report its counts; it is not sanitized either: it
# only forks and waits, and a sanitizer runtime would have to come first in LD_PRELOAD.
$(B)/leakrec: $(LAUNCHER_SRCS) recorder/attach.h recorder/inject.h $(COMMON_SRCS) $(wildcard common/*.h) $(B)/.deps-ok
	@mkdir -p $(B)
	$(CC) $(CSTD) $(WARN) $(OPT) -pthread $(PKG_CFLAGS) $(UNW_CFLAGS) -Icommon -DLEAKREC_LIBDIR='"$(PREFIX)/lib/leakrec"' \
	  $(LAUNCHER_SRCS) $(COMMON_SRCS) -o $@ $(ZSTD_LIBS) $(UPT_LIBS)

# ---- analyzer ----
ANA_BASE   := $(CSTD) $(WARN) $(OPT) $(SAN_FLAGS) -pthread $(PKG_CFLAGS) -Icommon
ANA_CFLAGS := $(ANA_BASE) -Ianalyzer
$(B)/ana/analyzer/%.o: analyzer/%.c $(B)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(ANA_CFLAGS) $(DEPFLAGS) -c $< -o $@
$(B)/ana/common/%.o: common/%.c $(B)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(ANA_BASE) $(DEPFLAGS) -c $< -o $@

# The browser code of the HTML report and the SVG flamegraphs is built into assets.o (.incbin).
WEB_ASSETS := $(wildcard analyzer/web/*)
$(B)/ana/analyzer/assets.o $(B)/san/analyzer/assets.o: $(WEB_ASSETS)

$(B)/libleakanalyze.a: $(ANA_LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $(ANA_LIB_OBJS)

$(B)/leakanalyze: $(ANA_CMD_OBJS) $(B)/libleakanalyze.a
	$(CC) $(SAN_FLAGS) -pthread -o $@ $(ANA_CMD_OBJS) $(B)/libleakanalyze.a $(ANA_LIBS)

# ---- install ----
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/leakrec $(DESTDIR)$(PREFIX)/include \
	  $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(B)/leakrec $(B)/leakanalyze $(DESTDIR)$(PREFIX)/bin/
	install -m 755 $(B)/libleakrec.so $(DESTDIR)$(PREFIX)/lib/leakrec/
	install -m 644 recorder/leakrec.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(wildcard docs/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -d $(DESTDIR)$(PREFIX)/share/doc/leakrec/img
	install -m 644 $(wildcard docs/*.md) README.md $(DESTDIR)$(PREFIX)/share/doc/leakrec/
	install -m 644 $(wildcard docs/img/*.png) $(DESTDIR)$(PREFIX)/share/doc/leakrec/img/

# ---- demo ----
demo: all $(B)/tests/demo
	cd $(B) && ./leakrec -o demo.zst ./tests/demo
	$(B)/leakanalyze -n 5 $(B)/demo.zst

# ---- tests ----
include tests/tests.mk

# ---- benchmark ----
-include bench/bench.mk

clean:
	rm -rf $(B)

.PHONY: all install demo test clean bench
-include $(shell find $(B) -name '*.d' 2>/dev/null)
