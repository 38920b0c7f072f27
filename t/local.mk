# t: tests of the whole daemon and of its documentation, run by pytest-3 with
# the build and source trees in SORA_BUILDDIR and SORA_SRCDIR.
TEST_EXTENSIONS = .py
PY_LOG_COMPILER = $(PYTEST)
AM_PY_LOG_FLAGS = -p no:cacheprovider -q
AM_TESTS_ENVIRONMENT = \
	SORA_BUILDDIR='$(abs_top_builddir)'; SORA_SRCDIR='$(abs_top_srcdir)'; \
	PYTHONDONTWRITEBYTECODE=1; \
	export SORA_BUILDDIR SORA_SRCDIR PYTHONDONTWRITEBYTECODE;

EXTRA_DIST += %reldir%/test_docs.py
if HAVE_PYTEST
TESTS += %reldir%/test_docs.py
endif
