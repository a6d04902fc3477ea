# tools/abt-replay/abt-replay.mk: $(BUILD)/abt-replay, the profile replay
# (docs/replay.md). Needs $(BUILD)/libabtp.a (tools/profile/profile.mk) and
# $(BUILD)/libabt.a.
#
#   make replay         both committed profiles -> docs/replay.md and
#                       docs/replay-*.{png,svg} (installs gnuplot-nox)
#   make bench-replay   profile events per second (also part of `make bench`)

REPLAY_DIR      := tools/abt-replay
REPLAY_ABTP_INC ?= tools/profile
REPLAY_ABTP_LIB ?= $(BUILD)/libabtp.a
REPLAY_CFLAGS   := -I$(REPLAY_DIR) -I$(REPLAY_ABTP_INC)
REPLAY_CORE     := $(BUILD)/$(REPLAY_DIR)/replay.o \
		   $(BUILD)/$(REPLAY_DIR)/replay_memfeat.o
REPLAY_OBJS     := $(BUILD)/$(REPLAY_DIR)/abt-replay.o $(REPLAY_CORE)
REPLAY_LIBS     := $(BUILD)/libabt.a $(REPLAY_ABTP_LIB) -lz
REPLAY_PROFILES ?= tests/profiles/linux.abtp tests/profiles/uboot.abtp

$(BUILD)/$(REPLAY_DIR)/abt-replay.o $(BUILD)/$(REPLAY_DIR)/replay.o: \
		$(BUILD)/$(REPLAY_DIR)/%.o: $(REPLAY_DIR)/%.c | gen-stamp
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(REPLAY_CFLAGS) -MMD -MP -c $< -o $@

# The memory-feature calls only when this libabt.a has them (abt_dsi).
$(BUILD)/$(REPLAY_DIR)/replay_memfeat.o: $(REPLAY_DIR)/replay_memfeat.c \
		$(BUILD)/libabt.a | gen-stamp
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(REPLAY_CFLAGS) -MMD -MP \
		$$(nm -g --defined-only $(BUILD)/libabt.a 2>/dev/null | \
		   grep -q ' T abt_dsi$$' && echo -DREPLAY_HAVE_MEMFEAT) \
		-c $< -o $@

$(BUILD)/abt-replay: $(REPLAY_OBJS) $(BUILD)/libabt.a $(REPLAY_ABTP_LIB)
	$(CC) $(LDFLAGS) -o $@ $(REPLAY_OBJS) $(REPLAY_LIBS)

# Only once the profile library is in the tree (tools/profile/).
ifneq ($(wildcard $(REPLAY_ABTP_INC)/abtp.h),)
all: $(BUILD)/abt-replay
TESTS += $(BUILD)/tests/test_replay
endif

-include $(REPLAY_OBJS:.o=.d)

# The replay on synthetic profiles written with the abtp writer.

$(BUILD)/tests/test_replay: tests/test_replay.c $(REPLAY_CORE) \
			    $(BUILD)/libabt.a $(REPLAY_ABTP_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(REPLAY_CFLAGS) -MMD -MP $< $(REPLAY_CORE) \
		$(REPLAY_LIBS) -lcmocka $(LDFLAGS) -o $@

-include $(BUILD)/tests/test_replay.d

.PHONY: replay replay-deps bench-replay
replay-deps:
	$(call install_missing,gnuplot-nox)

replay: replay-deps $(BUILD)/abt-replay
	sh $(REPLAY_DIR)/replay-report.sh $(BUILD)/abt-replay docs \
		$(REPLAY_PROFILES)

# Events per second over the committed profiles, all six policies in one
# pass: CPU time of the event loop (reading included), best of
# REPLAY_BENCH_REPEAT replays in one process.
REPLAY_BENCH_REPEAT ?= 20
bench: bench-replay
bench-replay: $(BUILD)/abt-replay
	@for p in $(REPLAY_PROFILES); do \
	  [ -f $$p ] || { echo "bench-replay: $$p missing"; continue; }; \
	  $(BUILD)/abt-replay --repeat $(REPLAY_BENCH_REPEAT) $$p | \
	    sed -n "s|^replay: |bench-replay: $$p: |p"; \
	done
	@echo "(target >= 20 M events/s)"
ifneq ($(SAN),1)
	@p=$(firstword $(REPLAY_PROFILES)); [ -f $$p ] && \
	  n=$$($(BUILD)/abt-replay $$p | sed -n 's/^replay: \([0-9]*\) events.*/\1/p') && \
	  ir=$$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		--toggle-collect=replay_events $(BUILD)/abt-replay -q $$p 2>&1 | \
		sed -n 's/.*Collected : \([0-9]*\).*/\1/p') && \
	  echo "bench-replay: $$p: $$ir instructions in replay_events (callgrind) = $$((ir / n)) per event, 6 policies"
endif
