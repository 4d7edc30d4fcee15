# mk/fuzz.mk - libFuzzer targets (tests/fuzz/fuzz_*.c) over the pure code.
#
#   make fuzz-build            build every target into build-fuzz/
#   make fuzz                  build, then run each for FUZZ_SECONDS (60)
#   make fuzz FUZZ_SECONDS=600 FUZZ_TARGETS="fuzz_conf fuzz_url"
#
# Each target starts from its committed seeds (tests/fuzz/corpus/NAME/) and
# keeps what it learns in build-fuzz/corpus/NAME/.  A crash leaves its input
# in build-fuzz/artifacts/; reproduce with `build-fuzz/NAME FILE`.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 1
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS   = -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) \
                -std=gnu11 $(WARNFLAGS) $(SX_CPPFLAGS)
FB            = build-fuzz
FUZZ_SRC      = $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_ALL      = $(FUZZ_SRC:tests/fuzz/%.c=%)
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_BIN      = $(FUZZ_ALL:%=$(FB)/%)
FUZZ_OBJ      = $(PURE_SRC:%.c=$(FB)/obj/%.o)

.PHONY: fuzz fuzz-build
.SECONDARY: $(FUZZ_OBJ)

$(FB)/obj/%.o: %.c mk/fuzz.mk
	@mkdir -p $(dir $@)
	@echo "  CC/FUZZ $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(DEPFLAGS) -c -o $@ $<

$(FB)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD/FUZZ $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(DEPFLAGS) -o $@ $< $(FUZZ_OBJ) -lpthread

-include $(wildcard $(FB)/obj/*/*/*.d $(FB)/*.d)

fuzz-build: $(FUZZ_BIN)

# One line per target: "fuzz_x: N executions, exit 0".  Fails if any failed.
fuzz: fuzz-build
	@fail=0; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FB)/corpus/$$t $(FB)/artifacts $(FB)/logs; \
	  dict=; [ -f tests/fuzz/$$t.dict ] && dict=-dict=tests/fuzz/$$t.dict; \
	  echo "== $$t: $(FUZZ_SECONDS)s"; \
	  $(FB)/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(FB)/artifacts/$$t- $$dict \
	    $(FB)/corpus/$$t tests/fuzz/corpus/$$t >$(FB)/logs/$$t.log 2>&1; \
	  rc=$$?; \
	  execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $(FB)/logs/$$t.log); \
	  grep -E '^#[0-9]+[[:space:]]+DONE' $(FB)/logs/$$t.log; \
	  echo "$$t: $${execs:-?} executions, exit $$rc"; \
	  if [ $$rc != 0 ]; then fail=1; tail -n 40 $(FB)/logs/$$t.log; fi; \
	done; exit $$fail
