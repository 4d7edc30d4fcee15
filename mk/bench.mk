# make bench: the benchmark suite (bench/run.sh): socksify against proxychains4,
# torsocks, Dante's client and tsocks, side by side.  Needs root and the Debian
# packages dante-server, dante-client, proxychains4, torsocks, tsocks, valgrind.
#   make bench                 about 3 minutes; bulk test 256 MiB
#   make bench BENCH_ARGS=--full   bulk test 1 GiB
#   make bench BENCH_ARGS=--quick  smaller runs, about 1 minute
#   make bench BENCH_ARGS=--only=routes   instructions per connect with 100 route
#                              rules against none (callgrind), alone
#   make bench BENCH_ARGS=--only=async    non-blocking connect + poll against
#                              blocking (microsocks), and threads per 1,000, alone
.PHONY: bench
BENCH_ARGS ?=

$(B)/bench/benchtool: bench/benchtool.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=gnu11 -D_GNU_SOURCE $(WARNFLAGS) -o $@ $< -lpthread

bench: all $(B)/bench/benchtool
	bench/run.sh $(BENCH_ARGS)
