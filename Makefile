# abt: top-level build. `make demo` and `make check` are all a fresh
# machine needs; both install missing Debian packages first.

BUILD    ?= build
CC       ?= cc
CROSS    ?= powerpc-linux-gnu-
SAN      ?=
# Debian packages the build, tests and demo use.
DEB_PKGS := flex bison libunicorn-dev libcapstone-dev libcmocka-dev \
	    binutils-powerpc-linux-gnu pkg-config valgrind

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

.PHONY: all deps demo check bench clean regen-check
.DEFAULT_GOAL := all

all: deps-quiet $(BUILD)/rulesc/rulesc gen-stamp $(BUILD)/libabt.a \
     $(BUILD)/abt-sim

# Install what is missing, quietly when nothing is.
deps-quiet:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "abt: installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "abt: need root to install:$$missing" >&2; exit 1; fi; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi
deps: deps-quiet
.PHONY: deps-quiet

include rulesc/rulesc.mk
include runtime/runtime.mk
include kvm-glue/sim/sim.mk
include tests/tests.mk
include bench/bench.mk

clean:
	rm -rf build
