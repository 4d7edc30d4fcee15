# mk/ubsan.mk - the whole integration suite with an UndefinedBehaviorSanitizer
# build of the library (issue 9).  The UBSan runtime is linked into the
# library itself (-static-libubsan), so it preloads into any program (curl,
# ssh, python...) with no runtime to put first, unlike ASan (mk/sanitize.mk:
# ASan runs the unit tests).  Any report fails the run.
#
#   make check-ubsan

UB          = build-ubsan
UB_CFLAGS   = -O2 -g -fno-omit-frame-pointer -fsanitize=undefined \
              -fno-sanitize-recover=undefined -static-libubsan

.PHONY: check-ubsan
$(UB)/libsocksify.so: $(PURE_SRC) $(CORE_SRC) $(HEADERS) mk/ubsan.mk
	@mkdir -p $(UB)
	$(CC) $(UB_CFLAGS) $(SX_CFLAGS) -shared -Wl,-soname,libsocksify.so \
	  -Wl,-z,defs -o $@ $(PURE_SRC) $(CORE_SRC) $(LDLIBS_LIB)

check-ubsan: $(UB)/libsocksify.so all $(PROG_BIN)
	@rm -rf $(UB)/reports && mkdir -p $(UB)/reports
	@echo "== integration tests with the UBSan library"
	@SOCKSIFY_LIBRARY=$(abspath $(UB)/libsocksify.so) \
	 SX_LIB=$(abspath $(UB)/libsocksify.so) \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$(abspath $(UB))/reports/ubsan \
	 tests/run-integration; r=$$?; \
	 if ls $(UB)/reports/ubsan* >/dev/null 2>&1; then \
	   echo "UBSan reports:"; cat $(UB)/reports/ubsan*; exit 1; fi; \
	 exit $$r
