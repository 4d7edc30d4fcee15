# make bench-startup: `socksify /bin/true` (the C command) against proxychains4's C
# wrapper, in one hyperfine run (bench/startup.sh); BENCH_STARTUP_RUNS runs each.
.PHONY: bench-startup
BENCH_STARTUP_RUNS ?= 1000
bench-startup: all
	bench/startup.sh $(BENCH_STARTUP_RUNS)
