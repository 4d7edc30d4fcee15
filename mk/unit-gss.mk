# mk/unit-gss.mk - the unit tests of the GSS-API client code (issue 4):
# src/client/gss_io.c + gss_send.c (the protected data path) and src/client/gssapi.c
# (context and protection-level negotiation), driven over a socketpair with
# the mock GSS-API table of tests/unit/gss_mock.c.
#
# Unlike the other unit tests (the pure objects only), these link the
# library's objects except the hooks (src/hook/): the tests call the client
# functions themselves, and libc stays libc.  They are in UNIT_SRC like any
# tests/unit/test_*.c, so `make check-unit`, `make check`, check-valgrind and
# check-sanitize-unit run them; the explicit rules below take precedence
# over the Makefile's pattern rule.

GSS_UNIT      = test_gss_client test_gss_send test_gss_negotiate
GSS_UNIT_AUX  = tests/unit/gss_mock.c tests/unit/gss_peer.c
GSS_UNIT_DEPS = $(GSS_UNIT_AUX) tests/unit/gss_mock.h mk/unit-gss.mk
GSS_UNIT_SRC  = $(filter-out src/hook/%,$(PURE_SRC) $(CORE_SRC))
GSS_UNIT_OBJ  = $(GSS_UNIT_SRC:%.c=$(B)/obj/%.o)

$(GSS_UNIT:%=$(B)/tests/%): $(B)/tests/%: tests/unit/%.c $(GSS_UNIT_DEPS) \
		$(GSS_UNIT_OBJ) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SX_CFLAGS) $(CHECK_CFLAGS) -fvisibility=default -Itests/unit \
	  -o $@ $< $(GSS_UNIT_AUX) $(GSS_UNIT_OBJ) $(CHECK_LIBS) $(LDLIBS_LIB)

# The same with ASan+UBSan (mk/sanitize.mk: SB, SAN_FLAGS, its object rule).
GSS_SB        = $(or $(SB),build-asan)
GSS_SAN_OBJ   = $(GSS_UNIT_SRC:%.c=$(GSS_SB)/obj/%.o)
.SECONDARY: $(GSS_SAN_OBJ)

$(GSS_UNIT:%=$(GSS_SB)/tests/%): $(GSS_SB)/tests/%: tests/unit/%.c $(GSS_UNIT_DEPS) \
		$(GSS_SAN_OBJ) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) $(SX_CFLAGS) $(CHECK_CFLAGS) -fvisibility=default -Itests/unit \
	  -o $@ $< $(GSS_UNIT_AUX) $(GSS_SAN_OBJ) $(CHECK_LIBS) $(LDLIBS_LIB)
