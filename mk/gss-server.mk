# mk/gss-server.mk - tests/progs/gss_server.c, the fake GSS-API SOCKS 5 server
# (tests/integration/860_gss_hostile.sh, bench/gss.sh), needs Heimdal's GSS-API
# (heimdal-dev): this explicit rule wins over the Makefile's pattern rule for
# build/progs/%, which has no Kerberos flags.  The flags are read when the
# recipe runs, after `make deps` may have installed heimdal-dev.  Its second
# source is in tests/progs/gss/, out of the Makefile's tests/progs/*.c.
GSS_SERVER_CFG = krb5-config.heimdal
GSS_SERVER_SRC = tests/progs/gss_server.c tests/progs/gss/gss_server_io.c

$(B)/progs/gss_server: $(GSS_SERVER_SRC) tests/progs/gss/gss_server_io.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=gnu11 -D_GNU_SOURCE $(WARNFLAGS) \
	  $$($(GSS_SERVER_CFG) --cflags gssapi) -o $@ $(GSS_SERVER_SRC) \
	  $$($(GSS_SERVER_CFG) --libs gssapi) -lpthread
