# mk/sanitize.mk - the library and the unit tests under sanitizers.
#
#   make check-sanitize   ASan+UBSan build in build-asan/: unit tests, then the
#                         integration suite with that library preloaded
#   make check-valgrind   unit tests and most integration tests (VG_TESTS) under
#                         valgrind (about 11 minutes on 2 cores)
#   make check-tsan       ThreadSanitizer builds in build-tsan/: the library and the
#                         threaded test programs (tests/tsan-run)
#
# A preloaded ASan library needs the ASan runtime loaded before it, so
# build-asan/socksify (a wrapper around scripts/socksify, which appends its
# library to LD_PRELOAD) puts the runtime first, and mk/asan-shim.c's little
# library after it (without it curl, wget and git deadlock at start: see there).
# tests/lab/lab.sh picks the wrapper and the library from SX_SOCKSIFY and SX_LIB.
#
# Real errors stay fatal: ASan stops at the first error, UBSan is built
# without recovery, and every report also goes to build-asan/reports/, which
# must be empty at the end (a test that expects its command to fail cannot
# hide a report that way).  Leak checking is on for the unit tests and off
# for the programs run under the library (curl, ssh, python... have their
# own "leaks" at exit, which are not ours).

SAN_FLAGS   = -O2 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=undefined
SB          = build-asan
SAN_PURE    = $(PURE_SRC:%.c=$(SB)/obj/%.o)
SAN_CORE    = $(CORE_SRC:%.c=$(SB)/obj/%.o)
SAN_UNIT    = $(UNIT_SRC:tests/unit/%.c=$(SB)/tests/%)
SAN_RUNTIME = $(shell $(CC) -print-file-name=libasan.so)
SAN_REPORTS = $(CURDIR)/$(SB)/reports
SAN_ASAN_OPTIONS  = detect_leaks=0:abort_on_error=1:halt_on_error=1:log_path=$(SAN_REPORTS)/asan
SAN_UBSAN_OPTIONS = print_stacktrace=1:halt_on_error=1:log_path=$(SAN_REPORTS)/ubsan

# --fair-sched=yes: valgrind runs one thread at a time, and by default a thread
# that spins keeps the lock; test_dnsmap's fork-while-threads-run storm then
# takes up to 30 s a round (its 10 s alarm fired, and Check's SIGALRM handler
# in no-fork mode does killpg(0, SIGKILL): the "SIGKILLed" run); fair, 8 s in all.
VG          = valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
              --track-origins=yes --quiet --fair-sched=yes
# Around the programs of the integration tests: every report goes to a file
# (tests/vg-report judges them: any error fails, a leak only if it passes through
# libsocksify), as a test that expects its command to fail would not notice
# valgrind's exit status.
VG_REPORTS  = $(CURDIR)/$(SB)/vg-reports
VG_INT      = valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \
              --errors-for-leak-kinds=none --track-origins=yes --quiet --fair-sched=yes \
              --trace-children=no \
              --log-file=$(VG_REPORTS)/vg.%p \
              $(patsubst %,--suppressions=%,$(wildcard /usr/lib/valgrind/python3.supp))
