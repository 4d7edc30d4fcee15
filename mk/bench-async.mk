# Non-blocking connects through a slow proxy (issue 6): bench/async.sh.
.PHONY: bench-async
bench-async: all $(B)/progs/nbconnect
	bench/async.sh $(BENCH_DELAY_MS)
