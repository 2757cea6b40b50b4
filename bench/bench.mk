# bench/bench.mk: the benchmark against heaptrack (docs/bench.md); included by the Makefile.
#
#   make bench         builds everything and the workloads, runs bench/run.py (several minutes)
#   make bench-smoke   the same with one round of tiny runs: checks that every workload records
#                      and reads back; exits non-zero only when something crashed, changed its
#                      output under leakrec or left an unreadable trace (no figure is enforced)
#
# BENCH_ARGS passes more options to run.py, e.g. make bench BENCH_ARGS="--runs 9 --json b.json".
# The workloads are plain -O2 -g builds (never sanitized) in $(B)/bench.

BENCH_DIR      := $(B)/bench
# attach_speed: the attach benchmark's target (its speed before and after `leakrec -p`).
BENCH_PROGS    := $(addprefix $(BENCH_DIR)/,churn1 churn4 deep cxx attach_speed)
BENCH_CFLAGS   := $(CSTD) $(WARN) -O2 -g -pthread
BENCH_CXXFLAGS := -std=c++17 $(filter-out -Wstrict-prototypes -Wmissing-prototypes,$(WARN)) \
                  -O2 -g -pthread
BENCH_ARGS     ?=

$(BENCH_DIR)/%: bench/%.c bench/bench.h
	@mkdir -p $(BENCH_DIR)
	$(CC) $(BENCH_CFLAGS) $< -o $@

$(BENCH_DIR)/cxx: bench/cxx.cc
	@mkdir -p $(BENCH_DIR)
	$(CXX) $(BENCH_CXXFLAGS) $< -o $@

bench-progs: $(BENCH_PROGS)

bench: all $(BENCH_PROGS)
	python3 bench/run.py --build $(B) $(BENCH_ARGS)

bench-smoke: all $(BENCH_PROGS)
	python3 bench/run.py --build $(B) --smoke $(BENCH_ARGS)

.PHONY: bench bench-smoke bench-progs

# make test runs the smoke benchmark (tests/e2e/test_bench.py): build its programs first.
test: bench-progs
