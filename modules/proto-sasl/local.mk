# modules/proto-sasl: the Dovecot authentication protocol for MTAs (Postfix
# smtpd_sasl_type = dovecot), protocol name "sasl".
module_LTLIBRARIES += modules/proto-sasl/proto-sasl.la
%canon_reldir%_proto_sasl_la_SOURCES = %reldir%/proto-sasl.cc %reldir%/sasl-request.cc \
	%reldir%/sasl-request.h
%canon_reldir%_proto_sasl_la_CXXFLAGS = $(MODULE_CXX)
%canon_reldir%_proto_sasl_la_LDFLAGS = $(MODULE_LINK)
%canon_reldir%_proto_sasl_la_LIBADD = src/libsora.la $(UV_LIBS)

# The parser and the mechanisms, without I/O.
check_PROGRAMS += %reldir%/sasl-request-test
TESTS += %reldir%/sasl-request-test
%canon_reldir%_sasl_request_test_SOURCES = %reldir%/sasl-request-test.cc %reldir%/sasl-request.cc
%canon_reldir%_sasl_request_test_CPPFLAGS = $(UNIT_CPP)
%canon_reldir%_sasl_request_test_LDADD = $(UNIT_LIBS)
