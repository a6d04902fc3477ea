# rulesc: flex + bison compiler from rules/*.rule to gen/.

RULESC      := $(BUILD)/rulesc/rulesc
RULESC_SRCS := rulesc/main.c rulesc/sema.c rulesc/codegen.c rulesc/diag.c \
	       rulesc/isa.c rulesc/listing.c rulesc/blob.c
RULESC_GEN  := $(BUILD)/rulesc/parser.c $(BUILD)/rulesc/lexer.c \
	       $(BUILD)/rulesc/insn_enc_text.c
RULESC_CFLAGS := -std=gnu99 -O2 -g -Wall -Wno-unused-function \
		 -Irulesc -I$(BUILD)/rulesc -Iruntime/include \
		 $(filter -fsanitize%,$(CFLAGS))
GEN_FILES   := gen/abt_types.h gen/abt_insn.h gen/abt_gen.h gen/abt_decode.c gen/abt_regs.c \
	       gen/abt_emit.c gen/abt_emulate.c gen/abt_tables.c

$(BUILD)/rulesc/parser.c $(BUILD)/rulesc/parser.h: rulesc/parser.y
	@mkdir -p $(BUILD)/rulesc
	bison -Wall -Wno-other --defines=$(BUILD)/rulesc/parser.h \
		-o $(BUILD)/rulesc/parser.c $<

$(BUILD)/rulesc/lexer.c: rulesc/lexer.l $(BUILD)/rulesc/parser.h
	@mkdir -p $(BUILD)/rulesc
	flex -o $@ $<

# The encoders are one text: rulesc compiles them in (listings) and copies
# them into gen/abt_insn.h.
$(BUILD)/rulesc/insn_enc_text.c: rulesc/insn_enc.h
	@mkdir -p $(BUILD)/rulesc
	{ echo 'const char insn_enc_text[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@.tmp && mv $@.tmp $@

$(RULESC): $(RULESC_SRCS) $(RULESC_GEN) rulesc/ast.h rulesc/isa.h \
	   rulesc/insn_enc.h runtime/include/abt_blob.h
	$(CC) $(RULESC_CFLAGS) -o $@ $(RULESC_SRCS) $(RULESC_GEN) \
		$(filter -fsanitize%,$(LDFLAGS)) -lcapstone -lz

# gen/ is committed; the build regenerates it (rulesc writes whole files
# via rename, and only when every file was produced).
gen-stamp: $(BUILD)/gen.stamp
$(BUILD)/gen.stamp: $(RULESC) $(RULES)
	$(RULESC) -o gen $(RULES)
	@touch $@
$(GEN_FILES): $(BUILD)/gen.stamp

.PHONY: gen-stamp listing regen-check
listing: $(RULESC)
	$(RULESC) --listing --check $(RULES)

# Regenerating from the committed rules must not change a byte of gen/:
# a second rulesc run must equal gen/ (determinism), and gen/ as the build
# regenerated it must equal the committed copy (no stale or hand-edited
# generated file), where this is a git checkout.
regen-check: $(RULESC)
	@rm -rf $(BUILD)/regen && mkdir -p $(BUILD)/regen
	@$(RULESC) -o $(BUILD)/regen $(RULES)
	@for f in $(notdir $(GEN_FILES)); do \
	  cmp -s gen/$$f $(BUILD)/regen/$$f || { echo "regen-check: gen/$$f differs from rulesc output" >&2; exit 1; }; \
	done
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1 && \
	    git ls-files --error-unmatch gen/abt_gen.h >/dev/null 2>&1; then \
	  git diff --quiet HEAD -- gen/ || { git diff --stat HEAD -- gen/ >&2; \
	    echo "regen-check: gen/ differs from the committed copy: commit the regenerated gen/ with the rules" >&2; exit 1; }; \
	fi
	@echo "regen-check: gen/ is byte-identical to rulesc output and to the committed copy"
