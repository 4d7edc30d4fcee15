# mk/sanitize.mk - the library and the unit tests under sanitizers.
#
#   make check-sanitize   ASan+UBSan build in build-asan/: unit tests, then the
#                         integration suite with that library preloaded
#   make check-valgrind   unit tests and most integration tests (VG_TESTS) under
#                         valgrind (about 11 minutes on 2 cores)
#   make check-tsan       ThreadSanitizer builds in build-tsan/: the library and the
#                         threaded test programs (tests/tsan-run)
#   make check-ubsan      the integration suite with a UBSan library (build-ubsan/)
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

# The builds themselves are the Makefile's SAN switch (make SAN=asan|ubsan|tsan,
# into build-asan/, build-ubsan/, build-tsan/); the targets here run them.
SB          = build-asan
# (asked of the compiler once, when first needed: SAN_WRAPPER is exported)
SAN_RUNTIME = $(eval SAN_RUNTIME := $(shell $(CC) -print-file-name=libasan.so))$(SAN_RUNTIME)
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
# out are 050_lab_reference 920_show_config 922_man_pages (no program under
# socksify), 460_eventloops (the JVM's stack banging: ~1000 "invalid write"
# reports, and 71 s), 620_pipelining_microsocks (counts round trips: fails when
# valgrind's overhead meets a loaded machine), and for time only
# 230_node (15) 500_dns_remote_clients (21) 510_dns_remote_ssh_git (16) 800/810/840/850
# GSS (24 17 12 45) -- all clean under valgrind when last run in full (17 min
# for all 61).  The whole target takes about 11 minutes.
VG_TESTS   ?= 100_danted_none 110_danted_username 120_microsocks 130_ssh_dynamic 140_socks4 \
              150_chain 160_failover 170_socks4_real 200_curl 210_wget 220_python 240_nc \
              250_ssh_client 260_git 270_ipv6_dest 300_proxy_down 310_reply_codes \
              320_reply_parsing 330_timeouts 350_logging 360_direct 370_config \
              380_hostile_close 381_hostile_protocol 382_wrapper 390_hostile_creds \
              391_hostile_deadline 392_hostile_socks4 393_socket_semantics 400_threads \
              410_fd_lifecycle 450_nonblocking 470_bind 480_stress 490_stress_slow_proxy \
              520_dns_resolver_api 530_dns_local_names 540_dns_local_mode \
              600_pipelining_danted 610_pipelining_ssh 700_udp_danted 710_udp_own_server \
              720_udp_dig 820_gss_confidentiality 830_gss_failures 900_check \
              910_check_dns_allproxy 921_wrapper_options

.PHONY: check-sanitize check-sanitize-unit check-sanitize-integration check-tsan \
        check-asan-integration check-ubsan \
        check-valgrind check-valgrind-unit check-valgrind-integration
SAN_MAKE    = $(MAKE) --no-print-directory

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

# Check's per-test timeouts are for the plain build: an ASan build forks and
# runs several times slower (the dnsmap fork storm most of all).
check-sanitize-unit:
	@rm -rf $(SAN_REPORTS); mkdir -p $(SAN_REPORTS)
	@CK_TIMEOUT_MULTIPLIER=$${CK_TIMEOUT_MULTIPLIER:-4} \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(SAN_MAKE) SAN=asan check-unit

check-sanitize-integration: $(SB)/socksify $(SB)/asan-shim.so $(PROG_BIN)
	@$(SAN_MAKE) SAN=asan $(SB)/libsocksify.so
	@rm -rf $(SAN_REPORTS); mkdir -p $(SAN_REPORTS)
	@SX_LIB=$(CURDIR)/$(SB)/libsocksify.so SX_SOCKSIFY=$(CURDIR)/$(SB)/socksify \
	  SX_PRELOAD_PREFIX="$(SAN_RUNTIME) $(CURDIR)/$(SB)/asan-shim.so" \
	  ASAN_OPTIONS="$(SAN_ASAN_OPTIONS)" UBSAN_OPTIONS="$(SAN_UBSAN_OPTIONS)" \
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

# Valgrind: the unit tests without Check's fork (one process to watch; a suite
# whose tests need a process each, test_registry, sets fork mode itself), their
# timeouts x4 and SX_UNDER_VALGRIND set (fewer rounds of the fork loops), then
# the integration tests of VG_TESTS with the ordinary library and valgrind
# around the client only (--trace-children=no), its reports judged by
# tests/vg-report.  check-valgrind-unit and check-valgrind-integration alone
# too.
check-valgrind-unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do \
	  echo "== valgrind $$t"; \
	  CK_FORK=no CK_TIMEOUT_MULTIPLIER=4 SX_UNDER_VALGRIND=1 $(VG) $$t || fail=1; \
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
TSAN_REPORTS = $(CURDIR)/$(TB)/reports

# ThreadSanitizer must come with the executable (a TSan runtime preloaded
# into a program built without it crashes), so the threaded test programs
# are built with it too (SAN=tsan builds build-tsan/progs/), and the library
# is preloaded after it.
TSAN_PROGS = threads stress nbconnect

check-tsan:
	@$(SAN_MAKE) SAN=tsan $(TB)/libsocksify.so $(TSAN_PROGS:%=$(TB)/progs/%)
	@rm -rf $(TSAN_REPORTS); mkdir -p $(TSAN_REPORTS)
	@tests/tsan-run $(CURDIR)/$(TB)/libsocksify.so $(CURDIR)/$(TB)/progs \
	  $(TSAN_REPORTS); rc=$$?; \
	if ls $(TSAN_REPORTS)/* >/dev/null 2>&1; then \
	  echo "ThreadSanitizer reports in $(TSAN_REPORTS):"; head -n 80 $(TSAN_REPORTS)/*; exit 1; fi; \
	exit $$rc

# The whole integration suite with an UndefinedBehaviorSanitizer build of the
# library (issue 9).  Its runtime is linked into the library itself
# (-static-libubsan), so it preloads into any program (curl, ssh, python...)
# with no runtime to put first, unlike ASan.  Any report fails the run.
UB          = build-ubsan

check-ubsan: all $(PROG_BIN)
	@$(SAN_MAKE) SAN=ubsan $(UB)/libsocksify.so
	@rm -rf $(UB)/reports && mkdir -p $(UB)/reports
	@echo "== integration tests with the UBSan library"
	@SOCKSIFY_LIBRARY=$(abspath $(UB)/libsocksify.so) \
	 SX_LIB=$(abspath $(UB)/libsocksify.so) \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$(abspath $(UB))/reports/ubsan \
	 tests/run-integration; r=$$?; \
	 if ls $(UB)/reports/ubsan* >/dev/null 2>&1; then \
	   echo "UBSan reports:"; cat $(UB)/reports/ubsan*; exit 1; fi; \
	 exit $$r
