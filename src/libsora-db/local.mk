src_libsora_la_SOURCES += \
	%reldir%/accounts.cc \
	%reldir%/accounts.h \
	%reldir%/db-config.cc \
	%reldir%/db-settings.h \
	%reldir%/migration-list.h \
	%reldir%/pg-connection.cc \
	%reldir%/pg-connection.h \
	%reldir%/pg-pool.h \
	%reldir%/pg.cc \
	%reldir%/schema.cc \
	%reldir%/schema.h \
	%reldir%/uv-handle.h

# Needs a live PostgreSQL (SORA_TEST_CONNINFO); the pytest suite runs it
# against a private cluster, so it is built by `make check` but not in TESTS.
check_PROGRAMS += %reldir%/db-test
%canon_reldir%_db_test_SOURCES = %reldir%/db-test.cc
%canon_reldir%_db_test_CPPFLAGS = $(UNIT_CPP)
%canon_reldir%_db_test_LDADD = $(UNIT_LIBS) $(UV_LIBS) $(PQ_LIBS)
