# tests/tests.mk: unit tests. Each test binary is appended to TESTS.

TESTS += $(BUILD)/tests/test_runtime

$(BUILD)/tests/test_runtime: tests/test_runtime.c $(BUILD)/libabt.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iruntime -MMD -MP $< $(BUILD)/libabt.a -lcmocka \
		$(LDFLAGS) -o $@

-include $(BUILD)/tests/test_runtime.d

# Profile blobs: rulesc --profile-blob against abt_profile_parse().
TESTS += $(BUILD)/tests/test_blob

$(BUILD)/tests/test_blob: tests/test_blob.c $(BUILD)/libabt.a $(RULESC)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iruntime -DABT_RULESC='"$(abspath $(RULESC))"' -MMD -MP \
		$< $(BUILD)/libabt.a -lcmocka -lz $(LDFLAGS) -o $@

-include $(BUILD)/tests/test_blob.d

# The generated access decoder and mirror template against capstone and
# against the runtime's hand-written decoder and mirror stub composer.
TESTS += $(BUILD)/tests/test_access

$(BUILD)/tests/test_access: tests/test_access.c $(BUILD)/libabt.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iruntime -MMD -MP $< $(BUILD)/libabt.a -lcmocka \
		-lcapstone $(LDFLAGS) -o $@

-include $(BUILD)/tests/test_access.d

# The Unicorn port; runs the bundled loop guest.
TESTS += $(BUILD)/tests/test_sim

$(BUILD)/tests/test_sim: tests/test_sim.c $(SIM_OBJS) $(BUILD)/libabt.a \
			 $(SIM_GUESTS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SIM_CFLAGS) -MMD -MP \
		-DSIM_GUEST_LOOP='"$(abspath $(BUILD))/guest/loop.elf"' \
		$< $(SIM_OBJS) $(BUILD)/libabt.a $(SIM_LIBS) -lcmocka \
		$(LDFLAGS) -o $@

-include $(BUILD)/tests/test_sim.d

# The memory features in the Unicorn port, over the guests of sim.mk's
# SIM_MEM_GUESTS.
TESTS += $(BUILD)/tests/test_mem

$(BUILD)/tests/test_mem: tests/test_mem.c $(SIM_OBJS) $(BUILD)/libabt.a \
			 $(SIM_MEM_GUESTS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SIM_CFLAGS) -MMD -MP \
		-DSIM_GUEST_DIR='"$(abspath $(BUILD))/guest"' \
		$< $(SIM_OBJS) $(BUILD)/libabt.a $(SIM_LIBS) -lcmocka \
		$(LDFLAGS) -o $@

-include $(BUILD)/tests/test_mem.d

# rulesc as a black box: tests/rulesc/{ok,err}/*.rule, the command line,
# determinism and gen/ regeneration. It runs $(RULESC) (the SAN build of
# rulesc under SAN=1) and, to compile generated C, $(CC).
TESTS += $(BUILD)/tests/test_rulesc

$(BUILD)/tests/test_rulesc: tests/test_rulesc.c $(RULESC) \
			    $(wildcard tests/rulesc/ok/*.rule) \
			    $(wildcard tests/rulesc/err/*.rule)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP \
		-DRULESC_PATH='"$(abspath $(RULESC))"' \
		-DABT_SRCDIR='"$(CURDIR)"' -DABT_CC='"$(CC)"' \
		$< -lcmocka $(LDFLAGS) -o $@

-include $(BUILD)/tests/test_rulesc.d

# Tests of the generated code alone (gen/*.c compiled in, no runtime):
# the decoder against an ISA reference and capstone, the body emitters,
# the reference emulator. Each links only the gen/ files it needs, so a
# test can define the port's helpers itself. Dependencies are explicit
# (the test source and every gen/ file), so no -MMD here.
GEN_TEST_DEPS := $(GEN_FILES) tests/tests.mk

TESTS += $(BUILD)/tests/test_decode

$(BUILD)/tests/test_decode: tests/test_decode.c $(GEN_TEST_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< gen/abt_decode.c gen/abt_tables.c \
		-lcmocka -lcapstone $(LDFLAGS) -o $@

TESTS += $(BUILD)/tests/test_emit

$(BUILD)/tests/test_emit: tests/test_emit.c $(GEN_TEST_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< gen/abt_decode.c gen/abt_emit.c \
		gen/abt_emulate.c gen/abt_regs.c gen/abt_tables.c \
		-lcmocka -lcapstone $(LDFLAGS) -o $@

TESTS += $(BUILD)/tests/test_emulate

$(BUILD)/tests/test_emulate: tests/test_emulate.c $(GEN_TEST_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< gen/abt_decode.c gen/abt_emulate.c gen/abt_regs.c \
		gen/abt_emit.c gen/abt_tables.c -lcmocka $(LDFLAGS) -o $@

# Golden-trace files: round trips and a reader that survives any damage.
TESTS += $(BUILD)/tests/test_trace

$(BUILD)/tests/test_trace: tests/test_trace.c $(BUILD)/libabtt.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itools/trace -MMD -MP $< $(BUILD)/libabtt.a -lz \
		-lcmocka $(LDFLAGS) -o $@

-include $(BUILD)/tests/test_trace.d

# Profile files (docs/profile-format.md): round trips, every validation,
# the supervisor rule against the golden trace, the committed profiles.
TESTS += $(BUILD)/tests/test_profile

$(BUILD)/tests/test_profile: tests/test_profile.c $(BUILD)/libabtp.a \
			     $(BUILD)/libabtt.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itools/profile -Itools/trace -MMD -MP \
		-DABT_SRCDIR='"$(CURDIR)"' $< \
		$(BUILD)/libabtp.a $(BUILD)/libabtt.a -lz -lcmocka \
		$(LDFLAGS) -o $@

-include $(BUILD)/tests/test_profile.d
