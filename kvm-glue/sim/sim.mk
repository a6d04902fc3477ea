# kvm-glue/sim/sim.mk: the userspace port (a simulated e500v2 vCPU in
# Unicorn), the abt-sim tool and the bundled guests.

SIM_DIR    := kvm-glue/sim
SIM_SRCS   := $(SIM_DIR)/sim.c $(SIM_DIR)/sim_elf.c $(SIM_DIR)/sim_tlb.c
SIM_OBJS   := $(SIM_SRCS:%.c=$(BUILD)/%.o)
SIM_CFLAGS := -I$(SIM_DIR)
SIM_LIBS   := -lunicorn
SIM_GUESTS := $(BUILD)/guest/loop.elf
# guests of the memory features (tests/test_mem.c)
SIM_MEM_GUESTS := $(patsubst %,$(BUILD)/guest/%.elf,selfsum smc mirror huge steal)
SIM_GUEST_ASFLAGS := -mregnames -me500 -a32 -I$(SIM_DIR)/guest
SIM_GUEST_LDFLAGS := --no-warn-rwx-segments -T $(SIM_DIR)/guest/loop.ld

# The objects include gen/abt_gen.h: regenerate it first.
$(BUILD)/$(SIM_DIR)/%.o: $(SIM_DIR)/%.c | gen-stamp
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SIM_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/abt-sim: $(BUILD)/$(SIM_DIR)/abt-sim.o $(SIM_OBJS) $(BUILD)/libabt.a \
		  $(SIM_GUESTS)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(SIM_LIBS)

$(BUILD)/guest/%.o: $(SIM_DIR)/guest/%.S $(SIM_DIR)/guest/common.inc
	@mkdir -p $(@D)
	$(CROSS)as $(SIM_GUEST_ASFLAGS) -o $@ $<

$(BUILD)/guest/%.elf: $(BUILD)/guest/%.o $(SIM_DIR)/guest/loop.ld
	$(CROSS)ld $(SIM_GUEST_LDFLAGS) -o $@ $<

# The loop guest with and without translation, side by side.
.PHONY: sim-demo
sim-demo: $(BUILD)/abt-sim $(SIM_GUESTS)
	$(BUILD)/abt-sim --no-translate --quiet $(BUILD)/guest/loop.elf
	$(BUILD)/abt-sim --quiet $(BUILD)/guest/loop.elf

-include $(SIM_OBJS:.o=.d) $(BUILD)/$(SIM_DIR)/abt-sim.d

# keep the guest objects (otherwise make deletes them as intermediates)
.SECONDARY: $(SIM_GUESTS:.elf=.o) $(SIM_MEM_GUESTS:.elf=.o)
