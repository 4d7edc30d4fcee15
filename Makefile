# socksify - make a program use a SOCKS proxy
#
#   make                 build build/libsocksify.so and build/socksify
#   make check           installs the test packages (root), then unit tests
#                        (Check) and integration tests (real servers)
#   make check-unit      unit tests only
#   make help            every target
#   make demo            a SOCKS server, a web server and `socksify curl`
#   make install PREFIX=/usr/local DESTDIR=... SYSCONFDIR=/etc

VERSION    = 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
LIBDIR    ?= $(PREFIX)/lib/socksify
SYSCONFDIR ?= /etc
MANDIR    ?= $(PREFIX)/share/man
DESTDIR   ?=

CC        ?= cc
CFLAGS    ?= -O2 -g
WARNFLAGS  = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wundef \
             -Wstrict-prototypes -Wmissing-prototypes -Wvla
SX_CPPFLAGS = -Iinclude -D_GNU_SOURCE \
             -DSX_SYSCONFDIR='"$(SYSCONFDIR)"' -DSX_VERSION='"$(VERSION)"'
SX_CFLAGS  = -std=gnu11 -fPIC -fvisibility=hidden $(WARNFLAGS) $(SX_CPPFLAGS)
LDLIBS_LIB = -ldl -lpthread

# One switch for sanitizer builds, each in its own build directory:
#   make SAN=asan   ASan + UBSan      build-asan/   (mk/sanitize.mk: check-sanitize-*)
#   make SAN=ubsan  UBSan, its runtime linked into the library   build-ubsan/
#   make SAN=tsan   ThreadSanitizer   build-tsan/
# Any target builds that way: `make SAN=asan check-unit`, `make SAN=tsan all`.
SAN       ?=
ifeq ($(SAN),)
B         ?= build
SAN_FLAGS  =
else ifeq ($(SAN),asan)
B          = build-asan
SAN_FLAGS  = -fno-omit-frame-pointer -fsanitize=address,undefined \
             -fno-sanitize-recover=undefined
else ifeq ($(SAN),ubsan)
B          = build-ubsan
SAN_FLAGS  = -fno-omit-frame-pointer -fsanitize=undefined \
             -fno-sanitize-recover=undefined -static-libubsan
else ifeq ($(SAN),tsan)
B          = build-tsan
SAN_FLAGS  = -fno-omit-frame-pointer -fsanitize=thread
else
$(error SAN=$(SAN): use SAN=asan, SAN=ubsan or SAN=tsan)
endif
ALL_CFLAGS = $(CFLAGS) $(SAN_FLAGS)

