# bench/bench.mk: benchmarks. `make bench` builds and runs them.
#
# bench_decode: gen/'s decoder against capstone over the .text of a real
# PowerPC binary (Debian's libc6-powerpc-cross libc by default).

BENCH_ELF ?= /usr/powerpc-linux-gnu/lib/libc.so.6

$(BUILD)/bench/bench_decode: bench/bench_decode.c $(GEN_FILES) bench/bench.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< gen/abt_decode.c gen/abt_tables.c \
		-lcapstone $(LDFLAGS) -o $@

.PHONY: bench bench-decode
bench: bench-decode
bench-decode: deps-quiet $(BUILD)/bench/bench_decode
	$(BUILD)/bench/bench_decode $(BENCH_ELF)

# bench_exit: instructions per abt_exit() on a warmed profiler, counted by
# callgrind (target <= 150); see bench/callgrind-exit.sh.
$(BUILD)/bench/bench_exit: bench/bench_exit.c $(BUILD)/libabt.a bench/bench.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP $< $(BUILD)/libabt.a $(LDFLAGS) -o $@

-include $(BUILD)/bench/bench_exit.d

.PHONY: bench-exit
bench: bench-exit
ifeq ($(SAN),1)
bench-exit:
	@echo "bench-exit: skipped under SAN=1 (valgrind and ASan do not mix)"
else
bench-exit: deps-quiet $(BUILD)/bench/bench_exit
	sh bench/callgrind-exit.sh $(BUILD)/bench/bench_exit
endif

# abt-verify throughput on the golden traces, each given 20 times so
# start-up (Unicorn's code buffer) is amortised: once checking only the
# reference emulator, once also running every translated record's patch
# in Unicorn (twice for rules with an exit path).
BENCH_VERIFY_IN = $(foreach i,1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20,$(GOLDEN))
.PHONY: bench-verify
bench: bench-verify
bench-verify: $(BUILD)/abt-verify
	@printf 'verify, reference emulator only: '; \
	  $(BUILD)/abt-verify --quiet --no-stub $(BENCH_VERIFY_IN) | tail -n 1
	@printf 'verify, reference + patches in Unicorn: '; \
	  $(BUILD)/abt-verify --quiet $(BENCH_VERIFY_IN) | tail -n 1
	@echo "(target >= 100k records/s)"
