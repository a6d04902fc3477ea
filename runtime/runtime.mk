# runtime/runtime.mk: the runtime core, $(BUILD)/libabt.a.
#
# libabt.a holds runtime/*.c and the generated gen/*.c. rulesc/rulesc.mk may
# define GEN_OBJS itself (gen/ is produced during the build, so a wildcard
# taken when make parses this file can come up empty).

RT_SRCS   := $(wildcard runtime/*.c)
RT_OBJS   := $(RT_SRCS:%.c=$(BUILD)/%.o)
GEN_OBJS  ?= $(patsubst %.c,$(BUILD)/%.o,$(wildcard gen/*.c))

$(RT_OBJS): $(BUILD)/runtime/%.o: runtime/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# A same-named pattern rule in a later fragment simply replaces this one.
$(BUILD)/gen/%.o: gen/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libabt.a: $(RT_OBJS) $(GEN_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# Prove the runtime core is freestanding: compile every runtime/*.c with no
# libc headers at all (only the compiler's own stdint/stdbool/stddef), and
# check the objects call nothing but the runtime, gen/ and the memset/memcpy
# that the compiler itself may emit.
RT_FREE_INC   := $(shell $(CC) -print-file-name=include)
RT_FREE_FLAGS := -std=gnu99 $(WARN) -O2 -ffreestanding -nostdinc \
		 -Igen -Iruntime/include -isystem $(RT_FREE_INC)
RT_FREE_OBJS  := $(RT_SRCS:runtime/%.c=$(BUILD)/freestanding/%.o)
RT_FREE_OK    := ^(abt_.*|memset|memcpy)$$

$(RT_FREE_OBJS): $(BUILD)/freestanding/%.o: runtime/%.c
	@mkdir -p $(@D)
	$(CC) $(RT_FREE_FLAGS) -MMD -MP -c $< -o $@

$(BUILD)/runtime-freestanding.stamp: $(RT_FREE_OBJS)
	@bad=$$(nm -u $^ | awk 'NF==2 {print $$2}' | sort -u | \
		grep -Ev '$(RT_FREE_OK)'); \
	if [ -n "$$bad" ]; then \
		echo "runtime: undefined symbols outside abt_*: $$bad" >&2; \
		exit 1; \
	fi
	@touch $@

-include $(RT_OBJS:.o=.d) $(RT_FREE_OBJS:.o=.d)
