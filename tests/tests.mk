# tests/tests.mk: unit tests. Each test binary is appended to TESTS.

TESTS += $(BUILD)/tests/test_runtime

$(BUILD)/tests/test_runtime: tests/test_runtime.c $(BUILD)/libabt.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iruntime -MMD -MP $< $(BUILD)/libabt.a -lcmocka \
		$(LDFLAGS) -o $@

-include $(BUILD)/tests/test_runtime.d
