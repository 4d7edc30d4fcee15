# mk/tool.mk - the socksify command (build/socksify) and the man pages.
#
#   make                  also builds build/socksify (and build/socksify-tool, a
#                         link to it that takes the older tool's command line)
#   make install-tool     the command into BINDIR (built with LIBDIR compiled
#                         in: build/install/socksify), the man pages into
#                         MANDIR; `make install` runs it
#   make check-man        lint the man pages (mandoc -T lint, groff -ww -z)
#
# The command links the library's own objects except the hooks (src/hook/),
# from an archive, so the linker takes only what it uses: it reads the same
# files and variables, with the same code, as a socksified program.  It links
# the engines (src/engine/) too.  build/socksify finds the library next to
# itself (the source tree); the installed one in LIBDIR (src/tool/libdir.c).

TOOL_SRC    = $(sort $(wildcard src/tool/*.c))
TOOL_OBJ    = $(TOOL_SRC:%.c=$(B)/obj/%.o)
TOOL_ENGINE_OBJ = $(patsubst %.c,$(B)/obj/%.o,$(sort $(wildcard src/engine/*.c)))
TOOL_LIBOBJ = $(filter-out $(B)/obj/src/hook/%,$(PURE_OBJ) $(CORE_OBJ))
TOOL_LDLIBS = -Wl,--as-needed -ldl -lpthread
MAN_PAGES   = man/socksify.1 man/socksify.conf.5

.PHONY: tool install-tool uninstall-tool check-man FORCE
all: $(B)/socksify $(B)/socksify-tool
tool: $(B)/socksify $(B)/socksify-tool
install: install-tool
uninstall: uninstall-tool

$(B)/tool/libsx.a: $(TOOL_LIBOBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(AR) rcs $@ $^

$(B)/socksify: $(TOOL_OBJ) $(TOOL_ENGINE_OBJ) $(B)/tool/libsx.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(TOOL_LDLIBS)

$(B)/socksify-tool: $(B)/socksify
	ln -f $< $@

# The installed command: the same objects, but libdir.c knows LIBDIR
# (rebuilt every time: LIBDIR may differ from the last install).
$(B)/install/libdir.o: src/tool/libdir.c FORCE
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SX_CFLAGS) -DSX_LIBDIR='"$(LIBDIR)"' -c -o $@ $<

$(B)/install/socksify: $(filter-out %/libdir.o,$(TOOL_OBJ)) $(B)/install/libdir.o \
		$(TOOL_ENGINE_OBJ) $(B)/tool/libsx.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(TOOL_LDLIBS)

install-tool: $(B)/install/socksify
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 0755 $(B)/install/socksify $(DESTDIR)$(BINDIR)/socksify
	install -m 0644 man/socksify.1 $(DESTDIR)$(MANDIR)/man1/socksify.1
	install -m 0644 man/socksify.conf.5 $(DESTDIR)$(MANDIR)/man5/socksify.conf.5

uninstall-tool:
	rm -f $(DESTDIR)$(BINDIR)/socksify $(DESTDIR)$(MANDIR)/man1/socksify.1 \
	  $(DESTDIR)$(MANDIR)/man5/socksify.conf.5

check-man:
	mandoc -T lint -W warning $(MAN_PAGES)
	@for m in $(MAN_PAGES); do \
	  out=$$(LC_ALL=C.UTF-8 groff -ww -z -man -t $$m 2>&1); \
	  if [ -n "$$out" ]; then echo "$$m: $$out"; exit 1; fi; done
	@echo "man pages: no warnings"
