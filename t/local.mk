# Integration tests: pytest against a private PostgreSQL and a real sorad.
if HAVE_PYTEST
TESTS += %reldir%/run-pytest
endif
AM_TESTS_ENVIRONMENT = abs_top_srcdir='$(abs_top_srcdir)' abs_top_builddir='$(abs_top_builddir)' \
	PYTEST='$(PYTEST)'; export abs_top_srcdir abs_top_builddir PYTEST;
EXTRA_DIST += %reldir%/run-pytest $(wildcard $(srcdir)/%reldir%/*.py)
