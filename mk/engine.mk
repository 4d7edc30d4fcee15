# mk/engine.mk - the seccomp and ptrace engines (src/engine), behind
# include/socksify/engine.h.  Not part of libsocksify.so: the socksify
# command links them, with the library's non-hook objects (build/tool/libsx.a,
# mk/tool.mk).  Until it does, tests drive them through build/progs/sxsupervise
# (tests/progs/sxsupervise.c: --engine seccomp|ptrace [--strict] -- CMD ARGS).

ENGINE_SRC = $(sort $(wildcard src/engine/*.c))
ENGINE_OBJ = $(ENGINE_SRC:%.c=$(B)/obj/%.o)

.PHONY: engine
engine: $(B)/progs/sxsupervise
all: $(B)/progs/sxsupervise

$(B)/engine/libsxengine.a: $(ENGINE_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(AR) rcs $@ $^

$(B)/progs/sxsupervise: tests/progs/sxsupervise.c $(B)/engine/libsxengine.a $(B)/tool/libsx.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SX_CFLAGS) $(LDFLAGS) -o $@ $< $(B)/engine/libsxengine.a \
	  $(B)/tool/libsx.a -ldl -lpthread