# The integration tests run with valgrind around their programs: all that drive
# C programs (ours, curl, wget, git, ssh, nc, dig, host), the hostile servers, two
# GSS-API ones, the wrapper's own.  Measured under valgrind on 2 cores (s): left
# out are 05_lab_reference 92_show_config 94_man_pages (no program under
# socksify), 46_eventloops (the JVM's stack banging: ~1000 "invalid write"
# reports, and 71 s), 62_pipelining_microsocks (counts round trips: fails when
# valgrind's overhead meets a loaded machine), and for time only
# 23_node (15) 50_dns_remote_clients (21) 51_dns_remote_ssh_git (16) 80/81/84/85
# GSS (24 17 12 45) -- all clean under valgrind when last run in full (17 min
# for all 61).  The whole target takes about 11 minutes.
VG_TESTS   ?= 10_danted_none 11_danted_username 12_microsocks 13_ssh_dynamic 14_socks4 \
              15_chain 16_failover 17_socks4_real 20_curl 21_wget 22_python 24_nc \
              25_ssh_client 26_git 27_ipv6_dest 30_proxy_down 31_reply_codes \
              32_reply_parsing 33_timeouts 35_logging 36_direct 37_config \
              38_hostile_close 38_hostile_protocol 38_wrapper 39_hostile_creds \
              39_hostile_deadline 39_hostile_socks4 39_socket_semantics 40_threads \
              41_fd_lifecycle 45_nonblocking 47_bind 48_stress 49_stress_slow_proxy \
              52_dns_resolver_api 53_dns_local_names 54_dns_local_mode \
              60_pipelining_danted 61_pipelining_ssh 70_udp_danted 71_udp_own_server \
              72_udp_dig 82_gss_confidentiality 83_gss_failures 90_check \
              91_check_dns_allproxy 93_wrapper_options

.PHONY: check-sanitize check-sanitize-unit check-sanitize-integration check-tsan \
        check-asan-integration \
        check-valgrind check-valgrind-unit check-valgrind-integration
.SECONDARY: $(SAN_PURE) $(SAN_CORE)

$(SB)/obj/%.o: %.c $(HEADERS) mk/sanitize.mk
	@mkdir -p $(dir $@)
	@echo "  CC/SAN  $<"
	@$(CC) $(SAN_FLAGS) $(SX_CFLAGS) -c -o $@ $<

$(SB)/libsocksify.so: $(SAN_PURE) $(SAN_CORE)
	$(CC) $(SAN_FLAGS) -shared -Wl,-soname,libsocksify.so -Wl,-z,defs -Wl,-z,now \
	  -o $@ $^ $(LDLIBS_LIB)

$(SB)/tests/%: tests/unit/%.c $(SAN_PURE) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) $(SX_CFLAGS) $(CHECK_CFLAGS) -fvisibility=default -o $@ $< \
	  $(SAN_PURE) $(CHECK_LIBS)

# A preloaded ASan runtime deadlocks programs linked with p11-kit (curl, wget,
# git's http helper) unless swift_demangle exists: see mk/asan-shim.c.
$(SB)/asan-shim.so: mk/asan-shim.c mk/sanitize.mk
	@mkdir -p $(dir $@)
	$(CC) -O2 -shared -fPIC $(WARNFLAGS) -o $@ $<

# scripts/socksify with the ASan runtime (and the shim) first in LD_PRELOAD (the
# script appends its library to LD_PRELOAD).
define SAN_WRAPPER
#!/bin/sh
# generated by mk/sanitize.mk: scripts/socksify with the ASan+UBSan library
LD_PRELOAD="$(SAN_RUNTIME) $(CURDIR)/$(SB)/asan-shim.so$${LD_PRELOAD:+ $$LD_PRELOAD}"
SOCKSIFY_LIBRARY="$(CURDIR)/$(SB)/libsocksify.so"
ASAN_OPTIONS="$(SAN_ASAN_OPTIONS)$${SX_ASAN_OPTIONS:+:$$SX_ASAN_OPTIONS}"
UBSAN_OPTIONS="$(SAN_UBSAN_OPTIONS)"
export LD_PRELOAD SOCKSIFY_LIBRARY ASAN_OPTIONS UBSAN_OPTIONS
exec "$(CURDIR)/scripts/socksify" "$$@"
endef

