# modules/auth-sql: passwords from the credentials table in PostgreSQL.
module_LTLIBRARIES += modules/auth-sql/auth-sql.la
%canon_reldir%_auth_sql_la_SOURCES = %reldir%/auth-sql.cc
%canon_reldir%_auth_sql_la_CXXFLAGS = $(MODULE_CXX)
%canon_reldir%_auth_sql_la_LDFLAGS = $(MODULE_LINK)
# DbResult's inline accessors call libpq directly.
%canon_reldir%_auth_sql_la_LIBADD = src/libsora.la $(PQ_LIBS)

check_PROGRAMS += %reldir%/auth-sql-test
TESTS += %reldir%/auth-sql-test
%canon_reldir%_auth_sql_test_SOURCES = %reldir%/auth-sql-test.cc
%canon_reldir%_auth_sql_test_CPPFLAGS = $(UNIT_CPP) \
	-DAUTH_SQL_SO='"$(abs_builddir)/%reldir%/.libs/auth-sql.so"'
%canon_reldir%_auth_sql_test_LDADD = $(UNIT_LIBS) $(PQ_LIBS) -ldl
