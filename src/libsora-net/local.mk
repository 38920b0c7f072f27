src_libsora_la_SOURCES += \
	%reldir%/net-config.cc \
	%reldir%/proxy.cc \
	%reldir%/proxy.h

check_PROGRAMS += %reldir%/proxy-test
%canon_reldir%_proxy_test_SOURCES = %reldir%/proxy-test.cc
%canon_reldir%_proxy_test_CPPFLAGS = $(UNIT_CPP)
%canon_reldir%_proxy_test_LDADD = $(UNIT_LIBS)
TESTS += %reldir%/proxy-test
