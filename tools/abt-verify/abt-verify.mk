# abt-verify: rules against golden traces (reference emulator + stubs in
# Unicorn). Needs libabtt (tools/trace/trace.mk) and libabt.

$(BUILD)/abt-verify: tools/abt-verify/abt-verify.c $(BUILD)/libabt.a \
		     $(BUILD)/libabtt.a | gen-stamp
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itools/trace -DABT_SRCDIR='"$(CURDIR)"' \
		-DABT_RULESC='"$(CURDIR)/$(RULESC)"' -MMD -MP \
		$< $(BUILD)/libabt.a $(BUILD)/libabtt.a -lunicorn -lz \
		$(LDFLAGS) -o $@

-include $(BUILD)/abt-verify.d
