# mk/engine.mk - the seccomp and ptrace engines (src/engine), behind
# include/socksify/engine.h.  Not part of libsocksify.so: the socksify command
# links this archive with the library's non-hook objects (build/tool/libsx.a,
# mk/tool.mk); tests drive the engines through `socksify --engine E`.

ENGINE_SRC = $(sort $(wildcard src/engine/*.c))
ENGINE_OBJ = $(ENGINE_SRC:%.c=$(B)/obj/%.o)

.PHONY: engine
engine: $(B)/engine/libsxengine.a

$(B)/engine/libsxengine.a: $(ENGINE_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(AR) rcs $@ $^
