src_libsora_la_SOURCES += \
	%reldir%/auth-config.cc \
	%reldir%/auth.cc \
	%reldir%/password.cc

check_PROGRAMS += %reldir%/password-test
TESTS += %reldir%/password-test
%canon_reldir%_password_test_SOURCES = %reldir%/password-test.cc
%canon_reldir%_password_test_CPPFLAGS = $(UNIT_CPP)
%canon_reldir%_password_test_LDADD = $(UNIT_LIBS)
