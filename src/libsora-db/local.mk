src_libsora_la_SOURCES += \
	%reldir%/accounts.h \
	%reldir%/db-config.cc \
	%reldir%/schema.h
