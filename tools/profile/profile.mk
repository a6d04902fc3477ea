# tools/profile/profile.mk: exit and access profiles (docs/profile-format.md).
#
# $(BUILD)/libabtp.a    the .abtp writer and validating reader (link -lz)
# build/abt-prof.so     the QEMU 7.2 TCG plugin that records a guest run;
#                       always an ordinary -fPIC build (QEMU loads it, so no
#                       sanitizers even under SAN=1), with gen's decoder in
# $(BUILD)/abt-prof-merge  plugin profile + abt-trace tlbwe trace -> profile
# $(BUILD)/abt-prof-dump   header, counts, top sites, events of a profile
#
# `make profiles` regenerates tests/profiles/{linux,uboot}.abtp from the
# guests and workloads of `make golden` (tests/golden/golden.mk); it is not
# part of `make check`, which reads the committed profiles back.

PROF_DIR     := tools/profile
PROF_OBJS    := $(BUILD)/$(PROF_DIR)/abtp.o
PROF_LIBS    := $(BUILD)/libabtp.a -lz
PLUGIN       := build/abt-prof.so
PLUGIN_OBJ   := build/pic
PLUGIN_CFLAGS := -O2 -g -std=gnu99 $(WARN) -fPIC -fvisibility=hidden \
		 -Igen -I$(PROF_DIR)

$(PROF_OBJS): $(BUILD)/$(PROF_DIR)/%.o: $(PROF_DIR)/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(PROF_DIR) -MMD -MP -c $< -o $@

$(BUILD)/libabtp.a: $(PROF_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# The plugin: its own objects, position-independent, gen's decoder linked in.
PLUGIN_SRCS := $(PROF_DIR)/abt-prof-plugin.c $(PROF_DIR)/abtp.c \
	       gen/abt_decode.c gen/abt_tables.c
PLUGIN_OBJS := $(patsubst %.c,$(PLUGIN_OBJ)/%.o,$(PLUGIN_SRCS))

$(PLUGIN_OBJS): $(PLUGIN_OBJ)/%.o: %.c | gen-stamp
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) -MMD -MP -c $< -o $@

$(PLUGIN): $(PLUGIN_OBJS)
	$(CC) -shared -o $@ $(PLUGIN_OBJS) -lz

$(BUILD)/$(PROF_DIR)/abt-prof-merge.o $(BUILD)/$(PROF_DIR)/abt-prof-dump.o: \
		$(BUILD)/$(PROF_DIR)/%.o: $(PROF_DIR)/%.c | gen-stamp
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(PROF_DIR) -Itools/trace -MMD -MP -c $< -o $@

$(BUILD)/abt-prof-merge: $(BUILD)/$(PROF_DIR)/abt-prof-merge.o \
			 $(BUILD)/libabtp.a $(BUILD)/libabtt.a $(BUILD)/libabt.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libabtp.a $(BUILD)/libabtt.a \
		$(BUILD)/libabt.a -lz

$(BUILD)/abt-prof-dump: $(BUILD)/$(PROF_DIR)/abt-prof-dump.o \
			$(BUILD)/libabtp.a $(BUILD)/libabt.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libabtp.a $(BUILD)/libabt.a -lz

all: $(BUILD)/libabtp.a $(PLUGIN)

-include $(PROF_OBJS:.o=.d) $(PLUGIN_OBJS:.o=.d) \
	 $(BUILD)/$(PROF_DIR)/abt-prof-merge.d $(BUILD)/$(PROF_DIR)/abt-prof-dump.d
