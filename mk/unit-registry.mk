# mk/unit-registry.mk - the unit tests of the socket registry (issues 15 and 21):
# src/core/registry.c, pending.c and epreg.c, linked with the real-symbol table
# only (no hooks: libc stays libc), driven over loopback TCP connections without
# root or a proxy (tests/unit/test_registry.c).  In UNIT_SRC like every
# tests/unit/test_*.c; this explicit rule takes precedence over the pattern rule,
# and builds like the others (ALL_CFLAGS: the SAN switch applies).

REG_UNIT_OBJ = $(addprefix $(B)/obj/src/core/,registry.o pending.o drive.o fiber.o loop.o epreg.o real.o)

$(B)/tests/test_registry: $(B)/obj/tests/unit/test_registry.o $(REG_UNIT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS_LIB)


# tests/unit/test_drive.c: handshakes driven by the program's calls (drive.c),
# the same objects.
$(B)/tests/test_drive: $(B)/obj/tests/unit/test_drive.o $(REG_UNIT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS_LIB)
