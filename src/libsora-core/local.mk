src_libsora_la_SOURCES += \
	%reldir%/core-config.cc \
	%reldir%/log-setup.h \
	%reldir%/log.cc \
	%reldir%/loop-setup.h \
	%reldir%/loop.cc \
	%reldir%/sections.h \
	%reldir%/task.cc
src_libsora_la_SOURCES += \
	%reldir%/config-load.h \
	%reldir%/config-value.cc \
	%reldir%/config.cc \
	%reldir%/module-loader.cc \
	%reldir%/module-loader.h

# Deliberately wrong modules for the loader test (built, never installed).
check_LTLIBRARIES += \
	%reldir%/test-modules/good.la \
	%reldir%/test-modules/bad-abi.la \
	%reldir%/test-modules/bad-signature.la \
	%reldir%/test-modules/no-descriptor.la \
	%reldir%/test-modules/missing-symbol.la \
	%reldir%/test-modules/wrong-name.la \
	%reldir%/test-modules/needs-dep.la \
	%reldir%/test-modules/bad-kind.la \
	%reldir%/test-modules/bad-default.la \
	%reldir%/test-modules/init-fails.la

src_libsora_core_test_modules_good_la_SOURCES = %reldir%/test-modules/test-module.cc
src_libsora_core_test_modules_good_la_CPPFLAGS = $(AM_CPPFLAGS) -DMODULE_NAME='"good"'
src_libsora_core_test_modules_good_la_CXXFLAGS = $(MODULE_CXX)
src_libsora_core_test_modules_good_la_LIBADD = src/libsora.la
src_libsora_core_test_modules_good_la_LDFLAGS = $(TEST_MODULE_LINK)

src_libsora_core_test_modules_bad_abi_la_SOURCES = %reldir%/test-modules/test-module.cc
src_libsora_core_test_modules_bad_abi_la_CPPFLAGS = $(AM_CPPFLAGS) -DMODULE_NAME='"bad-abi"' -DVARIANT_BAD_ABI
src_libsora_core_test_modules_bad_abi_la_CXXFLAGS = $(MODULE_CXX)
src_libsora_core_test_modules_bad_abi_la_LIBADD = src/libsora.la
src_libsora_core_test_modules_bad_abi_la_LDFLAGS = $(TEST_MODULE_LINK)

src_libsora_core_test_modules_bad_signature_la_SOURCES = %reldir%/test-modules/test-module.cc
src_libsora_core_test_modules_bad_signature_la_CPPFLAGS = $(AM_CPPFLAGS) -DMODULE_NAME='"bad-signature"' -DVARIANT_BAD_SIGNATURE
src_libsora_core_test_modules_bad_signature_la_CXXFLAGS = $(MODULE_CXX)
src_libsora_core_test_modules_bad_signature_la_LIBADD = src/libsora.la
src_libsora_core_test_modules_bad_signature_la_LDFLAGS = $(TEST_MODULE_LINK)

src_libsora_core_test_modules_no_descriptor_la_SOURCES = %reldir%/test-modules/test-module.cc
src_libsora_core_test_modules_no_descriptor_la_CPPFLAGS = $(AM_CPPFLAGS) -DMODULE_NAME='"no-descriptor"' -DVARIANT_NO_DESCRIPTOR
src_libsora_core_test_modules_no_descriptor_la_CXXFLAGS = $(MODULE_CXX)
src_libsora_core_test_modules_no_descriptor_la_LIBADD = src/libsora.la
src_libsora_core_test_modules_no_descriptor_la_LDFLAGS = $(TEST_MODULE_LINK)

src_libsora_core_test_modules_missing_symbol_la_SOURCES = %reldir%/test-modules/test-module.cc
src_libsora_core_test_modules_missing_symbol_la_CPPFLAGS = $(AM_CPPFLAGS) -DMODULE_NAME='"missing-symbol"' -DVARIANT_MISSING_SYMBOL
src_libsora_core_test_modules_missing_symbol_la_CXXFLAGS = $(MODULE_CXX)
src_libsora_core_test_modules_missing_symbol_la_LIBADD = src/libsora.la
src_libsora_core_test_modules_missing_symbol_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared -rpath /nowhere

