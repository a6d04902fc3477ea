# tools/trace/trace.mk: golden-trace files (docs/golden-trace-format.md).
#
# $(BUILD)/libabtt.a holds the writer and reader (link with -lz); the
# test suite is tests/test_trace.c. `make fuzz-trace` builds the libFuzzer
# target with clang and runs it for FUZZ_TIME seconds on a seed corpus of
# small valid traces; the corpus it grows and any crash land in build/fuzz/.

TRACE_DIR  := tools/trace
TRACE_OBJS := $(BUILD)/$(TRACE_DIR)/abtt.o
TRACE_LIBS := $(BUILD)/libabtt.a -lz

$(TRACE_OBJS): $(BUILD)/$(TRACE_DIR)/%.o: $(TRACE_DIR)/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(TRACE_DIR) -MMD -MP -c $< -o $@

$(BUILD)/libabtt.a: $(TRACE_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

all: $(BUILD)/libabtt.a

-include $(TRACE_OBJS:.o=.d)

# The fuzz build is its own: clang, libFuzzer, ASan+UBSan, CRC bypass.
FUZZ_CC     ?= clang
FUZZ_TIME   ?= 60
FUZZ_DIR    := build/fuzz
FUZZ_CFLAGS := -g -O1 -std=gnu99 $(WARN) \
	       -fsanitize=fuzzer,address,undefined \
	       -fno-sanitize-recover=undefined \
	       -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -I$(TRACE_DIR)
FUZZ_FLAGS  ?= -max_len=8192 -timeout=10 -rss_limit_mb=1024

$(FUZZ_DIR)/fuzz_abtt: $(TRACE_DIR)/fuzz_abtt.c $(TRACE_DIR)/abtt.c \
		       $(TRACE_DIR)/abtt.h $(TRACE_DIR)/trace.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(filter %.c,$^) -lz -o $@

# The seed generator: an ordinary build against the ordinary library.
$(FUZZ_DIR)/abtt_seeds: $(TRACE_DIR)/abtt_seeds.c $(TRACE_DIR)/abtt.c \
			$(TRACE_DIR)/abtt.h
	@mkdir -p $(@D)
	$(CC) -O2 -g -std=gnu99 $(WARN) -I$(TRACE_DIR) \
		$(filter %.c,$^) -lz -o $@

.PHONY: fuzz-trace
# clang and its libFuzzer runtime are only needed here
.PHONY: fuzz-deps
fuzz-deps:
	$(call install_missing,clang libclang-rt-14-dev zlib1g-dev)
fuzz-trace: fuzz-deps $(FUZZ_DIR)/fuzz_abtt $(FUZZ_DIR)/abtt_seeds
	@rm -rf $(FUZZ_DIR)/trace-seeds
	@mkdir -p $(FUZZ_DIR)/trace-seeds $(FUZZ_DIR)/trace-corpus \
		  $(FUZZ_DIR)/trace-artifacts
	$(FUZZ_DIR)/abtt_seeds $(FUZZ_DIR)/trace-seeds
	$(FUZZ_DIR)/fuzz_abtt -max_total_time=$(FUZZ_TIME) $(FUZZ_FLAGS) \
		-dict=$(TRACE_DIR)/fuzz_abtt.dict \
		-artifact_prefix=$(FUZZ_DIR)/trace-artifacts/ \
		$(FUZZ_DIR)/trace-corpus $(FUZZ_DIR)/trace-seeds
