# t: tests of the whole daemon and of its documentation, run by pytest-3 (one
# test file per make check job) with the build and source trees in
# SORA_BUILDDIR and SORA_SRCDIR. A private PostgreSQL is started per file.
TEST_EXTENSIONS = .py
PY_LOG_COMPILER = $(PYTEST)
AM_PY_LOG_FLAGS = -p no:cacheprovider -q -rfEs
AM_TESTS_ENVIRONMENT = \
	SORA_BUILDDIR='$(abs_top_builddir)'; SORA_SRCDIR='$(abs_top_srcdir)'; \
	PYTHONDONTWRITEBYTECODE=1; \
	export SORA_BUILDDIR SORA_SRCDIR PYTHONDONTWRITEBYTECODE;

SORA_PYTESTS = \
	%reldir%/test_docs.py \
	%reldir%/test_admin.py \
	%reldir%/test_db.py \
	%reldir%/test_sorad.py \
	%reldir%/test_sasl.py

EXTRA_DIST += %reldir%/conftest.py $(SORA_PYTESTS)
if HAVE_PYTEST
TESTS += $(SORA_PYTESTS)
endif
