# mk/unit-registry.mk - the unit tests of the socket registry (issues 15 and 21):
# src/core/registry.c, pending.c and epreg.c, linked with the real-symbol table
# only (no hooks: libc stays libc), driven over loopback TCP connections without
# root or a proxy (tests/unit/test_registry.c).  In UNIT_SRC like every
# tests/unit/test_*.c; this explicit rule takes precedence over the pattern rule.

REG_UNIT_OBJ = $(addprefix $(B)/obj/src/core/,registry.o pending.o epreg.o real.o)

$(B)/tests/test_registry: tests/unit/test_registry.c $(REG_UNIT_OBJ) $(HEADERS) \
		mk/unit-registry.mk
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SX_CFLAGS) $(CHECK_CFLAGS) -fvisibility=default \
	  -o $@ $< $(REG_UNIT_OBJ) $(CHECK_LIBS) $(LDLIBS_LIB)
