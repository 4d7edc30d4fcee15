# make bench-startup: `socksify /bin/true` (the C command) against proxychains4's C
# wrapper, measured together with hyperfine (bench/startup.sh): BENCH_STARTUP_ROUNDS
# rounds of BENCH_STARTUP_RUNS runs of each command.
.PHONY: bench-startup
BENCH_STARTUP_RUNS ?= 300
BENCH_STARTUP_ROUNDS ?= 5
bench-startup: all
	bench/startup.sh $(BENCH_STARTUP_RUNS) $(BENCH_STARTUP_ROUNDS)
