# man: the reference pages, written in man(7) roff and checked by
# t/test_docs.py (they render without warnings; they document every key of
# the schema with its default, and every option of sorad --help).
dist_man_MANS = \
	%reldir%/sorad.8 \
	%reldir%/sora-admin.8 \
	%reldir%/sora.conf.5 \
	%reldir%/sora-auth-sql.8 \
	%reldir%/sora-proto-sasl.8
