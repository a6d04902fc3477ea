# abt: top-level build. `make demo` and `make check` are all a fresh
# machine needs; both install missing Debian packages first.

BUILD    ?= build
CC       ?= cc
CROSS    ?= powerpc-linux-gnu-
SAN      ?=
# Debian packages the build, tests and demo use.
DEB_PKGS := flex bison libunicorn-dev libcapstone-dev libcmocka-dev \
	    binutils-powerpc-linux-gnu pkg-config valgrind libc6-powerpc-cross \
	    zlib1g-dev

WARN     := -Wall -Wextra -Wno-unused-parameter
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu99 $(WARN) -Igen -Iruntime/include
ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer \
	    -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
BUILD    := build/san
endif

RULES    := rules/booke.rule rules/linux.rule rules/u-boot.rule

.PHONY: all deps demo check bench clean
.DEFAULT_GOAL := all

all: deps-quiet $(BUILD)/rulesc/rulesc gen-stamp $(BUILD)/libabt.a \
     $(BUILD)/abt-sim

# $(call install_missing,PACKAGES): install the Debian packages that are
# missing (as root, after apt-get update), quietly when none is.
define install_missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "abt: installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "abt: need root to install:$$missing" >&2; exit 1; fi; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi
endef

deps-quiet:
	$(call install_missing,$(DEB_PKGS))
deps: deps-quiet
.PHONY: deps-quiet

include rulesc/rulesc.mk
include runtime/runtime.mk
include kvm-glue/sim/sim.mk
include tests/tests.mk
include bench/bench.mk
include tools/abt-verify/abt-verify.mk
include tests/golden/golden.mk
include guests/guests.mk
include tools/trace/trace.mk
include tools/abt-trace/abt-trace.mk
include tools/profile/profile.mk
include kvm-glue/vmm/vmm.mk
include kvm-glue/linux/series.mk
include kvm-glue/e2e/e2e.mk
include tools/abt-replay/abt-replay.mk

# The main job on the bundled guest: compile the rules, then run the loop
# guest with every privileged instruction trapping and with translation,
# side by side; then once more with an external interrupt every 997 guest
# instructions, so interrupts land inside stubs and are recovered.
demo: all
	@echo "== rulesc: $(RULES) -> gen/"
	@$(MAKE) -s --no-print-directory regen-check | sed 's/^regen-check: /   /'
	@echo "   $$(grep -c '^	\[ABT_RULE_[a-z]' gen/abt_tables.c) rules, $$(grep -c '^profile' $(RULES) | awk -F: '{s+=$$2} END {print s}') profiles"
	@$(RULESC) --listing --check $(RULES) | tail -n 1 | sed 's/^# /   stub words checked by capstone: /'
	@echo
	@$(BUILD)/abt-sim --compare --quiet $(BUILD)/guest/loop.elf
	@echo
	@echo "== abt again, with an external interrupt every 997 guest instructions"
	@$(BUILD)/abt-sim --quiet --interrupt-every 997 $(BUILD)/guest/loop.elf | \
	  grep -E '^(== |total exits|interrupts delivered|PCs stepped|  recoveries )'

# Every suite, summed: the last line is "N passed, N failed".
check: all $(TESTS) $(BUILD)/abt-verify
	@echo "abt: running test suites$(if $(SAN), (ASan+UBSan))"
	@tests/run-suites.sh $(TESTS) \
	  "check:regen-check:$(MAKE) -s --no-print-directory regen-check SAN=$(SAN)" \
	  "check:listing-vs-capstone:$(RULESC) --listing --check $(RULES)" \
	  "check:runtime-freestanding:$(MAKE) -s --no-print-directory $(BUILD)/runtime-freestanding.stamp SAN=$(SAN)" \
	  "check:runtime-layers:sh tests/runtime-layers-check.sh $(CC) $(RT_OBJS)" \
	  "check:golden-verify:$(BUILD)/abt-verify --quiet $(GOLDEN)" \
	  "check:profile-plugin-smoke:sh tests/profile-plugin-smoke.sh $(PLUGIN) $(BUILD)/abt-prof-dump" \
	  "check:verify-mutants:tests/verify-mutants.sh $(BUILD)/abt-verify $(RULESC) $(GOLDEN)" \
	  "check:kvm-series-checkpatch:$(MAKE) -s --no-print-directory kvm-series-checkpatch" \
	  "check:kvm-series-build:$(MAKE) -s --no-print-directory kvm-series-build" \
	  "check:vmm-cap-uapi:sh tests/vmm-cap-uapi.sh" \
	  "check:e2e-report:sh tests/e2e-report-check.sh"

clean:
	rm -rf build
