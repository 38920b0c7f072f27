src_libsora_la_SOURCES += \
	%reldir%/bind-listeners.cc \
	%reldir%/connection.cc \
	%reldir%/connection.h \
	%reldir%/listener-set.cc \
	%reldir%/listeners.h \
	%reldir%/net-config.cc \
	%reldir%/net-settings.cc \
	%reldir%/proxy.cc \
	%reldir%/proxy.h \
	%reldir%/tls.cc \
	%reldir%/tls.h

# Until the config loader (libsora-core) is merged, Config's accessors that
# net-settings.cc calls are undefined in libsora; the tests never call them.
net_test_ldflags = $(AM_LDFLAGS) -Wl,--allow-shlib-undefined

check_PROGRAMS += %reldir%/proxy-test
%canon_reldir%_proxy_test_SOURCES = %reldir%/proxy-test.cc
%canon_reldir%_proxy_test_CPPFLAGS = $(UNIT_CPP)
%canon_reldir%_proxy_test_LDADD = $(UNIT_LIBS)
%canon_reldir%_proxy_test_LDFLAGS = $(net_test_ldflags)
TESTS += %reldir%/proxy-test

# Listens on 127.0.0.1 only.
check_PROGRAMS += %reldir%/connection-test
%canon_reldir%_connection_test_SOURCES = %reldir%/connection-test.cc
%canon_reldir%_connection_test_CPPFLAGS = $(UNIT_CPP)
%canon_reldir%_connection_test_LDADD = $(UNIT_LIBS) $(SSL_LIBS) $(UV_LIBS)
%canon_reldir%_connection_test_LDFLAGS = $(net_test_ldflags)
TESTS += %reldir%/connection-test