# Pure code: protocol and config parsing, no hooks, and the real-symbol
# table the config files are read through.  Unit tests link it.
PURE_SRC   = $(sort $(wildcard src/proto/*.c src/conf/*.c src/dns/*.c)) src/core/real.c
# The rest of the library: runtime, client, hooks.
CORE_SRC   = $(filter-out $(PURE_SRC),$(sort $(wildcard src/*.c src/core/*.c \
             src/client/*.c src/hook/*.c)))
PURE_OBJ   = $(PURE_SRC:%.c=$(B)/obj/%.o)
CORE_OBJ   = $(CORE_SRC:%.c=$(B)/obj/%.o)
# Everything but the hooks: what the tool and the client-level unit tests link.
NOHOOK_OBJ = $(filter-out $(B)/obj/src/hook/%,$(PURE_OBJ) $(CORE_OBJ))

# Check's flags, asked of pkg-config when first used (after `make deps` may
# have installed check and pkg-config), with Debian's flags as the fallback.
CHECK_PC_LIBS = -lcheck_pic -lsubunit -lm -lrt -lpthread
PKG_CONFIG ?= pkg-config
CHECK_CFLAGS = $(eval CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null))$(CHECK_CFLAGS)
CHECK_LIBS   = $(eval CHECK_LIBS := $(or $(shell $(PKG_CONFIG) --libs check 2>/dev/null),$(CHECK_PC_LIBS)))$(CHECK_LIBS)
UNIT_SRC   = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN   = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
# Unit tests link the pure objects and the helpers tests/unit/*_util.c;
# those that drive src/client (over socketpairs, with scripted peers or the
# mock GSS-API table) link every object but the hooks, and the other helpers
# tests/unit/*.c that are not tests themselves.
UNIT_CLIENT = test_gss_client test_gss_send test_gss_negotiate test_handshake \
              test_routes
UNIT_UTIL_SRC = $(sort $(wildcard tests/unit/*_util.c))
UNIT_UTIL_OBJ = $(UNIT_UTIL_SRC:%.c=$(B)/obj/%.o)
UNIT_AUX_SRC = $(filter-out $(UNIT_SRC) $(UNIT_UTIL_SRC),$(wildcard tests/unit/*.c))
UNIT_AUX_OBJ = $(UNIT_AUX_SRC:%.c=$(B)/obj/%.o)

# Small helper programs the integration tests drive (tests/progs/*.c).
PROG_SRC   = $(sort $(wildcard tests/progs/*.c))
PROG_BIN   = $(PROG_SRC:tests/progs/%.c=$(B)/progs/%)

.PHONY: all check check-unit check-integration check-layering check-after-deps \
        check-fresh deps demo install uninstall clean help
all: $(B)/libsocksify.so

# Each object depends on the headers it includes (-MMD -MP: $(B)/obj/X.d).
DEPFLAGS   = -MMD -MP
$(B)/obj/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) $(SX_CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(B)/libsocksify.so: $(PURE_OBJ) $(CORE_OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -shared -Wl,-soname,libsocksify.so \
	  -Wl,-z,defs -Wl,-z,now -o $@ $^ $(LDLIBS_LIB)

$(B)/obj/tests/unit/%.o: tests/unit/%.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) $(SX_CFLAGS) $(CHECK_CFLAGS) -fvisibility=default \
	  -Itests/unit $(DEPFLAGS) -c -o $@ $<

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(UNIT_UTIL_OBJ) $(PURE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

$(UNIT_CLIENT:%=$(B)/tests/%): $(B)/tests/%: $(B)/obj/tests/unit/%.o \
		$(UNIT_AUX_OBJ) $(NOHOOK_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS_LIB)

$(B)/progs/%: tests/progs/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -std=gnu11 -D_GNU_SOURCE $(WARNFLAGS) $(DEPFLAGS) -o $@ $< -lpthread

.SECONDARY: $(UNIT_SRC:%.c=$(B)/obj/%.o) $(UNIT_AUX_OBJ) $(UNIT_UTIL_OBJ)
-include $(wildcard $(B)/obj/*/*.d $(B)/obj/*/*/*.d $(B)/progs/*.d)

check-unit: $(UNIT_BIN)
	@tests/run-unit $(UNIT_BIN)

check-integration: all $(PROG_BIN)
	@tests/run-integration

# Installs what the tests need first (scripts/install-deps; root), then
# builds and runs everything in a new make, which reads Check's flags from
# the pkg-config that deps may just have installed.
# One summary line at the end: "N passed, N failed".
check: deps
	@$(MAKE) --no-print-directory check-after-deps

check-after-deps: all $(UNIT_BIN) $(PROG_BIN)
	@$(CHECK_LAYERING)
	@tests/check-layering-demo $(B)
	@tests/run-all $(UNIT_BIN)

# Nothing below src/hook calls a function the library hooks (the real-symbol
# table sx_real instead): scripts/check-layering over the objects, and
# tests/check-layering-demo shows it fails on an object that does.
LAYER_OBJ  = $(filter $(patsubst %,$(B)/obj/src/%/%,client core proto conf dns engine), \
             $(PURE_OBJ) $(CORE_OBJ) $(ENGINE_OBJ))
CHECK_LAYERING = scripts/check-layering --known scripts/layering-known $(B) $(LAYER_OBJ)
check-layering: all
	@$(CHECK_LAYERING)
	@tests/check-layering-demo $(B)

# The proof that `make check` passes in one go on a machine without Check and
# pkg-config: scripts/fresh-check purges them in a throw-away overlay of / and
# runs `make check` in a fresh clone of HEAD there (root; as long as a check).
check-fresh:
	@scripts/fresh-check

INSTALL_DEPS ?= scripts/install-deps
deps:
	@$(INSTALL_DEPS)

demo: all
	@scripts/demo

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(SYSCONFDIR)
	install -m 0644 $(B)/libsocksify.so $(DESTDIR)$(LIBDIR)/libsocksify.so
	if [ ! -e $(DESTDIR)$(SYSCONFDIR)/socksify.conf ]; then \
	  install -m 0644 etc/socksify.conf $(DESTDIR)$(SYSCONFDIR)/socksify.conf; fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/socksify $(DESTDIR)$(LIBDIR)/libsocksify.so
	-rmdir $(DESTDIR)$(LIBDIR)

clean:
	rm -rf $(B)

help:
	@echo 'socksify $(VERSION): make [TARGET] [SAN=asan|ubsan|tsan] [B=DIR] [CC=...]'
	@echo '  all (default)               build/libsocksify.so and build/socksify (the command)'
	@echo '  check                       install the test packages (root; scripts/install-deps),'
	@echo '                              then the layering check, unit and integration tests'
	@echo '  check-unit                  the unit tests (Check; no root)'
	@echo '  check-integration           the integration tests (root: namespaces, servers)'
	@echo '  check-layering              nothing below src/hook calls a hooked function'
	@echo '  check-fresh                 make check in a fresh clone of HEAD, in a throw-away'
	@echo '                              overlay of / without check and pkg-config (root; slow)'
	@echo '  check-man                   lint the man pages'
	@echo '  check-sanitize-unit         unit tests with ASan+UBSan (build-asan/)'
	@echo '  check-sanitize-integration  integration tests with the ASan library'
	@echo '  check-asan-integration      the same (the name CI uses)'
	@echo '  check-sanitize              both of the above'
	@echo '  check-ubsan                 integration tests with a UBSan library (build-ubsan/)'
	@echo '  check-tsan                  threaded programs with ThreadSanitizer (build-tsan/)'
	@echo '  check-valgrind              unit tests and VG_TESTS under valgrind (also'
	@echo '                              check-valgrind-unit, check-valgrind-integration)'
	@echo '  fuzz, fuzz-build            libFuzzer targets (FUZZ_SECONDS=60 FUZZ_TARGETS=...)'
	@echo '  bench, bench-async, bench-gss, bench-dnsmap   benchmarks (bench/)'
	@echo '  deps                        install the test packages (root)'
	@echo '  demo                        a SOCKS server, a web server and socksify curl'
	@echo '  install, uninstall          PREFIX=/usr/local DESTDIR= SYSCONFDIR=/etc'
	@echo '  tool, install-tool          build/socksify, the command (and socksify-tool)'
	@echo '  clean                       remove $(B)/'
	@echo 'One test: tests/run-unit build/tests/test_proto; tests/run-integration'
	@echo '  tests/integration/100_danted_none.sh (tests/README).'

# Optional targets (fuzzing, sanitizers, benchmarks) live in mk/.
-include mk/*.mk
