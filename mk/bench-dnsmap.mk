# make bench-dnsmap: the remote-DNS table with 1 M distinct names (bench/dnsmap.c).
#   BENCH_DNSMAP_ARGS="NAMES CAPACITY"   (default: 1000000 65536)
.PHONY: bench-dnsmap
BENCH_DNSMAP_ARGS ?=

$(B)/bench/dnsmap: bench/dnsmap.c $(PURE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SX_CFLAGS) -o $@ $< $(PURE_OBJ) -lpthread

bench-dnsmap: $(B)/bench/dnsmap
	$(B)/bench/dnsmap $(BENCH_DNSMAP_ARGS)
