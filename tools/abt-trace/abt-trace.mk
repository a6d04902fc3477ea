# tools/abt-trace/abt-trace.mk: $(BUILD)/abt-trace, the golden-trace
# capture tool (QEMU's gdb stub over the GDB remote serial protocol;
# docs/golden-trace-format.md, "Capture"). Needs $(BUILD)/libabtt.a and
# TRACE_LIBS from tools/trace/trace.mk, included before this file.

# Every .c of the directory is part of it (abt-trace.h lists them).
ABT_TRACE_DIR  := tools/abt-trace
ABT_TRACE_OBJS := $(patsubst $(ABT_TRACE_DIR)/%.c,$(BUILD)/$(ABT_TRACE_DIR)/%.o,\
		  $(wildcard $(ABT_TRACE_DIR)/*.c))

# abt-trace.h includes gen/abt_gen.h: regenerate it first.
$(ABT_TRACE_OBJS): $(BUILD)/$(ABT_TRACE_DIR)/%.o: $(ABT_TRACE_DIR)/%.c \
		   | gen-stamp
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itools/trace -MMD -MP -c $< -o $@

$(BUILD)/abt-trace: $(ABT_TRACE_OBJS) $(BUILD)/libabt.a $(BUILD)/libabtt.a
	$(CC) $(LDFLAGS) -o $@ $(ABT_TRACE_OBJS) $(BUILD)/libabt.a \
		$(TRACE_LIBS)

all: $(BUILD)/abt-trace

-include $(ABT_TRACE_OBJS:.o=.d)

# The RSP client against a fake stub (no QEMU needed).
TESTS += $(BUILD)/tests/test_rsp

$(BUILD)/tests/test_rsp: tests/test_rsp.c $(ABT_TRACE_DIR)/rsp.c \
			 $(ABT_TRACE_DIR)/rsp.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(ABT_TRACE_DIR) tests/test_rsp.c \
		$(ABT_TRACE_DIR)/rsp.c -lcmocka $(LDFLAGS) -o $@
