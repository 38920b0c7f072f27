# modules/auth-sql: passwords from the credentials table in PostgreSQL.
module_LTLIBRARIES += modules/auth-sql/auth-sql.la
%canon_reldir%_auth_sql_la_SOURCES = %reldir%/auth-sql.cc
%canon_reldir%_auth_sql_la_CXXFLAGS = $(MODULE_CXX)
%canon_reldir%_auth_sql_la_LDFLAGS = $(MODULE_LINK)
# DbResult's inline accessors call libpq directly.
%canon_reldir%_auth_sql_la_LIBADD = src/libsora.la $(PQ_LIBS)

