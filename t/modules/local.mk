# Modules built only for the integration tests in t/.
check_LTLIBRARIES += %reldir%/proto-authtest/proto-authtest.la
%canon_reldir%_proto_authtest_proto_authtest_la_SOURCES = %reldir%/proto-authtest/proto-authtest.cc
%canon_reldir%_proto_authtest_proto_authtest_la_CXXFLAGS = $(MODULE_CXX)
%canon_reldir%_proto_authtest_proto_authtest_la_LDFLAGS = $(TEST_MODULE_LINK) \
	-export-symbols-regex '^sora_module$$'
%canon_reldir%_proto_authtest_proto_authtest_la_LIBADD = src/libsora.la $(UV_LIBS)
