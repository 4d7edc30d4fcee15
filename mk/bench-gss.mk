# make bench-gss: GSS-API data path throughput (issue 4; bench/gss.sh, bench/GSS.txt).
# Raw gss_wrap/gss_unwrap speed (bench/gss_raw.c, linked to Heimdal directly) against
# bulk transfers (bench/gss_bulk.c) through socksify at clear, integrity and
# confidentiality, to the fake GSS-API server (tests/progs/gss_server.c)
# and to the GSS-API Dante (tests/lab/build-dante-gss.sh, when built).  Needs root and
# heimdal-dev, heimdal-kdc, heimdal-clients.
#   make bench-gss                          512 MiB per transfer, best of 3
#   make bench-gss BENCH_GSS_ARGS=--quick   64 MiB, one round
.PHONY: bench-gss
BENCH_GSS_ARGS ?=
KRB5_CONFIG_TOOL ?= krb5-config.heimdal

$(B)/bench/gss_raw: bench/gss_raw.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=gnu11 -D_GNU_SOURCE $(WARNFLAGS) \
	  $(shell $(KRB5_CONFIG_TOOL) --cflags gssapi) -o $@ $< \
	  $(shell $(KRB5_CONFIG_TOOL) --libs gssapi)

$(B)/bench/gss_bulk: bench/gss_bulk.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=gnu11 -D_GNU_SOURCE $(WARNFLAGS) -o $@ $<

bench-gss: all $(B)/bench/gss_raw $(B)/bench/gss_bulk $(B)/progs/gss_server
	bench/gss.sh $(BENCH_GSS_ARGS)
