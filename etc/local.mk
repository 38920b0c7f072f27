# etc: the annotated default configuration, installed as
# $(sysconfdir)/sora/sora.conf with the build's folders filled in. An
# existing file is the operator's and is never overwritten; uninstall removes
# the file only while it is still exactly what install wrote.
sorasysconfdir = $(sysconfdir)/sora
EXTRA_DIST += %reldir%/sora.conf
CLEANFILES += %reldir%/sora.conf.install

# [@] keeps configure from substituting the placeholders in this rule.
%reldir%/sora.conf.install: $(srcdir)/%reldir%/sora.conf Makefile
	$(AM_V_GEN)$(MKDIR_P) %reldir% && \
	sed -e 's|@moduledir[@]|$(moduledir)|g' -e 's|@runstatedir[@]|$(runstatedir)|g' \
	  $(srcdir)/%reldir%/sora.conf > $@.tmp && mv $@.tmp $@

install-data-local: install-sora-conf
uninstall-local: uninstall-sora-conf
.PHONY: install-sora-conf uninstall-sora-conf

install-sora-conf: %reldir%/sora.conf.install
	@$(NORMAL_INSTALL)
	$(MKDIR_P) '$(DESTDIR)$(sorasysconfdir)'
	@f='$(DESTDIR)$(sorasysconfdir)/sora.conf'; \
	if test -e "$$f"; then \
	  echo "keeping $$f (the new default is $(srcdir)/%reldir%/sora.conf)"; \
	else \
	  echo " $(INSTALL_DATA) %reldir%/sora.conf.install '$$f'"; \
	  $(INSTALL_DATA) %reldir%/sora.conf.install "$$f"; \
	fi

uninstall-sora-conf: %reldir%/sora.conf.install
	@$(NORMAL_UNINSTALL)
	@f='$(DESTDIR)$(sorasysconfdir)/sora.conf'; \
	if test -f "$$f" && cmp -s "$$f" %reldir%/sora.conf.install; then \
	  echo " rm -f '$$f'"; rm -f "$$f"; \
	elif test -e "$$f"; then \
	  echo "keeping $$f: it was changed"; \
	fi; \
	rmdir '$(DESTDIR)$(sorasysconfdir)' 2>/dev/null || :
