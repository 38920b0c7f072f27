src_libsora_la_SOURCES += \
	%reldir%/bind-listeners.cc \
	%reldir%/connection.cc \
	%reldir%/connection.h \
	%reldir%/listener-set.cc \
	%reldir%/listeners.h \
	%reldir%/net-config.cc \
	%reldir%/net-settings.cc \
	%reldir%/net-settings.h \
	%reldir%/proxy.cc \
	%reldir%/proxy.h \
	%reldir%/tls.cc \
	%reldir%/tls.h

check_PROGRAMS += %reldir%/proxy-test
%canon_reldir%_proxy_test_SOURCES = %reldir%/proxy-test.cc
%canon_reldir%_proxy_test_CPPFLAGS = $(UNIT_CPP)
%canon_reldir%_proxy_test_LDADD = $(UNIT_LIBS)
TESTS += %reldir%/proxy-test

# Listens on 127.0.0.1 only.
check_PROGRAMS += %reldir%/connection-test
%canon_reldir%_connection_test_SOURCES = %reldir%/connection-test.cc
%canon_reldir%_connection_test_CPPFLAGS = $(UNIT_CPP)
%canon_reldir%_connection_test_LDADD = $(UNIT_LIBS) $(SSL_LIBS) $(UV_LIBS)
TESTS += %reldir%/connection-test
