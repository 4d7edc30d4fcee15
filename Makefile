# socksify - make a program use a SOCKS proxy
#
#   make                 build build/libsocksify.so and build/socksify
#   make check           installs the test packages (root), then unit tests
#                        (Check) and integration tests (real servers)
#   make check-unit      unit tests only
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

B          = build
# Pure code: protocol and config parsing, no hooks.  Unit tests link it.
PURE_SRC   = $(sort $(wildcard src/proto/*.c src/conf/*.c src/dns/*.c))
# The rest of the library: runtime, client, hooks.
CORE_SRC   = $(sort $(wildcard src/*.c src/core/*.c src/client/*.c src/hook/*.c))
PURE_OBJ   = $(PURE_SRC:%.c=$(B)/obj/%.o)
CORE_OBJ   = $(CORE_SRC:%.c=$(B)/obj/%.o)
HEADERS    = $(wildcard include/socksify/*.h src/*.h src/*/*.h)

CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)
UNIT_SRC   = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN   = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

# Small helper programs the integration tests drive (tests/progs/*.c).
PROG_SRC   = $(sort $(wildcard tests/progs/*.c))
PROG_BIN   = $(PROG_SRC:tests/progs/%.c=$(B)/progs/%)

.PHONY: all check check-unit check-integration deps demo install uninstall clean
all: $(B)/libsocksify.so

$(B)/obj/%.o: %.c $(HEADERS) Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) $(SX_CFLAGS) -c -o $@ $<

$(B)/libsocksify.so: $(PURE_OBJ) $(CORE_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,libsocksify.so \
	  -Wl,-z,defs -Wl,-z,now -o $@ $^ $(LDLIBS_LIB)

$(B)/tests/%: tests/unit/%.c $(PURE_OBJ) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SX_CFLAGS) $(CHECK_CFLAGS) -fvisibility=default -o $@ $< $(PURE_OBJ) $(CHECK_LIBS)

$(B)/progs/%: tests/progs/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=gnu11 -D_GNU_SOURCE $(WARNFLAGS) -o $@ $< -lpthread

check-unit: $(UNIT_BIN)
	@tests/run-unit $(UNIT_BIN)

check-integration: all $(PROG_BIN)
	@tests/run-integration

# Installs what the tests need first (scripts/install-deps; root).
# One summary line at the end: "N passed, N failed".
check: deps all $(UNIT_BIN) $(PROG_BIN)
	@tests/run-all $(UNIT_BIN)

deps:
	@scripts/install-deps

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

# Optional targets (fuzzing, sanitizers, benchmarks) live in mk/.
-include mk/*.mk
