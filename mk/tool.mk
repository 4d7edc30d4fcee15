# mk/tool.mk - socksify-tool (behind `socksify --check` and `socksify
# --show-config`) and the man pages.
#
#   make                  also builds build/socksify-tool
#   make install-tool     socksify-tool into LIBDIR (next to the library, where
#                         the installed wrapper looks for it), the man pages
#                         into MANDIR; `make install` runs it
#   make check-man        lint the man pages (mandoc -T lint, groff -ww -z)
#
# The tool links the library's own objects except the hooks (src/hook/), from
# an archive, so the linker takes only what the tool uses: it reads the same
# files and variables, with the same code, as a socksified program.

TOOL_SRC    = $(sort $(wildcard src/tool/*.c))
TOOL_OBJ    = $(TOOL_SRC:%.c=$(B)/obj/%.o)
TOOL_LIBOBJ = $(NOHOOK_OBJ)
MAN_PAGES   = man/socksify.1 man/socksify.conf.5

.PHONY: tool install-tool uninstall-tool check-man
all: $(B)/socksify-tool
tool: $(B)/socksify-tool
install: install-tool
uninstall: uninstall-tool

$(B)/tool/libsx.a: $(TOOL_LIBOBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(AR) rcs $@ $^

$(B)/socksify-tool: $(TOOL_OBJ) $(B)/tool/libsx.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(TOOL_OBJ) $(B)/tool/libsx.a -ldl -lpthread

install-tool: $(B)/socksify-tool
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 0755 $(B)/socksify-tool $(DESTDIR)$(LIBDIR)/socksify-tool
	install -m 0644 man/socksify.1 $(DESTDIR)$(MANDIR)/man1/socksify.1
	install -m 0644 man/socksify.conf.5 $(DESTDIR)$(MANDIR)/man5/socksify.conf.5

uninstall-tool:
	rm -f $(DESTDIR)$(LIBDIR)/socksify-tool $(DESTDIR)$(MANDIR)/man1/socksify.1 \
	  $(DESTDIR)$(MANDIR)/man5/socksify.conf.5

check-man:
	mandoc -T lint -W warning $(MAN_PAGES)
	@for m in $(MAN_PAGES); do \
	  out=$$(LC_ALL=C.UTF-8 groff -ww -z -man -t $$m 2>&1); \
	  if [ -n "$$out" ]; then echo "$$m: $$out"; exit 1; fi; done
	@echo "man pages: no warnings"
