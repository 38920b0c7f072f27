# src/sora-admin: the operator's command line tool.
bin_PROGRAMS += src/sora-admin/sora-admin

# The command line parser and its tables, kept free of the database, the
# configuration and the terminal so that its unit test links on its own.
SORA_ADMIN_CLI_SOURCES = \
	%reldir%/args.cc \
	%reldir%/args.h \
	%reldir%/command-table.cc \
	%reldir%/command-table.h \
	%reldir%/exit-codes.cc \
	%reldir%/exit-codes.h \
	%reldir%/usage.cc \
	%reldir%/usage.h

src_sora_admin_sora_admin_SOURCES = \
	$(SORA_ADMIN_CLI_SOURCES) \
	%reldir%/account-commands.cc \
	%reldir%/account-output.cc \
	%reldir%/account-output.h \
	%reldir%/context.h \
	%reldir%/credential-commands.cc \
	%reldir%/db-commands.cc \
	%reldir%/main.cc \
	%reldir%/output.cc \
	%reldir%/output.h \
	%reldir%/password-hash.cc \
	%reldir%/password-hash.h \
	%reldir%/password-input.cc \
	%reldir%/password-input.h
src_sora_admin_sora_admin_LDADD = src/libsora.la $(UV_LIBS) $(JANSSON_LIBS)

check_PROGRAMS += src/sora-admin/args-test
TESTS += src/sora-admin/args-test
src_sora_admin_args_test_SOURCES = %reldir%/args-test.cc $(SORA_ADMIN_CLI_SOURCES)
src_sora_admin_args_test_CPPFLAGS = $(UNIT_CPP)
src_sora_admin_args_test_LDADD = $(UNIT_LIBS)