# scripts/socksify OPTIONS -- valgrind ... COMMAND: valgrind runs the
# program only (the library is the ordinary build/libsocksify.so).
# Wrapper modes without a command (--check, --show-config, --help...) run as they are.
define SAN_VG_WRAPPER
#!/bin/bash
# generated by mk/sanitize.mk: scripts/socksify running COMMAND under valgrind
sx="$(CURDIR)/scripts/socksify"
opts=()
while [ $$# -gt 0 ]; do
	case $$1 in
	-c|-s|-u|--dns|--engine) [ $$# -ge 2 ] || exec "$$sx" "$${opts[@]}" "$$@"
		opts+=("$$1" "$$2"); shift 2 ;;
	--check|--show-config|--check-engine|--shell|-h|--help|--version|on|off)
		exec "$$sx" "$${opts[@]}" "$$@" ;;
	--) shift; break ;;
	-*) opts+=("$$1"); shift ;;
	*) break ;;
	esac
done
[ $$# -gt 0 ] || exec "$$sx" "$${opts[@]}"
exec "$$sx" "$${opts[@]}" -- $(VG_INT) "$$@"
endef
export SAN_WRAPPER SAN_VG_WRAPPER

$(SB)/socksify: mk/sanitize.mk
	@mkdir -p $(dir $@)
	@printf '%s\n' "$$SAN_WRAPPER" >$@
	@chmod 755 $@

$(SB)/vg-socksify: mk/sanitize.mk
	@mkdir -p $(dir $@)
	@printf '%s\n' "$$SAN_VG_WRAPPER" >$@
	@chmod 755 $@

# Reports found in $(SAN_REPORTS) fail the target (and are shown).
SAN_CHECK_REPORTS = if ls $(SAN_REPORTS)/* >/dev/null 2>&1; then \
	  echo "sanitizer reports in $(SAN_REPORTS):"; \
	  head -n 60 $(SAN_REPORTS)/*; exit 1; fi

check-sanitize-unit: $(SAN_UNIT)
	@rm -rf $(SAN_REPORTS); mkdir -p $(SAN_REPORTS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/run-unit $(SAN_UNIT)

check-sanitize-integration: $(SB)/libsocksify.so $(SB)/socksify $(SB)/asan-shim.so $(PROG_BIN)
	@rm -rf $(SAN_REPORTS); mkdir -p $(SAN_REPORTS)
	@SX_LIB=$(CURDIR)/$(SB)/libsocksify.so SX_SOCKSIFY=$(CURDIR)/$(SB)/socksify \
	  tests/run-integration $(SAN_TESTS); rc=$$?; $(SAN_CHECK_REPORTS); exit $$rc

# The whole integration suite with the ASan library (CI runs this name; it
# once had to leave out the tests driving curl, wget and git: mk/asan-shim.c).
check-asan-integration:
	@echo "== integration tests with the ASan library"
	@$(MAKE) --no-print-directory check-sanitize-integration

check-sanitize:
	@$(MAKE) --no-print-directory check-sanitize-unit; u=$$?; \
	 $(MAKE) --no-print-directory check-sanitize-integration; i=$$?; \
	 echo "check-sanitize: unit exit $$u, integration exit $$i"; \
	 [ $$u = 0 ] && [ $$i = 0 ]

# Valgrind: the unit tests without Check's fork (one process to watch), then
# the integration tests of VG_TESTS with the ordinary library and valgrind
# around the client only (--trace-children=no), its reports judged by
# tests/vg-report.  check-valgrind-unit and check-valgrind-integration alone
# too.
check-valgrind-unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do \
	  echo "== valgrind $$t"; \
	  CK_FORK=no $(VG) $$t || fail=1; \
	done; exit $$fail

check-valgrind-integration: all $(PROG_BIN) $(SB)/vg-socksify
	@rm -rf $(VG_REPORTS); mkdir -p $(VG_REPORTS)
	@tests=; for t in $(VG_TESTS); do tests="$$tests tests/integration/$$t.sh"; done; \
	SX_SOCKSIFY=$(CURDIR)/$(SB)/vg-socksify SX_TEST_TIMEOUT=300 SX_UNDER_VALGRIND=1 \
	  tests/run-integration $$tests; rc=$$?; \
	tests/vg-report $(VG_REPORTS) || rc=1; exit $$rc

check-valgrind:
	@$(MAKE) --no-print-directory check-valgrind-unit; u=$$?; \
	 $(MAKE) --no-print-directory check-valgrind-integration; i=$$?; \
	 echo "check-valgrind: unit exit $$u, integration exit $$i"; \
	 [ $$u = 0 ] && [ $$i = 0 ]

# ThreadSanitizer: the library built with -fsanitize=thread and the threaded
# test programs built with it too (tests/tsan-run: threads 8 x 50 connections,
# nbconnect epoll and poll 100 each, stress 16 x 500 with fork/vfork/posix_spawn,
# closes from other threads and signals; about 5 s), against microsocks on
# loopback.  Any report fails the target.
TB          = build-tsan
TSAN_FLAGS  = -O1 -g -fno-omit-frame-pointer -fsanitize=thread
TSAN_OBJ    = $(PURE_SRC:%.c=$(TB)/obj/%.o) $(CORE_SRC:%.c=$(TB)/obj/%.o)
TSAN_REPORTS = $(CURDIR)/$(TB)/reports
TSAN_TESTS ?= 40_threads
.SECONDARY: $(TSAN_OBJ)

$(TB)/obj/%.o: %.c $(HEADERS) mk/sanitize.mk
	@mkdir -p $(dir $@)
	@echo "  CC/TSAN $<"
	@$(CC) $(TSAN_FLAGS) $(SX_CFLAGS) -c -o $@ $<

$(TB)/libsocksify.so: $(TSAN_OBJ)
	$(CC) $(TSAN_FLAGS) -shared -Wl,-soname,libsocksify.so -Wl,-z,defs -Wl,-z,now \
	  -o $@ $^ $(LDLIBS_LIB)

define TSAN_WRAPPER
#!/bin/sh
# generated by mk/sanitize.mk: scripts/socksify with the TSan library
LD_PRELOAD="$(shell $(CC) -print-file-name=libtsan.so)$${LD_PRELOAD:+ $$LD_PRELOAD}"
SOCKSIFY_LIBRARY="$(CURDIR)/$(TB)/libsocksify.so"
TSAN_OPTIONS="halt_on_error=1:abort_on_error=1:log_path=$(TSAN_REPORTS)/tsan"
export LD_PRELOAD SOCKSIFY_LIBRARY TSAN_OPTIONS
exec "$(CURDIR)/scripts/socksify" "$$@"
endef
export TSAN_WRAPPER

$(TB)/socksify: mk/sanitize.mk
	@mkdir -p $(dir $@)
	@printf '%s\n' "$$TSAN_WRAPPER" >$@
	@chmod 755 $@

# ThreadSanitizer must come with the executable (a TSan runtime preloaded
# into a program built without it crashes), so the threaded test programs
# are built with it too, and the library is preloaded after it.
TSAN_PROGS = threads stress nbconnect
$(TB)/progs/%: tests/progs/%.c
	@mkdir -p $(dir $@)
	@$(CC) -O1 -g -fsanitize=thread -std=gnu11 -D_GNU_SOURCE $(WARNFLAGS) -o $@ $< -lpthread

check-tsan: $(TB)/libsocksify.so $(TSAN_PROGS:%=$(TB)/progs/%)
	@rm -rf $(TSAN_REPORTS); mkdir -p $(TSAN_REPORTS)
	@tests/tsan-run $(CURDIR)/$(TB)/libsocksify.so $(CURDIR)/$(TB)/progs \
	  $(CURDIR)/$(TSAN_REPORTS); rc=$$?; \
	if ls $(TSAN_REPORTS)/* >/dev/null 2>&1; then \
	  echo "ThreadSanitizer reports in $(TSAN_REPORTS):"; head -n 80 $(TSAN_REPORTS)/*; exit 1; fi; \
	exit $$rc