src_libsora_core_test_modules_wrong_name_la_SOURCES = %reldir%/test-modules/test-module.cc
src_libsora_core_test_modules_wrong_name_la_CPPFLAGS = $(AM_CPPFLAGS) -DMODULE_NAME='"wrong-name"' -DVARIANT_WRONG_NAME
src_libsora_core_test_modules_wrong_name_la_CXXFLAGS = $(MODULE_CXX)
src_libsora_core_test_modules_wrong_name_la_LIBADD = src/libsora.la
src_libsora_core_test_modules_wrong_name_la_LDFLAGS = $(TEST_MODULE_LINK)

src_libsora_core_test_modules_needs_dep_la_SOURCES = %reldir%/test-modules/test-module.cc
src_libsora_core_test_modules_needs_dep_la_CPPFLAGS = $(AM_CPPFLAGS) -DMODULE_NAME='"needs-dep"' -DVARIANT_NEEDS_DEP
src_libsora_core_test_modules_needs_dep_la_CXXFLAGS = $(MODULE_CXX)
src_libsora_core_test_modules_needs_dep_la_LIBADD = src/libsora.la
src_libsora_core_test_modules_needs_dep_la_LDFLAGS = $(TEST_MODULE_LINK)

src_libsora_core_test_modules_bad_kind_la_SOURCES = %reldir%/test-modules/test-module.cc
src_libsora_core_test_modules_bad_kind_la_CPPFLAGS = $(AM_CPPFLAGS) -DMODULE_NAME='"bad-kind"' -DVARIANT_BAD_KIND
src_libsora_core_test_modules_bad_kind_la_CXXFLAGS = $(MODULE_CXX)
src_libsora_core_test_modules_bad_kind_la_LIBADD = src/libsora.la
src_libsora_core_test_modules_bad_kind_la_LDFLAGS = $(TEST_MODULE_LINK)

src_libsora_core_test_modules_bad_default_la_SOURCES = %reldir%/test-modules/test-module.cc
src_libsora_core_test_modules_bad_default_la_CPPFLAGS = $(AM_CPPFLAGS) -DMODULE_NAME='"bad-default"' -DVARIANT_BAD_DEFAULT
src_libsora_core_test_modules_bad_default_la_CXXFLAGS = $(MODULE_CXX)
src_libsora_core_test_modules_bad_default_la_LIBADD = src/libsora.la
src_libsora_core_test_modules_bad_default_la_LDFLAGS = $(TEST_MODULE_LINK)

src_libsora_core_test_modules_init_fails_la_SOURCES = %reldir%/test-modules/test-module.cc
src_libsora_core_test_modules_init_fails_la_CPPFLAGS = $(AM_CPPFLAGS) -DMODULE_NAME='"init-fails"' -DVARIANT_INIT_FAILS
src_libsora_core_test_modules_init_fails_la_CXXFLAGS = $(MODULE_CXX)
src_libsora_core_test_modules_init_fails_la_LIBADD = src/libsora.la
src_libsora_core_test_modules_init_fails_la_LDFLAGS = $(TEST_MODULE_LINK)

check_PROGRAMS += %reldir%/config-test %reldir%/module-loader-test %reldir%/loop-test
TESTS += %reldir%/config-test %reldir%/module-loader-test %reldir%/loop-test
src_libsora_core_loop_test_SOURCES = %reldir%/loop-test.cc
src_libsora_core_loop_test_CPPFLAGS = $(UNIT_CPP)
src_libsora_core_loop_test_LDADD = $(UNIT_LIBS) $(UV_LIBS)
src_libsora_core_config_test_SOURCES = %reldir%/config-test.cc
src_libsora_core_config_test_CPPFLAGS = $(UNIT_CPP)
src_libsora_core_config_test_LDADD = $(UNIT_LIBS)
src_libsora_core_module_loader_test_SOURCES = %reldir%/module-loader-test.cc
src_libsora_core_module_loader_test_CPPFLAGS = $(UNIT_CPP) \
	-DTEST_MODULE_DIR='"$(abs_top_builddir)/src/libsora-core/test-modules/.libs"'
src_libsora_core_module_loader_test_LDADD = $(UNIT_LIBS)
