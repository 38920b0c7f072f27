# Migrations: installed for reference and compiled into libsora, so a build
# knows exactly the schema it was made for. Add new files to SORA_MIGRATIONS.
SORA_MIGRATIONS = \
	%reldir%/0001-accounts.sql \
	%reldir%/0002-blobs.sql

dist_sql_DATA += $(SORA_MIGRATIONS)
EXTRA_DIST += %reldir%/gen-migrations.sh

# Generated in the build tree: srcdir may be read-only (make distcheck).
nodist_src_libsora_la_SOURCES = %reldir%/migrations.cc
BUILT_SOURCES = %reldir%/migrations.cc
CLEANFILES += %reldir%/migrations.cc

%reldir%/migrations.cc: $(SORA_MIGRATIONS) %reldir%/gen-migrations.sh
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	$(SHELL) $(srcdir)/%reldir%/gen-migrations.sh $(SORA_MIGRATIONS:%=$(srcdir)/%) >$@.tmp && \
	mv $@.tmp $@
